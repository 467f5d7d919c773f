/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common: what the cairn-conf fuzz targets share: the schema
 * (from $CAIRN_YANG_DIR, else ./yang), a base configuration for edits to
 * work on, and checks that abort on a broken invariant so the fuzzer
 * reports it.
 */
#ifndef CAIRN_FUZZ_COMMON_H
#define CAIRN_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"

#define FUZZ_MAX_INPUT (64u << 10)

static struct cfg_schema *fuzz_schema;

static const char fuzz_base[] =
    "set system host-name r1\n"
    "set security ike proposal p1 dh-group group19\n"
    "set security ike proposal p2 dh-group group20\n"
    "set security ike policy k proposals [ p1 p2 ]\n"
    "set security ike policy k pre-shared-key ascii-text \"$9$LbHX-wg4Z\"\n"
    "set security ike gateway g1 ike-policy k\n"
    "set security ike gateway g1 address [ 192.0.2.1 192.0.2.2 ]\n"
    "set security ike gateway g2 dynamic hostname h.example\n"
    "set security ipsec vpn v bind-interface st0.0\n"
    "set security zones security-zone z interfaces st0.0\n"
    "set security zones security-zone z address-book address a 10.0.0.0/8\n"
    "set security policies from-zone z to-zone z policy q1 then deny\n"
    "set security policies from-zone z to-zone z policy q2 then permit\n"
    "set interfaces st0 unit 0 family inet address 10.1.0.1/30\n"
    "set routing-options static route 10.2.0.0/16 next-hop st0.0\n";

static int
fuzz_init(void)
{
	struct errbuf err;
	const char *dir = getenv("CAIRN_YANG_DIR");

	errbuf_clear(&err);
	fuzz_schema = cfg_schema_load(dir && *dir ? dir : "yang", &err);
	if (!fuzz_schema) {
		fprintf(stderr, "fuzz: schema: %s (set CAIRN_YANG_DIR to BUILD/share/cairn/yang)\n",
		    err.msg);
		abort();
	}
	return 0;
}

static struct lyd_node *
fuzz_base_tree(void)
{
	struct lyd_node *tree = NULL;
	struct cfg_errpos pos;
	struct errbuf err;

	errbuf_clear(&err);
	if (cfg_edit_lines(fuzz_schema, &tree, NULL, fuzz_base, sizeof(fuzz_base) - 1, 0, NULL,
	        &pos, &err) != 0) {
		fprintf(stderr, "fuzz: base: %s\n", err.msg);
		abort();
	}
	return tree;
}

static char *
fuzz_print(const struct lyd_node *tree, enum cfg_format fmt)
{
	struct buf out = BUF_INIT;
	struct cfg_errpos pos;
	struct errbuf err;

	errbuf_clear(&err);
	if (cfg_print(fuzz_schema, tree, NULL, NULL, 0, fmt, 0, &out, &pos, &err) != 0) {
		fprintf(stderr, "fuzz: print: %s\n", err.msg);
		abort();
	}
	return out.p ? buf_steal(&out) : strdup("");
}

/* The tree's set form parses back into the same curly text, and the
 * tree compares equal to that copy and differently from the base. */
static void
fuzz_check_roundtrip(const struct lyd_node *tree)
{
	char *curly = fuzz_print(tree, CFG_FMT_TEXT), *dset = fuzz_print(tree, CFG_FMT_SET), *again;
	struct lyd_node *copy = NULL, *copy2 = NULL;
	struct cfg_errpos pos;
	struct errbuf err;
	struct buf diff = BUF_INIT;

	errbuf_clear(&err);
	if (cfg_edit_lines(fuzz_schema, &copy, NULL, dset, strlen(dset), 0, NULL, &pos, &err) !=
	    0) {
		fprintf(stderr, "fuzz: set form does not parse: %s at %u:%u\n%s", err.msg, pos.line,
		    pos.col, dset);
		abort();
	}
	again = fuzz_print(copy, CFG_FMT_TEXT);
	if (strcmp(curly, again) != 0) {
		fprintf(stderr, "fuzz: set round trip differs:\n%s\n----\n%s", curly, again);
		abort();
	}
	free(again);
	if (cfg_load_text(fuzz_schema, &copy2, CFG_LOAD_MERGE, NULL, curly, strlen(curly), 0, NULL,
	        &pos, &err) != 0) {
		fprintf(stderr, "fuzz: curly form does not load: %s at %u:%u\n%s", err.msg,
		    pos.line, pos.col, curly);
		abort();
	}
	again = fuzz_print(copy2, CFG_FMT_TEXT);
	if (strcmp(curly, again) != 0) {
		fprintf(stderr, "fuzz: curly round trip differs:\n%s\n----\n%s", curly, again);
		abort();
	}
	free(again);
	if (cfg_compare(fuzz_schema, tree, copy, NULL, NULL, 0, 0, &diff, &pos, &err) != 0 ||
	    diff.len != 0) {
		fprintf(stderr, "fuzz: a copy compares different:\n%s", buf_str(&diff));
		abort();
	}
	buf_free(&diff);
	lyd_free_all(copy);
	lyd_free_all(copy2);
	free(curly);
	free(dset);
}

#endif
