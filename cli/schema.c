/* SPDX-License-Identifier: MIT */
/*
 * schema: the shell's side of the schema-driven grammar. cairn-conf walks
 * the YANG schema ("what may follow these words"); this file turns its
 * answers into candidates and carets, and fetches live values from mgd
 * with the `complete` RPC.
 */
#include "schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cfg_schema.h"
#include "cli.h"
#include "rpc.h"
#include "banned.h"

int
schema_load(const char *dir, struct cfg_schema **s, struct ly_ctx **ctx, struct errbuf *err)
{
	*s = cfg_schema_load(dir, err);
	if (!*s)
		return errno ? -errno : -EINVAL;
	*ctx = cfg_schema_ctx(*s);
	return 0;
}

void
sch_words_text(const struct cli_words *ws, size_t first, size_t count, struct buf *b)
{
	if (count == 0)
		return;
	buf_append(b, ws->line + ws->w[first].off, ws->w[first + count - 1].end - ws->w[first].off);
}

/* Maps a cairn-conf error to a caret in the line. */
static int
map_err(const struct cli_words *ws, size_t first, size_t count, const struct cfg_errpos *pos,
    const struct errbuf *e, struct cli_err *err)
{
	size_t base = count ? ws->w[first].off : (first < ws->n ? ws->w[first].off : ws->len + 1);
	size_t off = CLI_ERR_NOCARET;
	enum cli_err_kind kind = CERR_TEXT;

	if (count == 0 && first > 0 && first <= ws->n)
		base = ws->w[first - 1].end + 1;
	if (pos->line > 0)
		off = base + pos->col;
	if (strcmp(e->msg, "syntax error.") == 0)
		kind = CERR_SYNTAX;
	else if (strcmp(e->msg, "missing argument.") == 0)
		kind = CERR_MISSING;
	if (kind == CERR_TEXT)
		return cli_err_set(err, CERR_TEXT, off, errbuf_isset(e) ? e->msg : "syntax error.");
	return cli_err_set(err, kind, off, NULL);
}

static enum cand_kind
map_kind(enum cfg_comp_kind k)
{
	switch (k) {
	case CFG_COMP_CONTAINER:
		return CAND_CONTAINER;
	case CFG_COMP_LEAFLIST:
		return CAND_LEAFLIST;
	case CFG_COMP_LEAF:
	case CFG_COMP_ENUM:
		return CAND_KEYWORD;
	case CFG_COMP_VALUE:
		return CAND_PLACEHOLDER;
	case CFG_COMP_OPEN_SET:
		return CAND_OPENSET;
	case CFG_COMP_CLOSE_SET:
		return CAND_VALUE;
	}
	return CAND_KEYWORD;
}

/* An XPath literal for s ('s', or "s" when s holds a quote). NULL when s
 * holds both kinds of quote (no literal can). */
static bool
xpath_literal(struct buf *b, const char *s)
{
	char q = strchr(s, '\'') ? '"' : '\'';

	if (q == '"' && strchr(s, '"'))
		return false;
	buf_putc(b, q);
	buf_puts(b, s);
	buf_putc(b, q);
	return true;
}

/* Existing values selected by xpath, from mgd; with a partial word only
 * those starting with it (mgd filters: a 10k-entry list costs a short
 * answer). Errors are not fatal for completion: without mgd's answer the
 * list simply lacks live values. */
static void
live_values(struct cli *c, const char *xpath, const struct lysc_node *sn, enum sch_store store,
    const char *partial, struct cands *cs)
{
	struct lyd_node *rpc, *reply = NULL, *n;
	struct errbuf msg = { .msg = "" };
	struct buf xp = BUF_INIT;
	const char *help = sn && sn->dsc ? sn->dsc : "";

	if (!c->mgd)
		return; /* no session (unit tests): the schema's answer alone */
	buf_puts(&xp, xpath);
	if (partial && *partial) {
		buf_puts(&xp, "[starts-with(.,");
		if (!xpath_literal(&xp, partial)) {
			buf_reset(&xp);
			buf_puts(&xp, xpath);
		} else {
			buf_putc(&xp, ')');
			buf_putc(&xp, ']');
		}
	}
	rpc = rpc_new(c, "cairn-mgmt:complete");
	if (!rpc) {
		buf_free(&xp);
		return;
	}
	/* joined: one string of lines, cheaper than a 10k-value leaf-list */
	if (lyd_new_term(rpc, NULL, "xpath", buf_str(&xp), 0, NULL) ||
	    lyd_new_term(
	        rpc, NULL, "datastore", store == SCH_RUNNING ? "running" : "candidate", 0, NULL) ||
	    lyd_new_term(rpc, NULL, "joined", NULL, 0, NULL))
		goto out;
	if (rpc_call_quiet(c, rpc, &reply, &msg) < 0)
		goto out;
	LY_LIST_FOR(lyd_child(reply), n)
	{
		if (strcmp(n->schema->name, "value") == 0) {
			cands_add_new(cs, CAND_VALUE, lyd_get_value(n), help);
		} else if (strcmp(n->schema->name, "values") == 0) {
			const char *v = lyd_get_value(n), *e;

			for (; (e = strchr(v, '\n')) != NULL; v = e + 1) {
				char *one = strndup(v, (size_t)(e - v));

				if (one)
					cands_add_new(cs, CAND_VALUE, one, help);
				free(one);
			}
		}
	}
out:
	buf_free(&xp);
	lyd_free_all(rpc);
	lyd_free_all(reply);
}

bool
sch_complete(struct cli *c, enum cfg_cmd cmd, const struct cli_path *base,
    const struct cli_words *ws, size_t first, size_t count, enum sch_store store, struct cands *cs,
    struct cli_err *err)
{
	/* the word being typed, if any: the one after the complete words */
	const char *partial = first + count < ws->n ? ws->w[first + count].s : NULL;
	struct cfg_completion comp;
	struct cfg_errpos pos = { 0, 0 };
	struct errbuf e = { .msg = "" };
	struct buf text = BUF_INIT, bs = BUF_INIT;
	size_t i;
	int rc;

	memset(&comp, 0, sizeof(comp));
	errbuf_clear(&e);
	sch_words_text(ws, first, count, &text);
	if (count)
		buf_putc(&text, ' ');
	cli_path_str(base, &bs);
	rc = cfg_complete(c->schema, cmd, buf_str(&bs), buf_str(&text), text.len, &comp, &pos, &e);
	if (rc < 0) {
		map_err(ws, first, count, &pos, &e, err);
		goto out;
	}
	if (comp.complete)
		cands_add(cs, CAND_ENTER, "<[Enter]>", "Execute this command");
	for (i = 0; i < comp.n; i++)
		cands_add(cs, map_kind(comp.v[i].kind), comp.v[i].token, comp.v[i].help);
	if (comp.live_xpath) {
		char own[256];

		live_values(c, comp.live_xpath, comp.live_snode, store, partial, cs);
		/* a list key's own placeholder means a new name may be typed;
		 * any other (a leafref's) means only existing names are valid */
		snprintf(own, sizeof(own), "<%s>", comp.live_snode ? comp.live_snode->name : "");
		cs->closed = true;
		for (i = 0; i < comp.n; i++)
			if (comp.v[i].kind == CFG_COMP_VALUE && strcmp(comp.v[i].token, own) == 0)
				cs->closed = false;
	}
out:
	cfg_completion_fini(&comp);
	buf_free(&text);
	buf_free(&bs);
	return rc == 0;
}

int
sch_check(struct cli *c, enum cfg_cmd cmd, const struct cli_path *base, const struct cli_words *ws,
    size_t first, size_t count, struct cli_err *err)
{
	struct cfg_completion comp;
	struct cfg_errpos pos = { 0, 0 };
	struct errbuf e = { .msg = "" };
	struct buf text = BUF_INIT, bs = BUF_INIT;
	int rc;

	memset(&comp, 0, sizeof(comp));
	errbuf_clear(&e);
	sch_words_text(ws, first, count, &text);
	if (count)
		buf_putc(&text, ' ');
	cli_path_str(base, &bs);
	rc = cfg_complete(c->schema, cmd, buf_str(&bs), buf_str(&text), text.len, &comp, &pos, &e);
	if (rc < 0) {
		rc = map_err(ws, first, count, &pos, &e, err);
	} else if (!comp.complete) {
		size_t off =
		    count ? ws->w[first + count - 1].end + 1
		          : (first > 0 && first <= ws->n ? ws->w[first - 1].end + 1 : ws->len + 1);

		rc = cli_err_set(err, CERR_MISSING, off, NULL);
	}
	cfg_completion_fini(&comp);
	buf_free(&text);
	buf_free(&bs);
	return rc;
}

/* Splits a canonical path string into words. */
static int
path_from_str(const char *s, struct cli_path *out)
{
	struct cli_words ws;
	size_t i;
	int rc;

	cli_path_free(out);
	if ((rc = cli_words_split(s, strlen(s), &ws)) < 0)
		return rc;
	for (i = 0; i < ws.n && rc == 0; i++)
		rc = cli_path_append(out, (const char *const *)&ws.w[i].s, 1);
	cli_words_free(&ws);
	return rc;
}

int
sch_edit_path(struct cli *c, const struct cli_path *base, const struct cli_words *ws, size_t first,
    size_t count, struct cli_path *out, struct cli_err *err)
{
	struct cfg_errpos pos = { 0, 0 };
	struct errbuf e = { .msg = "" };
	struct buf text = BUF_INIT, bs = BUF_INIT;
	char *canon = NULL;
	int rc;

	errbuf_clear(&e);
	sch_words_text(ws, first, count, &text);
	cli_path_str(base, &bs);
	rc = cfg_path_edit(c->schema, buf_str(&bs), buf_str(&text), text.len, &canon, &pos, &e);
	if (rc < 0)
		rc = map_err(ws, first, count, &pos, &e, err);
	else
		rc = path_from_str(canon, out);
	free(canon);
	buf_free(&text);
	buf_free(&bs);
	return rc;
}

int
sch_up(struct cli *c, const struct cli_path *p, unsigned n, struct cli_path *out)
{
	struct errbuf e = { .msg = "" };
	struct buf bs = BUF_INIT;
	char *up = NULL;
	int rc;

	cli_path_str(p, &bs);
	rc = cfg_path_up(c->schema, buf_str(&bs), n, &up, NULL, &e);
	if (rc == 0)
		rc = path_from_str(up, out);
	free(up);
	buf_free(&bs);
	return rc;
}
