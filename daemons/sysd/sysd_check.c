/* SPDX-License-Identifier: MIT */
/*
 * sysd_check: SSH public keys, crypt(3) hashes, account and full names
 * of `system login user`, checked before they reach /etc/passwd,
 * /etc/shadow or an authorized_keys file (a ':' or a newline there
 * would corrupt the file or add a line of the user's choosing).
 */
#include "sysd_check.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "banned.h"

/* The longest key blob we decode (RSA-16384: ~2 KB). */
#define BLOB_MAX 4096

const char *
sshkey_list_name(enum sshkey_list list)
{
	switch (list) {
	case SSHKEY_LIST_ED25519:
		return "ssh-ed25519";
	case SSHKEY_LIST_RSA:
		return "ssh-rsa";
	case SSHKEY_LIST_ECDSA:
		return "ssh-ecdsa";
	}
	return "ssh-key";
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 base64 with padding: length a multiple of 4, '=' only
 * at the end, no other characters. Bytes written to out, or -1. */
static long
b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t i, o = 0, pad = 0;
	uint32_t acc;
	int k, v;

	if (len == 0 || len % 4)
		return -1;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	if (len / 4 * 3 - pad > cap)
		return -1;
	for (i = 0; i < len; i += 4) {
		acc = 0;
		for (k = 0; k < 4; k++) {
			if (i + k >= len - pad) {
				acc <<= 6;
				continue;
			}
			if ((v = b64val((unsigned char)s[i + k])) < 0)
				return -1;
			acc = (acc << 6) | (uint32_t)v;
		}
		out[o++] = (uint8_t)(acc >> 16);
		if (i + 4 < len || pad < 2)
			out[o++] = (uint8_t)(acc >> 8);
		if (i + 4 < len || pad < 1)
			out[o++] = (uint8_t)acc;
		/* padding bits must be zero (canonical encoding) */
		if (i + 4 >= len && ((pad == 1 && (acc & 0xff)) || (pad == 2 && (acc & 0xffff))))
			return -1;
	}
	return (long)o;
}

/* RFC 4251 5: string = uint32 length + bytes. */
static bool
rd_sshstr(struct rd *r, const uint8_t **p, uint32_t *len)
{
	struct rd save = *r;

	if (!rd_be32(r, len) || !rd_view(r, *len, p)) {
		*r = save;
		return false;
	}
	return true;
}

static bool
str_is(const uint8_t *p, uint32_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

/* RFC 4251 5: a positive mpint in minimal two's complement; its bits. */
static int
mpint_bits(const uint8_t *p, uint32_t len, unsigned *bits)
{
	unsigned b;
	uint8_t top;

	if (len == 0 || (p[0] & 0x80))
		return -1; /* zero or negative */
	if (p[0] == 0) {
		if (len == 1 || !(p[1] & 0x80))
			return -1; /* a needless leading zero */
		p++;
		len--;
	}
	top = p[0];
	b = 0;
	while (top) {
		b++;
		top >>= 1;
	}
	*bits = (len - 1) * 8 + b;
	return 0;
}

struct keytype {
	const char *name;
	enum sshkey_list list;
	const char *curve; /* ECDSA: the curve identifier inside the blob */
	uint32_t qlen;     /* ECDSA: uncompressed point length; ed25519: key length */
	unsigned bits;
};

static const struct keytype keytypes[] = {
	{ "ssh-ed25519", SSHKEY_LIST_ED25519, NULL, 32, 256 },
	{ "ssh-rsa", SSHKEY_LIST_RSA, NULL, 0, 0 },
	{ "ecdsa-sha2-nistp256", SSHKEY_LIST_ECDSA, "nistp256", 65, 256 },
	{ "ecdsa-sha2-nistp384", SSHKEY_LIST_ECDSA, "nistp384", 97, 384 },
	{ "ecdsa-sha2-nistp521", SSHKEY_LIST_ECDSA, "nistp521", 133, 521 },
};

static const struct keytype *
keytype_find(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++)
		if (len == strlen(keytypes[i].name) && memcmp(p, keytypes[i].name, len) == 0)
			return &keytypes[i];
	return NULL;
}

/* The blob after its type string. */
static int
blob_check(
    const struct keytype *kt, struct rd *r, unsigned *bits, const char *ln, struct errbuf *err)
{
	const uint8_t *p, *q;
	uint32_t len, qlen;
	unsigned ebits;

	if (kt->list == SSHKEY_LIST_RSA) {
		/* RFC 4253 6.6: mpint e, mpint n */
		if (!rd_sshstr(r, &p, &len) || mpint_bits(p, len, &ebits) < 0 || ebits > 64 ||
		    !(p[len - 1] & 1) || ebits < 2)
			return errbuf_set(err, -EINVAL, "%s key: bad RSA public exponent", ln);
		if (!rd_sshstr(r, &q, &qlen) || mpint_bits(q, qlen, bits) < 0 || !(q[qlen - 1] & 1))
			return errbuf_set(err, -EINVAL, "%s key: bad RSA modulus", ln);
		if (*bits < 2048)
			return errbuf_set(err, -EINVAL,
			    "%s key: RSA key of %u bits; at least 2048 are required", ln, *bits);
		if (*bits > 16384)
			return errbuf_set(
			    err, -EINVAL, "%s key: RSA key of %u bits is too large", ln, *bits);
	} else if (kt->list == SSHKEY_LIST_ECDSA) {
		/* RFC 5656 3.1: string curve, string Q (uncompressed, SEC1 2.3.3) */
		if (!rd_sshstr(r, &p, &len) || !str_is(p, len, kt->curve))
			return errbuf_set(
			    err, -EINVAL, "%s key: curve does not match %s", ln, kt->name);
		if (!rd_sshstr(r, &q, &qlen) || qlen != kt->qlen || q[0] != 0x04)
			return errbuf_set(
			    err, -EINVAL, "%s key: bad %s public point", ln, kt->curve);
		*bits = kt->bits;
	} else {
		/* RFC 8709 4: string key (32 bytes) */
		if (!rd_sshstr(r, &q, &qlen) || qlen != kt->qlen)
			return errbuf_set(err, -EINVAL, "%s key: bad Ed25519 public key", ln);
		*bits = kt->bits;
	}
	if (r->left)
		return errbuf_set(err, -EINVAL, "%s key: trailing bytes after the key", ln);
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
sshkey_parse(enum sshkey_list list, const char *text, struct sshkey *out, struct errbuf *err)
{
	const char *ln = sshkey_list_name(list), *s = text, *w1, *w2 = NULL, *cm = NULL;
	size_t l1, l2 = 0, lc = 0, i;
	const struct keytype *named = NULL, *kt;
	uint8_t *blob = NULL;
	const uint8_t *tp;
	uint32_t tlen;
	struct rd r;
	long n;
	int rc = -EINVAL, len;

	memset(out, 0, sizeof(*out));
	for (i = 0; text[i]; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			errbuf_set(err, -EINVAL, "%s key: control characters are not allowed", ln);
			goto out;
		}
	}
	while (is_space(*s))
		s++;
	w1 = s;
	while (*s && !is_space(*s))
		s++;
	l1 = (size_t)(s - w1);
	while (is_space(*s))
		s++;
	if (*s) {
		w2 = s;
		while (*s && !is_space(*s))
			s++;
		l2 = (size_t)(s - w2);
		while (is_space(*s))
			s++;
	}
	if (*s) {
		cm = s;
		lc = strlen(cm);
		while (lc && is_space(cm[lc - 1]))
			lc--;
	}
	if (l1 == 0) {
		errbuf_set(err, -EINVAL, "%s key: empty", ln);
		goto out;
	}
	/* "TYPE BASE64 [COMMENT]", or the bare blob */
	if ((named = keytype_find((const uint8_t *)w1, l1)) == NULL) {
		/* a blob starts with its type's length, a small be32: "AAAA" */
		if (l1 < 4 || memcmp(w1, "AAAA", 4) != 0) {
			errbuf_set(err, -EINVAL,
			    "%s key: '%.*s' is not a supported key type (options before the key "
			    "are "
			    "not allowed)",
			    ln, (int)(l1 > 40 ? 40 : l1), w1);
			goto out;
		}
		/* the bare blob: what followed it is the comment */
		cm = w2;
		lc = w2 ? strlen(w2) : 0;
		while (lc && is_space(cm[lc - 1]))
			lc--;
		w2 = w1;
		l2 = l1;
	} else if (!w2) {
		errbuf_set(err, -EINVAL, "%s key: no key data after '%s'", ln, named->name);
		goto out;
	}
	if ((blob = malloc(BLOB_MAX)) == NULL) {
		rc = errbuf_set(err, -ENOMEM, "%s key: out of memory", ln);
		goto out;
	}
	if ((n = b64_decode(w2, l2, blob, BLOB_MAX)) < 0) {
		errbuf_set(err, -EINVAL, "%s key: key data is not valid base64", ln);
		goto out;
	}
	rd_init(&r, blob, (size_t)n);
	if (!rd_sshstr(&r, &tp, &tlen) || (kt = keytype_find(tp, tlen)) == NULL) {
		errbuf_set(
		    err, -EINVAL, "%s key: not an ssh-ed25519, ssh-rsa or ecdsa-sha2 key", ln);
		goto out;
	}
	if (named && named != kt) {
		errbuf_set(
		    err, -EINVAL, "%s key: the key data is %s, not %s", ln, kt->name, named->name);
		goto out;
	}
	if (kt->list != list) {
		errbuf_set(err, -EINVAL, "%s key: a %s key belongs under %s", ln, kt->name,
		    sshkey_list_name(kt->list));
		goto out;
	}
	if ((rc = blob_check(kt, &r, &out->bits, ln, err)) < 0)
		goto out;
	rc = -EINVAL;
	snprintf(out->type, sizeof(out->type), "%s", kt->name);
	len = snprintf(out->line, sizeof(out->line), "%s %.*s%s%.*s", kt->name, (int)l2, w2,
	    lc ? " " : "", (int)lc, lc ? cm : "");
	if (len < 0 || (size_t)len >= sizeof(out->line)) {
		errbuf_set(err, -EINVAL, "%s key: too long", ln);
		goto out;
	}
	rc = 0;
out:
	free(blob);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static bool
is_crypt64(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '/';
}

/* n characters of the crypt alphabet from s; 0 or -1 */
static int
span64(const char *s, size_t min, size_t max, size_t *len)
{
	size_t n = 0;

	while (is_crypt64(s[n]))
		n++;
	if (n < min || n > max)
		return -1;
	*len = n;
	return 0;
}

int
pwhash_check(const char *h, struct errbuf *err)
{
	const char *s;
	size_t n;
	unsigned long rounds;
	char *end;

	if (!strncmp(h, "$1$", 3) || !strncmp(h, "$5$", 3) || !strncmp(h, "$6$", 3)) {
		/* $id$[rounds=N$]salt$hash: MD5 22, SHA-256 43, SHA-512 86 */
		size_t want = h[1] == '1' ? 22 : h[1] == '5' ? 43 : 86;
		s = h + 3;
		if (h[1] != '1' && !strncmp(s, "rounds=", 7)) {
			if (s[7] < '0' || s[7] > '9')
				goto bad;
			errno = 0;
			rounds = strtoul(s + 7, &end, 10);
			if (errno || *end != '$' || rounds < 1000 || rounds > 999999999)
				goto bad;
			s = end + 1;
		}
		if (span64(s, 1, h[1] == '1' ? 8 : 16, &n) < 0 || s[n] != '$')
			goto bad;
		s += n + 1;
		if (span64(s, want, want, &n) < 0 || s[n])
			goto bad;
		return 0;
	}
	if (!strncmp(h, "$2a$", 4) || !strncmp(h, "$2b$", 4) || !strncmp(h, "$2y$", 4)) {
		/* $2b$CC$ + 22 salt + 31 hash */
		s = h + 4;
		if (s[0] < '0' || s[0] > '3' || s[1] < '0' || s[1] > '9' || s[2] != '$')
			goto bad;
		s += 3;
		if (span64(s, 53, 53, &n) < 0 || s[n])
			goto bad;
		return 0;
	}
	if (!strncmp(h, "$y$", 3)) {
		/* $y$params$salt$hash (43) */
		s = h + 3;
		if (span64(s, 1, 64, &n) < 0 || s[n] != '$')
			goto bad;
		s += n + 1;
		if (span64(s, 1, 86, &n) < 0 || s[n] != '$')
			goto bad;
		s += n + 1;
		if (span64(s, 43, 43, &n) < 0 || s[n])
			goto bad;
		return 0;
	}
bad:
	return errbuf_set(err, -EINVAL,
	    "encrypted-password: not a crypt(3) hash ($1$, $5$, $6$, $2b$ or $y$ with its salt "
	    "and hash)");
}

int
acctname_check(const char *name, struct errbuf *err)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > SYSD_NAME_MAX)
		return errbuf_set(err, -EINVAL,
		    "user name '%s' is too long for a Linux account (at most %d characters)", name,
		    SYSD_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || c == '_' ||
		          (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
		if (!ok)
			return errbuf_set(err, -EINVAL, "invalid user name '%s'", name);
	}
	return 0;
}

int
gecos_check(const char *g, struct errbuf *err)
{
	size_t i;

	for (i = 0; g[i]; i++) {
		unsigned char c = (unsigned char)g[i];
		if (c < 0x20 || c == 0x7f || c == ':')
			return errbuf_set(
			    err, -EINVAL, "full-name: ':' and control characters are not allowed");
	}
	return 0;
}
