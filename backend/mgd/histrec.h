/* SPDX-License-Identifier: MIT */
/*
 * histrec: the files of the commit history (docs/mgd.md, "Persistence").
 *
 * A file is "CAIRNREC" (8 bytes), be32 version (1), then fields, each
 * be16 type, be32 length, value; the last field is SUM, the SHA-256 of
 * every byte before it. A commit record carries SEQ, TIME, USER, CLIENT,
 * COMMENT, FLAGS and FWD (the commit's diff, libyang JSON); a snapshot
 * carries SEQ, TIME and DATA (the whole configuration, JSON). Files are
 * written whole to a temporary name, fsynced and renamed, so a reader
 * sees an old file or a new one; the checksum still guards against a
 * damaged disk or a stray writer. Parsing uses struct rd only and is
 * fuzzed (tests/fuzz/fuzz_histrec.c).
 */
#ifndef CAIRN_HISTREC_H
#define CAIRN_HISTREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HISTREC_MAGIC     "CAIRNREC"
#define HISTREC_VERSION   1u
#define HISTREC_MAX_FIELD (256u << 20)

enum histrec_field {
	HR_SEQ = 1,
	HR_TIME = 2,
	HR_USER = 3,
	HR_CLIENT = 4,
	HR_COMMENT = 5,
	HR_FLAGS = 6,
	HR_FWD = 7,
	HR_DATA = 8,
	HR_BASE = 9, /* confirm file: the configuration to return to */
	HR_SUM = 15,
};

enum histrec_flags {
	HRF_CONFIRMED = 1,     /* a commit confirmed */
	HRF_AUTO_ROLLBACK = 2, /* the automatic rollback of an unconfirmed commit */
	HRF_ROLLBACK = 4,      /* made by rollback N */
};

/* A decoded record or snapshot. Text fields point into the input
 * (not NUL-terminated: use the lengths). */
struct histrec {
	uint64_t seq;
	uint64_t time;
	uint64_t base;
	uint32_t flags;
	const char *user, *client, *comment, *fwd, *data;
	size_t user_len, client_len, comment_len, fwd_len, data_len;
	bool has_seq;
};

/* Encodes r (text fields as NUL-terminated strings, NULL = absent). 0 or -ENOMEM. */
int histrec_encode(struct buf *out, uint64_t seq, uint64_t time, uint32_t flags, const char *user,
    const char *client, const char *comment, const char *fwd, size_t fwd_len, const char *data,
    size_t data_len);
/* The confirm file: pending commit confirmed seq, deadline, base. */
int histrec_encode_confirm(
    struct buf *out, uint64_t seq, uint64_t deadline, uint64_t base, const char *user);

/* Decodes and checks a file's bytes. 0, or -EBADMSG (malformed, unknown
 * version, bad checksum, no SEQ). Unknown field types are skipped. */
int histrec_decode(const uint8_t *p, size_t len, struct histrec *r);

#endif
