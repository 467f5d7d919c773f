/* SPDX-License-Identifier: MIT */
/*
 * cairn-mgd: the configuration daemon of one Cairn instance. Runs in the
 * foreground; logs to stderr and syslog. Everything lives under --root
 * (or $CAIRN_ROOT): DIR/run/cairn/mgd.sock, DIR/var/lib/cairn/history.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cfg.h"
#include "ipc_msg.h"
#include "log.h"
#include "mgd.h"
#include "banned.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: cairn-mgd [--root DIR] [--debug] [--full-validate]\n"
	           "  --root DIR        instance root (default $CAIRN_ROOT, else /)\n"
	           "  --debug           debug logging\n"
	           "  --full-validate   validate every commit with lyd_validate_all()\n"
	           "  --check-incremental  (tests) compare incremental and full validation\n");
}

static int
load_modules(struct mgd *m)
{
	struct errbuf err = { .msg = "" };
	uint32_t idx = 0;
	int n = 0;

	errbuf_clear(&err);
	/* cairn-conf loads every module of the directory (its text formats
	 * keep per-node data in the schema) */
	m->schema = cfg_schema_load(m->paths.yang_dir, &err);
	if (!m->schema) {
		log_errx(LOG_MAIN, "%s", err.msg);
		return -EINVAL;
	}
	m->ctx = cfg_schema_ctx(m->schema);
	if (!ly_ctx_get_module_implemented(m->ctx, "cairn-mgmt")) {
		log_errx(LOG_MAIN, "%s: cairn-mgmt.yang not found", m->paths.yang_dir);
		return -ENOENT;
	}
	while (ly_ctx_get_module_iter(m->ctx, &idx))
		n++;
	return n;
}

static void
on_accept(int fd, void *arg)
{
	struct mgd *m = arg;

	if (mgd_sess_accept(m, fd) < 0)
		log_warnx(LOG_IPC, "cannot accept a connection");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct mgd *m = arg;

	(void)what;
	log_info(LOG_MAIN, "signal %d: exiting", (int)sig);
	event_base_loopbreak(m->base);
}

static void
on_own(evutil_socket_t fd, short what, void *arg)
{
	struct mgd *m = arg;
	struct errbuf err = { .msg = "" };

	(void)fd;
	(void)what;
	errbuf_clear(&err);
	if (!m->busy && m->shared.lazy && cand_own(m, &m->shared, &err) < 0)
		log_warnx(LOG_CFG, "candidate: %s", err.msg);
}

static void
on_snapshot(evutil_socket_t fd, short what, void *arg)
{
	struct mgd *m = arg;

	(void)fd;
	(void)what;
	if (m->busy) {
		m->snap_due = true;
		return;
	}
	mgd_hist_maybe_snapshot(m, false);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'd' },
		{ "full-validate", no_argument, NULL, 'F' },
		{ "check-incremental", no_argument, NULL, 'C' },
		{ "rpc-daemon", required_argument, NULL, 'R' },
		{ "snapshot-every", required_argument, NULL, 'S' },
		{ "confirmed-minute", required_argument, NULL, 'M' },
		{ "test-delay-ms", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mgd m;
	struct errbuf err = { .msg = "" };
	struct event *sigterm = NULL, *sigint = NULL;
	const char *root = NULL;
	int c, rc, n;

	memset(&m, 0, sizeof(m));
	m.minute = 60;
	while ((c = getopt_long(argc, argv, "r:dFCR:S:M:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'd':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'F':
			m.full_validate = true;
			break;
		case 'C':
			m.incremental_check = true;
			break;
		case 'S':
			m.snap_every = (unsigned)atoi(optarg);
			break;
		case 'M':
			m.minute = (unsigned)atoi(optarg);
			break;
		case 'T':
			m.test_delay_ms = (unsigned)atoi(optarg);
			break;
		case 'R': {
			char **v = realloc(m.rpc_daemons, (m.nrpc_daemons + 1) * sizeof(*v));
			if (!v || !strchr(optarg, '='))
				fatalx(LOG_MAIN, "--rpc-daemon MODULE=DAEMON");
			m.rpc_daemons = v;
			v[m.nrpc_daemons++] = optarg;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_init("cairn-mgd", true);
	ipc_ly_quiet();
	signal(SIGPIPE, SIG_IGN);
	errbuf_clear(&err);
	if ((rc = cairn_paths_init(&m.paths, root)) < 0 || (rc = cairn_paths_mkdirs(&m.paths)) < 0)
		fatalx(LOG_MAIN, "instance directories under %s: %s", root ? root : "/",
		    strerror(-rc));
	if ((n = load_modules(&m)) < 0)
		fatalx(LOG_MAIN, "cannot load the YANG modules from %s", m.paths.yang_dir);
	m.base = event_base_new();
	if (!m.base)
		fatalx(LOG_MAIN, "event_base_new");
	if (mgd_val_init(&m) < 0)
		fatalx(LOG_MAIN, "out of memory");
	if (mgd_hist_open(&m, &err) < 0)
		fatalx(LOG_MAIN, "history: %s", err.msg);
	/* running gets its defaults; the shared candidate starts as running
	 * and copies it when idle */
	if (lyd_validate_all(&m.running, m.ctx, LYD_VALIDATE_NO_STATE, NULL) != LY_SUCCESS)
		log_warnx(LOG_CFG, "running configuration does not validate: %s", ly_errmsg(m.ctx));
	m.shared.lazy = true;
	m.shared.base_seq = m.seq;
	mgd_confirm_load(&m);
	m.snap_ev = event_new(m.base, -1, 0, on_snapshot, &m);
	m.own_ev = event_new(m.base, -1, 0, on_own, &m);
	event_active(m.own_ev, 0, 0);
	m.srv = ipc_server_new(m.base, m.paths.mgd_sock, on_accept, &m, &err);
	if (!m.srv)
		fatalx(LOG_MAIN, "%s", err.msg);
	sigterm = evsignal_new(m.base, SIGTERM, on_signal, &m);
	sigint = evsignal_new(m.base, SIGINT, on_signal, &m);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	/* an unconfirmed commit whose deadline passed while mgd was down
	 * rolls back now; the daemons get the result when they subscribe */
	mgd_confirm_arm(&m);
	log_info(LOG_MAIN, "listening on %s (%d modules, commit %llu)", m.paths.mgd_sock, n,
	    (unsigned long long)m.seq);
	event_base_dispatch(m.base);

	ipc_server_free(m.srv);
	event_free(sigterm);
	event_free(sigint);
	if (m.snap_ev)
		event_free(m.snap_ev);
	if (m.own_ev)
		event_free(m.own_ev);
	if (m.confirm.timer)
		event_free(m.confirm.timer);
	cand_fini(&m.shared);
	lyd_free_all(m.running);
	mgd_hist_close(&m);
	mgd_val_fini(&m);
	event_base_free(m.base);
	cfg_schema_free(m.schema);
	free(m.rpc_daemons);
	return 0;
}
