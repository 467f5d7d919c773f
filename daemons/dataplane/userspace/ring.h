/* SPDX-License-Identifier: MIT */
/*
 * ring: a single-producer single-consumer byte ring of variable-size
 * records, lock-free (C11 acquire/release on the two indices). SPU n
 * hands packets to SPU m through ring[n][m]; nothing else touches it.
 */
#ifndef CAIRN_DP_RING_H
#define CAIRN_DP_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	_Alignas(64) _Atomic size_t head; /* consumer position */
	_Alignas(64) _Atomic size_t tail; /* producer position */
	_Alignas(64) size_t size;         /* bytes, a power of two */
	uint8_t *buf;
};

struct ring_rec {
	uint32_t len;  /* payload bytes after this header; 0 with kind 0 = wrap */
	uint32_t kind; /* caller-defined, not 0 */
	uint64_t meta; /* caller-defined */
};

int ring_init(struct ring *r, size_t size); /* size: a power of two >= 4096 */
void ring_fini(struct ring *r);

/* Producer: room for a record of len payload bytes, or NULL if full. */
struct ring_rec *ring_reserve(struct ring *r, size_t len);
void ring_commit(struct ring *r, struct ring_rec *rec); /* publishes rec */

/* Consumer: the oldest record, or NULL if empty. */
struct ring_rec *ring_peek(struct ring *r);
void ring_release(struct ring *r, struct ring_rec *rec);

#endif
