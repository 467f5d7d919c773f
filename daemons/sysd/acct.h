/* SPDX-License-Identifier: MIT */
/*
 * acct: the Linux accounts of Cairn's login users.
 *
 * An account is made with the system's own tools (useradd, usermod,
 * userdel, chpasswd, groupadd from the passwd package), so locking of
 * /etc/passwd and /etc/shadow, nscd and the login.defs defaults are
 * theirs. Every account has the Cairn shell as login shell and the
 * Cairn group as primary group (no per-user group, so no group of the
 * same name can clash), a home directory under home_base and, when keys
 * are configured, ~/.ssh/authorized_keys.
 *
 * acct keeps a record (a text file in the state directory) of the
 * accounts it created, and never modifies or deletes an account that is
 * not in it, nor root. The record is written before an account is
 * created (the entry marked pending) and after it is deleted, so a crash
 * at any point leaves no account that Cairn created but forgot; a
 * pending entry is adopted at start-up only when the account has the
 * Cairn shell and group.
 */
#ifndef CAIRN_SYSD_ACCT_H
#define CAIRN_SYSD_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "sysd_check.h"

struct acct_cfg {
	const char *shell;     /* login shell of the accounts ("/usr/bin/cairn") */
	const char *group;     /* their primary group ("cairn"), created if missing */
	const char *home_base; /* "/home" */
	const char *record;    /* the record file ("/var/lib/cairn/sysd-accounts") */
	const char *sbin;      /* where useradd & co. are ("/usr/sbin") */
};

/* The configured state of one login user (all borrowed). */
struct acct_user {
	const char *name;
	uint32_t uid;            /* 0: not configured (useradd picks one) */
	const char *gecos;       /* NULL: none */
	const char *hash;        /* NULL: no password ('*': key logins only) */
	const char *const *keys; /* authorized_keys lines (sshkey_parse()'d) */
	size_t nkeys;
};

/* One entry of the record: an account acct created (uid 0: pending). */
struct acct_rec {
	char name[SYSD_NAME_MAX + 1];
	uint32_t uid;
};

/*
 * Loads the record (a missing file is an empty record), resolves pending
 * entries, checks that this runs as root and that the tools and the
 * shell are executable, and creates the group (groupadd --system) when
 * it does not exist. NULL with err set.
 */
struct acct *acct_new(const struct acct_cfg *cfg, struct errbuf *err);
void acct_free(struct acct *a);

/* Whether name is an account acct created (and still the same account). */
bool acct_is_managed(const struct acct *a, const char *name);

/* The record: entries 0..acct_count()-1, borrowed until the next change. */
size_t acct_count(const struct acct *a);
const struct acct_rec *acct_at(const struct acct *a, size_t i);

/*
 * PREPARE's checks: can u become (or stay) an account now? A name or uid
 * held by an account Cairn did not create, root, an existing home
 * directory of someone else, a uid change of a user who is logged in.
 * still_configured(name) tells whether another managed account stays in
 * the new configuration (its uid is not free then). 0 or -errno, err set.
 */
int acct_check(struct acct *a, const struct acct_user *u,
    bool (*still_configured)(const char *name, void *arg), void *arg, struct errbuf *err);

/* Creates the account or brings it to u (uid, full name, shell, group,
 * password, keys), touching only what differs. 0 or -errno, err set. */
int acct_ensure(struct acct *a, const struct acct_user *u, struct errbuf *err);

/* Deletes an account acct created (userdel -r: with its home) and drops
 * it from the record; a name acct did not create is refused. */
int acct_remove(struct acct *a, const char *name, struct errbuf *err);

/* The record file's text form (tests): parse replaces *recs. 0 or -errno. */
int acct_rec_parse(
    const char *text, size_t len, struct acct_rec **recs, size_t *n, struct errbuf *err);
char *acct_rec_format(const struct acct_rec *recs, size_t n); /* caller frees; NULL: ENOMEM */

#endif
