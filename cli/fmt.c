/* SPDX-License-Identifier: MIT */
/* fmt: management replies rendered as Junos prints them. */
#include "fmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli.h"
#include "rpc.h"
#include "banned.h"

bool
fmt_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;
	long off = 0;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return false;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == '+' || *p == '-') {
		int oh, om;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return false;
		off = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != 'z') {
		return false;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm) - off;
	return true;
}

void
fmt_local_time(time_t t, char *dst, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(dst, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0 && len)
		dst[0] = '\0';
}

static void
print_time(struct cli *c, const char *rfc3339)
{
	char when[64];
	time_t t;

	if (fmt_parse_time(rfc3339, &t)) {
		fmt_local_time(t, when, sizeof(when));
		cli_puts(c, when);
	} else {
		cli_puts(c, rfc3339 ? rfc3339 : "-");
	}
}

int
fmt_commit_history(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	const struct lyd_node *n;
	const char *deadline = rpc_leaf(reply, "confirm-deadline");
	time_t dl = 0, now = time(NULL);

	(void)call;
	if (deadline && !fmt_parse_time(deadline, &dl))
		dl = 0;
	LY_LIST_FOR(lyd_child(reply), n)
	{
		const char *idx, *user, *client, *comment;

		if (strcmp(n->schema->name, "commit") != 0)
			continue;
		idx = rpc_leaf(n, "index");
		user = rpc_leaf(n, "user");
		client = rpc_leaf(n, "client");
		comment = rpc_leaf(n, "comment");
		cli_printf(c, "%-3s ", idx ? idx : "?");
		print_time(c, rpc_leaf(n, "time"));
		cli_printf(c, " by %s via %s", user ? user : "?", client ? client : "?");
		if (idx && strcmp(idx, "0") == 0 && dl) {
			long mins = (long)((dl - now + 59) / 60);

			cli_printf(
			    c, " commit confirmed, rollback in %ldmins", mins < 0 ? 0 : mins);
		}
		cli_puts(c, "\n");
		if (comment)
			cli_printf(c, "    \"%s\"\n", comment);
	}
	return 0;
}

static void
put_text(struct cli *c, const char *s)
{
	size_t n = strlen(s);

	cli_puts(c, s);
	if (n && s[n - 1] != '\n')
		cli_puts(c, "\n");
}

int
fmt_get_configuration(struct cli *c, const char *datastore, int rollback, const char *edit_path,
    const char *path, const char *format, bool header, const struct rpc_pos *pos)
{
	struct lyd_node *rpc, *reply = NULL;
	char idx[8];
	const char *data, *last;
	int rc = -EINVAL;

	rpc = rpc_new(c, "cairn-mgmt:get-configuration");
	if (!rpc)
		return -EINVAL;
	snprintf(idx, sizeof(idx), "%d", rollback);
	if ((datastore ? rpc_add(c, rpc, "datastore", datastore)
	               : rpc_add(c, rpc, "rollback", idx)) < 0 ||
	    (edit_path && *edit_path && rpc_add(c, rpc, "edit-path", edit_path) < 0) ||
	    (path && *path && rpc_add(c, rpc, "path", path) < 0) ||
	    rpc_add(c, rpc, "format", format) < 0)
		goto out;
	if ((rc = rpc_call_at(c, rpc, &reply, pos)) < 0)
		goto out;
	data = rpc_leaf(reply, "data");
	last = rpc_leaf(reply, "last-commit");
	if (header && last && *last && strcmp(format, "text") == 0)
		put_text(c, last);
	if (data && *data)
		put_text(c, data);
out:
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

int
fmt_compare(struct cli *c, int base, int target, const char *edit_path, const char *path,
    const struct rpc_pos *pos)
{
	struct lyd_node *rpc, *reply = NULL;
	char b[8], t[8];
	const char *diff;
	int rc = -EINVAL;

	rpc = rpc_new(c, "cairn-mgmt:compare");
	if (!rpc)
		return -EINVAL;
	snprintf(b, sizeof(b), "%d", base);
	snprintf(t, sizeof(t), "%d", target);
	if (rpc_add(c, rpc, "base-rollback", b) < 0 ||
	    (target >= 0 ? rpc_add(c, rpc, "target-rollback", t)
	                 : rpc_add(c, rpc, "candidate", NULL)) < 0 ||
	    (edit_path && *edit_path && rpc_add(c, rpc, "edit-path", edit_path) < 0) ||
	    (path && *path && rpc_add(c, rpc, "path", path) < 0))
		goto out;
	if ((rc = rpc_call_at(c, rpc, &reply, pos)) < 0)
		goto out;
	diff = rpc_leaf(reply, "diff");
	if (diff && *diff)
		put_text(c, diff);
out:
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

int
fmt_tree(struct cli *c, const struct lyd_node *reply, bool json)
{
	char *s = NULL;

	if (!reply)
		return 0;
	if (lyd_print_mem(&s, reply, json ? LYD_JSON : LYD_XML, LYD_PRINT_WITHSIBLINGS) !=
	    LY_SUCCESS)
		return cli_failf(c, "error: cannot print the reply");
	if (s)
		put_text(c, s);
	free(s);
	return 0;
}

void
fmt_users(struct cli *c, const struct lyd_node *reply)
{
	const struct lyd_node *n;
	bool first = true;

	LY_LIST_FOR(lyd_child(reply), n)
	{
		const char *user, *tty, *pid, *since, *idle, *mode, *path, *client;
		long idle_s;

		if (strcmp(n->schema->name, "user") != 0)
			continue;
		if (first)
			cli_puts(c, "Current configuration users:\n");
		first = false;
		user = rpc_leaf(n, "user");
		tty = rpc_leaf(n, "tty");
		pid = rpc_leaf(n, "pid");
		since = rpc_leaf(n, "since");
		idle = rpc_leaf(n, "idle-seconds");
		mode = rpc_leaf(n, "mode");
		path = rpc_leaf(n, "edit-path");
		client = rpc_leaf(n, "client");
		cli_printf(c, "%s ", user ? user : "?");
		if (tty && *tty)
			cli_printf(c, "terminal %s ", tty);
		else
			cli_printf(c, "via %s ", client ? client : "?");
		if (pid)
			cli_printf(c, "(pid %s) ", pid);
		cli_puts(c, "on since ");
		print_time(c, since);
		idle_s = idle ? strtol(idle, NULL, 10) : 0;
		if (idle_s >= 60)
			cli_printf(c, ", idle %02ld:%02ld:%02ld", idle_s / 3600, (idle_s / 60) % 60,
			    idle_s % 60);
		cli_puts(c, "\n");
		if (mode && strcmp(mode, "shared") != 0)
			cli_printf(c, "%s ", mode);
		cli_printf(c, "[edit%s%s]\n", path && *path ? " " : "", path ? path : "");
	}
}
