/* SPDX-License-Identifier: MIT */
/*
 * hist: the commands of this session with the time each was entered,
 * for `show cli history` ("HH:MM:SS -- command"). Kept apart from
 * readline's own history (which serves the arrow keys) so that script
 * mode has it too.
 */
#ifndef CAIRN_CLI_HIST_H
#define CAIRN_CLI_HIST_H

#include <stddef.h>
#include <time.h>

struct buf;

struct cli_hist;

struct cli_hist *cli_hist_new(size_t max);
void cli_hist_free(struct cli_hist *h);
/* Records line (not stored when empty). 0 or -ENOMEM. */
int cli_hist_add(struct cli_hist *h, const char *line, time_t when);
/* Appends the last `last` entries (0: all) as "HH:MM:SS -- line\n". */
void cli_hist_render(const struct cli_hist *h, size_t last, struct buf *out);
size_t cli_hist_count(const struct cli_hist *h);

#endif
