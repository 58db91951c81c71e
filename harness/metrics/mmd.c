/* mmd.c — maximum mean discrepancy with a Gaussian (RBF) kernel and the median
 * heuristic, for any method (weighted or not) against the reference set.
 *
 * k(x, y) = exp(−‖x − y‖² / (2h²)), h² = median of the squared distances between all
 * distinct pairs of the pooled point set (sample ∪ reference after subsampling, its
 * first MMD_MEDIAN_N points). MMD² is the weighted V-statistic
 *   Σ_ij a_i a_j k(x_i, x_j) − 2 Σ_ij a_i b_j k(x_i, y_j) + Σ_ij b_i b_j k(y_i, y_j)
 * with normalised weights a (importance weights of the samples, uniform otherwise)
 * and uniform b; `mmd` reports sqrt(MMD²) ≥ 0. The V-statistic is biased upward by
 * O(1/n) (the diagonal terms); it is not the unbiased U-statistic.
 *
 * Points: see points.c (rejected dropped, ≤ MMD_NMAX per side, seeded, centred for
 * translation-invariant tasks, no rotation/permutation alignment).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/core/rng.h"

#define MMD_NMAX     1000
#define MMD_MEDIAN_N 1000
#define MMD_BOOT_N   100

#define DEF_MMD                                                                                                        \
    "mmd = sqrt of the weighted V-statistic MMD^2 with the Gaussian kernel exp(-|x-y|^2/(2h^2)), "                     \
    "h^2 = median squared distance over distinct pairs of the first 1000 pooled points (median "                       \
    "heuristic); samples importance-weighted if log-weights are given, reference uniform; at most "                    \
    "1000 configurations per side (seeded subsample without replacement), u = +inf excluded "                          \
    "(n_rejected), centred coordinates for translation-invariant tasks, no alignment; option n= sets "                 \
    "the per-side size. ci95: median-bias-corrected percentile bootstrap, 100 resamples (multinomial "                 \
    "counts on both sides, seeded), the percentile interval shifted by value - median(replicates). "                   \
    "floor_ref_vs_ref: mmd (same bandwidth) between two disjoint seeded reference subsets of floor_n = "               \
    "min(n_samples, n_reference / 2)."

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bb_median_sqdist(size_t n, size_t d, const double *X, double *h2, bb_ctx *ctx) {
    if (n < 2) return BB_ERR(ctx, BB_EINVAL, "median heuristic: need at least 2 points");
    size_t np = n * (n - 1) / 2, k = 0;
    double *v = malloc(np * sizeof *v), *D = malloc(n * n * sizeof *D);
    int rc =
        !v || !D ? BB_ERR(ctx, BB_ENOMEM, "median heuristic: out of memory") : bb_sqdist_matrix(n, n, d, X, X, D, ctx);
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t j = i + 1; j < n; j++) v[k++] = D[i * n + j];
    if (!rc) {
        qsort(v, np, sizeof *v, cmp_double);
        *h2 = bb_quantile_sorted(v, np, 0.5);
        if (!(*h2 > 0.0)) rc = BB_ERR(ctx, BB_EINVAL, "median heuristic: median distance is 0 (degenerate points)");
    }
    free(v);
    free(D);
    return rc;
}

/* K[i][j] = exp(−‖x_i − y_j‖²/(2h²)) into a caller-allocated n × m array. */
static int kernel_matrix(size_t n, size_t m, size_t d, const double *X, const double *Y, double h2, double *K,
                         bb_ctx *ctx) {
    int rc = bb_sqdist_matrix(n, m, d, X, Y, K, ctx);
    if (rc) return rc;
    double f = -0.5 / h2;
#pragma omp parallel for schedule(static) if (n * m >= 65536)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) K[i * m + j] = exp(f * K[i * m + j]);
    return BB_OK;
}

/* Σ_ij p_i q_j K[i][j] (row sums in fixed order). */
static double quad(size_t n, size_t m, const double *K, const double *p, const double *q) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0.0) continue;
        double r = 0.0;
        const double *Ki = K + i * m;
        for (size_t j = 0; j < m; j++) r += Ki[j] * q[j];
        s += p[i] * r;
    }
    return s;
}

static void normalise(size_t n, double *p) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += p[i];
    for (size_t i = 0; i < n; i++) p[i] /= s;
}

int bb_mmd2_v(size_t n, size_t m, size_t d, const double *X, const double *wx, const double *Y, const double *wy,
              double h2, double *out, bb_ctx *ctx) {
    if (n == 0 || m == 0) return BB_ERR(ctx, BB_EINVAL, "mmd: empty set");
    double *Kxx = malloc(n * n * sizeof *Kxx), *Kxy = malloc(n * m * sizeof *Kxy), *Kyy = malloc(m * m * sizeof *Kyy),
           *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b);
    int rc = BB_OK;
    if (!Kxx || !Kxy || !Kyy || !a || !b) {
        rc = BB_ERR(ctx, BB_ENOMEM, "mmd: out of memory for %zu x %zu", n, m);
        goto out;
    }
    for (size_t i = 0; i < n; i++) a[i] = wx ? wx[i] : 1.0;
    for (size_t j = 0; j < m; j++) b[j] = wy ? wy[j] : 1.0;
    normalise(n, a);
    normalise(m, b);
    rc = kernel_matrix(n, n, d, X, X, h2, Kxx, ctx);
    if (!rc) rc = kernel_matrix(n, m, d, X, Y, h2, Kxy, ctx);
    if (!rc) rc = kernel_matrix(m, m, d, Y, Y, h2, Kyy, ctx);
    if (!rc) *out = quad(n, n, Kxx, a, a) - 2.0 * quad(n, m, Kxy, a, b) + quad(m, m, Kyy, b, b);
out:
    free(Kxx);
    free(Kxy);
    free(Kyy);
    free(a);
    free(b);
    return rc;
}

/* Bootstrap replicate values of sqrt(MMD²): multinomial counts on both sides (the same
 * draws as resampling with replacement) multiplying the weights. */
static void mmd_replicates(size_t n, size_t m, const double *Kxx, const double *Kxy, const double *Kyy,
                           const double *wa, uint64_t seed, double *vals) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < MMD_BOOT_N; r++) {
        double *ar = calloc(n, sizeof *ar), *br = calloc(m, sizeof *br);
        vals[r] = NAN;
        if (ar && br) {
            bb_rng g;
            bb_rng_init(&g, seed, BB_STREAM_MMD + 2u * (uint64_t)r);
            for (size_t i = 0; i < n; i++) ar[bb_rng_below(&g, n)] += 1.0;
            bb_rng_init(&g, seed, BB_STREAM_MMD + 2u * (uint64_t)r + 1u);
            for (size_t j = 0; j < m; j++) br[bb_rng_below(&g, m)] += 1.0;
            double sa = 0.0;
            for (size_t i = 0; i < n; i++) sa += (ar[i] *= (wa ? wa[i] : 1.0));
            if (sa > 0.0) {
                normalise(n, ar);
                normalise(m, br);
                double q = quad(n, n, Kxx, ar, ar) - 2.0 * quad(n, m, Kxy, ar, br) + quad(m, m, Kyy, br, br);
                vals[r] = sqrt(fmax(q, 0.0));
            }
        }
        free(ar);
        free(br);
    }
}

static int mmd_compute(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx) {
    bb_points2 p;
    double *pool = NULL, *Kxx = NULL, *Kxy = NULL, *Kyy = NULL, *a = NULL, *b = NULL, *vals = NULL;
    size_t nmax = opts->n ? opts->n : MMD_NMAX;
    int rc = bb_points_pair(in, nmax, BB_STREAM_MMD, &p, ctx);
    if (rc) return rc;
    const bb_wset *A = &p.a, *B = &p.b;
    size_t n = A->n, m = B->n, d = A->k;
    double massA = 0.0;
    for (size_t i = 0; i < n; i++) massA += A->w ? A->w[i] : 1.0;
    if (n == 0 || !(massA > 0.0) || m < 2) {
        cJSON *o = bb_metric_entry(out, "mmd", NAN, n, NULL, DEF_MMD);
        if (!o || !cJSON_AddStringToObject(o, "note", "no usable sample configuration"))
            rc = BB_ERR(ctx, BB_ENOMEM, "mmd: out of memory");
        goto out;
    }
    /* median heuristic on the pooled first points: half from each side */
    size_t ha = n < MMD_MEDIAN_N / 2 ? n : MMD_MEDIAN_N / 2, hb = m < MMD_MEDIAN_N / 2 ? m : MMD_MEDIAN_N / 2;
    pool = malloc((ha + hb) * d * sizeof *pool);
    Kxx = malloc(n * n * sizeof *Kxx);
    Kxy = malloc(n * m * sizeof *Kxy);
    Kyy = malloc(m * m * sizeof *Kyy);
    a = malloc(n * sizeof *a);
    b = malloc(m * sizeof *b);
    vals = malloc(MMD_BOOT_N * sizeof *vals);
    if (!pool || !Kxx || !Kxy || !Kyy || !a || !b || !vals) {
        rc = BB_ERR(ctx, BB_ENOMEM, "mmd: out of memory");
        goto out;
    }
    memcpy(pool, A->v, ha * d * sizeof *pool);
    memcpy(pool + ha * d, B->v, hb * d * sizeof *pool);
    double h2;
    rc = bb_median_sqdist(ha + hb, d, pool, &h2, ctx);
    if (!rc) rc = kernel_matrix(n, n, d, A->v, A->v, h2, Kxx, ctx);
    if (!rc) rc = kernel_matrix(n, m, d, A->v, B->v, h2, Kxy, ctx);
    if (!rc) rc = kernel_matrix(m, m, d, B->v, B->v, h2, Kyy, ctx);
    if (rc) goto out;
    for (size_t i = 0; i < n; i++) a[i] = A->w ? A->w[i] : 1.0;
    for (size_t j = 0; j < m; j++) b[j] = 1.0;
    normalise(n, a);
    normalise(m, b);
    double v2 = quad(n, n, Kxx, a, a) - 2.0 * quad(n, m, Kxy, a, b) + quad(m, m, Kyy, b, b), ci[2] = {NAN, NAN};
    if (in->with_ci) {
        mmd_replicates(n, m, Kxx, Kxy, Kyy, A->w, in->seed, vals);
        bb_bootstrap_centred_ci(vals, MMD_BOOT_N, sqrt(fmax(v2, 0.0)), 0.0, ci);
    }
    double f2 = NAN;
    if (p.floor_n > 0) rc = bb_mmd2_v(p.floor_n, p.floor_n, d, p.f1.v, p.f1.w, p.f2.v, p.f2.w, h2, &f2, ctx);
    if (rc) goto out;
    cJSON *o = bb_metric_entry(out, "mmd", sqrt(fmax(v2, 0.0)), n, in->with_ci ? ci : NULL, DEF_MMD);
    if (!o || !cJSON_AddNumberToObject(o, "n_reference", (double)m) ||
        !cJSON_AddNumberToObject(o, "n_rejected", (double)p.rej_a) || !bb_json_add_number(o, "bandwidth_h", sqrt(h2)) ||
        !bb_json_add_number(o, "mmd2", v2) || !bb_json_add_number(o, "floor_ref_vs_ref", sqrt(fmax(f2, 0.0))) ||
        !cJSON_AddNumberToObject(o, "floor_n", (double)p.floor_n) || !cJSON_AddNumberToObject(o, "n_max", (double)nmax))
        rc = BB_ERR(ctx, BB_ENOMEM, "mmd: out of memory");
out:
    bb_points2_free(&p);
    BB_FREE_ALL(pool, Kxx, Kxy, Kyy, a, b, vals);
    return rc;
}

const bb_metric bb_metric_mmd = {"mmd", DEF_MMD, 0, 1, 0, mmd_compute};
