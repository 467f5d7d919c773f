/* SPDX-License-Identifier: MIT */
/* ike_addr: IP address and endpoint helpers for the IKE engine. */
#include "ike_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "banned.h"

size_t
ike_addr_len(const struct ike_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

bool
ike_addr_is_set(const struct ike_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

bool
ike_addr_eq(const struct ike_addr *a, const struct ike_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, ike_addr_len(a)) == 0;
}

int
ike_addr_cmp(const struct ike_addr *a, const struct ike_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, ike_addr_len(a));
}

bool
ike_ep_eq(const struct ike_endpoint *a, const struct ike_endpoint *b)
{
	return a->port == b->port && ike_addr_eq(&a->addr, &b->addr);
}

int
ike_addr_parse(const char *s, struct ike_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int
ike_prefix_parse(const char *s, struct ike_addr *addr, uint8_t *len)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long l;
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (ike_addr_parse(tmp, addr) < 0)
		return -EINVAL;
	if (!slash) {
		*len = (uint8_t)(ike_addr_len(addr) * 8);
		return 0;
	}
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (errno || *end != '\0' || end == slash + 1 || l > ike_addr_len(addr) * 8)
		return -EINVAL;
	*len = (uint8_t)l;
	return 0;
}

void
ike_prefix_range(const struct ike_addr *addr, uint8_t len, struct ike_addr *lo, struct ike_addr *hi)
{
	size_t n = ike_addr_len(addr), i;

	*lo = *addr;
	*hi = *addr;
	for (i = 0; i < n; i++) {
		unsigned bits = i * 8 >= len ? 0 : len - i * 8 >= 8 ? 8 : len - i * 8;
		uint8_t mask = bits == 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		lo->b[i] = addr->b[i] & mask;
		hi->b[i] = (uint8_t)(addr->b[i] | (uint8_t)~mask);
	}
}

const char *
ike_addr_str(const struct ike_addr *a, char *buf, size_t len)
{
	if (!ike_addr_is_set(a) || !inet_ntop(a->family, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "%s", "-");
	return buf;
}

uint64_t
ike_addr_hash(const struct ike_addr *a, uint16_t port)
{
	/* FNV-1a over family, address and port: only spreads table buckets. */
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i, n = ike_addr_len(a);

	h = (h ^ a->family) * 0x100000001b3ull;
	for (i = 0; i < n; i++)
		h = (h ^ a->b[i]) * 0x100000001b3ull;
	h = (h ^ (port >> 8)) * 0x100000001b3ull;
	h = (h ^ (port & 0xff)) * 0x100000001b3ull;
	return h;
}
