/* SPDX-License-Identifier: MIT */
/*
 * shamb: SHA-256 compression with the SHA extensions (SHA-NI), one message
 * or two, three or four interleaved.
 *
 * SHA256RNDS2 has a latency of several cycles but accepts a new pair of
 * rounds more often; one message leaves it mostly waiting, two or more
 * independent messages (several packets' HMACs) fill it. Used by esp.c for
 * HMAC-SHA-256 of batches; states come from and stay in the FIPS 180-4
 * word order (h[0] = H0).
 */
#ifndef CAIRN_DP_SHAMB_H
#define CAIRN_DP_SHAMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if the CPU has the SHA extensions and SSE4.1 (checked each call). */
bool shamb_supported(void);

/* Compresses nblk 64-byte blocks of p into h. Requires shamb_supported(). */
void shamb_sha256_x1(uint32_t h[8], const uint8_t *p, size_t nblk);
/* Two independent messages, nblk blocks each, interleaved. */
void shamb_sha256_x2(
    uint32_t ha[8], const uint8_t *pa, uint32_t hb[8], const uint8_t *pb, size_t nblk);

/* Three or four independent messages, nblk blocks each (h[i] and p[i]). */
void shamb_sha256_x3(uint32_t *const h[3], const uint8_t *const p[3], size_t nblk);
void shamb_sha256_x4(uint32_t *const h[4], const uint8_t *const p[4], size_t nblk);

/* Tests: use (true, if the CPU has AVX-512VL) or avoid the build of the
 * above with 32 XMM registers; returns whether it was in use. */
bool shamb_use_evex(bool on);

#endif
