/* SPDX-License-Identifier: MIT */
/*
 * uref: references to logical interfaces, declared in YANG with
 * cairn-extensions:unit-ref "IF" on a leaf or leaf-list (a list key
 * included). A value "IF.N" (or "IF" alone, unit 0) must name a
 * configured unit, /cairn-interfaces:interfaces/interface[name='IF']/
 * unit[name='N']; other values (addresses, other interfaces) are not
 * references and are not checked.
 *
 * libyang does not know the extension: mgd runs these checks after
 * libyang's (or sval's) validation succeeded. Each reference costs a
 * hash lookup, so a whole configuration is linear in its size (a must
 * expression scanning the units made lyd_validate_all() quadratic). After
 * a small change only the change is checked: references created or
 * changed, and, when units were deleted, the references to those units.
 */
#ifndef CAIRN_UREF_H
#define CAIRN_UREF_H

#include <libyang/libyang.h>

struct uref;

/* Indexes ctx's schema nodes that carry unit-ref. NULL on ENOMEM. */
struct uref *uref_new(const struct ly_ctx *ctx);
void uref_free(struct uref *u);
/* Number of schema nodes carrying unit-ref (0: nothing to check). */
size_t uref_count(const struct uref *u);

/* Every reference of tree. 0, -EINVAL (uref_error()), -ENOMEM. */
int uref_check_all(struct uref *u, const struct lyd_node *tree);

/*
 * What diff (libyang's diff format, explicit nodes; tree = old + diff)
 * can have broken: created or replaced references, and references to
 * the units it deletes. Same results as uref_check_all() on a tree whose
 * old version passed it.
 */
int uref_check_diff(struct uref *u, const struct lyd_node *tree, const struct lyd_node *diff);

/*
 * The first error of the last check, for ywords_error(): the data path
 * of the statement (a leaf, a leaf-list value, or the entry a key
 * belongs to), the leaf's value to add to the statement (NULL when the
 * path holds it) and the message ("Referenced interface st0.5 not
 * configured"). Borrowed until the next check.
 */
void uref_error(const struct uref *u, const char **path, const char **value, const char **msg);

#endif
