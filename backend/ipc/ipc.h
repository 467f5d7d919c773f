/* SPDX-License-Identifier: MIT */
/*
 * ipc: Cairn's management connections on a libevent loop (cairn-mgd and
 * the daemons). Both ends of a connection may send requests; replies and
 * notifications interleave, matched by request id (ipc_wire.h).
 *
 * Every incoming body is parsed strictly by libyang and validated against
 * its operation's schema before a callback sees it (ipc_msg.h). A bad
 * frame header closes the connection; a request whose body fails gets an
 * error reply; a bad reply fails its call; a bad notification is dropped.
 */
#ifndef CAIRN_IPC_H
#define CAIRN_IPC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libyang/libyang.h>

#include "errbuf.h"

struct event_base;
struct ipc_conn;
struct ipc_server;

struct ipc_conn_ops {
	/*
	 * A validated request. The callee owns rpc (lyd_free_all) and must
	 * answer exactly once, now or later, with ipc_conn_reply() or
	 * ipc_conn_reply_error() using id. May free the connection.
	 */
	void (*request)(struct ipc_conn *c, uint32_t id, struct lyd_node *rpc, void *arg);
	/* A validated notification; the callee owns notif. May be NULL. */
	void (*notify)(struct ipc_conn *c, struct lyd_node *notif, void *arg);
	/* The peer closed or broke the connection. Pending calls have been
	 * failed with -ECONNRESET. The library frees c when this returns. */
	void (*closed)(struct ipc_conn *c, void *arg);
	/* Optional: configuration data that RPC leafrefs may point into. */
	const struct lyd_node *(*dep_tree)(void *arg);
};

/*
 * The answer to ipc_conn_call(): rc 0 and reply (the RPC's output tree,
 * callee frees), or rc < 0 and msg: -ETIMEDOUT, -ECONNRESET, -ECANCELED
 * (connection freed locally) or the peer's error code and text.
 */
typedef void (*ipc_reply_cb)(void *arg, int rc, struct lyd_node *reply, const char *msg);

/*
 * The answer to ipc_conn_call_raw(): rc 0 and the reply's body as it came
 * (JSON, checked well-formed, not parsed: for a relay that forwards it),
 * or rc < 0 and msg as for ipc_reply_cb. body is valid during the call.
 */
typedef void (*ipc_raw_cb)(void *arg, int rc, const uint8_t *body, size_t len, const char *msg);

/* Takes fd (a connected UNIX stream socket); NULL on error (errno). */
struct ipc_conn *ipc_conn_new(struct event_base *base, const struct ly_ctx *ctx, int fd,
    const struct ipc_conn_ops *ops, void *arg);
/* Connects to path. NULL with err set on error. */
struct ipc_conn *ipc_conn_connect(struct event_base *base, const struct ly_ctx *ctx,
    const char *path, const struct ipc_conn_ops *ops, void *arg, struct errbuf *err);
/* Closes and frees; pending calls are answered -ECANCELED. Safe inside callbacks. */
void ipc_conn_free(struct ipc_conn *c);

void ipc_conn_set_arg(struct ipc_conn *c, void *arg);
/* Peer credentials captured when the connection was made (SO_PEERCRED). */
uid_t ipc_conn_peer_uid(const struct ipc_conn *c);
pid_t ipc_conn_peer_pid(const struct ipc_conn *c);

/* Sends rpc (borrowed; its top-level node is sent); cb runs exactly once,
 * at the latest after timeout_ms. 0 or -errno (then cb never runs). */
int ipc_conn_call(
    struct ipc_conn *c, const struct lyd_node *rpc, int timeout_ms, ipc_reply_cb cb, void *arg);
/* The same, the reply passed on unparsed (mgd relaying a daemon's answer:
 * large show outputs cost a parse, a validation and a print otherwise;
 * the client that asked parses and validates it). */
int ipc_conn_call_raw(
    struct ipc_conn *c, const struct lyd_node *rpc, int timeout_ms, ipc_raw_cb cb, void *arg);
/* Replies to request id with reply (an ipc_reply_new() tree, output added). */
int ipc_conn_reply(struct ipc_conn *c, uint32_t id, const struct lyd_node *reply);
/* Replies with a body already in JSON (RFC 7951: {"module:rpc":{output}}),
 * sent as is: from ipc_conn_call_raw, or a handler that writes its reply
 * itself. The receiver parses and validates it as any reply. */
int ipc_conn_reply_raw(struct ipc_conn *c, uint32_t id, const void *body, size_t len);
int ipc_conn_reply_error(struct ipc_conn *c, uint32_t id, int code, const char *msg);
int ipc_conn_notify(struct ipc_conn *c, const struct lyd_node *notif);
/* Bytes queued for sending (back-pressure hint). */
size_t ipc_conn_outq(const struct ipc_conn *c);

/*
 * A listening UNIX socket at path (mode 0666: any local user may connect;
 * authorization is by peer credentials). A stale socket file is replaced;
 * a live one (another instance listening) is an error. accept gets each
 * new connection's fd and must take it (ipc_conn_new) or close it.
 */
struct ipc_server *ipc_server_new(struct event_base *base, const char *path,
    void (*accept)(int fd, void *arg), void *arg, struct errbuf *err);
/* Stops listening and unlinks the socket. */
void ipc_server_free(struct ipc_server *s);

#endif
