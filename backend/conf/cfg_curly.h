/* SPDX-License-Identifier: MIT */
/*
 * cfg_curly: `load merge|override|replace` of Junos curly text.
 *
 * The text is statements as cfg_print writes them: "name value;",
 * "name [ a b ];", "keyword key {" ... "}", flat-key "key {", grouped
 * blocks "interfaces { st0.0; }", joined "from-zone a to-zone b {",
 * one-liners "route 10.0.0.0/8 next-hop st0.0;"; # and slash-star
 * comments ("## SECRET-DATA" annotations are comments). A "replace:" tag
 * before a statement replaces that statement's existing content in
 * replace mode (and is ignored by merge). "inactive:" and other tags are
 * refused with a clear error: Cairn keeps no inactive configuration. A
 * top-level "version ...;" statement (from Junos output) is ignored.
 *
 *   merge     the text is added to the configuration (values replace).
 *   override  the configuration at edit_path is replaced by the text.
 *   replace   as merge, but "replace:"-tagged statements first lose
 *             their existing content.
 *
 * All or nothing, like cfg_edit_lines; pos.line/col name the offending
 * token in text. Secrets typed in clear are stored as $9$ strings.
 */
#ifndef CAIRN_CFG_CURLY_H
#define CAIRN_CFG_CURLY_H

#include <libyang/libyang.h>
#include <stddef.h>

#include "cfg_edit.h"

enum cfg_load_mode {
	CFG_LOAD_MERGE,
	CFG_LOAD_OVERRIDE,
	CFG_LOAD_REPLACE,
};

/*
 * Loads curly text into *tree at edit_path (NULL or "": the top). flags:
 * CFG_EDIT_NO_CHANGES. res (optional) gets changes and warnings.
 * 0, or -EINVAL with err and pos, or -ENOMEM.
 */
int cfg_load_text(const struct cfg_schema *s, struct lyd_node **tree, enum cfg_load_mode mode,
    const char *edit_path, const char *text, size_t len, unsigned flags, struct cfg_result *res,
    struct cfg_errpos *pos, struct errbuf *err);

#endif
