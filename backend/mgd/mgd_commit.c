/* SPDX-License-Identifier: MIT */
/*
 * mgd_commit: the commit pipeline (ARCHITECTURE.md) and commit confirmed.
 *
 *   1. diff      the candidate against running, over its edit log
 *   2. validate  incrementally for small changes, else lyd_validate_all()
 *   3. prepare   each subscribed daemon gets its slice (two-phase commit);
 *                any failure: abort to those that prepared, running
 *                unchanged, the daemons' messages to the user
 *                (commit check stops here, with an abort)
 *   4. persist   the commit record (mgd_hist.c): the commit point
 *   5. running   the diff applied in place (a copy of the candidate when
 *                the change is large)
 *   6. apply     daemons apply; then commit complete
 *
 * rollback N and the expiry of a commit confirmed build a candidate and
 * go through the same pipeline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "histrec.h"
#include "log.h"
#include "mgd.h"
#include "ydiff.h"
#include "banned.h"

#define LARGE_DIFF_NODES 20000 /* a snapshot follows such commits */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define STEP(tx, what)                                                                             \
	log_debug(LOG_CFG, "commit: %s at %.1f ms", what, (mono() - (tx)->t0) * 1000.0)

struct tx {
	struct mgd *m;
	double t0; /* for the debug timings of each step */
	struct commit_req req;
	char *comment, *client, *user;
	struct lyd_node *diff;
	uint64_t txid;
	uint64_t seq;
	struct buf msgs;
	struct errbuf err;
	bool large;
	struct confirm saved; /* to restore if the commit does not happen */
};

static void
tx_finish(struct tx *tx, int rc, const char *msg)
{
	struct mgd *m = tx->m;

	tx->req.done(m, tx->req.arg, rc, rc ? msg : buf_str(&tx->msgs), rc ? 0 : tx->seq);
	lyd_free_all(tx->diff);
	free(tx->comment);
	free(tx->client);
	free(tx->user);
	buf_free(&tx->msgs);
	free(tx);
	m->busy = false;
	if (m->snap_due && m->snap_ev)
		event_active(m->snap_ev, 0, 0);
	if (m->shared.lazy && m->own_ev)
		event_active(m->own_ev, 0, 0); /* the copy, once the reply is out */
	mgd_jobs_resume(m);
}

static void
after_abort(struct mgd *m, void *arg, int rc, const char *msg)
{
	struct tx *tx = arg;

	(void)m;
	(void)rc;
	(void)msg;
	if (tx->req.check && !errbuf_isset(&tx->err))
		tx_finish(tx, 0, NULL);
	else
		tx_finish(tx, -EINVAL, tx->err.msg);
}

static void
after_apply(struct mgd *m, void *arg, int rc, const char *msg)
{
	struct tx *tx = arg;

	(void)rc;
	(void)msg;
	if (tx->large)
		m->snap_due = true;
	if (tx->req.confirm_min)
		buf_printf(&tx->msgs,
		    "commit confirmed will be automatically rolled back in %u minutes unless "
		    "confirmed",
		    tx->req.confirm_min);
	mgd_confirm_arm(m);
	STEP(tx, "applied");
	tx_finish(tx, 0, NULL);
}

/* The commit's sequence number, and for a commit confirmed its deadline
 * written before the commit record: a crash between the two files leaves a
 * deadline for a commit that never happened, which start-up recognises and
 * drops. On failure the previous confirm state is back. */
static int
confirm_arm(struct tx *tx, bool confirming)
{
	struct mgd *m = tx->m;
	struct event *t;
	int rc;

	tx->seq = m->seq + 1;
	tx->saved = m->confirm;
	tx->saved.timer = NULL;
	if (!confirming)
		return 0;
	if (!m->confirm.pending)
		m->confirm.base_seq = m->seq;
	m->confirm.pending = true;
	m->confirm.seq = tx->seq;
	m->confirm.deadline = time(NULL) + (time_t)tx->req.confirm_min * m->minute;
	snprintf(m->confirm.user, sizeof(m->confirm.user), "%s", tx->user);
	rc = mgd_hist_write_confirm(m);
	if (rc < 0) {
		t = m->confirm.timer;
		m->confirm = tx->saved;
		m->confirm.timer = t;
	}
	return rc;
}

/* The commit point: the deadline of a commit confirmed, then the commit
 * record (diff NULL: nothing changed). On failure tx->err says why and the
 * confirm state is as before; on success a plain commit (and the automatic
 * rollback) confirms a pending one. */
static int
persist(struct tx *tx, bool confirming, const struct lyd_node *diff)
{
	struct mgd *m = tx->m;
	int rc;

	rc = confirm_arm(tx, confirming);
	if (rc < 0)
		return errbuf_set(&tx->err, rc,
		    "error: commit failed: (cannot record the deadline: %s)", strerror(-rc));
	rc = mgd_hist_commit(m, tx->seq, tx->user, tx->client, tx->comment,
	    tx->req.flags | (confirming ? HRF_CONFIRMED : 0), diff, &tx->err);
	if (rc < 0) {
		if (confirming) {
			struct event *t = m->confirm.timer;
			m->confirm = tx->saved;
			m->confirm.timer = t;
			if (m->confirm.pending)
				mgd_hist_write_confirm(m);
			else
				mgd_hist_clear_confirm(m);
		}
		return rc;
	}
	if (!confirming && m->confirm.pending) {
		m->confirm.pending = false;
		if (m->confirm.timer)
			evtimer_del(m->confirm.timer);
		mgd_hist_clear_confirm(m);
	}
	return 0;
}

static size_t
count_nodes(const struct lyd_node *diff, size_t cap)
{
	const struct lyd_node *top, *n;
	size_t cnt = 0;

	LY_LIST_FOR(diff, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			if (++cnt > cap)
				return cnt;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return cnt;
}

static void
after_prepare(struct mgd *m, void *arg, int rc, const char *msg)
{
	struct tx *tx = arg;
	struct cand *c = tx->req.cand;
	bool confirming = tx->req.confirm_min != 0;

	STEP(tx, "prepared");
	if (rc < 0) {
		errbuf_set(&tx->err, -EINVAL, "%s%serror: %s", msg ? msg : "",
		    msg && *msg && msg[strlen(msg) - 1] != '\n' ? "\n" : "",
		    tx->req.check ? "configuration check-out failed"
		                  : "commit failed: (a daemon rejected the configuration)");
		mgd_subs_finish(m, tx->txid, false, after_abort, tx);
		return;
	}
	if (tx->req.check) {
		mgd_subs_finish(m, tx->txid, false, after_abort, tx);
		return;
	}
	/* 4. persist (a commit confirmed: its deadline first) */
	rc = persist(tx, confirming, tx->diff);
	if (rc < 0) {
		mgd_subs_finish(m, tx->txid, false, after_abort, tx);
		return;
	}
	STEP(tx, "persisted");
	/* 5. running follows: in place for a small change (cost of the
	 * change, defaults kept right); for a large one the shared candidate's
	 * tree becomes running and the candidate copies it back later, when
	 * idle (mgd_main.c), or on its next change */
	tx->large = count_nodes(tx->diff, LARGE_DIFF_NODES) > LARGE_DIFF_NODES;
	if (tx->large && c == &m->shared) {
		lyd_free_all(m->running);
		m->running = c->tree;
		c->tree = NULL;
		c->lazy = true;
	} else if (tx->large) {
		struct lyd_node *copy = NULL;

		if (c->tree && lyd_dup_siblings(c->tree, NULL,
		                   LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &copy) != LY_SUCCESS)
			fatalx(LOG_CFG, "commit %" PRIu64 ": out of memory; restart to reload it",
			    tx->seq);
		lyd_free_all(m->running);
		m->running = copy;
	} else if (ydiff_apply(&m->running, tx->diff, true) < 0) {
		fatalx(LOG_CFG,
		    "commit %" PRIu64 ": running does not take its own diff (%s); "
		    "restart to reload it",
		    tx->seq, ly_errmsg(m->ctx));
	}
	m->seq = tx->seq;
	touched_clear(&c->t);
	c->changed = false;
	c->base_seq = m->seq;
	if (c != &m->shared && !m->shared.lazy) {
		/* a private commit: the shared candidate takes it too */
		if (ydiff_apply(&m->shared.tree, tx->diff, true) < 0) {
			struct errbuf e2 = { .msg = "" };
			log_warnx(LOG_CFG,
			    "shared candidate conflicts with commit %" PRIu64
			    "; reloaded from running",
			    m->seq);
			cand_init_from_running(m, &m->shared, &e2);
		} else if (!m->shared.changed) {
			m->shared.base_seq = m->seq;
		}
	}
	log_info(LOG_CFG, "commit %" PRIu64 " by %s via %s%s", m->seq, tx->user, tx->client,
	    confirming ? " (confirmed)" : "");
	/* 6. apply */
	STEP(tx, "running updated");
	mgd_subs_finish(m, tx->txid, true, after_apply, tx);
}

/*
 * A commit that changes nothing. As on Junos, it is still a commit: a
 * history entry (rollback 1 is then the same configuration), its comment
 * and user recorded, and a plain commit confirms a pending commit
 * confirmed. The daemons are not asked: there is nothing for them.
 */
static void
commit_unchanged(struct tx *tx)
{
	struct mgd *m = tx->m;
	struct cand *c = tx->req.cand;
	bool confirming = tx->req.confirm_min != 0;
	int rc;

	rc = persist(tx, confirming, NULL);
	if (rc < 0) {
		tx_finish(tx, rc, tx->err.msg);
		return;
	}
	m->seq = tx->seq;
	touched_clear(&c->t);
	c->changed = false;
	c->base_seq = m->seq;
	if (c != &m->shared && !m->shared.changed)
		m->shared.base_seq = m->seq;
	log_info(LOG_CFG, "commit %" PRIu64 " by %s via %s (no change)%s", m->seq, tx->user,
	    tx->client, confirming ? " (confirmed)" : "");
	if (confirming)
		buf_printf(&tx->msgs,
		    "commit confirmed will be automatically rolled back in %u minutes unless "
		    "confirmed",
		    tx->req.confirm_min);
	mgd_confirm_arm(m);
	tx_finish(tx, 0, NULL);
}

/* A private candidate based on an older running: its own edits (the
 * touched subtrees) move onto the current running. */
static int
rebase(struct mgd *m, struct cand *c, struct errbuf *err)
{
	struct lyd_node *diff = NULL, *tree = NULL;
	int rc;

	rc = cand_diff(m, c, &diff);
	if (rc == 0 && m->running &&
	    lyd_dup_siblings(m->running, NULL, LYD_DUP_RECURSIVE, &tree) != LY_SUCCESS)
		rc = -ENOMEM;
	if (rc == 0 && ydiff_apply(&tree, diff, false) < 0)
		rc = -EINVAL;
	lyd_free_all(diff);
	if (rc < 0) {
		lyd_free_all(tree);
		return errbuf_set(err, rc,
		    "error: commit failed: (private changes conflict with the committed "
		    "configuration)");
	}
	lyd_free_all(c->tree);
	c->tree = tree;
	c->base_seq = m->seq;
	c->full_next = true;
	return 0;
}

void
mgd_commit(struct mgd *m, const struct commit_req *req)
{
	struct tx *tx = calloc(1, sizeof(*tx));
	struct cand *c = req->cand;
	bool full;
	int rc;

	if (!tx) {
		req->done(m, req->arg, -ENOMEM, "error: out of memory", 0);
		return;
	}
	m->busy = true;
	tx->m = m;
	tx->t0 = mono();
	tx->req = *req;
	tx->user = strdup(req->user ? req->user : "root");
	tx->client = strdup(req->client ? req->client : "cli");
	tx->comment = req->comment ? strdup(req->comment) : NULL;
	if (!tx->user || !tx->client || (req->comment && !tx->comment)) {
		tx_finish(tx, -ENOMEM, "error: out of memory");
		return;
	}
	if (c != &m->shared && c->base_seq != m->seq && (rc = rebase(m, c, &tx->err)) < 0) {
		tx_finish(tx, rc, tx->err.msg);
		return;
	}
	/* 1. diff, over the edit log; after a full validation (2.) instead
	 * when the whole tree has to be compared anyway */
	full = !c->lazy && (c->t.all || c->full_next || m->full_validate);
	if (!full) {
		rc = cand_diff(m, c, &tx->diff);
		if (rc < 0) {
			tx_finish(tx, rc, "error: commit failed: (cannot compute the change)");
			return;
		}
		STEP(tx, "diff");
	}
	/* 2. validate (an unchanged candidate is running: valid) */
	if (tx->diff || full) {
		rc = mgd_validate(m, c, &tx->diff, req->check, &tx->err);
		if (rc < 0) {
			tx_finish(tx, rc, tx->err.msg);
			return;
		}
	}
	if (!tx->diff) {
		if (req->check) {
			touched_clear(&c->t);
			c->changed = false;
			tx->seq = m->seq;
			tx_finish(tx, 0, NULL);
		} else {
			commit_unchanged(tx);
		}
		return;
	}
	/* 3. prepare */
	STEP(tx, "validated");
	tx->txid = ++m->next_tx;
	mgd_subs_prepare(m, tx->txid, tx->diff,
	    count_nodes(tx->diff, LARGE_DIFF_NODES) > LARGE_DIFF_NODES ? cand_get(m, c) : NULL,
	    req->check, after_prepare, tx);
}

/* ---- commit confirmed ---- */

static void
rollback_done(struct mgd *m, void *arg, int rc, const char *msg, uint64_t seq)
{
	(void)arg;
	(void)seq;
	if (rc == 0) {
		log_info(LOG_CFG, "commit was not confirmed; automatic rollback complete");
		mgd_broadcast(m, "Commit was not confirmed; automatic rollback complete.");
	} else {
		log_warnx(LOG_CFG, "automatic rollback failed:\n%s", msg ? msg : "");
		mgd_broadcast(m, "error: automatic rollback of the unconfirmed commit failed");
	}
}

void
mgd_confirm_fire(struct mgd *m)
{
	struct commit_req req;
	struct errbuf err = { .msg = "" };
	unsigned n;

	m->confirm_due = false;
	if (!m->confirm.pending)
		return;
	if (m->busy) {
		m->confirm_due = true;
		return;
	}
	n = (unsigned)(m->seq - m->confirm.base_seq);
	errbuf_clear(&err);
	/* the shared candidate's uncommitted changes go, as with rollback */
	if (cand_rollback(m, &m->shared, n, &err) < 0) {
		log_warnx(LOG_CFG, "automatic rollback: %s", err.msg);
		m->confirm.pending = false;
		mgd_hist_clear_confirm(m);
		mgd_broadcast(m, "error: automatic rollback of the unconfirmed commit failed");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.cand = &m->shared;
	req.user = m->confirm.user[0] ? m->confirm.user : "root";
	req.client = "other";
	req.comment = "automatic rollback: commit was not confirmed";
	req.flags = HRF_AUTO_ROLLBACK;
	req.done = rollback_done;
	mgd_commit(m, &req);
}

static void
confirm_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mgd_confirm_fire(arg);
}

void
mgd_confirm_arm(struct mgd *m)
{
	struct timeval tv = { 0, 0 };
	time_t now = time(NULL);

	if (!m->confirm.timer)
		m->confirm.timer = evtimer_new(m->base, confirm_timer, m);
	if (!m->confirm.timer)
		return;
	evtimer_del(m->confirm.timer);
	if (!m->confirm.pending)
		return;
	if (m->confirm.deadline > now)
		tv.tv_sec = m->confirm.deadline - now;
	evtimer_add(m->confirm.timer, &tv);
}
