/* SPDX-License-Identifier: MIT */
/*
 * mock: the test dataplane (dp_mock_ops). It keeps the objects a real
 * backend would program (units, routes, tunnels, SAs, policies) and records
 * every call with its arguments and result, so tests can assert the exact
 * sequence and the final state. Deterministic: inbound SPIs count up from a
 * settable base. Tests can fail the next call of an operation, inject
 * events and IKE datagrams (4500), and set per-SA traffic counters.
 *
 * Tests open it through the front end (dp_open() with DP_BACKEND_MOCK)
 * and reach it with dp_mock_last(), or with dp_mock_of() on the impl
 * pointer when they call dp_mock_ops directly.
 */
#ifndef CAIRN_DP_MOCK_H
#define CAIRN_DP_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"

enum dp_mock_op {
	DPM_OPEN,
	DPM_CLOSE,
	DPM_UNIT_SET,
	DPM_UNIT_DEL,
	DPM_ROUTE_ADD,
	DPM_ROUTE_DEL,
	DPM_TUNNEL_SET,
	DPM_TUNNEL_DEL,
	DPM_SPI_ALLOC,
	DPM_SA_ADD,
	DPM_SA_UPDATE,
	DPM_SA_DEL,
	DPM_SA_STATS,
	DPM_POLICY_ADD,
	DPM_POLICY_DEL,
	DPM_SPU_STATS,
	DPM_CLEAR_STATS,
	DPM_IKE_SEND,
	DPM_OP_MAX
};

/* One recorded call. Fields that do not apply to the operation are zero.
 * SA keys are not recorded (only their lengths). */
struct dp_mock_call {
	enum dp_mock_op op;
	int rc;
	uint32_t spi;    /* SPI_ALLOC result, SA_ADD/SA_UPDATE/SA_DEL SPI */
	enum dp_dir dir; /* SA_ADD/SA_DEL/SA_STATS */
	uint32_t id;     /* tunnel id (TUNNEL_*), policy id, unit */
	uint32_t spu;
	struct dp_addr addr;     /* SA_DEL destination, SPI_ALLOC remote, ROUTE_* dst, IKE_SEND */
	struct dp_addr local;    /* SPI_ALLOC local */
	struct dp_sa sa;         /* SA_ADD, SA_UPDATE: keys zeroed */
	uint32_t what;           /* SA_UPDATE: enum dp_sa_update_flags */
	struct dp_tunnel tunnel; /* TUNNEL_SET */
	struct dp_unit unit;     /* UNIT_SET */
	struct dp_route route;   /* ROUTE_ADD, ROUTE_DEL */
	struct dp_policy policy; /* POLICY_ADD */
};

struct dp_mock;

/* The mock behind the impl pointer of an opened dp_mock_ops. */
struct dp_mock *dp_mock_of(void *impl);
/* The mock most recently opened in this process (through dp_open()). */
struct dp_mock *dp_mock_last(void);
/* 1 for the first mock opened by this process, 2 for the next, ...: tells a
 * reopened dataplane from the old one even when malloc reuses its address. */
uint64_t dp_mock_serial(const struct dp_mock *m);

size_t dp_mock_ncalls(const struct dp_mock *m);
const struct dp_mock_call *dp_mock_call_at(const struct dp_mock *m, size_t i);
size_t dp_mock_count(const struct dp_mock *m, enum dp_mock_op op);
void dp_mock_clear_log(struct dp_mock *m);
/* Whether calls are logged (on when opened). Benchmarks turn it off: an
 * entry is about 1.2 KB (it holds a dp_tunnel and a dp_sa), written for
 * every call, and would count in the engine's cost per SA. */
void dp_mock_log_calls(struct dp_mock *m, bool on);
const char *dp_mock_op_str(enum dp_mock_op op);
/* The log as text, one call a line ("SA_ADD in spi=c0000001 tunnel=131073"). */
size_t dp_mock_format(const struct dp_mock *m, char *buf, size_t len);

/* Installed state. */
size_t dp_mock_sa_count(const struct dp_mock *m);
const struct dp_sa *dp_mock_sa_at(const struct dp_mock *m, size_t i);
const struct dp_sa *dp_mock_sa_find(const struct dp_mock *m, uint32_t spi, enum dp_dir dir);
size_t dp_mock_tunnel_count(const struct dp_mock *m);
const struct dp_tunnel *dp_mock_tunnel_find(const struct dp_mock *m, uint32_t id);

/* Control. */
void dp_mock_set_spi_base(struct dp_mock *m, uint32_t base);
void dp_mock_fail_next(struct dp_mock *m, enum dp_mock_op op, int err);
/* The n-th next call of op and the times-1 calls after it fail with err
 * (n = 1: from the next one). */
void dp_mock_fail_nth(struct dp_mock *m, enum dp_mock_op op, unsigned n, unsigned times, int err);
/* Traffic counters returned by sa_stats (packets/bytes add up). */
int dp_mock_add_traffic(
    struct dp_mock *m, uint32_t spi, enum dp_dir dir, uint64_t packets, uint64_t bytes);
void dp_mock_push_event(struct dp_mock *m, const struct dp_event *ev);
/* An IKE datagram for ike_recv (data copied). */
int dp_mock_push_ike(struct dp_mock *m, const struct dp_ike_msg *msg);
/* Enables ike_recv/ike_send (off: they return -ENOTSUP like kernel ESP). */
void dp_mock_own_natt(struct dp_mock *m, bool on);
/* Heap bytes the mock holds (its own copies of SAs, tunnels, log). */
size_t dp_mock_mem(const struct dp_mock *m);
/* IKE datagrams sent through ike_send (data borrowed until the next clear). */
size_t dp_mock_ike_sent(const struct dp_mock *m);

#endif
