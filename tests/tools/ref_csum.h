/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum the plain RFC 1071 way (byte pairs in network
 * order), for test tools and tests: a reference written apart from the
 * dataplane's own (pkt.c), so that the two check each other.
 */
#ifndef CAIRN_TESTS_REF_CSUM_H
#define CAIRN_TESTS_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* ~(sum + the 16-bit words of p[0..len)), folded; sum: a partial sum to
 * start from (a pseudo-header's), or 0. */
static inline uint16_t
ref_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
