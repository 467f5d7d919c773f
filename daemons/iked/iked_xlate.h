/* SPDX-License-Identifier: MIT */
/*
 * iked_xlate.h: the translation's per-object steps, shared by
 * iked_xlate.c (a whole configuration) and iked_delta.c (the objects a
 * commit changed). Internal to cairn-iked-core.
 */
#ifndef CAIRN_IKED_XLATE_H
#define CAIRN_IKED_XLATE_H

#include <stdbool.h>

#include <libyang/libyang.h>

#include "iked.h"

/* Tree helpers: a child by name, a leaf's value below n ("a/b/c"). */
const struct lyd_node *xl_child(const struct lyd_node *n, const char *name);
const char *xl_val(const struct lyd_node *n, const char *path);
void xl_want_err(struct iked_want *w, const struct lyd_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The top-level nodes of the daemon's configuration (NULL when absent). */
void xl_tops(const struct lyd_node *tree, const struct lyd_node **sec, const struct lyd_node **ifs,
    const struct lyd_node **ro);
/* Half-open limits and the global anti-replay window into w->conf. */
void xl_globals(struct iked_want *w, const struct lyd_node *sec);

/* One object of the tree into the mirror / the dataplane objects. */
void xl_ike_proposal(struct iked_want *w, const struct lyd_node *n);
void xl_ike_policy(struct iked_want *w, const struct lyd_node *n);
void xl_gateway(struct iked_want *w, const struct lyd_node *n);
void xl_ipsec_proposal(struct iked_want *w, const struct lyd_node *n);
void xl_ipsec_policy(struct iked_want *w, const struct lyd_node *n);
void xl_vpn(struct iked_want *w, const struct lyd_node *n);
void xl_unit(struct iked_want *w, bool disabled, const struct lyd_node *un);
/* Only the next-hop-tunnel bindings of a unit, onto the mirror's VPNs. */
void xl_unit_bindings(struct iked_want *w, const struct lyd_node *un);
void xl_sort_units(struct iked_want *w);
void xl_route(struct iked_want *w, const struct lyd_node *rn);

/* Route destinations taken so far, each with a value (open addressing). */
struct xl_pfxset {
	struct dp_prefix *v;
	int32_t *val;
	bool *used;
	size_t n, cap;
};
int32_t *xl_pfxset_get(const struct xl_pfxset *s, const struct dp_prefix *p);
/* 0 added, 1 already there (value unchanged), -ENOMEM. */
int xl_pfxset_add(struct xl_pfxset *s, const struct dp_prefix *p, int32_t val);
void xl_pfxset_fini(struct xl_pfxset *s);
/* The ARI-TS routes of one VPN's traffic selectors. */
void xl_ts_routes_vpn(struct iked_want *w, const struct ike_conf_vpn *v, struct xl_pfxset *taken);

/* Checks that need the rest of the configuration (in w->conf). */
void xl_check_ike_policy(struct iked_want *w, const struct lyd_node *n);
void xl_check_ipsec_policy(struct iked_want *w, const struct lyd_node *n);
void xl_check_gateway(struct iked_want *w, const struct lyd_node *n);
/* 0: *out is the VPN resolved (for the selector check; caller finis it);
 * 1: nothing more to check (manual VPN, or a problem reported). */
int xl_check_vpn(struct iked_want *w, const struct lyd_node *n, struct ike_vpn_conf *out);
/* Two VPNs of one gateway with a tunnel of the same selectors. */
bool xl_vpns_clash(const struct ike_vpn_conf *a, const struct ike_vpn_conf *b);
void xl_err_clash(struct iked_want *w, const struct lyd_node *later, const char *later_name,
    const char *first_name);

int xl_parse_prefix(const char *s, struct dp_prefix *p);

#endif
