/* SPDX-License-Identifier: MIT */
/*
 * dp_kernel: the "kernel" dataplane backend. Every dp_ops call becomes one
 * or a few netlink requests (xfrm.h) on a per-instance XFRM or rtnetlink
 * socket; acquire and expire notifications arrive on a third socket bound
 * to XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE and are turned into dp events.
 *
 * Kernel objects for the Junos vocabulary:
 *   st0.N unit     xfrm interface "st0.N", if_id N+1 (rtnetlink)
 *   tunnel         on a unit: out/in/fwd policies with the unit's if_id and
 *                  templates carrying reqid = tunnel id; policy-based: none
 *   dp_policy      out, or in + fwd, policies with a template (reqid)
 *   SA             an ESP tunnel-mode state (if_id of its tunnel's unit)
 *
 * The backend remembers what it installed (small arrays, linear search:
 * fine for the 10,000-tunnel scale tests) to delete policies by selector,
 * map expire/acquire messages back to tunnels and keep statistics baselines,
 * and removes it all on close.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dp_kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "dp.h"
#include "log.h"
#include "xfrm.h"
#include "sa_move.h"
#include "sa_pick.h"
#include "banned.h"

#define DPK_TUNNEL_PRIO 1000   /* route-based tunnel policies (if_id scoped) */
#define DPK_SELS_MAX    64     /* XFRM selectors per traffic-selector pair */
#define DPK_SPI_MIN     0x100u /* RFC 4303 2.1: 1..255 reserved by IANA */
#define DPK_ACQ_SEEN    4096   /* seqs of acquires raised, remembered (a ring) */
#define DPK_RESYNC_ACQ  4096   /* acquires one resynchronisation raises at most */

struct kpol { /* one installed kernel policy, enough to delete it */
	struct xfrm_selector sel;
	uint8_t dir;
	uint32_t if_id;
	/* its template, to recognise its acquires (tunnel_of_acquire) */
	uint32_t reqid;
	struct dp_addr tsrc, tdst;
};

struct kpols {
	struct kpol *v;
	size_t n, cap;
};

struct dpk_unit {
	struct dp_unit cur;
	int ifindex;
	uint32_t if_id;
	bool created; /* by us: deleted on close */
};

struct dpk_tunnel {
	struct dp_tunnel t;
	struct kpols pols;
};

struct dpk_policy {
	uint32_t id, tunnel_id, reqid;
	struct kpols pols;
};

struct dpk_sa {
	uint32_t spi;
	enum dp_dir dir;
	struct dp_addr dst;
	uint32_t tunnel_id, spu;
	bool larval; /* allocated by ALLOCSPI, not yet filled by sa_add */
	bool seen;   /* resync: in the kernel's dump */
	/* DP_EV_SOFT_EXPIRE raised (from the socket or a resync): never twice;
	 * re-armed by a lifetime update, as the kernel re-arms its own */
	bool soft_raised;
	/* clear_stats baselines */
	uint64_t b_packets, b_bytes, b_replay, b_auth;
};

struct dpk {
	struct xnl *x, *rt, *ev;
	struct dpk_unit *units;
	size_t nunits, capunits;
	struct dpk_tunnel *tunnels;
	size_t ntunnels, captunnels;
	struct dpk_policy *pols;
	size_t npols, cappols;
	struct dpk_sa *sas;
	size_t nsas, capsas;
	uint32_t ncpu;
	uint8_t *evbuf; /* XNL_RCV_MAX */
	size_t evlen, evoff;
	struct log_ratelimit rl;
	/*
	 * Resynchronisation after an event-socket overrun (dpk_event_read):
	 * pending once ENOBUFS is read, run when the socket is drained; the
	 * events it raised wait in rq. acq_seen remembers the seqs of the
	 * acquires raised (from the socket or a dump), so none is raised twice.
	 */
	bool resync;
	struct dp_event *rq;
	size_t rq_n, rq_off, rq_cap;
	uint32_t acq_seen[DPK_ACQ_SEEN];
	size_t acq_pos;
};

/* A request buffer that may hold keys: wiped by its user on every path. */
struct req {
	uint8_t b[XFRM_REQ_MAX] __attribute__((aligned(8)));
};

static int
grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	if ((nv = realloc(*v, ncap * elem)) == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

#define GROW(arr, n, cap) grow((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)))

void
dp_kernel_unit_name(uint32_t unit, char *name, size_t cap)
{
	snprintf(name, cap, "st0.%u", unit);
}

uint32_t
dp_kernel_unit_if_id(uint32_t unit)
{
	return unit + 1;
}

static const char *
addr_str(const struct dp_addr *a, char *buf, size_t cap)
{
	if (a->family == 0 || inet_ntop(a->family, a->u.b, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "-");
	return buf;
}

/* ------------------------------------------------------ error mapping */

static const char *
kconfig_of(const char *alg)
{
	if (alg == NULL)
		return "CONFIG_CRYPTO";
	if (strstr(alg, "gcm"))
		return "CONFIG_CRYPTO_GCM";
	if (strstr(alg, "cbc"))
		return "CONFIG_CRYPTO_CBC";
	if (strstr(alg, "sha512") || strstr(alg, "sha384"))
		return "CONFIG_CRYPTO_SHA512";
	if (strstr(alg, "sha256"))
		return "CONFIG_CRYPTO_SHA256";
	return "CONFIG_CRYPTO";
}

/*
 * Turns a kernel refusal into an operator message: what failed (ctx), why
 * in plain words where the errno has one meaning for this request, and the
 * kernel's own ext-ack text.
 */
static int
kfail(struct errbuf *err, int rc, const struct nlp_err *k, const char *ctx, const struct dp_sa *sa)
{
	char kt[300] = "";

	if (k != NULL && k->msg[0])
		snprintf(kt, sizeof(kt), " (kernel: %s)", k->msg);
	switch (rc) {
	case -EPROTONOSUPPORT:
		if (sa != NULL)
			return errbuf_set(err, rc,
			    "%s: the kernel has no ESP support (CONFIG_INET_ESP): "
			    "use security dataplane backend userspace%s",
			    ctx, kt);
		break;
	case -ENOSYS:
		if (sa != NULL) {
			const char *alg = xfrm_enc_name(sa->enc);

			if (k != NULL && strstr(k->msg, "AUTH") != NULL)
				alg = xfrm_integ_name(sa->integ);
			return errbuf_set(err, rc,
			    "%s: the kernel has no %s algorithm (%s): "
			    "use security dataplane backend userspace%s",
			    ctx, alg ? alg : "such", kconfig_of(alg), kt);
		}
		break;
	case -EPERM:
	case -EACCES:
		return errbuf_set(
		    err, rc, "%s: permission denied: the dataplane needs CAP_NET_ADMIN%s", ctx, kt);
	case -EEXIST:
		return errbuf_set(err, rc, "%s: already exists in the kernel%s", ctx, kt);
	case -ENOENT:
	case -ESRCH:
		return errbuf_set(err, rc, "%s: not found in the kernel%s", ctx, kt);
	case -ETIMEDOUT:
		return errbuf_set(err, rc, "%s: the kernel did not answer", ctx);
	default:
		break;
	}
	return errbuf_set(err, rc, "%s: %s%s", ctx, strerror(-rc), kt);
}

static void
sa_ctx(const struct dp_sa *sa, char *buf, size_t cap)
{
	char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	bool in = sa->dir == DP_DIR_IN;

	snprintf(buf, cap, "SA %08x (%s, %s -> %s)", sa->spi, in ? "inbound" : "outbound",
	    addr_str(in ? &sa->remote : &sa->local, l, sizeof(l)),
	    addr_str(in ? &sa->local : &sa->remote, r, sizeof(r)));
}

/* ---------------------------------------------------------- lookups */

static struct dpk_unit *
unit_find(struct dpk *k, uint32_t unit)
{
	for (size_t i = 0; i < k->nunits; i++)
		if (k->units[i].cur.unit == unit)
			return &k->units[i];
	return NULL;
}

static struct dpk_tunnel *
tunnel_find(struct dpk *k, uint32_t id)
{
	for (size_t i = 0; i < k->ntunnels; i++)
		if (k->tunnels[i].t.id == id)
			return &k->tunnels[i];
	return NULL;
}

static struct dpk_policy *
policy_find(struct dpk *k, uint32_t id)
{
	for (size_t i = 0; i < k->npols; i++)
		if (k->pols[i].id == id)
			return &k->pols[i];
	return NULL;
}

static struct dpk_sa *
sa_find(struct dpk *k, uint32_t spi, const struct dp_addr *dst)
{
	for (size_t i = 0; i < k->nsas; i++)
		if (k->sas[i].spi == spi && dp_addr_eq(&k->sas[i].dst, dst))
			return &k->sas[i];
	return NULL;
}

static void
sa_forget(struct dpk *k, struct dpk_sa *s)
{
	*s = k->sas[--k->nsas];
}

/* Does set hold a policy whose template is reqid, tsrc -> tdst, if_id? */
static bool
kpols_has_tmpl(const struct kpols *set, uint32_t reqid, const struct dp_addr *tsrc,
    const struct dp_addr *tdst, uint32_t if_id)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct kpol *p = &set->v[i];

		if (p->reqid == reqid && p->if_id == if_id && dp_addr_eq(&p->tsrc, tsrc) &&
		    dp_addr_eq(&p->tdst, tdst))
			return true;
	}
	return false;
}

/*
 * The tunnel an acquire (or a pending acquire's ACQ state) is for: only a
 * template this backend installed, with the same reqid, outer addresses
 * and if_id. Other IKE daemons in the namespace (strongSwan's reqids are
 * small integers too) have policies of their own whose reqids may equal a
 * Cairn tunnel id or policy reqid: their acquires are not Cairn's. NULL
 * when it is none of ours.
 */
static struct dpk_tunnel *
tunnel_of_acquire(struct dpk *k, uint32_t reqid, const struct dp_addr *tsrc,
    const struct dp_addr *tdst, uint32_t if_id)
{
	struct dpk_tunnel *t;

	for (size_t i = 0; i < k->npols; i++)
		if (k->pols[i].reqid == reqid &&
		    kpols_has_tmpl(&k->pols[i].pols, reqid, tsrc, tdst, if_id))
			return tunnel_find(k, k->pols[i].tunnel_id);
	/* route-based tunnels: their own policies, reqid = tunnel id */
	t = tunnel_find(k, reqid);
	if (t != NULL && kpols_has_tmpl(&t->pols, reqid, tsrc, tdst, if_id))
		return t;
	return NULL;
}

/* ---------------------------------------------------- netlink helpers */

static int
x_do(struct xnl *nl, struct req *r, int len, xnl_cb cb, void *arg, struct nlp_err *kerr)
{
	int rc;

	if (len < 0)
		rc = len;
	else
		rc = xnl_transact(nl, (struct nlmsghdr *)r->b, cb, arg, kerr);
	explicit_bzero(r->b, sizeof(r->b));
	return rc;
}

static int
kpol_install(struct dpk *k, struct kpols *set, const struct xfrm_pol *p, struct errbuf *err)
{
	static const char *const dirs[] = { "in", "out", "fwd" };
	struct nlp_err kerr;
	struct req r;
	char ctx[96];
	int rc;

	if ((rc = GROW(set->v, set->n, set->cap)) < 0)
		return errbuf_set(err, rc, "policy: out of memory");
	rc = x_do(k->x, &r, xfrm_build_policy(r.b, sizeof(r.b), XFRM_MSG_UPDPOLICY, p), NULL, NULL,
	    &kerr);
	if (rc < 0) {
		snprintf(ctx, sizeof(ctx), "%s policy (reqid %u, if_id %u)", dirs[p->u.dir % 3],
		    p->n_tmpl ? p->tmpl[0].reqid : 0, p->if_id);
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	set->v[set->n].sel = p->u.sel;
	set->v[set->n].dir = p->u.dir;
	set->v[set->n].if_id = p->has_if_id ? p->if_id : 0;
	set->v[set->n].reqid = p->n_tmpl ? p->tmpl[0].reqid : 0;
	memset(&set->v[set->n].tsrc, 0, sizeof(set->v[set->n].tsrc));
	memset(&set->v[set->n].tdst, 0, sizeof(set->v[set->n].tdst));
	if (p->n_tmpl) {
		xfrm_addr_to_dp(&set->v[set->n].tsrc, p->tmpl[0].family, &p->tmpl[0].saddr);
		xfrm_addr_to_dp(&set->v[set->n].tdst, p->tmpl[0].family, &p->tmpl[0].id.daddr);
	}
	set->n++;
	return 0;
}

static void
kpols_remove(struct dpk *k, struct kpols *set)
{
	struct xfrm_pol p;
	struct req r;
	int rc;

	for (size_t i = 0; i < set->n; i++) {
		memset(&p, 0, sizeof(p));
		p.u.sel = set->v[i].sel;
		p.u.dir = set->v[i].dir;
		p.has_if_id = set->v[i].if_id != 0;
		p.if_id = set->v[i].if_id;
		rc = x_do(k->x, &r, xfrm_build_policy_id(r.b, sizeof(r.b), XFRM_MSG_DELPOLICY, &p),
		    NULL, NULL, NULL);
		if (rc < 0 && rc != -ENOENT)
			log_warnx(LOG_XFRM, "policy delete (dir %u, if_id %u): %s", p.u.dir,
			    p.if_id, strerror(-rc));
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/*
 * Installs the policies for traffic src -> dst (dir out) or, for dir in,
 * in and fwd policies; tmpl_src/tmpl_dst are the outer addresses of that
 * direction. Selector pairs of different families are skipped.
 */
static int
install_dir(struct dpk *k, struct kpols *set, const struct dp_ts *src, const struct dp_ts *dst,
    enum dp_dir dir, const struct dp_addr *tsrc, const struct dp_addr *tdst, uint32_t reqid,
    uint32_t if_id, uint32_t prio, struct errbuf *err)
{
	struct xfrm_selector sels[DPK_SELS_MAX];
	struct xfrm_pol p;
	size_t n = 0;
	int rc;

	if (src != NULL) {
		if (src->family != dst->family)
			return 0;
		rc = xfrm_ts_to_sels(src, dst, sels, DPK_SELS_MAX, &n);
		if (rc == -E2BIG)
			return errbuf_set(err, rc,
			    "traffic selectors need more than %d kernel policies: use prefixes "
			    "and single ports or port ranges aligned to powers of two",
			    DPK_SELS_MAX);
		if (rc < 0)
			return errbuf_set(err, rc, "invalid traffic selector range");
	}
	for (size_t i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		p.u.sel = sels[i];
		p.u.priority = prio;
		p.u.action = XFRM_POLICY_ALLOW;
		p.n_tmpl = 1;
		xfrm_tmpl_esp(&p.tmpl[0], tsrc, tdst, reqid);
		p.has_if_id = if_id != 0;
		p.if_id = if_id;
		p.u.dir = dir == DP_DIR_OUT ? XFRM_POLICY_OUT : XFRM_POLICY_IN;
		if ((rc = kpol_install(k, set, &p, err)) < 0)
			return rc;
		if (dir == DP_DIR_IN) {
			p.u.dir = XFRM_POLICY_FWD;
			if ((rc = kpol_install(k, set, &p, err)) < 0)
				return rc;
		}
	}
	return 0;
}

/* Route-based tunnel: policies scoped to its unit's if_id. */
static int
tunnel_install(struct dpk *k, struct dpk_tunnel *t, const struct dp_addr *lgw,
    const struct dp_addr *rgw, struct errbuf *err)
{
	struct dpk_unit *u = unit_find(k, t->t.unit);
	struct dp_ts any[2];
	uint32_t if_id = dp_kernel_unit_if_id(t->t.unit), i, j;
	int rc = 0;

	if (u == NULL) {
		char name[IFNAMSIZ];

		dp_kernel_unit_name(t->t.unit, name, sizeof(name));
		return errbuf_set(err, -ENOENT, "tunnel %u: %s is not configured", t->t.id, name);
	}
	if (t->t.n_local_ts == 0 || t->t.n_remote_ts == 0) {
		/* No selectors: everything routed into the unit, both families. */
		memset(any, 0, sizeof(any));
		any[0].family = AF_INET;
		memset(any[0].addr_hi.u.b, 0xff, 4);
		any[1].family = AF_INET6;
		memset(any[1].addr_hi.u.b, 0xff, 16);
		for (i = 0; i < 2; i++) {
			any[i].port_hi = 0xffff;
			any[i].addr_lo.family = any[i].addr_hi.family = any[i].family;
		}
		for (i = 0; i < 2 && rc == 0; i++) {
			rc = install_dir(k, &t->pols, &any[i], &any[i], DP_DIR_OUT, lgw, rgw,
			    t->t.id, if_id, DPK_TUNNEL_PRIO, err);
			if (rc == 0)
				rc = install_dir(k, &t->pols, &any[i], &any[i], DP_DIR_IN, rgw, lgw,
				    t->t.id, if_id, DPK_TUNNEL_PRIO, err);
		}
	}
	for (i = 0; i < t->t.n_local_ts && rc == 0; i++)
		for (j = 0; j < t->t.n_remote_ts && rc == 0; j++) {
			rc = install_dir(k, &t->pols, &t->t.local_ts[i], &t->t.remote_ts[j],
			    DP_DIR_OUT, lgw, rgw, t->t.id, if_id, DPK_TUNNEL_PRIO, err);
			if (rc == 0)
				rc = install_dir(k, &t->pols, &t->t.remote_ts[j], &t->t.local_ts[i],
				    DP_DIR_IN, rgw, lgw, t->t.id, if_id, DPK_TUNNEL_PRIO, err);
		}
	if (rc < 0)
		kpols_remove(k, &t->pols);
	return rc;
}

/* --------------------------------------------------------- open/close */

static int
dpk_open(const struct dp_config *cfg, void **impl, struct errbuf *err)
{
	struct dpk *k;
	long n;
	int rc;

	(void)cfg;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return errbuf_set(err, -ENOMEM, "kernel dataplane: out of memory");
	k->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 5);
	n = sysconf(_SC_NPROCESSORS_CONF);
	k->ncpu = n > 0 ? (uint32_t)n : 1;
	if ((k->evbuf = malloc(XNL_RCV_MAX)) == NULL) {
		rc = errbuf_set(err, -ENOMEM, "kernel dataplane: out of memory");
		goto fail;
	}
	k->x = xnl_open(NETLINK_XFRM, 0);
	if (k->x == NULL) {
		rc = -errno;
		errbuf_set(err, rc, "kernel dataplane: cannot open an XFRM netlink socket: %s%s",
		    strerror(errno),
		    errno == EPROTONOSUPPORT ? " (the kernel has no CONFIG_XFRM_USER)" : "");
		goto fail;
	}
	if ((k->rt = xnl_open(NETLINK_ROUTE, 0)) == NULL) {
		rc = -errno;
		errbuf_set(err, rc, "kernel dataplane: cannot open an rtnetlink socket: %s",
		    strerror(errno));
		goto fail;
	}
	k->ev = xnl_open(
	    NETLINK_XFRM, (1u << (XFRMNLGRP_ACQUIRE - 1)) | (1u << (XFRMNLGRP_EXPIRE - 1)));
	if (k->ev == NULL) {
		rc = -errno;
		errbuf_set(err, rc,
		    "kernel dataplane: cannot listen for XFRM acquire/expire messages: %s",
		    strerror(errno));
		goto fail;
	}
	*impl = k;
	return 0;
fail:
	xnl_close(k->x);
	xnl_close(k->rt);
	free(k->evbuf);
	free(k);
	return rc;
}

static int
sa_delete_kernel(struct dpk *k, const struct dpk_sa *s, struct nlp_err *kerr)
{
	struct req r;

	return x_do(k->x, &r,
	    xfrm_build_sa_id(r.b, sizeof(r.b), XFRM_MSG_DELSA, &s->dst, s->spi, 0, 0), NULL, NULL,
	    kerr);
}

static void
dpk_close(void *impl)
{
	struct dpk *k = impl;
	struct req r;

	if (k == NULL)
		return;
	/* Take down what this instance installed, dependants first. */
	for (size_t i = 0; i < k->nsas; i++)
		sa_delete_kernel(k, &k->sas[i], NULL);
	for (size_t i = 0; i < k->npols; i++)
		kpols_remove(k, &k->pols[i].pols);
	for (size_t i = 0; i < k->ntunnels; i++)
		kpols_remove(k, &k->tunnels[i].pols);
	for (size_t i = 0; i < k->nunits; i++)
		if (k->units[i].created)
			x_do(k->rt, &r, rtnl_build_link_del(r.b, sizeof(r.b), k->units[i].ifindex),
			    NULL, NULL, NULL);
	xnl_close(k->x);
	xnl_close(k->rt);
	xnl_close(k->ev);
	free(k->units);
	free(k->tunnels);
	free(k->pols);
	free(k->sas);
	free(k->rq);
	explicit_bzero(k->evbuf, XNL_RCV_MAX);
	free(k->evbuf);
	free(k);
}

static uint32_t
dpk_spu_count(void *impl)
{
	return ((struct dpk *)impl)->ncpu;
}

/* ------------------------------------------------------------- units */

static int
link_info_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	if (hdr->nlmsg_type != RTM_NEWLINK)
		return 0;
	return rtnl_parse_link(payload, arg);
}

static int
link_get(struct dpk *k, const char *name, struct rtnl_link_info *li, struct nlp_err *kerr)
{
	struct req r;

	memset(li, 0, sizeof(*li));
	return x_do(k->rt, &r, rtnl_build_link_get(r.b, sizeof(r.b), name), link_info_cb, li, kerr);
}

static int
addr_change(struct dpk *k, struct dpk_unit *u, const struct dp_prefix *old,
    const struct dp_prefix *new, const char *name, struct errbuf *err)
{
	struct nlp_err kerr;
	struct req r;
	char a[INET6_ADDRSTRLEN], ctx[96];
	int rc;

	if (old->addr.family == new->addr.family && old->len == new->len &&
	    (old->addr.family == 0 || dp_addr_eq(&old->addr, &new->addr)))
		return 0;
	if (old->addr.family != 0) {
		rc =
		    x_do(k->rt, &r, rtnl_build_addr(r.b, sizeof(r.b), RTM_DELADDR, u->ifindex, old),
		        NULL, NULL, NULL);
		if (rc < 0 && rc != -EADDRNOTAVAIL && rc != -ENOENT)
			log_warnx(LOG_XFRM, "%s: removing old address: %s", name, strerror(-rc));
	}
	if (new->addr.family == 0)
		return 0;
	rc = x_do(k->rt, &r, rtnl_build_addr(r.b, sizeof(r.b), RTM_NEWADDR, u->ifindex, new), NULL,
	    NULL, &kerr);
	if (rc < 0) {
		snprintf(ctx, sizeof(ctx), "%s: address %s/%u", name,
		    addr_str(&new->addr, a, sizeof(a)), new->len);
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	return 0;
}

static int
dpk_unit_set(void *impl, const struct dp_unit *du, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_unit *u = unit_find(k, du->unit);
	struct rtnl_link_info li;
	struct nlp_err kerr;
	struct req r;
	char name[IFNAMSIZ], ctx[64];
	int rc;

	dp_kernel_unit_name(du->unit, name, sizeof(name));
	if (u == NULL) {
		uint32_t if_id = dp_kernel_unit_if_id(du->unit);
		bool created = true;

		if ((rc = GROW(k->units, k->nunits, k->capunits)) < 0)
			return errbuf_set(err, rc, "%s: out of memory", name);
		rc =
		    x_do(k->rt, &r, rtnl_build_xfrmi_add(r.b, sizeof(r.b), name, if_id, 0, du->mtu),
		        NULL, NULL, &kerr);
		if (rc == -EEXIST)
			created = false; /* left over by an earlier run: adopt it */
		else if (rc == -EOPNOTSUPP || rc == -ENODEV ||
		         (rc == -EINVAL && strstr(kerr.msg, "Unknown device type")))
			return errbuf_set(err, rc,
			    "%s: the kernel has no xfrm interfaces (CONFIG_XFRM_INTERFACE): "
			    "use security dataplane backend userspace%s%s%s",
			    name, kerr.msg[0] ? " (kernel: " : "", kerr.msg,
			    kerr.msg[0] ? ")" : "");
		else if (rc < 0) {
			snprintf(ctx, sizeof(ctx), "%s: creating xfrm interface", name);
			return kfail(err, rc, &kerr, ctx, NULL);
		}
		rc = link_get(k, name, &li, &kerr);
		if (rc < 0) {
			snprintf(ctx, sizeof(ctx), "%s: reading back", name);
			kfail(err, rc, &kerr, ctx, NULL);
		} else if (strcmp(li.kind, "xfrm") != 0 || !li.has_if_id || li.if_id != if_id) {
			rc = errbuf_set(err, -EEXIST,
			    "%s: an interface of that name exists and is not Cairn's xfrm "
			    "interface with if_id %u",
			    name, if_id);
			created = false; /* not ours: leave it alone */
		}
		if (rc < 0) {
			if (created && li.ifindex > 0)
				x_do(k->rt, &r, rtnl_build_link_del(r.b, sizeof(r.b), li.ifindex),
				    NULL, NULL, NULL);
			return rc;
		}
		u = &k->units[k->nunits++];
		memset(u, 0, sizeof(*u));
		u->cur.unit = du->unit;
		u->ifindex = li.ifindex;
		u->if_id = if_id;
		u->created = created;
	}
	rc = x_do(k->rt, &r, rtnl_build_link_set(r.b, sizeof(r.b), u->ifindex, du->mtu, du->up),
	    NULL, NULL, &kerr);
	if (rc < 0) {
		snprintf(ctx, sizeof(ctx), "%s: setting mtu %u and %s", name, du->mtu,
		    du->up ? "up" : "down");
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	if ((rc = addr_change(k, u, &u->cur.addr4, &du->addr4, name, err)) < 0)
		return rc;
	u->cur.addr4 = du->addr4;
	if ((rc = addr_change(k, u, &u->cur.addr6, &du->addr6, name, err)) < 0)
		return rc;
	u->cur = *du;
	return 0;
}

static int
dpk_unit_del(void *impl, uint32_t unit, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_unit *u = unit_find(k, unit);
	struct nlp_err kerr;
	struct req r;
	char name[IFNAMSIZ];
	int rc;

	dp_kernel_unit_name(unit, name, sizeof(name));
	if (u == NULL)
		return errbuf_set(err, -ENOENT, "%s is not configured", name);
	rc = x_do(k->rt, &r, rtnl_build_link_del(r.b, sizeof(r.b), u->ifindex), NULL, NULL, &kerr);
	if (rc < 0 && rc != -ENODEV)
		return kfail(err, rc, &kerr, name, NULL);
	*u = k->units[--k->nunits];
	return 0;
}

static int
route_do(struct dpk *k, uint16_t type, const struct dp_route *rt, struct errbuf *err)
{
	struct dpk_unit *u = unit_find(k, rt->unit);
	struct nlp_err kerr;
	struct req r;
	char name[IFNAMSIZ], a[INET6_ADDRSTRLEN], ctx[128];
	int rc;

	dp_kernel_unit_name(rt->unit, name, sizeof(name));
	if (u == NULL)
		return errbuf_set(err, -ENOENT, "route into %s: %s is not configured", name, name);
	rc = x_do(k->rt, &r,
	    rtnl_build_route(
	        r.b, sizeof(r.b), type, &rt->dst, u->ifindex, &rt->nexthop, rt->metric, rt->table),
	    NULL, NULL, &kerr);
	if (rc < 0) {
		snprintf(ctx, sizeof(ctx), "route %s/%u into %s",
		    addr_str(&rt->dst.addr, a, sizeof(a)), rt->dst.len, name);
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	return 0;
}

static int
dpk_route_add(void *impl, const struct dp_route *rt, struct errbuf *err)
{
	return route_do(impl, RTM_NEWROUTE, rt, err);
}

static int
dpk_route_del(void *impl, const struct dp_route *rt, struct errbuf *err)
{
	return route_do(impl, RTM_DELROUTE, rt, err);
}

/* ----------------------------------------------------------- tunnels */

/* A route-based tunnel whose policies can be installed now. */
static bool
routed_ready(const struct dp_tunnel *t)
{
	return t->unit != DP_UNIT_NONE && t->local_gw.family != 0 && t->remote_gw.family != 0;
}

static int
dpk_tunnel_set(void *impl, const struct dp_tunnel *dt, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_tunnel *t = tunnel_find(k, dt->id);
	bool is_new = t == NULL;
	int rc;

	if (t == NULL) {
		if ((rc = GROW(k->tunnels, k->ntunnels, k->captunnels)) < 0)
			return errbuf_set(err, rc, "tunnel %u: out of memory", dt->id);
		t = &k->tunnels[k->ntunnels++];
		memset(t, 0, sizeof(*t));
	} else if (xfrm_tunnel_same_policies(&t->t, dt) && !(routed_ready(dt) && t->pols.n == 0)) {
		/*
		 * Anchoring moved it (or on_traffic changed): the kernel's SAs
		 * follow their tunnel's SPU as bookkeeping; per-CPU SAs keep
		 * their CPU until they are rekeyed (the kernel cannot move one).
		 */
		t->t = *dt;
		for (size_t i = 0; i < k->nsas; i++)
			if (k->sas[i].tunnel_id == dt->id)
				k->sas[i].spu = dt->spu;
		return 0;
	} else
		kpols_remove(k, &t->pols); /* selectors, unit or gateways changed */
	t->t = *dt;
	if (!routed_ready(dt))
		return 0; /* policy-based, or gateways known at the first SA */
	rc = tunnel_install(k, t, &dt->local_gw, &dt->remote_gw, err);
	if (rc < 0 && is_new) /* the front end forgets it too */
		*t = k->tunnels[--k->ntunnels];
	return rc;
}

static int
dpk_tunnel_del(void *impl, uint32_t id, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_tunnel *t = tunnel_find(k, id);
	struct errbuf why = { .msg = "" };
	struct nlp_err kerr;
	char ctx[64];
	unsigned kept = 0;
	int rc, first = 0;

	if (t == NULL)
		return errbuf_set(err, -ENOENT, "tunnel %u does not exist", id);
	errbuf_clear(&why);
	kpols_remove(k, &t->pols);
	/* dp.h: what is left of its policies and SAs goes with it */
	for (size_t i = 0; i < k->npols;) {
		if (k->pols[i].tunnel_id == id) {
			kpols_remove(k, &k->pols[i].pols);
			k->pols[i] = k->pols[--k->npols];
		} else
			i++;
	}
	for (size_t i = 0; i < k->nsas;) {
		struct dpk_sa *s = &k->sas[i];

		if (s->tunnel_id != id || s->larval) {
			i++;
			continue;
		}
		rc = sa_delete_kernel(k, s, &kerr);
		if (rc == 0 || rc == -ENOENT || rc == -ESRCH) {
			sa_forget(k, s); /* the last SA takes index i */
			continue;
		}
		/* Refused or unanswered: the kernel may still hold it, so the
		 * table keeps it (a later sa_del, or close, takes it out). */
		if (kept++ == 0) {
			snprintf(
			    ctx, sizeof(ctx), "tunnel %u deleted, but its SA %08x", id, s->spi);
			first = rc;
			kfail(&why, rc, &kerr, ctx, NULL);
		}
		i++;
	}
	*t = k->tunnels[--k->ntunnels];
	if (kept > 0)
		return errbuf_set(err, first, "%s; %u SA(s) still installed", why.msg, kept);
	return 0;
}

/* --------------------------------------------------------------- SAs */

static int
sa_reply_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	if (hdr->nlmsg_type != XFRM_MSG_NEWSA && hdr->nlmsg_type != XFRM_MSG_UPDSA)
		return 0;
	return xfrm_parse_sa(payload, arg);
}

static int
dpk_spi_alloc(void *impl, const struct dp_addr *local, const struct dp_addr *remote, uint32_t spu,
    uint32_t *spi, struct errbuf *err)
{
	struct dpk *k = impl;
	struct xfrm_sa_info info;
	struct nlp_err kerr;
	struct dpk_sa *s;
	struct req r;
	char a[INET6_ADDRSTRLEN], ctx[96];
	int rc;

	if ((rc = GROW(k->sas, k->nsas, k->capsas)) < 0)
		return errbuf_set(err, rc, "SPI allocation: out of memory");
	memset(&info, 0, sizeof(info));
	rc = x_do(k->x, &r,
	    xfrm_build_allocspi(r.b, sizeof(r.b), local, remote, 0, DPK_SPI_MIN, UINT32_MAX),
	    sa_reply_cb, &info, &kerr);
	if (rc == -EINVAL && kerr.msg[0] == '\0')
		return errbuf_set(err, rc, "SPI allocation: invalid local/remote addresses");
	if (rc < 0) {
		snprintf(ctx, sizeof(ctx), "SPI allocation for %s", addr_str(local, a, sizeof(a)));
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	if (info.u.id.spi == 0)
		return errbuf_set(err, -EBADMSG, "SPI allocation: the kernel returned no SPI");
	*spi = ntohl(info.u.id.spi);
	s = &k->sas[k->nsas++];
	memset(s, 0, sizeof(*s));
	s->spi = *spi;
	s->dir = DP_DIR_IN;
	s->dst = *local;
	s->spu = spu;
	s->larval = true;
	return 0;
}

static int
sa_get(struct dpk *k, uint32_t spi, const struct dp_addr *dst, struct xfrm_sa_info *info,
    struct nlp_err *kerr)
{
	struct req r;

	memset(info, 0, sizeof(*info));
	return x_do(k->x, &r, xfrm_build_sa_id(r.b, sizeof(r.b), XFRM_MSG_GETSA, dst, spi, 0, 0),
	    sa_reply_cb, info, kerr);
}

/* The per-CPU check of a new SA (sa_move.h) over this backend's socket. */
struct pcpu_ctx {
	struct dpk *k;
	uint32_t spi, cpu;
	struct dp_addr dst;
	struct nlp_err kerr, undo_kerr;
};

static int
pcpu_read_back(void *ctx, bool *kept)
{
	struct pcpu_ctx *c = ctx;
	struct xfrm_sa_info info;
	int rc;

	rc = sa_get(c->k, c->spi, &c->dst, &info, &c->kerr);
	*kept = rc == 0 && info.has_pcpu && info.pcpu == c->cpu;
	return rc;
}

static int
pcpu_del(void *ctx)
{
	struct pcpu_ctx *c = ctx;
	struct dpk_sa tmp = { .spi = c->spi, .dst = c->dst };

	return sa_delete_kernel(c->k, &tmp, &c->undo_kerr);
}

static const struct sa_pcpu_steps pcpu_steps = {
	.read_back = pcpu_read_back,
	.del = pcpu_del,
};

/* The operator message of a failed per-CPU check; tail says where the SA is. */
static int
pcpu_fail(struct errbuf *err, int rc, const struct pcpu_ctx *c, const char *ctx, const char *tail)
{
	if (rc == -EOPNOTSUPP)
		return errbuf_set(err, rc,
		    "%s: this kernel has no per-CPU SAs (XFRMA_SA_PCPU, Linux 6.13 or later)%s",
		    ctx, tail);
	return errbuf_set(err, rc, "%s: cannot read the SA back to check its CPU: %s%s%s%s%s", ctx,
	    strerror(-rc), c->kerr.msg[0] ? " (kernel: " : "", c->kerr.msg,
	    c->kerr.msg[0] ? ")" : "", tail);
}

static int
dpk_sa_add(void *impl, const struct dp_sa *sa, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_tunnel *t = tunnel_find(k, sa->tunnel_id);
	const struct dp_addr *dst = sa->dir == DP_DIR_IN ? &sa->local : &sa->remote;
	struct dpk_sa *s = sa_find(k, sa->spi, dst);
	struct xfrm_sa_extra x;
	struct nlp_err kerr;
	struct req r;
	bool routed = t != NULL && t->t.unit != DP_UNIT_NONE;
	uint16_t type;
	char ctx[128];
	int rc;

	sa_ctx(sa, ctx, sizeof(ctx));
	if ((rc = xfrm_sa_check(sa, err)) < 0)
		return rc;
	if ((sa->flags & DP_SA_PCPU) && (sa->dir != DP_DIR_OUT || sa->spu >= k->ncpu))
		return errbuf_set(err, -EINVAL,
		    "%s: a per-CPU SA must be outbound and name a CPU below %u", ctx, k->ncpu);
	if (routed && unit_find(k, t->t.unit) == NULL)
		return errbuf_set(err, -ENOENT, "%s: tunnel %u: st0.%u is not configured", ctx,
		    t->t.id, t->t.unit);
	if (s == NULL && (rc = GROW(k->sas, k->nsas, k->capsas)) < 0)
		return errbuf_set(err, rc, "%s: out of memory", ctx);
	memset(&x, 0, sizeof(x));
	/* Route-based: the reqid of the tunnel's templates; else as given. */
	x.reqid = routed ? t->t.id : (sa->reqid ? sa->reqid : sa->tunnel_id);
	x.if_id = routed ? dp_kernel_unit_if_id(t->t.unit) : 0;
	x.pcpu = (sa->flags & DP_SA_PCPU) != 0;
	x.cpu = sa->spu;
	/* An SPI we allocated is a larval SA: it is updated, not added. */
	type = s != NULL && s->larval ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA;
	for (;;) {
		int len = xfrm_build_sa(r.b, sizeof(r.b), type, sa, &x, err);

		if (len < 0) { /* checked above: only a request that does not fit */
			explicit_bzero(r.b, sizeof(r.b));
			return errbuf_set(err, len, "%s: cannot build the request", ctx);
		}
		rc = x_do(k->x, &r, len, NULL, NULL, &kerr);
		/* xfrm_state_update() answers -ESRCH when there is no such SA */
		if ((rc != -ESRCH && rc != -ENOENT) || type != XFRM_MSG_UPDSA)
			break;
		type = XFRM_MSG_NEWSA; /* the larval SA expired meanwhile */
	}
	if (rc < 0)
		return kfail(err, rc, &kerr, ctx, sa);
	if (x.pcpu) {
		/* Kernels before 6.13 drop XFRMA_SA_PCPU silently: read it back,
		 * and out again without its CPU (sa_move.h). */
		struct pcpu_ctx pc = { .k = k, .spi = sa->spi, .dst = *dst, .cpu = sa->spu };
		enum sa_pcpu_end end;
		int undo_rc;

		rc = sa_pcpu_check(&pcpu_steps, &pc, &end, &undo_rc);
		if (rc < 0 && end == SA_PCPU_UNDONE) {
			if (s != NULL)
				sa_forget(k, s);
			return pcpu_fail(err, rc, &pc, ctx, "");
		}
		if (rc < 0) {
			/* Refused or unanswered: the kernel may hold it (without its
			 * CPU), so the table lists it (sa_del, tunnel_del, close). */
			char why[400];

			snprintf(why, sizeof(why),
			    "; removing it failed (%s%s%s): the SA is still installed",
			    strerror(-undo_rc), pc.undo_kerr.msg[0] ? ": kernel: " : "",
			    pc.undo_kerr.msg);
			pcpu_fail(err, rc, &pc, ctx, why);
		}
	}
	if (s == NULL) {
		s = &k->sas[k->nsas++];
		memset(s, 0, sizeof(*s));
	}
	s->spi = sa->spi;
	s->dir = sa->dir;
	s->dst = *dst;
	s->tunnel_id = sa->tunnel_id;
	s->spu = sa->spu;
	s->larval = false;
	s->b_packets = s->b_bytes = s->b_replay = s->b_auth = 0;
	if (rc < 0) /* SA_PCPU_STILL_INSTALLED: err says so */
		return rc;
	if (routed && t->pols.n == 0 &&
	    (rc = tunnel_install(k, t, &sa->local, &sa->remote, err)) < 0)
		return rc; /* the SA stays; iked deletes it with the tunnel */
	return 0;
}

/* The SA message of a GETSA reply, copied whole (keys included). */
struct sa_copy {
	struct req *r;
	bool got;
};

static int
sa_copy_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct sa_copy *c = arg;
	struct xfrm_sa_info info;

	if (hdr->nlmsg_type != XFRM_MSG_NEWSA || c->got)
		return 0;
	if (xfrm_parse_sa(payload, &info) < 0 || NLMSG_HDRLEN + payload.left > sizeof(c->r->b))
		return -EBADMSG;
	memcpy(c->r->b, hdr, sizeof(*hdr));
	memcpy(c->r->b + NLMSG_HDRLEN, payload.p, payload.left);
	((struct nlmsghdr *)c->r->b)->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + payload.left);
	c->got = true;
	return 0;
}

static void
sa_ident_of(const void *tab, size_t i, struct sa_ident *out)
{
	const struct dpk_sa *s = &((const struct dpk_sa *)tab)[i];

	out->spi = s->spi;
	out->dir = s->dir;
	out->dst = s->dst;
	out->tunnel_id = s->tunnel_id;
	out->larval = s->larval;
}

/* The installed SA an update names (sa_pick.h); NULL with *rc and err set. */
static struct dpk_sa *
sa_find_update(struct dpk *k, const struct dp_sa *sa, const char *ctx, int *rc, struct errbuf *err)
{
	const struct dp_addr *dst = sa->dir == DP_DIR_IN ? &sa->local : &sa->remote;
	struct sa_pick pick;
	char a[INET6_ADDRSTRLEN];

	*rc = sa_pick_update(k->sas, k->nsas, sa_ident_of, sa, &pick);
	switch (pick.how) {
	case SA_PICK_EXACT:
	case SA_PICK_TUNNEL:
		return &k->sas[pick.at];
	case SA_PICK_OTHER_TUNNEL:
		errbuf_set(err, *rc,
		    "%s: the SA with this SPI to %s belongs to tunnel %u, not tunnel %u", ctx,
		    addr_str(dst, a, sizeof(a)), pick.other, sa->tunnel_id);
		break;
	case SA_PICK_AMBIGUOUS:
		if (sa->tunnel_id != 0)
			errbuf_set(err, *rc,
			    "%s: tunnel %u has %u outbound SAs with this SPI to other peers: "
			    "which one moved is ambiguous",
			    ctx, sa->tunnel_id, pick.n);
		else
			errbuf_set(err, *rc,
			    "%s: %u outbound SAs to other peers share this SPI: the update must "
			    "name its tunnel",
			    ctx, pick.n);
		break;
	case SA_PICK_NONE:
		if (sa->dir == DP_DIR_OUT && sa->tunnel_id != 0)
			errbuf_set(err, *rc, "%s: tunnel %u has no such outbound SA installed", ctx,
			    sa->tunnel_id);
		else
			errbuf_set(err, *rc, "%s: not installed by this dataplane", ctx);
		break;
	}
	return NULL;
}

/* The kernel steps of an SA move (sa_move.h) over this backend's socket. */
struct sa_move_ctx {
	struct dpk *k;
	const struct req *add;  /* NEWSA at the new address */
	const struct req *back; /* NEWSA of the old SA as it was */
	struct dp_addr old_dst, new_dst;
	uint32_t spi;
	struct nlp_err kerr;      /* of the step that failed the move */
	struct nlp_err undo_kerr; /* of a failed undo step */
};

static int
move_send(struct sa_move_ctx *m, const struct req *msg, struct nlp_err *kerr)
{
	struct req r;

	memcpy(r.b, msg->b, ((const struct nlmsghdr *)msg->b)->nlmsg_len);
	return x_do(m->k->x, &r, (int)((struct nlmsghdr *)r.b)->nlmsg_len, NULL, NULL, kerr);
}

static int
move_del(struct sa_move_ctx *m, const struct dp_addr *dst, struct nlp_err *kerr)
{
	struct req r;

	return x_do(m->k->x, &r,
	    xfrm_build_sa_id(r.b, sizeof(r.b), XFRM_MSG_DELSA, dst, m->spi, 0, 0), NULL, NULL,
	    kerr);
}

static int
move_add_new(void *ctx)
{
	struct sa_move_ctx *m = ctx;

	return move_send(m, m->add, &m->kerr);
}

static int
move_del_old(void *ctx)
{
	struct sa_move_ctx *m = ctx;

	return move_del(m, &m->old_dst, &m->kerr);
}

static int
move_del_new(void *ctx)
{
	struct sa_move_ctx *m = ctx;

	return move_del(m, &m->new_dst, &m->undo_kerr);
}

static int
move_readd_old(void *ctx)
{
	struct sa_move_ctx *m = ctx;

	return move_send(m, m->back, &m->undo_kerr);
}

static const struct sa_move_steps move_steps = {
	.add_new = move_add_new,
	.del_old = move_del_old,
	.del_new = move_del_new,
	.readd_old = move_readd_old,
};

/*
 * Moves SA s (in this backend's table) to new_dst with the NEWSA in add;
 * back re-creates the old SA as it was. The table follows the kernel
 * whatever fails (sa_move.h), and the message says where the SA is.
 */
static int
sa_update_move(struct dpk *k, struct dpk_sa *s, const struct req *back, const struct req *add,
    const struct dp_addr *new_dst, const char *ctx, const struct dp_sa *sa, struct errbuf *err)
{
	struct sa_move_ctx m = { .k = k,
		.add = add,
		.back = back,
		.old_dst = s->dst,
		.new_dst = *new_dst,
		.spi = s->spi };
	struct errbuf why = { .msg = "" };
	enum sa_move_end end;
	const char *failed, *where = "";
	char a[INET6_ADDRSTRLEN], u[300] = "";
	int rc, undo_rc;

	errbuf_clear(&why);
	rc = sa_move(!dp_addr_eq(&s->dst, new_dst), &move_steps, &m, &end, &failed, &undo_rc);
	switch (end) {
	case SA_MOVE_DONE:
		s->dst = *new_dst;
		return 0;
	case SA_MOVE_KEPT_OLD:
		where = "the SA keeps its old peer address";
		break;
	case SA_MOVE_GONE:
		/* the kernel has neither: so must the table not */
		sa_forget(k, s);
		where = undo_rc < 0 ? "the old SA could not be restored and is gone"
		                    : "the old SA had already expired and is gone";
		break;
	case SA_MOVE_BOTH:
		/* Both failed deletes: the table lists the new SA (in use);
		 * the old one stays in the kernel unlisted, and the message
		 * names it for the operator (ip xfrm state delete). */
		s->dst = *new_dst;
		snprintf(u, sizeof(u), "the old SA to %s could not be removed",
		    addr_str(&m.old_dst, a, sizeof(a)));
		where = u;
		break;
	}
	if (undo_rc < 0 && end != SA_MOVE_BOTH)
		snprintf(u, sizeof(u), " (%s%s%s)", strerror(-undo_rc),
		    m.undo_kerr.msg[0] ? ": kernel: " : "", m.undo_kerr.msg);
	kfail(&why, rc, &m.kerr, ctx, strcmp(failed, "add") == 0 ? sa : NULL);
	return errbuf_set(err, rc, "%s; the peer address change failed at its %s step: %s%s",
	    why.msg, failed, where, end != SA_MOVE_BOTH ? u : "");
}

/*
 * Lifetimes and the peer's address/port (NAT mapping moved) of an installed
 * SA. The kernel changes neither alone, so the SA is read back whole
 * (GETSA: keys, replay state and current lifetime included), edited, and
 * written with UPDSA when its lookup key (dst, SPI) and source stay, else
 * re-added and the old one deleted (counters carried by XFRMA_LTIME_VAL) in
 * the order of sa_move.h, which keeps this table equal to the kernel's.
 */
static int
dpk_sa_update(void *impl, const struct dp_sa *sa, uint32_t what, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_sa *s;
	struct req r, q, back;
	struct sa_copy c = { .r = &r };
	struct xfrm_usersa_info xs;
	struct nlmsghdr *nlh = (struct nlmsghdr *)r.b;
	struct nlattr *attr;
	struct nlp_err kerr;
	struct dp_addr old_dst, old_src, new_remote;
	bool in = sa->dir == DP_DIR_IN, moved = false;
	char ctx[128];
	int rc;

	sa_ctx(sa, ctx, sizeof(ctx));
	if ((s = sa_find_update(k, sa, ctx, &rc, err)) == NULL)
		return rc;
	if (what & ~(uint32_t)(DP_SA_UPD_LIFETIME | DP_SA_UPD_REMOTE))
		return errbuf_set(err, -EINVAL, "%s: unknown update flags %#x", ctx, what);
	old_dst = s->dst;
	rc = x_do(k->x, &q,
	    xfrm_build_sa_id(q.b, sizeof(q.b), XFRM_MSG_GETSA, &old_dst, sa->spi, 0, 0), sa_copy_cb,
	    &c, &kerr);
	if (rc == 0 && !c.got)
		rc = -ENOENT;
	if (rc < 0) {
		explicit_bzero(r.b, sizeof(r.b));
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	/* the SA as it is, to put back if a move fails half-way */
	memcpy(back.b, r.b, nlh->nlmsg_len);
	memcpy(&xs, r.b + NLMSG_HDRLEN, sizeof(xs));
	xfrm_addr_to_dp(&old_src, xs.family, &xs.saddr);
	if (what & DP_SA_UPD_LIFETIME)
		xfrm_lifetime_from_dp(&xs.lft, &sa->life);
	if (what & DP_SA_UPD_REMOTE) {
		new_remote = sa->remote;
		if (new_remote.family != xs.family) {
			explicit_bzero(r.b, sizeof(r.b));
			explicit_bzero(back.b, sizeof(back.b));
			return errbuf_set(err, -EINVAL,
			    "%s: the new peer address must be of the SA's family", ctx);
		}
		/* inbound: the peer is the source; outbound: the destination */
		moved = !dp_addr_eq(in ? &old_src : &old_dst, &new_remote);
		xfrm_addr_from_dp(in ? &xs.saddr : &xs.id.daddr, &new_remote);
		mnl_attr_for_each(attr, nlh, sizeof(xs))
		{
			struct xfrm_encap_tmpl e;

			if (mnl_attr_get_type(attr) != XFRMA_ENCAP ||
			    mnl_attr_get_payload_len(attr) < sizeof(e))
				continue;
			memcpy(&e, mnl_attr_get_payload(attr), sizeof(e));
			if (in)
				e.encap_sport = htons(sa->encap_remote_port);
			else
				e.encap_dport = htons(sa->encap_remote_port);
			memcpy(mnl_attr_get_payload(attr), &e, sizeof(e));
		}
	}
	memcpy(r.b + NLMSG_HDRLEN, &xs, sizeof(xs));
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 0;
	nlh->nlmsg_pid = 0;
	if (!moved) {
		nlh->nlmsg_type = XFRM_MSG_UPDSA;
		rc = x_do(k->x, &r, (int)nlh->nlmsg_len, NULL, NULL, &kerr);
		explicit_bzero(back.b, sizeof(back.b));
	} else {
		/* A new SA: first where it can coexist with the old (outbound, other
		 * dst); inbound keeps (dst, SPI): old out first, back on failure. */
		struct nlmsghdr *bh = (struct nlmsghdr *)back.b;

		nlh->nlmsg_type = bh->nlmsg_type = XFRM_MSG_NEWSA;
		bh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		bh->nlmsg_seq = bh->nlmsg_pid = 0;
		/* the kernel starts a new SA's counters from XFRMA_LTIME_VAL */
		if (!mnl_attr_put_check(
		        nlh, sizeof(r.b), XFRMA_LTIME_VAL, sizeof(xs.curlft), &xs.curlft) ||
		    !mnl_attr_put_check(
		        bh, sizeof(back.b), XFRMA_LTIME_VAL, sizeof(xs.curlft), &xs.curlft)) {
			explicit_bzero(r.b, sizeof(r.b));
			explicit_bzero(back.b, sizeof(back.b));
			explicit_bzero(&xs, sizeof(xs));
			return errbuf_set(err, -EMSGSIZE, "%s: SA message too large", ctx);
		}
		rc = sa_update_move(k, s, &back, &r, in ? &old_dst : &new_remote, ctx, sa, err);
		explicit_bzero(back.b, sizeof(back.b));
		explicit_bzero(r.b, sizeof(r.b));
		explicit_bzero(&xs, sizeof(xs));
		if (rc == 0 && (what & DP_SA_UPD_LIFETIME))
			s->soft_raised = false; /* a new kernel SA, new limits */
		return rc;
	}
	explicit_bzero(&xs, sizeof(xs));
	if (rc < 0)
		return kfail(err, rc, &kerr, ctx, sa);
	/* xfrm_state_update() re-arms the soft expiry with the new lifetime */
	if (what & DP_SA_UPD_LIFETIME)
		s->soft_raised = false;
	return 0;
}

static int
dpk_sa_del(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_sa *s = sa_find(k, spi, dst);
	struct errbuf why = { .msg = "" };
	struct nlp_err kerr;
	struct req r;
	char a[INET6_ADDRSTRLEN], ctx[96];
	int rc;

	rc = x_do(k->x, &r, xfrm_build_sa_id(r.b, sizeof(r.b), XFRM_MSG_DELSA, dst, spi, 0, 0),
	    NULL, NULL, &kerr);
	if (rc == 0)
		goto gone;
	snprintf(ctx, sizeof(ctx), "SA %08x (%s, to %s)", spi,
	    dir == DP_DIR_IN ? "inbound" : "outbound", addr_str(dst, a, sizeof(a)));
	if (rc == -ENOENT || rc == -ESRCH) {
		/* the kernel no longer has it (expired, flushed): neither may we */
		kfail(err, rc, &kerr, ctx, NULL);
		goto gone;
	}
	/* Refused or unanswered: the kernel may still hold the SA, so the
	 * table keeps it (a later delete, or close, takes it out). */
	errbuf_clear(&why);
	kfail(&why, rc, &kerr, ctx, NULL);
	return errbuf_set(err, rc, "%s; the SA is still installed", why.msg);
gone:
	if (s != NULL)
		sa_forget(k, s);
	return rc;
}

/* Kernel timestamps are wall-clock seconds; dp_sa_stats wants monotonic. */
static uint64_t
mono_of_real(uint64_t real)
{
	struct timespec m, w;
	int64_t ago;

	if (real == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	ago = (int64_t)w.tv_sec - (int64_t)real;
	if (ago < 0)
		ago = 0;
	return (uint64_t)m.tv_sec > (uint64_t)ago ? (uint64_t)m.tv_sec - (uint64_t)ago : 0;
}

static void
stats_from_info(const struct xfrm_sa_info *info, const struct dpk_sa *s, struct dp_sa_stats *o)
{
	uint64_t replay = (uint64_t)info->u.stats.replay + info->u.stats.replay_window;
	bool out = s == NULL || s->dir == DP_DIR_OUT;

	memset(o, 0, sizeof(*o));
	o->packets = info->u.curlft.packets;
	o->bytes = info->u.curlft.bytes;
	o->replay_drops = replay;
	o->auth_failures = info->u.stats.integrity_failed;
	if (s != NULL) {
		o->packets -= s->b_packets < o->packets ? s->b_packets : o->packets;
		o->bytes -= s->b_bytes < o->bytes ? s->b_bytes : o->bytes;
		o->replay_drops -= s->b_replay < replay ? s->b_replay : replay;
		o->auth_failures -= s->b_auth < o->auth_failures ? s->b_auth : o->auth_failures;
	}
	if (info->has_esn)
		o->seq = out ? ((uint64_t)info->esn.oseq_hi << 32 | info->esn.oseq)
		             : ((uint64_t)info->esn.seq_hi << 32 | info->esn.seq);
	else if (info->has_replay)
		o->seq = out ? info->replay.oseq : info->replay.seq;
	o->add_time = mono_of_real(info->u.curlft.add_time);
	o->last_used = mono_of_real(info->u.curlft.use_time);
}

static int
dpk_sa_stats(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
    struct dp_sa_stats *out, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_sa *s;
	struct xfrm_sa_info info;
	struct nlp_err kerr;
	char a[INET6_ADDRSTRLEN], ctx[96];
	int rc;

	if ((rc = sa_get(k, spi, dst, &info, &kerr)) < 0) {
		snprintf(ctx, sizeof(ctx), "SA %08x (%s, to %s)", spi,
		    dir == DP_DIR_IN ? "inbound" : "outbound", addr_str(dst, a, sizeof(a)));
		return kfail(err, rc, &kerr, ctx, NULL);
	}
	s = sa_find(k, spi, dst);
	stats_from_info(&info, s, out);
	if (s != NULL) {
		out->spu = s->spu;
		out->tunnel_id = s->tunnel_id;
	}
	return 0;
}

/* ---------------------------------------------------------- policies */

static int
dpk_policy_add(void *impl, const struct dp_policy *dp, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_tunnel *t = tunnel_find(k, dp->tunnel_id);
	struct dpk_policy *p = policy_find(k, dp->id);
	const struct dp_addr *tl = &dp->tmpl_local, *tr = &dp->tmpl_remote;
	uint32_t if_id = 0;
	int rc;

	if (p != NULL)
		return errbuf_set(err, -EEXIST, "policy %u already exists", dp->id);
	if (t != NULL && tl->family == 0) {
		tl = &t->t.local_gw;
		tr = &t->t.remote_gw;
	}
	if (tl->family == 0 || tl->family != tr->family)
		return errbuf_set(err, -EINVAL,
		    "policy %u: the tunnel's local and remote gateway addresses are needed",
		    dp->id);
	if (t != NULL && t->t.unit != DP_UNIT_NONE)
		if_id = dp_kernel_unit_if_id(t->t.unit);
	if ((rc = GROW(k->pols, k->npols, k->cappols)) < 0)
		return errbuf_set(err, rc, "policy %u: out of memory", dp->id);
	p = &k->pols[k->npols];
	memset(p, 0, sizeof(*p));
	p->id = dp->id;
	p->tunnel_id = dp->tunnel_id;
	p->reqid = dp->reqid ? dp->reqid : dp->tunnel_id;
	if (dp->dir == DP_DIR_OUT)
		rc = install_dir(k, &p->pols, &dp->sel_src, &dp->sel_dst, DP_DIR_OUT, tl, tr,
		    p->reqid, if_id, dp->priority, err);
	else
		rc = install_dir(k, &p->pols, &dp->sel_src, &dp->sel_dst, DP_DIR_IN, tr, tl,
		    p->reqid, if_id, dp->priority, err);
	if (rc == 0 && p->pols.n == 0)
		rc = errbuf_set(err, -EINVAL,
		    "policy %u: source and destination selectors are of different families",
		    dp->id);
	if (rc < 0) {
		kpols_remove(k, &p->pols);
		return rc;
	}
	k->npols++;
	return 0;
}

static int
dpk_policy_del(void *impl, uint32_t id, struct errbuf *err)
{
	struct dpk *k = impl;
	struct dpk_policy *p = policy_find(k, id);

	if (p == NULL)
		return errbuf_set(err, -ENOENT, "policy %u does not exist", id);
	kpols_remove(k, &p->pols);
	*p = k->pols[--k->npols];
	return 0;
}

/* -------------------------------------------------------- statistics */

struct dump_ctx {
	struct dpk *k;
	uint32_t spu;
	struct dp_spu_stats *out;
	bool clear;
};

static int
dump_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct dump_ctx *c = arg;
	struct xfrm_sa_info info;
	struct dp_addr dst;
	struct dpk_sa *s;
	struct dp_sa_stats st;

	if (hdr->nlmsg_type != XFRM_MSG_NEWSA || xfrm_parse_sa(payload, &info) < 0)
		return 0;
	xfrm_addr_to_dp(&dst, info.u.family, &info.u.id.daddr);
	if ((s = sa_find(c->k, ntohl(info.u.id.spi), &dst)) == NULL || s->larval)
		return 0;
	if (c->clear) {
		s->b_packets = info.u.curlft.packets;
		s->b_bytes = info.u.curlft.bytes;
		s->b_replay = (uint64_t)info.u.stats.replay + info.u.stats.replay_window;
		s->b_auth = info.u.stats.integrity_failed;
		return 0;
	}
	if (s->spu != c->spu)
		return 0;
	stats_from_info(&info, s, &st);
	if (s->dir == DP_DIR_OUT) {
		c->out->encrypt_packets += st.packets;
		c->out->encrypt_bytes += st.bytes;
	} else {
		c->out->decrypt_packets += st.packets;
		c->out->decrypt_bytes += st.bytes;
		c->out->replay_drops += st.replay_drops;
		c->out->auth_failures += st.auth_failures;
	}
	return 0;
}

static int
dpk_spu_stats(void *impl, uint32_t spu, struct dp_spu_stats *out)
{
	struct dpk *k = impl;
	struct dump_ctx c = { .k = k, .spu = spu, .out = out };
	struct req r;

	memset(out, 0, sizeof(*out));
	if (spu >= k->ncpu)
		return -ENOENT;
	for (size_t i = 0; i < k->ntunnels; i++)
		if (k->tunnels[i].t.spu == spu)
			out->tunnels++;
	return x_do(k->x, &r, xfrm_build_sa_dump(r.b, sizeof(r.b)), dump_cb, &c, NULL);
}

static int
dpk_clear_stats(void *impl)
{
	struct dpk *k = impl;
	struct dump_ctx c = { .k = k, .clear = true };
	struct req r;

	return x_do(k->x, &r, xfrm_build_sa_dump(r.b, sizeof(r.b)), dump_cb, &c, NULL);
}

/* ------------------------------------------------------------ events */

static int
dpk_event_fd(void *impl)
{
	return xnl_fd(((struct dpk *)impl)->ev);
}

/* Was the acquire with this seq raised already? */
static bool
acq_raised(const struct dpk *k, uint32_t seq)
{
	for (size_t i = 0; i < DPK_ACQ_SEEN; i++)
		if (k->acq_seen[i] == seq && seq != 0)
			return true;
	return false;
}

static void
acq_remember(struct dpk *k, uint32_t seq)
{
	k->acq_seen[k->acq_pos] = seq;
	k->acq_pos = (k->acq_pos + 1) % DPK_ACQ_SEEN;
}

/* Was it raised? Remembers it if not (it is about to be). */
static bool
acq_known(struct dpk *k, uint32_t seq)
{
	if (acq_raised(k, seq))
		return true;
	acq_remember(k, seq);
	return false;
}

/* An event about SA s (an expiry); the caller adds src and msg. */
static void
sa_event(struct dp_event *ev, enum dp_event_type type, const struct dpk_sa *s)
{
	ev->type = type;
	ev->tunnel_id = s->tunnel_id;
	ev->spu = s->spu;
	ev->spi = s->spi;
	ev->dir = s->dir;
	ev->dst = s->dst;
}

static void
acquire_event(
    struct dp_event *ev, const struct dpk_tunnel *t, uint32_t spu, const struct xfrm_selector *sel)
{
	ev->type = DP_EV_ACQUIRE;
	ev->tunnel_id = t->t.id;
	ev->spu = spu;
	ev->dir = DP_DIR_OUT;
	xfrm_addr_to_dp(&ev->src, sel->family, &sel->saddr);
	xfrm_addr_to_dp(&ev->dst, sel->family, &sel->daddr);
	snprintf(ev->msg, sizeof(ev->msg), "traffic for tunnel %u has no SA", t->t.id);
}

/* One notification as a dp event: 1 = *ev filled, 0 = not for the caller. */
static int
event_of(struct dpk *k, const struct nlmsghdr *hdr, struct rd payload, struct dp_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (hdr->nlmsg_type == XFRM_MSG_ACQUIRE) {
		struct xfrm_acquire_info a;
		struct dp_addr tsrc, tdst;
		struct dpk_tunnel *t;

		if (xfrm_parse_acquire(payload, &a) < 0)
			return -EBADMSG;
		if (a.n_tmpl == 0)
			return 0;
		xfrm_addr_to_dp(&tsrc, a.tmpl[0].family, &a.tmpl[0].saddr);
		xfrm_addr_to_dp(&tdst, a.tmpl[0].family, &a.tmpl[0].id.daddr);
		t = tunnel_of_acquire(k, a.tmpl[0].reqid, &tsrc, &tdst, a.has_if_id ? a.if_id : 0);
		if (t == NULL || !t->t.on_traffic || acq_known(k, a.u.seq))
			return 0; /* known: a resynchronisation raised it first */
		acquire_event(ev, t, a.has_pcpu ? a.pcpu : t->t.spu, &a.u.sel);
		return 1;
	}
	if (hdr->nlmsg_type == XFRM_MSG_EXPIRE) {
		struct xfrm_expire_info e;
		struct dp_addr dst;
		struct dpk_sa *s;

		if (xfrm_parse_expire(payload, &e) < 0)
			return -EBADMSG;
		if (e.sa.u.id.proto != IPPROTO_ESP)
			return 0;
		xfrm_addr_to_dp(&dst, e.sa.u.family, &e.sa.u.id.daddr);
		if ((s = sa_find(k, ntohl(e.sa.u.id.spi), &dst)) == NULL)
			return 0;
		if (s->larval) { /* an allocated SPI nobody used */
			if (e.hard)
				sa_forget(k, s);
			return 0;
		}
		if (!e.hard && s->soft_raised)
			return 0; /* known: a resynchronisation raised it first */
		if (!e.hard)
			s->soft_raised = true;
		sa_event(ev, e.hard ? DP_EV_HARD_EXPIRE : DP_EV_SOFT_EXPIRE, s);
		xfrm_addr_to_dp(&ev->src, e.sa.u.family, &e.sa.u.saddr);
		snprintf(ev->msg, sizeof(ev->msg), "SA %08x reached its %s lifetime", s->spi,
		    e.hard ? "hard" : "soft");
		if (e.hard)
			sa_forget(k, s);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------- resynchronisation */

/* The backend's SAs by SPI, for matching a dump against the table. */
struct sa_ix {
	uint32_t spi;
	uint32_t i;
};

static int
sa_ix_cmp(const void *a, const void *b)
{
	const struct sa_ix *x = a, *y = b;

	return x->spi < y->spi ? -1 : x->spi > y->spi;
}

struct resync_ctx {
	struct dpk *k;
	struct sa_ix *ix;
	size_t nix;
	unsigned bad;       /* messages that did not parse: the dump is not whole */
	unsigned acq_left;  /* pending acquires over DPK_RESYNC_ACQ */
	unsigned acq_known; /* pending acquires raised before */
	int err;            /* -ENOMEM queueing */
	uint64_t now;       /* wall-clock seconds, as the kernel's lifetimes */
	/* seqs of the pending acquires raised before (known) and now
	 * (raised): the ring is written only after the dump, or one raised
	 * now could push out a known one the dump has yet to reach */
	uint32_t *known, *raised;
	size_t nknown, capknown, nraised, capraised;
	bool known_lost;
};

static struct dp_event *
rq_push(struct dpk *k)
{
	if (GROW(k->rq, k->rq_n, k->rq_cap) < 0)
		return NULL;
	memset(&k->rq[k->rq_n], 0, sizeof(k->rq[0]));
	return &k->rq[k->rq_n++];
}

static int
resync_cb(const struct nlmsghdr *hdr, struct rd payload, void *arg)
{
	struct resync_ctx *c = arg;
	struct dpk *k = c->k;
	struct xfrm_sa_info info;
	struct dp_event *ev;
	struct dp_addr dst;
	size_t lo = 0, hi = c->nix;

	if (hdr->nlmsg_type != XFRM_MSG_NEWSA)
		return 0;
	if (xfrm_parse_sa(payload, &info) < 0) {
		c->bad++;
		return 0;
	}
	if (info.u.id.proto != IPPROTO_ESP)
		return 0;
	if (xfrm_sa_is_acquire(&info)) {
		/* a pending acquire: raise it unless it was raised; the ACQ
		 * state holds the template's outer addresses and if_id */
		struct dp_addr tsrc, tdst;
		struct dpk_tunnel *t;

		xfrm_addr_to_dp(&tsrc, info.u.family, &info.u.saddr);
		xfrm_addr_to_dp(&tdst, info.u.family, &info.u.id.daddr);
		t = tunnel_of_acquire(
		    k, info.u.reqid, &tsrc, &tdst, info.has_if_id ? info.if_id : 0);

		if (t == NULL || !t->t.on_traffic)
			return 0;
		if (acq_raised(k, info.u.seq)) {
			c->acq_known++;
			if (GROW(c->known, c->nknown, c->capknown) == 0)
				c->known[c->nknown++] = info.u.seq;
			else
				c->known_lost = true; /* the ring keeps what it has */
			return 0;
		}
		if (k->rq_n >= DPK_RESYNC_ACQ) {
			c->acq_left++; /* not remembered: a later dump may raise it */
			return 0;
		}
		if (GROW(c->raised, c->nraised, c->capraised) < 0 || (ev = rq_push(k)) == NULL) {
			c->err = -ENOMEM;
			return 0;
		}
		c->raised[c->nraised++] = info.u.seq;
		acquire_event(ev, t, info.has_pcpu ? info.pcpu : t->t.spu, &info.u.sel);
		return 0;
	}
	/* an SA: mark the table's entry (SPI, destination) as present */
	xfrm_addr_to_dp(&dst, info.u.family, &info.u.id.daddr);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ix[mid].spi < ntohl(info.u.id.spi))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nix && c->ix[lo].spi == ntohl(info.u.id.spi); lo++) {
		struct dpk_sa *s = &k->sas[c->ix[lo].i];

		if (!dp_addr_eq(&s->dst, &dst))
			continue;
		s->seen = true;
		/* a soft limit passed whose expiry was lost: raise it once */
		if (s->larval || s->soft_raised || !xfrm_sa_soft_passed(&info, c->now))
			continue;
		if ((ev = rq_push(k)) == NULL) {
			c->err = -ENOMEM;
			return 0;
		}
		s->soft_raised = true;
		sa_event(ev, DP_EV_SOFT_EXPIRE, s);
		xfrm_addr_to_dp(&ev->src, info.u.family, &info.u.saddr);
		snprintf(ev->msg, sizeof(ev->msg),
		    "SA %08x passed its soft lifetime (its expiry was lost)", s->spi);
	}
	return 0;
}

/*
 * The seen ring after a dump: when the dump was whole, exactly the pending
 * acquires raised (before, then now: the last DPK_ACQ_SEEN of them), as the
 * others are no longer pending; else the ring plus those raised now.
 */
static void
acq_resynced(struct dpk *k, const struct resync_ctx *c, bool whole)
{
	size_t i;

	if (whole) {
		memset(k->acq_seen, 0, sizeof(k->acq_seen));
		k->acq_pos = 0;
		for (i = 0; i < c->nknown; i++)
			acq_remember(k, c->known[i]);
	}
	for (i = 0; i < c->nraised; i++)
		acq_remember(k, c->raised[i]);
}

/*
 * After an overrun: one GETSA dump (ESP) against what the backend knows.
 *  1. Pending acquires (xfrm_sa_is_acquire) of on-traffic tunnels whose
 *     seq was not raised become DP_EV_ACQUIRE, at most DPK_RESYNC_ACQ.
 *  2. SAs of the table missing from a whole dump are gone from the kernel
 *     (their expiry, or a delete by someone else, was not read): each
 *     becomes DP_EV_HARD_EXPIRE and is forgotten; an unused SPI from
 *     spi_alloc is forgotten silently (as its expiry would be).
 *  3. SAs of the table in the dump that passed a soft limit
 *     (xfrm_sa_soft_passed) and had no DP_EV_SOFT_EXPIRE yet get one.
 * The events go to k->rq; a failed dump is reported as one DP_EV_ERROR.
 */
static void
resync(struct dpk *k)
{
	struct resync_ctx c = { .k = k };
	struct dp_event *ev;
	struct timespec now;
	struct req r;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	c.now = now.tv_sec > 0 ? (uint64_t)now.tv_sec : 0;

	k->rq_n = k->rq_off = 0;
	if (k->nsas > 0 && (c.ix = calloc(k->nsas, sizeof(*c.ix))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < k->nsas; i++) {
		k->sas[i].seen = false;
		c.ix[i].spi = k->sas[i].spi;
		c.ix[i].i = (uint32_t)i;
	}
	c.nix = k->nsas;
	if (c.nix > 0)
		qsort(c.ix, c.nix, sizeof(*c.ix), sa_ix_cmp);
	rc = x_do(k->x, &r, xfrm_build_sa_dump(r.b, sizeof(r.b)), resync_cb, &c, NULL);
	free(c.ix);
	/* the acquires queued are raised whatever follows (fail keeps them) */
	acq_resynced(k, &c, rc == 0 && c.err == 0 && c.bad == 0 && !c.known_lost);
	free(c.known);
	free(c.raised);
	if (rc == 0 && c.err < 0)
		rc = c.err;
	if (rc < 0)
		goto fail;
	if (c.bad == 0) {
		for (size_t i = 0; i < k->nsas;) {
			struct dpk_sa *s = &k->sas[i];

			if (s->seen) {
				i++;
				continue;
			}
			if (!s->larval) {
				if ((ev = rq_push(k)) == NULL) {
					rc = -ENOMEM;
					goto fail;
				}
				sa_event(ev, DP_EV_HARD_EXPIRE, s);
				snprintf(ev->msg, sizeof(ev->msg),
				    "SA %08x is gone from the kernel (its expiry was lost)",
				    s->spi);
			}
			sa_forget(k, s); /* the last SA takes index i */
		}
	}
	if (c.acq_left > 0 || c.bad > 0) {
		if ((ev = rq_push(k)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		ev->type = DP_EV_ERROR;
		if (c.bad > 0)
			snprintf(ev->msg, sizeof(ev->msg),
			    "resynchronisation: %u malformed SA(s) in the kernel's dump: "
			    "expiries not checked",
			    c.bad);
		else
			snprintf(ev->msg, sizeof(ev->msg),
			    "resynchronisation: %u pending acquire(s) over the limit of %u not "
			    "raised",
			    c.acq_left, DPK_RESYNC_ACQ);
	}
	log_info(LOG_XFRM,
	    "resynchronised after a notification overrun: %zu event(s) raised, %u pending "
	    "acquire(s) already known",
	    k->rq_n, c.acq_known);
	return;
fail:
	/* what was queued stands: the acquires are pending (and now remembered),
	 * the SAs forgotten are gone */
	if ((ev = rq_push(k)) != NULL) {
		ev->type = DP_EV_ERROR;
		snprintf(ev->msg, sizeof(ev->msg),
		    "resynchronisation after a notification overrun failed: %s", strerror(-rc));
	}
}

static int
dpk_event_read(void *impl, struct dp_event *ev)
{
	struct dpk *k = impl;
	struct nlmsghdr hdr;
	struct rd r, payload;
	uint32_t supp;
	ssize_t n;
	int rc;

	for (;;) {
		if (k->rq_off < k->rq_n) { /* what the last resynchronisation raised */
			*ev = k->rq[k->rq_off++];
			if (k->rq_off == k->rq_n) {
				free(k->rq);
				k->rq = NULL;
				k->rq_n = k->rq_off = k->rq_cap = 0;
			}
			return 0;
		}
		if (k->evoff >= k->evlen) {
			explicit_bzero(k->evbuf, k->evlen);
			k->evlen = k->evoff = 0;
			n = xnl_recv_nb(k->ev, k->evbuf, XNL_RCV_MAX);
			if (n == -ENOBUFS) {
				/* Resynchronise once what is queued has been read. */
				k->resync = true;
				memset(ev, 0, sizeof(*ev));
				ev->type = DP_EV_ERROR;
				snprintf(ev->msg, sizeof(ev->msg),
				    "kernel XFRM notifications were lost (socket overrun): "
				    "resynchronising from the kernel's SAs");
				return 0;
			}
			if (n == -EAGAIN && k->resync) {
				k->resync = false;
				resync(k);
				continue;
			}
			if (n < 0)
				return (int)n;
			k->evlen = (size_t)n;
		}
		rd_init(&r, k->evbuf + k->evoff, k->evlen - k->evoff);
		rc = nlp_next_msg(&r, &hdr, &payload);
		k->evoff = rc == 0 ? k->evlen - r.left : k->evlen;
		if (rc == 0)
			rc = event_of(k, &hdr, payload, ev);
		if (rc == 1)
			return 0;
		if (rc < 0 && log_ratelimit_ok(&k->rl, &supp))
			log_debug(
			    LOG_XFRM, "malformed XFRM notification dropped (%u suppressed)", supp);
	}
}

/* ------------------------------------------------------------- probe */

struct probe_result {
	int rc;
	char msg[ERRBUF_LEN];
};

static void
probe_sa(struct dp_sa *sa, enum dp_enc enc, uint32_t spi)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->dir = DP_DIR_OUT;
	sa->local.family = sa->remote.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &sa->local.u.v4); /* RFC 5737 TEST-NET-1 */
	inet_pton(AF_INET, "192.0.2.2", &sa->remote.u.v4);
	sa->enc = enc;
	sa->df = DP_DF_COPY;
	if (enc == DP_ENC_AES_GCM_128)
		sa->enc_key_len = 20;
	else {
		sa->enc_key_len = 16;
		sa->integ = DP_INTEG_HMAC_SHA256_128;
		sa->integ_key_len = 32;
	}
	/* A throw-away SA: its key is random and dropped at once. */
	if (getrandom(sa->enc_key, sa->enc_key_len, 0) < 0 ||
	    getrandom(sa->integ_key, sa->integ_key_len, 0) < 0)
		memset(sa->enc_key, 0x5a, sizeof(sa->enc_key));
}

static void
probe_child(struct probe_result *res)
{
	static const enum dp_enc encs[] = { DP_ENC_AES_CBC_128, DP_ENC_AES_GCM_128 };
	struct xfrm_sa_extra x = { 0 };
	struct errbuf err = { { 0 } };
	struct nlp_err kerr;
	struct xnl *nl;
	struct dp_sa sa;
	struct req r;
	uint32_t spi;
	bool own_ns = unshare(CLONE_NEWNET) == 0;
	int rc = 0;

	if ((nl = xnl_open(NETLINK_XFRM, 0)) == NULL) {
		res->rc = -errno;
		snprintf(res->msg, sizeof(res->msg),
		    "kernel dataplane: cannot open an XFRM netlink socket: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]) && rc == 0; i++) {
		if (getrandom(&spi, sizeof(spi), 0) < 0)
			spi = (uint32_t)getpid();
		spi = own_ns ? 0x100 + (uint32_t)i : 0xc0000000u | (spi & 0x0fffffffu);
		probe_sa(&sa, encs[i], spi);
		rc = x_do(nl, &r, xfrm_build_sa(r.b, sizeof(r.b), XFRM_MSG_NEWSA, &sa, &x, &err),
		    NULL, NULL, &kerr);
		if (rc == 0)
			x_do(nl, &r,
			    xfrm_build_sa_id(
			        r.b, sizeof(r.b), XFRM_MSG_DELSA, &sa.remote, spi, 0, 0),
			    NULL, NULL, NULL);
		else if (rc == -EEXIST) /* someone's SA: the kernel parsed ours first */
			rc = 0;
		else {
			char ctx[64];

			snprintf(ctx, sizeof(ctx), "kernel dataplane probe (%s)",
			    xfrm_enc_name(encs[i]));
			kfail(&err, rc, &kerr, ctx, &sa);
		}
		explicit_bzero(&sa, sizeof(sa));
	}
	xnl_close(nl);
	res->rc = rc;
	snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
}

int
dp_kernel_probe(struct errbuf *err)
{
	struct probe_result res;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	memset(&res, 0, sizeof(res));
	if (pipe2(p, O_CLOEXEC) < 0)
		return errbuf_set(err, -errno, "kernel dataplane probe: pipe: %s", strerror(errno));
	/* A child: unshare() must not move this process to another namespace. */
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return errbuf_set(err, -errno, "kernel dataplane probe: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(p[0]);
		probe_child(&res);
		n = write(p[1], &res, sizeof(res));
		_exit(n == (ssize_t)sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], &res, sizeof(res));
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		return errbuf_set(err, -EIO, "kernel dataplane probe: the probe process failed");
	res.msg[sizeof(res.msg) - 1] = '\0';
	if (res.rc < 0)
		errbuf_set(err, res.rc, "%s", res.msg);
	return res.rc;
}

const struct dp_ops dp_kernel_ops = {
	.name = "kernel",
	.open = dpk_open,
	.close = dpk_close,
	.spu_count = dpk_spu_count,
	.unit_set = dpk_unit_set,
	.unit_del = dpk_unit_del,
	.route_add = dpk_route_add,
	.route_del = dpk_route_del,
	.tunnel_set = dpk_tunnel_set,
	.tunnel_del = dpk_tunnel_del,
	.spi_alloc = dpk_spi_alloc,
	.sa_add = dpk_sa_add,
	.sa_update = dpk_sa_update,
	.sa_del = dpk_sa_del,
	.sa_stats = dpk_sa_stats,
	.policy_add = dpk_policy_add,
	.policy_del = dpk_policy_del,
	.spu_stats = dpk_spu_stats,
	.clear_stats = dpk_clear_stats,
	.event_fd = dpk_event_fd,
	.event_read = dpk_event_read,
	.ike_recv = NULL,
	.ike_send = NULL,
};
