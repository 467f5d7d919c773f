/* SPDX-License-Identifier: MIT */
/*
 * mgd_val: validation of a candidate before commit, and libyang's
 * verdict in the Junos layout of reference §2.4:
 *
 *	[edit security ike]
 *	  'gateway gw1'
 *	    Missing mandatory statement: 'ike-policy'
 *	error: commit failed: (missing mandatory statements)
 *
 * Small changes are validated incrementally (sval.c, over the commit's
 * diff); large or unknown ones with lyd_validate_all(). References to
 * interface units (cx:unit-ref, uref.c) are checked after that, over
 * the change or the whole tree alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mgd.h"
#include "sval.h"
#include "uref.h"
#include "ydiff.h"
#include "ywords.h"
#include "banned.h"

int
mgd_val_init(struct mgd *m)
{
	m->sval = sval_new(m->ctx);
	m->uref = uref_new(m->ctx);
	return m->sval && m->uref ? 0 : -ENOMEM;
}

void
mgd_val_fini(struct mgd *m)
{
	sval_free(m->sval);
	m->sval = NULL;
	uref_free(m->uref);
	m->uref = NULL;
}

/* The quoted value in a libyang message: Invalid leafref value "gw9" ... */
static int
quoted(const char *msg, const char *after, char *out, size_t len)
{
	const char *p = strstr(msg, after), *e;

	if (!p)
		return -1;
	p = strchr(p, '"');
	if (!p)
		return -1;
	p++;
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= len)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* "/mod:a/b/c/d" with the last node dropped and the parent path kept. */
static char *
parent_path(const char *path)
{
	char *p = strdup(path), *s;
	int depth = 0;

	if (!p)
		return NULL;
	for (s = p + strlen(p); s > p; s--) {
		if (*s == ']')
			depth++;
		else if (*s == '[')
			depth--;
		else if (*s == '/' && depth == 0)
			break;
	}
	*s = '\0';
	return p;
}

/* Is the last node of "/m:a/b[k='v']/k" a key of its parent entry? */
static bool
is_key_path(const char *path)
{
	const char *last = strrchr(path, '/'), *pred;
	char key[128];
	int n;

	if (!last || last == path || strchr(last, '[') || strlen(last + 1) + 3 > sizeof(key))
		return false;
	n = snprintf(key, sizeof(key), "[%s=", last + 1);
	if (n < 0)
		return false;
	/* the predicates just before the last step */
	for (pred = last; pred > path && pred[-1] == ']';) {
		const char *open = pred - 1;
		int depth = 0;

		while (open > path && !(*open == '[' && depth == 1)) {
			if (*open == ']')
				depth++;
			else if (*open == '[')
				depth--;
			open--;
		}
		if (*open != '[')
			return false;
		if (!strncmp(open, key, (size_t)n))
			return true;
		pred = open;
	}
	return false;
}

/* Words of a leafref target path "/sec:security/sec:ike/sec:gateway/sec:name":
 * the list and its parent, "ike gateway". */
static void
target_words(const char *target, struct buf *out)
{
	const char *seg[16];
	size_t len[16];
	int n = 0, i;
	const char *p = target;

	while (*p == '/' && n < 16) {
		const char *s = ++p, *c;
		p += strcspn(p, "/[");
		c = memchr(s, ':', (size_t)(p - s));
		if (c)
			s = c + 1;
		seg[n] = s;
		len[n++] = (size_t)(p - s);
		while (*p == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				break;
			p = e + 1;
		}
	}
	/* drop the key leaf itself, keep the two levels above it */
	for (i = n - 3 < 0 ? 0 : n - 3; i < n - 1; i++) {
		if (out->len)
			buf_putc(out, ' ');
		buf_append(out, seg[i], len[i]);
	}
}

void
mgd_val_error(struct mgd *m, struct buf *out, bool check, const char *path, const char *msg)
{
	const char *reason = "statements constraint check failed";
	char val[256], name[128], target[512];
	struct buf w = BUF_INIT;
	char *pp;

	if (!msg)
		msg = "invalid configuration";
	if (path && !strncmp(msg, "Mandatory node", 14) &&
	    quoted(msg, "Mandatory node", name, sizeof(name)) == 0) {
		pp = parent_path(path);
		snprintf(val, sizeof(val), "Missing mandatory statement: '%s'", name);
		ywords_error(out, m->ctx, pp && *pp ? pp : path, NULL, val);
		free(pp);
		reason = "missing mandatory statements";
	} else if (path && !strncmp(msg, "Too few", 7) &&
	           quoted(msg, "Too few", name, sizeof(name)) == 0) {
		/* min-elements of a leaf-list or list: as Junos says it */
		pp = parent_path(path);
		snprintf(val, sizeof(val), "Missing mandatory statement: '%s'", name);
		ywords_error(out, m->ctx, pp && *pp ? pp : path, NULL, val);
		free(pp);
		reason = "missing mandatory statements";
	} else if (path && !strncmp(msg, "Mandatory choice", 16) &&
	           quoted(msg, "Mandatory choice", name, sizeof(name)) == 0) {
		snprintf(val, sizeof(val), "Missing mandatory statement: '%s'", name);
		ywords_error(out, m->ctx, path, NULL, val);
		reason = "missing mandatory statements";
	} else if (path && strstr(msg, "leafref") && quoted(msg, "value", val, sizeof(val)) == 0 &&
	           quoted(msg, "target instance", target, sizeof(target)) == 0) {
		target_words(target, &w);
		snprintf(target, sizeof(target), "Referenced %s %s not defined", buf_str(&w), val);
		/* a list key names its entry: 'from-zone trust', not 'name trust' */
		pp = is_key_path(path) ? parent_path(path) : NULL;
		ywords_error(out, m->ctx, pp ? pp : path, pp ? NULL : val, target);
		free(pp);
		reason = "referenced object not defined";
	} else if (path) {
		ywords_error(out, m->ctx, path, NULL, msg);
	} else {
		buf_printf(out, "%s\n", msg);
	}
	buf_free(&w);
	if (check)
		buf_printf(out, "error: configuration check-out failed: (%s)", reason);
	else
		buf_printf(out, "error: commit failed: (%s)", reason);
}

static size_t
diff_size(const struct lyd_node *diff, size_t cap)
{
	const struct lyd_node *top, *n;
	size_t cnt = 0;

	LY_LIST_FOR(diff, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			if (++cnt > cap)
				return cnt;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return cnt;
}

static int
recompute(struct mgd *m, struct cand *c, struct lyd_node **diff)
{
	lyd_free_all(*diff);
	*diff = NULL;
	return cand_diff(m, c, diff);
}

/*
 * Full validation. Its change is computed afterwards, over the whole
 * tree: libyang may have replaced old choice-case data, and asking
 * lyd_validate_all() for its own diff costs more than the validation.
 */
static int
validate_full(
    struct mgd *m, struct cand *c, struct lyd_node **diff, const char **path, const char **msg)
{
	const struct ly_err_item *e;

	if (lyd_validate_all(&c->tree, m->ctx, LYD_VALIDATE_NO_STATE, NULL) != LY_SUCCESS) {
		e = ly_err_last(m->ctx);
		*path = e ? e->path : NULL;
		*msg = e ? e->msg : NULL;
		return -EINVAL;
	}
	c->full_next = false;
	lyd_free_all(*diff);
	*diff = NULL;
	return ydiff_full(m->running, c->tree, diff);
}

/* References to interface units: over the change after an incremental
 * validation, else over the whole tree. */
static int
check_refs(struct mgd *m, struct cand *c, const struct lyd_node *diff, bool incr, bool check,
    struct buf *out)
{
	const char *path, *value, *msg;
	int rc;

	if (!uref_count(m->uref))
		return 0;
	rc = incr ? uref_check_diff(m->uref, c->tree, diff) : uref_check_all(m->uref, c->tree);
	if (incr && m->incremental_check) {
		/* tests: the whole tree must give the same verdict */
		char *p = NULL;
		int rf;

		if (rc == -EINVAL) {
			uref_error(m->uref, &path, &value, &msg);
			p = path ? strdup(path) : NULL;
		}
		rf = uref_check_all(m->uref, c->tree);
		if ((rf == 0) != (rc == 0))
			fatalx(LOG_CFG, "unit references: the change says %s (%s), the tree %s",
			    rc ? "invalid" : "valid", p ? p : "-", rf ? "invalid" : "valid");
		free(p);
		/* the whole tree's error stands for both */
	}
	if (rc != -EINVAL)
		return rc;
	uref_error(m->uref, &path, &value, &msg);
	ywords_error(out, m->ctx, path, value, msg);
	buf_printf(out, "error: %s: (referenced object not defined)",
	    check ? "configuration check-out failed" : "commit failed");
	return rc;
}

int
mgd_validate(struct mgd *m, struct cand *c, struct lyd_node **diff, bool check, struct errbuf *err)
{
	struct buf out = BUF_INIT;
	const char *path = NULL, *msg = NULL;
	char *const *del;
	size_t ndel, i;
	int rc = -EAGAIN;
	bool incr = *diff && !c->t.all && !c->full_next && !m->full_validate &&
	            sval_usable(m->sval) && diff_size(*diff, SVAL_MAX_CHANGES) <= SVAL_MAX_CHANGES;

	ly_err_clean(m->ctx, NULL);
	if (incr) {
		rc = sval_validate(m->sval, &c->tree, *diff);
		if (rc == -ESTALE) {
			ndel = sval_autodeleted(m->sval, &del);
			for (i = 0; i < ndel; i++)
				touched_add(&c->t, del[i]);
			rc = recompute(m, c, diff);
			if (rc == 0)
				rc = sval_validate(m->sval, &c->tree, *diff);
			if (rc == -ESTALE)
				rc = -EAGAIN;
		}
		if (rc == -EINVAL)
			sval_error(m->sval, &path, &msg);
		if (rc != -EAGAIN && m->incremental_check) {
			/* tests: lyd_validate_all() must agree */
			struct lyd_node *copy = NULL;
			bool full_ok;

			lyd_dup_siblings(
			    c->tree, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &copy);
			full_ok = lyd_validate_all(&copy, m->ctx, LYD_VALIDATE_NO_STATE, NULL) ==
			          LY_SUCCESS;
			lyd_free_all(copy);
			ly_err_clean(m->ctx, NULL);
			if (full_ok != (rc == 0))
				fatalx(LOG_CFG, "incremental validation says %s, full says %s",
				    rc ? "invalid" : "valid", full_ok ? "valid" : "invalid");
		}
	}
	if (rc == -EAGAIN) {
		incr = false;
		rc = validate_full(m, c, diff, &path, &msg);
	}
	if (rc == -EINVAL) {
		mgd_val_error(m, &out, check, path, msg);
		errbuf_set(err, -EINVAL, "%s", buf_str(&out));
	} else if (rc == 0) {
		rc = check_refs(m, c, *diff, incr, check, &out);
		if (rc == -EINVAL)
			errbuf_set(err, -EINVAL, "%s", buf_str(&out));
	}
	if (rc < 0 && rc != -EINVAL) {
		errbuf_set(err, rc, "error: commit failed: (%s)", strerror(-rc));
	}
	ly_err_clean(m->ctx, NULL);
	buf_free(&out);
	return rc;
}
