/* SPDX-License-Identifier: MIT */
/* xmem: wipe-then-free for buffers that held key material. */
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

void
xmem_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

void
xmem_free_str(char *s)
{
	if (!s)
		return;
	xmem_free(s, strlen(s));
}

void *
xmem_zalloc(size_t len)
{
	return calloc(1, len ? len : 1);
}
