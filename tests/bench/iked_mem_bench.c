/* SPDX-License-Identifier: MIT */
/*
 * iked-mem-bench: where cairn-iked's memory goes per tunnel, in process:
 * two daemons (cairn-iked-core, mock dataplane) fed the two sides of N
 * route-based VPNs (tests/bench/gen-vpn-pair.sh) through nb_test_commit(),
 * their engines talking through an in-memory queue until every tunnel is
 * up. Prints the hub's heap in use (glibc's mallinfo2; the mock
 * dataplane's own copies subtracted) per tunnel: the libyang tree nb
 * keeps, the rest of the configuration state (engine, dataplane objects),
 * and the IKE and CHILD SAs; and the heap glibc holds before and after
 * malloc_trim(). The real dataplane's share is the scale benchmark's
 * RSS minus these. Not a ctest.
 *
 *   iked-mem-bench [-n N] [-y YANG_DIR] [-d]
 *
 * -d (as root): also the userspace dataplane alone, in a private network
 * namespace: N st0 units with an address, N routes, N tunnels and their
 * inbound and outbound AES-GCM SAs, 2 SPUs, as cairn-iked programs them.
 *
 * By hand: MEMBENCH_EXIT=1 heaptrack iked-mem-bench -n 2000 exits right
 * after the figures, so heaptrack's "leaks" are what the two daemons keep
 * with every tunnel up, by allocation site.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <libyang/libyang.h>

#include "buf.h"
#include "cfg.h"
#include "iked.h"
#include "log.h"
#include "mock.h"

#include "banned.h"

#ifndef CAIRN_GEN_PAIR
#define CAIRN_GEN_PAIR "tests/bench/gen-vpn-pair.sh"
#endif

static struct cfg_schema *schema;

struct pkt {
	int to;
	struct ike_dgram d;
	uint8_t *buf;
};

static struct iked *D[2];
static struct pkt *q;
static size_t q_n, q_cap;

static void __attribute__((format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "iked-mem-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double kib(double bytes, unsigned n);

/* ip link set lo up, in the current namespace */
static int
system_lo_up(void)
{
	pid_t p = fork();
	int st = 0;

	if (p == 0) {
		execlp("ip", "ip", "link", "set", "lo", "up", (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static size_t
heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int
tsend(void *ctx, const struct ike_dgram *d)
{
	int from = (int)(intptr_t)ctx;
	struct pkt *p;

	if (q_n == q_cap) {
		q_cap = q_cap ? q_cap * 2 : 1024;
		q = realloc(q, q_cap * sizeof(*q));
		if (!q)
			die("out of memory");
	}
	p = &q[q_n++];
	p->to = 1 - from;
	p->d = *d;
	p->buf = malloc(d->len ? d->len : 1);
	if (!p->buf)
		die("out of memory");
	memcpy(p->buf, d->data, d->len);
	p->d.data = p->buf;
	return 0;
}

/* Delivers what is queued (and the answers) until nothing moves. */
static void
pump(void)
{
	while (q_n) {
		struct pkt *batch = q;
		size_t n = q_n, i;

		q = NULL;
		q_n = q_cap = 0;
		for (i = 0; i < n; i++) {
			struct ike_dgram in = batch[i].d;

			in.local = batch[i].d.remote;
			in.remote = batch[i].d.local;
			if (D[batch[i].to]->e)
				ike_engine_input(D[batch[i].to]->e, &in);
			free(batch[i].buf);
		}
		free(batch);
		ike_engine_run_timers(D[0]->e);
		ike_engine_run_timers(D[1]->e);
	}
}

static char *
run_capture(const char *cmd)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *fp = popen(cmd, "r");

	if (!fp)
		die("cannot run %s", cmd);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	if (pclose(fp) != 0)
		die("%s failed", cmd);
	return buf_steal(&b);
}

static struct lyd_node *
tree_of(const char *side, unsigned n)
{
	struct lyd_node *tree = NULL;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	char cmd[4096], *lines;

	snprintf(cmd, sizeof(cmd), "sh %s %s %u", CAIRN_GEN_PAIR, side, n);
	lines = run_capture(cmd);
	errbuf_clear(&err);
	if (cfg_edit_lines(schema, &tree, NULL, lines, strlen(lines), 0, NULL, &pos, &err) != 0)
		die("edit: %s (line %u)", err.msg, pos.line);
	free(lines);
	return tree;
}

static void
commit(struct iked *d, const struct lyd_node *tree)
{
	struct buf out = BUF_INIT;
	char *json = NULL;

	if (lyd_print_mem(&json, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) !=
	    LY_SUCCESS)
		die("print");
	if (nb_test_commit(iked_nb(d), json, false, &out) != 0)
		die("commit refused: %s", buf_str(&out));
	free(json);
	buf_free(&out);
}

static struct iked *
daemon_new(struct event_base *base, int idx)
{
	struct iked_opts o;
	struct errbuf err = { .msg = "" };
	struct iked *d;

	memset(&o, 0, sizeof(o));
	o.test_mock_dp = true;
	o.test_no_sockets = true;
	o.test_send = tsend;
	o.test_ctx = (void *)(intptr_t)idx;
	errbuf_clear(&err);
	d = iked_new(base, cfg_schema_ctx(schema), &o, &err);
	if (!d)
		die("iked_new: %s", err.msg);
	return d;
}

/* The userspace dataplane's heap per tunnel, by object (in a private netns). */
static void
dp_mem(unsigned n)
{
	struct dp_config cfg;
	struct dp *dp = NULL;
	struct errbuf err = { .msg = "" };
	size_t h0, h_open, h_unit, h_route, h_tun, h_sa;
	unsigned i;

	if (unshare(CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWNET): %s (run as root)", strerror(errno));
	if (system_lo_up() < 0)
		die("cannot bring lo up");
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = DP_BACKEND_USERSPACE;
	cfg.spus = 2;
	errbuf_clear(&err);
	h0 = heap();
	if (dp_open(&cfg, &dp, &err) < 0)
		die("dp_open: %s", err.msg);
	h_open = heap();
	for (i = 0; i < n; i++) {
		struct dp_unit u;

		memset(&u, 0, sizeof(u));
		u.unit = i;
		u.up = true;
		u.addr4.addr.family = AF_INET;
		u.addr4.addr.u.b[0] = 169;
		u.addr4.addr.u.b[1] = 254;
		u.addr4.addr.u.b[2] = (uint8_t)(i / 64);
		u.addr4.addr.u.b[3] = (uint8_t)((i % 64) * 4 + 1);
		u.addr4.len = 30;
		if (dp_unit_set(dp, &u, &err) < 0)
			die("unit %u: %s", i, err.msg);
	}
	h_unit = heap();
	for (i = 0; i < n; i++) {
		struct dp_route r;

		memset(&r, 0, sizeof(r));
		r.dst.addr.family = AF_INET;
		r.dst.addr.u.b[0] = 10;
		r.dst.addr.u.b[1] = (uint8_t)(i / 256);
		r.dst.addr.u.b[2] = (uint8_t)(i % 256);
		r.dst.len = 24;
		r.unit = i;
		if (dp_route_add(dp, &r, &err) < 0)
			die("route %u: %s", i, err.msg);
	}
	h_route = heap();
	for (i = 0; i < n; i++) {
		struct dp_tunnel t;
		uint32_t spu;

		memset(&t, 0, sizeof(t));
		t.id = 131073 + i;
		t.unit = i;
		t.spu = DP_SPU_ANY;
		t.local_gw.family = t.remote_gw.family = AF_INET;
		t.local_gw.u.b[0] = 192;
		t.local_gw.u.b[3] = 1;
		t.remote_gw.u.b[0] = 198;
		t.remote_gw.u.b[1] = 18;
		t.remote_gw.u.b[2] = (uint8_t)(i / 250);
		t.remote_gw.u.b[3] = (uint8_t)(i % 250 + 1);
		t.ike_sa_id = i + 1;
		/* as cairn-iked's route-based tunnels: 0.0.0.0/0 both ways */
		t.n_local_ts = t.n_remote_ts = 1;
		t.local_ts[0].family = t.remote_ts[0].family = AF_INET;
		t.local_ts[0].port_hi = t.remote_ts[0].port_hi = 0xffff;
		t.local_ts[0].addr_lo.family = t.local_ts[0].addr_hi.family = AF_INET;
		t.remote_ts[0].addr_lo.family = t.remote_ts[0].addr_hi.family = AF_INET;
		memset(t.local_ts[0].addr_hi.u.b, 0xff, 4);
		memset(t.remote_ts[0].addr_hi.u.b, 0xff, 4);
		if (dp_tunnel_set(dp, &t, &spu, &err) < 0)
			die("tunnel %u: %s", i, err.msg);
	}
	h_tun = heap();
	for (i = 0; i < n; i++) {
		struct dp_sa sa;
		int dir;

		for (dir = 0; dir < 2; dir++) {
			memset(&sa, 0, sizeof(sa));
			sa.spi = 0x1000 + 2 * i + (uint32_t)dir;
			sa.dir = dir ? DP_DIR_OUT : DP_DIR_IN;
			sa.tunnel_id = 131073 + i;
			sa.reqid = sa.tunnel_id;
			sa.local.family = sa.remote.family = AF_INET;
			sa.local.u.b[0] = 192;
			sa.local.u.b[3] = 1;
			sa.remote.u.b[0] = 198;
			sa.remote.u.b[1] = 18;
			sa.remote.u.b[2] = (uint8_t)(i / 250);
			sa.remote.u.b[3] = (uint8_t)(i % 250 + 1);
			sa.enc = DP_ENC_AES_GCM_128;
			sa.enc_key_len = 20;
			memset(sa.enc_key, (int)i, 20);
			sa.replay_window = dir ? 0 : 64;
			if (dp_sa_add(dp, &sa, &err) < 0)
				die("SA %u: %s", i, err.msg);
		}
	}
	h_sa = heap();
	printf("the userspace dataplane alone (2 SPUs), heap per tunnel:\n");
	printf(
	    "  %-58s %7.2f KiB\n", "st0 unit with an address", kib((double)(h_unit - h_open), n));
	printf("  %-58s %7.2f KiB\n", "route into it", kib((double)(h_route - h_unit), n));
	printf("  %-58s %7.2f KiB\n", "tunnel", kib((double)(h_tun - h_route), n));
	printf(
	    "  %-58s %7.2f KiB\n", "inbound + outbound AES-GCM SA", kib((double)(h_sa - h_tun), n));
	printf("  %-58s %7.2f MiB\n", "(fixed: the dataplane opened)",
	    (double)(h_open - h0) / 1048576.0);
	dp_close(dp);
}

static double
kib(double bytes, unsigned n)
{
	return bytes / 1024.0 / n;
}

int
main(int argc, char **argv)
{
	const char *yang = NULL;
	unsigned n = 10000;
	struct event_base *base;
	struct lyd_node *hub, *spoke, *copy = NULL;
	struct ike_engine_stats st;
	size_t h0, h1, h_tree, h_tree_explicit, h_kept, h_conf, h_up, m_conf, m_up, m1_conf, m1_up;
	struct dp_mock *m_hub, *m_spoke;
	int opt;
	bool dp_too = false;

	while ((opt = getopt(argc, argv, "n:y:d")) != -1) {
		switch (opt) {
		case 'd':
			dp_too = true;
			break;
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'y':
			yang = optarg;
			break;
		default:
			fprintf(stderr, "usage: iked-mem-bench [-n N] [-y YANG_DIR]\n");
			return 2;
		}
	}
	if (n < 1 || n > 15000)
		die("N between 1 and 15000");
	log_init("iked-mem-bench", false);
	log_set_level(LOG_LVL_WARN);
	{
		struct errbuf err = { .msg = "" };

		errbuf_clear(&err);
		schema = cfg_schema_load(yang ? yang : CAIRN_YANG_DIR, &err);
		if (!schema)
			die("%s", err.msg);
	}
	base = event_base_new();
	hub = tree_of("hub", n);
	spoke = tree_of("spoke", n);

	/* the tree nb keeps (with its defaults, as nb's copy has them) */
	h0 = heap();
	if (lyd_dup_siblings(hub, NULL, LYD_DUP_RECURSIVE, &copy) != LY_SUCCESS)
		die("tree");
	h_tree_explicit = heap() - h0;
	if (lyd_new_implicit_all(&copy, cfg_schema_ctx(schema), LYD_IMPLICIT_NO_STATE, NULL) !=
	    LY_SUCCESS)
		die("tree");
	h_tree = heap() - h0;
	lyd_free_all(copy);

	D[0] = daemon_new(base, 0);
	D[1] = daemon_new(base, 1);
	commit(D[1], spoke);
	m_spoke = dp_mock_last();
	malloc_trim(0);
	h0 = heap();
	commit(D[0], hub);
	malloc_trim(0);
	h1 = heap();
	m_hub = dp_mock_last();
	m_conf = dp_mock_mem(m_hub);
	m1_conf = dp_mock_mem(m_spoke);
	h_conf = h1 - h0;
	h_kept = nb_parked_size(D[0]->nb);

	/* the spoke initiated every tunnel at its commit: pump until all are up */
	{
		unsigned rounds = 0;

		do {
			pump();
			ike_engine_run_timers(D[1]->e);
			ike_engine_stats(D[0]->e, &st);
		} while (st.tunnels_up < n && ++rounds < 1000);
	}
	ike_engine_stats(D[0]->e, &st);
	if (st.tunnels_up < n)
		die("only %u of %u tunnels up", st.tunnels_up, n);
	h_up = heap() - h1;
	m_up = dp_mock_mem(m_hub);
	m1_up = dp_mock_mem(m_spoke);

	printf("iked-mem-bench: %u tunnels up between two cairn-iked-core (mock dataplane); the "
	       "hub's heap per tunnel\n",
	    n);
	printf("  %-58s %7.2f KiB\n", "nb's copy of the configuration, kept as LYB",
	    kib((double)h_kept, n));
	printf("  %-58s %7.2f KiB\n", "  (as a libyang tree during a commit, with defaults)",
	    kib((double)h_tree, n));
	printf("  %-58s %7.2f KiB\n", "  (of which its explicit nodes, without the defaults)",
	    kib((double)h_tree_explicit, n));
	printf("  %-58s %7.2f KiB\n", "the rest of the configuration state (no SA)",
	    kib((double)h_conf - (double)h_kept - (double)m_conf, n));
	printf("  %-58s %7.2f KiB\n", "one IKE SA and one CHILD SA (engine, per side)",
	    kib(((double)h_up - ((double)m_up - (double)m_conf) -
	            ((double)m1_up - (double)m1_conf)) /
	            2,
	        n));

	if (getenv("MEMBENCH_EXIT") != NULL) {
		/* by hand, under heaptrack: what is still allocated is what is kept */
		fflush(stdout);
		_exit(0);
	}
	iked_free(D[0]);
	iked_free(D[1]);
	lyd_free_all(hub);
	lyd_free_all(spoke);
	event_base_free(base);
	cfg_schema_free(schema);
	if (dp_too)
		dp_mem(n);
	return 0;
}
