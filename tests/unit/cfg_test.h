/* SPDX-License-Identifier: MIT */
/*
 * cfg_test: helpers shared by the cairn-conf unit tests (test_cfg_*.c):
 * the schema from $CAIRN_YANG_DIR, and one-call wrappers that fail the
 * test with the library's message when a step fails.
 */
#ifndef CAIRN_CFG_TEST_H
#define CAIRN_CFG_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "cfg.h"

static struct cfg_schema *cfg_test_schema;

static inline const char *
cfg_test_yang_dir(void)
{
	const char *d = getenv("CAIRN_YANG_DIR");

	return d && *d ? d : "yang";
}

static inline int
cfg_test_setup(void **state)
{
	struct errbuf err;

	(void)state;
	errbuf_clear(&err);
	cfg_test_schema = cfg_schema_load(cfg_test_yang_dir(), &err);
	if (!cfg_test_schema)
		fprintf(stderr, "schema: %s\n", err.msg);
	return cfg_test_schema ? 0 : -1;
}

static inline int
cfg_test_teardown(void **state)
{
	(void)state;
	cfg_schema_free(cfg_test_schema);
	cfg_test_schema = NULL;
	return 0;
}

/* Applies set/delete/... lines; the test fails on error. */
static inline void
cfg_test_edit(struct lyd_node **tree, const char *edit_path, const char *lines)
{
	struct errbuf err;
	struct cfg_errpos pos;
	int rc;

	errbuf_clear(&err);
	rc = cfg_edit_lines(
	    cfg_test_schema, tree, edit_path, lines, strlen(lines), 0, NULL, &pos, &err);
	if (rc != 0)
		fail_msg("edit failed: %s (line %u col %u)\n%s", err.msg, pos.line, pos.col, lines);
}

static inline struct lyd_node *
cfg_test_tree(const char *lines)
{
	struct lyd_node *tree = NULL;

	cfg_test_edit(&tree, NULL, lines);
	return tree;
}

/* Applies lines that must fail with msg at line/col; the tree is kept. */
static inline void
cfg_test_edit_err(
    struct lyd_node **tree, const char *lines, const char *msg, unsigned line, unsigned col)
{
	struct errbuf err;
	struct cfg_errpos pos = { 0, 0 };
	int rc;

	errbuf_clear(&err);
	rc = cfg_edit_lines(cfg_test_schema, tree, NULL, lines, strlen(lines), 0, NULL, &pos, &err);
	if (rc == 0)
		fail_msg("edit succeeded, expected \"%s\":\n%s", msg, lines);
	if (strcmp(err.msg, msg) != 0 || pos.line != line || pos.col != col)
		fail_msg("got \"%s\" at %u:%u, expected \"%s\" at %u:%u\n%s", err.msg, pos.line,
		    pos.col, msg, line, col, lines);
}

/* Prints (format, path, flags); caller frees. */
static inline char *
cfg_test_print(const struct lyd_node *tree, const char *edit_path, const char *path,
    enum cfg_format fmt, unsigned flags)
{
	struct buf out = BUF_INIT;
	struct errbuf err;
	struct cfg_errpos pos;

	errbuf_clear(&err);
	if (cfg_print(cfg_test_schema, tree, edit_path, path, path ? strlen(path) : 0, fmt, flags,
	        &out, &pos, &err) != 0)
		fail_msg("print failed: %s", err.msg);
	return out.p ? buf_steal(&out) : strdup("");
}

static inline void
cfg_test_expect_print(const struct lyd_node *tree, const char *path, enum cfg_format fmt,
    unsigned flags, const char *expect)
{
	char *got = cfg_test_print(tree, NULL, path, fmt, flags);

	if (strcmp(got, expect) != 0)
		fail_msg("printed:\n%s\nexpected:\n%s", got, expect);
	free(got);
}

static inline char *
cfg_test_compare(
    const struct lyd_node *a, const struct lyd_node *b, const char *path, unsigned flags)
{
	struct buf out = BUF_INIT;
	struct errbuf err;
	struct cfg_errpos pos;

	errbuf_clear(&err);
	if (cfg_compare(cfg_test_schema, a, b, NULL, path, path ? strlen(path) : 0, flags, &out,
	        &pos, &err) != 0)
		fail_msg("compare failed: %s", err.msg);
	return out.p ? buf_steal(&out) : strdup("");
}

/* Blanks out the salt-dependent part of every "$9$..." in s. */
static inline void
cfg_test_mask9(char *s)
{
	for (char *p = strstr(s, "$9$"); p; p = strstr(p + 3, "$9$"))
		for (char *q = p + 3; *q && *q != '"' && *q != '\n' && *q != ' '; q++)
			*q = 'x';
}

#endif
