/* SPDX-License-Identifier: MIT */
/*
 * cfg_secret: the Junos "$9$" encoding, written from its public
 * description. The text after "$9$" is: one salt character, then as many
 * random filler characters as the salt's family asks (0..3), then for
 * each byte of clear text a group of 2..4 characters. Each character
 * stands for a "gap": its distance in a 65-character alphabet from the
 * previous character, minus one. A group's gaps are the digits of the
 * byte in a mixed radix given by a 7-row weight table, the row chosen by
 * the byte's index modulo 7.
 */
#include "cfg_secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "xmem.h"
#include "banned.h"

/* The alphabet is four families; a salt from family f is followed by
 * 3 - f filler characters. */
static const char *const families[4] = {
	"QzF3n6/9CAtpu0O",
	"B1IREhcSyrleKvMW8LXx",
	"7N-dVbwsY2g4oaJZGUDj",
	"iHkq.mPf5T",
};

#define ALPHA_LEN 65
#define MAX_PLAIN 4096

/* Weights of the gaps in one group, lowest first; 0 ends a row. */
static const uint8_t weights[7][4] = {
	{ 1, 4, 32, 0 },
	{ 1, 16, 32, 0 },
	{ 1, 8, 32, 0 },
	{ 1, 64, 0, 0 },
	{ 1, 32, 0, 0 },
	{ 1, 4, 16, 128 },
	{ 1, 32, 64, 0 },
};

struct alpha {
	char chr[ALPHA_LEN];
	int8_t idx[256];   /* -1: not in the alphabet */
	int8_t extra[256]; /* filler count after a salt character */
};

/* Fills the alphabet tables (cheap; done per call so that no shared state
 * needs initialising across threads). */
static void
alpha_init(struct alpha *a)
{
	int n = 0;

	memset(a->idx, -1, sizeof(a->idx));
	memset(a->extra, -1, sizeof(a->extra));
	for (int f = 0; f < 4; f++) {
		for (const char *p = families[f]; *p; p++) {
			a->chr[n] = *p;
			a->idx[(uint8_t)*p] = (int8_t)n;
			a->extra[(uint8_t)*p] = (int8_t)(3 - f);
			n++;
		}
	}
}

static unsigned
row_len(unsigned row)
{
	unsigned n = 0;

	while (n < 4 && weights[row][n])
		n++;
	return n;
}

char *
cfg_secret_encode_rnd(const char *plain, size_t len, const uint8_t *rnd, size_t rndlen)
{
	struct alpha al, *a = &al;
	char *out, *o, prev;
	unsigned extra;

	if (!plain || len == 0 || len > MAX_PLAIN || memchr(plain, '\0', len) || !rnd ||
	    rndlen < 4) {
		errno = EINVAL;
		return NULL;
	}
	alpha_init(a);
	/* "$9$" + salt + up to 3 fillers + at most 4 characters a byte + NUL */
	if ((out = malloc(3 + 1 + 3 + 4 * len + 1)) == NULL)
		return NULL;
	memcpy(out, CFG_SECRET_MAGIC, 3);
	o = out + 3;
	prev = a->chr[rnd[0] % ALPHA_LEN];
	*o++ = prev;
	extra = (unsigned)a->extra[(uint8_t)prev];
	for (unsigned i = 0; i < extra; i++)
		*o++ = a->chr[rnd[1 + i] % ALPHA_LEN];
	for (size_t i = 0; i < len; i++) {
		unsigned row = (unsigned)(i % 7), n = row_len(row);
		unsigned v = (uint8_t)plain[i], digit[4];

		/* Mixed-radix digits, highest weight first. */
		for (unsigned j = n; j-- > 0;) {
			digit[j] = v / weights[row][j];
			v %= weights[row][j];
		}
		for (unsigned j = 0; j < n; j++) {
			int next = (a->idx[(uint8_t)prev] + (int)digit[j] + 1) % ALPHA_LEN;

			prev = a->chr[next];
			*o++ = prev;
		}
	}
	*o = '\0';
	return out;
}

char *
cfg_secret_encode(const char *plain, size_t len)
{
	uint8_t rnd[4];
	char *out;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return NULL;
	out = cfg_secret_encode_rnd(plain, len, rnd, sizeof(rnd));
	explicit_bzero(rnd, sizeof(rnd));
	return out;
}

int
cfg_secret_decode(const char *s, size_t len, char **out, size_t *outlen)
{
	struct alpha al, *a = &al;
	size_t i, nout = 0, cap;
	char *buf = NULL;
	int prev, extra, rc = -EINVAL;

	*out = NULL;
	*outlen = 0;
	if (!s || len < 4 || memcmp(s, CFG_SECRET_MAGIC, 3) != 0)
		return -EINVAL;
	alpha_init(a);
	s += 3;
	len -= 3;
	if ((prev = a->idx[(uint8_t)s[0]]) < 0)
		return -EINVAL;
	extra = a->extra[(uint8_t)s[0]];
	if (len < 1 + (size_t)extra)
		return -EINVAL;
	for (i = 1; i < 1 + (size_t)extra; i++)
		if (a->idx[(uint8_t)s[i]] < 0)
			return -EINVAL;
	/* Each byte takes at least 2 characters. */
	cap = (len - i) / 2 + 1;
	if ((buf = malloc(cap)) == NULL)
		return -ENOMEM;
	while (i < len) {
		unsigned row = (unsigned)(nout % 7), n = row_len(row), v = 0;

		if (len - i < n)
			goto out;
		for (unsigned j = 0; j < n; j++) {
			int cur = a->idx[(uint8_t)s[i + j]], gap;

			if (cur < 0)
				goto out;
			gap = ((cur - prev) % ALPHA_LEN + ALPHA_LEN) % ALPHA_LEN - 1;
			/* A real encoding writes canonical digits only. */
			if (gap < 0 ||
			    (j + 1 < n && (unsigned)gap >= weights[row][j + 1] / weights[row][j]))
				goto out;
			v += (unsigned)gap * weights[row][j];
			prev = cur;
		}
		if (v == 0 || v > 255)
			goto out;
		buf[nout++] = (char)v;
		i += n;
	}
	if (nout == 0)
		goto out;
	buf[nout] = '\0';
	*out = buf;
	*outlen = nout;
	buf = NULL;
	rc = 0;
out:
	if (buf)
		xmem_free(buf, cap);
	return rc;
}

bool
cfg_secret_valid(const char *s, size_t len)
{
	char *plain;
	size_t n;

	if (cfg_secret_decode(s, len, &plain, &n) != 0)
		return false;
	xmem_free(plain, n + 1);
	return true;
}
