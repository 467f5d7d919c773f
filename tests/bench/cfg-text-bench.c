/* SPDX-License-Identifier: MIT */
/*
 * cfg-text-bench: how fast cairn-conf handles a 10k-VPN configuration
 * (tests/bench/gen-vpn-config.sh): set lines into a tree, curly and set
 * printing, curly loading, compare of two such trees, JSON, a one-line
 * edit and completion. Prints one line per figure (median of the runs)
 * with the target where the project set one. Not a ctest: timings vary
 * with the machine.
 *
 *   cfg-text-bench [-n VPNS] [-r RUNS] [-y YANG_DIR] [-i SET_FILE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "bench_util.h"
#include "paths.h"
#include "banned.h"

#ifndef CAIRN_GEN_VPN
#define CAIRN_GEN_VPN "tests/bench/gen-vpn-config.sh"
#endif

static char *
read_all(FILE *fp, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	if (buf_failed(&b)) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_steal(&b);
}

static char *
generate(unsigned n, unsigned first, size_t *len)
{
	char cmd[1024];
	FILE *fp;
	char *text;

	snprintf(cmd, sizeof(cmd), "'%s' %u %u", CAIRN_GEN_VPN, n, first);
	if ((fp = popen(cmd, "r")) == NULL)
		return NULL;
	text = read_all(fp, len);
	if (pclose(fp) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void
report(const char *what, double ms, const char *target)
{
	printf("%-44s %10.3f ms%s%s\n", what, ms, target ? "   target " : "", target ? target : "");
}

static void
die(const char *what, const struct errbuf *err, const struct cfg_errpos *pos)
{
	fprintf(stderr, "cfg-text-bench: %s: %s (line %u col %u)\n", what, err->msg,
	    pos ? pos->line : 0, pos ? pos->col : 0);
	exit(1);
}

static struct lyd_node *
parse_set(const struct cfg_schema *s, const char *text, size_t len, double *secs)
{
	struct lyd_node *tree = NULL;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	double t0;

	errbuf_clear(&err);
	t0 = bench_now();
	if (cfg_edit_lines(s, &tree, NULL, text, len, CFG_EDIT_NO_CHANGES, NULL, &pos, &err) != 0)
		die("set lines", &err, &pos);
	*secs = bench_now() - t0;
	return tree;
}

int
main(int argc, char **argv)
{
	struct cairn_paths paths;
	const char *yang = NULL, *input = NULL;
	unsigned nvpn = 10000;
	int runs = 5, opt;
	struct cfg_schema *s;
	struct errbuf err = { .msg = "" };
	struct cfg_errpos pos;
	char *text, *curly = NULL;
	size_t len, clen = 0;
	double *t, secs;
	struct lyd_node *tree, *tree2;
	struct rusage ru;

	while ((opt = getopt(argc, argv, "n:r:y:i:")) != -1) {
		switch (opt) {
		case 'n':
			nvpn = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'y':
			yang = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: %s [-n VPNS] [-r RUNS] [-y YANG_DIR] [-i SET_FILE]\n", argv[0]);
			return 2;
		}
	}
	if (runs < 1 || nvpn < 2 || nvpn > 15999)
		return 2;
	errbuf_clear(&err);
	if (!yang) {
		if (cairn_paths_init(&paths, NULL) != 0)
			return 1;
		yang = paths.yang_dir;
	}
	if ((s = cfg_schema_load(yang, &err)) == NULL)
		die("schema", &err, NULL);
	if (input) {
		FILE *fp = fopen(input, "r");

		text = fp ? read_all(fp, &len) : NULL;
		if (fp)
			fclose(fp);
	} else {
		text = generate(nvpn, 0, &len);
	}
	if (!text) {
		fprintf(stderr, "cfg-text-bench: cannot read the configuration\n");
		return 1;
	}
	{
		size_t lines = 0;

		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		printf("configuration: %u VPNs, %zu set lines, %zu bytes; median of %d runs\n",
		    nvpn, lines, len, runs);
	}
	if ((t = calloc((size_t)runs, sizeof(*t))) == NULL)
		return 1;

	/* 1. set lines -> tree */
	tree = NULL;
	for (int r = 0; r < runs; r++) {
		struct lyd_node *tr = parse_set(s, text, len, &t[r]);

		if (r == runs - 1)
			tree = tr;
		else
			lyd_free_all(tr);
	}
	report("parse set lines into a tree", bench_median(t, runs) * 1e3, "<= 1000 ms");

	/* 2. curly print */
	for (int r = 0; r < runs; r++) {
		struct buf out = BUF_INIT;
		double t0 = bench_now();

		if (cfg_print(s, tree, NULL, NULL, 0, CFG_FMT_TEXT, 0, &out, &pos, &err) != 0)
			die("curly print", &err, &pos);
		t[r] = bench_now() - t0;
		clen = out.len;
		if (r == runs - 1)
			curly = buf_steal(&out);
		else
			buf_free(&out);
	}
	report("print curly (show configuration)", bench_median(t, runs) * 1e3, "<= 300 ms");

	/* 3. display set */
	for (int r = 0; r < runs; r++) {
		struct buf out = BUF_INIT;
		double t0 = bench_now();

		if (cfg_print(s, tree, NULL, NULL, 0, CFG_FMT_SET, 0, &out, &pos, &err) != 0)
			die("display set", &err, &pos);
		t[r] = bench_now() - t0;
		buf_free(&out);
	}
	report("print | display set", bench_median(t, runs) * 1e3, "<= 300 ms");

	/* 4. JSON */
	for (int r = 0; r < runs; r++) {
		struct buf out = BUF_INIT;
		double t0 = bench_now();

		if (cfg_print(s, tree, NULL, NULL, 0, CFG_FMT_JSON, 0, &out, &pos, &err) != 0)
			die("json", &err, &pos);
		t[r] = bench_now() - t0;
		buf_free(&out);
	}
	report("print | display json", bench_median(t, runs) * 1e3, NULL);

	/* 5. curly load */
	for (int r = 0; r < runs; r++) {
		struct lyd_node *tr = NULL;
		double t0 = bench_now();

		if (cfg_load_text(s, &tr, CFG_LOAD_OVERRIDE, NULL, curly, clen, CFG_EDIT_NO_CHANGES,
		        NULL, &pos, &err) != 0)
			die("load override", &err, &pos);
		t[r] = bench_now() - t0;
		lyd_free_all(tr);
	}
	report("load override of the curly text", bench_median(t, runs) * 1e3, NULL);

	/* 6. compare: a second tree with one VPN more and one changed */
	tree2 = parse_set(s, text, len, &secs);
	{
		size_t alen;
		char *add = generate(1, nvpn, &alen);
		const char *chg = "set security ike gateway gw-7 address 198.51.100.7\n"
		                  "delete security zones security-zone vpn interfaces st0.9\n";

		if (!add || cfg_edit_lines(s, &tree2, NULL, add, alen, 0, NULL, &pos, &err) != 0 ||
		    cfg_edit_lines(s, &tree2, NULL, chg, strlen(chg), 0, NULL, &pos, &err) != 0)
			die("second tree", &err, &pos);
		free(add);
	}
	for (int r = 0; r < runs; r++) {
		struct buf out = BUF_INIT;
		double t0 = bench_now();

		if (cfg_compare(s, tree, tree2, NULL, NULL, 0, 0, &out, &pos, &err) != 0)
			die("compare", &err, &pos);
		t[r] = bench_now() - t0;
		if (r == runs - 1 && out.len == 0)
			die("compare found no difference", &err, NULL);
		buf_free(&out);
	}
	report("compare two 10k trees (3 changes)", bench_median(t, runs) * 1e3, "<= 200 ms");

	/* 7. one line into the big tree (what a shell `set` costs) */
	for (int r = 0; r < runs; r++) {
		char line[128];
		double t0;

		snprintf(line, sizeof(line), "set security ike gateway gw-%d nat-keepalive %d\n",
		    r * 97 % (int)nvpn, 10 + r);
		t0 = bench_now();
		if (cfg_edit_lines(s, &tree, NULL, line, strlen(line), 0, NULL, &pos, &err) != 0)
			die("one line", &err, &pos);
		t[r] = bench_now() - t0;
	}
	report("one set line into the 10k tree", bench_median(t, runs) * 1e3, NULL);

	/* 8. completion at several depths (schema only) */
	{
		static const char *const q[] = { "", "sec", "security ike ",
			"security ike gateway ", "security ike gateway gw-1 ",
			"security ike gateway gw-1 dead-peer-detection ",
			"security ipsec vpn v1 ike gateway ", "interfaces st0 unit 3 family inet ",
			("security zones security-zone vpn interfaces st0.1 host-inbound-traffic "
			 "system-services ") };
		const int per = 1000;
		double worst = 0, t0, tt = 0;

		for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
			t0 = bench_now();
			for (int i = 0; i < per; i++) {
				struct cfg_completion c;

				if (cfg_complete(s, CFG_CMD_SET, NULL, q[k], strlen(q[k]), &c, &pos,
				        &err) != 0)
					die("complete", &err, &pos);
				cfg_completion_fini(&c);
			}
			secs = (bench_now() - t0) / per;
			tt += secs;
			if (secs > worst)
				worst = secs;
		}
		report("completion, mean of 9 depths",
		    tt / (double)(sizeof(q) / sizeof(q[0])) * 1e3, NULL);
		report("completion, slowest depth", worst * 1e3, "<= 2 ms");
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%-44s %10.1f MB\n", "peak RSS (two trees and texts)", (double)ru.ru_maxrss / 1024);
	lyd_free_all(tree);
	lyd_free_all(tree2);
	free(curly);
	free(text);
	free(t);
	cfg_schema_free(s);
	return 0;
}
