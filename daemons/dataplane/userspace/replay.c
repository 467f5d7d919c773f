/* SPDX-License-Identifier: MIT */
/*
 * replay: anti-replay window and ESN inference (see replay.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "dp.h"
#include "replay.h"

int
replay_init(struct replay *r, uint32_t window)
{
	uint32_t n = 1;

	r->top = 0;
	r->window = window;
	r->bits = NULL;
	r->nwords = 0;
	if (window == 0)
		return 0;
	if (window > DP_REPLAY_WINDOW_MAX)
		return -EINVAL;
	/* window consecutive numbers touch at most ceil(window/64) + 1 words;
	 * the ring holds that many distinct words, so clearing the words a new
	 * top enters never clears one still inside the window */
	while (n < (window + 63) / 64 + 1)
		n <<= 1;
	if (n < 2)
		n = 2;
	r->bits = calloc(n, sizeof(uint64_t));
	if (r->bits == NULL)
		return -ENOMEM;
	r->nwords = n;
	return 0;
}

void
replay_fini(struct replay *r)
{
	free(r->bits);
	r->bits = NULL;
}

uint64_t
replay_infer(const struct replay *r, uint32_t seq_lo, bool esn)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	/* anti-replay off: no window, but the high half must still be
	 * right for the ICV: the epoch nearest to the top, as if the window
	 * were half the 32-bit space (a window of 1 pushed every late packet
	 * into the next epoch, where its ICV fails) */
	uint32_t w = r->window ? r->window : UINT32_C(1) << 31;

	if (!esn)
		return seq_lo;
	/* RFC 4303 A2.2 */
	if (tl >= w - 1) {
		/* window within one epoch */
		if (seq_lo >= tl - w + 1)
			return (uint64_t)th << 32 | seq_lo;
		return (uint64_t)(th + 1) << 32 | seq_lo; /* wrapped forward */
	}
	/* window spans two epochs */
	if (seq_lo >= tl - w + 1) { /* unsigned wrap: seq_lo in the old epoch */
		if (th == 0)
			return seq_lo; /* no earlier epoch: treat as epoch 0 */
		return (uint64_t)(th - 1) << 32 | seq_lo;
	}
	return (uint64_t)th << 32 | seq_lo;
}

bool
replay_check(const struct replay *r, uint64_t seq)
{
	uint64_t bit;

	if (seq == 0)
		return false; /* never sent (RFC 4303 3.3.3: counter starts at 1) */
	if (r->window == 0 || seq > r->top)
		return true;
	if (r->top - seq >= r->window)
		return false;
	bit = seq % ((uint64_t)r->nwords * 64);
	return (r->bits[bit / 64] & (1ULL << (bit % 64))) == 0;
}

void
replay_update(struct replay *r, uint64_t seq)
{
	uint64_t bit, wtop, wseq, i, n;

	if (r->window == 0) {
		if (seq > r->top)
			r->top = seq;
		return;
	}
	if (seq > r->top) {
		/* clear the words between the old top's word and seq's word */
		wtop = r->top / 64;
		wseq = seq / 64;
		n = wseq - wtop;
		if (n > r->nwords)
			n = r->nwords;
		for (i = 1; i <= n; i++)
			r->bits[(wtop + i) % r->nwords] = 0;
		r->top = seq;
	}
	bit = seq % ((uint64_t)r->nwords * 64);
	r->bits[bit / 64] |= 1ULL << (bit % 64);
}
