/* SPDX-License-Identifier: MIT */
/*
 * mgd_sess: management sessions, their authorization and the cairn-mgmt
 * RPCs.
 *
 * A connection is a session after session-start. Its user comes from
 * the peer's credentials (SO_PEERCRED): uid → passwd name → `system
 * login user NAME class`; uid 0 is root, super-user, and may act as a
 * configured login user (session-start `user`). Every RPC carries a
 * minimum class (cairn-extensions:min-class; super-user without it).
 *
 * cairn-mgmt requests run one at a time through a queue: a commit that
 * waits for daemons holds it, and edits that arrive meanwhile wait
 * their turn. Operational RPCs of the daemons are routed at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "histrec.h"
#include "ipc_msg.h"
#include "log.h"
#include "mgd.h"
#include "xwalk.h"
#include "ydiff.h"
#include "banned.h"

static void sess_request(struct ipc_conn *c, uint32_t id, struct lyd_node *rpc, void *arg);
static void sess_closed(struct ipc_conn *c, void *arg);
static const struct lyd_node *sess_dep(void *arg);

static const struct ipc_conn_ops sess_ops = {
	.request = sess_request,
	.closed = sess_closed,
	.dep_tree = sess_dep,
};

static const char *class_names[] = { "unauthorized", "read-only", "operator", "super-user" };

const char *
mgd_class_name(enum mgd_class c)
{
	return class_names[c];
}

static enum mgd_class
class_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (s && !strcmp(s, class_names[i]))
			return (enum mgd_class)i;
	return CLASS_UNAUTHORIZED;
}

/* The configured class of a login user, from running; -1 if not configured. */
static int
login_class(const struct mgd *m, const char *user)
{
	char path[256];
	struct lyd_node *n = NULL;

	if (!m->running || strchr(user, '\'') || strlen(user) > 64)
		return -1;
	snprintf(path, sizeof(path), "/cairn-system:system/login/user[name='%s']/class", user);
	if (lyd_find_path(m->running, path, 0, &n) != LY_SUCCESS || !n) {
		ly_err_clean(m->ctx, NULL);
		return -1;
	}
	return (int)class_parse(lyd_get_value(n));
}

enum mgd_class
mgd_class_of(const struct mgd *m, const char *user)
{
	int c;

	if (!strcmp(user, "root"))
		return CLASS_SUPER_USER;
	c = login_class(m, user);
	return c < 0 ? CLASS_UNAUTHORIZED : (enum mgd_class)c;
}

static enum mgd_class
rpc_min_class(const struct lysc_node *rpc)
{
	LY_ARRAY_COUNT_TYPE u;

	LY_ARRAY_FOR(rpc->exts, u)
	{
		if (!strcmp(rpc->exts[u].def->name, "min-class") &&
		    !strcmp(rpc->exts[u].def->module->name, "cairn-extensions"))
			return class_parse(rpc->exts[u].argument);
	}
	return CLASS_SUPER_USER;
}

static void
fmt_time(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
mgd_reply_err(struct sess *s, uint32_t id, int rc, const char *msg)
{
	if (s->conn)
		ipc_conn_reply_error(s->conn, id, rc < 0 ? -rc : (rc ? rc : EINVAL), msg);
}

static void
reply(struct sess *s, uint32_t id, struct lyd_node *out)
{
	if (s->conn && out)
		ipc_conn_reply(s->conn, id, out);
	else if (!out)
		mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
	lyd_free_all(out);
}

static void
reply_empty(struct sess *s, uint32_t id, const struct lyd_node *rpc)
{
	reply(s, id, ipc_reply_new(rpc));
}

/* ---- sessions ---- */

int
mgd_sess_accept(struct mgd *m, int fd)
{
	struct sess *s = calloc(1, sizeof(*s));

	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->m = m;
	s->refs = 1;
	s->conn = ipc_conn_new(m->base, m->ctx, fd, &sess_ops, s);
	if (!s->conn) {
		free(s);
		return -ENOMEM;
	}
	s->uid = ipc_conn_peer_uid(s->conn);
	s->pid = (uint32_t)ipc_conn_peer_pid(s->conn);
	s->id = ++m->next_sess;
	s->since = s->last = time(NULL);
	s->next = m->sessions;
	m->sessions = s;
	return 0;
}

void
mgd_sess_put(struct sess *s)
{
	struct sess **pp;

	if (--s->refs > 0)
		return;
	for (pp = &s->m->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->priv) {
		cand_fini(s->priv);
		free(s->priv);
	}
	free(s->edit_path);
	free(s);
}

static void leave_config(struct sess *s);

static void
sess_closed(struct ipc_conn *c, void *arg)
{
	struct sess *s = arg;

	(void)c;
	s->conn = NULL;
	mgd_sub_gone(s);
	if (s->mode != MODE_NONE)
		leave_config(s);
	mgd_sess_put(s);
}

static const struct lyd_node *
sess_dep(void *arg)
{
	struct sess *s = arg;

	return s->m->running;
}

void
mgd_broadcast(struct mgd *m, const char *text)
{
	const struct lys_module *mod = ly_ctx_get_module_implemented(m->ctx, "cairn-mgmt");
	struct lyd_node *n = NULL;
	struct sess *s;

	if (!mod || lyd_new_inner(NULL, mod, "message", 0, &n) != LY_SUCCESS ||
	    lyd_new_term(n, NULL, "text", text, 0, NULL) != LY_SUCCESS) {
		lyd_free_all(n);
		return;
	}
	for (s = m->sessions; s; s = s->next)
		if (s->conn && s->started && !s->sub)
			ipc_conn_notify(s->conn, n);
	lyd_free_all(n);
}

/* "user terminal tty (pid N) on since T, idle HH:MM:SS" lines */
static void
describe(const struct sess *s, struct buf *b)
{
	char since[64];
	struct tm tm;
	time_t now = time(NULL);
	long idle = (long)(now - s->last);

	localtime_r(&s->mode_since, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S %Z", &tm);
	buf_printf(b, "  %s terminal %s (pid %u) on since %s, idle %02ld:%02ld:%02ld\n", s->user,
	    s->tty[0] ? s->tty : "-", s->pid, since, idle / 3600, idle / 60 % 60, idle % 60);
	buf_printf(b, "  %s[edit%s%s]", s->mode == MODE_EXCLUSIVE ? "exclusive " : "",
	    s->edit_path && *s->edit_path ? " " : "", s->edit_path ? s->edit_path : "");
}

static int
locked_err(struct sess *s, uint32_t id)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "error: configuration database locked by:\n");
	describe(s->m->excl, &b);
	mgd_reply_err(s, id, -EBUSY, buf_str(&b));
	buf_free(&b);
	return -EBUSY;
}

static void
add_users(struct mgd *m, struct lyd_node *out, const struct sess *except)
{
	struct lyd_node *u;
	struct sess *s;
	char v[64];
	static const char *modes[] = { "shared", "shared", "exclusive", "private" };

	for (s = m->sessions; s; s = s->next) {
		if (s == except || s->mode == MODE_NONE || !s->conn)
			continue;
		snprintf(v, sizeof(v), "%u", s->id);
		if (lyd_new_list(out, NULL, "user", 1, &u, v) != LY_SUCCESS)
			continue;
		lyd_new_term(u, NULL, "user", s->user, 1, NULL);
		lyd_new_term(u, NULL, "client", s->client, 1, NULL);
		if (s->tty[0])
			lyd_new_term(u, NULL, "tty", s->tty, 1, NULL);
		snprintf(v, sizeof(v), "%u", s->pid);
		lyd_new_term(u, NULL, "pid", v, 1, NULL);
		fmt_time(s->mode_since, v, sizeof(v));
		lyd_new_term(u, NULL, "since", v, 1, NULL);
		snprintf(v, sizeof(v), "%ld", (long)(time(NULL) - s->last));
		lyd_new_term(u, NULL, "idle-seconds", v, 1, NULL);
		lyd_new_term(u, NULL, "mode", modes[s->mode], 1, NULL);
		lyd_new_term(u, NULL, "edit-path", s->edit_path ? s->edit_path : "", 1, NULL);
	}
}

static struct cand *
sess_cand(struct sess *s)
{
	return s->mode == MODE_PRIVATE ? s->priv : &s->m->shared;
}

static void
leave_config(struct sess *s)
{
	struct mgd *m = s->m;
	struct errbuf err = { .msg = "" };

	errbuf_clear(&err);
	if (s->mode == MODE_EXCLUSIVE) {
		/* Junos: exclusive changes never outlive the session */
		if (m->shared.changed && cand_discard(m, &m->shared, &err) < 0)
			log_warnx(LOG_CFG, "discarding %s's changes: %s", s->user, err.msg);
		if (m->excl == s)
			m->excl = NULL;
	} else if (s->mode == MODE_PRIVATE && s->priv) {
		cand_fini(s->priv);
		free(s->priv);
		s->priv = NULL;
	}
	s->mode = MODE_NONE;
	free(s->edit_path);
	s->edit_path = NULL;
}

/* May this session change its candidate now? */
static int
may_edit(struct sess *s, uint32_t id)
{
	if (s->mode == MODE_NONE) {
		mgd_reply_err(s, id, -EPERM, "error: not in configuration mode");
		return -EPERM;
	}
	if (s->mode != MODE_PRIVATE && s->m->excl && s->m->excl != s)
		return locked_err(s, id);
	return 0;
}

/* ---- the RPCs ---- */

static void
h_session_start(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	const char *user = ipc_leaf_str(rpc, "user"), *v;
	struct passwd pw, *res = NULL;
	struct lyd_node *out, *hn = NULL;
	char pwbuf[4096], num[32], msg[256];
	int cls;

	if (s->started) {
		mgd_reply_err(s, id, -EALREADY, "error: session already started");
		return;
	}
	if (s->uid == 0) {
		if (user && strcmp(user, "root")) {
			cls = login_class(m, user);
			if (cls < 0) {
				snprintf(msg, sizeof(msg),
				    "error: no login user '%s' is configured", user);
				mgd_reply_err(s, id, -EACCES, msg);
				return;
			}
			snprintf(s->user, sizeof(s->user), "%s", user);
			s->cls = (enum mgd_class)cls;
		} else {
			snprintf(s->user, sizeof(s->user), "root");
			s->cls = CLASS_SUPER_USER;
		}
	} else {
		if (user) {
			mgd_reply_err(s, id, -EPERM, "error: only root may act as another user");
			return;
		}
		if (getpwuid_r(s->uid, &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res)
			snprintf(s->user, sizeof(s->user), "uid%u", (unsigned)s->uid);
		else
			snprintf(s->user, sizeof(s->user), "%s", pw.pw_name);
		cls = login_class(m, s->user);
		s->cls = cls < 0 ? CLASS_UNAUTHORIZED : (enum mgd_class)cls;
		if (s->cls == CLASS_UNAUTHORIZED) {
			snprintf(msg, sizeof(msg), "error: user '%s' is not authorized", s->user);
			mgd_reply_err(s, id, -EACCES, msg);
			return;
		}
	}
	v = ipc_leaf_str(rpc, "client");
	snprintf(s->client, sizeof(s->client), "%s", v ? v : "cli");
	v = ipc_leaf_str(rpc, "tty");
	snprintf(s->tty, sizeof(s->tty), "%s", v ? v : "");
	v = ipc_leaf_str(rpc, "pid");
	if (v)
		s->pid = (uint32_t)strtoul(v, NULL, 10);
	s->started = true;
	out = ipc_reply_new(rpc);
	if (out) {
		snprintf(num, sizeof(num), "%u", s->id);
		ipc_reply_add(out, "session-id", num);
		ipc_reply_add(out, "user", s->user);
		ipc_reply_add(out, "class", mgd_class_name(s->cls));
		if (m->running)
			lyd_find_path(m->running, "/cairn-system:system/host-name", 0, &hn);
		ly_err_clean(m->ctx, NULL);
		ipc_reply_add(out, "host-name", hn ? lyd_get_value(hn) : "cairn");
	}
	reply(s, id, out);
}

static void
h_configure(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	const char *mode = ipc_leaf_str(rpc, "mode");
	struct lyd_node *out;
	struct errbuf err = { .msg = "" };
	struct buf b = BUF_INIT;
	struct sess *o;
	enum cfg_mode want = MODE_SHARED;
	bool warn_discard = false;

	errbuf_clear(&err);
	if (mode && !strcmp(mode, "exclusive"))
		want = MODE_EXCLUSIVE;
	else if (mode && !strcmp(mode, "private"))
		want = MODE_PRIVATE;
	if (s->mode != MODE_NONE && s->mode != want) {
		mgd_reply_err(s, id, -EBUSY, "error: already in configuration mode");
		return;
	}
	if (s->mode == MODE_NONE) {
		if (want == MODE_EXCLUSIVE && m->excl && m->excl != s) {
			locked_err(s, id);
			return;
		}
		if ((want == MODE_EXCLUSIVE || want == MODE_PRIVATE) && m->shared.changed) {
			buf_puts(&b, "error: shared configuration database modified\n"
			             "Users currently editing the configuration:");
			for (o = m->sessions; o; o = o->next) {
				if (o == s || o->mode == MODE_NONE || !o->conn)
					continue;
				buf_putc(&b, '\n');
				describe(o, &b);
			}
			mgd_reply_err(s, id, -EBUSY, buf_str(&b));
			buf_free(&b);
			return;
		}
		if (want == MODE_PRIVATE) {
			s->priv = calloc(1, sizeof(*s->priv));
			if (!s->priv || cand_init_from_running(m, s->priv, &err) < 0) {
				free(s->priv);
				s->priv = NULL;
				mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
				return;
			}
		}
		if (want == MODE_EXCLUSIVE)
			m->excl = s;
		s->mode = want;
		s->mode_since = time(NULL);
		warn_discard = want != MODE_SHARED;
	}
	out = ipc_reply_new(rpc);
	if (out) {
		add_users(m, out, s);
		lyd_new_term(out, NULL, "changed", m->shared.changed ? "true" : "false", 1, NULL);
		if (warn_discard)
			ipc_reply_add(
			    out, "warning", "uncommitted changes will be discarded on exit");
	}
	reply(s, id, out);
}

static void
h_exit_configure(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct lyd_node *out = ipc_reply_new(rpc);
	bool changed = s->mode == MODE_SHARED && s->m->shared.changed;

	if (s->mode == MODE_EXCLUSIVE && s->m->shared.changed && out)
		ipc_reply_add(out, "warning", "discarding uncommitted changes");
	if (s->mode != MODE_NONE)
		leave_config(s);
	if (out)
		lyd_new_term(out, NULL, "changed", changed ? "true" : "false", 1, NULL);
	reply(s, id, out);
}

static void
h_set_edit_path(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	const char *p = ipc_leaf_str(rpc, "path");

	free(s->edit_path);
	s->edit_path = p && *p ? strdup(p) : NULL;
	reply_empty(s, id, rpc);
}

static void
h_edit(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct buf warn = BUF_INIT;
	struct errbuf err = { .msg = "" };
	struct lyd_node *out;
	char *newpath = NULL;

	if (may_edit(s, id) < 0)
		return;
	errbuf_clear(&err);
	if (cand_edit_lines(s->m, sess_cand(s), ipc_leaf_str(rpc, "edit-path"),
	        ipc_leaf_str(rpc, "lines"), &warn, &newpath, &err) < 0) {
		mgd_reply_err(s, id, -EINVAL, err.msg);
		buf_free(&warn);
		return;
	}
	out = ipc_reply_new(rpc);
	if (out && warn.len)
		ipc_reply_add(out, "warning", buf_str(&warn));
	if (out && newpath) {
		ipc_reply_add(out, "edit-path", newpath);
		free(s->edit_path);
		s->edit_path = *newpath ? strdup(newpath) : NULL;
	}
	free(newpath);
	buf_free(&warn);
	reply(s, id, out);
}

static void
h_load(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct buf warn = BUF_INIT;
	struct errbuf err = { .msg = "" };
	struct lyd_node *out;
	const char *action = ipc_leaf_str(rpc, "action"), *format = ipc_leaf_str(rpc, "format");

	if (may_edit(s, id) < 0)
		return;
	errbuf_clear(&err);
	if (!strcmp(action, "set"))
		format = "set";
	if (cand_load_data(s->m, sess_cand(s), action, format ? format : "text",
	        ipc_leaf_str(rpc, "edit-path"), ipc_leaf_str(rpc, "text"), &warn, &err) < 0) {
		mgd_reply_err(s, id, -EINVAL, err.msg);
		buf_free(&warn);
		return;
	}
	out = ipc_reply_new(rpc);
	if (out && warn.len)
		ipc_reply_add(out, "warning", buf_str(&warn));
	buf_free(&warn);
	reply(s, id, out);
}

static void
h_rollback(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	const char *idx = ipc_leaf_str(rpc, "index");
	struct errbuf err = { .msg = "" };

	if (may_edit(s, id) < 0)
		return;
	errbuf_clear(&err);
	if (cand_rollback(s->m, sess_cand(s), idx ? (unsigned)atoi(idx) : 0, &err) < 0) {
		mgd_reply_err(s, id, -EINVAL, err.msg);
		return;
	}
	reply_empty(s, id, rpc);
}

static void
h_discard(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct errbuf err = { .msg = "" };

	if (may_edit(s, id) < 0)
		return;
	errbuf_clear(&err);
	if (cand_discard(s->m, sess_cand(s), &err) < 0) {
		mgd_reply_err(s, id, -EINVAL, err.msg);
		return;
	}
	reply_empty(s, id, rpc);
}

struct commit_ctx {
	struct sess *s;
	uint32_t id;
	struct lyd_node *rpc;
	bool check;
};

static void
commit_done(struct mgd *m, void *arg, int rc, const char *msg, uint64_t seq)
{
	struct commit_ctx *cc = arg;
	struct lyd_node *out;
	char num[32];

	(void)m;
	if (rc < 0) {
		mgd_reply_err(cc->s, cc->id, rc, msg);
	} else {
		out = ipc_reply_new(cc->rpc);
		if (out) {
			if (msg && *msg)
				ipc_reply_add(out, "message", msg);
			if (cc->check)
				ipc_reply_add(out, "message", "configuration check succeeds");
			snprintf(num, sizeof(num), "%" PRIu64, seq);
			ipc_reply_add(out, "sequence", num);
		}
		reply(cc->s, cc->id, out);
	}
	lyd_free_all(cc->rpc);
	mgd_sess_put(cc->s);
	free(cc);
}

static void
h_commit(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	struct commit_req req;
	struct commit_ctx *cc;
	const char *confirmed = ipc_leaf_str(rpc, "confirmed"), *client;

	if (s->mode == MODE_NONE) {
		mgd_reply_err(s, id, -EPERM, "error: not in configuration mode");
		return;
	}
	if (m->excl && m->excl != s) {
		locked_err(s, id);
		return;
	}
	if (s->mode == MODE_PRIVATE && confirmed) {
		mgd_reply_err(
		    s, id, -EINVAL, "error: 'commit confirmed' is not supported in private mode");
		return;
	}
	cc = calloc(1, sizeof(*cc));
	if (!cc || lyd_dup_single(rpc, NULL, 0, &cc->rpc) != LY_SUCCESS) {
		free(cc);
		mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
		return;
	}
	cc->s = s;
	cc->id = id;
	cc->check = ipc_has_child(rpc, "check");
	s->refs++;
	memset(&req, 0, sizeof(req));
	req.s = s;
	req.id = id;
	req.cand = sess_cand(s);
	req.check = cc->check;
	req.confirm_min = confirmed ? (unsigned)atoi(confirmed) : 0;
	req.comment = ipc_leaf_str(rpc, "comment");
	client = ipc_leaf_str(rpc, "client");
	req.client = client ? client : s->client;
	req.user = s->user;
	req.done = commit_done;
	req.arg = cc;
	mgd_commit(m, &req);
}

/* The subtree at xpath (NULL: all) of tree, printed by libyang. */
static int
print_xpath(struct mgd *m, const struct lyd_node *tree, const char *xpath, LYD_FORMAT f,
    struct buf *out, struct errbuf *err)
{
	struct ly_set *set = NULL;
	struct lyd_node *sub = NULL, *dup;
	char *text = NULL;
	uint32_t i;
	int rc = 0;

	if (tree && lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS) {
		rc = errbuf_set(err, -EINVAL, "error: %s", ly_errmsg(m->ctx));
		ly_err_clean(m->ctx, NULL);
		return rc;
	}
	for (i = 0; set && i < set->count; i++) {
		if (lyd_dup_single(set->dnodes[i], NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS,
		        &dup) != LY_SUCCESS)
			continue;
		while (lyd_parent(dup))
			dup = lyd_parent(dup);
		if (!sub)
			sub = dup;
		else
			lyd_merge_siblings(&sub, dup, LYD_MERGE_DESTRUCT);
	}
	ly_set_free(set, NULL);
	if (sub && lyd_print_mem(&text, sub, f, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS)
		rc = errbuf_set(err, -ENOMEM, "error: cannot print the configuration");
	if (text)
		buf_puts(out, text);
	free(text);
	lyd_free_all(sub);
	return rc;
}

static unsigned
print_flags(const struct sess *s)
{
	/* only super-users see secrets, even encrypted */
	return s->cls < CLASS_SUPER_USER ? CFG_PRINT_MASK_SECRETS : 0;
}

static int
parse_format(const char *format, enum cfg_format *f)
{
	if (!format || !strcmp(format, "text"))
		*f = CFG_FMT_TEXT;
	else if (!strcmp(format, "set"))
		*f = CFG_FMT_SET;
	else if (!strcmp(format, "json"))
		*f = CFG_FMT_JSON;
	else if (!strcmp(format, "xml"))
		*f = CFG_FMT_XML;
	else
		return -EINVAL;
	return 0;
}

/* "at 1:C" for a path error (the column in path), as for edit. */
static int
path_err(struct errbuf *err, const struct cfg_errpos *pos, const struct errbuf *e, int rc)
{
	return errbuf_set(err, rc, "at 1:%u\n%s", pos->col, e->msg);
}

static void
last_commit_line(struct mgd *m, char *out, size_t len)
{
	const struct hist_entry *e = mgd_hist_get(m, 0);
	struct tm tm;
	time_t t;
	char when[64];

	out[0] = '\0';
	if (!e)
		return;
	t = (time_t)e->time;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	snprintf(out, len, "## Last commit: %s by %s", when, e->user);
}

static void
h_get_configuration(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	const char *ds = ipc_leaf_str(rpc, "datastore"), *rb = ipc_leaf_str(rpc, "rollback");
	const char *xpath = ipc_leaf_str(rpc, "xpath"), *path = ipc_leaf_str(rpc, "path");
	struct lyd_node *tree = NULL, *out;
	const struct lyd_node *src;
	struct cfg_errpos pos = { 0, 0 };
	struct buf text = BUF_INIT;
	struct errbuf err = { .msg = "" }, e2 = { .msg = "" };
	enum cfg_format f;
	char line[256];
	int rc;

	errbuf_clear(&err);
	errbuf_clear(&e2);
	if (parse_format(ipc_leaf_str(rpc, "format"), &f) < 0) {
		mgd_reply_err(s, id, -EINVAL, "error: unknown format");
		return;
	}
	if (rb) {
		if (mgd_config_at(m, (unsigned)atoi(rb), &tree, &err) < 0) {
			mgd_reply_err(s, id, -ENOENT, err.msg);
			return;
		}
		src = tree;
	} else if (ds && !strcmp(ds, "candidate")) {
		if (s->mode == MODE_NONE) {
			mgd_reply_err(s, id, -EPERM, "error: not in configuration mode");
			return;
		}
		src = cand_get(m, sess_cand(s));
	} else {
		src = m->running;
	}
	if (xpath && !path && (f == CFG_FMT_JSON || f == CFG_FMT_XML)) {
		rc =
		    print_xpath(m, src, xpath, f == CFG_FMT_JSON ? LYD_JSON : LYD_XML, &text, &err);
	} else {
		rc = cfg_print(m->schema, src, ipc_leaf_str(rpc, "edit-path"), path,
		    path ? strlen(path) : 0, f, print_flags(s), &text, &pos, &e2);
		if (rc < 0)
			path_err(&err, &pos, &e2, rc);
	}
	if (rc < 0) {
		mgd_reply_err(s, id, rc, err.msg);
		lyd_free_all(tree);
		buf_free(&text);
		return;
	}
	out = ipc_reply_new(rpc);
	if (out) {
		ipc_reply_add(out, "data", buf_str(&text));
		last_commit_line(m, line, sizeof(line));
		if (line[0] && !rb && !(ds && !strcmp(ds, "candidate")))
			ipc_reply_add(out, "last-commit", line);
	}
	buf_free(&text);
	lyd_free_all(tree);
	reply(s, id, out);
}

static void
h_compare(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	const char *base = ipc_leaf_str(rpc, "base-rollback"),
	           *tgt = ipc_leaf_str(rpc, "target-rollback");
	const char *path = ipc_leaf_str(rpc, "path");
	struct lyd_node *oldt = NULL, *newt = NULL, *out;
	const struct lyd_node *o, *n;
	struct cfg_errpos pos = { 0, 0 };
	struct buf text = BUF_INIT;
	struct errbuf err = { .msg = "" }, e2 = { .msg = "" };
	int rc;

	errbuf_clear(&err);
	errbuf_clear(&e2);
	if (!tgt && s->mode == MODE_NONE) {
		mgd_reply_err(s, id, -EPERM, "error: not in configuration mode");
		return;
	}
	if (base && atoi(base) > 0) {
		if (mgd_config_at(m, (unsigned)atoi(base), &oldt, &err) < 0) {
			mgd_reply_err(s, id, -ENOENT, err.msg);
			return;
		}
		o = oldt;
	} else {
		o = m->running;
	}
	if (tgt) {
		if (atoi(tgt) > 0 && mgd_config_at(m, (unsigned)atoi(tgt), &newt, &err) < 0) {
			lyd_free_all(oldt);
			mgd_reply_err(s, id, -ENOENT, err.msg);
			return;
		}
		n = atoi(tgt) > 0 ? newt : m->running;
	} else {
		n = cand_get(m, sess_cand(s));
	}
	rc = cfg_compare(m->schema, o, n, ipc_leaf_str(rpc, "edit-path"), path,
	    path ? strlen(path) : 0, print_flags(s), &text, &pos, &e2);
	lyd_free_all(oldt);
	lyd_free_all(newt);
	if (rc < 0) {
		path_err(&err, &pos, &e2, rc);
		mgd_reply_err(s, id, rc, err.msg);
		buf_free(&text);
		return;
	}
	out = ipc_reply_new(rpc);
	if (out)
		ipc_reply_add(out, "diff", buf_str(&text));
	buf_free(&text);
	reply(s, id, out);
}

static void
h_get_commit_history(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	const struct hist_entry *e;
	struct lyd_node *out = ipc_reply_new(rpc), *c;
	char v[64];
	unsigned i;

	for (i = 0; out && (e = mgd_hist_get(m, i)) != NULL; i++) {
		snprintf(v, sizeof(v), "%u", i);
		if (lyd_new_list(out, NULL, "commit", 1, &c, v) != LY_SUCCESS)
			break;
		snprintf(v, sizeof(v), "%" PRIu64, e->seq);
		lyd_new_term(c, NULL, "sequence", v, 1, NULL);
		fmt_time((time_t)e->time, v, sizeof(v));
		lyd_new_term(c, NULL, "time", v, 1, NULL);
		lyd_new_term(c, NULL, "user", e->user, 1, NULL);
		lyd_new_term(c, NULL, "client", e->client, 1, NULL);
		if (e->comment)
			lyd_new_term(c, NULL, "comment", e->comment, 1, NULL);
		if (e->flags & HRF_CONFIRMED)
			lyd_new_term(c, NULL, "confirmed", NULL, 1, NULL);
		if (e->flags & HRF_AUTO_ROLLBACK)
			lyd_new_term(c, NULL, "rollback-of-confirmed", NULL, 1, NULL);
	}
	if (out && m->confirm.pending) {
		fmt_time(m->confirm.deadline, v, sizeof(v));
		lyd_new_term(out, NULL, "confirm-deadline", v, 1, NULL);
	}
	reply(s, id, out);
}

static void
h_status(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct lyd_node *out = ipc_reply_new(rpc);

	if (out) {
		add_users(s->m, out, NULL);
		lyd_new_term(
		    out, NULL, "changed", s->m->shared.changed ? "true" : "false", 1, NULL);
	}
	reply(s, id, out);
}

struct comp_out {
	struct lyd_node *out;
	struct buf *joined; /* NULL: the leaf-list */
};

static int
comp_add(void *arg, const char *v)
{
	struct comp_out *co = arg;

	if (!co->joined)
		return ipc_reply_add(co->out, "value", v) < 0 ? -ENOMEM : 0;
	if (!strchr(v, '\n')) {
		buf_puts(co->joined, v);
		buf_putc(co->joined, '\n');
	}
	return buf_failed(co->joined) ? -ENOMEM : 0;
}

/*
 * The values an xpath selects (completion of list keys and leafref
 * targets). A plain data path is walked directly (xwalk: hash lookups, no
 * node set); anything else goes to lyd_find_xpath().
 */
static void
h_complete(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	struct mgd *m = s->m;
	const char *ds = ipc_leaf_str(rpc, "datastore");
	const char *xpath = ipc_leaf_str(rpc, "xpath");
	const struct lyd_node *tree = m->running;
	struct lyd_node *out, *n, *jl = NULL;
	struct ly_set *set = NULL;
	struct buf joined = BUF_INIT;
	struct comp_out co;
	uint32_t i;
	int rc = 0;

	if (ds && !strcmp(ds, "candidate") && s->mode != MODE_NONE)
		tree = cand_get(m, sess_cand(s));
	lyd_find_path(rpc, "joined", 0, &jl);
	out = ipc_reply_new(rpc);
	if (!out) {
		mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
		return;
	}
	co.out = out;
	co.joined = jl ? &joined : NULL;
	if (tree)
		rc = xwalk_values(m->ctx, tree, xpath, comp_add, &co);
	if (tree && rc == -ENOTSUP) {
		rc = 0;
		if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS) {
			char msg[512];

			snprintf(msg, sizeof(msg), "error: %s", ly_errmsg(m->ctx));
			ly_err_clean(m->ctx, NULL);
			lyd_free_all(out);
			buf_free(&joined);
			mgd_reply_err(s, id, -EINVAL, msg);
			return;
		}
		for (i = 0; set && i < set->count && rc == 0; i++) {
			n = set->dnodes[i];
			if (n->schema->nodetype & LYD_NODE_TERM)
				rc = comp_add(&co, lyd_get_value(n));
			else if (n->schema->nodetype == LYS_LIST && lyd_child(n))
				rc = comp_add(&co, lyd_get_value(lyd_child(n)));
		}
		ly_set_free(set, NULL);
	}
	if (rc == 0 && co.joined && ipc_reply_add(out, "values", joined.p ? joined.p : "") < 0)
		rc = -ENOMEM;
	buf_free(&joined);
	if (rc < 0) {
		lyd_free_all(out);
		mgd_reply_err(s, id, rc, "error: out of memory");
		return;
	}
	reply(s, id, out);
}

static void
h_subscribe(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	mgd_sub_subscribe(s, id, rpc);
}

static void
h_not_here(struct sess *s, uint32_t id, struct lyd_node *rpc)
{
	(void)rpc;
	mgd_reply_err(s, id, -EOPNOTSUPP, "error: mgd sends this message, it does not take it");
}

static const struct handler {
	const char *name;
	void (*fn)(struct sess *s, uint32_t id, struct lyd_node *rpc);
} handlers[] = {
	{ "session-start", h_session_start },
	{ "configure", h_configure },
	{ "exit-configure", h_exit_configure },
	{ "set-edit-path", h_set_edit_path },
	{ "edit", h_edit },
	{ "load", h_load },
	{ "rollback", h_rollback },
	{ "discard-changes", h_discard },
	{ "commit", h_commit },
	{ "get-configuration", h_get_configuration },
	{ "compare", h_compare },
	{ "get-commit-history", h_get_commit_history },
	{ "status", h_status },
	{ "complete", h_complete },
	{ "subscribe", h_subscribe },
	{ "config-prepare", h_not_here },
	{ "config-apply", h_not_here },
	{ "config-abort", h_not_here },
	{ NULL, NULL },
};

/* Runs one queued request (the session may be gone). */
static void
run_job(struct mgd *m, struct job *j)
{
	const struct handler *h;
	struct sess *s = j->s;

	(void)m;
	if (s->conn) {
		for (h = handlers; h->name; h++) {
			if (!strcmp(h->name, j->rpc->schema->name)) {
				h->fn(s, j->id, j->rpc);
				break;
			}
		}
	}
	lyd_free_all(j->rpc);
	mgd_sess_put(s);
	free(j);
}

void
mgd_jobs_resume(struct mgd *m)
{
	struct job *j;

	while (!m->busy) {
		if (m->confirm_due) {
			mgd_confirm_fire(m);
			continue;
		}
		j = m->jobs;
		if (!j)
			break;
		m->jobs = j->next;
		if (!m->jobs)
			m->jobs_tail = NULL;
		run_job(m, j);
	}
}

static void
sess_request(struct ipc_conn *c, uint32_t id, struct lyd_node *rpc, void *arg)
{
	struct sess *s = arg;
	struct mgd *m = s->m;
	const struct lysc_node *schema = rpc->schema;
	struct job *j;
	bool mgmt = !strcmp(schema->module->name, "cairn-mgmt");

	(void)c;
	s->last = time(NULL);
	if (!s->started && !(mgmt && !strcmp(schema->name, "session-start"))) {
		mgd_reply_err(s, id, -EPERM, "error: no session (session-start first)");
		lyd_free_all(rpc);
		return;
	}
	if (s->started && rpc_min_class(schema) > s->cls) {
		mgd_reply_err(s, id, -EACCES, "error: permission denied");
		lyd_free_all(rpc);
		return;
	}
	if (!mgmt) {
		mgd_sub_route(s, id, rpc);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		mgd_reply_err(s, id, -ENOMEM, "error: out of memory");
		lyd_free_all(rpc);
		return;
	}
	j->s = s;
	j->id = id;
	j->rpc = rpc;
	s->refs++;
	if (m->jobs_tail)
		m->jobs_tail->next = j;
	else
		m->jobs = j;
	m->jobs_tail = j;
	mgd_jobs_resume(m);
}
