/* ops_index.c — row gather / scatter-add through an index, and the fused EGNN edge term
 * out[e] = A[I[e]] + B[J[e]] + d[e] w (the first edge layer applied per node, then
 * gathered: H x H work per node instead of per edge).
 *
 * Gather and scatter are each other's gradient. Scatter walks the index's CSR inverse
 * (entries of each target in increasing order), so it is parallel over targets, has no
 * write conflicts and gives the same sums on any thread count. Not here: graph
 * construction for EGNN (egnn.c builds the indices).
 */
#include <stdlib.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

int bb_nn_index_init(bb_nn_index *ix, int64_t n_src, int64_t n_dst, const int32_t *idx, bb_ctx *ctx) {
    memset(ix, 0, sizeof *ix);
    if (n_src < 1 || n_dst < 1 || n_dst > INT32_MAX || n_src > INT32_MAX)
        return BB_ERR(ctx, BB_EINVAL, "nn index: sizes %lld -> %lld out of range", (long long)n_src, (long long)n_dst);
    for (int64_t e = 0; e < n_src; e++)
        if (idx[e] < 0 || idx[e] >= n_dst)
            return BB_ERR(ctx, BB_EINVAL, "nn index: entry %lld = %d outside [0, %lld)", (long long)e, idx[e],
                          (long long)n_dst);
    ix->idx = malloc(sizeof(int32_t) * (size_t)n_src);
    ix->perm = malloc(sizeof(int32_t) * (size_t)n_src);
    ix->offs = calloc((size_t)n_dst + 1, sizeof(int64_t));
    if (!ix->idx || !ix->perm || !ix->offs) {
        bb_nn_index_free(ix);
        return BB_ERR(ctx, BB_ENOMEM, "nn index: out of memory for %lld entries", (long long)n_src);
    }
    memcpy(ix->idx, idx, sizeof(int32_t) * (size_t)n_src);
    for (int64_t e = 0; e < n_src; e++) ix->offs[idx[e] + 1]++;
    for (int64_t n = 0; n < n_dst; n++) ix->offs[n + 1] += ix->offs[n];
    int64_t *fill = malloc(sizeof(int64_t) * (size_t)n_dst);
    if (!fill) {
        bb_nn_index_free(ix);
        return BB_ERR(ctx, BB_ENOMEM, "nn index: out of memory");
    }
    memcpy(fill, ix->offs, sizeof(int64_t) * (size_t)n_dst);
    for (int64_t e = 0; e < n_src; e++) ix->perm[fill[idx[e]]++] = (int32_t)e;
    free(fill);
    ix->n_src = n_src;
    ix->n_dst = n_dst;
    return BB_OK;
}

void bb_nn_index_free(bb_nn_index *ix) {
    if (!ix) return;
    BB_FREE_ALL(ix->idx, ix->perm, ix->offs);
    memset(ix, 0, sizeof *ix);
}

static int rows_are(bb_nn_graph *g, const char *op, const bb_nn_tensor *x, int64_t rows) {
    if (x->ndim != 2 || x->ne[0] != rows) {
        char s[64];
        NN_FAIL(g, BB_EINVAL, "nn %s: input %s must be 2-D with %lld rows", op, nn_shape_str(x, s, sizeof s),
                (long long)rows);
        return 0;
    }
    return 1;
}

bb_nn_tensor *bb_nn_gather(bb_nn_graph *g, bb_nn_tensor *x, const bb_nn_index *ix) {
    if (!x || !ix || nn_failed(g) || !rows_are(g, "gather", x, ix->n_dst)) return NULL;
    const int64_t C = x->ne[1], E = ix->n_src, ntot = E * C;
    bb_nn_tensor *t = nn_new(g, x->dtype, 2, (const int64_t[]){E, C});
    if (!t) return NULL;
    const int32_t *id = ix->idx;
    NN_DISPATCH(x->dtype, {
        const real *px = x->data;
        real *py = t->data;
        NN_PAR_FOR(nn_threads(g), ntot > NN_PAR_MIN, for (int64_t e = 0; e < E; e++),
                   memcpy(py + e * C, px + (int64_t)id[e] * C, sizeof(real) * (size_t)C););
    });
    t->ix[0] = ix;
    return nn_record(g, t, BB_NN_OP_GATHER, x, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_scatter(bb_nn_graph *g, bb_nn_tensor *y, const bb_nn_index *ix) {
    if (!y || !ix || nn_failed(g) || !rows_are(g, "scatter", y, ix->n_src)) return NULL;
    const int64_t C = y->ne[1], N = ix->n_dst, ntot = ix->n_src * C;
    bb_nn_tensor *t = nn_new(g, y->dtype, 2, (const int64_t[]){N, C});
    if (!t) return NULL;
    const int64_t *of = ix->offs;
    const int32_t *pm = ix->perm;
    NN_DISPATCH(y->dtype, {
        const real *py = y->data;
        real *po = t->data;
        NN_PAR_FOR(
            nn_threads(g), ntot > NN_PAR_MIN, for (int64_t n = 0; n < N; n++), real *o = po + n * C;
            for (int64_t c = 0; c < C; c++) o[c] = 0; for (int64_t k = of[n]; k < of[n + 1]; k++) {
                const real *r = py + (int64_t)pm[k] * C;
                for (int64_t c = 0; c < C; c++) o[c] += r[c];
            });
    });
    t->ix[0] = ix;
    return nn_record(g, t, BB_NN_OP_SCATTER, y, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_pair_add(bb_nn_graph *g, bb_nn_tensor *A, bb_nn_tensor *B, const bb_nn_index *ixi,
                             const bb_nn_index *ixj, bb_nn_tensor *d, bb_nn_tensor *w) {
    if (!A || !B || !ixi || !ixj || nn_failed(g) || !nn_check_dtype(g, "pair_add", A, B)) return NULL;
    if ((d == NULL) != (w == NULL)) return NN_FAIL(g, BB_EINVAL, "nn pair_add: d and w must be given together");
    if (ixi->n_src != ixj->n_src || ixi->n_dst != ixj->n_dst)
        return NN_FAIL(g, BB_EINVAL, "nn pair_add: indices I and J differ in size");
    const int64_t E = ixi->n_src, H = bb_nn_cols(A), ntot = E * H;
    if (!rows_are(g, "pair_add A", A, ixi->n_dst) || !rows_are(g, "pair_add B", B, ixi->n_dst)) return NULL;
    if (B->ne[1] != H) return NN_FAIL(g, BB_EINVAL, "nn pair_add: A and B widths differ");
    if (d && (!nn_check_dtype(g, "pair_add", A, d) || !nn_check_dtype(g, "pair_add", A, w) || d->n != E || w->n != H ||
              bb_nn_cols(w) != H))
        return NN_FAIL(g, BB_EINVAL, "nn pair_add: d must be [E,1] and w [1,H]");
    bb_nn_tensor *t = nn_new(g, A->dtype, 2, (const int64_t[]){E, H});
    if (!t) return NULL;
    const int32_t *ii = ixi->idx, *jj = ixj->idx;
    NN_DISPATCH(A->dtype, {
        const real *pa = A->data, *pb = B->data;
        const real *pd = d ? d->data : NULL, *pw = w ? w->data : NULL;
        real *py = t->data;
        NN_PAR_FOR(
            nn_threads(g), ntot > NN_PAR_MIN, for (int64_t e = 0; e < E; e++), const real *ra = pa + (int64_t)ii[e] * H,
            *rb = pb + (int64_t)jj[e] * H;
            real *ry = py + e * H; if (pd) {
                const real de = pd[e];
                for (int64_t h = 0; h < H; h++) ry[h] = ra[h] + rb[h] + de * pw[h];
            } else {
                for (int64_t h = 0; h < H; h++) ry[h] = ra[h] + rb[h];
            });
    });
    t->ix[0] = ixi;
    t->ix[1] = ixj;
    return nn_record(g, t, BB_NN_OP_PAIR_ADD, A, B, d, w);
}
