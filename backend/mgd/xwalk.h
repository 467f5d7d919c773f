/* SPDX-License-Identifier: MIT */
/*
 * xwalk: the values selected by a plain data path, without XPath.
 *
 * The shell's completion asks mgd for the keys of a list or the values of
 * a leafref target: "/m:a/b[k='v']/list/key", optionally ending in
 * "[starts-with(.,'prefix')]" (what cfg_complete() and the shell write).
 * lyd_find_xpath() builds a node set and compares each node on the way
 * (17-24 ms for 10,000 names); walking the entries directly, with hash
 * lookups for the keyed steps, costs a fraction of that. Anything else
 * is -ENOTSUP: the caller then evaluates the XPath.
 */
#ifndef CAIRN_XWALK_H
#define CAIRN_XWALK_H

#include <libyang/libyang.h>

/*
 * Calls fn(arg, value) for each node xpath selects in tree, in document
 * order: a leaf's or leaf-list's value, a list entry's first key. 0;
 * -ENOTSUP when xpath is not such a plain path (nothing was called);
 * -ENOMEM; or what fn returned (non-zero stops the walk).
 */
int xwalk_values(const struct ly_ctx *ctx, const struct lyd_node *tree, const char *xpath,
    int (*fn)(void *arg, const char *value), void *arg);

#endif
