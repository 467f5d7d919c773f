/* SPDX-License-Identifier: MIT */
/*
 * cairn-testd: a subscriber daemon for the tests of cairn-mgd, built on
 * the nb engine like cairn-iked. It owns what iked owns (security,
 * interfaces, routing-options), records every callback it gets, one line
 * each ("PREPARE create /cairn-security:security/ike/gateway[name='g']"),
 * "END applied|aborted" after each transaction and "SYNCED" after the
 * first, and can be told to refuse a change:
 *
 *   cairn-testd --root DIR --log FILE [--name N] [--fail-prepare TEXT]
 *               [--fail-validate TEXT] [--prepare-delay-ms N] [--no-rpcs] [--ends-only]
 *
 * --fail-* TEXT: refuse (in that phase) any node whose path holds TEXT.
 * It serves cairn-test:echo and cairn-test:reset-counters when that
 * module is in the YANG directory (not with --no-rpcs: one daemon serves
 * an RPC).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc_msg.h"
#include "log.h"
#include "nb.h"
#include "nbtable.h"
#include "paths.h"
#include "banned.h"

static struct {
	FILE *log;
	const char *name;
	const char *fail_prepare, *fail_validate;
	int delay_ms;
	bool synced_logged;
	bool ends_only; /* log END and SYNCED lines only (benchmarks) */
	struct nb *nb;
} g;

static int
cb(struct nb_args *a)
{
	const char *fail = a->phase == NB_PREPARE    ? g.fail_prepare
	                   : a->phase == NB_VALIDATE ? g.fail_validate
	                                             : NULL;
	char *path = NULL;
	int rc = 0;

	if ((g.log && !g.ends_only) || fail)
		path = lyd_path(a->dnode, LYD_PATH_STD, NULL, 0);

	if (g.log && !g.ends_only) {
		fprintf(g.log, "%s %s %s\n", nb_phase_name(a->phase), nb_event_name(a->event),
		    path ? path : "?");
		fflush(g.log);
	}
	if (a->phase == NB_PREPARE && g.delay_ms > 0) {
		struct timespec ts = { g.delay_ms / 1000, (g.delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (fail && path && strstr(path, fail))
		rc = nb_fail(a->err, -EINVAL, "%s: refused by the test (%s)", g.name,
		    nb_phase_name(a->phase));
	free(path);
	return rc;
}

static void
end(void *arg, bool applied)
{
	(void)arg;
	if (!g.log)
		return;
	fprintf(g.log, "END %s\n", applied ? "applied" : "aborted");
	if (applied && !g.synced_logged && nb_synced(g.nb)) {
		fprintf(g.log, "SYNCED\n");
		g.synced_logged = true;
	}
	fflush(g.log);
}

static int
rpc_echo(const struct lyd_node *input, struct lyd_node *output, struct errbuf *err, void *arg)
{
	(void)arg;
	(void)err;
	if (lyd_new_term(output, NULL, "text", ipc_leaf_str(input, "text"), 1, NULL) !=
	        LY_SUCCESS ||
	    lyd_new_term(output, NULL, "served-by", g.name, 1, NULL) != LY_SUCCESS)
		return -ENOMEM;
	return 0;
}

static int
rpc_reset(const struct lyd_node *input, struct lyd_node *output, struct errbuf *err, void *arg)
{
	(void)input;
	(void)arg;
	(void)err;
	return lyd_new_term(output, NULL, "done", NULL, 1, NULL) == LY_SUCCESS ? 0 : -ENOMEM;
}

static const struct nb_rpc_ops rpcs[] = {
	{ .path = "/cairn-test:echo", .handler = rpc_echo },
	{ .path = "/cairn-test:reset-counters", .handler = rpc_reset },
	{ .path = NULL },
};

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static struct ly_ctx *
load_all(const char *dir, bool *has_test)
{
	struct ly_ctx *ctx = NULL;
	DIR *d;
	struct dirent *de;
	char name[256];
	size_t len;

	*has_test = false;
	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS)
		return NULL;
	d = opendir(dir);
	if (!d)
		return ctx;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yang"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		if (strchr(name, '@'))
			*strchr(name, '@') = '\0';
		if (ly_ctx_load_module(ctx, name, NULL, NULL) && !strcmp(name, "cairn-test"))
			*has_test = true;
	}
	closedir(d);
	return ctx;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'l' },
		{ "fail-prepare", required_argument, NULL, 'p' },
		{ "fail-validate", required_argument, NULL, 'v' },
		{ "prepare-delay-ms", required_argument, NULL, 'd' },
		{ "no-rpcs", no_argument, NULL, 'N' },
		{ "ends-only", no_argument, NULL, 'E' },
		{ "debug", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct nb_cfg cfg;
	struct cairn_paths paths;
	struct event_base *base;
	struct event *sig1, *sig2;
	struct ly_ctx *ctx;
	struct errbuf err = { .msg = "" };
	const char *root = NULL;
	bool has_test, no_rpcs = false;
	int c;

	g.name = "cairn-testd";
	while ((c = getopt_long(argc, argv, "r:n:l:p:v:d:NED", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			g.name = optarg;
			break;
		case 'l':
			g.log = fopen(optarg, "a");
			if (!g.log) {
				perror(optarg);
				return 2;
			}
			break;
		case 'p':
			g.fail_prepare = optarg;
			break;
		case 'v':
			g.fail_validate = optarg;
			break;
		case 'd':
			g.delay_ms = atoi(optarg);
			break;
		case 'N':
			no_rpcs = true;
			break;
		case 'E':
			g.ends_only = true;
			break;
		case 'D':
			log_set_level(LOG_LVL_DEBUG);
			break;
		default:
			fprintf(stderr, "usage: cairn-testd --root DIR --log FILE [--name N] "
			                "[--fail-prepare TEXT] [--fail-validate TEXT]\n");
			return 2;
		}
	}
	log_init(g.name, false);
	ipc_ly_quiet();
	signal(SIGPIPE, SIG_IGN);
	errbuf_clear(&err);
	if (cairn_paths_init(&paths, root) < 0)
		return 2;
	ctx = load_all(paths.yang_dir, &has_test);
	if (!ctx) {
		fprintf(stderr, "%s: cannot load YANG modules\n", g.name);
		return 2;
	}
	base = event_base_new();
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = g.name;
	cfg.subtrees = nbtable_subtrees;
	cfg.nodes = nbtable_nodes(cb);
	cfg.rpcs = has_test && !no_rpcs ? rpcs : NULL;
	cfg.end = end;
	g.nb = nb_new(base, ctx, &cfg, &err);
	if (!g.nb) {
		fprintf(stderr, "%s: %s\n", g.name, err.msg);
		return 1;
	}
	if (nb_connect(g.nb, paths.mgd_sock, &err) < 0)
		log_warnx(LOG_MAIN, "%s (retrying)", err.msg);
	sig1 = evsignal_new(base, SIGTERM, on_signal, base);
	sig2 = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(sig1, NULL);
	evsignal_add(sig2, NULL);
	event_base_dispatch(base);
	nb_free(g.nb);
	event_free(sig1);
	event_free(sig2);
	event_base_free(base);
	ly_ctx_destroy(ctx);
	if (g.log)
		fclose(g.log);
	return 0;
}
