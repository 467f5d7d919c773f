/* SPDX-License-Identifier: MIT */
/*
 * buf: a growable byte buffer, always NUL-terminated, for building output
 * text and messages. On allocation failure the buffer is marked failed and
 * further appends are ignored; buf_failed() tells.
 */
#ifndef CAIRN_BUF_H
#define CAIRN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *p; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	bool failed;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, false                                                                  \
	}

void buf_init(struct buf *b);
void buf_free(struct buf *b);  /* frees and resets */
void buf_reset(struct buf *b); /* len = 0, keeps memory */
bool buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_indent(struct buf *b, unsigned n); /* n spaces */
static inline bool
buf_failed(const struct buf *b)
{
	return b->failed;
}
/* The string (never NULL; "" when empty). Borrowed. */
const char *buf_str(const struct buf *b);
/* Transfers the string to the caller (caller frees); the buffer is reset. */
char *buf_steal(struct buf *b);

#endif
