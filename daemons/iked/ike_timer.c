/* SPDX-License-Identifier: MIT */
/* ike_timer: binary min-heap of intrusive timers. */
#include "ike_timer.h"

#include <errno.h>
#include <stdlib.h>

#include "banned.h"

void
ike_timer_init(struct ike_timer *t, unsigned kind)
{
	t->at = 0;
	t->idx = 0;
	t->kind = (uint8_t)kind;
}

void
ike_timers_init(struct ike_timers *ts)
{
	ts->h = NULL;
	ts->n = ts->cap = 0;
}

void
ike_timers_fini(struct ike_timers *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		ts->h[i]->idx = 0;
	free(ts->h);
	ts->h = NULL;
	ts->n = ts->cap = 0;
}

static void
put(struct ike_timers *ts, size_t i, struct ike_timer *t)
{
	ts->h[i] = t;
	t->idx = (uint32_t)(i + 1);
}

static void
sift_up(struct ike_timers *ts, size_t i)
{
	struct ike_timer *t = ts->h[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (ts->h[p]->at <= t->at)
			break;
		put(ts, i, ts->h[p]);
		i = p;
	}
	put(ts, i, t);
}

static void
sift_down(struct ike_timers *ts, size_t i)
{
	struct ike_timer *t = ts->h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= ts->n)
			break;
		if (c + 1 < ts->n && ts->h[c + 1]->at < ts->h[c]->at)
			c++;
		if (ts->h[c]->at >= t->at)
			break;
		put(ts, i, ts->h[c]);
		i = c;
	}
	put(ts, i, t);
}

int
ike_timers_arm(struct ike_timers *ts, struct ike_timer *t, uint64_t at)
{
	if (t->idx) {
		size_t i = t->idx - 1;
		uint64_t old = t->at;

		t->at = at;
		if (at < old)
			sift_up(ts, i);
		else
			sift_down(ts, i);
		return 0;
	}
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 64;

		if (ts->n >= UINT32_MAX - 1)
			return -ENOMEM; /* idx is 32 bits */
		struct ike_timer **h = realloc(ts->h, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		ts->h = h;
		ts->cap = cap;
	}
	t->at = at;
	put(ts, ts->n++, t);
	sift_up(ts, ts->n - 1);
	return 0;
}

void
ike_timers_cancel(struct ike_timers *ts, struct ike_timer *t)
{
	size_t i;
	struct ike_timer *last;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	last = ts->h[--ts->n];
	if (i == ts->n)
		return;
	put(ts, i, last);
	sift_down(ts, i);
	sift_up(ts, last->idx - 1);
}

uint64_t
ike_timers_next(const struct ike_timers *ts)
{
	return ts->n ? ts->h[0]->at : UINT64_MAX;
}

struct ike_timer *
ike_timers_pop_due(struct ike_timers *ts, uint64_t now)
{
	struct ike_timer *t;

	if (!ts->n || ts->h[0]->at > now)
		return NULL;
	t = ts->h[0];
	ike_timers_cancel(ts, t);
	return t;
}
