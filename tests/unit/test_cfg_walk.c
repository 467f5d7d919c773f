/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cfg_walk: completion for the shell (kinds, help, live
 * values), edit paths, and a module added to the YANG directory working
 * with no code change.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_test.h"

static struct cfg_completion
complete(enum cfg_cmd cmd, const char *edit_path, const char *text)
{
	struct cfg_completion c;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };

	errbuf_clear(&err);
	if (cfg_complete(cfg_test_schema, cmd, edit_path, text, strlen(text), &c, &pos, &err) != 0)
		fail_msg("complete '%s': %s at %u", text, err.msg, pos.col);
	return c;
}

static const struct cfg_comp *
find(const struct cfg_completion *c, const char *token)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].token, token) == 0)
			return &c->v[i];
	return NULL;
}

static void
test_top(void **state)
{
	struct cfg_completion c;

	(void)state;
	c = complete(CFG_CMD_SET, NULL, "");
	assert_int_equal(c.n, 4);
	assert_string_equal(c.v[0].token, "interfaces");
	assert_string_equal(c.v[1].token, "routing-options");
	assert_string_equal(c.v[2].token, "security");
	assert_string_equal(c.v[3].token, "system");
	assert_int_equal(c.v[2].kind, CFG_COMP_CONTAINER);
	assert_string_equal(c.v[2].help, "Security configuration");
	assert_false(c.complete);
	assert_null(c.live_xpath);
	cfg_completion_fini(&c);

	c = complete(CFG_CMD_SET, NULL, "sec");
	assert_string_equal(c.partial, "sec");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].token, "security");
	cfg_completion_fini(&c);
}

static void
test_kinds(void **state)
{
	struct cfg_completion c;
	const struct cfg_comp *e;

	(void)state;
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g1 ");
	assert_true(c.complete); /* a list entry may be set alone */
	assert_non_null(e = find(&c, "address"));
	assert_int_equal(e->kind, CFG_COMP_LEAFLIST);
	assert_string_equal(e->help, "Addresses or hostnames of peer: 1 primary, up to 4 backups");
	assert_non_null(e = find(&c, "dead-peer-detection"));
	assert_int_equal(e->kind, CFG_COMP_CONTAINER);
	assert_non_null(e = find(&c, "no-nat-traversal"));
	assert_int_equal(e->kind, CFG_COMP_LEAF);
	/* Choices are transparent: their leaves and containers are here. */
	assert_non_null(find(&c, "dynamic"));
	assert_null(find(&c, "name")); /* keys are not keywords */
	for (size_t i = 1; i < c.n; i++)
		assert_true(strcmp(c.v[i - 1].token, c.v[i].token) < 0);
	cfg_completion_fini(&c);

	/* edit offers containers and lists only. */
	c = complete(CFG_CMD_EDIT, NULL, "security ike gateway g1 ");
	assert_non_null(find(&c, "dead-peer-detection"));
	assert_null(find(&c, "address"));
	cfg_completion_fini(&c);

	/* An NP container alone is no statement; a presence one is. */
	c = complete(CFG_CMD_SET, NULL, "security ike ");
	assert_false(c.complete);
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g1 dead-peer-detection ");
	assert_true(c.complete);
	assert_non_null(e = find(&c, "probe-idle-tunnel"));
	assert_int_equal(e->kind, CFG_COMP_LEAF);
	cfg_completion_fini(&c);
}

static void
test_values(void **state)
{
	struct cfg_completion c;

	(void)state;
	/* Enumerations in the schema's order, with their descriptions. */
	c = complete(CFG_CMD_SET, NULL, "security ike proposal p dh-group ");
	assert_int_equal(c.n, 11);
	assert_string_equal(c.v[0].token, "group1");
	assert_string_equal(c.v[3].token, "group14");
	assert_int_equal(c.v[3].kind, CFG_COMP_ENUM);
	assert_string_equal(c.v[3].help, "2048-bit MODP (RFC 3526)");
	assert_false(c.complete);
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "security ike proposal p dh-group group1");
	assert_int_equal(c.n, 5); /* group1 group14 group15 group16 group19 */
	cfg_completion_fini(&c);

	/* A leaf-list: a value or a set. */
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g address ");
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].token, "<address>");
	assert_int_equal(c.v[0].kind, CFG_COMP_VALUE);
	assert_string_equal(c.v[1].token, "[");
	assert_int_equal(c.v[1].kind, CFG_COMP_OPEN_SET);
	assert_string_equal(c.v[1].help, "Open a set of values");
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g address [ 192.0.2.1 ");
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[1].token, "]");
	assert_int_equal(c.v[1].kind, CFG_COMP_CLOSE_SET);
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g address [ 192.0.2.1 ] ");
	assert_true(c.complete);
	assert_non_null(find(&c, "version")); /* another statement may follow */
	assert_null(find(&c, "]"));
	cfg_completion_fini(&c);

	/* Positional leaf and a key that is an enumeration. */
	c = complete(CFG_CMD_SET, NULL, "security zones security-zone z address-book address a ");
	assert_non_null(find(&c, "<ip-prefix>"));
	assert_non_null(find(&c, "description"));
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL,
	    "security zones security-zone z host-inbound-traffic system-services ");
	assert_non_null(find(&c, "ike"));
	assert_non_null(find(&c, "any-service"));
	cfg_completion_fini(&c);
}

static void
test_live(void **state)
{
	struct cfg_completion c;

	(void)state;
	c = complete(CFG_CMD_SET, NULL, "security ike gateway ");
	assert_string_equal(c.live_xpath, "/cairn-security:security/ike/gateway/name");
	assert_string_equal(c.live_snode->name, "name");
	assert_non_null(find(&c, "<name>"));
	cfg_completion_fini(&c);
	/* leafref: the target's values */
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g ike-policy ");
	assert_string_equal(c.live_xpath, "/cairn-security:security/ike/policy/name");
	cfg_completion_fini(&c);
	/* relative leafref: the same zone's addresses */
	c = complete(CFG_CMD_SET, NULL,
	    "security zones security-zone z1 address-book address-set s address ");
	assert_string_equal(c.live_xpath,
	    "/cairn-security:security/zones/security-zone[name='z1']/address-book/address/name");
	cfg_completion_fini(&c);
	/* flat-key lists, and keys below a list entry */
	c = complete(CFG_CMD_SET, NULL, "interfaces ");
	assert_string_equal(c.live_xpath, "/cairn-interfaces:interfaces/interface/name");
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, "interfaces st0", "unit ");
	assert_string_equal(
	    c.live_xpath, "/cairn-interfaces:interfaces/interface[name='st0']/unit/name");
	cfg_completion_fini(&c);
	/* an augmented node names its module */
	c = complete(CFG_CMD_SET, NULL, "interfaces st0 unit 0 family inet next-hop-tunnel ");
	assert_string_equal(c.live_xpath,
	    "/cairn-interfaces:interfaces/interface[name='st0']/unit[name='0']/family/inet/"
	    "cairn-security:next-hop-tunnel/name");
	cfg_completion_fini(&c);
}

/* Several statements on one line: after a complete one, the keywords of
 * its parent (set and delete only). */
static void
test_multi(void **state)
{
	struct cfg_completion c;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	const char *t;

	(void)state;
	c = complete(CFG_CMD_SET, NULL, "security ike proposal p dh-group group19 ");
	assert_true(c.complete);
	assert_non_null(find(&c, "encryption-algorithm"));
	assert_non_null(find(&c, "dh-group"));
	for (size_t i = 1; i < c.n; i++)
		assert_true(strcmp(c.v[i - 1].token, c.v[i].token) < 0);
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "security ike proposal p dh-group group19 enc");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].token, "encryption-algorithm");
	cfg_completion_fini(&c);
	/* the next statement's value, as for a statement of its own */
	c = complete(
	    CFG_CMD_SET, NULL, "security ike proposal p dh-group group19 encryption-algorithm ");
	assert_false(c.complete);
	assert_non_null(find(&c, "aes-256-gcm"));
	cfg_completion_fini(&c);
	/* the deepest container: a vpn's ike, not the vpn */
	c = complete(CFG_CMD_SET, NULL, "security ipsec vpn v ike gateway g ");
	assert_non_null(find(&c, "ipsec-policy"));
	assert_null(find(&c, "bind-interface"));
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "system login user a uid 2001 ");
	assert_non_null(find(&c, "class"));
	assert_non_null(find(&c, "authentication"));
	cfg_completion_fini(&c);
	/* a presence container: its keywords, then its parent's, once each */
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g dead-peer-detection ");
	assert_true(c.complete);
	assert_non_null(find(&c, "probe-idle-tunnel"));
	assert_non_null(find(&c, "version"));
	assert_non_null(find(&c, "dead-peer-detection"));
	for (size_t i = 1; i < c.n; i++)
		assert_true(strcmp(c.v[i - 1].token, c.v[i].token) < 0);
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "security ike gateway g dead-peer-detection interval 10 ");
	assert_non_null(find(&c, "threshold"));
	assert_null(find(&c, "version"));
	cfg_completion_fini(&c);
	/* edit and show take one statement */
	c = complete(CFG_CMD_EDIT, NULL, "security ike gateway g dead-peer-detection ");
	assert_null(find(&c, "version"));
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SHOW, NULL, "security ike gateway g version ");
	assert_int_equal(c.n, 0);
	cfg_completion_fini(&c);
	/* delete: the value is optional, so the parent's keywords follow a
	 * leaf's keyword too */
	c = complete(CFG_CMD_DELETE, NULL, "security ike gateway g address ");
	assert_true(c.complete);
	assert_string_equal(c.v[0].token, "<address>");
	assert_non_null(find(&c, "["));
	assert_non_null(find(&c, "external-interface"));
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_DELETE, NULL, "security ike gateway g address external-interface ");
	assert_true(c.complete);
	assert_non_null(find(&c, "<external-interface>"));
	cfg_completion_fini(&c);
	/* an error in an earlier statement names its word */
	errbuf_clear(&err);
	t = "security ike proposal p dh-group group19 bogus x";
	assert_int_equal(
	    cfg_complete(cfg_test_schema, CFG_CMD_SET, NULL, t, strlen(t), &c, &pos, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "syntax error.");
	assert_int_equal(pos.col, 41);
	errbuf_clear(&err);
	t = "security ike gateway g nat-keepalive 0 version ";
	assert_int_equal(
	    cfg_complete(cfg_test_schema, CFG_CMD_SET, NULL, t, strlen(t), &c, &pos, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "Value 0 is not within range (1..300) at '0'");
	assert_int_equal(pos.col, 37);
	/* at the edit path's presence container, its parent is out of reach */
	errbuf_clear(&err);
	t = "version ";
	assert_int_equal(
	    cfg_complete(cfg_test_schema, CFG_CMD_SET, "security ike gateway g dead-peer-detection",
	        t, strlen(t), &c, &pos, &err),
	    -EINVAL);
	assert_int_equal(pos.col, 0);
}

static void
test_errors(void **state)
{
	struct cfg_completion c;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(cfg_complete(cfg_test_schema, CFG_CMD_SET, NULL, "security bogus ad", 17,
	                     &c, &pos, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "syntax error.");
	assert_int_equal(pos.col, 9);
	errbuf_clear(&err);
	assert_int_equal(cfg_complete(cfg_test_schema, CFG_CMD_SET, NULL,
	                     "security ike gateway g nat-keepalive 999 ", 41, &c, &pos, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "Value 999 is not within range (1..300) at '999'");
	assert_int_equal(pos.col, 37);
}

static void
test_paths(void **state)
{
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	unsigned left;
	char *p;

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(
	    cfg_path_edit(cfg_test_schema, NULL, "sec ike gat \"gw1\" dead", 22, &p, &pos, &err),
	    0);
	assert_string_equal(p, "security ike gateway gw1 dead-peer-detection");
	free(p);
	assert_int_equal(
	    cfg_path_edit(cfg_test_schema, "security ike", "gateway g", 9, &p, &pos, &err), 0);
	assert_string_equal(p, "security ike gateway g");
	free(p);
	assert_int_equal(
	    cfg_path_edit(cfg_test_schema, "interfaces", "st0 unit 3", 10, &p, &pos, &err), 0);
	assert_string_equal(p, "interfaces st0 unit 3");
	free(p);
	assert_int_equal(cfg_path_edit(cfg_test_schema, NULL, "", 0, &p, &pos, &err), 0);
	assert_string_equal(p, "");
	free(p);
	assert_int_equal(
	    cfg_path_edit(cfg_test_schema, NULL, "system host-name", 16, &p, &pos, &err), -EINVAL);
	assert_string_equal(err.msg, "syntax error.");
	assert_int_equal(pos.col, 7);
	errbuf_clear(&err);
	assert_int_equal(
	    cfg_path_edit(cfg_test_schema, NULL, "security ike gateway", 20, &p, &pos, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "missing argument.");
	assert_int_equal(pos.col, 21);

	assert_int_equal(cfg_path_up(cfg_test_schema, "security ike gateway g dead-peer-detection",
	                     1, &p, &left, &err),
	    0);
	assert_string_equal(p, "security ike gateway g");
	assert_int_equal(left, 3);
	free(p);
	assert_int_equal(
	    cfg_path_up(cfg_test_schema, "interfaces st0 unit 0", 1, &p, &left, &err), 0);
	assert_string_equal(p, "interfaces st0");
	free(p);
	assert_int_equal(cfg_path_up(cfg_test_schema, "security ike", 9, &p, &left, &err), 0);
	assert_string_equal(p, "");
	assert_int_equal(left, 0);
	free(p);

	assert_string_equal(
	    cfg_path_snode(cfg_test_schema, "security ike gateway g")->name, "gateway");
	assert_null(cfg_path_snode(cfg_test_schema, ""));
	assert_null(cfg_path_snode(cfg_test_schema, "security nosuch"));
}

/* ---- a module added to the YANG directory ---- */

static const char extra_module[] =
    "module cairn-test-extra {\n"
    "  yang-version 1.1;\n"
    "  namespace \"urn:cairn:test-extra\";\n"
    "  prefix tx;\n"
    "  import cairn-extensions { prefix cx; }\n"
    "  import cairn-security { prefix sec; }\n"
    "  container snmp {\n"
    "    description \"SNMP configuration (test module)\";\n"
    "    leaf location { type string; description \"Physical location\"; }\n"
    "    list community {\n"
    "      key name;\n"
    "      description \"Community\";\n"
    "      leaf name { type string { length \"1..32\"; } description \"Community name\"; }\n"
    "      leaf authorization {\n"
    "        type enumeration { enum read-only { description \"Read access\"; }\n"
    "                           enum read-write { description \"Write access\"; } }\n"
    "        description \"Authorization\";\n"
    "      }\n"
    "      leaf key { type string; cx:secret; description \"Auth key\"; }\n"
    "    }\n"
    "  }\n"
    "  leaf banner { type string; description \"Top-level leaf (test)\"; }\n"
    "  list tag {\n"
    "    key name;\n"
    "    ordered-by user;\n"
    "    description \"Top-level list (test)\";\n"
    "    leaf name { type string; description \"Tag name\"; }\n"
    "    leaf v { type uint8; description \"Tag value\"; }\n"
    "  }\n"
    "  augment \"/sec:security/sec:ike\" {\n"
    "    leaf test-knob {\n"
    "      type uint8 { range \"1..9\"; }\n"
    "      description \"A knob added by a test module\";\n"
    "    }\n"
    "  }\n"
    "}\n";

static void
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	char chunk[4096];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		assert_int_equal(fwrite(chunk, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static void
test_extra_module(void **state)
{
	char dir[] = "/tmp/cfg-walk-yang-XXXXXX", path[4096], from[4096];
	struct cfg_schema *saved = cfg_test_schema, *s;
	struct cfg_completion c;
	struct lyd_node *tree;
	struct dirent *de;
	struct errbuf err = { .msg = "" };
	DIR *d;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(d = opendir(cfg_test_yang_dir()));
	while ((de = readdir(d)) != NULL) {
		if (!strstr(de->d_name, ".yang"))
			continue;
		snprintf(from, sizeof(from), "%s/%s", cfg_test_yang_dir(), de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		copy_file(from, path);
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/cairn-test-extra.yang", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(extra_module, fp);
	fclose(fp);

	errbuf_clear(&err);
	s = cfg_schema_load(dir, &err);
	if (!s)
		fail_msg("%s", err.msg);
	cfg_test_schema = s;
	tree = cfg_test_tree("set snmp location \"rack 4\"\n"
	                     "set snmp community public authorization read-o\n"
	                     "set snmp community public key s3cret\n"
	                     "set security ike test-knob 5\n");
	{
		char *out = cfg_test_print(tree, NULL, NULL, CFG_FMT_TEXT, CFG_PRINT_MASK_SECRETS);

		/* snmp is a Junos section: it goes before security, although
		 * its module is loaded after cairn-security */
		assert_string_equal(out, "snmp {\n"
		                         "    location \"rack 4\";\n"
		                         "    community public {\n"
		                         "        authorization read-only;\n"
		                         "        key /* SECRET-DATA */;\n"
		                         "    }\n"
		                         "}\n"
		                         "security {\n"
		                         "    ike {\n"
		                         "        test-knob 5;\n"
		                         "    }\n"
		                         "}\n");
		free(out);
	}
	cfg_test_edit_err(&tree, "set security ike test-knob 10",
	    "Value 10 is not within range (1..9) at '10'", 1, 27);
	/* Top-level leaves and lists, edited and undone like the rest. */
	cfg_test_edit(&tree, NULL,
	    "set banner hi\nset tag t2 v 2\nset tag t1 v 1\ninsert tag t1 before tag t2\n");
	cfg_test_edit_err(&tree, "delete tag t1\ndelete banner\nset tag t3 v 300",
	    "Value 300 is not within range (0..255) at '300'", 3, 13);
	{
		/* Statements unknown to Junos follow the known ones, by name. */
		char *out = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, CFG_PRINT_MASK_SECRETS);

		assert_string_equal(out, "set snmp location \"rack 4\"\n"
		                         "set snmp community public authorization read-only\n"
		                         "set snmp community public key /* SECRET-DATA */\n"
		                         "set security ike test-knob 5\n"
		                         "set banner hi\n"
		                         "set tag t1 v 1\n"
		                         "set tag t2 v 2\n");
		free(out);
		out = cfg_test_print(tree, NULL, "tag", CFG_FMT_SET, 0);

		assert_string_equal(out, "set tag t1 v 1\nset tag t2 v 2\n");
		free(out);
		out = cfg_test_print(tree, NULL, "banner", CFG_FMT_TEXT, 0);
		assert_string_equal(out, "banner hi;\n");
		free(out);
	}
	cfg_test_edit(&tree, NULL, "delete banner\ndelete tag");
	{
		char *out = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);

		assert_null(strstr(out, "banner"));
		assert_null(strstr(out, "tag"));
		free(out);
	}
	c = complete(CFG_CMD_SET, NULL, "");
	assert_non_null(find(&c, "snmp"));
	assert_string_equal(find(&c, "snmp")->help, "SNMP configuration (test module)");
	cfg_completion_fini(&c);
	c = complete(CFG_CMD_SET, NULL, "snmp community x authorization ");
	assert_string_equal(c.v[1].token, "read-write");
	assert_string_equal(c.v[1].help, "Write access");
	cfg_completion_fini(&c);
	lyd_free_all(tree);
	cfg_schema_free(s);
	cfg_test_schema = saved;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_bad_dir(void **state)
{
	struct errbuf err = { .msg = "" };

	(void)state;
	errbuf_clear(&err);
	assert_null(cfg_schema_load("/nonexistent-cairn-yang", &err));
	assert_non_null(strstr(err.msg, "cannot read YANG directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_extra_module),
		cmocka_unit_test(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, cfg_test_setup, cfg_test_teardown);
}
