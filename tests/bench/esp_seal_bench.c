/* SPDX-License-Identifier: MIT */
/*
 * esp-seal-bench: CPU time per GB of the userspace dataplane's ESP
 * transforms (userspace/esp.c) alone, no sockets: batches of 1400-byte
 * packets (about what one TSO super-packet gives) sealed one by one with
 * OpenSSL's EVP (the path without AES-NI) and batched (multi-buffer CBC,
 * paired SHA-NI HMAC), and opened one by one and with paired ICVs.
 * Process CPU time, so other load on the machine disturbs it little.
 *
 *   esp-seal-bench [MB per case, default 256]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aesmb.h"
#include "esp.h"

#define BATCH 45
#define PLEN  1400
#define CAP   (PLEN + ESP_OVERHEAD_MAX)

static uint8_t pkts[BATCH][CAP], copy[BATCH][CAP];
static size_t outl[BATCH];

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int
xinit(struct esp_xform *x, enum dp_enc enc, enum dp_integ integ, bool encrypt)
{
	static const uint8_t k[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	size_t ek = enc == DP_ENC_AES_CBC_128 ? 16 : enc == DP_ENC_AES_CBC_256 ? 32 : 20;
	size_t ik = integ == DP_INTEG_HMAC_SHA256_128   ? 32
	            : integ == DP_INTEG_HMAC_SHA384_192 ? 48
	            : integ == DP_INTEG_HMAC_SHA512_256 ? 64
	                                                : 0;
	struct errbuf err = { .msg = "" };

	if (esp_xform_init(x, enc, k, ek, integ, k, ik, encrypt, false, &err) < 0) {
		fprintf(stderr, "esp_xform_init: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Seals `rounds` batches; batched: esp_seal_start() + esp_seal_finish(). */
static double
seal(struct esp_xform *x, size_t rounds, bool batched)
{
	struct esp_seal_job jobs[BATCH];
	uint8_t iv[16] = { 7 };
	uint64_t seq = 1;
	double t0 = cpu_now();

	for (size_t r = 0; r < rounds; r++) {
		size_t nj = 0;

		for (int i = 0; i < BATCH; i++) {
			int rc = batched ? esp_seal_start(x, 0x100, seq++, false, iv, 4, pkts[i],
			                       PLEN, CAP, &outl[i], &jobs[nj])
			                 : esp_seal(x, 0x100, seq++, false, iv, 4, pkts[i], PLEN,
			                       CAP, &outl[i]);

			if (rc < 0)
				abort();
			nj += (size_t)rc;
		}
		esp_seal_finish(jobs, nj);
	}
	return cpu_now() - t0;
}

/* Opens copies of the sealed batch `rounds` times, ICVs precomputed in
 * groups of `group` packets (esp_icv_group(), as sock_rx() does) or not (0). */
static double
open_all(struct esp_xform *d, size_t rounds, size_t group)
{
	struct esp_icv_req req[ESP_ICV_GROUP];
	uint8_t nh;
	size_t off, pl;
	double t = 0, t0;

	for (size_t r = 0; r < rounds; r++) {
		memcpy(copy, pkts, sizeof(copy)); /* not timed: decryption is in place */
		t0 = cpu_now();
		for (size_t i = 0; i < BATCH; i++) {
			const uint8_t *pre = NULL;

			if (group > 0 && i % group == 0) {
				size_t k = BATCH - i < group ? BATCH - i : group;

				for (size_t g = 0; g < k; g++)
					req[g] = (struct esp_icv_req){ .x = d,
						.pkt = copy[i + g],
						.len = outl[i + g],
						.seq = (uint64_t)(i + g) + 1 };
				esp_icv_group(req, k);
			}
			if (group > 0)
				pre = req[i % group].icv;
			if (esp_open_icv(d, (uint64_t)i + 1, false, copy[i], outl[i], pre, &off,
			        &pl, &nh) != 0)
				abort();
		}
		t += cpu_now() - t0;
	}
	return t;
}

static void
report(const char *what, double secs, size_t rounds)
{
	double gb = (double)rounds * BATCH * PLEN / 1e9;

	printf("  %-44s %7.0f ms/GB\n", what, secs * 1e3 / gb);
}

static int
one(const char *name, enum dp_enc enc, enum dp_integ integ, size_t rounds)
{
	struct esp_xform e, d;
	double t;

	if (xinit(&e, enc, integ, true) < 0 || xinit(&d, enc, integ, false) < 0)
		return -1;
	printf("%s\n", name);
	if (e.aes != NULL) {
		bool vaes = aesmb_use_vaes(false);

		report(
		    "seal, batched (multi-buffer, AES-NI 8 lanes)", seal(&e, rounds, true), rounds);
		aesmb_use_vaes(vaes);
		if (vaes)
			report("seal, batched (multi-buffer, VAES 16 lanes)",
			    seal(&e, rounds, true), rounds);
		/* the same SA without the fast path: EVP, one packet at a time */
		aesmb_key_wipe(e.aes);
		free(e.aes);
		e.aes = NULL;
	}
	t = seal(&e, rounds, false);
	report("seal, one by one (EVP)", t, rounds);
	/* pkts now hold sequence numbers 1..BATCH of the last round: reseal for opening */
	{
		uint8_t iv[16] = { 7 };

		for (int i = 0; i < BATCH; i++)
			if (esp_seal(&e, 0x100, (uint64_t)i + 1, false, iv, 4, pkts[i], PLEN, CAP,
			        &outl[i]) < 0)
				abort();
	}
	if (d.aes != NULL) {
		/* CBC decryption: AES-NI 8 blocks and EVP, then the default (VAES where present) */
		struct aesmb_key *dk = d.aes;
		bool vaes = aesmb_use_vaes(false);

		report("open, one by one (AES-NI x8 decrypt)", open_all(&d, rounds, 0), rounds);
		d.aes = NULL;
		report("open, one by one (EVP decrypt)", open_all(&d, rounds, 0), rounds);
		if (esp_icv_pairable(&d, outl[0]))
			report("open, ICVs in pairs, EVP decrypt", open_all(&d, rounds, 2), rounds);
		d.aes = dk;
		aesmb_use_vaes(vaes);
		if (vaes)
			report("open, one by one (VAES decrypt)", open_all(&d, rounds, 0), rounds);
	} else {
		report("open, one by one", open_all(&d, rounds, 0), rounds);
	}
	if (esp_icv_pairable(&d, outl[0])) {
		report("open, ICVs in pairs (SHA-NI)", open_all(&d, rounds, 2), rounds);
		report("open, ICVs in groups of 4 (SHA-NI)", open_all(&d, rounds, 4), rounds);
	}
	esp_xform_fini(&e);
	esp_xform_fini(&d);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	size_t rounds = mb * 1000000 / (BATCH * PLEN) + 1;

	printf("esp-seal-bench: %d packets of %d bytes per batch, %zu MB per case, AES-NI %s\n",
	    BATCH, PLEN, mb, aesmb_supported() ? "yes" : "no");
	if (one("AES-CBC-128 + HMAC-SHA-256-128", DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128,
	        rounds) < 0 ||
	    one("AES-CBC-256 + HMAC-SHA-256-128", DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA256_128,
	        rounds) < 0 ||
	    one("AES-CBC-256 + HMAC-SHA-512-256", DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA512_256,
	        rounds) < 0 ||
	    one("AES-GCM-128 (reference)", DP_ENC_AES_GCM_128, DP_INTEG_NONE, rounds) < 0)
		return 1;
	return 0;
}
