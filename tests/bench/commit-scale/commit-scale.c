/* SPDX-License-Identifier: MIT */
/*
 * commit-scale: cairn-mgd with N route-based VPNs (tests/bench/
 * gen-vpn-config.sh: gateway, ike policy, vpn, st0 unit, static route,
 * zone membership per VPN; N=10000 by default), through the management
 * socket as the shell uses it, with one subscribed daemon (cairn-testd,
 * built on the nb engine like cairn-iked) receiving every change:
 *
 *   load (set lines) + commit of all   target <= 2 s
 *   commit check of all
 *   one VPN added (11 set lines) and committed   target <= 50 ms
 *   show configuration of all (curly text)
 *   mgd peak RSS                       target <= 200 MB
 *   mgd restart with the N VPNs
 * and, in the same run, yanglint parsing and validating the same data
 * (the floor). Not a ctest: timings depend on the machine.
 *
 *   commit-scale [-n N] [--no-subscriber] [--keep]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ipc_client.h"
#include "bench_util.h"
#include "ipc_msg.h"
#include "banned.h"

#ifndef CAIRN_GEN_VPN
#define CAIRN_GEN_VPN "tests/bench/gen-vpn-config.sh"
#endif

static char bindir[2048], root[256], sock[512], yangdir[4096];
static struct ly_ctx *ctx;

/* sh -c cmd; its exit status (system() is banned). */
static int
system_cmd(const char *cmd)
{
	int st = -1;
	pid_t p = fork();

	if (p == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t
spawn(char *const argv[])
{
	pid_t p = fork();

	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

static pid_t
start_mgd(void)
{
	char bin[4200];
	char *argv[] = { bin, "--root", root, NULL };
	struct ipc_client *c;
	struct errbuf err = { .msg = "" };
	pid_t p;
	int i;

	snprintf(bin, sizeof(bin), "%s/cairn-mgd", bindir);
	p = spawn(argv);
	for (i = 0; i < 6000; i++) {
		c = ipc_client_open(sock, ctx, &err);
		if (c) {
			ipc_client_close(c);
			return p;
		}
		usleep(5000);
	}
	bench_die("%s did not start", bin);
	return -1;
}

static long
proc_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

static void
row(const char *what, double secs, const char *target)
{
	printf(
	    "  %-44s %9.3f s%s%s\n", what, secs, target ? "   target " : "", target ? target : "");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "no-subscriber", no_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct ipc_client *c;
	struct lyd_node *r;
	struct errbuf err = { .msg = "" };
	struct buf b = BUF_INIT;
	char cmd[8192], *text, *one, *p, tdbin[4200], tdlog[600];
	double t_load, t_check, t_commit, t_edit, t_commit1, t_show, t_restart, t_lint, t0;
	unsigned n = 10000;
	bool subscriber = true, keep = false;
	pid_t mgd, td = -1;
	long hwm;
	int o;
	size_t cfglen;

	while ((o = getopt_long(argc, argv, "n:sk", opts, NULL)) != -1) {
		if (o == 'n')
			n = (unsigned)atoi(optarg);
		else if (o == 's')
			subscriber = false;
		else if (o == 'k')
			keep = true;
	}
	if (strlen(argv[0]) >= sizeof(bindir))
		bench_die("%s: path too long", argv[0]);
	snprintf(bindir, sizeof(bindir), "%s", argv[0]);
	p = strrchr(bindir, '/');
	if (p)
		*p = '\0';
	else
		snprintf(bindir, sizeof(bindir), ".");
	snprintf(yangdir, sizeof(yangdir), "%s/../share/cairn/yang", bindir);
	setenv("CAIRN_YANG_DIR", yangdir, 1);
	snprintf(root, sizeof(root), "/var/tmp/cairn-commit-scale.XXXXXX");
	if (!mkdtemp(root))
		bench_die("mkdtemp %s", root);
	snprintf(sock, sizeof(sock), "%s/run/cairn/mgd.sock", root);
	ipc_ly_quiet();
	if (ly_ctx_new(yangdir, LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS ||
	    !ly_ctx_load_module(ctx, "cairn-mgmt", NULL, NULL))
		bench_die("cannot load %s", yangdir);

	printf("commit-scale: %u route-based VPNs, %s\n", n,
	    subscriber ? "one subscribed daemon (cairn-testd)" : "no subscriber");
	snprintf(cmd, sizeof(cmd), "sh %s %u", CAIRN_GEN_VPN, n);
	text = bench_run_capture(cmd);
	snprintf(cmd, sizeof(cmd), "sh %s 1 %u", CAIRN_GEN_VPN, n);
	one = bench_run_capture(cmd);

	mgd = start_mgd();
	if (subscriber) {
		char *targv[] = { tdbin, "--root", root, "--name", "cairn-testd", "--no-rpcs",
			"--ends-only", "--log", tdlog, NULL };
		struct stat st;
		int i;

		snprintf(tdbin, sizeof(tdbin), "%s/cairn-testd", bindir);
		snprintf(tdlog, sizeof(tdlog), "%s/testd.log", root);
		td = spawn(targv);
		for (i = 0; i < 2000 && !(stat(tdlog, &st) == 0 && st.st_size > 0); i++)
			usleep(5000);
	}
	c = ipc_client_open(sock, ctx, &err);
	if (!c)
		bench_die("%s", err.msg);
	lyd_free_all(bench_call(c, "{\"cairn-mgmt:session-start\":{}}", NULL));
	lyd_free_all(bench_call(c, "{\"cairn-mgmt:configure\":{}}", NULL));

	/* 1. load + commit of all */
	buf_puts(&b, "{\"cairn-mgmt:load\":{\"action\":\"set\",\"text\":\"");
	bench_json_escape(&b, text);
	buf_puts(&b, "\"}}");
	lyd_free_all(bench_call(c, buf_str(&b), &t_load));
	buf_reset(&b);
	lyd_free_all(bench_call(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}", &t_check));
	lyd_free_all(bench_call(c, "{\"cairn-mgmt:commit\":{\"comment\":\"all\"}}", &t_commit));

	/* 2. one more VPN, a moment later (as an operator would; mgd copies
	 * the committed tree back into the candidate when idle) */
	sleep(2);
	buf_puts(&b, "{\"cairn-mgmt:edit\":{\"lines\":\"");
	bench_json_escape(&b, one);
	buf_puts(&b, "\"}}");
	lyd_free_all(bench_call(c, buf_str(&b), &t_edit));
	buf_reset(&b);
	lyd_free_all(bench_call(c, "{\"cairn-mgmt:commit\":{\"comment\":\"one\"}}", &t_commit1));

	/* 3. show configuration */
	r = bench_call(c, "{\"cairn-mgmt:get-configuration\":{\"format\":\"text\"}}", &t_show);
	cfglen = strlen(ipc_leaf_str(r, "data"));
	lyd_free_all(r);
	hwm = proc_kb(mgd, "VmHWM:");

	/* 4. the floor: yanglint on the same data (JSON) */
	r = bench_call(c, "{\"cairn-mgmt:get-configuration\":{\"format\":\"json\"}}", NULL);
	{
		FILE *f;
		char data[600];
		DIR *d;
		struct dirent *de;

		snprintf(data, sizeof(data), "%s/config.json", root);
		f = fopen(data, "w");
		if (!f)
			bench_die("cannot write %s", data);
		fputs(ipc_leaf_str(r, "data"), f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "yanglint -t config -p %s", yangdir);
		d = opendir(yangdir);
		while (d && (de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l > 5 && !strcmp(de->d_name + l - 5, ".yang") &&
			    strlen(cmd) + l + strlen(yangdir) + 4 < sizeof(cmd)) {
				strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
				strncat(cmd, yangdir, sizeof(cmd) - strlen(cmd) - 1);
				strncat(cmd, "/", sizeof(cmd) - strlen(cmd) - 1);
				strncat(cmd, de->d_name, sizeof(cmd) - strlen(cmd) - 1);
			}
		}
		if (d)
			closedir(d);
		strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, data, sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, " >/dev/null", sizeof(cmd) - strlen(cmd) - 1);
		t0 = bench_now();
		if (system_cmd(cmd) != 0)
			fprintf(stderr, "commit-scale: yanglint failed: %s\n", cmd);
		t_lint = bench_now() - t0;
	}
	lyd_free_all(r);
	ipc_client_close(c);

	/* 5. restart: snapshot or records, then the candidate validated */
	kill(mgd, SIGTERM);
	waitpid(mgd, NULL, 0);
	t0 = bench_now();
	mgd = start_mgd();
	t_restart = bench_now() - t0;

	printf("  %-44s %9.3f s\n", "load set (all, into the candidate)", t_load);
	row("commit check (all)", t_check, NULL);
	row("commit (all)", t_commit, "<= 2 s");
	row("edit: one VPN (11 set lines)", t_edit, NULL);
	row("commit: one VPN added", t_commit1, "<= 0.050 s");
	printf("  %-44s %9.3f s   (%zu bytes)\n", "show configuration (all, text)", t_show, cfglen);
	row("mgd restart with the configuration", t_restart, NULL);
	printf("  %-44s %9.1f MB   target <= 200 MB\n", "mgd peak RSS", (double)hwm / 1024.0);
	row("floor: yanglint parse + validate (JSON)", t_lint, NULL);

	kill(mgd, SIGTERM);
	waitpid(mgd, NULL, 0);
	if (td > 0) {
		kill(td, SIGTERM);
		waitpid(td, NULL, 0);
	}
	if (!keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		system_cmd(cmd);
	} else {
		printf("kept %s\n", root);
	}
	free(text);
	free(one);
	buf_free(&b);
	ly_ctx_destroy(ctx);
	return 0;
}
