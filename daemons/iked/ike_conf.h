/* SPDX-License-Identifier: MIT */
/*
 * ike_conf: configuration of the IKE engine, in two layers.
 *
 * 1. The mirror (struct ike_conf and its ike_conf_* members) follows
 *    yang/cairn-security.yang statement by statement ([edit security ike]
 *    and [edit security ipsec]), with names as references. The daemon's
 *    northbound callbacks fill it from the committed tree.
 * 2. The resolved structs (struct ike_gw_conf, struct ike_vpn_conf) are
 *    what the engine runs: references followed, proposal-sets expanded
 *    (reference §1.2), defaults applied, keys decoded, addresses parsed.
 *    ike_conf_resolve_gateway()/ike_conf_resolve_vpn() build them and
 *    ike_conf_check() reports everything Cairn cannot do, naming the
 *    configuration path, so that `commit check` catches it in PREPARE.
 *
 * Strings in the mirror are owned by it (secrets are wiped when freed).
 */
#ifndef CAIRN_IKE_CONF_H
#define CAIRN_IKE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "ike_addr.h"
#include "ike_crypto.h"
#include "ike_id.h"
#include "ike_ts.h"

#define IKE_NAME_MAX     32 /* ct:object-name */
#define IKE_CONF_PROPS   4  /* proposals per policy (YANG max-elements) */
#define IKE_GW_ADDRS     5  /* one primary, four backups */
#define IKE_UNIT_NONE    UINT32_MAX
#define IKE_PSK_MAX      1024
#define IKE_VPN_TS_SIDES 4 /* selectors per side of one VPN tunnel (v4 + v6 any, policies) */

/* ---- the mirror ----------------------------------------------------------- */

enum ike_conf_auth_method {
	IKE_CAM_PRE_SHARED_KEYS,
	IKE_CAM_RSA_SIGNATURES,
	IKE_CAM_DSA_SIGNATURES,
	IKE_CAM_ECDSA_256,
	IKE_CAM_ECDSA_384,
	IKE_CAM_ECDSA_521,
	IKE_CAM_CERTIFICATES,
	IKE_CAM_DIGITAL_SIGNATURE,
};

enum ike_conf_ike_auth {
	IKE_CIA_UNSET,
	IKE_CIA_MD5,
	IKE_CIA_SHA1,
	IKE_CIA_SHA256,
	IKE_CIA_SHA384,
	IKE_CIA_SHA512,
};

enum ike_conf_enc {
	IKE_CE_UNSET,
	IKE_CE_DES_CBC,
	IKE_CE_3DES_CBC,
	IKE_CE_AES128_CBC,
	IKE_CE_AES192_CBC,
	IKE_CE_AES256_CBC,
	IKE_CE_AES128_GCM,
	IKE_CE_AES192_GCM,
	IKE_CE_AES256_GCM,
	IKE_CE_CHACHA20_POLY1305,
};

enum ike_conf_esp_auth {
	IKE_CEA_UNSET,
	IKE_CEA_HMAC_MD5_96,
	IKE_CEA_HMAC_SHA1_96,
	IKE_CEA_HMAC_SHA256_128,
	IKE_CEA_HMAC_SHA256_96,
	IKE_CEA_HMAC_SHA384,
	IKE_CEA_HMAC_SHA512,
};

enum ike_conf_proposal_set {
	IKE_PSET_NONE,
	IKE_PSET_BASIC,
	IKE_PSET_COMPATIBLE,
	IKE_PSET_STANDARD,
	IKE_PSET_SUITEB_GCM_128,
	IKE_PSET_SUITEB_GCM_256,
	IKE_PSET_PRIME_128,
	IKE_PSET_PRIME_256,
};

enum ike_dpd_mode {
	IKE_DPD_OFF,
	IKE_DPD_OPTIMIZED,         /* RFC 3706: probe on outgoing-only traffic */
	IKE_DPD_PROBE_IDLE_TUNNEL, /* also probe idle tunnels */
	IKE_DPD_ALWAYS_SEND,       /* probe every interval */
};

enum ike_user_type {
	IKE_USER_NONE,
	IKE_USER_GROUP_IKE_ID,  /* peers' IDs end with the configured part */
	IKE_USER_SHARED_IKE_ID, /* all peers present the configured ID */
};

enum ike_df {
	IKE_DF_CLEAR,
	IKE_DF_SET,
	IKE_DF_COPY,
};

enum ike_establish {
	IKE_EST_ON_TRAFFIC, /* the YANG default */
	IKE_EST_IMMEDIATELY,
	IKE_EST_RESPONDER_ONLY,
	IKE_EST_RESPONDER_ONLY_NO_REKEY,
};

struct ike_conf_key {
	char *ascii; /* one of the two, or neither */
	char *hex;
};

struct ike_conf_id {
	enum ike_id_kind kind;
	char *value;
};

struct ike_conf_ike_proposal {
	char name[IKE_NAME_MAX + 1];
	enum ike_conf_auth_method auth_method; /* default pre-shared-keys */
	uint16_t dh_group;                     /* default 14 */
	enum ike_conf_ike_auth auth_alg;       /* unset: sha-256 */
	enum ike_conf_enc enc;                 /* default aes-128-cbc */
	uint32_t lifetime_seconds;             /* default 28800 */
};

struct ike_conf_ike_policy {
	char name[IKE_NAME_MAX + 1];
	char proposals[IKE_CONF_PROPS][IKE_NAME_MAX + 1];
	unsigned n_proposals;
	enum ike_conf_proposal_set proposal_set;
	struct ike_conf_key psk;
	uint32_t reauth_frequency;
};

struct ike_conf_gateway {
	char name[IKE_NAME_MAX + 1];
	char ike_policy[IKE_NAME_MAX + 1];
	char *address[IKE_GW_ADDRS]; /* addresses or host names */
	unsigned n_address;
	bool dynamic;
	struct ike_conf_id dyn_id;  /* dynamic hostname|inet|inet6|user-at-hostname */
	bool dyn_general_ikeid;     /* dynamic general-ikeid */
	uint32_t connections_limit; /* 0 = none */
	enum ike_user_type ike_user_type;
	bool reject_duplicate;
	bool dpd;                   /* dead-peer-detection present */
	enum ike_dpd_mode dpd_mode; /* IKE_DPD_OFF inside dpd: optimized */
	uint32_t dpd_interval;      /* default 10 */
	uint32_t dpd_threshold;     /* default 5 */
	bool no_nat_traversal;
	uint32_t nat_keepalive; /* default 20 */
	struct ike_conf_id local_id, remote_id;
	char *external_interface;
	char *local_address;
	bool general_ikeid;
	bool v1_only; /* version v1-only (refused) */
};

struct ike_conf_ipsec_proposal {
	char name[IKE_NAME_MAX + 1];
	bool ah; /* protocol ah (refused) */
	enum ike_conf_esp_auth auth_alg;
	enum ike_conf_enc enc;
	uint32_t lifetime_seconds;   /* default 3600 */
	uint64_t lifetime_kilobytes; /* 0 = none */
	bool esn;
};

struct ike_conf_ipsec_policy {
	char name[IKE_NAME_MAX + 1];
	uint16_t pfs_group; /* 0 = none */
	char proposals[IKE_CONF_PROPS][IKE_NAME_MAX + 1];
	unsigned n_proposals;
	enum ike_conf_proposal_set proposal_set;
};

struct ike_conf_ts {
	char name[32];
	char *local_ip, *remote_ip;  /* prefixes */
	uint32_t metric, preference; /* default 5 */
};

struct ike_conf_vpn {
	char name[IKE_NAME_MAX + 1];
	char *bind_interface; /* "st0.N" */
	enum ike_df df_bit;
	bool copy_outer_dscp;
	bool manual; /* manual keys: programmed by the daemon, not IKE */
	char gateway[IKE_NAME_MAX + 1];
	char ipsec_policy[IKE_NAME_MAX + 1];
	uint32_t idle_time;
	uint32_t anti_replay_window; /* 0 = global default */
	bool no_anti_replay;
	bool proxy_identity;
	char *proxy_local, *proxy_remote, *proxy_service;
	uint32_t install_interval; /* default 1 */
	struct ike_conf_ts *ts;
	unsigned n_ts;
	enum ike_establish establish;
	/* Filled by the daemon from other hierarchies: */
	char *nexthop; /* multipoint st0: the next-hop-tunnel address bound to this VPN */
	/* policy-based VPN: the selectors of the security policy that uses it
	 * (source addresses local, destination addresses remote) */
	bool policy_based;
	struct ike_ts policy_local[IKE_VPN_TS_SIDES], policy_remote[IKE_VPN_TS_SIDES];
	unsigned n_policy_local, n_policy_remote;
};

struct ike_conf_idx;

struct ike_conf {
	struct ike_conf_idx *idx;    /* private: name look-up tables */
	uint64_t gen;                /* private: bumped by every add/del */
	uint32_t half_open_timeout;  /* default 60 s */
	uint32_t half_open_max;      /* default 10000 */
	uint32_t cookie_threshold;   /* default 500; 0 = always */
	uint32_t anti_replay_window; /* default 64 */
	struct ike_conf_ike_proposal *ike_proposals;
	unsigned n_ike_proposals;
	struct ike_conf_ike_policy *ike_policies;
	unsigned n_ike_policies;
	struct ike_conf_gateway *gateways;
	unsigned n_gateways;
	struct ike_conf_ipsec_proposal *ipsec_proposals;
	unsigned n_ipsec_proposals;
	struct ike_conf_ipsec_policy *ipsec_policies;
	unsigned n_ipsec_policies;
	struct ike_conf_vpn *vpns;
	unsigned n_vpns;
};

/*
 * Entries are added and removed only through the functions below (names
 * are looked up through an index that they keep current).
 * An empty configuration with the YANG defaults (NULL, errno).
 */
struct ike_conf *ike_conf_new(void);
void ike_conf_free(struct ike_conf *c);
/* Append an entry initialised with YANG defaults (NULL on ENOMEM); the
 * pointer stays valid until the next add of the same kind. */
struct ike_conf_ike_proposal *ike_conf_add_ike_proposal(struct ike_conf *c, const char *name);
struct ike_conf_ike_policy *ike_conf_add_ike_policy(struct ike_conf *c, const char *name);
struct ike_conf_gateway *ike_conf_add_gateway(struct ike_conf *c, const char *name);
struct ike_conf_ipsec_proposal *ike_conf_add_ipsec_proposal(struct ike_conf *c, const char *name);
struct ike_conf_ipsec_policy *ike_conf_add_ipsec_policy(struct ike_conf *c, const char *name);
struct ike_conf_vpn *ike_conf_add_vpn(struct ike_conf *c, const char *name);
struct ike_conf_ts *ike_conf_vpn_add_ts(struct ike_conf_vpn *v, const char *name);
/* Removes an entry and what it owns; 0 or -ENOENT. */
int ike_conf_del_gateway(struct ike_conf *c, const char *name);
int ike_conf_del_vpn(struct ike_conf *c, const char *name);
/* Owned string setters (value copied; NULL clears). 0 or -ENOMEM. */
int ike_conf_set_str(char **field, const char *value);
int ike_conf_set_key(struct ike_conf_key *k, bool hex, const char *value);
int ike_conf_set_id(struct ike_conf_id *id, enum ike_id_kind kind, const char *value);
int ike_conf_gateway_add_address(struct ike_conf_gateway *g, const char *addr);

const struct ike_conf_gateway *ike_conf_find_gateway(const struct ike_conf *c, const char *name);
const struct ike_conf_vpn *ike_conf_find_vpn(const struct ike_conf *c, const char *name);

/* ---- the resolved structs ------------------------------------------------ */

enum ike_dyn_match {
	IKE_DYN_EXACT,   /* the peer's ID equals dyn_id */
	IKE_DYN_GROUP,   /* group-ike-id: the peer's ID ends with dyn_id */
	IKE_DYN_SHARED,  /* shared-ike-id: all peers present dyn_id */
	IKE_DYN_GENERAL, /* general-ikeid: any ID */
};

struct ike_gw_conf {  /* members ordered by alignment, against padding */
	uint8_t *psk; /* owned, wiped by ike_gw_conf_fini */
	size_t psk_len;
	struct ike_idh *dyn_id;    /* owned; NULL: none */
	struct ike_idh *local_id;  /* owned; NULL: our address */
	struct ike_idh *remote_id; /* owned; NULL: the peer's address (or any, general) */
	/* owned: n_remote addresses (usually one of the IKE_GW_ADDRS possible),
	 * allocated to their number rather than IKE_GW_ADDRS kept in each */
	struct ike_addr *remote;
	uint32_t ike_lifetime[IKE_CONF_PROPS]; /* seconds, per proposal */
	unsigned n_ike_props;
	unsigned n_remote;
	enum ike_dyn_match dyn_match;
	uint32_t connections_limit; /* 0 = unlimited */
	enum ike_dpd_mode dpd_mode;
	uint32_t dpd_interval, dpd_threshold;
	uint32_t nat_keepalive;
	struct ike_suite ike_props[IKE_CONF_PROPS]; /* preference order */
	char name[IKE_NAME_MAX + 1];
	struct ike_addr local; /* family 0: from the transport */
	bool dynamic;
	bool reject_duplicate;
	bool general_ikeid;
	bool nat_t;
};

/*
 * One tunnel of a VPN: a pair of selector lists (one CHILD SA). The lists
 * are one allocation sized to them (at most IKE_VPN_TS_SIDES each side),
 * owned through `local`; remote points into it after the local ones.
 */
struct ike_vpn_ts {
	char name[32]; /* traffic-selector name, "" for proxy-identity/default */
	unsigned n_local, n_remote;
	struct ike_ts *local, *remote;
	uint32_t metric, preference;
};

struct ike_vpn_conf { /* members ordered by alignment, against padding */
	uint64_t esp_life_kb[IKE_CONF_PROPS];
	struct ike_vpn_ts *ts; /* owned: one tunnel each */
	uint32_t unit;         /* st0.<unit>, IKE_UNIT_NONE for policy-based */
	enum ike_df df;
	uint32_t esp_life_s[IKE_CONF_PROPS];
	unsigned n_esp_props;
	uint32_t replay_window; /* 0 = anti-replay off */
	unsigned n_ts;
	enum ike_establish establish;
	uint32_t install_interval;
	uint32_t idle_time;
	struct ike_suite esp_props[IKE_CONF_PROPS]; /* dh = PFS group */
	uint16_t pfs_group;
	char name[IKE_NAME_MAX + 1];
	char gateway[IKE_NAME_MAX + 1];
	char ipsec_policy[IKE_NAME_MAX + 1];
	bool copy_dscp;
	bool ts_proxy_id;        /* TS Type: proxy-id (vs traffic-selector) */
	struct ike_addr nexthop; /* family 0: none (see ike_conf_vpn.nexthop) */
};

/* Host name resolver for gateway addresses (optional): 0 or -errno. */
typedef int (*ike_resolve_fn)(void *ctx, const char *host, struct ike_addr *out);

/* Resolution. *out must be released with the matching _fini. 0, -ENOENT
 * (no such object, or a manual VPN), -EINVAL or -ENOTSUP with err set. */
int ike_conf_resolve_gateway(const struct ike_conf *c, const char *name, ike_resolve_fn resolve,
    void *rctx, struct ike_gw_conf *out, struct errbuf *err);
int ike_conf_resolve_vpn(
    const struct ike_conf *c, const char *name, struct ike_vpn_conf *out, struct errbuf *err);
void ike_gw_conf_fini(struct ike_gw_conf *g);
void ike_vpn_conf_fini(struct ike_vpn_conf *v);
/* Deep copies (0 or -ENOMEM). */
int ike_gw_conf_copy(struct ike_gw_conf *dst, const struct ike_gw_conf *src);
int ike_vpn_conf_copy(struct ike_vpn_conf *dst, const struct ike_vpn_conf *src);
/* Whether two resolved objects differ in what their SAs were built from. */
bool ike_gw_conf_sa_equal(const struct ike_gw_conf *a, const struct ike_gw_conf *b);
bool ike_vpn_conf_sa_equal(const struct ike_vpn_conf *a, const struct ike_vpn_conf *b);

/* Checks of one object alone (what `commit check` says at that object):
 * 0, or -ENOTSUP/-EINVAL with err naming the path. */
int ike_conf_check_ike_proposal(const struct ike_conf_ike_proposal *p, struct errbuf *err);
int ike_conf_check_ipsec_proposal(const struct ike_conf_ipsec_proposal *p, struct errbuf *err);
int ike_conf_check_ike_policy(const struct ike_conf *c, const char *name, struct errbuf *err);
int ike_conf_check_ipsec_policy(const struct ike_conf *c, const char *name, struct errbuf *err);

/* Every problem of the configuration, one line each in err; 0 or -EINVAL. */
int ike_conf_check(
    const struct ike_conf *c, ike_resolve_fn resolve, void *rctx, struct errbuf *err);

/* Proposal-set expansion (reference §1.2): suites in *out, count returned;
 * 0 with err set for sets Cairn cannot do (DES, 3DES, SHA-1, group 2). */
unsigned ike_conf_ike_proposal_set(
    enum ike_conf_proposal_set set, struct ike_suite *out, uint32_t *lifetime, struct errbuf *err);
unsigned ike_conf_ipsec_proposal_set(
    enum ike_conf_proposal_set set, struct ike_suite *out, uint16_t *pfs, struct errbuf *err);
const char *ike_proposal_set_str(enum ike_conf_proposal_set set);

#endif
