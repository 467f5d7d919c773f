/* SPDX-License-Identifier: MIT */
/* Helpers shared by the benchmarks' C drivers: timing, dying with a
 * message, reading a command's output or a file, medians, mgd calls. */
#ifndef CAIRN_BENCH_UTIL_H
#define CAIRN_BENCH_UTIL_H

#include <stddef.h>

struct buf;
struct ipc_client;
struct lyd_node;

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* "<program>: <message>" on stderr, exit 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Standard output of `sh -c cmd` (dies if it fails); caller frees. */
char *bench_run_capture(const char *cmd);

/* The whole file (dies if it cannot be read); caller frees. */
char *bench_slurp(const char *path);

/* Median of v[0..n) (sorts v). */
double bench_median(double *v, int n);

/* Bytes in use in the heap (mallinfo2). */
size_t bench_heap(void);

/* s appended to b as the inside of a JSON string. */
void bench_json_escape(struct buf *b, const char *s);

/* One mgd RPC as JSON text (dies on failure); *secs gets its wall time
 * when secs is not NULL. The reply is the caller's. */
struct lyd_node *bench_call(struct ipc_client *c, const char *json, double *secs);

#endif
