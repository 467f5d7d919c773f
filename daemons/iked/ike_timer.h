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

/*
 * 16 bytes, embedded in the engine's objects (an IKE SA has seven, a CHILD
 * SA five): no handler or argument pointers in each. `kind` names an entry
 * of the owner's table of timer classes: the handler, and where the timer
 * sits in its object (the handler's argument is the object).
 */
struct ike_timer {
	uint64_t at;  /* deadline, ms */
	uint32_t idx; /* heap position + 1; 0 = not armed */
	uint8_t kind; /* the owner's ike_timer_class */
};

struct ike_timer_class {
	ike_timer_fn fn;
	size_t off; /* offsetof(object, timer) */
};

/* The object a timer of class tc is embedded in. */
static inline void *
ike_timer_owner(struct ike_timer *t, const struct ike_timer_class *tc)
{
	return (char *)t - tc->off;
}

struct ike_timers {
	struct ike_timer **h;
	size_t n, cap;
};

void ike_timer_init(struct ike_timer *t, unsigned kind);
static inline bool
ike_timer_armed(const struct ike_timer *t)
{
	return t->idx != 0;
}

void ike_timers_init(struct ike_timers *ts);
void ike_timers_fini(struct ike_timers *ts);
/* Arms (or moves) t to fire at `at`; 0, or -ENOMEM (also past UINT32_MAX - 1 armed). */
int ike_timers_arm(struct ike_timers *ts, struct ike_timer *t, uint64_t at);
void ike_timers_cancel(struct ike_timers *ts, struct ike_timer *t);
/* Earliest deadline, UINT64_MAX when none is armed. */
uint64_t ike_timers_next(const struct ike_timers *ts);
/* Pops one timer due at `now` (disarmed), or NULL. */
struct ike_timer *ike_timers_pop_due(struct ike_timers *ts, uint64_t now);

#endif
