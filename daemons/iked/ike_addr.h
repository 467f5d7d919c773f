/* SPDX-License-Identifier: MIT */
/*
 * ike_addr: the address types of the engine's public interface (IP
 * addresses, UDP endpoints, datagrams) and their helpers. The engine never
 * uses sockaddr or the dataplane's dp_addr; ike_dp.c and ike_sock.c convert.
 */
#ifndef CAIRN_IKE_ADDR_H
#define CAIRN_IKE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct ike_addr {
	uint8_t family; /* AF_INET, AF_INET6, 0 = unset */
	uint8_t b[16];  /* network order; IPv4 in b[0..3], the rest zero */
};

struct ike_endpoint {
	struct ike_addr addr;
	uint16_t port; /* host order */
};

enum ike_dgram_kind {
	IKE_DGRAM_IKE,       /* an IKE message (on 4500 the transport adds the marker) */
	IKE_DGRAM_KEEPALIVE, /* RFC 3948 2.3 NAT keepalive: one 0xff byte, no marker */
};

/* One UDP datagram; data is borrowed for the duration of the call. */
struct ike_dgram {
	struct ike_endpoint local, remote;
	enum ike_dgram_kind kind;
	const uint8_t *data;
	size_t len;
};

/* Address length in bytes for the family (4, 16, or 0). */
size_t ike_addr_len(const struct ike_addr *a);
bool ike_addr_eq(const struct ike_addr *a, const struct ike_addr *b);
bool ike_addr_is_set(const struct ike_addr *a);
bool ike_ep_eq(const struct ike_endpoint *a, const struct ike_endpoint *b);
int ike_addr_cmp(const struct ike_addr *a, const struct ike_addr *b);
/* Parses a literal IPv4 or IPv6 address; 0 or -EINVAL. */
int ike_addr_parse(const char *s, struct ike_addr *out);
/* Parses "A/LEN" (or a bare address: full length); 0 or -EINVAL. */
int ike_prefix_parse(const char *s, struct ike_addr *addr, uint8_t *len);
/* First and last address of a prefix. */
void ike_prefix_range(
    const struct ike_addr *addr, uint8_t len, struct ike_addr *lo, struct ike_addr *hi);
/* Formats into buf (at least IKE_ADDR_STRLEN); returns buf. */
const char *ike_addr_str(const struct ike_addr *a, char *buf, size_t len);
uint64_t ike_addr_hash(const struct ike_addr *a, uint16_t port);

#endif
