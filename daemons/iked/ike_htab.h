/* SPDX-License-Identifier: MIT */
/*
 * ike_htab: a chained hash table of intrusive nodes keyed by 64-bit values
 * (IKE SPIs, ESP SPIs, endpoint hashes). Several nodes may share a key;
 * callers walk them with ike_htab_next(). The table doubles when it holds
 * IKE_HTAB_LOAD nodes per bucket: every table is looked up at the rate of
 * IKE messages and commands, not packets, so chains of a few nodes cost
 * nothing measurable, and the buckets 2-4 bytes per node rather than 8-16.
 */
#ifndef CAIRN_IKE_HTAB_H
#define CAIRN_IKE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 16 bytes: whether the node is linked is the low bit of `link` (the next
 * node's address, nodes being at least 2-aligned, or 1 at the end of a
 * chain); 0 when not linked, as a zeroed node is. Read it with
 * ike_hnode_linked(). */
struct ike_hnode {
	uintptr_t link;
	uint64_t key;
};

#define IKE_HTAB_LOAD 4

struct ike_htab {
	struct ike_hnode **b;
	size_t nb; /* power of two */
	size_t n;
};

static inline bool
ike_hnode_linked(const struct ike_hnode *n)
{
	return (n->link & 1u) != 0;
}

int ike_htab_init(struct ike_htab *t, size_t nb);
void ike_htab_fini(struct ike_htab *t);
/* Links node under key. Never fails: when growing fails it stays smaller. */
void ike_htab_add(struct ike_htab *t, struct ike_hnode *node, uint64_t key);
void ike_htab_del(struct ike_htab *t, struct ike_hnode *node);
/* First node with key, or NULL; then ike_htab_next for the following ones. */
struct ike_hnode *ike_htab_find(const struct ike_htab *t, uint64_t key);
struct ike_hnode *ike_htab_next(const struct ike_hnode *node);

#endif
