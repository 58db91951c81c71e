/* ops_shape.c — reductions and data movement: sum_to / broadcast_to (each the other's
 * gradient), sum, mean, reshape (a view), 4-D permute, column concat / slice / pad, and
 * the composite softmax, logsumexp and MSE built from recorded ops.
 *
 * Reductions accumulate in double. Reductions to few outputs split the input into
 * NN_RED_CHUNKS fixed chunks whose partial sums are combined in order, so results do
 * not depend on the number of threads. Not here: elementwise maths (ops_elem.c),
 * matrix products (ops_matmul.c), indexed rows (ops_index.c).
 */
#include <stdlib.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

/* ------------------------------------------------------------ sum_to */

static int target_ok(bb_nn_graph *g, const char *op, const bb_nn_tensor *big, int ndim, const int64_t *shape) {
    if (ndim < 1 || ndim > big->ndim) goto bad;
    for (int i = 0; i < ndim; i++) {
        int64_t e = big->ne[big->ndim - ndim + i];
        if (shape[i] != e && shape[i] != 1) goto bad;
    }
    return 1;
bad:;
    char s[64];
    NN_FAIL(g, BB_EINVAL, "nn %s: target shape is not a broadcast of %s", op, nn_shape_str(big, s, sizeof s));
    return 0;
}

bb_nn_tensor *bb_nn_sum_to(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape) {
    if (!a || nn_failed(g) || !target_ok(g, "sum_to", a, ndim, shape)) return NULL;
    bb_nn_tensor *t = nn_new(g, a->dtype, ndim, shape);
    if (!t) return NULL;
    int64_t i4[4], o4[4], so[4];
    nn_pad4(a, i4);
    nn_pad4(t, o4);
    nn_bstrides(t, i4, so); /* where each input element lands in the output */
    const int64_t C = i4[3], R = a->n / C;
    int lead_only = so[3] == 1, last_only = so[3] == 0 && t->n == R, all = t->n == 1;
    for (int k = 0; k < 3; k++)
        if (so[k] != 0 && i4[k] != 1) lead_only = 0;
    NN_DISPATCH(a->dtype, {
        const real *x = a->data;
        real *y = t->data;
        if (all || lead_only) { /* [R, C] -> [C] or [1]: fixed chunks of rows */
            const int64_t W = all ? 1 : C;
            double *part = nn_alloc(g, sizeof(double) * (size_t)(NN_RED_CHUNKS * W));
            if (!part) return NULL;
            const int64_t nn_ = a->n;
            NN_PAR_FOR(
                nn_threads(g), nn_ > NN_PAR_MIN, for (int ch = 0; ch < NN_RED_CHUNKS; ch++), double *p = part + ch * W;
                for (int64_t c = 0; c < W; c++) p[c] = 0.0;
                int64_t r0 = R * ch / NN_RED_CHUNKS, r1 = R * (ch + 1) / NN_RED_CHUNKS;
                for (int64_t r = r0; r < r1; r++) {
                    const real *xr = x + r * C;
                    if (all)
                        for (int64_t c = 0; c < C; c++) p[0] += xr[c];
                    else
                        for (int64_t c = 0; c < C; c++) p[c] += xr[c];
                });
            for (int64_t c = 0; c < W; c++) {
                double s = 0.0;
                for (int ch = 0; ch < NN_RED_CHUNKS; ch++) s += part[ch * W + c];
                y[c] = (real)s;
            }
        } else if (last_only) { /* [R, C] -> [R, 1] */
            const int64_t nn_ = a->n;
            NN_PAR_FOR(nn_threads(g), nn_ > NN_PAR_MIN, for (int64_t r = 0; r < R; r++), double s = 0.0;
                       for (int64_t c = 0; c < C; c++) s += x[r * C + c]; y[r] = (real)s;);
        } else { /* general: one sequential pass, double accumulators */
            double *acc = nn_alloc(g, sizeof(double) * (size_t)t->n);
            if (!acc) return NULL;
            memset(acc, 0, sizeof(double) * (size_t)t->n);
            int64_t i = 0;
            for (int64_t i0 = 0; i0 < i4[0]; i0++)
                for (int64_t i1 = 0; i1 < i4[1]; i1++)
                    for (int64_t i2 = 0; i2 < i4[2]; i2++)
                        for (int64_t i3 = 0; i3 < i4[3]; i3++)
                            acc[i0 * so[0] + i1 * so[1] + i2 * so[2] + i3 * so[3]] += x[i++];
            for (int64_t k = 0; k < t->n; k++) y[k] = (real)acc[k];
        }
    });
    return nn_record(g, t, BB_NN_OP_SUM_TO, a, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_broadcast_to(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape) {
    if (!a || nn_failed(g)) return NULL;
    bb_nn_tensor *t = nn_new(g, a->dtype, ndim, shape);
    if (!t) return NULL;
    if (!target_ok(g, "broadcast_to", t, a->ndim, a->ne)) return NULL;
    int64_t o4[4], sa[4];
    nn_pad4(t, o4);
    nn_bstrides(a, o4, sa);
    const int64_t C = o4[3], R = t->n / C, ntot = t->n;
    NN_DISPATCH(a->dtype, {
        const real *x = a->data;
        real *y = t->data;
        NN_PAR_FOR(nn_threads(g), ntot > NN_PAR_MIN, for (int64_t r = 0; r < R; r++), int64_t i2 = r % o4[2],
                   i1 = (r / o4[2]) % o4[1], i0 = r / (o4[2] * o4[1]);
                   const real *xr = x + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                   for (int64_t c = 0; c < C; c++) y[r * C + c] = xr[c * sa[3]];);
    });
    return nn_record(g, t, BB_NN_OP_BROADCAST_TO, a, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_sum(bb_nn_graph *g, bb_nn_tensor *a) { return bb_nn_sum_to(g, a, 1, (const int64_t[]){1}); }

bb_nn_tensor *bb_nn_mean(bb_nn_graph *g, bb_nn_tensor *a) {
    if (!a) return NULL;
    return bb_nn_scale(g, bb_nn_sum(g, a), 1.0 / (double)a->n, 0.0);
}

bb_nn_tensor *bb_nn_sum_cols(bb_nn_graph *g, bb_nn_tensor *a) {
    if (!a) return NULL;
    int64_t s[4];
    memcpy(s, a->ne, sizeof s);
    s[a->ndim - 1] = 1;
    return bb_nn_sum_to(g, a, a->ndim, s);
}

bb_nn_tensor *bb_nn_mean_cols(bb_nn_graph *g, bb_nn_tensor *a) {
    if (!a) return NULL;
    return bb_nn_scale(g, bb_nn_sum_cols(g, a), 1.0 / (double)bb_nn_cols(a), 0.0);
}

/* ------------------------------------------------------------ movement */

bb_nn_tensor *bb_nn_reshape(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape) {
    if (!a || nn_failed(g)) return NULL;
    bb_nn_tensor *t = nn_view(g, a, ndim, shape);
    if (!t) return NULL;
    if (t->n != a->n) {
        char s[64];
        return NN_FAIL(g, BB_EINVAL, "nn reshape: %lld elements of %s cannot take %lld", (long long)a->n,
                       nn_shape_str(a, s, sizeof s), (long long)t->n);
    }
    return nn_record(g, t, BB_NN_OP_RESHAPE, a, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_permute(bb_nn_graph *g, bb_nn_tensor *a, const int perm[4]) {
    if (!a || nn_failed(g)) return NULL;
    int seen[4] = {0}, lead = 4 - a->ndim;
    for (int k = 0; k < 4; k++) {
        if (perm[k] < 0 || perm[k] > 3 || seen[perm[k]]++ || (k < lead && perm[k] != k))
            return NN_FAIL(g, BB_EINVAL,
                           "nn permute: (%d,%d,%d,%d) is not a permutation of "
                           "the last %d axes",
                           perm[0], perm[1], perm[2], perm[3], a->ndim);
    }
    int64_t i4[4], o4[4], st[4], s = 1;
    nn_pad4(a, i4);
    for (int k = 3; k >= 0; k--) {
        st[k] = s;
        s *= i4[k];
    }
    for (int k = 0; k < 4; k++) o4[k] = i4[perm[k]];
    bb_nn_tensor *t = nn_new(g, a->dtype, a->ndim, o4 + lead);
    if (!t) return NULL;
    const int64_t s0 = st[perm[0]], s1 = st[perm[1]], s2 = st[perm[2]], s3 = st[perm[3]];
    const int64_t R = o4[0] * o4[1] * o4[2], ntot = t->n;
    NN_DISPATCH(a->dtype, {
        const real *x = a->data;
        real *y = t->data;
        NN_PAR_FOR(nn_threads(g), ntot > NN_PAR_MIN, for (int64_t r = 0; r < R; r++), int64_t j2 = r % o4[2],
                   j1 = (r / o4[2]) % o4[1], j0 = r / (o4[2] * o4[1]);
                   const real *xr = x + j0 * s0 + j1 * s1 + j2 * s2;
                   for (int64_t c = 0; c < o4[3]; c++) y[r * o4[3] + c] = xr[c * s3];);
    });
    for (int k = 0; k < 4; k++) t->ip[k] = perm[k];
    return nn_record(g, t, BB_NN_OP_PERMUTE, a, NULL, NULL, NULL);
}

/* Copy cols [0, ka) of rows of a into cols [c0, c0+ka) of y (width ky), zero the rest
 * when `zero`. */
static void copy_cols(int nt, bb_nn_dtype dt, const void *a, int64_t ka, int64_t a0, void *y, int64_t ky, int64_t c0,
                      int64_t w, int64_t R) {
    const int64_t ntot = R * w;
    NN_DISPATCH(dt, {
        const real *x = a;
        real *o = y;
        NN_PAR_FOR(nt, ntot > NN_PAR_MIN, for (int64_t r = 0; r < R; r++),
                   memcpy(o + r * ky + c0, x + r * ka + a0, sizeof(real) * (size_t)w););
    });
}

static int same_rows(const bb_nn_tensor *a, const bb_nn_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i + 1 < a->ndim; i++)
        if (a->ne[i] != b->ne[i]) return 0;
    return 1;
}

bb_nn_tensor *bb_nn_concat_cols(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b) {
    if (!a || !b || nn_failed(g) || !nn_check_dtype(g, "concat", a, b)) return NULL;
    if (!same_rows(a, b)) {
        char sa[64], sb[64];
        return NN_FAIL(g, BB_EINVAL, "nn concat: rows of %s and %s differ", nn_shape_str(a, sa, 64),
                       nn_shape_str(b, sb, 64));
    }
    int64_t s[4], ka = bb_nn_cols(a), kb = bb_nn_cols(b), R = bb_nn_rows(a);
    memcpy(s, a->ne, sizeof s);
    s[a->ndim - 1] = ka + kb;
    bb_nn_tensor *t = nn_new(g, a->dtype, a->ndim, s);
    if (!t) return NULL;
    copy_cols(nn_threads(g), a->dtype, a->data, ka, 0, t->data, ka + kb, 0, ka, R);
    copy_cols(nn_threads(g), a->dtype, b->data, kb, 0, t->data, ka + kb, ka, kb, R);
    return nn_record(g, t, BB_NN_OP_CONCAT, a, b, NULL, NULL);
}

bb_nn_tensor *bb_nn_slice_cols(bb_nn_graph *g, bb_nn_tensor *a, int64_t c0, int64_t c1) {
    if (!a || nn_failed(g)) return NULL;
    int64_t ka = bb_nn_cols(a), R = bb_nn_rows(a), s[4];
    if (c0 < 0 || c1 > ka || c0 >= c1)
        return NN_FAIL(g, BB_EINVAL, "nn slice: cols [%lld, %lld) outside [0, %lld)", (long long)c0, (long long)c1,
                       (long long)ka);
    memcpy(s, a->ne, sizeof s);
    s[a->ndim - 1] = c1 - c0;
    bb_nn_tensor *t = nn_new(g, a->dtype, a->ndim, s);
    if (!t) return NULL;
    copy_cols(nn_threads(g), a->dtype, a->data, ka, c0, t->data, c1 - c0, 0, c1 - c0, R);
    t->ip[0] = (int32_t)c0;
    t->ip[1] = (int32_t)c1;
    return nn_record(g, t, BB_NN_OP_SLICE, a, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_pad_cols(bb_nn_graph *g, bb_nn_tensor *a, int64_t c0, int64_t total) {
    if (!a || nn_failed(g)) return NULL;
    int64_t ka = bb_nn_cols(a), R = bb_nn_rows(a), s[4];
    if (c0 < 0 || c0 + ka > total)
        return NN_FAIL(g, BB_EINVAL, "nn pad: %lld cols at %lld exceed %lld", (long long)ka, (long long)c0,
                       (long long)total);
    memcpy(s, a->ne, sizeof s);
    s[a->ndim - 1] = total;
    bb_nn_tensor *t = bb_nn_zeros(g, a->dtype, a->ndim, s);
    if (!t) return NULL;
    copy_cols(nn_threads(g), a->dtype, a->data, ka, 0, t->data, total, c0, ka, R);
    t->ip[0] = (int32_t)c0;
    t->ip[1] = (int32_t)total;
    return nn_record(g, t, BB_NN_OP_PAD, a, NULL, NULL, NULL);
}

/* ------------------------------------------------------------ composites */

bb_nn_tensor *bb_nn_logsumexp_cols(bb_nn_graph *g, bb_nn_tensor *a) {
    if (!a || nn_failed(g)) return NULL;
    /* m = max per row, a constant (the result does not depend on it). */
    int64_t s[4], C = bb_nn_cols(a), R = bb_nn_rows(a);
    memcpy(s, a->ne, sizeof s);
    s[a->ndim - 1] = 1;
    bb_nn_tensor *m = nn_new(g, a->dtype, a->ndim, s);
    if (!m) return NULL;
    NN_DISPATCH(a->dtype, {
        const real *x = a->data;
        real *y = m->data;
        for (int64_t r = 0; r < R; r++) {
            real v = x[r * C];
            for (int64_t c = 1; c < C; c++) v = x[r * C + c] > v ? x[r * C + c] : v;
            y[r] = v;
        }
    });
    bb_nn_tensor *e = bb_nn_unary(g, bb_nn_sub(g, a, m), BB_NN_FN_EXP, 0);
    return bb_nn_add(g, bb_nn_unary(g, bb_nn_sum_cols(g, e), BB_NN_FN_LOG, 0), m);
}

bb_nn_tensor *bb_nn_softmax_cols(bb_nn_graph *g, bb_nn_tensor *a) {
    return bb_nn_unary(g, bb_nn_sub(g, a, bb_nn_logsumexp_cols(g, a)), BB_NN_FN_EXP, 0);
}

bb_nn_tensor *bb_nn_mse(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b) {
    bb_nn_tensor *d = bb_nn_sub(g, a, b);
    return bb_nn_mean(g, bb_nn_mul(g, d, d));
}
