/* SPDX-License-Identifier: MIT */
/*
 * cfg_schema: loads the YANG directory into a libyang context and
 * precomputes, for every schema node, what the Junos text formats need
 * (see cfg_schema.h). The per-node data lives in one array; each
 * lysc_node.priv points at its entry.
 */
#include "cfg_schema.h"

#include <dirent.h>
#include <errno.h>
#include <libyang/plugins_exts.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "log.h"
#include "banned.h"

#define EXT_MODULE "cairn-extensions"

static void
ly_log_cb(LY_LOG_LEVEL level, const char *msg, const char *path)
{
	(void)level;
	log_debug(LOG_CFG, "libyang: %s%s%s", msg, path ? " at " : "", path ? path : "");
}

unsigned
cfg_snode_flags(const struct lysc_node *sn)
{
	const struct cfg_sinfo *si = sn ? sn->priv : NULL;

	return si ? si->flags : 0;
}

struct ly_ctx *
cfg_schema_ctx(const struct cfg_schema *s)
{
	return s->ctx;
}

static int
kw_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cfg_kw *)a)->name, ((const struct cfg_kw *)b)->name);
}

const struct lysc_node *
cfg_kw_find(const struct cfg_sinfo *si, const char *name, size_t len)
{
	uint32_t lo = 0, hi = si->nkw;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strncmp(si->kw[mid].name, name, len);

		if (c == 0 && si->kw[mid].name[len] != '\0')
			c = 1;
		if (c == 0)
			return si->kw[mid].sn;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t
cfg_kw_prefix(const struct cfg_sinfo *si, const char *prefix, size_t len, uint32_t *first)
{
	uint32_t lo = 0, hi = si->nkw, n = 0;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strncmp(si->kw[mid].name, prefix, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < si->nkw && strncmp(si->kw[lo + n].name, prefix, len) == 0)
		n++;
	return n;
}

static unsigned
ext_flags(const struct lysc_node *sn)
{
	static const struct {
		const char *name;
		unsigned flag;
	} map[] = {
		{ "flat-key", CFG_SN_FLAT_KEY },
		{ "secret", CFG_SN_SECRET },
		{ "hashed", CFG_SN_HASHED },
		{ "positional", CFG_SN_POSITIONAL },
		{ "oneliner", CFG_SN_ONELINER },
		{ "grouped", CFG_SN_GROUPED },
		{ "joined", CFG_SN_JOINED },
	};
	LY_ARRAY_COUNT_TYPE u;
	unsigned f = 0;

	LY_ARRAY_FOR(sn->exts, u)
	{
		const struct lysc_ext *def = sn->exts[u].def;

		if (strcmp(def->module->name, EXT_MODULE) != 0)
			continue;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(def->name, map[i].name) == 0)
				f |= map[i].flag;
	}
	if (sn->flags & LYS_CONFIG_R)
		f |= CFG_SN_STATE;
	return f;
}

/* Counts the nodes below (and including) sn that get an info entry. */
static size_t
count_nodes(const struct lysc_node *sn)
{
	size_t n = 0;

	for (; sn; sn = sn->next) {
		if (!(sn->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST |
		                         LYS_CHOICE | LYS_CASE | LYS_ANYDATA)))
			continue;
		n += 1 + count_nodes(lysc_node_child(sn));
	}
	return n;
}

struct build {
	struct cfg_schema *s;
	size_t next;
	uint32_t pos;
	int rc;
};

static int add_keywords(struct cfg_sinfo *si, const struct lysc_node *first, size_t *cap);

/* Adds c as a CLI keyword of si, or what it holds for a choice or case. */
static int
add_keyword(struct cfg_sinfo *si, const struct lysc_node *c, size_t *cap)
{
	if (c->nodetype & (LYS_CHOICE | LYS_CASE))
		return add_keywords(si, lysc_node_child(c), cap);
	if (!(c->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST)))
		return 0;
	if ((c->flags & LYS_CONFIG_R) || lysc_is_key(c))
		return 0;
	if ((c->nodetype & LYS_LIST) && (ext_flags(c) & CFG_SN_FLAT_KEY)) {
		if (!si->flat)
			si->flat = c;
		return 0;
	}
	if ((c->nodetype & LYS_LEAF) && (ext_flags(c) & CFG_SN_POSITIONAL) && !si->positional)
		si->positional = c;
	if (si->nkw == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct cfg_kw *kw = realloc(si->kw, ncap * sizeof(*kw));

		if (!kw)
			return -ENOMEM;
		si->kw = kw;
		*cap = ncap;
	}
	si->kw[si->nkw].name = c->name;
	si->kw[si->nkw].sn = c;
	si->nkw++;
	return 0;
}

/* Adds the CLI keywords found among siblings (through choices and cases). */
static int
add_keywords(struct cfg_sinfo *si, const struct lysc_node *first, size_t *cap)
{
	for (const struct lysc_node *c = first; c; c = c->next)
		if (add_keyword(si, c, cap) != 0)
			return -ENOMEM;
	return 0;
}

static int
fill_keywords(struct cfg_sinfo *si, const struct lysc_node *first)
{
	size_t cap = 0;

	if (add_keywords(si, first, &cap) != 0)
		return -ENOMEM;
	if (si->nkw)
		qsort(si->kw, si->nkw, sizeof(si->kw[0]), kw_cmp);
	return 0;
}

static void
fill_leafref(struct cfg_sinfo *si, const struct lysc_node *sn)
{
	const struct lysc_type *t = ((const struct lysc_node_leaf *)sn)->type;
	const struct lysc_type_leafref *lr;
	struct ly_set *set = NULL;

	if (sn->nodetype == LYS_LEAFLIST)
		t = ((const struct lysc_node_leaflist *)sn)->type;
	if (t->basetype != LY_TYPE_LEAFREF)
		return;
	lr = (const struct lysc_type_leafref *)t;
	if (lys_find_expr_atoms(sn, sn->module, lr->path, lr->prefixes, 0, &set) == LY_SUCCESS) {
		for (uint32_t i = set->count; i-- > 0;) {
			if (set->snodes[i]->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
				si->lref = set->snodes[i];
				break;
			}
		}
	}
	ly_set_free(set, NULL);
	si->lref_relative = lyxp_get_expr(lr->path)[0] != '/';
}

static void build_siblings(struct build *b, const struct lysc_node *first, bool in_choice);

static void
build_one(struct build *b, const struct lysc_node *sn, bool in_choice)
{
	struct cfg_sinfo *si;

	if (!(sn->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST | LYS_CHOICE |
	                         LYS_CASE | LYS_ANYDATA)))
		return;
	si = &b->s->infos[b->next++];
	((struct lysc_node *)sn)->priv = si;
	si->flags = ext_flags(sn);
	si->nodetype = sn->nodetype;
	si->pos = b->pos++;
	si->in_choice = in_choice;
	if ((sn->nodetype & (LYS_CONTAINER | LYS_LIST)) &&
	    fill_keywords(si, lysc_node_child(sn)) != 0)
		b->rc = -ENOMEM;
	if (sn->nodetype == LYS_LIST) {
		for (const struct lysc_node *c = lysc_node_child(sn); c && lysc_is_key(c);
		     c = c->next)
			if (si->nkeys < CFG_MAX_KEYS)
				si->keys[si->nkeys++] = c;
	}
	if (sn->nodetype & (LYS_LEAF | LYS_LEAFLIST))
		fill_leafref(si, sn);
	/* Children of a choice or case sit in a case of their data parent. */
	build_siblings(b, lysc_node_child(sn), (sn->nodetype & (LYS_CHOICE | LYS_CASE)) != 0);
}

static void
build_siblings(struct build *b, const struct lysc_node *first, bool in_choice)
{
	for (const struct lysc_node *sn = first; sn && b->rc == 0; sn = sn->next)
		build_one(b, sn, in_choice);
}

/* Joined lists name their only child list once everything has info
 * (joined containers need nothing more). */
static void
fill_joined(struct cfg_schema *s)
{
	for (size_t i = 0; i < s->ninfos; i++) {
		struct cfg_sinfo *si = &s->infos[i];

		if (!(si->flags & CFG_SN_JOINED) || si->nodetype == LYS_CONTAINER)
			continue;
		for (uint32_t k = 0; k < si->nkw; k++) {
			if (si->kw[k].sn->nodetype == LYS_LIST) {
				si->joined = si->kw[k].sn;
				break;
			}
		}
		if (!si->joined)
			si->flags &= ~CFG_SN_JOINED;
	}
}

/*
 * Top-level statements print in the order Junos uses, whatever order the
 * modules were loaded in; statements Junos does not know follow, by name
 * (then by module name, for two modules with the same top node name).
 */
static int
top_rank(const char *name)
{
	static const char *const order[] = { "version", "system", "chassis", "services",
		"interfaces", "snmp", "forwarding-options", "routing-options", "protocols",
		"policy-options", "class-of-service", "firewall", "security", "applications" };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(order[i], name) == 0)
			return (int)i;
	return 1000;
}

static int
top_cmp(const void *a, const void *b)
{
	const struct lysc_node *x = *(const struct lysc_node *const *)a;
	const struct lysc_node *y = *(const struct lysc_node *const *)b;
	int rx = top_rank(x->name), ry = top_rank(y->name);

	int c;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->module->name, y->module->name);
}

static int
build_infos(struct cfg_schema *s)
{
	const struct lys_module *mod;
	const struct lysc_node **tops = NULL;
	size_t ntops = 0, n = 0, cap = 0;
	uint32_t idx = 0;
	struct build b = { .s = s };
	int rc = 0;

	while ((mod = ly_ctx_get_module_iter(s->ctx, &idx)) != NULL) {
		if (!mod->implemented || !mod->compiled)
			continue;
		n += count_nodes(mod->compiled->data);
		for (const struct lysc_node *sn = mod->compiled->data; sn; sn = sn->next) {
			if (ntops == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				const struct lysc_node **t = realloc(tops, ncap * sizeof(*t));

				if (!t) {
					rc = -ENOMEM;
					goto out;
				}
				tops = t;
				cap = ncap;
			}
			tops[ntops++] = sn;
		}
	}
	if ((s->infos = calloc(n ? n : 1, sizeof(*s->infos))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	s->ninfos = n;
	qsort(tops, ntops, sizeof(*tops), top_cmp);
	/* Each tree in print order, then the top level's keywords. */
	for (size_t i = 0; i < ntops && rc == 0; i++) {
		build_one(&b, tops[i], false);
		rc = b.rc;
	}
	if (rc == 0) {
		size_t kcap = 0;

		for (size_t i = 0; i < ntops && rc == 0; i++)
			rc = add_keyword(&s->top, tops[i], &kcap);
		if (rc == 0 && s->top.nkw)
			qsort(s->top.kw, s->top.nkw, sizeof(s->top.kw[0]), kw_cmp);
	}
	fill_joined(s);
out:
	free(tops);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Module names of the *.yang files of dir ("name@rev.yang" -> "name"). */
static int
list_modules(const char *dir, char ***names, size_t *count)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*names = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char *name, *at;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".yang") != 0 || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		if ((name = strndup(de->d_name, len - 5)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		if ((at = strchr(name, '@')) != NULL)
			*at = '\0';
		v[n++] = name;
	}
	closedir(d);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*names = v;
	*count = n;
	return 0;
}

struct cfg_schema *
cfg_schema_load(const char *yang_dir, struct errbuf *err)
{
	static const char *all_features[] = { "*", NULL };
	struct cfg_schema *s = NULL;
	char **names = NULL;
	size_t nnames = 0;
	int rc;

	ly_log_options(LY_LOLOG | LY_LOSTORE_LAST);
	ly_set_log_clb(ly_log_cb, 1);
	if ((rc = list_modules(yang_dir, &names, &nnames)) != 0) {
		errbuf_set(err, rc, "cannot read YANG directory %s: %s", yang_dir, strerror(-rc));
		goto fail;
	}
	if (nnames == 0) {
		rc = errbuf_set(err, -ENOENT, "no YANG modules in %s", yang_dir);
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (ly_ctx_new(yang_dir, LY_CTX_DISABLE_SEARCHDIR_CWD | LY_CTX_NO_YANGLIBRARY, &s->ctx) !=
	    LY_SUCCESS) {
		rc = errbuf_set(err, -EINVAL, "libyang: cannot create a context");
		goto fail;
	}
	for (size_t i = 0; i < nnames; i++) {
		if (!ly_ctx_load_module(s->ctx, names[i], NULL, all_features)) {
			rc = errbuf_set(err, -EINVAL, "YANG module %s: %s", names[i],
			    ly_errmsg(s->ctx) ? ly_errmsg(s->ctx) : "cannot be loaded");
			goto fail;
		}
	}
	if ((rc = build_infos(s)) != 0) {
		errbuf_set(err, rc, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return s;
fail:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	cfg_schema_free(s);
	errno = -rc;
	return NULL;
}

void
cfg_schema_free(struct cfg_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ninfos; i++)
		free(s->infos[i].kw);
	free(s->infos);
	free(s->top.kw);
	if (s->ctx)
		ly_ctx_destroy(s->ctx);
	free(s);
}
