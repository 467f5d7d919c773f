/* SPDX-License-Identifier: MIT */
/*
 * ipc_client: a simple blocking client of cairn-mgd for the shell and
 * command-line tools. One request at a time; notifications that arrive
 * meanwhile are queued and read with ipc_client_recv_notif().
 *
 *	struct ipc_client *c = ipc_client_open(paths.mgd_sock, ctx, &err);
 *	rc = ipc_call_json(c, "{\"cairn-mgmt:session-start\":{}}", &reply, &err);
 *	...
 *	ipc_client_close(c);
 *
 * Errors are 0 or -errno with the operator text in err: mgd's own
 * messages (Junos layout, print them verbatim), or the transport's
 * ("cannot connect", -ETIMEDOUT, -ECONNRESET).
 */
#ifndef CAIRN_IPC_CLIENT_H
#define CAIRN_IPC_CLIENT_H

#include <libyang/libyang.h>

#include "errbuf.h"

struct ipc_client;

#define IPC_CLIENT_TIMEOUT_MS (300 * 1000) /* default per call: above mgd's own waits */

/* Connects to the socket at path; ctx (borrowed, must outlive the
 * client) holds cairn-mgmt and every module whose RPCs are used. */
struct ipc_client *ipc_client_open(const char *path, const struct ly_ctx *ctx, struct errbuf *err);
void ipc_client_close(struct ipc_client *c);
void ipc_client_set_timeout(struct ipc_client *c, int timeout_ms);
/* The socket, to poll() for notifications between calls. */
int ipc_client_fd(const struct ipc_client *c);

/*
 * Sends rpc (borrowed; an RPC tree made with lyd_new_path() or parsed)
 * and waits for its reply: *reply is the output tree, the RPC node with
 * its output children (caller frees with lyd_free_all). 0 or -errno
 * (mgd's error code, -ETIMEDOUT, -ECONNRESET, -EBADMSG).
 */
int ipc_call(
    struct ipc_client *c, const struct lyd_node *rpc, struct lyd_node **reply, struct errbuf *err);
/* The same, the reply's body returned as it came (*body NUL-terminated,
 * caller frees; checked to be one well-formed JSON object, not parsed):
 * for a caller that reads a long reply's few leaves itself. */
int ipc_call_raw(
    struct ipc_client *c, const struct lyd_node *rpc, char **body, size_t *len, struct errbuf *err);
/* The same with the RPC in JSON ({"cairn-mgmt:commit":{"comment":"x"}}),
 * parsed and validated here first. */
int ipc_call_json(
    struct ipc_client *c, const char *json, struct lyd_node **reply, struct errbuf *err);

/*
 * The next notification (caller frees): a queued one at once, else waits
 * up to timeout_ms (0: poll, -1: forever). 0, -ETIMEDOUT, or -ECONNRESET.
 */
int ipc_client_recv_notif(
    struct ipc_client *c, int timeout_ms, struct lyd_node **notif, struct errbuf *err);

#endif
