/* SPDX-License-Identifier: MIT */
/* ipc_server: the listening UNIX socket of cairn-mgd. */
#include "ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "banned.h"

struct ipc_server {
	struct evconnlistener *lev;
	void (*accept)(int fd, void *arg);
	void *arg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void
server_accept(
    struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct ipc_server *s = arg;

	(void)lev;
	(void)sa;
	(void)salen;
	s->accept(fd, s->arg);
}

static void
server_error(struct evconnlistener *lev, void *arg)
{
	(void)lev;
	(void)arg;
	/* EMFILE and friends: keep listening; libevent retries on the next event */
	log_warn(LOG_IPC, "accept");
}

/* A socket file nobody listens on is stale (a crashed instance): remove it. */
static int
remove_stale(const struct sockaddr_un *sun, struct errbuf *err)
{
	struct stat st;
	int fd, rc = 0;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT
		           ? 0
		           : errbuf_set(err, -errno, "%s: %s", sun->sun_path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errbuf_set(err, -EEXIST, "%s: exists and is not a socket", sun->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		rc = errbuf_set(
		    err, -EADDRINUSE, "%s: another instance is listening", sun->sun_path);
	else if (unlink(sun->sun_path) < 0 && errno != ENOENT)
		rc = errbuf_set(err, -errno, "%s: %s", sun->sun_path, strerror(errno));
	close(fd);
	return rc;
}

struct ipc_server *
ipc_server_new(struct event_base *base, const char *path, void (*accept)(int fd, void *arg),
    void *arg, struct errbuf *err)
{
	struct sockaddr_un sun;
	struct ipc_server *s = NULL;
	int fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errbuf_set(err, -ENAMETOOLONG, "%s: socket path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (remove_stale(&sun, err) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	memcpy(s->path, sun.sun_path, sizeof(s->path));
	s->accept = accept;
	s->arg = arg;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0) {
		errbuf_set(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	s->lev = evconnlistener_new(
	    base, server_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!s->lev) {
		errbuf_set(err, -ENOMEM, "%s: cannot listen", path);
		goto fail;
	}
	evconnlistener_set_error_cb(s->lev, server_error);
	return s;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(s);
	return NULL;
}

void
ipc_server_free(struct ipc_server *s)
{
	if (!s)
		return;
	evconnlistener_free(s->lev);
	unlink(s->path);
	free(s);
}
