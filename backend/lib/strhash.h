/* SPDX-License-Identifier: MIT */
/*
 * strhash: FNV-1a over a NUL-terminated string, for spreading the buckets
 * of name tables (not for anything an attacker may choose to collide in
 * bulk: those tables use a seeded hash, daemons/dataplane/hmap.h).
 */
#ifndef CAIRN_STRHASH_H
#define CAIRN_STRHASH_H

#include <stdint.h>

static inline uint64_t
strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

#endif
