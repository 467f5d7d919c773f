/* SPDX-License-Identifier: MIT */
/*
 * pager: writes a command's output to the terminal a screen at a time,
 * pausing at "---(more)---" as Junos does. Keys at the prompt: space
 * (next screen), Enter (next line), q or Ctrl-C (stop), G (rest without
 * pausing), N (no more paging for this output).
 */
#ifndef CAIRN_CLI_PAGER_H
#define CAIRN_CLI_PAGER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PAGER_PROMPT "---(more)---"

struct pager_opts {
	unsigned rows; /* screen length; 0: no paging */
	unsigned cols; /* screen width (line wrapping); 0: 80 */
	int key_fd;    /* where keys are read (the terminal) */
	FILE *out;
	volatile sig_atomic_t *interrupted; /* may be NULL */
};

/* Writes text[0..len). Returns true if it was all written, false if the
 * operator stopped it. */
bool pager_write(const struct pager_opts *o, const char *text, size_t len);

/* Reads one key from fd with the terminal in non-canonical mode, no
 * echo, no signals (Ctrl-C arrives as 0x03). -1 on EOF or error. */
int pager_getkey(int fd);

#endif
