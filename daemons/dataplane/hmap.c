/* SPDX-License-Identifier: MIT */
/*
 * hmap: intrusive chained hash table (see hmap.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "hmap.h"

int
hmap_init(struct hmap *m, size_t hint)
{
	size_t n = 16;

	while (n < hint && n < ((size_t)1 << 30))
		n <<= 1;
	m->b = calloc(n, sizeof(*m->b));
	if (m->b == NULL)
		return -ENOMEM;
	m->mask = n - 1;
	m->n = 0;
	m->load = 1;
	return 0;
}

int
hmap_init_dense(struct hmap *m, size_t hint)
{
	int rc = hmap_init(m, hint);

	if (rc == 0)
		m->load = 4;
	return rc;
}

void
hmap_fini(struct hmap *m)
{
	free(m->b);
	m->b = NULL;
	m->mask = 0;
	m->n = 0;
}

static int
hmap_grow(struct hmap *m)
{
	size_t nb = (m->mask + 1) * 2, i;
	struct hnode **b, *it, *next;

	b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	for (i = 0; i <= m->mask; i++) {
		for (it = m->b[i]; it != NULL; it = next) {
			next = it->next;
			it->next = b[it->hash & (nb - 1)];
			b[it->hash & (nb - 1)] = it;
		}
	}
	free(m->b);
	m->b = b;
	m->mask = nb - 1;
	return 0;
}

int
hmap_insert(struct hmap *m, struct hnode *n, uint64_t hash)
{
	size_t i;

	/* Grow at m->load; a failed grow leaves a longer chain, not an error,
	 * unless the table is badly overloaded. */
	if (m->n + 1 > m->load * (m->mask + 1) && hmap_grow(m) < 0 &&
	    m->n > 4 * m->load * (m->mask + 1))
		return -ENOMEM;
	n->hash = hash;
	i = hash & m->mask;
	n->next = m->b[i];
	m->b[i] = n;
	m->n++;
	return 0;
}

void
hmap_remove(struct hmap *m, struct hnode *n)
{
	struct hnode **pp = &m->b[n->hash & m->mask];

	while (*pp != NULL) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			m->n--;
			return;
		}
		pp = &(*pp)->next;
	}
}

void
hmap_walk(struct hmap *m, void (*fn)(struct hnode *n, void *arg), void *arg)
{
	struct hnode *it, *next;
	size_t i;

	if (m->b == NULL)
		return;
	for (i = 0; i <= m->mask; i++) {
		for (it = m->b[i]; it != NULL; it = next) {
			next = it->next;
			fn(it, arg);
		}
	}
}
