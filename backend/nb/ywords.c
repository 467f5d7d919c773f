/* SPDX-License-Identifier: MIT */
/* ywords: Junos hierarchy words for data paths; commit error layout. */
#include "ywords.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void
ywords_put_word(struct buf *out, const char *w, size_t len)
{
	size_t i;
	bool quote = len == 0;

	for (i = 0; i < len && !quote; i++)
		if (w[i] == ' ' || w[i] == '\t' || w[i] == '"' || w[i] == ';' || w[i] == '{' ||
		    w[i] == '}' || w[i] == '#' || w[i] == '[' || w[i] == ']')
			quote = true;
	if (out->len && out->p[out->len - 1] != ' ')
		buf_putc(out, ' ');
	if (!quote) {
		buf_append(out, w, len);
		return;
	}
	buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		if (w[i] == '"' || w[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, w[i]);
	}
	buf_putc(out, '"');
}

static bool
is_flat_key(const struct lysc_node *s)
{
	LY_ARRAY_COUNT_TYPE u;

	LY_ARRAY_FOR(s->exts, u)
	{
		if (!strcmp(s->exts[u].def->name, "flat-key") &&
		    !strcmp(s->exts[u].def->module->name, "cairn-extensions"))
			return true;
	}
	return false;
}

/* One predicate "[k='v']" or "[.='v']" at *p; the value goes to out as a word. */
static int
predicate(const char **p, struct buf *out)
{
	const char *s = *p, *eq, *v;
	char q;

	if (*s != '[')
		return -EINVAL;
	eq = strchr(s, '=');
	if (!eq)
		return -EINVAL;
	q = eq[1];
	if (q != '\'' && q != '"')
		return -EINVAL;
	v = eq + 2;
	s = strchr(v, q);
	if (!s || s[1] != ']')
		return -EINVAL;
	ywords_put_word(out, v, (size_t)(s - v));
	*p = s + 2;
	return 0;
}

int
ywords_path(const struct ly_ctx *ctx, const char *path, struct buf *out, size_t *last_off)
{
	const struct lysc_node *parent = NULL, *s;
	const struct lys_module *mod = NULL;
	const char *p = path, *name, *colon, *end;
	char modname[128], nodename[128];
	size_t nlen;
	int rc;

	if (last_off)
		*last_off = out->len;
	while (*p == '/') {
		p++;
		name = p;
		end = name + strcspn(name, "/[");
		colon = memchr(name, ':', (size_t)(end - name));
		if (colon) {
			nlen = (size_t)(colon - name);
			if (nlen >= sizeof(modname))
				return -EINVAL;
			memcpy(modname, name, nlen);
			modname[nlen] = '\0';
			mod = ly_ctx_get_module_implemented(ctx, modname);
			name = colon + 1;
		}
		nlen = (size_t)(end - name);
		if (nlen == 0 || nlen >= sizeof(nodename))
			return -EINVAL;
		memcpy(nodename, name, nlen);
		nodename[nlen] = '\0';
		s = lys_find_child(parent, mod, nodename, 0, 0, 0);
		if (last_off)
			*last_off = out->len;
		if (!s || !(s->nodetype == LYS_LIST && is_flat_key(s)))
			ywords_put_word(out, nodename, nlen);
		p = end;
		while (*p == '[') {
			if ((rc = predicate(&p, out)) < 0)
				return rc;
		}
		if (s)
			parent = s;
		if (s)
			mod = s->module;
	}
	return *p == '\0' ? 0 : -EINVAL;
}

int
ywords_node(const struct lyd_node *node, struct buf *out)
{
	char *path = lyd_path(node, LYD_PATH_STD, NULL, 0);
	int rc;

	if (!path)
		return -ENOMEM;
	rc = ywords_path(LYD_CTX(node), path, out, NULL);
	free(path);
	return rc;
}

void
ywords_error(
    struct buf *out, const struct ly_ctx *ctx, const char *path, const char *value, const char *msg)
{
	struct buf w = BUF_INIT;
	size_t last = 0, hlen;

	if (!path || ywords_path(ctx, path, &w, &last) < 0) {
		buf_printf(out, "[edit]\n    %s\n", msg);
		buf_free(&w);
		return;
	}
	hlen = last;
	while (hlen > 0 && w.p[hlen - 1] == ' ')
		hlen--;
	buf_puts(out, "[edit");
	if (hlen) {
		buf_putc(out, ' ');
		buf_append(out, w.p, hlen);
	}
	buf_puts(out, "]\n  '");
	buf_puts(out, w.p + last + (w.p[last] == ' ' ? 1 : 0));
	if (value) {
		struct buf v = BUF_INIT;
		ywords_put_word(&v, value, strlen(value));
		buf_putc(out, ' ');
		buf_puts(out, buf_str(&v));
		buf_free(&v);
	}
	buf_printf(out, "'\n    %s\n", msg);
	buf_free(&w);
}
