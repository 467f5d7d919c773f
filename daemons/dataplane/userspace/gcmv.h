/* SPDX-License-Identifier: MIT */
/*
 * gcmv: AES-GCM (NIST SP 800-38D; RFC 4106 for ESP) with VAES and
 * VPCLMULQDQ on 512-bit registers, bypassing OpenSSL's EVP.
 *
 * Why: OpenSSL 3.0 re-initialised per packet spends much of a small
 * packet's time in its parameter handling, and its GCM uses 128-bit
 * AES-NI only. Here a packet is sealed from a precomputed key (AES round
 * keys, H^1..H^16) with no allocation and no per-call set-up beyond the
 * counter block.
 *
 * How: 16 blocks (256 bytes) per loop iteration, four counter blocks per
 * 512-bit register: VAESENC rounds, XOR with the input, store, then GHASH
 * of the 16 ciphertext blocks from registers (byte-reflected, schoolbook
 * VPCLMULQDQ against H^16..H^1, one Montgomery reduction per 16 blocks).
 * Remainders of up to 15 blocks plus a partial block use AVX-512BW masked
 * loads and stores. gcmv_open() authenticates (GHASH over the ciphertext)
 * before it decrypts anything. Constant time: no tables, no branches on
 * secret data.
 *
 * gcmv_seal() keeps everything in registers (no context in memory): the
 * final partial block is GHASHed zero padded in the tail and the length
 * block joins the tail's aggregated multiply. The ciphertext of one
 * 16-block group is GHASHed between the AES rounds of the next.
 *
 * Measured (tests/bench/gcmv_bench.c; AMD EPYC Zen 4 VM at 2.6 GHz,
 * process CPU time, best of three; one-shot, 8-byte AAD; EVP as esp.c
 * uses it, re-initialised per packet with the nonce only), ns/packet:
 *
 *                 AES-128                         AES-256
 *   bytes    seal (EVP)        open (EVP)        seal (EVP)        open (EVP)
 *      64     55 (196) 3.6x    48 (195) 4.0x     64 (204) 3.2x     57 (194) 3.4x
 *     576     98 (295) 3.0x    99 (292) 3.0x    117 (310) 2.7x    116 (303) 2.6x
 *    1424    168 (477) 2.8x   179 (470) 2.6x    195 (508) 2.6x    206 (497) 2.4x
 *    8960    775 (1998) 2.6x  900 (1995) 2.2x   890 (2144) 2.4x  1057 (2125) 2.0x
 *
 * i.e. 8.5 GB/s sealing 1424-byte packets with AES-128 (EVP 3.0 GB/s),
 * 11.6 GB/s at 8960. Opening costs a second pass (GHASH first, then
 * decryption) for the guarantee below; it shows at 8960 bytes. Other
 * load on the shared test machine moves single figures by up to 20 %.
 *
 * Everything here needs gcmv_supported(); callers keep their EVP path
 * otherwise. Key material (struct gcmv_key, and struct gcmv_ctx, which
 * holds a keystream block) is secret: wipe it (gcmv_key_wipe(),
 * explicit_bzero()).
 */
#ifndef CAIRN_DP_GCMV_H
#define CAIRN_DP_GCMV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aesmb.h"

/*
 * Expanded key: the AES encryption schedule, once as it is and once with
 * every round key repeated four times (a 512-bit VAESENC operand, read
 * from here so that no copy of the round keys lands on the stack), and
 * the powers of H, each in the byte-reflected "Montgomery" form the GHASH
 * code multiplies with (hp[16 - i] is H^i; hk the XORs of their halves
 * that Karatsuba multiplication uses). The type is 64-byte aligned: use
 * static or stack storage, aligned_alloc(64, ...) or a struct so
 * allocated; plain malloc() gives 16 (the code only makes unaligned
 * accesses, so that would not fault, but UBSan reports it). 1728 bytes.
 */
struct gcmv_key {
	_Alignas(64) uint8_t rk4[15][4][16];
	_Alignas(64) uint8_t hp[16][16];
	_Alignas(64) uint8_t hk[16][16]; /* Karatsuba: hp[i]'s two halves XORed, twice */
	struct aesmb_key aes;
};

/*
 * One message in progress, on the caller's stack (112 bytes): counter,
 * GHASH accumulator, the carried partial keystream block and byte counts.
 * Borrows the key: the key must outlive it.
 */
struct gcmv_ctx {
	_Alignas(16) uint8_t acc[16]; /* GHASH state, byte-reflected */
	uint8_t ekj0[16];             /* E(K, J0), XORed into the tag */
	uint8_t ks[16];               /* keystream of the partial block */
	uint8_t cb[16];               /* its ciphertext so far, zero padded */
	uint8_t nonce[12];
	uint32_t ctr;  /* next counter value (inc32 of J0 = 2 at first) */
	unsigned pos;  /* bytes of ks used: 0 = no partial block */
	uint64_t alen; /* AAD bytes */
	uint64_t clen; /* ciphertext bytes so far */
	const struct gcmv_key *k;
};

/* True if the CPU (and OS) have AES-NI, PCLMULQDQ, VAES, VPCLMULQDQ and
 * AVX-512F/BW/VL, checked once, and gcmv_use() has not turned it off. */
bool gcmv_supported(void);

/* Tests: force gcmv off, or on again (only if the CPU has it), so that
 * callers' EVP and gcmv paths can both be tested. Returns the previous
 * state. Off, gcmv_supported() is false and gcmv_key_init() -ENOTSUP. */
bool gcmv_use(bool on);

/* 0; -EINVAL unless len is 16 or 32; -ENOTSUP without gcmv_supported(). */
int gcmv_key_init(struct gcmv_key *k, const uint8_t *key, size_t len);
void gcmv_key_wipe(struct gcmv_key *k);

/*
 * Streaming: init with the 12-byte nonce (J0 = nonce || 0x00000001) and
 * the whole AAD, then any number of encrypt (or decrypt) calls of any
 * lengths, then gcmv_tag() or gcmv_tag_ok(). src == dst (in place) or
 * disjoint; no alignment needed. A message is either encrypted or
 * decrypted, not both. The AAD is cheapest at 16 bytes or less (ESP's 8
 * or 12).
 */
void gcmv_init(struct gcmv_ctx *c, const struct gcmv_key *k, const uint8_t nonce[12],
    const uint8_t *aad, size_t aadlen);
void gcmv_encrypt(struct gcmv_ctx *c, const uint8_t *src, uint8_t *dst, size_t n);
void gcmv_decrypt(struct gcmv_ctx *c, const uint8_t *src, uint8_t *dst, size_t n);
/* The 16-byte tag; ends the message. Wipes the context's keystream. */
void gcmv_tag(struct gcmv_ctx *c, uint8_t tag[16]);
/* Whether the first taglen (1..16) bytes of the tag equal `tag`, in
 * constant time; false for other taglen. Ends the message like gcmv_tag(). */
bool gcmv_tag_ok(struct gcmv_ctx *c, const uint8_t *tag, size_t taglen);

/*
 * One-shot, the ESP hot path. src == dst or disjoint. For RFC 4106 the
 * nonce is the 4-byte salt followed by the packet's 8-byte IV, the AAD
 * SPI || sequence number (8 bytes) or SPI || ESN high || low (12). At
 * most 2^36 - 32 bytes per message (SP 800-38D 5.2.1.1), not checked.
 */
void gcmv_seal(const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
    const uint8_t *src, uint8_t *dst, size_t n, uint8_t tag[16]);
/*
 * 0, or -EBADMSG if the 16-byte tag does not match. The tag is checked
 * (GHASH over src) before anything is decrypted: on -EBADMSG dst is not
 * written at all (in place, it still holds the ciphertext).
 */
int gcmv_open(const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
    const uint8_t *src, uint8_t *dst, size_t n, const uint8_t tag[16]);

#endif
