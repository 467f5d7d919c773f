/* SPDX-License-Identifier: MIT */
/*
 * dp: the dataplane interface (ARCHITECTURE.md "Dataplane library").
 *
 * cairn-iked programs tunnels only through this interface; three backends
 * implement it: "userspace" (TUN st0 units, SPU worker threads, ESP in
 * OpenSSL), "kernel" (XFRM and rtnetlink over libmnl) and "mock" (records
 * calls for tests). A backend is an ops table (STYLE.md §2).
 *
 * Vocabulary (Junos):
 *   unit    an st0.N logical interface (route-based VPN)
 *   tunnel  one CHILD SA binding: a tunnel id, the st0 unit or policy it
 *           serves, its traffic selectors; its inbound/outbound SAs come
 *           and go with rekeys while the tunnel stays
 *   SA      one direction of a CHILD SA (ESP, tunnel mode)
 *   SPU     a processing unit; every tunnel and its SAs are anchored to one
 *
 * All functions return 0 or -errno and, on failure, fill `err` with an
 * operator-facing message when err is not NULL. Structures passed in are
 * borrowed (copied by the backend). Key bytes are wiped by the backend
 * from its own copies when SAs are deleted; callers wipe theirs.
 */
#ifndef CAIRN_DP_H
#define CAIRN_DP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "errbuf.h"

#define DP_KEY_MAX   64         /* longest key: HMAC-SHA-512 (64 bytes) */
#define DP_TS_MAX    8          /* traffic selectors per side of a tunnel */
#define DP_UNIT_NONE UINT32_MAX /* tunnel not bound to an st0 unit (policy-based) */
#define DP_SPU_ANY   UINT32_MAX

struct dp; /* a dataplane instance (opaque) */

struct dp_addr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	} u;
};

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
	DP_ENC_AES_CBC_128, /* RFC 3602 */
	DP_ENC_AES_CBC_256,
};

enum dp_integ {
	DP_INTEG_NONE,            /* with AEAD ciphers */
	DP_INTEG_HMAC_SHA256_128, /* RFC 4868 */
	DP_INTEG_HMAC_SHA384_192,
	DP_INTEG_HMAC_SHA512_256,
};

enum dp_dir { DP_DIR_IN, DP_DIR_OUT };

enum dp_df { DP_DF_CLEAR, DP_DF_SET, DP_DF_COPY };

/* Zero means "no limit" for every field. */
struct dp_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint32_t soft_seconds, hard_seconds;
};

struct dp_unit {
	uint32_t unit;   /* st0.<unit> */
	uint32_t mtu;    /* 0 = backend default (1436 userspace) */
	bool multipoint; /* hub: several tunnels, next-hop bindings */
	bool up;
	struct dp_prefix addr4, addr6; /* family 0 = none */
};

struct dp_route {
	struct dp_prefix dst;
	uint32_t unit;          /* into st0.<unit> */
	struct dp_addr nexthop; /* multipoint: the peer's tunnel address */
	uint32_t metric;
};

struct dp_tunnel {
	uint32_t id;            /* tunnel id shown by the CLI */
	uint32_t unit;          /* st0 unit, or DP_UNIT_NONE */
	struct dp_addr nexthop; /* multipoint st0: next-hop-tunnel address */
	uint32_t spu;           /* anchored SPU (from dp_anchor) */
	/* Outer (gateway) addresses; kernel: the policies' template endpoints. */
	struct dp_addr local_gw, remote_gw;
	uint32_t n_local_ts, n_remote_ts;
	struct dp_ts local_ts[DP_TS_MAX], remote_ts[DP_TS_MAX];
	bool on_traffic; /* raise DP_EV_ACQUIRE when traffic finds no SA */
};

enum dp_sa_flags {
	DP_SA_HAS_LIFETIME = 1 << 0,
	DP_SA_HAS_ENCAP = 1 << 1, /* ESP in UDP (RFC 3948) */
	DP_SA_ESN = 1 << 2,       /* 64-bit sequence numbers (RFC 4303 2.2.1) */
	DP_SA_COPY_DSCP = 1 << 3,
	/* kernel: an outbound per-CPU SA used on CPU `spu` (XFRMA_SA_PCPU) */
	DP_SA_PCPU = 1 << 4,
};

struct dp_sa {
	uint32_t flags; /* enum dp_sa_flags */
	uint32_t spi;   /* host order */
	enum dp_dir dir;
	uint32_t tunnel_id;           /* the tunnel this SA carries */
	uint32_t reqid;               /* kernel: ties SA to policy templates */
	struct dp_addr local, remote; /* outer addresses (ours, the peer's) */
	uint16_t encap_local_port;    /* DP_SA_HAS_ENCAP: host order, usually 4500 */
	uint16_t encap_remote_port;
	enum dp_enc enc;
	uint8_t enc_key_len;
	uint8_t enc_key[DP_KEY_MAX];
	enum dp_integ integ;
	uint8_t integ_key_len;
	uint8_t integ_key[DP_KEY_MAX];
	uint32_t replay_window; /* inbound: packets; 0 = anti-replay off */
	enum dp_df df;
	struct dp_lifetime life;
	uint32_t spu; /* = its tunnel's SPU */
};

struct dp_sa_stats {
	uint64_t packets, bytes; /* ESP payload processed */
	uint64_t replay_drops, auth_failures, decrypt_failures;
	uint64_t bad_headers, bad_trailers;
	uint64_t seq;       /* outbound: last sequence sent */
	uint64_t add_time;  /* CLOCK_MONOTONIC seconds at install */
	uint64_t last_used; /* CLOCK_MONOTONIC seconds, 0 = never */
};

struct dp_spu_stats {
	uint32_t tunnels;
	uint64_t encrypt_packets, encrypt_bytes;
	uint64_t decrypt_packets, decrypt_bytes;
	uint64_t unknown_spi, replay_drops, auth_failures;
	uint64_t handoffs; /* packets passed to the owning SPU */
};

/* Policy-based VPN: traffic matching the selectors goes into the tunnel. */
struct dp_policy {
	uint32_t id;
	uint32_t tunnel_id;
	enum dp_dir dir; /* OUT: encrypt matching traffic; IN: require decrypted */
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
	uint32_t flow_threads;        /* per SPU; >= 1 */
	uint16_t ike_port, natt_port; /* 500 and 4500 unless testing */
	const char *netns;            /* informational */
};

struct dp_ops {
	const char *name;
	/* Probes and starts the backend; *impl is its private state. */
	int (*open)(const struct dp_config *cfg, void **impl, struct errbuf *err);
	void (*close)(void *impl);
	uint32_t (*spu_count)(void *impl);

	int (*unit_set)(
	    void *impl, const struct dp_unit *u, struct errbuf *err); /* create or update */
	int (*unit_del)(void *impl, uint32_t unit, struct errbuf *err);
	int (*route_add)(void *impl, const struct dp_route *r, struct errbuf *err);
	int (*route_del)(void *impl, const struct dp_route *r, struct errbuf *err);

	int (*tunnel_set)(
	    void *impl, const struct dp_tunnel *t, struct errbuf *err); /* create or update */
	int (*tunnel_del)(void *impl, uint32_t tunnel_id, struct errbuf *err);

	/* A unique inbound SPI anchored on spu (kernel: XFRM_MSG_ALLOCSPI). */
	int (*spi_alloc)(void *impl, const struct dp_addr *local, const struct dp_addr *remote,
	    uint32_t spu, uint32_t *spi, struct errbuf *err);
	int (*sa_add)(void *impl, const struct dp_sa *sa, struct errbuf *err);
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

	/*
	 * IKE on UDP 4500 (RFC 3948 2.2). The userspace backend owns UDP 4500
	 * because ESP-in-UDP and IKE share it: IKE messages arriving there
	 * (non-ESP marker) are queued for iked, which reads them with
	 * ike_recv (-EAGAIN when none; the event fd also becomes readable)
	 * and sends IKE from port 4500 with ike_send. Backends where the
	 * kernel carries ESP leave both NULL; iked then opens its own 4500
	 * socket with UDP_ENCAP_ESPINUDP.
	 */
	int (*ike_recv)(void *impl, struct dp_ike_msg *msg);
	int (*ike_send)(void *impl, const struct dp_ike_msg *msg);
};

extern const struct dp_ops dp_userspace_ops;
extern const struct dp_ops dp_kernel_ops;
extern const struct dp_ops dp_mock_ops;

#endif
