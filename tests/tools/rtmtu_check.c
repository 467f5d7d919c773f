/* SPDX-License-Identifier: MIT */
/*
 * rtmtu-check: the route MTU toward each address on the command line,
 * asked both ways (us_rtmtu.h): the rtnetlink ask (all in one pipelined
 * rtmtu_ask, then each alone through the cache) and the connected
 * socket's IP_MTU / IPV6_MTU it replaced. Prints "ADDR socket netlink"
 * per address; exits 1 if they differ, or differ from EXPECTED where an
 * argument is ADDR=EXPECTED. Run in the namespace under test
 * (tests/integration/dp-rtmtu.sh).
 *
 *   rtmtu-check ADDR[=EXPECTED]...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "us_rtmtu.h"

#define MAX_ADDRS 64

int
main(int argc, char **argv)
{
	struct dp_addr peers[MAX_ADDRS];
	uint32_t want[MAX_ADDRS], mtu[MAX_ADDRS];
	struct rtmtu *r;
	int i, n = argc - 1, bad = 0;

	if (n < 1 || n > MAX_ADDRS) {
		fprintf(stderr, "usage: rtmtu-check ADDR[=EXPECTED]... (at most %d)\n", MAX_ADDRS);
		return 2;
	}
	for (i = 0; i < n; i++) {
		char buf[INET6_ADDRSTRLEN + 16], *eq;

		snprintf(buf, sizeof(buf), "%s", argv[i + 1]);
		want[i] = 0;
		if ((eq = strchr(buf, '=')) != NULL) {
			*eq = '\0';
			want[i] = (uint32_t)strtoul(eq + 1, NULL, 10);
		}
		memset(&peers[i], 0, sizeof(peers[i]));
		if (inet_pton(AF_INET, buf, &peers[i].u.v4) == 1)
			peers[i].family = AF_INET;
		else if (inet_pton(AF_INET6, buf, &peers[i].u.v6) == 1)
			peers[i].family = AF_INET6;
		else {
			fprintf(stderr, "rtmtu-check: bad address %s\n", buf);
			return 2;
		}
	}
	if ((r = rtmtu_new()) == NULL) {
		fprintf(stderr, "rtmtu-check: rtmtu_new: %s\n", strerror(errno));
		return 1;
	}
	rtmtu_ask(r, peers, (size_t)n, mtu);
	for (i = 0; i < n; i++) {
		uint32_t sock = rtmtu_ask_sock(&peers[i]), one;

		rtmtu_expire(r, 1L << 40); /* empty: the next get asks alone */
		one = rtmtu_get(r, &peers[i]);
		printf("%s socket %u netlink %u alone %u%s\n", argv[i + 1], sock, mtu[i], one,
		    sock != mtu[i] || sock != one || (want[i] && want[i] != sock) ? "  MISMATCH"
		                                                                  : "");
		if (sock != mtu[i] || sock != one || (want[i] && want[i] != sock))
			bad = 1;
	}
	rtmtu_free(r);
	return bad;
}
