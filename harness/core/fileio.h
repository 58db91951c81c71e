/* fileio.h — atomic file writes, whole-file reads with a size limit, SHA-256, crc32 and
 * deflate helpers.
 *
 * Every file boltzbench produces (reports, tables, cached datasets, checkpoints) is
 * written to "<path>.tmp.<pid>.<n>" in the same directory, fsync'ed, then renamed
 * over <path>, and the directory is fsync'ed: readers see the old file or the whole
 * new one, never a half-written one. On failure the temp file is removed.
 */
#ifndef BB_FILEIO_H
#define BB_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"

/* Write `len` bytes to `path` atomically. Errors name the path. */
int bb_write_file_atomic(const char *path, const void *data, size_t len, bb_ctx *ctx);

/* Streamed variant: bb_atomic_open gives a FILE* on a temp file next to `path`;
 * bb_atomic_commit flushes, fsyncs, closes and renames; bb_atomic_abort closes and
 * removes the temp file. Exactly one of commit/abort must be called. */
typedef struct bb_atomic_file {
    FILE *fp;
    char path[4096];
    char tmp[4096];
} bb_atomic_file;
int bb_atomic_open(bb_atomic_file *af, const char *path, bb_ctx *ctx);
int bb_atomic_commit(bb_atomic_file *af, bb_ctx *ctx);
void bb_atomic_abort(bb_atomic_file *af);

/* Read a whole file into a NUL-terminated malloc'ed buffer (caller frees).
 * Refuses files larger than max_bytes with BB_ENOMEM naming the file. */
int bb_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, bb_ctx *ctx);

/* Create a directory and its parents (mode 0755); existing directories are fine. */
int bb_mkdir_p(const char *path, bb_ctx *ctx);

/* SHA-256 (OpenSSL EVP) of a buffer / of a file, as 64 lowercase hex chars + NUL. */
void bb_sha256_hex(const void *data, size_t len, char out[65]);
/* zlib's crc32 over a buffer of any length (zlib takes uInt lengths): the trailer of the
 * binary state and checkpoint files. */
uint32_t bb_crc32(const void *data, size_t len);
/* One-shot zlib deflate of src[0..len) into a new buffer *out (free()) of *out_len bytes, the
 * npz members (raw deflate, window_bits −15) and the minima catalogue (gzip, 15 + 16) alike:
 * window_bits as zlib's deflateInit2 takes it, memory level 8, default strategy; the output
 * depends only on the input and these settings. Returns BB_OK, BB_EUNSUPPORTED for len over
 * 4 GiB, BB_ENOMEM when zlib or the buffer cannot be set up, BB_EINTERNAL when deflate does
 * not finish; sets no message (the caller knows what it was writing). */
int bb_deflate(const void *src, size_t len, int level, int window_bits, unsigned char **out, size_t *out_len);

/* A bounded cursor over bytes in memory, for parsing binary files read whole. */
typedef struct bb_bytes {
    const unsigned char *p;
    size_t len, off;
} bb_bytes;
/* Copy the next n bytes to dst and advance: 1, or 0 (nothing copied) when fewer remain. */
int bb_bytes_get(bb_bytes *r, void *dst, size_t n);
int bb_sha256_file(const char *path, char out[65], bb_ctx *ctx);

#endif
