/* SPDX-License-Identifier: MIT */
/*
 * iked_run: the IKE engine's environment in the daemon (ike_engine.h
 * seams): the dataplane (dp.h) opened with the configured backend, UDP
 * 500 (and 4500 when the dataplane does not own it: the kernel backend,
 * with UDP_ENCAP_ESPINUDP) through ike_sock, the monotonic clock, one
 * libevent timer at the engine's earliest deadline, and the dataplane's
 * event descriptor (acquires, expiries, IKE arriving on 4500).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "iked.h"
#include "ike_sock.h"
#include "log.h"

#include "banned.h"

#define IKED_RX_MAX 65536

static uint64_t
now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
send_cb(void *ctx, const struct ike_dgram *dg)
{
	struct iked *d = ctx;
	int rc;

	if (d->opts.test_send)
		return d->opts.test_send(d->opts.test_ctx, dg);
	if (!d->sock) {
		d->tx_dropped++;
		return -ENOTCONN;
	}
	rc = ike_sock_send(d->sock, dg);
	if (rc < 0) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10, 5);
		char a[IKE_ADDR_STRLEN];

		if (log_ratelimit_ok(&rl, NULL))
			log_warnx(LOG_IKE, "send to %s:%u: %s",
			    ike_addr_str(&dg->remote.addr, a, sizeof(a)), dg->remote.port,
			    strerror(-rc));
	}
	return rc;
}

static void
arm(struct iked *d, uint64_t deadline)
{
	struct timeval tv;
	uint64_t now = now_ms(d), delta;

	if (!d->ev_timer)
		return;
	if (deadline == UINT64_MAX) {
		evtimer_del(d->ev_timer);
		return;
	}
	delta = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(delta / 1000);
	tv.tv_usec = (suseconds_t)(delta % 1000) * 1000;
	evtimer_add(d->ev_timer, &tv);
}

static void
wake_cb(void *ctx, uint64_t deadline)
{
	arm(ctx, deadline);
}

void
iked_run_rearm(struct iked *d)
{
	if (d->e)
		arm(d, ike_engine_next_deadline(d->e));
}

/* Quiet for this long after a burst: trim. */
#define TRIM_QUIET_MS 1500
/* Below this many SAs (or changed objects) since the last trim: not worth it. */
#define TRIM_MIN_BURST 256

static void
on_trim(evutil_socket_t fd, short what, void *arg)
{
	struct iked *d = arg;

	(void)fd;
	(void)what;
	d->burst = 0;
	malloc_trim(0);
}

void
iked_run_trim_soon(struct iked *d, unsigned weight)
{
	struct timeval tv = { TRIM_QUIET_MS / 1000, (TRIM_QUIET_MS % 1000) * 1000 };

	d->burst += weight;
	if (d->burst < TRIM_MIN_BURST || !d->base)
		return;
	if (!d->ev_trim)
		d->ev_trim = evtimer_new(d->base, on_trim, d);
	if (d->ev_trim)
		evtimer_add(d->ev_trim, &tv); /* pushed back while the burst goes on */
}

static void
event_cb(void *ctx, const struct ike_event_info *ev)
{
	struct iked *d = ctx;

	switch (ev->ev) {
	case IKE_EV_CHILD_UP:
	case IKE_EV_IKE_UP:
	case IKE_EV_CHILD_REKEYED:
	case IKE_EV_IKE_REKEYED:
		iked_run_trim_soon(d, 1);
		break;
	default:
		break;
	}
	if (ev->tunnel_id)
		log_info(LOG_IKE, "vpn %s (gateway %s) tunnel %u: %s", ev->vpn ? ev->vpn : "-",
		    ev->gateway ? ev->gateway : "-", ev->tunnel_id, ike_event_str(ev->ev));
	else
		log_info(LOG_IKE, "gateway %s IKE SA %u: %s", ev->gateway ? ev->gateway : "-",
		    ev->ike_index, ike_event_str(ev->ev));
}

static int
natt_send(void *ctx, const struct ike_dgram *dg)
{
	struct iked *d = ctx;

	return d->e ? ike_engine_dp_ike_send(d->e, dg) : -ENOTCONN;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct iked *d = arg;

	(void)fd;
	(void)what;
	if (d->e)
		ike_engine_run_timers(d->e);
	iked_run_rearm(d);
}

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[IKED_RX_MAX];
	struct iked *d = arg;
	struct ike_dgram dg;
	int rc, n;

	(void)what;
	/* a bounded batch, so one busy socket does not starve the others */
	for (n = 0; n < 64 && d->sock && d->e; n++) {
		rc = ike_sock_recv(d->sock, fd, &dg, buf, sizeof(buf));
		if (rc == -EAGAIN)
			break;
		if (rc != 0)
			continue; /* ESP or a keepalive on 4500, or an error */
		ike_engine_input(d->e, &dg);
	}
	iked_run_rearm(d);
}

static void
on_dp(evutil_socket_t fd, short what, void *arg)
{
	struct iked *d = arg;

	(void)fd;
	(void)what;
	if (d->e)
		ike_engine_dp_poll(d->e);
	iked_run_rearm(d);
}

enum dp_backend_kind
iked_run_resolve_backend(enum dp_backend_kind b, struct errbuf *why)
{
	if (b == DP_BACKEND_AUTO || b == DP_BACKEND_KERNEL)
		return dp_kernel_probe(why) == 0 ? DP_BACKEND_KERNEL : DP_BACKEND_USERSPACE;
	return b;
}

int
iked_run_open(struct iked *d, const struct dp_config *dpc, struct errbuf *err)
{
	struct dp_config cfg = *dpc;
	struct ike_engine_opts eo;
	struct ike_env env;
	int rc, fds[4];
	size_t i, n;

	if (d->dp)
		return 0;
	if (d->opts.test_mock_dp)
		cfg.backend = DP_BACKEND_MOCK;
	cfg.ike_port = d->opts.ike_port;
	cfg.natt_port = d->opts.natt_port;
	rc = dp_open(&cfg, &d->dp, err);
	if (rc < 0) {
		if (!errbuf_isset(err))
			errbuf_set(err, rc, "cannot open the dataplane: %s", strerror(-rc));
		d->dp = NULL;
		return rc;
	}
	d->dpc = *dpc;
	if (!d->ev_timer)
		d->ev_timer = evtimer_new(d->base, on_timer, d);
	memset(&env, 0, sizeof(env));
	env.ctx = d;
	env.send = send_cb;
	env.now_ms = now_ms;
	env.wake = wake_cb;
	env.dp = d->dp;
	env.event = event_cb;
	memset(&eo, 0, sizeof(eo));
	eo.ike_port = d->opts.ike_port;
	eo.natt_port = d->opts.natt_port;
	eo.test_lifetime_div = d->opts.test_lifetime_div;
	d->e = ike_engine_new(&env, &eo);
	if (!d->e) {
		rc = errbuf_set(err, -ENOMEM, "cannot start the IKE engine: out of memory");
		goto fail;
	}
	if (!d->opts.test_no_sockets) {
		struct ike_sock_conf sc;

		memset(&sc, 0, sizeof(sc));
		sc.ike_port = d->opts.ike_port;
		sc.natt_port = d->opts.natt_port;
		sc.no_natt = dp_owns_natt_port(d->dp);
		sc.kernel_espinudp = dp_backend_kind(d->dp) == DP_BACKEND_KERNEL;
		d->sock = ike_sock_open(&sc, err);
		if (!d->sock && errno == EAFNOSUPPORT) {
			/* a kernel without IPv6 */
			errbuf_clear(err);
			sc.no_v6 = true;
			d->sock = ike_sock_open(&sc, err);
		}
		if (!d->sock) {
			rc = -errno;
			goto fail;
		}
		if (sc.no_natt)
			ike_sock_set_natt_sender(d->sock, natt_send, d);
		n = ike_sock_fds(d->sock, fds, 4);
		for (i = 0; i < n; i++) {
			d->ev_sock[i] =
			    event_new(d->base, fds[i], EV_READ | EV_PERSIST, on_sock, d);
			if (!d->ev_sock[i] || event_add(d->ev_sock[i], NULL) < 0) {
				rc = errbuf_set(err, -ENOMEM, "cannot watch the IKE sockets");
				goto fail;
			}
			d->n_ev_sock++;
		}
	}
	if (dp_event_fd(d->dp) >= 0) {
		d->ev_dp = event_new(d->base, dp_event_fd(d->dp), EV_READ | EV_PERSIST, on_dp, d);
		if (!d->ev_dp || event_add(d->ev_dp, NULL) < 0) {
			rc = errbuf_set(err, -ENOMEM, "cannot watch the dataplane");
			goto fail;
		}
	}
	log_info(LOG_MAIN, "dataplane %s (%u SPU%s), IKE on UDP %u, NAT-T on UDP %u (%s)",
	    dp_backend_name(d->dp), dp_spu_count(d->dp), dp_spu_count(d->dp) == 1 ? "" : "s",
	    d->opts.ike_port ? d->opts.ike_port : 500, d->opts.natt_port ? d->opts.natt_port : 4500,
	    dp_owns_natt_port(d->dp) ? "shared with the dataplane" : "iked's own socket");
	log_info(LOG_MAIN, "dataplane %s: %s", dp_backend_name(d->dp), dp_backend_reason(d->dp));
	return 0;
fail:
	iked_run_close(d, false);
	return rc < 0 ? rc : -EIO;
}

void
iked_run_close(struct iked *d, bool send_delete)
{
	size_t i;

	if (d->e && send_delete)
		ike_engine_clear_ike_sa(d->e, 0); /* DELETE to every peer */
	for (i = 0; i < d->n_ev_sock; i++)
		event_free(d->ev_sock[i]);
	d->n_ev_sock = 0;
	if (d->ev_dp) {
		event_free(d->ev_dp);
		d->ev_dp = NULL;
	}
	if (d->ev_timer)
		evtimer_del(d->ev_timer);
	ike_engine_free(d->e);
	d->e = NULL;
	ike_sock_close(d->sock);
	d->sock = NULL;
	dp_close(d->dp);
	d->dp = NULL;
}
