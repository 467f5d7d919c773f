/* SPDX-License-Identifier: MIT */
/*
 * sa_move: the order of the kernel steps that move an SA to a new peer
 * address (dp_sa_update with DP_SA_UPD_REMOTE), and what the backend's own
 * table must say afterwards, whichever step fails. Pure: the steps are
 * callbacks (netlink requests in dp_kernel.c, fakes in the unit test).
 */
#ifndef CAIRN_SA_MOVE_H
#define CAIRN_SA_MOVE_H

#include <stdbool.h>

/* Each step: 0 or -errno. */
struct sa_move_steps {
	int (*add_new)(void *ctx);   /* NEWSA at the new address */
	int (*del_old)(void *ctx);   /* DELSA of the old SA */
	int (*del_new)(void *ctx);   /* DELSA of the new SA (undo add_new) */
	int (*readd_old)(void *ctx); /* NEWSA of the old SA as it was (undo del_old) */
};

/* Where the SA is in the kernel after sa_move(), for the backend's table. */
enum sa_move_end {
	SA_MOVE_DONE,     /* at the new address only */
	SA_MOVE_KEPT_OLD, /* at the old address only, as before */
	SA_MOVE_GONE,     /* neither: the table must forget it */
	SA_MOVE_BOTH,     /* both (new one used): the old could not be removed */
};

/*
 * coexist: the new SA has another lookup key (destination, SPI) than the
 * old, so the kernel can hold both (an outbound SA whose peer moves): the
 * new one is added first and the old deleted after, so traffic never
 * lacks an SA; a failed delete takes the new one out again. Otherwise
 * (inbound: the destination is the local address) the old one must go
 * first; when the add then fails, the old one is put back (unless the
 * kernel had already removed it: SA_MOVE_GONE).
 *
 * Returns 0 (SA_MOVE_DONE) or the -errno of the step that failed the move
 * (*failed names it: "add", "delete"); *undo_rc is the -errno of a failed
 * undo step (0 when none failed or none was needed). A delete of the old
 * SA answered by -ENOENT or -ESRCH means it is already gone, which is no
 * failure.
 */
int sa_move(bool coexist, const struct sa_move_steps *st, void *ctx, enum sa_move_end *end,
    const char **failed, int *undo_rc);

/*
 * The check after an SA add that asked for a per-CPU SA (DP_SA_PCPU):
 * kernels before 6.13 drop XFRMA_SA_PCPU silently, so the SA is read back
 * and, when the kernel did not keep the CPU, taken out again.
 */
struct sa_pcpu_steps {
	/* GETSA of the SA just added: 0 or -errno; *kept: it carries the CPU */
	int (*read_back)(void *ctx, bool *kept);
	int (*del)(void *ctx); /* DELSA of the SA just added */
};

/* What the backend's table must say after sa_pcpu_check(). */
enum sa_pcpu_end {
	SA_PCPU_DONE,            /* a per-CPU SA: listed */
	SA_PCPU_UNDONE,          /* not in the kernel (removed or gone): not listed */
	SA_PCPU_STILL_INSTALLED, /* in the kernel without its CPU: listed, error */
};

/*
 * Returns 0 (SA_PCPU_DONE), -EOPNOTSUPP when the kernel did not keep the
 * CPU, or the -errno of a failed read back (the SA is removed then too: a
 * per-CPU SA that cannot be checked is not kept). A delete answered by
 * -ENOENT or -ESRCH means the SA is gone already (SA_PCPU_UNDONE); any
 * other failed or unanswered delete leaves it installed
 * (SA_PCPU_STILL_INSTALLED, its -errno in *undo_rc; else 0).
 */
int sa_pcpu_check(const struct sa_pcpu_steps *st, void *ctx, enum sa_pcpu_end *end, int *undo_rc);

#endif
