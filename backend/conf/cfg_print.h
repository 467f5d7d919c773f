/* SPDX-License-Identifier: MIT */
/*
 * cfg_print: a configuration tree as Junos text.
 *
 *   text  curly form, exactly as Junos prints it: 4-space indent,
 *         "name value;", leaf-lists "name [ a b ];", lists "keyword key {",
 *         flat-key lists "key {", presence containers and empty leaves
 *         "name;", values quoted where needed, "## SECRET-DATA" after
 *         secrets, and the cairn-extensions layouts (oneliner, grouped,
 *         joined, positional). Defaults that were not set explicitly
 *         (libyang's LYD_DEFAULT) are not printed.
 *   set   "| display set": absolute set lines in hierarchy order, one per
 *         leaf value (relative to the edit path with CFG_PRINT_RELATIVE).
 *   json, xml  libyang's printers (explicitly set nodes only), wrapped in
 *         the parents of the selected subtree.
 *
 * CFG_PRINT_MASK_SECRETS is for classes that may not see secrets: each
 * secret value is replaced by the comment "SECRET-DATA" between C comment
 * delimiters in text and set form (Junos's layout), and by that same
 * string (or left out, when the leaf's type refuses it) in json and xml.
 */
#ifndef CAIRN_CFG_PRINT_H
#define CAIRN_CFG_PRINT_H

#include <libyang/libyang.h>
#include <stdbool.h>

#include "buf.h"
#include "cfg_walk.h"
#include "errbuf.h"

enum cfg_format {
	CFG_FMT_TEXT,
	CFG_FMT_SET,
	CFG_FMT_JSON,
	CFG_FMT_XML,
};

#define CFG_PRINT_MASK_SECRETS 0x1
#define CFG_PRINT_RELATIVE     0x2 /* set form: paths relative to edit_path */

/*
 * Appends tree (the first top-level sibling, may be NULL), or the part
 * selected by path (words relative to edit_path, as `show security ike`
 * takes them; NULL or "" for everything at edit_path) to out. A path
 * that names nothing configured prints nothing. Returns 0, or -EINVAL
 * with err and pos (column in path) for a wrong path, -ENOMEM.
 */
int cfg_print(const struct cfg_schema *s, const struct lyd_node *tree, const char *edit_path,
    const char *path, size_t pathlen, enum cfg_format fmt, unsigned flags, struct buf *out,
    struct cfg_errpos *pos, struct errbuf *err);

/* Whether a value must be quoted in Junos text (blanks, quotes, ; { } [ ]
 * # $ | and the like, or empty). */
bool cfg_needs_quotes(const char *v);

/* Appends v as Junos prints it: bare, or "quoted" with \" and \\. */
void cfg_put_value(struct buf *b, const char *v);

#endif
