/* SPDX-License-Identifier: MIT */
/*
 * gcmv-bench: one-shot AES-GCM sealing and opening of single packets with
 * an 8-byte AAD (ESP's SPI + sequence number), gcmv (userspace/gcmv.c)
 * against OpenSSL's EVP used the way esp.c uses it: one context keyed
 * once, per packet re-initialised with the nonce only, AAD update,
 * update, final, tag. Both in the same run, so their ratio means
 * something. Sealing is in place; opening reads the sealed packet and
 * writes elsewhere (in place, the second open would fail its tag).
 * Figures are process CPU time, the best of three runs per case.
 *
 *   gcmv-bench [MB per case, default 48]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "gcmv.h"

#define MAXPKT 8960

static uint8_t buf[MAXPKT], ct[MAXPKT], out[MAXPKT];
static uint8_t tag[16];
static const uint8_t aad[8] = { 0, 0, 1, 0, 0, 0, 0, 42 };

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void
die(const char *what)
{
	fprintf(stderr, "gcmv-bench: %s failed\n", what);
	exit(1);
}

enum impl { GCMV, EVP };

struct bctx {
	struct gcmv_key key;
	EVP_CIPHER_CTX *enc, *dec;
};

/* n packets of len bytes; returns CPU seconds */
static double
run(struct bctx *b, enum impl impl, bool open, size_t len, size_t n)
{
	uint8_t nonce[12] = { 1, 2, 3, 4 };
	int outl;
	double t0 = cpu_now();

	for (size_t i = 0; i < n; i++) {
		if (!open) /* the opens all read the one packet seal_one() made */
			memcpy(nonce + 4, &i, sizeof(i));
		if (impl == GCMV && !open) {
			gcmv_seal(&b->key, nonce, aad, sizeof(aad), buf, buf, len, tag);
		} else if (impl == GCMV) {
			if (gcmv_open(&b->key, nonce, aad, sizeof(aad), ct, out, len, tag) != 0)
				die("gcmv_open");
		} else if (!open) {
			if (EVP_EncryptInit_ex(b->enc, NULL, NULL, NULL, nonce) != 1 ||
			    EVP_EncryptUpdate(b->enc, NULL, &outl, aad, sizeof(aad)) != 1 ||
			    EVP_EncryptUpdate(b->enc, buf, &outl, buf, (int)len) != 1 ||
			    EVP_EncryptFinal_ex(b->enc, buf + len, &outl) != 1 ||
			    EVP_CIPHER_CTX_ctrl(b->enc, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
				die("EVP seal");
		} else {
			if (EVP_DecryptInit_ex(b->dec, NULL, NULL, NULL, nonce) != 1 ||
			    EVP_DecryptUpdate(b->dec, NULL, &outl, aad, sizeof(aad)) != 1 ||
			    EVP_DecryptUpdate(b->dec, out, &outl, ct, (int)len) != 1 ||
			    EVP_CIPHER_CTX_ctrl(b->dec, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
			    EVP_DecryptFinal_ex(b->dec, out + len, &outl) != 1)
				die("EVP open");
		}
	}
	return cpu_now() - t0;
}

/* for the opens: one packet sealed under nonce 1,2,3,4,0... (i = 0) */
static void
seal_one(struct bctx *b, size_t len)
{
	uint8_t nonce[12] = { 1, 2, 3, 4 };

	memset(buf, 0x42, len);
	gcmv_seal(&b->key, nonce, aad, sizeof(aad), buf, ct, len, tag);
}

static double
best_of_3(struct bctx *b, enum impl impl, bool open, size_t len, size_t n)
{
	double best = 1e9;

	for (int r = 0; r < 3; r++) {
		double s = run(b, impl, open, len, n);

		if (s < best)
			best = s;
	}
	return best;
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 576, 1424, 8960 };
	static const uint8_t k[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 48;
	struct bctx b;

	if (!gcmv_supported()) {
		fprintf(stderr, "gcmv-bench: the CPU lacks VAES/VPCLMULQDQ/AVX-512\n");
		return 1;
	}
	printf("%-8s %5s %-5s %10s %8s %10s %8s %7s\n", "cipher", "bytes", "op", "gcmv ns", "GB/s",
	    "EVP ns", "GB/s", "EVP/gcmv");
	for (size_t kl = 16; kl <= 32; kl += 16) {
		if (gcmv_key_init(&b.key, k, kl) < 0)
			die("gcmv_key_init");
		b.enc = EVP_CIPHER_CTX_new();
		b.dec = EVP_CIPHER_CTX_new();
		if (b.enc == NULL || b.dec == NULL ||
		    EVP_EncryptInit_ex(b.enc, kl == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
		        NULL, k, NULL) != 1 ||
		    EVP_DecryptInit_ex(b.dec, kl == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(),
		        NULL, k, NULL) != 1)
			die("EVP init");
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			size_t len = sizes[si], n = (mb << 20) / len;

			if (n < 20000)
				n = 20000;
			for (int op = 0; op < 2; op++) {
				double g, e;

				seal_one(&b, len);
				g = best_of_3(&b, GCMV, op, len, n);
				e = best_of_3(&b, EVP, op, len, n);
				printf("%-8s %5zu %-5s %10.1f %8.2f %10.1f %8.2f %7.2fx\n",
				    kl == 16 ? "aes-128" : "aes-256", len, op ? "open" : "seal",
				    g * 1e9 / (double)n, (double)len * (double)n / g / 1e9,
				    e * 1e9 / (double)n, (double)len * (double)n / e / 1e9, e / g);
			}
		}
		EVP_CIPHER_CTX_free(b.enc);
		EVP_CIPHER_CTX_free(b.dec);
		gcmv_key_wipe(&b.key);
	}
	return 0;
}
