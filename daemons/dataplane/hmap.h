/* SPDX-License-Identifier: MIT */
/*
 * hmap: an intrusive chained hash table. Objects embed a struct hnode and
 * are found by their 64-bit hash plus a caller-side key comparison
 * (HMAP_FOR_HASH). The table never allocates per entry; it grows by
 * doubling its bucket array (hmap_insert() may fail with -ENOMEM only
 * then). Not thread-safe: each table has one owner (STYLE.md §3).
 */
#ifndef CAIRN_DP_HMAP_H
#define CAIRN_DP_HMAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct hmap {
	struct hnode **b;
	size_t mask; /* buckets - 1 */
	size_t n;
	size_t load; /* nodes per bucket before the table doubles */
};

#define hmap_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Iterates the nodes whose hash equals h (the caller compares keys). */
#define HMAP_FOR_HASH(m, h, it)                                                                    \
	for ((it) = (m)->b[(h) & (m)->mask]; (it) != NULL; (it) = (it)->next)                      \
		if ((it)->hash == (h))

int hmap_init(struct hmap *m, size_t hint);
/* A table of the control side, looked up per operation, not per packet:
 * it doubles at 4 nodes per bucket (buckets 2-4 bytes per node rather
 * than 8-16) instead of at 1. */
int hmap_init_dense(struct hmap *m, size_t hint);
void hmap_fini(struct hmap *m); /* frees the buckets, not the entries */
int hmap_insert(struct hmap *m, struct hnode *n, uint64_t hash);
void hmap_remove(struct hmap *m, struct hnode *n);

/* Visits every node; fn may remove the node it is given (not others). */
void hmap_walk(struct hmap *m, void (*fn)(struct hnode *n, void *arg), void *arg);

static inline uint64_t
hmap_mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t
hmap_bytes(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return hmap_mix(h);
}

#endif
