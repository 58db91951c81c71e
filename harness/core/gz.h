/* gz.h — read a whole gzip file into memory with a limit on the decompressed size (zlib).
 * Used for the compressed files committed under datasets/: the reference sets and the conformer
 * tasks' MMFF94s parameters (read by tasks/, hence here in the ground floor). Not a streaming
 * API; not for writing (committed files are made with `gzip -9 -n`). */
#ifndef BB_GZ_H
#define BB_GZ_H

#include <stddef.h>

#include "harness/core/bb.h"

/* Decompress `path` (gzip, possibly multi-member) into a malloc'ed buffer (caller frees).
 * More than max_bytes of output is BB_ENOMEM (decompression stops there: no gzip bomb);
 * a corrupt or truncated stream is BB_EFORMAT. Errors name the file. */
int bb_gunzip_file(const char *path, size_t max_bytes, unsigned char **out, size_t *out_len, bb_ctx *ctx);

#endif
