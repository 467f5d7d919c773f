/* SPDX-License-Identifier: MIT */
/* vpngen: route-based VPN configurations as JSON. */
#include "vpngen.h"

#include "banned.h"

static void
ike_policy(struct buf *b, unsigned i)
{
	buf_printf(b,
	    "{\"name\":\"ike-pol-%u\",\"proposals\":[\"ike-prop\"],"
	    "\"pre-shared-key\":{\"ascii-text\":\"secret-%u\"}}",
	    i, i);
}

static void
gateway(struct buf *b, unsigned i)
{
	buf_printf(b,
	    "{\"name\":\"gw-%u\",\"ike-policy\":\"ike-pol-%u\",\"address\":[\"198.18.%u.%u\"],"
	    "\"external-interface\":\"eth0.0\",\"local-identity\":{\"inet\":\"192.0.2.1\"},"
	    "\"dead-peer-detection\":{\"interval\":20}}",
	    i, i, (i >> 8) & 0xff, i & 0xff);
}

static void
vpn(struct buf *b, unsigned i)
{
	buf_printf(b,
	    "{\"name\":\"vpn-%u\",\"bind-interface\":\"st0.%u\",\"ike\":{\"gateway\":\"gw-%u\","
	    "\"ipsec-policy\":\"ipsec-pol\"},\"establish-tunnels\":\"immediately\"}",
	    i, i, i);
}

static void
unit(struct buf *b, unsigned i)
{
	buf_printf(b,
	    "{\"name\":%u,\"family\":{\"inet\":{\"address\":[{\"name\":\"169.254.%u.%u/32\"}]}}}",
	    i, (i >> 8) & 0xff, i & 0xff);
}

static void
route(struct buf *b, unsigned i)
{
	buf_printf(b, "{\"name\":\"10.%u.%u.0/24\",\"next-hop\":[\"st0.%u\"]}", 128 + (i >> 8),
	    i & 0xff, i);
}

static void
zone_if(struct buf *b, unsigned i)
{
	buf_printf(b, "{\"name\":\"st0.%u\"}", i);
}

typedef void (*item_fn)(struct buf *, unsigned);

static void
items(struct buf *b, item_fn fn, unsigned from, unsigned to)
{
	unsigned i;

	for (i = from; i < to; i++) {
		if (i > from)
			buf_putc(b, ',');
		fn(b, i);
	}
}

static void
config(struct buf *b, unsigned from, unsigned to, int shared)
{
	buf_puts(b, "{\"cairn-security:security\":{\"ike\":{");
	if (shared)
		buf_puts(b, "\"proposal\":[{\"name\":\"ike-prop\",\"dh-group\":\"group19\","
		            "\"authentication-algorithm\":\"sha-256\","
		            "\"encryption-algorithm\":\"aes-256-gcm\"}],");
	buf_puts(b, "\"policy\":[");
	items(b, ike_policy, from, to);
	buf_puts(b, "],\"gateway\":[");
	items(b, gateway, from, to);
	buf_puts(b, "]},\"ipsec\":{");
	if (shared)
		buf_puts(b, "\"proposal\":[{\"name\":\"ipsec-prop\",\"encryption-algorithm\":"
		            "\"aes-256-gcm\"}],\"policy\":[{\"name\":\"ipsec-pol\","
		            "\"perfect-forward-secrecy\":{\"keys\":\"group19\"},"
		            "\"proposals\":[\"ipsec-prop\"]}],");
	buf_puts(b, "\"vpn\":[");
	items(b, vpn, from, to);
	buf_puts(b, "]},\"zones\":{\"security-zone\":[");
	if (shared)
		buf_puts(b, "{\"name\":\"trust\"},{\"name\":\"untrust\",\"interfaces\":[{\"name\":"
		            "\"eth0.0\",\"host-inbound-traffic\":{\"system-services\":[{\"name\":"
		            "\"ike\"}]}}]},");
	buf_puts(b, "{\"name\":\"vpn\",\"interfaces\":[");
	items(b, zone_if, from, to);
	buf_puts(b, "]}]}},\"cairn-interfaces:interfaces\":{\"interface\":[");
	if (shared)
		buf_puts(b, "{\"name\":\"eth0\",\"unit\":[{\"name\":0,\"family\":{\"inet\":{"
		            "\"address\":[{\"name\":\"192.0.2.1/24\"}]}}}]},");
	buf_puts(b, "{\"name\":\"st0\",\"unit\":[");
	items(b, unit, from, to);
	buf_puts(b, "]}]},\"cairn-routing:routing-options\":{\"static\":{\"route\":[");
	items(b, route, from, to);
	buf_puts(b, "]}}}");
}

void
vpngen_json(struct buf *out, unsigned n)
{
	config(out, 0, n, 1);
}

void
vpngen_one_json(struct buf *out, unsigned i)
{
	config(out, i, i + 1, 0);
}
