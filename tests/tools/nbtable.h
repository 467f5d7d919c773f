/* SPDX-License-Identifier: MIT */
/*
 * nbtable: the northbound table of a test subscriber that owns what
 * cairn-iked owns (security, interfaces, routing-options), every
 * configuration node covered by one callback (cairn-testd, test_nb).
 */
#ifndef CAIRN_NBTABLE_H
#define CAIRN_NBTABLE_H

#include "nb.h"

extern const char *const nbtable_subtrees[];

/* The table with cb as every callback; static storage, rebuilt by each
 * call (one callback per process). */
const struct nb_node_ops *nbtable_nodes(nb_cb cb);

#endif
