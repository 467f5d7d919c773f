/* SPDX-License-Identifier: MIT */
/*
 * cfg_walk: operator words against the schema, shared by the set-line
 * parser, the curly parser and the shell. Keywords may be abbreviated when
 * unambiguous ("set sec ike" works); choices and cases are invisible;
 * a list keyword is followed by its key value(s), a flat-key list
 * (interfaces st0) by the key alone; a leaf by its value, a leaf-list by a
 * value or "[ v1 v2 ]". This header is the shell's part: completion ("what
 * may follow these words") and edit-path helpers.
 *
 * Error positions: a struct cfg_errpos names the offending word by line
 * (1-based, for multi-line input; 1 otherwise) and column (0-based byte
 * offset from the start of the text that was passed in), so the shell can
 * put a caret under it. Messages are Junos's: "syntax error.",
 * "missing argument.", "'se' is ambiguous.", "Value 300 is not within
 * range (2..60) at '300'", "invalid interface type in 'x'." (pattern
 * error-message + " in 'x'.").
 */
#ifndef CAIRN_CFG_WALK_H
#define CAIRN_CFG_WALK_H

#include <libyang/libyang.h>
#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"

struct cfg_schema;

struct cfg_errpos {
	unsigned line; /* 1-based line of the input (0: not in the input, e.g. the edit path) */
	unsigned col;  /* 0-based byte column in that line */
};

/* The configuration-mode command being completed. */
enum cfg_cmd {
	CFG_CMD_SET,    /* values required; statements end at a leaf value */
	CFG_CMD_DELETE, /* any existing statement, values optional */
	CFG_CMD_EDIT,   /* containers and list entries only */
	CFG_CMD_SHOW,   /* any statement, no values */
};

enum cfg_comp_kind {
	CFG_COMP_CONTAINER, /* "> name": a container or a list keyword */
	CFG_COMP_LEAFLIST,  /* "+ name": takes several values */
	CFG_COMP_LEAF,      /* "  name": a leaf (or an empty leaf) */
	CFG_COMP_VALUE,     /* "<name>": a value to type (list key, leaf value) */
	CFG_COMP_ENUM,      /* an enumeration value; help is its description */
	CFG_COMP_OPEN_SET,  /* "[": Open a set of values */
	CFG_COMP_CLOSE_SET, /* "]": Close a set of values */
};

struct cfg_comp {
	char *token; /* "gateway", "<name>", "group14", "[" */
	char *help;  /* the YANG description, or "" */
	enum cfg_comp_kind kind;
};

struct cfg_completion {
	struct cfg_comp *v; /* keywords sorted by name; values in schema order */
	size_t n, cap;
	char *partial; /* the word being completed ("" after a space) */
	/*
	 * Live values: when the next word may name an existing list entry or
	 * a leafref target, a data XPath (JSON prefixes) selecting the values
	 * to offer, e.g. "/cairn-security:security/ike/gateway/name"; the
	 * shell asks mgd (rpc complete) and shows them with live_snode's
	 * description. NULL otherwise.
	 */
	char *live_xpath;
	const struct lysc_node *live_snode;
	/* The words before the partial one already form a complete statement
	 * for this command (<Enter> may follow). */
	bool complete;
};

/*
 * What may follow `text` (the words after the command, as typed) for
 * command cmd at hierarchy level edit_path (canonical or typed; NULL or ""
 * is the top). When text does not end in a blank its last word is the
 * partial word, and only candidates starting with it are returned. On
 * error (a word before the partial one is wrong) returns -EINVAL with err
 * and pos (column relative to text). Free out with cfg_completion_fini.
 * Cost: independent of the configuration's size (schema only).
 */
int cfg_complete(const struct cfg_schema *s, enum cfg_cmd cmd, const char *edit_path,
    const char *text, size_t len, struct cfg_completion *out, struct cfg_errpos *pos,
    struct errbuf *err);

void cfg_completion_fini(struct cfg_completion *c);

/*
 * `edit` and the [edit ...] banner: resolves text (words typed after
 * `edit`, relative to base) into a canonical edit path: full keywords,
 * values quoted where needed, single spaces ("security ike gateway gw1").
 * The target must be a container or a list entry. *out: caller frees.
 * 0, or -EINVAL with err and pos (column relative to text).
 */
int cfg_path_edit(const struct cfg_schema *s, const char *base, const char *text, size_t len,
    char **out, struct cfg_errpos *pos, struct errbuf *err);

/*
 * `up N`: the edit path n levels above path (a list entry with its keys is
 * one level; going past the top gives ""). *out: caller frees.
 * *levels_left (optional): levels of the result. 0 or -EINVAL/-ENOMEM.
 */
int cfg_path_up(const struct cfg_schema *s, const char *path, unsigned n, char **out,
    unsigned *levels_left, struct errbuf *err);

/*
 * The schema node an edit path (or any statement path) ends at, for
 * tools: NULL when the path is empty (top) or invalid.
 */
const struct lysc_node *cfg_path_snode(const struct cfg_schema *s, const char *path);

#endif
