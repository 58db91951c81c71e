/* ot_exact.c — exact optimal transport between two equally weighted sets of the same
 * size n: W2² = min_σ (1/n) Σ_i c(a_i, b_σ(i)), solved as a linear assignment (lap.c)
 * on a dense cost matrix; plus the seeded subsampling that brings sets to a common
 * size and the bootstrap that resamples rows/columns of a fixed cost matrix.
 *
 * For equal sizes and uniform weights the optimal transport plan is a permutation
 * (Birkhoff), so the assignment gives the exact EMD, the value POT's emd2 returns.
 * It is not a solver for unequal weights; weighted samples are first turned into an
 * equally weighted set by systematic resampling (bb_subsample_indices).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "harness/metrics/metric_lib.h"
#include "harness/core/rng.h"

#define SQDIST_BLOCK 64

static int cmp_double(const void *a, const void *b);

int bb_sqdist_matrix(size_t n, size_t m, size_t d, const double *A, const double *B, double *C, bb_ctx *ctx) {
    /* Bᵀ ([d][m]) so the inner loop runs over j contiguously and vectorises; each
     * entry is Σ_k (a_ik − b_jk)² summed in k order: exact differences, no
     * ‖a‖² + ‖b‖² − 2a·b cancellation, identical on any thread count. */
    double *BT = malloc((d * m > 0 ? d * m : 1) * sizeof *BT);
    if (!BT) return BB_ERR(ctx, BB_ENOMEM, "cost matrix: out of memory (%zu x %zu)", d, m);
    for (size_t j = 0; j < m; j++)
        for (size_t k = 0; k < d; k++) BT[k * m + j] = B[j * d + k];
    /* Blocks of 4 rows share each load of Bᵀ (4× less memory traffic); the j loop
     * vectorises. Same per-entry summation order as the scalar formula. */
    size_t nblk = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n * m * d >= 262144)
    for (size_t blk = 0; blk < nblk; blk++) {
        size_t i0 = blk * 4, nr = n - i0 < 4 ? n - i0 : 4;
        if (nr == 4) {
            double *c0 = C + i0 * m, *c1 = c0 + m, *c2 = c1 + m, *c3 = c2 + m;
            for (size_t j = 0; j < m; j++) c0[j] = c1[j] = c2[j] = c3[j] = 0.0;
            for (size_t k = 0; k < d; k++) {
                const double a0 = A[i0 * d + k], a1 = A[(i0 + 1) * d + k], a2 = A[(i0 + 2) * d + k],
                             a3 = A[(i0 + 3) * d + k], *bk = BT + k * m;
#pragma omp simd
                for (size_t j = 0; j < m; j++) {
                    double b = bk[j], t0 = a0 - b, t1 = a1 - b, t2 = a2 - b, t3 = a3 - b;
                    c0[j] += t0 * t0;
                    c1[j] += t1 * t1;
                    c2[j] += t2 * t2;
                    c3[j] += t3 * t3;
                }
            }
        } else {
            for (size_t i = i0; i < i0 + nr; i++) {
                double *ci = C + i * m;
                for (size_t j = 0; j < m; j++) ci[j] = 0.0;
                for (size_t k = 0; k < d; k++) {
                    const double a = A[i * d + k], *bk = BT + k * m;
#pragma omp simd
                    for (size_t j = 0; j < m; j++) {
                        double t = a - bk[j];
                        ci[j] += t * t;
                    }
                }
            }
        }
    }
    free(BT);
    return BB_OK;
}

int bb_sqdist_matrix_gemm(size_t n, size_t m, size_t d, const double *A, const double *B, double *C, bb_ctx *ctx) {
    double *nb = malloc((m > 0 ? m : 1) * sizeof *nb);
    if (!nb) return BB_ERR(ctx, BB_ENOMEM, "cost matrix: out of memory (%zu columns)", m);
    for (size_t j = 0; j < m; j++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++) s += B[j * d + k] * B[j * d + k];
        nb[j] = s;
    }
    /* Fixed blocks of SQDIST_BLOCK rows, one dgemm each: every entry comes from the same
     * call whatever the thread count. */
    size_t nblk = (n + SQDIST_BLOCK - 1) / SQDIST_BLOCK;
#pragma omp parallel for schedule(dynamic, 1) if (n * m * d >= 262144)
    for (size_t b = 0; b < nblk; b++) {
        size_t i0 = b * SQDIST_BLOCK, nr = n - i0 < SQDIST_BLOCK ? n - i0 : SQDIST_BLOCK;
        double *Cb = C + i0 * m;
        if (d > 0 && m > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)m, (int)d, -2.0, A + i0 * d, (int)d, B,
                        (int)d, 0.0, Cb, (int)m);
        for (size_t i = 0; i < nr; i++) {
            const double *a = A + (i0 + i) * d;
            double na = 0.0, *ci = Cb + i * m;
            for (size_t k = 0; k < d; k++) na += a[k] * a[k];
            if (d == 0 || m == 0) {
                for (size_t j = 0; j < m; j++) ci[j] = 0.0;
                continue;
            }
#pragma omp simd
            for (size_t j = 0; j < m; j++) {
                double c = (na + nb[j]) + ci[j];
                ci[j] = c > 0.0 ? c : 0.0;
            }
        }
    }
    free(nb);
    return BB_OK;
}

int bb_subsample_indices(size_t n, size_t k, const double *w, uint64_t seed, uint64_t stream, size_t *idx,
                         bb_ctx *ctx) {
    if (k > n && !w) return BB_ERR(ctx, BB_EINVAL, "subsample: %zu items requested from %zu", k, n);
    if (n == 0 || k == 0) return k ? BB_ERR(ctx, BB_EINVAL, "subsample: empty set") : BB_OK;
    bb_rng r;
    bb_rng_init(&r, seed, stream);
    if (!w) {
        /* Partial Fisher–Yates: the first k of a seeded shuffle (without replacement). */
        size_t *perm = malloc(n * sizeof *perm);
        if (!perm) return BB_ERR(ctx, BB_ENOMEM, "subsample: out of memory");
        for (size_t i = 0; i < n; i++) perm[i] = i;
        for (size_t i = 0; i < k; i++) {
            size_t j = i + (size_t)bb_rng_below(&r, n - i);
            size_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
            idx[i] = perm[i];
        }
        free(perm);
        return BB_OK;
    }
    /* Systematic resampling: k equally spaced points u0 + i/k through the weight CDF. */
    double tot = 0.0;
    for (size_t i = 0; i < n; i++) tot += w[i];
    if (!(tot > 0.0) || !isfinite(tot)) return BB_ERR(ctx, BB_EINVAL, "subsample: weights have no mass");
    double u0 = bb_rng_uniform(&r), c = w[0] / tot;
    size_t j = 0;
    for (size_t i = 0; i < k; i++) {
        double u = (u0 + (double)i) / (double)k;
        while (c < u && j + 1 < n) c += w[++j] / tot;
        idx[i] = j;
    }
    return BB_OK;
}

int bb_ot_assign_mean(int n, const double *C, double *mean, bb_ctx *ctx) {
    int *x = malloc((n > 0 ? (size_t)n : 1) * sizeof *x);
    if (!x) return BB_ERR(ctx, BB_ENOMEM, "assignment: out of memory");
    double cost;
    int rc = bb_lap_solve_fast(n, C, x, &cost, ctx);
    free(x);
    if (!rc) *mean = n > 0 ? cost / n : 0.0;
    return rc;
}

int bb_ot_assign_mean_ci(int n, const double *C, int n_boot, uint64_t seed, uint64_t stream_base, double *mean,
                         double ci[2], bb_ctx *ctx) {
    if (n < 1 || n_boot < 2) return BB_ERR(ctx, BB_EINVAL, "OT: need n >= 1 and n_boot >= 2");
    int *x = malloc((size_t)n * sizeof *x);
    double *pc = malloc((size_t)n * sizeof *pc), *vals = malloc((size_t)n_boot * sizeof *vals);
    if (!x || !pc || !vals) {
        free(x);
        free(pc);
        free(vals);
        return BB_ERR(ctx, BB_ENOMEM, "OT: out of memory");
    }
    double cost;
    int rc = bb_lap_solve_fast(n, C, x, &cost, ctx);
    if (!rc) {
        *mean = cost / n;
        for (int i = 0; i < n; i++) pc[i] = C[(size_t)i * n + x[i]];
            /* resample the matched pairs (assignment held fixed) */
#pragma omp parallel for schedule(static)
        for (int r = 0; r < n_boot; r++) {
            bb_rng g;
            bb_rng_init(&g, seed, stream_base + 2u * (uint64_t)r);
            double s = 0.0;
            for (int i = 0; i < n; i++) s += pc[bb_rng_below(&g, (uint64_t)n)];
            vals[r] = sqrt(fmax(s / n, 0.0));
        }
        qsort(vals, (size_t)n_boot, sizeof *vals, cmp_double);
        ci[0] = bb_quantile_sorted(vals, (size_t)n_boot, 0.025);
        ci[1] = bb_quantile_sorted(vals, (size_t)n_boot, 0.975);
    }
    free(x);
    free(pc);
    free(vals);
    return rc;
}

int bb_ot_exact_w2sq(size_t n, size_t d, const double *A, const double *B, double *w2sq, bb_ctx *ctx) {
    if (n > 50000) return BB_ERR(ctx, BB_ENOMEM, "exact OT: n = %zu exceeds the 50000 limit (dense n x n cost)", n);
    double *C = malloc((n > 0 ? n * n : 1) * sizeof *C);
    if (!C) return BB_ERR(ctx, BB_ENOMEM, "exact OT: out of memory for a %zu x %zu cost matrix", n, n);
    int *x = malloc((n > 0 ? n : 1) * sizeof *x);
    if (!x) {
        free(C);
        return BB_ERR(ctx, BB_ENOMEM, "exact OT: out of memory");
    }
    /* the assignment on ‖a‖² + ‖b‖² − 2a·b (dgemm), its value from exact differences */
    double cost = 0.0;
    int rc = bb_sqdist_matrix_gemm(n, n, d, A, B, C, ctx);
    if (!rc) rc = bb_lap_solve_fast((int)n, C, x, &cost, ctx);
    if (!rc) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double *a = A + i * d, *b = B + (size_t)x[i] * d;
            for (size_t k = 0; k < d; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
        }
        *w2sq = n > 0 ? s / (double)n : 0.0;
    }
    free(x);
    free(C);
    return rc;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bb_ot_bootstrap_sqrt(int n, const double *C, int n_boot, uint64_t seed, uint64_t stream_base, double ci[2],
                         bb_ctx *ctx) {
    if (n < 1 || n_boot < 2) return BB_ERR(ctx, BB_EINVAL, "OT bootstrap: need n >= 1 and n_boot >= 2");
    double *vals = malloc((size_t)n_boot * sizeof *vals);
    int *codes = calloc((size_t)n_boot, sizeof *codes);
    if (!vals || !codes) {
        free(vals);
        free(codes);
        return BB_ERR(ctx, BB_ENOMEM, "OT bootstrap: out of memory");
    }
    size_t nn = (size_t)n * (size_t)n;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n_boot; r++) {
        double *Cr = malloc(nn * sizeof *Cr);
        int *ri = malloc(2 * (size_t)n * sizeof *ri), *x = malloc((size_t)n * sizeof *x);
        void *ws = malloc(bb_lap_ws_size(n));
        if (!Cr || !ri || !x || !ws) {
            codes[r] = BB_ENOMEM;
        } else {
            bb_rng g;
            bb_rng_init(&g, seed, stream_base + 2u * (uint64_t)r);
            for (int i = 0; i < n; i++) ri[i] = (int)bb_rng_below(&g, (uint64_t)n);
            bb_rng_init(&g, seed, stream_base + 2u * (uint64_t)r + 1u);
            for (int i = 0; i < n; i++) ri[n + i] = (int)bb_rng_below(&g, (uint64_t)n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) Cr[(size_t)i * n + j] = C[(size_t)ri[i] * n + ri[n + j]];
            double cost;
            if (bb_lap_solve_fast(n, Cr, x, &cost, NULL))
                codes[r] = BB_ENOMEM;
            else
                vals[r] = sqrt(fmax(cost / n, 0.0));
        }
        free(Cr);
        free(ri);
        free(x);
        free(ws);
    }
    int rc = BB_OK;
    for (int r = 0; r < n_boot; r++)
        if (codes[r]) rc = BB_ERR(ctx, BB_ENOMEM, "OT bootstrap: out of memory in replicate %d", r);
    if (!rc) {
        qsort(vals, (size_t)n_boot, sizeof *vals, cmp_double);
        ci[0] = bb_quantile_sorted(vals, (size_t)n_boot, 0.025);
        ci[1] = bb_quantile_sorted(vals, (size_t)n_boot, 0.975);
    }
    free(vals);
    free(codes);
    return rc;
}
