/* npy.c — the .npy reader/writer (see npy.h for what is and is not supported).
 *
 * Layout (numpy/lib/format.py): magic "\x93NUMPY", major, minor, header length
 * (uint16 LE for v1, uint32 LE for v2/v3), then an ASCII (v3: UTF-8) Python dict
 * literal {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } padded with
 * spaces and a final '\n', then the raw array bytes. The dict is parsed by a
 * small strict tokenizer here, not by a general Python-literal evaluator.
 */
#include "datasets/npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"

_Static_assert(sizeof(double) == 8 && sizeof(float) == 4, "IEEE-754 binary32/64 expected");

void bb_array_free(bb_array *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- header -- */

typedef struct npy_header {
    char kind; /* 'f', 'i', 'u', 'b' */
    int size;  /* bytes per element */
    int big_endian;
    int fortran;
    int ndim;
    size_t shape[BB_NPY_MAX_DIM];
    size_t n;
    char descr[8];
} npy_header;

typedef struct tok {
    const char *p, *end;
} tok;

static void skip_ws(tok *t) {
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r')) t->p++;
}

static int expect_char(tok *t, char c) {
    skip_ws(t);
    if (t->p < t->end && *t->p == c) {
        t->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('..' or ".."), no escapes (numpy never writes any in these keys). */
static int parse_str(tok *t, char *out, size_t cap) {
    skip_ws(t);
    if (t->p >= t->end || (*t->p != '\'' && *t->p != '"')) return 0;
    char q = *t->p++;
    size_t k = 0;
    while (t->p < t->end && *t->p != q) {
        if (*t->p == '\\' || k + 1 >= cap) return 0;
        out[k++] = *t->p++;
    }
    if (t->p >= t->end) return 0;
    t->p++;
    out[k] = '\0';
    return 1;
}

static int parse_size(tok *t, size_t *v) {
    skip_ws(t);
    if (t->p >= t->end || *t->p < '0' || *t->p > '9') return 0;
    size_t x = 0;
    while (t->p < t->end && *t->p >= '0' && *t->p <= '9') {
        size_t d = (size_t)(*t->p - '0');
        if (x > (SIZE_MAX - d) / 10) return 0;
        x = x * 10 + d;
        t->p++;
    }
    if (t->p < t->end && (*t->p == 'L' || *t->p == 'l')) t->p++; /* Python 2 longs */
    *v = x;
    return 1;
}

static int parse_descr(const char *d, npy_header *h) {
    size_t len = strlen(d);
    if (len < 3 || len > 4) return 0;
    char bo = d[0];
    if (bo != '<' && bo != '>' && bo != '|' && bo != '=') return 0;
    h->kind = d[1];
    char *endp;
    long sz = strtol(d + 2, &endp, 10);
    if (*endp != '\0') return 0;
    h->size = (int)sz;
    h->big_endian = bo == '>';
    if (bo == '=') {
        const uint16_t one = 1;
        h->big_endian = *(const unsigned char *)&one == 0;
    }
    snprintf(h->descr, sizeof h->descr, "%s", d);
    return 1;
}

static int dtype_supported(const npy_header *h) {
    switch (h->kind) {
        case 'f': return h->size == 4 || h->size == 8;
        case 'i':
        case 'u': return h->size == 1 || h->size == 2 || h->size == 4 || h->size == 8;
        case 'b': return h->size == 1;
        default: return 0;
    }
}

/* Parse the dict literal text[0..len). */
static int parse_dict(const char *text, size_t len, const char *what, npy_header *h, bb_ctx *ctx) {
    tok t = {text, text + len};
    int have_descr = 0, have_fortran = 0, have_shape = 0;
    if (!expect_char(&t, '{')) return BB_ERR(ctx, BB_EFORMAT, "%s: npy header is not a dict", what);
    for (;;) {
        if (expect_char(&t, '}')) break;
        char key[32];
        if (!parse_str(&t, key, sizeof key) || !expect_char(&t, ':'))
            return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: malformed key", what);
        if (strcmp(key, "descr") == 0) {
            char d[16];
            skip_ws(&t);
            if (t.p < t.end && *t.p == '[')
                return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: structured dtype not supported (plain numeric arrays only)",
                              what);
            if (!parse_str(&t, d, sizeof d) || !parse_descr(d, h))
                return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: malformed 'descr'", what);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            skip_ws(&t);
            if ((size_t)(t.end - t.p) >= 4 && memcmp(t.p, "True", 4) == 0) {
                h->fortran = 1;
                t.p += 4;
            } else if ((size_t)(t.end - t.p) >= 5 && memcmp(t.p, "False", 5) == 0) {
                h->fortran = 0;
                t.p += 5;
            } else {
                return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: 'fortran_order' is not True/False", what);
            }
            have_fortran = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (!expect_char(&t, '(')) return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: 'shape' is not a tuple", what);
            h->ndim = 0;
            for (;;) {
                if (expect_char(&t, ')')) break;
                size_t v;
                if (h->ndim >= BB_NPY_MAX_DIM)
                    return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: more than %d dimensions", what, BB_NPY_MAX_DIM);
                if (!parse_size(&t, &v)) return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: malformed 'shape'", what);
                h->shape[h->ndim++] = v;
                if (expect_char(&t, ')')) break;
                if (!expect_char(&t, ',')) return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: malformed 'shape'", what);
            }
            have_shape = 1;
        } else {
            return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: unknown key '%s'", what, key);
        }
        if (expect_char(&t, '}')) break;
        if (!expect_char(&t, ',')) return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: expected ',' or '}'", what);
    }
    skip_ws(&t);
    if (t.p != t.end) return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: junk after the dict", what);
    if (!have_descr || !have_fortran || !have_shape)
        return BB_ERR(ctx, BB_EFORMAT, "%s: npy header: missing %s", what,
                      !have_descr     ? "'descr'"
                      : !have_fortran ? "'fortran_order'"
                                      : "'shape'");
    if (!dtype_supported(h))
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: dtype '%s' not supported (float32/64, int, uint, bool only)", what,
                      h->descr);
    h->n = 1;
    for (int k = 0; k < h->ndim; k++) {
        if (h->shape[k] && h->n > SIZE_MAX / h->shape[k])
            return BB_ERR(ctx, BB_ENOMEM, "%s: declared shape overflows", what);
        h->n *= h->shape[k];
    }
    return BB_OK;
}

/* Parse the preamble + header of buf[0..len): fills h and the data offset. */
static int parse_preamble(const unsigned char *buf, size_t len, const char *what, size_t *hlen_out, size_t *pre_out,
                          bb_ctx *ctx) {
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return BB_ERR(ctx, BB_EFORMAT, "%s: not an npy file (bad magic)", what);
    int major = buf[6];
    size_t pre, hlen;
    if (major == 1) {
        pre = 10;
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    } else if (major == 2 || major == 3) {
        if (len < 12) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated npy preamble", what);
        pre = 12;
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    } else {
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: npy format version %d.%d not supported (1.0-3.0)", what, major,
                      buf[7]);
    }
    if (buf[7] != 0)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: npy format version %d.%d not supported (1.0-3.0)", what, major,
                      buf[7]);
    if (hlen > BB_NPY_MAX_HEADER)
        return BB_ERR(ctx, BB_EFORMAT, "%s: npy header of %zu bytes exceeds the %d-byte limit", what, hlen,
                      BB_NPY_MAX_HEADER);
    *hlen_out = hlen;
    *pre_out = pre;
    return BB_OK;
}

static int parse_header(const unsigned char *hdr, size_t hlen, const char *what, size_t max_bytes, npy_header *h,
                        bb_ctx *ctx) {
    memset(h, 0, sizeof *h);
    for (size_t k = 0; k < hlen; k++)
        if (hdr[k] == 0) return BB_ERR(ctx, BB_EFORMAT, "%s: NUL byte in npy header", what);
    int rc = parse_dict((const char *)hdr, hlen, what, h, ctx);
    if (rc) return rc;
    if (h->n > max_bytes / 8)
        return BB_ERR(ctx, BB_ENOMEM, "%s: array of %zu elements exceeds the %zu-byte limit", what, h->n, max_bytes);
    return BB_OK;
}

/* ------------------------------------------------------------ conversion -- */

static uint64_t load_uint(const unsigned char *p, int size, int big) {
    uint64_t v = 0;
    for (int k = 0; k < size; k++) {
        int idx = big ? k : size - 1 - k;
        v = v << 8 | p[idx];
    }
    return v;
}

static double elem_to_double(const unsigned char *p, const npy_header *h) {
    uint64_t u = load_uint(p, h->size, h->big_endian);
    switch (h->kind) {
        case 'f':
            if (h->size == 4) {
                uint32_t u32 = (uint32_t)u;
                float f;
                memcpy(&f, &u32, 4);
                return (double)f;
            } else {
                double d;
                memcpy(&d, &u, 8);
                return d;
            }
        case 'i': {
            int shift = 64 - 8 * h->size;
            /* sign-extend without implementation-defined shifts of negative values */
            uint64_t sign = (uint64_t)1 << (8 * h->size - 1);
            if (shift == 0) {
                int64_t s;
                memcpy(&s, &u, 8);
                return (double)s;
            }
            if (u & sign) return -(double)((sign << 1) - u);
            return (double)u;
        }
        case 'u': return (double)u;
        default: return u ? 1.0 : 0.0; /* 'b' */
    }
}

/* raw[0..n*size) → out (float64, row-major). */
static void convert(const unsigned char *raw, const npy_header *h, double *out) {
    size_t n = h->n;
    if (!h->fortran || h->ndim <= 1) {
        for (size_t i = 0; i < n; i++) out[i] = elem_to_double(raw + i * (size_t)h->size, h);
        return;
    }
    /* Fortran order: element with multi-index (i_0..i_{d-1}) sits at Σ i_k stride_k with
     * stride_0 = 1, stride_k = stride_{k-1} shape_{k-1}. Walk row-major with a counter. */
    size_t idx[BB_NPY_MAX_DIM] = {0}, stride[BB_NPY_MAX_DIM];
    int d = h->ndim;
    stride[0] = 1;
    for (int k = 1; k < d; k++) stride[k] = stride[k - 1] * h->shape[k - 1];
    size_t f = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = elem_to_double(raw + f * (size_t)h->size, h);
        for (int k = d - 1; k >= 0; k--) {
            idx[k]++;
            f += stride[k];
            if (idx[k] < h->shape[k]) break;
            f -= stride[k] * idx[k];
            idx[k] = 0;
        }
    }
}

static int fill_array(const npy_header *h, const unsigned char *raw, bb_array *out, bb_ctx *ctx, const char *what) {
    double *data = malloc((h->n ? h->n : 1) * sizeof *data);
    if (!data) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu elements", what, h->n);
    convert(raw, h, data);
    out->ndim = h->ndim;
    for (int k = 0; k < h->ndim; k++) out->shape[k] = h->shape[k];
    out->n = h->n;
    out->data = data;
    snprintf(out->dtype, sizeof out->dtype, "%s", h->descr);
    return BB_OK;
}

/* ----------------------------------------------------------------- read -- */

int bb_npy_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_array *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    size_t hlen, pre;
    int rc = parse_preamble(b, len, what, &hlen, &pre, ctx);
    if (rc) return rc;
    if (len - pre < hlen) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated npy header", what);
    npy_header h;
    rc = parse_header(b + pre, hlen, what, max_bytes, &h, ctx);
    if (rc) return rc;
    size_t off = pre + hlen, need = h.n * (size_t)h.size; /* n ≤ max_bytes/8: no overflow */
    if (len - off < need)
        return BB_ERR(ctx, BB_EFORMAT, "%s: truncated data: %zu of %zu bytes present", what, len - off, need);
    if (len - off > need)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %zu unexpected bytes after the array data", what, len - off - need);
    return fill_array(&h, b + off, out, ctx, what);
}

int bb_npy_read(const char *path, size_t max_bytes, bb_array *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    unsigned char pre_buf[12];
    unsigned char *hdr = NULL, *raw = NULL;
    int rc = BB_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp) return BB_ERR(ctx, errno == ENOENT ? BB_ENOTFOUND : BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(pre_buf, 1, 12, fp), hlen, pre;
    rc = parse_preamble(pre_buf, got, path, &hlen, &pre, ctx);
    if (rc) goto out;
    if (fseek(fp, (long)pre, SEEK_SET) != 0) {
        rc = BB_ERR(ctx, BB_EIO, "%s: seek failed", path);
        goto out;
    }
    hdr = malloc(hlen ? hlen : 1);
    if (!hdr) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (fread(hdr, 1, hlen, fp) != hlen) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated npy header", path);
        goto out;
    }
    npy_header h;
    rc = parse_header(hdr, hlen, path, max_bytes, &h, ctx);
    if (rc) goto out;
    size_t need = h.n * (size_t)h.size;
    raw = malloc(need ? need : 1);
    if (!raw) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu bytes", path, need);
        goto out;
    }
    size_t have = fread(raw, 1, need, fp);
    if (have != need) {
        rc = ferror(fp) ? BB_ERR(ctx, BB_EIO, "%s: read error", path)
                        : BB_ERR(ctx, BB_EFORMAT, "%s: truncated data: %zu of %zu bytes present", path, have, need);
        goto out;
    }
    if (fgetc(fp) != EOF) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: unexpected bytes after the array data", path);
        goto out;
    }
    rc = fill_array(&h, raw, out, ctx, path);
out:
    free(hdr);
    free(raw);
    fclose(fp);
    return rc;
}

int bb_npy_read_samples(const char *path, size_t max_bytes, bb_samples *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    bb_array a;
    int rc = bb_npy_read(path, max_bytes, &a, ctx);
    if (rc) return rc;
    if (a.ndim < 1) {
        bb_array_free(&a);
        return BB_ERR(ctx, BB_EFORMAT, "%s: expected an array of configurations, got a scalar", path);
    }
    size_t n = a.shape[0], dof = 1;
    for (int k = 1; k < a.ndim; k++) dof *= a.shape[k];
    out->n = n;
    out->dof = dof;
    out->x = a.data; /* ownership moves to the samples */
    out->logw = NULL;
    a.data = NULL;
    return BB_OK;
}

/* ---------------------------------------------------------------- write -- */

int bb_npy_encode(const double *data, int ndim, const size_t *shape, unsigned char **out, size_t *out_len,
                  bb_ctx *ctx) {
    return bb_npy_encode_as(data, ndim, shape, 0, out, out_len, ctx);
}

int bb_npy_encode_as(const double *data, int ndim, const size_t *shape, int f32, unsigned char **out, size_t *out_len,
                     bb_ctx *ctx) {
    size_t w = f32 ? 4 : 8;
    *out = NULL;
    *out_len = 0;
    if (ndim < 0 || ndim > BB_NPY_MAX_DIM)
        return BB_ERR(ctx, BB_EINVAL, "npy: ndim %d outside 0..%d", ndim, BB_NPY_MAX_DIM);
    size_t n = 1;
    for (int k = 0; k < ndim; k++) {
        if (shape[k] && n > SIZE_MAX / 8 / shape[k]) return BB_ERR(ctx, BB_ENOMEM, "npy: shape overflows");
        n *= shape[k];
    }
    if (n && !data) return BB_ERR(ctx, BB_EINVAL, "npy: data is NULL");
    char dict[BB_NPY_MAX_DIM * 24 + 128];
    int pos = snprintf(dict, sizeof dict, "{'descr': '<f%zu', 'fortran_order': False, 'shape': (", w);
    for (int k = 0; k < ndim; k++)
        pos += snprintf(dict + pos, sizeof dict - (size_t)pos, k ? " %zu," : "%zu,", shape[k]);
    if (ndim > 1) pos--; /* numpy writes "(3,)" for 1-D but "(3, 4)" for 2-D */
    pos += snprintf(dict + pos, sizeof dict - (size_t)pos, "), }");
    size_t hlen = (size_t)pos + 1; /* + '\n' */
    size_t total_hdr = 10 + hlen;
    size_t pad = (64 - total_hdr % 64) % 64;
    hlen += pad;
    size_t len = 10 + hlen + n * w;
    unsigned char *b = malloc(len);
    if (!b) return BB_ERR(ctx, BB_ENOMEM, "npy: out of memory for %zu bytes", len);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
    memcpy(b + 10, dict, (size_t)pos);
    memset(b + 10 + pos, ' ', pad);
    b[10 + hlen - 1] = '\n';
    unsigned char *p = b + 10 + hlen;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        if (f32) {
            float f = (float)data[i];
            uint32_t u32;
            memcpy(&u32, &f, 4);
            u = u32;
        } else {
            memcpy(&u, &data[i], 8);
        }
        for (size_t k = 0; k < w; k++) p[w * i + k] = (unsigned char)(u >> (8 * k));
    }
    *out = b;
    *out_len = len;
    return BB_OK;
}

int bb_npy_write(const char *path, const double *data, int ndim, const size_t *shape, bb_ctx *ctx) {
    unsigned char *buf;
    size_t len;
    int rc = bb_npy_encode(data, ndim, shape, &buf, &len, ctx);
    if (rc) {
        bb_ctx_prefix(ctx, "%s", path);
        return rc;
    }
    rc = bb_write_file_atomic(path, buf, len, ctx);
    free(buf);
    return rc;
}
