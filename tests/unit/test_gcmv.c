/* SPDX-License-Identifier: MIT */
/*
 * test_gcmv: the VAES/VPCLMULQDQ AES-GCM (userspace/gcmv.c)
 *  - against the test cases of McGrew & Viega, "The Galois/Counter Mode of
 *    Operation (GCM)", appendix B, that use a 96-bit IV (cases 1-4 with
 *    AES-128, 13-16 with AES-256; cases 5-6 and 17-18 use 64- and 480-bit
 *    IVs, which gcmv does not offer), one-shot and streamed;
 *  - byte for byte against OpenSSL's EVP aes-128-gcm / aes-256-gcm for
 *    random keys and nonces, every length 0..1100 and 1400..1500 and a
 *    few up to 9000, AAD of 0, 8, 12, 20 (and 300) bytes, in place and
 *    between unaligned buffers, streamed in random pieces;
 *  - inc32 wrapping mod 2^32 (SP 800-38D 6.2) against AES-ECB;
 *  - tampering: gcmv_open() refuses a changed ciphertext, tag or AAD bit
 *    and leaves dst as it was.
 * Every test is skipped on a CPU without VAES/VPCLMULQDQ/AVX-512.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "gcmv.h"

#include "../tools/xorshift.h"

#define MAXLEN 9000

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (s[0] != '\0' && s[1] != '\0') {
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* reproducible inputs */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	return xorshift64s(&rng_state);
}

static void
rng_fill(uint8_t *p, size_t n)
{
	xorshift64s_fill(&rng_state, p, n);
}

#define SKIP_UNLESS_SUPPORTED()                                                                    \
	do {                                                                                       \
		if (!gcmv_supported())                                                             \
			skip();                                                                    \
	} while (0)

/* ---- McGrew & Viega test cases ---- */

#define P64                                                                                        \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                         \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define P60                                                                                        \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                         \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define AAD4 "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define IV3  "cafebabefacedbaddecaf888"
#define K3   "feffe9928665731c6d6a8f9467308308"
#define Z16  "00000000000000000000000000000000"
#define Z12  "000000000000000000000000"

static const struct gcm_vec {
	int tc;
	const char *k, *iv, *p, *a, *c, *t;
} vecs[] = {
	{ 1, Z16, Z12, "", "", "", "58e2fccefa7e3061367f1d57a4e7455a" },
	{ 2, Z16, Z12, Z16, "", "0388dace60b6a392f328c2b971b2fe78",
	    "ab6e47d42cec13bdf53a67b21257bddf" },
	{ 3, K3, IV3, P64, "",
	    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	    "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ 4, K3, IV3, P60, AAD4,
	    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	    "5bc94fbc3221a5db94fae95ae7121a47" },
	{ 13, Z16 Z16, Z12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ 14, Z16 Z16, Z12, Z16, "", "cea7403d4d606b6e074ec5d3baf39d18",
	    "d0d1c8a799996bf0265b98b5d48ab919" },
	{ 15, K3 K3, IV3, P64, "",
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	    "b094dac5d93471bdec1a502270e3cc6c" },
	{ 16, K3 K3, IV3, P60, AAD4,
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	    "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void
test_spec_vectors(void **state)
{
	(void)state;
	SKIP_UNLESS_SUPPORTED();
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct gcm_vec *v = &vecs[i];
		uint8_t k[32], iv[12], p[64], a[20], c[64], t[16], out[64], tag[16];
		size_t kl = unhex(v->k, k, sizeof(k)), pl = unhex(v->p, p, sizeof(p));
		size_t al = unhex(v->a, a, sizeof(a));
		struct gcmv_key key;
		struct gcmv_ctx ctx;

		assert_int_equal(unhex(v->iv, iv, sizeof(iv)), 12);
		assert_int_equal(unhex(v->c, c, sizeof(c)), pl);
		assert_int_equal(unhex(v->t, t, sizeof(t)), 16);
		assert_int_equal(gcmv_key_init(&key, k, kl), 0);
		/* one-shot */
		gcmv_seal(&key, iv, a, al, p, out, pl, tag);
		assert_memory_equal(out, c, pl);
		assert_memory_equal(tag, t, 16);
		memset(out, 0xee, sizeof(out));
		assert_int_equal(gcmv_open(&key, iv, a, al, c, out, pl, t), 0);
		assert_memory_equal(out, p, pl);
		/* streamed: pieces of 1, 2, 3, ... bytes */
		memset(out, 0, sizeof(out));
		gcmv_init(&ctx, &key, iv, a, al);
		for (size_t off = 0, step = 1; off < pl; off += step, step++)
			gcmv_encrypt(&ctx, p + off, out + off, step < pl - off ? step : pl - off);
		gcmv_tag(&ctx, tag);
		assert_memory_equal(out, c, pl);
		assert_memory_equal(tag, t, 16);
		/* streamed decryption in pieces of 7, in place */
		memcpy(out, c, pl);
		gcmv_init(&ctx, &key, iv, a, al);
		for (size_t off = 0; off < pl; off += 7)
			gcmv_decrypt(&ctx, out + off, out + off, pl - off < 7 ? pl - off : 7);
		assert_true(gcmv_tag_ok(&ctx, t, 16));
		assert_memory_equal(out, p, pl);
		gcmv_key_wipe(&key);
	}
}

static void
test_key_errors(void **state)
{
	static const uint8_t k[32];
	struct gcmv_key key;

	(void)state;
	SKIP_UNLESS_SUPPORTED();
	assert_int_equal(gcmv_key_init(&key, k, 24), -EINVAL);
	assert_int_equal(gcmv_key_init(&key, k, 0), -EINVAL);
	assert_true(gcmv_use(false));
	assert_false(gcmv_supported());
	assert_int_equal(gcmv_key_init(&key, k, 16), -ENOTSUP);
	assert_false(gcmv_use(true));
	assert_true(gcmv_supported());
	assert_int_equal(gcmv_key_init(&key, k, 16), 0);
}

/* ---- against EVP ---- */

static const EVP_CIPHER *
evp_gcm(size_t kl)
{
	return kl == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

static void
evp_seal(const uint8_t *k, size_t kl, const uint8_t *iv, const uint8_t *a, size_t al,
    const uint8_t *p, size_t n, uint8_t *c, uint8_t tag[16])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l;

	assert_non_null(x);
	assert_int_equal(EVP_EncryptInit_ex(x, evp_gcm(kl), NULL, k, iv), 1);
	if (al > 0)
		assert_int_equal(EVP_EncryptUpdate(x, NULL, &l, a, (int)al), 1);
	if (n > 0)
		assert_int_equal(EVP_EncryptUpdate(x, c, &l, p, (int)n), 1);
	assert_int_equal(EVP_EncryptFinal_ex(x, c + n, &l), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(x);
}

static uint8_t sbuf[MAXLEN + 128], dbuf[MAXLEN + 128], pt[MAXLEN], ref[MAXLEN];

/* seal and open n bytes under key/k, checked against EVP */
static void
check_len(const struct gcmv_key *key, const uint8_t *k, size_t kl, size_t al, size_t n)
{
	uint8_t iv[12], a[300], rtag[16], tag[16];
	uint8_t *src = sbuf + rng() % 64, *dst = dbuf + rng() % 64;

	rng_fill(iv, sizeof(iv));
	rng_fill(a, al);
	rng_fill(pt, n);
	evp_seal(k, kl, iv, a, al, pt, n, ref, rtag);
	/* out of place, unaligned */
	memcpy(src, pt, n);
	gcmv_seal(key, iv, a, al, src, dst, n, tag);
	assert_memory_equal(dst, ref, n);
	assert_memory_equal(tag, rtag, 16);
	assert_memory_equal(src, pt, n);
	memset(src, 0xa5, n);
	assert_int_equal(gcmv_open(key, iv, a, al, dst, src, n, tag), 0);
	assert_memory_equal(src, pt, n);
	/* in place */
	gcmv_seal(key, iv, a, al, src, src, n, tag);
	assert_memory_equal(src, ref, n);
	assert_memory_equal(tag, rtag, 16);
	assert_int_equal(gcmv_open(key, iv, a, al, src, src, n, tag), 0);
	assert_memory_equal(src, pt, n);
}

static void
test_evp_lengths(void **state)
{
	static const size_t aads[] = { 0, 8, 12, 20 };
	static const size_t big[] = { 1536, 2048, 4095, 4096, 4097, 8960, 9000 };
	uint8_t k[32];
	struct gcmv_key key;

	(void)state;
	SKIP_UNLESS_SUPPORTED();
	for (size_t kl = 16; kl <= 32; kl += 16)
		for (size_t ai = 0; ai < 4; ai++) {
			rng_fill(k, kl);
			assert_int_equal(gcmv_key_init(&key, k, kl), 0);
			for (size_t n = 0; n <= 1100; n++)
				check_len(&key, k, kl, aads[ai], n);
			for (size_t n = 1400; n <= 1500; n++)
				check_len(&key, k, kl, aads[ai], n);
			for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
				check_len(&key, k, kl, aads[ai], big[i]);
			/* a long AAD (GHASH of more than 16 blocks of it) */
			check_len(&key, k, kl, 300, 100);
			check_len(&key, k, kl, 257, 0);
			gcmv_key_wipe(&key);
		}
}

/* a random piece length: mostly short, splitting inside blocks */
static size_t
piece(size_t left)
{
	size_t r = rng() % 8, n;

	n = r < 3 ? 1 + rng() % 3 : r < 6 ? 1 + rng() % 40 : 1 + rng() % 700;
	return n < left ? n : left;
}

static void
test_evp_streaming(void **state)
{
	uint8_t k[32], iv[12], a[20], rtag[16], tag[16];
	struct gcmv_key key;
	struct gcmv_ctx ctx;

	(void)state;
	SKIP_UNLESS_SUPPORTED();
	for (int it = 0; it < 600; it++) {
		size_t kl = it % 2 ? 32 : 16, al = (size_t[]){ 0, 8, 12, 20 }[it % 4];
		size_t n = it < 100 ? (size_t)it : rng() % 3000;
		bool inplace = (it / 2) % 2;
		uint8_t *src = sbuf + rng() % 64, *dst = inplace ? src : dbuf + rng() % 64;

		rng_fill(k, kl);
		rng_fill(iv, sizeof(iv));
		rng_fill(a, al);
		rng_fill(pt, n);
		assert_int_equal(gcmv_key_init(&key, k, kl), 0);
		evp_seal(k, kl, iv, a, al, pt, n, ref, rtag);
		memcpy(src, pt, n);
		gcmv_init(&ctx, &key, iv, a, al);
		for (size_t off = 0, m; off < n; off += m) {
			m = piece(n - off);
			gcmv_encrypt(&ctx, src + off, dst + off, m);
		}
		if (it % 5 == 0)
			gcmv_encrypt(&ctx, src, dst, 0); /* empty pieces change nothing */
		gcmv_tag(&ctx, tag);
		assert_memory_equal(dst, ref, n);
		assert_memory_equal(tag, rtag, 16);
		/* decrypt in other pieces */
		gcmv_init(&ctx, &key, iv, a, al);
		for (size_t off = 0, m; off < n; off += m) {
			m = piece(n - off);
			gcmv_decrypt(&ctx, dst + off, src + off, m);
		}
		assert_true(gcmv_tag_ok(&ctx, rtag, 16));
		assert_memory_equal(src, pt, n);
		gcmv_key_wipe(&key);
	}
}

/* SP 800-38D 6.2: inc32 wraps the low 32 bits and leaves the nonce alone */
static void
test_counter_wrap(void **state)
{
	uint8_t k[16], iv[12], blk[16], ks[16 * 40];
	struct gcmv_key key;
	struct gcmv_ctx ctx;
	EVP_CIPHER_CTX *x;
	int l;

	(void)state;
	SKIP_UNLESS_SUPPORTED();
	rng_fill(k, sizeof(k));
	rng_fill(iv, sizeof(iv));
	rng_fill(pt, sizeof(ks));
	assert_int_equal(gcmv_key_init(&key, k, sizeof(k)), 0);
	x = EVP_CIPHER_CTX_new();
	assert_non_null(x);
	assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_128_ecb(), NULL, k, NULL), 1);
	EVP_CIPHER_CTX_set_padding(x, 0);
	for (uint32_t i = 0; i < 40; i++) {
		uint32_t ctr = 0xfffffff8u + i; /* wraps after 8 blocks */

		memcpy(blk, iv, 12);
		blk[12] = (uint8_t)(ctr >> 24);
		blk[13] = (uint8_t)(ctr >> 16);
		blk[14] = (uint8_t)(ctr >> 8);
		blk[15] = (uint8_t)ctr;
		assert_int_equal(EVP_EncryptUpdate(x, ks + 16 * i, &l, blk, 16), 1);
	}
	EVP_CIPHER_CTX_free(x);
	for (size_t i = 0; i < sizeof(ks); i++)
		ks[i] ^= pt[i];
	/* in the bulk loop (16 blocks at a time) and in the tail */
	for (size_t first = 0; first < 2; first++) {
		gcmv_init(&ctx, &key, iv, NULL, 0);
		ctx.ctr = 0xfffffff8u;
		if (first)
			gcmv_encrypt(&ctx, pt, dbuf, 1);
		gcmv_encrypt(&ctx, pt + first, dbuf + first, sizeof(ks) - first);
		assert_memory_equal(dbuf, ks, sizeof(ks));
		explicit_bzero(&ctx, sizeof(ctx));
	}
	gcmv_key_wipe(&key);
}

/* A flipped bit of ciphertext, tag or AAD: -EBADMSG, dst untouched. */
static void
test_tamper(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 64, 255, 256, 257, 1424 };
	uint8_t k[32], iv[12], a[12], tag[16], ct[1424], out[1424];
	struct gcmv_key key;
	struct gcmv_ctx ctx;

	(void)state;
	SKIP_UNLESS_SUPPORTED();
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		size_t n = lens[li], kl = li % 2 ? 32 : 16;

		rng_fill(k, kl);
		rng_fill(iv, sizeof(iv));
		rng_fill(a, sizeof(a));
		rng_fill(pt, n);
		assert_int_equal(gcmv_key_init(&key, k, kl), 0);
		gcmv_seal(&key, iv, a, sizeof(a), pt, ct, n, tag);
		for (int trial = 0; trial < 24; trial++) {
			size_t what = (size_t)trial % 3;
			uint8_t *p = what == 0 ? ct : what == 1 ? tag : a;
			size_t plen = what == 0 ? n : what == 1 ? 16 : sizeof(a);
			size_t bit;

			if (plen == 0)
				continue;
			bit = rng() % (plen * 8);
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0x5c, sizeof(out));
			assert_int_equal(
			    gcmv_open(&key, iv, a, sizeof(a), ct, out, n, tag), -EBADMSG);
			for (size_t i = 0; i < sizeof(out); i++)
				assert_int_equal(out[i], 0x5c);
			/* in place: the buffer still holds the (changed) ciphertext */
			memcpy(out, ct, n);
			assert_int_equal(
			    gcmv_open(&key, iv, a, sizeof(a), out, out, n, tag), -EBADMSG);
			assert_memory_equal(out, ct, n);
			/* streaming reports it too */
			gcmv_init(&ctx, &key, iv, a, sizeof(a));
			gcmv_decrypt(&ctx, ct, out, n);
			assert_false(gcmv_tag_ok(&ctx, tag, 16));
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		assert_int_equal(gcmv_open(&key, iv, a, sizeof(a), ct, out, n, tag), 0);
		assert_memory_equal(out, pt, n);
		/* truncated tags (RFC 4106 allows 8 and 12 bytes); no empty or long ones */
		for (size_t tl = 0; tl <= 17; tl++) {
			gcmv_init(&ctx, &key, iv, a, sizeof(a));
			gcmv_decrypt(&ctx, ct, out, n);
			assert_int_equal(gcmv_tag_ok(&ctx, tag, tl), tl >= 1 && tl <= 16);
		}
		gcmv_key_wipe(&key);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_vectors),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_evp_lengths),
		cmocka_unit_test(test_evp_streaming),
		cmocka_unit_test(test_counter_wrap),
		cmocka_unit_test(test_tamper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
