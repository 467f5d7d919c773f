/* SPDX-License-Identifier: MIT */
/* ike_htab: chained hash table of intrusive nodes. */
#include "ike_htab.h"

#include <errno.h>
#include <stdlib.h>

#include "banned.h"

/* The next node of a chain (NULL at its end). */
static struct ike_hnode *
next_of(const struct ike_hnode *n)
{
	return (struct ike_hnode *)(n->link & ~(uintptr_t)1);
}

static void
set_next(struct ike_hnode *n, struct ike_hnode *next)
{
	n->link = (uintptr_t)next | 1u;
}

static size_t
slot(const struct ike_htab *t, uint64_t key)
{
	/* Fibonacci hashing: SPIs are random, endpoint hashes are FNV. */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (t->nb - 1);
}

int
ike_htab_init(struct ike_htab *t, size_t nb)
{
	size_t n = 16;

	while (n < nb)
		n <<= 1;
	t->b = calloc(n, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->nb = n;
	t->n = 0;
	return 0;
}

void
ike_htab_fini(struct ike_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

static void
grow(struct ike_htab *t)
{
	struct ike_hnode **nb = calloc(t->nb * 2, sizeof(*nb)), *p, *next;
	struct ike_htab nt;
	size_t i;

	if (!nb)
		return;
	nt.b = nb;
	nt.nb = t->nb * 2;
	for (i = 0; i < t->nb; i++) {
		for (p = t->b[i]; p; p = next) {
			size_t s = slot(&nt, p->key);

			next = next_of(p);
			set_next(p, nb[s]);
			nb[s] = p;
		}
	}
	free(t->b);
	t->b = nb;
	t->nb = nt.nb;
}

void
ike_htab_add(struct ike_htab *t, struct ike_hnode *node, uint64_t key)
{
	size_t s;

	if (ike_hnode_linked(node))
		ike_htab_del(t, node);
	if (t->n >= IKE_HTAB_LOAD * t->nb)
		grow(t);
	s = slot(t, key);
	node->key = key;
	set_next(node, t->b[s]);
	t->b[s] = node;
	t->n++;
}

void
ike_htab_del(struct ike_htab *t, struct ike_hnode *node)
{
	struct ike_hnode *p, *prev = NULL;
	size_t s;

	if (!ike_hnode_linked(node))
		return;
	s = slot(t, node->key);
	for (p = t->b[s]; p; prev = p, p = next_of(p)) {
		if (p == node) {
			if (prev)
				set_next(prev, next_of(node));
			else
				t->b[s] = next_of(node);
			node->link = 0;
			t->n--;
			return;
		}
	}
}

struct ike_hnode *
ike_htab_find(const struct ike_htab *t, uint64_t key)
{
	struct ike_hnode *p;

	for (p = t->b[slot(t, key)]; p; p = next_of(p))
		if (p->key == key)
			return p;
	return NULL;
}

struct ike_hnode *
ike_htab_next(const struct ike_hnode *node)
{
	struct ike_hnode *p;

	for (p = next_of(node); p; p = next_of(p))
		if (p->key == node->key)
			return p;
	return NULL;
}
