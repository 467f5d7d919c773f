/* SPDX-License-Identifier: MIT */
/*
 * mgd_cand: candidate configurations and their edit logs.
 *
 * A candidate is a validated tree (with implicit defaults) plus the data
 * paths its edits touched since it last equalled running. Diffs, the
 * incremental validation and discarding changes visit only those paths,
 * so their cost follows the size of the change, not of the
 * configuration. Operations whose extent is unknown (load override)
 * mark the whole tree touched.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "mgd.h"
#include "ydiff.h"
#include "banned.h"

void
touched_add(struct touched *t, const char *path)
{
	char **np, *p;

	if (t->all)
		return;
	if (t->n >= TOUCHED_MAX) {
		touched_clear(t);
		t->all = true;
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		np = realloc(t->paths, cap * sizeof(*np));
		if (!np) {
			t->all = true;
			return;
		}
		t->paths = np;
		t->cap = cap;
	}
	p = strdup(path);
	if (!p) {
		t->all = true;
		return;
	}
	t->paths[t->n++] = p;
}

void
touched_add_node(struct touched *t, const struct lyd_node *node)
{
	char *p;

	if (t->all)
		return;
	p = lyd_path(node, LYD_PATH_STD, NULL, 0);
	if (!p) {
		t->all = true;
		return;
	}
	touched_add(t, p);
	free(p);
}

static void
add_diff_r(struct touched *t, const struct lyd_node *dnode)
{
	const struct lyd_node *c;
	const char *op = ydiff_op(dnode);

	if (op && strcmp(op, "none")) {
		touched_add_node(t, dnode);
		return;
	}
	LY_LIST_FOR(lyd_child_no_keys(dnode), c)
	add_diff_r(t, c);
}

void
touched_add_diff(struct touched *t, const struct lyd_node *diff)
{
	const struct lyd_node *top;

	LY_LIST_FOR(diff, top)
	add_diff_r(t, top);
}

void
touched_clear(struct touched *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->paths[i]);
	free(t->paths);
	t->paths = NULL;
	t->n = t->cap = 0;
	t->all = false;
}

int
cand_init_from_running(struct mgd *m, struct cand *c, struct errbuf *err)
{
	struct lyd_node *tree = NULL;

	if (m->running &&
	    lyd_dup_siblings(m->running, NULL, LYD_DUP_RECURSIVE, &tree) != LY_SUCCESS)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	/* running is valid: this only adds the implicit defaults */
	if (lyd_validate_all(&tree, m->ctx, LYD_VALIDATE_NO_STATE, NULL) != LY_SUCCESS)
		log_warnx(
		    LOG_CFG, "running configuration does not validate: %s", ly_errmsg(m->ctx));
	lyd_free_all(c->tree);
	c->tree = tree;
	c->lazy = false;
	touched_clear(&c->t);
	c->base_seq = m->seq;
	c->changed = false;
	return 0;
}

void
cand_fini(struct cand *c)
{
	lyd_free_all(c->tree);
	c->tree = NULL;
	c->lazy = false;
	touched_clear(&c->t);
}

const struct lyd_node *
cand_get(const struct mgd *m, const struct cand *c)
{
	return c->lazy ? m->running : c->tree;
}

int
cand_own(struct mgd *m, struct cand *c, struct errbuf *err)
{
	struct lyd_node *tree = NULL;

	if (!c->lazy)
		return 0;
	/* running holds right defaults and no new nodes: a validated copy */
	if (m->running && lyd_dup_siblings(m->running, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS,
	                      &tree) != LY_SUCCESS)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	c->tree = tree;
	c->lazy = false;
	return 0;
}

int
cand_diff(struct mgd *m, struct cand *c, struct lyd_node **diff)
{
	if (c->lazy) {
		*diff = NULL;
		return 0;
	}
	if (c->t.all)
		return ydiff_full(m->running, c->tree, diff);
	if (!c->t.n) {
		*diff = NULL;
		return 0;
	}
	return ydiff_paths(m->running, c->tree, c->t.paths, c->t.n, diff);
}

static struct lyd_node *
find_sib(const struct lyd_node *siblings, const struct lyd_node *node)
{
	struct lyd_node *m = NULL;

	if (!siblings)
		return NULL;
	if (node->schema->nodetype & (LYS_LIST | LYS_LEAFLIST))
		lyd_find_sibling_first(siblings, node, &m);
	else
		lyd_find_sibling_val(siblings, node->schema, NULL, 0, &m);
	return m;
}

/* What a merge of src into the candidate will touch. */
static void
touched_merge(struct touched *t, const struct lyd_node *trg, const struct lyd_node *src)
{
	const struct lyd_node *s;
	struct lyd_node *m;

	LY_LIST_FOR(src, s)
	{
		if (s->schema->flags & LYS_KEY)
			continue;
		m = find_sib(trg, s);
		if (!m || (m->flags & LYD_DEFAULT)) {
			touched_add_node(t, s);
		} else if (s->schema->nodetype & LYD_NODE_TERM) {
			if (lyd_compare_single(m, s, 0) != LY_SUCCESS)
				touched_add_node(t, s);
		} else {
			touched_merge(t, lyd_child(m), lyd_child(s));
		}
	}
}

#define LOAD_BULK (256u << 10) /* larger texts: no change list, compare all */

static void
take_result(struct cand *c, struct cfg_result *res, struct buf *warnings)
{
	size_t i;

	for (i = 0; i < res->nchg; i++)
		touched_add(&c->t, res->chg[i].path);
	for (i = 0; warnings && i < res->nwarn; i++) {
		if (warnings->len)
			buf_putc(warnings, '\n');
		buf_puts(warnings, res->warn[i]);
	}
}

/* "at L:C" first line (the offending word), then the message. */
static int
edit_err(struct errbuf *err, const struct cfg_errpos *pos, const struct errbuf *e, int rc)
{
	if (pos->line)
		return errbuf_set(err, rc, "at %u:%u\n%s", pos->line, pos->col, e->msg);
	return errbuf_set(err, rc, "%s", e->msg[0] ? e->msg : "error: invalid configuration");
}

int
cand_load_data(struct mgd *m, struct cand *c, const char *action, const char *format,
    const char *edit_path, const char *text, struct buf *warnings, struct errbuf *err)
{
	struct lyd_node *src = NULL;
	struct cfg_result res;
	struct cfg_errpos pos = { 0, 0 };
	struct errbuf e2 = { .msg = "" };
	enum cfg_load_mode mode = CFG_LOAD_MERGE;
	size_t len = strlen(text);
	bool bulk = len > LOAD_BULK, all = false;
	LYD_FORMAT f;
	int rc = 0;

	errbuf_clear(&e2);
	if ((rc = cand_own(m, c, err)) < 0)
		return rc;
	if (!strcmp(action, "set") || !strcmp(format, "set")) {
		cfg_result_init(&res);
		rc = cfg_edit_lines(m->schema, &c->tree, edit_path, text, len,
		    bulk ? CFG_EDIT_NO_CHANGES : 0, &res, &pos, &e2);
		if (rc == 0) {
			if (bulk)
				c->t.all = true;
			take_result(c, &res, warnings);
			c->changed = true;
		}
		cfg_result_fini(&res);
		return rc < 0 ? edit_err(err, &pos, &e2, rc) : 0;
	}
	if (!strcmp(format, "text")) {
		if (!strcmp(action, "override") || !strcmp(action, "update"))
			mode = CFG_LOAD_OVERRIDE, all = true;
		else if (!strcmp(action, "replace"))
			mode = CFG_LOAD_REPLACE;
		cfg_result_init(&res);
		rc = cfg_load_text(m->schema, &c->tree, mode, edit_path, text, len,
		    bulk || all ? CFG_EDIT_NO_CHANGES : 0, &res, &pos, &e2);
		if (rc == 0) {
			if (bulk || all)
				c->t.all = true;
			take_result(c, &res, warnings);
			c->changed = true;
		}
		cfg_result_fini(&res);
		return rc < 0 ? edit_err(err, &pos, &e2, rc) : 0;
	}
	if (!strcmp(format, "json"))
		f = LYD_JSON;
	else if (!strcmp(format, "xml"))
		f = LYD_XML;
	else
		return errbuf_set(err, -EINVAL, "error: unknown format %s", format);
	if (lyd_parse_data_mem(m->ctx, text, f,
	        LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, &src) != LY_SUCCESS) {
		const struct ly_err_item *e = ly_err_last(m->ctx);
		rc =
		    errbuf_set(err, -EINVAL, "error: %s%s%s", e && e->msg ? e->msg : "syntax error",
		        e && e->path ? " at " : "", e && e->path ? e->path : "");
		lyd_free_all(src);
		return rc;
	}
	if (!strcmp(action, "override") || !strcmp(action, "update")) {
		lyd_free_all(c->tree);
		c->tree = src;
		touched_clear(&c->t);
		c->t.all = true;
		c->changed = true;
		return 0;
	}
	/* merge (and replace: without 'replace:' tags in JSON/XML it merges) */
	if (src) {
		touched_merge(&c->t, c->tree, src);
		if (lyd_merge_siblings(&c->tree, src, LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
			lyd_free_all(src);
			touched_clear(&c->t);
			c->t.all = true;
			return errbuf_set(err, -EINVAL, "error: %s", ly_errmsg(m->ctx));
		}
	}
	c->changed = true;
	return 0;
}

int
cand_edit_lines(struct mgd *m, struct cand *c, const char *edit_path, const char *lines,
    struct buf *warnings, char **new_path, struct errbuf *err)
{
	struct cfg_result res;
	struct cfg_errpos pos = { 0, 0 };
	struct errbuf e2 = { .msg = "" };
	size_t len = strlen(lines);
	bool bulk = len > LOAD_BULK;
	int rc;

	errbuf_clear(&e2);
	if (new_path)
		*new_path = NULL;
	if ((rc = cand_own(m, c, err)) < 0)
		return rc;
	cfg_result_init(&res);
	rc = cfg_edit_lines(m->schema, &c->tree, edit_path, lines, len,
	    bulk ? CFG_EDIT_NO_CHANGES : 0, &res, &pos, &e2);
	if (rc == 0) {
		if (bulk)
			c->t.all = true;
		take_result(c, &res, warnings);
		if (res.nchg || bulk)
			c->changed = true;
		if (new_path && res.edit_path) {
			*new_path = res.edit_path;
			res.edit_path = NULL;
		}
	}
	cfg_result_fini(&res);
	return rc < 0 ? edit_err(err, &pos, &e2, rc) : 0;
}

int
cand_discard(struct mgd *m, struct cand *c, struct errbuf *err)
{
	struct lyd_node *diff = NULL, *rev = NULL;
	int rc;

	if (c->lazy)
		return 0; /* it is running */
	if (c->t.all)
		return cand_init_from_running(m, c, err);
	rc = cand_diff(m, c, &diff);
	if (rc == 0 && diff) {
		if (ydiff_reverse(diff, &rev) != 0 || ydiff_apply(&c->tree, rev, true) < 0) {
			log_warnx(LOG_CFG, "discard: reverse diff failed (%s); reloading",
			    ly_errmsg(m->ctx));
			rc = cand_init_from_running(m, c, err);
		}
	} else if (rc < 0) {
		rc = cand_init_from_running(m, c, err);
	}
	lyd_free_all(diff);
	lyd_free_all(rev);
	touched_clear(&c->t);
	c->changed = false;
	c->base_seq = m->seq;
	return rc;
}

/* Is rollback n available (entries 0..n-1 give the diffs to undo)? */
static int
rollback_check(struct mgd *m, unsigned n, struct errbuf *err)
{
	const struct hist_entry *last = mgd_hist_get(m, n ? n - 1 : 0);

	if (n == 0)
		return 0;
	if (!last || n > HIST_KEEP - 1 + 1)
		return errbuf_set(err, -ENOENT, "error: rollback %u does not exist", n);
	/* entry n itself, or the empty configuration before commit 1 */
	if (!mgd_hist_get(m, n) && last->seq != 1)
		return errbuf_set(err, -ENOENT, "error: rollback %u does not exist", n);
	return 0;
}

int
cand_rollback(struct mgd *m, struct cand *c, unsigned n, struct errbuf *err)
{
	struct lyd_node *diff = NULL, *rev = NULL;
	unsigned i;
	int rc;

	if ((rc = rollback_check(m, n, err)) < 0)
		return rc;
	if ((rc = cand_discard(m, c, err)) < 0 || n == 0)
		return rc;
	if ((rc = cand_own(m, c, err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		rc = mgd_hist_diff(m, m->seq - i, &diff, err);
		if (rc == 0 && diff &&
		    (ydiff_reverse(diff, &rev) != 0 || ydiff_apply(&c->tree, rev, true) < 0))
			rc = errbuf_set(err, -EIO,
			    "error: history of commit %" PRIu64 " does not apply", m->seq - i);
		if (rc == 0)
			touched_add_diff(&c->t, rev);
		lyd_free_all(diff);
		lyd_free_all(rev);
		diff = rev = NULL;
		if (rc < 0) {
			struct errbuf e2 = { .msg = "" };
			cand_init_from_running(m, c, &e2);
			return rc;
		}
	}
	c->changed = true;
	return 0;
}

int
mgd_config_at(struct mgd *m, unsigned n, struct lyd_node **tree, struct errbuf *err)
{
	struct lyd_node *t = NULL, *diff = NULL, *rev = NULL;
	unsigned i;
	int rc;

	*tree = NULL;
	if ((rc = rollback_check(m, n, err)) < 0)
		return rc;
	if (m->running && lyd_dup_siblings(m->running, NULL, LYD_DUP_RECURSIVE, &t) != LY_SUCCESS)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	for (i = 0; i < n; i++) {
		rc = mgd_hist_diff(m, m->seq - i, &diff, err);
		if (rc == 0 && diff &&
		    (ydiff_reverse(diff, &rev) != 0 || ydiff_apply(&t, rev, false) < 0))
			rc = errbuf_set(err, -EIO,
			    "error: history of commit %" PRIu64 " does not apply", m->seq - i);
		lyd_free_all(diff);
		lyd_free_all(rev);
		diff = rev = NULL;
		if (rc < 0) {
			lyd_free_all(t);
			return rc;
		}
	}
	*tree = t;
	return 0;
}
