/* SPDX-License-Identifier: MIT */
/*
 * rd: a bounds-checked reader over untrusted bytes (STYLE.md §4). Every
 * read returns false and moves nothing when too few bytes remain, so a
 * parser built from these steps cannot overrun its input.
 */
#ifndef CAIRN_RD_H
#define CAIRN_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t left;
};

static inline void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
}

static inline bool
rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return false;
	*v = r->p[0];
	r->p++;
	r->left--;
	return true;
}

static inline bool
rd_be16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return false;
	*v = (uint16_t)((uint16_t)r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return true;
}

static inline bool
rd_be32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 |
	     (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return true;
}

static inline bool
rd_be64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (r->left < 8)
		return false;
	rd_be32(r, &hi);
	rd_be32(r, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* Copies n bytes into dst. */
static inline bool
rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (r->left < n)
		return false;
	if (n)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

/* Borrows n bytes: *out points into the reader's buffer. */
static inline bool
rd_view(struct rd *r, size_t n, const uint8_t **out)
{
	if (r->left < n)
		return false;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return true;
}

/* A bounded child reader over the next n bytes; the parent skips them. */
static inline bool
rd_sub(struct rd *r, size_t n, struct rd *child)
{
	if (r->left < n)
		return false;
	child->p = r->p;
	child->left = n;
	r->p += n;
	r->left -= n;
	return true;
}

static inline bool
rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return false;
	r->p += n;
	r->left -= n;
	return true;
}

/* Writers for the matching wire formats; callers size dst themselves. */
static inline void
wr_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
wr_be64(uint8_t *p, uint64_t v)
{
	wr_be32(p, (uint32_t)(v >> 32));
	wr_be32(p + 4, (uint32_t)v);
}

#endif
