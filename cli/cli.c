/* SPDX-License-Identifier: MIT */
/*
 * cli: one shell session — connect, start the mgd session, run lines,
 * route output through pipes and the pager, print errors Junos style.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "cfg_schema.h"
#include "hist.h"
#include "ipc_client.h"
#include "ipc_msg.h"
#include "pager.h"
#include "pipe.h"
#include "rpc.h"
#include "schema.h"
#include "term.h"
#include "banned.h"

enum cli_class
cli_class_parse(const char *name)
{
	if (!name)
		return CLI_CLASS_UNAUTHORIZED;
	if (strcmp(name, "super-user") == 0)
		return CLI_CLASS_SUPER_USER;
	if (strcmp(name, "operator") == 0)
		return CLI_CLASS_OPERATOR;
	if (strcmp(name, "read-only") == 0)
		return CLI_CLASS_READ_ONLY;
	return CLI_CLASS_UNAUTHORIZED;
}

/* "pts/3" for /dev/pts/3; "" without a terminal. */
static void
tty_name(char *dst, size_t len)
{
	const char *t = isatty(STDIN_FILENO) ? ttyname(STDIN_FILENO) : NULL;

	if (t && strncmp(t, "/dev/", 5) == 0)
		t += 5;
	snprintf(dst, len, "%s", t ? t : "");
}

static int
session_start(struct cli *c, const struct cli_opts *o, struct errbuf *err)
{
	struct lyd_node *rpc = NULL, *reply = NULL;
	char tty[65], pid[16];
	const char *v;
	int rc;

	if (lyd_new_path(NULL, c->ly, "/cairn-mgmt:session-start", NULL, 0, &rpc) != LY_SUCCESS)
		return errbuf_set(
		    err, -EINVAL, "error: the schema has no cairn-mgmt:session-start");
	tty_name(tty, sizeof(tty));
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if (lyd_new_term(rpc, NULL, "client", "cli", 0, NULL) ||
	    (tty[0] && lyd_new_term(rpc, NULL, "tty", tty, 0, NULL)) ||
	    lyd_new_term(rpc, NULL, "pid", pid, 0, NULL) ||
	    (o->as_user && lyd_new_term(rpc, NULL, "user", o->as_user, 0, NULL))) {
		rc = errbuf_set(err, -EINVAL, "error: invalid session parameters");
		goto out;
	}
	if ((rc = ipc_call(c->mgd, rpc, &reply, err)) < 0)
		goto out;
	if ((v = ipc_leaf_str(reply, "user")))
		snprintf(c->user, sizeof(c->user), "%s", v);
	if ((v = ipc_leaf_str(reply, "host-name")))
		snprintf(c->host, sizeof(c->host), "%s", v);
	if ((v = ipc_leaf_str(reply, "class")))
		snprintf(c->class_name, sizeof(c->class_name), "%s", v);
	if ((v = ipc_leaf_str(reply, "session-id")))
		c->session_id = (uint32_t)strtoul(v, NULL, 10);
	c->cls = cli_class_parse(c->class_name);
out:
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

int
cli_open(struct cli *c, const struct cli_opts *o, bool interactive, struct errbuf *err)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->mode = CLI_MODE_OP;
	c->interactive = interactive;
	c->complete_on_space = true;
	c->tty_out = stdout;
	buf_init(&c->out);
	if ((rc = cairn_paths_init(&c->paths, o->root)) < 0)
		return errbuf_set(err, rc, "error: --root: %s", strerror(-rc));
	if ((rc = schema_load(c->paths.yang_dir, &c->schema, &c->ly, err)) < 0)
		return rc;
	c->hist = cli_hist_new(1024);
	if (!c->hist)
		return errbuf_set(err, -ENOMEM, "error: out of memory");
	c->mgd = ipc_client_open(c->paths.mgd_sock, c->ly, err);
	if (!c->mgd)
		return -ECONNREFUSED;
	if ((rc = session_start(c, o, err)) < 0)
		return rc;
	return 0;
}

void
cli_close(struct cli *c)
{
	size_t i;

	ipc_client_close(c->mgd);
	c->mgd = NULL;
	cli_path_free(&c->edit);
	for (i = 0; i < c->nstack; i++)
		cli_path_free(&c->stack[i]);
	cli_hist_free(c->hist);
	buf_free(&c->out);
	cfg_schema_free(c->schema);
	c->schema = NULL;
	c->ly = NULL;
}

void
cli_refresh_host(struct cli *c)
{
	struct lyd_node *rpc = NULL, *reply = NULL, *n;
	struct errbuf msg = { .msg = "" };

	if (!c->mgd || lyd_new_path(NULL, c->ly, "/cairn-mgmt:complete", NULL, 0, &rpc) ||
	    lyd_new_term(rpc, NULL, "xpath", "/cairn-system:system/host-name", 0, NULL) ||
	    lyd_new_term(rpc, NULL, "datastore", "running", 0, NULL) ||
	    ipc_call(c->mgd, rpc, &reply, &msg) < 0)
		goto out;
	c->host[0] = '\0';
	LY_LIST_FOR(lyd_child(reply), n)
	{
		if (strcmp(n->schema->name, "value") == 0)
			snprintf(c->host, sizeof(c->host), "%s", lyd_get_value(n));
	}
out:
	lyd_free_all(rpc);
	lyd_free_all(reply);
}

/* --- paths --------------------------------------------------------------- */

void
cli_path_free(struct cli_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->w[i]);
	free(p->w);
	p->w = NULL;
	p->n = 0;
}

int
cli_path_append(struct cli_path *p, const char *const *w, size_t n)
{
	char **nw;
	size_t i;

	if (n == 0)
		return 0;
	nw = realloc(p->w, (p->n + n) * sizeof(*nw));
	if (!nw)
		return -ENOMEM;
	p->w = nw;
	for (i = 0; i < n; i++) {
		p->w[p->n] = strdup(w[i]);
		if (!p->w[p->n])
			return -ENOMEM;
		p->n++;
	}
	return 0;
}

int
cli_path_copy(struct cli_path *dst, const struct cli_path *src)
{
	cli_path_free(dst);
	return cli_path_append(dst, (const char *const *)src->w, src->n);
}

void
cli_path_str(const struct cli_path *p, struct buf *b)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (i)
			buf_putc(b, ' ');
		cli_word_quote(b, p->w[i]);
	}
}

/* --- prompt -------------------------------------------------------------- */

void
cli_prompt(const struct cli *c, struct buf *b)
{
	/* Junos: "user@host> ", or "user> " while no host-name is set */
	buf_printf(b, "%s%s%s%s ", c->user, c->host[0] ? "@" : "", c->host,
	    c->mode == CLI_MODE_CONFIG ? "#" : ">");
}

void
cli_banner(const struct cli *c, struct buf *b)
{
	buf_puts(b, "[edit");
	if (c->edit.n) {
		buf_putc(b, ' ');
		cli_path_str(&c->edit, b);
	}
	buf_putc(b, ']');
}

/* --- output -------------------------------------------------------------- */

void
cli_printf(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_append(&c->out, small, (size_t)n);
		return;
	}
	if (!buf_reserve(&c->out, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(c->out.p + c->out.len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->out.len += (size_t)n;
}

void
cli_puts(struct cli *c, const char *s)
{
	buf_puts(&c->out, s);
}

void
cli_write(struct cli *c, const char *s)
{
	fputs(s, c->tty_out);
	fflush(c->tty_out);
}

/* Whatever the command printed so far, unfiltered (before an error). */
static void
flush_raw(struct cli *c)
{
	if (c->out.len) {
		fwrite(c->out.p, 1, c->out.len, c->tty_out);
		buf_reset(&c->out);
	}
	fflush(c->tty_out);
}

void
cli_flush(struct cli *c, const struct pipes *p)
{
	struct buf b = BUF_INIT;
	struct pager_opts po = {
		.rows = c->screen_length,
		.cols = c->screen_width ? c->screen_width : c->term_cols,
		.key_fd = STDIN_FILENO,
		.out = c->tty_out,
		.interrupted = c->interrupted,
	};

	if (p && p->n)
		pipes_apply(p, buf_str(&c->out), c->out.len, &b);
	else
		buf_append(&b, buf_str(&c->out), c->out.len);
	buf_reset(&c->out);
	if (!c->interactive || (p && p->no_more))
		po.rows = 0;
	pager_write(&po, buf_str(&b), b.len);
	buf_free(&b);
}

static void
print_caret(struct cli *c, size_t off)
{
	size_t col, i;

	if (!c->line)
		return;
	col = cli_display_col(c->line, off);
	if (c->interactive && c->line_echoed) {
		col += c->caret_base;
	} else {
		fputs(c->line, c->tty_out);
		fputc('\n', c->tty_out);
	}
	for (i = 0; i < col; i++)
		fputc(' ', c->tty_out);
	fputs("^\n", c->tty_out);
}

int
cli_print_err(struct cli *c, const struct cli_err *e)
{
	flush_raw(c);
	if (e->off != CLI_ERR_NOCARET)
		print_caret(c, e->off);
	fputs(e->text, c->tty_out);
	fputc('\n', c->tty_out);
	if (e->kind == CERR_AMBIGUOUS && e->amb.n) {
		struct buf b = BUF_INIT;

		cands_render(&e->amb, &b);
		fputs(buf_str(&b), c->tty_out);
		buf_free(&b);
	}
	fflush(c->tty_out);
	c->failed = true;
	return -EINVAL;
}

int
cli_fail(struct cli *c, const struct errbuf *e)
{
	size_t n;

	flush_raw(c);
	if (errbuf_isset(e)) {
		n = strlen(e->msg);
		fputs(e->msg, c->tty_out);
		if (n && e->msg[n - 1] != '\n')
			fputc('\n', c->tty_out);
	}
	fflush(c->tty_out);
	c->failed = true;
	return -EINVAL;
}

int
cli_failf(struct cli *c, const char *fmt, ...)
{
	struct errbuf e = { .msg = "" };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return cli_fail(c, &e);
}

bool
cli_ask_yes(struct cli *c, const char *question, bool dflt)
{
	char *ans = NULL;
	bool r = dflt;
	int rc;

	flush_raw(c);
	for (;;) {
		fprintf(c->tty_out, "%s [yes,no] (%s) ", question, dflt ? "yes" : "no");
		fflush(c->tty_out);
		if (!c->interactive) {
			/* script mode: the default answer, said aloud */
			fprintf(c->tty_out, "%s\n", dflt ? "yes" : "no");
			return dflt;
		}
		rc = term_read_raw_line(c, &ans);
		if (rc <= 0) {
			fputc('\n', c->tty_out);
			return rc == 0 ? dflt : false;
		}
		if (ans[0] == '\0') {
			r = dflt;
			break;
		}
		if (strcmp(ans, "yes") == 0 || strcmp(ans, "y") == 0) {
			r = true;
			break;
		}
		if (strcmp(ans, "no") == 0 || strcmp(ans, "n") == 0) {
			r = false;
			break;
		}
		free(ans);
		ans = NULL;
	}
	free(ans);
	return r;
}

/* --- running lines ------------------------------------------------------- */

int
cli_run_line(struct cli *c, const char *line)
{
	struct cli_words ws;
	struct cli_err err;
	int rc;

	c->line = line;
	cli_err_init(&err);
	cli_hist_add(c->hist, line, time(NULL));
	rc = cli_words_split(line, strlen(line), &ws);
	if (rc < 0) {
		if (rc == -ENOMEM)
			rc = cli_failf(c, "error: out of memory");
		else
			rc = cli_print_err(c, (cli_err_set(&err, CERR_SYNTAX, 0, NULL), &err));
		goto out;
	}
	if (ws.open_quote) {
		cli_err_set(
		    &err, CERR_TEXT, ws.w[ws.n - 1].off, "syntax error, unterminated quote.");
		rc = cli_print_err(c, &err);
		goto out_ws;
	}
	if (ws.n == 0 && ws.nstage == 1) {
		rc = 0;
		goto out_ws;
	}
	if (ws.nstage > 1 && ws.stage[1] == 0) {
		/* "| count" with no command before it */
		cli_err_set(&err, c->mode == CLI_MODE_OP ? CERR_UNKNOWN_COMMAND : CERR_SYNTAX,
		    ws.pipe_off[1], NULL);
		rc = cli_print_err(c, &err);
		goto out_ws;
	}
	if (c->mode == CLI_MODE_OP)
		rc = op_exec(c, &ws, 0);
	else
		rc = cm_exec(c, &ws);
	if (c->out.len)
		cli_flush(c, NULL);
out_ws:
	cli_words_free(&ws);
out:
	cli_err_fini(&err);
	c->line = NULL;
	c->line_echoed = false;
	return rc < 0 ? -EINVAL : 0;
}

bool
cli_complete(struct cli *c, const char *line, size_t len, struct cands *cs, char **partial,
    size_t *partial_off, struct cli_err *err)
{
	struct cli_words ws;
	size_t count;
	bool ok;

	*partial = NULL;
	*partial_off = len;
	if (cli_words_split(line, len, &ws) < 0) {
		cli_err_set(err, CERR_SYNTAX, 0, NULL);
		return false;
	}
	count = ws.n;
	if (ws.n && !ws.trailing && ws.w[ws.n - 1].end == len) {
		/* the cursor is on the last word: complete it */
		count = ws.n - 1;
		*partial = strdup(ws.w[ws.n - 1].s);
		*partial_off = ws.w[ws.n - 1].off;
	} else {
		*partial = strdup("");
	}
	if (!*partial) {
		cli_words_free(&ws);
		return false;
	}
	if (c->mode == CLI_MODE_OP)
		ok = op_complete(c, &ws, 0, count, cs, err);
	else
		ok = cm_complete(c, &ws, count, cs, err);
	cli_words_free(&ws);
	if (!ok)
		return false;
	cands_filter(cs, *partial);
	cands_sort(cs);
	return true;
}
