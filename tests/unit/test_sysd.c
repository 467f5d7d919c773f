/* SPDX-License-Identifier: MIT */
/*
 * test_sysd: cairn-sysd's checks of login users (SSH keys from their
 * blobs, crypt(3) hashes, names) and its record of managed accounts.
 * The keys below are public keys made with ssh-keygen for this test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acct.h"
#include "sysd_check.h"

#define ED25519 "AAAAC3NzaC1lZDI1NTE5AAAAIPAnCqmfHSfMB8yni0IsA3Pf5rDDUphn216J4ixXO7uz"
#define RSA2048                                                                                    \
	"AAAAB3NzaC1yc2EAAAADAQABAAABAQCghr078xudJ/nA+7/D8XzhAe/"                                  \
	"S4Ees1kEaNE9cvePM3vv3TNiHDHl9IbTtBp"                                                      \
	"KF6DISGr9wOFw8UkovpZX4iffdV8C+4EGSlDQy2A20arObf/"                                         \
	"vEUvhuijrYkEXdFyeRHc3Jli3lArULlhIjmdsT8jpm"                                               \
	"PM3Pja4k5B4I6CboZzMjDWmUw0NIk/"                                                           \
	"t0k8EJyzlETil0KLbqBCW4y9mAd9DeMVuO7G514jUUSOL+Mj4NO4d3DMXPeN"                             \
	"J6PDLyRHKDqE3DsDD7EuLX+1lg7AE9IoddmZ60QsheGDfgzkZY+"                                      \
	"UbZLbW6ISqyIUCqJ8iWf0450YHet8tMYg9Cm7mo"                                                  \
	"615Jwg/dlKLd"
#define RSA1024                                                                                    \
	"AAAAB3NzaC1yc2EAAAADAQABAAAAgQDAWxLPM5ZUDKmivEYyRNavp6TtrlaQ02bVa/"                       \
	"smYouRTqs4gpf9VpyZmGWCML"                                                                 \
	"XCTrfDtO1BV+"                                                                             \
	"3bMAdEetJ7iyXvn7JFaRwmxqjJLO7zz23ToRk5aTyy6GuHb0LZPAEBMJUjFh4tLGDgDQx76zWi565l"           \
	"/kto6BEkj+8SVuUFmK3CQQ=="
#define P256                                                                                       \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBO4zvjTDNQxO9wbhPAhksjQnZev5bqEFu8tH" \
	"4s"                                                                                       \
	"tjp/HtScAYn2IV6wMXvAR8bHCHlyg+rMJGJcKLFXxe4kM8Ics="
#define P384                                                                                       \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBFkq6jvwc+k/"                         \
	"7F0aP+ctKpK95P0TJzWUuRNVqK"                                                               \
	"lRapBz6vfh9+LDmx4I/"                                                                      \
	"SF+IpH1KglDgPvr3xKK8aCaCjyABFdyV8h+Ue5msGyoWfJ6RhmHMJrmb9mBdcJtMsV+DfQo"                  \
	"cw=="
#define P521                                                                                       \
	"AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAGNk86PpoA0Q+QGNg/"                  \
	"IIMNsEg6BTgdOtgcV7M"                                                                      \
	"pQFDXiu0nXtCmUPsgX/2kWEl7oVt7Kh3lCtdC5c3mygY1dNygJCwB7lRqg4XfF6MoRkEd+R/"                 \
	"D44eN78zpJq4fV7a3k"                                                                       \
	"baNfK9RkE61PGXTf/qjMcJxi7Mqv5fxV7ZbEtzTvT/YTwHA84Q=="

static struct sshkey key;
static struct errbuf err;

static int
parse(enum sshkey_list l, const char *text)
{
	errbuf_clear(&err);
	return sshkey_parse(l, text, &key, &err);
}

static void
test_keys_good(void **state)
{
	(void)state;
	assert_int_equal(parse(SSHKEY_LIST_ED25519, "ssh-ed25519 " ED25519 " alice@laptop"), 0);
	assert_string_equal(key.type, "ssh-ed25519");
	assert_int_equal(key.bits, 256);
	assert_string_equal(key.line, "ssh-ed25519 " ED25519 " alice@laptop");

	/* spacing normalised, comment with inner spaces kept */
	assert_int_equal(
	    parse(SSHKEY_LIST_ED25519, "  ssh-ed25519\t " ED25519 "   Alice  Smith  \t"), 0);
	assert_string_equal(key.line, "ssh-ed25519 " ED25519 " Alice  Smith");

	/* no comment; the bare blob */
	assert_int_equal(parse(SSHKEY_LIST_ED25519, "ssh-ed25519 " ED25519), 0);
	assert_string_equal(key.line, "ssh-ed25519 " ED25519);
	assert_int_equal(parse(SSHKEY_LIST_ED25519, ED25519 " c"), 0);
	assert_string_equal(key.line, "ssh-ed25519 " ED25519 " c");

	assert_int_equal(parse(SSHKEY_LIST_RSA, "ssh-rsa " RSA2048 " r"), 0);
	assert_int_equal(key.bits, 2048);
	assert_int_equal(parse(SSHKEY_LIST_ECDSA, "ecdsa-sha2-nistp256 " P256), 0);
	assert_string_equal(key.type, "ecdsa-sha2-nistp256");
	assert_int_equal(key.bits, 256);
	assert_int_equal(parse(SSHKEY_LIST_ECDSA, "ecdsa-sha2-nistp384 " P384), 0);
	assert_int_equal(key.bits, 384);
	assert_int_equal(parse(SSHKEY_LIST_ECDSA, "ecdsa-sha2-nistp521 " P521), 0);
	assert_int_equal(key.bits, 521);
}

static void
expect_bad(enum sshkey_list l, const char *text, const char *msg)
{
	assert_int_equal(parse(l, text), -EINVAL);
	if (!strstr(err.msg, msg))
		fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, msg);
	assert_string_equal(key.line, "");
}

static void
test_keys_bad(void **state)
{
	char buf[1024];

	(void)state;
	expect_bad(SSHKEY_LIST_ED25519, "", "empty");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-ed25519", "no key data");
	/* the wrong statement for the key, and a type word that lies */
	expect_bad(SSHKEY_LIST_RSA, "ssh-ed25519 " ED25519, "belongs under ssh-ed25519");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-rsa " RSA2048, "belongs under ssh-rsa");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-rsa " ED25519, "is ssh-ed25519, not ssh-rsa");
	expect_bad(SSHKEY_LIST_ECDSA, "ecdsa-sha2-nistp384 " P256, "is ecdsa-sha2-nistp256");
	/* options and unsupported types */
	expect_bad(SSHKEY_LIST_ED25519, "command=\"/bin/sh\" ssh-ed25519 " ED25519,
	    "not a supported key type");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-dss AAAAB3NzaC1kc3M=", "not a supported key type");
	/* weak RSA */
	expect_bad(SSHKEY_LIST_RSA, "ssh-rsa " RSA1024, "1024 bits");
	/* bad base64: characters, length, padding */
	expect_bad(SSHKEY_LIST_ED25519, "ssh-ed25519 AAAA$NzaC1lZDI1NTE5", "base64");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE", "base64");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-ed25519 AAAAC3Nz=C1l", "base64");
	expect_bad(SSHKEY_LIST_ED25519, "ssh-ed25519 AAAAC3N=", "base64"); /* non-zero pad bits */
	/* truncated blob: drop the last 4 characters of the key */
	snprintf(buf, sizeof(buf), "ssh-ed25519 %.*s", (int)strlen(ED25519) - 4, ED25519);
	expect_bad(SSHKEY_LIST_ED25519, buf, "Ed25519");
	/* a blob with bytes after the key: "ssh-ed25519" + 32 bytes + 3 bytes */
	expect_bad(SSHKEY_LIST_ED25519,
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPAnCqmfHSfMB8yni0IsA3Pf5rDDUphn216J4ixXO7uzAAAA",
	    "trailing");
	/* a newline would add a line of the user's own to authorized_keys */
	expect_bad(SSHKEY_LIST_ED25519,
	    "ssh-ed25519 " ED25519 " x\ncommand=\"sh\" ssh-ed25519 " ED25519, "control characters");
	/* a point that is not uncompressed */
	expect_bad(SSHKEY_LIST_ECDSA,
	    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAAABAg==",
	    "public point");
	/* RSA with an even modulus / a negative exponent */
	expect_bad(SSHKEY_LIST_RSA, "ssh-rsa AAAAB3NzaC1yc2EAAAABgQAAAAEC", "exponent");
}

static int
hash(const char *h)
{
	errbuf_clear(&err);
	return pwhash_check(h, &err);
}

static void
test_hashes(void **state)
{
	(void)state;
	assert_int_equal(hash("$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5kn"
	                      "V8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"),
	    0);
	assert_int_equal(hash("$6$rounds=5000$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U"
	                      "0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"),
	    0);
	assert_int_equal(hash("$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0"), 0);
	assert_int_equal(hash("$1$abc$iCQ2D3nhptRYi27fDYv2s1"), 0);
	assert_int_equal(hash("$2b$12$BA.2SSyX1Zr/GEzoyGcB6O2hIMvdgX1jdwn8G6IYrOzUrxgak2oU."), 0);
	assert_int_equal(
	    hash("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$GmcwIgvdUC9qLWcKCi6gklUa1dM3ziD43YxYNURLKy0"), 0);

	assert_int_equal(hash(""), -EINVAL);
	assert_non_null(strstr(err.msg, "encrypted-password"));
	assert_int_equal(hash("secret"), -EINVAL);
	assert_int_equal(hash("*"), -EINVAL);
	assert_int_equal(hash("$6$salt$short"), -EINVAL);
	/* a ':' or a newline would corrupt /etc/shadow */
	assert_int_equal(hash("$1$abc$iCQ2D3nhptRYi27fDYv2s:"), -EINVAL);
	assert_int_equal(hash("$1$abc$iCQ2D3nhptRYi27fDYv2s1\nx"), -EINVAL);
	assert_int_equal(hash("$1$abc$iCQ2D3nhptRYi27fDYv2s1:0:0"), -EINVAL);
	assert_int_equal(hash("$6$rounds=5$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aD"
	                      "ehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"),
	    -EINVAL);
	assert_int_equal(
	    hash("$2b$99$BA.2SSyX1Zr/GEzoyGcB6O2hIMvdgX1jdwn8G6IYrOzUrxgak2oU."), -EINVAL);
	assert_int_equal(hash("$7$abc$def"), -EINVAL);
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(acctname_check("alice", &err), 0);
	assert_int_equal(acctname_check("_svc.x-1", &err), 0);
	assert_int_equal(acctname_check("abcdefghijabcdefghijabcdefghijab", &err), 0); /* 32 */
	errbuf_clear(&err);
	assert_int_equal(acctname_check("abcdefghijabcdefghijabcdefghijabc", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too long"));
	assert_int_equal(acctname_check("-x", NULL), -EINVAL);
	assert_int_equal(acctname_check("1x", NULL), -EINVAL);
	assert_int_equal(acctname_check("Alice", NULL), -EINVAL);
	assert_int_equal(acctname_check("", NULL), -EINVAL);
	assert_int_equal(gecos_check("Alice Smith, room 3", NULL), 0);
	assert_int_equal(gecos_check("a:b", NULL), -EINVAL);
	assert_int_equal(gecos_check("a\nb", NULL), -EINVAL);
}

static void
test_record(void **state)
{
	static const char text[] = "# comment\n\nalice 1001\nbob -\ncarol 64000\n";
	struct acct_rec *r = NULL;
	size_t n = 0;
	char *out;

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(acct_rec_parse(text, strlen(text), &r, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].name, "alice");
	assert_int_equal(r[0].uid, 1001);
	assert_string_equal(r[1].name, "bob");
	assert_int_equal(r[1].uid, 0);
	assert_int_equal(r[2].uid, 64000);

	/* format then parse gives the same entries */
	out = acct_rec_format(r, n);
	assert_non_null(out);
	assert_non_null(strstr(out, "\nalice 1001\nbob -\ncarol 64000\n"));
	free(r);
	r = NULL;
	assert_int_equal(acct_rec_parse(out, strlen(out), &r, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[2].name, "carol");
	free(out);

	/* a bad file leaves the record as it was */
	static const char *const bad[] = { "alice\n", "alice 10x\n", "alice 0\n", "root 0\n",
		"root 5\n", "Alice 5\n", "alice 5\nalice 6\n", "alice -5\n", "alice  5\n",
		"alice 99999999999\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errbuf_clear(&err);
		if (acct_rec_parse(bad[i], strlen(bad[i]), &r, &n, &err) != -EBADMSG)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(n, 3);
		assert_non_null(strstr(err.msg, "line "));
	}
	/* no final newline */
	assert_int_equal(acct_rec_parse("dave 7", 6, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].uid, 7);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_good),
		cmocka_unit_test(test_keys_bad),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
