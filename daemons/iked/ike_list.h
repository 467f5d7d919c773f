/* SPDX-License-Identifier: MIT */
/*
 * ike_list: an intrusive doubly linked list (header only). A list head is
 * a node linked to itself; entries embed a node and are found back with
 * ike_container_of(). Removing an entry leaves it self-linked, so a second
 * removal is harmless.
 */
#ifndef CAIRN_IKE_LIST_H
#define CAIRN_IKE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct ike_list {
	struct ike_list *prev, *next;
};

#define ike_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void
ike_list_init(struct ike_list *l)
{
	l->prev = l->next = l;
}

static inline bool
ike_list_empty(const struct ike_list *l)
{
	return l->next == l;
}

static inline bool
ike_list_linked(const struct ike_list *n)
{
	return n->next != NULL && n->next != n;
}

/* Appends n at the tail of l. */
static inline void
ike_list_add_tail(struct ike_list *l, struct ike_list *n)
{
	n->prev = l->prev;
	n->next = l;
	l->prev->next = n;
	l->prev = n;
}

static inline void
ike_list_add_head(struct ike_list *l, struct ike_list *n)
{
	n->next = l->next;
	n->prev = l;
	l->next->prev = n;
	l->next = n;
}

static inline void
ike_list_del(struct ike_list *n)
{
	if (n->next == NULL)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline struct ike_list *
ike_list_first(const struct ike_list *l)
{
	return l->next == l ? NULL : l->next;
}

static inline size_t
ike_list_len(const struct ike_list *l)
{
	size_t n = 0;
	const struct ike_list *p;

	for (p = l->next; p != l; p = p->next)
		n++;
	return n;
}

/*
 * Iterates the entries (of type, linked through member) of list head h, with
 * pos pointing at each; it names the hidden cursor. Safe against removing
 * pos, not against removing the entry after it.
 */
#define ike_list_foreach(pos, it, h, type, member)                                                 \
	for (struct ike_list *it = (h)->next, *it##_nx = it->next;                                 \
	     it != (h) && ((pos) = ike_container_of(it, type, member), 1);                         \
	     it = it##_nx, it##_nx = it->next)

#endif
