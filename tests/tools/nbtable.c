/* SPDX-License-Identifier: MIT */
#include "nbtable.h"

#include <stddef.h>

#include "banned.h"

const char *const nbtable_subtrees[] = { "cairn-security:security", "cairn-interfaces:interfaces",
	"cairn-routing:routing-options", NULL };

/* Whole subtrees, except one leaf that is its own node. */
static const char *const subtree_paths[] = {
	"/cairn-security:security/ike/session",
	"/cairn-security:security/ike/respond-bad-spi",
	"/cairn-security:security/ike/proposal",
	"/cairn-security:security/ike/policy",
	"/cairn-security:security/ike/gateway",
	"/cairn-security:security/ipsec/vpn-monitor-options",
	"/cairn-security:security/ipsec/proposal",
	"/cairn-security:security/ipsec/policy",
	"/cairn-security:security/ipsec/vpn",
	"/cairn-security:security/zones/security-zone",
	"/cairn-security:security/policies/from-zone",
	"/cairn-security:security/dataplane",
	"/cairn-interfaces:interfaces/interface",
	"/cairn-routing:routing-options/static/route",
};

#define N_SUB (sizeof(subtree_paths) / sizeof(subtree_paths[0]))

const struct nb_node_ops *
nbtable_nodes(nb_cb cb)
{
	static struct nb_node_ops t[N_SUB + 2];
	size_t i;

	for (i = 0; i < N_SUB; i++)
		t[i] = (struct nb_node_ops){ .path = subtree_paths[i],
			.create = cb,
			.modify = cb,
			.destroy = cb,
			.move = cb,
			.flags = NB_F_SUBTREE };
	t[i++] =
	    (struct nb_node_ops){ .path = "/cairn-security:security/ipsec/anti-replay-window-size",
		    .modify = cb };
	t[i] = (struct nb_node_ops){ .path = NULL };
	return t;
}
