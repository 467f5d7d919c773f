/* SPDX-License-Identifier: MIT */
/*
 * errbuf: the operator-facing error text of a failed operation, filled
 * once by the lowest level that knows what went wrong (STYLE.md §6) and
 * printed verbatim by the CLI. Later calls do not overwrite it.
 */
#ifndef CAIRN_ERRBUF_H
#define CAIRN_ERRBUF_H

#include <stdbool.h>
#include <stddef.h>

#define ERRBUF_LEN 4096

struct errbuf {
	char msg[ERRBUF_LEN];
};

static inline void
errbuf_clear(struct errbuf *e)
{
	if (e)
		e->msg[0] = '\0';
}

static inline bool
errbuf_isset(const struct errbuf *e)
{
	return e && e->msg[0] != '\0';
}

/* Sets the message if none is set yet; returns rc so that callers can
 * write `return errbuf_set(err, -EINVAL, "...")`. err may be NULL. */
int errbuf_set(struct errbuf *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces any message already set. */
int errbuf_reset(struct errbuf *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a line to the message (for multi-error reports). */
void errbuf_append(struct errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
