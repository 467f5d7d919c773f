/* SPDX-License-Identifier: MIT */
/*
 * pkt: IPv4/IPv6 packet helpers for the userspace dataplane, all pure
 * (caller buffers, no I/O): parsing inner packets, Internet checksums,
 * traffic-selector matching, ICMP "too big" errors toward a sender, IPv4
 * fragmentation, TCP segmentation of TUN GSO packets (the kernel hands
 * the dataplane up to 64 KiB TCP super-packets with IFF_VNET_HDR) and the
 * reverse, coalescing decrypted TCP segments into one GSO write (GRO).
 */
#ifndef CAIRN_DP_PKT_H
#define CAIRN_DP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>

#include "dp.h"

struct pkt_info {
	uint8_t family;  /* AF_INET or AF_INET6 */
	uint8_t proto;   /* transport protocol (after IPv6 extension headers) */
	uint8_t tos;     /* IPv4 TOS / IPv6 traffic class */
	bool df;         /* IPv4 DF */
	bool frag;       /* a fragment */
	bool later_frag; /* a fragment other than the first (no ports) */
	bool ports;      /* sport/dport valid (TCP, UDP, SCTP first fragment) */
	bool icmp_error; /* an ICMP/ICMPv6 error message */
	uint16_t l3len;  /* IP header length (IPv6: with extension headers) */
	uint16_t sport, dport;
	uint32_t frag_id;         /* when frag: IPv4 identification / IPv6 fragment id */
	size_t len;               /* packet length per its IP header (<= the buffer) */
	const uint8_t *src, *dst; /* into the packet: 4 or 16 bytes */
};

/* Parses and validates an IP packet; -EBADMSG if malformed. */
int pkt_parse(const uint8_t *p, size_t len, struct pkt_info *pi);

/*
 * Stateful fragment checking (RFC 4301 7.3): the first fragment of a
 * packet carries the ports, so it alone can be matched against port
 * selectors; the decision taken for it is remembered for a short time
 * under (family, source, destination, protocol, fragment id) and the
 * later fragments of the same packet follow it. A fixed table of
 * FRAG_SLOTS entries (no allocation after frag_tab_init; one per SPU,
 * touched only by its thread, no lock): a key hashes to a bucket of
 * FRAG_WAYS slots; a new key takes an expired or free slot of its
 * bucket, else the oldest one there (bounded memory: under a flood the
 * oldest decisions are forgotten, and fragments without a decision are
 * dropped by the caller, never sent in clear). Time is in milliseconds,
 * the caller's clock.
 */
#define FRAG_SLOTS  1024
#define FRAG_WAYS   4
#define FRAG_TTL_MS 5000 /* how long a decision is kept after its last use */

struct frag_ent {
	uint64_t expires_ms; /* 0: free */
	uint64_t value;      /* wider than an id: room for values that are none */
	uint32_t id;
	uint8_t family, proto;
	uint8_t src[16], dst[16];
};

struct frag_tab {
	struct frag_ent ent[FRAG_SLOTS];
	uint64_t evictions; /* live entries replaced by a new key */
};

void frag_tab_init(struct frag_tab *t);
/* Remembers value for pi's packet (pi->frag must be set). */
void frag_tab_put(struct frag_tab *t, const struct pkt_info *pi, uint64_t value, uint64_t now_ms);
/* The value remembered for pi's packet: true and *value set, and the
 * entry's lifetime renewed; false if none (never seen or expired). */
bool frag_tab_get(struct frag_tab *t, const struct pkt_info *pi, uint64_t *value, uint64_t now_ms);

/* Internet checksum (RFC 1071): native-order partial sums. */
uint64_t pkt_csum_add(uint64_t sum, const void *p, size_t len);
uint16_t pkt_csum_fold(uint64_t sum); /* stored with memcpy gives network order */
/* The pseudo-header sum (RFC 793 / RFC 8200 8.1) of a TCP/UDP packet. */
uint64_t pkt_pseudo_sum(
    uint8_t family, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t l4len);
void pkt_ip4_csum(uint8_t *ip); /* recomputes the IPv4 header checksum */

/* true if (addr, proto, port) lies in ts. Without a port (!has_port: a
 * later fragment, a protocol without ports) only a ts whose port range is
 * "any" matches (RFC 7296 3.13.1). */
bool pkt_ts_match(const struct dp_ts *ts, uint8_t family, const uint8_t *addr, uint8_t proto,
    uint16_t port, bool has_port);

/* TCP, UDP and SCTP: the protocols whose first 4 bytes are the ports */
static inline bool
pkt_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* ts restricts ports (a range other than "any") */
static inline bool
pkt_ts_has_ports(const struct dp_ts *ts)
{
	return ts->port_lo != 0 || ts->port_hi != 0xffff;
}

/*
 * Builds an ICMPv4 "fragmentation needed" (RFC 792, RFC 1191) or ICMPv6
 * "packet too big" (RFC 4443 3.2) error about orig, from src to orig's
 * sender, into out. Returns its length, or 0 when no error may be sent
 * (orig is an ICMP error, a later fragment, from or to multicast, or src
 * is unset).
 */
size_t pkt_icmp_too_big(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len,
    uint32_t mtu, const struct dp_addr *src);

/*
 * A token bucket for the ICMP errors the dataplane generates (RFC 4443
 * 2.4(f) requires limiting ICMPv6 errors, RFC 1812 4.3.2.8 recommends it
 * for ICMPv4). One per SPU, touched only by its thread (no lock). The
 * defaults are Linux's global ICMP limit (net.ipv4.icmp_msgs_per_sec,
 * net.ipv4.icmp_msgs_burst): up to PKT_ICMP_BURST errors at once, refilled
 * at PKT_ICMP_RATE a second. Time is in milliseconds, the caller's clock.
 */
#define PKT_ICMP_RATE  1000
#define PKT_ICMP_BURST 50

struct pkt_tbucket {
	uint64_t last_ms; /* of the last refill */
	uint32_t tokens, rate, burst;
};

void pkt_tb_init(struct pkt_tbucket *tb, uint32_t rate, uint32_t burst, uint64_t now_ms);
/* true (and one token taken) if a message may be sent now */
bool pkt_tb_take(struct pkt_tbucket *tb, uint64_t now_ms);
/* gives back a token taken for a message that was not sent after all */
void pkt_tb_refund(struct pkt_tbucket *tb);

/*
 * IPv4 fragmentation (RFC 791) of a packet into pieces of at most mtu.
 * The first piece keeps every option; the others carry only the options
 * whose "copied" flag (0x80 of the type) is set, padded with EOL to a
 * multiple of 4 (RFC 791 3.1, 3.2).
 */
struct frag4_iter {
	const uint8_t *p;
	size_t len, hl, off, mtu;
	uint16_t base_off; /* the original's fragment offset (8-byte units) */
	bool base_mf;
	uint8_t hl2;      /* header length of the pieces after the first */
	uint8_t opt2[40]; /* their options (hl2 - 20 bytes) */
};
/* -EBADMSG: not a valid IPv4 packet, or malformed options; -EMSGSIZE:
 * mtu too small for the header and 8 bytes */
int frag4_init(struct frag4_iter *it, const uint8_t *p, size_t len, size_t mtu);
size_t frag4_next(struct frag4_iter *it, uint8_t *out, size_t cap); /* 0 = done */

/*
 * Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the sum of
 * p[start..len) goes to p[start + off]. -EBADMSG if out of range.
 */
int pkt_csum_finish(uint8_t *p, size_t len, uint16_t start, uint16_t off);

/* TCP segmentation of one TUN GSO packet (TSO in software). */
struct gso_iter {
	const uint8_t *p;
	size_t len;
	uint8_t family;
	uint16_t l3len, hlen, mss;
	size_t off; /* next payload byte */
	uint32_t seq;
	uint16_t id;
	unsigned idx;
};
/* -EBADMSG (malformed), -EOPNOTSUPP (not TCP over plain IPv4/IPv6). */
int gso_iter_init(
    struct gso_iter *it, const struct virtio_net_hdr *vh, const uint8_t *p, size_t len);
/* Writes the next segment (headers fixed, checksums complete) to out. */
size_t gso_iter_next(struct gso_iter *it, uint8_t *out, size_t cap); /* 0 = done */

/*
 * GRO for TUN writes: consecutive in-order TCP segments of one flow become
 * one GSO packet written with a virtio_net_hdr (gso_size = segment
 * payload, checksum left partial for the kernel). Packets are referenced,
 * not copied: they must stay valid until gro_flush().
 */
#define GRO_SLOTS    8
#define GRO_MAX_SEGS 64

struct gro_slot {
	bool used;
	bool closed; /* a short or PSH segment ended it */
	bool psh;
	uint8_t family;
	uint16_t l3len, hlen, mss, nseg;
	uint32_t next_seq, total;
	uint8_t *pkt; /* the first segment: its headers are rewritten at flush */
	struct iovec iov[GRO_MAX_SEGS + 2];
	struct virtio_net_hdr vh;
};

struct gro {
	struct gro_slot slot[GRO_SLOTS];
	/* writes one packet: iov[0] is the virtio_net_hdr */
	int (*out)(void *arg, struct iovec *iov, int iovcnt);
	void *arg;
	uint64_t packets_in, packets_out; /* for the coalescing ratio */
};

void gro_init(struct gro *g, int (*out)(void *arg, struct iovec *iov, int iovcnt), void *arg);
int gro_add(struct gro *g, uint8_t *pkt, size_t len);
int gro_flush(struct gro *g);

#endif
