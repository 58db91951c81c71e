/* gz.c — whole-file gunzip with an output limit (see gz.h). */
#include "harness/core/gz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness/core/fileio.h"

int bb_gunzip_file(const char *path, size_t max_bytes, unsigned char **out, size_t *out_len, bb_ctx *ctx) {
    *out = NULL;
    *out_len = 0;
    char *in;
    size_t in_len;
    int rc = bb_read_file(path, max_bytes, &in, &in_len, ctx); /* gzip never shrinks below 1/1032 */
    if (rc) return rc;
    size_t cap = in_len * 4 + 1024, len = 0;
    if (cap > max_bytes + 1) cap = max_bytes + 1;
    unsigned char *buf = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!buf || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(in);
        free(buf);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    }
    size_t in_done = 0;
    rc = BB_OK;
    for (;;) {
        if (len == cap) {
            if (cap > max_bytes) {
                rc = BB_ERR(ctx, BB_ENOMEM, "%s: decompresses to more than the %zu-byte limit", path, max_bytes);
                break;
            }
            size_t nc = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            unsigned char *t = realloc(buf, nc);
            if (!t) {
                rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
                break;
            }
            buf = t;
            cap = nc;
        }
        size_t ic = in_len - in_done > UINT32_MAX ? UINT32_MAX : in_len - in_done;
        size_t oc = cap - len > UINT32_MAX ? UINT32_MAX : cap - len;
        zs.next_in = (Bytef *)in + in_done;
        zs.avail_in = (uInt)ic;
        zs.next_out = buf + len;
        zs.avail_out = (uInt)oc;
        int z = inflate(&zs, Z_NO_FLUSH);
        in_done += ic - zs.avail_in;
        len += oc - zs.avail_out;
        if (z == Z_STREAM_END) {
            if (in_done == in_len) break;
            if (inflateReset(&zs) != Z_OK) { /* next gzip member */
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: corrupt gzip stream", path);
                break;
            }
            continue;
        }
        if (z == Z_BUF_ERROR && in_done == in_len && len < cap) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated gzip stream", path);
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: corrupt gzip stream (%s)", path, zs.msg ? zs.msg : "zlib error");
            break;
        }
    }
    inflateEnd(&zs);
    free(in);
    if (rc == BB_OK && len > max_bytes)
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: decompresses to more than the %zu-byte limit", path, max_bytes);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return BB_OK;
}
