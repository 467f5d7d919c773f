/* SPDX-License-Identifier: MIT */
/*
 * fmt_security: Junos layouts of cairn-iked's operational replies
 * (yang/cairn-security-state.yang; reference §3; docs/iked.md §12 for
 * the tunnel-map and tunnel-distribution layouts Cairn designed).
 *
 * Two layers: secfmt_*() render a reply tree into a buffer (pure, unit-
 * tested with canned replies), and fmt_sec_*() are the op-table
 * formatters that pick the flags from the command's arguments and print.
 */
#ifndef CAIRN_CLI_FMT_SECURITY_H
#define CAIRN_CLI_FMT_SECURITY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct cli;
struct lyd_node;
struct op_call;

enum secfmt_flag {
	SECFMT_DETAIL = 1u << 0,
	SECFMT_SUMMARY = 1u << 1,
	SECFMT_TERSE = 1u << 2,
};

/* reply: the RPC node with its output children. Each returns 0. */
int secfmt_ike_sa(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_ipsec_sa(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_ipsec_stats(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_tunnel_map(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_tunnel_dist(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_inactive(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_active_peer(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_message(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_quiet(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_interfaces(const struct lyd_node *reply, unsigned flags, struct buf *out);
int secfmt_route(const struct lyd_node *reply, unsigned flags, struct buf *out);
/* The long lists read from the reply's JSON text without a libyang tree
 * (the same text as the tree versions): the IKE SA list's brief view and
 * the tunnel distribution (not the summary). 0, or -EBADMSG (malformed). */
int secfmt_ike_sa_json(const char *json, size_t len, unsigned flags, struct buf *out);
int secfmt_tunnel_dist_json(const char *json, size_t len, unsigned flags, struct buf *out);

/* The op-table formatters (cli/optab.c). */
int fmt_sec_ike_sa(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_ipsec_sa(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_ipsec_stats(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_tunnel_map(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_tunnel_dist(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_inactive(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_active_peer(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_message(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_quiet(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_interfaces(struct cli *c, struct op_call *call, const struct lyd_node *reply);
int fmt_sec_route(struct cli *c, struct op_call *call, const struct lyd_node *reply);
/* Their op-table forms (optab.h format_json, json_ok). */
bool fmt_sec_ike_sa_json_ok(const struct op_call *call);
int fmt_sec_ike_sa_json(struct cli *c, struct op_call *call, const char *json, size_t len);
bool fmt_sec_tunnel_dist_json_ok(const struct op_call *call);
int fmt_sec_tunnel_dist_json(struct cli *c, struct op_call *call, const char *json, size_t len);

#endif
