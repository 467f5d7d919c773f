/* SPDX-License-Identifier: MIT */
/* log: subsystem-tagged logging to stderr and syslog. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static const char *log_progname = "cairn";
static bool log_syslog;
static bool log_stderr = true;
static volatile enum log_level log_level = LOG_LVL_INFO;
/* getpid() is a system call on every line otherwise; a forked child
 * learns its own pid through the atfork handler */
static pid_t log_pid;

static const char *const sub_names[LOG_SUB_MAX] = {
	[LOG_MAIN] = "main",
	[LOG_CFG] = "cfg",
	[LOG_IPC] = "ipc",
	[LOG_IKE] = "ike",
	[LOG_ESP] = "esp",
	[LOG_SPU] = "spu",
	[LOG_XFRM] = "xfrm",
	[LOG_CLI] = "cli",
};
static const char *const lvl_names[] = { "error", "warning", "info", "debug" };
static const int lvl_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* systemd's JOURNAL_STREAM ("dev:ino") names stderr when a unit's
 * stderr is the journal (systemd.exec(5)). */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void
log_pid_refresh(void)
{
	log_pid = getpid();
}

void
log_init(const char *progname, bool to_syslog)
{
	static bool atfork;

	log_progname = progname;
	log_pid_refresh();
	if (!atfork && pthread_atfork(NULL, NULL, log_pid_refresh) == 0)
		atfork = true;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* under systemd the syslog lines reach the journal with their
	 * level; the same lines on stderr would be logged twice */
	if (to_syslog && stderr_is_journal())
		log_stderr = false;
	if (getenv("CAIRN_DEBUG"))
		log_level = LOG_LVL_DEBUG;
}

void
log_set_level(enum log_level max)
{
	log_level = max;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_stderr(bool on)
{
	log_stderr = on;
}

/*
 * Whether a syslog daemon listens (/dev/log), looked at again every few
 * seconds: without one, glibc's syslog() tries to connect for every line
 * (three system calls each; a daemon logging thousands of tunnel events
 * in a network namespace or a container spent a tenth of its time there).
 */
static bool
syslog_there(void)
{
	static time_t checked;
	static bool there;
	struct timespec ts;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (!checked || ts.tv_sec - checked >= 5) {
		there = stat("/dev/log", &st) == 0 && S_ISSOCK(st.st_mode);
		checked = ts.tv_sec ? ts.tv_sec : 1;
	}
	return there;
}

static void log_vmsg(enum log_sub sub, enum log_level lvl, bool with_errno, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

static void
log_vmsg(enum log_sub sub, enum log_level lvl, bool with_errno, const char *fmt, va_list ap)
{
	char msg[1024], line[1200];
	int saved = errno;
	struct timespec ts;
	struct tm tm;
	char tbuf[32];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if ((unsigned)sub >= LOG_SUB_MAX)
		sub = LOG_MAIN;
	if (log_stderr) {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
		snprintf(line, sizeof(line), "%s.%03ld %s[%d] %s %s: %s\n", tbuf,
		    ts.tv_nsec / 1000000, log_progname, (int)(log_pid ? log_pid : getpid()),
		    sub_names[sub], lvl_names[lvl], msg);
		/* one write(2) per line keeps lines whole across threads */
		if (write(STDERR_FILENO, line, strlen(line)) < 0) {
			/* nothing sensible to do */
		}
	}
	if (log_syslog && syslog_there())
		syslog(lvl_syslog[lvl], "%s %s: %s", sub_names[sub], lvl_names[lvl], msg);
	errno = saved;
}

void
log_msg(enum log_sub sub, enum log_level lvl, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	log_vmsg(sub, lvl, with_errno, fmt, ap);
	va_end(ap);
}

void
log_fatal(enum log_sub sub, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(sub, LOG_LVL_ERR, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

bool
log_ratelimit_ok(struct log_ratelimit *rl, uint32_t *suppressed)
{
	time_t now = time(NULL);

	if (suppressed)
		*suppressed = 0;
	if (now - rl->window_start >= (time_t)rl->interval) {
		if (suppressed)
			*suppressed = rl->suppressed;
		rl->window_start = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
