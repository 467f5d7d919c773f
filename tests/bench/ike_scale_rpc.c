/* SPDX-License-Identifier: MIT */
/*
 * ike-scale-rpc: the timed RPCs of the scale benchmark (tests/bench/
 * ike-scale.sh), through cairn-mgd's socket as the shell uses it.
 *
 *   ike-scale-rpc --root DIR commit FILE
 *	one session: configure, edit (the set lines of FILE), commit; prints
 *	"edit SECONDS" and "commit SECONDS" (the commit RPC alone: mgd's
 *	pipeline with every subscribed daemon's prepare and apply)
 *   ike-scale-rpc --root DIR ike-up
 *	prints the number of IKE SAs UP and the time of the RPC
 *   ike-scale-rpc --root DIR ipsec-up
 *	prints total-active-tunnels and the time of the RPC
 *
 * Not a test: it only measures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ipc_client.h"
#include "bench_util.h"
#include "ipc_msg.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	char yangdir[4096], sock[4096], exe[2048];
	const char *root = NULL;
	struct ly_ctx *ctx = NULL;
	struct ipc_client *c;
	struct lyd_node *r;
	struct errbuf err = { .msg = "" };
	ssize_t l;
	double t;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--root") == 0) {
		root = argv[2];
		i = 3;
	}
	if (!root || i >= argc) {
		fprintf(
		    stderr, "usage: ike-scale-rpc --root DIR commit FILE | ike-up | ipsec-up\n");
		return 2;
	}
	if (getenv("CAIRN_YANG_DIR")) {
		snprintf(yangdir, sizeof(yangdir), "%s", getenv("CAIRN_YANG_DIR"));
	} else {
		l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (l < 0)
			return 1;
		exe[l] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(yangdir, sizeof(yangdir), "%s/../share/cairn/yang", exe);
	}
	if (ly_ctx_new(yangdir, LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS ||
	    !ly_ctx_load_module(ctx, "cairn-mgmt", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, "cairn-security-state", NULL, NULL)) {
		fprintf(stderr, "ike-scale-rpc: cannot load the YANG modules from %s\n", yangdir);
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/run/cairn/mgd.sock", root);
	errbuf_clear(&err);
	c = ipc_client_open(sock, ctx, &err);
	if (!c) {
		fprintf(stderr, "ike-scale-rpc: %s: %s\n", sock, err.msg);
		return 1;
	}
	ipc_client_set_timeout(c, 600 * 1000);
	lyd_free_all(bench_call(c, "{\"cairn-mgmt:session-start\":{}}", NULL));
	if (strcmp(argv[i], "commit") == 0 && i + 1 < argc) {
		struct buf b = BUF_INIT;
		char *text = bench_slurp(argv[i + 1]);

		lyd_free_all(bench_call(c, "{\"cairn-mgmt:configure\":{}}", NULL));
		buf_puts(&b, "{\"cairn-mgmt:edit\":{\"lines\":\"");
		bench_json_escape(&b, text);
		buf_puts(&b, "\"}}");
		lyd_free_all(bench_call(c, buf_str(&b), &t));
		printf("edit %.4f\n", t);
		lyd_free_all(bench_call(c, "{\"cairn-mgmt:commit\":{}}", &t));
		printf("commit %.4f\n", t);
		lyd_free_all(bench_call(c, "{\"cairn-mgmt:exit-configure\":{}}", NULL));
		buf_free(&b);
		free(text);
	} else if (strcmp(argv[i], "ike-up") == 0) {
		struct lyd_node *n, *s;
		unsigned up = 0;

		r = bench_call(c,
		    "{\"cairn-security-state:get-ike-security-associations-information\":{}}", &t);
		LY_LIST_FOR(lyd_child(r), n)
		LY_LIST_FOR(lyd_child(n), s)
		if (!strcmp(s->schema->name, "ike-sa-state") && !strcmp(lyd_get_value(s), "UP"))
			up++;
		printf("%u %.4f\n", up, t);
		lyd_free_all(r);
	} else if (strcmp(argv[i], "ipsec-up") == 0) {
		const char *v;

		r = bench_call(
		    c, "{\"cairn-security-state:get-security-associations-information\":{}}", &t);
		v = ipc_leaf_str(r, "total-active-tunnels");
		printf("%s %.4f\n", v ? v : "0", t);
		lyd_free_all(r);
	} else {
		fprintf(stderr, "ike-scale-rpc: unknown command %s\n", argv[i]);
		return 2;
	}
	ipc_client_close(c);
	ly_ctx_destroy(ctx);
	return 0;
}
