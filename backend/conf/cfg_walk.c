/* SPDX-License-Identifier: MIT */
/*
 * cfg_walk: resolves operator words against the schema (a small state
 * machine fed one token at a time), checks values against their YANG
 * types with Junos's messages, and answers completion and edit-path
 * questions for the shell.
 */
#include "cfg_walk.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg_int.h"
#include "cfg_lex.h"
#include "cfg_secret.h"
#include "banned.h"

void
cfg_walk_init(struct cfg_walk *w, const struct cfg_schema *s)
{
	memset(w, 0, sizeof(*w));
	w->s = s;
	w->state = CFG_W_NODE;
}

void
cfg_walk_fini(struct cfg_walk *w)
{
	free(w->vals);
	free(w->vtok);
	w->vals = NULL;
	w->vtok = NULL;
	w->nvals = w->vcap = 0;
}

void
cfg_walk_reset(struct cfg_walk *w, enum cfg_wstate st, const struct lysc_node *cur)
{
	w->nsteps = 0;
	w->nvals = 0;
	w->state = st;
	w->cur = cur;
	w->errtok = NULL;
	w->floor = 0;
	w->scoped = false;
	w->cb_failed = false;
	w->nstmt = 0;
	if (st == CFG_W_KEYS && cur) {
		/* A grouped block: the entries' keys follow directly. */
		struct cfg_step *stp = &w->steps[w->nsteps++];

		memset(stp, 0, sizeof(*stp));
		stp->sn = cur;
		stp->kind = CFG_STEP_LIST;
		stp->v0 = 0;
	}
}

void
cfg_errpos_tok(struct cfg_errpos *pos, const struct cfg_tok *t)
{
	if (!pos)
		return;
	pos->line = t ? t->line : 0;
	pos->col = t ? t->col : 0;
}

void
cfg_errpos_end(struct cfg_errpos *pos, const struct cfg_tok *toks, size_t ntoks)
{
	if (!pos)
		return;
	pos->line = ntoks ? toks[ntoks - 1].line : 1;
	pos->col = ntoks ? toks[ntoks - 1].end + 1 : 0;
}

char *
cfg_help_text(const char *dsc)
{
	struct buf b = BUF_INIT;
	bool space = false;

	for (const char *p = dsc ? dsc : ""; *p; p++) {
		if (isspace((unsigned char)*p)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, *p);
	}
	if (buf_failed(&b)) {
		buf_free(&b);
		return NULL;
	}
	return b.p ? buf_steal(&b) : strdup("");
}

/* ---- values ---- */

static const struct lysc_type *
snode_type(const struct lysc_node *sn)
{
	if (sn->nodetype == LYS_LEAF)
		return ((const struct lysc_node_leaf *)sn)->type;
	if (sn->nodetype == LYS_LEAFLIST)
		return ((const struct lysc_node_leaflist *)sn)->type;
	return NULL;
}

static const struct lysc_type *
real_type(const struct lysc_type *t)
{
	while (t && t->basetype == LY_TYPE_LEAFREF)
		t = ((const struct lysc_type_leafref *)t)->realtype;
	return t;
}

static bool
type_signed(LY_DATA_TYPE bt)
{
	return bt == LY_TYPE_INT8 || bt == LY_TYPE_INT16 || bt == LY_TYPE_INT32 ||
	       bt == LY_TYPE_INT64;
}

static bool
type_integer(LY_DATA_TYPE bt)
{
	return type_signed(bt) || bt == LY_TYPE_UINT8 || bt == LY_TYPE_UINT16 ||
	       bt == LY_TYPE_UINT32 || bt == LY_TYPE_UINT64;
}

static void
int_bounds(LY_DATA_TYPE bt, int64_t *smin, int64_t *smax, uint64_t *umax)
{
	*smin = 0;
	*smax = 0;
	*umax = 0;
	switch (bt) {
	case LY_TYPE_INT8:
		*smin = INT8_MIN, *smax = INT8_MAX;
		break;
	case LY_TYPE_INT16:
		*smin = INT16_MIN, *smax = INT16_MAX;
		break;
	case LY_TYPE_INT32:
		*smin = INT32_MIN, *smax = INT32_MAX;
		break;
	case LY_TYPE_INT64:
		*smin = INT64_MIN, *smax = INT64_MAX;
		break;
	case LY_TYPE_UINT8:
		*umax = UINT8_MAX;
		break;
	case LY_TYPE_UINT16:
		*umax = UINT16_MAX;
		break;
	case LY_TYPE_UINT32:
		*umax = UINT32_MAX;
		break;
	default:
		*umax = UINT64_MAX;
		break;
	}
}

/* "1..60" or "1..10, 20..30"; the type's bounds when it has no range. */
static void
range_text(const struct lysc_type *t, char *out, size_t outlen)
{
	const struct lysc_range *r = ((const struct lysc_type_num *)t)->range;
	bool sgn = type_signed(t->basetype);
	size_t len = 0;
	LY_ARRAY_COUNT_TYPE u;

	out[0] = '\0';
	if (!r) {
		int64_t smin, smax;
		uint64_t umax;

		int_bounds(t->basetype, &smin, &smax, &umax);
		if (sgn)
			snprintf(out, outlen, "%" PRId64 "..%" PRId64, smin, smax);
		else
			snprintf(out, outlen, "0..%" PRIu64, umax);
		return;
	}
	LY_ARRAY_FOR(r->parts, u)
	{
		int n;

		if (sgn)
			n = snprintf(out + len, outlen - len, "%s%" PRId64 "..%" PRId64,
			    u ? ", " : "", r->parts[u].min_64, r->parts[u].max_64);
		else
			n = snprintf(out + len, outlen - len, "%s%" PRIu64 "..%" PRIu64,
			    u ? ", " : "", r->parts[u].min_u64, r->parts[u].max_u64);
		if (n < 0 || (size_t)n >= outlen - len)
			break;
		len += (size_t)n;
	}
}

static size_t
utf8_len(const char *v)
{
	size_t n = 0;

	for (; *v; v++)
		if (((unsigned char)*v & 0xc0) != 0x80)
			n++;
	return n;
}

static int
string_msg(const struct lysc_type_str *t, const char *v, struct errbuf *err)
{
	LY_ARRAY_COUNT_TYPE u;

	if (t->length) {
		size_t n = utf8_len(v);
		bool ok = false;

		LY_ARRAY_FOR(t->length->parts, u)
		if (n >= t->length->parts[u].min_u64 && n <= t->length->parts[u].max_u64)
			ok = true;
		if (!ok) {
			uint64_t max = 0, min = UINT64_MAX;

			LY_ARRAY_FOR(t->length->parts, u)
			{
				if (t->length->parts[u].max_u64 > max)
					max = t->length->parts[u].max_u64;
				if (t->length->parts[u].min_u64 < min)
					min = t->length->parts[u].min_u64;
			}
			if (n > max)
				return errbuf_set(err, -EINVAL,
				    "'%s': Must be a string of %" PRIu64 " characters or less", v,
				    max);
			return errbuf_set(err, -EINVAL,
			    "'%s': Must be a string of at least %" PRIu64 " characters", v, min);
		}
	}
	LY_ARRAY_FOR(t->patterns, u)
	if (t->patterns[u]->emsg)
		return errbuf_set(err, -EINVAL, "%s in '%s'.", t->patterns[u]->emsg, v);
	return errbuf_set(err, -EINVAL, "invalid value '%s'.", v);
}

static int
number_msg(const struct lysc_type *t, const char *v, struct errbuf *err)
{
	char rng[128];
	const char *p = v;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!*p || strspn(p, "0123456789") != strlen(p) || (neg && !type_signed(t->basetype)))
		return errbuf_set(err, -EINVAL, "Invalid numeric value: '%s'", v);
	range_text(t, rng, sizeof(rng));
	return errbuf_set(err, -EINVAL, "Value %s is not within range (%s) at '%s'", v, rng, v);
}

static int
enum_match(const struct lysc_type_enum *t, const char *v, const char **canon, struct errbuf *err)
{
	LY_ARRAY_COUNT_TYPE u;
	size_t len = strlen(v);
	const char *hit = NULL;
	unsigned nhit = 0;

	LY_ARRAY_FOR(t->enums, u)
	{
		if (strcmp(t->enums[u].name, v) == 0) {
			*canon = t->enums[u].name;
			return 0;
		}
		if (len && strncmp(t->enums[u].name, v, len) == 0) {
			hit = t->enums[u].name;
			nhit++;
		}
	}
	if (nhit == 1) {
		*canon = hit;
		return 0;
	}
	if (nhit > 1)
		return errbuf_set(err, -EINVAL, "'%s' is ambiguous.", v);
	return errbuf_set(err, -EINVAL, "syntax error.");
}

int
cfg_value_check(const struct cfg_schema *s, const struct lysc_node *sn, const char *v,
    const char **canon, struct errbuf *err)
{
	const struct lysc_type *t = real_type(snode_type(sn));
	LY_ERR lrc;

	*canon = v;
	if (!t)
		return errbuf_set(err, -EINVAL, "syntax error.");
	if (t->basetype == LY_TYPE_ENUM)
		return enum_match((const struct lysc_type_enum *)t, v, canon, err);
	if (t->basetype == LY_TYPE_BOOL && strcmp(v, "true") && strcmp(v, "false"))
		return errbuf_set(err, -EINVAL, "syntax error, expecting true or false.");
	lrc = lyd_value_validate(s->ctx, sn, v, strlen(v), NULL, NULL, NULL);
	if (lrc == LY_SUCCESS || lrc == LY_EINCOMPLETE)
		return 0;
	if (type_integer(t->basetype))
		return number_msg(t, v, err);
	if (t->basetype == LY_TYPE_STRING)
		return string_msg((const struct lysc_type_str *)t, v, err);
	return errbuf_set(err, -EINVAL, "invalid value '%s'.", v);
}

/* ---- the state machine ---- */

static int
push_val(struct cfg_walk *w, const char *v, const struct cfg_tok *t)
{
	if (w->nvals == w->vcap) {
		uint32_t ncap = w->vcap ? w->vcap * 2 : 16;
		const char **nv = realloc(w->vals, ncap * sizeof(*nv));
		const struct cfg_tok **nt;

		if (!nv)
			return -ENOMEM;
		w->vals = nv;
		if ((nt = realloc(w->vtok, ncap * sizeof(*nt))) == NULL)
			return -ENOMEM;
		w->vtok = nt;
		w->vcap = ncap;
	}
	w->vals[w->nvals] = v;
	w->vtok[w->nvals] = t;
	w->nvals++;
	return 0;
}

static struct cfg_step *
push_step(struct cfg_walk *w, const struct lysc_node *sn, uint8_t kind, const struct cfg_tok *t)
{
	struct cfg_step *st;

	if (w->nsteps == CFG_MAX_DEPTH)
		return NULL;
	st = &w->steps[w->nsteps++];
	memset(st, 0, sizeof(*st));
	st->sn = sn;
	st->kind = kind;
	st->tok = t;
	st->v0 = w->nvals;
	w->scoped = false;
	return st;
}

static int
add_value(struct cfg_walk *w, const struct lysc_node *sn, const struct cfg_tok *t, unsigned flags,
    struct errbuf *err)
{
	const char *v = t->s;
	const struct lysc_type *ty;
	int rc;

	if (flags & (CFG_WALK_VALIDATE | CFG_WALK_LAZY)) {
		/* Secrets may be typed as "$9$..." strings: they must decode. */
		if ((cfg_snode_flags(sn) & (CFG_SN_SECRET | CFG_SN_HASHED)) == CFG_SN_SECRET &&
		    strncmp(v, "$9$", 3) == 0 && !cfg_secret_valid(v, strlen(v))) {
			w->errtok = t;
			return errbuf_set(err, -EINVAL, "Invalid encrypted secret at '%s'", v);
		}
	}
	ty = real_type(snode_type(sn));
	if (flags & CFG_WALK_VALIDATE) {
		if ((rc = cfg_value_check(w->s, sn, t->s, &v, err)) != 0) {
			w->errtok = t;
			return rc;
		}
	} else if (ty && ty->basetype == LY_TYPE_ENUM) {
		/* Enum abbreviations are expanded in any case (lazily checked
		 * walks fail here, their caller cannot tell what was meant). */
		struct errbuf tmp = { .msg = "" };

		errbuf_clear(&tmp);
		if (enum_match((const struct lysc_type_enum *)ty, t->s, &v,
		        (flags & CFG_WALK_LAZY) ? err : &tmp) != 0) {
			if (flags & CFG_WALK_LAZY) {
				w->errtok = t;
				return -EINVAL;
			}
			v = t->s;
		}
	}
	if (push_val(w, v, t) != 0)
		return errbuf_set(err, -ENOMEM, "out of memory");
	w->steps[w->nsteps - 1].nv++;
	return 0;
}

static int
syntax_error(struct cfg_walk *w, const struct cfg_tok *t, struct errbuf *err)
{
	w->errtok = t;
	return errbuf_set(err, -EINVAL, "syntax error.");
}

/* After a list keyword or key: an entry once all keys are there. */
static void
keys_progress(struct cfg_walk *w)
{
	struct cfg_step *st = &w->steps[w->nsteps - 1];
	const struct cfg_sinfo *si = cfg_si(w->s, st->sn);

	if (st->nv >= si->nkeys) {
		st->kind = CFG_STEP_ENTRY;
		w->state = CFG_W_NODE;
		w->cur = st->sn;
	} else {
		w->state = CFG_W_KEYS;
		w->cur = st->sn;
	}
}

static int
enter_keyword(
    struct cfg_walk *w, const struct lysc_node *sn, const struct cfg_tok *t, struct errbuf *err)
{
	struct cfg_step *st;

	switch (sn->nodetype) {
	case LYS_CONTAINER:
		if (!(st = push_step(w, sn, CFG_STEP_CONT, t)))
			return syntax_error(w, t, err);
		w->state = CFG_W_NODE;
		w->cur = sn;
		return 0;
	case LYS_LIST:
		if (!(st = push_step(w, sn, CFG_STEP_LIST, t)))
			return syntax_error(w, t, err);
		keys_progress(w);
		return 0;
	case LYS_LEAF:
		if (!(st = push_step(w, sn, CFG_STEP_LEAF, t)))
			return syntax_error(w, t, err);
		w->cur = sn;
		w->state =
		    real_type(snode_type(sn))->basetype == LY_TYPE_EMPTY ? CFG_W_DONE : CFG_W_VALUE;
		return 0;
	case LYS_LEAFLIST:
		if (!(st = push_step(w, sn, CFG_STEP_LEAFLIST, t)))
			return syntax_error(w, t, err);
		w->cur = sn;
		w->state = CFG_W_LLVALUE;
		return 0;
	default:
		return syntax_error(w, t, err);
	}
}

/* Ends the statement walked so far (stmt_cb) and goes back to the scope
 * of the next one: the node of step keep - 1 (the top when 0). */
static int
next_stmt(struct cfg_walk *w, uint32_t keep, struct errbuf *err)
{
	int rc;

	if (w->stmt_cb && (rc = w->stmt_cb(w, w->stmt_arg)) != 0) {
		w->cb_failed = true;
		if (!errbuf_isset(err))
			errbuf_set(
			    err, rc, "%s", rc == -ENOMEM ? "out of memory" : "invalid statement");
		return rc;
	}
	w->nstmt++;
	w->nsteps = keep;
	w->nvals = keep ? w->steps[keep - 1].v0 + w->steps[keep - 1].nv : 0;
	w->state = CFG_W_NODE;
	w->cur = keep ? w->steps[keep - 1].sn : NULL;
	w->scoped = true;
	return 0;
}

/* delete (MULTI): a word after a value-less leaf or leaf-list keyword that
 * is exactly one of its parent's keywords starts the next statement. */
static bool
valueless_end(const struct cfg_walk *w, const struct cfg_tok *t, unsigned flags)
{
	const struct cfg_step *st = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;

	if ((flags & (CFG_WALK_MULTI | CFG_WALK_DELETE)) != (CFG_WALK_MULTI | CFG_WALK_DELETE) ||
	    !st || st->nv || st->positional || t->type != CFG_TOK_WORD || t->quoted)
		return false;
	return cfg_kw_find(cfg_si(w->s, cfg_dparent(st->sn)), t->s, t->len) != NULL;
}

/* At a presence container whose keyword was just typed, a word that is
 * none of its own keywords may be one of its parent's (MULTI). */
static bool
presence_fallback(const struct cfg_walk *w, unsigned flags)
{
	const struct cfg_step *st = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;

	return (flags & CFG_WALK_MULTI) && st && w->state == CFG_W_NODE && !w->scoped &&
	       w->nsteps > w->floor && st->kind == CFG_STEP_CONT && !lysc_is_np_cont(st->sn);
}

static int
walk_node_word(struct cfg_walk *w, const struct cfg_tok *t, unsigned flags, struct errbuf *err)
{
	const struct cfg_sinfo *si = cfg_si(w->s, w->cur);
	const struct lysc_node *sn = cfg_kw_find(si, t->s, t->len);
	uint32_t first = 0, n = 0;
	struct cfg_step *st;
	int rc;

	if (sn)
		return enter_keyword(w, sn, t, err);
	if (si->flat) {
		/* interfaces st0: the word is the key of the flat-key list. */
		if (!(st = push_step(w, si->flat, CFG_STEP_LIST, t)))
			return syntax_error(w, t, err);
		st->flat = true;
		if ((rc = add_value(w, cfg_si(w->s, si->flat)->keys[0], t, flags, err)) != 0)
			return rc;
		keys_progress(w);
		return 0;
	}
	if (t->len)
		n = cfg_kw_prefix(si, t->s, t->len, &first);
	if (n == 1)
		return enter_keyword(w, si->kw[first].sn, t, err);
	if (si->positional) {
		/* address a1 10.0.0.0/24: the value of the positional leaf. */
		if (!(st = push_step(w, si->positional, CFG_STEP_LEAF, t)))
			return syntax_error(w, t, err);
		st->positional = true;
		w->cur = si->positional;
		if ((rc = add_value(w, si->positional, t, flags, err)) != 0)
			return rc;
		w->state = CFG_W_DONE;
		return 0;
	}
	if (n == 0 && presence_fallback(w, flags)) {
		if ((rc = next_stmt(w, w->nsteps - 1, err)) != 0)
			return rc;
		return walk_node_word(w, t, flags, err);
	}
	w->errtok = t;
	if (n > 1)
		return errbuf_set(err, -EINVAL, "'%s' is ambiguous.", t->s);
	return errbuf_set(err, -EINVAL, "syntax error.");
}

int
cfg_walk_run(struct cfg_walk *w, const struct cfg_tok *toks, size_t ntoks, unsigned flags,
    struct errbuf *err)
{
	int rc;

	if (flags & CFG_WALK_MULTI)
		w->floor = w->nsteps;
	for (size_t i = 0; i < ntoks; i++) {
		const struct cfg_tok *t = &toks[i];
		bool word = t->type == CFG_TOK_WORD;
		struct cfg_step *st = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;

		switch (w->state) {
		case CFG_W_NODE:
			if (!word)
				return syntax_error(w, t, err);
			if ((rc = walk_node_word(w, t, flags, err)) != 0)
				return rc;
			break;
		case CFG_W_KEYS:
			if (!word)
				return syntax_error(w, t, err);
			if ((rc = add_value(
			         w, cfg_si(w->s, st->sn)->keys[st->nv], t, flags, err)) != 0)
				return rc;
			keys_progress(w);
			break;
		case CFG_W_VALUE:
			if (!word)
				return syntax_error(w, t, err);
			if (valueless_end(w, t, flags)) {
				if ((rc = next_stmt(w, w->nsteps - 1, err)) != 0 ||
				    (rc = walk_node_word(w, t, flags, err)) != 0)
					return rc;
				break;
			}
			if ((rc = add_value(w, st->sn, t, flags, err)) != 0)
				return rc;
			w->state = CFG_W_DONE;
			break;
		case CFG_W_LLVALUE:
			if (t->type == CFG_TOK_LBRACK) {
				w->state = CFG_W_SET;
				break;
			}
			if (!word)
				return syntax_error(w, t, err);
			if (valueless_end(w, t, flags)) {
				if ((rc = next_stmt(w, w->nsteps - 1, err)) != 0 ||
				    (rc = walk_node_word(w, t, flags, err)) != 0)
					return rc;
				break;
			}
			if ((rc = add_value(w, st->sn, t, flags, err)) != 0)
				return rc;
			w->state = CFG_W_DONE;
			break;
		case CFG_W_SET:
			if (t->type == CFG_TOK_RBRACK) {
				if (st->nv == 0)
					return syntax_error(w, t, err);
				w->state = CFG_W_DONE;
				break;
			}
			if (!word)
				return syntax_error(w, t, err);
			if ((rc = add_value(w, st->sn, t, flags, err)) != 0)
				return rc;
			break;
		case CFG_W_DONE:
			/* Another statement in the leaf's parent (MULTI). */
			if (!word || !(flags & CFG_WALK_MULTI))
				return syntax_error(w, t, err);
			if ((rc = next_stmt(w, w->nsteps - 1, err)) != 0 ||
			    (rc = walk_node_word(w, t, flags, err)) != 0)
				return rc;
			break;
		}
	}
	return 0;
}

bool
cfg_walk_complete(const struct cfg_walk *w, enum cfg_cmd cmd)
{
	const struct cfg_step *st = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;

	switch (w->state) {
	case CFG_W_NODE:
		if (cmd != CFG_CMD_SET)
			return true;
		/* set needs a statement: a list entry or a presence container. */
		return st && (st->kind == CFG_STEP_ENTRY ||
		                 (st->kind == CFG_STEP_CONT && !lysc_is_np_cont(st->sn)));
	case CFG_W_KEYS:
		/* delete/show of a list keyword alone: every entry. */
		return (cmd == CFG_CMD_DELETE || cmd == CFG_CMD_SHOW) && st->nv == 0;
	case CFG_W_VALUE:
	case CFG_W_LLVALUE:
		return cmd == CFG_CMD_DELETE || cmd == CFG_CMD_SHOW;
	case CFG_W_SET:
		return false;
	case CFG_W_DONE:
		if (cmd == CFG_CMD_SET || cmd == CFG_CMD_DELETE)
			return true;
		return cmd == CFG_CMD_SHOW && st && st->nv == 0 && !st->positional;
	}
	return false;
}

void
cfg_step_words(struct buf *b, const struct cfg_walk *w, const struct cfg_step *st)
{
	bool sp = false;

	if (!st->flat && !st->positional) {
		buf_puts(b, st->sn->name);
		sp = true;
	}
	if (st->kind == CFG_STEP_LIST || st->kind == CFG_STEP_ENTRY || st->positional) {
		for (uint32_t i = 0; i < st->nv; i++) {
			if (sp)
				buf_putc(b, ' ');
			cfg_put_value(b, w->vals[st->v0 + i]);
			sp = true;
		}
	}
}

/* ---- completion ---- */

static int
comp_add(struct cfg_completion *c, const char *token, const char *help, enum cfg_comp_kind kind)
{
	struct cfg_comp *e;

	if (c->partial && *c->partial && kind != CFG_COMP_VALUE &&
	    strncmp(token, c->partial, strlen(c->partial)) != 0)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct cfg_comp *v = realloc(c->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = ncap;
	}
	e = &c->v[c->n];
	e->kind = kind;
	e->token = strdup(token);
	e->help = cfg_help_text(help);
	if (!e->token || !e->help) {
		free(e->token);
		free(e->help);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

static int
comp_placeholder(struct cfg_completion *c, const struct lysc_node *sn)
{
	char tok[256];

	snprintf(tok, sizeof(tok), "<%s>", sn->name);
	return comp_add(c, tok, sn->dsc, CFG_COMP_VALUE);
}

static int
comp_rank(enum cfg_comp_kind k)
{
	return k == CFG_COMP_VALUE                                   ? 0
	       : (k == CFG_COMP_OPEN_SET || k == CFG_COMP_CLOSE_SET) ? 2
	                                                             : 1;
}

static int
comp_cmp(const void *a, const void *b)
{
	const struct cfg_comp *x = a, *y = b;
	int rx = comp_rank(x->kind), ry = comp_rank(y->kind);

	if (rx != ry)
		return rx - ry;
	return strcmp(x->token, y->token);
}

/* Appends an XPath quoted literal. */
static void
xpath_literal(struct buf *b, const char *v)
{
	char q = strchr(v, '\'') ? '"' : '\'';

	buf_putc(b, q);
	buf_puts(b, v);
	buf_putc(b, q);
}

/* The data step of sn in an XPath: "/module:name" at the top or when the
 * module changes, else "/name". */
static void
xpath_step(struct buf *b, const struct lysc_node *sn)
{
	const struct lysc_node *dp = cfg_dparent(sn);

	buf_putc(b, '/');
	if (!dp || dp->module != sn->module)
		buf_printf(b, "%s:", sn->module->name);
	buf_puts(b, sn->name);
}

static const struct cfg_step *
walk_entry_of(const struct cfg_walk *w, const struct lysc_node *sn)
{
	for (uint32_t i = 0; i < w->nsteps; i++)
		if (w->steps[i].sn == sn && w->steps[i].kind == CFG_STEP_ENTRY)
			return &w->steps[i];
	return NULL;
}

/*
 * XPath of the values of leaf `target` (a list key or a leafref target):
 * each list on the way is constrained by the keys the walk gave for it
 * when constrain is set (relative leafrefs, keys of the current list).
 */
static char *
live_xpath(const struct cfg_walk *w, const struct lysc_node *target, bool constrain)
{
	const struct lysc_node *chain[CFG_MAX_DEPTH];
	size_t n = 0;
	struct buf b = BUF_INIT;

	for (const struct lysc_node *p = target; p && n < CFG_MAX_DEPTH; p = cfg_dparent(p))
		chain[n++] = p;
	while (n-- > 0) {
		const struct lysc_node *sn = chain[n];
		const struct cfg_step *st;

		xpath_step(&b, sn);
		if (constrain && sn->nodetype == LYS_LIST && (st = walk_entry_of(w, sn)) != NULL) {
			const struct cfg_sinfo *si = cfg_si(w->s, sn);

			for (uint32_t k = 0; k < si->nkeys && k < st->nv; k++) {
				buf_printf(&b, "[%s=", si->keys[k]->name);
				xpath_literal(&b, w->vals[st->v0 + k]);
				buf_putc(&b, ']');
			}
		}
	}
	if (buf_failed(&b)) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static int
comp_values(struct cfg_completion *c, const struct cfg_walk *w, const struct lysc_node *sn)
{
	const struct lysc_type *t = snode_type(sn);
	const struct lysc_type *rt = real_type(t);
	const struct cfg_sinfo *si = cfg_si(w->s, sn);
	LY_ARRAY_COUNT_TYPE u;
	int rc = 0;

	if (rt && rt->basetype == LY_TYPE_ENUM) {
		const struct lysc_type_enum *e = (const struct lysc_type_enum *)rt;

		LY_ARRAY_FOR(e->enums, u)
		if ((rc = comp_add(c, e->enums[u].name, e->enums[u].dsc, CFG_COMP_ENUM)) != 0)
			return rc;
	} else if (rt && rt->basetype == LY_TYPE_BOOL) {
		if ((rc = comp_add(c, "true", "", CFG_COMP_ENUM)) != 0 ||
		    (rc = comp_add(c, "false", "", CFG_COMP_ENUM)) != 0)
			return rc;
	} else if ((rc = comp_placeholder(c, sn)) != 0) {
		return rc;
	}
	if (t && t->basetype == LY_TYPE_LEAFREF && si->lref && !c->live_xpath) {
		if ((c->live_xpath = live_xpath(w, si->lref, si->lref_relative)) == NULL)
			return -ENOMEM;
		c->live_snode = si->lref;
	}
	return 0;
}

static int
comp_list_key(
    struct cfg_completion *c, const struct cfg_walk *w, const struct lysc_node *list, uint32_t k)
{
	const struct cfg_sinfo *si = cfg_si(w->s, list);
	int rc;

	if (k >= si->nkeys)
		return 0;
	if ((rc = comp_values(c, w, si->keys[k])) != 0)
		return rc;
	if (!c->live_xpath) {
		if ((c->live_xpath = live_xpath(w, si->keys[k], true)) == NULL)
			return -ENOMEM;
		c->live_snode = si->keys[k];
	}
	return 0;
}

static int
comp_node(struct cfg_completion *c, const struct cfg_walk *w, enum cfg_cmd cmd)
{
	const struct cfg_sinfo *si = cfg_si(w->s, w->cur);
	int rc;

	for (uint32_t i = 0; i < si->nkw; i++) {
		const struct lysc_node *sn = si->kw[i].sn;
		enum cfg_comp_kind k = sn->nodetype & (LYS_CONTAINER | LYS_LIST)
		                           ? CFG_COMP_CONTAINER
		                       : sn->nodetype == LYS_LEAFLIST ? CFG_COMP_LEAFLIST
		                                                      : CFG_COMP_LEAF;

		if (cmd == CFG_CMD_EDIT && k != CFG_COMP_CONTAINER)
			continue;
		if ((rc = comp_add(c, sn->name, sn->dsc, k)) != 0)
			return rc;
	}
	if (si->flat) {
		struct cfg_walk tmp = *w;

		/* The flat list's key: walk as if its keyword had been typed. */
		tmp.cur = si->flat;
		if ((rc = comp_list_key(c, &tmp, si->flat, 0)) != 0)
			return rc;
	}
	if (si->positional && cmd != CFG_CMD_EDIT && (rc = comp_values(c, w, si->positional)) != 0)
		return rc;
	return 0;
}

static bool
cmd_multi(enum cfg_cmd cmd)
{
	return cmd == CFG_CMD_SET || cmd == CFG_CMD_DELETE;
}

/* The keywords of the scope a next statement would start in: the walk
 * taken back to step keep - 1. */
static int
comp_scope(struct cfg_completion *c, const struct cfg_walk *w, uint32_t keep, enum cfg_cmd cmd)
{
	struct cfg_walk *tmp = malloc(sizeof(*tmp));
	struct errbuf e = { .msg = "" };
	int rc;

	if (!tmp)
		return -ENOMEM;
	*tmp = *w;
	tmp->stmt_cb = NULL;
	errbuf_clear(&e);
	if ((rc = next_stmt(tmp, keep, &e)) == 0)
		rc = comp_node(c, tmp, cmd);
	free(tmp);
	return rc;
}

static int
comp_state(struct cfg_completion *c, const struct cfg_walk *w, enum cfg_cmd cmd)
{
	const struct cfg_step *st = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;
	int rc = 0;

	switch (w->state) {
	case CFG_W_NODE:
		if ((rc = comp_node(c, w, cmd)) != 0)
			return rc;
		if (cmd_multi(cmd) && presence_fallback(w, CFG_WALK_MULTI))
			return comp_scope(c, w, w->nsteps - 1, cmd);
		return 0;
	case CFG_W_KEYS:
		return comp_list_key(c, w, st->sn, st->nv);
	case CFG_W_VALUE:
		if (cmd == CFG_CMD_EDIT || cmd == CFG_CMD_SHOW)
			return 0;
		if ((rc = comp_values(c, w, st->sn)) != 0)
			return rc;
		/* delete: the value is optional, another statement may follow */
		if (cmd == CFG_CMD_DELETE && !st->positional)
			return comp_scope(c, w, w->nsteps - 1, cmd);
		return 0;
	case CFG_W_LLVALUE:
		if (cmd == CFG_CMD_EDIT || cmd == CFG_CMD_SHOW)
			return 0;
		if ((rc = comp_values(c, w, st->sn)) != 0 ||
		    (rc = comp_add(c, "[", "Open a set of values", CFG_COMP_OPEN_SET)) != 0)
			return rc;
		if (cmd == CFG_CMD_DELETE)
			return comp_scope(c, w, w->nsteps - 1, cmd);
		return 0;
	case CFG_W_SET:
		if ((rc = comp_values(c, w, st->sn)) != 0)
			return rc;
		return comp_add(c, "]", "Close a set of values", CFG_COMP_CLOSE_SET);
	case CFG_W_DONE:
		if (cmd_multi(cmd))
			return comp_scope(c, w, w->nsteps - 1, cmd);
		return 0;
	}
	return 0;
}

/* Sorted candidates: the same keyword offered by two scopes once. */
static void
comp_dedup(struct cfg_completion *c)
{
	size_t o = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (o && c->v[i].kind == c->v[o - 1].kind &&
		    strcmp(c->v[i].token, c->v[o - 1].token) == 0) {
			free(c->v[i].token);
			free(c->v[i].help);
			continue;
		}
		c->v[o++] = c->v[i];
	}
	c->n = o;
}

/* Tokens of an edit path, marked as not being part of the input (line 0). */
static int
lex_path(const char *path, struct cfg_toks *tv, struct errbuf *err)
{
	struct errbuf tmp = { .msg = "" };
	int rc;

	if (!path || !*path)
		return 0;
	errbuf_clear(&tmp);
	if ((rc = cfg_lex_line(path, strlen(path), tv, NULL, &tmp)) != 0)
		return errbuf_set(err, rc, "edit path: %s", tmp.msg);
	for (size_t i = 0; i < tv->n; i++)
		tv->v[i].line = 0;
	return 0;
}

static int
walk_path(
    struct cfg_walk *w, const struct cfg_toks *ptv, struct cfg_errpos *pos, struct errbuf *err)
{
	int rc;

	if ((rc = cfg_walk_run(w, ptv->v, ptv->n, 0, err)) != 0) {
		cfg_errpos_tok(pos, NULL);
		return rc;
	}
	if (w->state != CFG_W_NODE) {
		cfg_errpos_tok(pos, NULL);
		return errbuf_set(err, -EINVAL, "edit path: not a container or list entry.");
	}
	return 0;
}

int
cfg_complete(const struct cfg_schema *s, enum cfg_cmd cmd, const char *edit_path, const char *text,
    size_t len, struct cfg_completion *out, struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_toks ptv, tv;
	struct cfg_walk w;
	size_t nfull;
	int rc;

	memset(out, 0, sizeof(*out));
	cfg_toks_init(&ptv);
	cfg_toks_init(&tv);
	cfg_walk_init(&w, s);
	if ((rc = lex_path(edit_path, &ptv, err)) != 0 || (rc = walk_path(&w, &ptv, pos, err)) != 0)
		goto out;
	if ((rc = cfg_lex_line(text ? text : "", text ? len : 0, &tv, pos, err)) != 0) {
		/* An open quote: complete nothing rather than fail. */
		if (tv.n == 0 || len == 0 || text[len - 1] == ' ') {
			goto out;
		}
		errbuf_clear(err);
		rc = 0;
	}
	nfull = tv.n;
	if (nfull > 0 && len > 0 && !isspace((unsigned char)text[len - 1]) &&
	    tv.v[nfull - 1].type == CFG_TOK_WORD) {
		nfull--;
		out->partial = strdup(tv.v[nfull].s);
	} else {
		out->partial = strdup("");
	}
	if (!out->partial) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = cfg_walk_run(&w, tv.v, nfull,
	         CFG_WALK_VALIDATE | (cmd_multi(cmd) ? CFG_WALK_MULTI : 0) |
	             (cmd == CFG_CMD_DELETE ? CFG_WALK_DELETE : 0),
	         err)) != 0) {
		cfg_errpos_tok(pos, w.errtok);
		goto out;
	}
	out->complete = cfg_walk_complete(&w, cmd);
	if ((rc = comp_state(out, &w, cmd)) != 0) {
		errbuf_set(err, rc, "out of memory");
		goto out;
	}
	/* Keywords are sorted; values keep the schema's order. */
	if (out->n > 1 && (w.state == CFG_W_NODE || w.state == CFG_W_DONE)) {
		qsort(out->v, out->n, sizeof(out->v[0]), comp_cmp);
		comp_dedup(out);
	}
out:
	if (rc != 0)
		cfg_completion_fini(out);
	cfg_walk_fini(&w);
	cfg_toks_fini(&tv);
	cfg_toks_fini(&ptv);
	return rc;
}

void
cfg_completion_fini(struct cfg_completion *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].token);
		free(c->v[i].help);
	}
	free(c->v);
	free(c->partial);
	free(c->live_xpath);
	memset(c, 0, sizeof(*c));
}

/* ---- edit paths ---- */

static char *
steps_text(const struct cfg_walk *w, uint32_t nsteps)
{
	struct buf b = BUF_INIT;

	for (uint32_t i = 0; i < nsteps; i++) {
		if (i)
			buf_putc(&b, ' ');
		cfg_step_words(&b, w, &w->steps[i]);
	}
	if (buf_failed(&b)) {
		buf_free(&b);
		errno = ENOMEM;
		return NULL;
	}
	return b.p ? buf_steal(&b) : strdup("");
}

int
cfg_path_edit(const struct cfg_schema *s, const char *base, const char *text, size_t len,
    char **out, struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_toks ptv, tv;
	struct cfg_walk w;
	int rc;

	*out = NULL;
	cfg_toks_init(&ptv);
	cfg_toks_init(&tv);
	cfg_walk_init(&w, s);
	if ((rc = lex_path(base, &ptv, err)) != 0 || (rc = walk_path(&w, &ptv, pos, err)) != 0)
		goto out;
	if ((rc = cfg_lex_line(text ? text : "", text ? len : 0, &tv, pos, err)) != 0)
		goto out;
	if ((rc = cfg_walk_run(&w, tv.v, tv.n, CFG_WALK_VALIDATE, err)) != 0) {
		cfg_errpos_tok(pos, w.errtok);
		goto out;
	}
	if (w.state != CFG_W_NODE) {
		const struct cfg_step *st = &w.steps[w.nsteps - 1];

		if (w.state == CFG_W_KEYS) {
			cfg_errpos_end(pos, tv.v, tv.n);
			rc = errbuf_set(err, -EINVAL, "missing argument.");
		} else {
			cfg_errpos_tok(pos, st->tok);
			rc = errbuf_set(err, -EINVAL, "syntax error.");
		}
		goto out;
	}
	if ((*out = steps_text(&w, w.nsteps)) == NULL)
		rc = errbuf_set(err, -ENOMEM, "out of memory");
out:
	cfg_walk_fini(&w);
	cfg_toks_fini(&tv);
	cfg_toks_fini(&ptv);
	return rc;
}

int
cfg_path_up(const struct cfg_schema *s, const char *path, unsigned n, char **out,
    unsigned *levels_left, struct errbuf *err)
{
	struct cfg_toks ptv;
	struct cfg_walk w;
	uint32_t keep;
	int rc;

	*out = NULL;
	cfg_toks_init(&ptv);
	cfg_walk_init(&w, s);
	if ((rc = lex_path(path, &ptv, err)) != 0 || (rc = walk_path(&w, &ptv, NULL, err)) != 0)
		goto out;
	keep = n >= w.nsteps ? 0 : w.nsteps - n;
	if ((*out = steps_text(&w, keep)) == NULL)
		rc = errbuf_set(err, -ENOMEM, "out of memory");
	if (levels_left)
		*levels_left = keep;
out:
	cfg_walk_fini(&w);
	cfg_toks_fini(&ptv);
	return rc;
}

const struct lysc_node *
cfg_path_snode(const struct cfg_schema *s, const char *path)
{
	struct cfg_toks ptv;
	struct cfg_walk w;
	const struct lysc_node *sn = NULL;
	struct errbuf err = { .msg = "" };

	errbuf_clear(&err);
	cfg_toks_init(&ptv);
	cfg_walk_init(&w, s);
	if (lex_path(path, &ptv, &err) == 0 && cfg_walk_run(&w, ptv.v, ptv.n, 0, &err) == 0 &&
	    w.nsteps)
		sn = w.steps[w.nsteps - 1].sn;
	cfg_walk_fini(&w);
	cfg_toks_fini(&ptv);
	return sn;
}
