/* SPDX-License-Identifier: MIT */
/*
 * log: one line per event, with a subsystem and a level (STYLE.md §10),
 * to stderr and optionally syslog. The _warn variants append
 * strerror(errno); the _warnx variants do not. Debug lines start with
 * __func__. Thread-safe (one write per line).
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum log_sub {
	LOG_MAIN, /* process life cycle */
	LOG_CFG,  /* configuration, commits */
	LOG_IPC,  /* management sockets */
	LOG_IKE,  /* IKEv2 */
	LOG_ESP,  /* ESP packet processing */
	LOG_SPU,  /* SPU workers, anchoring */
	LOG_XFRM, /* kernel XFRM / rtnetlink */
	LOG_CLI,  /* the shell */
	LOG_SUB_MAX
};

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* progname appears on every line; syslog: also send to syslog(3). */
void log_init(const char *progname, bool to_syslog);
void log_set_level(enum log_level max); /* default LOG_LVL_INFO */
enum log_level log_get_level(void);
/* Silences stderr output (the CLI uses this); syslog is unaffected. */
void log_set_stderr(bool on);

void log_msg(enum log_sub sub, enum log_level lvl, bool with_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void log_fatal(enum log_sub sub, bool with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_warn(sub, ...)  log_msg(sub, LOG_LVL_WARN, true, __VA_ARGS__)
#define log_warnx(sub, ...) log_msg(sub, LOG_LVL_WARN, false, __VA_ARGS__)
#define log_err(sub, ...)   log_msg(sub, LOG_LVL_ERR, true, __VA_ARGS__)
#define log_errx(sub, ...)  log_msg(sub, LOG_LVL_ERR, false, __VA_ARGS__)
#define log_info(sub, ...)  log_msg(sub, LOG_LVL_INFO, false, __VA_ARGS__)
#define log_debug(sub, fmt, ...)                                                                   \
	do {                                                                                       \
		if (log_get_level() >= LOG_LVL_DEBUG)                                              \
			log_msg(sub, LOG_LVL_DEBUG, false, "%s: " fmt, __func__, ##__VA_ARGS__);   \
	} while (0)
#define fatal(sub, ...)  log_fatal(sub, true, __VA_ARGS__)
#define fatalx(sub, ...) log_fatal(sub, false, __VA_ARGS__)

/*
 * Rate limit for per-packet and per-peer messages: at most `burst` lines per
 * `interval` seconds; the first line after a quiet period reports how many
 * were suppressed. Not thread-safe: one per thread or per object.
 */
struct log_ratelimit {
	time_t window_start;
	uint32_t interval;
	uint32_t burst;
	uint32_t printed;
	uint32_t suppressed;
};
#define LOG_RATELIMIT_INIT(interval_s, burst_n)                                                    \
	{                                                                                          \
		0, (interval_s), (burst_n), 0, 0                                                   \
	}

/* true: log now (and *suppressed tells how many were dropped before). */
bool log_ratelimit_ok(struct log_ratelimit *rl, uint32_t *suppressed);

#endif
