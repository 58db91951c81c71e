/* w1d.c — exact optimal transport between two weighted 1-D empirical distributions.
 *
 * In one dimension the optimal coupling for any convex cost |x − y|^p is the
 * monotone (quantile) coupling, so W_p^p = ∫₀¹ |F_a⁻¹(t) − F_b⁻¹(t)|^p dt. We sort
 * both sets, then walk the two step quantile functions together: each step moves
 * mass min(remaining_a, remaining_b) between the current atoms. Unequal sizes and
 * importance weights are handled exactly; cost O((na + nb) log(na + nb)).
 *
 * This is not an approximation (no binning, no interpolation of the CDFs) and it
 * returns W_p^p, not W_p: callers take the root (energy_w2 = sqrt(W_2^2)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"

#include "harness/metrics/metric_lib.h"

typedef struct {
    double v, w;
} vw;

static int cmp_vw(const void *a, const void *b) {
    double x = ((const vw *)a)->v, y = ((const vw *)b)->v;
    return (x > y) - (x < y);
}

/* Sorted (value, cumulative weight) pairs with the last cumulative set to exactly 1. */
static int prepare(size_t n, const double *x, const double *w, size_t k, const char *what, vw **out, bb_ctx *ctx) {
    *out = NULL;
    vw *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) return BB_ERR(ctx, BB_ENOMEM, "w1d: out of memory for %zu values", n);
    double tot = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            free(p);
            return BB_ERR(ctx, BB_ENAN, "w1d: %s value %zu is not finite", what, i);
        }
        double wi = w ? w[i / k] : 1.0;
        if (!(wi >= 0.0) || !isfinite(wi)) {
            free(p);
            return BB_ERR(ctx, BB_EINVAL, "w1d: %s weight %zu is negative or not finite", what, i / k);
        }
        p[i].v = x[i];
        p[i].w = wi;
        tot += wi;
    }
    if (!(tot > 0.0)) {
        free(p);
        return BB_ERR(ctx, BB_EINVAL, "w1d: %s has no mass (empty or all weights zero)", what);
    }
    qsort(p, n, sizeof *p, cmp_vw);
    double c = 0.0;
    for (size_t i = 0; i < n; i++) {
        c += p[i].w;
        p[i].w = c / tot;
    }
    p[n - 1].w = 1.0;
    *out = p;
    return BB_OK;
}

static int w1d_core(size_t na, const double *a, const double *wa, size_t ka, size_t nb, const double *b,
                    const double *wb, size_t kb, double p, double *out, bb_ctx *ctx) {
    if (!(p >= 1.0)) return BB_ERR(ctx, BB_EINVAL, "w1d: p must be >= 1 (got %g)", p);
    vw *A = NULL, *B = NULL;
    int rc = prepare(na, a, wa, ka, "first set", &A, ctx);
    if (!rc) rc = prepare(nb, b, wb, kb, "second set", &B, ctx);
    if (rc) {
        free(A);
        free(B);
        return rc;
    }
    double cost = 0.0, t = 0.0;
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        double next = A[i].w < B[j].w ? A[i].w : B[j].w;
        double d = fabs(A[i].v - B[j].v);
        double c = p == 2.0 ? d * d : (p == 1.0 ? d : pow(d, p));
        if (next > t) cost += (next - t) * c;
        t = next;
        if (A[i].w <= next) i++;
        if (B[j].w <= next) j++;
    }
    free(A);
    free(B);
    *out = cost;
    return BB_OK;
}

int bb_w1d_pow(size_t na, const double *a, const double *wa, size_t nb, const double *b, const double *wb, double p,
               double *out, bb_ctx *ctx) {
    return w1d_core(na, a, wa, 1, nb, b, wb, 1, p, out, ctx);
}

int bb_wset_w1d_pow(const bb_wset *a, const bb_wset *b, double p, double *out, bb_ctx *ctx) {
    /* Item weight w_i spread evenly over its K values: w_i / K each; the common
     * factor 1/K cancels in the normalisation, so w_i is used per value. */
    return w1d_core(a->n * a->k, a->v, a->w, a->k ? a->k : 1, b->n * b->k, b->v, b->w, b->k ? b->k : 1, p, out, ctx);
}

int bb_stat_w2(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)user;
    if (!(bb_wset_mass(a) > 0.0)) {
        *out = NAN;
        return BB_OK;
    }
    int rc = bb_wset_w1d_pow(a, b, 2.0, out, ctx);
    if (!rc) *out = sqrt(*out);
    return rc;
}

int bb_stat_w1(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)user;
    if (!(bb_wset_mass(a) > 0.0)) {
        *out = NAN;
        return BB_OK;
    }
    return bb_wset_w1d_pow(a, b, 1.0, out, ctx);
}

/* ---- bootstrap that sorts once ---------------------------------------------------- */

typedef struct {
    double v;
    size_t item;
} vi;

static int cmp_vi(const void *a, const void *b) {
    double x = ((const vi *)a)->v, y = ((const vi *)b)->v;
    return (x > y) - (x < y);
}

/* Sorted (value, item) pairs of a set. */
static vi *sorted_items(const bb_wset *s) {
    size_t k = s->k ? s->k : 1, nv = s->n * k;
    vi *p = malloc((nv ? nv : 1) * sizeof *p);
    if (!p) return NULL;
    for (size_t i = 0; i < nv; i++) {
        p[i].v = s->v[i];
        p[i].item = i / k;
    }
    qsort(p, nv, sizeof *p, cmp_vi);
    return p;
}

/* Cumulative normalised weights of sorted values given per-item multiplicities. */
static int cumulate(const vi *p, size_t nv, const double *cnt, const double *w, double *cum) {
    double c = 0.0;
    for (size_t i = 0; i < nv; i++) {
        c += cnt[p[i].item] * (w ? w[p[i].item] : 1.0);
        cum[i] = c;
    }
    if (!(c > 0.0)) return 0;
    for (size_t i = 0; i < nv; i++) cum[i] /= c;
    cum[nv - 1] = 1.0;
    return 1;
}

static double merge_cost(size_t na, const vi *A, const double *ca, size_t nb, const vi *B, const double *cb, double p) {
    double cost = 0.0, t = 0.0;
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        double next = ca[i] < cb[j] ? ca[i] : cb[j];
        double d = fabs(A[i].v - B[j].v);
        double c = p == 2.0 ? d * d : (p == 1.0 ? d : pow(d, p));
        if (next > t) cost += (next - t) * c;
        t = next;
        if (ca[i] <= next) i++;
        if (cb[j] <= next) j++;
    }
    return cost;
}

int bb_w1d_bootstrap_values(const bb_wset *a, const bb_wset *b, double p, int n_boot, uint64_t seed,
                            uint64_t stream_base, double *vals, bb_ctx *ctx) {
    if (n_boot < 2 || a->n == 0 || b->n == 0 || !(p >= 1.0))
        return BB_ERR(ctx, BB_EINVAL, "w1d bootstrap: need n_boot >= 2, non-empty sets and p >= 1");
    size_t na = a->n * (a->k ? a->k : 1), nb = b->n * (b->k ? b->k : 1);
    vi *A = sorted_items(a), *B = sorted_items(b);
    int fail = 0;
    if (!A || !B) {
        free(A);
        free(B);
        return BB_ERR(ctx, BB_ENOMEM, "w1d bootstrap: out of memory");
    }
#pragma omp parallel for schedule(static)
    for (int r = 0; r < n_boot; r++) {
        double *cnta = calloc(a->n, sizeof *cnta), *cntb = calloc(b->n, sizeof *cntb);
        double *cuma = malloc(na * sizeof *cuma), *cumb = malloc(nb * sizeof *cumb);
        if (!cnta || !cntb || !cuma || !cumb) {
#pragma omp atomic write
            fail = 1;
        } else {
            /* the same draws as resampling the items (bootstrap.c): counts = multiplicities */
            bb_rng g;
            bb_rng_init(&g, seed, stream_base + 2u * (uint64_t)r);
            for (size_t i = 0; i < a->n; i++) cnta[bb_rng_below(&g, a->n)] += 1.0;
            bb_rng_init(&g, seed, stream_base + 2u * (uint64_t)r + 1u);
            for (size_t i = 0; i < b->n; i++) cntb[bb_rng_below(&g, b->n)] += 1.0;
            if (cumulate(A, na, cnta, a->w, cuma) && cumulate(B, nb, cntb, b->w, cumb))
                vals[r] = pow(merge_cost(na, A, cuma, nb, B, cumb, p), 1.0 / p);
            else
                vals[r] = NAN;
        }
        free(cnta);
        free(cntb);
        free(cuma);
        free(cumb);
    }
    free(A);
    free(B);
    return fail ? BB_ERR(ctx, BB_ENOMEM, "w1d bootstrap: out of memory") : BB_OK;
}

int bb_w1d_bootstrap(const bb_wset *a, const bb_wset *b, double p, int n_boot, uint64_t seed, uint64_t stream_base,
                     double ci[2], bb_ctx *ctx) {
    double *vals = malloc((n_boot > 0 ? (size_t)n_boot : 1) * sizeof *vals);
    if (!vals) return BB_ERR(ctx, BB_ENOMEM, "w1d bootstrap: out of memory");
    int rc = bb_w1d_bootstrap_values(a, b, p, n_boot, seed, stream_base, vals, ctx);
    if (!rc) bb_bootstrap_percentile_ci(vals, n_boot, ci);
    free(vals);
    return rc;
}
