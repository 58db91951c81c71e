/* twoset.c — a statistic of the sample set against the reference as the metrics report it
 * (bb_twoset_eval: value, median-bias-corrected bootstrap interval, reference-vs-reference
 * floor) and the seeded split of a set into two disjoint subsets the floors use.
 *
 * It sits above bootstrap.c, w1d.c, wset.c and ot_exact.c (which it calls) so that none of
 * them calls back. It computes no statistic itself: the caller passes one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

int bb_wset_split(const bb_wset *s, size_t nf, uint64_t seed, uint64_t stream, bb_wset *h1, bb_wset *h2, bb_ctx *ctx) {
    memset(h1, 0, sizeof *h1);
    memset(h2, 0, sizeof *h2);
    if (nf == 0 || 2 * nf > s->n) return BB_ERR(ctx, BB_EINVAL, "split: need 2 x %zu of %zu items", nf, s->n);
    size_t *idx = malloc(2 * nf * sizeof *idx);
    if (!idx) return BB_ERR(ctx, BB_ENOMEM, "split: out of memory");
    int rc = bb_subsample_indices(s->n, 2 * nf, NULL, seed, stream, idx, ctx);
    bb_wset *h[2] = {h1, h2};
    for (int k = 0; !rc && k < 2; k++) {
        h[k]->n = nf;
        h[k]->k = s->k;
        h[k]->v = malloc(nf * (s->k ? s->k : 1) * sizeof(double));
        if (s->w) h[k]->w = malloc(nf * sizeof(double));
        if (!h[k]->v || (s->w && !h[k]->w)) {
            rc = BB_ERR(ctx, BB_ENOMEM, "split: out of memory");
            break;
        }
        for (size_t i = 0; i < nf; i++) {
            size_t src = idx[k * nf + i];
            memcpy(h[k]->v + i * s->k, s->v + src * s->k, s->k * sizeof(double));
            if (s->w) h[k]->w[i] = s->w[src];
        }
    }
    free(idx);
    if (rc) {
        bb_wset_free(h1);
        bb_wset_free(h2);
    }
    return rc;
}

int bb_twoset_eval(const bb_wset *a, const bb_wset *b, bb_stat2_fn fn, void *user, double w1d_p, int n_boot,
                   uint64_t seed, uint64_t stream, bb_twoset *r, bb_ctx *ctx) {
    r->value = r->floor = r->ci[0] = r->ci[1] = NAN;
    r->floor_n = a->n < b->n / 2 ? a->n : b->n / 2;
    int rc = fn(a, b, user, &r->value, ctx);
    if (!rc && n_boot >= 2) {
        double *vals = malloc((size_t)n_boot * sizeof *vals);
        if (!vals) return BB_ERR(ctx, BB_ENOMEM, "bootstrap: out of memory");
        rc = w1d_p >= 1.0 ? bb_w1d_bootstrap_values(a, b, w1d_p, n_boot, seed, stream, vals, ctx)
                          : bb_bootstrap2_values(a, b, 1, fn, user, n_boot, seed, stream, vals, ctx);
        if (!rc) bb_bootstrap_centred_ci(vals, n_boot, r->value, 0.0, r->ci);
        free(vals);
    }
    if (!rc && r->floor_n > 0) {
        bb_wset h1, h2;
        rc = bb_wset_split(b, r->floor_n, seed, stream + 0xFFFDu, &h1, &h2, ctx);
        if (!rc) rc = fn(&h1, &h2, user, &r->floor, ctx);
        bb_wset_free(&h1);
        bb_wset_free(&h2);
    }
    return rc;
}
