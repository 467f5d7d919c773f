/* SPDX-License-Identifier: MIT */
/*
 * dp: the dataplane interface (ARCHITECTURE.md "Dataplane library",
 * docs/dataplane.md).
 *
 * cairn-iked programs tunnels only through this interface. A caller opens
 * one `struct dp` with dp_open() and then uses the dp_*() functions below;
 * the front end (dp.c) picks the backend, anchors tunnels on SPUs
 * (anchor.h) and forwards each call to the backend's ops table. Three
 * backends implement `struct dp_ops` (STYLE.md §2): "userspace" (TUN st0
 * units, SPU worker threads, ESP in OpenSSL), "kernel" (XFRM and rtnetlink
 * over libmnl) and "mock" (records calls for tests).
 *
 * Vocabulary (Junos):
 *   unit    an st0.N logical interface (route-based VPN)
 *   tunnel  one CHILD SA binding: a tunnel id, the st0 unit or policy it
 *           serves, its traffic selectors; its inbound/outbound SAs come
 *           and go with rekeys while the tunnel stays
 *   SA      one direction of a CHILD SA (ESP, tunnel mode)
 *   SPU     a processing unit; every tunnel and its SAs are anchored to one
 *
 * Order of calls: unit_set before routes into it; tunnel_set before the
 * tunnel's SAs and policies; sa_del/policy_del before tunnel_del (a
 * tunnel_del also removes what is left of its SAs and policies).
 *
 * All functions return 0 or -errno and, on failure, fill `err` with an
 * operator-facing message when err is not NULL. Structures passed in are
 * borrowed (copied by the backend). Key bytes are wiped by the backend
 * from its own copies when SAs are deleted; callers wipe theirs.
 * A struct dp is used from one thread at a time (iked's main loop).
 */
#ifndef CAIRN_DP_H
#define CAIRN_DP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "errbuf.h"

#define DP_KEY_MAX           64         /* longest key: HMAC-SHA-512 (64 bytes) */
#define DP_TS_MAX            8          /* traffic selectors per side of a tunnel */
#define DP_UNIT_NONE         UINT32_MAX /* tunnel not bound to an st0 unit (policy-based) */
#define DP_SPU_ANY           UINT32_MAX /* dp_tunnel_set: anchor by the rules of anchor.h */
#define DP_REPLAY_WINDOW_MAX 65536      /* packets; Junos allows 64..8192 */

struct dp; /* a dataplane instance (opaque) */

struct dp_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	} u;
};

/* The bytes of u an address of this family uses. */
static inline size_t
dp_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* Same family and address (the bytes past an IPv4 address ignored). */
static inline bool
dp_addr_eq(const struct dp_addr *a, const struct dp_addr *b)
{
	return a->family == b->family &&
	       (a->family == 0 || memcmp(a->u.b, b->u.b, dp_addr_len(a->family)) == 0);
}

struct dp_prefix {
	struct dp_addr addr;
	uint8_t len;
};

/* RFC 7296 3.13.1 traffic selector (one range of addresses and ports). */
struct dp_ts {
	uint8_t family;            /* AF_INET or AF_INET6 */
	uint8_t proto;             /* IP protocol, 0 = any */
	uint16_t port_lo, port_hi; /* host order; 0..65535 = any */
	struct dp_addr addr_lo, addr_hi;
};

enum dp_enc {
	DP_ENC_AES_GCM_128, /* RFC 4106, 16-byte ICV; key = 16 + 4 salt */
	DP_ENC_AES_GCM_256, /* RFC 4106, 16-byte ICV; key = 32 + 4 salt */
	DP_ENC_AES_CBC_128, /* RFC 3602; needs an integrity algorithm */
	DP_ENC_AES_CBC_256,
};

enum dp_integ {
	DP_INTEG_NONE,            /* with AEAD ciphers */
	DP_INTEG_HMAC_SHA256_128, /* RFC 4868: 32-byte key */
	DP_INTEG_HMAC_SHA384_192, /* 48-byte key */
	DP_INTEG_HMAC_SHA512_256, /* 64-byte key */
};

enum dp_dir { DP_DIR_IN, DP_DIR_OUT };

/* Outer IPv4 DF bit (Junos `df-bit`); IPv6 outer: clear = may fragment. */
enum dp_df { DP_DF_CLEAR, DP_DF_SET, DP_DF_COPY };

/* Zero means "no limit" for every field. */
struct dp_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint32_t soft_seconds, hard_seconds;
};

struct dp_unit {
	uint32_t unit;   /* st0.<unit> */
	uint32_t mtu;    /* 0 = backend default (userspace: 1400) */
	bool multipoint; /* hub: several tunnels, next-hop bindings */
	bool up;
	struct dp_prefix addr4, addr6; /* family 0 = none */
};

struct dp_route {
	struct dp_prefix dst;
	uint32_t unit;          /* into st0.<unit> */
	struct dp_addr nexthop; /* multipoint: the peer's tunnel address; family 0 = none */
	uint32_t metric;
	uint32_t table; /* kernel routing table; 0 = main */
};

struct dp_tunnel {
	uint32_t id;            /* tunnel id shown by the CLI; not 0 */
	uint32_t unit;          /* st0 unit, or DP_UNIT_NONE */
	struct dp_addr nexthop; /* multipoint st0: next-hop-tunnel address */
	/*
	 * Anchoring. dp_tunnel_set(): DP_SPU_ANY = place by the rules of
	 * anchor.h (the chosen SPU is returned), else this SPU (an explicit
	 * request). Backends always receive a concrete SPU here.
	 */
	uint32_t spu;
	struct dp_addr local_gw, remote_gw; /* outer addresses; kernel: policy templates */
	uint64_t ike_sa_id;                 /* CHILD SAs of one IKE SA share an SPU; 0 = none */
	bool dynamic;                       /* dial-up peer: anchored round-robin */
	uint32_t n_local_ts, n_remote_ts;   /* 0 = any (route-based default) */
	struct dp_ts local_ts[DP_TS_MAX], remote_ts[DP_TS_MAX];
	bool on_traffic; /* raise DP_EV_ACQUIRE when traffic finds no SA */
};

enum dp_sa_flags {
	DP_SA_HAS_LIFETIME = 1 << 0,
	DP_SA_HAS_ENCAP = 1 << 1, /* ESP in UDP (RFC 3948) */
	DP_SA_ESN = 1 << 2,       /* 64-bit sequence numbers (RFC 4303 2.2.1) */
	DP_SA_COPY_DSCP = 1 << 3,
	DP_SA_PCPU = 1 << 4, /* kernel: outbound per-CPU SA for CPU `spu` (XFRMA_SA_PCPU) */
};

struct dp_sa {
	uint32_t flags; /* enum dp_sa_flags */
	uint32_t spi;   /* host order */
	enum dp_dir dir;
	uint32_t tunnel_id;           /* the tunnel this SA carries (must exist) */
	uint32_t reqid;               /* kernel: ties SA to policy templates */
	struct dp_addr local, remote; /* outer addresses (ours, the peer's) */
	uint16_t encap_local_port;    /* DP_SA_HAS_ENCAP: host order, usually 4500 */
	uint16_t encap_remote_port;
	enum dp_enc enc;
	uint8_t enc_key_len; /* including the 4-byte GCM salt */
	uint8_t enc_key[DP_KEY_MAX];
	enum dp_integ integ;
	uint8_t integ_key_len;
	uint8_t integ_key[DP_KEY_MAX];
	uint32_t replay_window; /* inbound: packets; 0 = anti-replay off */
	enum dp_df df;
	struct dp_lifetime life;
	uint32_t spu; /* ignored by dp_sa_add(): the SA goes to its tunnel's SPU */
};

/* dp_sa_update(): which fields of struct dp_sa to change. */
enum dp_sa_update_flags {
	DP_SA_UPD_LIFETIME = 1 << 0, /* life */
	DP_SA_UPD_REMOTE = 1 << 1,   /* remote, encap_remote_port (NAT mapping moved) */
};

struct dp_sa_stats {
	uint64_t packets, bytes; /* ESP payload processed */
	uint64_t replay_drops, auth_failures, decrypt_failures;
	uint64_t bad_headers, bad_trailers;
	/* inbound: authenticated packets whose inner packet did not match the
	 * tunnel's selectors (RFC 4301 5.2), dropped (also in the SPU's
	 * other_drops) */
	uint64_t selector_drops;
	uint64_t seq;       /* outbound: last sequence sent; inbound: highest accepted */
	uint64_t add_time;  /* CLOCK_MONOTONIC seconds at install */
	uint64_t last_used; /* CLOCK_MONOTONIC seconds, 0 = never */
	uint32_t spu;       /* where the SA is anchored */
	uint32_t tunnel_id;
};

struct dp_spu_stats {
	uint32_t tunnels;      /* anchored here */
	uint32_t flow_threads; /* the divisor of the anchoring load */
	uint64_t encrypt_packets, encrypt_bytes;
	uint64_t decrypt_packets, decrypt_bytes;
	uint64_t unknown_spi, replay_drops, auth_failures;
	uint64_t handoffs; /* packets passed to the owning SPU */
	/* traffic for a tunnel with no outbound SA, and ESP for an inbound SA
	 * that hard-expired (until it is removed; then unknown_spi) */
	uint64_t no_sa_drops;
	uint64_t no_route_drops, mtu_drops, other_drops;
	/* ICMP errors (fragmentation needed, packet too big) not sent: over
	 * the SPU's rate limit (userspace: burst 50, 1000 a second) */
	uint64_t icmp_suppressed;
	/* events (acquire, expiry) this SPU raised that were lost: the
	 * caller read too slowly and the event queue was full (userspace:
	 * 4096 events, grown for expiries; acquires are raised again) */
	uint64_t event_drops;
	/* policy-based VPNs (userspace): later fragments dropped because the
	 * decision taken for their first fragment was not known (out of
	 * order, expired, or another SPU read it); fragments that matched no
	 * policy and were sent on in clear on their normal route */
	uint64_t frag_drops, frag_resent;
	/* the SPU's cache of cipher keys (userspace; as of the SPU's last
	 * once-a-second update): slots re-keyed for an SA, of them taken
	 * from another SA, and slots holding a key now */
	uint64_t ctx_misses, ctx_evictions;
	uint32_t ctx_keyed;
};

/* Policy-based VPN: traffic matching the selectors goes into the tunnel. */
struct dp_policy {
	uint32_t id;
	uint32_t tunnel_id;
	enum dp_dir dir; /* OUT: encrypt matching traffic; IN: require decrypted */
	/* the packet's source and destination, in both directions (an IN
	 * policy's source is the remote side), as the kernel's selectors */
	struct dp_ts sel_src, sel_dst;
	uint32_t priority; /* lower wins */
	uint32_t reqid;
	struct dp_addr tmpl_local, tmpl_remote; /* kernel: template tunnel endpoints */
};

enum dp_event_type {
	DP_EV_ACQUIRE,     /* traffic on a tunnel with no outbound SA */
	DP_EV_SOFT_EXPIRE, /* an SA reached a soft limit: rekey */
	DP_EV_HARD_EXPIRE, /* an SA reached a hard limit: it is gone */
	DP_EV_ERROR,       /* asynchronous failure, text in msg */
};

struct dp_event {
	enum dp_event_type type;
	uint32_t tunnel_id;
	uint32_t spi;
	enum dp_dir dir;
	struct dp_addr src, dst; /* ACQUIRE: the packet that triggered it */
	uint32_t spu;
	char msg[128];
};

/* One IKE datagram on UDP 4500, without the non-ESP marker. */
struct dp_ike_msg {
	struct dp_addr local, remote;
	uint16_t local_port, remote_port; /* host order */
	uint8_t *data;                    /* ike_recv: caller's buffer of cap bytes */
	size_t len, cap;
};

enum dp_backend_kind { DP_BACKEND_AUTO, DP_BACKEND_KERNEL, DP_BACKEND_USERSPACE, DP_BACKEND_MOCK };

struct dp_config {
	enum dp_backend_kind backend;
	uint32_t spus;                /* 0 = one per CPU */
	uint32_t flow_threads;        /* per SPU; 0 = 1 */
	uint16_t ike_port, natt_port; /* 500 and 4500 (0 = these) unless testing */
	const char *netns;            /* informational */
	/* userspace backend */
	const char *tun_name;  /* the shared st0 TUN device; NULL = "st0" */
	uint32_t policy_table; /* routing table for policy-based VPNs; 0 = 220 */
	bool pin_cpus;         /* pin SPU n to CPU n */
};

/* ---- the API iked uses ---- */

/*
 * Opens a dataplane. cfg->backend AUTO picks the kernel's XFRM when it can
 * install an ESP SA (dp_kernel_probe()), else userspace. *dp is owned by
 * the caller (dp_close()).
 */
int dp_open(const struct dp_config *cfg, struct dp **dp, struct errbuf *err);
void dp_close(struct dp *dp);                     /* NULL is a no-op; removes units, routes, SAs */
const char *dp_backend_name(const struct dp *dp); /* "userspace", "kernel", "mock" */
enum dp_backend_kind dp_backend_kind(const struct dp *dp);
/*
 * Why dp_open() chose this backend, for logs and `show version`: "named by
 * the configuration", or for AUTO the probe's answer, e.g. "auto-detected:
 * the kernel cannot install an ESP SA (Protocol not supported): <the
 * kernel's reason>". Borrowed, valid until dp_close(); at most
 * DP_REASON_LEN - 1 bytes.
 */
const char *dp_backend_reason(const struct dp *dp);
#define DP_REASON_LEN 512
uint32_t dp_spu_count(const struct dp *dp);

int dp_unit_set(struct dp *dp, const struct dp_unit *u, struct errbuf *err);
/*
 * Creates n units none of which exists yet, as dp_unit_set() would one by
 * one, but with fewer round trips (a large commit's units). All or nothing:
 * on failure none of the n is left and *failed is the index of the unit
 * refused.
 */
int dp_units_create(
    struct dp *dp, const struct dp_unit *u, size_t n, size_t *failed, struct errbuf *err);
int dp_unit_del(struct dp *dp, uint32_t unit, struct errbuf *err);
int dp_route_add(struct dp *dp, const struct dp_route *r, struct errbuf *err);
int dp_route_del(struct dp *dp, const struct dp_route *r, struct errbuf *err);
/*
 * Adds n routes as dp_route_add() would one by one, with fewer round trips.
 * Each route stands alone: fail(ctx, i, err) is called for each route i
 * refused (the others are added). Returns how many were refused.
 */
typedef void (*dp_route_fail_fn)(void *ctx, size_t i, const struct errbuf *err);
size_t dp_routes_add(
    struct dp *dp, const struct dp_route *r, size_t n, dp_route_fail_fn fail, void *ctx);

/*
 * Creates or updates a tunnel. With t->spu == DP_SPU_ANY the front end
 * anchors it (anchor.h): an existing tunnel keeps its SPU, a CHILD SA of a
 * known IKE SA goes where that IKE SA is, and so on. *spu (may be NULL)
 * receives the SPU it is anchored on.
 */
int dp_tunnel_set(struct dp *dp, const struct dp_tunnel *t, uint32_t *spu, struct errbuf *err);
int dp_tunnel_del(struct dp *dp, uint32_t tunnel_id, struct errbuf *err);
/* The SPU a tunnel is anchored on; -ENOENT if unknown. */
int dp_tunnel_spu(const struct dp *dp, uint32_t tunnel_id, uint32_t *spu);
/*
 * Operator request: moves every tunnel between the gateways local/remote,
 * dial-up ones included,
 * (and later ones) to `spu`. The backend migrates their SAs; traffic keeps
 * flowing. *moved (may be NULL) receives how many tunnels moved. All or
 * nothing: when the backend refuses one tunnel, those already moved are
 * put back and neither the anchors nor the pin change (*moved then counts
 * tunnels the backend could not take back, which stay, anchored, on spu).
 */
int dp_anchor_move(struct dp *dp, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t spu, uint32_t *moved, struct errbuf *err);
/* The SPU a gateway pair is pinned to by dp_anchor_move(); -ENOENT when
 * it is not pinned (so that a caller can put a pin back as it was). */
int dp_anchor_pin(
    const struct dp *dp, const struct dp_addr *local, const struct dp_addr *remote, uint32_t *spu);

/* An inbound SPI, unique in this dataplane, on the tunnel's SPU. */
int dp_spi_alloc(struct dp *dp, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t spu, uint32_t *spi, struct errbuf *err);
int dp_sa_add(struct dp *dp, const struct dp_sa *sa, struct errbuf *err);
/*
 * A batch: between dp_batch_begin() and dp_batch_end() a backend may hold
 * back the dataplane side of dp_tunnel_set() (of a new tunnel) and of
 * dp_sa_add() and apply them together at dp_batch_end(), which returns
 * only when they are in place (or the first failure of that part: the
 * calls themselves validated and reported everything else). Any other call
 * in between, and an IKE message sent, applies what was held first. The
 * userspace backend posts one message per SPU instead of one per call.
 * Backends without batches apply each call at once.
 */
void dp_batch_begin(struct dp *dp);
int dp_batch_end(struct dp *dp, struct errbuf *err);
int dp_sa_update(struct dp *dp, const struct dp_sa *sa, uint32_t what, struct errbuf *err);
int dp_sa_del(
    struct dp *dp, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst, struct errbuf *err);
int dp_sa_stats(struct dp *dp, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
    struct dp_sa_stats *out, struct errbuf *err);

int dp_policy_add(struct dp *dp, const struct dp_policy *p, struct errbuf *err);
int dp_policy_del(struct dp *dp, uint32_t policy_id, struct errbuf *err);

int dp_spu_stats(struct dp *dp, uint32_t spu, struct dp_spu_stats *out);
int dp_clear_stats(struct dp *dp);

/*
 * Events and IKE-on-4500: one pollable fd. When it is readable, call
 * dp_event_read() until -EAGAIN and dp_ike_recv() until -EAGAIN.
 */
int dp_event_fd(struct dp *dp);
int dp_event_read(struct dp *dp, struct dp_event *ev);
/*
 * IKE on UDP 4500 (RFC 3948 2.2). Backends that own UDP 4500 (userspace)
 * deliver IKE datagrams that arrive there with the non-ESP marker removed
 * (NAT keepalives are dropped) and send IKE from port 4500 with the marker
 * added. -EOPNOTSUPP from a backend that does not own 4500 (kernel): iked
 * then opens its own 4500 socket with UDP_ENCAP_ESPINUDP. dp_ike_send() of
 * the one byte 0xff (no IKE message is that short) sends a NAT keepalive
 * (RFC 3948 2.3) from port 4500, without the marker.
 */
bool dp_owns_natt_port(const struct dp *dp);
int dp_ike_recv(struct dp *dp, struct dp_ike_msg *msg);
int dp_ike_send(struct dp *dp, const struct dp_ike_msg *msg);

/*
 * Kernel backend (xfrm/): 0 when this kernel can install an ESP SA (the
 * AUTO test), else -errno with the kernel's reason in err.
 */
int dp_kernel_probe(struct errbuf *err);

/* ---- the backend interface ---- */

struct dp_ops {
	const char *name;
	/* Probes and starts the backend; *impl is its private state. */
	int (*open)(const struct dp_config *cfg, void **impl, struct errbuf *err);
	void (*close)(void *impl);
	uint32_t (*spu_count)(void *impl);

	int (*unit_set)(
	    void *impl, const struct dp_unit *u, struct errbuf *err); /* create or update */
	int (*unit_del)(void *impl, uint32_t unit, struct errbuf *err);
	/* optional (NULL: unit_set one by one); see dp_units_create() */
	int (*units_create)(
	    void *impl, const struct dp_unit *u, size_t n, size_t *failed, struct errbuf *err);
	int (*route_add)(void *impl, const struct dp_route *r, struct errbuf *err);
	int (*route_del)(void *impl, const struct dp_route *r, struct errbuf *err);
	/* optional (NULL: route_add one by one); see dp_routes_add() */
	size_t (*routes_add)(
	    void *impl, const struct dp_route *r, size_t n, dp_route_fail_fn fail, void *ctx);

	/* Create or update; t->spu is concrete. A changed SPU moves its SAs. */
	int (*tunnel_set)(void *impl, const struct dp_tunnel *t, struct errbuf *err);
	int (*tunnel_del)(void *impl, uint32_t tunnel_id, struct errbuf *err);
	/* optional: the tunnel as last set (-ENOENT when none). A backend with
	 * it keeps the only copy: the front end re-programs a tunnel on an
	 * anchor move from it, else from a copy of its own. */
	int (*tunnel_get)(void *impl, uint32_t tunnel_id, struct dp_tunnel *t);

	/* A unique inbound SPI anchored on spu (kernel: XFRM_MSG_ALLOCSPI). */
	int (*spi_alloc)(void *impl, const struct dp_addr *local, const struct dp_addr *remote,
	    uint32_t spu, uint32_t *spi, struct errbuf *err);
	int (*sa_add)(void *impl, const struct dp_sa *sa, struct errbuf *err);
	int (*sa_update)(void *impl, const struct dp_sa *sa, uint32_t what, struct errbuf *err);
	int (*sa_del)(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
	    struct errbuf *err);
	int (*sa_stats)(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
	    struct dp_sa_stats *out, struct errbuf *err);

	int (*policy_add)(void *impl, const struct dp_policy *p, struct errbuf *err);
	int (*policy_del)(void *impl, uint32_t policy_id, struct errbuf *err);

	int (*spu_stats)(void *impl, uint32_t spu, struct dp_spu_stats *out);
	int (*clear_stats)(void *impl);

	/* Events: a pollable fd, and a non-blocking read (-EAGAIN when none). */
	int (*event_fd)(void *impl);
	int (*event_read)(void *impl, struct dp_event *ev);

	/* IKE on UDP 4500 (see dp_ike_recv); NULL when the backend does not own 4500. */
	int (*ike_recv)(void *impl, struct dp_ike_msg *msg);
	int (*ike_send)(void *impl, const struct dp_ike_msg *msg);

	/* dp_batch_begin/_end; NULL: no batches */
	void (*batch_begin)(void *impl);
	int (*batch_end)(void *impl, struct errbuf *err);
};

extern const struct dp_ops dp_userspace_ops;
extern const struct dp_ops dp_kernel_ops;
extern const struct dp_ops dp_mock_ops;

#endif
