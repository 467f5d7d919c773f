/* SPDX-License-Identifier: MIT */
/*
 * cairn-sysd: the daemon that owns [edit system] (yang/cairn-system.yang)
 * on the northbound engine (backend/nb). docs/packaging.md describes it.
 *
 *   system login user NAME class C ...   a Linux account NAME whose login
 *       shell is the cairn shell (--manage-accounts), so an SSH login as
 *       NAME lands in the shell and cairn-mgd gives it class C
 *   system host-name H                   the kernel's host name and
 *       /etc/hostname (--set-hostname)
 *   system domain-name, login message, syslog   checked, recorded, not
 *       applied (docs/packaging.md says why)
 *
 * Every value is checked in VALIDATE (keys, hashes, names) and against
 * the system in PREPARE (name and uid clashes with accounts Cairn did
 * not create, an existing home directory, permission to set the host
 * name), so a commit that cannot be applied fails and running stays as
 * it was. APPLY only notes what changed; the transaction's end makes the
 * accounts match the configuration (deletions first, so a uid or name
 * freed by one user can go to another in the same commit). The first
 * configuration after start-up reconciles every account in sysd's
 * record, so a user deleted while sysd was down loses the account then.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acct.h"
#include "fsutil.h"
#include "ipc_msg.h"
#include "log.h"
#include "nb.h"
#include "paths.h"
#include "sysd_check.h"
#include "banned.h"

#define USERS_XPATH "/cairn-system:system/login/user"

/* One login user, read from the configuration and checked. */
struct user {
	struct acct_user a;
	char **keys;
	size_t nkeys;
};

static struct {
	struct nb *nb;
	struct acct *acct; /* NULL: accounts are not managed */
	bool set_hostname; /* --set-hostname */
	const char *hostname_file;
	/* what the transaction changed, applied at its end */
	char **dirty;
	size_t ndirty;
	bool hostname_changed;
	bool reconciled; /* the first configuration was reconciled */
} g;

/* ---- reading a user from the configuration ---- */

static void
user_fini(struct user *u)
{
	size_t i;

	for (i = 0; i < u->nkeys; i++)
		free(u->keys[i]);
	free(u->keys);
	memset(u, 0, sizeof(*u));
}

static const struct lyd_node *
child(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
	if (!strcmp(c->schema->name, name))
		return c;
	return NULL;
}

static int
add_keys(struct user *u, const struct lyd_node *auth, const char *list, enum sshkey_list kind,
    struct errbuf *err)
{
	const struct lyd_node *c;
	struct sshkey *k = NULL;
	char **nv;
	int rc = 0;

	LY_LIST_FOR(lyd_child(auth), c)
	{
		if (strcmp(c->schema->name, list))
			continue;
		if (!k && (k = malloc(sizeof(*k))) == NULL)
			return errbuf_set(err, -ENOMEM, "out of memory");
		if ((rc = sshkey_parse(kind, nb_str(c, "name"), k, err)) < 0)
			break;
		if ((nv = realloc(u->keys, (u->nkeys + 1) * sizeof(*nv))) == NULL ||
		    (nv[u->nkeys] = strdup(k->line)) == NULL) {
			if (nv)
				u->keys = nv;
			rc = errbuf_set(err, -ENOMEM, "out of memory");
			break;
		}
		u->keys = nv;
		u->nkeys++;
	}
	free(k);
	return rc;
}

/* Reads and checks a `user` node (borrowed strings point into it). */
static int
user_load(const struct lyd_node *dnode, struct user *u, struct errbuf *err)
{
	const struct lyd_node *auth = child(dnode, "authentication");
	const char *v;
	int rc;

	memset(u, 0, sizeof(*u));
	u->a.name = nb_str(dnode, "name");
	if ((rc = acctname_check(u->a.name, err)) < 0)
		goto fail;
	if ((v = nb_str(dnode, "uid")) != NULL)
		u->a.uid = (uint32_t)strtoul(v, NULL, 10);
	u->a.gecos = nb_str(dnode, "full-name");
	if (u->a.gecos && (rc = gecos_check(u->a.gecos, err)) < 0)
		goto fail;
	if (auth) {
		u->a.hash = nb_str(auth, "encrypted-password");
		if (u->a.hash && (rc = pwhash_check(u->a.hash, err)) < 0)
			goto fail;
		if ((rc = add_keys(u, auth, "ssh-ed25519", SSHKEY_LIST_ED25519, err)) < 0 ||
		    (rc = add_keys(u, auth, "ssh-rsa", SSHKEY_LIST_RSA, err)) < 0 ||
		    (rc = add_keys(u, auth, "ssh-ecdsa", SSHKEY_LIST_ECDSA, err)) < 0)
			goto fail;
	}
	u->a.keys = (const char *const *)u->keys;
	u->a.nkeys = u->nkeys;
	return 0;
fail:
	user_fini(u);
	return rc;
}

static const struct lyd_node *
user_node(const char *name)
{
	struct lyd_node *n = NULL;
	char path[128];

	if (!nb_running(g.nb))
		return NULL;
	snprintf(path, sizeof(path), USERS_XPATH "[name='%s']", name);
	if (lyd_find_path(nb_running(g.nb), path, 0, &n) != LY_SUCCESS)
		return NULL;
	return n;
}

static bool
still_configured(const char *name, void *arg)
{
	(void)arg;
	return user_node(name) != NULL;
}

/* No two configured users may share a uid. */
static int
uid_unique(const struct lyd_node *dnode, struct errbuf *err)
{
	const char *uid = nb_str(dnode, "uid"), *o;
	const struct lyd_node *n;

	if (!uid)
		return 0;
	for (n = lyd_first_sibling(dnode); n; n = n->next) {
		if (n == dnode || n->schema != dnode->schema)
			continue;
		if ((o = nb_str(n, "uid")) != NULL && !strcmp(o, uid))
			return errbuf_set(err, -EEXIST, "uid %s is also configured for user %s",
			    uid, nb_str(n, "name"));
	}
	return 0;
}

/* ---- callbacks ---- */

/*
 * The running configuration sent at (re)connection cannot be refused
 * usefully: mgd would disconnect sysd, which would reconnect and be
 * refused again, managing nothing meanwhile. There a failed check is
 * logged and the statement left unapplied (ensure_user() refuses the
 * same account again, with its reason, at the end); in a commit it
 * fails the commit.
 */
static int
soften(struct nb_args *a, int rc)
{
	char *path;

	if (rc >= 0 || nb_synced(g.nb))
		return rc;
	path = lyd_path(a->dnode, LYD_PATH_STD, NULL, 0);
	log_warnx(LOG_CFG, "%s: %s; not applied", path ? path : "?", a->err->msg);
	free(path);
	errbuf_clear(a->err);
	return 0;
}

static int
mark_dirty(const char *name)
{
	size_t i;
	char **nv;

	for (i = 0; i < g.ndirty; i++)
		if (!strcmp(g.dirty[i], name))
			return 0;
	if ((nv = realloc(g.dirty, (g.ndirty + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	g.dirty = nv;
	if ((nv[g.ndirty] = strdup(name)) == NULL)
		return -ENOMEM;
	g.ndirty++;
	return 0;
}

static void
clear_dirty(void)
{
	size_t i;

	for (i = 0; i < g.ndirty; i++)
		free(g.dirty[i]);
	free(g.dirty);
	g.dirty = NULL;
	g.ndirty = 0;
	g.hostname_changed = false;
}

static int
user_cb(struct nb_args *a)
{
	struct user u;
	int rc = 0;

	if (a->event == NB_EV_DESTROY) {
		/* nothing can fail: the name goes on the list for the end */
		if (a->phase == NB_PREPARE && mark_dirty(nb_str(a->dnode, "name")) < 0)
			return nb_fail(a->err, -ENOMEM, "out of memory");
		return 0;
	}
	switch (a->phase) {
	case NB_VALIDATE:
		if ((rc = user_load(a->dnode, &u, a->err)) == 0)
			rc = uid_unique(a->dnode, a->err);
		user_fini(&u);
		return soften(a, rc);
	case NB_PREPARE:
		if (mark_dirty(nb_str(a->dnode, "name")) < 0)
			return nb_fail(a->err, -ENOMEM, "out of memory");
		if (!g.acct)
			return 0;
		if ((rc = user_load(a->dnode, &u, a->err)) == 0)
			rc = acct_check(g.acct, &u.a, still_configured, NULL, a->err);
		user_fini(&u);
		return soften(a, rc);
	case NB_ABORT:
	case NB_APPLY:
		return 0;
	}
	return -EINVAL;
}

static int
hostname_cb(struct nb_args *a)
{
	const char *name = nb_str(a->dnode, "");
	char cur[HOST_NAME_MAX + 1];

	if (a->event == NB_EV_DESTROY) {
		/* the host keeps its name */
		return 0;
	}
	switch (a->phase) {
	case NB_VALIDATE:
		if (g.set_hostname && strlen(name) > HOST_NAME_MAX)
			return soften(a, nb_fail(a->err, -EINVAL,
			                     "a host name longer than %d characters cannot be set",
			                     HOST_NAME_MAX));
		return 0;
	case NB_PREPARE:
		if (!g.set_hostname)
			return 0;
		/* setting the name it already has shows whether we may */
		if (gethostname(cur, sizeof(cur)) < 0 || sethostname(cur, strlen(cur)) < 0)
			return soften(a, nb_fail(a->err, -errno, "cannot set the host name: %s",
			                     strerror(errno)));
		return 0;
	case NB_APPLY:
		g.hostname_changed = true;
		return 0;
	case NB_ABORT:
		return 0;
	}
	return -EINVAL;
}

/* Statements sysd checks (through YANG) and records but does not apply. */
static int
recorded_cb(struct nb_args *a)
{
	char *path;

	if (a->phase != NB_APPLY || a->full)
		return 0;
	path = lyd_path(a->dnode, LYD_PATH_STD_NO_LAST_PRED, NULL, 0);
	log_info(LOG_CFG, "%s: in the configuration; not applied by cairn-sysd", path ? path : "?");
	free(path);
	return 0;
}

#define SUBTREE(p, cb)                                                                             \
	{                                                                                          \
		.path = p, .create = cb, .modify = cb, .destroy = cb, .flags = NB_F_SUBTREE        \
	}

static const struct nb_node_ops sysd_nb[] = {
	{ .path = "/cairn-system:system/host-name", .modify = hostname_cb, .destroy = hostname_cb },
	{ .path = "/cairn-system:system/domain-name",
	    .modify = recorded_cb,
	    .destroy = recorded_cb },
	{ .path = "/cairn-system:system/login/message",
	    .modify = recorded_cb,
	    .destroy = recorded_cb },
	SUBTREE(USERS_XPATH, user_cb),
	SUBTREE("/cairn-system:system/syslog/file", recorded_cb),
	SUBTREE("/cairn-system:system/syslog/host", recorded_cb),
	{ .path = NULL },
};

static const char *const subtrees[] = { "cairn-system:system", NULL };

/* ---- the end of a transaction: make it so ---- */

static void
ensure_user(const struct lyd_node *n)
{
	struct errbuf err = { .msg = "" };
	struct user u;

	errbuf_clear(&err);
	if (user_load(n, &u, &err) < 0 || acct_ensure(g.acct, &u.a, &err) < 0)
		log_warnx(LOG_CFG, "login user %s: %s", nb_str(n, "name"), err.msg);
	user_fini(&u);
}

static void
remove_user(const char *name)
{
	struct errbuf err = { .msg = "" };
	size_t i;

	for (i = 0; i < acct_count(g.acct); i++)
		if (!strcmp(acct_at(g.acct, i)->name, name))
			break;
	if (i == acct_count(g.acct))
		return; /* never an account of ours */
	errbuf_clear(&err);
	if (acct_remove(g.acct, name, &err) < 0)
		log_warnx(LOG_CFG, "login user %s: %s", name, err.msg);
}

/* Everything: the record against the whole configuration. */
static void
reconcile_all(void)
{
	struct ly_set *set = NULL;
	char **gone = NULL;
	size_t i, n = 0;

	for (i = 0; i < acct_count(g.acct); i++) {
		const char *name = acct_at(g.acct, i)->name;
		char **nv;
		if (user_node(name))
			continue;
		if ((nv = realloc(gone, (n + 1) * sizeof(*nv))) == NULL)
			break;
		gone = nv;
		if ((gone[n] = strdup(name)) != NULL)
			n++;
	}
	for (i = 0; i < n; i++) {
		remove_user(gone[i]);
		free(gone[i]);
	}
	free(gone);
	if (nb_running(g.nb) && lyd_find_xpath(nb_running(g.nb), USERS_XPATH, &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++)
			ensure_user(set->dnodes[i]);
	}
	ly_set_free(set, NULL);
}

static void
apply_hostname(void)
{
	const struct lyd_node *n = NULL;
	char line[HOST_NAME_MAX + 2];
	const char *name;
	int rc;

	if (lyd_find_path(nb_running(g.nb), "/cairn-system:system/host-name", 0,
	        (struct lyd_node **)&n) != LY_SUCCESS ||
	    !(name = nb_str(n, "")))
		return;
	if (sethostname(name, strlen(name)) < 0) {
		log_warn(LOG_CFG, "sethostname %s", name);
		return;
	}
	snprintf(line, sizeof(line), "%s\n", name);
	if ((rc = fs_write_atomic(g.hostname_file, line, strlen(line), 0644)) < 0)
		log_warnx(LOG_CFG, "%s: %s", g.hostname_file, strerror(-rc));
	log_info(LOG_CFG, "host name set to %s", name);
}

static void
tx_end(void *arg, bool applied)
{
	size_t i;

	(void)arg;
	if (!applied)
		goto out;
	if (g.set_hostname && g.hostname_changed)
		apply_hostname();
	if (!g.acct)
		goto out;
	if (!g.reconciled && nb_synced(g.nb)) {
		reconcile_all();
		g.reconciled = true;
		goto out;
	}
	/* deletions first: their names and uids may be taken below */
	for (i = 0; i < g.ndirty; i++)
		if (!user_node(g.dirty[i]))
			remove_user(g.dirty[i]);
	for (i = 0; i < g.ndirty; i++) {
		const struct lyd_node *n = user_node(g.dirty[i]);
		if (n)
			ensure_user(n);
	}
out:
	clear_dirty();
}

/* ---- start-up ---- */

static struct ly_ctx *
load_modules(const char *dir)
{
	struct ly_ctx *ctx = NULL;
	struct dirent *de;
	char name[256];
	size_t len;
	DIR *d;

	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY | LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) !=
	    LY_SUCCESS)
		return NULL;
	if ((d = opendir(dir)) == NULL) {
		ly_ctx_destroy(ctx);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yang"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		if (strchr(name, '@'))
			*strchr(name, '@') = '\0';
		ly_ctx_load_module(ctx, name, NULL, NULL);
	}
	closedir(d);
	if (!ly_ctx_get_module_implemented(ctx, "cairn-system")) {
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

/* The cairn shell beside this program: <exe>/../bin/cairn. */
static void
default_shell(char *dst, size_t len)
{
	char exe[PATH_MAX], cand[PATH_MAX + 16], *slash;
	ssize_t n;

	snprintf(dst, len, "%s", "/usr/bin/cairn");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	snprintf(cand, sizeof(cand), "%s/../bin/cairn", exe);
	if (realpath(cand, exe) != NULL)
		snprintf(dst, len, "%s", exe);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cairn-sysd [--root DIR] [--debug] [--manage-accounts] [--set-hostname]\n"
	    "                  [--shell PATH] [--group NAME] [--home-base DIR]\n"
	    "       cairn-sysd --remove-accounts [--root DIR]\n"
	    "  --manage-accounts  login users become Linux accounts (root; off by default)\n"
	    "  --set-hostname     system host-name sets the host name and /etc/hostname\n"
	    "  --shell PATH       their login shell (default: <bindir>/cairn beside this program)\n"
	    "  --group NAME       their primary group (default cairn; created if missing)\n"
	    "  --home-base DIR    where their home directories go (default /home)\n"
	    "  --remove-accounts  delete every account cairn-sysd created, then exit\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'd' },
		{ "manage-accounts", no_argument, NULL, 'm' },
		{ "set-hostname", no_argument, NULL, 'H' },
		{ "shell", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "home-base", required_argument, NULL, 'b' },
		{ "remove-accounts", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char shell[PATH_MAX], record[PATH_MAX + 32];
	struct event *sig1 = NULL, *sig2 = NULL;
	struct event_base *base = NULL;
	struct cairn_paths paths;
	struct ly_ctx *ctx = NULL;
	struct acct_cfg acfg;
	struct nb_cfg cfg;
	struct errbuf err = { .msg = "" };
	const char *root = NULL;
	bool manage = false, remove_all = false;
	int c, rc, status = 1;

	default_shell(shell, sizeof(shell));
	memset(&acfg, 0, sizeof(acfg));
	acfg.group = "cairn";
	acfg.home_base = "/home";
	acfg.sbin = "/usr/sbin";
	g.hostname_file = "/etc/hostname";
	while ((c = getopt_long(argc, argv, "r:dmHs:g:b:Xh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'd':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'm':
			manage = true;
			break;
		case 'H':
			g.set_hostname = true;
			break;
		case 's':
			snprintf(shell, sizeof(shell), "%s", optarg);
			break;
		case 'g':
			acfg.group = optarg;
			break;
		case 'b':
			acfg.home_base = optarg;
			break;
		case 'X':
			remove_all = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("cairn-sysd", true);
	ipc_ly_quiet();
	signal(SIGPIPE, SIG_IGN);
	errbuf_clear(&err);
	if ((rc = cairn_paths_init(&paths, root)) < 0 || (rc = cairn_paths_mkdirs(&paths)) < 0)
		fatalx(LOG_MAIN, "instance directories under %s: %s", root ? root : "/",
		    strerror(-rc));
	snprintf(record, sizeof(record), "%s/sysd-accounts", paths.state_dir);
	acfg.shell = shell;
	acfg.record = record;
	if (manage || remove_all) {
		if ((g.acct = acct_new(&acfg, &err)) == NULL)
			fatalx(LOG_MAIN, "accounts: %s", err.msg);
	}
	if (remove_all) {
		status = 0;
		while (acct_count(g.acct) > 0) {
			char name[SYSD_NAME_MAX + 1];
			snprintf(name, sizeof(name), "%s", acct_at(g.acct, 0)->name);
			errbuf_clear(&err);
			if (acct_remove(g.acct, name, &err) < 0) {
				log_warnx(LOG_CFG, "%s: %s", name, err.msg);
				status = 1;
				break;
			}
		}
		goto out;
	}
	if ((ctx = load_modules(paths.yang_dir)) == NULL)
		fatalx(LOG_MAIN, "cannot load the YANG modules (cairn-system) from %s",
		    paths.yang_dir);
	if ((base = event_base_new()) == NULL)
		fatalx(LOG_MAIN, "event_base_new");
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "cairn-sysd";
	cfg.subtrees = subtrees;
	cfg.nodes = sysd_nb;
	cfg.end = tx_end;
	if ((g.nb = nb_new(base, ctx, &cfg, &err)) == NULL)
		fatalx(LOG_MAIN, "%s", err.msg);
	if (nb_connect(g.nb, paths.mgd_sock, &err) < 0)
		log_warnx(LOG_MAIN, "%s (retrying)", err.msg);
	sig1 = evsignal_new(base, SIGTERM, on_signal, base);
	sig2 = evsignal_new(base, SIGINT, on_signal, base);
	evsignal_add(sig1, NULL);
	evsignal_add(sig2, NULL);
	log_info(LOG_MAIN, "started; accounts %s (shell %s), host name %s",
	    g.acct ? "managed" : "not managed", shell, g.set_hostname ? "set" : "not set");
	event_base_dispatch(base);
	status = 0;
out:
	nb_free(g.nb);
	if (sig1)
		event_free(sig1);
	if (sig2)
		event_free(sig2);
	if (base)
		event_base_free(base);
	if (ctx)
		ly_ctx_destroy(ctx);
	acct_free(g.acct);
	clear_dirty();
	return status;
}
