/* SPDX-License-Identifier: MIT */
/*
 * cli: the state of one cairn shell session and the entry points its
 * modules share. The shell keeps no configuration: the session's
 * candidate lives in cairn-mgd, and every edit is an RPC.
 *
 * Modules: words (tokenizer), args (argument grammar), cands (help
 * rendering), pipe (| filters), pager, hist (show cli history), optab
 * (operational commands), cfgmode (configuration mode), schema (the
 * configuration grammar from YANG, through cairn-conf), rpc (calls to
 * cairn-mgd over cairn-ipc), term (readline), fmt (formatters).
 */
#ifndef CAIRN_CLI_CLI_H
#define CAIRN_CLI_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "cands.h"
#include "err.h"
#include "errbuf.h"
#include "paths.h"
#include "words.h"

struct ly_ctx;
struct cfg_schema;
struct lyd_node;
struct ipc_client;
struct pipes;
struct op_node;

enum cli_mode {
	CLI_MODE_OP,     /* user@host> */
	CLI_MODE_CONFIG, /* user@host# with the [edit ...] banner */
};

/* Login classes, lowest first (cairn-system login-class). */
enum cli_class {
	CLI_CLASS_UNAUTHORIZED,
	CLI_CLASS_READ_ONLY,
	CLI_CLASS_OPERATOR,
	CLI_CLASS_SUPER_USER,
};

/* A hierarchy level: words as the operator typed them, keywords expanded
 * ("security ike gateway gw1"). */
struct cli_path {
	char **w;
	size_t n;
};

#define CLI_EDIT_STACK 64

struct cli {
	struct cairn_paths paths;
	struct cfg_schema *schema; /* the YANG schema (owned) */
	struct ly_ctx *ly;         /* its libyang context (borrowed from schema) */
	struct ipc_client *mgd;    /* the session's connection to cairn-mgd (owned) */
	char user[65];
	char host[256];
	char class_name[32];
	enum cli_class cls;
	uint32_t session_id;
	struct op_node *optree; /* operational command words (optab.c) */

	enum cli_mode mode;
	char cfg_mode[16];                     /* shared, exclusive, private */
	struct cli_path edit;                  /* [edit ...] */
	struct cli_path stack[CLI_EDIT_STACK]; /* levels `exit` returns to */
	size_t nstack;

	bool interactive; /* standard input and output are a terminal */
	bool quit;        /* leave the shell after this command */
	bool failed;      /* some command failed (script exit status) */

	/* set cli ... */
	unsigned screen_length; /* 0: no paging */
	unsigned screen_width;  /* 0: the terminal's */
	bool complete_on_space;
	bool screen_length_set; /* set by the operator (else the terminal's rows) */
	unsigned term_cols;     /* the terminal's width (0: unknown) */

	struct buf out;    /* output of the running command, before pipes */
	FILE *tty_out;     /* where output goes (stdout) */
	const char *line;  /* the line being run (for carets) */
	size_t caret_base; /* columns before the line on screen (the prompt) */
	bool line_echoed;  /* the line is on screen (interactive) */
	struct cli_hist *hist;
	FILE *script_in; /* script mode: where lines (and load ... terminal text) come from */

	volatile sig_atomic_t *interrupted; /* Ctrl-C seen (set by term) */
};

/* --- cli.c: life cycle, running lines, output ------------------------ */

struct cli_opts {
	const char *root;    /* --root */
	const char *as_user; /* --user: act as this login user (root only) */
};

/* Connects to mgd, starts the session, loads the schema. 0 or -errno
 * with err set (printed by main). */
int cli_open(struct cli *c, const struct cli_opts *o, bool interactive, struct errbuf *err);
void cli_close(struct cli *c);

/* Runs one line in the current mode: output, errors and all. Returns 0,
 * or -EINVAL when the command failed (c->failed is set too). */
int cli_run_line(struct cli *c, const char *line);

/* Asks mgd for the committed host-name again (after commit, rollback),
 * for the prompt. */
void cli_refresh_host(struct cli *c);

/* The prompt ("user@host> ") and the banner ("[edit security]"), into b. */
void cli_prompt(const struct cli *c, struct buf *b);
void cli_banner(const struct cli *c, struct buf *b);

/* What may follow the first `len` bytes of line (`?`, TAB). The last
 * word, if not followed by a blank, is the partial word: it is returned in
 * *partial (malloc'd, may be "") and the candidates are filtered by it.
 * Returns false with err set when the words before it do not parse. */
bool cli_complete(struct cli *c, const char *line, size_t len, struct cands *cs, char **partial,
    size_t *partial_off, struct cli_err *err);

/* Output of the running command (before pipes and pager). */
void cli_printf(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_puts(struct cli *c, const char *s);
/* Writes text to the terminal now, past pipes and pager (errors, help,
 * prompts to answer). */
void cli_write(struct cli *c, const char *s);
/* Prints a command-line error Junos style (caret, message) and marks
 * the command failed. Returns -EINVAL. */
int cli_print_err(struct cli *c, const struct cli_err *e);
/* Prints "error: ..." lines (an errbuf from mgd or a library) and marks
 * the command failed. Returns -EINVAL. */
int cli_fail(struct cli *c, const struct errbuf *e);
int cli_failf(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Asks a [yes,no] question (interactive); script mode takes the default
 * and says so. */
bool cli_ask_yes(struct cli *c, const char *question, bool dflt);
/* Sends the command's output through the pipes and the pager. */
void cli_flush(struct cli *c, const struct pipes *p);

/* --- cli_path -------------------------------------------------------- */
void cli_path_free(struct cli_path *p);
int cli_path_copy(struct cli_path *dst, const struct cli_path *src);
/* Appends words [first, first+n) of ws. */
int cli_path_append(struct cli_path *p, const char *const *w, size_t n);
/* "a b c" (words quoted where needed) */
void cli_path_str(const struct cli_path *p, struct buf *b);

/* --- optab.c: operational mode ---------------------------------------- */
int op_exec(struct cli *c, const struct cli_words *ws, size_t first);
bool op_complete(struct cli *c, const struct cli_words *ws, size_t first, size_t count,
    struct cands *cs, struct cli_err *err);

/* --- cfgmode.c: configuration mode ------------------------------------ */
int cm_exec(struct cli *c, const struct cli_words *ws);
bool cm_complete(
    struct cli *c, const struct cli_words *ws, size_t count, struct cands *cs, struct cli_err *err);
/* Enters configuration mode (the `configure` command). */
int cm_enter(struct cli *c, const char *mode);
/* Leaves it: asks about uncommitted changes when ask is true. Returns
 * false when the operator chose to stay. */
bool cm_leave(struct cli *c, bool ask);

/* class name → enum (unknown: unauthorized) */
enum cli_class cli_class_parse(const char *name);

#endif
