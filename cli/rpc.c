/* SPDX-License-Identifier: MIT */
/* rpc: building and calling mgd RPCs. */
#include "rpc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli.h"
#include "ipc_client.h"
#include "ipc_msg.h"
#include "banned.h"

struct lyd_node *
rpc_new(struct cli *c, const char *name)
{
	struct lyd_node *rpc = NULL;
	char path[512];

	snprintf(path, sizeof(path), "/%s", name);
	if (lyd_new_path(NULL, c->ly, path, NULL, 0, &rpc) != LY_SUCCESS || !rpc) {
		cli_failf(c, "error: cannot build RPC %s", name);
		return NULL;
	}
	return rpc;
}

int
rpc_add(struct cli *c, struct lyd_node *rpc, const char *name, const char *value)
{
	if (lyd_new_term(rpc, NULL, name, value, 0, NULL) != LY_SUCCESS) {
		const char *m = ly_errmsg(c->ly);

		cli_failf(c, "error: %s: %s", name, m ? m : "invalid value");
		return -EINVAL;
	}
	return 0;
}

int
rpc_call_quiet(struct cli *c, struct lyd_node *rpc, struct lyd_node **reply, struct errbuf *msg)
{
	struct lyd_node *r = NULL;
	int rc;

	errbuf_clear(msg);
	rc = ipc_call(c->mgd, rpc, &r, msg);
	if (rc < 0) {
		if (!errbuf_isset(msg))
			errbuf_set(msg, rc, "error: %s", strerror(-rc));
		if (rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN || rc == -ETIMEDOUT) {
			/* the session is gone with the connection: nothing more
			 * can be done in this shell */
			c->quit = true;
			c->failed = true;
		}
		return rc;
	}
	if (reply)
		*reply = r;
	else
		lyd_free_all(r);
	return 0;
}

const char *
rpc_err_pos(const char *msg, unsigned *line, unsigned *col)
{
	unsigned l, cc;
	int n = 0;

	*line = *col = 0;
	if (sscanf(msg, "at %u:%u%n", &l, &cc, &n) == 2 && n > 0 && msg[n] == '\n') {
		*line = l;
		*col = cc;
		return msg + n + 1;
	}
	return msg;
}

int
rpc_call_at(struct cli *c, struct lyd_node *rpc, struct lyd_node **reply, const struct rpc_pos *pos)
{
	struct errbuf msg = { .msg = "" }, rest = { .msg = "" };
	struct cli_err err;
	unsigned line, col;
	const char *text;
	int rc;

	if (reply)
		*reply = NULL;
	rc = rpc_call_quiet(c, rpc, reply, &msg);
	if (rc == 0)
		return 0;
	text = rpc_err_pos(msg.msg, &line, &col);
	if (line == 1 && pos) {
		cli_err_init(&err);
		cli_err_set(&err, CERR_TEXT,
		    pos->base + ((size_t)col > pos->skip ? (size_t)col - pos->skip : 0), text);
		cli_print_err(c, &err);
		cli_err_fini(&err);
	} else {
		snprintf(rest.msg, sizeof(rest.msg), "%s", text);
		cli_fail(c, &rest);
	}
	return rc;
}

int
rpc_call_raw(struct cli *c, struct lyd_node *rpc, char **json, size_t *len)
{
	struct errbuf msg = { .msg = "" };
	int rc;

	errbuf_clear(&msg);
	rc = ipc_call_raw(c->mgd, rpc, json, len, &msg);
	if (rc < 0) {
		if (!errbuf_isset(&msg))
			errbuf_set(&msg, rc, "error: %s", strerror(-rc));
		if (rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN || rc == -ETIMEDOUT) {
			c->quit = true;
			c->failed = true;
		}
		cli_fail(c, &msg);
	}
	return rc;
}

int
rpc_call(struct cli *c, struct lyd_node *rpc, struct lyd_node **reply)
{
	return rpc_call_at(c, rpc, reply, NULL);
}

const struct lysc_node *
rpc_schema(struct cli *c, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "/%s", name);
	return lys_find_path(c->ly, NULL, path, 0);
}

const char *
rpc_leaf(const struct lyd_node *reply, const char *name)
{
	return reply ? ipc_leaf_str(reply, name) : NULL;
}

bool
rpc_has(const struct lyd_node *reply, const char *name)
{
	return reply && ipc_has_child(reply, name);
}
