/* SPDX-License-Identifier: MIT */
/*
 * linux/list.h - circular doubly linked lists with the head embedded in
 * the element, as in the kernel.
 */
#ifndef DMAKIT_LINUX_LIST_H
#define DMAKIT_LINUX_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void __list_link(struct list_head *n, struct list_head *prev,
			       struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Insert @n right after @head (stack order). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	__list_link(n, head, head->next);
}

/* Insert @n before @head, i.e. at the tail (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	__list_link(n, head->prev, head);
}

static inline void __list_unlink(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
}

/* Unlink @e; it must not be used as a list member again before re-adding. */
static inline void list_del(struct list_head *e)
{
	__list_unlink(e);
	e->next = NULL;
	e->prev = NULL;
}

/* Unlink @e and make it an empty list, so list_empty(@e) is true. */
static inline void list_del_init(struct list_head *e)
{
	__list_unlink(e);
	INIT_LIST_HEAD(e);
}

static inline void list_move(struct list_head *e, struct list_head *head)
{
	__list_unlink(e);
	list_add(e, head);
}

static inline void list_move_tail(struct list_head *e, struct list_head *head)
{
	__list_unlink(e);
	list_add_tail(e, head);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_singular(const struct list_head *h)
{
	return !list_empty(h) && h->next == h->prev;
}

static inline bool list_is_last(const struct list_head *e,
				const struct list_head *h)
{
	return e->next == h;
}

/* Move every element of @list to the tail of @head; @list becomes empty. */
static inline void list_splice_tail_init(struct list_head *list,
					 struct list_head *head)
{
	if (list_empty(list))
		return;
	struct list_head *first = list->next, *last = list->prev;

	first->prev = head->prev;
	head->prev->next = first;
	last->next = head;
	head->prev = last;
	INIT_LIST_HEAD(list);
}

/* Move every element of @list to the front of @head; @list becomes empty. */
static inline void list_splice_init(struct list_head *list,
				    struct list_head *head)
{
	if (list_empty(list))
		return;
	struct list_head *first = list->next, *last = list->prev;

	last->next = head->next;
	head->next->prev = last;
	head->next = first;
	first->prev = head;
	INIT_LIST_HEAD(list);
}

#define list_entry(ptr, type, member)                                        \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define list_first_entry(head, type, member)                                 \
	list_entry((head)->next, type, member)
#define list_last_entry(head, type, member)                                  \
	list_entry((head)->prev, type, member)
#define list_first_entry_or_null(head, type, member)                         \
	(list_empty(head) ? NULL : list_first_entry(head, type, member))
#define list_next_entry(pos, member)                                         \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)

#define list_for_each(pos, head)                                             \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, n, head)                                     \
	for (pos = (head)->next, n = pos->next; pos != (head);               \
	     pos = n, n = pos->next)
#define list_for_each_entry(pos, head, member)                               \
	for (pos = list_first_entry(head, __typeof__(*pos), member);         \
	     &pos->member != (head); pos = list_next_entry(pos, member))
#define list_prev_entry(pos, member)                                         \
	list_entry((pos)->member.prev, __typeof__(*(pos)), member)
#define list_for_each_entry_reverse(pos, head, member)                       \
	for (pos = list_last_entry(head, __typeof__(*pos), member);          \
	     &pos->member != (head); pos = list_prev_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                       \
	for (pos = list_first_entry(head, __typeof__(*pos), member),         \
	    n = list_next_entry(pos, member);                                \
	     &pos->member != (head); pos = n, n = list_next_entry(n, member))

#endif
