/* zip.h — read access to the members of an in-memory zip archive: the container of NumPy
 * .npz files (datasets/npz.h) and of torch.save files (datasets/pt.h).
 *
 * Walks the central directory (ZIP64 end-of-central-directory and extra fields included),
 * yields one entry per member and extracts a member stored (method 0) or deflated (method 8,
 * raw inflate) with its CRC-32 checked. Zip bombs are stopped before and during inflation:
 * a declared uncompressed size above the caller's limit is refused before anything is
 * allocated, and inflation stops as soon as the output would exceed the declared size.
 * Encrypted members, other compression methods and multi-disk archives are refused; every
 * error is one line naming the archive (`what`) and the member. Not a general zip library:
 * no writing here (npz.c writes its own plain archives), no streaming from disk.
 *
 * Worked example:
 *   bb_zip z; bb_zip_entry e; int done = 0;
 *   if (bb_zip_open(&z, buf, len, "x.npz", &c)) return c.code;
 *   while (!bb_zip_next(&z, &e, &done, &c) && !done) {
 *       const unsigned char *p; unsigned char *own;
 *       if (bb_zip_extract(&z, &e, limit, &p, &own, &c)) break;
 *       use(e.name, p, (size_t)e.usize); free(own);
 *   }
 */
#ifndef BB_ZIP_H
#define BB_ZIP_H
#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"

#define BB_ZIP_MAX_MEMBERS 4096

typedef struct bb_zip_entry {
    uint32_t method, crc, flags;
    uint64_t csize, usize, offset; /* compressed and uncompressed size, local header offset */
    char name[256];                /* NUL-terminated member name */
} bb_zip_entry;

typedef struct bb_zip {
    const unsigned char *b; /* the archive (not owned) */
    size_t len;
    const char *what;     /* names the archive in errors */
    size_t pos, end;      /* cursor in the central directory */
    uint64_t count, next; /* number of members, index of the next one */
} bb_zip;

/* Find the central directory of buf[0..len). BB_EFORMAT when it is not a zip archive or is
 * damaged, BB_ENOMEM above BB_ZIP_MAX_MEMBERS members. */
int bb_zip_open(bb_zip *z, const void *buf, size_t len, const char *what, bb_ctx *ctx);
/* The next member's central directory entry into *e; *done = 1 (and BB_OK) after the last. */
int bb_zip_next(bb_zip *z, bb_zip_entry *e, int *done, bb_ctx *ctx);
/* The uncompressed bytes of member e (e->usize of them), CRC-32 checked: *data points into the
 * archive for a stored member (*owned = NULL) or into a malloc'ed buffer that the caller frees
 * (*owned = *data). A declared size above max_bytes is BB_ENOMEM before inflating. */
int bb_zip_extract(const bb_zip *z, const bb_zip_entry *e, size_t max_bytes, const unsigned char **data,
                   unsigned char **owned, bb_ctx *ctx);
/* Read the archive at path whole into *buf (*len bytes; free it): refused above max_bytes
 * plus 16 MiB, since an archive cannot usefully be larger than the data a caller accepts from
 * it (max_bytes) plus per-member overhead. Errors of bb_read_file. */
int bb_zip_read_archive(const char *path, size_t max_bytes, char **buf, size_t *len, bb_ctx *ctx);

#endif
