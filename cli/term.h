/* SPDX-License-Identifier: MIT */
/*
 * term: the interactive terminal. GNU readline edits the line (Emacs
 * keys, history on the arrows) through its callback interface, so that
 * one poll loop also serves Ctrl-C, window resizes and mgd's broadcast
 * messages. `?`, TAB and space are bound to the shell's own help and
 * completion (cli_complete), which render Junos-style lists.
 */
#ifndef CAIRN_CLI_TERM_H
#define CAIRN_CLI_TERM_H

struct cli;

/* Runs the interactive session until exit/quit or Ctrl-D. Returns the
 * process exit status. */
int term_run(struct cli *c);

/* Reads one line typed at the terminal in canonical mode (load ...
 * terminal): 1 with the line in *line (malloc'd, no newline), 0 at
 * Ctrl-D on an empty line, -1 on Ctrl-C or error. */
int term_read_raw_line(struct cli *c, char **line);

#endif
