/* SPDX-License-Identifier: MIT */
/*
 * cfg_int: what the cairn-conf modules share internally: the per-schema-
 * node information kept in lysc_node.priv, and small helpers over it.
 * Not part of the library's API.
 */
#ifndef CAIRN_CFG_INT_H
#define CAIRN_CFG_INT_H

#include <libyang/libyang.h>
#include <stdbool.h>
#include <stdint.h>

#include "cfg_schema.h"
#include "cfg_print.h"
#include "cfg_walk.h"

#define CFG_MAX_KEYS 8

/* A CLI keyword below a node: a container, list, leaf or leaf-list. */
struct cfg_kw {
	const char *name;
	const struct lysc_node *sn;
};

struct cfg_sinfo {
	unsigned flags;    /* enum cfg_snode_flag */
	uint16_t nodetype; /* LYS_* of the node */
	uint32_t pos;      /* hierarchy (print) order, unique in the schema */
	struct cfg_kw *kw; /* keywords of the children, sorted by name */
	uint32_t nkw;
	const struct lysc_node *flat;               /* flat-key list child, if any */
	const struct lysc_node *positional;         /* positional leaf child, if any */
	const struct lysc_node *keys[CFG_MAX_KEYS]; /* list keys, in order */
	uint8_t nkeys;
	bool in_choice;                 /* a case lies between it and its data parent */
	bool lref_relative;             /* leafref path is relative */
	const struct lysc_node *lref;   /* leafref target leaf */
	const struct lysc_node *joined; /* joined list: its child list */
};

struct cfg_schema {
	struct ly_ctx *ctx;
	struct cfg_sinfo top; /* the top level: keywords of all modules */
	struct cfg_sinfo *infos;
	size_t ninfos;
};

static inline const struct cfg_sinfo *
cfg_si(const struct cfg_schema *s, const struct lysc_node *sn)
{
	return sn ? (const struct cfg_sinfo *)sn->priv : &s->top;
}

/* The data parent's schema of sn (skipping choices and cases); NULL at top. */
static inline const struct lysc_node *
cfg_dparent(const struct lysc_node *sn)
{
	const struct lysc_node *p = sn->parent;

	while (p && (p->nodetype & (LYS_CHOICE | LYS_CASE)))
		p = p->parent;
	return p;
}

/* Exact keyword lookup below a node (NULL: not found). */
const struct lysc_node *cfg_kw_find(const struct cfg_sinfo *si, const char *name, size_t len);

/*
 * Keywords starting with prefix: *first is the index of the first one,
 * the return value how many there are.
 */
uint32_t cfg_kw_prefix(const struct cfg_sinfo *si, const char *prefix, size_t len, uint32_t *first);

/* Does this data node hold configuration that is printed (not a default,
 * not an empty non-presence container)? */
bool cfg_has_content(const struct lyd_node *n);

#endif

/* ---- the walker (cfg_walk.c) ---- */

struct cfg_tok;

enum cfg_wstate {
	CFG_W_NODE,    /* at the top, a container or a list entry: a keyword follows */
	CFG_W_KEYS,    /* after a list keyword: its key value(s) */
	CFG_W_VALUE,   /* after a leaf keyword: its value */
	CFG_W_LLVALUE, /* after a leaf-list keyword: a value or '[' */
	CFG_W_SET,     /* inside '[ ... ]' */
	CFG_W_DONE,    /* a complete statement: nothing may follow (but another
	                * statement with CFG_WALK_MULTI) */
};

enum cfg_step_kind {
	CFG_STEP_CONT,     /* container */
	CFG_STEP_LIST,     /* list keyword, keys incomplete (or none) */
	CFG_STEP_ENTRY,    /* list entry with all its keys */
	CFG_STEP_LEAF,     /* leaf, with its value (nv 1) or empty type (nv 0) */
	CFG_STEP_LEAFLIST, /* leaf-list with nv values */
};

struct cfg_step {
	const struct lysc_node *sn;
	uint8_t kind;
	bool positional;           /* leaf value given without its keyword */
	bool flat;                 /* flat-key list entry (no keyword) */
	const struct cfg_tok *tok; /* the word that named the step */
	uint32_t v0, nv;           /* key or leaf values in w->vals */
};

#define CFG_MAX_DEPTH 64

struct cfg_walk {
	const struct cfg_schema *s;
	struct cfg_step steps[CFG_MAX_DEPTH];
	uint32_t nsteps;
	const char **vals; /* key and leaf values (enum abbreviations expanded) */
	const struct cfg_tok **vtok;
	uint32_t nvals, vcap;
	enum cfg_wstate state;
	const struct lysc_node *cur;  /* CFG_W_NODE: the node (NULL: top); else the step's node */
	const struct cfg_tok *errtok; /* on error: the word (NULL: missing at the end) */
	/*
	 * Several statements on one line (CFG_WALK_MULTI), as Junos takes
	 * "set ... uid 2001 class super-user": stmt_cb (optional) is called
	 * with the walk of each statement that another one follows, before
	 * the walk goes back to the next one's scope; a non-zero return ends
	 * the walk with that code (the callback has set the error position:
	 * cb_failed tells so).
	 */
	int (*stmt_cb)(struct cfg_walk *w, void *arg);
	void *stmt_arg;
	uint32_t floor; /* steps before this run (the edit path): never left */
	bool scoped;    /* CFG_W_NODE reached by going back to a scope */
	bool cb_failed;
	uint32_t nstmt; /* statements completed before the current one */
};

#define CFG_WALK_VALIDATE 0x1 /* check values against their types */
/* Check only what libyang cannot tell (enums, $9$ strings); the caller
 * creates the nodes and turns libyang's refusal into cfg_value_check's
 * message (the set path: each value is checked once, not twice). */
#define CFG_WALK_LAZY 0x2
/*
 * Another statement may follow a complete one on the same line: after a
 * leaf's value, an empty leaf or a leaf-list's value(s), a keyword of the
 * leaf's parent (the deepest container or entry of the statement); after a
 * presence container's keyword, one of its own keywords or else one of its
 * parent's. For set and delete lines.
 */
#define CFG_WALK_MULTI 0x4
/* With MULTI, for delete (values optional): after a leaf or leaf-list
 * keyword, an unquoted word that is exactly a keyword of its parent ends
 * the statement without a value ("delete ... address external-interface"). */
#define CFG_WALK_DELETE 0x8

void cfg_walk_init(struct cfg_walk *w, const struct cfg_schema *s);
void cfg_walk_fini(struct cfg_walk *w);
/* Back to the top, or to a given position (grouped blocks start at a list's keys). */
void cfg_walk_reset(struct cfg_walk *w, enum cfg_wstate st, const struct lysc_node *cur);

/* Feeds tokens (words, '[' and ']'). 0, or -EINVAL with err and
 * w->errtok; -ENOMEM. */
int cfg_walk_run(struct cfg_walk *w, const struct cfg_tok *toks, size_t ntoks, unsigned flags,
    struct errbuf *err);

/* Is the walk a complete statement for cmd? When not, msg says why
 * ("missing argument."). */
bool cfg_walk_complete(const struct cfg_walk *w, enum cfg_cmd cmd);

/* Checks a value for a leaf/leaf-list/key; *canon gets the enum name for
 * an abbreviation (else v). 0 or -EINVAL with the Junos message. */
int cfg_value_check(const struct cfg_schema *s, const struct lysc_node *sn, const char *v,
    const char **canon, struct errbuf *err);

/* Appends a step in operator words ("gateway gw1", "st0", "address"),
 * without leading space; keys quoted as needed. */
void cfg_step_words(struct buf *b, const struct cfg_walk *w, const struct cfg_step *st);

/* Error position of a token, or the end of a line of tokens. */
void cfg_errpos_tok(struct cfg_errpos *pos, const struct cfg_tok *t);
void cfg_errpos_end(struct cfg_errpos *pos, const struct cfg_tok *toks, size_t ntoks);

/* Normalized (single-spaced) description of a schema node. Caller frees. */
char *cfg_help_text(const char *dsc);

/* ---- the edit engine (cfg_edit.c), shared by set lines and curly text ---- */

struct cfg_result;
struct cfg_undo;

struct cfg_edcache {
	const struct lysc_node *sn;
	struct lyd_node *node;
	char key[128]; /* key values joined by \x1f ("" for containers) */
};

struct cfg_ed {
	const struct cfg_schema *s;
	struct lyd_node **tree;
	struct cfg_result *res;
	unsigned flags;
	unsigned line; /* input line, for changes */
	struct cfg_undo *u;
	size_t nu, ucap;
	size_t nchg0, nwarn0;          /* res sizes when the batch started */
	struct lyd_node *stmt_created; /* topmost node created by the current statement */
	int bad_val;                   /* index of the value libyang refused, or -1 */
	bool quiet; /* creations inside a node this batch created: not recorded */
	/* Consecutive statements mostly share their path: remember it. */
	const struct lyd_node *cstart;
	bool cvalid;
	uint32_t cn;
	struct cfg_edcache c[CFG_MAX_DEPTH];
};

void cfg_ed_init(struct cfg_ed *ed, const struct cfg_schema *s, struct lyd_node **tree,
    struct cfg_result *res, unsigned flags);
/* Ends the batch: keeps the changes (commit) or undoes them all. */
void cfg_ed_finish(struct cfg_ed *ed, bool commit);

/*
 * set: makes the walk's path exist below parent (NULL: the top) and sets
 * its value(s). A final list step without keys (a grouped block) is
 * allowed: *out is then the list's data parent. *out (optional) gets the
 * last node (container, entry, leaf). Errors name a token through pos.
 */
int cfg_ed_set(struct cfg_ed *ed, struct lyd_node *parent, const struct cfg_walk *w,
    struct lyd_node **out, struct cfg_errpos *pos, struct errbuf *err);

/* delete: removes what the walk names below parent; warns when absent. */
int cfg_ed_delete(
    struct cfg_ed *ed, struct lyd_node *parent, const struct cfg_walk *w, struct errbuf *err);

/* Removes a node (recorded, undoable). */
int cfg_ed_remove(struct cfg_ed *ed, struct lyd_node *node, bool record);

/* Finds the data node of every step below parent; NULL if absent. For a
 * final keys-less list step, *out is the first instance. */
struct lyd_node *cfg_ed_find(const struct cfg_schema *s, struct lyd_node *const *tree,
    struct lyd_node *parent, const struct cfg_walk *w, uint32_t nsteps);

int cfg_ed_warn(struct cfg_ed *ed, const char *msg);

/* ---- curly statements (cfg_print.c), shared with compare ---- */

struct cfg_pr {
	const struct cfg_schema *s;
	struct buf *out;
	unsigned flags;   /* CFG_PRINT_* */
	const char *mark; /* printed first on every line: "" or "+"/"-" */
	unsigned base;    /* spaces after the mark */
	/* A joined container's keyword, printed on the next statement's
	 * first line ("family inet {"), then cleared. */
	const char *prefix;
};

#define CFG_SECRET_MASK   "/* SECRET-DATA */"
#define CFG_SECRET_ANNOTE " ## SECRET-DATA"

/* Prints the group of siblings starting at first (all following
 * instances of its schema node) as curly statements at depth. */
void cfg_pr_group(struct cfg_pr *p, const struct lyd_node *first, unsigned depth);
/* Prints the statements of a sibling list (children of a node). */
void cfg_pr_body(struct cfg_pr *p, const struct lyd_node *first, unsigned depth);
/* One list entry; keys_only inside a grouped block or for flat-key lists. */
void cfg_pr_entry(struct cfg_pr *p, const struct lyd_node *e, unsigned depth, bool keys_only);
/* A joined pair on one line: "from-zone a to-zone b { ... }". */
void cfg_pr_joined(
    struct cfg_pr *p, const struct lyd_node *e, const struct lyd_node *f, unsigned depth);
/* The statements of a joined container, each on a line starting with the
 * container's keyword ("family inet {", "family inet6;"). */
void cfg_pr_joined_cont(struct cfg_pr *p, const struct lyd_node *n, unsigned depth);
/* One leaf, container (or a leaf-list instance group when first). */
void cfg_pr_node(struct cfg_pr *p, const struct lyd_node *n, unsigned depth);
/* Appends "name" + keys of an entry in operator words (no leading space). */
void cfg_entry_words(struct buf *b, const struct lyd_node *e, bool keys_only);
