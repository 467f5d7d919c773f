/* SPDX-License-Identifier: MIT */
/*
 * cpufeat: the x86 instruction-set extensions the ESP fast paths use, read
 * with CPUID and XGETBV. __builtin_cpu_supports() would do, but clang 14
 * knows neither "sha" nor "vaes" there (the fuzz build uses clang), and the
 * AVX-512 answer must also check that the OS saves the ZMM state.
 */
#ifndef CAIRN_DP_CPUFEAT_H
#define CAIRN_DP_CPUFEAT_H

#include <stdbool.h>

enum cpufeat {
	CPUF_SSE2 = 1u << 0,
	CPUF_SSSE3 = 1u << 1,
	CPUF_SSE41 = 1u << 2,
	CPUF_AES = 1u << 3,
	CPUF_SHA = 1u << 4,
	CPUF_AVX512F = 1u << 5,     /* with the OS saving opmask and ZMM state */
	CPUF_AVX512VL = 1u << 6,    /* the same */
	CPUF_VAES = 1u << 7,        /* the same (VAES on 512-bit registers) */
	CPUF_PCLMUL = 1u << 8,      /* PCLMULQDQ */
	CPUF_AVX2 = 1u << 9,        /* the same (only wanted with AVX-512) */
	CPUF_AVX512BW = 1u << 10,   /* with the OS saving opmask and ZMM state */
	CPUF_VPCLMULQDQ = 1u << 11, /* the same (VPCLMULQDQ on 512-bit registers) */
};

/* True if the CPU (and OS) offer every feature in `mask`. Thread-safe. */
bool cpufeat_has(unsigned mask);

/*
 * A fast path that needs the features in `mask` and that tests can turn
 * off (to test the path beside it): on while the CPU has them, unless
 * cpufeat_path_set(p, false). Read by every SPU thread: thread-safe.
 */
struct cpufeat_path {
	unsigned mask;
	bool off;
};
#define CPUFEAT_PATH(m)                                                                            \
	{                                                                                          \
		.mask = (m), .off = false                                                          \
	}

static inline bool
cpufeat_path_on(struct cpufeat_path *p)
{
	return !__atomic_load_n(&p->off, __ATOMIC_RELAXED) && cpufeat_has(p->mask);
}

/* Turns p on (only if the CPU has it) or off; returns whether it was on. */
bool cpufeat_path_set(struct cpufeat_path *p, bool on);

#endif
