/* SPDX-License-Identifier: MIT */
/*
 * us: internals of the userspace backend (docs/dataplane.md).
 *
 * Threads. The control side (dp_ops calls, on the caller's thread) and N
 * SPU worker threads. Every table the packet path reads is private to its
 * SPU: the control side changes them only by posting a message to each
 * SPU's inbox and waiting until every SPU applied it (so a descriptor a
 * message replaces can be freed once the wait is over). Packets that
 * reach the wrong SPU are handed to the owner through lock-free SPSC
 * rings. No lock is taken per packet.
 *
 * Objects.
 *   us_unit, us_tunnel, us_policy: immutable descriptors shared by all
 *     SPUs, replaced (not changed) by the control side.
 *   us_sa: one SA, owned by the SPU its tunnel is anchored on; its
 *     crypto contexts, replay window and counters are touched only there.
 */
#ifndef CAIRN_DP_US_H
#define CAIRN_DP_US_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/virtio_net.h>

#include "dp.h"
#include "esp.h"
#include "hmap.h"
#include "log.h"
#include "lpm.h"
#include "pkt.h"
#include "replay.h"
#include "ring.h"

#define US_MAX_SPUS      64
#define US_DEFAULT_MTU   1400
#define US_TUN_MTU       65000 /* the device; routes carry the unit MTUs */
#define US_ADEV_UNITS    256   /* units with addresses per address device (us_io.c) */
#define US_RX_BATCH      64
#define US_RX_BUF        65600 /* a GRO'd UDP datagram or reassembled packet */
#define US_TUN_BUF       (65536 + 256)
#define US_TX_SLAB       (2u << 20)
#define US_TX_MAX        256
#define US_TUN_BUDGET    (512u << 10) /* TUN bytes per turn (latency, §10.2) */
#define US_RING_SIZE     (4u << 20)
#define US_GSO_MAX_SEGS  64
#define US_GSO_MAX_BYTES 65000
#define US_HEADROOM      64 /* before an inner packet: ESP header + IV */

/*
 * Fragments and policy-based VPNs (docs/dataplane.md §6). The kernel's
 * fib rules see no ports in a forwarded fragment, so for an OUT policy
 * with port selectors the dataplane installs, after all policy rules, a
 * "catch" rule (prefixes and protocol, no ports, at US_FRAG_CATCH_PRIO)
 * that sends such fragments into st0; before it, global rules at
 * US_FRAG_SKIP_PRIO jump every TCP/UDP/SCTP packet that has ports (not a
 * fragment) over it to a "nop" rule at US_FRAG_END_PRIO. The dataplane
 * decides by the first fragment and re-sends what matches no policy with
 * US_RESEND_MARK, which every policy rule excludes (fwmark 0/mark).
 */
#define US_RESEND_MARK     0x20000000u
#define US_FRAG_SKIP_PRIO  30001 /* + rule_prio_base, after every policy rule */
#define US_FRAG_CATCH_PRIO 30002
#define US_FRAG_END_PRIO   30003
/* frag_tab values: a tunnel id, or one of these (outside the ids' range) */
#define US_FRAG_NONE (1ULL << 32)       /* matched no policy */
#define US_FRAG_DROP ((1ULL << 32) + 1) /* undecidable, dropped */

/* Immutable descriptors shared by SPUs. */
struct us_unit {
	struct dp_unit u;
	uint32_t mtu; /* effective */
};

struct us_policy {
	struct dp_policy p;
};

/*
 * struct dp_tunnel as the SPUs see it, its selectors stored only as many as
 * are used (the 16-selector arrays of dp_tunnel were most of a tunnel's
 * memory): local_ts and remote_ts point into the us_tunnel's own tail.
 */
struct us_tun_desc {
	uint32_t id;
	uint32_t unit;
	struct dp_addr nexthop;
	uint32_t spu; /* the owner */
	struct dp_addr local_gw, remote_gw;
	uint64_t ike_sa_id;
	bool dynamic;
	bool on_traffic;
	/* AF_INET or AF_INET6 when that side's one selector was the whole of
	 * that family, any protocol and port (a route-based VPN's usual
	 * 0.0.0.0/0 or ::/0): kept as this byte instead, n_*_ts 0; 0 when not
	 * (us_tunnel_new; tun_ts_match reads both forms) */
	uint8_t local_any, remote_any;
	uint32_t n_local_ts, n_remote_ts;
	const struct dp_ts *local_ts, *remote_ts;
};

/* Whether a tunnel restricts its traffic by selectors at all. */
static inline bool
us_tun_has_ts(const struct us_tun_desc *t)
{
	return t->n_local_ts != 0 || t->n_remote_ts != 0 || t->local_any != 0 || t->remote_any != 0;
}

#define US_TUN_IN_POL_MAX 16

/* One allocation: the descriptor, then n_in_pol policy pointers, then the
 * selectors (us_tunnel_new). */
struct us_tunnel {
	struct us_tun_desc t;
	uint32_t n_in_pol;               /* inbound policies that also admit traffic */
	const struct us_policy **in_pol; /* into the tail, at most US_TUN_IN_POL_MAX */
};

struct spu_tun;

/* One SA; owned by one SPU. */
struct us_sa {
	struct us_sa *tnext; /* owner tunnel's outbound list, newest first */
	struct spu_tun *tun; /* the owner's entry of the SA's tunnel */
	uint32_t spi;
	enum dp_dir dir;
	uint32_t tunnel_id;
	uint32_t flags;
	bool encap, esn, dead, soft_sent;
	enum dp_df df;
	struct dp_addr local, remote;
	uint16_t lport, rport;
	uint32_t outer_mtu; /* toward the peer */
	uint32_t inner_mtu; /* largest inner packet that fits unfragmented */
	struct esp_xform x;
	struct replay rp;
	uint64_t seq; /* outbound: last sent */
	struct dp_lifetime life;
	struct dp_sa_stats st;
	/* bytes and packets of st cleared by dp_clear_stats: the lifetime
	 * counts from the SA's start (st + these) */
	uint64_t cleared_bytes, cleared_packets;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} peer; /* destination of outbound packets (not sockaddr_storage: 100 bytes less) */
	socklen_t peer_len;
};

/* A control message, posted to one or all SPUs; the poster waits. */
enum ctl_op {
	CTL_STOP,
	CTL_UNIT_SET,   /* a: new us_unit (NULL = delete b.id) */
	CTL_ROUTE_ADD,  /* route */
	CTL_ROUTE_DEL,  /* route */
	CTL_UNITS_SET,  /* a: b.n new us_unit pointers (none exists yet) */
	CTL_ROUTES_ADD, /* a: b.n struct dp_route */
	CTL_TUNNEL_SET, /* a: new us_tunnel */
	CTL_TUNNEL_DEL, /* b.id; the owner frees the tunnel's SAs */
	CTL_SA_ADD,     /* sa: owner installs; others learn the SPI owner */
	CTL_SA_DEL,     /* b.id = tunnel, b.spi, b.dir */
	CTL_SA_UPDATE,  /* sa (template), b.what */
	CTL_SA_STATS,   /* b.*; reply in stats */
	CTL_SA_EXPORT,  /* owner: detach tunnel b.id's SAs into list */
	CTL_SA_IMPORT,  /* new owner: adopt list */
	CTL_POLICIES,   /* pols: ordered outbound policies, b.n */
	CTL_CLEAR_STATS,
	CTL_BATCH, /* subs[0..nsubs): applied in order, rc = the first failure */
};

/* CTL_SA_UPDATE's b.what beyond dp.h's: a new outer MTU in sa->outer_mtu
 * (the control side's periodic path MTU refresh, us_event_read) */
#define US_SA_UPD_MTU      (1u << 31)
#define US_MTU_REFRESH_SEC 5

/* Messages queued between dp_batch_begin and dp_batch_end (at most this
 * many; one more flushes the batch). */
#define US_BATCH_MAX 16

struct ctl_msg {
	enum ctl_op op;
	_Atomic uint32_t pending;
	_Atomic int rc; /* first failure */
	const void *a;
	const struct us_policy **pols; /* CTL_POLICIES */
	struct us_sa *sa;              /* CTL_SA_ADD, list for export/import */
	struct dp_route route;
	struct dp_sa_stats stats;
	struct {
		uint32_t id, spi, n, what, owner;
		enum dp_dir dir;
	} b;
	const struct dp_sa *tmpl;
	struct ctl_msg *const *subs; /* CTL_BATCH */
	uint32_t nsubs;
};

/* Per-SPU private tables. */
struct spu_tun {
	struct hnode hn;
	const struct us_tunnel *d;
	struct us_sa *out; /* owner only: outbound SAs, newest first */
	uint64_t last_acquire;
};

struct spu_unit {
	struct hnode hn;
	const struct us_unit *d;
	/* tunnels bound to the unit: while cap is 0, at most one, inline
	 * (almost every unit has one tunnel: no array allocated per unit and
	 * SPU); else an array of cap (spu_unit_tuns) */
	union {
		struct spu_tun *one;
		struct spu_tun **arr;
	} tun;
	uint32_t ntun, cap;
};

static inline struct spu_tun *const *
spu_unit_tuns(const struct spu_unit *u)
{
	return u->cap != 0 ? u->tun.arr : &u->tun.one;
}

/*
 * An inbound SPI as one SPU knows it: 24 bytes (32 with malloc's header,
 * one per inbound SA and SPU). The SPI is the high half of the node's hash
 * (spi_hash()), so equal hashes are equal SPIs; v is the SA when this SPU
 * owns it, else the owner's index shifted left by one, low bit set
 * (spi_ent_sa(), spi_ent_owner()).
 */
struct spi_ent {
	struct hnode hn;
	uintptr_t v;
};

static inline uint64_t
spi_hash(uint32_t spi)
{
	/* the bucket comes from the low, mixed half */
	return ((uint64_t)spi << 32) | (uint32_t)hmap_mix((uint64_t)spi | (2ULL << 40));
}

static inline struct us_sa *
spi_ent_sa(const struct spi_ent *e)
{
	return (e->v & 1u) != 0 ? NULL : (struct us_sa *)e->v;
}

/* self: the index of the SPU whose table e is in */
static inline uint32_t
spi_ent_owner(const struct spi_ent *e, uint32_t self)
{
	return (e->v & 1u) != 0 ? (uint32_t)(e->v >> 1) : self;
}

/* sa is the SA when owner is self (NULL otherwise, or for none) */
static inline void
spi_ent_set(struct spi_ent *e, uint32_t owner, struct us_sa *sa, uint32_t self)
{
	e->v = sa != NULL && owner == self ? (uintptr_t)sa : ((uintptr_t)owner << 1) | 1u;
}

/* Counters read by other threads: single writer, relaxed atomics. */
struct spu_ctr {
	_Atomic uint64_t encrypt_packets, encrypt_bytes, decrypt_packets, decrypt_bytes;
	_Atomic uint64_t unknown_spi, replay_drops, auth_failures, handoffs, handoff_drops;
	_Atomic uint64_t no_sa_drops, no_route_drops, mtu_drops, other_drops, tx_errors;
	_Atomic uint64_t icmp_suppressed; /* ICMP errors over the SPU's rate limit */
	_Atomic uint64_t event_drops;     /* events of this SPU the full queue dropped */
	_Atomic uint64_t frag_drops;      /* later fragments with no first-fragment decision */
	_Atomic uint64_t frag_resent;     /* fragments matching no policy, sent on in clear */
	_Atomic uint32_t tunnels;
	/* the esp_cache's own counters, published by the SPU once a second */
	_Atomic uint64_t ctx_misses, ctx_evictions;
	_Atomic uint32_t ctx_keyed;
};

/* Outbound datagrams gathered for sendmmsg, UDP GSO where possible. */
struct txq {
	uint8_t *slab;
	size_t used;
	int n;
	int fd[US_TX_MAX];
	struct mmsghdr msg[US_TX_MAX];
	struct iovec iov[US_TX_MAX];
	uint16_t seg[US_TX_MAX]; /* UDP GSO segment size */
	uint16_t nseg[US_TX_MAX];
	uint8_t tos[US_TX_MAX];
	bool gso_ok[US_TX_MAX];
	_Alignas(8) uint8_t cmsg[US_TX_MAX][128];
	/* datagrams queued above whose CBC encryption and ICV are still to
	 * do (esp_seal_start()): done together, multi-buffer, before any
	 * send and before anything they point at changes */
	struct esp_seal_job seal[US_TX_MAX];
	int nseal;
};

struct us;

struct spu {
	struct us *us;
	uint32_t idx;
	pthread_t thr;
	bool started;
	int epfd, wakefd, tunfd;
	int udp[2], udp_df[2]; /* [0] IPv4, [1] IPv6: DF clear / DF set */
	int raw[2], raw_df[2];
	_Atomic(struct ctl_msg *) inbox;
	_Atomic bool stop;

	/* tables */
	struct hmap tuns, units, spis;
	struct lpm routes;
	const struct us_policy **pol; /* OUT policies by priority */
	uint32_t npol;
	/* the decisions taken for first fragments (policy-based VPNs, §6):
	 * US_FRAG_* or a tunnel id */
	struct frag_tab *frag;
	struct frag_tab *frag_in; /* inbound: tunnel ids that admitted a first fragment */
	int resend[2];            /* raw IPPROTO_RAW, SO_MARK US_RESEND_MARK: [0] IPv4, [1] IPv6 */

	/* handoff: in[src] is the ring from SPU src to this one */
	struct ring *in;
	bool *pushed; /* pushed[dst] this round: wake dst */

	struct spu_ctr ctr;
	struct gro gro;
	struct txq tx;
	/* the cipher contexts the SPU's SAs borrow (esp.h, ESP_CACHE_SLOTS) */
	struct esp_cache *cc;
	uint64_t cc_base_misses, cc_base_evictions; /* at the last clear of statistics */

	/* buffers */
	uint8_t *tunbuf;
	uint8_t *rxbuf; /* US_RX_BATCH x US_RX_BUF */
	struct mmsghdr rxmsg[US_RX_BATCH];
	struct iovec rxiov[US_RX_BATCH];
	struct sockaddr_storage rxfrom[US_RX_BATCH];
	_Alignas(8) uint8_t rxcmsg[US_RX_BATCH][64];
	uint8_t rnd[4096]; /* CBC IVs */
	size_t rnd_used;
	uint8_t icmp[1400];
	struct pkt_tbucket icmp_tb;           /* ICMP errors (too_big) */
	struct log_ratelimit rl_auth, rl_spi; /* per-packet warnings */
	uint64_t now;                         /* CLOCK_MONOTONIC_COARSE seconds */
	uint64_t last_tick;
};

struct us_event_q {
	pthread_mutex_t lock; /* EVENT QUEUE LOCK: SPUs post, control reads */
	struct dp_event *ev;
	uint32_t head, n, cap;
	/* events dropped when full: the posting SPU's ctr.event_drops */
};

/*
 * A device of the dataplane's own that carries unit addresses ("st0-addrN",
 * see us_io.c): a non-persistent TUN nobody reads, gone with its fd.
 */
struct us_adev {
	int fd; /* -1: the slot is free */
	int ifindex;
	uint32_t units; /* units whose addresses are on it */
};

struct us {
	struct dp_config cfg;
	char tun_name[16];
	int ifindex;          /* st0 */
	struct us_adev *adev; /* where unit addresses live (see us_io.c) */
	uint32_t nadev;       /* slots in adev */
	uint32_t nspu;
	uint16_t natt_port;
	uint32_t policy_table;
	struct spu *spu;
	struct ring *rings; /* rings[src * nspu + dst] */
	int done_fd;        /* SPUs signal completed control messages */
	int ev_fd;          /* eventfd: events queued */
	int agg_fd;         /* epoll: ev_fd + mtu_fd + IKE sockets (dp_event_fd) */
	int mtu_fd;         /* timerfd: refresh the outbound SAs' path MTU */
	time_t mtu_due;     /* CLOCK_MONOTONIC_COARSE s: mtu_fd worth a read() */
	int ike[2];         /* UDP 4500 index 0 of the reuseport groups */
	struct us_event_q evq;
	struct nl *nl;
	/* the path-MTU refresh (userspace.c sa_mtu_refresh, us_rtmtu.h) */
	struct rtmtu *rtmtu;
	time_t mtu_cycle;  /* when the refresh under way began (coarse s) */
	size_t mtu_cursor; /* its next bucket of sas; 0 = none under way */
	/* control-side registry */
	struct hmap units, tunnels, sas, routes, policies, spis_reserved;
	bool policy_routes;               /* default routes in the policy table installed */
	unsigned frag_rules;              /* fragment rules installed: 1 IPv4, 2 IPv6 */
	const struct us_policy **pol_arr; /* what the SPUs use */
	uint32_t rule_prio_base;
	/* a batch (dp_batch_begin .. dp_batch_end): heap messages not yet
	 * posted, in order, each for one SPU or all (UINT32_MAX) */
	bool batching;
	uint32_t nbq;
	struct ctl_msg *bq[US_BATCH_MAX];
	uint32_t bq_target[US_BATCH_MAX];
	void *bfree[US_BATCH_MAX]; /* replaced by queued messages: freed after */
	uint32_t nbfree;
	int batch_rc; /* first failure of a flush since the batch began */
};

/* spu.c */
int spu_init(struct us *us, struct spu *s, uint32_t idx, struct errbuf *err);
void spu_fini(struct spu *s);
int spu_start(struct spu *s, struct errbuf *err);
void spu_sa_free(struct us_sa *sa);
void us_event_post(struct us *us, const struct dp_event *ev);

/* us_io.c: devices and sockets */
int us_tun_open(struct us *us, struct errbuf *err);
int us_sockets_open(struct us *us, struct errbuf *err);
void us_io_close(struct us *us);
int us_adev_open(struct us *us, uint32_t slot, struct errbuf *err);
void us_adev_close(struct us *us, uint32_t slot);

/* us_nl.c: rtnetlink */
struct nl;
struct nl *nl_open(struct errbuf *err);
void nl_close(struct nl *n);
int nl_link_set(struct nl *n, int ifindex, bool up, uint32_t mtu, struct errbuf *err);
int nl_link_up_txqlen(
    struct nl *n, int ifindex, uint32_t txqlen, const char *what, struct errbuf *err);
int nl_addr(struct nl *n, bool add, int ifindex, const struct dp_prefix *p, struct errbuf *err);
struct nl_route {
	struct dp_prefix dst;
	struct dp_addr gw, prefsrc;
	uint32_t table, metric, mtu;
	int ifindex;
};
int nl_route(struct nl *n, bool add, const struct nl_route *r, struct errbuf *err);
struct nl_rule {
	struct dp_prefix src, dst;
	uint8_t family, proto;
	uint8_t action; /* FR_ACT_*; 0 = FR_ACT_TO_TBL (lookup table) */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint32_t table, priority;
	uint32_t goto_prio;       /* FR_ACT_GOTO: the rule jumped to */
	uint32_t mark, mark_mask; /* fwmark mark/mark_mask when mark_mask != 0 */
	/* several owners may install this very rule (the fragment catch
	 * rules of policies that differ only in ports): added without
	 * NLM_F_EXCL, the kernel keeps one copy per owner and a delete
	 * removes one */
	bool shared;
};
int nl_rule(struct nl *n, bool add, const struct nl_rule *r, struct errbuf *err);
/* Deletes every rule of family whose action is "lookup table" (any
 * priority, selector or mark): *n_deleted how many. */
int nl_rule_flush_table(
    struct nl *n, uint8_t family, uint32_t table, unsigned *n_deleted, struct errbuf *err);

/* helpers */
const char *us_addr_str(const struct dp_addr *a, char *buf, size_t len);
uint64_t us_sa_key(uint32_t spi, enum dp_dir dir, const struct dp_addr *dst);

#endif
