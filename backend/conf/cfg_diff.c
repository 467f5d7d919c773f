/* SPDX-License-Identifier: MIT */
/*
 * cfg_diff: walks the old and the new tree together. At each level the
 * siblings are taken as groups (all instances of one schema node); each
 * group of one tree finds its counterpart, and each list entry its twin,
 * through libyang's sibling hashes, so the cost is linear in the size of
 * both trees. Statements are printed by cfg_print's curly printer with a
 * '+' or '-' mark.
 */
#include "cfg_diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "cfg_lex.h"
#include "cfg_print.h"
#include "banned.h"

struct df {
	const struct cfg_schema *s;
	struct buf *out;
	struct buf hdr;      /* words of the current path */
	struct buf last_hdr; /* the last header printed */
	bool any_hdr;
	struct cfg_pr plus, minus;
	/* Inside a joined container: its keyword, put before the next
	 * statement printed or the next header word ("family inet"). */
	const char *jname;
	int rc;
};

static void
df_header(struct df *d)
{
	const char *h = buf_str(&d->hdr);

	if (d->any_hdr && strcmp(buf_str(&d->last_hdr), h) == 0)
		return;
	buf_puts(d->out, "[edit");
	if (*h) {
		buf_putc(d->out, ' ');
		buf_puts(d->out, h);
	}
	buf_puts(d->out, "]\n");
	buf_reset(&d->last_hdr);
	buf_puts(&d->last_hdr, h);
	d->any_hdr = true;
}

static void
df_print(struct df *d, struct cfg_pr *p, const struct lyd_node *n, bool entry_keys_only)
{
	df_header(d);
	p->prefix = d->jname;
	if (entry_keys_only)
		cfg_pr_entry(p, n, 0, true);
	else
		cfg_pr_node(p, n, 0);
	p->prefix = NULL;
}

static void
df_plus(struct df *d, const struct lyd_node *n)
{
	df_print(d, &d->plus, n, false);
}

static void
df_minus(struct df *d, const struct lyd_node *n)
{
	df_print(d, &d->minus, n, false);
}

/* Header words go one level down: a joined container's keyword first.
 * *jname gets what to restore at hdr_pop. */
static size_t
hdr_mark(struct df *d, const char **jname)
{
	size_t mark = d->hdr.len;

	*jname = d->jname;
	if (d->jname) {
		if (d->hdr.len)
			buf_putc(&d->hdr, ' ');
		buf_puts(&d->hdr, d->jname);
		d->jname = NULL;
	}
	if (d->hdr.len)
		buf_putc(&d->hdr, ' ');
	return mark;
}

static size_t
hdr_push_name(struct df *d, const char *name, const char **jname)
{
	size_t mark = hdr_mark(d, jname);

	buf_puts(&d->hdr, name);
	return mark;
}

static size_t
hdr_push_entry(struct df *d, const struct lyd_node *e, bool keys_only, const char **jname)
{
	size_t mark = hdr_mark(d, jname);

	cfg_entry_words(&d->hdr, e, keys_only);
	return mark;
}

static void
hdr_pop(struct df *d, size_t mark, const char *jname)
{
	d->hdr.len = mark;
	if (d->hdr.p)
		d->hdr.p[mark] = '\0';
	d->jname = jname;
}

static const struct lyd_node *
group_end(const struct lyd_node *first)
{
	const struct lyd_node *n = first;

	while (n && n->schema == first->schema)
		n = n->next;
	return n;
}

static bool
group_has_content(const struct lyd_node *first)
{
	if (!first)
		return false;
	for (const struct lyd_node *n = first; n && n->schema == first->schema; n = n->next)
		if (cfg_has_content(n))
			return true;
	return false;
}

static const struct lyd_node *
first_instance(const struct lyd_node *siblings, const struct lysc_node *sn)
{
	struct lyd_node *m = NULL;

	if (!siblings || lyd_find_sibling_val(siblings, sn, NULL, 0, &m) != LY_SUCCESS)
		return NULL;
	return m;
}

static const struct lyd_node *
twin(const struct lyd_node *siblings, const struct lyd_node *n)
{
	struct lyd_node *m = NULL;

	if (!siblings || lyd_find_sibling_first(siblings, n, &m) != LY_SUCCESS)
		return NULL;
	return m;
}

static void diff_siblings(
    struct df *d, const struct lyd_node *o, const struct lyd_node *n, const struct lysc_node *skip);

static bool
same_value(const struct lyd_node *a, const struct lyd_node *b)
{
	return strcmp(lyd_get_value(a), lyd_get_value(b)) == 0;
}

static bool
leaflist_equal(const struct lyd_node *o, const struct lyd_node *n)
{
	const struct lyd_node *oe = group_end(o), *ne = group_end(n);

	for (;;) {
		while (o != oe && !cfg_has_content(o))
			o = o->next;
		while (n != ne && !cfg_has_content(n))
			n = n->next;
		if (o == oe || n == ne)
			return o == oe && n == ne;
		if (!same_value(o, n))
			return false;
		o = o->next;
		n = n->next;
	}
}

/* Both sides have this container or entry: the differences inside. */
static void
diff_inner(struct df *d, const struct lyd_node *o, const struct lyd_node *n, bool keys_only)
{
	const char *j;
	size_t mark;

	if (n->schema->nodetype == LYS_LIST) {
		mark = hdr_push_entry(d, n, keys_only, &j);
		diff_siblings(d, lyd_child_no_keys(o), lyd_child_no_keys(n), NULL);
	} else if (cfg_snode_flags(n->schema) & CFG_SN_JOINED) {
		/* family inet: no header level of its own; its statements
		 * carry its keyword, headers below name the pair */
		j = d->jname;
		d->jname = n->schema->name;
		diff_siblings(d, lyd_child(o), lyd_child(n), NULL);
		d->jname = j;
		return;
	} else {
		mark = hdr_push_name(d, n->schema->name, &j);
		diff_siblings(d, lyd_child(o), lyd_child(n), NULL);
	}
	hdr_pop(d, mark, j);
}

/* Print an entry alone: a grouped list's entries by their keys. */
static void
pr_entry(struct df *d, struct cfg_pr *p, const struct lyd_node *e, bool keys_only)
{
	df_print(d, p, e, keys_only);
}

/* ---- ordered-by-user lists: entries that changed places ---- */

struct idx {
	const struct lyd_node *node;
	size_t pos;
};

static int
idx_cmp(const void *a, const void *b)
{
	const struct lyd_node *x = ((const struct idx *)a)->node,
	                      *y = ((const struct idx *)b)->node;

	return x < y ? -1 : x > y;
}

/*
 * moved[i] for the i-th new entry that has an old twin: true when it is
 * not part of a longest run kept in the same relative order.
 */
static bool *
moved_entries(const struct lyd_node *ofirst, const struct lyd_node *nfirst, size_t *count)
{
	size_t no = 0, nm = 0, i, len = 0;
	struct idx *oi = NULL;
	size_t *seq = NULL, *tail = NULL, *prev = NULL;
	bool *moved = NULL;

	*count = 0;
	for (const struct lyd_node *m = ofirst; m && m->schema == ofirst->schema; m = m->next)
		no++;
	for (const struct lyd_node *m = nfirst; m && m->schema == nfirst->schema; m = m->next)
		nm++;
	oi = malloc((no ? no : 1) * sizeof(*oi));
	seq = malloc((nm ? nm : 1) * sizeof(*seq));
	tail = malloc((nm ? nm : 1) * sizeof(*tail));
	prev = malloc((nm ? nm : 1) * sizeof(*prev));
	moved = calloc(nm ? nm : 1, sizeof(*moved));
	if (!oi || !seq || !tail || !prev || !moved)
		goto fail;
	i = 0;
	for (const struct lyd_node *m = ofirst; m && m->schema == ofirst->schema;
	     m = m->next, i++) {
		oi[i].node = m;
		oi[i].pos = i;
	}
	qsort(oi, no, sizeof(*oi), idx_cmp);
	/* Old positions of the new entries that have twins, in new order. */
	nm = 0;
	for (const struct lyd_node *m = nfirst; m && m->schema == nfirst->schema; m = m->next) {
		const struct lyd_node *t = twin(ofirst, m);
		struct idx key = { .node = t }, *hit;

		if (!t)
			continue;
		hit = bsearch(&key, oi, no, sizeof(*oi), idx_cmp);
		seq[nm++] = hit ? hit->pos : 0;
	}
	/* Longest increasing subsequence (patience), then mark the rest. */
	for (i = 0; i < nm; i++) {
		size_t lo = 0, hi = len;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (seq[tail[mid]] < seq[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? tail[lo - 1] : SIZE_MAX;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (i = 0; i < nm; i++)
		moved[i] = true;
	for (size_t k = len ? tail[len - 1] : SIZE_MAX; k != SIZE_MAX; k = prev[k])
		moved[k] = false;
	*count = nm;
	free(oi);
	free(seq);
	free(tail);
	free(prev);
	return moved;
fail:
	free(oi);
	free(seq);
	free(tail);
	free(prev);
	free(moved);
	return NULL;
}

/* ---- groups ---- */

static void
diff_list(struct df *d, const struct lyd_node *o, const struct lyd_node *n, bool keys_only)
{
	bool *moved = NULL;
	size_t nmoved = 0, k = 0;

	/* Entries that went, in the old order. */
	for (const struct lyd_node *m = o; m && m->schema == o->schema; m = m->next)
		if (!twin(n, m))
			pr_entry(d, &d->minus, m, keys_only);
	if (o && n && lysc_is_userordered(n->schema) &&
	    (moved = moved_entries(o, n, &nmoved)) == NULL) {
		d->rc = -ENOMEM;
		return;
	}
	for (const struct lyd_node *m = n; m && m->schema == n->schema; m = m->next) {
		const struct lyd_node *t = twin(o, m);

		if (!t) {
			pr_entry(d, &d->plus, m, keys_only);
			continue;
		}
		if (moved && k < nmoved && moved[k++]) {
			pr_entry(d, &d->minus, t, keys_only);
			pr_entry(d, &d->plus, m, keys_only);
			continue;
		}
		diff_inner(d, t, m, keys_only);
	}
	free(moved);
}

/* from-zone a to-zone b: the pairs are the units. */
static void
diff_joined(struct df *d, const struct lyd_node *o, const struct lyd_node *n)
{
	const struct lysc_node *child = cfg_si(d->s, (o ? o : n)->schema)->joined;

	for (const struct lyd_node *e = o; e && e->schema == o->schema; e = e->next)
		if (!twin(n, e))
			df_minus(d, e);
	for (const struct lyd_node *e = n; e && e->schema == n->schema; e = e->next) {
		const struct lyd_node *oe = twin(o, e), *of, *nf, *f;
		const char *j;
		size_t mark;

		if (!oe) {
			df_plus(d, e);
			continue;
		}
		of = first_instance(lyd_child_no_keys(oe), child);
		nf = first_instance(lyd_child_no_keys(e), child);
		for (f = of; f && f->schema == of->schema; f = f->next) {
			if (!twin(nf, f)) {
				df_header(d);
				d->minus.prefix = d->jname;
				cfg_pr_joined(&d->minus, oe, f, 0);
				d->minus.prefix = NULL;
			}
		}
		for (f = nf; f && f->schema == nf->schema; f = f->next) {
			const struct lyd_node *t = twin(of, f);

			if (!t) {
				df_header(d);
				d->plus.prefix = d->jname;
				cfg_pr_joined(&d->plus, e, f, 0);
				d->plus.prefix = NULL;
				continue;
			}
			const char *j2;

			mark = hdr_push_entry(d, e, false, &j);
			hdr_push_entry(d, f, false, &j2);
			diff_siblings(d, lyd_child_no_keys(t), lyd_child_no_keys(f), NULL);
			hdr_pop(d, mark, j);
		}
		/* Anything else the entry holds. */
		mark = hdr_push_entry(d, e, false, &j);
		diff_siblings(d, lyd_child_no_keys(oe), lyd_child_no_keys(e), child);
		hdr_pop(d, mark, j);
	}
}

/* One group: o and n are the first instances (either may be NULL). */
static void
diff_group(struct df *d, const struct lyd_node *o, const struct lyd_node *n)
{
	const struct lysc_node *sn;
	unsigned fl;
	bool oc = group_has_content(o), nc = group_has_content(n);
	const char *j;
	size_t mark;

	if (!oc && !nc)
		return;
	sn = (o ? o : n)->schema;
	fl = cfg_snode_flags(sn);
	if (lysc_is_key(sn))
		return;
	switch (sn->nodetype) {
	case LYS_LEAF:
		if (oc && nc && same_value(o, n))
			return;
		if (oc)
			df_minus(d, o);
		if (nc)
			df_plus(d, n);
		return;
	case LYS_LEAFLIST:
		if (oc && nc && leaflist_equal(o, n))
			return;
		if (oc)
			df_minus(d, o);
		if (nc)
			df_plus(d, n);
		return;
	case LYS_CONTAINER:
		if (oc && nc)
			diff_inner(d, o, n, false);
		else if (oc)
			df_minus(d, o);
		else
			df_plus(d, n);
		return;
	case LYS_LIST:
		if (fl & CFG_SN_JOINED) {
			diff_joined(d, oc ? o : NULL, nc ? n : NULL);
		} else if (fl & CFG_SN_GROUPED) {
			if (!oc || !nc) {
				struct cfg_pr *p = oc ? &d->minus : &d->plus;

				df_header(d);
				p->prefix = d->jname;
				cfg_pr_group(p, oc ? o : n, 0);
				p->prefix = NULL;
				return;
			}
			mark = hdr_push_name(d, sn->name, &j);
			diff_list(d, o, n, true);
			hdr_pop(d, mark, j);
		} else {
			diff_list(d, oc ? o : NULL, nc ? n : NULL, false);
		}
		return;
	default:
		return;
	}
}

struct pair {
	const struct lyd_node *o, *n;
	uint32_t pos;
};

static int
pair_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct pair *)a)->pos, y = ((const struct pair *)b)->pos;

	return x < y ? -1 : x > y;
}

static void
diff_siblings(
    struct df *d, const struct lyd_node *o, const struct lyd_node *n, const struct lysc_node *skip)
{
	struct pair stack[32], *v = stack;
	size_t cnt = 0, cap = sizeof(stack) / sizeof(stack[0]);

	/* Groups of the new side with their old twins, then old-only groups. */
	for (int side = 0; side < 2 && d->rc == 0; side++) {
		const struct lyd_node *first = side ? o : n;

		for (const struct lyd_node *g = first; g; g = group_end(g)) {
			const struct lyd_node *other;

			if (!g->schema || !g->schema->priv || g->schema == skip)
				continue;
			other = first_instance(side ? n : o, g->schema);
			if (side && other)
				continue; /* paired already */
			if (cnt == cap) {
				size_t ncap = cap * 2;
				struct pair *nv = v == stack ? malloc(ncap * sizeof(*nv))
				                             : realloc(v, ncap * sizeof(*nv));

				if (!nv) {
					d->rc = -ENOMEM;
					break;
				}
				if (v == stack)
					memcpy(nv, stack, sizeof(stack));
				v = nv;
				cap = ncap;
			}
			v[cnt].o = side ? g : other;
			v[cnt].n = side ? NULL : g;
			v[cnt].pos = ((const struct cfg_sinfo *)g->schema->priv)->pos;
			cnt++;
		}
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), pair_cmp);
	for (size_t i = 0; i < cnt && d->rc == 0; i++)
		diff_group(d, v[i].o, v[i].n);
	if (v != stack)
		free(v);
}

/* ---- the selected part ---- */

int
cfg_compare(const struct cfg_schema *s, const struct lyd_node *old_tree,
    const struct lyd_node *new_tree, const char *edit_path, const char *path, size_t pathlen,
    unsigned flags, struct buf *out, struct cfg_errpos *pos, struct errbuf *err)
{
	struct df d = {
		.s = s,
		.out = out,
		.hdr = BUF_INIT,
		.last_hdr = BUF_INIT,
		.plus = { .s = s, .out = out, .flags = flags, .mark = "+", .base = 3 },
		.minus = { .s = s, .out = out, .flags = flags, .mark = "-", .base = 3 },
	};
	struct cfg_toks ptv, tv;
	struct cfg_walk w;
	const struct cfg_step *st;
	struct lyd_node *const *ot = (struct lyd_node *const *)&old_tree;
	struct lyd_node *const *nt = (struct lyd_node *const *)&new_tree;
	int rc = 0;

	cfg_toks_init(&ptv);
	cfg_toks_init(&tv);
	cfg_walk_init(&w, s);
	if (edit_path && *edit_path) {
		if ((rc = cfg_lex_line(edit_path, strlen(edit_path), &ptv, NULL, err)) != 0)
			goto out;
		for (size_t i = 0; i < ptv.n; i++)
			ptv.v[i].line = 0;
	}
	if (path && (rc = cfg_lex_line(path, pathlen, &tv, pos, err)) != 0)
		goto out;
	if ((rc = cfg_walk_run(&w, ptv.v, ptv.n, 0, err)) != 0 ||
	    (rc = cfg_walk_run(&w, tv.v, tv.n, CFG_WALK_VALIDATE, err)) != 0) {
		cfg_errpos_tok(pos, w.errtok);
		goto out;
	}
	if (!cfg_walk_complete(&w, CFG_CMD_SHOW)) {
		cfg_errpos_end(pos, tv.v, tv.n);
		rc = errbuf_set(
		    err, -EINVAL, w.state == CFG_W_DONE ? "syntax error." : "missing argument.");
		goto out;
	}
	if (w.nsteps == 0) {
		diff_siblings(&d, old_tree, new_tree, NULL);
		goto done;
	}
	st = &w.steps[w.nsteps - 1];
	for (uint32_t i = 0; i + 1 < w.nsteps; i++) {
		/* A joined container right above: its keyword goes with the
		 * statement ("family inet {" under [edit ... unit 0]). */
		if (i + 2 == w.nsteps && w.steps[i].kind == CFG_STEP_CONT &&
		    (cfg_snode_flags(w.steps[i].sn) & CFG_SN_JOINED)) {
			d.jname = w.steps[i].sn->name;
			break;
		}
		if (d.hdr.len)
			buf_putc(&d.hdr, ' ');
		cfg_step_words(&d.hdr, &w, &w.steps[i]);
	}
	{
		const struct lyd_node *po =
		    w.nsteps > 1 ? cfg_ed_find(s, ot, NULL, &w, w.nsteps - 1) : NULL;
		const struct lyd_node *pn =
		    w.nsteps > 1 ? cfg_ed_find(s, nt, NULL, &w, w.nsteps - 1) : NULL;
		const struct lyd_node *so = w.nsteps > 1 ? (po ? lyd_child(po) : NULL) : old_tree;
		const struct lyd_node *sn = w.nsteps > 1 ? (pn ? lyd_child(pn) : NULL) : new_tree;

		if (st->kind == CFG_STEP_CONT || st->kind == CFG_STEP_ENTRY) {
			const struct lyd_node *o = cfg_ed_find(s, ot, NULL, &w, w.nsteps);
			const struct lyd_node *n = cfg_ed_find(s, nt, NULL, &w, w.nsteps);
			bool oc = o && cfg_has_content(o), nc = n && cfg_has_content(n);

			if (oc && nc)
				diff_inner(&d, o, n, false);
			else if (oc)
				df_minus(&d, o);
			else if (nc)
				df_plus(&d, n);
		} else {
			diff_group(&d, first_instance(so, st->sn), first_instance(sn, st->sn));
		}
	}
done:
	rc = d.rc;
	if (rc == 0 && buf_failed(out))
		rc = -ENOMEM;
	if (rc == -ENOMEM)
		errbuf_set(err, rc, "out of memory");
out:
	buf_free(&d.hdr);
	buf_free(&d.last_hdr);
	cfg_walk_fini(&w);
	cfg_toks_fini(&tv);
	cfg_toks_fini(&ptv);
	return rc;
}
