/* SPDX-License-Identifier: MIT */
/* errbuf: fixed-size operator-facing error messages. */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

int
errbuf_set(struct errbuf *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->msg[0] != '\0')
		return rc;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int
errbuf_reset(struct errbuf *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return rc;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void
errbuf_append(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!e)
		return;
	len = strlen(e->msg);
	if (len > 0 && len + 1 < sizeof(e->msg) && e->msg[len - 1] != '\n') {
		e->msg[len++] = '\n';
		e->msg[len] = '\0';
	}
	if (len >= sizeof(e->msg) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
	va_end(ap);
}
