/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "errbuf.h"
#include "ipc_client.h"
#include "banned.h"

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static char *
read_stream(FILE *fp)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	return buf_steal(&b);
}

char *
bench_run_capture(const char *cmd)
{
	FILE *fp = popen(cmd, "r");
	char *out;

	if (!fp)
		bench_die("cannot run %s", cmd);
	out = read_stream(fp);
	if (pclose(fp) != 0)
		bench_die("%s failed", cmd);
	return out;
}

char *
bench_slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *out;

	if (!fp)
		bench_die("%s: %s", path, strerror(errno));
	out = read_stream(fp);
	fclose(fp);
	return out;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return v[n / 2];
}

size_t
bench_heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

void
bench_json_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
}

struct lyd_node *
bench_call(struct ipc_client *c, const char *json, double *secs)
{
	struct lyd_node *r = NULL;
	struct errbuf err = { .msg = "" };
	double t0 = bench_now();

	if (ipc_call_json(c, json, &r, &err) < 0)
		bench_die("%.200s: %s", json, err.msg);
	if (secs)
		*secs = bench_now() - t0;
	return r;
}
