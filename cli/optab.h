/* SPDX-License-Identifier: MIT */
/*
 * optab: operational-mode commands. One const table maps command words
 * to an RPC, a formatter and help (WireGuard's subcommands[] shape):
 *
 *   { "show system commit", "Show pending commit and commit history",
 *     .rpc = "cairn-mgmt:get-commit-history", .format = fmt_commit_history },
 *
 * An entry without `args` takes its arguments from the RPC's input in the
 * schema: an empty leaf is a flag ("detail"), another leaf a keyword and
 * its value ("index 3"), `positional` names the leaf given without its
 * keyword ("show security ike security-associations 192.0.2.1"). So a
 * daemon's new operational RPC becomes a command with one entry and one
 * formatter. RPCs that carry cairn-extensions:cli-command and have no
 * entry become commands too, printed by a generic formatter.
 *
 * Entries whose RPC is not in the loaded schema are left out.
 */
#ifndef CAIRN_CLI_OPTAB_H
#define CAIRN_CLI_OPTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "cli.h"
#include "pipe.h"

struct lyd_node;
struct op_call;

enum op_flag {
	OPF_CFGPATH = 1u << 0,   /* arguments are a configuration path */
	OPF_PIPE_CFG = 1u << 1,  /* | display set|json|xml of configuration */
	OPF_PIPE_DATA = 1u << 2, /* | display json|xml of the RPC reply */
	OPF_LOCAL = 1u << 3,     /* settles in the shell (exit, set cli ...) */
};

struct op_cmd {
	const char *words;           /* "show system commit" */
	const char *help;            /* help of the last word */
	const char *rpc;             /* "module:name"; NULL for local commands */
	const struct arg_spec *args; /* NULL: from the RPC's input */
	size_t nargs;
	const char *positional; /* RPC input leaf typed without its keyword */
	unsigned flags;
	/* Local or custom commands: does everything. */
	int (*run)(struct cli *c, struct op_call *call);
	/* Formats the RPC's reply into the output (cli_printf). */
	int (*format)(struct cli *c, struct op_call *call, const struct lyd_node *reply);
	/* Optional, for long lists: formats the reply from its JSON text
	 * (no libyang tree: a 10,000-entry reply is read in a tenth of the
	 * time), when json_ok says this call's layout can (not with | display
	 * json|xml, which print the tree). */
	int (*format_json)(struct cli *c, struct op_call *call, const char *json, size_t len);
	bool (*json_ok)(const struct op_call *call);
};

struct op_call {
	const struct op_cmd *cmd;
	const struct arg_spec *spec;
	size_t nspec;
	struct arg_vals vals;
	const struct cli_words *ws;
	size_t args_first; /* index of the first argument word */
	size_t args_count;
	struct pipes pipes;
};

/* Builds the command tree for c's schema (once per session). 0 or -ENOMEM. */
int optab_init(struct cli *c);
void optab_fini(struct cli *c);

/* The generic formatter: the reply tree as indented "name: value" text. */
int fmt_generic(struct cli *c, struct op_call *call, const struct lyd_node *reply);

#endif
