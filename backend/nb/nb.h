/* SPDX-License-Identifier: MIT */
/*
 * nb: the northbound engine of a Cairn daemon (STYLE.md §5).
 *
 * A daemon describes what it owns with one const table of callbacks
 * keyed by YANG schema path, and the operational RPCs it serves with
 * another. nb connects to cairn-mgd, subscribes, receives the running
 * configuration as a diff from empty, then for every commit its slice
 * of the diff, and calls the callbacks with the transaction phase:
 *
 *	NB_VALIDATE	check only, no side effects
 *	NB_PREPARE	everything that can fail (memory, sockets, SPIs)
 *	NB_ABORT	undo PREPARE; only for callbacks whose PREPARE succeeded
 *	NB_APPLY	make it so; must not fail
 *
 * Order: destroys first, dependants before what they depend on (a vpn
 * before its gateway), deeper nodes first; then creates and modifies,
 * dependencies first, parents first. Dependencies come from the schema:
 * leafrefs and must expressions between lists. A node's .priority
 * (lower first) overrides.
 *
 * Callbacks: lists, presence containers and leaf-lists need create and
 * destroy; leaves need modify (called for create and change) and, unless
 * mandatory or defaulted, destroy (a deleted leaf with a default gets
 * modify with its default). Non-presence containers, choices and list
 * keys need none. NB_F_SUBTREE on a node makes its callbacks cover its
 * whole subtree: create/destroy for the node, modify (dnode = the node)
 * for any change below it. nb_new() refuses a table that leaves an
 * owned configuration node without callbacks.
 *
 * During VALIDATE and PREPARE the daemon's copy of the configuration
 * (nb_running()) already holds the new configuration; a destroy's dnode
 * is the old node (with the entry set by nb_set_entry()). After ABORT
 * the copy is the old configuration again.
 */
#ifndef CAIRN_NB_H
#define CAIRN_NB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libyang/libyang.h>

#include "errbuf.h"

struct event_base;
struct nb;

enum nb_phase { NB_VALIDATE, NB_PREPARE, NB_ABORT, NB_APPLY };
enum nb_event { NB_EV_CREATE, NB_EV_MODIFY, NB_EV_DESTROY, NB_EV_MOVE };

struct nb_resource {
	void *ptr; /* set in PREPARE, read in APPLY/ABORT */
};

struct nb_args {
	enum nb_phase phase;
	enum nb_event event;
	const struct lyd_node *dnode; /* new node (create/modify/move), old (destroy) */
	struct nb_resource *res;
	struct errbuf *err; /* operator text; nb adds the [edit ...] block */
	void *arg;          /* the daemon's, from struct nb_cfg */
	bool full;          /* part of a resynchronisation (whole configuration) */
};

typedef int (*nb_cb)(struct nb_args *a);

#define NB_F_SUBTREE 0x1u

struct nb_node_ops {
	const char *path; /* schema path, "/cairn-security:security/ike/gateway" */
	nb_cb create, modify, destroy, move;
	unsigned flags;
	int priority; /* 0: derived from the schema's references */
};

/* An operational RPC: fill output (the RPC node; add output leaves with
 * lyd_new_term(output, NULL, name, value, 1, NULL) or lyd_new_path with
 * LYD_NEW_PATH_OUTPUT). 0, or -errno with err set (sent to the user). */
struct buf;
struct nb_rpc_ops {
	const char *path; /* "/cairn-security:clear-ike-security-associations" */
	int (*handler)(
	    const struct lyd_node *input, struct lyd_node *output, struct errbuf *err, void *arg);
	/*
	 * Instead of handler (optional): the whole reply written as JSON
	 * (RFC 7951, {"module:rpc":{output}}) into out, sent as it is. For
	 * replies with tens of thousands of entries, where building and
	 * printing a libyang tree is most of the cost; the receiver parses
	 * and validates it like any reply. 0, or -errno with err set.
	 */
	int (*json)(const struct lyd_node *input, struct buf *out, struct errbuf *err, void *arg);
};

struct nb_cfg {
	const char *name;                /* "cairn-iked" */
	const char *const *subtrees;     /* owned top-level nodes, "module:name", NULL-ended */
	const struct nb_node_ops *nodes; /* { .path = NULL } ends it */
	const struct nb_rpc_ops *rpcs;   /* idem; may be NULL */
	void *arg;
	/* optional: a transaction finished (after the last APPLY or ABORT) */
	void (*end)(void *arg, bool applied);
	/*
	 * optional: every PREPARE callback of a transaction with changes
	 * succeeded; the transaction-wide work that can fail (a daemon whose
	 * engine prepares a whole configuration at once). 0, or -errno with
	 * err set and *err_path (malloc'd, freed by nb; may stay NULL) the
	 * data path of the node the message is about (its [edit] block).
	 * On failure the callbacks that prepared get ABORT, then end(false).
	 */
	int (*prepare_end)(void *arg, bool full, char **err_path, struct errbuf *err);
	/*
	 * Keep the copy of the configuration compact between transactions
	 * once it is large: serialised (libyang's binary LYB, an eighth of
	 * the tree) when no transaction came for a second and the LYB is at
	 * least compact_min bytes, the tree freed and its memory returned
	 * (malloc_trim), built again when the next transaction starts. For a
	 * daemon whose configuration can be large and which keeps its own
	 * state derived from it (cairn-iked: 10,000 VPNs are 5.3 KiB each as
	 * a tree, 0.64 as LYB; building the tree of 10,000 again takes
	 * ~0.2 s, paid by the first commit after a pause). Then nb_running()
	 * is the tree inside a transaction (callbacks, prepare_end, end) and
	 * may be NULL outside, and entries (nb_set_entry) do not survive a
	 * transaction.
	 */
	bool compact;
	size_t compact_min; /* bytes of LYB; 0: whatever the size */
};

/* Checks the tables against ctx (borrowed, must outlive nb). NULL with
 * err set when a node lacks callbacks or a path is unknown. */
struct nb *nb_new(
    struct event_base *base, struct ly_ctx *ctx, const struct nb_cfg *cfg, struct errbuf *err);
void nb_free(struct nb *nb);

/*
 * Connects to mgd's socket and subscribes; reconnects by itself (every
 * second) when the connection is lost, resynchronising on the way.
 * 0, or -errno when the first connection fails (nb keeps retrying).
 */
int nb_connect(struct nb *nb, const char *sock_path, struct errbuf *err);
bool nb_connected(const struct nb *nb);
/* true once the running configuration has been received and applied. */
bool nb_synced(const struct nb *nb);

/* The daemon's copy of the configuration (with defaults). Borrowed; with
 * nb_cfg.compact, only inside a transaction (may be NULL outside). */
const struct lyd_node *nb_running(const struct nb *nb);

/* Entries: a daemon object attached to a configuration node. */
void nb_set_entry(const struct lyd_node *dnode, void *entry);
void *nb_get_entry(const struct lyd_node *dnode);

/* The value of child leaf `name` of dnode ("" path: dnode itself), or NULL. */
const char *nb_str(const struct lyd_node *dnode, const char *name);
/* Sets err (first message wins) and returns rc. */
int nb_fail(struct errbuf *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Test hook: one transaction without cairn-mgd, from the daemon's whole
 * new configuration (JSON, RFC 7951; NULL or "" = empty), as mgd's full
 * resynchronisation sends it: VALIDATE and PREPARE, then APPLY (check
 * false) or ABORT (check true, as `commit check`). 0, or -errno with the
 * messages (Junos layout) in errout (may be NULL).
 */
struct buf;
int nb_test_commit(struct nb *nb, const char *config_json, bool check, struct buf *errout);

/* Test hook: the phase and event names ("PREPARE", "create"). */
const char *nb_phase_name(enum nb_phase p);
const char *nb_event_name(enum nb_event e);
/* Test hook: a copy of the daemon's configuration as it runs (the
 * caller frees it with lyd_free_all), in either mode; NULL on error. */
struct lyd_node *nb_running_dup(const struct nb *nb);
/* Test and benchmark hook: bytes of the serialised copy (compact mode,
 * between transactions; nb_test_commit() serialises at once), else 0. */
size_t nb_parked_size(const struct nb *nb);

#endif
