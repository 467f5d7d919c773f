/* SPDX-License-Identifier: MIT */
/*
 * sa_move: kernel step order for moving an SA to a new peer address, and
 * the resulting state for the backend's table (sa_move.h); likewise the
 * check of a per-CPU SA after its add.
 */
#include "sa_move.h"

#include <errno.h>
#include <stddef.h>

#include "banned.h"

static bool
gone(int rc)
{
	return rc == -ENOENT || rc == -ESRCH;
}

int
sa_move(bool coexist, const struct sa_move_steps *st, void *ctx, enum sa_move_end *end,
    const char **failed, int *undo_rc)
{
	bool old_gone;
	int rc;

	*undo_rc = 0;
	*failed = NULL;
	if (coexist) {
		/* 1. the new SA beside the old; a failure leaves the old alone */
		if ((rc = st->add_new(ctx)) < 0) {
			*end = SA_MOVE_KEPT_OLD;
			*failed = "add";
			return rc;
		}
		/* 2. the old one out; if it stays, so does the change not */
		if ((rc = st->del_old(ctx)) < 0 && !gone(rc)) {
			*failed = "delete";
			*undo_rc = st->del_new(ctx);
			*end = *undo_rc < 0 && !gone(*undo_rc) ? SA_MOVE_BOTH : SA_MOVE_KEPT_OLD;
			return rc;
		}
		*end = SA_MOVE_DONE;
		return 0;
	}
	/* 1. the old SA out: the new one has the same (destination, SPI) */
	if ((rc = st->del_old(ctx)) < 0 && !gone(rc)) {
		*end = SA_MOVE_KEPT_OLD;
		*failed = "delete";
		return rc;
	}
	old_gone = rc < 0; /* expired meanwhile: nothing to put back */
	/* 2. the new one in; on failure 3. the old one back as it was */
	if ((rc = st->add_new(ctx)) < 0) {
		*failed = "add";
		if (!old_gone)
			*undo_rc = st->readd_old(ctx);
		*end = !old_gone && *undo_rc == 0 ? SA_MOVE_KEPT_OLD : SA_MOVE_GONE;
		return rc;
	}
	*end = SA_MOVE_DONE;
	return 0;
}

int
sa_pcpu_check(const struct sa_pcpu_steps *st, void *ctx, enum sa_pcpu_end *end, int *undo_rc)
{
	bool kept = false;
	int rc, d;

	*undo_rc = 0;
	/* 1. read back: did the kernel keep XFRMA_SA_PCPU? */
	if ((rc = st->read_back(ctx, &kept)) == 0 && kept) {
		*end = SA_PCPU_DONE;
		return 0;
	}
	if (rc == 0)
		rc = -EOPNOTSUPP;
	/* 2. out again; a refused or unanswered delete leaves it in the kernel */
	d = st->del(ctx);
	if (d == 0 || gone(d)) {
		*end = SA_PCPU_UNDONE;
		return rc;
	}
	*undo_rc = d;
	*end = SA_PCPU_STILL_INSTALLED;
	return rc;
}
