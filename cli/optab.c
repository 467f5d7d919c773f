/* SPDX-License-Identifier: MIT */
/*
 * optab: the operational command table, the word tree built from it, and
 * the walker that runs and completes operational commands.
 */
#include "optab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyang/libyang.h>

#include "fmt.h"
#include "fmt_security.h"
#include "hist.h"
#include "rpc.h"
#include "schema.h"
#include "banned.h"

/* --- local commands -------------------------------------------------------- */

static int
run_configure(struct cli *c, struct op_call *call)
{
	const char *mode = "shared";

	if (args_get(call->spec, call->nspec, &call->vals, "exclusive"))
		mode = "exclusive";
	else if (args_get(call->spec, call->nspec, &call->vals, "private"))
		mode = "private";
	return cm_enter(c, mode);
}

static int
run_exit(struct cli *c, struct op_call *call)
{
	(void)call;
	c->quit = true;
	return 0;
}

static int
run_screen_length(struct cli *c, struct op_call *call)
{
	const char *v = call->vals.v[0];

	c->screen_length = (unsigned)strtoul(v, NULL, 10);
	c->screen_length_set = true;
	cli_printf(c, "Screen length set to %u\n", c->screen_length);
	return 0;
}

static int
run_screen_width(struct cli *c, struct op_call *call)
{
	const char *v = call->vals.v[0];

	c->screen_width = (unsigned)strtoul(v, NULL, 10);
	cli_printf(c, "Screen width set to %u\n", c->screen_width);
	return 0;
}

static int
run_complete_on_space(struct cli *c, struct op_call *call)
{
	c->complete_on_space = strcmp(call->vals.v[0], "on") == 0;
	cli_printf(c, "%s complete-on-space\n", c->complete_on_space ? "Enabling" : "Disabling");
	return 0;
}

static int
run_show_cli(struct cli *c, struct op_call *call)
{
	const char *term = getenv("TERM");

	(void)call;
	cli_printf(c, "CLI complete-on-space set to %s\n", c->complete_on_space ? "on" : "off");
	if (c->screen_length)
		cli_printf(c, "CLI screen-length set to %u\n", c->screen_length);
	else
		cli_printf(c, "CLI screen-length disabled\n");
	if (c->screen_width)
		cli_printf(c, "CLI screen-width set to %u\n", c->screen_width);
	else
		cli_printf(c, "CLI screen-width set to the terminal's\n");
	cli_printf(c, "CLI terminal is '%s'\n", c->interactive && term ? term : "none");
	cli_printf(c, "CLI user '%s', login class '%s'\n", c->user, c->class_name);
	return 0;
}

static int
run_show_cli_history(struct cli *c, struct op_call *call)
{
	const char *v = call->vals.v[0];
	struct buf b = BUF_INIT;

	cli_hist_render(c->hist, v ? strtoul(v, NULL, 10) : 0, &b);
	cli_puts(c, buf_str(&b));
	buf_free(&b);
	return 0;
}

static const char *
display_format(const struct pipes *p)
{
	switch (p->display) {
	case DISPLAY_SET:
		return "set";
	case DISPLAY_JSON:
		return "json";
	case DISPLAY_XML:
		return "xml";
	case DISPLAY_TEXT:
		break;
	}
	return "text";
}

static int
run_show_configuration(struct cli *c, struct op_call *call)
{
	struct buf path = BUF_INIT;
	struct rpc_pos pos = { 0, 0 };
	int rc;

	sch_words_text(call->ws, call->args_first, call->args_count, &path);
	if (call->args_count)
		pos.base = call->ws->w[call->args_first].off;
	rc = fmt_get_configuration(c, "running", -1, NULL, buf_str(&path),
	    display_format(&call->pipes), call->args_count == 0, &pos);
	buf_free(&path);
	return rc;
}

static int
run_show_system_rollback(struct cli *c, struct op_call *call)
{
	const char *n = args_get(call->spec, call->nspec, &call->vals, "number");
	const char *m = args_get(call->spec, call->nspec, &call->vals, "compare");
	int idx = (int)strtol(n, NULL, 10);

	if (m)
		return fmt_compare(c, (int)strtol(m, NULL, 10), idx, NULL, NULL, NULL);
	return fmt_get_configuration(
	    c, NULL, idx, NULL, NULL, display_format(&call->pipes), true, NULL);
}

/*
 * show version: the shell's own version, then what cairn-mgd and cairn-iked
 * report of themselves (a daemon that does not answer is said so), the
 * kernel, and the dataplane backend iked drives.
 */
static int
run_show_version(struct cli *c, struct op_call *call)
{
	struct lyd_node *rpc, *mgd = NULL, *iked = NULL;
	struct errbuf msg = { .msg = "" };
	const char *v;
	int rc;

	(void)call;
	rpc = rpc_new(c, "cairn-mgmt:get-software-information");
	if (!rpc)
		return -EINVAL;
	rc = rpc_call(c, rpc, &mgd);
	lyd_free_all(rpc);
	if (rc < 0)
		return rc;
	if ((v = rpc_leaf(mgd, "host-name")) != NULL)
		cli_printf(c, "Hostname: %s\n", v);
	cli_printf(c, "Model: cairn\n");
	cli_printf(c, "Cairn version %s\n", CAIRN_VERSION);
	v = rpc_leaf(mgd, "mgd-version");
	cli_printf(c, "cairn-mgd version %s\n", v ? v : "unknown");
	errbuf_clear(&msg);
	rpc = rpc_schema(c, "cairn-security-state:get-iked-software-information")
	          ? rpc_new(c, "cairn-security-state:get-iked-software-information")
	          : NULL;
	if (rpc && rpc_call_quiet(c, rpc, &iked, &msg) == 0) {
		v = rpc_leaf(iked, "iked-version");
		cli_printf(c, "cairn-iked version %s\n", v ? v : "unknown");
	} else if (!rpc) {
		cli_printf(c, "cairn-iked unknown (its module is not in the schema)\n");
	} else if (strstr(msg.msg, "not running")) {
		cli_printf(c, "cairn-iked not running\n");
	} else {
		cli_printf(c, "cairn-iked did not answer: %s\n", msg.msg);
	}
	lyd_free_all(rpc);
	if (rpc_leaf(mgd, "os-name") && rpc_leaf(mgd, "os-release"))
		cli_printf(c, "Kernel: %s %s%s%s\n", rpc_leaf(mgd, "os-name"),
		    rpc_leaf(mgd, "os-release"), rpc_leaf(mgd, "machine") ? " " : "",
		    rpc_leaf(mgd, "machine") ? rpc_leaf(mgd, "machine") : "");
	if (iked && (v = rpc_leaf(iked, "dataplane-backend")) != NULL) {
		cli_printf(c, "Dataplane: %s, %s SPUs\n", v,
		    rpc_leaf(iked, "spu-count") ? rpc_leaf(iked, "spu-count") : "?");
		if (rpc_leaf(iked, "dataplane-backend-reason"))
			cli_printf(c, "Dataplane backend: %s\n",
			    rpc_leaf(iked, "dataplane-backend-reason"));
	} else if (iked)
		cli_printf(c, "Dataplane: none open yet\n");
	lyd_free_all(mgd);
	lyd_free_all(iked);
	return 0;
}

/* --- argument grammars of the local commands -------------------------------- */

static const struct arg_spec configure_args[] = {
	{ .kind = ARG_FLAG,
	    .name = "exclusive",
	    .help = "Obtain exclusive lock (other users cannot make changes)",
	    .group = 1 },
	{ .kind = ARG_FLAG,
	    .name = "private",
	    .help = "Work in private database (other users cannot see changes)",
	    .group = 1 },
};

static const struct arg_spec screen_length_args[] = {
	{ .kind = ARG_POS,
	    .name = "lines",
	    .help = "Number of lines on screen (0: no paging)",
	    .type = ARGT_UINT,
	    .min = 0,
	    .max = 100000,
	    .required = true },
};

static const struct arg_spec screen_width_args[] = {
	{ .kind = ARG_POS,
	    .name = "columns",
	    .help = "Number of characters on a line (0: the terminal's)",
	    .type = ARGT_UINT,
	    .min = 0,
	    .max = 1024,
	    .required = true },
};

static const struct arg_choice on_off[] = {
	{ "off", "Disable complete-on-space" },
	{ "on", "Enable complete-on-space" },
	{ NULL, NULL },
};

static const struct arg_spec complete_on_space_args[] = {
	{ .kind = ARG_POS,
	    .name = "on-off",
	    .help = "on or off",
	    .type = ARGT_CHOICE,
	    .choices = on_off,
	    .required = true },
};

static const struct arg_spec history_args[] = {
	{ .kind = ARG_POS,
	    .name = "count",
	    .help = "Maximum number of commands to show",
	    .type = ARGT_UINT,
	    .min = 1,
	    .max = 1024 },
};

static const struct arg_spec rollback_args[] = {
	{ .kind = ARG_POS,
	    .name = "number",
	    .help = "Rollback number (0..49)",
	    .type = ARGT_UINT,
	    .min = 0,
	    .max = 49,
	    .required = true },
	{ .kind = ARG_KEYVAL,
	    .name = "compare",
	    .help = "Compare two rollback configurations",
	    .type = ARGT_UINT,
	    .value_name = "number",
	    .value_help = "Rollback number to compare against (0..49)",
	    .min = 0,
	    .max = 49 },
};

#define SECST   "cairn-security-state:"
#define ARGS(a) .args = (a), .nargs = sizeof(a) / sizeof((a)[0])
#define NOARGS  .args = NULL, .nargs = 0

/*
 * The table. Security commands (show/clear/request security ...) are
 * served by cairn-iked through mgd: one entry each, naming the RPC of the
 * iked state module and a formatter in fmt_security.c.
 */
static const struct op_cmd op_cmds[] = {
	{ "configure", "Manipulate software configuration information", ARGS(configure_args),
	    .flags = OPF_LOCAL, .run = run_configure },
	{ "exit", "Exit the management session", NOARGS, .flags = OPF_LOCAL, .run = run_exit },
	{ "quit", "Exit the management session", NOARGS, .flags = OPF_LOCAL, .run = run_exit },
	{ "set cli complete-on-space", "Set whether typing space completes current word",
	    ARGS(complete_on_space_args), .flags = OPF_LOCAL, .run = run_complete_on_space },
	{ "set cli screen-length", "Set number of lines on screen", ARGS(screen_length_args),
	    .flags = OPF_LOCAL, .run = run_screen_length },
	{ "set cli screen-width", "Set number of characters on a line", ARGS(screen_width_args),
	    .flags = OPF_LOCAL, .run = run_screen_width },
	{ "show cli", "Show command-line interface settings", NOARGS, .flags = OPF_LOCAL,
	    .run = run_show_cli },
	{ "show cli history", "Show a list of previous commands", ARGS(history_args),
	    .flags = OPF_LOCAL, .run = run_show_cli_history },
	{ "show configuration", "Show current configuration", NOARGS,
	    .flags = OPF_CFGPATH | OPF_PIPE_CFG, .run = run_show_configuration },
	{ "show system commit", "Show pending commit and commit history",
	    .rpc = "cairn-mgmt:get-commit-history", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_commit_history },
	{ "show version", "Show software process revision levels", NOARGS, .flags = OPF_LOCAL,
	    .run = run_show_version },
	{ "show system rollback", "Show rolled back configuration", ARGS(rollback_args),
	    .flags = OPF_PIPE_CFG, .run = run_show_system_rollback },
	/* cairn-iked (yang/cairn-security-state.yang, cli/fmt_security.c) */
	{ "show security ike security-associations",
	    "Show Internet Key Exchange security associations",
	    .rpc = SECST "get-ike-security-associations-information", NOARGS,
	    .positional = "peer-address", .flags = OPF_PIPE_DATA, .format = fmt_sec_ike_sa,
	    .format_json = fmt_sec_ike_sa_json, .json_ok = fmt_sec_ike_sa_json_ok },
	{ "show security ike active-peer", "Show active IKE peers",
	    .rpc = SECST "get-ike-active-peer-information", NOARGS, .positional = "peer-address",
	    .flags = OPF_PIPE_DATA, .format = fmt_sec_active_peer },
	{ "show security ike tunnel-map", "Show tunnel mapping of IKE gateways on SPUs",
	    .rpc = SECST "get-ike-tunnel-map-information", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_tunnel_map },
	{ "show security ipsec security-associations", "Show IPSec security associations",
	    .rpc = SECST "get-security-associations-information", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_ipsec_sa },
	/* "sa": the abbreviation every Junos operator types */
	{ "show security ike sa", "Show Internet Key Exchange security associations",
	    .rpc = SECST "get-ike-security-associations-information", NOARGS,
	    .positional = "peer-address", .flags = OPF_PIPE_DATA, .format = fmt_sec_ike_sa,
	    .format_json = fmt_sec_ike_sa_json, .json_ok = fmt_sec_ike_sa_json_ok },
	{ "show security ipsec sa", "Show IPSec security associations",
	    .rpc = SECST "get-security-associations-information", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_ipsec_sa },
	{ "clear security ike sa", "Clear IKE security associations",
	    .rpc = SECST "clear-ike-security-associations", NOARGS, .positional = "peer-address",
	    .flags = OPF_PIPE_DATA, .format = fmt_sec_quiet },
	{ "clear security ipsec sa", "Clear IPSec security associations",
	    .rpc = SECST "clear-ipsec-security-associations", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_quiet },
	{ "show security ipsec statistics", "Show IPSec statistics",
	    .rpc = SECST "get-ipsec-statistics-information", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_ipsec_stats },
	{ "show security ipsec tunnel-distribution",
	    "Show how tunnels are distributed over the SPUs",
	    .rpc = SECST "get-ipsec-tunnel-distribution", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_tunnel_dist, .format_json = fmt_sec_tunnel_dist_json,
	    .json_ok = fmt_sec_tunnel_dist_json_ok },
	{ "show security ipsec inactive-tunnels",
	    "Show IPSec tunnels that have no security association",
	    .rpc = SECST "get-ipsec-inactive-tunnels", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_inactive },
	{ "show security ipsec next-hop-tunnels",
	    "Show next-hop tunnel bindings of multipoint st0 interfaces",
	    .rpc = SECST "get-ipsec-next-hop-tunnels", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_next_hop_tunnels },
	{ "clear security ike security-associations", "Clear IKE security associations",
	    .rpc = SECST "clear-ike-security-associations", NOARGS, .positional = "peer-address",
	    .flags = OPF_PIPE_DATA, .format = fmt_sec_quiet },
	{ "clear security ipsec security-associations", "Clear IPSec security associations",
	    .rpc = SECST "clear-ipsec-security-associations", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_quiet },
	{ "clear security ipsec statistics", "Clear IPSec statistics",
	    .rpc = SECST "clear-ipsec-statistics", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_quiet },
	{ "request security re-distribution ipsec-vpn", "Move a gateway's tunnels to another SPU",
	    .rpc = SECST "request-ipsec-re-distribution", NOARGS, .flags = OPF_PIPE_DATA,
	    .format = fmt_sec_message },
	{ "show interfaces", "Show interface information (st0 secure tunnel interfaces)",
	    .rpc = SECST "get-interface-information", NOARGS, .positional = "interface-name",
	    .flags = OPF_PIPE_DATA, .format = fmt_sec_interfaces },
	{ "show route", "Show routing table information (routes into st0)",
	    .rpc = SECST "get-route-information", NOARGS, .positional = "destination",
	    .flags = OPF_PIPE_DATA, .format = fmt_sec_route },
};

/* Help of the words that only lead to commands. */
static const struct {
	const char *words;
	const char *help;
} op_word_help[] = {
	{ "clear", "Clear information in the system" },
	{ "clear security", "Clear security information" },
	{ "clear security ike", "Clear Internet Key Exchange information" },
	{ "clear security ipsec", "Clear IP Security information" },
	{ "request", "Make system-level requests" },
	{ "request security", "Make security requests" },
	{ "request security ike", "Make Internet Key Exchange requests" },
	{ "request security ipsec", "Make IP Security requests" },
	{ "request security re-distribution", "Re-distribute tunnels over the SPUs" },
	{ "set", "Set CLI properties, date/time, craft interface message" },
	{ "set cli", "Set CLI properties" },
	{ "show", "Show system information" },
	{ "show security", "Show security information" },
	{ "show security ike", "Show Internet Key Exchange information" },
	{ "show security ipsec", "Show IP Security information" },
	{ "show system", "Show system information" },
};

/* --- the word tree ------------------------------------------------------------ */

struct op_node {
	char *word;
	char *help;
	struct op_node **kids;
	size_t nkids;
	const struct op_cmd *cmd;
	struct op_cmd *own_cmd; /* a command made from a cli-command RPC */
	struct arg_spec *spec;  /* arguments derived from the RPC input */
	size_t nspec;
	struct arg_choice **choices; /* owned choice arrays of spec */
	size_t nchoices;
};

static void
node_free(struct op_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (i = 0; i < n->nchoices; i++)
		free(n->choices[i]);
	free(n->choices);
	free(n->spec);
	if (n->own_cmd) {
		free((char *)n->own_cmd->words);
		free((char *)n->own_cmd->help);
		free((char *)n->own_cmd->rpc);
		free(n->own_cmd);
	}
	free(n->word);
	free(n->help);
	free(n);
}

static struct op_node *
node_kid(struct op_node *n, const char *word, size_t len, bool create)
{
	struct op_node **nk, *k;
	size_t i;

	for (i = 0; i < n->nkids; i++)
		if (strlen(n->kids[i]->word) == len && strncmp(n->kids[i]->word, word, len) == 0)
			return n->kids[i];
	if (!create)
		return NULL;
	k = calloc(1, sizeof(*k));
	nk = realloc(n->kids, (n->nkids + 1) * sizeof(*nk));
	if (!k || !nk) {
		free(k);
		if (nk)
			n->kids = nk;
		return NULL;
	}
	n->kids = nk;
	k->word = strndup(word, len);
	k->help = strdup("");
	if (!k->word || !k->help) {
		node_free(k);
		return NULL;
	}
	n->kids[n->nkids++] = k;
	return k;
}

/* The node for a words string, created (with its ancestors) on demand. */
static struct op_node *
node_path(struct op_node *root, const char *words, bool create)
{
	struct op_node *n = root;
	const char *p = words;

	while (n && *p) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 0)
			break;
		n = node_kid(n, p, len, create);
		p += len;
	}
	return n;
}

/* First sentence of a YANG description, for one-line help. */
static char *
short_help(const char *dsc)
{
	size_t n;
	char *s, *q;

	if (!dsc)
		return strdup("");
	n = strcspn(dsc, ".\n");
	s = strndup(dsc, n);
	if (!s)
		return NULL;
	for (q = s; *q; q++)
		if (*q == '\t')
			*q = ' ';
	return s;
}

static const char *
ext_arg(const struct lysc_node *sn, const char *name)
{
	LY_ARRAY_COUNT_TYPE u;

	LY_ARRAY_FOR(sn->exts, u)
	{
		const struct lysc_ext *def = sn->exts[u].def;

		if (strcmp(def->module->name, "cairn-extensions") == 0 &&
		    strcmp(def->name, name) == 0)
			return sn->exts[u].argument;
	}
	return NULL;
}

static int
add_choice_array(struct op_node *n, struct arg_choice *a)
{
	struct arg_choice **v = realloc(n->choices, (n->nchoices + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	n->choices = v;
	n->choices[n->nchoices++] = a;
	return 0;
}

/* One argument from an RPC input leaf. */
static int
spec_from_leaf(struct op_node *n, const struct lysc_node *leaf, const char *positional,
    unsigned group, struct arg_spec *s)
{
	const struct lysc_type *t = ((const struct lysc_node_leaf *)leaf)->type;
	LY_ARRAY_COUNT_TYPE u;

	memset(s, 0, sizeof(*s));
	s->name = leaf->name;
	s->help = leaf->dsc ? leaf->dsc : "";
	s->value_name = leaf->name;
	s->value_help = s->help;
	s->group = group;
	s->required = (leaf->flags & LYS_MAND_TRUE) != 0;
	s->kind = ARG_KEYVAL;
	if (t->basetype == LY_TYPE_EMPTY)
		s->kind = ARG_FLAG;
	else if (positional && strcmp(positional, leaf->name) == 0)
		s->kind = ARG_POS;
	s->type = ARGT_STRING;
	switch (t->basetype) {
	case LY_TYPE_UINT8:
	case LY_TYPE_UINT16:
	case LY_TYPE_UINT32:
	case LY_TYPE_UINT64: {
		const struct lysc_type_num *tn = (const struct lysc_type_num *)t;

		s->type = ARGT_UINT;
		s->min = 0;
		s->max = t->basetype == LY_TYPE_UINT8    ? UINT8_MAX
		         : t->basetype == LY_TYPE_UINT16 ? UINT16_MAX
		         : t->basetype == LY_TYPE_UINT32 ? UINT32_MAX
		                                         : UINT64_MAX;
		if (tn->range && LY_ARRAY_COUNT(tn->range->parts)) {
			s->min = tn->range->parts[0].min_u64;
			s->max = tn->range->parts[LY_ARRAY_COUNT(tn->range->parts) - 1].max_u64;
		}
		break;
	}
	case LY_TYPE_ENUM: {
		const struct lysc_type_enum *te = (const struct lysc_type_enum *)t;
		struct arg_choice *a = calloc(LY_ARRAY_COUNT(te->enums) + 1, sizeof(*a));

		if (!a || add_choice_array(n, a) < 0) {
			free(a);
			return -ENOMEM;
		}
		LY_ARRAY_FOR(te->enums, u)
		{
			a[u].name = te->enums[u].name;
			a[u].help = te->enums[u].dsc ? te->enums[u].dsc : "";
		}
		s->type = ARGT_CHOICE;
		s->choices = a;
		break;
	}
	case LY_TYPE_BOOL: {
		static const struct arg_choice tf[] = { { "false", "" }, { "true", "" },
			{ NULL, NULL } };

		s->type = ARGT_CHOICE;
		s->choices = tf;
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Arguments of a command from its RPC's input leaves (choices make groups). */
static int
spec_from_rpc(struct op_node *n, const struct lysc_node *rpc, const char *positional)
{
	const struct lysc_node_action *act = (const struct lysc_node_action *)rpc;
	const struct lysc_node *sn, *cs, *leaf;
	unsigned group = 0;
	int rc = 0;

	n->spec = calloc(ARGS_MAX, sizeof(*n->spec));
	if (!n->spec)
		return -ENOMEM;
	LY_LIST_FOR(act->input.child, sn)
	{
		if (n->nspec == ARGS_MAX)
			break;
		if (sn->nodetype == LYS_LEAF) {
			rc = spec_from_leaf(n, sn, positional, 0, &n->spec[n->nspec++]);
		} else if (sn->nodetype == LYS_CHOICE) {
			group++;
			LY_LIST_FOR(lysc_node_child(sn), cs)
			{
				LY_LIST_FOR(lysc_node_child(cs), leaf)
				{
					if (leaf->nodetype == LYS_LEAF && n->nspec < ARGS_MAX)
						rc = spec_from_leaf(n, leaf, positional, group,
						    &n->spec[n->nspec++]);
				}
			}
		}
		if (rc < 0)
			break;
	}
	return rc;
}

static int
attach(struct cli *c, struct op_node *root, const struct op_cmd *cmd, struct op_cmd *own)
{
	struct op_node *n;
	const struct lysc_node *rpc = NULL;

	if (cmd->rpc) {
		rpc = rpc_schema(c, cmd->rpc);
		if (!rpc)
			return 0; /* the schema lacks it: no such command here */
	}
	n = node_path(root, cmd->words, true);
	if (!n)
		return -ENOMEM;
	if (n->cmd)
		return 0; /* the first entry wins */
	n->cmd = cmd;
	n->own_cmd = own;
	free(n->help);
	n->help = strdup(cmd->help ? cmd->help : "");
	if (!n->help)
		return -ENOMEM;
	if (rpc && !cmd->args && !(cmd->flags & OPF_CFGPATH))
		return spec_from_rpc(n, rpc, cmd->positional);
	return 0;
}

/* RPCs that name their own command words (cairn-extensions:cli-command). */
static int
attach_schema_commands(struct cli *c, struct op_node *root)
{
	const struct lys_module *mod;
	uint32_t idx = 0;
	int rc = 0;

	while ((mod = ly_ctx_get_module_iter(c->ly, &idx)) && rc == 0) {
		const struct lysc_node *sn;

		if (!mod->implemented || !mod->compiled)
			continue;
		LY_LIST_FOR((const struct lysc_node *)mod->compiled->rpcs, sn)
		{
			const char *words = ext_arg(sn, "cli-command");
			struct op_cmd *own;
			char name[256];

			if (!words)
				continue;
			snprintf(name, sizeof(name), "%s:%s", mod->name, sn->name);
			own = calloc(1, sizeof(*own));
			if (!own)
				return -ENOMEM;
			own->words = strdup(words);
			own->help = short_help(sn->dsc);
			own->rpc = strdup(name);
			own->flags = OPF_PIPE_DATA;
			if (!own->words || !own->help || !own->rpc) {
				free((char *)own->words);
				free((char *)own->help);
				free((char *)own->rpc);
				free(own);
				return -ENOMEM;
			}
			rc = attach(c, root, own, own);
			if (rc < 0 || node_path(root, own->words, false)->own_cmd != own) {
				/* not attached: an entry of the table already has
				 * these words */
				free((char *)own->words);
				free((char *)own->help);
				free((char *)own->rpc);
				free(own);
			}
			if (rc < 0)
				break;
		}
	}
	return rc;
}

int
optab_init(struct cli *c)
{
	struct op_node *root = calloc(1, sizeof(*root));
	size_t i;
	int rc = 0;

	if (!root)
		return -ENOMEM;
	for (i = 0; i < sizeof(op_cmds) / sizeof(op_cmds[0]) && rc == 0; i++)
		rc = attach(c, root, &op_cmds[i], NULL);
	if (rc == 0)
		rc = attach_schema_commands(c, root);
	for (i = 0; i < sizeof(op_word_help) / sizeof(op_word_help[0]) && rc == 0; i++) {
		struct op_node *n = node_path(root, op_word_help[i].words, false);

		if (n && !n->cmd) {
			free(n->help);
			n->help = strdup(op_word_help[i].help);
			if (!n->help)
				rc = -ENOMEM;
		}
	}
	if (rc < 0) {
		node_free(root);
		return rc;
	}
	c->optree = root;
	return 0;
}

void
optab_fini(struct cli *c)
{
	node_free(c->optree);
	c->optree = NULL;
}

/* --- walking ------------------------------------------------------------------- */

static void
kid_cands(const struct op_node *n, struct cands *cs)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		cands_add(cs, CAND_KEYWORD, n->kids[i]->word, n->kids[i]->help);
}

/*
 * Walks the command words in [first, end): *node is the deepest node
 * reached, *next the first word that is not a command word.
 */
static int
resolve(const struct op_node *root, const struct cli_words *ws, size_t first, size_t end,
    const struct op_node **node, size_t *next, struct cli_err *err)
{
	const struct op_node *n = root;
	size_t i, k;

	for (i = first; i < end; i++) {
		const struct cli_word *w = &ws->w[i];
		const struct cand *hit;
		struct cands cs;
		bool amb;

		cands_init(&cs);
		kid_cands(n, &cs);
		hit = w->quoted ? NULL : cands_match_keyword(&cs, w->s, &amb);
		if (!w->quoted && amb) {
			cli_err_set(err, CERR_AMBIGUOUS, w->off, w->s);
			cands_filter(&cs, w->s);
			cands_sort(&cs);
			cands_free(&err->amb);
			err->amb = cs;
			return -EINVAL;
		}
		if (!hit) {
			cands_free(&cs);
			if (n->cmd)
				break;
			return cli_err_set(
			    err, i == first ? CERR_UNKNOWN_COMMAND : CERR_EXPECTING, w->off, NULL);
		}
		for (k = 0; k < n->nkids; k++)
			if (strcmp(n->kids[k]->word, hit->tok) == 0)
				n = n->kids[k];
		cands_free(&cs);
	}
	*node = n;
	*next = i;
	return 0;
}

static const struct arg_spec *
node_spec(const struct op_node *n, size_t *nspec)
{
	if (n->spec) {
		*nspec = n->nspec;
		return n->spec;
	}
	*nspec = n->cmd->nargs;
	return n->cmd->args;
}

static unsigned
pipe_allow(const struct op_cmd *cmd)
{
	unsigned allow = 0;

	if (cmd->flags & OPF_PIPE_CFG)
		allow |= PIPES_DISPLAY_SET | PIPES_DISPLAY_DATA;
	if (cmd->flags & OPF_PIPE_DATA)
		allow |= PIPES_DISPLAY_DATA;
	return allow;
}

static size_t
stage0_end(const struct cli_words *ws)
{
	return ws->nstage > 1 ? ws->stage[1] : ws->n;
}

static int
call_rpc(struct cli *c, struct op_call *call)
{
	struct lyd_node *rpc, *reply = NULL;
	size_t i;
	int rc = 0;

	rpc = rpc_new(c, call->cmd->rpc);
	if (!rpc)
		return -EINVAL;
	for (i = 0; i < call->nspec && rc == 0; i++) {
		if (!call->vals.v[i])
			continue;
		rc = rpc_add(c, rpc, call->spec[i].name,
		    call->spec[i].kind == ARG_FLAG ? NULL : call->vals.v[i]);
	}
	if (rc == 0 && call->cmd->format_json && call->pipes.display != DISPLAY_JSON &&
	    call->pipes.display != DISPLAY_XML &&
	    (!call->cmd->json_ok || call->cmd->json_ok(call))) {
		char *json = NULL;
		size_t len = 0;

		rc = rpc_call_raw(c, rpc, &json, &len);
		if (rc == 0)
			rc = call->cmd->format_json(c, call, json, len);
		free(json);
		lyd_free_all(rpc);
		return rc;
	}
	if (rc == 0)
		rc = rpc_call(c, rpc, &reply);
	if (rc == 0) {
		if (call->pipes.display == DISPLAY_JSON || call->pipes.display == DISPLAY_XML)
			rc = fmt_tree(c, reply, call->pipes.display == DISPLAY_JSON);
		else if (call->cmd->format)
			rc = call->cmd->format(c, call, reply);
		else
			rc = fmt_generic(c, call, reply);
	}
	lyd_free_all(rpc);
	lyd_free_all(reply);
	return rc;
}

int
op_exec(struct cli *c, const struct cli_words *ws, size_t first)
{
	const struct op_node *n;
	struct op_call call;
	struct cli_err err;
	size_t end = stage0_end(ws), next;
	int rc;

	memset(&call, 0, sizeof(call));
	cli_err_init(&err);
	pipes_init(&call.pipes);
	if ((rc = resolve(c->optree, ws, first, end, &n, &next, &err)) < 0)
		goto fail;
	if (!n->cmd) {
		size_t off = end > first ? ws->w[end - 1].end + 1 : 0;

		rc = cli_err_set(&err, CERR_EXPECTING, off, NULL);
		goto fail;
	}
	call.cmd = n->cmd;
	call.ws = ws;
	call.args_first = next;
	call.args_count = end - next;
	call.spec = node_spec(n, &call.nspec);
	if (call.cmd->flags & OPF_CFGPATH) {
		struct cli_path top = { NULL, 0 };

		rc = sch_check(c, CFG_CMD_SHOW, &top, ws, next, end - next, &err);
	} else {
		rc = args_parse(
		    call.spec, call.nspec, ARGS_CTX_OP, ws, next, end - next, &call.vals, &err);
	}
	if (rc < 0)
		goto fail;
	if ((rc = pipes_parse(ws, pipe_allow(call.cmd), &call.pipes, &err)) < 0)
		goto fail;
	if (call.cmd->run)
		rc = call.cmd->run(c, &call);
	else
		rc = call_rpc(c, &call);
	if (c->out.len)
		cli_flush(c, &call.pipes);
	goto out;
fail:
	rc = cli_print_err(c, &err);
out:
	pipes_free(&call.pipes);
	cli_err_fini(&err);
	return rc;
}

bool
op_complete(struct cli *c, const struct cli_words *ws, size_t first, size_t count, struct cands *cs,
    struct cli_err *err)
{
	const struct op_node *n;
	size_t end = stage0_end(ws), next, nspec;
	const struct arg_spec *spec;
	bool ok;

	if (ws->nstage > 1) {
		/* in a pipe: the command must be whole */
		if (resolve(c->optree, ws, first, end, &n, &next, err) < 0)
			return false;
		if (!n->cmd) {
			cli_err_set(err, CERR_EXPECTING, ws->pipe_off[1], NULL);
			return false;
		}
		return pipes_complete(ws, ws->nstage - 1, count - ws->stage[ws->nstage - 1],
		    pipe_allow(n->cmd), cs, err);
	}
	if (resolve(c->optree, ws, first, count, &n, &next, err) < 0)
		return false;
	if (next == count)
		kid_cands(n, cs);
	if (!n->cmd)
		return true;
	if (n->cmd->flags & OPF_CFGPATH) {
		struct cli_path top = { NULL, 0 };

		ok = sch_complete(
		    c, CFG_CMD_SHOW, &top, ws, next, count - next, SCH_RUNNING, cs, err);
		if (ok && next == count)
			cands_add(cs, CAND_ENTER, "<[Enter]>", "Execute this command");
	} else {
		spec = node_spec(n, &nspec);
		ok = args_complete(spec, nspec, ARGS_CTX_OP, ws, next, count - next, true, cs, err);
	}
	if (!ok)
		return false;
	if (cands_has_kind(cs, CAND_ENTER))
		cands_add(cs, CAND_PIPE, "|", "Pipe through a command");
	return true;
}

/* --- generic formatter ------------------------------------------------------- */

static void
gen_node(struct cli *c, const struct lyd_node *n, unsigned indent)
{
	const struct lyd_node *k;

	LY_LIST_FOR(n, k)
	{
		if (k->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)) {
			cli_printf(
			    c, "%*s%s: %s\n", (int)indent, "", k->schema->name, lyd_get_value(k));
		} else {
			cli_printf(c, "%*s%s:\n", (int)indent, "", k->schema->name);
			gen_node(c, lyd_child(k), indent + 2);
		}
	}
}

int
fmt_generic(struct cli *c, struct op_call *call, const struct lyd_node *reply)
{
	(void)call;
	if (reply)
		gen_node(c, lyd_child(reply), 0);
	return 0;
}
