/* SPDX-License-Identifier: MIT */
/*
 * iked: the daemon half of cairn-iked (docs/iked.md §10-§13). The IKE
 * engine (ike_engine.h) negotiates; this half feeds it from commits,
 * programs what is not negotiated (st0 units, routes into st0, manual-key
 * VPNs, the policies of policy-based VPNs), owns the dataplane and the
 * sockets, runs the libevent loop and answers the operational RPCs of
 * cairn-security-state.
 *
 * Modules:
 *   iked_xlate.c   committed tree -> struct iked_want (ike_conf mirror,
 *                  dataplane objects), every problem with its data path
 *   iked_nb.c      the northbound table (STYLE.md §5) and the transaction
 *   iked_dpobj.c   st0 units, routes, manual SAs, policies: diff and apply
 *   iked_run.c     dataplane, engine, sockets, timers (the environment)
 *   iked_state.c   the operational RPCs
 *   iked_main.c    the program
 * All of it but main is the library cairn-iked-core, which the unit tests
 * drive through nb_test_commit() with the mock dataplane.
 */
#ifndef CAIRN_IKED_H
#define CAIRN_IKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dp.h"
#include "errbuf.h"
#include "ike_conf.h"
#include "ike_engine.h"
#include "nb.h"

struct event_base;
struct event;
struct ly_ctx;
struct lyd_node;
struct nb;
struct ike_sock;

#define IKED_NAME_MAX   64     /* zone/policy names are 1..63 */
#define IKED_MANUAL_ID0 65537u /* manual-key tunnels: 0x10001 up (IKE ones 0x20001 up) */

/* ---- what the configuration asks for (iked_xlate.c) ---------------------- */

/* A problem found in the configuration, at a data path. */
struct iked_err {
	char *path; /* "/cairn-security:security/ike/gateway[name='g']" */
	char *msg;
};

struct want_unit {
	uint32_t unit;
	struct dp_unit u; /* what the dataplane gets */
	bool disabled;    /* interface st0 disable */
	char *description;
	uint32_t mtu6;
};

struct want_route {
	struct dp_route r; /* dst, unit, nexthop (multipoint), metric */
	uint32_t preference;
	char *ari; /* an ARI-TS route: "VPN TS", its traffic selector; NULL: static */
};

/* A static route's next hop that is an address (not st0.N): the route is
 * cairn-iked's when an st0 unit's subnet holds it. Kept sorted by address,
 * so a unit's new subnet finds its routes without walking every route. */
struct iked_nh {
	struct dp_addr nh;
	char *route; /* the route's key (prefix) */
};

struct want_manual {
	char name[IKE_NAME_MAX + 1];
	uint32_t unit; /* DP_UNIT_NONE: policy-based */
	struct dp_addr local, remote;
	uint32_t spi;
	bool encap;
	struct dp_sa in, out; /* keys included: wiped when freed */
	unsigned n_local_ts, n_remote_ts;
	struct dp_ts local_ts[DP_TS_MAX], remote_ts[DP_TS_MAX];
	enum ike_df df;
	bool copy_dscp;
	char *path;
};

/* One dataplane policy of a policy-based VPN (OUT, or IN for decrypted traffic). */
struct want_policy {
	char vpn[IKE_NAME_MAX + 1];
	char policy[3 * IKED_NAME_MAX + 40]; /* "from-zone A to-zone B policy P" */
	enum dp_dir dir;
	struct dp_ts src, dst;
	uint32_t priority;
};

/* A set of names (configuration keys), hashed. */
struct iked_names {
	char **v; /* in insertion order */
	size_t n, cap;
	uint32_t *slot; /* open addressing: index into v + 1, 0 = empty */
	size_t nslot;   /* power of two */
};

bool iked_names_has(const struct iked_names *s, const char *name);
/* 0 (added), 1 (was there), -ENOMEM. */
int iked_names_add(struct iked_names *s, const char *name);
void iked_names_fini(struct iked_names *s);
/* The VPN of an ARI-TS route ("VPN TS") is one of vpns. */
bool iked_ari_in(const char *ari, const struct iked_names *vpns);

/* The configuration objects a transaction can change one by one. */
enum iked_obj {
	IKED_O_IKE_PROP,
	IKED_O_IKE_POL,
	IKED_O_GW,
	IKED_O_ESP_PROP,
	IKED_O_ESP_POL,
	IKED_O_VPN,
	IKED_O_UNIT,  /* st0 unit number */
	IKED_O_ROUTE, /* static route prefix */
	IKED_O_N
};

/* What a transaction changed, from the northbound callbacks (iked_nb.c). */
struct iked_changes {
	struct iked_names set[IKED_O_N]; /* created, changed or deleted */
	struct iked_names old[IKED_O_N]; /* of those, the ones that existed before */
	bool full;                       /* something only a whole translation handles */
	const char *why_full;            /* (for the debug log) */
	size_t n;                        /* objects recorded */
};

void iked_changes_fini(struct iked_changes *c);

struct iked_dpobj;

struct iked_want {
	struct ike_conf *conf; /* the IKE engine's mirror */
	struct dp_config dpc;  /* security dataplane */
	struct want_unit *units;
	size_t n_units;
	struct want_route *routes;
	size_t n_routes;
	struct want_manual *manual;
	size_t n_manual;
	struct want_policy *pols;
	size_t n_pols;
	struct iked_err *errs;
	size_t n_errs;
	bool any;           /* something for the dataplane: it must be open */
	struct iked_nh *nh; /* address next hops of the routes translated (unsorted) */
	size_t n_nh;

	/*
	 * A partial translation (iked_want_build_delta): conf holds the
	 * changed objects and what they refer to; units, routes and manual
	 * the new state of the changed keys below (a key with no entry is
	 * deleted); pols and dpc are not set (a change of either takes a
	 * whole translation).
	 */
	bool partial;
	bool need_full; /* found something only a whole translation handles */
	const char *why_full;
	const struct ike_engine *base_e;   /* what runs */
	const struct iked_dpobj *base_obj; /* what is applied */
	struct iked_names gw_set, vpn_set; /* gateways and VPNs the engine resolves anew */
	struct iked_names gw_del, vpn_del; /* ... and removes */
	struct iked_names unit_keys;       /* st0 units replaced ("N") */
	struct iked_names route_keys;      /* static routes replaced (prefix) */
	struct iked_names ari_vpns;        /* VPNs whose ARI-TS routes are replaced */
	struct iked_names manual_keys;     /* manual VPNs replaced (name) */
	size_t n_translated;               /* configuration objects translated */
};

/* Builds *w from the daemon's whole configuration (tree may be NULL).
 * Problems are collected in w->errs, never returned; -ENOMEM only. */
int iked_want_build(const struct lyd_node *tree, struct iked_want *w);
/*
 * The same for the objects a transaction changed (and those that depend
 * on them), tree being the whole new configuration, e and o what runs.
 * 0 or -ENOMEM; w->need_full when the change needs iked_want_build().
 */
int iked_want_build_delta(const struct lyd_node *tree, const struct iked_changes *ch,
    const struct ike_engine *e, const struct iked_dpobj *o, struct iked_want *w);
/* The address next hops after a transaction: whole (replaced by w's) or
 * partial (w's route keys replaced). */
void iked_nh_apply(struct iked_dpobj *o, struct iked_want *w);
void iked_want_fini(struct iked_want *w);
/* The first problem at or below data path prefix (NULL: any). */
const struct iked_err *iked_want_err(const struct iked_want *w, const char *prefix);
/* A unit of the new configuration (a partial translation also looks at
 * what is applied), NULL when there is none. */
const struct want_unit *iked_want_unit(const struct iked_want *w, uint32_t unit);

/* ---- dataplane objects the daemon programs itself (iked_dpobj.c) --------- */

struct applied_manual {
	struct want_manual m;
	uint32_t tunnel_id;
	uint32_t spu;
};

struct applied_policy {
	struct want_policy p;
	uint32_t id, tunnel_id;
};

struct applied_route {
	struct want_route r;
	time_t since; /* for show route's age */
};

struct iked_dpobj {
	struct want_unit *units; /* sorted by unit */
	size_t n_units, cap_units;
	struct applied_route *routes; /* sorted by destination, unit, next hop */
	size_t n_routes, cap_routes;
	struct applied_manual *manual;
	size_t n_manual;
	struct applied_policy *pols;
	size_t n_pols;
	uint32_t next_manual_id;
	uint32_t next_policy_id;
	struct iked_nh *nh; /* static routes' address next hops, sorted (see above) */
	size_t n_nh, cap_nh;
};

/* A prepared change of the dataplane objects (PREPARE creates new units). */
struct dpobj_plan;

int dpobj_prepare(struct iked_dpobj *o, struct dp *dp, const struct iked_want *w,
    struct dpobj_plan **plan, char **err_path, struct errbuf *err);
/* Before the engine's commit: removals; after it: additions (policies need
 * the engine's tunnel ids). Neither fails: errors are logged. */
void dpobj_apply_pre(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *plan);
void dpobj_apply_post(
    struct iked_dpobj *o, struct dp *dp, struct ike_engine *e, struct dpobj_plan *plan);
void dpobj_abort(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *plan);
/* Everything from scratch (a new dataplane): forget what was applied. */
void dpobj_forget(struct iked_dpobj *o);
void dpobj_fini(struct iked_dpobj *o);

/* ---- the daemon --------------------------------------------------------- */

struct iked_opts {
	const char *root;     /* --root (NULL: $CAIRN_ROOT) */
	bool test_mock_dp;    /* tests: the mock dataplane, whatever the configuration says */
	bool test_no_sockets; /* tests: no UDP sockets (datagrams are counted and dropped) */
	uint16_t ike_port;    /* 0 = 500 */
	uint16_t natt_port;   /* 0 = 4500 */
	/* tests: --test-lifetime-divisor (ike_engine_opts.test_lifetime_div) */
	uint32_t test_lifetime_div;
	/* tests: where the engine's datagrams go instead of sockets */
	int (*test_send)(void *ctx, const struct ike_dgram *d);
	void *test_ctx;
};

struct iked_tx; /* a transaction between prepare_end and end */

struct iked {
	struct event_base *base;
	struct ly_ctx *ctx;
	struct nb *nb;
	struct nb_cfg nbcfg;
	struct iked_opts opts;

	/* running (the configuration itself lives in nb's tree, the engine and obj) */
	struct dp *dp;
	struct dp_config dpc; /* what dp was opened with (backend as configured) */
	struct ike_engine *e;
	struct ike_sock *sock;
	struct event *ev_sock[4];
	size_t n_ev_sock;
	struct event *ev_dp;
	struct event *ev_timer;
	struct event *ev_trim; /* heap returned to the system after a burst */
	unsigned burst;        /* SAs set up or torn down since the last trim */
	struct iked_dpobj obj;
	bool applied; /* a configuration was applied (a later one may be a delta) */

	/* the transaction in progress */
	struct iked_changes tx_ch; /* recorded by the VALIDATE callbacks */
	struct iked_want *tx_want; /* built at the first PREPARE callback */
	struct iked_tx *tx;
	struct iked_tx_stats {
		bool delta;                                /* translated incrementally */
		size_t translated;                         /* configuration objects translated */
		unsigned gw_set, vpn_set, gw_del, vpn_del; /* what the engine's plan touched */
		unsigned units, routes;                    /* dataplane objects it replaced */
		double ms;                                 /* from the first callback to APPLY */
	} last_tx;
	uint64_t tx_t0_us;

	/* counters */
	uint64_t tx_dropped; /* datagrams the engine sent while no socket was open */
	time_t started;
};

struct iked *iked_new(
    struct event_base *base, struct ly_ctx *ctx, const struct iked_opts *o, struct errbuf *err);
void iked_free(struct iked *d);
struct nb *iked_nb(struct iked *d);

/* iked_nb.c */
struct nb *iked_nb_new(struct iked *d, struct errbuf *err);
extern const char *const iked_subtrees[];

/* iked_run.c: the dataplane, the engine and the sockets. */
int iked_run_open(struct iked *d, const struct dp_config *dpc, struct errbuf *err);
void iked_run_close(struct iked *d, bool send_delete);
/* Re-arms the timer from the engine's earliest deadline. */
void iked_run_rearm(struct iked *d);
/* After work that allocated and freed much (a burst of negotiations, a
 * large commit): the heap's free pages go back to the system once things
 * are quiet (glibc keeps them otherwise: RSS stayed at the peak). */
void iked_run_trim_soon(struct iked *d, unsigned weight);
/* The backend auto resolves to: kernel when dp_kernel_probe() succeeds. */
enum dp_backend_kind iked_run_resolve_backend(enum dp_backend_kind b, struct errbuf *why);

/* iked_state.c */
extern const struct nb_rpc_ops iked_rpcs[];

/* Small helpers shared by the modules. */
const char *iked_dp_addr_str(const struct dp_addr *a, char *buf, size_t len);
const char *iked_prefix_str(const struct dp_prefix *p, char *buf, size_t len);

#endif
