/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the rtnetlink answers the userspace dataplane's route-MTU
 * ask reads (us_rtmtu.c): one datagram, parsed as an RTM_NEWROUTE and as
 * an RTM_NEWLINK answer, and the MTU derived from both.
 * Corpus: corpus/rtmtu/ (real kernel answers for IPv4 and IPv6 routes
 * with and without an MTU metric or lock, and for links, captured in a
 * private namespace).
 */
#include <stdint.h>
#include <string.h>

#include "us_rtmtu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536] __attribute__((aligned(8)));
	struct rtmtu_route rt;
	struct rtmtu_link l;
	bool have_rt, have_l;

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	have_rt = rtmtu_route_parse(buf, size, &rt) == 0;
	have_l = rtmtu_link_parse(buf, size, &l) == 0;
	if (have_rt)
		(void)rtmtu_effective(&rt, have_l ? &l : NULL);
	return 0;
}
