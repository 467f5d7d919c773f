/* SPDX-License-Identifier: MIT */
/*
 * test_sa_move: the kernel step order of an SA move to a new peer address
 * (xfrm/sa_move.c) and what the kernel backend's table must say after each
 * failure. A fake kernel holds the SAs by lookup key (old, new) and the
 * test checks that the reported end matches what the fake holds, for every
 * step that can fail.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sa_move.h"

/* The fake kernel: which SAs it holds, each step's answer, the call order. */
struct fake {
	bool coexist;
	bool has_old, has_new;
	int rc_add, rc_del_old, rc_del_new, rc_readd;
	char calls[64];
};

static void
called(struct fake *f, char c)
{
	size_t n = strlen(f->calls);

	assert_true(n + 1 < sizeof(f->calls));
	f->calls[n] = c;
	f->calls[n + 1] = '\0';
}

static int
f_add_new(void *ctx)
{
	struct fake *f = ctx;

	called(f, 'A');
	/* same lookup key as the old one: the kernel refuses a duplicate */
	if (!f->coexist && f->has_old)
		return -EEXIST;
	if (f->rc_add == 0)
		f->has_new = true;
	return f->rc_add;
}

static int
f_del_old(void *ctx)
{
	struct fake *f = ctx;

	called(f, 'D');
	if (f->rc_del_old == 0 || f->rc_del_old == -ESRCH)
		f->has_old = false;
	return f->rc_del_old;
}

static int
f_del_new(void *ctx)
{
	struct fake *f = ctx;

	called(f, 'd');
	if (f->rc_del_new == 0)
		f->has_new = false;
	return f->rc_del_new;
}

static int
f_readd_old(void *ctx)
{
	struct fake *f = ctx;

	called(f, 'R');
	if (f->rc_readd == 0)
		f->has_old = true;
	return f->rc_readd;
}

static const struct sa_move_steps steps = {
	.add_new = f_add_new,
	.del_old = f_del_old,
	.del_new = f_del_new,
	.readd_old = f_readd_old,
};

/* Runs a move and checks that the end reported is what the kernel holds. */
static int
run(struct fake *f, enum sa_move_end *end, const char **failed, int *undo_rc)
{
	int rc;

	f->has_old = true;
	f->has_new = false;
	f->calls[0] = '\0';
	rc = sa_move(f->coexist, &steps, f, end, failed, undo_rc);
	switch (*end) {
	case SA_MOVE_DONE:
		assert_int_equal(rc, 0);
		assert_true(f->has_new && !f->has_old);
		break;
	case SA_MOVE_KEPT_OLD:
		assert_true(rc < 0);
		assert_true(f->has_old && !f->has_new);
		break;
	case SA_MOVE_GONE:
		assert_true(rc < 0);
		assert_true(!f->has_old && !f->has_new);
		break;
	case SA_MOVE_BOTH:
		assert_true(rc < 0);
		assert_true(f->has_old && f->has_new);
		break;
	}
	return rc;
}

/* Inbound: (local dst, SPI) stays, so the old SA goes first. */
static void
test_inbound(void **state)
{
	struct fake f = { .coexist = false };
	enum sa_move_end end;
	const char *failed;
	int undo;

	(void)state;
	assert_int_equal(run(&f, &end, &failed, &undo), 0);
	assert_int_equal(end, SA_MOVE_DONE);
	assert_string_equal(f.calls, "DA");

	/* the add fails: the old SA is put back and the table keeps it */
	f.rc_add = -ENOMEM;
	assert_int_equal(run(&f, &end, &failed, &undo), -ENOMEM);
	assert_int_equal(end, SA_MOVE_KEPT_OLD);
	assert_string_equal(failed, "add");
	assert_int_equal(undo, 0);
	assert_string_equal(f.calls, "DAR");

	/* ... and the restore fails too: gone from the kernel, so from the table */
	f.rc_readd = -ENOBUFS;
	assert_int_equal(run(&f, &end, &failed, &undo), -ENOMEM);
	assert_int_equal(end, SA_MOVE_GONE);
	assert_int_equal(undo, -ENOBUFS);
	assert_string_equal(f.calls, "DAR");

	/* the delete fails: nothing else is tried, the old SA stays */
	f.rc_add = 0;
	f.rc_readd = 0;
	f.rc_del_old = -EPERM;
	assert_int_equal(run(&f, &end, &failed, &undo), -EPERM);
	assert_int_equal(end, SA_MOVE_KEPT_OLD);
	assert_string_equal(failed, "delete");
	assert_string_equal(f.calls, "D");

	/* the old SA expired meanwhile: no failure, the new one goes in */
	f.rc_del_old = -ESRCH;
	assert_int_equal(run(&f, &end, &failed, &undo), 0);
	assert_int_equal(end, SA_MOVE_DONE);
	assert_string_equal(f.calls, "DA");
	/* ... and when the add then fails, an expired SA is not brought back */
	f.rc_add = -EINVAL;
	assert_int_equal(run(&f, &end, &failed, &undo), -EINVAL);
	assert_int_equal(end, SA_MOVE_GONE);
	assert_int_equal(undo, 0);
	assert_string_equal(f.calls, "DA");
}

/* Outbound: the destination moves, the kernel can hold both. */
static void
test_outbound(void **state)
{
	struct fake f = { .coexist = true };
	enum sa_move_end end;
	const char *failed;
	int undo;

	(void)state;
	assert_int_equal(run(&f, &end, &failed, &undo), 0);
	assert_int_equal(end, SA_MOVE_DONE);
	assert_string_equal(f.calls, "AD");

	/* the add fails: the old SA is untouched */
	f.rc_add = -ENOMEM;
	assert_int_equal(run(&f, &end, &failed, &undo), -ENOMEM);
	assert_int_equal(end, SA_MOVE_KEPT_OLD);
	assert_string_equal(failed, "add");
	assert_string_equal(f.calls, "A");

	/* the old one cannot be deleted: the new one is taken out again */
	f.rc_add = 0;
	f.rc_del_old = -EBUSY;
	assert_int_equal(run(&f, &end, &failed, &undo), -EBUSY);
	assert_int_equal(end, SA_MOVE_KEPT_OLD);
	assert_string_equal(failed, "delete");
	assert_int_equal(undo, 0);
	assert_string_equal(f.calls, "ADd");

	/* ... and if that fails too, both are in the kernel and reported so */
	f.rc_del_new = -EBUSY;
	assert_int_equal(run(&f, &end, &failed, &undo), -EBUSY);
	assert_int_equal(end, SA_MOVE_BOTH);
	assert_int_equal(undo, -EBUSY);
	assert_string_equal(f.calls, "ADd");

	/* the old one had expired: the move is done */
	f.rc_del_new = 0;
	f.rc_del_old = -ESRCH;
	assert_int_equal(run(&f, &end, &failed, &undo), 0);
	assert_int_equal(end, SA_MOVE_DONE);
}

/* The fake kernel of a per-CPU SA add: the SA is in it, with or without its CPU. */
struct pfake {
	bool installed, kept;
	int rc_read, rc_del;
	char calls[8];
};

static void
pcalled(struct pfake *f, char c)
{
	size_t n = strlen(f->calls);

	assert_true(n + 1 < sizeof(f->calls));
	f->calls[n] = c;
	f->calls[n + 1] = '\0';
}

static int
p_read_back(void *ctx, bool *kept)
{
	struct pfake *f = ctx;

	pcalled(f, 'G');
	*kept = f->rc_read == 0 && f->kept;
	return f->rc_read;
}

static int
p_del(void *ctx)
{
	struct pfake *f = ctx;

	pcalled(f, 'D');
	if (f->rc_del == 0 || f->rc_del == -ESRCH)
		f->installed = false;
	return f->rc_del;
}

static const struct sa_pcpu_steps psteps = { .read_back = p_read_back, .del = p_del };

/* Runs the check; the end must match what the fake kernel holds. */
static int
prun(struct pfake *f, enum sa_pcpu_end *end, int *undo_rc)
{
	int rc;

	f->installed = true;
	f->calls[0] = '\0';
	rc = sa_pcpu_check(&psteps, f, end, undo_rc);
	if (*end == SA_PCPU_DONE)
		assert_int_equal(rc, 0);
	else
		assert_true(rc < 0);
	/* the table lists the SA exactly when the kernel still holds it */
	assert_int_equal(*end != SA_PCPU_UNDONE, f->installed);
	return rc;
}

/*
 * sa_add with DP_SA_PCPU on a kernel without per-CPU SAs: the SA is
 * removed again; a delete the kernel refuses or does not answer leaves it
 * installed, and the table must keep listing it (as sa_del and tunnel_del
 * do), with the error saying so.
 */
static void
test_pcpu_check(void **state)
{
	struct pfake f = { .kept = true };
	enum sa_pcpu_end end;
	int undo;

	(void)state;
	assert_int_equal(prun(&f, &end, &undo), 0);
	assert_int_equal(end, SA_PCPU_DONE);
	assert_string_equal(f.calls, "G");

	/* the kernel dropped the CPU: removed, not listed */
	f.kept = false;
	assert_int_equal(prun(&f, &end, &undo), -EOPNOTSUPP);
	assert_int_equal(end, SA_PCPU_UNDONE);
	assert_int_equal(undo, 0);
	assert_string_equal(f.calls, "GD");

	/* ... and the delete is refused: still installed, still listed */
	f.rc_del = -EPERM;
	assert_int_equal(prun(&f, &end, &undo), -EOPNOTSUPP);
	assert_int_equal(end, SA_PCPU_STILL_INSTALLED);
	assert_int_equal(undo, -EPERM);

	/* ... or not answered */
	f.rc_del = -ETIMEDOUT;
	assert_int_equal(prun(&f, &end, &undo), -EOPNOTSUPP);
	assert_int_equal(end, SA_PCPU_STILL_INSTALLED);
	assert_int_equal(undo, -ETIMEDOUT);

	/* ... or it was gone already: nothing to list */
	f.rc_del = -ESRCH;
	assert_int_equal(prun(&f, &end, &undo), -EOPNOTSUPP);
	assert_int_equal(end, SA_PCPU_UNDONE);
	assert_int_equal(undo, 0);

	/* the read back fails: its error, and the SA out as above */
	f.rc_del = 0;
	f.kept = true;
	f.rc_read = -ETIMEDOUT;
	assert_int_equal(prun(&f, &end, &undo), -ETIMEDOUT);
	assert_int_equal(end, SA_PCPU_UNDONE);
	f.rc_del = -EPERM;
	assert_int_equal(prun(&f, &end, &undo), -ETIMEDOUT);
	assert_int_equal(end, SA_PCPU_STILL_INSTALLED);
	assert_string_equal(f.calls, "GD");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_outbound),
		cmocka_unit_test(test_pcpu_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
