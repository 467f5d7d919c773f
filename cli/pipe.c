/* SPDX-License-Identifier: MIT */
/* pipe: parsing, completion and application of `| ...` stages. */
#include "pipe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "buf.h"
#include "banned.h"

enum pipe_cmd {
	PC_COUNT,
	PC_DISPLAY,
	PC_EXCEPT,
	PC_FIND,
	PC_LAST,
	PC_MATCH,
	PC_NOMORE,
	PC_COMPARE,
};

static const struct arg_spec pattern_args[] = {
	{ .kind = ARG_POS,
	    .name = "pattern",
	    .help = "Pattern to match (regular expression)",
	    .type = ARGT_REGEX,
	    .required = true },
};

static const struct arg_spec last_args[] = {
	{ .kind = ARG_POS,
	    .name = "lines",
	    .help = "Number of lines to display from end",
	    .type = ARGT_UINT,
	    .min = 1,
	    .max = 100000 },
};

static const struct arg_choice display_set[] = {
	{ "set", "Show 'set' commands that create configuration" },
	{ NULL, NULL },
};
static const struct arg_choice display_data[] = {
	{ "json", "Show output in JSON format" },
	{ "xml", "Show output in XML format" },
	{ NULL, NULL },
};
static const struct arg_choice display_all[] = {
	{ "json", "Show output in JSON format" },
	{ "set", "Show 'set' commands that create configuration" },
	{ "xml", "Show output in XML format" },
	{ NULL, NULL },
};

static const struct arg_spec compare_args[] = {
	{ .kind = ARG_KEYVAL,
	    .name = "rollback",
	    .help = "Compare with a rollback configuration",
	    .type = ARGT_UINT,
	    .value_name = "number",
	    .value_help = "Rollback number (0..49)",
	    .min = 0,
	    .max = 49 },
};

struct pipe_cmd_def {
	const char *name;
	const char *help;
	enum pipe_cmd cmd;
	unsigned needs; /* PIPES_* flag the command must allow; 0: always */
};

static const struct pipe_cmd_def pipe_cmds[] = {
	{ "compare", "Compare configuration changes with prior version", PC_COMPARE,
	    PIPES_COMPARE },
	{ "count", "Count occurrences", PC_COUNT, 0 },
	{ "display", "Show additional kinds of information", PC_DISPLAY,
	    PIPES_DISPLAY_SET | PIPES_DISPLAY_DATA },
	{ "except", "Show only text that does not match a pattern", PC_EXCEPT, 0 },
	{ "find", "Search for first occurrence of pattern", PC_FIND, 0 },
	{ "last", "Display end of output only", PC_LAST, 0 },
	{ "match", "Show only text that matches a pattern", PC_MATCH, 0 },
	{ "no-more", "Don't paginate output", PC_NOMORE, 0 },
};

#define NPIPE_CMDS (sizeof(pipe_cmds) / sizeof(pipe_cmds[0]))

static void
cmd_cands(unsigned allow, struct cands *cs)
{
	size_t i;

	for (i = 0; i < NPIPE_CMDS; i++)
		if (pipe_cmds[i].needs == 0 || (pipe_cmds[i].needs & allow))
			cands_add(cs, CAND_KEYWORD, pipe_cmds[i].name, pipe_cmds[i].help);
}

/* The argument grammar of a pipe command (display depends on allow). */
static void
cmd_args(enum pipe_cmd cmd, unsigned allow, struct arg_spec *tmp, const struct arg_spec **spec,
    size_t *nspec)
{
	*spec = NULL;
	*nspec = 0;
	switch (cmd) {
	case PC_MATCH:
	case PC_EXCEPT:
	case PC_FIND:
		*spec = pattern_args;
		*nspec = 1;
		break;
	case PC_LAST:
		*spec = last_args;
		*nspec = 1;
		break;
	case PC_COMPARE:
		*spec = compare_args;
		*nspec = 1;
		break;
	case PC_DISPLAY:
		memset(tmp, 0, sizeof(*tmp));
		tmp->kind = ARG_POS;
		tmp->name = "format";
		tmp->help = "Output format";
		tmp->type = ARGT_CHOICE;
		tmp->required = true;
		if ((allow & PIPES_DISPLAY_SET) && (allow & PIPES_DISPLAY_DATA))
			tmp->choices = display_all;
		else if (allow & PIPES_DISPLAY_SET)
			tmp->choices = display_set;
		else
			tmp->choices = display_data;
		*spec = tmp;
		*nspec = 1;
		break;
	case PC_COUNT:
	case PC_NOMORE:
		break;
	}
}

/* Resolves the first word of a stage to a pipe command. */
static int
stage_cmd(const struct cli_words *ws, size_t first, unsigned allow, enum pipe_cmd *cmd,
    struct cli_err *err)
{
	struct cands cs;
	const struct cand *hit;
	bool amb;
	size_t i;
	int rc = 0;

	cands_init(&cs);
	cmd_cands(allow, &cs);
	hit = cands_match_keyword(&cs, ws->w[first].s, &amb);
	if (amb) {
		rc = cli_err_set(err, CERR_AMBIGUOUS, ws->w[first].off, ws->w[first].s);
		cands_filter(&cs, ws->w[first].s);
		cands_sort(&cs);
		cands_free(&err->amb);
		err->amb = cs;
		return rc;
	}
	if (!hit) {
		rc = cli_err_set(err, CERR_SYNTAX, ws->w[first].off, NULL);
	} else {
		for (i = 0; i < NPIPE_CMDS; i++)
			if (strcmp(pipe_cmds[i].name, hit->tok) == 0)
				*cmd = pipe_cmds[i].cmd;
	}
	cands_free(&cs);
	return rc;
}

int
pipe_regcomp(regex_t *re, const char *pattern)
{
	const char *p;
	bool prev_rep = false;

	if (strlen(pattern) > 1024)
		return -EINVAL;
	for (p = pattern; *p; p++) {
		bool rep = (*p == '*' || *p == '+' || *p == '?' || *p == '{');

		if (*p == '\\' && p[1]) {
			p++;
			prev_rep = false;
			continue;
		}
		if (rep && prev_rep)
			return -EINVAL;
		if (*p == '{') {
			/* skip the bound; what follows it counts as after a repetition */
			while (*p && *p != '}')
				p++;
			if (!*p)
				break;
		}
		prev_rep = rep;
	}
	if (regcomp(re, pattern, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
		return -EINVAL;
	return 0;
}

void
pipes_init(struct pipes *p)
{
	memset(p, 0, sizeof(*p));
}

void
pipes_free(struct pipes *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->f[i].kind == PIPE_MATCH || p->f[i].kind == PIPE_EXCEPT ||
		    p->f[i].kind == PIPE_FIND)
			regfree(&p->f[i].re);
	memset(p, 0, sizeof(*p));
}

int
pipes_parse(const struct cli_words *ws, unsigned allow, struct pipes *p, struct cli_err *err)
{
	size_t s, first, count;
	int rc;

	pipes_init(p);
	for (s = 1; s < ws->nstage; s++) {
		struct arg_spec tmp;
		const struct arg_spec *spec;
		size_t nspec;
		struct arg_vals vals;
		enum pipe_cmd cmd = PC_COUNT;
		struct pipe_filter *f;
		const char *v;

		cli_words_stage(ws, s, &first, &count);
		if (count == 0)
			return cli_err_set(err, CERR_MISSING, ws->pipe_off[s] + 2, NULL);
		if ((rc = stage_cmd(ws, first, allow, &cmd, err)) < 0)
			return rc;
		cmd_args(cmd, allow, &tmp, &spec, &nspec);
		rc = args_parse(spec, nspec, ARGS_CTX_OP, ws, first + 1, count - 1, &vals, err);
		if (rc < 0)
			return rc;
		switch (cmd) {
		case PC_NOMORE:
			p->no_more = true;
			continue;
		case PC_DISPLAY:
			v = vals.v[0];
			p->display = strcmp(v, "set") == 0    ? DISPLAY_SET
			             : strcmp(v, "json") == 0 ? DISPLAY_JSON
			                                      : DISPLAY_XML;
			continue;
		case PC_COMPARE:
			p->compare = true;
			v = vals.v[0];
			p->compare_rollback = v ? (unsigned)strtoul(v, NULL, 10) : 0;
			continue;
		default:
			break;
		}
		if (p->n == sizeof(p->f) / sizeof(p->f[0]))
			return cli_err_set(err, CERR_SYNTAX, ws->w[first].off, NULL);
		f = &p->f[p->n];
		memset(f, 0, sizeof(*f));
		switch (cmd) {
		case PC_MATCH:
		case PC_EXCEPT:
		case PC_FIND:
			f->kind = cmd == PC_MATCH    ? PIPE_MATCH
			          : cmd == PC_EXCEPT ? PIPE_EXCEPT
			                             : PIPE_FIND;
			if (pipe_regcomp(&f->re, vals.v[0]) < 0)
				return cli_err_text(err, ws->w[vals.at[0]].off,
				    "error: invalid regular expression: '%s'", vals.v[0]);
			break;
		case PC_COUNT:
			f->kind = PIPE_COUNT;
			break;
		case PC_LAST:
			f->kind = PIPE_LAST;
			f->n = vals.v[0] ? (unsigned)strtoul(vals.v[0], NULL, 10) : 0;
			break;
		default:
			break;
		}
		p->n++;
	}
	return 0;
}

bool
pipes_complete(const struct cli_words *ws, size_t stage, size_t count, unsigned allow,
    struct cands *cs, struct cli_err *err)
{
	size_t first, all;
	enum pipe_cmd cmd = PC_COUNT;
	struct arg_spec tmp;
	const struct arg_spec *spec;
	size_t nspec;

	cli_words_stage(ws, stage, &first, &all);
	if (count == 0) {
		cmd_cands(allow, cs);
		return true;
	}
	if (stage_cmd(ws, first, allow, &cmd, err) < 0)
		return false;
	cmd_args(cmd, allow, &tmp, &spec, &nspec);
	if (!args_complete(spec, nspec, ARGS_CTX_OP, ws, first + 1, count - 1, true, cs, err))
		return false;
	if (cands_has_kind(cs, CAND_ENTER))
		cands_add(cs, CAND_PIPE, "|", "Pipe through a command");
	return true;
}

/* One pass of a filter over lines; returns the new text. */
static void
apply_one(const struct pipe_filter *f, const char *text, size_t len, unsigned last_default,
    struct buf *out)
{
	const char *p = text, *end = text + len;
	size_t nlines = 0, skip = 0, idx = 0;
	bool found = false;
	unsigned last = f->n ? f->n : last_default;

	if (f->kind == PIPE_LAST) {
		const char *q;

		for (q = text; q < end; q++)
			if (*q == '\n')
				nlines++;
		if (len && end[-1] != '\n')
			nlines++;
		skip = nlines > last ? nlines - last : 0;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, ll);
		bool keep = true;

		if (!line) {
			out->failed = true;
			return;
		}
		switch (f->kind) {
		case PIPE_MATCH:
			keep = regexec(&f->re, line, 0, NULL, 0) == 0;
			break;
		case PIPE_EXCEPT:
			keep = regexec(&f->re, line, 0, NULL, 0) != 0;
			break;
		case PIPE_FIND:
			if (!found)
				found = regexec(&f->re, line, 0, NULL, 0) == 0;
			keep = found;
			break;
		case PIPE_LAST:
			keep = idx >= skip;
			break;
		case PIPE_COUNT:
			keep = false;
			nlines++;
			break;
		}
		free(line);
		if (keep) {
			buf_append(out, p, ll);
			buf_putc(out, '\n');
		}
		idx++;
		p = nl ? nl + 1 : end;
	}
	if (f->kind == PIPE_COUNT)
		buf_printf(out, "Count: %zu lines\n", nlines);
}

void
pipes_apply(const struct pipes *p, const char *text, size_t len, struct buf *out)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t i;

	buf_append(&a, text, len);
	for (i = 0; i < p->n; i++) {
		buf_reset(&b);
		apply_one(&p->f[i], buf_str(&a), a.len, 24, &b);
		buf_reset(&a);
		buf_append(&a, buf_str(&b), b.len);
	}
	buf_append(out, buf_str(&a), a.len);
	buf_free(&a);
	buf_free(&b);
}
