/* SPDX-License-Identifier: MIT */
/*
 * mgd: the internals of cairn-mgd, shared by its modules (docs/mgd.md).
 *
 *   mgd_main.c    process: flags, paths, event loop, signals
 *   mgd_sess.c    sessions, authorization, the request queue, mgmt RPCs
 *   mgd_cand.c    candidates: edits, the edit log, discard, rollback
 *   mgd_val.c     validation (incremental or full) and Junos error text
 *   mgd_commit.c  the commit pipeline and commit confirmed
 *   mgd_hist.c    crash-safe history: records, snapshots, start-up
 *   mgd_subs.c    daemon subscriptions and operational RPC routing
 *
 * One thread, one libevent loop. Requests that read or change the
 * datastores run one at a time (a commit waiting for daemons holds the
 * queue); operational RPCs are routed at once.
 */
#ifndef CAIRN_MGD_H
#define CAIRN_MGD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <libyang/libyang.h>

#include "buf.h"
#include "errbuf.h"
#include "ipc.h"
#include "paths.h"

struct event_base;
struct event;
struct cfg_schema;
struct mgd;
struct sess;
struct sub;

enum mgd_class {
	CLASS_UNAUTHORIZED = 0,
	CLASS_READ_ONLY,
	CLASS_OPERATOR,
	CLASS_SUPER_USER,
};

/* Timeouts (ms): every wait of mgd ends. */
#define MGD_PREPARE_TIMEOUT_MS 60000
#define MGD_APPLY_TIMEOUT_MS   60000
#define MGD_RPC_TIMEOUT_MS     30000

/* An edit log: data paths touched since the candidate was last equal to
 * running. Diffs and validation visit only these subtrees. */
struct touched {
	char **paths;
	size_t n, cap;
	bool all; /* unknown (load override, ...): compare everything */
};

#define TOUCHED_MAX 4096 /* beyond this a full diff is as cheap */

struct cand {
	struct lyd_node *tree; /* the configuration, with implicit defaults */
	struct touched t;
	uint64_t base_seq; /* running's sequence number it started from */
	bool changed;      /* edits since base (may still equal running) */
	bool full_next;    /* defaults not maintained: validate fully next time */
	bool lazy;         /* no tree of its own: it is running (copied on first change) */
};

enum cfg_mode { MODE_NONE = 0, MODE_SHARED, MODE_EXCLUSIVE, MODE_PRIVATE };

struct sess {
	struct sess *next;
	struct mgd *m;
	struct ipc_conn *conn; /* NULL once the peer is gone */
	unsigned refs;
	uint32_t id;
	bool started;
	char user[65];
	enum mgd_class cls;
	char client[33];
	char tty[65];
	uint32_t pid;
	uid_t uid;
	time_t since, last;
	enum cfg_mode mode;
	time_t mode_since;
	char *edit_path;
	struct cand *priv; /* configure private */
	struct sub *sub;   /* a daemon's subscription */
};

struct hist_entry {
	uint64_t seq;
	uint64_t time;
	uint32_t flags;
	char *user, *client, *comment;
};

#define HIST_KEEP 50 /* rollback 0..49 */

struct hist {
	char dir[PATH_MAX];
	struct hist_entry *e; /* newest last */
	size_t n, cap;
	uint64_t snap_seq;       /* newest snapshot on disk */
	size_t bytes_since_snap; /* record bytes written since it */
	unsigned recs_since_snap;
};

struct confirm {
	bool pending;
	uint64_t seq;      /* the newest unconfirmed commit */
	uint64_t base_seq; /* configuration to return to */
	time_t deadline;
	char user[65];
	struct event *timer;
};

struct job {
	struct job *next;
	struct sess *s;
	uint32_t id;
	struct lyd_node *rpc;
};

struct mgd {
	struct event_base *base;
	struct cfg_schema *schema; /* cairn-conf: the text formats */
	struct ly_ctx *ctx;        /* the schema's libyang context */
	struct cairn_paths paths;
	struct ipc_server *srv;
	struct lyd_node *running; /* explicit nodes only, never defaults */
	uint64_t seq;             /* running's commit sequence number */
	struct cand shared;
	struct sess *sessions;
	uint32_t next_sess;
	struct sess *excl; /* holder of configure exclusive */
	struct sub *subs;
	uint64_t next_tx;
	struct hist hist;
	struct confirm confirm;
	struct job *jobs, *jobs_tail;
	bool busy;        /* a job is waiting for daemons */
	bool confirm_due; /* the confirmed-commit deadline passed while busy */
	struct event *snap_ev;
	struct event *own_ev; /* copies running into a lazy shared candidate when idle */
	bool snap_due;
	bool full_validate;     /* --full-validate: never validate incrementally */
	bool incremental_check; /* tests: also run full validation and compare */
	struct sval *sval;      /* incremental validation tables */
	struct uref *uref;      /* cx:unit-ref checks (uref.h) */
	unsigned snap_every;    /* --snapshot-every: records between snapshots */
	unsigned minute;        /* seconds in a commit-confirmed minute (tests) */
	unsigned test_delay_ms; /* tests: widen the commit point window */
	char **rpc_daemons;     /* --rpc-daemon MODULE=DAEMON */
	size_t nrpc_daemons;
};

/* mgd_sess.c */
int mgd_sess_accept(struct mgd *m, int fd);
void mgd_sess_put(struct sess *s);
void mgd_broadcast(struct mgd *m, const char *text);
void mgd_jobs_resume(struct mgd *m);
enum mgd_class mgd_class_of(const struct mgd *m, const char *user);
const char *mgd_class_name(enum mgd_class c);
void mgd_reply_err(struct sess *s, uint32_t id, int rc, const char *msg);

/* mgd_cand.c */
void touched_add(struct touched *t, const char *path);
void touched_add_node(struct touched *t, const struct lyd_node *node);
void touched_add_diff(struct touched *t, const struct lyd_node *diff);
void touched_clear(struct touched *t);
int cand_init_from_running(struct mgd *m, struct cand *c, struct errbuf *err);
void cand_fini(struct cand *c);
/* The candidate's configuration to read (running's tree when lazy). Borrowed. */
const struct lyd_node *cand_get(const struct mgd *m, const struct cand *c);
/* Gives a lazy candidate its own copy of running, before a change. */
int cand_own(struct mgd *m, struct cand *c, struct errbuf *err);
/* The candidate's pending diff against running (explicit nodes). */
int cand_diff(struct mgd *m, struct cand *c, struct lyd_node **diff);
int cand_load_data(struct mgd *m, struct cand *c, const char *action, const char *format,
    const char *edit_path, const char *text, struct buf *warnings, struct errbuf *err);
/* set/delete/... lines (cfg_edit.h). The level after the batch's edit/up/top
 * lines goes to *new_path (caller frees; NULL: unchanged). */
int cand_edit_lines(struct mgd *m, struct cand *c, const char *edit_path, const char *lines,
    struct buf *warnings, char **new_path, struct errbuf *err);
int cand_discard(struct mgd *m, struct cand *c, struct errbuf *err);
int cand_rollback(struct mgd *m, struct cand *c, unsigned n, struct errbuf *err);
/* A copy of the configuration of rollback n (0 = running), caller frees. */
int mgd_config_at(struct mgd *m, unsigned n, struct lyd_node **tree, struct errbuf *err);

/* mgd_val.c */
int mgd_val_init(struct mgd *m);
void mgd_val_fini(struct mgd *m);
/* Validates c->tree, changed from running by *diff: incrementally when
 * the change is small, else fully. Validation may delete old choice-case
 * data; *diff is then recomputed. check: the error summary of commit
 * check. Errors in Junos layout. */
int mgd_validate(
    struct mgd *m, struct cand *c, struct lyd_node **diff, bool check, struct errbuf *err);
void mgd_val_error(struct mgd *m, struct buf *out, bool check, const char *path, const char *msg);

/* mgd_commit.c */
struct commit_req {
	struct sess *s; /* may be NULL (automatic rollback) */
	uint32_t id;
	struct cand *cand;
	bool check;
	unsigned confirm_min; /* 0: not confirmed */
	const char *comment, *client, *user;
	uint32_t flags; /* HRF_* */
	void (*done)(struct mgd *m, void *arg, int rc, const char *msg, uint64_t seq);
	void *arg;
};
/* Runs the pipeline; done() is called exactly once (maybe before return). */
void mgd_commit(struct mgd *m, const struct commit_req *req);
int mgd_confirm_load(struct mgd *m);
void mgd_confirm_arm(struct mgd *m);
/* The deadline passed: roll back now (or when the running job ends). */
void mgd_confirm_fire(struct mgd *m);

/* mgd_hist.c */
int mgd_hist_open(struct mgd *m, struct errbuf *err);
void mgd_hist_close(struct mgd *m);
/* Writes commit record seq (the commit point). */
int mgd_hist_commit(struct mgd *m, uint64_t seq, const char *user, const char *client,
    const char *comment, uint32_t flags, const struct lyd_node *diff, struct errbuf *err);
/* The forward diff of commit seq (caller frees), from its record. */
int mgd_hist_diff(struct mgd *m, uint64_t seq, struct lyd_node **diff, struct errbuf *err);
void mgd_hist_maybe_snapshot(struct mgd *m, bool force);
int mgd_hist_write_confirm(struct mgd *m);
int mgd_hist_clear_confirm(struct mgd *m);
/* Newest first: entry i is rollback i. NULL beyond what exists. */
const struct hist_entry *mgd_hist_get(const struct mgd *m, unsigned i);

/* mgd_subs.c */
int mgd_sub_subscribe(struct sess *s, uint32_t id, struct lyd_node *rpc);
void mgd_sub_gone(struct sess *s);
/* Routes an operational RPC (takes rpc). */
void mgd_sub_route(struct sess *s, uint32_t id, struct lyd_node *rpc);
/* Two-phase commit across daemons: prepare the diff's slices. */
struct prep;
typedef void (*prep_cb)(struct mgd *m, void *arg, int rc, const char *msg);
/* data (may be NULL): the whole new configuration, sent instead of the
 * diff (full) to the daemons the diff touches, for large changes. */
void mgd_subs_prepare(struct mgd *m, uint64_t txid, const struct lyd_node *diff,
    const struct lyd_node *data, bool check, prep_cb cb, void *arg);
void mgd_subs_finish(struct mgd *m, uint64_t txid, bool apply, prep_cb cb, void *arg);

#endif
