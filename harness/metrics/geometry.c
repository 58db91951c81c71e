/* geometry.c — configuration-space metrics: dist_w2, dist_tv (flattened pairwise
 * interparticle distances), x_w2 (exact OT on centred coordinates, iDEM's "rawW2")
 * and eq_x_w2 (exact OT whose pair cost is first minimised over particle
 * permutations and rotations/reflections; Adjoint Sampling's "geo-W2" procedure
 * family).
 *
 * Common rules: configurations whose energy is +INFINITY (when u_samples is given)
 * are excluded and counted in n_rejected, as in energy.c. Weighted samples: the 1-D
 * distance metrics use the weights directly; the OT metrics first draw an equally
 * weighted set by systematic resampling. Large sets are subsampled without
 * replacement with a fixed seed (stream BB_STREAM_* + 0xFFFF) to at most X_W2_NMAX
 * (x_w2) or EQ_W2_NMAX (eq_x_w2) per side; sample and reference sizes are then made
 * equal. Next to x_w2 and eq_x_w2 we report the reference-vs-reference floor on two
 * disjoint reference halves of the same size, since these values never approach 0.
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

#define DIST_NBINS         200
#define DIST_BOOT_N        50
#define DIST_MAX_VALUES    2000000 /* distances per side; configurations subsampled beyond */
#define X_W2_NMAX          2000
#define EQ_W2_NMAX         200
#define EQ_W2_NMAX_LARGE_P 100 /* P > 20 (LJ-55): each pair alignment costs ~P² more */
#define OT_BOOT_N          200

#define DEF_DIST_W2                                                                                                    \
    "dist_w2 = W2 (exact 1-D optimal transport with squared cost, by sorting) between the "                            \
    "flattened multisets of all P(P-1)/2 interparticle distances of every sample configuration "                       \
    "(each distance carries its configuration's importance weight) and of every reference "                            \
    "configuration; configurations with u = +inf excluded (n_rejected); at most 2e6 distances per "                    \
    "side (seeded subsample of configurations beyond). ci95: percentile bootstrap over "                               \
    "configurations, 200 resamples of both sets, seeded."
#define DEF_DIST_TV                                                                                                    \
    "dist_tv = 1/2 sum_c |p_c - q_c| of the flattened interparticle-distance histograms on 200 "                       \
    "equal-width bins spanning the reference's [min, max] distance plus underflow/overflow cells; "                    \
    "weights and exclusions as dist_w2. ci95: bootstrap over configurations, 50 resamples."
#define DEF_X_W2                                                                                                       \
    "x_w2 = sqrt of the exact optimal-transport cost (Jonker-Volgenant assignment, squared "                           \
    "Euclidean cost, no alignment) between equally weighted sets of n_samples sample and "                             \
    "reference configurations, each configuration centred (centroid removed) for translation-"                         \
    "invariant tasks, raw otherwise; weighted samples are first resampled (systematic); at most "                      \
    "2000 per side (seeded subsample without replacement; sizes equalised). iDEM 'x-W2'/'rawW2'. "                     \
    "floor_ref_vs_ref: the same on two disjoint reference halves of floor_n configurations. "                          \
    "ci95: 200 bootstrap resamples of the n optimally matched pair costs, assignment held fixed "                      \
    "(cheap and centred; ignores re-matching, so it understates the spread)."
#define DEF_EQ_X_W2                                                                                                    \
    "eq_x_w2 = sqrt of the exact optimal-transport cost (Jonker-Volgenant) between equally "                           \
    "weighted sample and reference sets whose pair cost is min over particle permutations (only "                      \
    "if the task is permutation invariant) and orthogonal maps R (rotations AND reflections, no "                      \
    "det fix) of sum_i |x_i - R y_perm(i)|^2 on centred configurations. Pair alignment: all P! "                       \
    "permutations with Kabsch when P <= 7 (exact); otherwise alternating Hungarian <-> Kabsch "                        \
    "(<= 20 rounds) from 1 + 2^D starts (identity and the principal-axes frame with every sign "                       \
    "choice), best kept (an upper bound). At most 200 per side (100 if P > 20; seeded subsample). "                    \
    "Weighted "                                                                                                        \
    "samples resampled (systematic). floor_ref_vs_ref on disjoint reference halves. ci95: 200 "                        \
    "bootstrap resamples of the matched pair costs, assignment held fixed. Adjoint Sampling's geo-W2 is "              \
    "the same quantity under its own alignment procedure (comparable only under equal procedure)."

/* The particle geometry of the task, or 0 when the metrics do not apply. */
static int particle_shape(const bb_eval_input *in, int *P, int *D) {
    if (!in->task || !in->reference || in->task->n_particles < 2 || in->task->dim < 1) return 0;
    *P = in->task->n_particles;
    *D = in->task->dim;
    return 1;
}

/* Indices of the configurations to use (finite energy), and their weights. */
typedef struct {
    size_t n, rejected;
    size_t *idx;
    double *w; /* NULL if unweighted */
} picks;

static void picks_free(picks *p) {
    free(p->idx);
    free(p->w);
    memset(p, 0, sizeof *p);
}

static int picks_load(const bb_samples *s, const double *u, const char *what, picks *p, bb_ctx *ctx) {
    memset(p, 0, sizeof *p);
    double *w = NULL;
    int rc = bb_weights_from_log(s->n, s->logw, &w, what, ctx);
    if (rc) return rc;
    p->idx = malloc((s->n ? s->n : 1) * sizeof *p->idx);
    if (!p->idx) {
        free(w);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (u && isnan(u[i])) {
            free(w);
            picks_free(p);
            return BB_ERR(ctx, BB_ENAN, "%s: energy %zu is NaN", what, i);
        }
        if (u && u[i] == INFINITY) {
            p->rejected++;
            continue;
        }
        for (size_t k = 0; k < s->dof; k++)
            if (!isfinite(s->x[i * s->dof + k])) {
                free(w);
                picks_free(p);
                return BB_ERR(ctx, BB_ENAN, "%s: configuration %zu has a non-finite coordinate", what, i);
            }
        if (w) w[p->n] = w[i];
        p->idx[p->n++] = i;
    }
    p->w = w;
    return BB_OK;
}

/* ---- distances -------------------------------------------------------------- */

/* Keep at most max picks (seeded subsample without replacement); weights follow. */
static int picks_cap(picks *p, size_t max, uint64_t seed, uint64_t stream, bb_ctx *ctx) {
    if (p->n <= max) return BB_OK;
    size_t *sel = malloc(max * sizeof *sel), *idx = malloc(max * sizeof *idx);
    double *w = p->w ? malloc(max * sizeof *w) : NULL;
    int rc = (!sel || !idx || (p->w && !w)) ? BB_ERR(ctx, BB_ENOMEM, "distances: out of memory")
                                            : bb_subsample_indices(p->n, max, NULL, seed, stream, sel, ctx);
    if (!rc) {
        for (size_t i = 0; i < max; i++) {
            idx[i] = p->idx[sel[i]];
            if (w) w[i] = p->w[sel[i]];
        }
        free(p->idx);
        free(p->w);
        p->idx = idx;
        p->w = w;
        p->n = max;
        idx = NULL;
        w = NULL;
    }
    free(sel);
    free(idx);
    free(w);
    return rc;
}

static int dist_set(const bb_samples *s, const picks *pk, int P, int D, bb_wset *out, bb_ctx *ctx) {
    size_t k = (size_t)P * (P - 1) / 2;
    memset(out, 0, sizeof *out);
    out->v = malloc((pk->n * k > 0 ? pk->n * k : 1) * sizeof(double));
    if (pk->w) out->w = malloc((pk->n ? pk->n : 1) * sizeof(double));
    if (!out->v || (pk->w && !out->w)) {
        bb_wset_free(out);
        return BB_ERR(ctx, BB_ENOMEM, "distances: out of memory for %zu x %zu", pk->n, k);
    }
    out->n = pk->n;
    out->k = k;
    for (size_t i = 0; i < pk->n; i++) {
        const double *x = s->x + pk->idx[i] * s->dof;
        double *o = out->v + i * k;
        for (int a = 0; a < P; a++)
            for (int b = a + 1; b < P; b++) {
                double r2 = 0.0;
                for (int d = 0; d < D; d++) {
                    double t = x[a * D + d] - x[b * D + d];
                    r2 += t * t;
                }
                *o++ = sqrt(r2);
            }
        if (pk->w) out->w[i] = pk->w[i];
    }
    return BB_OK;
}

static int stat_dist_w2(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)user;
    int rc = bb_wset_w1d_pow(a, b, 2.0, out, ctx);
    if (!rc) *out = sqrt(*out);
    return rc;
}

static int stat_dist_tv(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    return bb_hist_tv((const bb_hgrid *)user, a, b, out, ctx);
}

static int dist_metric(const bb_eval_input *in, cJSON *out, int tv, bb_ctx *ctx) {
    int P, D;
    if (!particle_shape(in, &P, &D)) return BB_OK;
    const char *name = tv ? "dist_tv" : "dist_w2";
    picks pa, pb;
    bb_wset a = {0}, b = {0};
    memset(&pb, 0, sizeof pb);
    int rc = picks_load(in->samples, in->u_samples, "samples", &pa, ctx);
    if (!rc) rc = picks_load(in->reference, in->u_reference, "reference", &pb, ctx);
    if (!rc && pb.n == 0) rc = BB_ERR(ctx, BB_EINVAL, "%s: reference set has no usable configuration", name);
    /* at most DIST_MAX_VALUES distances per side (LJ-55: 1346 configurations) */
    size_t kd = (size_t)P * (size_t)(P - 1) / 2, cap = DIST_MAX_VALUES / kd > 0 ? DIST_MAX_VALUES / kd : 1;
    uint64_t st = tv ? BB_STREAM_DIST_TV : BB_STREAM_DIST_W2;
    if (!rc) rc = picks_cap(&pa, cap, in->seed, st + 0xFFFFu, ctx);
    if (!rc) rc = picks_cap(&pb, cap, in->seed, st + 0xFFFEu, ctx);
    if (!rc) rc = dist_set(in->samples, &pa, P, D, &a, ctx);
    if (!rc) rc = dist_set(in->reference, &pb, P, D, &b, ctx);
    bb_hgrid g;
    if (!rc && tv) rc = bb_hgrid_from(&b, DIST_NBINS, &g, ctx);
    double v = NAN, ci[2] = {NAN, NAN};
    double mass = 0.0;
    for (size_t i = 0; i < a.n; i++) mass += a.w ? a.w[i] : 1.0;
    int ok = mass > 0.0;
    bb_stat2_fn fn = tv ? stat_dist_tv : stat_dist_w2;
    if (!rc && ok) rc = fn(&a, &b, tv ? &g : NULL, &v, ctx);
    if (!rc && ok && in->with_ci)
        rc = tv ? bb_bootstrap2(&a, &b, 1, fn, &g, DIST_BOOT_N, in->seed, BB_STREAM_DIST_TV, ci, ctx)
                : bb_w1d_bootstrap(&a, &b, 2.0, BB_BOOT_N, in->seed, BB_STREAM_DIST_W2, ci, ctx);
    if (!rc) {
        cJSON *o = bb_metric_entry(out, name, v, a.n, in->with_ci && ok ? ci : NULL, tv ? DEF_DIST_TV : DEF_DIST_W2);
        if (!o) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        } else {
            cJSON_AddNumberToObject(o, "n_reference", (double)b.n);
            cJSON_AddNumberToObject(o, "n_rejected", (double)pa.rejected);
            if (tv) cJSON_AddNumberToObject(o, "n_bins", DIST_NBINS);
            if (!ok) cJSON_AddStringToObject(o, "note", "no usable sample configuration");
        }
    }
    bb_wset_free(&a);
    bb_wset_free(&b);
    picks_free(&pa);
    picks_free(&pb);
    return rc;
}

static int dist_w2_compute(const bb_eval_input *in, cJSON *out, bb_ctx *ctx) { return dist_metric(in, out, 0, ctx); }

static int dist_tv_compute(const bb_eval_input *in, cJSON *out, bb_ctx *ctx) { return dist_metric(in, out, 1, ctx); }

/* ---- exact OT in configuration space -------------------------------------------- */

/* Copy chosen rows (centred if requested) into a new [n][dof] array. */
static double *gather(const bb_samples *s, const size_t *idx, size_t n, int centre, int P, int D) {
    double *x = malloc((n * s->dof > 0 ? n * s->dof : 1) * sizeof *x);
    if (!x) return NULL;
    for (size_t i = 0; i < n; i++) {
        const double *src = s->x + idx[i] * s->dof;
        if (centre)
            bb_center(P, D, src, x + i * s->dof);
        else
            memcpy(x + i * s->dof, src, s->dof * sizeof *x);
    }
    return x;
}

typedef struct {
    const bb_align_opts *opts;
    int P, D;
} eqcost;

/* Pair-cost matrix: squared Euclidean (eq == NULL) or aligned (eq != NULL). */
static int cost_matrix(size_t n, size_t dof, const double *A, const double *B, const eqcost *eq, double *C,
                       bb_ctx *ctx) {
    if (!eq) return bb_sqdist_matrix(n, n, dof, A, B, C, ctx);
    int fail = 0;
#pragma omp parallel
    {
        bb_align_ws *ws = NULL;
        int mine = bb_align_ws_alloc(eq->P, eq->D, &ws, NULL);
        if (mine) {
#pragma omp atomic write
            fail = mine;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            if (!ws) continue;
            for (size_t j = 0; j < n; j++) {
                double sq;
                int r = bb_align_perm(eq->opts, A + i * dof, B + j * dof, ws, &sq, NULL);
                if (r) {
#pragma omp atomic write
                    fail = r;
                }
                C[i * n + j] = sq;
            }
        }
        bb_align_ws_free(ws);
    }
    if (fail) return BB_ERR(ctx, fail, "eq_x_w2: alignment failed (%s)", bb_status_name(fail));
    return BB_OK;
}

static int ot_metric(const bb_eval_input *in, cJSON *out, int eq, bb_ctx *ctx) {
    const char *name = eq ? "eq_x_w2" : "x_w2";
    if (!in->reference) return BB_OK;
    int P = in->task ? in->task->n_particles : 1, D = in->task ? in->task->dim : (int)in->samples->dof;
    int centre = in->task && (in->task->flags & BB_TASK_TRANSLATION_INV) && P >= 2;
    if (eq) {
        /* Applies to permutation- and rotation-invariant particle tasks (all of ours). */
        if (!in->task || P < 2 || D > 3 || !(in->task->flags & BB_TASK_PERMUTATION_INV) ||
            !(in->task->flags & BB_TASK_ROTATION_INV))
            return BB_OK;
    }
    bb_align_opts opts = {1, 7, 20, 0.0};
    size_t nmax = eq ? (P > 20 ? EQ_W2_NMAX_LARGE_P : EQ_W2_NMAX) : X_W2_NMAX;
    uint64_t stream = eq ? BB_STREAM_EQ_X_W2 : BB_STREAM_X_W2;
    picks pa, pb;
    memset(&pb, 0, sizeof pb);
    size_t *ia = NULL, *ib = NULL;
    double *A = NULL, *B = NULL, *C = NULL;
    int rc = picks_load(in->samples, in->u_samples, "samples", &pa, ctx);
    if (!rc) rc = picks_load(in->reference, in->u_reference, "reference", &pb, ctx);
    if (rc) goto out;
    if (pb.n < 2) {
        rc = BB_ERR(ctx, BB_EINVAL, "%s: reference set has fewer than 2 usable configurations", name);
        goto out;
    }
    double mass = 0.0;
    for (size_t i = 0; i < pa.n; i++) mass += pa.w ? pa.w[i] : 1.0;
    if (!(mass > 0.0)) {
        cJSON *o = bb_metric_entry(out, name, NAN, 0, NULL, eq ? DEF_EQ_X_W2 : DEF_X_W2);
        if (!o || !cJSON_AddStringToObject(o, "note", "no usable sample configuration"))
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    /* n = min(#samples, #reference, nmax); the floor uses two disjoint halves. */
    size_t n = pa.n < pb.n ? pa.n : pb.n;
    if (n > nmax) n = nmax;
    size_t nf = pb.n / 2 < n ? pb.n / 2 : n;
    size_t nr = n > 2 * nf ? n : 2 * nf;
    ia = malloc(n * sizeof *ia);
    ib = malloc(nr * sizeof *ib);
    if (!ia || !ib) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    /* sample side: systematic resampling by weight, or subsample without replacement */
    size_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    rc = bb_subsample_indices(pa.n, n, pa.w, in->seed, stream + 0xFFFFu, tmp, ctx);
    for (size_t i = 0; !rc && i < n; i++) ia[i] = pa.idx[tmp[i]];
    free(tmp);
    if (rc) goto out;
    /* reference side: n for the metric; the floor uses 2·nf distinct ones */
    size_t *tr = malloc(nr * sizeof *tr);
    if (!tr) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    rc = bb_subsample_indices(pb.n, nr, NULL, in->seed, stream + 0xFFFEu, tr, ctx);
    for (size_t i = 0; !rc && i < nr; i++) ib[i] = pb.idx[tr[i]];
    free(tr);
    if (rc) goto out;
    size_t dof = in->samples->dof;
    A = gather(in->samples, ia, n, centre, P, D);
    B = gather(in->reference, ib, nr, centre, P, D);
    C = malloc(n * n * sizeof *C);
    if (!A || !B || !C) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for n = %zu", name, n);
        goto out;
    }
    eqcost ec = {&opts, P, D};
    rc = cost_matrix(n, dof, A, B, eq ? &ec : NULL, C, ctx);
    double v2 = NAN, ci[2] = {NAN, NAN}, floor2 = NAN;
    if (!rc) rc = bb_ot_assign_mean_ci((int)n, C, OT_BOOT_N, in->seed, stream, &v2, ci, ctx);
    if (!rc && nf >= 1) {
        rc = cost_matrix(nf, dof, B, B + nf * dof, eq ? &ec : NULL, C, ctx);
        if (!rc) rc = bb_ot_assign_mean((int)nf, C, &floor2, ctx);
    }
    if (!rc) {
        cJSON *o =
            bb_metric_entry(out, name, sqrt(fmax(v2, 0.0)), n, in->with_ci ? ci : NULL, eq ? DEF_EQ_X_W2 : DEF_X_W2);
        if (!o) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        } else {
            cJSON_AddNumberToObject(o, "n_reference", (double)n);
            cJSON_AddNumberToObject(o, "n_rejected", (double)pa.rejected);
            bb_json_add_number(o, "floor_ref_vs_ref", sqrt(fmax(floor2, 0.0)));
            cJSON_AddNumberToObject(o, "floor_n", (double)nf);
            cJSON_AddBoolToObject(o, "centred", centre);
            cJSON_AddBoolToObject(o, "resampled_by_weight", pa.w != NULL);
        }
    }
out:
    free(ia);
    free(ib);
    free(A);
    free(B);
    free(C);
    picks_free(&pa);
    picks_free(&pb);
    return rc;
}

static int x_w2_compute(const bb_eval_input *in, cJSON *out, bb_ctx *ctx) { return ot_metric(in, out, 0, ctx); }

static int eq_x_w2_compute(const bb_eval_input *in, cJSON *out, bb_ctx *ctx) { return ot_metric(in, out, 1, ctx); }

const bb_metric bb_metric_dist_w2 = {"dist_w2", DEF_DIST_W2, 0, 1, 1, dist_w2_compute};
const bb_metric bb_metric_dist_tv = {"dist_tv", DEF_DIST_TV, 0, 1, 1, dist_tv_compute};
const bb_metric bb_metric_x_w2 = {"x_w2", DEF_X_W2, 0, 1, 0, x_w2_compute};
const bb_metric bb_metric_eq_x_w2 = {"eq_x_w2", DEF_EQ_X_W2, 0, 1, 0, eq_x_w2_compute};
