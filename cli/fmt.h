/* SPDX-License-Identifier: MIT */
/*
 * fmt: Junos renderings of mgd's management replies (commit history,
 * configuration users) and the configuration-printing calls shared by
 * both modes. Each appends to the command's output (cli_printf).
 */
#ifndef CAIRN_CLI_FMT_H
#define CAIRN_CLI_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cli;
struct lyd_node;
struct op_call;

/* show system commit */
int fmt_commit_history(struct cli *c, struct op_call *call, const struct lyd_node *reply);

struct rpc_pos;

/*
 * get-configuration: datastore "running"/"candidate", or rollback >= 0;
 * path: words as typed, relative to edit_path (either may be NULL or "");
 * format text|set|json|xml. header: print the "## Last commit" line mgd
 * gives (whole text output). pos: where path sits in the line (carets).
 */
int fmt_get_configuration(struct cli *c, const char *datastore, int rollback, const char *edit_path,
    const char *path, const char *format, bool header, const struct rpc_pos *pos);

/* compare: base rollback (old side) against target rollback, or the
 * candidate when target < 0; path (relative to edit_path) restricts it. */
int fmt_compare(struct cli *c, int base, int target, const char *edit_path, const char *path,
    const struct rpc_pos *pos);

/* A reply tree as JSON or XML (| display json|xml of operational data). */
int fmt_tree(struct cli *c, const struct lyd_node *reply, bool json);

/* "Current configuration users:" and one entry per user of reply's
 * `user` list (configure, status). */
void fmt_users(struct cli *c, const struct lyd_node *reply);

/* RFC 3339 date-and-time → time_t. false when it does not parse. */
bool fmt_parse_time(const char *s, time_t *t);
/* "2026-11-27 01:03:10 UTC" (local time zone) into dst. */
void fmt_local_time(time_t t, char *dst, size_t len);

#endif
