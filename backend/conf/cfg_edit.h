/* SPDX-License-Identifier: MIT */
/*
 * cfg_edit: Junos configuration-mode edit commands applied to a libyang
 * data tree (the candidate), all or nothing.
 *
 * A batch is text of command lines, one per line:
 *   set <path> [<value> | [ v1 v2 ... ]]      create or change
 *   delete [<path> [<value> | [ v1 ... ]]]    leaf, leaf-list value(s), list
 *                                             entry, every entry of a list,
 *                                             subtree; alone: everything at
 *                                             the current level
 *   rename <entry path> to [<list keyword>] <new key(s)>
 *   copy <entry path> to [<list keyword>] <new key(s)>
 *   insert <entry path> (before|after) [<list keyword>] <key(s)>
 *   insert <leaf-list path> <value> (before|after) <value>
 *                                             (ordered-by user only)
 *   edit <path> | top | up [<n>]              move the level for later lines
 * relative to edit_path. Blank lines and lines starting with # are
 * skipped; command words may be abbreviated. Paths and values follow
 * cfg_walk.h. Typed secrets (cairn-extensions:secret leaves) are stored
 * as $9$ strings; "$9$..." input is stored as is once it decodes.
 *
 * On any error nothing is changed (the batch is undone), err holds the
 * Junos message and pos the line and column of the offending word.
 * Deleting what does not exist is not an error: a warning
 * "warning: statement not found" is returned instead.
 *
 * Validation of references, mandatory statements and must/when is left
 * to lyd_validate_all() at commit time (cairn-mgd).
 */
#ifndef CAIRN_CFG_EDIT_H
#define CAIRN_CFG_EDIT_H

#include <libyang/libyang.h>
#include <stddef.h>

#include "cfg_walk.h"
#include "errbuf.h"

enum cfg_change_op {
	CFG_CHG_CREATE, /* path did not exist (the topmost node created) */
	CFG_CHG_MODIFY, /* a leaf's value changed, or an entry moved (insert) */
	CFG_CHG_DELETE, /* path was removed (with its subtree) */
};

struct cfg_change {
	enum cfg_change_op op;
	unsigned line; /* 1-based line of the input that made the change */
	char
	    *path; /* data path (lyd_path, e.g. "/cairn-security:security/ike/gateway[name='g']") */
};

/* What a batch did: changes in order, and warnings to show. */
struct cfg_result {
	struct cfg_change *chg;
	size_t nchg, chg_cap;
	char **warn; /* "warning: statement not found" ... */
	size_t nwarn, warn_cap;
	/* The level after the batch's edit/top/up lines, canonical, when it
	 * differs from the edit_path passed in (NULL: unchanged). */
	char *edit_path;
};

void cfg_result_init(struct cfg_result *r);
void cfg_result_fini(struct cfg_result *r);

#define CFG_EDIT_NO_CHANGES 0x1 /* do not record changes (bulk loads) */

/*
 * Applies a batch to *tree (the first top-level sibling; may be NULL for
 * an empty configuration and is updated). res (optional) receives changes
 * and warnings; on error it holds nothing new. Returns 0, or -EINVAL with
 * err and pos (pos.line: 1-based line of text; pos.col: column in that
 * line), or -ENOMEM.
 */
int cfg_edit_lines(const struct cfg_schema *s, struct lyd_node **tree, const char *edit_path,
    const char *text, size_t len, unsigned flags, struct cfg_result *res, struct cfg_errpos *pos,
    struct errbuf *err);

#endif
