/* SPDX-License-Identifier: MIT */
/*
 * shamb: SHA-256 compression (FIPS 180-4 6.2.2) with the SHA extensions,
 * written from FIPS 180-4 and Intel's "Intel SHA Extensions" paper:
 *  - SHA256RNDS2 does two rounds on the state split as {A,B,E,F} and
 *    {C,D,G,H} (dword 3 down to 0) with W[t]+K[t] of both rounds in the
 *    low half of its third operand; after two rounds the new {C,D,G,H} is
 *    the old {A,B,E,F}, so the two registers swap roles every call;
 *  - SHA256MSG1 / SHA256MSG2 compute the message schedule four words at a
 *    time: W[t..t+3] = MSG2(MSG1(W[t-16..t-13], W[t-12..t-9]) +
 *    W[t-7..t-4], W[t-4..t-1]).
 * Every statement of a lane is a macro, used once per lane, so that the
 * multi-lane versions interleave the lanes instruction by instruction.
 *
 * Measured on the AMD EPYC (Zen 4) of the test machine: SHA256RNDS2 has
 * a latency of about 4 cycles and issues once a cycle, SHA256MSG2 about
 * once every 2 cycles on (apparently) the same unit. One lane is
 * latency-bound (36 ns per block), two lanes 18.8 ns, three 18.0 ns,
 * four 17.4 ns: from two lanes on the unit itself is nearly saturated
 * (32 RNDS2 + 12 MSG2 per block) and four lanes also spill registers.
 * The lanes are therefore built twice, the second time for AVX-512VL
 * (32 XMM registers): three lanes 15.5 ns, four 15.2 ns. RNDS2 alone
 * would allow 8.8 ns, but moving the schedule off the unit does not pay:
 * computing MSG2's sigma1 with AVX-512 rotates instead was slower in every
 * lane mix tried (they share the vector pipes; docs/dataplane.md 10.3).
 */
#include <immintrin.h>

#include "cpufeat.h"
#include "shamb.h"

#define SHAMB_TARGET  __attribute__((target("sha,sse4.1,ssse3")))
#define SHAMB_TARGETV __attribute__((target("sha,sse4.1,ssse3,avx512f,avx512vl")))

bool
shamb_supported(void)
{
	return cpufeat_has(CPUF_SHA | CPUF_SSE41 | CPUF_SSSE3);
}

/* FIPS 180-4 4.2.2 */
static const uint32_t K256[64] __attribute__((aligned(16))) = {
	0x428a2f98,
	0x71374491,
	0xb5c0fbcf,
	0xe9b5dba5,
	0x3956c25b,
	0x59f111f1,
	0x923f82a4,
	0xab1c5ed5,
	0xd807aa98,
	0x12835b01,
	0x243185be,
	0x550c7dc3,
	0x72be5d74,
	0x80deb1fe,
	0x9bdc06a7,
	0xc19bf174,
	0xe49b69c1,
	0xefbe4786,
	0x0fc19dc6,
	0x240ca1cc,
	0x2de92c6f,
	0x4a7484aa,
	0x5cb0a9dc,
	0x76f988da,
	0x983e5152,
	0xa831c66d,
	0xb00327c8,
	0xbf597fc7,
	0xc6e00bf3,
	0xd5a79147,
	0x06ca6351,
	0x14292967,
	0x27b70a85,
	0x2e1b2138,
	0x4d2c6dfc,
	0x53380d13,
	0x650a7354,
	0x766a0abb,
	0x81c2c92e,
	0x92722c85,
	0xa2bfe8a1,
	0xa81a664b,
	0xc24b8b70,
	0xc76c51a3,
	0xd192e819,
	0xd6990624,
	0xf40e3585,
	0x106aa070,
	0x19a4c116,
	0x1e376c08,
	0x2748774c,
	0x34b0bcb5,
	0x391c0cb3,
	0x4ed8aa4a,
	0x5b9cca4f,
	0x682e6ff3,
	0x748f82ee,
	0x78a5636f,
	0x84c87814,
	0x8cc70208,
	0x90befffa,
	0xa4506ceb,
	0xbef9a3f7,
	0xc67178f2,
};

/* h[0..7] (H0..H7) -> {A,B,E,F} in s0, {C,D,G,H} in s1 */
#define ST_LOAD(x, h)                                                                              \
	do {                                                                                       \
		__m128i t_ = _mm_shuffle_epi32(                                                    \
		    _mm_loadu_si128((const __m128i *)(const void *)(h)), 0xb1); /* B A D C */      \
		__m128i u_ =                                                                       \
		    _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)((h) + 4)),   \
		        0x1b); /* H G F E */                                                       \
		x##s0 = _mm_alignr_epi8(t_, u_, 8);                                                \
		x##s1 = _mm_blend_epi16(u_, t_, 0xf0);                                             \
	} while (0)

#define ST_STORE(x, h)                                                                             \
	do {                                                                                       \
		__m128i t_ = _mm_shuffle_epi32(x##s0, 0x1b); /* A B E F */                         \
		__m128i u_ = _mm_shuffle_epi32(x##s1, 0xb1); /* G H C D */                         \
		_mm_storeu_si128((__m128i *)(void *)(h), _mm_blend_epi16(t_, u_, 0xf0));           \
		_mm_storeu_si128((__m128i *)(void *)((h) + 4), _mm_alignr_epi8(u_, t_, 8));        \
	} while (0)

/* words 4g..4g+3 of block p, big-endian */
#define MSG_LOAD(x, g, p)                                                                          \
	x##m##g = _mm_shuffle_epi8(                                                                \
	    _mm_loadu_si128((const __m128i *)(const void *)((p) + 16 * (g))), bswap)

/* W[t..t+3] into m_a, t = 4 * group; m_a holds W[t-16..], m_b W[t-12..],
 * m_c W[t-8..], m_d W[t-4..] */
#define MSG_NEXT(x, a, b, c, d)                                                                    \
	x##m##a = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(x##m##a, x##m##b),       \
	                                   _mm_alignr_epi8(x##m##d, x##m##c, 4)),                  \
	    x##m##d)

/* four rounds 4g..4g+3 with the schedule words in m */
#define ROUNDS4(x, g, m)                                                                           \
	do {                                                                                       \
		__m128i wk_ = _mm_add_epi32(                                                       \
		    x##m, _mm_load_si128((const __m128i *)(const void *)&K256[4 * (g)]));          \
		x##s1 = _mm_sha256rnds2_epu32(x##s1, x##s0, wk_);                                  \
		x##s0 = _mm_sha256rnds2_epu32(x##s0, x##s1, _mm_shuffle_epi32(wk_, 0x0e));         \
	} while (0)

/* One 64-byte block of p for each listed lane (LANES(X) applies X to each). */
#define BLOCK(LANES)                                                                               \
	do {                                                                                       \
		LANES(SAVE);                                                                       \
		LANES(LOAD0);                                                                      \
		LANES(R0);                                                                         \
		LANES(LOAD1);                                                                      \
		LANES(R1);                                                                         \
		LANES(LOAD2);                                                                      \
		LANES(R2);                                                                         \
		LANES(LOAD3);                                                                      \
		LANES(R3);                                                                         \
		LANES(G4);                                                                         \
		LANES(G5);                                                                         \
		LANES(G6);                                                                         \
		LANES(G7);                                                                         \
		LANES(G8);                                                                         \
		LANES(G9);                                                                         \
		LANES(G10);                                                                        \
		LANES(G11);                                                                        \
		LANES(G12);                                                                        \
		LANES(G13);                                                                        \
		LANES(G14);                                                                        \
		LANES(G15);                                                                        \
		LANES(ADD);                                                                        \
	} while (0)

#define SAVE(x)  x##abef = x##s0, x##cdgh = x##s1
#define LOAD0(x) MSG_LOAD(x, 0, x##p)
#define LOAD1(x) MSG_LOAD(x, 1, x##p)
#define LOAD2(x) MSG_LOAD(x, 2, x##p)
#define LOAD3(x) MSG_LOAD(x, 3, x##p)
#define R0(x)    ROUNDS4(x, 0, m0)
#define R1(x)    ROUNDS4(x, 1, m1)
#define R2(x)    ROUNDS4(x, 2, m2)
#define R3(x)    ROUNDS4(x, 3, m3)
/* group g >= 4: new words into m[g % 4], then its rounds */
#define GN(x, g, a, b, c, d)                                                                       \
	do {                                                                                       \
		MSG_NEXT(x, a, b, c, d);                                                           \
		ROUNDS4(x, g, m##a);                                                               \
	} while (0)
#define G4(x)  GN(x, 4, 0, 1, 2, 3)
#define G5(x)  GN(x, 5, 1, 2, 3, 0)
#define G6(x)  GN(x, 6, 2, 3, 0, 1)
#define G7(x)  GN(x, 7, 3, 0, 1, 2)
#define G8(x)  GN(x, 8, 0, 1, 2, 3)
#define G9(x)  GN(x, 9, 1, 2, 3, 0)
#define G10(x) GN(x, 10, 2, 3, 0, 1)
#define G11(x) GN(x, 11, 3, 0, 1, 2)
#define G12(x) GN(x, 12, 0, 1, 2, 3)
#define G13(x) GN(x, 13, 1, 2, 3, 0)
#define G14(x) GN(x, 14, 2, 3, 0, 1)
#define G15(x) GN(x, 15, 3, 0, 1, 2)
#define ADD(x)                                                                                     \
	do {                                                                                       \
		x##s0 = _mm_add_epi32(x##s0, x##abef);                                             \
		x##s1 = _mm_add_epi32(x##s1, x##cdgh);                                             \
		x##p += 64;                                                                        \
	} while (0)

#define LANE_VARS(x) __m128i x##s0, x##s1, x##abef, x##cdgh, x##m0, x##m1, x##m2, x##m3

#define ONE_LANE(X) X(a_)
#define TWO_LANES(X)                                                                               \
	X(a_);                                                                                     \
	X(b_)
#define THREE_LANES(X)                                                                             \
	X(a_);                                                                                     \
	X(b_);                                                                                     \
	X(c_)
#define FOUR_LANES(X)                                                                              \
	X(a_);                                                                                     \
	X(b_);                                                                                     \
	X(c_);                                                                                     \
	X(d_)

#define LOAD_H(x, i)  ST_LOAD(x, h[i])
#define STORE_H(x, i) ST_STORE(x, h[i])

/*
 * The k-lane compression (k = 1..4) as function `name` compiled for
 * `target`: with AVX-512VL the compiler has 32 XMM registers and
 * three-operand (EVEX) forms, which for four lanes saves the spills and
 * copies (Zen 4: 17.2 -> 15.2 ns per block and lane); the SHA
 * instructions themselves stay the same.
 */
#define LANE_P(x, i) const uint8_t *x##p = p[i]

#define DEFINE_LANES(name, target, LANES)                                                          \
	target static void name(uint32_t *const h[], const uint8_t *const p[], size_t nblk)        \
	{                                                                                          \
		const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);  \
		LANES##_IDX(LANE_P);                                                               \
		LANES(LANE_VARS);                                                                  \
                                                                                                   \
		LANES##_IDX(LOAD_H);                                                               \
		while (nblk-- > 0)                                                                 \
			BLOCK(LANES);                                                              \
		LANES##_IDX(STORE_H);                                                              \
	}

#define ONE_LANE_IDX(X) X(a_, 0)
#define TWO_LANES_IDX(X)                                                                           \
	X(a_, 0);                                                                                  \
	X(b_, 1)
#define THREE_LANES_IDX(X)                                                                         \
	X(a_, 0);                                                                                  \
	X(b_, 1);                                                                                  \
	X(c_, 2)
#define FOUR_LANES_IDX(X)                                                                          \
	X(a_, 0);                                                                                  \
	X(b_, 1);                                                                                  \
	X(c_, 2);                                                                                  \
	X(d_, 3)

DEFINE_LANES(x1_sse, SHAMB_TARGET, ONE_LANE)
DEFINE_LANES(x2_sse, SHAMB_TARGET, TWO_LANES)
DEFINE_LANES(x3_sse, SHAMB_TARGET, THREE_LANES)
DEFINE_LANES(x4_sse, SHAMB_TARGET, FOUR_LANES)
DEFINE_LANES(x1_evex, SHAMB_TARGETV, ONE_LANE)
DEFINE_LANES(x2_evex, SHAMB_TARGETV, TWO_LANES)
DEFINE_LANES(x3_evex, SHAMB_TARGETV, THREE_LANES)
DEFINE_LANES(x4_evex, SHAMB_TARGETV, FOUR_LANES)

typedef void lanes_fn(uint32_t *const h[], const uint8_t *const p[], size_t nblk);

static struct cpufeat_path evex_path = CPUFEAT_PATH(CPUF_AVX512F | CPUF_AVX512VL);

static lanes_fn *
lanes(unsigned k)
{
	static lanes_fn *const sse[4] = { x1_sse, x2_sse, x3_sse, x4_sse };
	static lanes_fn *const evex[4] = { x1_evex, x2_evex, x3_evex, x4_evex };

	return cpufeat_path_on(&evex_path) ? evex[k - 1] : sse[k - 1];
}

bool
shamb_use_evex(bool on)
{
	return cpufeat_path_set(&evex_path, on);
}

void
shamb_sha256_x1(uint32_t h[8], const uint8_t *p, size_t nblk)
{
	uint32_t *hv[1] = { h };
	const uint8_t *pv[1] = { p };

	lanes(1)(hv, pv, nblk);
}

void
shamb_sha256_x2(uint32_t ha[8], const uint8_t *pa, uint32_t hb[8], const uint8_t *pb, size_t nblk)
{
	uint32_t *hv[2] = { ha, hb };
	const uint8_t *pv[2] = { pa, pb };

	lanes(2)(hv, pv, nblk);
}

void
shamb_sha256_x3(uint32_t *const h[3], const uint8_t *const p[3], size_t nblk)
{
	lanes(3)(h, p, nblk);
}

void
shamb_sha256_x4(uint32_t *const h[4], const uint8_t *const p[4], size_t nblk)
{
	lanes(4)(h, p, nblk);
}
