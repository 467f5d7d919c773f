/* SPDX-License-Identifier: MIT */
/*
 * ipc_msg: the JSON bodies of IPC frames as libyang trees. A body is
 * parsed strictly (unknown nodes are errors, no opaque nodes) and
 * validated against the operation's schema before anyone sees it.
 */
#ifndef CAIRN_IPC_MSG_H
#define CAIRN_IPC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <libyang/libyang.h>

#include "buf.h"
#include "errbuf.h"
#include "ipc_wire.h"

/*
 * Parses and validates a REQUEST (an RPC), REPLY (the output of an RPC)
 * or NOTIFY body. dep_tree (may be NULL) resolves references from the
 * operation into configuration data. On success *op is the operation
 * node, the root of its own tree (caller frees with lyd_free_all()).
 * For a REPLY, expect (may be NULL) is the request: the reply must be
 * for the same operation. 0 or -EBADMSG with err set.
 */
int ipc_msg_parse(const struct ly_ctx *ctx, enum ipc_type type, const uint8_t *body, size_t len,
    const struct lyd_node *dep_tree, const struct lyd_node *expect, struct lyd_node **op,
    struct errbuf *err);

/* Appends a whole frame (header and JSON body) carrying op. 0 or -errno. */
int ipc_msg_frame(struct buf *out, enum ipc_type type, uint32_t id, const struct lyd_node *op);
/* A body that is one well-formed JSON object (no NUL), as ipc_msg_parse
 * checks before libyang sees it: for bodies relayed without parsing. */
bool ipc_msg_json_ok(const uint8_t *body, size_t len);

/*
 * A reply skeleton for rpc: a copy of the RPC node without its input.
 * Add output nodes with lyd_new_term(reply, NULL, name, value, 1, NULL)
 * or ipc_reply_add(). Caller frees. NULL on error (errno set).
 */
struct lyd_node *ipc_reply_new(const struct lyd_node *rpc);

/* Adds output leaf name=value (a leaf-list instance when name is one). 0 or -errno. */
int ipc_reply_add(struct lyd_node *reply, const char *name, const char *value);

/* The string value of child leaf name of node, or NULL. Borrowed. */
const char *ipc_leaf_str(const struct lyd_node *node, const char *name);
/* true when node has a child named name (an empty leaf, for example). */
bool ipc_has_child(const struct lyd_node *node, const char *name);

/* The last libyang error of ctx, "path: message" style, into err. */
int ipc_ly_err(const struct ly_ctx *ctx, struct errbuf *err, int rc, const char *what);

/* Makes libyang keep its errors instead of printing them (call once at start). */
void ipc_ly_quiet(void);

#endif
