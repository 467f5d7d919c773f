/* SPDX-License-Identifier: MIT */
/* ike_htab: chained hash table of intrusive nodes. */
#include "ike_htab.h"

#include <errno.h>
#include <stdlib.h>

#include "banned.h"

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

			next = p->next;
			p->next = nb[s];
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

	if (node->linked)
		ike_htab_del(t, node);
	if (t->n >= t->nb)
		grow(t);
	s = slot(t, key);
	node->key = key;
	node->next = t->b[s];
	node->linked = true;
	t->b[s] = node;
	t->n++;
}

void
ike_htab_del(struct ike_htab *t, struct ike_hnode *node)
{
	struct ike_hnode **pp;

	if (!node->linked)
		return;
	for (pp = &t->b[slot(t, node->key)]; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			node->next = NULL;
			node->linked = false;
			t->n--;
			return;
		}
	}
}

struct ike_hnode *
ike_htab_find(const struct ike_htab *t, uint64_t key)
{
	struct ike_hnode *p;

	for (p = t->b[slot(t, key)]; p; p = p->next)
		if (p->key == key)
			return p;
	return NULL;
}

struct ike_hnode *
ike_htab_next(const struct ike_hnode *node)
{
	struct ike_hnode *p;

	for (p = node->next; p; p = p->next)
		if (p->key == node->key)
			return p;
	return NULL;
}
