/* SPDX-License-Identifier: MIT */
/*
 * iked-conf-bench: cairn-iked's side of a commit at scale, in process and
 * without cairn-mgd: one daemon (cairn-iked-core, mock dataplane, no
 * sockets) receives the hub side of N route-based VPNs (tests/bench/
 * gen-vpn-pair.sh) through nb_test_commit(), as mgd's resynchronisation
 * sends it, then commits of one VPN added, changed and deleted. Prints
 * the time of each transaction (VALIDATE + PREPARE + APPLY, median of the
 * runs) and the heap in use (glibc's mallinfo2) by the configuration: the
 * libyang tree nb keeps, and everything else cairn-iked keeps for it.
 * Not a ctest: timings depend on the machine.
 *
 *   iked-conf-bench [-n N] [-r RUNS] [-y YANG_DIR]
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libyang/libyang.h>

#include "buf.h"
#include "bench_util.h"
#include "cfg.h"
#include "iked.h"
#include "log.h"

#include "banned.h"

#ifndef CAIRN_GEN_PAIR
#define CAIRN_GEN_PAIR "tests/bench/gen-vpn-pair.sh"
#endif

static struct cfg_schema *schema;

/* tree edited with set lines (all or nothing) */
static void
edit(struct lyd_node **tree, const char *lines)
{
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };

	errbuf_clear(&err);
	if (cfg_edit_lines(schema, tree, NULL, lines, strlen(lines), 0, NULL, &pos, &err) != 0)
		bench_die("edit: %s (line %u)", err.msg, pos.line);
}

static char *
json_of(const struct lyd_node *tree)
{
	char *json = NULL;

	if (tree && lyd_print_mem(&json, tree, LYD_JSON,
	                LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) != LY_SUCCESS)
		bench_die("print");
	return json;
}

/*
 * One transaction of the whole new configuration (nb_test_commit: nb
 * parses it and diffs it against its copy, as after a reconnection); the
 * seconds of cairn-iked's part, from its first callback to the end of
 * APPLY (what mgd's small commits cost it: they send only the change).
 */
static double
commit(struct iked *d, const struct lyd_node *tree, size_t *translated)
{
	struct buf out = BUF_INIT;
	char *json = json_of(tree);

	if (nb_test_commit(iked_nb(d), json ? json : "", false, &out) != 0)
		bench_die("commit refused: %s", buf_str(&out));
	free(json);
	buf_free(&out);
	if (translated)
		*translated = d->last_tx.translated;
	return d->last_tx.ms / 1000.0;
}

int
main(int argc, char **argv)
{
	const char *yang = NULL;
	unsigned n = 10000;
	int runs = 5, opt, r;
	char cmd[4096], one[256];
	struct event_base *base;
	struct lyd_node *tree = NULL;
	struct iked_opts o;
	struct errbuf err = { .msg = "" };
	struct iked *d;
	double t_all, *t_add, *t_mod, *t_del;
	size_t h0, h_tree, h_iked, tr_add = 0, tr_mod = 0, tr_del = 0;
	char *lines;

	while ((opt = getopt(argc, argv, "n:r:y:")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'y':
			yang = optarg;
			break;
		default:
			fprintf(stderr, "usage: iked-conf-bench [-n N] [-r RUNS] [-y YANG_DIR]\n");
			return 2;
		}
	}
	if (n < 2 || n > 15000 || runs < 1)
		bench_die("N between 2 and 15000, RUNS at least 1");
	log_init("iked-conf-bench", false);
	log_set_level(LOG_LVL_WARN);
	errbuf_clear(&err);
	schema = cfg_schema_load(yang ? yang : CAIRN_YANG_DIR, &err);
	if (!schema)
		bench_die("%s", err.msg);
	base = event_base_new();
	t_add = calloc((size_t)runs, sizeof(double));
	t_mod = calloc((size_t)runs, sizeof(double));
	t_del = calloc((size_t)runs, sizeof(double));
	if (!base || !t_add || !t_mod || !t_del)
		bench_die("out of memory");

	/* the libyang tree of N VPNs (nb keeps one like it) */
	snprintf(cmd, sizeof(cmd), "sh %s hub %u", CAIRN_GEN_PAIR, n);
	lines = bench_run_capture(cmd);
	h0 = bench_heap();
	edit(&tree, lines);
	if (lyd_new_implicit_all(&tree, cfg_schema_ctx(schema), LYD_IMPLICIT_NO_STATE, NULL) !=
	    LY_SUCCESS)
		bench_die("defaults");
	h_tree = bench_heap() - h0;
	free(lines);

	memset(&o, 0, sizeof(o));
	o.test_mock_dp = true;
	o.test_no_sockets = true;
	d = iked_new(base, cfg_schema_ctx(schema), &o, &err);
	if (!d)
		bench_die("iked_new: %s", err.msg);
	h0 = bench_heap();
	t_all = commit(d, tree, NULL);
	malloc_trim(0);
	h_iked = bench_heap() - h0;

	for (r = 0; r < runs; r++) {
		unsigned v = n - 1;

		/* one VPN added (its 10 set lines) */
		snprintf(cmd, sizeof(cmd), "sh %s hub 1 %u", CAIRN_GEN_PAIR, n);
		lines = bench_run_capture(cmd);
		edit(&tree, lines);
		free(lines);
		t_add[r] = commit(d, tree, &tr_add);
		/* one VPN changed (an SA-relevant leaf of its VPN) */
		snprintf(one, sizeof(one), "set security ipsec vpn vpn-%u df-bit %s\n", v,
		    r % 2 ? "clear" : "set");
		edit(&tree, one);
		t_mod[r] = commit(d, tree, &tr_mod);
		/* the added one deleted again */
		snprintf(cmd, sizeof(cmd),
		    "delete security ipsec vpn vpn-%u\n"
		    "delete security ike gateway gw-%u\n"
		    "delete security ike policy ike-pol-%u\n"
		    "delete interfaces st0 unit %u\n"
		    "delete routing-options static route 10.%u.%u.0/24\n",
		    n, n, n, n, n / 256, n % 256);
		edit(&tree, cmd);
		t_del[r] = commit(d, tree, &tr_del);
	}

	printf("iked-conf-bench: %u route-based VPNs (hub side of gen-vpn-pair.sh), mock "
	       "dataplane, %d runs\n",
	    n, runs);
	printf("  %-52s %9.3f s\n", "commit of everything (iked's transaction)", t_all);
	printf("  %-52s %9.4f s  (%zu objects translated)\n", "one VPN added (10 lines)",
	    bench_median(t_add, runs), tr_add);
	printf("  %-52s %9.4f s  (%zu)\n", "one VPN changed (df-bit)", bench_median(t_mod, runs),
	    tr_mod);
	printf("  %-52s %9.4f s  (%zu)\n", "one VPN deleted", bench_median(t_del, runs), tr_del);
	printf("  %-52s %9.2f KiB per VPN\n", "heap: the libyang tree (nb's copy)",
	    (double)h_tree / 1024.0 / n);
	printf("  %-52s %9.2f KiB per VPN\n", "heap: cairn-iked's own, without the tree",
	    ((double)h_iked - (double)h_tree) / 1024.0 / n);

	iked_free(d);
	lyd_free_all(tree);
	event_base_free(base);
	cfg_schema_free(schema);
	free(t_add);
	free(t_mod);
	free(t_del);
	return 0;
}
