/* SPDX-License-Identifier: MIT */
/*
 * acct: Linux accounts for Cairn's login users, made with the passwd
 * package's tools, and the record of the accounts Cairn created.
 */
#include "acct.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "banned.h"

#define RECORD_MAX (1u << 20)
#define TOOL_OUT   1024

struct acct {
	struct acct_cfg cfg;
	gid_t gid;
	struct acct_rec *recs;
	size_t n;
};

/* ---- the record ---- */

int
acct_rec_parse(const char *text, size_t len, struct acct_rec **recs, size_t *n, struct errbuf *err)
{
	struct acct_rec *v = NULL, *nv;
	size_t cnt = 0, cap = 0, line = 0, i = 0, e, sp;
	unsigned long uid;
	char name[SYSD_NAME_MAX + 1], num[16], *end;
	int rc = 0;

	while (i < len) {
		line++;
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		if (e == i || text[i] == '#')
			goto next;
		/* "NAME UID" or "NAME -" */
		for (sp = i; sp < e && text[sp] != ' '; sp++)
			;
		if (sp == e || sp - i > SYSD_NAME_MAX || e - sp - 1 == 0 ||
		    e - sp - 1 >= sizeof(num)) {
			rc = errbuf_set(err, -EBADMSG, "line %zu: expected 'NAME UID'", line);
			goto out;
		}
		memcpy(name, text + i, sp - i);
		name[sp - i] = '\0';
		memcpy(num, text + sp + 1, e - sp - 1);
		num[e - sp - 1] = '\0';
		if (acctname_check(name, NULL) < 0 || !strcmp(name, "root")) {
			rc = errbuf_set(err, -EBADMSG, "line %zu: bad account name", line);
			goto out;
		}
		if (!strcmp(num, "-")) {
			uid = 0;
		} else {
			errno = 0;
			uid = strtoul(num, &end, 10);
			if (errno || *end || num[0] < '1' || num[0] > '9' || uid > UINT32_MAX - 1) {
				rc = errbuf_set(err, -EBADMSG, "line %zu: bad uid", line);
				goto out;
			}
		}
		for (size_t k = 0; k < cnt; k++)
			if (!strcmp(v[k].name, name)) {
				rc = errbuf_set(err, -EBADMSG, "line %zu: '%s' twice", line, name);
				goto out;
			}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = errbuf_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		memset(&v[cnt], 0, sizeof(v[cnt]));
		snprintf(v[cnt].name, sizeof(v[cnt].name), "%s", name);
		v[cnt].uid = (uint32_t)uid;
		cnt++;
	next:
		i = e + 1;
	}
out:
	if (rc < 0) {
		free(v);
		return rc;
	}
	free(*recs);
	*recs = v;
	*n = cnt;
	return 0;
}

char *
acct_rec_format(const struct acct_rec *recs, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_puts(&b, "# cairn-sysd: the accounts Cairn created (name uid; - while being created).\n"
	             "# Accounts not listed here are never modified. Do not edit.\n");
	for (i = 0; i < n; i++) {
		if (recs[i].uid)
			buf_printf(&b, "%s %u\n", recs[i].name, (unsigned)recs[i].uid);
		else
			buf_printf(&b, "%s -\n", recs[i].name);
	}
	if (buf_failed(&b)) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static int
rec_save(struct acct *a, struct errbuf *err)
{
	char *text = acct_rec_format(a->recs, a->n);
	int rc;

	if (!text)
		return errbuf_set(err, -ENOMEM, "out of memory");
	rc = fs_write_atomic(a->cfg.record, text, strlen(text), 0600);
	free(text);
	if (rc < 0)
		return errbuf_set(err, rc, "cannot write %s: %s", a->cfg.record, strerror(-rc));
	return 0;
}

static struct acct_rec *
rec_find(const struct acct *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->recs[i].name, name))
			return &a->recs[i];
	return NULL;
}

static struct acct_rec *
rec_add(struct acct *a, const char *name, uint32_t uid)
{
	struct acct_rec *nv;

	if ((nv = realloc(a->recs, (a->n + 1) * sizeof(*nv))) == NULL)
		return NULL;
	a->recs = nv;
	memset(&nv[a->n], 0, sizeof(nv[a->n]));
	snprintf(nv[a->n].name, sizeof(nv[a->n].name), "%s", name);
	nv[a->n].uid = uid;
	return &nv[a->n++];
}

static void
rec_del(struct acct *a, const char *name)
{
	struct acct_rec *r = rec_find(a, name);

	if (!r)
		return;
	memmove(r, r + 1, (size_t)(&a->recs[a->n] - (r + 1)) * sizeof(*r));
	a->n--;
}

size_t
acct_count(const struct acct *a)
{
	return a->n;
}

const struct acct_rec *
acct_at(const struct acct *a, size_t i)
{
	return i < a->n ? &a->recs[i] : NULL;
}

/* ---- NSS lookups (copied out: getpw* results are static) ---- */

struct pwent {
	bool found;
	uid_t uid;
	gid_t gid;
	char name[SYSD_NAME_MAX + 64];
	char dir[4096];
	char shell[4096];
	char gecos[1024];
};

static void
pw_copy(struct pwent *e, const struct passwd *pw)
{
	memset(e, 0, sizeof(*e));
	if (!pw)
		return;
	e->found = true;
	e->uid = pw->pw_uid;
	e->gid = pw->pw_gid;
	snprintf(e->name, sizeof(e->name), "%s", pw->pw_name);
	snprintf(e->dir, sizeof(e->dir), "%s", pw->pw_dir ? pw->pw_dir : "");
	snprintf(e->shell, sizeof(e->shell), "%s", pw->pw_shell ? pw->pw_shell : "");
	snprintf(e->gecos, sizeof(e->gecos), "%s", pw->pw_gecos ? pw->pw_gecos : "");
}

static void
pw_byname(struct pwent *e, const char *name)
{
	errno = 0;
	pw_copy(e, getpwnam(name));
}

static void
pw_byuid(struct pwent *e, uid_t uid)
{
	errno = 0;
	pw_copy(e, getpwuid(uid));
}

bool
acct_is_managed(const struct acct *a, const char *name)
{
	const struct acct_rec *r = rec_find(a, name);
	struct pwent pw;

	if (!r || !strcmp(name, "root"))
		return false;
	pw_byname(&pw, name);
	/* a pending entry, or an account that vanished, is still ours by name */
	return !pw.found || r->uid == 0 || pw.uid == r->uid;
}

/* ---- running the passwd tools ---- */

/*
 * Runs sbin/tool with argv (argv[0] is the tool's name), input on its
 * stdin; non-zero exit: -EIO with the tool's first output line in err.
 */
static int
run_tool(struct acct *a, const char *const *argv, const char *input, struct errbuf *err)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	char path[4096], out[TOOL_OUT], *nl;
	int in[2] = { -1, -1 }, op[2] = { -1, -1 }, status = 0, rc = 0;
	size_t got = 0, len;
	ssize_t k;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", a->cfg.sbin, argv[0]);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0) {
		rc = errbuf_set(err, -errno, "%s: pipe: %s", argv[0], strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		rc = errbuf_set(err, -errno, "%s: fork: %s", argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(op[1], 1) < 0 || dup2(op[1], 2) < 0)
			_exit(127);
		closefrom(3); /* the mgd connection is none of the tool's business */
		execve(path, (char *const *)argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(op[1]);
	in[0] = op[1] = -1;
	if (input) {
		/* small (a name and a hash): fits the pipe buffer, no deadlock */
		len = strlen(input);
		if (write(in[1], input, len) != (ssize_t)len)
			log_warn(LOG_CFG, "%s: writing its input", argv[0]);
	}
	close(in[1]);
	in[1] = -1;
	for (;;) {
		char tmp[512];
		k = read(op[0], tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (got < sizeof(out) - 1) {
			len = (size_t)k < sizeof(out) - 1 - got ? (size_t)k : sizeof(out) - 1 - got;
			memcpy(out + got, tmp, len);
			got += len;
		}
	}
	out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if ((nl = strchr(out, '\n')) != NULL)
			*nl = '\0';
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !out[0])
			rc = errbuf_set(err, -ENOENT, "cannot run %s", path);
		else
			rc = errbuf_set(err, -EIO, "%s failed (status %d)%s%s", argv[0],
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1, out[0] ? ": " : "", out);
	} else if (got) {
		log_debug(LOG_CFG, "%s: %s", argv[0], out);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (op[i] >= 0)
			close(op[i]);
	}
	return rc;
}

/* ---- set-up ---- */

static int
check_exec(const char *path, struct errbuf *err)
{
	if (access(path, X_OK) < 0)
		return errbuf_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static int
load_record(struct acct *a, struct errbuf *err)
{
	char *text = NULL;
	size_t len = 0;
	struct errbuf perr = { .msg = "" };
	int rc;

	rc = fs_read_all(a->cfg.record, RECORD_MAX, &text, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return errbuf_set(err, rc, "cannot read %s: %s", a->cfg.record, strerror(-rc));
	errbuf_clear(&perr);
	rc = acct_rec_parse(text, len, &a->recs, &a->n, &perr);
	free(text);
	if (rc < 0)
		return errbuf_set(err, rc, "%s: %s (fix or remove it)", a->cfg.record, perr.msg);
	return 0;
}

/* Entries left pending by a crash: adopted when the account looks like
 * one of ours (the Cairn shell and group), else dropped. */
static int
resolve_pending(struct acct *a, struct errbuf *err)
{
	struct pwent pw;
	bool changed = false;
	size_t i = 0;

	while (i < a->n) {
		if (a->recs[i].uid != 0) {
			i++;
			continue;
		}
		pw_byname(&pw, a->recs[i].name);
		if (pw.found && pw.uid != 0 && pw.gid == a->gid &&
		    !strcmp(pw.shell, a->cfg.shell)) {
			log_info(LOG_CFG,
			    "account %s (uid %u): creation completed before a restart", pw.name,
			    (unsigned)pw.uid);
			a->recs[i++].uid = pw.uid;
		} else {
			log_info(LOG_CFG, "account %s: creation did not complete; forgotten",
			    a->recs[i].name);
			rec_del(a, a->recs[i].name);
		}
		changed = true;
	}
	return changed ? rec_save(a, err) : 0;
}

struct acct *
acct_new(const struct acct_cfg *cfg, struct errbuf *err)
{
	static const char *const tools[] = { "useradd", "usermod", "userdel", "chpasswd",
		"groupadd" };
	struct acct *a;
	struct group *gr;
	char path[4096];
	size_t i;

	if (geteuid() != 0) {
		errbuf_set(err, -EPERM, "managing accounts needs root");
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		errbuf_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->sbin, tools[i]);
		if (check_exec(path, err) < 0)
			goto fail;
	}
	if (cfg->shell[0] != '/') {
		errbuf_set(
		    err, -EINVAL, "the login shell must be an absolute path: %s", cfg->shell);
		goto fail;
	}
	if (check_exec(cfg->shell, err) < 0)
		goto fail;
	if (load_record(a, err) < 0)
		goto fail;
	errno = 0;
	if ((gr = getgrnam(cfg->group)) == NULL) {
		const char *argv[] = { "groupadd", "--system", cfg->group, NULL };
		if (run_tool(a, argv, NULL, err) < 0)
			goto fail;
		errno = 0;
		if ((gr = getgrnam(cfg->group)) == NULL) {
			errbuf_set(err, -ENOENT, "group %s: not found after groupadd", cfg->group);
			goto fail;
		}
		log_info(LOG_CFG, "created group %s (gid %u)", cfg->group, (unsigned)gr->gr_gid);
	}
	a->gid = gr->gr_gid;
	if (resolve_pending(a, err) < 0)
		goto fail;
	return a;
fail:
	acct_free(a);
	return NULL;
}

void
acct_free(struct acct *a)
{
	if (!a)
		return;
	free(a->recs);
	free(a);
}

/* ---- checks ---- */

/* A process whose real uid is uid (a logged-in user); its pid or 0. */
static pid_t
uid_busy(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[300], line[256];
	unsigned long ruid;
	pid_t found = 0;
	FILE *f;

	if (!d)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Uid:", 4)) {
				ruid = strtoul(line + 4, NULL, 10);
				if (ruid == uid)
					found = (pid_t)strtol(de->d_name, NULL, 10);
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

int
acct_check(struct acct *a, const struct acct_user *u,
    bool (*still_configured)(const char *name, void *arg), void *arg, struct errbuf *err)
{
	struct pwent pw, other;
	struct stat st;
	char home[4096];
	bool managed = acct_is_managed(a, u->name);
	pid_t busy;

	if (!strcmp(u->name, "root"))
		return errbuf_set(
		    err, -EEXIST, "user root is the system's; it cannot be a login user");
	pw_byname(&pw, u->name);
	if (pw.found && !managed)
		return errbuf_set(err, -EEXIST,
		    "account '%s' already exists on this system and was not created by Cairn",
		    u->name);
	if (!pw.found) {
		snprintf(home, sizeof(home), "%s/%s", a->cfg.home_base, u->name);
		if (lstat(home, &st) == 0)
			return errbuf_set(err, -EEXIST,
			    "home directory %s already exists (left by another account?)", home);
	}
	if (u->uid) {
		pw_byuid(&other, u->uid);
		if (other.found && strcmp(other.name, u->name)) {
			if (!acct_is_managed(a, other.name))
				return errbuf_set(err, -EEXIST, "uid %u is in use by account '%s'",
				    (unsigned)u->uid, other.name);
			if (still_configured && still_configured(other.name, arg))
				return errbuf_set(err, -EEXIST,
				    "uid %u is in use by login user '%s' (change it in a separate "
				    "commit)",
				    (unsigned)u->uid, other.name);
		}
		if (pw.found && pw.uid != u->uid && (busy = uid_busy(pw.uid)) != 0)
			return errbuf_set(err, -EBUSY,
			    "user %s is logged in (process %d); its uid cannot change now", u->name,
			    (int)busy);
	}
	return 0;
}

/* ---- making it so ---- */

static int
set_password(struct acct *a, const struct acct_user *u, struct errbuf *err)
{
	const char *want = u->hash ? u->hash : "*";
	const char *argv[] = { "chpasswd", "--encrypted", NULL };
	struct spwd *sp;
	char *line = NULL;
	size_t len;
	int rc;

	errno = 0;
	sp = getspnam(u->name);
	if (sp && sp->sp_pwdp && !strcmp(sp->sp_pwdp, want))
		return 0;
	len = strlen(u->name) + strlen(want) + 3;
	if ((line = malloc(len)) == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	snprintf(line, len, "%s:%s\n", u->name, want);
	rc = run_tool(a, argv, line, err);
	explicit_bzero(line, len);
	free(line);
	return rc;
}

/* Writes the keys under home with *at() calls that never follow a link
 * the user may have planted: the home and .ssh must be real directories
 * owned by the user (or root). */
static int
write_keys(const struct pwent *pw, const struct acct_user *u, struct errbuf *err)
{
	static const char tmpname[] = "authorized_keys.cairn-new";
	int hfd = -1, sfd = -1, fd = -1, rc = 0;
	struct buf b = BUF_INIT;
	char *old = NULL;
	struct stat st;
	size_t i, oldlen = 0;

	if ((hfd = open(pw->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno != ENOENT || u->nkeys == 0) {
			rc = errno == ENOENT
			         ? 0
			         : errbuf_set(err, -errno, "%s: %s", pw->dir, strerror(errno));
			goto out;
		}
		/* the home went away: make it again */
		if (mkdir(pw->dir, 0750) < 0 ||
		    (hfd = open(pw->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    fchown(hfd, pw->uid, pw->gid) < 0) {
			rc = errbuf_set(err, -errno, "%s: %s", pw->dir, strerror(errno));
			goto out;
		}
	}
	if (fstat(hfd, &st) < 0 || (st.st_uid != pw->uid && st.st_uid != 0)) {
		rc = errbuf_set(err, -EPERM, "%s is not %s's directory", pw->dir, u->name);
		goto out;
	}
	if (mkdirat(hfd, ".ssh", 0700) < 0 && errno != EEXIST) {
		rc = errbuf_set(err, -errno, "%s/.ssh: %s", pw->dir, strerror(errno));
		goto out;
	}
	if ((sfd = openat(hfd, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(sfd, &st) < 0) {
		rc = errbuf_set(err, -errno, "%s/.ssh: %s", pw->dir, strerror(errno));
		goto out;
	}
	if (st.st_uid != pw->uid && st.st_uid != 0) {
		rc = errbuf_set(err, -EPERM, "%s/.ssh is not %s's directory", pw->dir, u->name);
		goto out;
	}
	if (fchown(sfd, pw->uid, pw->gid) < 0 || fchmod(sfd, 0700) < 0) {
		rc = errbuf_set(err, -errno, "%s/.ssh: %s", pw->dir, strerror(errno));
		goto out;
	}
	if (u->nkeys == 0) {
		if (unlinkat(sfd, "authorized_keys", 0) < 0 && errno != ENOENT)
			rc = errbuf_set(
			    err, -errno, "%s/.ssh/authorized_keys: %s", pw->dir, strerror(errno));
		goto out;
	}
	buf_printf(&b,
	    "# Written by cairn-sysd from 'system login user %s authentication'.\n"
	    "# Changes made here are overwritten: edit the configuration instead.\n",
	    u->name);
	for (i = 0; i < u->nkeys; i++)
		buf_printf(&b, "%s\n", u->keys[i]);
	if (buf_failed(&b)) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* unchanged: nothing to write */
	if ((fd = openat(sfd, "authorized_keys", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == pw->uid &&
		    (st.st_mode & 07777) == 0600 && (size_t)st.st_size == b.len &&
		    (old = malloc(b.len + 1)) != NULL && read(fd, old, b.len + 1) == (ssize_t)b.len)
			oldlen = b.len;
		close(fd);
		fd = -1;
		if (oldlen && !memcmp(old, b.p, b.len))
			goto out;
	}
	unlinkat(sfd, tmpname, 0);
	if ((fd = openat(
	         sfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, b.p, b.len) != (ssize_t)b.len || fchown(fd, pw->uid, pw->gid) < 0 ||
	    fsync(fd) < 0 || renameat(sfd, tmpname, sfd, "authorized_keys") < 0) {
		rc = errbuf_set(
		    err, -errno, "%s/.ssh/authorized_keys: %s", pw->dir, strerror(errno));
		unlinkat(sfd, tmpname, 0);
		goto out;
	}
	fsync(sfd);
out:
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	if (hfd >= 0)
		close(hfd);
	free(old);
	buf_free(&b);
	return rc;
}

static int
create(struct acct *a, const struct acct_user *u, struct errbuf *err)
{
	char home[4096], uid[16];
	const char *argv[20];
	struct acct_rec *r;
	struct pwent pw;
	int n = 0, rc;

	snprintf(home, sizeof(home), "%s/%s", a->cfg.home_base, u->name);
	/* the record first: a crash after useradd leaves a pending entry */
	if (!rec_find(a, u->name) && !rec_add(a, u->name, 0))
		return errbuf_set(err, -ENOMEM, "out of memory");
	rec_find(a, u->name)->uid = 0;
	if ((rc = rec_save(a, err)) < 0)
		goto undo;
	argv[n++] = "useradd";
	argv[n++] = "--create-home";
	argv[n++] = "--home-dir";
	argv[n++] = home;
	argv[n++] = "--shell";
	argv[n++] = a->cfg.shell;
	argv[n++] = "--gid";
	argv[n++] = a->cfg.group;
	argv[n++] = "--no-user-group";
	argv[n++] = "--no-log-init";
	if (u->uid) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
		argv[n++] = "--uid";
		argv[n++] = uid;
	}
	if (u->gecos) {
		argv[n++] = "--comment";
		argv[n++] = u->gecos;
	}
	if (!u->hash) {
		/* key logins only ('*', not '!': sshd refuses locked accounts);
		 * not secret, so no chpasswd needed. A hash goes through
		 * chpasswd's stdin, never the command line. */
		argv[n++] = "--password";
		argv[n++] = "*";
	}
	argv[n++] = "--";
	argv[n++] = u->name;
	argv[n] = NULL;
	if ((rc = run_tool(a, argv, NULL, err)) < 0)
		goto undo;
	pw_byname(&pw, u->name);
	if (!pw.found) {
		rc = errbuf_set(err, -ENOENT, "account %s: not found after useradd", u->name);
		goto undo;
	}
	r = rec_find(a, u->name);
	r->uid = pw.uid;
	if ((rc = rec_save(a, err)) < 0)
		return rc; /* pending in the file: adopted at the next start */
	log_info(LOG_CFG, "created account %s (uid %u)", u->name, (unsigned)pw.uid);
	return 0;
undo:
	rec_del(a, u->name);
	rec_save(a, NULL);
	return rc;
}

static int
update(struct acct *a, const struct acct_user *u, const struct pwent *pw, struct errbuf *err)
{
	const char *argv[16];
	char uid[16];
	int n = 0, rc;

	argv[n++] = "usermod";
	if (u->uid && u->uid != pw->uid) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
		argv[n++] = "--uid";
		argv[n++] = uid;
	}
	if (strcmp(pw->gecos, u->gecos ? u->gecos : "")) {
		argv[n++] = "--comment";
		argv[n++] = u->gecos ? u->gecos : "";
	}
	if (strcmp(pw->shell, a->cfg.shell)) {
		argv[n++] = "--shell";
		argv[n++] = a->cfg.shell;
	}
	if (pw->gid != a->gid) {
		argv[n++] = "--gid";
		argv[n++] = a->cfg.group;
	}
	if (n == 1)
		return 0;
	argv[n++] = "--";
	argv[n++] = u->name;
	argv[n] = NULL;
	if ((rc = run_tool(a, argv, NULL, err)) < 0)
		return rc;
	if (u->uid && u->uid != pw->uid) {
		rec_find(a, u->name)->uid = u->uid;
		if ((rc = rec_save(a, err)) < 0)
			return rc;
	}
	log_info(LOG_CFG, "updated account %s", u->name);
	return 0;
}

int
acct_ensure(struct acct *a, const struct acct_user *u, struct errbuf *err)
{
	struct pwent pw;
	int rc;

	pw_byname(&pw, u->name);
	if (pw.found && !acct_is_managed(a, u->name))
		return errbuf_set(
		    err, -EEXIST, "account %s was not created by Cairn; not touched", u->name);
	if (!pw.found)
		rc = create(a, u, err);
	else
		rc = update(a, u, &pw, err);
	if (rc < 0)
		return rc;
	pw_byname(&pw, u->name);
	if (!pw.found)
		return errbuf_set(err, -ENOENT, "account %s: vanished", u->name);
	if ((rc = set_password(a, u, err)) < 0)
		return rc;
	return write_keys(&pw, u, err);
}

int
acct_remove(struct acct *a, const char *name, struct errbuf *err)
{
	const char *argv[] = { "userdel", "--force", "--remove", "--", name, NULL };
	struct acct_rec *r = rec_find(a, name);
	struct pwent pw;
	int rc;

	if (!r)
		return errbuf_set(
		    err, -EPERM, "account %s was not created by Cairn; not touched", name);
	pw_byname(&pw, name);
	if (pw.found && !acct_is_managed(a, name)) {
		/* same name, another account (uid differs): not ours any more */
		log_warnx(LOG_CFG, "account %s has uid %u, not %u as created: left alone", name,
		    (unsigned)pw.uid, (unsigned)r->uid);
	} else if (pw.found) {
		rc = run_tool(a, argv, NULL, err);
		pw_byname(&pw, name);
		if (pw.found)
			return rc < 0 ? rc : errbuf_set(err, -EIO, "userdel left account %s", name);
		/* userdel also complains when the home was already gone */
		errbuf_clear(err);
		log_info(LOG_CFG, "deleted account %s", name);
	}
	rec_del(a, name);
	return rec_save(a, err);
}
