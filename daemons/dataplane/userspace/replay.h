/* SPDX-License-Identifier: MIT */
/*
 * replay: the inbound anti-replay window of one SA (RFC 4303 3.4.3 and
 * Appendix A), as a ring of 64-bit words so the window slides by clearing
 * words instead of shifting bits (the RFC 6479 layout). Windows up to
 * DP_REPLAY_WINDOW_MAX packets. Also infers the high 32 bits of extended
 * sequence numbers (RFC 4303 A2.2). Pure; one owner thread.
 *
 * Use: seq = replay_infer(); replay_check(seq) before the ICV check;
 * replay_update(seq) after it succeeded.
 */
#ifndef CAIRN_DP_REPLAY_H
#define CAIRN_DP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct replay {
	uint64_t top;    /* highest sequence number accepted; 0 = none yet */
	uint32_t window; /* packets; 0 = anti-replay off (still infers ESN) */
	uint32_t nwords; /* ring size: window / 64 + 1, a power of two */
	uint64_t *bits;
};

/* -EINVAL if window > DP_REPLAY_WINDOW_MAX, -ENOMEM. */
int replay_init(struct replay *r, uint32_t window);
void replay_fini(struct replay *r);

/* The full sequence number for a received low half (ESN: RFC 4303 A2.2). */
uint64_t replay_infer(const struct replay *r, uint32_t seq_lo, bool esn);

/* true if seq may be accepted: not 0, not too old, not seen. */
bool replay_check(const struct replay *r, uint64_t seq);

/* Marks seq as received (after authentication); slides the window. */
void replay_update(struct replay *r, uint64_t seq);

#endif
