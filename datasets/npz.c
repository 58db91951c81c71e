/* npz.c — .npz (zip) reader and writer; see npz.h for limits and what is refused.
 *
 * Zip structures used (PKWARE APPNOTE 6.3): end of central directory (EOCD,
 * 0x06054b50), ZIP64 EOCD locator (0x07064b50) and record (0x06064b50), central
 * directory file headers (0x02014b50) with the ZIP64 extra field (id 0x0001), local
 * file headers (0x04034b50). Sizes and offsets come from the central directory; the
 * local header is only used to find where a member's data starts. Not a general zip
 * library: no encryption, no methods but stored and deflate.
 */
#include "datasets/npz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void wr32(unsigned char *p, uint32_t v) {
    wr16(p, v & 0xffffu);
    wr16(p + 2, v >> 16);
}

/* ------------------------------------------------------------------ read -- */

/* Inflate raw deflate data src[0..clen) into exactly usize bytes at dst (capacity usize+1,
 * so output beyond the declared size is detected without inflating further). */
static int inflate_member(const unsigned char *src, size_t clen, unsigned char *dst, size_t usize, const char *what,
                          const char *member, bb_ctx *ctx) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return BB_ERR(ctx, BB_ENOMEM, "%s: %s: zlib init failed", what, member);
    size_t in_done = 0, out_done = 0, cap = usize + 1;
    int zrc = Z_OK, rc = BB_OK;
    while (zrc != Z_STREAM_END) {
        size_t in_chunk = clen - in_done > UINT32_MAX ? UINT32_MAX : clen - in_done;
        size_t out_chunk = cap - out_done > UINT32_MAX ? UINT32_MAX : cap - out_done;
        zs.next_in = (Bytef *)(uintptr_t)(src + in_done);
        zs.avail_in = (uInt)in_chunk;
        zs.next_out = dst + out_done;
        zs.avail_out = (uInt)out_chunk;
        zrc = inflate(&zs, Z_NO_FLUSH);
        in_done += in_chunk - zs.avail_in;
        out_done += out_chunk - zs.avail_out;
        if (out_done > usize) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: inflates beyond its declared size of %zu bytes (zip bomb?)", what,
                        member, usize);
            break;
        }
        if (zrc == Z_STREAM_END) break;
        if (zrc == Z_BUF_ERROR && in_done == clen) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: truncated deflate stream", what, member);
            break;
        }
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: corrupt deflate stream (%s)", what, member,
                        zs.msg ? zs.msg : "zlib error");
            break;
        }
    }
    inflateEnd(&zs);
    if (rc == BB_OK && out_done != usize)
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: inflated to %zu bytes, declared %zu", what, member, out_done, usize);
    return rc;
}

typedef struct cd_entry {
    uint32_t method, crc, flags;
    uint64_t csize, usize, offset;
    char name[256];
} cd_entry;

/* Parse one central directory header at p (avail bytes); advances *used. */
static int parse_cd_entry(const unsigned char *p, size_t avail, cd_entry *e, size_t *used, const char *what,
                          bb_ctx *ctx) {
    if (avail < 46 || rd32(p) != 0x02014b50u) return BB_ERR(ctx, BB_EFORMAT, "%s: corrupt zip central directory", what);
    e->flags = rd16(p + 8);
    e->method = rd16(p + 10);
    e->crc = rd32(p + 16);
    e->csize = rd32(p + 20);
    e->usize = rd32(p + 24);
    size_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
    uint32_t disk = rd16(p + 34);
    e->offset = rd32(p + 42);
    if (avail - 46 < nlen + xlen + clen) return BB_ERR(ctx, BB_EFORMAT, "%s: corrupt zip central directory", what);
    if (nlen == 0 || nlen >= sizeof e->name)
        return BB_ERR(ctx, BB_EFORMAT, "%s: zip member name of %zu bytes", what, nlen);
    memcpy(e->name, p + 46, nlen);
    e->name[nlen] = '\0';
    if (memchr(e->name, '\0', nlen)) return BB_ERR(ctx, BB_EFORMAT, "%s: NUL byte in a zip member name", what);
    /* ZIP64 extra: the fields that are 0xFFFFFFFF appear in order usize, csize, offset. */
    const unsigned char *x = p + 46 + nlen, *xend = x + xlen;
    while (xend - x >= 4) {
        uint32_t id = rd16(x), sz = rd16(x + 2);
        if ((size_t)(xend - x - 4) < sz) break;
        if (id == 0x0001) {
            const unsigned char *q = x + 4, *qend = q + sz;
            if (e->usize == 0xffffffffu) {
                if (qend - q < 8) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: bad ZIP64 field", what, e->name);
                e->usize = rd64(q);
                q += 8;
            }
            if (e->csize == 0xffffffffu) {
                if (qend - q < 8) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: bad ZIP64 field", what, e->name);
                e->csize = rd64(q);
                q += 8;
            }
            if (e->offset == 0xffffffffu) {
                if (qend - q < 8) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: bad ZIP64 field", what, e->name);
                e->offset = rd64(q);
            }
        }
        x += 4 + sz;
    }
    if (disk != 0 && disk != 0xffff)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: multi-disk zip archives are not supported", what);
    *used = 46 + nlen + xlen + clen;
    return BB_OK;
}

/* Locate the central directory: offset and entry count. */
static int find_cd(const unsigned char *b, size_t len, const char *what, uint64_t *cd_off, uint64_t *cd_size,
                   uint64_t *count, bb_ctx *ctx) {
    if (len < 22) return BB_ERR(ctx, BB_EFORMAT, "%s: not a zip archive (too short)", what);
    size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
    size_t pos = len - 22 + 1;
    int found = 0;
    while (pos-- > lo) {
        if (rd32(b + pos) == 0x06054b50u && pos + 22 + rd16(b + pos + 20) == len) {
            found = 1;
            break;
        }
    }
    if (!found) return BB_ERR(ctx, BB_EFORMAT, "%s: not a zip archive (no end of central directory)", what);
    const unsigned char *e = b + pos;
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: multi-disk zip archives are not supported", what);
    *count = rd16(e + 10);
    *cd_size = rd32(e + 12);
    *cd_off = rd32(e + 16);
    if (*count == 0xffff || *cd_size == 0xffffffffu || *cd_off == 0xffffffffu) {
        if (pos < 20 || rd32(b + pos - 20) != 0x07064b50u)
            return BB_ERR(ctx, BB_EFORMAT, "%s: ZIP64 end of central directory locator missing", what);
        uint64_t z64 = rd64(b + pos - 20 + 8);
        if (z64 > len || len - z64 < 56 || rd32(b + z64) != 0x06064b50u)
            return BB_ERR(ctx, BB_EFORMAT, "%s: corrupt ZIP64 end of central directory", what);
        *count = rd64(b + z64 + 32);
        *cd_size = rd64(b + z64 + 40);
        *cd_off = rd64(b + z64 + 48);
    }
    if (*cd_off > len || *cd_size > len - *cd_off)
        return BB_ERR(ctx, BB_EFORMAT, "%s: central directory outside the file", what);
    if (*count > BB_NPZ_MAX_MEMBERS)
        return BB_ERR(ctx, BB_ENOMEM, "%s: %llu members exceed the limit of %d", what, (unsigned long long)*count,
                      BB_NPZ_MAX_MEMBERS);
    return BB_OK;
}

static int read_member(const unsigned char *b, size_t len, const cd_entry *e, const char *what, size_t max_bytes,
                       bb_array *arr, bb_ctx *ctx) {
    if (e->flags & 1u)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %s: encrypted zip members are not supported", what, e->name);
    if (e->method != 0 && e->method != 8)
        return BB_ERR(ctx, BB_EUNSUPPORTED,
                      "%s: %s: zip compression method %u not supported "
                      "(stored or deflate only)",
                      what, e->name, (unsigned)e->method);
    if (e->usize > max_bytes)
        return BB_ERR(ctx, BB_ENOMEM, "%s: %s: declared size %llu exceeds the %zu-byte limit", what, e->name,
                      (unsigned long long)e->usize, max_bytes);
    if (e->offset > len || len - e->offset < 30 || rd32(b + e->offset) != 0x04034b50u)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: corrupt local file header", what, e->name);
    const unsigned char *lh = b + e->offset;
    uint64_t data_off = e->offset + 30 + rd16(lh + 26) + rd16(lh + 28);
    if (data_off > len || len - data_off < e->csize)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: member data truncated", what, e->name);
    const unsigned char *src = b + data_off;
    size_t usize = (size_t)e->usize;
    unsigned char *plain = NULL;
    const unsigned char *npy = src;
    if (e->method == 8) {
        plain = malloc(usize + 1);
        if (!plain) return BB_ERR(ctx, BB_ENOMEM, "%s: %s: out of memory", what, e->name);
        int rc = inflate_member(src, (size_t)e->csize, plain, usize, what, e->name, ctx);
        if (rc) {
            free(plain);
            return rc;
        }
        npy = plain;
    } else if (e->csize != e->usize) {
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: stored member with different sizes", what, e->name);
    }
    int rc = BB_OK;
    if ((uint32_t)crc32_z(0L, npy, usize) != e->crc)
        rc = BB_ERR(ctx, BB_EHASH, "%s: %s: CRC-32 mismatch", what, e->name);
    if (rc == BB_OK) {
        char label[512];
        snprintf(label, sizeof label, "%s: %s", what, e->name);
        rc = bb_npy_parse(npy, usize, label, max_bytes, arr, ctx);
    }
    free(plain);
    return rc;
}

int bb_npz_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_npz *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    int rc = find_cd(b, len, what, &cd_off, &cd_size, &count, ctx);
    if (rc) return rc;
    size_t m = (size_t)count;
    out->names = calloc(m ? m : 1, sizeof *out->names);
    out->arrays = calloc(m ? m : 1, sizeof *out->arrays);
    if (!out->names || !out->arrays) {
        bb_npz_free(out);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
    }
    size_t pos = (size_t)cd_off, end = (size_t)(cd_off + cd_size), total = 0;
    for (size_t i = 0; i < m; i++) {
        cd_entry e;
        size_t used = 0;
        rc = parse_cd_entry(b + pos, end - pos, &e, &used, what, ctx);
        if (rc) break;
        pos += used;
        size_t nl = strlen(e.name);
        if (nl < 5 || strcmp(e.name + nl - 4, ".npy") != 0) {
            rc = BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %s: member is not a .npy file", what, e.name);
            break;
        }
        rc = read_member(b, len, &e, what, max_bytes - total, &out->arrays[i], ctx);
        out->n = i + 1; /* so that free releases what was read */
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
    /* The compressed archive cannot usefully be larger than the data it may yield plus
     * per-member overhead; refuse anything beyond that before reading it. */
    size_t file_limit = max_bytes > SIZE_MAX - ((size_t)1 << 24) ? SIZE_MAX : max_bytes + ((size_t)1 << 24);
    int rc = bb_read_file(path, file_limit, &buf, &len, ctx);
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
