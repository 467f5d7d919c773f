/* SPDX-License-Identifier: MIT */
/*
 * cfg: the configuration text library of Cairn (cairn-conf), one include
 * for its users. See each header for its contract:
 *   cfg_schema.h  the YANG schema context and per-node presentation flags
 *   cfg_walk.h    words against the schema: completion, edit paths, errors
 *   cfg_edit.h    set/delete/rename/copy/insert batches (all or nothing)
 *   cfg_curly.h   load merge|override|replace of curly text
 *   cfg_print.h   curly, display set, JSON, XML (secrets masked on request)
 *   cfg_diff.h    show | compare
 *   cfg_secret.h  Junos $9$ secrets
 */
#ifndef CAIRN_CFG_H
#define CAIRN_CFG_H

#include "cfg_curly.h"
#include "cfg_diff.h"
#include "cfg_edit.h"
#include "cfg_print.h"
#include "cfg_schema.h"
#include "cfg_secret.h"
#include "cfg_walk.h"

#endif
