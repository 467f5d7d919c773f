/* SPDX-License-Identifier: MIT */
/*
 * paths: where one Cairn instance keeps its sockets, state and schema.
 *
 * Everything hangs off a root (--root DIR, else $CAIRN_ROOT, else "/"):
 *   DIR/run/cairn/         sockets (mgd.sock)
 *   DIR/var/lib/cairn/     state (running configuration, history, ...)
 * so several appliances run side by side, one per network namespace.
 * The YANG directory is $CAIRN_YANG_DIR, else <exe>/../share/cairn/yang
 * when it exists (the build tree, or an install prefix), else the
 * compiled-in install path.
 */
#ifndef CAIRN_PATHS_H
#define CAIRN_PATHS_H

#include <limits.h>

struct cairn_paths {
	char root[PATH_MAX];
	char run_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char yang_dir[PATH_MAX];
	char mgd_sock[PATH_MAX];
};

/* root_flag: the --root argument or NULL. 0 or -errno (-ENAMETOOLONG). */
int cairn_paths_init(struct cairn_paths *p, const char *root_flag);

/* Creates run_dir and state_dir. 0 or -errno. */
int cairn_paths_mkdirs(const struct cairn_paths *p);

#endif
