/* SPDX-License-Identifier: MIT */
/*
 * iked: the daemon object (iked.h): its northbound engine, the dataplane
 * and engine it runs, and what it applied. Created before the first
 * configuration arrives; the dataplane opens with the first configuration
 * that needs one (its backend is configuration: security dataplane).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "iked.h"
#include "log.h"

#include "banned.h"

struct iked *
iked_new(struct event_base *base, struct ly_ctx *ctx, const struct iked_opts *o, struct errbuf *err)
{
	struct iked *d = calloc(1, sizeof(*d));

	if (!d) {
		errbuf_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	d->base = base;
	d->ctx = ctx;
	if (o)
		d->opts = *o;
	d->started = time(NULL);
	dpobj_fini(&d->obj); /* initialises the ID counters */
	d->nb = iked_nb_new(d, err);
	if (!d->nb) {
		free(d);
		return NULL;
	}
	return d;
}

struct nb *
iked_nb(struct iked *d)
{
	return d->nb;
}

void
iked_free(struct iked *d)
{
	if (!d)
		return;
	nb_free(d->nb); /* ends a pending transaction (ABORT) */
	iked_run_close(d, false);
	if (d->ev_timer)
		event_free(d->ev_timer);
	if (d->ev_trim)
		event_free(d->ev_trim);
	dpobj_fini(&d->obj);
	iked_changes_fini(&d->tx_ch);
	if (d->tx_want) {
		iked_want_fini(d->tx_want);
		free(d->tx_want);
	}
	free(d);
}
