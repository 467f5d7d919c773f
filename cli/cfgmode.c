/* SPDX-License-Identifier: MIT */
/*
 * cfgmode: configuration mode. Every edit becomes an RPC on the session's
 * candidate in mgd (edit, load, rollback, commit ...); the shell keeps
 * only the hierarchy level ([edit ...]) and checks each statement against
 * the schema first, so a caret can point at the offending word.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "args.h"
#include "cli.h"
#include "fmt.h"
#include "fsutil.h"
#include "pipe.h"
#include "rpc.h"
#include "schema.h"
#include "term.h"
#include "banned.h"

struct cm_call {
	const struct cli_words *ws;
	size_t first; /* first argument word (after the command word) */
	size_t count; /* argument words in stage 0 */
	struct arg_vals vals;
	struct pipes pipes;
	struct cli_err err;
};

struct cm_cmdef {
	const char *name;
	const char *help;
	/* static arguments, or NULL: the command completes itself */
	const struct arg_spec *args;
	size_t nargs;
	unsigned pipes; /* PIPES_* accepted */
	int (*exec)(struct cli *c, struct cm_call *k);
	bool (*complete)(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
	    struct cands *cs, struct cli_err *err);
};

/* --- helpers ------------------------------------------------------------------ */

static void
print_warnings(struct cli *c, const struct lyd_node *reply)
{
	const struct lyd_node *n;

	if (!reply)
		return;
	LY_LIST_FOR(lyd_child(reply), n)
	{
		if (strcmp(n->schema->name, "warning") == 0) {
			const char *w = lyd_get_value(n);

			cli_printf(c, "%s%s\n", strncmp(w, "warning:", 8) ? "warning: " : "", w);
		}
	}
}

static void
edit_path_str(const struct cli *c, struct buf *b)
{
	cli_path_str(&c->edit, b);
}

/* Sends command lines to the candidate (relative to the edit path); pos
 * maps an error's column back to the line being run. */
static int
send_edit(struct cli *c, const char *lines, const struct rpc_pos *pos)
{
	struct lyd_node *rpc, *reply = NULL;
	struct buf ep = BUF_INIT;
	int rc = -EINVAL;

	rpc = rpc_new(c, "cairn-mgmt:edit");
	if (!rpc)
		return -EINVAL;
	edit_path_str(c, &ep);
	if ((ep.len && rpc_add(c, rpc, "edit-path", buf_str(&ep)) < 0) ||
	    rpc_add(c, rpc, "lines", lines) < 0)
		goto out;
	if ((rc = rpc_call_at(c, rpc, &reply, pos)) == 0)
		print_warnings(c, reply);
out:
	buf_free(&ep);
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

static int
set_edit_path_rpc(struct cli *c)
{
	struct lyd_node *rpc;
	struct buf ep = BUF_INIT;
	int rc = -EINVAL;

	rpc = rpc_new(c, "cairn-mgmt:set-edit-path");
	if (!rpc)
		return -EINVAL;
	edit_path_str(c, &ep);
	if (rpc_add(c, rpc, "path", buf_str(&ep)) == 0)
		rc = rpc_call(c, rpc, NULL);
	buf_free(&ep);
	lyd_free_all(rpc);
	return rc;
}

/* Moves to level p, remembering the current one for `exit`. */
static int
goto_level(struct cli *c, struct cli_path *p, bool push)
{
	if (push) {
		if (c->nstack == CLI_EDIT_STACK) {
			cli_path_free(&c->stack[0]);
			memmove(
			    &c->stack[0], &c->stack[1], (CLI_EDIT_STACK - 1) * sizeof(c->stack[0]));
			c->nstack--;
		}
		c->stack[c->nstack++] = c->edit;
	} else {
		cli_path_free(&c->edit);
	}
	c->edit = *p;
	p->w = NULL;
	p->n = 0;
	return set_edit_path_rpc(c);
}

static void
clear_stack(struct cli *c)
{
	while (c->nstack)
		cli_path_free(&c->stack[--c->nstack]);
}

/* Does the candidate differ from running? (-1: cannot tell) */
static int
candidate_changed(struct cli *c)
{
	struct lyd_node *rpc, *reply = NULL;
	struct errbuf msg = { .msg = "" };
	const char *diff;
	int rc = -1;

	rpc = rpc_new(c, "cairn-mgmt:compare");
	if (!rpc)
		return -1;
	if (lyd_new_term(rpc, NULL, "candidate", NULL, 0, NULL) == LY_SUCCESS &&
	    rpc_call_quiet(c, rpc, &reply, &msg) == 0) {
		diff = rpc_leaf(reply, "diff");
		rc = diff && *diff ? 1 : 0;
	}
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

/* --- entering and leaving -------------------------------------------------- */

int
cm_enter(struct cli *c, const char *mode)
{
	struct lyd_node *rpc, *reply = NULL;
	int rc = -EINVAL;

	rpc = rpc_new(c, "cairn-mgmt:configure");
	if (!rpc)
		return -EINVAL;
	if (rpc_add(c, rpc, "mode", mode) < 0)
		goto out;
	if ((rc = rpc_call(c, rpc, &reply)) < 0)
		goto out;
	/* mgd's warnings: "uncommitted changes will be discarded on exit" */
	print_warnings(c, reply);
	cli_puts(c, "Entering configuration mode\n");
	fmt_users(c, reply);
	if (rpc_has(reply, "changed") && strcmp(rpc_leaf(reply, "changed"), "true") == 0)
		cli_puts(c, "The configuration has been changed but not committed\n");
	c->mode = CLI_MODE_CONFIG;
	snprintf(c->cfg_mode, sizeof(c->cfg_mode), "%s", mode);
	cli_path_free(&c->edit);
	clear_stack(c);
out:
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

bool
cm_leave(struct cli *c, bool ask)
{
	struct lyd_node *rpc, *reply = NULL;
	bool shared = strcmp(c->cfg_mode, "shared") == 0, discard = false;

	if (ask && candidate_changed(c) == 1) {
		cli_puts(c, "The configuration has been changed but not committed\n");
		if (shared) {
			cli_flush(c, NULL);
			if (!cli_ask_yes(c, "Exit with uncommitted changes?", true))
				return false;
		} else {
			cli_printf(
			    c, "warning: Auto rollback on exiting 'configure %s'\n", c->cfg_mode);
			cli_flush(c, NULL);
			if (!cli_ask_yes(c, "Discard uncommitted changes?", true))
				return false;
			discard = true;
		}
	}
	/* mgd drops exclusive and private changes and says so */
	rpc = rpc_new(c, "cairn-mgmt:exit-configure");
	if (rpc && rpc_call(c, rpc, &reply) == 0)
		print_warnings(c, reply);
	lyd_free_all(rpc);
	lyd_free_all(reply);
	if (discard)
		cli_puts(c, "load complete\n");
	cli_puts(c, "Exiting configuration mode\n");
	if (c->interactive)
		cli_puts(c, "\n");
	c->mode = CLI_MODE_OP;
	cli_path_free(&c->edit);
	clear_stack(c);
	return true;
}

/* --- commands --------------------------------------------------------------- */

static bool
complete_path(struct cli *c, enum cfg_cmd cmd, const struct cli_words *ws, size_t first,
    size_t count, struct cands *cs, struct cli_err *err)
{
	return sch_complete(c, cmd, &c->edit, ws, first, count, SCH_CANDIDATE, cs, err);
}

static bool
complete_set(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	return complete_path(c, CFG_CMD_SET, ws, first, count, cs, err);
}

static bool
complete_delete(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	return complete_path(c, CFG_CMD_DELETE, ws, first, count, cs, err);
}

static bool
complete_edit(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	return complete_path(c, CFG_CMD_EDIT, ws, first, count, cs, err);
}

static bool
complete_show(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	if (!complete_path(c, CFG_CMD_SHOW, ws, first, count, cs, err))
		return false;
	if (count == 0)
		cands_add(cs, CAND_ENTER, "<[Enter]>", "Execute this command");
	return true;
}

/* "set ..." / "delete ..." lines: check, then send. */
static int
edit_line(struct cli *c, struct cm_call *k, enum cfg_cmd cmd, const char *verb)
{
	struct buf line = BUF_INIT;
	int rc;

	if (k->count == 0 && cmd == CFG_CMD_SET)
		return cli_err_set(&k->err, CERR_MISSING, k->ws->w[k->first - 1].end + 1, NULL);
	if (k->count && (rc = sch_check(c, cmd, &c->edit, k->ws, k->first, k->count, &k->err)) < 0)
		return rc;
	struct rpc_pos pos = { k->count ? k->ws->w[k->first].off : 0, strlen(verb) + 1 };

	buf_puts(&line, verb);
	if (k->count) {
		buf_putc(&line, ' ');
		sch_words_text(k->ws, k->first, k->count, &line);
	}
	rc = send_edit(c, buf_str(&line), &pos);
	buf_free(&line);
	return rc < 0 ? -ECANCELED : 0;
}

static int
exec_set(struct cli *c, struct cm_call *k)
{
	return edit_line(c, k, CFG_CMD_SET, "set");
}

static int
exec_delete(struct cli *c, struct cm_call *k)
{
	if (k->count == 0 && !cli_ask_yes(c, "Delete everything under this level?", false))
		return 0;
	return edit_line(c, k, CFG_CMD_DELETE, "delete");
}

/* insert <path> before|after <key or value>: mgd checks it (the walker has
 * no grammar for the before/after tail); its errors still get a caret. */
static int
exec_insert(struct cli *c, struct cm_call *k)
{
	struct buf line = BUF_INIT;
	struct rpc_pos pos = { 0, strlen("insert ") };
	int rc;

	if (k->count == 0)
		return cli_err_set(&k->err, CERR_MISSING, k->ws->w[k->first - 1].end + 1, NULL);
	pos.base = k->ws->w[k->first].off;
	buf_puts(&line, "insert ");
	sch_words_text(k->ws, k->first, k->count, &line);
	rc = send_edit(c, buf_str(&line), &pos);
	buf_free(&line);
	return rc < 0 ? -ECANCELED : 0;
}

static bool
complete_insert(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	size_t i;

	/* the path as for set; after a value, where to put it */
	for (i = first; i < first + count; i++)
		if (!ws->w[i].quoted &&
		    (strcmp(ws->w[i].s, "before") == 0 || strcmp(ws->w[i].s, "after") == 0)) {
			if (i + 1 == first + count)
				cands_add(
				    cs, CAND_PLACEHOLDER, "<value>", "Existing entry or value");
			return true;
		}
	if (!complete_path(c, CFG_CMD_DELETE, ws, first, count, cs, err))
		return false;
	if (cands_has_kind(cs, CAND_ENTER)) {
		cands_remove_kind(cs, CAND_ENTER);
		cands_add(cs, CAND_KEYWORD, "after", "Insert after this element");
		cands_add(cs, CAND_KEYWORD, "before", "Insert before this element");
	}
	return true;
}

static int
exec_edit(struct cli *c, struct cm_call *k)
{
	struct cli_path p = { NULL, 0 };
	int rc;

	if (k->count == 0)
		return cli_err_set(&k->err, CERR_MISSING, k->ws->w[k->first - 1].end + 1, NULL);
	if ((rc = sch_edit_path(c, &c->edit, k->ws, k->first, k->count, &p, &k->err)) < 0) {
		cli_path_free(&p);
		return rc;
	}
	rc = goto_level(c, &p, true);
	cli_path_free(&p);
	return rc < 0 ? -ECANCELED : 0;
}

static int
exec_exit(struct cli *c, struct cm_call *k)
{
	struct cli_path p = { NULL, 0 };
	const char *arg = k->vals.v[0];

	if (arg || c->edit.n == 0) {
		/* exit at [edit], or exit configuration-mode */
		cm_leave(c, true);
		return 0;
	}
	if (c->nstack) {
		p = c->stack[--c->nstack];
		c->stack[c->nstack].w = NULL;
		c->stack[c->nstack].n = 0;
	}
	goto_level(c, &p, false);
	cli_path_free(&p);
	return 0;
}

static int
exec_up(struct cli *c, struct cm_call *k)
{
	struct cli_path p = { NULL, 0 };
	const char *v = k->vals.v[0];
	unsigned n = v ? (unsigned)strtoul(v, NULL, 10) : 1;
	int rc;

	if (c->edit.n == 0) {
		cli_puts(c, "warning: Already at the top of the configuration.\n");
		return 0;
	}
	if ((rc = sch_up(c, &c->edit, n, &p)) < 0) {
		cli_path_free(&p);
		return cli_failf(c, "error: cannot go up: %s", strerror(-rc));
	}
	clear_stack(c);
	rc = goto_level(c, &p, false);
	cli_path_free(&p);
	return rc < 0 ? -ECANCELED : 0;
}

static int cm_exec_at(struct cli *c, const struct cli_words *ws, size_t first);

static int
exec_top(struct cli *c, struct cm_call *k)
{
	struct cli_path p = { NULL, 0 }, saved;
	int rc;

	if (k->count == 0) {
		clear_stack(c);
		return goto_level(c, &p, false) < 0 ? -ECANCELED : 0;
	}
	/* top <command>: run it at the top level without moving there */
	saved = c->edit;
	c->edit = p;
	rc = cm_exec_at(c, k->ws, k->first);
	if (c->mode != CLI_MODE_CONFIG) {
		cli_path_free(&saved); /* left configuration mode */
	} else if (c->edit.n > 0 && c->nstack > 0) {
		/* it moved (top edit ...): `exit` returns to where we were */
		cli_path_free(&c->stack[c->nstack - 1]);
		c->stack[c->nstack - 1] = saved;
	} else {
		cli_path_free(&c->edit);
		c->edit = saved;
	}
	return rc < 0 ? -ECANCELED : 0;
}

static int
exec_show(struct cli *c, struct cm_call *k)
{
	struct buf path = BUF_INIT, ep = BUF_INIT;
	struct rpc_pos pos = { k->count ? k->ws->w[k->first].off : 0, 0 };
	const char *fmt = "text";
	int rc;

	if (k->count &&
	    (rc = sch_check(c, CFG_CMD_SHOW, &c->edit, k->ws, k->first, k->count, &k->err)) < 0)
		return rc;
	sch_words_text(k->ws, k->first, k->count, &path);
	edit_path_str(c, &ep);
	if (k->pipes.compare) {
		rc = fmt_compare(
		    c, (int)k->pipes.compare_rollback, -1, buf_str(&ep), buf_str(&path), &pos);
	} else {
		switch (k->pipes.display) {
		case DISPLAY_SET:
			fmt = "set";
			break;
		case DISPLAY_JSON:
			fmt = "json";
			break;
		case DISPLAY_XML:
			fmt = "xml";
			break;
		case DISPLAY_TEXT:
			break;
		}
		rc = fmt_get_configuration(
		    c, "candidate", -1, buf_str(&ep), buf_str(&path), fmt, false, &pos);
	}
	buf_free(&path);
	buf_free(&ep);
	return rc < 0 ? -ECANCELED : 0;
}

static int
exec_status(struct cli *c, struct cm_call *k)
{
	struct lyd_node *rpc, *reply = NULL;
	int rc;

	(void)k;
	rpc = rpc_new(c, "cairn-mgmt:status");
	if (!rpc)
		return -ECANCELED;
	rc = rpc_call(c, rpc, &reply);
	if (rc == 0) {
		fmt_users(c, reply);
		if (rpc_has(reply, "changed") && strcmp(rpc_leaf(reply, "changed"), "true") == 0)
			cli_puts(c, "The configuration has been changed but not committed\n");
	}
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc < 0 ? -ECANCELED : 0;
}

static int
exec_commit(struct cli *c, struct cm_call *k)
{
	struct lyd_node *rpc, *reply = NULL, *n;
	const char *check = k->vals.v[0], *confirmed = k->vals.v[1], *comment = k->vals.v[2],
	           *and_quit = k->vals.v[3];
	unsigned nmsg = 0;
	int rc = -ECANCELED;

	rpc = rpc_new(c, "cairn-mgmt:commit");
	if (!rpc)
		return -ECANCELED;
	if ((check && rpc_add(c, rpc, "check", NULL) < 0) ||
	    (confirmed && rpc_add(c, rpc, "confirmed", *confirmed ? confirmed : "10") < 0) ||
	    (comment && rpc_add(c, rpc, "comment", comment) < 0) ||
	    rpc_add(c, rpc, "client", "cli") < 0)
		goto out;
	if (rpc_call(c, rpc, &reply) < 0)
		goto out;
	rc = 0;
	/* mgd's lines come first: commit confirmed's warning, or check's
	 * result */
	LY_LIST_FOR(lyd_child(reply), n)
	{
		if (strcmp(n->schema->name, "message") == 0) {
			cli_printf(c, "%s\n", lyd_get_value(n));
			nmsg++;
		}
	}
	if (check) {
		if (nmsg == 0)
			cli_puts(c, "configuration check succeeds\n");
		goto out;
	}
	if (confirmed && nmsg == 0)
		cli_printf(c,
		    "commit confirmed will be automatically rolled back in %s minutes unless "
		    "confirmed\n",
		    *confirmed ? confirmed : "10");
	cli_puts(c, "commit complete\n");
	cli_refresh_host(c); /* the prompt follows a new host-name */
	if (and_quit)
		cm_leave(c, false);
out:
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

static int
exec_rollback(struct cli *c, struct cm_call *k)
{
	struct lyd_node *rpc;
	const char *v = k->vals.v[0];
	int rc = -ECANCELED;

	rpc = rpc_new(c, "cairn-mgmt:rollback");
	if (!rpc)
		return -ECANCELED;
	if (rpc_add(c, rpc, "index", v ? v : "0") == 0 && rpc_call(c, rpc, NULL) == 0) {
		cli_puts(c, "load complete\n");
		rc = 0;
	}
	lyd_free_all(rpc);
	return rc;
}

/* The text of `load ... terminal`: until Ctrl-D (a terminal), or until a
 * line holding only ^D (0x04) or the end of the script. */
static int
read_terminal_text(struct cli *c, struct buf *text)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc;

	if (c->interactive) {
		cli_write(c, "[Type ^D at a new line to end input]\n");
		for (;;) {
			rc = term_read_raw_line(c, &line);
			if (rc == 0)
				return 0;
			if (rc < 0) {
				cli_write(c, "\n");
				return -ECANCELED;
			}
			buf_puts(text, line);
			buf_putc(text, '\n');
			free(line);
			line = NULL;
		}
	}
	if (!c->script_in)
		return 0;
	while ((n = getline(&line, &cap, c->script_in)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strcmp(line, "\x04") == 0)
			break;
		buf_puts(text, line);
		buf_putc(text, '\n');
	}
	free(line);
	return 0;
}

/* A load error at line L, column C of the text: that line, a caret under
 * the word, the message, and where it was. */
static void
load_error(struct cli *c, const struct errbuf *msg, const char *text, const char *src)
{
	unsigned line, col, i;
	const char *m = rpc_err_pos(msg->msg, &line, &col), *p = text;
	struct errbuf e = { .msg = "" };

	if (line == 0) {
		snprintf(e.msg, sizeof(e.msg), "%s", m);
		cli_fail(c, &e);
		return;
	}
	for (i = 1; i < line && p && *p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p && *p)
		snprintf(e.msg, sizeof(e.msg), "%.*s\n%*s^\n%s\nerror: load failed (%s, line %u)",
		    (int)strcspn(p, "\n"), p, (int)col, "", m, src, line);
	else
		snprintf(
		    e.msg, sizeof(e.msg), "%s\nerror: load failed (%s, line %u)", m, src, line);
	cli_fail(c, &e);
}

/* The text's format: JSON or XML when it starts like them (a file saved
 * with `| display json`), else Junos text (set lines for load set). */
static const char *
load_format(const char *action, const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	if (*text == '{')
		return "json";
	if (*text == '<')
		return "xml";
	return strcmp(action, "set") == 0 ? "set" : "text";
}

static int
exec_load(struct cli *c, struct cm_call *k)
{
	const char *action = k->vals.v[0], *src = k->vals.v[1];
	struct lyd_node *rpc = NULL, *reply = NULL;
	struct buf text = BUF_INIT, ep = BUF_INIT;
	char *data = NULL;
	struct errbuf msg = { .msg = "" };
	size_t len;
	int rc;

	if (strcmp(src, "terminal") == 0) {
		if ((rc = read_terminal_text(c, &text)) < 0)
			goto out;
	} else {
		rc = fs_read_all(src, 64u << 20, &data, &len);
		if (rc < 0) {
			rc = cli_failf(c, "error: %s: %s", src, strerror(-rc));
			goto out;
		}
		buf_append(&text, data, len);
	}
	rc = -ECANCELED;
	rpc = rpc_new(c, "cairn-mgmt:load");
	if (!rpc)
		goto out;
	edit_path_str(c, &ep);
	if (rpc_add(c, rpc, "action", action) < 0 ||
	    (ep.len && rpc_add(c, rpc, "edit-path", buf_str(&ep)) < 0) ||
	    rpc_add(c, rpc, "text", buf_str(&text)) < 0 ||
	    rpc_add(c, rpc, "format", load_format(action, buf_str(&text))) < 0)
		goto out;
	if (rpc_call_quiet(c, rpc, &reply, &msg) < 0) {
		load_error(c, &msg, buf_str(&text), src);
		goto out;
	}
	print_warnings(c, reply);
	cli_puts(c, "load complete\n");
	rc = 0;
out:
	free(data);
	buf_free(&text);
	buf_free(&ep);
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc < 0 ? -ECANCELED : 0;
}

/* rename|copy <path> to <path>: the part after "to" names a sibling. */
static size_t
find_to(const struct cli_words *ws, size_t first, size_t count)
{
	size_t i;

	for (i = first + 1; i < first + count; i++)
		if (!ws->w[i].quoted && strcmp(ws->w[i].s, "to") == 0)
			return i;
	return first + count;
}

static int
exec_rename_copy(struct cli *c, struct cm_call *k)
{
	const char *verb = k->ws->w[k->first - 1].s[0] == 'r' ? "rename" : "copy";
	size_t to = find_to(k->ws, k->first, k->count);
	struct buf line = BUF_INIT;
	struct rpc_pos pos;
	int rc;

	if (k->count == 0)
		return cli_err_set(&k->err, CERR_MISSING, k->ws->w[k->first - 1].end + 1, NULL);
	if ((rc = sch_check(c, CFG_CMD_DELETE, &c->edit, k->ws, k->first, to - k->first, &k->err)) <
	    0)
		return rc;
	if (to == k->first + k->count || to + 1 == k->first + k->count)
		return cli_err_set(
		    &k->err, CERR_MISSING, k->ws->w[k->first + k->count - 1].end + 1, NULL);
	pos.base = k->ws->w[k->first].off;
	pos.skip = strlen(verb) + 1;
	buf_puts(&line, verb);
	buf_putc(&line, ' ');
	sch_words_text(k->ws, k->first, k->count, &line);
	rc = send_edit(c, buf_str(&line), &pos);
	buf_free(&line);
	return rc < 0 ? -ECANCELED : 0;
}

static bool
complete_rename_copy(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	size_t to = find_to(ws, first, count);

	if (to == first + count) {
		if (!complete_path(c, CFG_CMD_DELETE, ws, first, count, cs, err))
			return false;
		if (count >= 2 && cands_has_kind(cs, CAND_ENTER)) {
			/* after a whole statement: "to" */
			cands_remove_kind(cs, CAND_ENTER);
			cands_add(cs, CAND_KEYWORD, "to", "Name of the new statement");
		}
		return true;
	}
	/* after "to": the list keyword of the source, then a new name */
	if (to + 1 == first + count && to >= first + 2)
		cands_add(cs, CAND_KEYWORD, ws->w[to - 2].s, "Statement to create");
	else if (to + 2 == first + count)
		cands_add(cs, CAND_PLACEHOLDER, "<name>", "New name");
	else if (to + 3 == first + count)
		cands_add(cs, CAND_ENTER, "<[Enter]>", "Execute this command");
	return true;
}

static int
exec_run(struct cli *c, struct cm_call *k)
{
	if (k->count == 0)
		return cli_err_set(&k->err, CERR_MISSING, k->ws->w[k->first - 1].end + 1, NULL);
	/* the operational command handles its own pipes */
	return op_exec(c, k->ws, k->first) < 0 ? -ECANCELED : 0;
}

static bool
complete_run(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	return op_complete(c, ws, first, first + count, cs, err);
}

static bool complete_top(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err);

/* --- the table ------------------------------------------------------------------ */

static const struct arg_spec commit_args[] = {
	{ .kind = ARG_FLAG,
	    .name = "check",
	    .help = "Check correctness of syntax; do not apply changes",
	    .group = 1 },
	{ .kind = ARG_KEYVAL,
	    .name = "confirmed",
	    .help = "Automatically rollback if not confirmed",
	    .type = ARGT_UINT,
	    .value_name = "minutes",
	    .value_help = "Number of minutes until rollback (1..65535)",
	    .min = 1,
	    .max = 65535,
	    .optional_value = true },
	{ .kind = ARG_KEYVAL,
	    .name = "comment",
	    .help = "Message to write to commit log",
	    .type = ARGT_STRING,
	    .value_name = "comment-string",
	    .value_help = "Message to write to commit log" },
	{ .kind = ARG_FLAG,
	    .name = "and-quit",
	    .help = "Quit configuration mode if commit succeeds",
	    .group = 1 },
};

static const struct arg_spec rollback_args[] = {
	{ .kind = ARG_POS,
	    .name = "number",
	    .help = "Numeric index of rollback file (0..49)",
	    .type = ARGT_UINT,
	    .min = 0,
	    .max = 49 },
};

static const struct arg_spec up_args[] = {
	{ .kind = ARG_POS,
	    .name = "count",
	    .help = "Number of levels to move up",
	    .type = ARGT_UINT,
	    .min = 1,
	    .max = 64 },
};

static const struct arg_choice exit_choices[] = {
	{ "configuration-mode", "Exit from configuration mode" },
	{ NULL, NULL },
};

static const struct arg_spec exit_args[] = {
	{ .kind = ARG_POS,
	    .name = "level",
	    .help = "Exit from configuration mode",
	    .type = ARGT_CHOICE,
	    .choices = exit_choices },
};

static const struct arg_choice load_actions[] = {
	{ "merge", "Merge contents with existing configuration" },
	{ "override", "Override existing configuration" },
	{ "replace", "Replace configuration data" },
	{ "set", "Execute set of commands on existing configuration" },
	{ "update", "Update existing configuration" },
	{ NULL, NULL },
};

static const struct arg_choice load_sources[] = {
	{ "terminal", "Use login terminal" },
	{ NULL, NULL },
};

static const struct arg_spec load_args[] = {
	{ .kind = ARG_POS,
	    .name = "action",
	    .help = "How to combine the text with the candidate",
	    .type = ARGT_CHOICE,
	    .choices = load_actions,
	    .required = true },
	{ .kind = ARG_POS,
	    .name = "filename",
	    .help = "Filename (URL, local, remote, or floppy)",
	    .type = ARGT_CHOICE,
	    .choices = load_sources,
	    .choices_open = true,
	    .required = true },
};

#define ARGS(a) .args = (a), .nargs = sizeof(a) / sizeof((a)[0])

static const struct cm_cmdef cm_cmds[] = {
	{ "commit", "Commit current set of changes", ARGS(commit_args), 0, exec_commit, NULL },
	{ "copy", "Copy a statement", NULL, 0, 0, exec_rename_copy, complete_rename_copy },
	{ "delete", "Delete a data element", NULL, 0, 0, exec_delete, complete_delete },
	{ "edit", "Edit a sub-element", NULL, 0, 0, exec_edit, complete_edit },
	{ "exit", "Exit from this level", ARGS(exit_args), 0, exec_exit, NULL },
	{ "insert", "Insert a new ordered data element", NULL, 0, 0, exec_insert, complete_insert },
	{ "load", "Load configuration from ASCII file", ARGS(load_args), 0, exec_load, NULL },
	{ "quit", "Quit from this level", ARGS(exit_args), 0, exec_exit, NULL },
	{ "rename", "Rename a statement", NULL, 0, 0, exec_rename_copy, complete_rename_copy },
	{ "rollback", "Roll back to previous committed configuration", ARGS(rollback_args), 0,
	    exec_rollback, NULL },
	{ "run", "Run an operational-mode command", NULL, 0, 0, exec_run, complete_run },
	{ "set", "Set a parameter", NULL, 0, 0, exec_set, complete_set },
	{ "show", "Show a parameter", NULL, 0,
	    PIPES_COMPARE | PIPES_DISPLAY_SET | PIPES_DISPLAY_DATA, exec_show, complete_show },
	{ "status", "Show users currently editing configuration", NULL, 0, 0, exec_status, NULL },
	{ "top", "Exit to top level of configuration", NULL, 0, 0, exec_top, complete_top },
	{ "up", "Exit one level of configuration", ARGS(up_args), 0, exec_up, NULL },
};

#define NCM_CMDS (sizeof(cm_cmds) / sizeof(cm_cmds[0]))

static int
resolve_cmd(const struct cli_words *ws, size_t at, const struct cm_cmdef **cmd, struct cli_err *err)
{
	struct cands cs;
	const struct cand *hit;
	bool amb;
	size_t i;

	cands_init(&cs);
	for (i = 0; i < NCM_CMDS; i++)
		cands_add(&cs, CAND_KEYWORD, cm_cmds[i].name, cm_cmds[i].help);
	hit = ws->w[at].quoted ? NULL : cands_match_keyword(&cs, ws->w[at].s, &amb);
	if (!ws->w[at].quoted && amb) {
		cli_err_set(err, CERR_AMBIGUOUS, ws->w[at].off, ws->w[at].s);
		cands_filter(&cs, ws->w[at].s);
		cands_sort(&cs);
		cands_free(&err->amb);
		err->amb = cs;
		return -EINVAL;
	}
	*cmd = NULL;
	if (hit)
		for (i = 0; i < NCM_CMDS; i++)
			if (strcmp(cm_cmds[i].name, hit->tok) == 0)
				*cmd = &cm_cmds[i];
	cands_free(&cs);
	if (!*cmd)
		return cli_err_set(err, CERR_UNKNOWN_COMMAND, ws->w[at].off, NULL);
	return 0;
}

static size_t
stage0_end(const struct cli_words *ws)
{
	return ws->nstage > 1 ? ws->stage[1] : ws->n;
}

static int
cm_exec_at(struct cli *c, const struct cli_words *ws, size_t first)
{
	const struct cm_cmdef *cmd;
	struct cm_call k;
	size_t end = stage0_end(ws);
	int rc;

	memset(&k, 0, sizeof(k));
	cli_err_init(&k.err);
	pipes_init(&k.pipes);
	k.ws = ws;
	k.first = first + 1;
	k.count = end > first + 1 ? end - first - 1 : 0;
	if ((rc = resolve_cmd(ws, first, &cmd, &k.err)) < 0)
		goto out;
	if (cmd->args && (rc = args_parse(cmd->args, cmd->nargs, ARGS_CTX_CONFIG, ws, k.first,
	                      k.count, &k.vals, &k.err)) < 0)
		goto out;
	if (cmd->exec != exec_run && cmd->exec != exec_top &&
	    (rc = pipes_parse(ws, cmd->pipes, &k.pipes, &k.err)) < 0)
		goto out;
	rc = cmd->exec(c, &k);
	if (rc == 0 && c->out.len)
		cli_flush(c, &k.pipes);
out:
	if (rc < 0 && k.err.kind != CERR_NONE)
		cli_print_err(c, &k.err);
	else if (rc < 0)
		c->failed = true;
	pipes_free(&k.pipes);
	cli_err_fini(&k.err);
	return rc < 0 ? -EINVAL : 0;
}

int
cm_exec(struct cli *c, const struct cli_words *ws)
{
	return cm_exec_at(c, ws, 0);
}

static bool
complete_at(struct cli *c, const struct cli_words *ws, size_t first, size_t count, struct cands *cs,
    struct cli_err *err)
{
	const struct cm_cmdef *cmd;
	size_t i;

	if (count == first) {
		for (i = 0; i < NCM_CMDS; i++)
			cands_add(cs, CAND_KEYWORD, cm_cmds[i].name, cm_cmds[i].help);
		return true;
	}
	if (resolve_cmd(ws, first, &cmd, err) < 0)
		return false;
	if (ws->nstage > 1 && cmd->exec != exec_run) {
		return pipes_complete(
		    ws, ws->nstage - 1, count - ws->stage[ws->nstage - 1], cmd->pipes, cs, err);
	}
	if (cmd->complete) {
		if (!cmd->complete(c, ws, first + 1, count - first - 1, cs, err))
			return false;
	} else if (!args_complete(cmd->args, cmd->nargs, ARGS_CTX_CONFIG, ws, first + 1,
	               count - first - 1, true, cs, err)) {
		return false;
	}
	if (cmd->pipes && cands_has_kind(cs, CAND_ENTER))
		cands_add(cs, CAND_PIPE, "|", "Pipe through a command");
	return true;
}

static bool
complete_top(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err)
{
	struct cli_path saved = c->edit;
	bool ok;

	c->edit = (struct cli_path){ NULL, 0 };
	ok = complete_at(c, ws, first, first + count, cs, err);
	if (ok && count == 0)
		cands_add(cs, CAND_ENTER, "<[Enter]>", "Execute this command");
	c->edit = saved;
	return ok;
}

bool
cm_complete(
    struct cli *c, const struct cli_words *ws, size_t count, struct cands *cs, struct cli_err *err)
{
	return complete_at(c, ws, 0, count, cs, err);
}
