/* zip.c — central directory walk and member extraction of zip archives; see zip.h.
 *
 * Zip structures used (PKWARE APPNOTE 6.3): end of central directory (EOCD,
 * 0x06054b50), ZIP64 EOCD locator (0x07064b50) and record (0x06064b50), central
 * directory file headers (0x02014b50) with the ZIP64 extra field (id 0x0001), local
 * file headers (0x04034b50). Sizes and offsets come from the central directory; the
 * local header is only used to find where a member's data starts.
 */
#include "datasets/zip.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness/core/fileio.h"

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

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

/* Parse one central directory header at p (avail bytes); advances *used. */
static int parse_cd_entry(const unsigned char *p, size_t avail, bb_zip_entry *e, size_t *used, const char *what,
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
    if (*count > BB_ZIP_MAX_MEMBERS)
        return BB_ERR(ctx, BB_ENOMEM, "%s: %llu members exceed the limit of %d", what, (unsigned long long)*count,
                      BB_ZIP_MAX_MEMBERS);
    return BB_OK;
}

int bb_zip_open(bb_zip *z, const void *buf, size_t len, const char *what, bb_ctx *ctx) {
    memset(z, 0, sizeof *z);
    z->b = buf;
    z->len = len;
    z->what = what;
    uint64_t cd_off = 0, cd_size = 0;
    int rc = find_cd(z->b, len, what, &cd_off, &cd_size, &z->count, ctx);
    if (rc) return rc;
    z->pos = (size_t)cd_off;
    z->end = (size_t)(cd_off + cd_size);
    return BB_OK;
}

int bb_zip_next(bb_zip *z, bb_zip_entry *e, int *done, bb_ctx *ctx) {
    *done = z->next >= z->count;
    if (*done) return BB_OK;
    size_t used = 0;
    int rc = parse_cd_entry(z->b + z->pos, z->end - z->pos, e, &used, z->what, ctx);
    if (rc) return rc;
    z->pos += used;
    z->next++;
    return BB_OK;
}

int bb_zip_extract(const bb_zip *z, const bb_zip_entry *e, size_t max_bytes, const unsigned char **data,
                   unsigned char **owned, bb_ctx *ctx) {
    const unsigned char *b = z->b;
    size_t len = z->len;
    const char *what = z->what;
    *data = NULL;
    *owned = NULL;
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
    const unsigned char *plain_data = src;
    if (e->method == 8) {
        plain = malloc(usize + 1);
        if (!plain) return BB_ERR(ctx, BB_ENOMEM, "%s: %s: out of memory", what, e->name);
        int rc = inflate_member(src, (size_t)e->csize, plain, usize, what, e->name, ctx);
        if (rc) {
            free(plain);
            return rc;
        }
        plain_data = plain;
    } else if (e->csize != e->usize) {
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: stored member with different sizes", what, e->name);
    }
    if ((uint32_t)crc32_z(0L, plain_data, usize) != e->crc) {
        free(plain);
        return BB_ERR(ctx, BB_EHASH, "%s: %s: CRC-32 mismatch", what, e->name);
    }
    *data = plain_data;
    *owned = plain;
    return BB_OK;
}

int bb_zip_read_archive(const char *path, size_t max_bytes, char **buf, size_t *len, bb_ctx *ctx) {
    size_t file_limit = max_bytes > SIZE_MAX - ((size_t)1 << 24) ? SIZE_MAX : max_bytes + ((size_t)1 << 24);
    return bb_read_file(path, file_limit, buf, len, ctx);
}
