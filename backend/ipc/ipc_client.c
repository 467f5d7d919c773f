/* SPDX-License-Identifier: MIT */
/* ipc_client: blocking request/reply over the management socket. */
#include "ipc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ipc_frame.h"
#include "ipc_msg.h"
#include "banned.h"

struct notif_item {
	struct notif_item *next;
	struct lyd_node *notif;
};

struct ipc_client {
	int fd;
	const struct ly_ctx *ctx;
	uint32_t next_id;
	int timeout_ms;
	struct buf in; /* received bytes; in.p[0..in.len) */
	struct notif_item *nhead, *ntail;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ipc_client *
ipc_client_open(const char *path, const struct ly_ctx *ctx, struct errbuf *err)
{
	struct sockaddr_un sun;
	struct ipc_client *c;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errbuf_set(err, -ENAMETOOLONG, "%s: socket path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		errbuf_set(err, -errno, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		errbuf_set(err, -errno, "error: cannot connect to cairn-mgd (%s): %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		errbuf_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	c->fd = fd;
	c->ctx = ctx;
	c->next_id = 1;
	c->timeout_ms = IPC_CLIENT_TIMEOUT_MS;
	buf_init(&c->in);
	return c;
}

void
ipc_client_close(struct ipc_client *c)
{
	struct notif_item *n;

	if (!c)
		return;
	while ((n = c->nhead) != NULL) {
		c->nhead = n->next;
		lyd_free_all(n->notif);
		free(n);
	}
	close(c->fd);
	buf_free(&c->in);
	free(c);
}

void
ipc_client_set_timeout(struct ipc_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

int
ipc_client_fd(const struct ipc_client *c)
{
	return c->fd;
}

static int
send_all(struct ipc_client *c, const void *p, size_t len, long long deadline)
{
	const char *s = p;
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
	ssize_t n;
	long long left;

	while (len > 0) {
		n = send(c->fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return errno == EPIPE ? -ECONNRESET : -errno;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Reads until one whole frame is buffered; *flen is its size. deadline < 0: forever. */
static int
read_frame(struct ipc_client *c, long long deadline, struct ipc_frame *f, size_t *flen)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	size_t need = IPC_HDR_LEN;
	long n;
	ssize_t got;
	int timeout;

	for (;;) {
		n = ipc_frame_decode((const uint8_t *)c->in.p, c->in.len, f, &need);
		if (n < 0)
			return (int)n;
		if (n > 0) {
			*flen = (size_t)n;
			return 0;
		}
		if (!buf_reserve(&c->in, need - c->in.len + 1))
			return -ENOMEM;
		if (deadline < 0)
			timeout = -1;
		else if ((timeout = (int)(deadline - now_ms())) < 0)
			timeout = 0;
		n = poll(&pfd, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		got = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1, MSG_DONTWAIT);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ECONNRESET;
		c->in.len += (size_t)got;
		c->in.p[c->in.len] = '\0';
	}
}

static void
consume(struct ipc_client *c, size_t n)
{
	memmove(c->in.p, c->in.p + n, c->in.len - n);
	c->in.len -= n;
	c->in.p[c->in.len] = '\0';
}

static void
queue_notif(struct ipc_client *c, const struct ipc_frame *f)
{
	struct lyd_node *op = NULL;
	struct notif_item *n;

	if (ipc_msg_parse(c->ctx, IPC_NOTIFY, f->body, f->len, NULL, NULL, &op, NULL) < 0)
		return;
	n = calloc(1, sizeof(*n));
	if (!n) {
		lyd_free_all(op);
		return;
	}
	n->notif = op;
	if (c->ntail)
		c->ntail->next = n;
	else
		c->nhead = n;
	c->ntail = n;
}

static int
transport_err(struct errbuf *err, int rc)
{
	switch (rc) {
	case -ETIMEDOUT:
		return errbuf_set(err, rc, "error: cairn-mgd did not answer in time");
	case -ECONNRESET:
		return errbuf_set(err, rc, "error: connection to cairn-mgd lost");
	default:
		return errbuf_set(err, rc, "error: cairn-mgd connection: %s", strerror(-rc));
	}
}

static int call(struct ipc_client *c, const struct lyd_node *rpc, struct lyd_node **reply,
    char **body, size_t *blen, struct errbuf *err);

int
ipc_call(
    struct ipc_client *c, const struct lyd_node *rpc, struct lyd_node **reply, struct errbuf *err)
{
	*reply = NULL;
	return call(c, rpc, reply, NULL, NULL, err);
}

int
ipc_call_raw(
    struct ipc_client *c, const struct lyd_node *rpc, char **body, size_t *len, struct errbuf *err)
{
	*body = NULL;
	*len = 0;
	return call(c, rpc, NULL, body, len, err);
}

static int
call(struct ipc_client *c, const struct lyd_node *rpc, struct lyd_node **reply, char **body,
    size_t *blen, struct errbuf *err)
{
	struct buf out = BUF_INIT;
	struct ipc_frame f;
	long long deadline;
	uint32_t id;
	size_t flen;
	char *msg;
	int rc, code;

	while (rpc->parent)
		rpc = lyd_parent(rpc);
	id = c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;
	rc = ipc_msg_frame(&out, IPC_REQUEST, id, rpc);
	if (rc < 0) {
		buf_free(&out);
		return errbuf_set(err, rc, "error: cannot encode %s", LYD_NAME(rpc));
	}
	deadline = c->timeout_ms < 0 ? -1 : now_ms() + c->timeout_ms;
	rc = send_all(c, out.p, out.len, deadline < 0 ? now_ms() + 3600000 : deadline);
	buf_free(&out);
	if (rc < 0)
		return transport_err(err, rc);
	for (;;) {
		rc = read_frame(c, deadline, &f, &flen);
		if (rc < 0)
			return rc == -EBADMSG || rc == -EMSGSIZE
			           ? errbuf_set(err, rc, "error: malformed message from cairn-mgd")
			           : transport_err(err, rc);
		if (f.type == IPC_NOTIFY) {
			queue_notif(c, &f);
		} else if (f.type == IPC_REQUEST) {
			/* nobody asks a client anything; answer so the peer does not wait */
			struct buf e = BUF_INIT;
			if (ipc_error_encode(
			        &e, f.id, EOPNOTSUPP, "not supported by this client") == 0)
				send_all(c, e.p, e.len, now_ms() + 1000);
			buf_free(&e);
		} else if (f.id == id && f.type == IPC_ERROR) {
			msg = NULL;
			rc = ipc_error_decode(f.body, f.len, &code, &msg);
			if (rc < 0)
				rc = errbuf_set(err, rc, "error: malformed error from cairn-mgd");
			else
				rc = errbuf_set(err, -code, "%s", msg);
			free(msg);
			consume(c, flen);
			return rc;
		} else if (f.id == id && f.type == IPC_REPLY && body) {
			if (!ipc_msg_json_ok(f.body, f.len)) {
				rc = errbuf_set(
				    err, -EBADMSG, "error: malformed message from cairn-mgd");
			} else if (!(*body = malloc(f.len + 1))) {
				rc = errbuf_set(err, -ENOMEM, "error: out of memory");
			} else {
				memcpy(*body, f.body, f.len);
				(*body)[f.len] = '\0';
				*blen = f.len;
				rc = 0;
			}
			consume(c, flen);
			return rc;
		} else if (f.id == id && f.type == IPC_REPLY) {
			rc = ipc_msg_parse(c->ctx, IPC_REPLY, f.body, f.len, NULL, rpc, reply, err);
			consume(c, flen);
			return rc;
		}
		consume(c, flen);
	}
}

int
ipc_call_json(struct ipc_client *c, const char *json, struct lyd_node **reply, struct errbuf *err)
{
	struct lyd_node *rpc = NULL;
	int rc;

	*reply = NULL;
	rc = ipc_msg_parse(
	    c->ctx, IPC_REQUEST, (const uint8_t *)json, strlen(json), NULL, NULL, &rpc, err);
	if (rc < 0)
		return rc;
	rc = ipc_call(c, rpc, reply, err);
	lyd_free_all(rpc);
	return rc;
}

int
ipc_client_recv_notif(
    struct ipc_client *c, int timeout_ms, struct lyd_node **notif, struct errbuf *err)
{
	struct notif_item *n;
	struct ipc_frame f;
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t flen;
	int rc;

	*notif = NULL;
	for (;;) {
		if ((n = c->nhead) != NULL) {
			c->nhead = n->next;
			if (!c->nhead)
				c->ntail = NULL;
			*notif = n->notif;
			free(n);
			return 0;
		}
		rc = read_frame(c, deadline, &f, &flen);
		if (rc == -ETIMEDOUT)
			return rc;
		if (rc < 0)
			return transport_err(err, rc);
		if (f.type == IPC_NOTIFY)
			queue_notif(c, &f);
		consume(c, flen);
	}
}
