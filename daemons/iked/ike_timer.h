/* SPDX-License-Identifier: MIT */
/*
 * ike_timer: the engine's timers, a binary min-heap of intrusive timer
 * objects on the engine's millisecond clock. The engine owns the heap and
 * asks its environment only for the time and to be woken at the earliest
 * deadline (ike_engine.h), so tests drive a virtual clock.
 */
#ifndef CAIRN_IKE_TIMER_H
#define CAIRN_IKE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_timer;
typedef void (*ike_timer_fn)(struct ike_timer *t, void *arg);

struct ike_timer {
	uint64_t at; /* deadline, ms */
	size_t idx;  /* heap position + 1; 0 = not armed */
	ike_timer_fn fn;
	void *arg;
};

struct ike_timers {
	struct ike_timer **h;
	size_t n, cap;
};

void ike_timer_init(struct ike_timer *t, ike_timer_fn fn, void *arg);
static inline bool
ike_timer_armed(const struct ike_timer *t)
{
	return t->idx != 0;
}

void ike_timers_init(struct ike_timers *ts);
void ike_timers_fini(struct ike_timers *ts);
/* Arms (or moves) t to fire at `at`; 0 or -ENOMEM. */
int ike_timers_arm(struct ike_timers *ts, struct ike_timer *t, uint64_t at);
void ike_timers_cancel(struct ike_timers *ts, struct ike_timer *t);
/* Earliest deadline, UINT64_MAX when none is armed. */
uint64_t ike_timers_next(const struct ike_timers *ts);
/* Pops one timer due at `now` (disarmed), or NULL. */
struct ike_timer *ike_timers_pop_due(struct ike_timers *ts, uint64_t now);

#endif
