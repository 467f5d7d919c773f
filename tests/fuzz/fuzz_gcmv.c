/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gcmv: the VAES/VPCLMULQDQ AES-GCM (userspace/gcmv.c) against
 * OpenSSL's EVP, byte for byte, and against itself (open(seal(x)) == x,
 * any changed tag bit refused with dst untouched). Aborts on any
 * difference. Does nothing on a CPU without gcmv_supported().
 *
 * Input:
 *   byte 0     flags: bit 0 AES-256 (else AES-128), bit 1 in place,
 *              bits 2-3 the pointers' misalignment (0, 1, 7, 33 bytes)
 *   byte 1     AAD length
 *   byte 2     number of split points (low 4 bits) for the streamed runs
 *   byte 3     the tag bit flipped for the refusal check (0..127)
 *   then       the key (16 or 32 bytes), the nonce (12), the AAD, one
 *              byte per split point (piece lengths, the last piece takes
 *              what is left), and the plaintext: the rest.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gcmv.h"

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
evp_seal(const uint8_t *k, size_t kl, const uint8_t *iv, const uint8_t *a, size_t al,
    const uint8_t *p, size_t n, uint8_t *c, uint8_t tag[16])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l;

	check(x != NULL);
	check(EVP_EncryptInit_ex(
	          x, kl == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, k, iv) == 1);
	if (al > 0)
		check(EVP_EncryptUpdate(x, NULL, &l, a, (int)al) == 1);
	if (n > 0)
		check(EVP_EncryptUpdate(x, c, &l, p, (int)n) == 1);
	check(EVP_EncryptFinal_ex(x, c + n, &l) == 1);
	check(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(x);
}

/* encrypt or decrypt src to dst in the pieces the input chose */
static void
stream(struct gcmv_ctx *c, bool enc, const uint8_t *split, size_t nsplit, const uint8_t *src,
    uint8_t *dst, size_t n)
{
	size_t off = 0, i, m;

	for (i = 0; i <= nsplit && off < n; i++, off += m) {
		m = i < nsplit ? split[i] : n - off;
		if (m > n - off)
			m = n - off;
		if (enc)
			gcmv_encrypt(c, src + off, dst + off, m);
		else
			gcmv_decrypt(c, src + off, dst + off, m);
	}
	if (off < n) {
		if (enc)
			gcmv_encrypt(c, src + off, dst + off, n - off);
		else
			gcmv_decrypt(c, src + off, dst + off, n - off);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t skew[] = { 0, 1, 7, 33 };
	const uint8_t *key, *nonce, *aad, *split, *pt;
	size_t kl, al, nsplit, n, off;
	bool inplace;
	struct gcmv_key k;
	struct gcmv_ctx c;
	uint8_t rtag[16], tag[16], *ref, *sb, *db, *src, *dst;
	unsigned flip;

	if (!gcmv_supported() || size < 4)
		return 0;
	kl = data[0] & 1 ? 32 : 16;
	inplace = data[0] & 2;
	off = skew[(data[0] >> 2) & 3];
	al = data[1];
	nsplit = data[2] & 15;
	flip = data[3] & 127;
	if (size < 4 + kl + 12 + al + nsplit)
		return 0;
	key = data + 4;
	nonce = key + kl;
	aad = nonce + 12;
	split = aad + al;
	pt = split + nsplit;
	n = size - (size_t)(pt - data);

	/* exact-size buffers (plus the skew), so ASan sees any overrun */
	ref = malloc(n + 1);
	sb = malloc(n + off + 1);
	db = malloc(n + off + 1);
	check(ref != NULL && sb != NULL && db != NULL);
	src = sb + off;
	dst = inplace ? src : db + off;
	check(gcmv_key_init(&k, key, kl) == 0);
	evp_seal(key, kl, nonce, aad, al, pt, n, ref, rtag);

	/* one-shot */
	memcpy(src, pt, n);
	gcmv_seal(&k, nonce, aad, al, src, dst, n, tag);
	check(memcmp(dst, ref, n) == 0 && memcmp(tag, rtag, 16) == 0);
	check(gcmv_open(&k, nonce, aad, al, dst, src, n, tag) == 0);
	check(memcmp(src, pt, n) == 0);

	/* streamed in the input's pieces */
	gcmv_init(&c, &k, nonce, aad, al);
	stream(&c, true, split, nsplit, src, dst, n);
	gcmv_tag(&c, tag);
	check(memcmp(dst, ref, n) == 0 && memcmp(tag, rtag, 16) == 0);
	gcmv_init(&c, &k, nonce, aad, al);
	stream(&c, false, split, nsplit, dst, src, n);
	check(gcmv_tag_ok(&c, rtag, 16));
	check(memcmp(src, pt, n) == 0);

	/* a changed tag bit: refused, nothing written */
	memcpy(src, ref, n);
	tag[flip / 8] ^= (uint8_t)(1u << (flip % 8));
	check(gcmv_open(&k, nonce, aad, al, src, src, n, tag) == -EBADMSG);
	check(memcmp(src, ref, n) == 0);
	gcmv_init(&c, &k, nonce, aad, al);
	gcmv_decrypt(&c, ref, db, n);
	check(!gcmv_tag_ok(&c, tag, 16));

	gcmv_key_wipe(&k);
	free(ref);
	free(sb);
	free(db);
	return 0;
}
