/* SPDX-License-Identifier: MIT */
/*
 * xfrm: Cairn's small "libxfrm" over libmnl. Three layers:
 *
 *  - xnl: one netlink socket (NETLINK_XFRM or NETLINK_ROUTE) with extended
 *    acks; xnl_transact() sends one request (NLM_F_ACK always set), reads
 *    until the matching ack (seq and portid) and hands every data message
 *    of the reply to a callback.
 *  - builders (xfrm_build_*, rtnl_build_*): write one request into a
 *    caller's fixed-size buffer. Pure, unit-tested.
 *  - parsers (xfrm_parse_*): copy a kernel message out into plain structs
 *    with bounds checks (nlp.h). Pure, fuzzed.
 *
 * All functions return 0 (or a length) or -errno. Buffers that held keys
 * are wiped by the functions that filled them.
 */
#ifndef CAIRN_XFRM_H
#define CAIRN_XFRM_H

#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dp.h"
#include "errbuf.h"
#include "nlp.h"
#include "xfrm_wire.h"

/* Fixed request size (STYLE.md §8: MNL_SOCKET_BUFFER_SIZE is a sysconf call). */
#define XFRM_REQ_MAX 8192
/* Receive buffer: dumps come in datagrams of up to 32 KiB. */
#define XNL_RCV_MAX   65536
#define XFRM_TMPL_MAX 6 /* XFRM_MAX_DEPTH */

/* ---------------------------------------------------------------- xnl */

struct xnl;

/* Opens a netlink socket on bus (NETLINK_XFRM, NETLINK_ROUTE) bound to the
 * multicast groups mask `groups` (0: requests only). NULL + errno. */
struct xnl *xnl_open(int bus, uint32_t groups);
void xnl_close(struct xnl *nl);
int xnl_fd(const struct xnl *nl);
uint32_t xnl_next_seq(struct xnl *nl);

/* Called for every reply message that is not an ack, error or done. */
typedef int (*xnl_cb)(const struct nlmsghdr *hdr, struct rd payload, void *arg);

/*
 * Sends req (NLM_F_REQUEST|NLM_F_ACK added, seq set if 0) and reads the
 * replies that match its seq and our portid until the ack, error or end of
 * dump. Returns 0, the kernel's -errno (kerr holds its ext-ack text), or
 * -errno of the socket. cb may be NULL; a negative cb return stops the
 * walk and is returned after the reply has been drained. The receive
 * buffer is wiped afterwards (SA dumps carry keys). Each datagram is
 * waited for up to XNL_TIMEOUT_MS (then -ETIMEDOUT); signals do not end
 * the wait (xnl_recv_wait) and the request is never sent twice.
 */
int xnl_transact(struct xnl *nl, struct nlmsghdr *req, xnl_cb cb, void *arg, struct nlp_err *kerr);

/* How long xnl_transact() waits for each datagram of the kernel's answer. */
#define XNL_TIMEOUT_MS 5000

/*
 * Waits up to timeout_ms for one datagram on fd and reads it: its length,
 * -ETIMEDOUT, -ENOSPC (larger than cap) or -errno. A signal interrupting
 * the wait does not end it: the wait goes on for what is left of
 * timeout_ms (the request was sent; its answer is still to come).
 */
ssize_t xnl_recv_wait(int fd, uint8_t *buf, size_t cap, int timeout_ms);

/* Non-blocking read of one datagram (events): length, -EAGAIN, -ENOBUFS
 * (overrun: events were lost) or -errno. */
ssize_t xnl_recv_nb(struct xnl *nl, uint8_t *buf, size_t cap);

/*
 * Walks a datagram of replies (the parsing half of xnl_transact, exposed for
 * the fuzz target): data messages to cb while *cbrc >= 0 (its result is
 * stored there); *done set on the matching ack, error or NLMSG_DONE, with
 * the result in *kerr. Messages whose seq or portid (0 = any) differ are
 * skipped. Returns 0 or -EBADMSG.
 */
int xnl_walk(const uint8_t *buf, size_t len, uint32_t seq, uint32_t portid, xnl_cb cb, void *arg,
    bool *done, int *cbrc, struct nlp_err *kerr);

/* --------------------------------------------------------- addresses */

/* dp_addr <-> xfrm_address_t; family is AF_INET or AF_INET6. */
void xfrm_addr_from_dp(xfrm_address_t *xa, const struct dp_addr *a);
void xfrm_addr_to_dp(struct dp_addr *a, uint16_t family, const xfrm_address_t *xa);

/* ----------------------------------------------------------------- SA */

/* What the kernel backend adds to a dp_sa when it installs it. */
struct xfrm_sa_extra {
	uint32_t reqid;
	uint32_t if_id; /* 0 = none */
	uint32_t mark_v, mark_m;
	bool pcpu; /* XFRMA_SA_PCPU = cpu, with XFRMA_SA_DIR out */
	uint32_t cpu;
};

/* Kernel names of Cairn's algorithms (NULL: not a valid value). */
const char *xfrm_enc_name(enum dp_enc enc);
const char *xfrm_integ_name(enum dp_integ integ);
uint32_t xfrm_integ_trunc_bits(enum dp_integ integ);
/* dp lifetimes (0 = unlimited) as an XFRM lifetime configuration; the
 * seconds count from installation. */
void xfrm_lifetime_from_dp(struct xfrm_lifetime_cfg *l, const struct dp_lifetime *life);
/* Checks algorithm/key-length consistency; err says what is wrong. */
int xfrm_sa_check(const struct dp_sa *sa, struct errbuf *err);

/*
 * Builds XFRM_MSG_NEWSA or XFRM_MSG_UPDSA for sa (tunnel mode ESP) into
 * buf. Returns the message length or -errno (-EMSGSIZE, -EINVAL with err).
 * The caller wipes buf (it holds the keys).
 */
int xfrm_build_sa(uint8_t *buf, size_t cap, uint16_t type, const struct dp_sa *sa,
    const struct xfrm_sa_extra *x, struct errbuf *err);

/* XFRM_MSG_GETSA / XFRM_MSG_DELSA for (dst, spi, ESP); mark may be 0/0. */
int xfrm_build_sa_id(uint8_t *buf, size_t cap, uint16_t type, const struct dp_addr *dst,
    uint32_t spi, uint32_t mark_v, uint32_t mark_m);
/* XFRM_MSG_GETSA with NLM_F_DUMP (all ESP SAs). */
int xfrm_build_sa_dump(uint8_t *buf, size_t cap);
/* XFRM_MSG_ALLOCSPI: an inbound larval SA remote -> local in [lo, hi]. */
int xfrm_build_allocspi(uint8_t *buf, size_t cap, const struct dp_addr *local,
    const struct dp_addr *remote, uint32_t reqid, uint32_t lo, uint32_t hi);

/* struct xfrm_replay_state_esn without its bitmap (a flexible array). */
struct xfrm_esn_hdr {
	uint32_t bmp_len; /* bitmap words */
	uint32_t oseq, seq, oseq_hi, seq_hi;
	uint32_t replay_window;
};

/* An SA as the kernel reports it (no key bytes are kept). */
struct xfrm_sa_info {
	struct xfrm_usersa_info u; /* host order except addresses, spi, ports */
	char aead[64], crypt[64], auth[64];
	uint32_t aead_key_bits, aead_icv_bits, crypt_key_bits, auth_key_bits, auth_trunc_bits;
	bool has_encap, has_esn, has_replay, has_if_id, has_pcpu, has_dir, has_mark;
	struct xfrm_encap_tmpl encap;
	struct xfrm_esn_hdr esn;
	struct xfrm_replay_state replay;
	struct xfrm_mark mark;
	uint32_t if_id, pcpu, extra_flags;
	uint8_t dir;
	uint64_t lastused; /* XFRMA_LASTUSED, wall clock seconds, 0 = none */
};

/* XFRM_MSG_NEWSA/UPDSA (replies to GETSA, ALLOCSPI, dumps) payload. */
int xfrm_parse_sa(struct rd payload, struct xfrm_sa_info *out);

/*
 * Whether a dumped SA is the kernel's placeholder for a pending acquire.
 * On an acquire, xfrm_state_find() keeps a larval state (XFRM_STATE_ACQ, which
 * the dump does not report) holding the template's id with SPI 0, its
 * reqid, the packet's flow as selector and, as seq, the seq of the
 * XFRM_MSG_ACQUIRE it sent; it has no algorithms and lives for
 * xfrm_acq_expires (30 s). ALLOCSPI's larval states have an SPI.
 */
bool xfrm_sa_is_acquire(const struct xfrm_sa_info *sa);

/*
 * Has an SA (as dumped: u.lft limits, u.curlft counters) passed one of its
 * soft limits at wall-clock second now, as the kernel judges it
 * (xfrm_state_check_expire, xfrm_timer_handler)? bytes >= soft_byte_limit
 * or packets >= soft_packet_limit (XFRM_INF: never); add_time +
 * soft_add_expires_seconds <= now, and use_time + soft_use_expires_seconds
 * <= now once used (use_time != 0); 0 seconds means no limit.
 */
bool xfrm_sa_soft_passed(const struct xfrm_sa_info *sa, uint64_t now);

struct xfrm_expire_info {
	struct xfrm_sa_info sa;
	bool hard;
};
/* XFRM_MSG_EXPIRE payload. */
int xfrm_parse_expire(struct rd payload, struct xfrm_expire_info *out);

/* ------------------------------------------------------------- policy */

struct xfrm_pol {
	struct xfrm_userpolicy_info u; /* sel, priority, dir, action, lft */
	uint32_t n_tmpl;
	struct xfrm_user_tmpl tmpl[XFRM_TMPL_MAX];
	bool has_if_id, has_mark;
	uint32_t if_id;
	struct xfrm_mark mark;
};

/* Fills an ESP tunnel-mode template src -> dst with reqid. */
void xfrm_tmpl_esp(
    struct xfrm_user_tmpl *t, const struct dp_addr *src, const struct dp_addr *dst, uint32_t reqid);

/* XFRM_MSG_NEWPOLICY / UPDPOLICY. Unset lifetimes are made infinite. */
int xfrm_build_policy(uint8_t *buf, size_t cap, uint16_t type, const struct xfrm_pol *p);
/* XFRM_MSG_GETPOLICY / DELPOLICY by selector, dir, if_id and mark. */
int xfrm_build_policy_id(uint8_t *buf, size_t cap, uint16_t type, const struct xfrm_pol *p);
/* XFRM_MSG_GETPOLICY with NLM_F_DUMP. */
int xfrm_build_policy_dump(uint8_t *buf, size_t cap);
/* XFRM_MSG_NEWPOLICY/UPDPOLICY payload (replies and dumps). */
int xfrm_parse_policy(struct rd payload, struct xfrm_pol *out);

/* ------------------------------------------------------------ acquire */

struct xfrm_acquire_info {
	struct xfrm_user_acquire u;
	uint32_t n_tmpl;
	struct xfrm_user_tmpl tmpl[XFRM_TMPL_MAX];
	bool has_if_id, has_pcpu;
	uint32_t if_id, pcpu;
};
/* XFRM_MSG_ACQUIRE payload. */
int xfrm_parse_acquire(struct rd payload, struct xfrm_acquire_info *out);

/* ---------------------------------------------------------- selectors */

/*
 * Turns a pair of RFC 7296 traffic selectors (address and port ranges)
 * into XFRM selectors (prefixes and port/mask blocks): the smallest set of
 * selectors covering exactly the ranges. -E2BIG when more than cap are
 * needed, -EINVAL when the families differ or a range is inverted.
 */
int xfrm_ts_to_sels(const struct dp_ts *src, const struct dp_ts *dst, struct xfrm_selector *out,
    size_t cap, size_t *n);
/* An any/any selector of family. */
void xfrm_sel_any(struct xfrm_selector *s, uint8_t family);

/*
 * Do two versions of a tunnel need the same kernel policies (same unit,
 * gateways and selectors)? Compares field by field: padding and the unused
 * bytes of an IPv4 address's union are not compared.
 */
bool xfrm_tunnel_same_policies(const struct dp_tunnel *a, const struct dp_tunnel *b);

/* -------------------------------------------------------- rtnetlink */

/* RTM_NEWLINK kind "xfrm" named name with IFLA_XFRM_IF_ID and
 * IFLA_XFRM_LINK (0 = none), NLM_F_CREATE|NLM_F_EXCL; mtu 0 = default. */
int rtnl_build_xfrmi_add(
    uint8_t *buf, size_t cap, const char *name, uint32_t if_id, uint32_t link, uint32_t mtu);
/* RTM_NEWLINK on ifindex: mtu (0 = unchanged) and up/down. */
int rtnl_build_link_set(uint8_t *buf, size_t cap, int ifindex, uint32_t mtu, bool up);
/* RTM_GETLINK by name, RTM_DELLINK by index. */
int rtnl_build_link_get(uint8_t *buf, size_t cap, const char *name);
int rtnl_build_link_del(uint8_t *buf, size_t cap, int ifindex);
/* RTM_NEWADDR / RTM_DELADDR. */
int rtnl_build_addr(
    uint8_t *buf, size_t cap, uint16_t type, int ifindex, const struct dp_prefix *p);
/* RTM_NEWROUTE / RTM_DELROUTE: dst via ifindex (and nexthop when set) in
 * routing table `table` (0 = main). */
int rtnl_build_route(uint8_t *buf, size_t cap, uint16_t type, const struct dp_prefix *dst,
    int ifindex, const struct dp_addr *nexthop, uint32_t metric, uint32_t table);

struct rtnl_link_info {
	int ifindex;
	uint32_t flags, mtu;
	char kind[16];
	bool has_if_id;
	uint32_t if_id;
};
/* RTM_NEWLINK payload (reply to RTM_GETLINK). */
int rtnl_parse_link(struct rd payload, struct rtnl_link_info *out);

#endif
