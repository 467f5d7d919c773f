/* SPDX-License-Identifier: MIT */
/* ipc_msg: strict libyang parsing, validation and printing of IPC bodies. */
#include "ipc_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_frame.h"
#include "banned.h"

void
ipc_ly_quiet(void)
{
	ly_log_options(LY_LOSTORE_LAST);
}

int
ipc_ly_err(const struct ly_ctx *ctx, struct errbuf *err, int rc, const char *what)
{
	const struct ly_err_item *e = ly_err_last(ctx);

	if (e && e->path && e->msg)
		errbuf_set(err, rc, "%s: %s (%s)", what, e->msg, e->path);
	else if (e && e->msg)
		errbuf_set(err, rc, "%s: %s", what, e->msg);
	else
		errbuf_set(err, rc, "%s: invalid data", what);
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	return rc;
}

/*
 * A strict JSON (RFC 8259) syntax check of the whole body, before libyang
 * sees it: libyang 2.1.30 leaks memory on several malformed operation
 * bodies (found by fuzz_ipc_frame), so only well-formed JSON reaches it.
 * Nesting is limited to JSON_MAX_DEPTH.
 */
#define JSON_MAX_DEPTH 64

struct jcur {
	const char *p, *end;
};

static void
jws(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
jlit(struct jcur *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool
jhex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool
jstring(struct jcur *c)
{
	unsigned char ch;
	int i;

	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end) {
		ch = (unsigned char)*c->p++;
		if (ch == '"')
			return true;
		if (ch < 0x20)
			return false;
		if (ch != '\\')
			continue;
		if (c->p >= c->end)
			return false;
		ch = (unsigned char)*c->p++;
		if (ch == 'u') {
			for (i = 0; i < 4; i++)
				if (c->p >= c->end || !jhex(*c->p++))
					return false;
		} else if (!strchr("\"\\/bfnrt", ch)) {
			return false;
		}
	}
	return false;
}

static bool
jdigits(struct jcur *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

static bool
jnumber(struct jcur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!jdigits(c))
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!jdigits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!jdigits(c))
			return false;
	}
	return true;
}

static bool
jvalue(struct jcur *c, int depth)
{
	bool first;

	jws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
	case '[': {
		char close = *c->p == '{' ? '}' : ']';
		bool obj = close == '}';

		if (depth >= JSON_MAX_DEPTH)
			return false;
		c->p++;
		jws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return true;
		}
		for (first = true;; first = false) {
			(void)first;
			if (obj) {
				jws(c);
				if (!jstring(c))
					return false;
				jws(c);
				if (c->p >= c->end || *c->p++ != ':')
					return false;
			}
			if (!jvalue(c, depth + 1))
				return false;
			jws(c);
			if (c->p >= c->end)
				return false;
			if (*c->p == ',') {
				c->p++;
				continue;
			}
			if (*c->p++ != close)
				return false;
			return true;
		}
	}
	case '"':
		return jstring(c);
	case 't':
		return jlit(c, "true");
	case 'f':
		return jlit(c, "false");
	case 'n':
		return jlit(c, "null");
	default:
		return jnumber(c);
	}
}

static bool
json_well_formed(const char *p, size_t len)
{
	struct jcur c = { p, p + len };

	jws(&c);
	if (c.p >= c.end || *c.p != '{' || !jvalue(&c, 0))
		return false;
	jws(&c);
	return c.p == c.end;
}

int
ipc_msg_parse(const struct ly_ctx *ctx, enum ipc_type type, const uint8_t *body, size_t len,
    const struct lyd_node *dep_tree, const struct lyd_node *expect, struct lyd_node **op,
    struct errbuf *err)
{
	struct ly_in *in = NULL;
	struct lyd_node *tree = NULL, *node = NULL;
	enum lyd_type dt;
	char *text = NULL;
	int rc = -EBADMSG;

	*op = NULL;
	switch (type) {
	case IPC_REQUEST:
		dt = LYD_TYPE_RPC_YANG;
		break;
	case IPC_REPLY:
		dt = LYD_TYPE_REPLY_YANG;
		break;
	case IPC_NOTIFY:
		dt = LYD_TYPE_NOTIF_YANG;
		break;
	default:
		return errbuf_set(err, -EBADMSG, "ipc: unexpected message type %d", (int)type);
	}
	/* libyang reads NUL-terminated text: a body holding a NUL is malformed */
	if (len == 0 || memchr(body, '\0', len))
		return errbuf_set(err, -EBADMSG, "ipc: empty or binary message body");
	if (!json_well_formed((const char *)body, len))
		return errbuf_set(err, -EBADMSG, "ipc: malformed message: not one JSON object");
	text = malloc(len + 1);
	if (!text)
		return errbuf_set(err, -ENOMEM, "ipc: out of memory");
	memcpy(text, body, len);
	text[len] = '\0';
	if (ly_in_new_memory(text, &in) != LY_SUCCESS) {
		rc = errbuf_set(err, -ENOMEM, "ipc: out of memory");
		goto out;
	}
	if (lyd_parse_op(ctx, NULL, in, LYD_JSON, dt, &tree, &node) != LY_SUCCESS || !node) {
		rc = ipc_ly_err(ctx, err, -EBADMSG, "ipc: malformed message");
		goto out;
	}
	/* the operation itself is the root: RPCs and notifications only, no
	 * actions or nested notifications, and no opaque nodes */
	if (node != tree || node->parent || !node->schema ||
	    (node->schema->nodetype != (type == IPC_NOTIFY ? LYS_NOTIF : LYS_RPC))) {
		errbuf_set(err, -EBADMSG, "ipc: message is not a top-level %s",
		    type == IPC_NOTIFY ? "notification" : "rpc");
		goto out;
	}
	if (tree->next || tree->prev != tree) {
		errbuf_set(err, -EBADMSG, "ipc: more than one operation in a message");
		goto out;
	}
	if (expect && expect->schema != node->schema) {
		errbuf_set(
		    err, -EBADMSG, "ipc: reply to %s is for %s", LYD_NAME(expect), LYD_NAME(node));
		goto out;
	}
	if (lyd_validate_op(tree, dep_tree, dt, NULL) != LY_SUCCESS) {
		rc = ipc_ly_err(ctx, err, -EBADMSG, "ipc: invalid message");
		goto out;
	}
	*op = tree;
	tree = NULL;
	rc = 0;
out:
	lyd_free_all(tree);
	ly_in_free(in, 0);
	free(text);
	return rc;
}

bool
ipc_msg_json_ok(const uint8_t *body, size_t len)
{
	return len && !memchr(body, '\0', len) && json_well_formed((const char *)body, len);
}

int
ipc_msg_frame(struct buf *out, enum ipc_type type, uint32_t id, const struct lyd_node *op)
{
	char *s = NULL;
	size_t len;
	int rc;

	if (lyd_print_mem(&s, op, LYD_JSON, LYD_PRINT_SHRINK) != LY_SUCCESS || !s) {
		free(s);
		return -ENOMEM;
	}
	len = strlen(s);
	rc = ipc_frame_put_hdr(out, type, id, len);
	if (rc == 0) {
		buf_append(out, s, len);
		if (buf_failed(out))
			rc = -ENOMEM;
	}
	free(s);
	return rc;
}

struct lyd_node *
ipc_reply_new(const struct lyd_node *rpc)
{
	struct lyd_node *dup = NULL;

	while (rpc && rpc->parent)
		rpc = lyd_parent(rpc);
	if (!rpc || lyd_dup_single(rpc, NULL, 0, &dup) != LY_SUCCESS) {
		errno = ENOMEM;
		return NULL;
	}
	return dup;
}

int
ipc_reply_add(struct lyd_node *reply, const char *name, const char *value)
{
	if (lyd_new_term(reply, NULL, name, value, 1, NULL) != LY_SUCCESS)
		return -EINVAL;
	return 0;
}

const char *
ipc_leaf_str(const struct lyd_node *node, const char *name)
{
	struct lyd_node *child;

	if (!node)
		return NULL;
	LY_LIST_FOR(lyd_child(node), child)
	{
		if (child->schema && !strcmp(child->schema->name, name) &&
		    (child->schema->nodetype & LYD_NODE_TERM))
			return lyd_get_value(child);
	}
	return NULL;
}

bool
ipc_has_child(const struct lyd_node *node, const char *name)
{
	struct lyd_node *child;

	if (!node)
		return false;
	LY_LIST_FOR(lyd_child(node), child)
	{
		if (child->schema && !strcmp(child->schema->name, name))
			return true;
	}
	return false;
}
