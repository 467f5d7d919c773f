/* SPDX-License-Identifier: MIT */
/* jrows: one list's entries of a JSON RPC reply, without libyang (jrows.h). */
#include "jrows.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rd.h"

#include "banned.h"

#define JR_DEPTH 32 /* nesting skipped values may have */

static bool
peek(const struct rd *r, uint8_t *c)
{
	if (!r->left)
		return false;
	*c = *r->p;
	return true;
}

static void
ws(struct rd *r)
{
	uint8_t c;

	while (peek(r, &c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
		rd_u8(r, &c);
}

static bool
expect(struct rd *r, uint8_t want)
{
	uint8_t c;

	ws(r);
	return rd_u8(r, &c) && c == want;
}

/* Appends a code point as UTF-8 to out[*n] (room permitting). */
static void
put_utf8(char *out, size_t size, size_t *n, uint32_t cp)
{
	uint8_t b[4];
	size_t k, len;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		len = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		len = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		len = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		len = 4;
	}
	for (k = 0; k < len && out && *n + 1 < size; k++)
		out[(*n)++] = (char)b[k];
}

static bool
hex4(struct rd *r, uint32_t *v)
{
	uint8_t c;
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (!rd_u8(r, &c))
			return false;
		if (c >= '0' && c <= '9')
			*v = *v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v << 4 | (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v = *v << 4 | (uint32_t)(c - 'A' + 10);
		else
			return false;
	}
	return true;
}

/* A string (after its opening quote was seen by the caller's expect);
 * decoded into out when out is not NULL. */
static bool
string(struct rd *r, char *out, size_t size)
{
	size_t n = 0;
	uint8_t c;

	for (;;) {
		if (!rd_u8(r, &c) || c < 0x20)
			return false;
		if (c == '"')
			break;
		if (c != '\\') {
			if (out && n + 1 < size)
				out[n++] = (char)c;
			continue;
		}
		if (!rd_u8(r, &c))
			return false;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u': {
			uint32_t cp, lo;

			if (!hex4(r, &cp))
				return false;
			if (cp >= 0xd800 && cp < 0xdc00) {
				/* a surrogate pair, or a replacement character */
				struct rd save = *r;
				uint8_t b1, b2;

				if (rd_u8(r, &b1) && b1 == '\\' && rd_u8(r, &b2) && b2 == 'u' &&
				    hex4(r, &lo) && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else {
					*r = save;
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				cp = 0xfffd;
			}
			put_utf8(out, size, &n, cp);
			continue;
		}
		default:
			return false;
		}
		if (out && n + 1 < size)
			out[n++] = (char)c;
	}
	if (out && size)
		out[n] = '\0';
	return true;
}

static bool
is_lit_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
	       (c >= 'a' && c <= 'z');
}

/* A number or literal (true, false, null), its text into out. */
static bool
scalar(struct rd *r, char *out, size_t size)
{
	size_t n = 0;
	uint8_t c;

	while (peek(r, &c) && is_lit_char(c)) {
		rd_u8(r, &c);
		if (out && n + 1 < size)
			out[n++] = (char)c;
	}
	if (out && size)
		out[n] = '\0';
	return n > 0 || !out;
}

static bool skip_value(struct rd *r, int depth);

/* Members of an object (its '{' consumed), each value skipped. */
static bool
skip_members(struct rd *r, int depth)
{
	uint8_t c;

	ws(r);
	if (peek(r, &c) && c == '}')
		return rd_u8(r, &c);
	for (;;) {
		if (!expect(r, '"') || !string(r, NULL, 0) || !expect(r, ':') ||
		    !skip_value(r, depth + 1))
			return false;
		ws(r);
		if (!rd_u8(r, &c))
			return false;
		if (c == '}')
			return true;
		if (c != ',')
			return false;
	}
}

static bool
skip_value(struct rd *r, int depth)
{
	uint8_t c;

	if (depth > JR_DEPTH)
		return false;
	ws(r);
	if (!peek(r, &c))
		return false;
	if (c == '"') {
		rd_u8(r, &c);
		return string(r, NULL, 0);
	}
	if (c == '{') {
		rd_u8(r, &c);
		return skip_members(r, depth);
	}
	if (c == '[') {
		rd_u8(r, &c);
		ws(r);
		if (peek(r, &c) && c == ']')
			return rd_u8(r, &c);
		for (;;) {
			if (!skip_value(r, depth + 1))
				return false;
			ws(r);
			if (!rd_u8(r, &c))
				return false;
			if (c == ']')
				return true;
			if (c != ',')
				return false;
		}
	}
	return is_lit_char(c) && scalar(r, NULL, 0);
}

/* One list entry (an object): its scalar members into the columns. */
static bool
entry(struct rd *r, struct jrow_col *cols, size_t ncols)
{
	char name[128];
	uint8_t c;
	size_t i;

	for (i = 0; i < ncols; i++)
		if (cols[i].size)
			cols[i].buf[0] = '\0';
	if (!expect(r, '{'))
		return false;
	ws(r);
	if (peek(r, &c) && c == '}')
		return rd_u8(r, &c);
	for (;;) {
		struct jrow_col *col = NULL;

		if (!expect(r, '"') || !string(r, name, sizeof(name)) || !expect(r, ':'))
			return false;
		for (i = 0; i < ncols && !col; i++)
			if (strcmp(cols[i].name, name) == 0)
				col = &cols[i];
		ws(r);
		if (!peek(r, &c))
			return false;
		if (col && c == '"') {
			rd_u8(r, &c);
			if (!string(r, col->buf, col->size))
				return false;
		} else if (col && is_lit_char(c)) {
			if (!scalar(r, col->buf, col->size))
				return false;
		} else if (!skip_value(r, 1)) {
			return false;
		}
		ws(r);
		if (!rd_u8(r, &c))
			return false;
		if (c == '}')
			return true;
		if (c != ',')
			return false;
	}
}

int
jrows_scan(const char *json, size_t len, const char *list, struct jrow_col *cols, size_t ncols,
    int (*row)(void *ctx), void *ctx)
{
	char name[128];
	struct rd r;
	uint8_t c;
	int rc;

	rd_init(&r, json, len);
	/* {"module:rpc": */
	if (!expect(&r, '{') || !expect(&r, '"') || !string(&r, NULL, 0) || !expect(&r, ':') ||
	    !expect(&r, '{'))
		return -EBADMSG;
	ws(&r);
	if (peek(&r, &c) && c == '}') {
		rd_u8(&r, &c);
	} else {
		for (;;) {
			if (!expect(&r, '"') || !string(&r, name, sizeof(name)) || !expect(&r, ':'))
				return -EBADMSG;
			ws(&r);
			if (strcmp(name, list) == 0 && peek(&r, &c) && c == '[') {
				rd_u8(&r, &c);
				ws(&r);
				if (peek(&r, &c) && c == ']') {
					rd_u8(&r, &c);
				} else {
					for (;;) {
						if (!entry(&r, cols, ncols))
							return -EBADMSG;
						if ((rc = row(ctx)) != 0)
							return rc;
						ws(&r);
						if (!rd_u8(&r, &c))
							return -EBADMSG;
						if (c == ']')
							break;
						if (c != ',')
							return -EBADMSG;
					}
				}
			} else if (!skip_value(&r, 1)) {
				return -EBADMSG;
			}
			ws(&r);
			if (!rd_u8(&r, &c))
				return -EBADMSG;
			if (c == '}')
				break;
			if (c != ',')
				return -EBADMSG;
		}
	}
	if (!expect(&r, '}'))
		return -EBADMSG;
	ws(&r);
	return r.left ? -EBADMSG : 0;
}
