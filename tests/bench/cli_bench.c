/* SPDX-License-Identifier: MIT */
/*
 * cli_bench: how long the shell takes to answer `?` and TAB, and to run
 * `show configuration | count`, against a live cairn-mgd (normally with
 * the 10k-VPN configuration loaded; tests/bench/cli-bench.sh sets it up).
 *
 *   cli_bench --root DIR [--iterations N]
 *
 * Each `?` is what the terminal does on the key: cli_complete() on the
 * line (schema walk through cairn-conf, plus the `complete` RPC to mgd for
 * live values) and the rendering of "Possible completions:". TAB is the
 * same call plus the common-prefix computation. Prints the median and
 * the 95th percentile of each, in milliseconds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyang/libyang.h>

#include "cli.h"
#include "ipc_msg.h"
#include "rpc.h"
#include "log.h"
#include "optab.h"

struct probe {
	enum cli_mode mode;
	const char *line;
	const char *what;
};

static const struct probe probes[] = {
	{ CLI_MODE_OP, "", "op: top level" },
	{ CLI_MODE_OP, "show configuration security ike ", "op: show configuration path" },
	{ CLI_MODE_CONFIG, "", "cfg: top level" },
	{ CLI_MODE_CONFIG, "set ", "cfg: set" },
	{ CLI_MODE_CONFIG, "set security ike ", "cfg: set, depth 2" },
	{ CLI_MODE_CONFIG, "set security ike proposal ike-prop dh-group ", "cfg: enum values" },
	{ CLI_MODE_CONFIG, "set security ike gateway gw-5000 ", "cfg: in a list entry, depth 4" },
	{ CLI_MODE_CONFIG, "set security ike gateway ", "cfg: list keys (10k live values)" },
	{ CLI_MODE_CONFIG, "set security ike gateway gw-50", "cfg: list keys, partial 'gw-50'" },
	{ CLI_MODE_CONFIG, "set security ike gateway gw-5000 ike-policy ",
	    "cfg: leafref (10k live values)" },
	{ CLI_MODE_CONFIG, "set security ipsec vpn vpn-7 ike gateway gw-77",
	    "cfg: leafref, partial, depth 6" },
	{ CLI_MODE_CONFIG, "set interfaces st0 unit 9999 family inet ",
	    "cfg: flat-key list, depth 5" },
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
stats(double *v, int n, double *med, double *p95)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	*med = v[n / 2];
	*p95 = v[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
}

/* One `?` (render = true) or TAB (common prefix) on line; returns ms. */
static double
one(struct cli *c, const char *line, bool render, size_t *ncands)
{
	struct cands cs;
	struct cli_err err;
	char *partial = NULL, *common;
	size_t off, n;
	double t0 = now_ms(), t1;

	cands_init(&cs);
	cli_err_init(&err);
	if (cli_complete(c, line, strlen(line), &cs, &partial, &off, &err)) {
		if (render) {
			struct buf b = BUF_INIT;

			cands_render(&cs, &b);
			buf_free(&b);
		} else {
			common = cands_common_prefix(&cs, partial, &n);
			free(common);
		}
	}
	t1 = now_ms();
	*ncands = cs.n;
	free(partial);
	cands_free(&cs);
	cli_err_fini(&err);
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "iterations", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { NULL, NULL };
	struct errbuf err = { .msg = "" };
	struct cli c;
	int iters = 50, ch, i;
	size_t p, ncands = 0;
	double *q, *t, med, p95, worst = 0;
	FILE *devnull;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'r')
			o.root = optarg;
		else if (ch == 'n')
			iters = atoi(optarg);
		else
			return 2;
	}
	if (iters < 1)
		iters = 1;
	log_init("cli_bench", false);
	log_set_stderr(false);
	ipc_ly_quiet();
	errbuf_clear(&err);
	if (cli_open(&c, &o, false, &err) < 0 || optab_init(&c) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	devnull = fopen("/dev/null", "w");
	c.tty_out = devnull;
	q = calloc((size_t)iters, sizeof(*q));
	t = calloc((size_t)iters, sizeof(*t));
	if (!q || !t || !devnull)
		return 2;
	printf("%-44s %8s %10s %10s %10s %10s\n", "line", "cands", "? med ms", "? p95 ms",
	    "TAB med", "TAB p95");
	for (p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
		if (probes[p].mode == CLI_MODE_CONFIG && c.mode != CLI_MODE_CONFIG) {
			cli_run_line(&c, "configure");
		} else if (probes[p].mode == CLI_MODE_OP && c.mode != CLI_MODE_OP) {
			cli_run_line(&c, "exit");
		}
		one(&c, probes[p].line, true, &ncands); /* warm-up */
		for (i = 0; i < iters; i++) {
			q[i] = one(&c, probes[p].line, true, &ncands);
			t[i] = one(&c, probes[p].line, false, &ncands);
		}
		stats(q, iters, &med, &p95);
		if (p95 > worst)
			worst = p95;
		printf("%-44s %8zu %10.2f %10.2f", probes[p].what, ncands, med, p95);
		stats(t, iters, &med, &p95);
		if (p95 > worst)
			worst = p95;
		printf(" %10.2f %10.2f\n", med, p95);
	}
	/* where the time goes: one RPC round trip, and the complete RPC for
	 * all 10k gateway names without any rendering */
	{
		static const struct {
			const char *what, *rpc, *xpath;
			bool joined;
		} rpcs[] = {
			{ "rpc: status (round-trip floor)", "cairn-mgmt:status", NULL, false },
			{ "rpc: complete, 10k gateway names", "cairn-mgmt:complete",
			    "/cairn-security:security/ike/gateway/name", false },
			{ "rpc: complete, 10k names, joined", "cairn-mgmt:complete",
			    "/cairn-security:security/ike/gateway/name", true },
			{ "rpc: complete, names starting gw-50", "cairn-mgmt:complete",
			    "/cairn-security:security/ike/gateway/name[starts-with(.,'gw-50')]",
			    true },
			{ "rpc: complete, XPath (not a plain path)", "cairn-mgmt:complete",
			    "/cairn-security:security/ike/gateway[address]/name", true },
		};

		for (p = 0; p < sizeof(rpcs) / sizeof(rpcs[0]); p++) {
			for (i = 0; i < iters; i++) {
				struct lyd_node *rpc = rpc_new(&c, rpcs[p].rpc), *reply = NULL;
				double t0;

				if (!rpc)
					return 2;
				if (rpcs[p].xpath)
					lyd_new_term(rpc, NULL, "xpath", rpcs[p].xpath, 0, NULL);
				if (rpcs[p].joined)
					lyd_new_term(rpc, NULL, "joined", NULL, 0, NULL);
				t0 = now_ms();
				rpc_call_quiet(&c, rpc, &reply, &err);
				q[i] = now_ms() - t0;
				lyd_free_all(rpc);
				lyd_free_all(reply);
			}
			stats(q, iters, &med, &p95);
			printf("%-44s %8s %10.2f %10.2f\n", rpcs[p].what, "", med, p95);
		}
	}
	if (c.mode == CLI_MODE_CONFIG)
		cli_run_line(&c, "exit");
	for (i = 0; i < 5; i++) {
		double t0 = now_ms();

		cli_run_line(&c, "show configuration | count");
		q[i] = now_ms() - t0;
	}
	stats(q, 5, &med, &p95);
	printf("%-44s %8s %10.1f %10.1f\n", "show configuration | count", "", med, p95);
	printf("worst p95 of ? and TAB: %.2f ms (target <= 20 ms)\n", worst);
	free(q);
	free(t);
	fclose(devnull);
	optab_fini(&c);
	cli_close(&c);
	return 0;
}
