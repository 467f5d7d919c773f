/* SPDX-License-Identifier: MIT */
/*
 * mgd_subs: daemons' subscriptions, the two-phase commit across them,
 * and the routing of operational RPCs to the daemon that serves them.
 *
 * A daemon sends `subscribe` (its name, the top-level subtrees it owns,
 * the RPCs it serves). mgd answers, then resynchronises it: prepare with
 * the whole running configuration as a diff from empty (full), then
 * apply. For each commit that touches its subtrees it gets its slice of
 * the diff in config-prepare, then config-apply or config-abort. Every
 * wait has a timeout; a daemon that does not answer an apply is
 * disconnected, so that it resynchronises when it comes back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_msg.h"
#include "log.h"
#include "mgd.h"
#include "ydiff.h"
#include "banned.h"

enum sub_state { SUB_IDLE, SUB_PREPARING, SUB_PREPARED, SUB_FAILED };

struct sub {
	struct sub *next;
	struct mgd *m;
	struct sess *s;
	char name[33];
	char **subtrees, **rpcs;
	size_t nsub, nrpc;
	bool synced;
	enum sub_state state;
	uint64_t txid;
};

/* The daemon that serves a module's RPCs, for "is not running". */
static const struct {
	const char *module, *daemon;
} module_daemons[] = {
	{ "cairn-security", "cairn-iked" },
	{ "cairn-security-state", "cairn-iked" },
	{ "cairn-interfaces", "cairn-iked" },
	{ "cairn-routing", "cairn-iked" },
};

static const char *
daemon_for(const struct mgd *m, const char *module)
{
	size_t i, len = strlen(module);

	/* --rpc-daemon MODULE=DAEMON first */
	for (i = 0; i < m->nrpc_daemons; i++)
		if (!strncmp(m->rpc_daemons[i], module, len) && m->rpc_daemons[i][len] == '=')
			return m->rpc_daemons[i] + len + 1;
	for (i = 0; i < sizeof(module_daemons) / sizeof(module_daemons[0]); i++)
		if (!strcmp(module_daemons[i].module, module))
			return module_daemons[i].daemon;
	return NULL;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
sub_free(struct sub *sub)
{
	if (!sub)
		return;
	strv_free(sub->subtrees, sub->nsub);
	strv_free(sub->rpcs, sub->nrpc);
	free(sub);
}

static int
collect(const struct lyd_node *rpc, const char *name, char ***out, size_t *n)
{
	struct lyd_node *c;
	char **v;

	LY_LIST_FOR(lyd_child(rpc), c)
	{
		if (strcmp(c->schema->name, name))
			continue;
		v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*out = v;
		v[*n] = strdup(lyd_get_value(c));
		if (!v[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static struct sub *
rpc_owner(struct mgd *m, const char *key)
{
	struct sub *sub;
	size_t i;

	for (sub = m->subs; sub; sub = sub->next)
		for (i = 0; i < sub->nrpc; i++)
			if (!strcmp(sub->rpcs[i], key))
				return sub;
	return NULL;
}

/* The daemon's slice of diff as one JSON object; NULL when it has none. */
static char *
slice_json(const struct sub *sub, const struct lyd_node *diff, int *rc)
{
	const struct lyd_node *top;
	struct buf b = BUF_INIT;
	char key[256], *s;
	size_t i, len;
	bool any = false;

	*rc = 0;
	buf_putc(&b, '{');
	LY_LIST_FOR(diff, top)
	{
		snprintf(key, sizeof(key), "%s:%s", top->schema->module->name, top->schema->name);
		for (i = 0; i < sub->nsub; i++)
			if (!strcmp(sub->subtrees[i], key))
				break;
		if (i == sub->nsub || (top->flags & LYD_DEFAULT))
			continue; /* not its subtree, or only implicit defaults */
		s = NULL;
		if (lyd_print_mem(&s, top, LYD_JSON, LYD_PRINT_SHRINK) != LY_SUCCESS || !s) {
			free(s);
			*rc = -ENOMEM;
			buf_free(&b);
			return NULL;
		}
		/* {"mod:node":{...}} → "mod:node":{...} ("{}": nothing explicit) */
		len = strlen(s);
		while (len > 2 && (s[len - 1] == '\n' || s[len - 1] == ' '))
			len--;
		if (len > 2) {
			if (any)
				buf_putc(&b, ',');
			buf_append(&b, s + 1, len - 2);
			any = true;
		}
		free(s);
	}
	buf_putc(&b, '}');
	if (!any || buf_failed(&b)) {
		*rc = buf_failed(&b) ? -ENOMEM : 0;
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static struct lyd_node *
mk_rpc(struct mgd *m, const char *name, uint64_t txid)
{
	const struct lys_module *mod = ly_ctx_get_module_implemented(m->ctx, "cairn-mgmt");
	struct lyd_node *rpc = NULL;
	char id[32];

	if (!mod || lyd_new_inner(NULL, mod, name, 0, &rpc) != LY_SUCCESS)
		return NULL;
	snprintf(id, sizeof(id), "%" PRIu64, txid);
	if (lyd_new_term(rpc, NULL, "transaction-id", id, 0, NULL) != LY_SUCCESS) {
		lyd_free_all(rpc);
		return NULL;
	}
	return rpc;
}

/* ---- the two-phase commit ---- */

struct prep {
	struct mgd *m;
	uint64_t txid;
	prep_cb cb;
	void *arg;
	unsigned pending;
	int rc;
	struct buf errs;
	bool finishing;
};

struct prep_call {
	struct prep *p;
	struct sub *sub;
};

static void
prep_done(struct prep *p)
{
	p->cb(p->m, p->arg, p->rc, p->rc ? buf_str(&p->errs) : NULL);
	buf_free(&p->errs);
	free(p);
}

static struct sub *
sub_alive(struct mgd *m, struct sub *sub)
{
	struct sub *it;

	for (it = m->subs; it; it = it->next)
		if (it == sub)
			return it;
	return NULL;
}

static void
prepare_reply(void *arg, int rc, struct lyd_node *reply, const char *msg)
{
	struct prep_call *pc = arg;
	struct prep *p = pc->p;
	struct sub *sub = sub_alive(p->m, pc->sub);

	lyd_free_all(reply);
	if (sub)
		sub->state = rc == 0 ? SUB_PREPARED : SUB_FAILED;
	if (rc < 0) {
		p->rc = -EINVAL;
		if (p->errs.len && p->errs.p[p->errs.len - 1] != '\n')
			buf_putc(&p->errs, '\n');
		if (rc == -ETIMEDOUT)
			buf_printf(&p->errs, "error: %s did not answer in time",
			    sub ? sub->name : "a daemon");
		else if (rc == -ECONNRESET || rc == -ECANCELED)
			buf_printf(&p->errs, "error: %s exited during the commit",
			    sub ? sub->name : "a daemon");
		else
			buf_puts(&p->errs, msg ? msg : "error: prepare failed");
	}
	free(pc);
	if (--p->pending == 0)
		prep_done(p);
}

/* Does diff touch any of sub's subtrees? */
static bool
touches(const struct sub *sub, const struct lyd_node *diff)
{
	const struct lyd_node *top;
	char key[256];
	size_t i;

	LY_LIST_FOR(diff, top)
	{
		snprintf(key, sizeof(key), "%s:%s", top->schema->module->name, top->schema->name);
		for (i = 0; i < sub->nsub; i++)
			if (!strcmp(sub->subtrees[i], key))
				return true;
	}
	return false;
}

void
mgd_subs_prepare(struct mgd *m, uint64_t txid, const struct lyd_node *diff,
    const struct lyd_node *data, bool check, prep_cb cb, void *arg)
{
	struct prep *p = calloc(1, sizeof(*p));
	struct prep_call *pc;
	struct lyd_node *rpc;
	struct sub *sub;
	char *json;
	int rc;

	if (!p) {
		cb(m, arg, -ENOMEM, "error: out of memory");
		return;
	}
	p->m = m;
	p->txid = txid;
	p->cb = cb;
	p->arg = arg;
	p->pending = 1; /* held while sending */
	for (sub = m->subs; sub; sub = sub->next) {
		sub->state = SUB_IDLE;
		if (!sub->synced || !sub->s->conn)
			continue;
		/* a large change goes as the whole new configuration (full) */
		if (data && !touches(sub, diff))
			continue;
		json = slice_json(sub, data ? data : diff, &rc);
		if (data && !json && rc == 0) {
			json = strdup("{}"); /* all of its configuration went */
			if (!json)
				rc = -ENOMEM;
		}
		if (!json) {
			if (rc < 0)
				p->rc = rc;
			continue;
		}
		rpc = mk_rpc(m, "config-prepare", txid);
		pc = calloc(1, sizeof(*pc));
		if (!rpc || !pc || lyd_new_term(rpc, NULL, "diff", json, 0, NULL) != LY_SUCCESS ||
		    (data && lyd_new_term(rpc, NULL, "full", NULL, 0, NULL) != LY_SUCCESS) ||
		    (check && lyd_new_term(rpc, NULL, "check-only", NULL, 0, NULL) != LY_SUCCESS)) {
			free(json);
			free(pc);
			lyd_free_all(rpc);
			p->rc = -ENOMEM;
			continue;
		}
		free(json);
		pc->p = p;
		pc->sub = sub;
		sub->txid = txid;
		sub->state = SUB_PREPARING;
		if (ipc_conn_call(sub->s->conn, rpc, MGD_PREPARE_TIMEOUT_MS, prepare_reply, pc) ==
		    0) {
			p->pending++;
		} else {
			sub->state = SUB_FAILED;
			p->rc = -EINVAL;
			buf_printf(&p->errs, "error: cannot reach %s", sub->name);
			free(pc);
		}
		lyd_free_all(rpc);
	}
	if (--p->pending == 0)
		prep_done(p);
}

static void
finish_reply(void *arg, int rc, struct lyd_node *reply, const char *msg)
{
	struct prep_call *pc = arg;
	struct prep *p = pc->p;
	struct sub *sub = sub_alive(p->m, pc->sub);

	lyd_free_all(reply);
	if (sub) {
		sub->state = SUB_IDLE;
		if (rc < 0) {
			/* a daemon that misses an apply must resynchronise */
			log_warnx(LOG_CFG, "%s: %s (transaction %" PRIu64 "); disconnecting it",
			    sub->name, msg ? msg : strerror(-rc), p->txid);
			sub->synced = false;
			if (sub->s->conn && rc != -ECONNRESET && rc != -ECANCELED)
				ipc_conn_free(sub->s->conn);
		}
	}
	free(pc);
	if (--p->pending == 0)
		prep_done(p);
}

void
mgd_subs_finish(struct mgd *m, uint64_t txid, bool apply, prep_cb cb, void *arg)
{
	struct prep *p = calloc(1, sizeof(*p));
	struct prep_call *pc;
	struct lyd_node *rpc;
	struct sub *sub, *next;

	if (!p) {
		cb(m, arg, -ENOMEM, NULL);
		return;
	}
	p->m = m;
	p->txid = txid;
	p->cb = cb;
	p->arg = arg;
	p->pending = 1;
	for (sub = m->subs; sub; sub = next) {
		next = sub->next;
		if (sub->state != SUB_PREPARED || sub->txid != txid || !sub->s->conn) {
			sub->state = SUB_IDLE;
			continue;
		}
		rpc = mk_rpc(m, apply ? "config-apply" : "config-abort", txid);
		pc = calloc(1, sizeof(*pc));
		if (!rpc || !pc) {
			free(pc);
			lyd_free_all(rpc);
			continue;
		}
		pc->p = p;
		pc->sub = sub;
		if (ipc_conn_call(sub->s->conn, rpc,
		        apply ? MGD_APPLY_TIMEOUT_MS : MGD_PREPARE_TIMEOUT_MS, finish_reply,
		        pc) == 0)
			p->pending++;
		else
			free(pc);
		lyd_free_all(rpc);
	}
	if (--p->pending == 0)
		prep_done(p);
}

/* ---- subscription and resynchronisation ---- */

struct resync {
	struct sub *sub;
	uint64_t txid;
};

static void
resync_applied(struct mgd *m, void *arg, int rc, const char *msg)
{
	struct resync *r = arg;
	struct sub *sub = sub_alive(m, r->sub);

	(void)msg;
	if (sub && rc == 0 && sub->s->conn)
		log_info(LOG_CFG, "%s: synchronised at commit %" PRIu64, sub->name, m->seq);
	free(r);
	m->busy = false;
	mgd_jobs_resume(m);
}

static void
resync_prepared(struct mgd *m, void *arg, int rc, const char *msg)
{
	struct resync *r = arg;
	struct sub *sub = sub_alive(m, r->sub);

	if (rc < 0 && sub) {
		log_warnx(LOG_CFG, "%s rejects the running configuration:\n%s", sub->name,
		    msg ? msg : "");
		sub->synced = false;
		mgd_subs_finish(m, r->txid, false, resync_applied, r);
		if (sub->s->conn)
			ipc_conn_free(sub->s->conn);
		return;
	}
	if (sub)
		sub->synced = true;
	mgd_subs_finish(m, r->txid, true, resync_applied, r);
}

/* Prepare+apply of the whole running configuration to one daemon. */
static void
resync(struct mgd *m, struct sub *sub)
{
	struct resync *r = calloc(1, sizeof(*r));
	struct lyd_node *rpc = NULL;
	struct prep_call *pc = NULL;
	struct prep *p = NULL;
	char *json = NULL;
	int rc;

	if (!r)
		goto fail;
	r->sub = sub;
	r->txid = ++m->next_tx;
	/* the whole configuration, as plain data */
	json = slice_json(sub, m->running, &rc);
	if (rc < 0)
		goto fail;
	rpc = mk_rpc(m, "config-prepare", r->txid);
	p = calloc(1, sizeof(*p));
	pc = calloc(1, sizeof(*pc));
	if (!rpc || !p || !pc || lyd_new_term(rpc, NULL, "full", NULL, 0, NULL) != LY_SUCCESS ||
	    lyd_new_term(rpc, NULL, "diff", json ? json : "{}", 0, NULL) != LY_SUCCESS)
		goto fail;
	free(json);
	json = NULL;
	p->m = m;
	p->txid = r->txid;
	p->cb = resync_prepared;
	p->arg = r;
	p->pending = 1;
	pc->p = p;
	pc->sub = sub;
	sub->txid = r->txid;
	sub->state = SUB_PREPARING;
	sub->synced = false;
	m->busy = true;
	if (ipc_conn_call(sub->s->conn, rpc, MGD_PREPARE_TIMEOUT_MS, prepare_reply, pc) < 0) {
		m->busy = false;
		goto fail;
	}
	lyd_free_all(rpc);
	return;
fail:
	log_warnx(LOG_CFG, "%s: cannot resynchronise", sub->name);
	free(json);
	free(pc);
	free(p);
	free(r);
	lyd_free_all(rpc);
	if (sub->s->conn)
		ipc_conn_free(sub->s->conn);
}

int
mgd_sub_subscribe(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	struct sub *sub, *other;
	struct lyd_node *reply;
	const char *name = ipc_leaf_str(rpc, "daemon");
	size_t i;
	char msg[512];

	if (s->sub) {
		mgd_reply_err(s, id, -EEXIST, "error: already subscribed");
		return 0;
	}
	sub = calloc(1, sizeof(*sub));
	if (!sub || collect(rpc, "subtree", &sub->subtrees, &sub->nsub) < 0 ||
	    collect(rpc, "rpc", &sub->rpcs, &sub->nrpc) < 0) {
		sub_free(sub);
		mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
		return 0;
	}
	snprintf(sub->name, sizeof(sub->name), "%s", name ? name : "daemon");
	for (i = 0; i < sub->nrpc; i++) {
		other = rpc_owner(m, sub->rpcs[i]);
		if (other) {
			snprintf(msg, sizeof(msg), "error: %s is already served by %s",
			    sub->rpcs[i], other->name);
			sub_free(sub);
			mgd_reply_err(s, id, -EEXIST, msg);
			return 0;
		}
	}
	sub->m = m;
	sub->s = s;
	s->sub = sub;
	sub->next = m->subs;
	m->subs = sub;
	log_info(
	    LOG_CFG, "%s subscribed (%zu subtrees, %zu rpcs)", sub->name, sub->nsub, sub->nrpc);
	reply = ipc_reply_new(rpc);
	if (reply)
		ipc_conn_reply(s->conn, id, reply);
	lyd_free_all(reply);
	resync(m, sub);
	return 0;
}

void
mgd_sub_gone(struct sess *s)
{
	struct sub **pp, *sub = s->sub;

	if (!sub)
		return;
	for (pp = &s->m->subs; *pp; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	log_info(LOG_CFG, "%s unsubscribed", sub->name);
	s->sub = NULL;
	sub_free(sub);
}

/* ---- operational RPCs ---- */

struct route {
	struct sess *client;
	uint32_t id;
};

/* The daemon's answer goes to the client as it came (not parsed here: a
 * large show output would cost mgd a parse, a validation and a print; the
 * client parses and validates it). */
static void
route_reply(void *arg, int rc, const uint8_t *reply, size_t len, const char *msg)
{
	struct route *r = arg;

	if (r->client->conn) {
		if (rc == 0)
			ipc_conn_reply_raw(r->client->conn, r->id, reply, len);
		else if (rc == -ETIMEDOUT)
			ipc_conn_reply_error(r->client->conn, r->id, ETIMEDOUT,
			    "error: the daemon did not answer in time");
		else if (rc == -ECONNRESET || rc == -ECANCELED)
			ipc_conn_reply_error(r->client->conn, r->id, ECONNRESET,
			    "error: the daemon exited before it answered");
		else
			ipc_conn_reply_error(r->client->conn, r->id, -rc, msg ? msg : "error");
	}
	mgd_sess_put(r->client);
	free(r);
}

void
mgd_sub_route(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	char key[256], msg[512];
	const char *d;
	struct route *r;
	struct sub *sub;

	snprintf(key, sizeof(key), "%s:%s", rpc->schema->module->name, rpc->schema->name);
	sub = rpc_owner(m, key);
	if (!sub || !sub->s->conn) {
		struct sub *it;

		d = daemon_for(m, rpc->schema->module->name);
		for (it = m->subs; d && it; it = it->next)
			if (!strcmp(it->name, d))
				break;
		if (d && it)
			snprintf(msg, sizeof(msg), "error: %s does not serve %s", d, key);
		else if (d)
			snprintf(msg, sizeof(msg), "error: %s is not running", d);
		else
			snprintf(msg, sizeof(msg), "error: no daemon serves %s", key);
		mgd_reply_err(s, id, -EHOSTUNREACH, msg);
		lyd_free_all(rpc);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
		lyd_free_all(rpc);
		return;
	}
	r->client = s;
	r->id = id;
	s->refs++;
	if (ipc_conn_call_raw(sub->s->conn, rpc, MGD_RPC_TIMEOUT_MS, route_reply, r) < 0) {
		mgd_reply_err(s, id, -EHOSTUNREACH, "error: the daemon cannot be reached");
		mgd_sess_put(s);
		free(r);
	}
	lyd_free_all(rpc);
}
