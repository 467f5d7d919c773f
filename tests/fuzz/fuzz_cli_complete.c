/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cli_complete: what `?` and TAB do with a line, over the real YANG
 * schema ($CAIRN_YANG_DIR): the operational command tree, configuration
 * mode, the schema walker through the shell's adapter (carets mapped back
 * into the line), pipes, and the rendering of the list or the error. The
 * first byte picks the mode and an edit path; no mgd (live values are
 * left out).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_schema.h"
#include "cli.h"
#include "optab.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cli C;
static bool ready;

static bool
setup(void)
{
	struct errbuf err = { .msg = "" };
	const char *dir = getenv("CAIRN_YANG_DIR");

	if (ready)
		return true;
	memset(&C, 0, sizeof(C));
	errbuf_clear(&err);
	if (!dir || !*dir) {
		fprintf(stderr, "fuzz_cli_complete: set CAIRN_YANG_DIR to the YANG modules "
		                "(BUILD/share/cairn/yang)\n");
		abort();
	}
	if (schema_load(dir, &C.schema, &C.ly, &err) < 0 || optab_init(&C) < 0) {
		fprintf(stderr, "fuzz_cli_complete: cannot load the schema from %s: %s\n", dir,
		    err.msg[0] ? err.msg : "the operational command table failed");
		abort();
	}
	snprintf(C.user, sizeof(C.user), "fuzz");
	C.complete_on_space = true;
	C.tty_out = fopen("/dev/null", "w");
	ready = true;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const levels[][3] = {
		{ NULL },
		{ "security", "ike", NULL },
		{ "security", "ike", "gateway" },
		{ "interfaces", "st0", NULL },
	};
	struct cands cs;
	struct cli_err err;
	char *line, *partial = NULL;
	size_t poff, n = 0;

	if (size < 1 || size > 2048 || !setup())
		return 0;
	line = malloc(size);
	if (!line)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	C.mode = (data[0] & 1) ? CLI_MODE_CONFIG : CLI_MODE_OP;
	cli_path_free(&C.edit);
	if (C.mode == CLI_MODE_CONFIG) {
		const char *const *lv = levels[(data[0] >> 1) & 3];

		while (n < 3 && lv[n])
			n++;
		if ((data[0] >> 1 & 3) == 2) {
			/* a list entry level */
			const char *w[] = { "security", "ike", "gateway", "gw1" };

			cli_path_append(&C.edit, w, 4);
		} else {
			cli_path_append(&C.edit, lv, n);
		}
	}
	cands_init(&cs);
	cli_err_init(&err);
	C.line = line;
	if (cli_complete(&C, line, strlen(line), &cs, &partial, &poff, &err)) {
		struct buf b = BUF_INIT;

		cands_render(&cs, &b);
		buf_free(&b);
	} else {
		cli_print_err(&C, &err);
	}
	C.line = NULL;
	free(partial);
	cands_free(&cs);
	cli_err_fini(&err);
	free(line);
	return 0;
}
