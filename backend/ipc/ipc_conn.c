/* SPDX-License-Identifier: MIT */
/* ipc_conn: framed, interleaved YANG RPCs over a UNIX socket on libevent. */
#include "ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "buf.h"
#include "ipc_frame.h"
#include "ipc_msg.h"
#include "log.h"
#include "banned.h"

struct ipc_pending {
	struct ipc_pending *next;
	struct ipc_conn *conn;
	uint32_t id;
	struct lyd_node *req; /* a copy of the RPC node: replies must match it */
	ipc_reply_cb cb;
	ipc_raw_cb raw_cb; /* instead of cb: the body unparsed */
	void *arg;
	struct event *timer;
};

/* A call that failed or timed out: its callback, whichever kind. */
static void
pending_fail(struct ipc_pending *p, int rc, const char *msg)
{
	if (p->raw_cb)
		p->raw_cb(p->arg, rc, NULL, 0, msg);
	else
		p->cb(p->arg, rc, NULL, msg);
}

struct ipc_conn {
	struct event_base *base;
	const struct ly_ctx *ctx;
	struct bufferevent *bev;
	const struct ipc_conn_ops *ops;
	void *arg;
	uint32_t next_id;
	struct ipc_pending *pending;
	uid_t uid;
	pid_t pid;
	unsigned busy; /* inside a callback: freeing is deferred */
	bool dead;     /* freed while busy */
	bool closed;   /* peer gone: closed() is due */
};

static void conn_destroy(struct ipc_conn *c, int pending_rc);

static struct ipc_pending *
pending_take(struct ipc_conn *c, uint32_t id)
{
	struct ipc_pending **pp, *p;

	for (pp = &c->pending; (p = *pp) != NULL; pp = &p->next) {
		if (p->id == id) {
			*pp = p->next;
			return p;
		}
	}
	return NULL;
}

static void
pending_free(struct ipc_pending *p)
{
	if (!p)
		return;
	if (p->timer)
		event_free(p->timer);
	lyd_free_all(p->req);
	free(p);
}

static void
send_buf(struct ipc_conn *c, struct buf *b)
{
	if (!c->dead && !c->closed && b->len)
		bufferevent_write(c->bev, b->p, b->len);
}

static void
handle_frame(struct ipc_conn *c, const struct ipc_frame *f)
{
	struct errbuf err = { .msg = "" };
	struct lyd_node *op = NULL;
	struct ipc_pending *p;
	const struct lyd_node *dep;
	char *msg = NULL;
	int code, rc;

	errbuf_clear(&err);
	switch (f->type) {
	case IPC_REQUEST:
		dep = c->ops->dep_tree ? c->ops->dep_tree(c->arg) : NULL;
		rc = ipc_msg_parse(c->ctx, IPC_REQUEST, f->body, f->len, dep, NULL, &op, &err);
		if (rc < 0) {
			log_debug(LOG_IPC, "request %u rejected: %s", f->id, err.msg);
			ipc_conn_reply_error(c, f->id, -rc, err.msg);
			return;
		}
		if (!c->ops->request) {
			lyd_free_all(op);
			ipc_conn_reply_error(c, f->id, EOPNOTSUPP, "no requests accepted here");
			return;
		}
		c->ops->request(c, f->id, op, c->arg);
		return;
	case IPC_REPLY:
	case IPC_ERROR:
		p = pending_take(c, f->id);
		if (!p) {
			log_debug(LOG_IPC, "reply to unknown or expired request %u", f->id);
			return;
		}
		if (f->type == IPC_ERROR) {
			rc = ipc_error_decode(f->body, f->len, &code, &msg);
			if (rc < 0)
				pending_fail(p, -EBADMSG, "malformed error reply");
			else
				pending_fail(p, -code, msg);
			free(msg);
		} else if (p->raw_cb) {
			if (!ipc_msg_json_ok(f->body, f->len))
				p->raw_cb(p->arg, -EBADMSG, NULL, 0,
				    "ipc: malformed message: not one JSON object");
			else
				p->raw_cb(p->arg, 0, f->body, f->len, NULL);
		} else {
			rc = ipc_msg_parse(
			    c->ctx, IPC_REPLY, f->body, f->len, NULL, p->req, &op, &err);
			if (rc < 0)
				p->cb(p->arg, rc, NULL, err.msg);
			else
				p->cb(p->arg, 0, op, NULL);
		}
		pending_free(p);
		return;
	case IPC_NOTIFY:
		rc = ipc_msg_parse(c->ctx, IPC_NOTIFY, f->body, f->len, NULL, NULL, &op, &err);
		if (rc < 0) {
			log_debug(LOG_IPC, "notification dropped: %s", err.msg);
			return;
		}
		if (c->ops->notify)
			c->ops->notify(c, op, c->arg);
		else
			lyd_free_all(op);
		return;
	}
}

static void
finish_callbacks(struct ipc_conn *c)
{
	if (--c->busy > 0)
		return;
	if (c->closed && !c->dead) {
		c->busy++;
		if (c->ops->closed)
			c->ops->closed(c, c->arg);
		c->busy--;
		c->dead = true;
	}
	if (c->dead)
		conn_destroy(c, -ECONNRESET);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct ipc_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[IPC_HDR_LEN];
	struct ipc_frame f;
	const uint8_t *data;
	size_t have, need;
	long n;

	c->busy++;
	while (!c->dead && !c->closed) {
		have = evbuffer_get_length(in);
		if (have < IPC_HDR_LEN)
			break;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		n = ipc_frame_decode(hdr, sizeof(hdr), &f, &need);
		if (n < 0) {
			log_warnx(LOG_IPC, "peer pid %d: bad frame (%s), closing", (int)c->pid,
			    strerror((int)-n));
			c->closed = true;
			break;
		}
		if (n == 0 && have < need)
			break; /* the body is still on its way */
		if (n > 0)
			need = (size_t)n;
		data = evbuffer_pullup(in, (ssize_t)need);
		if (!data || ipc_frame_decode(data, need, &f, NULL) != (long)need) {
			c->closed = true;
			break;
		}
		handle_frame(c, &f);
		if (!c->dead)
			evbuffer_drain(in, need);
	}
	finish_callbacks(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct ipc_conn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		c->busy++;
		c->closed = true;
		finish_callbacks(c);
	}
}

static void
call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_pending *p = arg;
	struct ipc_conn *c = p->conn;

	(void)fd;
	(void)what;
	c->busy++;
	p = pending_take(c, p->id);
	if (p) {
		pending_fail(p, -ETIMEDOUT, "timed out");
		pending_free(p);
	}
	finish_callbacks(c);
}

struct ipc_conn *
ipc_conn_new(struct event_base *base, const struct ly_ctx *ctx, int fd,
    const struct ipc_conn_ops *ops, void *arg)
{
	struct ipc_conn *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->base = base;
	c->ctx = ctx;
	c->ops = ops;
	c->arg = arg;
	c->next_id = 1;
	c->uid = (uid_t)-1;
	c->pid = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
}

struct ipc_conn *
ipc_conn_connect(struct event_base *base, const struct ly_ctx *ctx, const char *path,
    const struct ipc_conn_ops *ops, void *arg, struct errbuf *err)
{
	struct sockaddr_un sun;
	struct ipc_conn *c;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errbuf_set(err, -ENAMETOOLONG, "%s: socket path too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		errbuf_set(err, -errno, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		errbuf_set(err, -e, "%s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return NULL;
	}
	c = ipc_conn_new(base, ctx, fd, ops, arg);
	if (!c)
		errbuf_set(err, -ENOMEM, "out of memory");
	return c;
}

static void
conn_destroy(struct ipc_conn *c, int pending_rc)
{
	struct ipc_pending *p;

	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		pending_fail(p, pending_rc,
		    pending_rc == -ECANCELED ? "connection closed" : "connection lost");
		pending_free(p);
	}
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

void
ipc_conn_free(struct ipc_conn *c)
{
	struct ipc_pending *p;

	if (!c)
		return;
	if (c->busy) {
		/* inside one of our callbacks: answer pending calls now, free later */
		c->dead = true;
		while ((p = c->pending) != NULL) {
			c->pending = p->next;
			pending_fail(p, -ECANCELED, "connection closed");
			pending_free(p);
		}
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		return;
	}
	c->busy++;
	conn_destroy(c, -ECANCELED);
}

void
ipc_conn_set_arg(struct ipc_conn *c, void *arg)
{
	c->arg = arg;
}

uid_t
ipc_conn_peer_uid(const struct ipc_conn *c)
{
	return c->uid;
}

pid_t
ipc_conn_peer_pid(const struct ipc_conn *c)
{
	return c->pid;
}

size_t
ipc_conn_outq(const struct ipc_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

static int
call(struct ipc_conn *c, const struct lyd_node *rpc, int timeout_ms, ipc_reply_cb cb,
    ipc_raw_cb raw_cb, void *arg)
{
	struct buf b = BUF_INIT;
	struct ipc_pending *p;
	struct timeval tv;
	int rc;

	if (c->dead || c->closed)
		return -ECONNRESET;
	while (rpc->parent)
		rpc = lyd_parent(rpc);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->conn = c;
	p->cb = cb;
	p->raw_cb = raw_cb;
	p->arg = arg;
	p->id = c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;
	if (lyd_dup_single(rpc, NULL, 0, &p->req) != LY_SUCCESS) {
		free(p);
		return -ENOMEM;
	}
	rc = ipc_msg_frame(&b, IPC_REQUEST, p->id, rpc);
	if (rc < 0)
		goto fail;
	p->timer = evtimer_new(c->base, call_timeout, p);
	if (!p->timer) {
		rc = -ENOMEM;
		goto fail;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	send_buf(c, &b);
	buf_free(&b);
	p->next = c->pending;
	c->pending = p;
	return 0;
fail:
	buf_free(&b);
	pending_free(p);
	return rc;
}

int
ipc_conn_call(
    struct ipc_conn *c, const struct lyd_node *rpc, int timeout_ms, ipc_reply_cb cb, void *arg)
{
	return call(c, rpc, timeout_ms, cb, NULL, arg);
}

int
ipc_conn_call_raw(
    struct ipc_conn *c, const struct lyd_node *rpc, int timeout_ms, ipc_raw_cb cb, void *arg)
{
	return call(c, rpc, timeout_ms, NULL, cb, arg);
}

int
ipc_conn_reply_raw(struct ipc_conn *c, uint32_t id, const void *body, size_t len)
{
	struct buf b = BUF_INIT;
	int rc;

	rc = ipc_frame_put_hdr(&b, IPC_REPLY, id, len);
	if (rc == 0) {
		buf_append(&b, body, len);
		if (buf_failed(&b))
			rc = -ENOMEM;
	}
	if (rc == 0)
		send_buf(c, &b);
	buf_free(&b);
	return rc;
}

int
ipc_conn_reply(struct ipc_conn *c, uint32_t id, const struct lyd_node *reply)
{
	struct buf b = BUF_INIT;
	int rc;

	if (!reply)
		return -EINVAL;
	rc = ipc_msg_frame(&b, IPC_REPLY, id, reply);
	if (rc == 0)
		send_buf(c, &b);
	buf_free(&b);
	return rc;
}

int
ipc_conn_reply_error(struct ipc_conn *c, uint32_t id, int code, const char *msg)
{
	struct buf b = BUF_INIT;
	int rc;

	rc = ipc_error_encode(&b, id, code ? code : EIO, msg ? msg : "");
	if (rc == 0)
		send_buf(c, &b);
	buf_free(&b);
	return rc;
}

int
ipc_conn_notify(struct ipc_conn *c, const struct lyd_node *notif)
{
	struct buf b = BUF_INIT;
	int rc;

	rc = ipc_msg_frame(&b, IPC_NOTIFY, 0, notif);
	if (rc == 0)
		send_buf(c, &b);
	buf_free(&b);
	return rc;
}
