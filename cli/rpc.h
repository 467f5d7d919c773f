/* SPDX-License-Identifier: MIT */
/*
 * rpc: calls to cairn-mgd from the shell (through cairn-ipc's blocking
 * client). RPC trees are built on the session's schema context; errors
 * come back in mgd's own words and are printed verbatim.
 */
#ifndef CAIRN_CLI_RPC_H
#define CAIRN_CLI_RPC_H

#include <stdbool.h>
#include <stddef.h>

struct cli;
struct lyd_node;
struct lysc_node;

/* A new RPC "module:name" (e.g. "cairn-mgmt:commit"); NULL on error
 * (printed). Caller frees with lyd_free_all. */
struct lyd_node *rpc_new(struct cli *c, const char *name);
/* Adds input leaf name (value NULL for an empty leaf; a leaf-list takes
 * one instance per call). 0 or -errno (printed). */
int rpc_add(struct cli *c, struct lyd_node *rpc, const char *name, const char *value);
/* Calls the RPC. 0 with *reply (caller frees; may be NULL if not
 * wanted), or -errno with mgd's message printed and the command failed. */
int rpc_call(struct cli *c, struct lyd_node *rpc, struct lyd_node **reply);
/*
 * The same for RPCs whose errors may start with an "at L:C" line (edit,
 * load, get-configuration, compare: line L of the text sent, column C of
 * the offending word). With pos, such an error is printed Junos style: a
 * caret at byte offset pos->base + C - pos->skip of the line being run
 * (for line 1), then the message. Without pos the "at" line is dropped.
 */
struct rpc_pos {
	size_t base; /* where the sent text's column pos->skip sits in the line */
	size_t skip; /* bytes of the sent text before the typed part ("set ") */
};
int rpc_call_at(
    struct cli *c, struct lyd_node *rpc, struct lyd_node **reply, const struct rpc_pos *pos);
/* Splits an mgd error into its "at L:C" position (0, 0 when none) and the
 * message that follows (borrowed from msg). */
const char *rpc_err_pos(const char *msg, unsigned *line, unsigned *col);
/* The same, keeping quiet on error: the message goes to msg. */
struct errbuf;
int rpc_call_quiet(
    struct cli *c, struct lyd_node *rpc, struct lyd_node **reply, struct errbuf *msg);

/* Calls the RPC and returns its reply's JSON text unparsed (*json caller
 * frees); errors as rpc_call. */
int rpc_call_raw(struct cli *c, struct lyd_node *rpc, char **json, size_t *len);

/* The RPC schema node "module:name", or NULL when the schema lacks it. */
const struct lysc_node *rpc_schema(struct cli *c, const char *name);

/* Output leaf accessors on a reply (borrowed strings). */
const char *rpc_leaf(const struct lyd_node *reply, const char *name);
bool rpc_has(const struct lyd_node *reply, const char *name);

#endif
