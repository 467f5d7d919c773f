/* SPDX-License-Identifier: MIT */
/*
 * term: readline's callback interface inside a poll loop.
 *
 * Why not libcli's own loop: cli_loop() owns the descriptor, does its own
 * line editing, prints Cisco-style help and errors, and learns its
 * commands by static registration. Cairn's grammar is generated per
 * keystroke from the YANG schema and live data, and its help and errors
 * must read as Junos prints them; see docs/cli.md.
 */
#include "term.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli.h"
#include "ipc_client.h"
#include "ipc_msg.h"
#include "pager.h"
#include "banned.h"

static struct cli *g_cli;
static volatile sig_atomic_t g_sigint;
static volatile sig_atomic_t g_sigwinch;
static int g_sigpipe[2] = { -1, -1 };
static char *g_line;
static bool g_have_line;
static char *g_prompt;

static void
on_signal(int sig)
{
	int saved = errno;
	char x = (char)sig;

	if (sig == SIGINT)
		g_sigint = 1;
	else if (sig == SIGWINCH)
		g_sigwinch = 1;
	if (g_sigpipe[1] >= 0 && write(g_sigpipe[1], &x, 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved;
}

static void
on_line(char *line)
{
	g_line = line;
	g_have_line = true;
	rl_callback_handler_remove();
}

/* The terminal's size, unless `set cli screen-length/width` chose. */
static void
update_size(struct cli *c)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		if (!c->screen_length_set)
			c->screen_length = ws.ws_row;
		c->term_cols = ws.ws_col;
	}
}

static void
install_prompt(struct cli *c)
{
	struct buf b = BUF_INIT;

	free(g_prompt);
	cli_prompt(c, &b);
	g_prompt = buf_steal(&b);
	rl_callback_handler_install(g_prompt ? g_prompt : "> ", on_line);
}

/* A new prompt (the host name may have changed) with the line being
 * typed kept, drawn on a fresh line. */
static void
install_prompt_keep(struct cli *c)
{
	struct buf b = BUF_INIT;
	char *old = g_prompt;

	cli_prompt(c, &b);
	g_prompt = buf_steal(&b);
	rl_set_prompt(g_prompt ? g_prompt : "> ");
	free(old);
	rl_on_new_line();
	rl_forced_update_display();
}

/* Text before the cursor is inside an open quote. */
static bool
in_quote(void)
{
	int i, q = 0;

	for (i = 0; i < rl_point; i++) {
		if (rl_line_buffer[i] == '\\' && q && i + 1 < rl_point) {
			i++;
			continue;
		}
		if (rl_line_buffer[i] == '"')
			q = !q;
	}
	return q;
}

static size_t
prompt_width(void)
{
	return g_prompt ? cli_display_col(g_prompt, strlen(g_prompt)) : 0;
}

/* Prints something below the line being edited, then redraws it. */
static void
below_line_begin(bool echo_q)
{
	if (echo_q && rl_point == rl_end)
		fputs("?", stdout);
	fputs("\n", stdout);
	fflush(stdout);
}

static void
below_line_end(struct cli *c)
{
	if (c->mode == CLI_MODE_CONFIG) {
		struct buf b = BUF_INIT;

		cli_banner(c, &b);
		buf_putc(&b, '\n');
		fputs(buf_str(&b), stdout);
		buf_free(&b);
	}
	fflush(stdout);
	rl_on_new_line();
	rl_redisplay();
}

/* The error for a partial line: the caret counts from the prompt. */
static void
show_error(struct cli *c, struct cli_err *err)
{
	c->line = rl_line_buffer;
	c->caret_base = prompt_width();
	c->line_echoed = true;
	cli_print_err(c, err);
	c->failed = false; /* help is not a failed command */
	c->line = NULL;
}

static void
show_list(struct cli *c, struct cands *cs)
{
	struct buf b = BUF_INIT;
	struct pager_opts po = {
		.rows = c->screen_length,
		.cols = c->screen_width ? c->screen_width : c->term_cols,
		.key_fd = STDIN_FILENO,
		.out = stdout,
		.interrupted = &g_sigint,
	};

	if (cs->n == 0)
		buf_puts(&b, "No valid completions\n");
	else
		cands_render(cs, &b);
	pager_write(&po, buf_str(&b), b.len);
	g_sigint = 0;
	buf_free(&b);
}

static int
key_help(int count, int key)
{
	struct cli *c = g_cli;
	struct cands cs;
	struct cli_err err;
	char *partial = NULL;
	size_t poff;

	(void)count;
	if (in_quote())
		return rl_insert(1, key);
	cands_init(&cs);
	cli_err_init(&err);
	below_line_begin(true);
	if (!cli_complete(c, rl_line_buffer, (size_t)rl_point, &cs, &partial, &poff, &err))
		show_error(c, &err);
	else
		show_list(c, &cs);
	below_line_end(c);
	free(partial);
	cands_free(&cs);
	cli_err_fini(&err);
	return 0;
}

/* Replaces the partial word at [off, rl_point) by word, quoted when needed,
 * and a blank when done. */
static void
replace_partial(size_t off, const char *word, bool done)
{
	struct buf b = BUF_INIT;

	cli_word_quote(&b, word);
	if (done)
		buf_putc(&b, ' ');
	rl_begin_undo_group();
	rl_delete_text((int)off, rl_point);
	rl_point = (int)off;
	rl_insert_text(buf_str(&b));
	rl_end_undo_group();
	buf_free(&b);
}

static int
key_tab(int count, int key)
{
	struct cli *c = g_cli;
	struct cands cs;
	struct cli_err err;
	char *partial = NULL, *common;
	size_t poff, n;

	(void)count;
	(void)key;
	if (in_quote()) {
		rl_ding();
		return 0;
	}
	cands_init(&cs);
	cli_err_init(&err);
	if (!cli_complete(c, rl_line_buffer, (size_t)rl_point, &cs, &partial, &poff, &err)) {
		below_line_begin(false);
		show_error(c, &err);
		below_line_end(c);
		goto out;
	}
	common = cands_common_prefix(&cs, partial, &n);
	if (n == 1 &&
	    !(partial[0] == '\0' && !cs.closed && cands_has_kind(&cs, CAND_PLACEHOLDER))) {
		/* the only word (but a lone existing name is not forced when a
		 * new one may be typed instead) */
		replace_partial(poff, common, true);
	} else if (n > 1 && partial[0] && strlen(common) > strlen(partial)) {
		/* extend what was typed as far as all matches agree */
		replace_partial(poff, common, false);
	} else if (n > 1 || cs.n > 0) {
		/* nothing to add: show what may follow */
		below_line_begin(false);
		show_list(c, &cs);
		below_line_end(c);
	} else {
		rl_ding();
	}
	free(common);
out:
	free(partial);
	cands_free(&cs);
	cli_err_fini(&err);
	return 0;
}

/* Space completes a unique keyword prefix (set cli complete-on-space). */
static int
key_space(int count, int key)
{
	struct cli *c = g_cli;
	struct cands cs;
	struct cli_err err;
	char *partial = NULL;
	size_t poff, i, nkw = 0;
	const struct cand *hit = NULL;

	if (!c->complete_on_space || in_quote() || rl_point == 0 ||
	    rl_line_buffer[rl_point - 1] == ' ')
		return rl_insert(count, key);
	cands_init(&cs);
	cli_err_init(&err);
	if (cli_complete(c, rl_line_buffer, (size_t)rl_point, &cs, &partial, &poff, &err) &&
	    partial && *partial) {
		for (i = 0; i < cs.n; i++) {
			if (!cand_is_word(cs.v[i].kind))
				continue;
			if (strcmp(cs.v[i].tok, partial) == 0) {
				nkw = 0; /* typed in full */
				break;
			}
			if (cand_is_keyword(cs.v[i].kind)) {
				hit = &cs.v[i];
				nkw++;
			}
		}
		/* only keywords complete on space, and only when no value
		 * could be meant instead */
		for (i = 0; i < cs.n; i++)
			if (cs.v[i].kind == CAND_PLACEHOLDER)
				nkw = 0;
	}
	if (nkw == 1 && hit)
		replace_partial(poff, hit->tok, true);
	else
		rl_insert(count, key);
	free(partial);
	cands_free(&cs);
	cli_err_fini(&err);
	return 0;
}

/* mgd's broadcast messages (automatic rollback, ...) appear above the
 * line being edited. */
static void
show_notifications(struct cli *c)
{
	struct lyd_node *notif;
	struct errbuf err = { .msg = "" };
	int rc;
	bool any = false;

	errbuf_clear(&err);
	while ((rc = ipc_client_recv_notif(c->mgd, 0, &notif, &err)) == 0) {
		const char *text = ipc_leaf_str(notif, "text");

		if (!any) {
			/* take the prompt's line (and the banner above it) for
			 * the message; both are drawn again below it */
			fputs("\r\033[K", stdout);
			if (c->mode == CLI_MODE_CONFIG)
				fputs("\033[A\033[K", stdout);
			any = true;
		}
		if (text)
			fprintf(stdout, "%s\n", text);
		lyd_free_all(notif);
	}
	if (any) {
		if (c->mode == CLI_MODE_CONFIG) {
			struct buf b = BUF_INIT;

			buf_putc(&b, '\n');
			cli_banner(c, &b);
			buf_putc(&b, '\n');
			fputs(buf_str(&b), stdout);
			buf_free(&b);
		}
		/* the host name may have changed with a rollback */
		cli_refresh_host(c);
		install_prompt_keep(c);
	}
	if (rc != -ETIMEDOUT) {
		fputs("\nerror: connection to cairn-mgd lost\n", stdout);
		c->quit = true;
		c->failed = true;
	}
}

static void
print_banner(struct cli *c)
{
	struct buf b = BUF_INIT;

	if (c->mode != CLI_MODE_CONFIG)
		return;
	buf_putc(&b, '\n');
	cli_banner(c, &b);
	buf_putc(&b, '\n');
	fputs(buf_str(&b), stdout);
	fflush(stdout);
	buf_free(&b);
}

static void
run_line(struct cli *c, char *line)
{
	if (!line) {
		/* Ctrl-D on an empty line: as quit (configuration mode asks
		 * about uncommitted changes first) */
		fputs("\n", stdout);
		if (c->mode == CLI_MODE_CONFIG) {
			cm_leave(c, true);
			if (c->out.len)
				cli_flush(c, NULL);
		} else {
			c->quit = true;
		}
		return;
	}
	if (*line)
		add_history(line);
	c->caret_base = prompt_width();
	c->line_echoed = true;
	g_sigint = 0;
	cli_run_line(c, line);
	c->failed = false; /* interactive: the exit status says nothing */
	free(line);
}

int
term_run(struct cli *c)
{
	struct sigaction sa;
	struct pollfd pfd[3];
	int status = 0;

	g_cli = c;
	c->interrupted = &g_sigint;
	if (pipe(g_sigpipe) < 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);

	rl_readline_name = "cairn";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_bind_key('?', key_help);
	rl_bind_key('\t', key_tab);
	rl_bind_key(' ', key_space);
	using_history();
	stifle_history(1024);
	update_size(c);

	print_banner(c);
	install_prompt(c);
	while (!c->quit) {
		int n;

		pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = g_sigpipe[0], .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = ipc_client_fd(c->mgd), .events = POLLIN };
		n = poll(pfd, 3, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			status = 1;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			char drain[64];

			if (read(g_sigpipe[0], drain, sizeof(drain)) < 0) {
				/* nothing to do */
			}
			if (g_sigwinch) {
				g_sigwinch = 0;
				update_size(c);
				rl_resize_terminal();
			}
			if (g_sigint) {
				g_sigint = 0;
				/* Ctrl-C: drop the line, fresh prompt */
				rl_free_line_state();
				rl_callback_sigcleanup();
				rl_replace_line("", 0);
				rl_point = rl_end = 0;
				fputs("\n", stdout);
				fflush(stdout);
				rl_on_new_line();
				rl_redisplay();
			}
		}
		if (c->quit)
			break;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rl_callback_read_char();
			if (g_have_line) {
				char *line = g_line;

				g_have_line = false;
				g_line = NULL;
				run_line(c, line);
				if (c->quit)
					break;
				update_size(c);
				print_banner(c);
				install_prompt(c);
			}
		}
		/* broadcasts: those that woke us, and those that arrived
		 * during a command's RPCs (already read by the client) */
		show_notifications(c);
	}
	rl_callback_handler_remove();
	free(g_prompt);
	g_prompt = NULL;
	close(g_sigpipe[0]);
	close(g_sigpipe[1]);
	g_sigpipe[0] = g_sigpipe[1] = -1;
	return status;
}

int
term_read_raw_line(struct cli *c, char **line)
{
	struct buf b = BUF_INIT;
	char ch;
	ssize_t n;

	(void)c;
	*line = NULL;
	g_sigint = 0;
	for (;;) {
		n = read(STDIN_FILENO, &ch, 1);
		if (n < 0 && errno == EINTR) {
			if (g_sigint) {
				g_sigint = 0;
				buf_free(&b);
				return -1;
			}
			continue;
		}
		if (n <= 0) {
			/* canonical mode: Ctrl-D on an empty line reads 0 */
			if (b.len == 0) {
				buf_free(&b);
				return 0;
			}
			break;
		}
		if (ch == '\n')
			break;
		buf_putc(&b, ch);
	}
	if (buf_failed(&b)) {
		buf_free(&b);
		return -1;
	}
	*line = buf_steal(&b);
	if (!*line)
		*line = strdup("");
	return *line ? 1 : -1;
}
