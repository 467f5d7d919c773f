/* SPDX-License-Identifier: MIT */
/*
 * The userspace backend's dp_open() failing part-way: with the process's
 * file-descriptor limit raised one by one from what is open now, dp_open()
 * of 2 SPUs first fails at every step of its set-up (eventfds, epoll,
 * timerfd, each SPU's, the TUN queues, the sockets) and finally succeeds.
 * After every failure, every descriptor that was open before must still
 * be open (the clean-up must not close one it never opened, e.g. fd 0 of
 * an SPU set up only by calloc) and none may be left open (no leak).
 *
 * In a private network namespace (root; exit 77 = skipped without it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp.h"
#include "errbuf.h"

#define FD_SCAN 256 /* descriptors looked at: far above what the test opens */

/* The open descriptors below FD_SCAN, as a bitmap. */
static void
open_fds(unsigned char *map)
{
	for (int fd = 0; fd < FD_SCAN; fd++)
		map[fd] = fcntl(fd, F_GETFD) >= 0;
}

static void
test_open_fails_cleanly(void **state)
{
	unsigned char before[FD_SCAN], after[FD_SCAN];
	struct rlimit old, lim;
	struct dp_config cfg;
	struct dp *dp = NULL;
	struct errbuf err;
	unsigned failures = 0, nopen = 0;
	int rc = -1;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = DP_BACKEND_USERSPACE;
	cfg.spus = 2;
	cfg.ike_port = 40500;
	cfg.natt_port = 44500;
	cfg.tun_name = "uost0";
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	open_fds(before);
	for (int fd = 0; fd < FD_SCAN; fd++)
		nopen += before[fd];
	for (rlim_t n = 0; n < 200 && rc < 0; n++) {
		/* a new descriptor takes the lowest free number, and numbers from
		 * the limit up can't be had (the open ones above stay open) */
		int lowest_free = 0;

		while (lowest_free < FD_SCAN && before[lowest_free])
			lowest_free++;
		lim = old;
		lim.rlim_cur = (rlim_t)lowest_free + n;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
		errbuf_clear(&err);
		rc = dp_open(&cfg, &dp, &err);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		if (rc == 0)
			break;
		failures++;
		open_fds(after);
		for (int fd = 0; fd < FD_SCAN; fd++) {
			if (before[fd] && !after[fd])
				fail_msg("limit +%u (%s): fd %d, open before dp_open, was closed",
				    (unsigned)n, err.msg, fd);
			if (!before[fd] && after[fd])
				fail_msg(
				    "limit +%u (%s): fd %d left open", (unsigned)n, err.msg, fd);
		}
	}
	printf("# %u descriptors open before; dp_open failed %u times, then %s\n", nopen, failures,
	    rc == 0 ? "succeeded" : err.msg);
	assert_int_equal(rc, 0);
	/* it must have failed at several steps to mean anything */
	assert_true(failures >= 8);
	dp_close(dp);
	open_fds(after);
	assert_memory_equal(before, after, sizeof(before));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_fails_cleanly),
	};

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		printf("# skipped: needs root (a private network namespace)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
