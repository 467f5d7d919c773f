/* SPDX-License-Identifier: MIT */
/*
 * ring: SPSC byte ring (see ring.h). Records are 8-byte aligned and never
 * split: one that does not fit before the end is preceded by a wrap
 * record and placed at the start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define REC_ALIGN(n) (((n) + 7) & ~(size_t)7)

int
ring_init(struct ring *r, size_t size)
{
	if (size < 4096 || (size & (size - 1)) != 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->buf = malloc(size); /* untouched pages stay unbacked until used */
	if (r->buf == NULL)
		return -ENOMEM;
	r->size = size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

void
ring_fini(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
}

struct ring_rec *
ring_reserve(struct ring *r, size_t len)
{
	size_t need = REC_ALIGN(sizeof(struct ring_rec) + len);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t pos = tail & (r->size - 1), to_end = r->size - pos;
	struct ring_rec *rec;

	if (need > r->size / 2)
		return NULL;
	if (to_end < need) {
		/* wrap: the rest of the buffer is skipped */
		if (r->size - (tail - head) < to_end + need)
			return NULL;
		rec = (struct ring_rec *)(r->buf + pos);
		if (to_end >= sizeof(*rec)) {
			rec->len = 0;
			rec->kind = 0;
		}
		tail += to_end;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
		pos = 0;
	} else if (r->size - (tail - head) < need) {
		return NULL;
	}
	rec = (struct ring_rec *)(r->buf + pos);
	rec->len = (uint32_t)len;
	return rec;
}

void
ring_commit(struct ring *r, struct ring_rec *rec)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(
	    &r->tail, tail + REC_ALIGN(sizeof(*rec) + rec->len), memory_order_release);
}

struct ring_rec *
ring_peek(struct ring *r)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t pos, to_end;
	struct ring_rec *rec;

	for (;;) {
		if (head == tail)
			return NULL;
		pos = head & (r->size - 1);
		to_end = r->size - pos;
		rec = (struct ring_rec *)(r->buf + pos);
		/* a wrap marker, or a tail too short to hold one */
		if (to_end < sizeof(*rec) || (rec->kind == 0 && rec->len == 0)) {
			head += to_end;
			atomic_store_explicit(&r->head, head, memory_order_release);
			continue;
		}
		return rec;
	}
}

void
ring_release(struct ring *r, struct ring_rec *rec)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(
	    &r->head, head + REC_ALIGN(sizeof(*rec) + rec->len), memory_order_release);
}
