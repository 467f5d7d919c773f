/* SPDX-License-Identifier: MIT */
/*
 * schema: the configuration grammar, generated at run time from the YANG
 * schema by cairn-conf's walker (cfg_walk.h), plus live values from mgd.
 * Nothing here names a statement: a leaf added to yang/ is settable,
 * completable and showable without a change to the shell.
 */
#ifndef CAIRN_CLI_SCHEMA_H
#define CAIRN_CLI_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "cands.h"
#include "cfg_walk.h"
#include "err.h"
#include "errbuf.h"
#include "words.h"

struct cli;
struct cli_path;
struct cfg_schema;
struct ly_ctx;

/* Loads every module of dir. 0 or -errno with err set. */
int schema_load(const char *dir, struct cfg_schema **s, struct ly_ctx **ctx, struct errbuf *err);

/* Where live values come from: the session's candidate (configuration
 * mode) or the running configuration (show configuration). */
enum sch_store {
	SCH_CANDIDATE,
	SCH_RUNNING,
};

/*
 * Candidates for the word after words [first, first+count) of ws, all of
 * them path words of command cmd, relative to the edit path base. Adds
 * live values (existing entries, leafref targets) from mgd.
 * false with err set (caret in the line) when those words do not parse.
 */
bool sch_complete(struct cli *c, enum cfg_cmd cmd, const struct cli_path *base,
    const struct cli_words *ws, size_t first, size_t count, enum sch_store store, struct cands *cs,
    struct cli_err *err);

/*
 * Checks words [first, first+count) as a whole statement of cmd (what a
 * caret can point at: unknown or ambiguous keywords, values, missing
 * arguments). 0 or -EINVAL with err set.
 */
int sch_check(struct cli *c, enum cfg_cmd cmd, const struct cli_path *base,
    const struct cli_words *ws, size_t first, size_t count, struct cli_err *err);

/* `edit`: the canonical path for words [first, first+count) below base,
 * into out (replaced). 0 or -EINVAL with err set. */
int sch_edit_path(struct cli *c, const struct cli_path *base, const struct cli_words *ws,
    size_t first, size_t count, struct cli_path *out, struct cli_err *err);

/* `up N`: the level n above p, into out. 0 or -errno. */
int sch_up(struct cli *c, const struct cli_path *p, unsigned n, struct cli_path *out);

/* The text of words [first, first+count) as typed (for RPCs). */
void sch_words_text(const struct cli_words *ws, size_t first, size_t count, struct buf *b);

#endif
