/* SPDX-License-Identifier: MIT */
/*
 * mgd_hist: the crash-safe commit history.
 *
 * STATE/history/rec-<seq>   one record per commit: who, when, comment and
 *                           the commit's diff (small for small commits)
 * STATE/history/snap-<seq>  the whole running configuration after commit
 *                           <seq>, written now and then, off the commit path
 * STATE/history/confirm     a pending commit confirmed
 *
 * Every file is written whole under a temporary name, fsynced, renamed
 * and its directory fsynced (fs_write_atomic). Writing rec-<seq> is the
 * commit point: before the rename the old configuration is the running
 * one, after it the new one. Start-up loads the newest readable
 * snapshot and applies the records after it in order, so a kill -9 at
 * any moment leaves either the old or the new configuration and a
 * history that ends with the commit that made it.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "histrec.h"
#include "log.h"
#include "mgd.h"
#include "ydiff.h"
#include "banned.h"

#define SNAP_EVERY_RECS  100
#define SNAP_EVERY_BYTES (8u << 20)
#define MAX_FILE         (512u << 20)

/* dir/name into out (PATH_MAX); the directory was checked to leave room. */
static void
join(char *out, size_t len, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);

	if (dl + 1 + nl + 1 > len) {
		out[0] = '\0';
		return;
	}
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
}

static void
hist_path(const struct mgd *m, char *out, size_t len, const char *kind, uint64_t seq)
{
	char name[64];

	if (snprintf(name, sizeof(name), "%s-%020" PRIu64, kind, seq) >= (int)sizeof(name))
		name[0] = '\0';
	join(out, len, m->hist.dir, name);
}

static char *
dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* --test-delay-ms: a wider window around the commit point, for the
 * kill -9 test to land in. */
static void
test_delay(const struct mgd *m)
{
	struct timespec ts;

	if (!m->test_delay_ms)
		return;
	ts.tv_sec = m->test_delay_ms / 1000;
	ts.tv_nsec = (long)(m->test_delay_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static void
entry_free(struct hist_entry *e)
{
	free(e->user);
	free(e->client);
	free(e->comment);
}

static int
entry_push(struct hist *h, const struct histrec *r)
{
	struct hist_entry *e;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct hist_entry *ne = realloc(h->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		h->e = ne;
		h->cap = cap;
	}
	e = &h->e[h->n];
	memset(e, 0, sizeof(*e));
	e->seq = r->seq;
	e->time = r->time;
	e->flags = r->flags;
	e->user = dupn(r->user ? r->user : "", r->user_len);
	e->client = dupn(r->client ? r->client : "", r->client_len);
	e->comment = r->comment ? dupn(r->comment, r->comment_len) : NULL;
	if (!e->user || !e->client || (r->comment && !e->comment)) {
		entry_free(e);
		return -ENOMEM;
	}
	h->n++;
	return 0;
}

static int
parse_json(struct mgd *m, const char *text, size_t len, struct lyd_node **tree, struct errbuf *err)
{
	char *copy = dupn(text, len);
	int rc = 0;

	*tree = NULL;
	if (!copy)
		return -ENOMEM;
	if (lyd_parse_data_mem(m->ctx, copy, LYD_JSON,
	        LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, tree) != LY_SUCCESS) {
		rc = errbuf_set(err, -EBADMSG, "%s", ly_errmsg(m->ctx));
		lyd_free_all(*tree);
		*tree = NULL;
	}
	free(copy);
	return rc;
}

static int
read_file(const char *path, char **data, size_t *len, struct histrec *r)
{
	int rc = fs_read_all(path, MAX_FILE, data, len);

	if (rc < 0)
		return rc;
	rc = histrec_decode((const uint8_t *)*data, *len, r);
	if (rc < 0) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sequence numbers of one kind of file, ascending. Removes leftovers
 * of interrupted writes on the way. */
static int
list_files(struct mgd *m, const char *kind, uint64_t **out, size_t *n)
{
	DIR *d;
	struct dirent *de;
	uint64_t *v = NULL, *nv, seq;
	size_t cnt = 0, cap = 0, klen = strlen(kind);
	char path[PATH_MAX], *end;

	*out = NULL;
	*n = 0;
	d = opendir(m->hist.dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".tmp.")) {
			join(path, sizeof(path), m->hist.dir, de->d_name);
			unlink(path);
			continue;
		}
		if (strncmp(de->d_name, kind, klen) != 0 || de->d_name[klen] != '-')
			continue;
		errno = 0;
		seq = strtoull(de->d_name + klen + 1, &end, 10);
		if (errno || *end)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = seq;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}

static void
prune(struct mgd *m)
{
	struct hist *h = &m->hist;
	uint64_t *recs = NULL, *snaps = NULL, keep_from;
	size_t nr = 0, ns = 0, i, drop;
	char path[PATH_MAX];

	/* records: the last HIST_KEEP (rollback) and all after the newest
	 * snapshot (start-up) stay; the oldest go first, so an interrupted
	 * prune leaves a contiguous tail */
	keep_from = m->seq >= HIST_KEEP ? m->seq - HIST_KEEP + 1 : 0;
	if (h->snap_seq + 1 < keep_from)
		keep_from = h->snap_seq + 1;
	if (list_files(m, "rec", &recs, &nr) == 0) {
		for (i = 0; i < nr && recs[i] < keep_from; i++) {
			hist_path(m, path, sizeof(path), "rec", recs[i]);
			unlink(path);
		}
	}
	if (list_files(m, "snap", &snaps, &ns) == 0) {
		for (i = 0; i < ns; i++) {
			if (snaps[i] >= h->snap_seq)
				continue;
			hist_path(m, path, sizeof(path), "snap", snaps[i]);
			unlink(path);
		}
	}
	free(recs);
	free(snaps);
	/* in memory: the entries for rollback 0..49 */
	if (h->n > HIST_KEEP) {
		drop = h->n - HIST_KEEP;
		for (i = 0; i < drop; i++)
			entry_free(&h->e[i]);
		memmove(h->e, h->e + drop, HIST_KEEP * sizeof(*h->e));
		h->n = HIST_KEEP;
	}
}

int
mgd_hist_open(struct mgd *m, struct errbuf *err)
{
	struct hist *h = &m->hist;
	uint64_t *snaps = NULL, *recs = NULL;
	size_t ns = 0, nr = 0, i, len;
	struct lyd_node *tree = NULL, *diff;
	struct histrec r;
	struct errbuf e2 = { .msg = "" };
	char path[PATH_MAX], *data = NULL;
	int rc;

	if (strlen(m->paths.state_dir) + 128 > sizeof(h->dir))
		return errbuf_set(err, -ENAMETOOLONG, "%s: path too long", m->paths.state_dir);
	join(h->dir, sizeof(h->dir), m->paths.state_dir, "history");
	if ((rc = fs_mkdir_p(h->dir, 0750)) < 0)
		return errbuf_set(err, rc, "%s: %s", h->dir, strerror(-rc));
	if ((rc = list_files(m, "snap", &snaps, &ns)) < 0 ||
	    (rc = list_files(m, "rec", &recs, &nr)) < 0) {
		errbuf_set(err, rc, "%s: %s", h->dir, strerror(-rc));
		goto out;
	}
	/* 1. the newest snapshot that reads back whole */
	m->seq = 0;
	m->running = NULL;
	h->snap_seq = 0;
	for (i = ns; i-- > 0;) {
		hist_path(m, path, sizeof(path), "snap", snaps[i]);
		if (read_file(path, &data, &len, &r) < 0 || r.seq != snaps[i]) {
			log_warnx(LOG_CFG, "%s: damaged snapshot, skipped", path);
			free(data);
			data = NULL;
			continue;
		}
		errbuf_clear(&e2);
		rc = parse_json(m, r.data ? r.data : "", r.data ? r.data_len : 0, &tree, &e2);
		free(data);
		data = NULL;
		if (rc < 0) {
			log_warnx(LOG_CFG, "%s: unreadable snapshot (%s), skipped", path, e2.msg);
			continue;
		}
		m->running = tree;
		m->seq = h->snap_seq = snaps[i];
		break;
	}
	/* 2. the records: history entries, and the ones after the snapshot
	 * replayed in order while they are contiguous */
	for (i = 0; i < nr; i++) {
		hist_path(m, path, sizeof(path), "rec", recs[i]);
		if (recs[i] > m->seq + 1)
			break; /* a gap: later records cannot be replayed */
		if (read_file(path, &data, &len, &r) < 0 || r.seq != recs[i]) {
			log_warnx(LOG_CFG, "%s: damaged history record", path);
			free(data);
			data = NULL;
			if (recs[i] > m->seq)
				break;
			continue;
		}
		if (recs[i] == m->seq + 1) {
			errbuf_clear(&e2);
			diff = NULL;
			rc = r.fwd ? parse_json(m, r.fwd, r.fwd_len, &diff, &e2) : 0;
			if (rc == 0 && ydiff_apply(&m->running, diff, false) < 0)
				rc = errbuf_set(&e2, -EBADMSG, "diff does not apply");
			lyd_free_all(diff);
			if (rc < 0) {
				log_warnx(LOG_CFG, "%s: cannot replay (%s)", path, e2.msg);
				free(data);
				data = NULL;
				break;
			}
			m->seq = recs[i];
			h->recs_since_snap++;
			h->bytes_since_snap += len;
		}
		/* the metadata (prune() trims to HIST_KEEP); older entries not
		 * contiguous with this one cannot be rolled back to */
		if (h->n && h->e[h->n - 1].seq + 1 != recs[i]) {
			while (h->n)
				entry_free(&h->e[--h->n]);
		}
		if ((rc = entry_push(h, &r)) < 0) {
			free(data);
			errbuf_set(err, rc, "out of memory");
			goto out;
		}
		free(data);
		data = NULL;
	}
	/* entries newer than running (after a damaged record) do not count */
	while (h->n && h->e[h->n - 1].seq > m->seq)
		entry_free(&h->e[--h->n]);
	if (h->n && h->e[h->n - 1].seq != m->seq) {
		while (h->n)
			entry_free(&h->e[--h->n]);
	}
	prune(m);
	log_info(LOG_CFG,
	    "configuration at commit %" PRIu64 " (snapshot %" PRIu64 ", %u records replayed)",
	    m->seq, h->snap_seq, h->recs_since_snap);
	rc = 0;
out:
	free(snaps);
	free(recs);
	return rc;
}

void
mgd_hist_close(struct mgd *m)
{
	struct hist *h = &m->hist;

	while (h->n)
		entry_free(&h->e[--h->n]);
	free(h->e);
	h->e = NULL;
	h->cap = 0;
}

const struct hist_entry *
mgd_hist_get(const struct mgd *m, unsigned i)
{
	const struct hist *h = &m->hist;

	if (i >= h->n)
		return NULL;
	return &h->e[h->n - 1 - i];
}

int
mgd_hist_commit(struct mgd *m, uint64_t seq, const char *user, const char *client,
    const char *comment, uint32_t flags, const struct lyd_node *diff, struct errbuf *err)
{
	struct buf b = BUF_INIT;
	struct histrec r;
	char path[PATH_MAX], *fwd = NULL;
	int rc;

	if (lyd_print_mem(&fwd, diff, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) !=
	    LY_SUCCESS) {
		rc = errbuf_set(err, -ENOMEM, "error: commit failed: (cannot encode the change)");
		goto out;
	}
	rc = histrec_encode(&b, seq, (uint64_t)time(NULL), flags, user, client, comment, fwd,
	    fwd ? strlen(fwd) : 0, NULL, 0);
	if (rc < 0) {
		errbuf_set(err, rc, "error: commit failed: (out of memory)");
		goto out;
	}
	hist_path(m, path, sizeof(path), "rec", seq);
	test_delay(m);
	/* THE COMMIT POINT */
	rc = fs_write_atomic(path, b.p, b.len, 0640);
	test_delay(m);
	if (rc < 0) {
		errbuf_set(
		    err, rc, "error: commit failed: (cannot write %s: %s)", path, strerror(-rc));
		goto out;
	}
	if (histrec_decode((const uint8_t *)b.p, b.len, &r) == 0)
		entry_push(&m->hist, &r);
	m->hist.recs_since_snap++;
	m->hist.bytes_since_snap += b.len;
	if (m->hist.recs_since_snap >= (m->snap_every ? m->snap_every : SNAP_EVERY_RECS) ||
	    m->hist.bytes_since_snap >= SNAP_EVERY_BYTES)
		m->snap_due = true;
out:
	free(fwd);
	buf_free(&b);
	return rc;
}

int
mgd_hist_diff(struct mgd *m, uint64_t seq, struct lyd_node **diff, struct errbuf *err)
{
	struct histrec r;
	char path[PATH_MAX], *data = NULL;
	size_t len;
	int rc;

	*diff = NULL;
	hist_path(m, path, sizeof(path), "rec", seq);
	rc = read_file(path, &data, &len, &r);
	if (rc < 0)
		return errbuf_set(
		    err, rc, "error: history of commit %" PRIu64 " is unavailable", seq);
	rc = r.fwd ? parse_json(m, r.fwd, r.fwd_len, diff, err) : 0;
	free(data);
	return rc;
}

void
mgd_hist_maybe_snapshot(struct mgd *m, bool force)
{
	struct buf b = BUF_INIT;
	char path[PATH_MAX], *data = NULL;
	int rc;

	if (!force && !m->snap_due)
		return;
	m->snap_due = false;
	if (m->seq == m->hist.snap_seq)
		return;
	if (m->running && lyd_print_mem(&data, m->running, LYD_JSON,
	                      LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) != LY_SUCCESS) {
		log_warnx(LOG_CFG, "snapshot: cannot print the configuration");
		return;
	}
	rc = histrec_encode(&b, m->seq, (uint64_t)time(NULL), 0, NULL, NULL, NULL, NULL, 0,
	    data ? data : "{}", data ? strlen(data) : 2);
	free(data);
	if (rc == 0) {
		hist_path(m, path, sizeof(path), "snap", m->seq);
		rc = fs_write_atomic(path, b.p, b.len, 0640);
		test_delay(m);
	}
	buf_free(&b);
	if (rc < 0) {
		log_warnx(LOG_CFG, "snapshot of commit %" PRIu64 ": %s", m->seq, strerror(-rc));
		return;
	}
	m->hist.snap_seq = m->seq;
	m->hist.recs_since_snap = 0;
	m->hist.bytes_since_snap = 0;
	prune(m);
}

int
mgd_hist_write_confirm(struct mgd *m)
{
	struct buf b = BUF_INIT;
	char path[PATH_MAX];
	int rc;

	join(path, sizeof(path), m->hist.dir, "confirm");
	rc = histrec_encode_confirm(&b, m->confirm.seq, (uint64_t)m->confirm.deadline,
	    m->confirm.base_seq, m->confirm.user);
	if (rc == 0)
		rc = fs_write_atomic(path, b.p, b.len, 0640);
	buf_free(&b);
	return rc;
}

int
mgd_hist_clear_confirm(struct mgd *m)
{
	char path[PATH_MAX];

	join(path, sizeof(path), m->hist.dir, "confirm");
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return fs_sync_dir(m->hist.dir);
}

int
mgd_confirm_load(struct mgd *m)
{
	struct histrec r;
	char path[PATH_MAX], *data = NULL;
	size_t len;
	int rc;

	join(path, sizeof(path), m->hist.dir, "confirm");
	rc = fs_read_all(path, 1u << 16, &data, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = histrec_decode((const uint8_t *)data, len, &r);
	if (rc == 0 && r.seq == m->seq && r.base < r.seq) {
		m->confirm.pending = true;
		m->confirm.seq = r.seq;
		m->confirm.base_seq = r.base;
		m->confirm.deadline = (time_t)r.time;
		snprintf(m->confirm.user, sizeof(m->confirm.user), "%.*s", (int)r.user_len,
		    r.user ? r.user : "");
		log_info(LOG_CFG, "commit %" PRIu64 " is unconfirmed; rollback at %lld", r.seq,
		    (long long)r.time);
	} else {
		/* a later commit confirmed it (or the rollback happened) */
		mgd_hist_clear_confirm(m);
	}
	free(data);
	return 0;
}
