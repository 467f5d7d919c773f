/* SPDX-License-Identifier: MIT */
/*
 * cfgrand: random edits of a vpngen configuration tree, for the diff and
 * incremental-validation equivalence tests. Each edit reports the data
 * paths it touched (as an edit log would) and may well make the
 * configuration invalid (dangling references, missing mandatory nodes).
 */
#ifndef CAIRN_CFGRAND_H
#define CAIRN_CFGRAND_H

#include <stddef.h>
#include <stdint.h>

#include <libyang/libyang.h>

struct cfgrand {
	uint64_t s;
	unsigned nvpn; /* VPNs in the generated base */
	unsigned next; /* counter for new names */
};

void cfgrand_init(struct cfgrand *r, uint64_t seed, unsigned nvpn);
uint32_t cfgrand_u32(struct cfgrand *r);

/* The modules of a Cairn configuration, loaded from $CAIRN_YANG_DIR,
 * libyang's messages stored rather than printed; NULL (said on stderr)
 * when they cannot be loaded. */
struct ly_ctx *cfgrand_ctx(void);

/*
 * One random edit of *tree. Appends the touched paths (malloc'd strings)
 * to *paths / *npaths. Returns a short description (static) or NULL when
 * the edit chosen did not apply.
 */
const char *cfgrand_edit(struct cfgrand *r, struct lyd_node **tree, char ***paths, size_t *npaths);

void cfgrand_free_paths(char **paths, size_t n);

#endif
