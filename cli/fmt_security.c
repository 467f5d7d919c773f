/* SPDX-License-Identifier: MIT */
/*
 * fmt_security: Junos renderings of cairn-iked's operational replies.
 * Layouts follow the device captures of reference §3 (iked flavour where
 * kmd and iked differ); tunnel-map and tunnel-distribution, which Juniper
 * never published as text, are Cairn's design (docs/iked.md §12).
 */
#include "fmt_security.h"
#include "jrows.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "args.h"
#include "cli.h"
#include "optab.h"

#include "banned.h"

/* ---- reply helpers ------------------------------------------------------------ */

static const char *
lf(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	if (!n)
		return "";
	LY_LIST_FOR(lyd_child(n), c)
	if ((c->schema->nodetype & LYD_NODE_TERM) && strcmp(c->schema->name, name) == 0)
		return lyd_get_value(c);
	return "";
}

static unsigned long long
lu(const struct lyd_node *n, const char *name)
{
	return strtoull(lf(n, name), NULL, 10);
}

static bool
lhas(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
	if (strcmp(c->schema->name, name) == 0)
		return true;
	return false;
}

#define FOR_EACH(c, parent, nm)                                                                    \
	for (c = lyd_child(parent); c; c = c->next)                                                \
		if (strcmp(c->schema->name, (nm)) == 0)

/* "s" as seconds/kilobytes of the Life column: "3213/ unlim", "28565/unlim". */
static void
life_col(const char *sec, const char *kb, char *out, size_t len)
{
	snprintf(out, len, "%s/%*s", sec, strlen(sec) <= 4 ? 6 : 5, kb);
}

static void
events(const struct lyd_node *blk, struct buf *out, unsigned indent)
{
	const struct lyd_node *e;

	FOR_EACH(e, blk, "tunnel-event")
	{
		buf_indent(out, indent);
		buf_printf(out, "%s: %s (%s times)\n", lf(e, "event-time"),
		    lf(e, "event-description"), lf(e, "event-count"));
	}
}

/* ---- show security ike security-associations ----------------------------------------- */

static void
ike_sa_detail(const struct lyd_node *s, struct buf *o)
{
	buf_printf(o, "IKE peer %s, Index %s, Gateway Name: %s\n", lf(s, "ike-sa-remote-address"),
	    lf(s, "ike-sa-index"), lf(s, "ike-gw-name"));
	buf_printf(o, "  Role: %s, State: %s\n", lf(s, "ike-sa-role"), lf(s, "ike-sa-state"));
	buf_printf(o, "  Initiator cookie: %s, Responder cookie: %s\n",
	    lf(s, "ike-sa-initiator-cookie"), lf(s, "ike-sa-responder-cookie"));
	buf_printf(o, "  Exchange type: %s, Authentication method: %s\n",
	    lf(s, "ike-sa-exchange-type"), lf(s, "ike-sa-authentication-method"));
	buf_printf(o, "  Local: %s:%s, Remote: %s:%s\n", lf(s, "ike-sa-local-address"),
	    lf(s, "ike-sa-local-port"), lf(s, "ike-sa-remote-address"),
	    lf(s, "ike-sa-remote-port"));
	buf_printf(o, "  Lifetime: Expires in %s seconds\n", lf(s, "ike-sa-lifetime"));
	buf_printf(o, "  Reauth Lifetime: %s\n", lf(s, "ike-sa-reauthlifetime"));
	buf_printf(o, "  IKE Fragmentation: %s, Size: %s\n", lf(s, "ike-sa-ike-frag"),
	    lf(s, "ike-sa-frag-size"));
	buf_printf(o, "  Remote Access Client Info: Unknown Client\n");
	buf_printf(o, "  Peer ike-id: %s\n", lf(s, "ike-sa-remote-id"));
	buf_printf(o, "  AAA assigned IP: 0.0.0.0\n");
	buf_printf(o, "  Algorithms:\n");
	buf_printf(o, "    Authentication        : %s\n", lf(s, "ike-sa-authentication-algorithm"));
	buf_printf(o, "    Encryption            : %s\n", lf(s, "ike-sa-encryption-algorithm"));
	buf_printf(o, "    Pseudo random function: %s\n", lf(s, "ike-sa-prf-algorithm"));
	buf_printf(o, "    Diffie-Hellman group  : %s\n", lf(s, "ike-sa-dhgroup"));
	buf_printf(o, "  Traffic statistics:\n");
	buf_printf(o, "    Input  bytes  : %20s\n", lf(s, "ike-sa-input-bytes"));
	buf_printf(o, "    Output bytes  : %20s\n", lf(s, "ike-sa-output-bytes"));
	buf_printf(o, "    Input  packets: %20s\n", lf(s, "ike-sa-input-packets"));
	buf_printf(o, "    Output packets: %20s\n", lf(s, "ike-sa-output-packets"));
	buf_printf(o, "  Flags: %s\n", lf(s, "ike-sa-flags"));
	buf_printf(o, "  IPSec security associations: %s created, %s deleted\n",
	    lf(s, "ike-sa-ipsec-sas-created"), lf(s, "ike-sa-ipsec-sas-deleted"));
	buf_printf(
	    o, "  Phase 2 negotiations in progress: %s\n", lf(s, "ike-sa-phase2-in-progress"));
	buf_printf(o, "  Local identity: %s\n", lf(s, "ike-sa-local-id"));
	buf_printf(o, "  Remote identity: %s\n", lf(s, "ike-sa-remote-id"));
	buf_printf(o, "  NAT traversal: %s\n", lf(s, "ike-sa-nat-traversal"));
	if (strcmp(lf(s, "ike-sa-state"), "UP") == 0)
		buf_printf(o, "  Rekey in: %s seconds\n", lf(s, "ike-sa-rekey-time"));
	buf_printf(o, "  DPD: %s, interval %s, threshold %s, requests %s, responses %s\n",
	    lf(s, "ike-dpd-cfg-mode"), lf(s, "ike-dpd-cfg-interval"),
	    lf(s, "ike-dpd-cfg-threshold"), lf(s, "ike-dpd-stats-req"),
	    lf(s, "ike-dpd-stats-resp"));
	if (strcmp(lf(s, "ike-sa-spu"), "4294967295") != 0)
		buf_printf(o, "  Location: SPU %s\n", lf(s, "ike-sa-spu"));
}

/* The brief layout's lines (shared by the tree and the JSON readers). */
static const char ike_sa_head[] = "Index   State  Initiator cookie  Responder cookie  "
                                  "Mode           Remote Address\n";

static void
ike_sa_line(struct buf *o, const char *index, const char *state, const char *icookie,
    const char *rcookie, const char *mode, const char *remote)
{
	buf_printf(
	    o, "%-7s %-6s %-16s  %-16s  %-14s %s\n", index, state, icookie, rcookie, mode, remote);
}

int
secfmt_ike_sa(const struct lyd_node *reply, unsigned flags, struct buf *o)
{
	const struct lyd_node *s;
	bool first = true;

	FOR_EACH(s, reply, "ike-security-associations")
	{
		if (flags & SECFMT_DETAIL) {
			if (!first)
				buf_putc(o, '\n');
			ike_sa_detail(s, o);
		} else {
			if (first)
				buf_puts(o, ike_sa_head);
			ike_sa_line(o, lf(s, "ike-sa-index"), lf(s, "ike-sa-state"),
			    lf(s, "ike-sa-initiator-cookie"), lf(s, "ike-sa-responder-cookie"),
			    lf(s, "ike-sa-exchange-type"), lf(s, "ike-sa-remote-address"));
		}
		first = false;
	}
	return 0;
}

/* The brief view read straight from the JSON reply (jrows.h). */
enum { IS_INDEX, IS_STATE, IS_IC, IS_RC, IS_MODE, IS_REMOTE, IS_N };

struct js_rows {
	struct buf *o;
	struct jrow_col *cols;
	bool first;
};

static int
ike_sa_js_row(void *ctx)
{
	struct js_rows *r = ctx;
	struct jrow_col *c = r->cols;

	if (r->first)
		buf_puts(r->o, ike_sa_head);
	r->first = false;
	ike_sa_line(r->o, c[IS_INDEX].buf, c[IS_STATE].buf, c[IS_IC].buf, c[IS_RC].buf,
	    c[IS_MODE].buf, c[IS_REMOTE].buf);
	return 0;
}

int
secfmt_ike_sa_json(const char *json, size_t len, unsigned flags, struct buf *o)
{
	char v[IS_N][256];
	struct jrow_col cols[IS_N] = {
		[IS_INDEX] = { "ike-sa-index", v[IS_INDEX], sizeof(v[0]) },
		[IS_STATE] = { "ike-sa-state", v[IS_STATE], sizeof(v[0]) },
		[IS_IC] = { "ike-sa-initiator-cookie", v[IS_IC], sizeof(v[0]) },
		[IS_RC] = { "ike-sa-responder-cookie", v[IS_RC], sizeof(v[0]) },
		[IS_MODE] = { "ike-sa-exchange-type", v[IS_MODE], sizeof(v[0]) },
		[IS_REMOTE] = { "ike-sa-remote-address", v[IS_REMOTE], sizeof(v[0]) },
	};
	struct js_rows r = { o, cols, true };

	(void)flags;
	return jrows_scan(json, len, "ike-security-associations", cols, IS_N, ike_sa_js_row, &r);
}

/* ---- show security ipsec security-associations ------------------------------------------ */

static void
ipsec_sa_detail(const struct lyd_node *b, struct buf *o)
{
	const struct lyd_node *s;
	bool encap = strcmp(lf(b, "sa-packet-encapsulation"), "UDP") == 0;
	const char *bind = lf(b, "sa-bind-interface");

	buf_printf(o, "ID: %s Virtual-system: %s, VPN Name: %s\n", lf(b, "sa-tunnel-index"),
	    lf(b, "sa-virtual-system"), lf(b, "sa-vpn-name"));
	buf_printf(o, "  Local Gateway: %s, Remote Gateway: %s\n", lf(b, "sa-local-gateway"),
	    lf(b, "sa-remote-gateway"));
	buf_printf(o, "  Local Identity: %s\n", lf(b, "sa-local-identity"));
	buf_printf(o, "  Remote Identity: %s\n", lf(b, "sa-remote-identity"));
	buf_printf(o, "  TS Type: %s\n", lf(b, "sa-ts-type"));
	buf_printf(o, "  Version: %s\n", lf(b, "sa-ike-version"));
	buf_printf(o, "  PFS group: %s, Packet Encapsulation: %s, Dest port: %s\n",
	    lf(b, "sa-pfs-group"), lf(b, "sa-packet-encapsulation"), encap ? "4500" : "0");
	buf_printf(o, "  DF-bit: %s, Copy-Outer-DSCP: %s, Bind-interface: %s", lf(b, "sa-df-bit"),
	    lf(b, "sa-copy-outer-dscp"), *bind ? bind : "N/A");
	if (*lf(b, "sa-policy-name"))
		buf_printf(o, " , Policy-name: %s", lf(b, "sa-policy-name"));
	buf_putc(o, '\n');
	buf_printf(o, "  Port: %s, Nego#: %s, Fail#: %s, Def-Del#: %s Flag: 0\n", lf(b, "sa-port"),
	    lf(b, "sa-nego-count"), lf(b, "sa-fail-count"), lf(b, "sa-def-del-count"));
	if (strcmp(lf(b, "sa-block-state"), "up") != 0) {
		buf_printf(o, "  Tunnel state: down");
		if (*lf(b, "sa-down-reason"))
			buf_printf(o, ", last reason: %s", lf(b, "sa-down-reason"));
		buf_putc(o, '\n');
	}
	if (lhas(b, "tunnel-event")) {
		buf_puts(o, "  Tunnel events:\n");
		events(b, o, 4);
	}
	buf_printf(o, "  Location: SPU %s\n", lf(b, "sa-pair-spu"));
	FOR_EACH(s, b, "ipsec-security-associations")
	{
		const char *enc = lf(s, "sa-esp-encryption-algorithm");
		char mode[16];
		const char *kb = lf(s, "sa-lifesize-remaining");

		/* "aes-gcm-256" -> "aes-gcm" */
		snprintf(
		    mode, sizeof(mode), "%.*s", (int)(strlen(enc) > 4 ? strlen(enc) - 4 : 0), enc);
		buf_printf(o, "  Direction: %s, SPI: 0x%s, AUX-SPI: %s\n", lf(s, "sa-direction"),
		    lf(s, "sa-spi"), lf(s, "sa-aux-spi"));
		buf_printf(o, "                              , VPN Monitoring: %s\n",
		    lf(s, "sa-vpn-monitoring-state"));
		if (strcmp(lf(s, "sa-hard-lifetime"), "unlim") == 0) {
			buf_puts(o, "    Hard lifetime: Unlimited\n");
		} else {
			buf_printf(o, "    Hard lifetime: Expires in %s seconds\n",
			    lf(s, "sa-hard-lifetime"));
		}
		if (strcmp(kb, "unlim") == 0)
			buf_puts(o, "    Lifesize Remaining:  Unlimited\n");
		else
			buf_printf(o, "    Lifesize Remaining:  %s kilobytes\n", kb);
		if (strcmp(lf(s, "sa-soft-lifetime"), "unlim") == 0)
			buf_puts(o, "    Soft lifetime: Unlimited\n");
		else
			buf_printf(o, "    Soft lifetime: Expires in %s seconds\n",
			    lf(s, "sa-soft-lifetime"));
		buf_printf(o, "    Mode: Tunnel(0 0), Type: %s, State: %s\n", lf(s, "sa-type"),
		    lf(s, "sa-state"));
		buf_printf(o, "    Protocol: %s, Authentication: %s, Encryption: %s (%s bits)\n",
		    lf(s, "sa-protocol"), lf(s, "sa-hmac-algorithm"), mode,
		    lf(s, "sa-encryption-key-bits"));
		if (strcmp(lf(s, "sa-anti-replay-service"), "disabled") == 0)
			buf_puts(o, "    Anti-replay service: disabled\n");
		else
			buf_printf(o, "    Anti-replay service: %s, Replay window size: %s\n",
			    lf(s, "sa-anti-replay-service"), lf(s, "sa-replay-window-size"));
		buf_printf(o, "    Extended-Sequence-Number: %s\n", lf(s, "sa-esn"));
		buf_printf(o, "    tunnel-establishment: %s\n", lf(b, "sa-tunnel-establishment"));
		buf_printf(o, "    IKE SA Index: %s\n", lf(s, "sa-ike-sa-index"));
		buf_printf(
		    o, "    Packets: %s, Bytes: %s\n", lf(s, "sa-packets"), lf(s, "sa-bytes"));
		/* inbound SAs only (RFC 4301 5.2 is checked after decryption) */
		if (lhas(s, "sa-selector-drops"))
			buf_printf(o, "    Selector drops: %s\n", lf(s, "sa-selector-drops"));
	}
}

int
secfmt_ipsec_sa(const struct lyd_node *reply, unsigned flags, struct buf *o)
{
	const struct lyd_node *b, *s;
	bool first = true;

	if (!(flags & SECFMT_DETAIL)) {
		buf_printf(o, "  Total active tunnels: %s     Total IPsec sas: %s\n",
		    *lf(reply, "total-active-tunnels") ? lf(reply, "total-active-tunnels") : "0",
		    *lf(reply, "total-ipsec-sas") ? lf(reply, "total-ipsec-sas") : "0");
		if (lu(reply, "total-active-tunnels"))
			buf_puts(o,
			    "  ID      Algorithm       SPI      Life:sec/kb  Mon lsys Port  "
			    "Gateway\n");
	}
	FOR_EACH(b, reply, "ipsec-security-associations-block")
	{
		if (flags & SECFMT_DETAIL) {
			if (!first)
				buf_putc(o, '\n');
			ipsec_sa_detail(b, o);
			first = false;
			continue;
		}
		FOR_EACH(s, b, "ipsec-security-associations")
		{
			char alg[64], life[48];

			snprintf(alg, sizeof(alg), "%s:%s/%s", lf(s, "sa-protocol"),
			    lf(s, "sa-esp-encryption-algorithm"), lf(s, "sa-hmac-algorithm"));
			life_col(lf(s, "sa-hard-lifetime"), lf(s, "sa-lifesize-remaining"), life,
			    sizeof(life));
			buf_printf(o, "  %c%-6s %-15s 0x%s %s %s %s %s %s\n",
			    strcmp(lf(s, "sa-direction"), "inbound") == 0 ? '<' : '>',
			    lf(s, "sa-tunnel-index"), alg, lf(s, "sa-spi"), life,
			    lf(s, "sa-vpn-monitoring-state"), lf(s, "sa-virtual-system"),
			    lf(s, "sa-port"), lf(s, "sa-remote-gateway"));
		}
	}
	return 0;
}

/* ---- show security ipsec statistics ------------------------------------------------------- */

static void
stat_line(struct buf *o, const char *label, const char *v)
{
	int w = 35 - (int)strlen(label);

	buf_printf(o, "%s%*s\n", label, w > 0 ? w : 1, *v ? v : "0");
}

int
secfmt_ipsec_stats(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	bool whole = lhas(r, "icmp-suppressed");

	(void)flags;
	buf_puts(o, "ESP Statistics:\n");
	stat_line(o, "  Encrypted bytes:", lf(r, "esp-encrypted-bytes"));
	stat_line(o, "  Decrypted bytes:", lf(r, "esp-decrypted-bytes"));
	stat_line(o, "  Encrypted packets:", lf(r, "esp-encrypted-packets"));
	stat_line(o, "  Decrypted packets:", lf(r, "esp-decrypted-packets"));
	buf_puts(o, "AH Statistics:\n");
	stat_line(o, "  Input bytes:", lf(r, "ah-input-bytes"));
	stat_line(o, "  Output bytes:", lf(r, "ah-output-bytes"));
	stat_line(o, "  Input packets:", lf(r, "ah-input-packets"));
	stat_line(o, "  Output packets:", lf(r, "ah-output-packets"));
	buf_puts(o, "Errors:\n");
	buf_printf(o, "  AH authentication failures: %llu, Replay errors: %llu\n",
	    lu(r, "ah-authentication-failures"), lu(r, "replay-errors"));
	buf_printf(o, "  ESP authentication failures: %llu, ESP decryption failures: %llu\n",
	    lu(r, "esp-authentication-failures"), lu(r, "esp-decryption-failures"));
	buf_printf(o, "  Bad headers: %llu, Bad trailers: %llu\n", lu(r, "bad-headers"),
	    lu(r, "bad-trailers"));
	/* Cairn: the SPUs' own drop counters, in the whole dataplane's view
	 * (iked leaves them out of one tunnel's), and the selector drops of
	 * the current inbound SAs, in both views */
	if (!lhas(r, "icmp-suppressed") && !lhas(r, "selector-drops"))
		return 0;
	buf_puts(o, "Dataplane:\n");
	if (whole) {
		stat_line(o, "  Unknown SPI:", lf(r, "unknown-spi"));
		stat_line(o, "  No SA drops:", lf(r, "no-sa-drops"));
		stat_line(o, "  No route drops:", lf(r, "no-route-drops"));
		stat_line(o, "  MTU drops:", lf(r, "mtu-drops"));
		stat_line(o, "  Other drops:", lf(r, "other-drops"));
		if (lhas(r, "frag-drops"))
			stat_line(o, "  Fragment drops:", lf(r, "frag-drops"));
		if (lhas(r, "frag-resent"))
			stat_line(o, "  Fragments sent in clear:", lf(r, "frag-resent"));
	}
	if (lhas(r, "selector-drops"))
		stat_line(o, "  Selector drops:", lf(r, "selector-drops"));
	if (whole) {
		stat_line(o, "  ICMP errors suppressed:", lf(r, "icmp-suppressed"));
		stat_line(o, "  Event drops:", lf(r, "event-drops"));
	}
	return 0;
}

/* ---- show security ike tunnel-map, show security ipsec tunnel-distribution ------------ */

int
secfmt_tunnel_map(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *n;

	if (flags & SECFMT_SUMMARY) {
		buf_puts(o, "SPU   Flow threads  Tunnels   Load      Gateways\n");
		FOR_EACH(n, r, "iked-tunnel-map-summary")
		buf_printf(o, "%-5s %-13s %-9s %-9s %s\n", lf(n, "spu-id"),
		    lf(n, "spu-flow-threads"), lf(n, "spu-tunnels"), lf(n, "spu-load"),
		    lf(n, "spu-gateways"));
		return 0;
	}
	buf_puts(o, "Gateway ID  Gateway Name                      Type          SPU   IKE SAs  "
	            "Tunnels\n");
	FOR_EACH(n, r, "iked-tunnel-map")
	buf_printf(o, "%-11s %-33s %-13s %-5s %-8s %s\n", lf(n, "gateway-id"),
	    lf(n, "gateway-name"), lf(n, "gateway-type"), lf(n, "spu-id"), lf(n, "ike-sa-count"),
	    lf(n, "tunnel-count"));
	return 0;
}

static const char dist_head[] =
    "Tunnel ID   SPU   State  Type          Remote Gateway     Gateway Name      VPN\n";

static void
dist_line(struct buf *o, const char *id, const char *spu, const char *state, const char *type,
    const char *remote, const char *gw, const char *vpn)
{
	buf_printf(o, "%-11s %-5s %-6s %-13s %-18s %-17s %s\n", id, spu, state, type, remote,
	    *gw ? gw : "-", vpn);
}

int
secfmt_tunnel_dist(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *n;

	if (flags & SECFMT_SUMMARY) {
		buf_puts(o,
		    "SPU   Flow threads  Tunnels   Load      Encrypted pkts    Decrypted pkts    "
		    "Handoffs\n");
		FOR_EACH(n, r, "ipsec-tunnel-distribution-summary-block")
		buf_printf(o, "%-5s %-13s %-9s %-9s %-17s %-17s %s\n", lf(n, "ipsec-spu"),
		    lf(n, "ipsec-spu-flow-threads"), lf(n, "ipsec-spu-number-of-tunnels"),
		    lf(n, "ipsec-spu-load"), lf(n, "ipsec-spu-encrypted-packets"),
		    lf(n, "ipsec-spu-decrypted-packets"), lf(n, "ipsec-spu-handoffs"));
		/* the SPUs' cipher key caches (userspace dataplane), a block of
		 * their own so that the lines fit 100 columns */
		buf_puts(o, "\nSPU   Keys held  Key misses        Key evictions\n");
		FOR_EACH(n, r, "ipsec-tunnel-distribution-summary-block")
		buf_printf(o, "%-5s %-10s %-17s %s\n", lf(n, "ipsec-spu"),
		    lf(n, "ipsec-spu-keys-held"), lf(n, "ipsec-spu-key-misses"),
		    lf(n, "ipsec-spu-key-evictions"));
		return 0;
	}
	buf_puts(o, dist_head);
	FOR_EACH(n, r, "ipsec-tunnel-distribution-block")
	dist_line(o, lf(n, "sa-tunnel-id"), lf(n, "ipsec-spu"), lf(n, "sa-tunnel-state"),
	    lf(n, "sa-tunnel-type"), lf(n, "sa-remote-gateway"), lf(n, "sa-gateway-name"),
	    lf(n, "sa-vpn-name"));
	return 0;
}

enum { TD_ID, TD_SPU, TD_STATE, TD_TYPE, TD_REMOTE, TD_GW, TD_VPN, TD_N };

static int
dist_js_row(void *ctx)
{
	struct js_rows *r = ctx;
	struct jrow_col *c = r->cols;

	dist_line(r->o, c[TD_ID].buf, c[TD_SPU].buf, c[TD_STATE].buf, c[TD_TYPE].buf,
	    c[TD_REMOTE].buf, c[TD_GW].buf, c[TD_VPN].buf);
	return 0;
}

int
secfmt_tunnel_dist_json(const char *json, size_t len, unsigned flags, struct buf *o)
{
	char v[TD_N][256];
	struct jrow_col cols[TD_N] = {
		[TD_ID] = { "sa-tunnel-id", v[TD_ID], sizeof(v[0]) },
		[TD_SPU] = { "ipsec-spu", v[TD_SPU], sizeof(v[0]) },
		[TD_STATE] = { "sa-tunnel-state", v[TD_STATE], sizeof(v[0]) },
		[TD_TYPE] = { "sa-tunnel-type", v[TD_TYPE], sizeof(v[0]) },
		[TD_REMOTE] = { "sa-remote-gateway", v[TD_REMOTE], sizeof(v[0]) },
		[TD_GW] = { "sa-gateway-name", v[TD_GW], sizeof(v[0]) },
		[TD_VPN] = { "sa-vpn-name", v[TD_VPN], sizeof(v[0]) },
	};
	struct js_rows r = { o, cols, true };
	size_t at = o->len;
	int rc;

	(void)flags;
	buf_puts(o, dist_head);
	rc = jrows_scan(json, len, "ipsec-tunnel-distribution-block", cols, TD_N, dist_js_row, &r);
	if (rc < 0)
		o->len = at; /* nothing printed of a reply that did not read */
	return rc;
}

/* ---- show security ipsec next-hop-tunnels ------------------------------------------------ */

/* reference §3.13 (Junos 9.3 command reference): one line per binding */
int
secfmt_next_hop_tunnels(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *n;

	(void)flags;
	buf_puts(o, "Next-hop gateway  interface   IPsec VPN name                    Flag\n");
	FOR_EACH(n, r, "ipsec-next-hop-tunnel")
	buf_printf(o, "%-17s %-11s %-33s %s\n", lf(n, "next-hop-gateway"), lf(n, "interface-name"),
	    lf(n, "ipsec-vpn-name"), lf(n, "flag"));
	return 0;
}

/* ---- show security ipsec inactive-tunnels ------------------------------------------------ */

int
secfmt_inactive(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *n;
	bool head = false;

	buf_printf(o, "  Total inactive tunnels: %llu\n", lu(r, "total-inactive-tunnels"));
	buf_printf(o, "  Total inactive tunnels with establish immediately: %llu\n",
	    lu(r, "total-inactive-tunnels-establish-immediately"));
	FOR_EACH(n, r, "ipsec-inactive-tunnel")
	{
		char reason[512];
		unsigned long long cnt = lu(n, "sa-tunnel-down-count");

		if (!head)
			buf_puts(o,
			    "  ID           Port   Gateway          Pending SAs   Tunnel Down "
			    "Reason\n");
		head = true;
		if (cnt)
			snprintf(reason, sizeof(reason), "%s (%llu times)",
			    lf(n, "sa-tunnel-down-reason"), cnt);
		else
			snprintf(reason, sizeof(reason), "%s", lf(n, "sa-tunnel-down-reason"));
		buf_printf(o, "  %-12s %-6s %-16s %-13s %s\n", lf(n, "sa-tunnel-index"),
		    lf(n, "sa-port"), lf(n, "sa-remote-gateway"), lf(n, "sa-pending-sas"), reason);
		if (flags & SECFMT_DETAIL) {
			buf_printf(o, "    VPN: %s, Gateway Name: %s, tunnel-establishment: %s\n",
			    lf(n, "sa-vpn-name"), lf(n, "sa-gateway-name"),
			    lf(n, "sa-tunnel-establishment"));
			if (lhas(n, "tunnel-event")) {
				buf_puts(o, "    Tunnel events:\n");
				events(n, o, 6);
			}
		}
	}
	return 0;
}

/* ---- show security ike active-peer --------------------------------------------------------- */

int
secfmt_active_peer(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *n;
	bool head = false;

	FOR_EACH(n, r, "ike-active-peer")
	{
		if (!head)
			buf_puts(o, "Remote Address                      Port     Peer IKE-ID\n");
		head = true;
		buf_printf(o, "%-35s %-8s %s\n", lf(n, "ike-sa-remote-address"),
		    lf(n, "ike-sa-remote-port"), lf(n, "ike-ike-id"));
		if (flags & SECFMT_DETAIL) {
			buf_printf(o, "  Gateway Name: %s, IKE SA Index: %s\n",
			    lf(n, "ike-gw-name"), lf(n, "ike-sa-index"));
			buf_printf(o, "  AAA username: %s, Assigned IP: %s\n",
			    lf(n, "ike-xauth-username"), lf(n, "ike-xauth-user-assigned-ip"));
			buf_printf(o, "  DPD mode: %s, interval: %s, threshold: %s\n",
			    lf(n, "ike-dpd-cfg-mode"), lf(n, "ike-dpd-cfg-interval"),
			    lf(n, "ike-dpd-cfg-threshold"));
			buf_printf(o, "  DPD seq-no               :%s\n", lf(n, "ike-dpd-seq-no"));
			buf_printf(o, "  DPD requests sent: %s, responses received: %s\n",
			    lf(n, "ike-dpd-stats-req"), lf(n, "ike-dpd-stats-resp"));
		}
	}
	return 0;
}

/* ---- clear / request -------------------------------------------------------------------- */

int
secfmt_message(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	(void)flags;
	if (*lf(r, "message"))
		buf_printf(o, "%s\n", lf(r, "message"));
	return 0;
}

int
secfmt_quiet(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	(void)r;
	(void)flags;
	(void)o;
	return 0; /* Junos prints nothing when a clear succeeds */
}

/* ---- show interfaces st0 ---------------------------------------------------------------- */

static void
terse_unit(const struct lyd_node *l, struct buf *o)
{
	const struct lyd_node *f, *a;
	bool first = true;

	FOR_EACH(f, l, "address-family")
	{
		bool any = false;

		FOR_EACH(a, f, "ifa-local")
		{
			buf_printf(o, "%-23s %-5s %-4s %-8s %s\n", first ? lf(l, "name") : "",
			    first ? lf(l, "admin-status") : "", first ? lf(l, "oper-status") : "",
			    lf(f, "address-family-name"), lyd_get_value(a));
			first = false;
			any = true;
		}
		if (!any) {
			buf_printf(o, "%-23s %-5s %-4s %s\n", first ? lf(l, "name") : "",
			    first ? lf(l, "admin-status") : "", first ? lf(l, "oper-status") : "",
			    lf(f, "address-family-name"));
			first = false;
		}
	}
	if (first)
		buf_printf(o, "%-23s %-5s %s\n", lf(l, "name"), lf(l, "admin-status"),
		    lf(l, "oper-status"));
}

/* "10.255.0.1/24" -> address "10.255.0.1", network "10.255.0.0/24". */
static void
net_of(const char *v, char *addr, size_t alen, char *net, size_t nlen)
{
	const char *slash = strchr(v, '/');
	unsigned plen = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : 128;
	unsigned char b[16];
	int fam, i, n;

	snprintf(addr, alen, "%.*s", slash ? (int)(slash - v) : (int)strlen(v), v);
	fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	n = fam == AF_INET ? 4 : 16;
	if (inet_pton(fam, addr, b) != 1) {
		snprintf(net, nlen, "%s", v);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned bits = plen > (unsigned)i * 8 ? plen - (unsigned)i * 8 : 0;

		b[i] &= bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
	}
	if (!inet_ntop(fam, b, net, (socklen_t)nlen)) {
		snprintf(net, nlen, "%s", v);
		return;
	}
	snprintf(net + strlen(net), nlen - strlen(net), "/%u", plen);
}

static void
detail_unit(const struct lyd_node *l, struct buf *o)
{
	const struct lyd_node *f, *a;
	bool up = strcmp(lf(l, "oper-status"), "up") == 0;
	bool mp = strcmp(lf(l, "multipoint"), "true") == 0;

	buf_printf(o, "  Logical interface %s\n", lf(l, "name"));
	buf_printf(o, "    Flags: %s %s Encapsulation: Secure-Tunnel\n", up ? "Up" : "Down",
	    mp ? "Point-To-Multipoint" : "Point-To-Point");
	if (*lf(l, "description"))
		buf_printf(o, "    Description: %s\n", lf(l, "description"));
	buf_printf(o, "    Tunnels: %s up of %s\n", lf(l, "tunnels-up"), lf(l, "tunnels"));
	buf_printf(o, "    Input packets : %s\n", lf(l, "input-packets"));
	buf_printf(o, "    Output packets: %s\n", lf(l, "output-packets"));
	buf_printf(o, "    Input bytes   : %s\n", lf(l, "input-bytes"));
	buf_printf(o, "    Output bytes  : %s\n", lf(l, "output-bytes"));
	FOR_EACH(f, l, "address-family")
	{
		buf_printf(o, "    Protocol %s, MTU: %s\n", lf(f, "address-family-name"),
		    *lf(f, "mtu")   ? lf(f, "mtu")
		    : *lf(l, "mtu") ? lf(l, "mtu")
		                    : "default");
		FOR_EACH(a, f, "ifa-local")
		{
			char addr[64], net[80];

			net_of(lyd_get_value(a), addr, sizeof(addr), net, sizeof(net));
			buf_puts(o, "      Addresses, Flags: Is-Preferred Is-Primary\n");
			buf_printf(o, "        Destination: %s, Local: %s\n", net, addr);
		}
	}
}

int
secfmt_interfaces(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *p, *l;

	if (flags & SECFMT_TERSE)
		buf_puts(o,
		    "Interface               Admin Link Proto    Local                 Remote\n");
	FOR_EACH(p, r, "physical-interface")
	{
		bool units_only = (flags & SECFMT_DETAIL) != 0; /* st0.N asked */

		if (flags & SECFMT_TERSE) {
			if (!units_only)
				buf_printf(o, "%-23s %-5s %s\n", lf(p, "name"),
				    lf(p, "admin-status"), lf(p, "oper-status"));
			FOR_EACH(l, p, "logical-interface")
			terse_unit(l, o);
			continue;
		}
		if (!units_only) {
			buf_printf(o, "Physical interface: %s, %s, Physical link is %s\n",
			    lf(p, "name"),
			    strcmp(lf(p, "admin-status"), "up") == 0 ? "Enabled" : "Disabled",
			    strcmp(lf(p, "oper-status"), "up") == 0 ? "Up" : "Down");
			buf_printf(o, "  Type: %s, Link-level type: Secure-Tunnel, Dataplane: %s\n",
			    lf(p, "if-type"),
			    *lf(p, "dataplane-backend") ? lf(p, "dataplane-backend") : "none");
			buf_putc(o, '\n');
		}
		FOR_EACH(l, p, "logical-interface")
		detail_unit(l, o);
	}
	return 0;
}

/* ---- show route ----------------------------------------------------------------------------- */

static void
age_str(unsigned long long s, char *b, size_t len)
{
	unsigned long long d = s / 86400, w = d / 7;

	s %= 86400;
	if (w)
		snprintf(b, len, "%lluw%llud %02llu:%02llu:%02llu", w, d % 7, s / 3600, s / 60 % 60,
		    s % 60);
	else if (d)
		snprintf(b, len, "%llud %02llu:%02llu:%02llu", d, s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(b, len, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

int
secfmt_route(const struct lyd_node *r, unsigned flags, struct buf *o)
{
	const struct lyd_node *t, *rt, *e;
	bool first = true;

	(void)flags;
	FOR_EACH(t, r, "route-table")
	{
		unsigned long long n = lu(t, "destination-count");

		if (!first)
			buf_putc(o, '\n');
		first = false;
		buf_printf(o,
		    "%s: %llu destinations, %llu routes (%llu active, 0 holddown, 0 hidden)\n",
		    lf(t, "table-name"), n, lu(t, "total-route-count"),
		    lu(t, "active-route-count"));
		buf_puts(o, "+ = Active Route, - = Last Active, * = Both\n\n");
		FOR_EACH(rt, t, "rt")
		{
			bool head = true;

			FOR_EACH(e, rt, "rt-entry")
			{
				char age[32];

				age_str(lu(e, "age"), age, sizeof(age));
				buf_printf(o, "%-18s %s[%s/%s] %s",
				    head ? lf(rt, "rt-destination") : "", lf(e, "active-tag"),
				    lf(e, "protocol-name"), lf(e, "preference"), age);
				if (lu(e, "metric"))
					buf_printf(o, ", metric %s", lf(e, "metric"));
				buf_putc(o, '\n');
				if (*lf(e, "to"))
					buf_printf(o, "                    >  to %s via %s\n",
					    lf(e, "to"), lf(e, "via"));
				else
					buf_printf(
					    o, "                    >  via %s\n", lf(e, "via"));
				head = false;
			}
		}
	}
	return 0;
}

/* ---- the op-table formatters ------------------------------------------------------------ */

static unsigned
call_flags(const struct op_call *call)
{
	unsigned f = 0;

	if (args_get(call->spec, call->nspec, &call->vals, "detail"))
		f |= SECFMT_DETAIL;
	if (args_get(call->spec, call->nspec, &call->vals, "summary"))
		f |= SECFMT_SUMMARY;
	if (args_get(call->spec, call->nspec, &call->vals, "terse"))
		f |= SECFMT_TERSE;
	return f;
}

static int
emit(struct cli *c, int (*fn)(const struct lyd_node *, unsigned, struct buf *), unsigned flags,
    const struct lyd_node *reply)
{
	struct buf b = BUF_INIT;
	int rc = fn(reply, flags, &b);

	if (b.len)
		cli_puts(c, buf_str(&b));
	buf_free(&b);
	return rc;
}

int
fmt_sec_ike_sa(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_ike_sa, call_flags(call), reply);
}

static int
emit_json(struct cli *c, int (*fn)(const char *, size_t, unsigned, struct buf *), unsigned flags,
    const char *json, size_t len)
{
	struct buf b = BUF_INIT;
	int rc = fn(json, len, flags, &b);

	if (rc < 0) {
		cli_failf(c, "error: malformed reply from cairn-mgd");
	} else if (b.len) {
		cli_puts(c, buf_str(&b));
	}
	buf_free(&b);
	return rc;
}

bool
fmt_sec_ike_sa_json_ok(const struct op_call *call)
{
	return !(call_flags(call) & SECFMT_DETAIL) &&
	       !args_get(call->spec, call->nspec, &call->vals, "index");
}

int
fmt_sec_ike_sa_json(struct cli *c, struct op_call *call, const char *json, size_t len)
{
	return emit_json(c, secfmt_ike_sa_json, call_flags(call), json, len);
}

bool
fmt_sec_tunnel_dist_json_ok(const struct op_call *call)
{
	return !(call_flags(call) & SECFMT_SUMMARY);
}

int
fmt_sec_tunnel_dist_json(struct cli *c, struct op_call *call, const char *json, size_t len)
{
	return emit_json(c, secfmt_tunnel_dist_json, call_flags(call), json, len);
}

int
fmt_sec_ipsec_sa(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_ipsec_sa, call_flags(call), reply);
}

int
fmt_sec_ipsec_stats(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_ipsec_stats, call_flags(call), reply);
}

int
fmt_sec_tunnel_map(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_tunnel_map, call_flags(call), reply);
}

int
fmt_sec_tunnel_dist(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_tunnel_dist, call_flags(call), reply);
}

int
fmt_sec_next_hop_tunnels(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_next_hop_tunnels, call_flags(call), reply);
}

int
fmt_sec_inactive(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_inactive, call_flags(call), reply);
}

int
fmt_sec_active_peer(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_active_peer, call_flags(call), reply);
}

int
fmt_sec_message(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_message, call_flags(call), reply);
}

int
fmt_sec_quiet(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_quiet, call_flags(call), reply);
}

int
fmt_sec_interfaces(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	const char *name = args_get(call->spec, call->nspec, &call->vals, "interface-name");
	unsigned f = call_flags(call);

	/* "show interfaces st0.0": the unit alone (SECFMT_DETAIL marks it) */
	if (name && strchr(name, '.'))
		f |= SECFMT_DETAIL;
	return emit(c, secfmt_interfaces, f, reply);
}

int
fmt_sec_route(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	return emit(c, secfmt_route, call_flags(call), reply);
}
