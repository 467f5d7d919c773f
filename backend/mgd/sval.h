/* SPDX-License-Identifier: MIT */
/*
 * sval: incremental validation of a configuration after a small change.
 *
 * The tree was valid before the change (it is running plus the change),
 * so only what the change can affect is checked, from the change's diff:
 *   - created subtrees: implicit defaults added, choice cases resolved as
 *     libyang does (new data replaces an old case), leafrefs (a hash
 *     lookup of the target list entry), must expressions, mandatory
 *     nodes, choices, min/max-elements;
 *   - deleted subtrees: defaults put back, the parent's mandatory nodes
 *     and element counts, nothing still referring to a deleted leafref
 *     target (the leafref instances with the deleted value), and the must
 *     expressions whose atoms (lys_find_expr_atoms) include a deleted node;
 *   - replaced leaves: their leafrefs and musts, and the musts that read them.
 * A must that is a plain location path ("the node-set is not empty") is
 * not re-evaluated elsewhere when nodes are only created: creating nodes
 * cannot empty a node-set. Schemas with when, unique or instance-
 * identifiers are not handled: sval_usable() says so and mgd validates
 * fully. Equivalence with lyd_validate_all() is tested on random edits
 * (tests/unit/test_sval.c).
 */
#ifndef CAIRN_SVAL_H
#define CAIRN_SVAL_H

#include <stdbool.h>

#include <libyang/libyang.h>

#define SVAL_MAX_CHANGES 2000 /* diff nodes; above, lyd_validate_all() is as cheap */

struct sval;

/* Precomputes the reverse maps of ctx's configuration schema. NULL on ENOMEM. */
struct sval *sval_new(const struct ly_ctx *ctx);
void sval_free(struct sval *v);
/* false: the schema uses something sval does not check (when, unique...). */
bool sval_usable(const struct sval *v);

/*
 * Validates *tree, which is a valid configuration changed by diff (a
 * ydiff of explicit nodes against the valid one). Like lyd_validate_all()
 * it may change the tree: implicit defaults, and old choice-case data
 * replaced by new (listed by sval_autodeleted(), those count as edits).
 * 0, or -EINVAL with the first error in sval_error(); -ESTALE when
 * old choice-case data was deleted (sval_autodeleted(): add those to the
 * change and call again); -EAGAIN when this change needs
 * lyd_validate_all() instead.
 */
int sval_validate(struct sval *v, struct lyd_node **tree, const struct lyd_node *diff);

/* The first error of the last sval_validate(): libyang-style message and
 * data path (borrowed until the next call). */
void sval_error(const struct sval *v, const char **path, const char **msg);

/* Paths of explicit nodes the last sval_validate() deleted (choice cases). */
size_t sval_autodeleted(const struct sval *v, char *const **paths);

#endif
