/* SPDX-License-Identifier: MIT */
/* cfgrand: random configuration edits for equivalence tests. */
#include "cfgrand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"
#include "xorshift.h"

void
cfgrand_init(struct cfgrand *r, uint64_t seed, unsigned nvpn)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
	r->nvpn = nvpn;
	r->next = 0;
}

uint32_t
cfgrand_u32(struct cfgrand *r)
{
	return (uint32_t)(xorshift64s(&r->s) >> 32);
}

struct ly_ctx *
cfgrand_ctx(void)
{
	static const char *mods[] = { "cairn-security", "cairn-interfaces", "cairn-routing",
		"cairn-system", "cairn-mgmt", NULL };
	const char *dir = getenv("CAIRN_YANG_DIR");
	struct ly_ctx *ctx = NULL;
	int i;

	/* the tests provoke errors: keep only the last message, print none */
	ly_log_options(LY_LOSTORE_LAST);
	if (ly_ctx_new(dir ? dir : "yang", 0, &ctx) != LY_SUCCESS)
		goto fail;
	for (i = 0; mods[i]; i++) {
		if (!ly_ctx_load_module(ctx, mods[i], NULL, NULL))
			goto fail;
	}
	return ctx;
fail:
	ly_ctx_destroy(ctx);
	fprintf(stderr, "cannot load the YANG modules (CAIRN_YANG_DIR=%s)\n", dir ? dir : "yang");
	return NULL;
}

static void
add_path(char ***paths, size_t *n, const char *p)
{
	char **np = realloc(*paths, (*n + 1) * sizeof(*np));

	if (!np)
		abort();
	*paths = np;
	np[*n] = strdup(p);
	if (!np[*n])
		abort();
	(*n)++;
}

static void
add_node_path(char ***paths, size_t *n, const struct lyd_node *node)
{
	char *p = lyd_path(node, LYD_PATH_STD, NULL, 0);

	if (!p)
		abort();
	add_path(paths, n, p);
	free(p);
}

void
cfgrand_free_paths(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* All explicit non-key nodes of the tree. */
static size_t
collect(struct lyd_node *tree, struct lyd_node ***out)
{
	struct lyd_node *top, *n, **arr = NULL;
	size_t cnt = 0, cap = 0;

	LY_LIST_FOR(tree, top){ LYD_TREE_DFS_BEGIN(top, n){
	    if (!(n->flags & LYD_DEFAULT) && !(n->schema->flags & LYS_KEY)){
		if (cnt == cap){ cap = cap ? cap * 2 : 256;
	arr = realloc(arr, cap * sizeof(*arr));
	if (!arr)
		abort();
}
arr[cnt++] = n;
}
LYD_TREE_DFS_END(top, n);
}
}
*out = arr;
return cnt;
}

static int
set_path(struct lyd_node **tree, const struct ly_ctx *ctx, const char *path, const char *value,
    char ***paths, size_t *npaths)
{
	struct lyd_node *node = NULL;

	if (lyd_new_path(*tree, ctx, path, value, LYD_NEW_PATH_UPDATE, &node) != LY_SUCCESS) {
		ly_err_clean((struct ly_ctx *)ctx, NULL);
		return -1;
	}
	if (!*tree) {
		*tree = node;
		while (lyd_parent(*tree))
			*tree = lyd_parent(*tree);
	}
	*tree = lyd_first_sibling(*tree);
	/* the first node created, else the one updated */
	if (!node && lyd_find_path(*tree, path, 0, &node) != LY_SUCCESS)
		return -1;
	add_node_path(paths, npaths, node);
	return 0;
}

const char *
cfgrand_edit(struct cfgrand *r, struct lyd_node **tree, char ***paths, size_t *npaths)
{
	const struct ly_ctx *ctx = *tree ? LYD_CTX(*tree) : NULL;
	struct lyd_node **nodes = NULL, *victim, *node, *sib;
	char path[512], val[64];
	unsigned v = cfgrand_u32(r) % (r->nvpn + 4);
	const char *what = NULL;
	size_t cnt;

	if (!ctx)
		return NULL;
	switch (cfgrand_u32(r) % 16) {
	case 0: /* delete a random node (leaf, entry, container) */
	case 1:
		cnt = collect(*tree, &nodes);
		if (!cnt)
			break;
		victim = nodes[cfgrand_u32(r) % cnt];
		/* do not delete whole top-level containers too often */
		if (!lyd_parent(victim) && cfgrand_u32(r) % 4)
			break;
		add_node_path(paths, npaths, victim);
		if (victim == *tree)
			*tree = victim->next;
		lyd_free_tree(victim);
		what = "delete";
		break;
	case 2: /* a whole new VPN with its gateway and policy, maybe incomplete */
		r->next++;
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/policy[name='np-%u']/proposal-set", r->next);
		if (cfgrand_u32(r) % 4)
			set_path(tree, ctx, path, "standard", paths, npaths);
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/gateway[name='ngw-%u']/ike-policy", r->next);
		snprintf(val, sizeof(val), "np-%u", r->next);
		if (cfgrand_u32(r) % 4)
			set_path(tree, ctx, path, val, paths, npaths);
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/gateway[name='ngw-%u']/address", r->next);
		if (cfgrand_u32(r) % 4)
			set_path(tree, ctx, path, "198.51.100.7", paths, npaths);
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ipsec/vpn[name='nvpn-%u']/ike/gateway", r->next);
		snprintf(val, sizeof(val), "ngw-%u", r->next);
		set_path(tree, ctx, path, val, paths, npaths);
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ipsec/vpn[name='nvpn-%u']/ike/ipsec-policy", r->next);
		if (cfgrand_u32(r) % 4)
			set_path(tree, ctx, path, "ipsec-pol", paths, npaths);
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ipsec/vpn[name='nvpn-%u']/bind-interface", r->next);
		snprintf(val, sizeof(val), "st0.%u", cfgrand_u32(r) % (r->nvpn + 3));
		if (cfgrand_u32(r) % 2)
			set_path(tree, ctx, path, val, paths, npaths);
		what = "new vpn";
		break;
	case 3: /* change a leaf of a VPN */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ipsec/vpn[name='vpn-%u']/establish-tunnels", v);
		set_path(tree, ctx, path, cfgrand_u32(r) % 2 ? "on-traffic" : "immediately", paths,
		    npaths);
		what = "vpn leaf";
		break;
	case 4: /* repoint a VPN at another (maybe missing) gateway */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ipsec/vpn[name='vpn-%u']/ike/gateway", v);
		snprintf(val, sizeof(val), "gw-%u", cfgrand_u32(r) % (r->nvpn + 2));
		set_path(tree, ctx, path, val, paths, npaths);
		what = "vpn gateway";
		break;
	case 5: /* dead-peer-detection interval, maybe the default value */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/gateway[name='gw-%u']/dead-peer-detection/"
		    "interval",
		    v);
		snprintf(val, sizeof(val), "%u", 2 + cfgrand_u32(r) % 20);
		set_path(tree, ctx, path, val, paths, npaths);
		what = "dpd interval";
		break;
	case 6: /* another gateway address (user-ordered, max 5) */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/gateway[name='gw-%u']/address", v);
		snprintf(val, sizeof(val), "203.0.113.%u", cfgrand_u32(r) % 8);
		if (lyd_new_path(*tree, ctx, path, val, 0, &node) == LY_SUCCESS && node) {
			*tree = lyd_first_sibling(*tree);
			/* the new instance (node may be a new gateway holding it) */
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "[.='%s']", val);
			if (lyd_find_path(*tree, path, 0, &node) != LY_SUCCESS)
				break;
			/* move it to a random place among its siblings */
			sib = lyd_first_sibling(node);
			if (sib->schema->flags & LYS_KEY)
				lyd_find_sibling_val(sib, node->schema, NULL, 0, &sib);
			if (sib && sib != node && cfgrand_u32(r) % 2)
				lyd_insert_before(sib, node);
			add_node_path(paths, npaths, node);
			what = "address";
		} else {
			ly_err_clean((struct ly_ctx *)ctx, NULL);
		}
		break;
	case 7: /* a new IKE proposal, user-ordered list, placed first */
		r->next++;
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/proposal[name='p-%u']/dh-group", r->next);
		if (set_path(tree, ctx, path, "group20", paths, npaths) == 0 &&
		    lyd_find_path(*tree, "/cairn-security:security/ike/proposal[name='ike-prop']",
		        0, &sib) == LY_SUCCESS) {
			snprintf(path, sizeof(path),
			    "/cairn-security:security/ike/proposal[name='p-%u']", r->next);
			if (lyd_find_path(*tree, path, 0, &node) == LY_SUCCESS &&
			    cfgrand_u32(r) % 2)
				lyd_insert_before(sib, node);
		}
		what = "ike proposal";
		break;
	case 8: /* a policy uses proposals (leaf-list, user-ordered) */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/policy[name='ike-pol-%u']/proposals", v);
		if (lyd_new_path(*tree, ctx, path, cfgrand_u32(r) % 2 ? "ike-prop" : "p-1", 0,
		        &node) == LY_SUCCESS &&
		    node) {
			*tree = lyd_first_sibling(*tree);
			add_node_path(paths, npaths, node);
			what = "proposals";
		} else {
			ly_err_clean((struct ly_ctx *)ctx, NULL);
		}
		break;
	case 9: /* switch the policy to a proposal-set (choice) */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/ike/policy[name='ike-pol-%u']/proposal-set", v);
		set_path(tree, ctx, path, "suiteb-gcm-128", paths, npaths);
		what = "proposal-set";
		break;
	case 10: /* an st0 unit, maybe out of range for the must */
		snprintf(path, sizeof(path),
		    "/cairn-interfaces:interfaces/interface[name='st0']/unit[name='%u']/"
		    "description",
		    cfgrand_u32(r) % 3 ? r->nvpn + cfgrand_u32(r) % 5 : 16000 + cfgrand_u32(r) % 3);
		set_path(tree, ctx, path, "tunnel", paths, npaths);
		what = "st0 unit";
		break;
	case 11: /* a static route: next-hop, discard, or nothing (must) */
		snprintf(path, sizeof(path),
		    "/cairn-routing:routing-options/static/route[name='10.99.%u.0/24']/%s",
		    cfgrand_u32(r) % 6, cfgrand_u32(r) % 3 ? "next-hop" : "metric");
		snprintf(val, sizeof(val), cfgrand_u32(r) % 2 ? "st0.%u" : "%u",
		    cfgrand_u32(r) % (r->nvpn + 1));
		set_path(tree, ctx, path, val, paths, npaths);
		what = "route";
		break;
	case 12: /* a security policy pointing at a (maybe missing) vpn */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/policies/from-zone[name='trust']/to-zone[name='vpn']/"
		    "policy[name='p%u']/then/permit/tunnel/ipsec-vpn",
		    cfgrand_u32(r) % 3);
		snprintf(val, sizeof(val), "vpn-%u", cfgrand_u32(r) % (r->nvpn + 2));
		set_path(tree, ctx, path, val, paths, npaths);
		snprintf(path, sizeof(path),
		    "/cairn-security:security/policies/from-zone[name='trust']/to-zone[name='vpn']/"
		    "policy[name='p%u']/match/source-address",
		    cfgrand_u32(r) % 3);
		if (cfgrand_u32(r) % 3)
			set_path(tree, ctx, path, "any", paths, npaths);
		what = "security policy";
		break;
	case 13: /* the login users and a host name */
		snprintf(path, sizeof(path), "/cairn-system:system/login/user[name='u%u']/class",
		    cfgrand_u32(r) % 3);
		set_path(
		    tree, ctx, path, cfgrand_u32(r) % 2 ? "operator" : "read-only", paths, npaths);
		what = "login user";
		break;
	case 14: /* a zone interface, an st0 unit that may not be configured */
		snprintf(path, sizeof(path),
		    "/cairn-security:security/zones/security-zone[name='vpn']/"
		    "interfaces[name='st0.%u']",
		    cfgrand_u32(r) % (r->nvpn + 3));
		set_path(tree, ctx, path, NULL, paths, npaths);
		what = "zone interface";
		break;
	case 15: /* delete an st0 unit, maybe one still referenced */
		snprintf(path, sizeof(path),
		    "/cairn-interfaces:interfaces/interface[name='st0']/unit[name='%u']",
		    cfgrand_u32(r) % (r->nvpn + 3));
		if (lyd_find_path(*tree, path, 0, &node) == LY_SUCCESS) {
			add_node_path(paths, npaths, node);
			lyd_free_tree(node);
			what = "delete st0 unit";
		}
		ly_err_clean((struct ly_ctx *)ctx, NULL);
		break;
	}
	free(nodes);
	return what;
}
