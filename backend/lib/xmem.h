/* SPDX-License-Identifier: MIT */
/*
 * xmem: memory that held secrets is wiped before it is freed (STYLE.md §3).
 */
#ifndef CAIRN_XMEM_H
#define CAIRN_XMEM_H

#include <stddef.h>

/* explicit_bzero(p, len), then free(p). p may be NULL. */
void xmem_free(void *p, size_t len);

/* free() a NUL-terminated secret string after wiping it. */
void xmem_free_str(char *s);

/* calloc that also sets errno on failure (glibc does) - for symmetry. */
void *xmem_zalloc(size_t len);

#endif
