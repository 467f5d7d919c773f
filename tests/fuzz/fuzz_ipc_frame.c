/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ipc_frame: the IPC frame decoder and body parsing (ipc_frame.c,
 * ipc_msg.c) on arbitrary bytes, as a peer on mgd's socket would send
 * them: frames back to back, each body parsed strictly by libyang and
 * validated against its operation, error bodies decoded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipc_frame.h"
#include "ipc_msg.h"

static struct ly_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *mods[] = { "cairn-mgmt", "cairn-security", "cairn-system", NULL };
	const char *dir = getenv("CAIRN_YANG_DIR");
	int i;

	(void)argc;
	(void)argv;
	ipc_ly_quiet();
	if (!dir || !*dir)
		dir = "yang";
	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS) {
		fprintf(stderr,
		    "fuzz_ipc_frame: no libyang context for %s (set CAIRN_YANG_DIR to "
		    "BUILD/share/cairn/yang)\n",
		    dir);
		abort();
	}
	for (i = 0; mods[i]; i++)
		if (!ly_ctx_load_module(ctx, mods[i], NULL, NULL)) {
			fprintf(stderr,
			    "fuzz_ipc_frame: cannot load %s from %s (set CAIRN_YANG_DIR to "
			    "BUILD/share/cairn/yang)\n",
			    mods[i], dir);
			abort();
		}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_frame f;
	struct lyd_node *op;
	size_t need;
	long n;
	char *msg;
	int code;

	while (size > 0) {
		n = ipc_frame_decode(data, size, &f, &need);
		if (n <= 0)
			break;
		if (f.type == IPC_ERROR) {
			if (ipc_error_decode(f.body, f.len, &code, &msg) == 0)
				free(msg);
		} else {
			op = NULL;
			if (ipc_msg_parse(ctx, f.type, f.body, f.len, NULL, NULL, &op, NULL) == 0)
				lyd_free_all(op);
		}
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
