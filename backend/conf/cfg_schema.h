/* SPDX-License-Identifier: MIT */
/*
 * cfg_schema: the YANG schema of a Cairn instance, loaded into a libyang
 * 2.1 context, with what the Junos text formats need precomputed for
 * every schema node: the CLI keywords below it (choices and cases are
 * transparent, list keys are positional), the presentation extensions of
 * cairn-extensions (flat-key, secret, hashed, positional, oneliner,
 * grouped, joined), leafref targets, and the hierarchy order.
 *
 * Every *.yang file of the directory is an implemented module (features
 * all enabled), so a test can add a module and everything works without
 * code changes. The context is read-only afterwards and may be shared by
 * threads; do not load more modules into it (libyang would recompile it
 * and drop the per-node data kept in lysc_node.priv).
 *
 * Loading also routes libyang's log to log_debug(LOG_CFG) instead of
 * stderr (a process-wide libyang setting).
 */
#ifndef CAIRN_CFG_SCHEMA_H
#define CAIRN_CFG_SCHEMA_H

#include <libyang/libyang.h>
#include <stdbool.h>

#include "errbuf.h"

struct cfg_schema;

/*
 * Loads every module of yang_dir (normally cairn_paths.yang_dir). Returns
 * the schema (free with cfg_schema_free), or NULL with errno set and err
 * naming the module that failed and libyang's reason.
 */
struct cfg_schema *cfg_schema_load(const char *yang_dir, struct errbuf *err);

void cfg_schema_free(struct cfg_schema *s);

/* The libyang context (borrowed; lives as long as s). Use it to parse and
 * validate data and RPCs (mgd's IPC uses the same context). */
struct ly_ctx *cfg_schema_ctx(const struct cfg_schema *s);

/* Presentation flags of a schema node (from cairn-extensions). */
enum cfg_snode_flag {
	CFG_SN_FLAT_KEY = 1u << 0,   /* list: keyword omitted, key follows the parent */
	CFG_SN_SECRET = 1u << 1,     /* leaf: secret ($9$ unless hashed; masked) */
	CFG_SN_HASHED = 1u << 2,     /* secret leaf holding a crypt(3) hash */
	CFG_SN_POSITIONAL = 1u << 3, /* leaf: keyword may be omitted */
	CFG_SN_ONELINER = 1u << 4,   /* list: one-statement entries on one line */
	CFG_SN_GROUPED = 1u << 5,    /* list: curly form gathers entries in one block */
	CFG_SN_JOINED = 1u << 6,     /* list: entry and child-list entry on one line;
	                              * container: keyword on its statements' lines */
	CFG_SN_STATE = 1u << 7,      /* config false: not part of the configuration */
};

/* Flags of a schema node of s's context; 0 for nodes of other contexts is
 * not guaranteed: pass only nodes of cfg_schema_ctx(s). */
unsigned cfg_snode_flags(const struct lysc_node *sn);

static inline bool
cfg_snode_is_secret(const struct lysc_node *sn)
{
	return (cfg_snode_flags(sn) & CFG_SN_SECRET) != 0;
}

#endif
