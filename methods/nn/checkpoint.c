/* checkpoint.c — save / load a parameter group with optional Adam and EMA state in a
 * versioned binary format with a magic, a byte-order mark and a zlib crc32 trailer
 * (layout in nn.h). Writes are atomic (harness/core/fileio.h).
 *
 * Loading checks, in order: size, magic, version, byte order, crc, dtype, parameter
 * count, then each parameter's name and shape, and names the first mismatch (llm.c's
 * checkpoint header habit, with a hint). Nothing is modified until everything checks
 * out. Not here: what a method stores besides the network (its own files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/fileio.h"
#include "methods/nn/nn_internal.h"

static const char MAGIC[8] = {'B', 'B', 'N', 'N', 'C', 'K', 'P', 'T'};
#define CKPT_BOM       0x01020304u
#define CKPT_MAX_BYTES ((size_t)1 << 36)

static void put_u32(bb_buf *b, uint32_t v) { bb_buf_put(b, &v, 4); }
static void put_i64(bb_buf *b, int64_t v) { bb_buf_put(b, &v, 8); }
static void put_f64(bb_buf *b, double v) { bb_buf_put(b, &v, 8); }

int bb_nn_checkpoint_encode(const bb_nn_params *ps, const bb_nn_adam *opt, const bb_nn_ema *ema, const char *path,
                            unsigned char **buf, size_t *len, bb_ctx *ctx) {
    *buf = NULL;
    *len = 0;
    if (!ps->allocated) return BB_ERR(ctx, BB_EINVAL, "%s: parameter group not allocated", path);
    if ((opt && opt->n != ps->total) || (ema && ema->n != ps->total))
        return BB_ERR(ctx, BB_EINVAL, "%s: optimizer or EMA state does not match the parameters", path);
    bb_buf b = {0};
    bb_buf_put(&b, MAGIC, 8);
    put_u32(&b, BB_NN_CKPT_VERSION);
    put_u32(&b, CKPT_BOM);
    put_u32(&b, (uint32_t)ps->dtype);
    put_u32(&b, (uint32_t)ps->n);
    put_u32(&b, (opt ? 1u : 0u) | (ema ? 2u : 0u));
    put_i64(&b, (int64_t)ps->total);
    for (int k = 0; k < ps->n; k++) {
        const bb_nn_param_info *p = &ps->info[k];
        uint32_t len = (uint32_t)strlen(p->name);
        put_u32(&b, len);
        bb_buf_put(&b, p->name, len);
        put_u32(&b, (uint32_t)p->ndim);
        for (int i = 0; i < BB_NN_MAX_DIMS; i++) put_i64(&b, p->ne[i]);
    }
    bb_buf_put(&b, ps->data, ps->total * bb_nn_dtype_size(ps->dtype));
    if (opt) {
        put_i64(&b, opt->t);
        put_f64(&b, opt->beta1);
        put_f64(&b, opt->beta2);
        put_f64(&b, opt->eps);
        put_f64(&b, opt->weight_decay);
        put_u32(&b, (uint32_t)opt->decoupled);
        bb_buf_put(&b, opt->m, sizeof(double) * opt->n);
        bb_buf_put(&b, opt->v, sizeof(double) * opt->n);
    }
    if (ema) {
        put_f64(&b, ema->decay);
        bb_buf_put(&b, ema->shadow, sizeof(double) * ema->n);
    }
    put_u32(&b, b.oom ? 0u : bb_crc32(b.p, b.len));
    if (b.oom) {
        free(b.p);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory building the checkpoint", path);
    }
    *buf = (unsigned char *)b.p;
    *len = b.len;
    return BB_OK;
}

int bb_nn_checkpoint_save(const char *path, const bb_nn_params *ps, const bb_nn_adam *opt, const bb_nn_ema *ema,
                          bb_ctx *ctx) {
    unsigned char *buf;
    size_t len;
    int rc = bb_nn_checkpoint_encode(ps, opt, ema, path, &buf, &len, ctx);
    if (rc) return rc;
    rc = bb_write_file_atomic(path, buf, len, ctx);
    free(buf);
    return rc;
}

int bb_nn_checkpoint_load(const char *path, bb_nn_params *ps, bb_nn_adam *opt, bb_nn_ema *ema, bb_ctx *ctx) {
    char *data = NULL;
    size_t len = 0;
    int rc = bb_read_file(path, CKPT_MAX_BYTES, &data, &len, ctx);
    if (rc < 0) return rc;
    rc = bb_nn_checkpoint_decode(data, len, path, ps, opt, ema, ctx);
    free(data);
    return rc;
}

int bb_nn_checkpoint_decode(const void *buf, size_t len, const char *path, bb_nn_params *ps, bb_nn_adam *opt,
                            bb_nn_ema *ema, bb_ctx *ctx) {
    const char *data = buf;
    int rc;
    bb_bytes r = {(const unsigned char *)data, len, 0};
    char magic[8];
    uint32_t version = 0, bom = 0, dtype = 0, n = 0, flags = 0, crc_file = 0;
    int64_t total = 0;
    if (len < 8 + 4 * 6 + 8 + 4 || !bb_bytes_get(&r, magic, 8) || memcmp(magic, MAGIC, 8) != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: not a boltzbench nn checkpoint (bad magic)", path);
        goto out;
    }
    bb_bytes_get(&r, &version, 4);
    bb_bytes_get(&r, &bom, 4);
    if (version != BB_NN_CKPT_VERSION) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: checkpoint version %u, this build reads %d "
                    "(HINT: re-save it with the matching boltzbench)",
                    path, version, BB_NN_CKPT_VERSION);
        goto out;
    }
    if (bom != CKPT_BOM) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: written on a machine of other byte order", path);
        goto out;
    }
    memcpy(&crc_file, data + len - 4, 4);
    if (bb_crc32((const unsigned char *)data, len - 4) != crc_file) {
        rc = BB_ERR(ctx, BB_EHASH, "%s: crc32 mismatch (file corrupted or truncated)", path);
        goto out;
    }
    r.len = len - 4;
    bb_bytes_get(&r, &dtype, 4);
    bb_bytes_get(&r, &n, 4);
    bb_bytes_get(&r, &flags, 4);
    bb_bytes_get(&r, &total, 8);
    if (dtype != (uint32_t)ps->dtype) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: architecture mismatch: file holds %s parameters, the "
                    "network is %s",
                    path, dtype < BB_NN_DTYPE_COUNT ? BB_NN_DTYPE_NAME[dtype] : "?", BB_NN_DTYPE_NAME[ps->dtype]);
        goto out;
    }
    if (n != (uint32_t)ps->n || total != (int64_t)ps->total) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: architecture mismatch: file has %u parameters "
                    "(%lld values), the network %d (%zu values)",
                    path, n, (long long)total, ps->n, ps->total);
        goto out;
    }
    for (int k = 0; k < ps->n; k++) {
        const bb_nn_param_info *p = &ps->info[k];
        uint32_t nl = 0, nd = 0;
        char name[sizeof p->name];
        int64_t ne[BB_NN_MAX_DIMS] = {0, 0, 0, 0};
        if (!bb_bytes_get(&r, &nl, 4) || nl >= sizeof name || !bb_bytes_get(&r, name, nl)) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated parameter table", path);
            goto out;
        }
        name[nl] = '\0';
        int shape_ok = bb_bytes_get(&r, &nd, 4) && nd == (uint32_t)p->ndim;
        for (int i = 0; i < BB_NN_MAX_DIMS; i++) shape_ok &= bb_bytes_get(&r, &ne[i], 8) && ne[i] == p->ne[i];
        if (strcmp(name, p->name) != 0 || !shape_ok) {
            rc = BB_ERR(ctx, BB_EFORMAT,
                        "%s: architecture mismatch at parameter %d: file has "
                        "'%s' [%lld,%lld,%lld,%lld], the network '%s' [%lld,%lld,%lld,%lld]",
                        path, k, name, (long long)ne[0], (long long)ne[1], (long long)ne[2], (long long)ne[3], p->name,
                        (long long)p->ne[0], (long long)p->ne[1], (long long)p->ne[2], (long long)p->ne[3]);
            goto out;
        }
    }
    const size_t vbytes = ps->total * bb_nn_dtype_size(ps->dtype);
    const unsigned char *vals = r.p + r.off;
    if (r.len - r.off < vbytes) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated values", path);
        goto out;
    }
    r.off += vbytes;
    /* optional sections: parse all before touching anything */
    int64_t t = 0;
    double hp[4] = {0}, decay = 0;
    uint32_t dec = 0;
    const unsigned char *mv = NULL, *sh = NULL;
    const size_t dbytes = sizeof(double) * ps->total;
    if (flags & 1u) {
        if (!bb_bytes_get(&r, &t, 8) || !bb_bytes_get(&r, hp, 32) || !bb_bytes_get(&r, &dec, 4) ||
            r.len - r.off < 2 * dbytes) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated Adam state", path);
            goto out;
        }
        mv = r.p + r.off;
        r.off += 2 * dbytes;
    }
    if (flags & 2u) {
        if (!bb_bytes_get(&r, &decay, 8) || r.len - r.off < dbytes) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated EMA state", path);
            goto out;
        }
        sh = r.p + r.off;
        r.off += dbytes;
    }
    if (r.off != r.len) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %zu unexpected trailing bytes", path, r.len - r.off);
        goto out;
    }
    if ((opt && !mv) || (ema && !sh)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: no %s state in this checkpoint", path, opt && !mv ? "Adam" : "EMA");
        goto out;
    }
    if ((opt && opt->n != ps->total) || (ema && ema->n != ps->total)) {
        rc = BB_ERR(ctx, BB_EINVAL, "%s: optimizer or EMA not initialised for these parameters", path);
        goto out;
    }
    memcpy(ps->data, vals, vbytes);
    if (opt) {
        opt->t = t;
        opt->beta1 = hp[0];
        opt->beta2 = hp[1];
        opt->eps = hp[2];
        opt->weight_decay = hp[3];
        opt->decoupled = (int)dec;
        memcpy(opt->m, mv, dbytes);
        memcpy(opt->v, mv + dbytes, dbytes);
    }
    if (ema) {
        ema->decay = decay;
        memcpy(ema->shadow, sh, dbytes);
    }
    rc = BB_OK;
out:
    return rc;
}

#define BB_NN_CKPT_RECORD_MAX ((uint64_t)1 << 36)

int bb_nn_checkpoint_put(FILE *fp, const bb_nn_params *ps, const bb_nn_adam *opt, const bb_nn_ema *ema,
                         const char *what, bb_ctx *ctx) {
    unsigned char *buf;
    size_t len;
    int rc = bb_nn_checkpoint_encode(ps, opt, ema, what, &buf, &len, ctx);
    if (rc) return rc;
    const uint64_t n = len;
    const int ok = fwrite(&n, sizeof n, 1, fp) == 1 && fwrite(buf, 1, len, fp) == len;
    free(buf);
    return ok ? BB_OK : BB_ERR(ctx, BB_EIO, "%s: cannot write the network record", what);
}

int bb_nn_checkpoint_get(FILE *fp, bb_nn_params *ps, bb_nn_adam *opt, bb_nn_ema *ema, const char *what, bb_ctx *ctx) {
    uint64_t n;
    if (fread(&n, sizeof n, 1, fp) != 1 || n == 0 || n > BB_NN_CKPT_RECORD_MAX)
        return BB_ERR(ctx, BB_EFORMAT, "%s: corrupt network record", what);
    unsigned char *buf = malloc((size_t)n);
    if (!buf) return BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate %llu bytes", what, (unsigned long long)n);
    int rc = fread(buf, 1, (size_t)n, fp) == (size_t)n
                 ? bb_nn_checkpoint_decode(buf, (size_t)n, what, ps, opt, ema, ctx)
                 : BB_ERR(ctx, BB_EFORMAT, "%s: truncated network record", what);
    free(buf);
    return rc;
}
