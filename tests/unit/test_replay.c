/* SPDX-License-Identifier: MIT */
/*
 * test_replay: the anti-replay window (userspace/replay.c): duplicates,
 * the window edge, window sizes from 64 to 8192 and beyond, 32-bit
 * sequence numbers, extended sequence numbers across the 2^32 boundary
 * (RFC 4303 Appendix A2.2) and a brute-force comparison with a simple
 * model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp.h"
#include "replay.h"

static bool
rx(struct replay *r, uint32_t lo, bool esn, uint64_t *seq)
{
	*seq = replay_infer(r, lo, esn);
	if (!replay_check(r, *seq))
		return false;
	replay_update(r, *seq);
	return true;
}

static void
test_basic(void **state)
{
	struct replay r;
	uint64_t s;

	(void)state;
	assert_int_equal(replay_init(&r, 64), 0);
	assert_false(rx(&r, 0, false, &s)); /* 0 is never sent */
	assert_true(rx(&r, 1, false, &s));
	assert_false(rx(&r, 1, false, &s)); /* duplicate */
	assert_true(rx(&r, 3, false, &s));
	assert_true(rx(&r, 2, false, &s)); /* late but in the window */
	assert_false(rx(&r, 2, false, &s));
	assert_true(rx(&r, 100, false, &s));
	/* window 64 at top 100: 37..100 acceptable, 36 too old */
	assert_true(rx(&r, 37, false, &s));
	assert_false(rx(&r, 36, false, &s));
	assert_false(rx(&r, 37, false, &s));
	assert_true(rx(&r, 99, false, &s));
	/* a big jump clears the window */
	assert_true(rx(&r, 1000000, false, &s));
	assert_true(rx(&r, 1000000 - 63, false, &s));
	assert_false(rx(&r, 1000000 - 64, false, &s));
	assert_false(rx(&r, 100, false, &s));
	replay_fini(&r);

	assert_int_equal(replay_init(&r, DP_REPLAY_WINDOW_MAX + 1), -EINVAL);
}

static void
test_window_sizes(void **state)
{
	static const uint32_t sizes[] = { 64, 100, 128, 1000, 1024, 4096, 8192, 65536 };
	struct replay r;
	uint64_t s, top;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t w = sizes[i];

		assert_int_equal(replay_init(&r, w), 0);
		top = 3 * (uint64_t)w + 17;
		assert_true(rx(&r, (uint32_t)top, false, &s));
		/* exactly the window: top - w + 1 .. top */
		assert_true(rx(&r, (uint32_t)(top - w + 1), false, &s));
		assert_false(rx(&r, (uint32_t)(top - w), false, &s));
		/* every number inside, once */
		for (uint64_t q = top - w + 2; q < top; q++)
			assert_true(rx(&r, (uint32_t)q, false, &s));
		for (uint64_t q = top - w + 1; q <= top; q++)
			assert_false(replay_check(&r, q));
		/* sliding by less than a word, a word, and more than the ring */
		assert_true(rx(&r, (uint32_t)(top + 1), false, &s));
		assert_false(rx(&r, (uint32_t)(top - w + 1), false, &s));
		assert_true(rx(&r, (uint32_t)(top + 65), false, &s));
		assert_true(rx(&r, (uint32_t)(top + 65 - w + 1), false, &s) ||
		            top + 65 - w + 1 <= top); /* old ones were seen */
		assert_true(rx(&r, (uint32_t)(top + 10 * (uint64_t)w), false, &s));
		for (uint64_t q = top + 10 * (uint64_t)w - w + 1; q < top + 10 * (uint64_t)w; q++)
			assert_true(replay_check(&r, q)); /* all cleared */
		replay_fini(&r);
	}
}

static void
test_disabled(void **state)
{
	struct replay r;
	uint64_t s;

	(void)state;
	assert_int_equal(replay_init(&r, 0), 0);
	assert_true(rx(&r, 5, false, &s));
	assert_true(rx(&r, 5, false, &s)); /* anti-replay off */
	assert_true(rx(&r, 1, false, &s));
	assert_false(rx(&r, 0, false, &s));
	replay_fini(&r);
}

/* RFC 4303 A2.2 across the 2^32 boundary. */
static void
test_esn(void **state)
{
	struct replay r;
	uint64_t s;

	(void)state;
	assert_int_equal(replay_init(&r, 128), 0);
	assert_true(rx(&r, 0xfffffff0u, true, &s));
	assert_int_equal(s, 0xfffffff0ULL);
	/* the low half wraps: the next epoch */
	assert_true(rx(&r, 5, true, &s));
	assert_int_equal(s, 0x100000005ULL);
	/* a late packet of the old epoch, within the window */
	assert_true(rx(&r, 0xfffffff8u, true, &s));
	assert_int_equal(s, 0xfffffff8ULL);
	assert_false(rx(&r, 0xfffffff8u, true, &s));
	/* below the window: A2.2 places it in the current epoch (ahead), so
	 * the ICV check, not the window, rejects a genuinely old packet */
	assert_int_equal(replay_infer(&r, 0xffffff80u, true), 0x1ffffff80ULL);
	/* inside one epoch, an old number is just too old */
	assert_true(rx(&r, 0x1000, true, &s));
	assert_int_equal(s, 0x100001000ULL);
	s = replay_infer(&r, 0x900, true);
	assert_int_equal(s, 0x200000900ULL);
	assert_int_equal(replay_infer(&r, 0xf90, true), 0x100000f90ULL);
	assert_false(replay_check(&r, 0x100000f80ULL));
	/* low numbers of the new epoch that arrive late */
	assert_true(rx(&r, 0xfb0, true, &s));
	assert_int_equal(s, 0x100000fb0ULL);
	/* far ahead within the epoch */
	assert_true(rx(&r, 0x80000000u, true, &s));
	assert_int_equal(s, 0x180000000ULL);
	/* the same low bits right after a full cycle would be the next epoch */
	assert_true(rx(&r, 0x7fffffffu, true, &s));
	assert_int_equal(s, 0x17fffffffULL);
	replay_fini(&r);

	/* anti-replay off: the high half is still inferred (the ICV covers
	 * it), the nearest epoch for any low half: late packets stay in the
	 * current epoch instead of being pushed into the next one */
	assert_int_equal(replay_init(&r, 0), 0);
	assert_true(rx(&r, 1000, true, &s));
	assert_int_equal(replay_infer(&r, 999, true), 999);
	assert_int_equal(replay_infer(&r, 1, true), 1);
	assert_int_equal(replay_infer(&r, 5000, true), 5000);
	assert_true(rx(&r, 0xfffffff0u, true, &s));
	assert_int_equal(s, 0xfffffff0ULL);
	assert_true(rx(&r, 3, true, &s)); /* the counter wrapped */
	assert_int_equal(s, 0x100000003ULL);
	assert_int_equal(replay_infer(&r, 0xfffffff5u, true), 0xfffffff5ULL); /* late */
	assert_int_equal(replay_infer(&r, 2, true), 0x100000002ULL);
	assert_true(rx(&r, 0x70000003u, true, &s)); /* less than 2^31 ahead */
	assert_int_equal(s, 0x170000003ULL);
	assert_int_equal(replay_infer(&r, 0x20000000u, true), 0x120000000ULL); /* late */
	assert_true(rx(&r, 0xf0000000u, true, &s));
	assert_int_equal(s, 0x1f0000000ULL);
	assert_int_equal(replay_infer(&r, 0x08000000u, true), 0x208000000ULL); /* ahead */
	assert_int_equal(replay_infer(&r, 0x80000000u, true), 0x180000000ULL); /* late */
	replay_fini(&r);

	/* without ESN the sequence number stays 32 bits */
	assert_int_equal(replay_init(&r, 64), 0);
	assert_true(rx(&r, 0xffffffffu, false, &s));
	assert_false(rx(&r, 5, false, &s)); /* no wrap: too old */
	replay_fini(&r);
}

/* Random arrival orders against a set of seen numbers. */
static void
test_model(void **state)
{
	struct replay r;
	uint8_t *seen;
	uint64_t top = 0, s;
	uint32_t w = 256, i;
	unsigned rnd = 12345;

	(void)state;
	seen = calloc(1 << 20, 1);
	assert_non_null(seen);
	assert_int_equal(replay_init(&r, w), 0);
	for (i = 0; i < 200000; i++) {
		uint32_t q;
		bool want, got;

		rnd = rnd * 1103515245u + 12345u;
		/* mostly near the top, sometimes old, sometimes a jump */
		q = (uint32_t)(top + 40 - (rnd >> 8) % 400);
		if ((rnd >> 24) % 50 == 0)
			q = (uint32_t)(top + (rnd >> 16) % 2000);
		if (q == 0 || q >= (1u << 20))
			continue;
		want = !seen[q] && (q > top || top - q < w);
		got = rx(&r, q, false, &s);
		assert_int_equal(got, want);
		if (got) {
			seen[q] = 1;
			if (q > top)
				top = q;
		}
	}
	replay_fini(&r);
	free(seen);
}

/*
 * The same with ESN across the 2^32 boundary, for the smallest windows,
 * sizes that are no multiple of 64 and the largest: the receiver takes a
 * packet only if the high half it infers is the one the sender used (the
 * ICV check in the dataplane) and the window lets it in. Every packet in
 * the window or ahead of it must be inferred right (RFC 4303 A2.2).
 */
static void
test_model_esn_sizes(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 3, 63, 65, 191, 8191, DP_REPLAY_WINDOW_MAX };
	enum { SPAN = 1 << 21 };
	uint8_t *seen = calloc(SPAN, 1);
	unsigned rnd = 777;
	size_t k;

	(void)state;
	assert_non_null(seen);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t w = sizes[k], i;
		uint64_t base = (1ULL << 32) - 2 * (uint64_t)w - 500, top = 0, q;
		unsigned straddle = 0; /* late old-epoch packets taken (window over 2^32) */
		struct replay r;

		memset(seen, 0, SPAN);
		assert_int_equal(replay_init(&r, w), 0);
		for (i = 0; i < 200000; i++) {
			bool want, got;

			rnd = rnd * 1103515245u + 12345u;
			if (top == 0)
				q = base;
			else if ((rnd >> 24) % 64 == 0) /* far ahead: up to two windows */
				q = top + 1 + (rnd >> 8) % (2 * (uint64_t)w + 2);
			else if ((rnd >> 24) % 4 == 0) /* a little ahead: the window creeps */
				q = top + 1 + (rnd >> 8) % ((uint64_t)w / 8 + 2);
			else /* around the top: late, duplicate or just too old */
				q = top + 2 - (rnd >> 8) % ((uint64_t)w + 4);
			if (q < base || q - base >= SPAN)
				continue;
			want = !seen[q - base] && (top == 0 || q > top || top - q < w);
			got = replay_infer(&r, (uint32_t)q, true) == q && replay_check(&r, q);
			if (want)
				assert_int_equal(replay_infer(&r, (uint32_t)q, true), q);
			assert_int_equal(got, want);
			if (got) {
				straddle += q < (1ULL << 32) && top > (1ULL << 32);
				replay_update(&r, q);
				seen[q - base] = 1;
				if (q > top)
					top = q;
			}
		}
		assert_true(top > (1ULL << 32)); /* crossed into the next epoch */
		if (w >= 63) /* the smallest see too few such packets to insist */
			assert_true(straddle > 0);
		replay_fini(&r);
	}
	free(seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_window_sizes),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_esn),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_model_esn_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
