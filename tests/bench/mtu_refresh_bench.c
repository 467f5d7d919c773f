/* SPDX-License-Identifier: MIT */
/*
 * mtu-refresh-bench: what the userspace dataplane's path-MTU refresh
 * (userspace.c sa_mtu_refresh, every 5 s) costs the caller's thread
 * (cairn-iked's) with N outbound SAs to N different peers.
 *
 * In a private network namespace (root): a veth pair, a route for
 * 198.18.0.0/15 via it, the userspace backend with N policy-based tunnels
 * and one outbound SA each to 198.18.x.y. Then, for a few refresh
 * periods, every time dp_event_fd() is readable the bench calls
 * dp_event_read() until it has nothing and times each call (wall clock
 * and the thread's CPU time, kernel time included). It prints, per 5-s
 * period: the calls, their total and longest wall time, and the CPU time.
 * With --change 1, the route's MTU toggles between 1300 and none before
 * every period after the first: every SA's path MTU changes (an SA update
 * to its SPU each).
 *
 *   mtu-refresh-bench [--sas N] [--periods P] [--change 0|1]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp.h"
#include "errbuf.h"

static double
clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const struct errbuf *err)
{
	fprintf(stderr, "mtu-refresh-bench: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(1);
}

extern char **environ;

static void
sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, "sh", NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "mtu-refresh-bench: failed: %s\n", cmd);
		exit(1);
	}
}

static void
peer_addr(uint32_t i, struct dp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->u.b[0] = 198;
	a->u.b[1] = (uint8_t)(18 + (i >> 16));
	a->u.b[2] = (uint8_t)(i >> 8);
	a->u.b[3] = (uint8_t)i;
}

int
main(int argc, char **argv)
{
	uint32_t n = 10000, periods = 3, change = 0, i;
	struct dp_config cfg;
	struct errbuf err;
	struct dp *dp;
	struct pollfd pfd;
	double t_end, t_setup;

	for (i = 1; i + 1 < (uint32_t)argc; i += 2) {
		if (!strcmp(argv[i], "--sas"))
			n = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--periods"))
			periods = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--change"))
			change = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else {
			fprintf(stderr,
			    "usage: mtu-refresh-bench [--sas N] [--periods P] [--change 0|1]\n");
			return 2;
		}
	}
	if (n == 0 || n > 65536 * 2) {
		fprintf(stderr, "mtu-refresh-bench: --sas 1..131072\n");
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWNET) (root?)", NULL);
	sh("ip link set lo up && ip link add mrb0 type veth peer name mrb1 &&"
	   " ip link set mrb0 up && ip link set mrb1 up &&"
	   " ip addr add 192.0.2.1/24 dev mrb0 &&"
	   " ip route add 198.18.0.0/15 via 192.0.2.2 dev mrb0");

	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = DP_BACKEND_USERSPACE;
	cfg.spus = 1;
	cfg.ike_port = 40500;
	cfg.natt_port = 44500;
	cfg.tun_name = "mrbst0";
	errbuf_clear(&err);
	if (dp_open(&cfg, &dp, &err) < 0)
		die("dp_open", &err);

	t_setup = clk(CLOCK_MONOTONIC);
	dp_batch_begin(dp);
	for (i = 0; i < n; i++) {
		struct dp_tunnel t;
		struct dp_sa sa;
		uint32_t spu;

		memset(&t, 0, sizeof(t));
		t.id = i + 1;
		t.unit = DP_UNIT_NONE;
		t.spu = DP_SPU_ANY;
		t.local_gw.family = AF_INET;
		t.local_gw.u.b[0] = 192, t.local_gw.u.b[2] = 2, t.local_gw.u.b[3] = 1;
		peer_addr(i, &t.remote_gw);
		if (dp_tunnel_set(dp, &t, &spu, &err) < 0)
			die("dp_tunnel_set", &err);
		memset(&sa, 0, sizeof(sa));
		sa.spi = 0x10000 + i;
		sa.dir = DP_DIR_OUT;
		sa.tunnel_id = t.id;
		sa.local = t.local_gw;
		sa.remote = t.remote_gw;
		sa.enc = DP_ENC_AES_GCM_128;
		sa.enc_key_len = 20;
		memset(sa.enc_key, 0x11, 20);
		if (dp_sa_add(dp, &sa, &err) < 0)
			die("dp_sa_add", &err);
	}
	if (dp_batch_end(dp, &err) < 0)
		die("dp_batch_end", &err);
	printf("mtu-refresh-bench: %u outbound SAs to %u peers installed in %.2f s\n", n, n,
	    clk(CLOCK_MONOTONIC) - t_setup);

	pfd.fd = dp_event_fd(dp);
	pfd.events = POLLIN;
	for (uint32_t p = 0; p < periods; p++) {
		double wall = 0, cpu = 0, longest = 0;
		unsigned calls = 0;

		if (change && p > 0)
			sh(p % 2 ? "ip route change 198.18.0.0/15 via 192.0.2.2 dev mrb0 mtu 1300"
			         : "ip route change 198.18.0.0/15 via 192.0.2.2 dev mrb0");
		/* one period: 4.5 s from the first wake-up (or 6 s waiting for it) */
		t_end = clk(CLOCK_MONOTONIC) + 6;
		for (;;) {
			double left = t_end - clk(CLOCK_MONOTONIC), w0, c0, w;
			struct dp_event ev;
			int rc;

			if (left <= 0)
				break;
			if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
				continue;
			if (calls == 0)
				t_end = clk(CLOCK_MONOTONIC) + 4.5;
			do {
				w0 = clk(CLOCK_MONOTONIC);
				c0 = clk(CLOCK_THREAD_CPUTIME_ID);
				rc = dp_event_read(dp, &ev);
				cpu += clk(CLOCK_THREAD_CPUTIME_ID) - c0;
				w = clk(CLOCK_MONOTONIC) - w0;
				wall += w;
				longest = w > longest ? w : longest;
				calls++;
			} while (rc == 0);
		}
		printf("mtu-refresh-bench: period %u: %u dp_event_read calls, %.2f ms wall "
		       "(longest call %.2f ms), %.2f ms CPU on the caller's thread\n",
		    p + 1, calls, wall * 1e3, longest * 1e3, cpu * 1e3);
	}
	dp_close(dp);
	return 0;
}
