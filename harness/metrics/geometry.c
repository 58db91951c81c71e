/* geometry.c — configuration-space distance metrics: dist_w2, dist_w2_squared and dist_tv
 * (flattened pairwise interparticle distances). The optimal-transport metrics on whole
 * configurations (x_w2, x_w1, eq_x_w2, eq_x_w2_demalign) are in ot_metric.c.
 *
 * Configurations whose energy is +INFINITY (when u_samples is given) are excluded and
 * counted in n_rejected, as in energy.c; importance weights are used directly (each
 * distance carries its configuration's weight). Beyond DIST_MAX_VALUES distances per side
 * the configurations are subsampled without replacement with a fixed seed (stream
 * BB_STREAM_* + 0xFFFF samples, + 0xFFFE reference). Every entry carries the
 * reference-vs-reference floor at the sample size (bb_twoset_eval).
 *
 * Not covered here: energies (energy.c), TICA projections (tica.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

#define DIST_NBINS      200
#define DIST_BOOT_N     50
#define DIST_MAX_VALUES 2000000 /* distances per side; configurations subsampled beyond */

#define DIST_CI_NOTE                                                                                                   \
    "ci95: median-bias-corrected percentile bootstrap over configurations (both sets resampled, "                      \
    "seeded; the percentile interval shifted by value - median(replicates), so it contains the value). "               \
    "floor_ref_vs_ref: the same statistic between two disjoint seeded reference subsets of floor_n = "                 \
    "min(n_samples, n_reference / 2) configurations."
#define DEF_DIST_W2                                                                                                    \
    "dist_w2 = W2 (exact 1-D optimal transport with squared cost, by sorting) between the "                            \
    "flattened multisets of all P(P-1)/2 interparticle distances of every sample configuration "                       \
    "(each distance carries its configuration's importance weight) and of every reference "                            \
    "configuration; configurations with u = +inf excluded (n_rejected); at most 2e6 distances per "                    \
    "side (seeded subsample of configurations beyond). 200 resamples. " DIST_CI_NOTE
#define DEF_DIST_W2_SQ                                                                                                 \
    "dist_w2_squared = dist_w2^2 (the exact 1-D optimal-transport cost with squared distance "                         \
    "between the flattened interparticle-distance distributions, no square root: the DEM/iDEM "                        \
    "evaluators' distance 'W2'); ci95 and floor are dist_w2's, squared. " DIST_CI_NOTE
#define DEF_DIST_TV                                                                                                    \
    "dist_tv = 1/2 sum_c |p_c - q_c| of the flattened interparticle-distance histograms on 200 "                       \
    "equal-width bins spanning the reference's [min, max] distance plus underflow/overflow cells; "                    \
    "weights and exclusions as dist_w2. 50 resamples. " DIST_CI_NOTE

/* The particle geometry of the task, or 0 when the metrics do not apply. */
static int particle_shape(const bb_eval_input *in, int *P, int *D) {
    if (!in->task || !in->reference || in->task->n_particles < 2 || in->task->dim < 1) return 0;
    *P = in->task->n_particles;
    *D = in->task->dim;
    return 1;
}

/* Replace the configurations of s (k = P·D values each) by their P(P−1)/2 distances. */
static int to_distances(bb_wset *s, int P, int D, bb_ctx *ctx) {
    size_t k = (size_t)P * (P - 1) / 2;
    double *v = malloc((s->n * k > 0 ? s->n * k : 1) * sizeof(double));
    if (!v) return BB_ERR(ctx, BB_ENOMEM, "distances: out of memory for %zu x %zu", s->n, k);
    for (size_t i = 0; i < s->n; i++) {
        const double *x = s->v + i * s->k;
        double *o = v + i * k;
        for (int a = 0; a < P; a++)
            for (int b = a + 1; b < P; b++) {
                double r2 = 0.0;
                for (int d = 0; d < D; d++) {
                    double t = x[a * D + d] - x[b * D + d];
                    r2 += t * t;
                }
                *o++ = sqrt(r2);
            }
    }
    free(s->v);
    s->v = v;
    s->k = k;
    return BB_OK;
}

/* tv: dist_tv; else dist_w2 (squared_only: dist_w2_squared). */
static int dist_metric(const bb_eval_input *in, cJSON *out, int tv, int squared_only, bb_ctx *ctx) {
    int P, D;
    if (!particle_shape(in, &P, &D)) return BB_OK;
    const char *name = tv ? "dist_tv" : "dist_w2";
    bb_wset a = {0}, b = {0};
    size_t rej_a = 0, rej_b = 0;
    /* at most DIST_MAX_VALUES distances per side (LJ-55: 1346 configurations) */
    size_t kd = (size_t)P * (size_t)(P - 1) / 2, cap = DIST_MAX_VALUES / kd > 0 ? DIST_MAX_VALUES / kd : 1;
    uint64_t st = tv ? BB_STREAM_DIST_TV : BB_STREAM_DIST_W2;
    int rc = bb_points_load(in->samples, in->u_samples, NULL, cap, in->seed, st + 0xFFFFu, "samples", &a, &rej_a, ctx);
    if (!rc)
        rc = bb_points_load(in->reference, in->u_reference, NULL, cap, in->seed, st + 0xFFFEu, "reference", &b, &rej_b,
                            ctx);
    if (!rc && b.n == 0) rc = BB_ERR(ctx, BB_EINVAL, "%s: reference set has no usable configuration", name);
    if (!rc) rc = to_distances(&a, P, D, ctx);
    if (!rc) rc = to_distances(&b, P, D, ctx);
    bb_hgrid g;
    if (!rc && tv) rc = bb_hgrid_from(&b, DIST_NBINS, &g, ctx);
    int ok = bb_wset_mass(&a) > 0.0;
    bb_twoset r = {NAN, {NAN, NAN}, NAN, 0};
    if (!rc && ok)
        rc = bb_twoset_eval(&a, &b, tv ? bb_stat_hist_tv : bb_stat_w2, tv ? &g : NULL, tv ? 0.0 : 2.0,
                            !in->with_ci ? 0
                            : tv         ? DIST_BOOT_N
                                         : BB_BOOT_N,
                            in->seed, st, &r, ctx);
    if (!rc) {
        int sq = squared_only;
        cJSON *o = bb_metric_entry_twoset(out, sq ? "dist_w2_squared" : name, &r, sq, a.n, in->with_ci && ok,
                                          sq   ? DEF_DIST_W2_SQ
                                          : tv ? DEF_DIST_TV
                                               : DEF_DIST_W2);
        int good = o && cJSON_AddNumberToObject(o, "n_reference", (double)b.n) &&
                   cJSON_AddNumberToObject(o, "n_rejected", (double)rej_a) &&
                   (!tv || cJSON_AddNumberToObject(o, "n_bins", DIST_NBINS)) &&
                   (ok || cJSON_AddStringToObject(o, "note", "no usable sample configuration"));
        if (!good) rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    }
    bb_wset_free(&a);
    bb_wset_free(&b);
    return rc;
}

static int dist_w2_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    return dist_metric(in, out, 0, 0, ctx);
}

static int dist_w2_sq_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o; /* the square of dist_w2's entry when that is computed (first, in registry order) */
    int rc = bb_metric_square_of(out, "dist_w2_squared", "dist_w2", DEF_DIST_W2_SQ, ctx);
    return rc > 0 ? BB_OK : rc < 0 ? rc : dist_metric(in, out, 0, 1, ctx);
}

static int dist_tv_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    return dist_metric(in, out, 1, 0, ctx);
}

const bb_metric bb_metric_dist_w2 = {"dist_w2", DEF_DIST_W2, 0, 1, 1, dist_w2_compute};
const bb_metric bb_metric_dist_w2_squared = {"dist_w2_squared", DEF_DIST_W2_SQ, 0, 1, 1, dist_w2_sq_compute};
const bb_metric bb_metric_dist_tv = {"dist_tv", DEF_DIST_TV, 0, 1, 1, dist_tv_compute};
