/* SPDX-License-Identifier: MIT */
/*
 * iked_state: the operational RPCs of cairn-security-state, answered from
 * the engine's state queries (ike_engine.h), the dataplane's counters
 * (dp.h) and the configuration in force. Each handler fills the RPC's
 * output as YANG data named after the Junos XML elements; the shell
 * renders Junos layouts from it (cli/fmt_security.c) and `| display
 * json|xml` prints it as is. Nothing here changes state except the
 * clear/request RPCs, which call the engine's operations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyang/libyang.h>

#include "buf.h"
#include "iked.h"
#include "ipc_msg.h"
#include "log.h"
#include "nb.h"

#include "banned.h"

/* The daemon behind the RPC handlers (nb passes nb_cfg.arg). */
#define D(arg) ((struct iked *)(arg))

/* ---- output helpers ----------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
put(struct lyd_node *parent, const char *name, const char *fmt, ...)
{
	char v[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return lyd_new_term(parent, NULL, name, v, 1, NULL) == LY_SUCCESS ? 0 : -ENOMEM;
}

static int
put_u64(struct lyd_node *parent, const char *name, uint64_t v)
{
	return put(parent, name, "%" PRIu64, v);
}

static struct lyd_node *
list_new(struct lyd_node *parent, const char *name, const char *key)
{
	struct lyd_node *n = NULL;
	LY_ERR r = key ? lyd_new_list(parent, NULL, name, 1, &n, key)
	               : lyd_new_list(parent, NULL, name, 1, &n);

	return r == LY_SUCCESS ? n : NULL;
}

static const char *
in_str(const struct lyd_node *in, const char *name)
{
	return ipc_leaf_str(in, name);
}

static bool
in_has(const struct lyd_node *in, const char *name)
{
	return ipc_has_child(in, name);
}

static uint32_t
in_u32(const struct lyd_node *in, const char *name)
{
	const char *v = in_str(in, name);

	return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

static int
need_engine(struct iked *d, struct errbuf *err)
{
	if (!d->e || !d->dp)
		return errbuf_set(err, -EAGAIN,
		    "error: cairn-iked has no IKE configuration yet (nothing to show)");
	return 0;
}

/* A reply of many entries allocated much (freed once sent): trim later. */
static void
trim_after(struct iked *d, const struct lyd_node *out)
{
	const struct lyd_node *c;
	unsigned n = 0;

	LY_LIST_FOR(lyd_child(out), c)
	n++;
	iked_run_trim_soon(d, n);
}

/* An empty answer when nothing is configured yet, an error otherwise. */
static bool
nothing_yet(struct iked *d)
{
	return !d->e || !d->dp;
}

/* ---- value texts (Junos vocabulary) ------------------------------------------------ */

static const char *
ike_enc_str(const struct ike_suite *s, char *b, size_t len)
{
	if (s->encr == IKE_ENCR_AES_GCM_16)
		snprintf(b, len, "aes%u-gcm", s->encr_bits);
	else if (s->encr == IKE_ENCR_AES_CBC)
		snprintf(b, len, "aes%u-cbc", s->encr_bits);
	else
		snprintf(b, len, "unknown");
	return b;
}

static const char *
integ_str(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return "hmac-sha256-128";
	case IKE_INTEG_HMAC_SHA2_384_192:
		return "hmac-sha384-192";
	case IKE_INTEG_HMAC_SHA2_512_256:
		return "hmac-sha512-256";
	}
	return "None";
}

static const char *
prf_str(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256:
		return "hmac-sha256";
	case IKE_PRF_HMAC_SHA2_384:
		return "hmac-sha384";
	case IKE_PRF_HMAC_SHA2_512:
		return "hmac-sha512";
	}
	return "unknown";
}

static const char *
dpd_mode_str(enum ike_dpd_mode m)
{
	switch (m) {
	case IKE_DPD_OPTIMIZED:
		return "optimized";
	case IKE_DPD_PROBE_IDLE_TUNNEL:
		return "probe-idle-tunnel";
	case IKE_DPD_ALWAYS_SEND:
		return "always-send";
	default:
		return "none";
	}
}

static const char *
establish_str(enum ike_establish e)
{
	switch (e) {
	case IKE_EST_IMMEDIATELY:
		return "establish-tunnels-immediately";
	case IKE_EST_RESPONDER_ONLY:
		return "establish-tunnels-responder-only";
	case IKE_EST_RESPONDER_ONLY_NO_REKEY:
		return "establish-tunnels-responder-only-no-rekey";
	default:
		return "establish-tunnels-on-traffic";
	}
}

/* ESP: "aes-gcm-256" and the "hmac" column ("aes256-gcm" or "sha256", as iked prints). */
static void
esp_alg(const struct ike_suite *s, char *enc, size_t elen, char *mac, size_t mlen)
{
	bool gcm = s->encr == IKE_ENCR_AES_GCM_16;

	snprintf(enc, elen, "aes-%s-%u", gcm ? "gcm" : "cbc", s->encr_bits);
	if (gcm)
		snprintf(mac, mlen, "aes%u-gcm", s->encr_bits);
	else
		snprintf(mac, mlen, "%s", integ_str(s->integ));
}

static void
dp_esp_alg(const struct dp_sa *sa, char *enc, size_t elen, char *mac, size_t mlen, uint32_t *bits)
{
	switch (sa->enc) {
	case DP_ENC_AES_GCM_128:
	case DP_ENC_AES_GCM_256:
		*bits = sa->enc == DP_ENC_AES_GCM_128 ? 128 : 256;
		snprintf(enc, elen, "aes-gcm-%u", *bits);
		snprintf(mac, mlen, "aes%u-gcm", *bits);
		return;
	default:
		*bits = sa->enc == DP_ENC_AES_CBC_128 ? 128 : 256;
		snprintf(enc, elen, "aes-cbc-%u", *bits);
		break;
	}
	snprintf(mac, mlen, "%s",
	    sa->integ == DP_INTEG_HMAC_SHA256_128   ? "hmac-sha256-128"
	    : sa->integ == DP_INTEG_HMAC_SHA384_192 ? "hmac-sha384-192"
	                                            : "hmac-sha512-256");
}

static void
ts_text(const struct ike_ts *ts, unsigned n, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		char lo[IKE_ADDR_STRLEN], hi[IKE_ADDR_STRLEN], one[256];
		const char *fam = ts[i].family == AF_INET6 ? "ipv6" : "ipv4";

		ike_addr_str(&ts[i].lo, lo, sizeof(lo));
		ike_addr_str(&ts[i].hi, hi, sizeof(hi));
		if (ts[i].proto == 0 && ts[i].port_lo == 0 && ts[i].port_hi == 65535)
			snprintf(one, sizeof(one), "%s(%s-%s)", fam, lo, hi);
		else
			ike_ts_str(&ts[i], one, sizeof(one));
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", one);
	}
}

static void
dp_ts_text(const struct dp_ts *t, unsigned n, char *buf, size_t len)
{
	struct ike_ts ts[DP_TS_MAX];
	unsigned i;

	for (i = 0; i < n && i < DP_TS_MAX; i++) {
		memset(&ts[i], 0, sizeof(ts[i]));
		ts[i].family = t[i].family;
		ts[i].proto = t[i].proto;
		ts[i].port_lo = t[i].port_lo;
		ts[i].port_hi = t[i].port_hi;
		ts[i].lo.family = ts[i].hi.family = t[i].family;
		memcpy(ts[i].lo.b, t[i].addr_lo.u.b, 16);
		memcpy(ts[i].hi.b, t[i].addr_hi.u.b, 16);
	}
	ts_text(ts, n, buf, len);
}

static void
time_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, len, "%a %b %d %Y %H:%M:%S", &tm))
		snprintf(buf, len, "%" PRId64, t);
}

static int
put_events(struct lyd_node *blk, const struct ike_tunnel_info *t)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < t->n_events && rc == 0; i++) {
		struct lyd_node *e = list_new(blk, "tunnel-event", NULL);
		char tb[64];

		if (!e)
			return -ENOMEM;
		time_text(t->events[i].time, tb, sizeof(tb));
		rc = put(e, "event-time", "%s", tb);
		if (rc == 0)
			rc = put(e, "event-description", "%s", ike_event_str(t->events[i].ev));
		if (rc == 0)
			rc = put(e, "event-count", "%u", t->events[i].count);
	}
	return rc;
}

/* ---- show security ike security-associations ------------------------------------ */

struct ike_sa_q {
	struct iked *d;
	struct lyd_node *out;
	uint32_t index;
	struct ike_addr peer;
	int rc;
};

static int
sa_row_cb(void *ctx, const struct ike_sa_info *i)
{
	struct ike_sa_q *q = ctx;
	struct lyd_node *n;
	char key[16], a[IKE_ADDR_STRLEN], idb[IKE_ID_STRLEN], b[64];
	const char *nat;
	int rc = 0;

	if (q->index && i->index != q->index)
		return 0;
	if (q->peer.family && !ike_addr_eq(&q->peer, &i->remote.addr))
		return 0;
	snprintf(key, sizeof(key), "%u", i->index);
	n = list_new(q->out, "ike-security-associations", key);
	if (!n)
		return q->rc = -ENOMEM;
	nat = i->nat_local && i->nat_remote ? "Both"
	      : i->nat_local                ? "Local"
	      : i->nat_remote               ? "Remote"
	                                    : "None";
	rc |= put(n, "ike-gw-name", "%s", i->gateway);
	rc |= put(n, "ike-sa-state", "%s", i->up ? "UP" : "DOWN");
	rc |= put(n, "ike-sa-negotiation-state", "%s", i->state);
	rc |= put(n, "ike-sa-role", "%s", i->initiator ? "Initiator" : "Responder");
	rc |= put(n, "ike-sa-initiator-cookie", "%016" PRIx64, i->spi_i);
	rc |= put(n, "ike-sa-responder-cookie", "%016" PRIx64, i->spi_r);
	rc |= put(n, "ike-sa-exchange-type", "IKEv2");
	rc |= put(n, "ike-sa-authentication-method", "Pre-shared-keys");
	rc |= put(n, "ike-sa-local-address", "%s", ike_addr_str(&i->local.addr, a, sizeof(a)));
	rc |= put(n, "ike-sa-local-port", "%u", i->local.port);
	rc |= put(n, "ike-sa-remote-address", "%s", ike_addr_str(&i->remote.addr, a, sizeof(a)));
	rc |= put(n, "ike-sa-remote-port", "%u", i->remote.port);
	rc |= put(n, "ike-sa-lifetime", "%u", i->expires_in_s);
	rc |= put(n, "ike-sa-rekey-time", "%u", i->rekey_in_s);
	rc |= put(n, "ike-sa-reauthlifetime", "Disabled");
	rc |= put(n, "ike-sa-ike-frag", "Disabled");
	rc |= put(n, "ike-sa-frag-size", "0");
	rc |= put(n, "ike-sa-local-id", "%s", ike_id_str(&i->local_id, idb, sizeof(idb)));
	rc |= put(n, "ike-sa-remote-id", "%s", ike_id_str(&i->remote_id, idb, sizeof(idb)));
	rc |= put(n, "ike-sa-authentication-algorithm", "%s", integ_str(i->suite.integ));
	rc |= put(n, "ike-sa-encryption-algorithm", "%s", ike_enc_str(&i->suite, b, sizeof(b)));
	rc |= put(n, "ike-sa-prf-algorithm", "%s", prf_str(i->suite.prf));
	rc |= put(n, "ike-sa-dhgroup", "DH-group-%u", i->suite.dh);
	rc |= put(n, "ike-sa-nat-traversal", "%s", nat);
	rc |= put_u64(n, "ike-sa-input-bytes", i->in_bytes);
	rc |= put_u64(n, "ike-sa-output-bytes", i->out_bytes);
	rc |= put_u64(n, "ike-sa-input-packets", i->in_packets);
	rc |= put_u64(n, "ike-sa-output-packets", i->out_packets);
	rc |= put(n, "ike-sa-ipsec-sas-created", "%u", i->children_created);
	rc |= put(n, "ike-sa-ipsec-sas-deleted", "%u", i->children_deleted);
	rc |= put(n, "ike-sa-phase2-in-progress", "%u", i->exchanges_pending);
	rc |= put(n, "ike-sa-flags", "%s",
	    i->up                               ? "IKE SA is created"
	    : strcmp(i->state, "DELETING") == 0 ? "IKE SA is being deleted"
	                                        : "IKE SA negotiation in progress");
	rc |= put(n, "ike-sa-spu", "%u", i->spu);
	rc |= put(n, "ike-dpd-cfg-mode", "%s", dpd_mode_str(i->dpd_mode));
	rc |= put(n, "ike-dpd-cfg-interval", "%u", i->dpd_interval);
	rc |= put(n, "ike-dpd-cfg-threshold", "%u", i->dpd_threshold);
	rc |= put(n, "ike-dpd-stats-req", "%u", i->dpd_sent);
	rc |= put(n, "ike-dpd-stats-resp", "%u", i->dpd_received);
	rc |= put(n, "ike-sa-msgid-next-request", "%u", i->msgid_next_request);
	rc |= put(n, "ike-sa-msgid-next-expected", "%u", i->msgid_next_expected);
	return rc ? (q->rc = -ENOMEM) : 0;
}

static int
rpc_ike_sa(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct ike_sa_q q = { D(arg), out, in_u32(in, "index"), { 0, { 0 } }, 0 };
	const char *peer = in_str(in, "peer-address");

	if (peer && ike_addr_parse(peer, &q.peer) < 0)
		return errbuf_set(err, -EINVAL, "error: invalid peer address %s", peer);
	if (nothing_yet(q.d))
		return 0;
	ike_engine_foreach_ike_sa(q.d->e, sa_row_cb, &q);
	trim_after(q.d, out);
	if (q.rc < 0)
		return errbuf_set(err, q.rc, "error: out of memory");
	return 0;
}

/* ---- show security ipsec security-associations ------------------------------------ */

struct ipsec_q {
	struct iked *d;
	struct lyd_node *out;
	uint32_t index;
	const char *vpn;
	bool filtered; /* index or vpn-name: inactive tunnels too */
	uint32_t active, sas;
	int rc;
};

static void
sa_counters(struct iked *d, uint32_t spi, enum dp_dir dir, const struct ike_addr *dst,
    struct dp_sa_stats *st)
{
	struct dp_addr a;

	memset(st, 0, sizeof(*st));
	memset(&a, 0, sizeof(a));
	a.family = dst->family;
	memcpy(a.u.b, dst->b, sizeof(a.u.b));
	dp_sa_stats(d->dp, spi, dir, &a, st, NULL);
}

static int
put_sa_dir(struct ipsec_q *q, struct lyd_node *blk, const struct ike_tunnel_info *t,
    const struct ike_child_info *c, bool inbound)
{
	struct lyd_node *s = list_new(blk, "ipsec-security-associations", NULL);
	char a[IKE_ADDR_STRLEN], enc[32], mac[32];
	struct dp_sa_stats st;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	esp_alg(&c->suite, enc, sizeof(enc), mac, sizeof(mac));
	sa_counters(q->d, inbound ? c->spi_in : c->spi_out, inbound ? DP_DIR_IN : DP_DIR_OUT,
	    inbound ? &t->local.addr : &t->remote.addr, &st);
	rc |= put(s, "sa-direction", "%s", inbound ? "inbound" : "outbound");
	rc |= put(s, "sa-tunnel-index", "%u", t->id);
	rc |= put(s, "sa-spi", "%08x", inbound ? c->spi_in : c->spi_out);
	rc |= put(s, "sa-aux-spi", "0");
	rc |= put(s, "sa-remote-gateway", "%s", ike_addr_str(&t->remote.addr, a, sizeof(a)));
	rc |= put(s, "sa-port", "%u", t->remote.port ? t->remote.port : 500);
	rc |= put(s, "sa-vpn-monitoring-state", "-");
	rc |= put(s, "sa-virtual-system", "root");
	rc |= put(s, "sa-protocol", "ESP");
	rc |= put(s, "sa-esp-encryption-algorithm", "%s", enc);
	rc |= put(s, "sa-hmac-algorithm", "%s", mac);
	rc |= put(s, "sa-encryption-key-bits", "%u", c->suite.encr_bits);
	rc |= put(s, "sa-hard-lifetime", "%u", c->hard_in_s);
	rc |= put(s, "sa-soft-lifetime", "%u", c->soft_in_s);
	if (c->life_kb) {
		uint64_t used = st.bytes / 1024;

		rc |= put(s, "sa-lifesize-remaining", "%" PRIu64,
		    used < c->life_kb ? c->life_kb - used : 0);
	} else {
		rc |= put(s, "sa-lifesize-remaining", "unlim");
	}
	rc |= put(s, "sa-mode", "Tunnel");
	rc |= put(s, "sa-type", "dynamic");
	rc |= put(s, "sa-state", "%s", c->state);
	rc |= put(s, "sa-anti-replay-service", "%s",
	    inbound && c->replay_window ? "counter-based enabled" : "disabled");
	rc |= put(s, "sa-replay-window-size", "%u", inbound ? c->replay_window : 0);
	rc |= put(s, "sa-esn", "%s", c->suite.esn ? "Enabled" : "Disabled");
	rc |= put(s, "sa-ike-sa-index", "%u", c->ike_index);
	rc |= put_u64(s, "sa-packets", st.packets);
	rc |= put_u64(s, "sa-bytes", st.bytes);
	if (inbound)
		rc |= put_u64(s, "sa-selector-drops", st.selector_drops);
	return rc ? -ENOMEM : 0;
}

static const char *
df_str(enum ike_df df)
{
	return df == IKE_DF_SET ? "set" : df == IKE_DF_COPY ? "copy" : "clear";
}

static const char *
ts_type(const struct ike_tunnel_info *t)
{
	return t->ts_proxy_id ? "proxy-id" : "traffic-selector";
}

static const char *
policy_of(struct iked *d, const char *vpn)
{
	const struct ike_vpn_conf *v = d->e ? ike_engine_vpn_conf(d->e, vpn) : NULL;

	return v ? v->ipsec_policy : "";
}

static int
ipsec_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct ipsec_q *q = ctx;
	struct lyd_node *b;
	char key[16], a[IKE_ADDR_STRLEN], tsb[1024], idb[IKE_ID_STRLEN];
	unsigned k;
	int rc = 0;

	if (q->index && t->id != q->index)
		return 0;
	if (q->vpn && strcmp(q->vpn, t->vpn) != 0)
		return 0;
	if (t->n_sa) {
		q->active++;
		q->sas += t->n_sa;
	} else if (!q->filtered) {
		return 0;
	}
	snprintf(key, sizeof(key), "%u", t->id);
	b = list_new(q->out, "ipsec-security-associations-block", key);
	if (!b)
		return q->rc = -ENOMEM;
	rc |= put(b, "sa-block-state", "%s", t->n_sa ? "up" : "down");
	rc |= put(b, "sa-virtual-system", "root");
	rc |= put(b, "sa-vpn-name", "%s", t->vpn);
	rc |= put(b, "sa-gateway-name", "%s", t->gateway);
	rc |= put(b, "sa-traffic-selector-name", "%s", t->ts_name);
	rc |= put(b, "sa-local-gateway", "%s", ike_addr_str(&t->local.addr, a, sizeof(a)));
	rc |= put(b, "sa-remote-gateway", "%s", ike_addr_str(&t->remote.addr, a, sizeof(a)));
	rc |= put(b, "sa-port", "%u", t->remote.port ? t->remote.port : 500);
	ts_text(t->local_ts, t->n_local_ts, tsb, sizeof(tsb));
	rc |= put(b, "sa-local-identity", "%s", tsb);
	ts_text(t->remote_ts, t->n_remote_ts, tsb, sizeof(tsb));
	rc |= put(b, "sa-remote-identity", "%s", tsb);
	rc |= put(b, "sa-peer-ike-id", "%s", ike_id_str(&t->peer_id, idb, sizeof(idb)));
	rc |= put(b, "sa-ts-type", "%s", ts_type(t));
	rc |= put(b, "sa-ike-version", "IKEv2");
	if (t->pfs_group)
		rc |= put(b, "sa-pfs-group", "DH-group-%u", t->pfs_group);
	else
		rc |= put(b, "sa-pfs-group", "N/A");
	rc |= put(b, "sa-packet-encapsulation", "%s", t->n_sa && t->sa[0].encap ? "UDP" : "None");
	rc |= put(b, "sa-df-bit", "%s", df_str(t->df));
	rc |= put(b, "sa-copy-outer-dscp", "%s", t->copy_dscp ? "Enabled" : "Disabled");
	if (t->unit != IKE_UNIT_NONE)
		rc |= put(b, "sa-bind-interface", "st0.%u", t->unit);
	rc |= put(b, "sa-policy-name", "%s", policy_of(q->d, t->vpn));
	rc |= put(b, "sa-tunnel-establishment", "%s", establish_str(t->establish));
	rc |= put(b, "sa-nego-count", "%u", t->nego);
	rc |= put(b, "sa-fail-count", "%u", t->fail);
	rc |= put(b, "sa-def-del-count", "0");
	rc |= put(b, "sa-pair-spu", "%u", t->spu);
	if (t->down_reason != IKE_EV_NONE)
		rc |= put(b, "sa-down-reason", "%s", ike_event_str(t->down_reason));
	rc |= put_events(b, t);
	for (k = 0; k < t->n_sa && rc == 0; k++) {
		rc = put_sa_dir(q, b, t, &t->sa[k], true);
		if (rc == 0)
			rc = put_sa_dir(q, b, t, &t->sa[k], false);
	}
	return rc ? (q->rc = -ENOMEM) : 0;
}

static int
manual_block(struct ipsec_q *q, const struct applied_manual *m)
{
	struct lyd_node *b;
	char key[16], a[INET6_ADDRSTRLEN], tsb[1024];
	const struct dp_sa *dirs[2] = { &m->m.in, &m->m.out };
	int rc = 0, k;

	if (q->index && m->tunnel_id != q->index)
		return 0;
	if (q->vpn && strcmp(q->vpn, m->m.name) != 0)
		return 0;
	q->active++;
	q->sas++;
	snprintf(key, sizeof(key), "%u", m->tunnel_id);
	b = list_new(q->out, "ipsec-security-associations-block", key);
	if (!b)
		return -ENOMEM;
	rc |= put(b, "sa-block-state", "up");
	rc |= put(b, "sa-virtual-system", "root");
	rc |= put(b, "sa-vpn-name", "%s", m->m.name);
	rc |= put(b, "sa-local-gateway", "%s", iked_dp_addr_str(&m->m.local, a, sizeof(a)));
	rc |= put(b, "sa-remote-gateway", "%s", iked_dp_addr_str(&m->m.remote, a, sizeof(a)));
	rc |= put(b, "sa-port", "%u", m->m.encap ? 4500 : 500);
	if (m->m.n_local_ts) {
		dp_ts_text(m->m.local_ts, m->m.n_local_ts, tsb, sizeof(tsb));
		rc |= put(b, "sa-local-identity", "%s", tsb);
		dp_ts_text(m->m.remote_ts, m->m.n_remote_ts, tsb, sizeof(tsb));
		rc |= put(b, "sa-remote-identity", "%s", tsb);
	} else {
		rc |= put(b, "sa-local-identity", "ipv4(0.0.0.0-255.255.255.255)");
		rc |= put(b, "sa-remote-identity", "ipv4(0.0.0.0-255.255.255.255)");
	}
	rc |= put(b, "sa-ts-type", "proxy-id");
	rc |= put(b, "sa-ike-version", "Manual");
	rc |= put(b, "sa-pfs-group", "N/A");
	rc |= put(b, "sa-packet-encapsulation", "%s", m->m.encap ? "UDP" : "None");
	rc |= put(b, "sa-df-bit", "%s", df_str(m->m.df));
	rc |= put(b, "sa-copy-outer-dscp", "%s", m->m.copy_dscp ? "Enabled" : "Disabled");
	if (m->m.unit != DP_UNIT_NONE)
		rc |= put(b, "sa-bind-interface", "st0.%u", m->m.unit);
	rc |= put(b, "sa-tunnel-establishment", "manual");
	rc |= put(b, "sa-nego-count", "0");
	rc |= put(b, "sa-fail-count", "0");
	rc |= put(b, "sa-def-del-count", "0");
	rc |= put(b, "sa-pair-spu", "%u", m->spu);
	for (k = 0; k < 2 && rc == 0; k++) {
		const struct dp_sa *sa = dirs[k];
		struct lyd_node *s = list_new(b, "ipsec-security-associations", NULL);
		struct dp_sa_stats st;
		char enc[32], mac[32];
		uint32_t bits;

		if (!s)
			return -ENOMEM;
		memset(&st, 0, sizeof(st));
		dp_sa_stats(
		    q->d->dp, sa->spi, sa->dir, k == 0 ? &m->m.local : &m->m.remote, &st, NULL);
		dp_esp_alg(sa, enc, sizeof(enc), mac, sizeof(mac), &bits);
		rc |= put(s, "sa-direction", "%s", k == 0 ? "inbound" : "outbound");
		rc |= put(s, "sa-tunnel-index", "%u", m->tunnel_id);
		rc |= put(s, "sa-spi", "%08x", sa->spi);
		rc |= put(s, "sa-aux-spi", "0");
		rc |=
		    put(s, "sa-remote-gateway", "%s", iked_dp_addr_str(&m->m.remote, a, sizeof(a)));
		rc |= put(s, "sa-port", "%u", m->m.encap ? 4500 : 500);
		rc |= put(s, "sa-vpn-monitoring-state", "-");
		rc |= put(s, "sa-virtual-system", "root");
		rc |= put(s, "sa-protocol", "ESP");
		rc |= put(s, "sa-esp-encryption-algorithm", "%s", enc);
		rc |= put(s, "sa-hmac-algorithm", "%s", mac);
		rc |= put(s, "sa-encryption-key-bits", "%u", bits);
		rc |= put(s, "sa-hard-lifetime", "unlim");
		rc |= put(s, "sa-soft-lifetime", "unlim");
		rc |= put(s, "sa-lifesize-remaining", "unlim");
		rc |= put(s, "sa-mode", "Tunnel");
		rc |= put(s, "sa-type", "manual");
		rc |= put(s, "sa-state", "installed");
		rc |= put(s, "sa-anti-replay-service", "disabled");
		rc |= put(s, "sa-replay-window-size", "0");
		rc |= put(s, "sa-esn", "Disabled");
		rc |= put(s, "sa-ike-sa-index", "0");
		rc |= put_u64(s, "sa-packets", st.packets);
		rc |= put_u64(s, "sa-bytes", st.bytes);
		if (k == 0)
			rc |= put_u64(s, "sa-selector-drops", st.selector_drops);
	}
	return rc ? -ENOMEM : 0;
}

static int
rpc_ipsec_sa(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct ipsec_q q;
	size_t i;
	int rc = 0;

	memset(&q, 0, sizeof(q));
	q.d = D(arg);
	q.out = out;
	q.index = in_u32(in, "index");
	q.vpn = in_str(in, "vpn-name");
	q.filtered = q.index || q.vpn;
	if (!nothing_yet(q.d)) {
		ike_engine_foreach_tunnel(q.d->e, ipsec_cb, &q);
		trim_after(q.d, out);
		for (i = 0; i < q.d->obj.n_manual && rc == 0 && q.rc == 0; i++)
			rc = manual_block(&q, &q.d->obj.manual[i]);
	}
	if (q.rc < 0 || rc < 0 || put(out, "total-active-tunnels", "%u", q.active) < 0 ||
	    put(out, "total-ipsec-sas", "%u", q.sas) < 0)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	return 0;
}

/* ---- show security ipsec statistics ------------------------------------------------ */

struct stat_q {
	struct iked *d;
	uint32_t index;
	struct dp_sa_stats in, out; /* sums */
	bool found;
};

static void
add_stats(struct dp_sa_stats *sum, const struct dp_sa_stats *s)
{
	sum->packets += s->packets;
	sum->bytes += s->bytes;
	sum->replay_drops += s->replay_drops;
	sum->auth_failures += s->auth_failures;
	sum->decrypt_failures += s->decrypt_failures;
	sum->bad_headers += s->bad_headers;
	sum->bad_trailers += s->bad_trailers;
	sum->selector_drops += s->selector_drops;
}

static int
stat_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct stat_q *q = ctx;
	unsigned k;

	if (q->index && t->id != q->index)
		return 0;
	q->found = true;
	for (k = 0; k < t->n_sa; k++) {
		struct dp_sa_stats st;

		sa_counters(q->d, t->sa[k].spi_in, DP_DIR_IN, &t->local.addr, &st);
		add_stats(&q->in, &st);
		sa_counters(q->d, t->sa[k].spi_out, DP_DIR_OUT, &t->remote.addr, &st);
		add_stats(&q->out, &st);
	}
	return 0;
}

static int
rpc_ipsec_stats(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct stat_q q;
	uint64_t eb = 0, db = 0, ep = 0, dpk = 0, replay = 0, auth = 0, unknown = 0;
	uint64_t icmp_supp = 0, ev_drops = 0, no_sa = 0, no_route = 0, mtu = 0, other = 0;
	uint64_t frag_drops = 0, frag_resent = 0;
	bool whole = false;
	size_t i;
	int rc = 0;

	memset(&q, 0, sizeof(q));
	q.d = D(arg);
	q.index = in_u32(in, "index");
	if (!nothing_yet(q.d)) {
		ike_engine_foreach_tunnel(q.d->e, stat_cb, &q);
		for (i = 0; i < q.d->obj.n_manual; i++) {
			const struct applied_manual *m = &q.d->obj.manual[i];
			struct dp_sa_stats st;

			if (q.index && m->tunnel_id != q.index)
				continue;
			q.found = true;
			memset(&st, 0, sizeof(st));
			dp_sa_stats(q.d->dp, m->m.spi, DP_DIR_IN, &m->m.local, &st, NULL);
			add_stats(&q.in, &st);
			memset(&st, 0, sizeof(st));
			dp_sa_stats(q.d->dp, m->m.spi, DP_DIR_OUT, &m->m.remote, &st, NULL);
			add_stats(&q.out, &st);
		}
		if (q.index && !q.found)
			return errbuf_set(err, -ENOENT, "error: no tunnel with index %u", q.index);
	}
	if (q.index || nothing_yet(q.d)) {
		/* one tunnel: its current SAs */
		eb = q.out.bytes;
		ep = q.out.packets;
		db = q.in.bytes;
		dpk = q.in.packets;
		replay = q.in.replay_drops;
		auth = q.in.auth_failures;
	} else {
		/* the whole dataplane: SPU counters (SAs that were rekeyed away included) */
		whole = true;
		for (i = 0; i < dp_spu_count(q.d->dp); i++) {
			struct dp_spu_stats s;

			memset(&s, 0, sizeof(s));
			if (dp_spu_stats(q.d->dp, (uint32_t)i, &s) < 0)
				continue;
			eb += s.encrypt_bytes;
			ep += s.encrypt_packets;
			db += s.decrypt_bytes;
			dpk += s.decrypt_packets;
			replay += s.replay_drops;
			auth += s.auth_failures;
			unknown += s.unknown_spi;
			icmp_supp += s.icmp_suppressed;
			ev_drops += s.event_drops;
			no_sa += s.no_sa_drops;
			no_route += s.no_route_drops;
			mtu += s.mtu_drops;
			other += s.other_drops;
			frag_drops += s.frag_drops;
			frag_resent += s.frag_resent;
		}
	}
	rc |= put_u64(out, "esp-encrypted-bytes", eb);
	rc |= put_u64(out, "esp-decrypted-bytes", db);
	rc |= put_u64(out, "esp-encrypted-packets", ep);
	rc |= put_u64(out, "esp-decrypted-packets", dpk);
	rc |= put_u64(out, "ah-input-bytes", 0);
	rc |= put_u64(out, "ah-output-bytes", 0);
	rc |= put_u64(out, "ah-input-packets", 0);
	rc |= put_u64(out, "ah-output-packets", 0);
	rc |= put_u64(out, "ah-authentication-failures", 0);
	rc |= put_u64(out, "replay-errors", replay);
	rc |= put_u64(out, "esp-authentication-failures", auth);
	rc |= put_u64(out, "esp-decryption-failures", q.in.decrypt_failures);
	rc |= put_u64(out, "bad-headers", q.in.bad_headers);
	rc |= put_u64(out, "bad-trailers", q.in.bad_trailers);
	rc |= put_u64(out, "unknown-spi", unknown);
	/* the SPUs count them too, in other-drops: the current SAs' sum in both
	 * views (none before a dataplane is open) */
	if (!nothing_yet(q.d))
		rc |= put_u64(out, "selector-drops", q.in.selector_drops);
	if (whole) {
		/* SPU counters no tunnel has: not in one tunnel's view */
		rc |= put_u64(out, "no-sa-drops", no_sa);
		rc |= put_u64(out, "no-route-drops", no_route);
		rc |= put_u64(out, "mtu-drops", mtu);
		rc |= put_u64(out, "other-drops", other);
		rc |= put_u64(out, "frag-drops", frag_drops);
		rc |= put_u64(out, "frag-resent", frag_resent);
		rc |= put_u64(out, "icmp-suppressed", icmp_supp);
		rc |= put_u64(out, "event-drops", ev_drops);
	}
	return rc ? errbuf_set(err, -ENOMEM, "error: out of memory") : 0;
}

/* ---- tunnel map and tunnel distribution --------------------------------------------- */

struct gw_q {
	struct lyd_node *out;
	uint32_t *spu_gws; /* site-to-site gateways per SPU */
	uint32_t nspu;
	int rc;
};

static int
gw_cb(void *ctx, const struct ike_gw_info *g)
{
	struct gw_q *q = ctx;
	struct lyd_node *n;
	char key[16];
	int rc = 0;

	if (!g->dynamic && g->spu != UINT32_MAX && g->spu < q->nspu)
		q->spu_gws[g->spu]++;
	if (!q->out)
		return 0;
	snprintf(key, sizeof(key), "%u", g->id);
	n = list_new(q->out, "iked-tunnel-map", key);
	if (!n)
		return q->rc = -ENOMEM;
	rc |= put(n, "gateway-name", "%s", g->name);
	rc |= put(n, "gateway-type", "%s", g->dynamic ? "dynamic" : "site-to-site");
	if (g->dynamic)
		rc |= put(n, "spu-id", "rr");
	else if (g->spu == UINT32_MAX)
		rc |= put(n, "spu-id", "-");
	else
		rc |= put(n, "spu-id", "%u", g->spu);
	rc |= put(n, "ike-sa-count", "%u", g->n_ike_sas);
	rc |= put(n, "tunnel-count", "%u", g->n_tunnels);
	return rc ? (q->rc = -ENOMEM) : 0;
}

static int
put_load(struct lyd_node *n, const char *name, uint32_t tunnels, uint32_t threads)
{
	uint64_t x100 = threads ? (uint64_t)tunnels * 100 / threads : 0;

	return put(n, name, "%" PRIu64 ".%02" PRIu64, x100 / 100, x100 % 100);
}

static int
rpc_tunnel_map(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	struct gw_q q;
	uint32_t i;
	int rc = 0;

	if (nothing_yet(d))
		return 0;
	memset(&q, 0, sizeof(q));
	q.nspu = dp_spu_count(d->dp);
	q.spu_gws = calloc(q.nspu ? q.nspu : 1, sizeof(*q.spu_gws));
	if (!q.spu_gws)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	q.out = in_has(in, "summary") ? NULL : out;
	ike_engine_foreach_gateway(d->e, gw_cb, &q);
	trim_after(d, out);
	for (i = 0; in_has(in, "summary") && i < q.nspu && rc == 0; i++) {
		struct dp_spu_stats s;
		struct lyd_node *n;
		char key[16];

		memset(&s, 0, sizeof(s));
		dp_spu_stats(d->dp, i, &s);
		snprintf(key, sizeof(key), "%u", i);
		n = list_new(out, "iked-tunnel-map-summary", key);
		if (!n) {
			rc = -ENOMEM;
			break;
		}
		rc |= put(n, "spu-tunnels", "%u", s.tunnels);
		rc |= put(n, "spu-flow-threads", "%u", s.flow_threads);
		rc |= put_load(n, "spu-load", s.tunnels, s.flow_threads);
		rc |= put(n, "spu-gateways", "%u", q.spu_gws[i]);
	}
	free(q.spu_gws);
	if (q.rc < 0 || rc)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	return 0;
}

struct dist_q {
	struct iked *d;
	struct lyd_node *out;
	int rc;
};

static int
dist_row(struct dist_q *q, uint32_t id, const char *state, const char *vpn, const char *gw,
    const char *remote, const char *type)
{
	struct lyd_node *n;
	char key[16];
	uint32_t spu;
	int rc = 0;

	snprintf(key, sizeof(key), "%u", id);
	n = list_new(q->out, "ipsec-tunnel-distribution-block", key);
	if (!n)
		return q->rc = -ENOMEM;
	if (dp_tunnel_spu(q->d->dp, id, &spu) == 0)
		rc |= put(n, "ipsec-spu", "%u", spu);
	else
		rc |= put(n, "ipsec-spu", "-");
	rc |= put(n, "sa-tunnel-state", "%s", state);
	rc |= put(n, "sa-vpn-name", "%s", vpn);
	rc |= put(n, "sa-gateway-name", "%s", gw);
	rc |= put(n, "sa-remote-gateway", "%s", remote);
	rc |= put(n, "sa-tunnel-type", "%s", type);
	return rc ? (q->rc = -ENOMEM) : 0;
}

static int
dist_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct dist_q *q = ctx;
	char a[IKE_ADDR_STRLEN];

	return dist_row(q, t->id, t->n_sa ? "up" : "down", t->vpn, t->gateway,
	    ike_addr_str(&t->remote.addr, a, sizeof(a)),
	    t->dynamic_peer ? "dynamic" : "site-to-site");
}

static int
rpc_tunnel_dist(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	struct dist_q q = { d, out, 0 };
	uint32_t i;
	int rc = 0;

	if (nothing_yet(d))
		return 0;
	if (!in_has(in, "summary")) {
		ike_engine_foreach_tunnel(d->e, dist_cb, &q);
		trim_after(d, out);
		for (i = 0; i < d->obj.n_manual && q.rc == 0; i++) {
			char a[INET6_ADDRSTRLEN];

			dist_row(&q, d->obj.manual[i].tunnel_id, "up", d->obj.manual[i].m.name, "",
			    iked_dp_addr_str(&d->obj.manual[i].m.remote, a, sizeof(a)), "manual");
		}
	} else {
		for (i = 0; i < dp_spu_count(d->dp) && rc == 0; i++) {
			struct dp_spu_stats s;
			struct lyd_node *n;
			char key[16];

			memset(&s, 0, sizeof(s));
			dp_spu_stats(d->dp, i, &s);
			snprintf(key, sizeof(key), "%u", i);
			n = list_new(out, "ipsec-tunnel-distribution-summary-block", key);
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			rc |= put(n, "ipsec-spu-number-of-tunnels", "%u", s.tunnels);
			rc |= put(n, "ipsec-spu-flow-threads", "%u", s.flow_threads);
			rc |= put_load(n, "ipsec-spu-load", s.tunnels, s.flow_threads);
			rc |= put_u64(n, "ipsec-spu-encrypted-packets", s.encrypt_packets);
			rc |= put_u64(n, "ipsec-spu-decrypted-packets", s.decrypt_packets);
			rc |= put_u64(n, "ipsec-spu-handoffs", s.handoffs);
			rc |= put_u64(n, "ipsec-spu-key-misses", s.ctx_misses);
			rc |= put_u64(n, "ipsec-spu-key-evictions", s.ctx_evictions);
			rc |= put(n, "ipsec-spu-keys-held", "%u", s.ctx_keyed);
		}
	}
	if (q.rc < 0 || rc)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	return 0;
}

/* ---- show security ipsec inactive-tunnels -------------------------------------------- */

struct inact_q {
	struct lyd_node *out;
	uint32_t index;
	const char *vpn;
	uint32_t total, immediately;
	int rc;
};

static int
inact_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct inact_q *q = ctx;
	struct lyd_node *n;
	char key[16], a[IKE_ADDR_STRLEN], reason[256];
	int rc = 0;

	if (t->n_sa)
		return 0;
	if ((q->index && t->id != q->index) || (q->vpn && strcmp(q->vpn, t->vpn) != 0))
		return 0;
	q->total++;
	if (t->establish == IKE_EST_IMMEDIATELY)
		q->immediately++;
	if (t->down_reason != IKE_EV_NONE)
		snprintf(reason, sizeof(reason), "%s", ike_event_str(t->down_reason));
	else if (t->negotiating)
		snprintf(reason, sizeof(reason), "Negotiation in progress");
	else if (t->establish == IKE_EST_ON_TRAFFIC)
		snprintf(
		    reason, sizeof(reason), "Not negotiated yet (establish-tunnels on-traffic)");
	else if (t->establish == IKE_EST_IMMEDIATELY)
		snprintf(reason, sizeof(reason), "Not negotiated yet");
	else
		snprintf(reason, sizeof(reason), "Waiting for the peer (responder-only)");
	snprintf(key, sizeof(key), "%u", t->id);
	n = list_new(q->out, "ipsec-inactive-tunnel", key);
	if (!n)
		return q->rc = -ENOMEM;
	rc |= put(n, "sa-vpn-name", "%s", t->vpn);
	rc |= put(n, "sa-gateway-name", "%s", t->gateway);
	rc |= put(n, "sa-port", "%u", t->remote.port ? t->remote.port : 500);
	rc |= put(n, "sa-remote-gateway", "%s", ike_addr_str(&t->remote.addr, a, sizeof(a)));
	rc |= put(n, "sa-pending-sas", "%u", t->negotiating ? 1 : 0);
	rc |= put(n, "sa-tunnel-establishment", "%s", establish_str(t->establish));
	rc |= put(n, "sa-tunnel-down-reason", "%s", reason);
	rc |=
	    put(n, "sa-tunnel-down-count", "%u", t->down_reason != IKE_EV_NONE ? t->down_count : 0);
	rc |= put_events(n, t);
	return rc ? (q->rc = -ENOMEM) : 0;
}

static int
rpc_inactive(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	struct inact_q q;

	memset(&q, 0, sizeof(q));
	q.out = out;
	q.index = in_u32(in, "index");
	q.vpn = in_str(in, "vpn-name");
	if (!nothing_yet(d)) {
		ike_engine_foreach_tunnel(d->e, inact_cb, &q);
		trim_after(d, out);
	}
	if (q.rc < 0 || put(out, "total-inactive-tunnels", "%u", q.total) < 0 ||
	    put(out, "total-inactive-tunnels-establish-immediately", "%u", q.immediately) < 0)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	return 0;
}

/* ---- show version ------------------------------------------------------------------- */

static int
rpc_software(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	int rc = 0;

	(void)in;
	rc |= put(out, "iked-version", "%s", CAIRN_VERSION);
	if (d->dp) {
		rc |= put(out, "dataplane-backend", "%s", dp_backend_name(d->dp));
		rc |= put(out, "dataplane-backend-reason", "%s", dp_backend_reason(d->dp));
		rc |= put(out, "spu-count", "%u", dp_spu_count(d->dp));
	}
	return rc ? errbuf_set(err, -ENOMEM, "error: out of memory") : 0;
}

/* ---- show security ipsec next-hop-tunnels ------------------------------------------- */

/* One configured binding (a VPN bound to a next hop of a multipoint unit). */
struct nhtb {
	uint32_t unit;
	struct ike_addr nexthop;
	char vpn[IKE_NAME_MAX + 1];
	uint32_t up;
};

struct nhtb_q {
	struct nhtb *b;
	size_t n, cap;
	int rc;
};

static int
nhtb_vpn_cb(void *ctx, const struct ike_vpn_conf *v)
{
	struct nhtb_q *q = ctx;
	struct nhtb *b;

	if (!v->nexthop.family || v->unit == IKE_UNIT_NONE)
		return 0;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;

		b = realloc(q->b, cap * sizeof(*b));
		if (!b)
			return q->rc = -ENOMEM;
		q->b = b;
		q->cap = cap;
	}
	b = &q->b[q->n++];
	memset(b, 0, sizeof(*b));
	b->unit = v->unit;
	b->nexthop = v->nexthop;
	snprintf(b->vpn, sizeof(b->vpn), "%s", v->name);
	return 0;
}

static int
nhtb_by_vpn(const void *a, const void *b)
{
	return strcmp(((const struct nhtb *)a)->vpn, ((const struct nhtb *)b)->vpn);
}

/* Interface, then next-hop address: the order of the Junos table. */
static int
nhtb_by_unit(const void *a, const void *b)
{
	const struct nhtb *x = a, *y = b;

	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	return ike_addr_cmp(&x->nexthop, &y->nexthop);
}

static int
nhtb_tun_cb(void *ctx, const struct ike_tunnel_brief *t)
{
	struct nhtb_q *q = ctx;
	struct nhtb key, *b;

	if (!t->has_sa)
		return 0;
	snprintf(key.vpn, sizeof(key.vpn), "%s", t->vpn);
	b = bsearch(&key, q->b, q->n, sizeof(*q->b), nhtb_by_vpn);
	if (b)
		b->up++;
	return 0;
}

static int
rpc_next_hop_tunnels(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	struct nhtb_q q;
	size_t i;
	int rc = 0;

	(void)in;
	if (nothing_yet(d))
		return 0;
	memset(&q, 0, sizeof(q));
	ike_engine_foreach_vpn_conf(d->e, NULL, nhtb_vpn_cb, &q);
	if (q.rc == 0 && q.n) {
		qsort(q.b, q.n, sizeof(*q.b), nhtb_by_vpn);
		ike_engine_foreach_tunnel_brief(d->e, nhtb_tun_cb, &q);
		qsort(q.b, q.n, sizeof(*q.b), nhtb_by_unit);
	}
	for (i = 0; q.rc == 0 && rc == 0 && i < q.n; i++) {
		const struct nhtb *b = &q.b[i];
		char ifn[32], a[IKE_ADDR_STRLEN];
		struct lyd_node *n = NULL;

		snprintf(ifn, sizeof(ifn), "st0.%u", b->unit);
		ike_addr_str(&b->nexthop, a, sizeof(a));
		if (lyd_new_list(out, NULL, "ipsec-next-hop-tunnel", 1, &n, ifn, a) != LY_SUCCESS) {
			rc = -ENOMEM;
			break;
		}
		rc |= put(n, "ipsec-vpn-name", "%s", b->vpn);
		rc |= put(n, "flag", "Static");
		rc |= put(n, "tunnels-up", "%u", b->up);
	}
	free(q.b);
	if (q.rc < 0 || rc < 0)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	return 0;
}

/* ---- show security ike active-peer ---------------------------------------------------- */

static int
peer_cb(void *ctx, const struct ike_sa_info *i)
{
	struct ike_sa_q *q = ctx;
	struct lyd_node *n;
	char a[IKE_ADDR_STRLEN], idb[IKE_ID_STRLEN];
	int rc = 0;

	if (!i->up)
		return 0;
	if (q->peer.family && !ike_addr_eq(&q->peer, &i->remote.addr))
		return 0;
	n = list_new(q->out, "ike-active-peer", NULL);
	if (!n)
		return q->rc = -ENOMEM;
	rc |= put(n, "ike-sa-remote-address", "%s", ike_addr_str(&i->remote.addr, a, sizeof(a)));
	rc |= put(n, "ike-sa-remote-port", "%u", i->remote.port);
	rc |= put(n, "ike-ike-id", "%s", ike_id_str(&i->remote_id, idb, sizeof(idb)));
	rc |= put(n, "ike-gw-name", "%s", i->gateway);
	rc |= put(n, "ike-sa-index", "%u", i->index);
	rc |= put(n, "ike-xauth-username", "not available");
	rc |= put(n, "ike-xauth-user-assigned-ip", "0.0.0.0");
	rc |= put(n, "ike-dpd-cfg-mode", "%s", dpd_mode_str(i->dpd_mode));
	rc |= put(n, "ike-dpd-cfg-interval", "%u", i->dpd_interval);
	rc |= put(n, "ike-dpd-cfg-threshold", "%u", i->dpd_threshold);
	rc |= put(n, "ike-dpd-stats-req", "%u", i->dpd_sent);
	rc |= put(n, "ike-dpd-stats-resp", "%u", i->dpd_received);
	rc |= put(n, "ike-dpd-seq-no", "%u", i->msgid_next_request);
	return rc ? (q->rc = -ENOMEM) : 0;
}

static int
rpc_active_peer(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct ike_sa_q q = { D(arg), out, 0, { 0, { 0 } }, 0 };
	const char *peer = in_str(in, "peer-address");

	if (peer && ike_addr_parse(peer, &q.peer) < 0)
		return errbuf_set(err, -EINVAL, "error: invalid peer address %s", peer);
	if (!nothing_yet(q.d)) {
		ike_engine_foreach_ike_sa(q.d->e, peer_cb, &q);
		trim_after(q.d, out);
	}
	return q.rc < 0 ? errbuf_set(err, q.rc, "error: out of memory") : 0;
}

/* ---- clear and request ------------------------------------------------------------------- */

struct clear_q {
	struct ike_addr peer;
	uint32_t idx[256];
	unsigned n;
};

static int
clear_peer_cb(void *ctx, const struct ike_sa_info *i)
{
	struct clear_q *q = ctx;

	if (ike_addr_eq(&q->peer, &i->remote.addr) && q->n < 256)
		q->idx[q->n++] = i->index;
	return 0;
}

static int
rpc_clear_ike(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	const char *peer = in_str(in, "peer-address");
	uint32_t index = in_u32(in, "index"), cleared = 0;
	struct ike_engine_stats st;
	unsigned k;
	int rc;

	if ((rc = need_engine(d, err)) < 0)
		return rc;
	if (peer) {
		struct clear_q q;

		memset(&q, 0, sizeof(q));
		if (ike_addr_parse(peer, &q.peer) < 0)
			return errbuf_set(err, -EINVAL, "error: invalid peer address %s", peer);
		ike_engine_foreach_ike_sa(d->e, clear_peer_cb, &q);
		for (k = 0; k < q.n; k++)
			if ((!index || q.idx[k] == index) &&
			    ike_engine_clear_ike_sa(d->e, q.idx[k]) == 0)
				cleared++;
	} else if (index) {
		if (ike_engine_clear_ike_sa(d->e, index) < 0)
			return errbuf_set(err, -ENOENT, "error: no IKE SA with index %u", index);
		cleared = 1;
	} else {
		ike_engine_stats(d->e, &st);
		cleared = st.ike_sas;
		ike_engine_clear_ike_sa(d->e, 0);
	}
	log_info(LOG_IKE, "IKE SAs cleared by the operator: %u", cleared);
	iked_run_rearm(d);
	return put(out, "cleared", "%u", cleared) < 0 ? errbuf_set(err, -ENOMEM, "out of memory")
	                                              : 0;
}

static int
rpc_clear_ipsec(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	uint32_t index = in_u32(in, "index"), cleared;
	struct ike_engine_stats st;
	size_t i;
	int rc;

	if ((rc = need_engine(d, err)) < 0)
		return rc;
	for (i = 0; index && i < d->obj.n_manual; i++)
		if (d->obj.manual[i].tunnel_id == index)
			return errbuf_set(err, -EPERM,
			    "error: tunnel %u is a manual SA (change its configuration instead)",
			    index);
	ike_engine_stats(d->e, &st);
	cleared = index ? 1 : st.tunnels_up;
	if (ike_engine_clear_ipsec_sa(d->e, index) < 0)
		return errbuf_set(err, -ENOENT, "error: no tunnel with index %u", index);
	log_info(LOG_IKE, "IPsec SAs cleared by the operator (%s)", index ? "one tunnel" : "all");
	iked_run_rearm(d);
	return put(out, "cleared", "%u", cleared) < 0 ? errbuf_set(err, -ENOMEM, "out of memory")
	                                              : 0;
}

static int
rpc_clear_stats(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);

	(void)in;
	(void)out;
	if (nothing_yet(d))
		return 0;
	if (dp_clear_stats(d->dp) < 0)
		return errbuf_set(err, -EIO, "error: the dataplane could not clear its counters");
	return 0;
}

static int
rpc_redistribute(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	const char *gw = in_str(in, "gateway-name");
	const char *rid = in_str(in, "remote-id");
	uint32_t spu = in_u32(in, "spu"), moved = 0;
	int rc;

	if ((rc = need_engine(d, err)) < 0)
		return rc;
	if (spu >= dp_spu_count(d->dp))
		return errbuf_set(err, -EINVAL,
		    "error: SPU %u does not exist (this dataplane has %u)", spu,
		    dp_spu_count(d->dp));
	rc = ike_engine_redistribute(d->e, gw, rid, spu, &moved, err);
	if (rc < 0)
		return errbuf_set(
		    err, rc, "error: re-distribution of %s failed: %s", gw, strerror(-rc));
	if (rid && *rid) {
		log_info(LOG_SPU,
		    "gateway %s: peer %s: %u tunnel(s) moved to SPU %u by the operator", gw, rid,
		    moved, spu);
		rc = put(out, "message", "Tunnels of gateway %s peer %s are anchored on SPU %u", gw,
		    rid, spu);
	} else {
		log_info(LOG_SPU, "gateway %s: %u tunnel(s) moved to SPU %u by the operator", gw,
		    moved, spu);
		rc = put(out, "message", "Tunnels of gateway %s are anchored on SPU %u", gw, spu);
	}
	return rc < 0 ? errbuf_set(err, -ENOMEM, "out of memory") : 0;
}

/* ---- show interfaces st0 --------------------------------------------------------------- */

struct unit_stat {
	uint32_t unit;
	uint32_t tunnels, up;
	uint64_t in_p, out_p, in_b, out_b;
};

struct if_q {
	struct iked *d;
	struct unit_stat *us;
	size_t n;
};

static struct unit_stat *
unit_stat(struct if_q *q, uint32_t unit)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->us[i].unit == unit)
			return &q->us[i];
	return NULL;
}

static int
if_tun_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct if_q *q = ctx;
	struct unit_stat *u = t->unit == IKE_UNIT_NONE ? NULL : unit_stat(q, t->unit);
	unsigned k;

	if (!u)
		return 0;
	u->tunnels++;
	if (t->n_sa)
		u->up++;
	for (k = 0; k < t->n_sa; k++) {
		struct dp_sa_stats st;

		sa_counters(q->d, t->sa[k].spi_in, DP_DIR_IN, &t->local.addr, &st);
		u->in_p += st.packets;
		u->in_b += st.bytes;
		sa_counters(q->d, t->sa[k].spi_out, DP_DIR_OUT, &t->remote.addr, &st);
		u->out_p += st.packets;
		u->out_b += st.bytes;
	}
	return 0;
}

static int
rpc_interfaces(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	const char *name = in_str(in, "interface-name");
	const struct iked_dpobj *o = &d->obj;
	struct lyd_node *phys;
	struct if_q q;
	bool one = name && strchr(name, '.');
	uint32_t want_unit = one ? (uint32_t)strtoul(strchr(name, '.') + 1, NULL, 10) : 0;
	size_t i;
	int rc = 0;

	if (!o->n_units) {
		if (one)
			return errbuf_set(err, -ENOENT, "error: device %s not found", name);
		return 0;
	}
	memset(&q, 0, sizeof(q));
	q.d = d;
	q.us = calloc(o->n_units, sizeof(*q.us));
	if (!q.us)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	for (i = 0; i < o->n_units; i++)
		q.us[q.n++].unit = o->units[i].unit;
	if (d->e) {
		ike_engine_foreach_tunnel(d->e, if_tun_cb, &q);
		iked_run_trim_soon(d, (unsigned)o->n_units);
	}
	for (i = 0; i < o->n_manual; i++) {
		const struct applied_manual *m = &o->manual[i];
		struct unit_stat *u = m->m.unit == DP_UNIT_NONE ? NULL : unit_stat(&q, m->m.unit);
		struct dp_sa_stats st;

		if (!u)
			continue;
		u->tunnels++;
		u->up++;
		memset(&st, 0, sizeof(st));
		dp_sa_stats(d->dp, m->m.spi, DP_DIR_IN, &m->m.local, &st, NULL);
		u->in_p += st.packets;
		u->in_b += st.bytes;
		memset(&st, 0, sizeof(st));
		dp_sa_stats(d->dp, m->m.spi, DP_DIR_OUT, &m->m.remote, &st, NULL);
		u->out_p += st.packets;
		u->out_b += st.bytes;
	}
	phys = list_new(out, "physical-interface", "st0");
	if (!phys) {
		free(q.us);
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	}
	rc |= put(phys, "admin-status", "up");
	rc |= put(phys, "oper-status", "%s", d->dp ? "up" : "down");
	rc |= put(phys, "if-type", "Secure-Tunnel");
	if (d->dp)
		rc |= put(phys, "dataplane-backend", "%s", dp_backend_name(d->dp));
	for (i = 0; i < o->n_units && rc == 0; i++) {
		const struct want_unit *u = &o->units[i];
		const struct unit_stat *s = &q.us[i];
		struct lyd_node *l, *f;
		char key[32], pb[64];

		if (one && u->unit != want_unit)
			continue;
		snprintf(key, sizeof(key), "st0.%u", u->unit);
		l = list_new(phys, "logical-interface", key);
		if (!l) {
			rc = -ENOMEM;
			break;
		}
		if (u->description)
			rc |= put(l, "description", "%s", u->description);
		rc |= put(l, "admin-status", "%s", u->disabled ? "down" : "up");
		rc |= put(l, "oper-status", "%s", !u->disabled && s->up ? "up" : "down");
		rc |= put(l, "multipoint", "%s", u->u.multipoint ? "true" : "false");
		/* dp.h: mtu 0 is the backend's default, 1400 for userspace */
		if (u->u.mtu || (d->dp && dp_backend_kind(d->dp) == DP_BACKEND_USERSPACE))
			rc |= put(l, "mtu", "%u", u->u.mtu ? u->u.mtu : 1400);
		rc |= put(l, "tunnels-up", "%u", s->up);
		rc |= put(l, "tunnels", "%u", s->tunnels);
		rc |= put_u64(l, "input-packets", s->in_p);
		rc |= put_u64(l, "output-packets", s->out_p);
		rc |= put_u64(l, "input-bytes", s->in_b);
		rc |= put_u64(l, "output-bytes", s->out_b);
		if (u->u.addr4.addr.family || !u->u.addr6.addr.family) {
			f = list_new(l, "address-family", "inet");
			if (!f) {
				rc = -ENOMEM;
				break;
			}
			if (u->u.mtu)
				rc |= put(f, "mtu", "%u", u->u.mtu);
			if (u->u.addr4.addr.family)
				rc |= put(f, "ifa-local", "%s",
				    iked_prefix_str(&u->u.addr4, pb, sizeof(pb)));
		}
		if (u->u.addr6.addr.family) {
			f = list_new(l, "address-family", "inet6");
			if (!f) {
				rc = -ENOMEM;
				break;
			}
			if (u->mtu6)
				rc |= put(f, "mtu", "%u", u->mtu6);
			rc |=
			    put(f, "ifa-local", "%s", iked_prefix_str(&u->u.addr6, pb, sizeof(pb)));
		}
	}
	free(q.us);
	if (one) {
		const struct lyd_node *c;
		bool found = false;

		LY_LIST_FOR(lyd_child(phys), c)
		if (strcmp(c->schema->name, "logical-interface") == 0)
			found = true;
		if (!found)
			return errbuf_set(err, -ENOENT, "error: device %s not found", name);
	}
	return rc ? errbuf_set(err, -ENOMEM, "error: out of memory") : 0;
}

/* ---- show route ------------------------------------------------------------------------ */

static bool
route_matches(const struct dp_route *r, const struct dp_prefix *q)
{
	size_t n = r->dst.addr.family == AF_INET ? 4 : 16, i;

	if (q->addr.family != r->dst.addr.family)
		return false;
	if (q->len < r->dst.len)
		return false; /* the query is wider than the route */
	for (i = 0; i < n; i++) {
		unsigned bits = r->dst.len > i * 8 ? r->dst.len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((r->dst.addr.u.b[i] & mask) != (q->addr.u.b[i] & mask))
			return false;
	}
	return true;
}

static int
parse_query(const char *s, struct dp_prefix *p)
{
	char b[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);

	memset(p, 0, sizeof(*p));
	if (len >= sizeof(b))
		return -EINVAL;
	memcpy(b, s, len);
	b[len] = '\0';
	if (inet_pton(AF_INET, b, &p->addr.u.v4) == 1)
		p->addr.family = AF_INET;
	else if (inet_pton(AF_INET6, b, &p->addr.u.v6) == 1)
		p->addr.family = AF_INET6;
	else
		return -EINVAL;
	p->len =
	    slash ? (uint8_t)strtoul(slash + 1, NULL, 10) : (p->addr.family == AF_INET ? 32 : 128);
	return 0;
}

static int
rpc_route(const struct lyd_node *in, struct lyd_node *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	const char *dst = in_str(in, "destination");
	const struct iked_dpobj *o = &d->obj;
	struct dp_prefix qp;
	time_t now = time(NULL);
	int fam, rc = 0;
	size_t i;

	if (dst && parse_query(dst, &qp) < 0)
		return errbuf_set(err, -EINVAL, "error: invalid destination %s", dst);
	for (fam = 0; fam < 2 && rc == 0; fam++) {
		int af = fam ? AF_INET6 : AF_INET;
		struct lyd_node *tab = NULL;
		uint32_t count = 0;

		for (i = 0; i < o->n_routes && rc == 0; i++) {
			const struct applied_route *r = &o->routes[i];
			struct lyd_node *rt, *e;
			char pb[64], a[INET6_ADDRSTRLEN];
			bool ari = r->r.ari != NULL;

			if (r->r.r.dst.addr.family != af || (dst && !route_matches(&r->r.r, &qp)))
				continue;
			if (!tab &&
			    !(tab = list_new(out, "route-table", fam ? "inet6.0" : "inet.0"))) {
				rc = -ENOMEM;
				break;
			}
			rt = list_new(tab, "rt", iked_prefix_str(&r->r.r.dst, pb, sizeof(pb)));
			e = rt ? list_new(rt, "rt-entry", NULL) : NULL;
			if (!e) {
				rc = -ENOMEM;
				break;
			}
			count++;
			rc |= put(e, "active-tag", "*");
			rc |= put(e, "protocol-name", "%s", ari ? "ARI-TS" : "Static");
			rc |= put(e, "preference", "%u", r->r.preference);
			rc |= put(e, "metric", "%u", r->r.r.metric);
			rc |= put(e, "age", "%lld", (long long)(now - r->since));
			rc |= put(e, "via", "st0.%u", r->r.r.unit);
			if (r->r.r.nexthop.family)
				rc |= put(
				    e, "to", "%s", iked_dp_addr_str(&r->r.r.nexthop, a, sizeof(a)));
			if (ari)
				rc |= put(
				    e, "vpn-name", "%.*s", (int)strcspn(r->r.ari, " "), r->r.ari);
		}
		if (tab) {
			rc |= put(tab, "destination-count", "%u", count);
			rc |= put(tab, "total-route-count", "%u", count);
			rc |= put(tab, "active-route-count", "%u", count);
		}
	}
	return rc ? errbuf_set(err, -ENOMEM, "error: out of memory") : 0;
}

/* ---- replies written as JSON (long lists) ------------------------------------------------- */

/*
 * Show commands that list every tunnel or IKE SA answer with JSON written
 * here (RFC 7951, as libyang prints it: uint32 leaves as numbers, the
 * module name on the top node only) rather than a libyang tree: at 10,000
 * entries building and printing the tree was most of cairn-iked's time.
 * mgd relays the text unparsed; the shell parses and validates it.
 * Variants with a handful of entries (detail, index, summary) still build
 * the tree with the handlers above and print it.
 */

static void
js_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			buf_append(b, e, sizeof(e));
		}
	}
	buf_append(b, run, (size_t)(s - run));
	buf_putc(b, '"');
}

static void
js_u32(struct buf *b, uint32_t v)
{
	char d[10];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf_putc(b, d[--n]);
}

/* ,"name": (no comma before the first member of an object) */
static void
js_key(struct buf *b, bool *first, const char *name)
{
	if (!*first)
		buf_putc(b, ',');
	*first = false;
	buf_putc(b, '"');
	buf_puts(b, name);
	buf_puts(b, "\":");
}

static void
js_kstr(struct buf *b, bool *first, const char *name, const char *v)
{
	js_key(b, first, name);
	js_str(b, v);
}

/* A reply built as a tree by handler, printed as mgd's IPC would. */
static int
js_tree(const struct lyd_node *in, struct buf *out, struct errbuf *err, void *arg,
    int (*handler)(const struct lyd_node *, struct lyd_node *, struct errbuf *, void *))
{
	struct lyd_node *reply = ipc_reply_new(in);
	char *s = NULL;
	int rc;

	if (!reply)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	rc = handler(in, reply, err, arg);
	if (rc == 0) {
		if (lyd_print_mem(&s, reply, LYD_JSON, LYD_PRINT_SHRINK) != LY_SUCCESS || !s)
			rc = errbuf_set(err, -ENOMEM, "error: out of memory");
		else
			buf_puts(out, s);
	}
	free(s);
	lyd_free_all(reply);
	return rc;
}

struct js_q {
	struct iked *d;
	struct buf *b;
	bool first;           /* first list entry */
	struct ike_addr peer; /* filter (family 0: none) */
};

static void
js_list_entry(struct js_q *q, const char *list)
{
	if (q->first) {
		buf_putc(q->b, '"');
		buf_puts(q->b, list);
		buf_puts(q->b, "\":[{");
		q->first = false;
	} else {
		buf_puts(q->b, ",{");
	}
}

static int
dist_js_cb(void *ctx, const struct ike_tunnel_brief *t)
{
	struct js_q *q = ctx;
	char a[IKE_ADDR_STRLEN], spu[16];
	uint32_t s;
	bool f = true;

	js_list_entry(q, "ipsec-tunnel-distribution-block");
	js_key(q->b, &f, "sa-tunnel-id");
	js_u32(q->b, t->id);
	if (dp_tunnel_spu(q->d->dp, t->id, &s) == 0)
		snprintf(spu, sizeof(spu), "%u", s);
	else
		snprintf(spu, sizeof(spu), "-");
	js_kstr(q->b, &f, "ipsec-spu", spu);
	js_kstr(q->b, &f, "sa-tunnel-state", t->has_sa ? "up" : "down");
	js_kstr(q->b, &f, "sa-vpn-name", t->vpn);
	js_kstr(q->b, &f, "sa-gateway-name", t->gateway);
	js_kstr(q->b, &f, "sa-remote-gateway", ike_addr_str(&t->remote, a, sizeof(a)));
	js_kstr(q->b, &f, "sa-tunnel-type", t->dynamic_peer ? "dynamic" : "site-to-site");
	buf_putc(q->b, '}');
	return 0;
}

static int
rpc_tunnel_dist_json(const struct lyd_node *in, struct buf *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	struct js_q q = { d, out, true, { 0, { 0 } } };
	size_t i;

	if (in_has(in, "summary") || nothing_yet(d))
		return js_tree(in, out, err, arg, rpc_tunnel_dist);
	buf_puts(out, "{\"cairn-security-state:get-ipsec-tunnel-distribution\":{");
	ike_engine_foreach_tunnel_brief(d->e, dist_js_cb, &q);
	for (i = 0; i < d->obj.n_manual; i++) {
		const struct applied_manual *m = &d->obj.manual[i];
		char a[INET6_ADDRSTRLEN], spu[16];
		uint32_t s;
		bool f = true;

		js_list_entry(&q, "ipsec-tunnel-distribution-block");
		js_key(out, &f, "sa-tunnel-id");
		js_u32(out, m->tunnel_id);
		if (dp_tunnel_spu(d->dp, m->tunnel_id, &s) == 0)
			snprintf(spu, sizeof(spu), "%u", s);
		else
			snprintf(spu, sizeof(spu), "-");
		js_kstr(out, &f, "ipsec-spu", spu);
		js_kstr(out, &f, "sa-tunnel-state", "up");
		js_kstr(out, &f, "sa-vpn-name", m->m.name);
		js_kstr(out, &f, "sa-gateway-name", "");
		js_kstr(out, &f, "sa-remote-gateway", iked_dp_addr_str(&m->m.remote, a, sizeof(a)));
		js_kstr(out, &f, "sa-tunnel-type", "manual");
		buf_putc(out, '}');
	}
	buf_puts(out, q.first ? "}}" : "]}}");
	return buf_failed(out) ? errbuf_set(err, -ENOMEM, "error: out of memory") : 0;
}

/* The brief view's entries carry what Junos's brief XML carries. */
static int
ike_sa_js_cb(void *ctx, const struct ike_sa_brief *s)
{
	struct js_q *q = ctx;
	char a[IKE_ADDR_STRLEN], cookie[24];
	bool f = true;

	if (q->peer.family && !ike_addr_eq(&q->peer, &s->remote.addr))
		return 0;
	js_list_entry(q, "ike-security-associations");
	js_key(q->b, &f, "ike-sa-index");
	js_u32(q->b, s->index);
	js_kstr(q->b, &f, "ike-sa-state", s->up ? "UP" : "DOWN");
	snprintf(cookie, sizeof(cookie), "%016" PRIx64, s->spi_i);
	js_kstr(q->b, &f, "ike-sa-initiator-cookie", cookie);
	snprintf(cookie, sizeof(cookie), "%016" PRIx64, s->spi_r);
	js_kstr(q->b, &f, "ike-sa-responder-cookie", cookie);
	js_kstr(q->b, &f, "ike-sa-exchange-type", "IKEv2");
	js_kstr(q->b, &f, "ike-sa-remote-address", ike_addr_str(&s->remote.addr, a, sizeof(a)));
	buf_putc(q->b, '}');
	return 0;
}

static int
rpc_ike_sa_json(const struct lyd_node *in, struct buf *out, struct errbuf *err, void *arg)
{
	struct iked *d = D(arg);
	struct js_q q = { d, out, true, { 0, { 0 } } };
	const char *peer = in_str(in, "peer-address");

	if (in_has(in, "detail") || in_has(in, "index") || nothing_yet(d))
		return js_tree(in, out, err, arg, rpc_ike_sa);
	if (peer && ike_addr_parse(peer, &q.peer) < 0)
		return errbuf_set(err, -EINVAL, "error: invalid peer address %s", peer);
	buf_puts(out, "{\"cairn-security-state:get-ike-security-associations-information\":{");
	ike_engine_foreach_ike_sa_brief(d->e, ike_sa_js_cb, &q);
	buf_puts(out, q.first ? "}}" : "]}}");
	return buf_failed(out) ? errbuf_set(err, -ENOMEM, "error: out of memory") : 0;
}

const struct nb_rpc_ops iked_rpcs[] = {
	{ .path = "/cairn-security-state:get-ike-security-associations-information",
	    .handler = rpc_ike_sa,
	    .json = rpc_ike_sa_json },
	{ .path = "/cairn-security-state:get-security-associations-information",
	    .handler = rpc_ipsec_sa },
	{ .path = "/cairn-security-state:get-ipsec-statistics-information",
	    .handler = rpc_ipsec_stats },
	{ .path = "/cairn-security-state:get-ike-tunnel-map-information",
	    .handler = rpc_tunnel_map },
	{ .path = "/cairn-security-state:get-ipsec-tunnel-distribution",
	    .handler = rpc_tunnel_dist,
	    .json = rpc_tunnel_dist_json },
	{ .path = "/cairn-security-state:get-ipsec-inactive-tunnels", .handler = rpc_inactive },
	{ .path = "/cairn-security-state:get-iked-software-information", .handler = rpc_software },
	{ .path = "/cairn-security-state:get-ipsec-next-hop-tunnels",
	    .handler = rpc_next_hop_tunnels },
	{ .path = "/cairn-security-state:get-ike-active-peer-information",
	    .handler = rpc_active_peer },
	{ .path = "/cairn-security-state:clear-ike-security-associations",
	    .handler = rpc_clear_ike },
	{ .path = "/cairn-security-state:clear-ipsec-security-associations",
	    .handler = rpc_clear_ipsec },
	{ .path = "/cairn-security-state:clear-ipsec-statistics", .handler = rpc_clear_stats },
	{ .path = "/cairn-security-state:request-ipsec-re-distribution",
	    .handler = rpc_redistribute },
	{ .path = "/cairn-security-state:get-interface-information", .handler = rpc_interfaces },
	{ .path = "/cairn-security-state:get-route-information", .handler = rpc_route },
	{ .path = NULL },
};
