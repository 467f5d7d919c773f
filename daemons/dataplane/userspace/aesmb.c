/* SPDX-License-Identifier: MIT */
/*
 * aesmb: multi-buffer AES-CBC encryption with AES-NI (see aesmb.h).
 *
 * Written from FIPS-197 (the cipher and its key expansion, 5.1 and 5.2)
 * and Intel's "Advanced Encryption Standard (AES) New Instructions Set"
 * white paper (AESENC/AESENCLAST per round, AESKEYGENASSIST for
 * SubWord/RotWord/Rcon in the key expansion).
 *
 * The work loop keeps k lanes (k <= AESMB_LANES), each one packet's CBC
 * chain. All lanes advance by the shortest lane's remaining block count,
 * round by round across lanes, so that k independent AESENC are in flight
 * instead of one; then finished lanes are refilled from the job list. The
 * lane loop is specialised for every (k, rounds) pair so that the states
 * stay in registers.
 */
#include <errno.h>
#include <string.h>

#include <wmmintrin.h>

#include "aesmb.h"

#define AESMB_TARGET __attribute__((target("aes,sse2")))

bool
aesmb_supported(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
}

/*
 * FIPS-197 5.2, four words at a time: w[i..i+3] from w[i-4..i-1] (k) and
 * temp broadcast to all four words (t). Word j of the result is
 * t ^ k0 ^ ... ^ kj: a prefix XOR by three shifted copies.
 */
AESMB_TARGET static inline __m128i
kx_step(__m128i k, __m128i t)
{
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, t);
}

/* AESKEYGENASSIST's word 3 is RotWord(SubWord(X3)) ^ Rcon, word 2 SubWord(X3). */
#define KX_ROT(prev, rc) _mm_shuffle_epi32(_mm_aeskeygenassist_si128((prev), (rc)), 0xff)
#define KX_SUB(prev)     _mm_shuffle_epi32(_mm_aeskeygenassist_si128((prev), 0), 0xaa)

AESMB_TARGET static void
expand128(__m128i *rk, const uint8_t *key)
{
	rk[0] = _mm_loadu_si128((const __m128i *)(const void *)key);
	rk[1] = kx_step(rk[0], KX_ROT(rk[0], 0x01));
	rk[2] = kx_step(rk[1], KX_ROT(rk[1], 0x02));
	rk[3] = kx_step(rk[2], KX_ROT(rk[2], 0x04));
	rk[4] = kx_step(rk[3], KX_ROT(rk[3], 0x08));
	rk[5] = kx_step(rk[4], KX_ROT(rk[4], 0x10));
	rk[6] = kx_step(rk[5], KX_ROT(rk[5], 0x20));
	rk[7] = kx_step(rk[6], KX_ROT(rk[6], 0x40));
	rk[8] = kx_step(rk[7], KX_ROT(rk[7], 0x80));
	rk[9] = kx_step(rk[8], KX_ROT(rk[8], 0x1b));
	rk[10] = kx_step(rk[9], KX_ROT(rk[9], 0x36));
}

/* Nk = 8: every 8 words RotWord+SubWord+Rcon, at word 4 of 8 SubWord alone. */
AESMB_TARGET static void
expand256(__m128i *rk, const uint8_t *key)
{
	rk[0] = _mm_loadu_si128((const __m128i *)(const void *)key);
	rk[1] = _mm_loadu_si128((const __m128i *)(const void *)(key + 16));
	rk[2] = kx_step(rk[0], KX_ROT(rk[1], 0x01));
	rk[3] = kx_step(rk[1], KX_SUB(rk[2]));
	rk[4] = kx_step(rk[2], KX_ROT(rk[3], 0x02));
	rk[5] = kx_step(rk[3], KX_SUB(rk[4]));
	rk[6] = kx_step(rk[4], KX_ROT(rk[5], 0x04));
	rk[7] = kx_step(rk[5], KX_SUB(rk[6]));
	rk[8] = kx_step(rk[6], KX_ROT(rk[7], 0x08));
	rk[9] = kx_step(rk[7], KX_SUB(rk[8]));
	rk[10] = kx_step(rk[8], KX_ROT(rk[9], 0x10));
	rk[11] = kx_step(rk[9], KX_SUB(rk[10]));
	rk[12] = kx_step(rk[10], KX_ROT(rk[11], 0x20));
	rk[13] = kx_step(rk[11], KX_SUB(rk[12]));
	rk[14] = kx_step(rk[12], KX_ROT(rk[13], 0x40));
}

int
aesmb_key_init(struct aesmb_key *k, const uint8_t *key, size_t len)
{
	__m128i rk[15];

	if (len != 16 && len != 32)
		return -EINVAL;
	if (!aesmb_supported())
		return -ENOTSUP;
	memset(k, 0, sizeof(*k));
	if (len == 16) {
		expand128(rk, key);
		k->rounds = 10;
	} else {
		expand256(rk, key);
		k->rounds = 14;
	}
	memcpy(k->rk, rk, (k->rounds + 1) * 16);
	explicit_bzero(rk, sizeof(rk));
	return 0;
}

void
aesmb_key_wipe(struct aesmb_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

struct lane {
	const __m128i *rk;
	uint8_t *p;
	size_t left;
	__m128i st; /* the previous ciphertext block (the IV at first) */
};

/*
 * m blocks on each of the k lanes. k and nr are constants at every call
 * site (always inlined into the dispatch switch): the lanes' states are
 * separate variables, the per-lane statements are unrolled by hand and the
 * ones of lanes >= k vanish, so the states stay in registers (an array of
 * states is kept in memory by GCC, and the store-to-load forwarding then
 * sits in every lane's dependency chain).
 */
#define EACH_LANE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

AESMB_TARGET static inline __attribute__((always_inline)) void
lanes_run(struct lane *ln, const unsigned k, const unsigned nr, size_t m)
{
	__m128i s0 = _mm_setzero_si128(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
	        s7 = s0;
	const __m128i *rk[AESMB_LANES];
	uint8_t *p[AESMB_LANES];
	unsigned r;

#define LANE_LOAD(i)                                                                               \
	if (i < k) {                                                                               \
		s##i = ln[i].st;                                                                   \
		rk[i] = ln[i].rk;                                                                  \
		p[i] = ln[i].p;                                                                    \
	}
#define LANE_FIRST(i)                                                                              \
	if (i < k)                                                                                 \
		s##i = _mm_xor_si128(                                                              \
		    s##i, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(void *)p[i]),            \
		              _mm_load_si128(&rk[i][0])));
#define LANE_ROUND(i)                                                                              \
	if (i < k)                                                                                 \
		s##i = _mm_aesenc_si128(s##i, _mm_load_si128(&rk[i][r]));
#define LANE_LAST(i)                                                                               \
	if (i < k) {                                                                               \
		s##i = _mm_aesenclast_si128(s##i, _mm_load_si128(&rk[i][nr]));                     \
		_mm_storeu_si128((__m128i *)(void *)p[i], s##i);                                   \
		p[i] += 16;                                                                        \
	}
#define LANE_SAVE(i)                                                                               \
	if (i < k) {                                                                               \
		ln[i].st = s##i;                                                                   \
		ln[i].p = p[i];                                                                    \
	}

	EACH_LANE(LANE_LOAD)
	while (m-- > 0) {
		EACH_LANE(LANE_FIRST)
		for (r = 1; r < nr; r++) {
			EACH_LANE(LANE_ROUND)
		}
		EACH_LANE(LANE_LAST)
	}
	EACH_LANE(LANE_SAVE)
#undef LANE_LOAD
#undef LANE_FIRST
#undef LANE_ROUND
#undef LANE_LAST
#undef LANE_SAVE
}

#define LANES_CASE(k)                                                                              \
	case k:                                                                                    \
		if (nr == 10)                                                                      \
			lanes_run(ln, k, 10, m);                                                   \
		else                                                                               \
			lanes_run(ln, k, 14, m);                                                   \
		break

AESMB_TARGET static void
lanes_dispatch(struct lane *ln, unsigned k, unsigned nr, size_t m)
{
	switch (k) {
		LANES_CASE(1);
		LANES_CASE(2);
		LANES_CASE(3);
		LANES_CASE(4);
		LANES_CASE(5);
		LANES_CASE(6);
		LANES_CASE(7);
		LANES_CASE(8);
	}
}

_Static_assert(AESMB_LANES == 8, "lanes_dispatch() has one case per lane count");

/* The jobs whose key has nr rounds. */
AESMB_TARGET static void
cbc_pass(const struct aesmb_job *jobs, size_t n, unsigned nr)
{
	struct lane ln[AESMB_LANES];
	size_t next = 0, m;
	unsigned k = 0, l, j;

	for (;;) {
		while (k < AESMB_LANES && next < n) {
			const struct aesmb_job *jb = &jobs[next++];

			if (jb->key->rounds != nr || jb->nblk == 0)
				continue;
			ln[k].rk = (const __m128i *)(const void *)jb->key->rk;
			ln[k].p = jb->buf;
			ln[k].left = jb->nblk;
			ln[k].st = _mm_loadu_si128((const __m128i *)(const void *)jb->iv);
			k++;
		}
		if (k == 0)
			return;
		m = ln[0].left;
		for (l = 1; l < k; l++)
			if (ln[l].left < m)
				m = ln[l].left;
		lanes_dispatch(ln, k, nr, m);
		for (l = 0, j = 0; l < k; l++) {
			ln[l].left -= m;
			if (ln[l].left > 0)
				ln[j++] = ln[l];
		}
		k = j;
	}
}

AESMB_TARGET void
aesmb_cbc_encrypt(const struct aesmb_job *jobs, size_t n)
{
	cbc_pass(jobs, n, 10);
	cbc_pass(jobs, n, 14);
}
