/* SPDX-License-Identifier: MIT */
/*
 * us_rtmtu: the route MTU toward IPsec peers, asked of the kernel over
 * rtnetlink (RTM_GETROUTE, many requests per send) and cached per peer.
 * The value is the one a UDP socket connected to the peer reads as
 * IP_MTU / IPV6_MTU: a learned PMTU exception, else the route's `mtu`
 * metric, else the output device's MTU (IPv6: its mtu6); below 576 or
 * unknown: 1500. Only the control thread uses one struct rtmtu.
 */
#ifndef CAIRN_US_RTMTU_H
#define CAIRN_US_RTMTU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dp.h"

struct rtmtu; /* opaque */

/* A netlink socket and an empty cache; NULL with errno set. */
struct rtmtu *rtmtu_new(void);
void rtmtu_free(struct rtmtu *r); /* NULL is a no-op */

/*
 * Asks the kernel for peers[0..n) now (duplicates allowed), pipelined:
 * up to RTMTU_CHUNK requests per send, the answers read in one go. Fills
 * mtu[0..n) and the cache. Never fails: a peer the kernel cannot route,
 * or an answer lost, gets 1500 (as the connected socket did).
 */
#define RTMTU_CHUNK 128
void rtmtu_ask(struct rtmtu *r, const struct dp_addr *peers, size_t n, uint32_t *mtu);

/* The cached MTU toward peer if asked at or after `since` (CLOCK_MONOTONIC_COARSE s). */
bool rtmtu_cached(const struct rtmtu *r, const struct dp_addr *peer, time_t since, uint32_t *mtu);

/* Cached if at most RTMTU_CACHE_SECS old, else asked now (one request). */
#define RTMTU_CACHE_SECS 5
uint32_t rtmtu_get(struct rtmtu *r, const struct dp_addr *peer);

/* Drops the cache entries asked before `before` (peers no longer used). */
void rtmtu_expire(struct rtmtu *r, time_t before);
size_t rtmtu_cache_size(const struct rtmtu *r);

/* The reference (and the fallback): a UDP socket connected to peer, IP_MTU. */
uint32_t rtmtu_ask_sock(const struct dp_addr *peer);

/* ---- the reply parsers (pure; fuzzed by fuzz_rtmtu) ---- */

struct rtmtu_route {
	uint32_t mtu;       /* RTAX_MTU (a PMTU exception or the route's); 0 = none */
	bool mtu_locked;    /* RTAX_LOCK has RTAX_MTU */
	bool gateway;       /* RTA_GATEWAY or RTA_VIA */
	uint32_t oif;       /* RTA_OIF; 0 = none */
	uint8_t family;     /* rtm_family */
	uint8_t prefsrc[4]; /* RTA_PREFSRC of an IPv4 route: the source connect() picks; 0 = none */
};

struct rtmtu_link {
	uint32_t ifindex;
	uint32_t mtu;  /* IFLA_MTU; 0 = none */
	uint32_t mtu6; /* IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_CONF[DEVCONF_MTU6]; 0 = none */
};

/* One RTM_NEWROUTE message (header included, len bytes): 0 or -EBADMSG. */
int rtmtu_route_parse(const uint8_t *msg, size_t len, struct rtmtu_route *out);
/* One RTM_NEWLINK message: 0 or -EBADMSG. */
int rtmtu_link_parse(const uint8_t *msg, size_t len, struct rtmtu_link *out);
/* What the kernel's dst_mtu() gives for the route over the link, as IP_MTU would read it. */
uint32_t rtmtu_effective(const struct rtmtu_route *rt, const struct rtmtu_link *link);

#endif
