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

#include "harness/metrics/metric_lib.h"

typedef struct {
    double v, w;
} vw;

static int cmp_vw(const void *a, const void *b) {
    double x = ((const vw *)a)->v, y = ((const vw *)b)->v;
    return (x > y) - (x < y);
}

/* Sorted (value, cumulative weight) pairs with the last cumulative set to exactly 1. */
static int prepare(size_t n, const double *x, const double *w, size_t k, const char *what,
                   vw **out, bb_ctx *ctx) {
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

static int w1d_core(size_t na, const double *a, const double *wa, size_t ka, size_t nb,
                    const double *b, const double *wb, size_t kb, double p, double *out, bb_ctx *ctx) {
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

int bb_w1d_pow(size_t na, const double *a, const double *wa, size_t nb, const double *b,
               const double *wb, double p, double *out, bb_ctx *ctx) {
    return w1d_core(na, a, wa, 1, nb, b, wb, 1, p, out, ctx);
}

int bb_wset_w1d_pow(const bb_wset *a, const bb_wset *b, double p, double *out, bb_ctx *ctx) {
    /* Item weight w_i spread evenly over its K values: w_i / K each; the common
     * factor 1/K cancels in the normalisation, so w_i is used per value. */
    return w1d_core(a->n * a->k, a->v, a->w, a->k ? a->k : 1, b->n * b->k, b->v, b->w,
                    b->k ? b->k : 1, p, out, ctx);
}
