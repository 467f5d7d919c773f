/* SPDX-License-Identifier: MIT */
/*
 * cairn-mgd: every management RPC through a real cairn-mgd on a
 * temporary root, over the blocking client API (ipc_client.h) the
 * shell uses.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "ipc_client.h"
#include "ipc_msg.h"

static char root[256];
static char sock[512];
static pid_t mgd = -1;
static struct ly_ctx *ctx;

static void
start_mgd(void)
{
	const char *bin = getenv("CAIRN_MGD");
	struct stat st;
	int i;

	mgd = fork();
	if (mgd == 0) {
		execl(bin, bin, "--root", root, "--check-incremental", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000; i++) {
		struct ipc_client *c;
		struct errbuf err = { .msg = "" };
		if (stat(sock, &st) == 0 && (c = ipc_client_open(sock, ctx, &err)) != NULL) {
			ipc_client_close(c);
			return;
		}
		usleep(10000);
	}
	fail_msg("cairn-mgd did not start");
}

static void
stop_mgd(void)
{
	int st;

	if (mgd > 0) {
		kill(mgd, SIGTERM);
		waitpid(mgd, &st, 0);
		mgd = -1;
	}
}

static struct ipc_client *
session(const char *user)
{
	struct errbuf err = { .msg = "" };
	struct lyd_node *reply = NULL;
	struct ipc_client *c;
	char json[256];

	errbuf_clear(&err);
	c = ipc_client_open(sock, ctx, &err);
	if (!c)
		fail_msg("connect: %s", err.msg);
	if (user)
		snprintf(
		    json, sizeof(json), "{\"cairn-mgmt:session-start\":{\"user\":\"%s\"}}", user);
	else
		snprintf(json, sizeof(json), "{\"cairn-mgmt:session-start\":{}}");
	if (ipc_call_json(c, json, &reply, &err) < 0)
		fail_msg("session-start: %s", err.msg);
	lyd_free_all(reply);
	return c;
}

/* Calls json; the reply (caller frees) or NULL on error with *err set. */
static struct lyd_node *call(struct ipc_client *c, struct errbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct lyd_node *
call(struct ipc_client *c, struct errbuf *err, const char *fmt, ...)
{
	struct lyd_node *reply = NULL;
	char json[65536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	errbuf_clear(err);
	if (ipc_call_json(c, json, &reply, err) < 0)
		return NULL;
	return reply;
}

/* Calls and expects success. */
static struct lyd_node *
ok(struct ipc_client *c, const char *json)
{
	struct errbuf err = { .msg = "" };
	struct lyd_node *r = call(c, &err, "%s", json);

	if (!r)
		fail_msg("%s: %s", json, err.msg);
	return r;
}

static void
ok0(struct ipc_client *c, const char *json)
{
	lyd_free_all(ok(c, json));
}

/* Calls and expects an error whose text holds want. */
static void
bad(struct ipc_client *c, const char *json, const char *want)
{
	struct errbuf err = { .msg = "" };
	struct lyd_node *r = call(c, &err, "%s", json);

	if (r)
		fail_msg("%s: succeeded, expected '%s'", json, want);
	if (!strstr(err.msg, want))
		fail_msg("%s: error '%s', expected '%s'", json, err.msg, want);
}

static const char *
leaf(const struct lyd_node *r, const char *name)
{
	const char *v = ipc_leaf_str(r, name);

	return v ? v : "";
}

static void
edit(struct ipc_client *c, const char *lines)
{
	struct buf b = BUF_INIT;
	const char *p;

	buf_puts(&b, "{\"cairn-mgmt:edit\":{\"lines\":\"");
	for (p = lines; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&b, '\\');
		if (*p == '\n')
			buf_puts(&b, "\\n");
		else
			buf_putc(&b, *p);
	}
	buf_puts(&b, "\"}}");
	ok0(c, buf_str(&b));
	buf_free(&b);
}

static char *
show(struct ipc_client *c, const char *extra)
{
	struct errbuf err = { .msg = "" };
	struct lyd_node *r = call(c, &err, "{\"cairn-mgmt:get-configuration\":{%s}}", extra);
	char *s;

	if (!r)
		fail_msg("get-configuration: %s", err.msg);
	s = strdup(leaf(r, "data"));
	lyd_free_all(r);
	return s;
}

static const char *base_cfg = "set system host-name hub1\n"
                              "set system login user ro class read-only\n"
                              "set system login user op class operator\n"
                              "set system login user adm class super-user\n"
                              "set security ike proposal p1 dh-group group19\n"
                              "set security ike policy ip1 proposals p1\n"
                              "set security ike policy ip1 pre-shared-key ascii-text secret99\n"
                              "set security ike gateway gw1 ike-policy ip1\n"
                              "set security ike gateway gw1 address 192.0.2.9\n";

static void
test_session(void **state)
{
	struct ipc_client *c;
	struct lyd_node *r;
	struct errbuf err = { .msg = "" };

	(void)state;
	c = ipc_client_open(sock, ctx, &err);
	assert_non_null(c);
	/* nothing before session-start */
	bad(c, "{\"cairn-mgmt:status\":{}}", "no session");
	bad(c, "{\"cairn-mgmt:session-start\":{\"user\":\"nobody\"}}", "no login user 'nobody'");
	r = ok(c, "{\"cairn-mgmt:session-start\":{\"client\":\"cli\",\"tty\":\"pts/3\"}}");
	assert_string_equal(leaf(r, "user"), "root");
	assert_string_equal(leaf(r, "class"), "super-user");
	lyd_free_all(r);
	bad(c, "{\"cairn-mgmt:session-start\":{}}", "already");
	/* malformed requests get errors, the session goes on */
	bad(c, "{\"cairn-mgmt:commit\":{\"bogus\":1}}", "malformed");
	bad(c, "{\"cairn-mgmt:rollback\":{\"index\":77}}", "");
	bad(c, "{\"cairn-mgmt:config-apply\":{\"transaction-id\":\"1\"}}", "does not take it");
	ok0(c, "{\"cairn-mgmt:status\":{}}");
	ipc_client_close(c);
}

static void
test_edit_commit_show(void **state)
{
	struct ipc_client *c = session(NULL);
	struct lyd_node *r;
	char *s;

	(void)state;
	bad(c, "{\"cairn-mgmt:edit\":{\"lines\":\"set system host-name x\"}}",
	    "not in configuration mode");
	r = ok(c, "{\"cairn-mgmt:configure\":{}}");
	assert_string_equal(leaf(r, "changed"), "false");
	lyd_free_all(r);
	edit(c, base_cfg);
	r = ok(c, "{\"cairn-mgmt:commit\":{\"comment\":\"base\"}}");
	assert_string_equal(leaf(r, "sequence"), "1");
	lyd_free_all(r);
	/* the committed configuration, each format */
	s = show(c, "");
	assert_non_null(strstr(s, "gateway gw1 {"));
	assert_non_null(strstr(s, "## SECRET-DATA"));
	assert_null(strstr(s, "secret99")); /* stored as $9$ */
	free(s);
	s = show(c, "\"format\":\"set\"");
	assert_non_null(strstr(s, "set security ike gateway gw1 address 192.0.2.9"));
	free(s);
	s = show(c, "\"format\":\"json\",\"path\":\"security ike gateway gw1\"");
	assert_non_null(strstr(s, "\"ike-policy\": \"ip1\""));
	free(s);
	s = show(c, "\"format\":\"xml\"");
	assert_non_null(strstr(s, "<host-name>hub1</host-name>"));
	free(s);
	r = ok(c, "{\"cairn-mgmt:get-configuration\":{}}");
	assert_non_null(strstr(leaf(r, "last-commit"), "## Last commit: "));
	assert_non_null(strstr(leaf(r, "last-commit"), " by root"));
	lyd_free_all(r);
	/* a syntax error: position and Junos message */
	bad(c, "{\"cairn-mgmt:edit\":{\"lines\":\"set security ike gatewax g1\"}}",
	    "at 1:17\nsyntax error.");
	/* the candidate, and the edit path */
	edit(c, "set security ike gateway gw1 address 192.0.2.10");
	s = show(c, "\"datastore\":\"candidate\",\"edit-path\":\"security ike\","
	            "\"path\":\"gateway gw1\"");
	assert_non_null(strstr(s, "address [ 192.0.2.9 192.0.2.10 ];"));
	free(s);
	r = ok(c, "{\"cairn-mgmt:compare\":{}}");
	assert_string_equal(leaf(r, "diff"), "[edit security ike gateway gw1]\n"
	                                     "-   address 192.0.2.9;\n"
	                                     "+   address [ 192.0.2.9 192.0.2.10 ];\n");
	lyd_free_all(r);
	r = ok(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}");
	assert_non_null(strstr(leaf(r, "message"), "configuration check succeeds"));
	lyd_free_all(r);
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	/* live values for completion */
	r = ok(c, "{\"cairn-mgmt:complete\":{\"xpath\":\"/cairn-security:security/ike/gateway\","
	          "\"datastore\":\"running\"}}");
	assert_string_equal(leaf(r, "value"), "gw1");
	lyd_free_all(r);
	/* joined: one string; a plain path is walked, other XPath evaluated */
	edit(c, "set security ike gateway gw7 ike-policy ip1\n"
	        "set security ike gateway gw7 address 192.0.2.7\n"
	        "set security ike gateway hq ike-policy ip1\n"
	        "set security ike gateway hq address 192.0.2.8");
	r = ok(c, "{\"cairn-mgmt:complete\":{\"xpath\":\"/cairn-security:security/ike/gateway/"
	          "name\",\"joined\":[null]}}");
	assert_string_equal(leaf(r, "values"), "gw1\ngw7\nhq\n");
	lyd_free_all(r);
	r = ok(c, "{\"cairn-mgmt:complete\":{\"xpath\":\"/cairn-security:security/ike/gateway/"
	          "name[starts-with(.,'gw')]\",\"joined\":[null]}}");
	assert_string_equal(leaf(r, "values"), "gw1\ngw7\n");
	lyd_free_all(r);
	r = ok(c,
	    "{\"cairn-mgmt:complete\":{\"xpath\":\"/cairn-security:security/ike/gateway[address="
	    "'192.0.2.8']/name\",\"joined\":[null]}}");
	assert_string_equal(leaf(r, "values"), "hq\n");
	lyd_free_all(r);
	r = ok(c, "{\"cairn-mgmt:complete\":{\"xpath\":\"/cairn-security:security/ike/gateway/"
	          "name\",\"datastore\":\"running\",\"joined\":[null]}}");
	assert_string_equal(leaf(r, "values"), "gw1\n");
	lyd_free_all(r);
	bad(c, "{\"cairn-mgmt:complete\":{\"xpath\":\"/cairn-security:security/ike/gateway[\"}}",
	    "error: ");
	ok0(c, "{\"cairn-mgmt:discard-changes\":{}}");
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(c);
}

static void
test_errors_layout(void **state)
{
	struct ipc_client *c = session(NULL);
	char *s;

	(void)state;
	ok0(c, "{\"cairn-mgmt:configure\":{}}");
	edit(c, "set security ike gateway gw2 address 192.0.2.11");
	bad(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}",
	    "[edit security ike]\n  'gateway gw2'\n    Missing mandatory statement: "
	    "'ike-policy'\nerror: configuration check-out failed: (missing mandatory statements)");
	edit(c, "set security ike gateway gw2 ike-policy nope");
	bad(c, "{\"cairn-mgmt:commit\":{}}",
	    "[edit security ike gateway gw2]\n  'ike-policy nope'\n    Referenced ike policy nope "
	    "not defined\nerror: commit failed: (referenced object not defined)");
	/* a list key names its entry; "then permit" alone is a whole policy */
	edit(c, "delete security ike gateway gw2\n"
	        "set security policies from-zone nz to-zone nz policy p then permit");
	bad(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}",
	    "[edit security policies]\n  'from-zone nz'\n    Referenced zones security-zone nz not "
	    "defined\n");
	edit(c, "set security zones security-zone nz");
	bad(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}",
	    "[edit security policies from-zone nz to-zone nz policy p]\n  'match'\n    Missing "
	    "mandatory statement: 'source-address'\nerror: configuration check-out failed: "
	    "(missing mandatory statements)");
	edit(c, "set security policies from-zone nz to-zone nz policy p match source-address any "
	        "destination-address any application any");
	ok0(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}");
	edit(c, "delete security policies\ndelete security zones\n"
	        "set security ike gateway gw2 ike-policy nope");
	/* running is unchanged; discard brings the candidate back */
	s = show(c, "\"path\":\"security ike\"");
	assert_null(strstr(s, "gw2"));
	free(s);
	ok0(c, "{\"cairn-mgmt:discard-changes\":{}}");
	s = show(c, "\"datastore\":\"candidate\",\"path\":\"security ike\"");
	assert_null(strstr(s, "gw2"));
	free(s);
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(c);
}

/* Loads text (curly) with action override: the whole tree is validated. */
static void
load_override(struct ipc_client *c, const char *text, const char *want_error)
{
	struct buf b = BUF_INIT;
	const char *p;

	buf_puts(&b, "{\"cairn-mgmt:load\":{\"action\":\"override\",\"text\":\"");
	for (p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&b, '\\');
		if (*p == '\n')
			buf_puts(&b, "\\n");
		else
			buf_putc(&b, *p);
	}
	buf_puts(&b, "\"}}");
	ok0(c, buf_str(&b));
	buf_free(&b);
	if (want_error)
		bad(c, "{\"cairn-mgmt:commit\":{}}", want_error);
	else
		ok0(c, "{\"cairn-mgmt:commit\":{}}");
}

/* cx:unit-ref: st0.N must name a configured unit, checked over the change
 * (incremental; mgd runs with --check-incremental, which compares with
 * the whole tree) and over the whole tree (load override). */
static void
test_unit_refs(void **state)
{
	static const char vpn_err[] =
	    "[edit security ipsec vpn v1]\n  'bind-interface st0.5'\n    Referenced interface "
	    "st0.5 "
	    "not configured\nerror: commit failed: (referenced object not defined)";
	struct ipc_client *c = session(NULL);
	char *s;

	(void)state;
	ok0(c, "{\"cairn-mgmt:configure\":{}}");
	edit(c, "set security ipsec proposal ipp encryption-algorithm aes-256-gcm\n"
	        "set security ipsec policy ipol proposals ipp\n"
	        "set security ipsec vpn v1 ike gateway gw1 ipsec-policy ipol\n"
	        "set security ipsec vpn v1 bind-interface st0.5");
	bad(c, "{\"cairn-mgmt:commit\":{}}", vpn_err);
	bad(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}",
	    "    Referenced interface st0.5 not configured\nerror: configuration check-out "
	    "failed: (referenced object not defined)");
	edit(c, "set interfaces st0 unit 5 family inet address 10.0.0.1/30");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	/* a route: st0 units are checked, addresses and other interfaces not */
	edit(c, "set routing-options static route 10.1.0.0/16 next-hop [ 192.0.2.1 eth0 st0.7 ]");
	bad(c, "{\"cairn-mgmt:commit\":{}}",
	    "[edit routing-options static route 10.1.0.0/16]\n  'next-hop st0.7'\n    Referenced "
	    "interface st0.7 not configured\nerror: commit failed: (referenced object not "
	    "defined)");
	edit(c, "delete routing-options static route 10.1.0.0/16 next-hop st0.7\n"
	        "set routing-options static route 10.1.0.0/16 next-hop st0.5");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	/* a zone interface (a list key) */
	edit(c, "set security zones security-zone vpn interfaces st0.8");
	bad(c, "{\"cairn-mgmt:commit\":{}}",
	    "[edit security zones security-zone vpn]\n  'interfaces st0.8'\n    Referenced "
	    "interface st0.8 not configured\n");
	edit(c, "rename security zones security-zone vpn interfaces st0.8 to interfaces st0.5");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	/* deleting a referenced unit fails, whichever way it goes */
	edit(c, "delete interfaces st0 unit 5");
	bad(c, "{\"cairn-mgmt:commit\":{}}", "Referenced interface st0.5 not configured");
	ok0(c, "{\"cairn-mgmt:discard-changes\":{}}");
	edit(c, "delete interfaces");
	bad(c, "{\"cairn-mgmt:commit\":{}}", "Referenced interface st0.5 not configured");
	ok0(c, "{\"cairn-mgmt:discard-changes\":{}}");
	edit(c, "rename interfaces st0 unit 5 to unit 6");
	bad(c, "{\"cairn-mgmt:commit\":{}}", "Referenced interface st0.5 not configured");
	ok0(c, "{\"cairn-mgmt:discard-changes\":{}}");
	/* the whole tree: load override of running plus a dangling reference */
	s = show(c, "");
	{
		struct buf t = BUF_INIT;

		buf_puts(&t, s);
		buf_puts(&t, "security { ipsec { vpn v1 { bind-interface st0.5; } } }\n");
		load_override(c, buf_str(&t), NULL);
		buf_puts(&t, "security { ipsec { vpn v1 { bind-interface st0.9; } } }\n");
		load_override(c, buf_str(&t),
		    "[edit security ipsec vpn v1]\n  'bind-interface st0.9'\n    Referenced "
		    "interface st0.9 not configured\nerror: commit failed: (referenced object not "
		    "defined)");
		buf_free(&t);
	}
	free(s);
	/* back to running, then remove what this test added */
	ok0(c, "{\"cairn-mgmt:discard-changes\":{}}");
	edit(c, "delete security ipsec\ndelete security zones\ndelete routing-options\n"
	        "delete interfaces");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(c);
}

static void
test_rollback_history(void **state)
{
	struct ipc_client *c = session(NULL);
	struct lyd_node *r, *e;
	char *s;
	int n = 0;

	(void)state;
	ok0(c, "{\"cairn-mgmt:configure\":{}}");
	edit(c, "set security ike gateway gw1 dead-peer-detection interval 20");
	ok0(c, "{\"cairn-mgmt:commit\":{\"comment\":\"dpd\"}}");
	r = ok(c, "{\"cairn-mgmt:get-commit-history\":{}}");
	LY_LIST_FOR(lyd_child(r), e)
	{
		if (strcmp(e->schema->name, "commit"))
			continue;
		if (n == 0)
			assert_string_equal(leaf(e, "comment"), "dpd");
		n++;
	}
	assert_true(n >= 3);
	lyd_free_all(r);
	/* show system rollback 1: the configuration before */
	s = show(c, "\"rollback\":1,\"path\":\"security ike gateway gw1\"");
	assert_null(strstr(s, "dead-peer-detection"));
	free(s);
	r = ok(c, "{\"cairn-mgmt:compare\":{\"base-rollback\":1,\"target-rollback\":0}}");
	assert_non_null(strstr(leaf(r, "diff"), "+   dead-peer-detection {"));
	lyd_free_all(r);
	/* rollback 1 into the candidate, then commit it */
	ok0(c, "{\"cairn-mgmt:rollback\":{\"index\":1}}");
	r = ok(c, "{\"cairn-mgmt:compare\":{}}");
	assert_non_null(strstr(leaf(r, "diff"), "-   dead-peer-detection {"));
	lyd_free_all(r);
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	s = show(c, "\"path\":\"security ike gateway gw1\"");
	assert_null(strstr(s, "dead-peer-detection"));
	free(s);
	bad(c, "{\"cairn-mgmt:rollback\":{\"index\":49}}", "rollback 49 does not exist");
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(c);
}

static void
test_load(void **state)
{
	struct ipc_client *c = session(NULL);
	char *s;

	(void)state;
	ok0(c, "{\"cairn-mgmt:configure\":{}}");
	ok0(c, "{\"cairn-mgmt:load\":{\"action\":\"merge\",\"text\":\"security { ike { gateway gw3 "
	       "{ ike-policy ip1; address 192.0.2.33; } } }\"}}");
	ok0(c, "{\"cairn-mgmt:load\":{\"action\":\"set\",\"text\":\"set security ike gateway gw4 "
	       "ike-policy ip1\\nset security ike gateway gw4 address 192.0.2.44\"}}");
	ok0(c, "{\"cairn-mgmt:load\":{\"action\":\"merge\",\"format\":\"json\",\"text\":"
	       "\"{\\\"cairn-security:security\\\":{\\\"ike\\\":{\\\"gateway\\\":[{\\\"name\\\":"
	       "\\\"gw5\\\",\\\"ike-policy\\\":\\\"ip1\\\",\\\"address\\\":[\\\"192.0.2.55\\\"]}]}}"
	       "}\"}}");
	bad(c,
	    "{\"cairn-mgmt:load\":{\"action\":\"merge\",\"text\":\"security { ike { bogus; } }\"}}",
	    "at 1:");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	s = show(c, "\"path\":\"security ike\"");
	assert_non_null(strstr(s, "gateway gw3"));
	assert_non_null(strstr(s, "gateway gw4"));
	assert_non_null(strstr(s, "gateway gw5"));
	free(s);
	/* override: the whole configuration is the text */
	s = show(c, "");
	{
		struct buf b = BUF_INIT;
		const char *p;
		buf_puts(&b, "{\"cairn-mgmt:load\":{\"action\":\"override\",\"text\":\"");
		for (p = s; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(&b, '\\');
			if (*p == '\n')
				buf_puts(&b, "\\n");
			else
				buf_putc(&b, *p);
		}
		buf_puts(&b, "\"}}");
		ok0(c, buf_str(&b));
		buf_free(&b);
	}
	free(s);
	edit(c, "delete security ike gateway gw5");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	s = show(c, "\"path\":\"security ike\"");
	assert_non_null(strstr(s, "gateway gw4"));
	assert_null(strstr(s, "gateway gw5"));
	free(s);
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(c);
}

static void
test_exclusive_private(void **state)
{
	struct ipc_client *a = session(NULL), *b = session("adm");
	struct lyd_node *r;
	char *s;

	(void)state;
	r = ok(a, "{\"cairn-mgmt:configure\":{\"mode\":\"exclusive\"}}");
	assert_string_equal(leaf(r, "warning"), "uncommitted changes will be discarded on exit");
	lyd_free_all(r);
	ok0(a, "{\"cairn-mgmt:set-edit-path\":{\"path\":\"security ike\"}}");
	/* b may enter but not change anything */
	ok0(b, "{\"cairn-mgmt:configure\":{}}");
	bad(b, "{\"cairn-mgmt:edit\":{\"lines\":\"set system host-name b\"}}",
	    "error: configuration database locked by:\n  root terminal");
	bad(b, "{\"cairn-mgmt:commit\":{}}", "exclusive [edit security ike]");
	{
		/* status names the holder and its level */
		struct lyd_node *u;
		bool seen = false;
		r = ok(b, "{\"cairn-mgmt:status\":{}}");
		LY_LIST_FOR(lyd_child(r), u)
		{
			if (!strcmp(u->schema->name, "user") &&
			    !strcmp(leaf(u, "mode"), "exclusive")) {
				assert_string_equal(leaf(u, "edit-path"), "security ike");
				seen = true;
			}
		}
		assert_true(seen);
		lyd_free_all(r);
	}
	/* exclusive changes are discarded on exit */
	edit(a, "set system host-name exclusive-change");
	r = ok(a, "{\"cairn-mgmt:exit-configure\":{}}");
	assert_string_equal(leaf(r, "warning"), "discarding uncommitted changes");
	lyd_free_all(r);
	s = show(b, "\"datastore\":\"candidate\",\"path\":\"system host-name\"");
	assert_null(strstr(s, "exclusive-change"));
	free(s);
	edit(b, "set system host-name shared-change");
	/* private: refused while the shared candidate is modified */
	ok0(a, "{\"cairn-mgmt:exit-configure\":{}}");
	bad(a, "{\"cairn-mgmt:configure\":{\"mode\":\"private\"}}",
	    "error: shared configuration database modified");
	ok0(b, "{\"cairn-mgmt:discard-changes\":{}}");
	ok0(a, "{\"cairn-mgmt:configure\":{\"mode\":\"private\"}}");
	bad(a, "{\"cairn-mgmt:commit\":{\"confirmed\":5}}", "not supported in private mode");
	edit(a, "set system host-name private1");
	/* a shared commit meanwhile: the private one still merges */
	edit(b, "set security ike gateway gw1 nat-keepalive 30");
	ok0(b, "{\"cairn-mgmt:commit\":{}}");
	ok0(a, "{\"cairn-mgmt:commit\":{}}");
	s = show(b, "");
	assert_non_null(strstr(s, "host-name private1;"));
	assert_non_null(strstr(s, "nat-keepalive 30;"));
	free(s);
	ok0(a, "{\"cairn-mgmt:exit-configure\":{}}");
	ok0(b, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(a);
	ipc_client_close(b);
}

static void
test_authorization(void **state)
{
	struct ipc_client *ro = session("ro"), *op = session("op");
	struct lyd_node *r;
	char *s;

	(void)state;
	bad(ro, "{\"cairn-mgmt:configure\":{}}", "error: permission denied");
	bad(ro, "{\"cairn-mgmt:commit\":{}}", "error: permission denied");
	bad(ro, "{\"cairn-mgmt:edit\":{\"lines\":\"set system host-name x\"}}",
	    "permission denied");
	bad(op, "{\"cairn-mgmt:load\":{\"action\":\"merge\",\"text\":\"system { host-name x; }\"}}",
	    "permission denied");
	bad(ro, "{\"cairn-mgmt:subscribe\":{\"daemon\":\"x\"}}", "permission denied");
	/* reading is allowed, secrets are masked */
	s = show(ro, "\"path\":\"security ike policy ip1\"");
	assert_non_null(strstr(s, "SECRET-DATA"));
	assert_null(strstr(s, "$9$"));
	free(s);
	r = ok(ro, "{\"cairn-mgmt:get-commit-history\":{}}");
	lyd_free_all(r);
	r = ok(op, "{\"cairn-mgmt:status\":{}}");
	lyd_free_all(r);
	ipc_client_close(ro);
	ipc_client_close(op);
}

/* commit confirmed 5 arms the deadline; a plain commit then confirms it */
static void
commit_confirmed_then_confirm(struct ipc_client *c)
{
	struct lyd_node *r;

	r = ok(c, "{\"cairn-mgmt:commit\":{\"confirmed\":5}}");
	assert_string_equal(leaf(r, "message"),
	    "commit confirmed will be automatically rolled back in 5 minutes unless confirmed");
	lyd_free_all(r);
	r = ok(c, "{\"cairn-mgmt:get-commit-history\":{}}");
	assert_true(strlen(leaf(r, "confirm-deadline")) > 0);
	lyd_free_all(r);
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	r = ok(c, "{\"cairn-mgmt:get-commit-history\":{}}");
	assert_string_equal(leaf(r, "confirm-deadline"), "");
	lyd_free_all(r);
}

static void
test_confirmed(void **state)
{
	struct ipc_client *c = session(NULL);

	(void)state;
	ok0(c, "{\"cairn-mgmt:configure\":{}}");
	edit(c, "set system host-name confirm-me");
	commit_confirmed_then_confirm(c);
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	ipc_client_close(c);
}

/* The newest history entry (index 0): its sequence, user and comment. */
static uint64_t
newest_commit(
    struct ipc_client *c, char *user, size_t ulen, char *comment, size_t clen, unsigned *count)
{
	struct lyd_node *r = ok(c, "{\"cairn-mgmt:get-commit-history\":{}}"), *e;
	uint64_t seq = 0;
	unsigned n = 0;

	LY_LIST_FOR(lyd_child(r), e)
	{
		if (strcmp(e->schema->name, "commit"))
			continue;
		if (n++ == 0) {
			seq = strtoull(leaf(e, "sequence"), NULL, 10);
			snprintf(user, ulen, "%s", leaf(e, "user"));
			snprintf(comment, clen, "%s", leaf(e, "comment"));
		}
	}
	lyd_free_all(r);
	*count = n;
	return seq;
}

/* A commit with nothing changed is still a commit (Junos): a new history
 * entry holding the same configuration, with its user and comment; the
 * configuration and rollback 1 are what was there before. */
static void
test_commit_unchanged(void **state)
{
	struct ipc_client *c = session("adm");
	char user[64], comment[128], *before, *after, *rb1;
	uint64_t seq0, seq1, seq2;
	unsigned n0, n1, n2;
	struct lyd_node *r;

	(void)state;
	seq0 = newest_commit(c, user, sizeof(user), comment, sizeof(comment), &n0);
	before = show(c, "\"format\":\"set\"");
	ok0(c, "{\"cairn-mgmt:configure\":{}}");
	r = ok(c, "{\"cairn-mgmt:commit\":{\"comment\":\"nothing to see\"}}");
	assert_int_equal(strtoull(leaf(r, "sequence"), NULL, 10), seq0 + 1);
	lyd_free_all(r);
	seq1 = newest_commit(c, user, sizeof(user), comment, sizeof(comment), &n1);
	assert_int_equal(seq1, seq0 + 1);
	assert_int_equal(n1, n0 + 1 > 50 ? 50 : n0 + 1);
	assert_string_equal(user, "adm");
	assert_string_equal(comment, "nothing to see");
	after = show(c, "\"format\":\"set\"");
	assert_string_equal(before, after);
	rb1 = show(c, "\"rollback\":1,\"format\":\"set\"");
	assert_string_equal(before, rb1);
	r = ok(c, "{\"cairn-mgmt:compare\":{\"base-rollback\":1,\"target-rollback\":0}}");
	assert_string_equal(leaf(r, "diff"), "");
	lyd_free_all(r);
	/* commit check records nothing */
	ok0(c, "{\"cairn-mgmt:commit\":{\"check\":[null]}}");
	seq2 = newest_commit(c, user, sizeof(user), comment, sizeof(comment), &n2);
	assert_int_equal(seq2, seq1);
	/* rollback 1 of an unchanged commit loads the same: another entry */
	ok0(c, "{\"cairn-mgmt:rollback\":{\"index\":1}}");
	ok0(c, "{\"cairn-mgmt:commit\":{}}");
	seq2 = newest_commit(c, user, sizeof(user), comment, sizeof(comment), &n2);
	assert_int_equal(seq2, seq1 + 1);
	assert_string_equal(comment, "");
	free(after);
	after = show(c, "\"format\":\"set\"");
	assert_string_equal(before, after);
	/* commit confirmed with nothing changed arms the deadline like any
	 * other; a plain one (still nothing changed) confirms it */
	commit_confirmed_then_confirm(c);
	assert_int_equal(
	    newest_commit(c, user, sizeof(user), comment, sizeof(comment), &n2), seq1 + 3);
	ok0(c, "{\"cairn-mgmt:exit-configure\":{}}");
	free(before);
	free(after);
	free(rb1);
	ipc_client_close(c);
}

/* Everything survives a restart: configuration and history. */
static void
test_restart(void **state)
{
	struct ipc_client *c;
	struct lyd_node *r;
	char *before, *after;
	int n1 = 0, n2 = 0;
	struct lyd_node *e;

	(void)state;
	c = session(NULL);
	before = show(c, "\"format\":\"set\"");
	r = ok(c, "{\"cairn-mgmt:get-commit-history\":{}}");
	LY_LIST_FOR(lyd_child(r), e)
	n1++;
	lyd_free_all(r);
	ipc_client_close(c);
	stop_mgd();
	start_mgd();
	c = session(NULL);
	after = show(c, "\"format\":\"set\"");
	assert_string_equal(before, after);
	r = ok(c, "{\"cairn-mgmt:get-commit-history\":{}}");
	LY_LIST_FOR(lyd_child(r), e)
	n2++;
	lyd_free_all(r);
	assert_int_equal(n1, n2);
	free(before);
	free(after);
	ipc_client_close(c);
}

static int
setup(void **state)
{
	const char *ydir = getenv("CAIRN_YANG_DIR");
	struct ly_ctx *c2 = NULL;
	static const char *mods[] = { "cairn-mgmt", "cairn-security", "cairn-system", NULL };
	int i;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/cairn-test-mgd.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(sock, sizeof(sock), "%s/run/cairn/mgd.sock", root);
	if (ly_ctx_new(ydir, 0, &c2) != LY_SUCCESS)
		return -1;
	for (i = 0; mods[i]; i++)
		ly_ctx_load_module(c2, mods[i], NULL, NULL);
	ctx = c2;
	start_mgd();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	stop_mgd();
	ly_ctx_destroy(ctx);
	snprintf(cmd, sizeof(cmd), "%s", root);
	/* the temporary root: remove it with the files it holds */
	{
		pid_t p = fork();
		if (p == 0) {
			execlp("rm", "rm", "-rf", cmd, (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_edit_commit_show),
		cmocka_unit_test(test_errors_layout),
		cmocka_unit_test(test_unit_refs),
		cmocka_unit_test(test_rollback_history),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_exclusive_private),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test(test_confirmed),
		cmocka_unit_test(test_commit_unchanged),
		cmocka_unit_test(test_restart),
	};

	ipc_ly_quiet();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
