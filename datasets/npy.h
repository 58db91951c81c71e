/* npy.h — NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * Reading accepts what np.save writes for plain numeric arrays: little- or
 * big-endian float32/float64, signed/unsigned integers of 1, 2, 4 or 8 bytes and
 * bool, in C or Fortran order, and converts them to a float64 row-major array
 * (int64 values beyond 2^53 are rounded). Structured dtypes, float16, complex,
 * object and string arrays are refused with BB_EUNSUPPORTED. Malformed headers,
 * truncated data and trailing bytes are BB_EFORMAT; a declared size above the
 * caller's limit is BB_ENOMEM before anything is allocated, so a hostile file
 * cannot exhaust memory.
 *
 * Writing produces a version 1.0 file, dtype '<f8', C order, header padded to a
 * multiple of 64 bytes (numpy >= 1.x layout), written atomically (temp + fsync +
 * rename, harness/core/fileio.h).
 *
 * Not here: .npz archives (datasets/npz.h), memory mapping, pickled objects.
 *
 * Worked example:
 *   bb_ctx c = {0}; bb_array a = {0};
 *   if (bb_npy_read("x.npy", (size_t)1 << 30, &a, &c)) { fprintf(stderr, "%s\n", c.msg); }
 *   // a.ndim == 2, a.shape = {N, dof}, a.data[i * a.shape[1] + j]
 *   bb_array_free(&a);
 */
#ifndef BB_NPY_H
#define BB_NPY_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/core/samples.h"

#define BB_NPY_MAX_DIM 32
/* Headers longer than this are refused (numpy itself limits them to 10000 bytes
 * when loading untrusted files). */
#define BB_NPY_MAX_HEADER 65536

typedef struct bb_array {
    int ndim;                     /* 0 for a scalar */
    size_t shape[BB_NPY_MAX_DIM]; /* shape[0..ndim-1] */
    size_t n;                     /* number of elements (product of shape; 1 for a scalar) */
    double *data;                 /* [n] float64, row-major (C order), owned; never NULL after success */
    char dtype[8];                /* descr of the file, e.g. "<f4" (information only) */
} bb_array;

/* Free data and zero the struct; NULL-safe. */
void bb_array_free(bb_array *a);

/* Read `path`. max_bytes limits the float64 result (n × 8 bytes); larger declared
 * arrays give BB_ENOMEM. On failure *out is zeroed and ctx names the file. */
int bb_npy_read(const char *path, size_t max_bytes, bb_array *out, bb_ctx *ctx);

/* Parse an in-memory .npy image of `len` bytes; `what` names it in errors (a file or
 * an npz member). Same limits and conversions as bb_npy_read. */
int bb_npy_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_array *out, bb_ctx *ctx);

/* Read a .npy whose first axis indexes configurations into samples: n = shape[0],
 * dof = product of the other axes (a 1-D array gives dof = 1). Unweighted. */
int bb_npy_read_samples(const char *path, size_t max_bytes, bb_samples *out, bb_ctx *ctx);

/* Encode float64 data [prod(shape)] of `ndim` dims (0..BB_NPY_MAX_DIM) as a v1.0 .npy
 * image in a malloc'ed buffer (caller frees *out). */
int bb_npy_encode(const double *data, int ndim, const size_t *shape, unsigned char **out, size_t *out_len, bb_ctx *ctx);
/* The same with f32 = 1 as '<f4' (each value rounded to the nearest float), e.g. for the
 * committed reference subsamples; f32 = 0 is bb_npy_encode. */
int bb_npy_encode_as(const double *data, int ndim, const size_t *shape, int f32, unsigned char **out, size_t *out_len,
                     bb_ctx *ctx);

/* Write data as `path` atomically ('<f8', C order). Errors name the path; on failure the
 * old file, if any, is untouched. */
int bb_npy_write(const char *path, const double *data, int ndim, const size_t *shape, bb_ctx *ctx);

#endif
