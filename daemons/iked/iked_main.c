/* SPDX-License-Identifier: MIT */
/*
 * cairn-iked: the IKEv2 daemon of a Cairn appliance (docs/iked.md).
 *
 *   cairn-iked [--root DIR] [--debug] [--ike-port N] [--natt-port N]
 *              [--test-lifetime-divisor N]
 *
 * --test-lifetime-divisor is for tests only: every IKE and IPsec SA
 * lifetime (and the rekey retries measured against it) divided by N, so
 * a test sees rekeys within a minute; never set by default.
 *
 * Runs in the foreground, logs to stderr and syslog, connects to the
 * instance's cairn-mgd (reconnecting when it goes away), receives the
 * running configuration and every commit of security, interfaces (st0)
 * and routing-options (routes into st0), and serves the operational RPCs
 * of cairn-security-state. SIGTERM/SIGINT: DELETE to every peer, the
 * dataplane closed (st0 units, routes and SAs removed), exit 0.
 */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libyang/libyang.h>

#include "iked.h"
#include "ipc_msg.h"
#include "log.h"
#include "paths.h"

#include "banned.h"

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info(LOG_MAIN, "signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
}

/* Every module of the YANG directory (as mgd loads them). */
static struct ly_ctx *
load_schema(const char *dir)
{
	struct ly_ctx *ctx = NULL;
	struct dirent *de;
	DIR *dp;

	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS)
		return NULL;
	dp = opendir(dir);
	if (!dp) {
		ly_ctx_destroy(ctx);
		return NULL;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);
		char name[256];

		if (len < 6 || strcmp(de->d_name + len - 5, ".yang") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		if (strchr(name, '@'))
			*strchr(name, '@') = '\0';
		if (!ly_ctx_load_module(ctx, name, NULL, NULL))
			log_warnx(LOG_MAIN, "YANG module %s: %s", name, ly_errmsg(ctx));
	}
	closedir(dp);
	return ctx;
}

static void
usage(void)
{
	fprintf(stderr, "usage: cairn-iked [--root DIR] [--debug] [--ike-port N] [--natt-port N]\n"
	                "                  [--test-lifetime-divisor N]   (tests only)\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'D' },
		{ "ike-port", required_argument, NULL, 'i' },
		{ "natt-port", required_argument, NULL, 'n' },
		{ "test-lifetime-divisor", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct iked_opts o;
	struct cairn_paths paths;
	struct event_base *base;
	struct event *sig1, *sig2;
	struct ly_ctx *ctx;
	struct errbuf err = { .msg = "" };
	struct iked *d;
	int c;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "r:Di:n:L:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.root = optarg;
			break;
		case 'D':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'i':
			o.ike_port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o.natt_port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'L':
			/* tests only: every SA lifetime divided (docs/iked.md, Tests) */
			o.test_lifetime_div = (uint32_t)strtoul(optarg, NULL, 10);
			if (o.test_lifetime_div < 1 || o.test_lifetime_div > 1000) {
				fprintf(stderr, "cairn-iked: --test-lifetime-divisor: 1..1000\n");
				return 2;
			}
			break;
		default:
			usage();
			return c == 'h' ? 0 : 2;
		}
	}
	log_init("cairn-iked", true);
	if (o.test_lifetime_div > 1)
		log_warnx(LOG_MAIN,
		    "TEST MODE: SA lifetimes divided by %u (--test-lifetime-divisor); not for "
		    "production",
		    o.test_lifetime_div);
	ipc_ly_quiet();
	signal(SIGPIPE, SIG_IGN);
	errbuf_clear(&err);
	if (cairn_paths_init(&paths, o.root) < 0) {
		fprintf(stderr, "cairn-iked: root path too long\n");
		return 2;
	}
	ctx = load_schema(paths.yang_dir);
	if (!ctx) {
		fprintf(stderr, "cairn-iked: cannot load the YANG modules of %s\n", paths.yang_dir);
		return 2;
	}
	base = event_base_new();
	if (!base) {
		ly_ctx_destroy(ctx);
		return 1;
	}
	d = iked_new(base, ctx, &o, &err);
	if (!d) {
		fprintf(stderr, "cairn-iked: %s\n", err.msg);
		event_base_free(base);
		ly_ctx_destroy(ctx);
		return 1;
	}
	if (nb_connect(iked_nb(d), paths.mgd_sock, &err) < 0)
		log_warnx(LOG_MAIN, "%s: %s (retrying every second)", paths.mgd_sock, err.msg);
	sig1 = evsignal_new(base, SIGTERM, on_signal, base);
	sig2 = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(sig1, NULL);
	evsignal_add(sig2, NULL);
	log_info(LOG_MAIN, "started (root %s)", paths.root);
	event_base_dispatch(base);
	iked_run_close(d, true);
	iked_free(d);
	event_free(sig1);
	event_free(sig2);
	event_base_free(base);
	ly_ctx_destroy(ctx);
	return 0;
}
