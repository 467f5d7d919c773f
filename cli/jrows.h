/* SPDX-License-Identifier: MIT */
/*
 * jrows: the entries of one list of an RPC reply, read straight from the
 * reply's JSON text (RFC 7951). For the shell's long show outputs (10,000
 * tunnels), where parsing the whole reply into a libyang tree and
 * validating it was most of the command's time, while the layout needs a
 * few leaves per entry. Bounded (struct rd), no allocation; anything that
 * is not well-formed JSON of the expected shape is refused whole.
 */
#ifndef CAIRN_CLI_JROWS_H
#define CAIRN_CLI_JROWS_H

#include <stddef.h>

/* A leaf wanted from each entry, decoded into the caller's buffer
 * (truncated to size - 1 bytes; "" when the entry lacks it). */
struct jrow_col {
	const char *name;
	char *buf;
	size_t size;
};

/*
 * For reply {"module:rpc":{... "LIST":[{...},{...}] ...}}: calls row(ctx)
 * for each entry of LIST (a member of the RPC's output), the columns
 * filled from the entry's scalar members (strings decoded, numbers and
 * literals as written; nested values skipped). A reply without LIST has
 * no rows. 0, -EBADMSG (malformed), or row's non-zero return.
 */
int jrows_scan(const char *json, size_t len, const char *list, struct jrow_col *cols, size_t ncols,
    int (*row)(void *ctx), void *ctx);

#endif
