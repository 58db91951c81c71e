/* ops_matmul.c — matrix products through OpenBLAS (cblas_sgemm / cblas_dgemm), with an
 * optional bias row folded in as beta = 1, plain 2-D or batched 3-D.
 *
 * One thread pool: OpenBLAS runs single-threaded (bb_nn_graph_init sets it) and large
 * products are split here into fixed tiles of output rows and columns (gemm_tiles), run
 * in an OpenMP loop. The tiles depend only on the shape, never on the thread count, so
 * results are bit-identical on 1 or 2 threads, and OpenMP and OpenBLAS threads never
 * compete (on 2 cores that fight costs 2-4x, see baselines.md). Backward is written
 * with matmul itself (the four transpose cases), so products can be differentiated
 * again. Not here: the Linear layer's parameters (layers.c).
 */
#include <cblas.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

#define NN_GEMM_ROWS     2048 /* at most this many output rows per tile */
#define NN_GEMM_TILES    8    /* split until this many tiles (or tiles are small) */
#define NN_GEMM_MIN      2e6  /* no tile below this many multiply-adds */
#define NN_GEMM_COLS_MIN 32   /* no tile narrower than this (and widths in multiples of 16) */

/* The tiling of C [M,N]: rows in blocks of *rb, columns in blocks of *cb. It depends
 * only on the shape (never on the thread count), so every element of C is computed by
 * the same sgemm call, with the same reduction over K, on any number of threads. Rows
 * are split first (blocks of at most NN_GEMM_ROWS, then halved while the tiles are few
 * and large); products with few rows (the weight gradients A^T B, M = fan-in) are split
 * by columns as well, so that 2 threads share them (measured: the DEM EGNN on DW-4 ran
 * at 1.05x on 2 threads when only rows were split, in blocks of 2048; 1.52x now). Small
 * products keep one tile, or blocks of 2048 rows, as before: the tiling decides the bits
 * (OpenBLAS rounds a row block differently from the whole), and those are unchanged. */
static void gemm_tiles(int64_t M, int64_t N, int64_t K, int64_t *rb, int64_t *cb) {
    int64_t r = M < NN_GEMM_ROWS ? M : NN_GEMM_ROWS, c = N;
    for (;;) {
        const int64_t tiles = ((M + r - 1) / r) * ((N + c - 1) / c);
        if (tiles >= NN_GEMM_TILES) break;
        if ((double)r * (double)c * (double)K < 2 * NN_GEMM_MIN) break;
        if (r >= 2 * 64 && r >= c) {
            r = ((r + 1) / 2 + 15) / 16 * 16;
        } else if (c >= 2 * NN_GEMM_COLS_MIN) {
            c = ((c + 1) / 2 + 15) / 16 * 16;
        } else if (r >= 2 * 64) {
            r = ((r + 1) / 2 + 15) / 16 * 16;
        } else {
            break;
        }
    }
    *rb = r;
    *cb = c;
}

/* C [M,N] = op(A) op(B) (+ bias, a row of N added to every row, if not NULL); A is [M,K]
 * (or [K,M] if ta), B is [K,N] (or [N,K] if tb). A tile of rows starts at row m0 of A, or
 * column m0 of A^T; a tile of columns at column n0 of B, or row n0 of B^T (same leading
 * dimensions either way). Each tile writes its own part of the bias before its product
 * (beta = 1): parallel and cache-hot, and the same bits as one serial fill first. */
static void gemm(int nt, bb_nn_dtype dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const void *A, const void *B,
                 const void *bias, void *C) {
    const int lda = (int)(ta ? M : K), ldb = (int)(tb ? K : N), ldc = (int)N;
    const size_t es = bb_nn_dtype_size(dt);
    const double beta = bias ? 1.0 : 0.0;
    if (M <= 0 || N <= 0) return; /* an empty product: no tile (and no division by a zero tile) */
    int64_t rb, cb;
    gemm_tiles(M, N, K, &rb, &cb);
    const int64_t nr = (M + rb - 1) / rb, nc = (N + cb - 1) / cb, ntile = nr * nc;
    NN_PAR_FOR(
        nt, ntile > 1, for (int64_t t = 0; t < ntile; t++), const int64_t m0 = (t / nc) * rb, n0 = (t % nc) * cb;
        const int64_t mb = M - m0 < rb ? M - m0 : rb; const int64_t nb = N - n0 < cb ? N - n0 : cb;
        const char *a = (const char *)A + (size_t)(ta ? m0 : m0 * K) * es;
        const char *b = (const char *)B + (size_t)(tb ? n0 * K : n0) * es;
        char *c = (char *)C + (size_t)(m0 * N + n0) * es; if (bias) {
            for (int64_t r = 0; r < mb; r++)
                memcpy(c + (size_t)(r * N) * es, (const char *)bias + (size_t)n0 * es, (size_t)nb * es);
        } if (dt == BB_NN_F32)
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)mb, (int)nb,
                        (int)K, 1.0f, (const float *)a, lda, (const float *)b, ldb, (float)beta, (float *)c, ldc);
        else cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)mb,
                         (int)nb, (int)K, 1.0, (const double *)a, lda, (const double *)b, ldb, beta, (double *)c,
                         ldc););
}

bb_nn_tensor *bb_nn_matmul(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b, int ta, int tb, bb_nn_tensor *bias) {
    if (!a || !b || nn_failed(g) || !nn_check_dtype(g, "matmul", a, b)) return NULL;
    char sa[64], sb[64];
    if (a->ndim != b->ndim || a->ndim < 2 || a->ndim > 3 || (a->ndim == 3 && a->ne[0] != b->ne[0]))
        return NN_FAIL(g, BB_EINVAL,
                       "nn matmul: ranks of %s and %s (need 2-D, or 3-D with equal "
                       "batch)",
                       nn_shape_str(a, sa, 64), nn_shape_str(b, sb, 64));
    const int o = a->ndim - 2;
    const int64_t Bt = o ? a->ne[0] : 1;
    const int64_t M = ta ? a->ne[o + 1] : a->ne[o], K = ta ? a->ne[o] : a->ne[o + 1];
    const int64_t Kb = tb ? b->ne[o + 1] : b->ne[o], N = tb ? b->ne[o] : b->ne[o + 1];
    if (K != Kb)
        return NN_FAIL(g, BB_EINVAL, "nn matmul: inner dims of %s%s and %s%s differ", nn_shape_str(a, sa, 64),
                       ta ? "^T" : "", nn_shape_str(b, sb, 64), tb ? "^T" : "");
    if (bias) {
        if (!nn_check_dtype(g, "matmul bias", a, bias)) return NULL;
        if (o || bias->n != N || bb_nn_cols(bias) != N)
            return NN_FAIL(g, BB_EINVAL, "nn matmul: bias %s does not match %lld output cols",
                           nn_shape_str(bias, sa, 64), (long long)N);
    }
    int64_t shp[3] = {Bt, M, N};
    bb_nn_tensor *t = nn_new(g, a->dtype, a->ndim, o ? shp : shp + 1);
    if (!t) return NULL;
    const size_t es = bb_nn_dtype_size(a->dtype);
    for (int64_t k = 0; k < Bt; k++)
        gemm(nn_threads(g), a->dtype, ta, tb, M, N, K, (const char *)a->data + (size_t)(k * M * K) * es,
             (const char *)b->data + (size_t)(k * K * N) * es, bias ? bias->data : NULL,
             (char *)t->data + (size_t)(k * M * N) * es);
    t->ip[0] = ta;
    t->ip[1] = tb;
    return nn_record(g, t, BB_NN_OP_MATMUL, a, b, bias, NULL);
}
