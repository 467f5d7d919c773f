/* SPDX-License-Identifier: MIT */
/*
 * fuzz_set_line: set/delete/rename/copy/insert/edit lines (untrusted: they
 * come from the shell and from `load set`) applied to a base
 * configuration. Checks: a failed batch leaves the tree as it was; a
 * successful one round-trips through set and curly form; completion and
 * compare hold up on the same input.
 */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fuzz_init();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lyd_node *tree, *base;
	struct cfg_completion comp;
	struct cfg_result res;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	struct buf diff = BUF_INIT;
	char *before, *after;
	const char *text = (const char *)data;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	tree = fuzz_base_tree();
	base = fuzz_base_tree();
	before = fuzz_print(tree, CFG_FMT_TEXT);
	cfg_result_init(&res);
	errbuf_clear(&err);
	rc = cfg_edit_lines(fuzz_schema, &tree, NULL, text, size, 0, &res, &pos, &err);
	after = fuzz_print(tree, CFG_FMT_TEXT);
	if (rc != 0 && strcmp(before, after) != 0) {
		fprintf(stderr, "fuzz: failed batch changed the tree (%s)\n", err.msg);
		abort();
	}
	if (rc == 0)
		fuzz_check_roundtrip(tree);
	errbuf_clear(&err);
	if (cfg_compare(fuzz_schema, base, tree, NULL, NULL, 0, 0, &diff, &pos, &err) != 0)
		abort();
	if (strcmp(before, after) == 0 && diff.len != 0) {
		fprintf(stderr, "fuzz: equal texts, compare says:\n%s", buf_str(&diff));
		abort();
	}
	/* The whole input as a line being typed: completion copes. */
	errbuf_clear(&err);
	if (memchr(text, '\n', size) == NULL &&
	    cfg_complete(fuzz_schema, CFG_CMD_SET, NULL, text, size, &comp, &pos, &err) == 0)
		cfg_completion_fini(&comp);
	buf_free(&diff);
	free(before);
	free(after);
	cfg_result_fini(&res);
	lyd_free_all(tree);
	lyd_free_all(base);
	return 0;
}
