/* npz.c — .npz (zip) reader and writer; see npz.h for limits and what is refused.
 *
 * Reading walks the archive with datasets/zip.h (shared with the torch.save reader) and
 * parses every ".npy" member; writing makes its own plain archive (local headers, central
 * directory, EOCD; PKWARE APPNOTE 6.3), no ZIP64.
 */
#include "datasets/npz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasets/zip.h"
#include "harness/core/fileio.h"

void bb_npz_free(bb_npz *z) {
    if (!z) return;
    for (size_t i = 0; i < z->n; i++) {
        if (z->names) free(z->names[i]);
        if (z->arrays) bb_array_free(&z->arrays[i]);
    }
    free(z->names);
    free(z->arrays);
    memset(z, 0, sizeof *z);
}

const bb_array *bb_npz_get(const bb_npz *z, const char *name) {
    if (!z || !name) return NULL;
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->names[i], name) == 0) return &z->arrays[i];
    return NULL;
}

/* ------------------------------------------------------------ little-endian -- */

static void wr16(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void wr32(unsigned char *p, uint32_t v) {
    wr16(p, v & 0xffffu);
    wr16(p + 2, v >> 16);
}

/* ------------------------------------------------------------------ read -- */

int bb_npz_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_npz *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    bb_zip z;
    int rc = bb_zip_open(&z, buf, len, what, ctx);
    if (rc) return rc;
    size_t m = (size_t)z.count;
    out->names = calloc(m ? m : 1, sizeof *out->names);
    out->arrays = calloc(m ? m : 1, sizeof *out->arrays);
    if (!out->names || !out->arrays) {
        bb_npz_free(out);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
    }
    size_t total = 0;
    for (size_t i = 0; i < m; i++) {
        bb_zip_entry e;
        int done = 0;
        rc = bb_zip_next(&z, &e, &done, ctx);
        if (rc || done) break;
        size_t nl = strlen(e.name);
        if (nl < 5 || strcmp(e.name + nl - 4, ".npy") != 0) {
            rc = BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %s: member is not a .npy file", what, e.name);
            break;
        }
        const unsigned char *npy;
        unsigned char *owned;
        rc = bb_zip_extract(&z, &e, max_bytes - total, &npy, &owned, ctx);
        out->n = i + 1; /* so that free releases what was read */
        if (rc == BB_OK) {
            char label[512];
            snprintf(label, sizeof label, "%s: %s", what, e.name);
            rc = bb_npy_parse(npy, (size_t)e.usize, label, max_bytes - total, &out->arrays[i], ctx);
            free(owned);
        }
        if (rc) break;
        total += out->arrays[i].n * 8;
        out->names[i] = malloc(nl - 3);
        if (!out->names[i]) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
            break;
        }
        memcpy(out->names[i], e.name, nl - 4);
        out->names[i][nl - 4] = '\0';
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->names[k], out->names[i]) == 0) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: duplicate member %s", what, e.name);
                break;
            }
        if (rc) break;
    }
    if (rc) bb_npz_free(out);
    return rc;
}

int bb_npz_read(const char *path, size_t max_bytes, bb_npz *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len;
    int rc = bb_zip_read_archive(path, max_bytes, &buf, &len, ctx);
    if (rc) return rc;
    rc = bb_npz_parse(buf, len, path, max_bytes, out, ctx);
    free(buf);
    return rc;
}

/* ----------------------------------------------------------------- write -- */

/* A member compressed as ZIP stores it: raw deflate, level 6. */
static int deflate_member(const unsigned char *src, size_t len, unsigned char **out, size_t *olen, bb_ctx *ctx,
                          const char *path) {
    int rc = bb_deflate(src, len, 6, -MAX_WBITS, out, olen);
    if (rc == BB_EUNSUPPORTED) return BB_ERR(ctx, rc, "%s: member over 4 GiB (ZIP64 writing not supported)", path);
    if (rc == BB_ENOMEM) return BB_ERR(ctx, rc, "%s: out of memory", path);
    if (rc) return BB_ERR(ctx, rc, "%s: deflate did not finish", path);
    return BB_OK;
}

int bb_npz_write(const char *path, size_t n, const char *const *names, const bb_array *arrays, int deflate_members,
                 bb_ctx *ctx) {
    if (n > BB_NPZ_MAX_MEMBERS || n > 0xffff) return BB_ERR(ctx, BB_EINVAL, "%s: too many members (%zu)", path, n);
    bb_atomic_file af;
    unsigned char *cd = NULL;
    size_t cd_len = 0, cd_cap = 0;
    uint64_t off = 0;
    int rc = bb_atomic_open(&af, path, ctx);
    if (rc) return rc;
    for (size_t i = 0; i < n && rc == BB_OK; i++) {
        unsigned char *npy = NULL, *comp = NULL;
        size_t npy_len = 0, comp_len = 0;
        char name[256];
        int nl = snprintf(name, sizeof name, "%s.npy", names[i]);
        if (nl <= 4 || (size_t)nl >= sizeof name) {
            rc = BB_ERR(ctx, BB_EINVAL, "%s: bad member name '%s'", path, names[i]);
            break;
        }
        rc = bb_npy_encode(arrays[i].data, arrays[i].ndim, arrays[i].shape, &npy, &npy_len, ctx);
        if (rc == BB_OK && deflate_members) rc = deflate_member(npy, npy_len, &comp, &comp_len, ctx, path);
        if (rc == BB_OK && (npy_len > 0xfffffffeu || off > 0xfffffffeu))
            rc = BB_ERR(ctx, BB_EUNSUPPORTED, "%s: archive over 4 GiB (ZIP64 writing not supported)", path);
        if (rc == BB_OK) {
            const unsigned char *data = deflate_members ? comp : npy;
            size_t dlen = deflate_members ? comp_len : npy_len;
            uint32_t crc = (uint32_t)crc32_z(0L, npy, npy_len);
            unsigned char lh[30];
            memset(lh, 0, sizeof lh);
            wr32(lh, 0x04034b50u);
            wr16(lh + 4, 20);
            wr16(lh + 8, deflate_members ? 8 : 0);
            wr16(lh + 12, 0x21); /* 1980-01-01 00:00: fixed, so archives are reproducible */
            wr32(lh + 14, crc);
            wr32(lh + 18, (uint32_t)dlen);
            wr32(lh + 22, (uint32_t)npy_len);
            wr16(lh + 26, (uint32_t)nl);
            if (fwrite(lh, 1, 30, af.fp) != 30 || fwrite(name, 1, (size_t)nl, af.fp) != (size_t)nl ||
                fwrite(data, 1, dlen, af.fp) != dlen)
                rc = BB_ERR(ctx, BB_EIO, "%s: write failed", path);
            if (cd_len + 46 + (size_t)nl > cd_cap) {
                size_t nc = (cd_cap + 46 + (size_t)nl) * 2;
                unsigned char *t = realloc(cd, nc);
                if (!t)
                    rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
                else {
                    cd = t;
                    cd_cap = nc;
                }
            }
            if (rc == BB_OK) {
                unsigned char *c = cd + cd_len;
                memset(c, 0, 46);
                wr32(c, 0x02014b50u);
                wr16(c + 4, 20);
                wr16(c + 6, 20);
                memcpy(c + 8, lh + 6, 24); /* flags .. name length, same as the local header */
                wr32(c + 38, 0x81a40000u); /* external attributes: regular file, 0644 */
                wr32(c + 42, (uint32_t)off);
                memcpy(c + 46, name, (size_t)nl);
                cd_len += 46 + (size_t)nl;
                off += 30 + (uint64_t)nl + dlen;
            }
        }
        free(npy);
        free(comp);
    }
    if (rc == BB_OK) {
        unsigned char eocd[22];
        memset(eocd, 0, sizeof eocd);
        wr32(eocd, 0x06054b50u);
        wr16(eocd + 8, (uint32_t)n);
        wr16(eocd + 10, (uint32_t)n);
        wr32(eocd + 12, (uint32_t)cd_len);
        wr32(eocd + 16, (uint32_t)off);
        if ((cd_len && fwrite(cd, 1, cd_len, af.fp) != cd_len) || fwrite(eocd, 1, 22, af.fp) != 22)
            rc = BB_ERR(ctx, BB_EIO, "%s: write failed", path);
    }
    free(cd);
    if (rc) {
        bb_atomic_abort(&af);
        return rc;
    }
    return bb_atomic_commit(&af, ctx);
}
