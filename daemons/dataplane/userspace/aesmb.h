/* SPDX-License-Identifier: MIT */
/*
 * aesmb: multi-buffer AES-CBC encryption with AES-NI, and CBC decryption
 * with its blocks in parallel (AES-NI, or VAES with AVX-512).
 *
 * CBC encryption is serial inside one message (each block waits for the
 * previous ciphertext block), so one packet keeps the AES unit busy only
 * one round in its latency. Packets are independent, though: this module
 * encrypts up to AESMB_LANES packets' CBC chains interleaved, round by
 * round, and refills a lane from the job list as soon as its packet ends.
 * Jobs may use different keys and key sizes (128/256).
 *
 * Key expansion follows FIPS-197 5.2, computed with AESKEYGENASSIST as
 * described in Intel's AES-NI white paper. Key schedules are secrets:
 * aesmb_key_wipe() before freeing them.
 *
 * Everything here is only usable when aesmb_supported() (the CPU has
 * AES-NI); callers keep their OpenSSL path otherwise.
 */
#ifndef CAIRN_DP_AESMB_H
#define CAIRN_DP_AESMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AESMB_LANES 8

struct aesmb_key {
	_Alignas(16) uint8_t rk[15][16]; /* encryption round keys 0..rounds */
	unsigned rounds;                 /* 10 (AES-128) or 14 (AES-256) */
};

/* One CBC encryption in place: nblk 16-byte blocks at buf, IV iv. */
struct aesmb_job {
	const struct aesmb_key *key;
	const uint8_t *iv;
	uint8_t *buf;
	size_t nblk;
};

/* True if the CPU has AES-NI (checked once). */
bool aesmb_supported(void);

/* Expands a 16- or 32-byte key. -EINVAL for other lengths, -ENOTSUP
 * without AES-NI. */
int aesmb_key_init(struct aesmb_key *k, const uint8_t *key, size_t len);
void aesmb_key_wipe(struct aesmb_key *k);

/* Encrypts every job (CBC, no padding), AESMB_LANES chains at a time, or
 * 16 (four per 512-bit register) with VAES and AVX-512 where the CPU has
 * them. The jobs' buffers must not overlap. Requires aesmb_supported(). */
void aesmb_cbc_encrypt(const struct aesmb_job *jobs, size_t n);

/*
 * CBC decryption of one message in place (nblk 16-byte blocks at buf, IV
 * iv, which must not lie inside buf), its blocks in parallel: 16 at a
 * time with VAES and AVX-512 where the CPU has them, else 8 with AES-NI.
 * k must have been turned into a decryption schedule with
 * aesmb_key_to_decrypt() (FIPS-197 5.3.5). Requires aesmb_supported().
 */
void aesmb_key_to_decrypt(struct aesmb_key *k);
void aesmb_cbc_decrypt(const struct aesmb_key *k, const uint8_t *iv, uint8_t *buf, size_t nblk);
/* Tests: use (true, if the CPU has it) or avoid the VAES path; returns
 * whether it was in use. */
bool aesmb_use_vaes(bool on);

#endif
