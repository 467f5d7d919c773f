/* SPDX-License-Identifier: MIT */
/*
 * test_dptables: the SPU tables of the userspace dataplane: longest
 * prefix match of routes into st0 (userspace/lpm.c), the SPSC handoff ring
 * (userspace/ring.c, also across two threads) and the intrusive hash map.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hmap.h"
#include "lpm.h"
#include "ring.h"

static struct dp_prefix
pfx(const char *s, uint8_t len)
{
	struct dp_prefix p;

	memset(&p, 0, sizeof(p));
	if (strchr(s, ':') != NULL) {
		p.addr.family = AF_INET6;
		inet_pton(AF_INET6, s, &p.addr.u.v6);
	} else {
		p.addr.family = AF_INET;
		inet_pton(AF_INET, s, &p.addr.u.v4);
	}
	p.len = len;
	return p;
}

static int
look(struct lpm *l, const char *s)
{
	struct dp_prefix p = pfx(s, 0);
	const struct lpm_route *r = lpm_lookup(l, p.addr.family, p.addr.u.b);

	return r == NULL ? -1 : (int)r->unit;
}

static void
test_lpm(void **state)
{
	struct lpm l;
	struct dp_prefix p;
	uint32_t i;

	(void)state;
	assert_int_equal(lpm_init(&l), 0);
	assert_int_equal(look(&l, "10.0.0.1"), -1);
	p = pfx("10.0.0.0", 8);
	assert_int_equal(lpm_add(&l, &p, 1, NULL), 0);
	p = pfx("10.2.0.0", 16);
	assert_int_equal(lpm_add(&l, &p, 2, NULL), 0);
	p = pfx("10.2.3.77", 24); /* host bits are ignored */
	assert_int_equal(lpm_add(&l, &p, 3, NULL), 0);
	p = pfx("0.0.0.0", 0);
	assert_int_equal(lpm_add(&l, &p, 4, NULL), 0);
	p = pfx("fd00::", 8);
	assert_int_equal(lpm_add(&l, &p, 6, NULL), 0);
	assert_int_equal(look(&l, "10.2.3.4"), 3);
	assert_int_equal(look(&l, "10.2.4.4"), 2);
	assert_int_equal(look(&l, "10.9.9.9"), 1);
	assert_int_equal(look(&l, "192.0.2.1"), 4);
	assert_int_equal(look(&l, "fd02::2"), 6);
	assert_int_equal(look(&l, "2001:db8::1"), -1);
	p = pfx("10.2.3.0", 24);
	assert_int_equal(lpm_del(&l, &p), 0);
	assert_int_equal(look(&l, "10.2.3.4"), 2);
	assert_int_equal(lpm_del(&l, &p), -ENOENT);
	p = pfx("10.0.0.0", 33);
	assert_int_equal(lpm_add(&l, &p, 1, NULL), -EINVAL);
	/* a reference per add */
	p = pfx("10.2.0.0", 16);
	assert_int_equal(lpm_add(&l, &p, 7, NULL), 0);
	assert_int_equal(look(&l, "10.2.4.4"), 7);
	assert_int_equal(lpm_del(&l, &p), 0);
	assert_int_equal(look(&l, "10.2.4.4"), 7);
	assert_int_equal(lpm_del(&l, &p), 0);
	assert_int_equal(look(&l, "10.2.4.4"), 1);
	/* 10,000 units worth of /30s */
	for (i = 0; i < 10000; i++) {
		char a[32];
		snprintf(a, sizeof(a), "172.16.%u.%u", i / 64, (i % 64) * 4);
		p = pfx(a, 30);
		assert_int_equal(lpm_add(&l, &p, 100 + i, NULL), 0);
	}
	assert_int_equal(look(&l, "172.16.3.9"), 100 + 3 * 64 + 2);
	lpm_del_unit(&l, 100 + 3 * 64 + 2);
	assert_int_equal(look(&l, "172.16.3.9"), 4);
	lpm_fini(&l);
}

static void
test_ring(void **state)
{
	struct ring r;
	struct ring_rec *rec;
	uint32_t i, n = 0, expect = 0;

	(void)state;
	assert_int_equal(ring_init(&r, 1000), -EINVAL);
	assert_int_equal(ring_init(&r, 8192), 0);
	assert_null(ring_peek(&r));
	assert_null(ring_reserve(&r, 5000)); /* more than half the ring */
	/* fill until full, drain, many times over so the wrap is exercised */
	for (i = 0; i < 2000; i++) {
		size_t len = 1 + (i * 131) % 700;
		while ((rec = ring_reserve(&r, len)) == NULL) {
			struct ring_rec *o = ring_peek(&r);
			assert_non_null(o);
			assert_int_equal(o->kind, 1);
			assert_int_equal(o->meta, expect);
			assert_int_equal(((uint8_t *)(o + 1))[0], (uint8_t)expect);
			expect++;
			ring_release(&r, o);
		}
		rec->kind = 1;
		rec->meta = i;
		memset(rec + 1, (uint8_t)i, len);
		ring_commit(&r, rec);
		n++;
	}
	while ((rec = ring_peek(&r)) != NULL) {
		assert_int_equal(rec->meta, expect);
		expect++;
		ring_release(&r, rec);
	}
	assert_int_equal(expect, n);
	ring_fini(&r);
}

struct xthread {
	struct ring r;
	uint32_t count;
};

static void *
producer(void *arg)
{
	struct xthread *x = arg;
	struct ring_rec *rec;
	uint32_t i;

	for (i = 0; i < x->count; i++) {
		size_t len = 8 + i % 1500;
		while ((rec = ring_reserve(&x->r, len)) == NULL)
			;
		rec->kind = 2;
		rec->meta = i;
		memset(rec + 1, (uint8_t)i, len);
		ring_commit(&x->r, rec);
	}
	return NULL;
}

static void
test_ring_threads(void **state)
{
	struct xthread x;
	pthread_t t;
	uint32_t got = 0;

	(void)state;
	assert_int_equal(ring_init(&x.r, 65536), 0);
	x.count = 200000;
	assert_int_equal(pthread_create(&t, NULL, producer, &x), 0);
	while (got < x.count) {
		struct ring_rec *rec = ring_peek(&x.r);
		if (rec == NULL)
			continue;
		assert_int_equal(rec->meta, got);
		assert_int_equal(rec->len, 8 + got % 1500);
		assert_int_equal(((uint8_t *)(rec + 1))[rec->len - 1], (uint8_t)got);
		ring_release(&x.r, rec);
		got++;
	}
	pthread_join(t, NULL);
	ring_fini(&x.r);
}

struct item {
	struct hnode hn;
	uint32_t key;
};

static void
count_walk(struct hnode *n, void *arg)
{
	(void)n;
	(*(int *)arg)++;
}

static void
hmap_check(bool dense)
{
	struct hmap m;
	struct item *it = calloc(5000, sizeof(*it));
	struct hnode *h;
	int i, found, walked = 0;

	assert_non_null(it);
	assert_int_equal(dense ? hmap_init_dense(&m, 4) : hmap_init(&m, 4), 0);
	for (i = 0; i < 5000; i++) {
		it[i].key = (uint32_t)i * 7919;
		assert_int_equal(hmap_insert(&m, &it[i].hn, hmap_mix(it[i].key)), 0);
	}
	assert_int_equal(m.n, 5000);
	/* doubled at 1 node per bucket, or at 4 (dense) */
	assert_int_equal(m.mask + 1, dense ? 2048 : 8192);
	for (i = 0; i < 5000; i += 3)
		hmap_remove(&m, &it[i].hn);
	for (i = 0; i < 5000; i++) {
		uint64_t hh = hmap_mix((uint32_t)i * 7919);
		found = 0;
		HMAP_FOR_HASH(&m, hh, h)
		{
			if (hmap_entry(h, struct item, hn)->key == (uint32_t)i * 7919)
				found = 1;
		}
		assert_int_equal(found, i % 3 != 0);
	}
	hmap_walk(&m, count_walk, &walked);
	assert_int_equal(walked, (int)m.n);
	hmap_fini(&m);
	free(it);
}

static void
test_hmap(void **state)
{
	(void)state;
	hmap_check(false);
	hmap_check(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lpm),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_threads),
		cmocka_unit_test(test_hmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
