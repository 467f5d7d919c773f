/* SPDX-License-Identifier: MIT */
/*
 * test_us_events: the userspace backend's event queue (spu.c
 * us_event_post): a full queue drops acquires, never expiries, and the
 * drops reach the posting SPU's statistics (dp_userspace_ops.spu_stats,
 * as cairn-dp-manual and iked read them).
 */
#define _GNU_SOURCE /* struct mmsghdr in us.h */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "us.h"

static void
post(struct us *us, enum dp_event_type type, uint32_t spu, uint32_t tunnel)
{
	struct dp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.spu = spu;
	ev.tunnel_id = tunnel;
	us_event_post(us, &ev);
}

static void
test_event_drops(void **state)
{
	struct dp_spu_stats st;
	struct us *us;
	struct dp_event ev;
	uint32_t i;

	(void)state;
	us = calloc(1, sizeof(*us));
	assert_non_null(us);
	us->nspu = 2;
	us->spu = calloc(2, sizeof(*us->spu));
	assert_non_null(us->spu);
	us->spu[0].us = us->spu[1].us = us;
	us->spu[1].idx = 1;
	pthread_mutex_init(&us->evq.lock, NULL);
	us->evq.cap = 4;
	us->evq.ev = calloc(us->evq.cap, sizeof(*us->evq.ev));
	assert_non_null(us->evq.ev);
	us->mtu_fd = -1; /* no path MTU refresh here */
	us->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(us->ev_fd >= 0);

	for (i = 0; i < 4; i++)
		post(us, DP_EV_ACQUIRE, 1, i);
	/* full: three more acquires from SPU 1 and one from SPU 0 are lost */
	for (i = 0; i < 3; i++)
		post(us, DP_EV_ACQUIRE, 1, 10 + i);
	post(us, DP_EV_ACQUIRE, 0, 20);
	/* an expiry is never dropped: the queue grows */
	post(us, DP_EV_SOFT_EXPIRE, 1, 30);
	assert_int_equal(us->evq.n, 5);

	assert_int_equal(dp_userspace_ops.spu_stats(us, 1, &st), 0);
	assert_int_equal(st.event_drops, 3);
	assert_int_equal(dp_userspace_ops.spu_stats(us, 0, &st), 0);
	assert_int_equal(st.event_drops, 1);
	assert_int_equal(dp_userspace_ops.spu_stats(us, 2, &st), -EINVAL);

	/* what was queued comes out in order */
	for (i = 0; i < 5; i++) {
		assert_int_equal(dp_userspace_ops.event_read(us, &ev), 0);
		assert_int_equal(ev.tunnel_id, i < 4 ? i : 30);
	}
	assert_int_equal(dp_userspace_ops.event_read(us, &ev), -EAGAIN);

	close(us->ev_fd);
	free(us->evq.ev);
	pthread_mutex_destroy(&us->evq.lock);
	free(us->spu);
	free(us);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
