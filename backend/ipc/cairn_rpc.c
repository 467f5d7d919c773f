/* SPDX-License-Identifier: MIT */
/*
 * cairn-rpc: sends YANG RPCs (JSON) to cairn-mgd in one session and
 * prints each reply, for tests and developers.
 *
 *   cairn-rpc [--root DIR] [--user NAME] '{"cairn-mgmt:configure":{}}' ...
 *
 * A session-start comes first (--no-session skips it). Each reply is
 * printed as one line of JSON, or with --leaf NAME the value of that
 * output leaf alone. An error reply prints mgd's text on stderr and ends
 * the run with status 1 (--keep-going: go on, status 1 at the end).
 * '-' reads one RPC per line from standard input.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "ipc_client.h"
#include "ipc_msg.h"
#include "paths.h"
#include "banned.h"

struct opts {
	const char *leaf;
	bool keep_going;
	int bad;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: cairn-rpc [--root DIR | --socket PATH] [--user NAME] [--client NAME]\n"
	           "                 [--timeout SEC] [--leaf NAME] [--keep-going] [--no-session]\n"
	           "                 [--wait-notification SEC] RPC-JSON|- ...\n");
}

static void
print_reply(const struct opts *o, const struct lyd_node *reply)
{
	struct lyd_node *c;
	char *s = NULL;
	bool found = false;

	if (o->leaf) {
		LY_LIST_FOR(lyd_child(reply), c)
		{
			if (!strcmp(c->schema->name, o->leaf)) {
				const char *v = lyd_get_value(c);
				fputs(v ? v : "", stdout);
				if (!v || !*v || v[strlen(v) - 1] != '\n')
					fputc('\n', stdout);
				found = true;
			}
		}
		(void)found;
		return;
	}
	if (lyd_print_mem(&s, reply, LYD_JSON, LYD_PRINT_SHRINK) == LY_SUCCESS && s)
		printf("%s\n", s);
	free(s);
}

static int
call(struct ipc_client *c, struct opts *o, const char *json)
{
	struct lyd_node *reply = NULL;
	struct errbuf err = { .msg = "" };
	int rc;

	errbuf_clear(&err);
	rc = ipc_call_json(c, json, &reply, &err);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err.msg[0] ? err.msg : strerror(-rc));
		o->bad = 1;
		return o->keep_going ? 0 : -1;
	}
	print_reply(o, reply);
	lyd_free_all(reply);
	fflush(stdout);
	return 0;
}

/* Every module of the YANG directory, as mgd loads them. */
static struct ly_ctx *
load_ctx(const char *dir)
{
	struct ly_ctx *ctx = NULL;
	struct dirent *de;
	char name[256];
	size_t len;
	DIR *d;

	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY, &ctx) != LY_SUCCESS)
		return NULL;
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (len < 6 || strcmp(de->d_name + len - 5, ".yang"))
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
			if (strchr(name, '@'))
				*strchr(name, '@') = '\0';
			ly_ctx_load_module(ctx, name, NULL, NULL);
		}
		closedir(d);
	}
	ly_err_clean(ctx, NULL);
	if (!ly_ctx_get_module_implemented(ctx, "cairn-mgmt")) {
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "socket", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "client", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "leaf", required_argument, NULL, 'l' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "no-session", no_argument, NULL, 'n' },
		{ "wait-notification", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cairn_paths paths;
	struct opts o = { NULL, false, 0 };
	const char *root = NULL, *sock = NULL, *user = NULL, *client = "cli";
	struct ipc_client *c = NULL;
	struct ly_ctx *ctx = NULL;
	struct errbuf err = { .msg = "" };
	char start[512];
	int opt, i, timeout = -1, wait_notif = -1, rc = 1;
	bool session = true;

	while ((opt = getopt_long(argc, argv, "r:s:u:c:t:l:knw:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'c':
			client = optarg;
			break;
		case 't':
			timeout = atoi(optarg) * 1000;
			break;
		case 'l':
			o.leaf = optarg;
			break;
		case 'k':
			o.keep_going = true;
			break;
		case 'n':
			session = false;
			break;
		case 'w':
			wait_notif = atoi(optarg) * 1000;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	ipc_ly_quiet();
	errbuf_clear(&err);
	if (cairn_paths_init(&paths, root) < 0) {
		fprintf(stderr, "cairn-rpc: bad --root\n");
		return 2;
	}
	ctx = load_ctx(paths.yang_dir);
	if (!ctx) {
		fprintf(
		    stderr, "cairn-rpc: cannot load the YANG modules from %s\n", paths.yang_dir);
		return 2;
	}
	c = ipc_client_open(sock ? sock : paths.mgd_sock, ctx, &err);
	if (!c) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	if (timeout >= 0)
		ipc_client_set_timeout(c, timeout);
	if (session) {
		if (user)
			snprintf(start, sizeof(start),
			    "{\"cairn-mgmt:session-start\":{\"client\":\"%s\",\"user\":\"%s\"}}",
			    client, user);
		else
			snprintf(start, sizeof(start),
			    "{\"cairn-mgmt:session-start\":{\"client\":\"%s\"}}", client);
		struct lyd_node *reply = NULL;
		if (ipc_call_json(c, start, &reply, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
		lyd_free_all(reply);
	}
	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "-")) {
			char *line = NULL;
			size_t cap = 0;

			while (getline(&line, &cap, stdin) > 0) {
				line[strcspn(line, "\n")] = '\0';
				if (!line[0])
					continue;
				if (call(c, &o, line) < 0) {
					free(line);
					goto out;
				}
			}
			free(line);
		} else if (call(c, &o, argv[i]) < 0) {
			goto out;
		}
	}
	if (wait_notif >= 0) {
		struct lyd_node *n = NULL;
		char *s = NULL;

		if (ipc_client_recv_notif(c, wait_notif, &n, &err) < 0) {
			fprintf(stderr, "cairn-rpc: no notification\n");
			goto out;
		}
		lyd_print_mem(&s, n, LYD_JSON, LYD_PRINT_SHRINK);
		printf("%s\n", s ? s : "");
		free(s);
		lyd_free_all(n);
	}
	rc = o.bad;
out:
	ipc_client_close(c);
	ly_ctx_destroy(ctx);
	return rc;
}
