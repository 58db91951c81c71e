/* npz.h — NumPy .npz archives (zip of .npy members): reader and writer.
 *
 * Reading walks the zip central directory (ZIP64 records included, as np.savez
 * writes them), accepts members stored (method 0) or deflated (method 8, zlib raw
 * inflate), checks each member's CRC-32 and parses it with datasets/npy.h into a
 * float64 row-major array. Zip bombs are stopped by limits checked before and during
 * inflation: a member's declared uncompressed size must be within max_bytes, inflation
 * stops as soon as the output would exceed the declared size, and the float64 results
 * of all members together must stay within max_bytes. Encrypted members, other
 * compression methods, multi-disk archives and non-".npy" members are refused with
 * clear errors.
 *
 * Writing makes a plain (non-ZIP64) archive, members stored or deflated, each a v1.0
 * '<f8' .npy, written atomically. np.load reads it.
 *
 * Not here: lazy/mmap member access, pickled members.
 */
#ifndef BB_NPZ_H
#define BB_NPZ_H

#include <stddef.h>

#include "datasets/npy.h"
#include "harness/core/bb.h"

#define BB_NPZ_MAX_MEMBERS 4096

typedef struct bb_npz {
    size_t n;         /* number of arrays */
    char **names;     /* [n] member names without ".npy" ("a" for "a.npy"), owned */
    bb_array *arrays; /* [n], owned */
} bb_npz;

/* Free everything and zero the struct; NULL-safe. */
void bb_npz_free(bb_npz *z);

/* Read `path`: all members. max_bytes bounds each member's uncompressed size and the
 * total float64 bytes. On failure *out is empty and ctx names the file (and member). */
int bb_npz_read(const char *path, size_t max_bytes, bb_npz *out, bb_ctx *ctx);

/* Same for an in-memory archive; `what` names it in errors. */
int bb_npz_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_npz *out, bb_ctx *ctx);

/* The array called `name` (without ".npy"), or NULL. */
const bb_array *bb_npz_get(const bb_npz *z, const char *name);

/* Write n arrays under the given names (".npy" appended) to `path`, atomically.
 * deflate: 0 = stored, 1 = deflated (zlib level 6). */
int bb_npz_write(const char *path, size_t n, const char *const *names, const bb_array *arrays, int deflate,
                 bb_ctx *ctx);

#endif
