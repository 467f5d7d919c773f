/* SPDX-License-Identifier: MIT */
/*
 * ywords: data paths as Junos hierarchy words ("security ipsec vpn v1
 * ike"), and commit errors in Junos layout (reference §2.4):
 *
 *	[edit security ipsec vpn v1 ike]
 *	  'gateway gw9'
 *	    Referenced ike gateway gw9 not defined
 *
 * A list's keys follow its keyword; a list marked cx:flat-key
 * ("interfaces st0 unit 0") omits its own keyword.
 */
#ifndef CAIRN_YWORDS_H
#define CAIRN_YWORDS_H

#include <stddef.h>

#include <libyang/libyang.h>

#include "buf.h"

/*
 * Appends the words of a libyang data path ("/mod:a/b[name='x']/c").
 * *last_off (may be NULL) gets the offset in out where the last
 * element's words start. 0 or -EINVAL (unparsable path).
 */
int ywords_path(const struct ly_ctx *ctx, const char *path, struct buf *out, size_t *last_off);

/* The words of a data node's path (its own keys included). */
int ywords_node(const struct lyd_node *node, struct buf *out);

/*
 * Appends one error block: "[edit <parent words>]", "  '<statement>'",
 * "    <msg>" (each line ending in "\n"). value (may be NULL) is added to
 * the statement of a leaf. For a missing mandatory statement pass the
 * parent's path and say what is missing in msg, as Junos does.
 */
void ywords_error(struct buf *out, const struct ly_ctx *ctx, const char *path, const char *value,
    const char *msg);

/* Appends one word (space-separated), quoted when it holds blanks or syntax. */
void ywords_put_word(struct buf *out, const char *w, size_t len);

#endif
