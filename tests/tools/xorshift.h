/* SPDX-License-Identifier: MIT */
/*
 * xorshift64* (S. Vigna, "An experimental exploration of Marsaglia's
 * xorshift generators, scrambled"): reproducible pseudo-random test data
 * from a seed. For tests only, never for keys or nonces.
 */
#ifndef CAIRN_TEST_XORSHIFT_H
#define CAIRN_TEST_XORSHIFT_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t
xorshift64s(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* n bytes, each the top byte of one draw */
static inline void
xorshift64s_fill(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(xorshift64s(s) >> 56);
}

#endif
