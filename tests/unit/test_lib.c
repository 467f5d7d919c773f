/* SPDX-License-Identifier: MIT */
/* Unit tests of cairn-lib: the bounded reader, buffers, errbuf, atomic files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "errbuf.h"
#include "fsutil.h"
#include "paths.h"
#include "rd.h"

static void
test_rd_bounds(void **state)
{
	const uint8_t msg[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	struct rd r, sub;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	rd_init(&r, msg, sizeof(msg));
	assert_true(rd_u8(&r, &u8));
	assert_int_equal(u8, 1);
	assert_true(rd_be16(&r, &u16));
	assert_int_equal(u16, 0x0203);
	assert_false(rd_be64(&r, &u64)); /* 4 left: nothing moves */
	assert_int_equal(r.left, 4);
	assert_true(rd_sub(&r, 2, &sub));
	assert_int_equal(sub.left, 2);
	assert_false(rd_be32(&sub, &u32));
	assert_true(rd_be16(&sub, &u16));
	assert_int_equal(u16, 0x0405);
	assert_false(rd_sub(&r, 3, &sub));
	assert_true(rd_be16(&r, &u16));
	assert_int_equal(u16, 0x0607);
	assert_int_equal(r.left, 0);
	assert_false(rd_u8(&r, &u8));
}

static void
test_buf(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	int i;

	(void)state;
	assert_string_equal(buf_str(&b), "");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.p));
	assert_true(strncmp(b.p, "0,1,2,", 6) == 0);
	buf_reset(&b);
	buf_indent(&b, 4);
	buf_puts(&b, "x");
	assert_string_equal(buf_str(&b), "    x");
	s = buf_steal(&b);
	assert_string_equal(s, "    x");
	assert_null(b.p);
	free(s);
}

static void
test_errbuf_first_wins(void **state)
{
	struct errbuf e = { .msg = "" };

	(void)state;
	errbuf_clear(&e);
	assert_false(errbuf_isset(&e));
	assert_int_equal(errbuf_set(&e, -EINVAL, "first %d", 1), -EINVAL);
	errbuf_set(&e, -ENOENT, "second");
	assert_string_equal(e.msg, "first 1");
	errbuf_append(&e, "more");
	assert_string_equal(e.msg, "first 1\nmore");
	assert_int_equal(errbuf_set(NULL, -5, "x"), -5);
}

static void
test_atomic_write(void **state)
{
	char dir[] = "/tmp/cairn-test-XXXXXX", path[256], *data;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	assert_int_equal(fs_write_atomic(path, "one", 3, 0600), 0);
	assert_int_equal(fs_write_atomic(path, "two!", 4, 0600), 0);
	assert_int_equal(fs_read_all(path, 100, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_string_equal(data, "two!");
	free(data);
	assert_int_equal(fs_read_all(path, 2, &data, &len), -EFBIG);
	unlink(path);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(fs_read_all("/nonexistent/x", 10, &data, &len), -ENOENT);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

static void
test_paths(void **state)
{
	struct cairn_paths p;

	(void)state;
	assert_int_equal(cairn_paths_init(&p, "/tmp/site-a"), 0);
	assert_string_equal(p.mgd_sock, "/tmp/site-a/run/cairn/mgd.sock");
	assert_string_equal(p.state_dir, "/tmp/site-a/var/lib/cairn");
	assert_int_equal(cairn_paths_init(&p, "/"), 0);
	assert_string_equal(p.run_dir, "/run/cairn");
	setenv("CAIRN_ROOT", "/srv/x/", 1);
	assert_int_equal(cairn_paths_init(&p, NULL), 0);
	assert_string_equal(p.state_dir, "/srv/x/var/lib/cairn");
	unsetenv("CAIRN_ROOT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_bounds),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_errbuf_first_wins),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
