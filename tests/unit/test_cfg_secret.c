/* SPDX-License-Identifier: MIT */
/* Unit tests of cfg_secret: Junos $9$ strings against published pairs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_secret.h"
#include "xmem.h"

/*
 * Pairs published with Junos $9$ tools: Crypt::Juniper's synopsis
 * ("$9$LbHX-wg4Z" is "lc"), the junosdecode test suite
 * (jeremmfr/junosdecode: "testPassWord"), and juniper9-crypt's README
 * (two encodings of "hello", different salts).
 */
static const struct {
	const char *enc, *plain;
} pairs[] = {
	{ "$9$LbHX-wg4Z", "lc" },
	{ "$9$1HFIyKXxdsgJ-VH.Pfn6lKMXdsZUi5Qnikfz", "testPassWord" },
	{ "$9$FNkC3/t1IcevLuOWx", "hello" },
	{ "$9$o1aGiPfz/Cuk.tO", "hello" },
};

static void
test_known_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *plain;
		size_t n;

		assert_int_equal(
		    cfg_secret_decode(pairs[i].enc, strlen(pairs[i].enc), &plain, &n), 0);
		assert_int_equal(n, strlen(pairs[i].plain));
		assert_string_equal(plain, pairs[i].plain);
		xmem_free(plain, n + 1);
		assert_true(cfg_secret_valid(pairs[i].enc, strlen(pairs[i].enc)));
	}
}

/* With the salt and filler of a published string, encoding gives it back. */
static void
test_encode_fixed(void **state)
{
	/* "$9$LbHX-wg4Z": salt 'L' (second family: two fillers, "bH").
	 * Alphabet indexes: L = 32, b = 40, H = 56. */
	const uint8_t rnd[] = { 32, 40, 56, 0 };
	char *e;

	(void)state;
	e = cfg_secret_encode_rnd("lc", 2, rnd, sizeof(rnd));
	assert_non_null(e);
	assert_string_equal(e, "$9$LbHX-wg4Z");
	free(e);
}

static void
test_roundtrip(void **state)
{
	char plain[300];

	(void)state;
	srand(7);
	for (int round = 0; round < 500; round++) {
		size_t len = 1 + (size_t)rand() % (sizeof(plain) - 1), n;
		char *e, *d;

		for (size_t i = 0; i < len; i++)
			plain[i] = (char)(1 + rand() % 255);
		e = cfg_secret_encode(plain, len);
		assert_non_null(e);
		assert_memory_equal(e, "$9$", 3);
		assert_int_equal(cfg_secret_decode(e, strlen(e), &d, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(d, plain, len);
		xmem_free(d, n + 1);
		free(e);
	}
}

static void
test_random_salts_differ(void **state)
{
	char *a, *b;
	int same = 0;

	(void)state;
	/* 65 salts and up to 3 random fillers: 8 draws are not all equal. */
	a = cfg_secret_encode("secret", 6);
	for (int i = 0; i < 8; i++) {
		b = cfg_secret_encode("secret", 6);
		same += strcmp(a, b) == 0;
		free(b);
	}
	free(a);
	assert_true(same < 8);
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"", "$9$", "$8$LbHX-wg4Z", "$9$LbHX-wg4", /* a group cut short */
		"$9$LbHX-wg4Zx",                          /* a trailing partial group */
		"$9$L",                                   /* salt without its filler */
		"$9$Lb",                                  /* nothing encoded */
		"$9$LbHX-w!4Z",                           /* outside the alphabet */
		"$9$iii",                                 /* a gap of -1: not an encoding */
		"$9$QQQQ",                                /* salt and fillers only */
		"$9$1HFIyKXxdsgJ-VH",                     /* truncated inside a group */
	};
	char *plain = (char *)1;
	size_t n = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cfg_secret_decode(bad[i], strlen(bad[i]), &plain, &n), -EINVAL);
		assert_null(plain);
		assert_int_equal(n, 0);
		assert_false(cfg_secret_valid(bad[i], strlen(bad[i])));
	}
	assert_null(cfg_secret_encode("", 0));
	assert_null(cfg_secret_encode("a\0b", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_pairs),
		cmocka_unit_test(test_encode_fixed),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_random_salts_differ),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
