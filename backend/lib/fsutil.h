/* SPDX-License-Identifier: MIT */
/*
 * fsutil: crash-safe file replacement and small file helpers.
 *
 * fs_write_atomic() writes a temporary file beside the target, fsyncs it,
 * renames it over the target and fsyncs the directory: after a crash at
 * any moment the target holds either its old or its new content, whole.
 */
#ifndef CAIRN_FSUTIL_H
#define CAIRN_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* 0 or -errno. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p; 0 or -errno. */
int fs_mkdir_p(const char *path, mode_t mode);
/* Reads a whole file (caller frees *data, NUL-terminated); at most max
 * bytes (-EFBIG beyond). 0 or -errno. */
int fs_read_all(const char *path, size_t max, char **data, size_t *len);
/* fsync a directory; 0 or -errno. */
int fs_sync_dir(const char *dir);

#endif
