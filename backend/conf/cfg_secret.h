/* SPDX-License-Identifier: MIT */
/*
 * cfg_secret: Junos "$9$" secret strings. Junos stores every reversible
 * secret (pre-shared keys, manual SA keys) in this obfuscated form and
 * prints only that form; Cairn does the same. It is an obfuscation, not
 * encryption: it keeps secrets out of casual sight in configuration text,
 * nothing more. Decoded secrets must never be printed or logged.
 */
#ifndef CAIRN_CFG_SECRET_H
#define CAIRN_CFG_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_SECRET_MAGIC "$9$"

/*
 * Encodes len bytes of plain text (1..4096 bytes, no NUL byte) with a
 * random salt. Returns the "$9$..." string (caller frees, free() is
 * enough: it holds no clear text), or NULL with errno (EINVAL, ENOMEM).
 */
char *cfg_secret_encode(const char *plain, size_t len);

/*
 * The same with the salt and filler taken from rnd (at least 4 bytes),
 * for tests that need a fixed output.
 */
char *cfg_secret_encode_rnd(const char *plain, size_t len, const uint8_t *rnd, size_t rndlen);

/*
 * Decodes a "$9$..." string of len bytes. On success returns 0 and sets
 * *out to the NUL-terminated clear text (caller frees with
 * xmem_free(*out, *outlen + 1)) and *outlen to its length. A string that
 * is not a well-formed encoding (alphabet, length, digit ranges, NUL
 * bytes) gives -EINVAL; -ENOMEM on allocation failure.
 */
int cfg_secret_decode(const char *s, size_t len, char **out, size_t *outlen);

/* true when s (len bytes) starts with "$9$" and decodes. */
bool cfg_secret_valid(const char *s, size_t len);

#endif
