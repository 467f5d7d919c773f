/* SPDX-License-Identifier: MIT */
/*
 * fuzz_curly: Junos curly text (untrusted: `load merge|override|replace`
 * of files and pasted text). The first byte picks the mode; the rest is
 * loaded into a base configuration. Checks: a failed load leaves the tree
 * as it was; a successful one round-trips through set and curly form.
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
	static const enum cfg_load_mode modes[] = { CFG_LOAD_MERGE, CFG_LOAD_OVERRIDE,
		CFG_LOAD_REPLACE };
	static const char *const paths[] = { NULL, "security ike", "interfaces st0" };
	struct lyd_node *tree;
	struct cfg_result res;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	char *before, *after;
	int rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	tree = fuzz_base_tree();
	before = fuzz_print(tree, CFG_FMT_TEXT);
	cfg_result_init(&res);
	errbuf_clear(&err);
	rc = cfg_load_text(fuzz_schema, &tree, modes[data[0] % 3], paths[(data[0] / 3) % 3],
	    (const char *)data + 1, size - 1, 0, &res, &pos, &err);
	after = fuzz_print(tree, CFG_FMT_TEXT);
	if (rc != 0 && strcmp(before, after) != 0) {
		fprintf(stderr, "fuzz: failed load changed the tree (%s)\n", err.msg);
		abort();
	}
	if (rc == 0)
		fuzz_check_roundtrip(tree);
	free(before);
	free(after);
	cfg_result_fini(&res);
	lyd_free_all(tree);
	return 0;
}
