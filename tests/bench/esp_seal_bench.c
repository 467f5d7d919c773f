/* SPDX-License-Identifier: MIT */
/*
 * esp-seal-bench: CPU time per GB of the userspace dataplane's ESP
 * transforms (userspace/esp.c) alone, no sockets: batches of 1400-byte
 * packets (about what one TSO super-packet gives) sealed one by one with
 * OpenSSL's EVP (the path without AES-NI) and batched (multi-buffer CBC,
 * paired SHA-NI HMAC), and opened one by one and with paired ICVs.
 * AES-GCM sealed and opened with gcmv (VAES, where the CPU has it) and
 * with EVP, also behind the TCP segmentation of TSO super-packets.
 * Process CPU time, so other load on the machine disturbs it little.
 * Then the cipher context cache (esp.h): the cost of a hit and of a miss
 * (re-keying a slot), and sealing/opening round-robin over more active
 * SAs than the cache has slots (every packet a miss) against fewer.
 *
 *   esp-seal-bench [MB per case, default 256]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "aesmb.h"
#include "esp.h"
#include "gcmv.h"
#include "pkt.h"

#define BATCH 45
#define PLEN  1400
#define CAP   (PLEN + ESP_OVERHEAD_MAX)

static uint8_t pkts[BATCH][CAP], copy[BATCH][CAP];
static size_t outl[BATCH];
static struct esp_cache *cache; /* what the cases above borrow contexts from */

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
	size_t ek = enc == DP_ENC_AES_CBC_128   ? 16
	            : enc == DP_ENC_AES_CBC_256 ? 32
	            : enc == DP_ENC_AES_GCM_256 ? 36
	                                        : 20;
	size_t ik = integ == DP_INTEG_HMAC_SHA256_128   ? 32
	            : integ == DP_INTEG_HMAC_SHA384_192 ? 48
	            : integ == DP_INTEG_HMAC_SHA512_256 ? 64
	                                                : 0;
	struct errbuf err = { .msg = "" };

	if (esp_xform_init(x, enc, k, ek, integ, k, ik, encrypt, false, &err) < 0) {
		fprintf(stderr, "esp_xform_init: %s\n", err.msg);
		return -1;
	}
	esp_xform_bind(x, cache);
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
	report(e.aead && gcmv_supported() ? "seal, one by one (gcmv)" : "seal, one by one (EVP)", t,
	    rounds);
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
		report(d.aead && gcmv_supported() ? "open, one by one (gcmv)"
		                                  : "open, one by one (EVP)",
		    open_all(&d, rounds, 0), rounds);
	}
	if (esp_icv_pairable(&d, outl[0])) {
		report("open, ICVs in pairs (SHA-NI)", open_all(&d, rounds, 2), rounds);
		report("open, ICVs in groups of 4 (SHA-NI)", open_all(&d, rounds, 4), rounds);
	}
	esp_xform_fini(&e);
	esp_xform_fini(&d);
	return 0;
}

/* ---- TSO segmentation and sealing, as out_packet() does ---- */

#define TSO_MSS 1348
#define TSO_LEN (20 + 20 + 48 * TSO_MSS) /* IPv4 + TCP + 48 segments: 64 KiB */

/*
 * Segments and seals one 64 KiB TCP super-packet from TUN `rounds` times,
 * as out_packet() does: each segment's headers and data copied into the
 * output (the checksum summed in the same pass), then sealed in place.
 * Returns CPU seconds; *bytes the inner bytes sealed.
 */
static double
tso(struct esp_xform *x, size_t rounds, double *bytes)
{
	static uint8_t sp[TSO_LEN], out[TSO_MSS + 64 + ESP_OVERHEAD_MAX];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.gso_size = TSO_MSS,
		.hdr_len = 40,
		.csum_start = 20,
		.csum_offset = 16 };
	size_t hdr = ESP_HDR_LEN + x->iv_len, n = 0, ol;
	uint8_t iv[16] = { 7 };
	uint64_t seq = 1;
	double t0;

	memset(sp, 0x5a, sizeof(sp));
	sp[0] = 0x45;
	sp[9] = IPPROTO_TCP;
	sp[20 + 12] = 5 << 4;
	t0 = cpu_now();
	for (size_t r = 0; r < rounds; r++) {
		struct gso_iter it;
		size_t sl;

		if (gso_iter_init(&it, &vh, sp, sizeof(sp)) < 0)
			abort();
		while ((sl = gso_iter_next(&it, out + hdr, sizeof(out) - hdr)) > 0) {
			if (esp_seal(x, 0x100, seq++, false, iv, 4, out, sl, sizeof(out), &ol) != 0)
				abort();
			n += sl;
		}
	}
	*bytes = (double)n;
	return cpu_now() - t0;
}

static int
tso_case(const char *name, enum dp_enc enc, size_t mb)
{
	struct esp_xform e, v;
	size_t rounds = mb * 1000000 / TSO_LEN + 1;
	bool own = gcmv_use(false);
	double t, b;

	/* e through EVP (its slot keyed by a first round), v through gcmv
	 * where the CPU has it */
	if (xinit(&e, enc, DP_INTEG_NONE, true) < 0)
		return -1;
	(void)tso(&e, 1, &b);
	gcmv_use(own);
	if (xinit(&v, enc, DP_INTEG_NONE, true) < 0)
		return -1;
	printf(
	    "%s: 64 KiB TSO super-packets from TUN, MSS %d, segmented and sealed\n", name, TSO_MSS);
	for (int pass = 0; pass < 2; pass++) {
		/* twice, alternating, so that a disturbance shows as a disagreement */
		t = tso(&e, rounds, &b);
		printf("  %-44s %7.0f ms/GB\n", "segmented, sealed with EVP", t * 1e12 / b);
		if (!own)
			continue;
		t = tso(&v, rounds, &b);
		printf("  %-44s %7.0f ms/GB\n", "segmented, sealed with gcmv", t * 1e12 / b);
	}
	esp_xform_fini(&e);
	esp_xform_fini(&v);
	return 0;
}

/* ---- the cipher context cache ---- */

/* ns per esp_xform_ctx() call, alternating over n SAs (n = 1: hits). */
static double
ctx_ns(struct esp_xform *sa, size_t n, size_t calls)
{
	double t0 = cpu_now();

	for (size_t i = 0; i < calls; i++)
		if (esp_xform_ctx(&sa[i % n]) == NULL)
			abort();
	return (cpu_now() - t0) * 1e9 / (double)calls;
}

/* ns per esp_seal() of an empty payload, alternating over n SAs. */
static double
seal_ns(struct esp_xform *sa, size_t n, size_t calls)
{
	static uint8_t buf[64 + ESP_OVERHEAD_MAX];
	uint8_t iv[16] = { 1 };
	size_t out;
	double t0 = cpu_now();

	for (size_t i = 0; i < calls; i++)
		if (esp_seal(&sa[i % n], 0x100, i + 1, false, iv, 4, buf, 0, sizeof(buf), &out) < 0)
			abort();
	return (cpu_now() - t0) * 1e9 / (double)calls;
}

/*
 * Two SAs of algorithms ea and eb (different keys) sharing a cache of one
 * slot, made the benchmark's cache; pair_end() undoes it.
 */
static int
pair_begin(
    struct esp_xform sa[2], enum dp_enc ea, enum dp_enc eb, bool encrypt, struct esp_cache **save)
{
	struct esp_cache *c;
	struct errbuf err = { .msg = "" };
	enum dp_enc enc[2] = { ea, eb };

	if (esp_cache_new(&c, 1, &err) < 0) {
		fprintf(stderr, "esp_cache_new: %s\n", err.msg);
		return -1;
	}
	*save = cache;
	cache = c;
	for (int i = 0; i < 2; i++) {
		bool aead = enc[i] == DP_ENC_AES_GCM_128 || enc[i] == DP_ENC_AES_GCM_256;

		if (xinit(&sa[i], enc[i], aead ? DP_INTEG_NONE : DP_INTEG_HMAC_SHA256_128,
		        encrypt) < 0) {
			if (i == 1)
				esp_xform_fini(&sa[0]);
			esp_cache_free(c);
			cache = *save;
			return -1;
		}
	}
	sa[1].key[0] ^= 1; /* another key */
	return 0;
}

static void
pair_end(struct esp_xform sa[2], struct esp_cache *save)
{
	esp_xform_fini(&sa[0]);
	esp_xform_fini(&sa[1]);
	esp_cache_free(cache);
	cache = save;
}

/* The re-key of a slot for gcmv: sealing empty packets, one SA against two on one slot. */
static int
gcmv_miss_case(void)
{
	struct esp_cache *save;
	struct esp_xform sa[2];
	double hit, two;

	if (!gcmv_supported())
		return 0;
	if (pair_begin(sa, DP_ENC_AES_GCM_128, DP_ENC_AES_GCM_128, true, &save) < 0)
		return -1;
	hit = seal_ns(sa, 1, 10000000);
	two = seal_ns(sa, 2, 2000000);
	printf("  %-44s %7.1f ns (an empty packet sealed: %.1f ns)\n",
	    "AES-GCM-128, encrypting, gcmv", two - hit, hit);
	pair_end(sa, save);
	return 0;
}

static int
ctx_case(const char *what, enum dp_enc ea, enum dp_enc eb, bool encrypt)
{
	struct esp_cache *save;
	struct esp_xform sa[2];
	double hit, miss;

	if (pair_begin(sa, ea, eb, encrypt, &save) < 0)
		return -1;
	hit = ctx_ns(sa, 1, 20000000);
	miss = ctx_ns(sa, 2, 1000000);
	printf("  %-44s %7.1f ns (hit %.1f ns)\n", what, miss, hit);
	pair_end(sa, save);
	return 0;
}

/*
 * GCM-128, 1400-byte packets sealed (then opened) round-robin over nsa SAs
 * on one cache of nslot slots per direction: ms/GB and misses per packet.
 */
static int
thrash(size_t nsa, uint32_t nslot, size_t mb)
{
	struct esp_cache *c, *save = cache;
	struct esp_xform *e = calloc(nsa, sizeof(*e)), *d = calloc(nsa, sizeof(*d));
	struct esp_cache_stats st;
	struct errbuf err = { .msg = "" };
	size_t npkt = mb * 1000000 / PLEN + 1, off, pl, i;
	uint8_t iv[16] = { 3 }, nh;
	double ts = 0, to = 0, t0, gb = (double)npkt * PLEN / 1e9;
	uint64_t m0;

	if (e == NULL || d == NULL || esp_cache_new(&c, nslot, &err) < 0)
		return -1;
	cache = c;
	for (i = 0; i < nsa; i++) {
		if (xinit(&e[i], DP_ENC_AES_GCM_128, DP_INTEG_NONE, true) < 0 ||
		    xinit(&d[i], DP_ENC_AES_GCM_128, DP_INTEG_NONE, false) < 0)
			return -1;
		e[i].key[0] = d[i].key[0] = (uint8_t)i; /* each its own key */
		e[i].key[1] = d[i].key[1] = (uint8_t)(i >> 8);
	}
	/* warm: every SA keyed once (what fits stays), on its default path
	 * (gcmv where the CPU has it: esp_xform_ctx() would key EVP) */
	for (i = 0; i < nsa; i++)
		if (esp_seal(&e[i], 0x100, 1, false, iv, 4, pkts[0], PLEN, CAP, &outl[0]) < 0 ||
		    esp_open(&d[i], 1, false, pkts[0], outl[0], &off, &pl, &nh) != 0)
			abort();
	esp_cache_get_stats(c, &st);
	m0 = st.misses;
	for (i = 0; i < npkt; i += BATCH) {
		size_t k, n = npkt - i < BATCH ? npkt - i : BATCH;

		t0 = cpu_now();
		for (k = 0; k < n; k++)
			if (esp_seal(&e[(i + k) % nsa], 0x100, i + k + 1, false, iv, 4, pkts[k],
			        PLEN, CAP, &outl[k]) < 0)
				abort();
		ts += cpu_now() - t0;
		t0 = cpu_now();
		for (k = 0; k < n; k++)
			if (esp_open(&d[(i + k) % nsa], i + k + 1, false, pkts[k], outl[k], &off,
			        &pl, &nh) != 0)
				abort();
		to += cpu_now() - t0;
	}
	esp_cache_get_stats(c, &st);
	printf("  %4zu SAs, %4u slots: seal %5.0f ms/GB, open %5.0f ms/GB, %.2f misses/packet\n",
	    nsa, nslot, ts * 1e3 / gb, to * 1e3 / gb,
	    (double)(st.misses - m0) / (double)(2 * npkt));
	for (i = 0; i < nsa; i++) {
		esp_xform_fini(&e[i]);
		esp_xform_fini(&d[i]);
	}
	free(e);
	free(d);
	esp_cache_free(c);
	cache = save;
	return 0;
}

int
main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	size_t rounds = mb * 1000000 / (BATCH * PLEN) + 1;

	struct errbuf err = { .msg = "" };

	if (esp_cache_new(&cache, ESP_CACHE_SLOTS, &err) < 0) {
		fprintf(stderr, "esp_cache_new: %s\n", err.msg);
		return 1;
	}
	printf("esp-seal-bench: %d packets of %d bytes per batch, %zu MB per case, AES-NI %s\n",
	    BATCH, PLEN, mb, aesmb_supported() ? "yes" : "no");
	if (one("AES-CBC-128 + HMAC-SHA-256-128", DP_ENC_AES_CBC_128, DP_INTEG_HMAC_SHA256_128,
	        rounds) < 0 ||
	    one("AES-CBC-256 + HMAC-SHA-256-128", DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA256_128,
	        rounds) < 0 ||
	    one("AES-CBC-256 + HMAC-SHA-512-256", DP_ENC_AES_CBC_256, DP_INTEG_HMAC_SHA512_256,
	        rounds) < 0 ||
	    one("AES-GCM-128", DP_ENC_AES_GCM_128, DP_INTEG_NONE, rounds) < 0)
		return 1;
	if (gcmv_supported()) {
		/* the same without gcmv: EVP (an SA picks its path at first use) */
		gcmv_use(false);
		if (one("AES-GCM-128, EVP (the path without VAES)", DP_ENC_AES_GCM_128,
		        DP_INTEG_NONE, rounds) < 0)
			return 1;
		gcmv_use(true);
	}
	if (tso_case("AES-GCM-128", DP_ENC_AES_GCM_128, mb) < 0)
		return 1;
	printf("cipher context cache: a miss (re-keying a slot), two SAs on one slot\n");
	if (ctx_case("AES-GCM-128, encrypting", DP_ENC_AES_GCM_128, DP_ENC_AES_GCM_128, true) < 0 ||
	    ctx_case("AES-GCM-128, decrypting", DP_ENC_AES_GCM_128, DP_ENC_AES_GCM_128, false) <
	        0 ||
	    ctx_case("AES-GCM-256, encrypting", DP_ENC_AES_GCM_256, DP_ENC_AES_GCM_256, true) < 0 ||
	    ctx_case("AES-CBC-128, decrypting", DP_ENC_AES_CBC_128, DP_ENC_AES_CBC_128, false) <
	        0 ||
	    ctx_case("AES-CBC-256, decrypting", DP_ENC_AES_CBC_256, DP_ENC_AES_CBC_256, false) <
	        0 ||
	    ctx_case("GCM-128 <-> CBC-128 (algorithm change)", DP_ENC_AES_GCM_128,
	        DP_ENC_AES_CBC_128, false) < 0 ||
	    gcmv_miss_case() < 0)
		return 1;
	printf("cipher context cache: AES-GCM-128, 1400-byte packets round-robin over the SAs\n");
	if (thrash(ESP_CACHE_SLOTS / 2, ESP_CACHE_SLOTS, mb / 2) < 0 ||
	    thrash(ESP_CACHE_SLOTS * 2, ESP_CACHE_SLOTS, mb / 2) < 0 || thrash(4, 2, mb / 2) < 0)
		return 1;
	esp_cache_free(cache);
	return 0;
}
