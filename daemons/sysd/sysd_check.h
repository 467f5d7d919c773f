/* SPDX-License-Identifier: MIT */
/*
 * sysd_check: the checks cairn-sysd makes on `system login user` values
 * before anything reaches a Linux account: SSH public keys (parsed from
 * their base64 blob with struct rd, RFC 4253 6.6, RFC 5656 3.1, RFC 8709
 * 4), crypt(3) password hashes, user names and full names. Pure
 * functions: no files, no NSS, no globals, so they are unit-tested and
 * fuzzed as they are.
 */
#ifndef CAIRN_SYSD_CHECK_H
#define CAIRN_SYSD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"

/* The longest Linux account name useradd accepts (utmp's ut_user). */
#define SYSD_NAME_MAX 32
/* The longest authorized_keys line we write (an RSA-16384 key is ~2.8 KB). */
#define SSHKEY_LINE_MAX 8192

enum sshkey_list { SSHKEY_LIST_ED25519, SSHKEY_LIST_RSA, SSHKEY_LIST_ECDSA };

struct sshkey {
	char type[32];              /* "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ... */
	unsigned bits;              /* 256 for ed25519, modulus size for RSA, curve size */
	char line[SSHKEY_LINE_MAX]; /* normalised authorized_keys line: "TYPE BASE64[ COMMENT]" */
};

/*
 * Parses one configured key, "TYPE BASE64 [COMMENT]" as ssh-keygen writes
 * it (the bare base64 blob is accepted too), and checks that it belongs
 * in `list` (the ssh-ed25519, ssh-rsa or ssh-ecdsa statement). Options
 * in front of the key (from="...", command="...") are refused. RSA keys
 * need at least 2048 bits. 0, or -EINVAL with err set ("ssh-rsa key: ...").
 */
int sshkey_parse(enum sshkey_list list, const char *text, struct sshkey *out, struct errbuf *err);

/* The statement's keyword for a list ("ssh-ed25519"). */
const char *sshkey_list_name(enum sshkey_list list);

/*
 * A crypt(3) hash for /etc/shadow: $1$ (MD5), $5$/$6$ (SHA-256/512, with
 * optional rounds=N), $2a$/$2b$/$2y$ (bcrypt) or $y$ (yescrypt), each
 * with its salt and hash of the right alphabet and length. 0, or -EINVAL
 * with err set.
 */
int pwhash_check(const char *hash, struct errbuf *err);

/* A name useradd takes: [a-z_][a-z0-9_.-]*, at most SYSD_NAME_MAX. */
int acctname_check(const char *name, struct errbuf *err);

/* A full name for the GECOS field: printable, no ':' (the field separator). */
int gecos_check(const char *gecos, struct errbuf *err);

#endif
