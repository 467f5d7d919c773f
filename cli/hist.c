/* SPDX-License-Identifier: MIT */
/* hist: a bounded ring of (time, line). */
#include "hist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

struct hist_ent {
	time_t when;
	char *line;
};

struct cli_hist {
	struct hist_ent *v;
	size_t max;
	size_t head; /* index of the oldest */
	size_t n;
};

struct cli_hist *
cli_hist_new(size_t max)
{
	struct cli_hist *h;

	if (max == 0) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->v = calloc(max, sizeof(*h->v));
	if (!h->v) {
		free(h);
		return NULL;
	}
	h->max = max;
	return h;
}

void
cli_hist_free(struct cli_hist *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->max; i++)
		free(h->v[i].line);
	free(h->v);
	free(h);
}

int
cli_hist_add(struct cli_hist *h, const char *line, time_t when)
{
	struct hist_ent *e;
	char *dup;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0')
		return 0;
	dup = strdup(line);
	if (!dup)
		return -ENOMEM;
	if (h->n == h->max) {
		e = &h->v[h->head];
		free(e->line);
		h->head = (h->head + 1) % h->max;
		h->n--;
	}
	e = &h->v[(h->head + h->n) % h->max];
	e->line = dup;
	e->when = when;
	h->n++;
	return 0;
}

void
cli_hist_render(const struct cli_hist *h, size_t last, struct buf *out)
{
	size_t i, start = 0;

	if (last && last < h->n)
		start = h->n - last;
	for (i = start; i < h->n; i++) {
		const struct hist_ent *e = &h->v[(h->head + i) % h->max];
		struct tm tm;

		localtime_r(&e->when, &tm);
		buf_printf(
		    out, "%02d:%02d:%02d -- %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, e->line);
	}
}

size_t
cli_hist_count(const struct cli_hist *h)
{
	return h->n;
}
