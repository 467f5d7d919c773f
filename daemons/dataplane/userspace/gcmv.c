/* SPDX-License-Identifier: MIT */
/*
 * gcmv: AES-GCM with VAES and VPCLMULQDQ (see gcmv.h).
 *
 * Written from NIST SP 800-38D (GCTR with inc32, GHASH, the length block,
 * J0 = IV || 0^31 || 1 for a 96-bit IV) and the ideas of Intel's "Carry-Less
 * Multiplication Instruction and its Usage for Computing the GCM Mode"
 * white paper (byte-reflected operands, aggregated reduction).
 *
 * GHASH representation. GCM numbers a block's bits from the most
 * significant bit of byte 0 (x^0) to the least significant bit of byte 15
 * (x^127). Byte-reversing the block (one PSHUFB) gives a 128-bit integer
 * whose bit 127 - i is the coefficient of x^i. Read as a polynomial in y
 * (bit j = y^j), that integer is y^127 * A(1/y); the map x -> 1/y takes
 * GF(2)[x]/P, P = x^128 + x^7 + x^2 + x + 1, to GF(2)[y]/Q with
 * Q = y^128 P(1/y) = y^128 + y^127 + y^126 + y^121 + 1. Carry-less
 * multiplication of two such integers multiplies the polynomials in y; a
 * Montgomery reduction (times y^-128 mod Q) keeps the form if one operand
 * carries an extra factor y^128: the key stores H^i as y^128 * Ĥ^i, which
 * is y times H^i's byte-reversed form (H "shifted left by one", folded
 * with Q's low 128 bits, the constant 0xc2000000...0001). The reduction
 * cancels the low 64 bits twice with multiples of Q: for the low qword m,
 * (v + m*Q) / y^64 = (v >> 64) + m*y^64 + m*(y^57 + y^62 + y^63), the
 * last term one PCLMULQDQ by 0xc200000000000000. Products are linear, so
 * the unreduced products of 16 blocks with H^16..H^1 are summed and
 * reduced once.
 *
 * Counters: each 512-bit register holds four counter blocks with the
 * 32-bit counter in dword 3 as a native (little-endian) integer; VPADDD
 * steps them (mod 2^32, inc32 exactly) and a PSHUFB makes them big-endian.
 */
#include <errno.h>
#include <string.h>

#include <immintrin.h>

#include "cpufeat.h"
#include "gcmv.h"

#define GCMV_TARGET                                                                                \
	__attribute__((target("aes,pclmul,sse2,ssse3,sse4.1,avx,avx2,avx512f,avx512bw,avx512vl,"   \
	                      "vaes,vpclmulqdq")))
#define GCMV_INLINE GCMV_TARGET static inline __attribute__((always_inline))

static struct cpufeat_path gcmv_path =
    CPUFEAT_PATH(CPUF_SSE2 | CPUF_SSSE3 | CPUF_SSE41 | CPUF_AES | CPUF_PCLMUL | CPUF_AVX2 |
                 CPUF_AVX512F | CPUF_AVX512BW | CPUF_AVX512VL | CPUF_VAES | CPUF_VPCLMULQDQ);

bool
gcmv_supported(void)
{
	return cpufeat_path_on(&gcmv_path);
}

bool
gcmv_use(bool on)
{
	return cpufeat_path_set(&gcmv_path, on);
}

/* ---- 128-bit helpers ---- */

#define LD128(p)    _mm_loadu_si128((const __m128i *)(const void *)(p))
#define ST128(p, x) _mm_storeu_si128((__m128i *)(void *)(p), (x))
#define HPOW(k, i)  _mm_loadu_si128((const __m128i *)(const void *)(k)->hp[16 - (i)])
#define BSWAP_MASK  _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
/* bytes 0..11 as they are (the nonce), dword 3 (the counter) byte-swapped */
#define CTRSWAP_MASK _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)

GCMV_INLINE __m128i
bswap128(__m128i x)
{
	return _mm_shuffle_epi8(x, BSWAP_MASK);
}

/* One AES block with the 128-bit instructions (E(K, J0), H). */
GCMV_INLINE __m128i
aes_block(const struct aesmb_key *k, __m128i x)
{
	unsigned r;

	x = _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)(const void *)k->rk[0]));
	for (r = 1; r < k->rounds; r++)
		x = _mm_aesenc_si128(x, _mm_loadu_si128((const __m128i *)(const void *)k->rk[r]));
	return _mm_aesenclast_si128(x, _mm_loadu_si128((const __m128i *)(const void *)k->rk[r]));
}

/* Montgomery reduction of the 256-bit product hi:lo (see the top). */
GCMV_INLINE __m128i
gf_reduce(__m128i lo, __m128i hi)
{
	const __m128i q = _mm_set_epi64x(0, (long long)0xc200000000000000ull);
	__m128i t;

	t = _mm_clmulepi64_si128(lo, q, 0x00);
	lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t);
	t = _mm_clmulepi64_si128(lo, q, 0x00);
	lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t);
	return _mm_xor_si128(lo, hi);
}

/* hi:lo ^= a * b, unreduced (schoolbook, four PCLMULQDQ). */
GCMV_INLINE void
gf_mul_acc(__m128i a, __m128i b, __m128i *lo, __m128i *hi)
{
	__m128i m =
	    _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));

	*lo = _mm_ternarylogic_epi64(
	    *lo, _mm_clmulepi64_si128(a, b, 0x00), _mm_slli_si128(m, 8), 0x96);
	*hi = _mm_ternarylogic_epi64(
	    *hi, _mm_clmulepi64_si128(a, b, 0x11), _mm_srli_si128(m, 8), 0x96);
}

GCMV_INLINE __m128i
gf_mul(__m128i a, __m128i b)
{
	__m128i lo = _mm_setzero_si128(), hi = lo;

	gf_mul_acc(a, b, &lo, &hi);
	return gf_reduce(lo, hi);
}

/* ---- 512-bit GHASH ---- */

#define BSWAP512 _mm512_broadcast_i32x4(BSWAP_MASK)

GCMV_INLINE __m128i
fold512(__m512i v)
{
	__m256i y = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));

	return _mm_xor_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
}

/* Karatsuba: each 128-bit lane's two halves XORed (in the low half) */
#define KARA(x) _mm512_xor_si512((x), _mm512_shuffle_epi32((x), _MM_PERM_BADC))

/* the 64-bit-element mask of the first `blocks` 128-bit lanes (0..4) */
GCMV_INLINE __mmask8
lanes_mask(size_t blocks)
{
	return (__mmask8)(blocks >= 4 ? 0xff : (1u << (2 * blocks)) - 1);
}

/* the byte mask of the first `bytes` bytes of a 64-byte register (0..64) */
GCMV_INLINE __mmask64
bytes_mask(size_t bytes)
{
	return bytes >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1;
}

/*
 * acc after GHASH of nblk (1..16) blocks, byte-reflected, four per
 * register in x0..x3 (lanes from block nblk on must be zero): acc is
 * added to block 0, block j is multiplied by H^(nblk - j), one reduction.
 * Products are linear, so acc's share, acc * H^nblk, is computed apart
 * with 128-bit PCLMULQDQ: the chain from one group's acc to the next is
 * then four multiplies and the reduction, not the folds of the 512-bit
 * sums as well (8960-byte AES-256 opens: 1060 instead of 1095 ns).
 */
GCMV_INLINE __m128i
ghash_regs(const struct gcmv_key *k, __m128i acc, __m512i x0, __m512i x1, __m512i x2, __m512i x3,
    size_t nblk)
{
	const uint8_t *h = k->hp[16 - nblk], *hm = k->hk[16 - nblk];
	__m512i lo, hi, mid, hk, hkm;
	__m128i l = _mm_setzero_si128(), u = l, L, U, M;

	hk = _mm512_maskz_loadu_epi64(lanes_mask(nblk), h);
	hkm = _mm512_maskz_loadu_epi64(lanes_mask(nblk), hm);
	lo = _mm512_clmulepi64_epi128(x0, hk, 0x00);
	hi = _mm512_clmulepi64_epi128(x0, hk, 0x11);
	mid = _mm512_clmulepi64_epi128(KARA(x0), hkm, 0x00);
#define GH_REG(j)                                                                                  \
	if (nblk > 4 * (j)) {                                                                      \
		hk = _mm512_maskz_loadu_epi64(lanes_mask(nblk - 4 * (j)), h + 64 * (j));           \
		hkm = _mm512_maskz_loadu_epi64(lanes_mask(nblk - 4 * (j)), hm + 64 * (j));         \
		lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(x##j, hk, 0x00));               \
		hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(x##j, hk, 0x11));               \
		mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(KARA(x##j), hkm, 0x00));      \
	}
	GH_REG(1)
	GH_REG(2)
	GH_REG(3)
#undef GH_REG
	gf_mul_acc(acc, _mm_loadu_si128((const __m128i *)(const void *)h), &l, &u);
	L = fold512(lo);
	U = fold512(hi);
	M = _mm_ternarylogic_epi64(fold512(mid), L, U, 0x96); /* Karatsuba's middle term */
	return gf_reduce(_mm_ternarylogic_epi64(L, _mm_slli_si128(M, 8), l, 0x96),
	    _mm_ternarylogic_epi64(U, _mm_srli_si128(M, 8), u, 0x96));
}

/*
 * Puts the byte-reflected length block `len` in block `at` (0..15) of
 * x0..x3, where the data (zero from there on) ends.
 */
GCMV_INLINE void
put_len(__m512i *x0, __m512i *x1, __m512i *x2, __m512i *x3, size_t at, __m128i len)
{
	const __mmask16 lm = (__mmask16)(0xfu << (4 * (at % 4)));

	*x0 = _mm512_mask_broadcast_i32x4(*x0, at / 4 == 0 ? lm : 0, len);
	*x1 = _mm512_mask_broadcast_i32x4(*x1, at / 4 == 1 ? lm : 0, len);
	*x2 = _mm512_mask_broadcast_i32x4(*x2, at / 4 == 2 ? lm : 0, len);
	*x3 = _mm512_mask_broadcast_i32x4(*x3, at / 4 == 3 ? lm : 0, len);
}

/*
 * acc after GHASH of n bytes at p, the last partial block zero padded,
 * and then, if withlen, of the length block len (byte-reflected), which
 * shares the last group's reduction.
 */
GCMV_INLINE __m128i
ghash_buf_nr(const struct gcmv_key *k, __m128i acc, const uint8_t *p, size_t n, const bool withlen,
    __m128i len)
{
	const __m512i bsw = BSWAP512;
	__m512i x0, x1, x2, x3;
	size_t nb;

	if (n <= 16) { /* ESP's AAD */
		__m128i x =
		    bswap128(_mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1), (const void *)p));
		__m128i lo = _mm_setzero_si128(), hi = lo;

		if (!withlen)
			return n > 0 ? gf_mul(_mm_xor_si128(acc, x), HPOW(k, 1)) : acc;
		if (n == 0)
			return gf_mul(_mm_xor_si128(acc, len), HPOW(k, 1));
		gf_mul_acc(_mm_xor_si128(acc, x), HPOW(k, 2), &lo, &hi);
		gf_mul_acc(len, HPOW(k, 1), &lo, &hi);
		return gf_reduce(lo, hi);
	}
	for (; n >= 256; p += 256, n -= 256) {
		x0 = _mm512_shuffle_epi8(_mm512_loadu_si512((const void *)p), bsw);
		x1 = _mm512_shuffle_epi8(_mm512_loadu_si512((const void *)(p + 64)), bsw);
		x2 = _mm512_shuffle_epi8(_mm512_loadu_si512((const void *)(p + 128)), bsw);
		x3 = _mm512_shuffle_epi8(_mm512_loadu_si512((const void *)(p + 192)), bsw);
		acc = ghash_regs(k, acc, x0, x1, x2, x3, 16);
	}
	nb = (n + 15) / 16;
	if (n > 0) {
#define GB_LOAD(j)                                                                                 \
	x##j = _mm512_shuffle_epi8(                                                                \
	    _mm512_maskz_loadu_epi8(                                                               \
	        bytes_mask(n > 64 * (j) ? n - 64 * (j) : 0), (const void *)(p + 64 * (j))),        \
	    bsw);
		GB_LOAD(0)
		GB_LOAD(1)
		GB_LOAD(2)
		GB_LOAD(3)
#undef GB_LOAD
		if (withlen && nb < 16) {
			put_len(&x0, &x1, &x2, &x3, nb, len);
			return ghash_regs(k, acc, x0, x1, x2, x3, nb + 1);
		}
		acc = ghash_regs(k, acc, x0, x1, x2, x3, nb);
	}
	if (withlen)
		acc = gf_mul(_mm_xor_si128(acc, len), HPOW(k, 1));
	return acc;
}

GCMV_TARGET static __m128i
ghash_buf(const struct gcmv_key *k, __m128i acc, const uint8_t *p, size_t n)
{
	return ghash_buf_nr(k, acc, p, n, false, _mm_setzero_si128());
}

/* ghash_buf() followed by the length block */
GCMV_TARGET static __m128i
ghash_buf_len(const struct gcmv_key *k, __m128i acc, const uint8_t *p, size_t n, __m128i len)
{
	return ghash_buf_nr(k, acc, p, n, true, len);
}

/* ---- key ---- */

GCMV_TARGET static void
key_powers(struct gcmv_key *k)
{
	__m128i h, carry, top, b;
	unsigned i;

	/* H = E(K, 0^128), byte-reflected, times y mod Q */
	h = bswap128(aes_block(&k->aes, _mm_setzero_si128()));
	carry = _mm_srli_epi64(h, 63);
	top = _mm_shuffle_epi32(_mm_srai_epi32(h, 31), 0xff); /* all ones if bit 127 */
	h = _mm_or_si128(_mm_slli_epi64(h, 1), _mm_slli_si128(carry, 8));
	h = _mm_xor_si128(
	    h, _mm_and_si128(top, _mm_set_epi64x((long long)0xc200000000000000ull, 1)));
	b = h;
	for (i = 1; i <= 16; i++) {
		if (i > 1)
			b = gf_mul(b, h);
		_mm_storeu_si128((__m128i *)(void *)k->hp[16 - i], b);
		_mm_storeu_si128(
		    (__m128i *)(void *)k->hk[16 - i], _mm_xor_si128(b, _mm_shuffle_epi32(b, 0x4e)));
	}
}

int
gcmv_key_init(struct gcmv_key *k, const uint8_t *key, size_t len)
{
	unsigned r, l;
	int rc;

	if (len != 16 && len != 32)
		return -EINVAL;
	if (!gcmv_supported())
		return -ENOTSUP;
	memset(k, 0, sizeof(*k));
	if ((rc = aesmb_key_init(&k->aes, key, len)) < 0)
		return rc;
	for (r = 0; r <= k->aes.rounds; r++)
		for (l = 0; l < 4; l++)
			memcpy(k->rk4[r][l], k->aes.rk[r], 16);
	key_powers(k);
	return 0;
}

void
gcmv_key_wipe(struct gcmv_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

/* ---- GCTR with GHASH ---- */

enum gmode {
	GM_ENC, /* GHASH the output */
	GM_DEC, /* GHASH the input */
	GM_CTR, /* no GHASH (gcmv_open()'s decryption after its check) */
};

/* the partial block's lane (block index l of four registers) */
GCMV_INLINE __m128i
lane_of(const __m512i *v, size_t l)
{
	const __m512i idx = _mm512_add_epi64(
	    _mm512_set_epi64(1, 0, 1, 0, 1, 0, 1, 0), _mm512_set1_epi64((long long)(2 * (l % 4))));

	return _mm512_castsi512_si128(_mm512_permutexvar_epi64(idx, v[l / 4]));
}

/*
 * The tail of a call: n (1..255) bytes, nreg = ceil(n / 64) registers of
 * counter blocks. Full blocks are GHASHed; a partial block's keystream
 * and text are carried in the context.
 */
GCMV_INLINE __m128i
crypt_tail(struct gcmv_ctx *c, const __m512i_u *rk, __m512i cle, __m128i acc, const uint8_t *src,
    uint8_t *dst, size_t n, const enum gmode mode, const unsigned nr, const unsigned nreg)
{
	const __m512i cshuf = _mm512_broadcast_i32x4(CTRSWAP_MASK), bsw = BSWAP512;
	const __m512i four = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
	__m512i s[4], in[4], g[4];
	size_t full = n / 16, j;
	unsigned r;

	for (j = 0; j < nreg; j++) {
		s[j] = _mm512_xor_si512(_mm512_shuffle_epi8(cle, cshuf), rk[0]);
		cle = _mm512_add_epi32(cle, four);
	}
	for (r = 1; r < nr; r++)
		for (j = 0; j < nreg; j++)
			s[j] = _mm512_aesenc_epi128(s[j], rk[r]);
	for (j = 0; j < 4; j++)
		g[j] = _mm512_setzero_si512();
	for (j = 0; j < nreg; j++) {
		__mmask64 m = bytes_mask(n - 64 * j);
		__m512i o;

		s[j] = _mm512_aesenclast_epi128(s[j], rk[nr]);
		in[j] = _mm512_maskz_loadu_epi8(m, (const void *)(src + 64 * j));
		o = _mm512_xor_si512(s[j], in[j]);
		_mm512_mask_storeu_epi8((void *)(dst + 64 * j), m, o);
		/* the text GHASH reads, zero past n */
		g[j] = mode == GM_ENC ? _mm512_maskz_mov_epi8(m, o) : in[j];
	}
	if (n % 16 != 0) {
		ST128(c->ks, lane_of(s, full));
		ST128(c->cb, lane_of(g, full));
		c->pos = n % 16;
	}
	if (mode != GM_CTR && full > 0) {
		for (j = 0; j < nreg; j++)
			g[j] = _mm512_shuffle_epi8(
			    _mm512_maskz_mov_epi8(
			        bytes_mask(full * 16 > 64 * j ? full * 16 - 64 * j : 0), g[j]),
			    bsw);
		acc = ghash_regs(c->k, acc, g[0], g[1], g[2], g[3], full);
	}
	c->ctr += (uint32_t)((n + 15) / 16);
	return acc;
}

/*
 * 16 blocks of GCTR at src/dst. The GHASH is interleaved with the AES
 * rounds so that both units stay busy: for GM_DEC over this group's
 * input, for GM_ENC over the previous group's ciphertext, which g0..g3
 * carry (byte-reflected) from one call to the next (none at the first
 * call: gh false); the caller GHASHes the last group.
 */
GCMV_INLINE void
bulk16(const struct gcmv_key *k, const __m512i_u *rk, __m512i *cle, __m128i *acc, __m512i *g0,
    __m512i *g1, __m512i *g2, __m512i *g3, const uint8_t *src, uint8_t *dst, const enum gmode mode,
    const unsigned nr, const bool gh)
{
	const __m512i cshuf = _mm512_broadcast_i32x4(CTRSWAP_MASK), bsw = BSWAP512;
	const __m512i four = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
	const bool ghash = mode == GM_DEC || (mode == GM_ENC && gh);
	__m512i s0, s1, s2, s3, i0, i1, i2, i3, lo, hi, mid, hk, x;
	unsigned r;

	s0 = _mm512_xor_si512(_mm512_shuffle_epi8(*cle, cshuf), rk[0]);
	*cle = _mm512_add_epi32(*cle, four);
	s1 = _mm512_xor_si512(_mm512_shuffle_epi8(*cle, cshuf), rk[0]);
	*cle = _mm512_add_epi32(*cle, four);
	s2 = _mm512_xor_si512(_mm512_shuffle_epi8(*cle, cshuf), rk[0]);
	*cle = _mm512_add_epi32(*cle, four);
	s3 = _mm512_xor_si512(_mm512_shuffle_epi8(*cle, cshuf), rk[0]);
	*cle = _mm512_add_epi32(*cle, four);
	i0 = _mm512_loadu_si512((const void *)src);
	i1 = _mm512_loadu_si512((const void *)(src + 64));
	i2 = _mm512_loadu_si512((const void *)(src + 128));
	i3 = _mm512_loadu_si512((const void *)(src + 192));
	if (mode == GM_DEC) {
		*g0 = _mm512_shuffle_epi8(i0, bsw);
		*g1 = _mm512_shuffle_epi8(i1, bsw);
		*g2 = _mm512_shuffle_epi8(i2, bsw);
		*g3 = _mm512_shuffle_epi8(i3, bsw);
	}
#define ROUND(r)                                                                                   \
	s0 = _mm512_aesenc_epi128(s0, rk[r]);                                                      \
	s1 = _mm512_aesenc_epi128(s1, rk[r]);                                                      \
	s2 = _mm512_aesenc_epi128(s2, rk[r]);                                                      \
	s3 = _mm512_aesenc_epi128(s3, rk[r]);
#define GH(j)                                                                                      \
	hk = _mm512_loadu_si512((const void *)k->hp[4 * (j)]);                                     \
	x = *g##j;                                                                                 \
	if ((j) == 0) {                                                                            \
		x = _mm512_xor_si512(x, _mm512_inserti32x4(_mm512_setzero_si512(), *acc, 0));      \
		lo = _mm512_clmulepi64_epi128(x, hk, 0x00);                                        \
		hi = _mm512_clmulepi64_epi128(x, hk, 0x11);                                        \
		mid = _mm512_xor_si512(                                                            \
		    _mm512_clmulepi64_epi128(x, hk, 0x01), _mm512_clmulepi64_epi128(x, hk, 0x10)); \
	} else {                                                                                   \
		lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(x, hk, 0x00));                  \
		hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(x, hk, 0x11));                  \
		mid = _mm512_ternarylogic_epi64(mid, _mm512_clmulepi64_epi128(x, hk, 0x01),        \
		    _mm512_clmulepi64_epi128(x, hk, 0x10), 0x96);                                  \
	}
	ROUND(1)
	if (ghash) {
		GH(0)
	}
	ROUND(2)
	if (ghash) {
		GH(1)
	}
	ROUND(3)
	if (ghash) {
		GH(2)
	}
	ROUND(4)
	if (ghash) {
		GH(3)
	}
	ROUND(5)
	if (ghash) {
		__m128i m = fold512(mid);

		*acc = gf_reduce(_mm_xor_si128(fold512(lo), _mm_slli_si128(m, 8)),
		    _mm_xor_si128(fold512(hi), _mm_srli_si128(m, 8)));
	}
	for (r = 6; r < nr; r++) {
		ROUND(r)
	}
#undef ROUND
#undef GH
	s0 = _mm512_xor_si512(_mm512_aesenclast_epi128(s0, rk[nr]), i0);
	s1 = _mm512_xor_si512(_mm512_aesenclast_epi128(s1, rk[nr]), i1);
	s2 = _mm512_xor_si512(_mm512_aesenclast_epi128(s2, rk[nr]), i2);
	s3 = _mm512_xor_si512(_mm512_aesenclast_epi128(s3, rk[nr]), i3);
	_mm512_storeu_si512((void *)dst, s0);
	_mm512_storeu_si512((void *)(dst + 64), s1);
	_mm512_storeu_si512((void *)(dst + 128), s2);
	_mm512_storeu_si512((void *)(dst + 192), s3);
	if (mode == GM_ENC) {
		*g0 = _mm512_shuffle_epi8(s0, bsw);
		*g1 = _mm512_shuffle_epi8(s1, bsw);
		*g2 = _mm512_shuffle_epi8(s2, bsw);
		*g3 = _mm512_shuffle_epi8(s3, bsw);
	}
}

GCMV_INLINE void
crypt_nr(struct gcmv_ctx *c, const uint8_t *src, uint8_t *dst, size_t n, const enum gmode mode,
    const unsigned nr)
{
	const struct gcmv_key *k = c->k;
	const __m512i_u *rk = (const __m512i_u *)(const void *)k->rk4;
	__m512i cle;
	__m128i acc = LD128(c->acc);
	uint8_t nb[16];

	/* the carried partial block first (streaming only) */
	if (c->pos > 0) {
		while (c->pos < 16 && n > 0) {
			uint8_t in = *src++, out = in ^ c->ks[c->pos];

			*dst++ = out;
			c->cb[c->pos++] = mode == GM_ENC ? out : in;
			n--;
		}
		if (c->pos == 16) {
			if (mode != GM_CTR)
				acc =
				    gf_mul(_mm_xor_si128(acc, bswap128(LD128(c->cb))), HPOW(k, 1));
			memset(c->cb, 0, sizeof(c->cb));
			c->pos = 0;
		}
	}
	if (n == 0)
		goto out;
	memcpy(nb, c->nonce, 12);
	memcpy(nb + 12, &c->ctr, 4);
	/* lanes: nonce || ctr + 0..3, the counter a native integer */
	cle = _mm512_add_epi32(_mm512_broadcast_i32x4(LD128(nb)),
	    _mm512_set_epi32(3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
	if (n >= 256) {
		__m512i g0 = _mm512_setzero_si512(), g1 = g0, g2 = g0, g3 = g0;

		bulk16(k, rk, &cle, &acc, &g0, &g1, &g2, &g3, src, dst, mode, nr, false);
		for (src += 256, dst += 256, n -= 256; n >= 256; src += 256, dst += 256, n -= 256)
			bulk16(k, rk, &cle, &acc, &g0, &g1, &g2, &g3, src, dst, mode, nr, true);
		if (mode == GM_ENC) /* the last group's ciphertext */
			acc = ghash_regs(k, acc, g0, g1, g2, g3, 16);
		c->ctr = (uint32_t)_mm_extract_epi32(_mm512_castsi512_si128(cle), 3);
	}
	switch ((n + 63) / 64) {
	case 1:
		acc = crypt_tail(c, rk, cle, acc, src, dst, n, mode, nr, 1);
		break;
	case 2:
		acc = crypt_tail(c, rk, cle, acc, src, dst, n, mode, nr, 2);
		break;
	case 3:
		acc = crypt_tail(c, rk, cle, acc, src, dst, n, mode, nr, 3);
		break;
	case 4:
		acc = crypt_tail(c, rk, cle, acc, src, dst, n, mode, nr, 4);
		break;
	}
out:
	ST128(c->acc, acc);
}

#define CRYPT_FN(name, mode)                                                                       \
	GCMV_TARGET static void name(                                                              \
	    struct gcmv_ctx *c, const uint8_t *src, uint8_t *dst, size_t n)                        \
	{                                                                                          \
		if (c->k->aes.rounds == 10)                                                        \
			crypt_nr(c, src, dst, n, mode, 10);                                        \
		else                                                                               \
			crypt_nr(c, src, dst, n, mode, 14);                                        \
	}
CRYPT_FN(crypt_enc, GM_ENC)
CRYPT_FN(crypt_dec, GM_DEC)
#undef CRYPT_FN

/* ---- one-shot ---- */

/*
 * The last n (1..255) bytes of a one-shot message in nreg = ceil(n / 64)
 * registers: nothing is carried, the partial block is GHASHed zero
 * padded, and the length block shares the reduction when it fits.
 */
GCMV_INLINE __m128i
oneshot_tail(const struct gcmv_key *k, const __m512i_u *rk, __m512i cle, __m128i acc,
    const uint8_t *src, uint8_t *dst, size_t n, __m128i len, const enum gmode mode,
    const unsigned nr, const unsigned nreg)
{
	const __m512i cshuf = _mm512_broadcast_i32x4(CTRSWAP_MASK), bsw = BSWAP512;
	const __m512i four = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
	__m512i s0, s1, s2, s3, g0, g1, g2, g3;
	size_t nb = (n + 15) / 16;
	unsigned r;

	g0 = g1 = g2 = g3 = s0 = s1 = s2 = s3 = _mm512_setzero_si512();
#define T_FIRST(j)                                                                                 \
	if ((j) < nreg) {                                                                          \
		s##j = _mm512_xor_si512(_mm512_shuffle_epi8(cle, cshuf), rk[0]);                   \
		cle = _mm512_add_epi32(cle, four);                                                 \
	}
#define T_ROUND(j)                                                                                 \
	if ((j) < nreg)                                                                            \
		s##j = _mm512_aesenc_epi128(s##j, rk[r]);
#define T_LAST(j)                                                                                  \
	if ((j) < nreg) {                                                                          \
		__mmask64 m = bytes_mask(n - 64 * (j));                                            \
		__m512i o = _mm512_xor_si512(_mm512_aesenclast_epi128(s##j, rk[nr]),               \
		    _mm512_maskz_loadu_epi8(m, (const void *)(src + 64 * (j))));                   \
                                                                                                   \
		_mm512_mask_storeu_epi8((void *)(dst + 64 * (j)), m, o);                           \
		g##j = _mm512_shuffle_epi8(_mm512_maskz_mov_epi8(m, o), bsw);                      \
	}
	T_FIRST(0)
	T_FIRST(1)
	T_FIRST(2)
	T_FIRST(3)
	for (r = 1; r < nr; r++) {
		T_ROUND(0)
		T_ROUND(1)
		T_ROUND(2)
		T_ROUND(3)
	}
	T_LAST(0)
	T_LAST(1)
	T_LAST(2)
	T_LAST(3)
#undef T_FIRST
#undef T_ROUND
#undef T_LAST
	if (mode == GM_CTR)
		return acc;
	if (nb < 16) {
		put_len(&g0, &g1, &g2, &g3, nb, len);
		return ghash_regs(k, acc, g0, g1, g2, g3, nb + 1);
	}
	acc = ghash_regs(k, acc, g0, g1, g2, g3, 16);
	return gf_mul(_mm_xor_si128(acc, len), HPOW(k, 1));
}

/*
 * A whole message without a context, everything in registers: GM_ENC
 * seals (writes tag), GM_CTR only decrypts (gcmv_open() once the tag is
 * known to be good; aad and tag unused).
 */
GCMV_INLINE void
oneshot_nr(const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
    const uint8_t *src, uint8_t *dst, size_t n, uint8_t tag[16], const enum gmode mode,
    const unsigned nr)
{
	/* [len(A)]64 || [len(C)]64, byte-reflected: len(A) in the high qword */
	const __m128i len = _mm_set_epi64x((long long)(aadlen * 8), (long long)(n * 8));
	const uint32_t two = 2, one_be = __builtin_bswap32(1);
	const __m512i_u *rk = (const __m512i_u *)(const void *)k->rk4;
	__m512i cle;
	__m128i acc = _mm_setzero_si128(), ekj0;
	uint8_t nb[16];

	/* SP 800-38D 7.1 step 2: J0 = IV || 0^31 || 1 for a 96-bit IV */
	memcpy(nb, nonce, 12);
	memcpy(nb + 12, &one_be, 4);
	ekj0 = mode == GM_CTR ? acc : aes_block(&k->aes, LD128(nb));
	/* counter lanes: nonce || 2 + 0..3, the counter a native integer */
	memcpy(nb + 12, &two, 4);
	cle = _mm512_add_epi32(_mm512_broadcast_i32x4(LD128(nb)),
	    _mm512_set_epi32(3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
	if (mode != GM_CTR && aadlen > 0)
		acc = ghash_buf(k, acc, aad, aadlen);
	if (n >= 256) {
		__m512i g0 = _mm512_setzero_si512(), g1 = g0, g2 = g0, g3 = g0;

		bulk16(k, rk, &cle, &acc, &g0, &g1, &g2, &g3, src, dst, mode, nr, false);
		for (src += 256, dst += 256, n -= 256; n >= 256; src += 256, dst += 256, n -= 256)
			bulk16(k, rk, &cle, &acc, &g0, &g1, &g2, &g3, src, dst, mode, nr, true);
		if (mode == GM_ENC)
			acc = ghash_regs(k, acc, g0, g1, g2, g3, 16);
	}
	switch ((n + 63) / 64) {
	case 0:
		if (mode == GM_ENC)
			acc = gf_mul(_mm_xor_si128(acc, len), HPOW(k, 1));
		break;
	case 1:
		acc = oneshot_tail(k, rk, cle, acc, src, dst, n, len, mode, nr, 1);
		break;
	case 2:
		acc = oneshot_tail(k, rk, cle, acc, src, dst, n, len, mode, nr, 2);
		break;
	case 3:
		acc = oneshot_tail(k, rk, cle, acc, src, dst, n, len, mode, nr, 3);
		break;
	case 4:
		acc = oneshot_tail(k, rk, cle, acc, src, dst, n, len, mode, nr, 4);
		break;
	}
	if (mode == GM_ENC)
		ST128(tag, _mm_xor_si128(bswap128(acc), ekj0));
}

/* ---- the API ---- */

GCMV_TARGET void
gcmv_init(struct gcmv_ctx *c, const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *aad,
    size_t aadlen)
{
	uint8_t j0[16];
	__m128i acc = _mm_setzero_si128();

	c->k = k;
	memcpy(c->nonce, nonce, 12);
	c->ctr = 2; /* inc32(J0) */
	c->pos = 0;
	c->alen = aadlen;
	c->clen = 0;
	memset(c->cb, 0, sizeof(c->cb));
	/* SP 800-38D 7.1 step 2: J0 = IV || 0^31 || 1 for a 96-bit IV */
	memcpy(j0, nonce, 12);
	j0[12] = j0[13] = j0[14] = 0;
	j0[15] = 1;
	ST128(c->ekj0, aes_block(&k->aes, LD128(j0)));
	if (aadlen > 0)
		acc = ghash_buf(k, acc, aad, aadlen);
	ST128(c->acc, acc);
}

void
gcmv_encrypt(struct gcmv_ctx *c, const uint8_t *src, uint8_t *dst, size_t n)
{
	c->clen += n;
	crypt_enc(c, src, dst, n);
}

void
gcmv_decrypt(struct gcmv_ctx *c, const uint8_t *src, uint8_t *dst, size_t n)
{
	c->clen += n;
	crypt_dec(c, src, dst, n);
}

/* SP 800-38D 7.1 steps 5-6: the partial block, the length block, E(K, J0). */
GCMV_TARGET static void
tag_of(const struct gcmv_ctx *c, uint8_t tag[16])
{
	const struct gcmv_key *k = c->k;
	__m128i lo = _mm_setzero_si128(), hi = lo, acc = LD128(c->acc);
	/* [len(A)]64 || [len(C)]64, byte-reflected: len(A) in the high qword */
	__m128i len = _mm_set_epi64x((long long)(c->alen * 8), (long long)(c->clen * 8));

	if (c->pos > 0) {
		gf_mul_acc(_mm_xor_si128(acc, bswap128(LD128(c->cb))), HPOW(k, 2), &lo, &hi);
		gf_mul_acc(len, HPOW(k, 1), &lo, &hi);
	} else {
		gf_mul_acc(_mm_xor_si128(acc, len), HPOW(k, 1), &lo, &hi);
	}
	acc = gf_reduce(lo, hi);
	ST128(tag, _mm_xor_si128(bswap128(acc), LD128(c->ekj0)));
}

void
gcmv_tag(struct gcmv_ctx *c, uint8_t tag[16])
{
	tag_of(c, tag);
	explicit_bzero(c, sizeof(*c));
}

static bool
tag_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

bool
gcmv_tag_ok(struct gcmv_ctx *c, const uint8_t *tag, size_t taglen)
{
	uint8_t t[16];
	bool ok;

	tag_of(c, t);
	explicit_bzero(c, sizeof(*c));
	ok = taglen >= 1 && taglen <= 16 && tag_eq(t, tag, taglen);
	explicit_bzero(t, sizeof(t));
	return ok;
}

GCMV_TARGET void
gcmv_seal(const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
    const uint8_t *src, uint8_t *dst, size_t n, uint8_t tag[16])
{
	if (k->aes.rounds == 10)
		oneshot_nr(k, nonce, aad, aadlen, src, dst, n, tag, GM_ENC, 10);
	else
		oneshot_nr(k, nonce, aad, aadlen, src, dst, n, tag, GM_ENC, 14);
}

/* gcmv_open()'s decryption, once the tag is known to be good */
GCMV_TARGET static void
ctr_oneshot(
    const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *src, uint8_t *dst, size_t n)
{
	if (k->aes.rounds == 10)
		oneshot_nr(k, nonce, NULL, 0, src, dst, n, NULL, GM_CTR, 10);
	else
		oneshot_nr(k, nonce, NULL, 0, src, dst, n, NULL, GM_CTR, 14);
}

GCMV_TARGET int
gcmv_open(const struct gcmv_key *k, const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
    const uint8_t *src, uint8_t *dst, size_t n, const uint8_t tag[16])
{
	const __m128i len = _mm_set_epi64x((long long)(aadlen * 8), (long long)(n * 8));
	const uint32_t one_be = __builtin_bswap32(1);
	__m128i acc = _mm_setzero_si128(), ekj0;
	uint8_t j0[16];

	/* SP 800-38D 7.2 step 3: J0 = IV || 0^31 || 1 */
	memcpy(j0, nonce, 12);
	memcpy(j0 + 12, &one_be, 4);
	ekj0 = aes_block(&k->aes, LD128(j0));
	/* authenticate first: nothing is decrypted unless the tag matches */
	if (aadlen > 0)
		acc = ghash_buf(k, acc, aad, aadlen);
	acc = ghash_buf_len(k, acc, src, n, len);
	/* constant time: all 16 bytes compared, no early exit */
	acc = _mm_xor_si128(_mm_xor_si128(bswap128(acc), ekj0), LD128(tag));
	if (!_mm_testz_si128(acc, acc))
		return -EBADMSG;
	ctr_oneshot(k, nonce, src, dst, n);
	return 0;
}
