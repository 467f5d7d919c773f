/* SPDX-License-Identifier: MIT */
#include <cpuid.h>
#include <stdint.h>

#include "cpufeat.h"

static unsigned
detect(void)
{
	unsigned a, b, c, d, f = 0;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (d & (1u << 26))
		f |= CPUF_SSE2;
	if (c & (1u << 9))
		f |= CPUF_SSSE3;
	if (c & (1u << 19))
		f |= CPUF_SSE41;
	if (c & (1u << 25))
		f |= CPUF_AES;
	if (c & (1u << 1))
		f |= CPUF_PCLMUL;
	/* OSXSAVE: XCR0 bits 1-2 (SSE, AVX) and 5-7 (opmask, ZMM) saved */
	bool zmm_os = false;

	if (c & (1u << 27)) {
		uint32_t lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		zmm_os = (lo & 0xe6) == 0xe6;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1u << 29))
			f |= CPUF_SHA;
		if (zmm_os && (b & (1u << 16)))
			f |= CPUF_AVX512F;
		if (zmm_os && (b & (1u << 31)))
			f |= CPUF_AVX512VL;
		if (zmm_os && (c & (1u << 9)))
			f |= CPUF_VAES;
		if (zmm_os && (b & (1u << 5)))
			f |= CPUF_AVX2;
		if (zmm_os && (b & (1u << 30)))
			f |= CPUF_AVX512BW;
		if (zmm_os && (c & (1u << 10)))
			f |= CPUF_VPCLMULQDQ;
	}
	return f;
}

bool
cpufeat_has(unsigned mask)
{
	/* 0: not read yet; the answer is the same for every thread */
	static unsigned feats;
	unsigned f = __atomic_load_n(&feats, __ATOMIC_RELAXED);

	if (f == 0) {
		f = detect() | 1u << 31; /* bit 31: read */
		__atomic_store_n(&feats, f, __ATOMIC_RELAXED);
	}
	return (f & mask) == mask;
}

bool
cpufeat_path_set(struct cpufeat_path *p, bool on)
{
	bool was = cpufeat_path_on(p);

	__atomic_store_n(&p->off, !on, __ATOMIC_RELAXED);
	return was;
}
