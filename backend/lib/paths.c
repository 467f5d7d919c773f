/* SPDX-License-Identifier: MIT */
/* paths: per-instance directories derived from one root. */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "banned.h"

#ifndef CAIRN_YANG_INSTALL_DIR
#define CAIRN_YANG_INSTALL_DIR "/usr/share/cairn/yang"
#endif

static int
join(char *dst, size_t len, const char *root, const char *rel)
{
	size_t rl = strlen(root);
	int n;

	/* "/" + "/run/cairn" must not become "//run/cairn" */
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0;
	n = snprintf(dst, len, "%.*s%s", (int)rl, root, rel);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static void
find_yang_dir(char *dst, size_t len)
{
	const char *env = getenv("CAIRN_YANG_DIR");
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	struct stat st;
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(dst, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/../share/cairn/yang", exe);
			if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode) &&
			    realpath(cand, exe) != NULL) {
				snprintf(dst, len, "%.*s", (int)(len - 1), exe);
				return;
			}
		}
	}
	snprintf(dst, len, "%s", CAIRN_YANG_INSTALL_DIR);
}

int
cairn_paths_init(struct cairn_paths *p, const char *root_flag)
{
	const char *root = root_flag;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!root || !*root)
		root = getenv("CAIRN_ROOT");
	if (!root || !*root)
		root = "/";
	if ((size_t)snprintf(p->root, sizeof(p->root), "%s", root) >= sizeof(p->root))
		return -ENAMETOOLONG;
	if ((rc = join(p->run_dir, sizeof(p->run_dir), root, "/run/cairn")) < 0 ||
	    (rc = join(p->state_dir, sizeof(p->state_dir), root, "/var/lib/cairn")) < 0 ||
	    (rc = join(p->mgd_sock, sizeof(p->mgd_sock), root, "/run/cairn/mgd.sock")) < 0)
		return rc;
	find_yang_dir(p->yang_dir, sizeof(p->yang_dir));
	return 0;
}

int
cairn_paths_mkdirs(const struct cairn_paths *p)
{
	int rc;

	if ((rc = fs_mkdir_p(p->run_dir, 0755)) < 0)
		return rc;
	return fs_mkdir_p(p->state_dir, 0750);
}
