/* SPDX-License-Identifier: MIT */
/*
 * cfg_diff: `show | compare` in Junos's layout between two configuration
 * trees:
 *
 *   [edit security ike gateway gw1]
 *   -    address 192.0.2.1;
 *   +    address 192.0.2.9;
 *   [edit security ike]
 *   +    gateway gw2 {
 *   +        ike-policy p1;
 *   +    }
 *
 * A "[edit <path>]" header names the statement's parent (repeated when
 * the output comes back to a path after a deeper one), then '+' (only in
 * the new tree) and '-' (only in the old tree) lines, each statement
 * indented as in curly form below that path (the mark, three spaces, four
 * per level). A changed leaf shows both lines; a changed leaf-list shows
 * its old and new statement; a new (or removed) container or list entry
 * shows whole, under its parent's header; entries of an ordered-by-user
 * list that changed places show as removed and added. Secrets carry
 * "## SECRET-DATA" (masked with CFG_PRINT_MASK_SECRETS). Equal trees give
 * no output.
 *
 * Cost: one pass over both trees with hash lookups (libyang's sibling
 * hashes), never libyang's diff.
 */
#ifndef CAIRN_CFG_DIFF_H
#define CAIRN_CFG_DIFF_H

#include <libyang/libyang.h>

#include "buf.h"
#include "cfg_walk.h"
#include "errbuf.h"

/*
 * Appends the differences from old_tree to new_tree (first top-level
 * siblings, either may be NULL) to out, restricted to path (words relative
 * to edit_path; NULL or "" for everything at edit_path). flags:
 * CFG_PRINT_MASK_SECRETS. 0, or -EINVAL with err and pos for a wrong
 * path, -ENOMEM.
 */
int cfg_compare(const struct cfg_schema *s, const struct lyd_node *old_tree,
    const struct lyd_node *new_tree, const char *edit_path, const char *path, size_t pathlen,
    unsigned flags, struct buf *out, struct cfg_errpos *pos, struct errbuf *err);

#endif
