/* SPDX-License-Identifier: MIT */
/* ike_id: IKE identities from configuration, matching and text (RFC 7296 3.5). */
#include "ike_id.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "banned.h"

int
ike_id_from_conf(enum ike_id_kind kind, const char *value, struct ike_id *out)
{
	struct ike_addr a;
	size_t n = strlen(value);

	memset(out, 0, sizeof(*out));
	switch (kind) {
	case IKE_IDK_NONE:
		return 0;
	case IKE_IDK_INET:
	case IKE_IDK_INET6:
		if (ike_addr_parse(value, &a) < 0 ||
		    a.family != (kind == IKE_IDK_INET ? AF_INET : AF_INET6))
			return -EINVAL;
		ike_id_from_addr(&a, out);
		return 0;
	case IKE_IDK_HOSTNAME:
		out->type = IKE_ID_FQDN;
		break;
	case IKE_IDK_USER_AT_HOSTNAME:
		out->type = IKE_ID_RFC822_ADDR;
		break;
	case IKE_IDK_KEY_ID:
		out->type = IKE_ID_KEY_ID;
		break;
	}
	if (n == 0 || n > IKE_ID_MAX)
		return -EINVAL;
	out->len = (uint8_t)n;
	memcpy(out->data, value, n);
	return 0;
}

void
ike_id_from_addr(const struct ike_addr *a, struct ike_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = a->family == AF_INET6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR;
	out->len = (uint8_t)ike_addr_len(a);
	memcpy(out->data, a->b, out->len);
}

int
ike_id_set(struct ike_id *id, uint8_t type, const uint8_t *data, size_t len)
{
	memset(id, 0, sizeof(*id));
	if (len > IKE_ID_MAX || len == 0)
		return -EBADMSG;
	if ((type == IKE_ID_IPV4_ADDR && len != 4) || (type == IKE_ID_IPV6_ADDR && len != 16))
		return -EBADMSG;
	id->type = type;
	id->len = (uint8_t)len;
	memcpy(id->data, data, len);
	return 0;
}

static bool
id_textual(uint8_t type)
{
	return type == IKE_ID_FQDN || type == IKE_ID_RFC822_ADDR;
}

bool
ike_id_eq(const struct ike_id *a, const struct ike_id *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	if (id_textual(a->type))
		return strncasecmp((const char *)a->data, (const char *)b->data, a->len) == 0;
	return memcmp(a->data, b->data, a->len) == 0;
}

int
ike_idh_set(struct ike_idh **h, const struct ike_id *id)
{
	struct ike_idh *n = NULL;

	if (id->type != IKE_ID_NONE) {
		n = malloc(sizeof(*n) + id->len);
		if (n == NULL)
			return -ENOMEM;
		n->type = id->type;
		n->len = id->len;
		memcpy(n->data, id->data, id->len);
	}
	free(*h);
	*h = n;
	return 0;
}

int
ike_idh_dup(struct ike_idh **dst, const struct ike_idh *src)
{
	struct ike_id id;

	ike_idh_get(src, &id);
	return ike_idh_set(dst, &id);
}

void
ike_idh_free(struct ike_idh **h)
{
	free(*h);
	*h = NULL;
}

void
ike_idh_get(const struct ike_idh *h, struct ike_id *out)
{
	out->type = h != NULL ? h->type : IKE_ID_NONE;
	out->len = h != NULL ? h->len : 0;
	if (out->len > 0)
		memcpy(out->data, h->data, out->len);
}

bool
ike_idh_eq(const struct ike_idh *h, const struct ike_id *id)
{
	struct ike_id a;

	ike_idh_get(h, &a);
	return ike_id_eq(&a, id);
}

bool
ike_idh_eq2(const struct ike_idh *a, const struct ike_idh *b)
{
	struct ike_id x;

	ike_idh_get(b, &x);
	return ike_idh_eq(a, &x);
}

bool
ike_id_suffix_match(const struct ike_id *common, const struct ike_id *id)
{
	size_t i, off;

	if (common->type != id->type || common->len > id->len)
		return false;
	off = (size_t)id->len - common->len;
	for (i = 0; i < common->len; i++) {
		uint8_t x = id->data[off + i], y = common->data[i];

		if (id_textual(id->type) ? tolower(x) != tolower(y) : x != y)
			return false;
	}
	return true;
}

const char *
ike_id_str(const struct ike_id *id, char *buf, size_t len)
{
	size_t i, o = 0;
	bool printable = true;

	if (id->type == IKE_ID_IPV4_ADDR || id->type == IKE_ID_IPV6_ADDR) {
		if (!inet_ntop(id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, buf,
		        (socklen_t)len))
			snprintf(buf, len, "%s", "?");
		return buf;
	}
	if (id->type == IKE_ID_NONE) {
		snprintf(buf, len, "%s", "-");
		return buf;
	}
	for (i = 0; i < id->len; i++)
		printable &= isprint(id->data[i]) != 0;
	if (printable) {
		snprintf(buf, len, "%.*s", (int)id->len, (const char *)id->data);
		return buf;
	}
	for (i = 0; i < id->len && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", id->data[i]);
	if (len)
		buf[o < len ? o : len - 1] = '\0';
	return buf;
}

const char *
ike_id_type_str(uint8_t type)
{
	switch (type) {
	case IKE_ID_IPV4_ADDR:
		return "ipv4";
	case IKE_ID_IPV6_ADDR:
		return "ipv6";
	case IKE_ID_FQDN:
		return "hostname";
	case IKE_ID_RFC822_ADDR:
		return "user-at-hostname";
	case IKE_ID_KEY_ID:
		return "key-id";
	case IKE_ID_DER_ASN1_DN:
		return "distinguished-name";
	default:
		return "unknown";
	}
}
