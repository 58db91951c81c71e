/* ot_metric.c — exact optimal transport between sample and reference configurations:
 * x_w2 (squared Euclidean cost, iDEM's "rawW2"), x_w1 (Euclidean cost), eq_x_w2 (pair cost
 * minimised over particle permutations and orthogonal maps, align.c) and eq_x_w2_demalign
 * with eq_x_w1_demalign (the DEM / Adjoint Sampling evaluators' pair alignment).
 *
 * Both sets are equally weighted: weighted samples are first resampled (systematic, by
 * weight); sample and reference sets are subsampled without replacement (seeded) to the
 * same n = min(#samples, #reference, n_max), n_max from the metric option n= or the
 * default (x_w2, x_w1: 2000; eq_*: 1000 for P <= 13, 100 above). The n x n cost matrix is
 * filled in parallel (OpenMP, static rows, one alignment workspace per thread; every
 * entry depends only on its pair, so the matrix is bit-identical on any thread count)
 * and solved exactly (lap_sparse.c). floor_ref_vs_ref: the same quantity between two
 * disjoint reference subsets of floor_n = min(n, #reference / 2) configurations.
 *
 * ci95: percentile bootstrap of the n optimally matched pair costs with the assignment
 * held fixed (replicate r: stream base + 2r) — centred on the value, it ignores
 * re-matching, so it understates the sampling spread; compare with the floor.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

#define X_NMAX        2000
#define EQ_NMAX       1000 /* the papers' 1000 v 1000, P <= EQ_NMAX_P */
#define EQ_NMAX_P     13
#define EQ_NMAX_LARGE 100 /* P > 13 (LJ-55): each alignment costs ~P^2 more */
#define OT_BOOT_N     200
#define EQ_EXHAUSTIVE 7 /* P <= 7: all P! permutations (exact) */
#define EQ_ALT_ROUNDS 20
#define OT_FLOOR_NOTE                                                                                                  \
    "floor_ref_vs_ref: the same quantity between two disjoint seeded reference subsets of floor_n configurations."
#define OT_CI_NOTE                                                                                                     \
    "ci95: percentile bootstrap, 200 resamples of the n optimally matched pair costs with the assignment held fixed "  \
    "(centred on the value; ignores re-matching, so it understates the spread)."

#define DEF_X_W2                                                                                                       \
    "x_w2 = sqrt of the exact optimal-transport cost (assignment, squared Euclidean cost, no "                         \
    "alignment) between equally weighted sets of n sample and n reference configurations, centred for "                \
    "translation-invariant tasks; weighted samples resampled systematically; n = min(#samples, "                       \
    "#reference, n_max), n_max 2000 (option n=), seeded subsample without replacement. iDEM "                          \
    "'x-W2'/'rawW2'. " OT_FLOOR_NOTE " " OT_CI_NOTE
#define DEF_X_W1                                                                                                       \
    "x_w1 = exact optimal-transport cost with the Euclidean (not squared) cost |x - y| between "                       \
    "the same sets as x_w2 (centred, no alignment, n_max 2000, option n=): the W1 distance, no square "                \
    "root taken. " OT_FLOOR_NOTE " " OT_CI_NOTE
#define DEF_EQ_X_W2                                                                                                    \
    "eq_x_w2 = sqrt of the exact optimal-transport cost between n sample and n reference "                             \
    "configurations whose pair cost is min over particle permutations and orthogonal maps R "                          \
    "(rotations AND reflections, no det fix) of sum_i |x_i - R y_perm(i)|^2 on centred "                               \
    "configurations. Pair alignment: all P! permutations with Kabsch when P <= 7 (exact); otherwise "                  \
    "alternating Hungarian <-> Kabsch (<= 20 rounds) from 1 + 2^D starts (identity and the "                           \
    "principal-axes frame with every sign choice), best kept (an upper bound). n = min(#samples, "                     \
    "#reference, n_max), n_max 1000 for P <= 13 (the papers' 1000 v 1000; all pairs), 100 above (option "              \
    "n=); weighted samples resampled systematically. " OT_FLOOR_NOTE " " OT_CI_NOTE
#define DEF_EQ_DEM                                                                                                     \
    "eq_x_w2_demalign = sqrt of the exact optimal-transport cost (squared cost) between the same "                     \
    "sets as eq_x_w2, with the DEM / Adjoint Sampling evaluators' pair alignment: one Hungarian on "                   \
    "the unsquared particle distances of the centred, unrotated clouds, then Kabsch on that matching "                 \
    "without the det fix (reflections allowed); pair cost sum_i |x_i - R y_perm(i)|^2 (>= eq_x_w2's). "                \
    "Those evaluators' 'Eq-W2' as a W2 (theirs takes EMD on the unsquared cost: eq_x_w1_demalign). " OT_FLOOR_NOTE     \
    " " OT_CI_NOTE
#define DEF_EQ_DEM_W1                                                                                                  \
    "eq_x_w1_demalign = exact optimal-transport cost with the unsquared cost |x - R y_perm| under the "                \
    "DEM alignment of eq_x_w2_demalign (same sets): DEM's 'Eq-EMD2' (POT emd2 on the unsquared "                       \
    "distance matrix) — a W1, no square root. " OT_FLOOR_NOTE " " OT_CI_NOTE

typedef enum { OT_X_W2, OT_X_W1, OT_EQ, OT_DEM } ot_kind;

typedef struct {
    ot_kind kind;
    int P, D;
    size_t dof;
    bb_align_opts opts;
} ot_cost;

/* C[i][j]: pair cost of A_i and B_j (squared for every kind but OT_X_W1). */
static int cost_matrix(const ot_cost *oc, size_t n, const double *A, const double *B, double *C, bb_ctx *ctx) {
    size_t dof = oc->dof;
    if (oc->kind == OT_X_W2 || oc->kind == OT_X_W1) {
        int rc = bb_sqdist_matrix(n, n, dof, A, B, C, ctx);
        if (!rc && oc->kind == OT_X_W1)
            for (size_t k = 0; k < n * n; k++) C[k] = sqrt(C[k]);
        return rc;
    }
    int fail = 0;
#pragma omp parallel
    {
        bb_align_ws *ws = NULL;
        int mine = bb_align_ws_alloc(oc->P, oc->D, &ws, NULL);
        if (mine) {
#pragma omp atomic write
            fail = mine;
        }
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; ws && j < n; j++) {
                double sq = NAN;
                int r = oc->kind == OT_EQ ? bb_align_perm(&oc->opts, A + i * dof, B + j * dof, ws, &sq, NULL)
                                          : bb_align_dem(A + i * dof, B + j * dof, ws, &sq, NULL);
                if (r) {
#pragma omp atomic write
                    fail = r;
                }
                C[i * n + j] = sq;
            }
        }
        bb_align_ws_free(ws);
    }
    if (fail) return BB_ERR(ctx, fail, "alignment failed (%s)", bb_status_name(fail));
    return BB_OK;
}

/* Exact assignment of the n x n cost C: OUT value = mean matched cost (its square root when
 * root); ci (may be NULL): fixed-assignment bootstrap of the matched costs (ot_exact.c gives
 * the interval of the root; squared back for a mean). */
static int assign_value(int n, const double *C, int root, uint64_t seed, uint64_t stream, double *value, double *ci,
                        bb_ctx *ctx) {
    double mean;
    int rc =
        ci ? bb_ot_assign_mean_ci(n, C, OT_BOOT_N, seed, stream, &mean, ci, ctx) : bb_ot_assign_mean(n, C, &mean, ctx);
    if (rc) return rc;
    *value = root ? sqrt(fmax(mean, 0.0)) : mean;
    if (ci && !root) {
        ci[0] *= ci[0];
        ci[1] *= ci[1];
    }
    return BB_OK;
}

/* Rows idx[0..n) of the point set s into a new [n][k] array. */
static double *rows(const bb_wset *s, const size_t *idx, size_t n) {
    double *x = malloc((n * s->k > 0 ? n * s->k : 1) * sizeof *x);
    for (size_t i = 0; x && i < n; i++) memcpy(x + i * s->k, s->v + idx[i] * s->k, s->k * sizeof *x);
    return x;
}

typedef struct {
    const char *name, *def;
    int root; /* value = sqrt(mean cost) */
    double v, ci[2], floor;
} ot_entry;

static int write_entry(cJSON *out, const ot_entry *e, const bb_eval_input *in, size_t n, size_t nf, size_t nmax,
                       size_t rejected, int centre, int weighted, bb_ctx *ctx) {
    cJSON *o = bb_metric_entry(out, e->name, e->v, n, in->with_ci ? e->ci : NULL, e->def);
    int ok = o && cJSON_AddNumberToObject(o, "n_reference", (double)n) &&
             cJSON_AddNumberToObject(o, "n_rejected", (double)rejected) &&
             bb_json_add_number(o, "floor_ref_vs_ref", nf >= 1 ? e->floor : NAN) &&
             cJSON_AddNumberToObject(o, "floor_n", (double)nf) && cJSON_AddNumberToObject(o, "n_max", (double)nmax) &&
             cJSON_AddBoolToObject(o, "centred", centre) && cJSON_AddBoolToObject(o, "resampled_by_weight", weighted);
    return ok ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", e->name);
}

static int ot_metric(const bb_eval_input *in, const bb_metric_opts *opt, cJSON *out, ot_kind kind, bb_ctx *ctx) {
    static const char *const names[] = {"x_w2", "x_w1", "eq_x_w2", "eq_x_w2_demalign"};
    static const char *const defs[] = {DEF_X_W2, DEF_X_W1, DEF_EQ_X_W2, DEF_EQ_DEM};
    const char *name = names[kind];
    if (!in->reference) return BB_OK;
    int P = in->task ? in->task->n_particles : 1, D = in->task ? in->task->dim : (int)in->samples->dof;
    int eq = kind == OT_EQ || kind == OT_DEM;
    /* eq_*: permutation- and rotation-invariant particle tasks only (all of ours) */
    if (eq && (!in->task || P < 2 || D > 3 || !(in->task->flags & BB_TASK_PERMUTATION_INV) ||
               !(in->task->flags & BB_TASK_ROTATION_INV)))
        return BB_OK;
    size_t nmax = opt->n ? opt->n : !eq ? X_NMAX : P <= EQ_NMAX_P ? EQ_NMAX : EQ_NMAX_LARGE;
    uint64_t stream = kind == OT_X_W2   ? BB_STREAM_X_W2
                      : kind == OT_X_W1 ? BB_STREAM_X_W1
                      : kind == OT_EQ   ? BB_STREAM_EQ_X_W2
                                        : BB_STREAM_EQ_DEM;
    bb_wset sa = {0}, sb = {0};
    size_t rej_a = 0, rej_b = 0, *ia = NULL, *ib = NULL;
    double *A = NULL, *B = NULL, *C = NULL;
    int rc = bb_points_load(in->samples, in->u_samples, in->task, (size_t)-1, in->seed, 0, "samples", &sa, &rej_a, ctx);
    if (!rc)
        rc = bb_points_load(in->reference, in->u_reference, in->task, (size_t)-1, in->seed, 0, "reference", &sb, &rej_b,
                            ctx);
    if (rc) goto out;
    int centre = in->task && (in->task->flags & BB_TASK_TRANSLATION_INV) && P >= 2;
    if (sb.n < 2) {
        rc = BB_ERR(ctx, BB_EINVAL, "%s: reference set has fewer than 2 usable configurations", name);
        goto out;
    }
    if (!(bb_wset_mass(&sa) > 0.0)) {
        cJSON *o = bb_metric_entry(out, name, NAN, 0, NULL, defs[kind]);
        if (!o || !cJSON_AddStringToObject(o, "note", "no usable sample configuration"))
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    /* n = min(#samples, #reference, n_max); the floor uses 2 nf distinct references */
    size_t n = sa.n < sb.n ? sa.n : sb.n;
    if (n > nmax) n = nmax;
    size_t nf = sb.n / 2 < n ? sb.n / 2 : n, nr = n > 2 * nf ? n : 2 * nf;
    ia = malloc(n * sizeof *ia);
    ib = malloc(nr * sizeof *ib);
    if (!ia || !ib) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    rc = bb_subsample_indices(sa.n, n, sa.w, in->seed, stream + 0xFFFFu, ia, ctx);
    if (!rc) rc = bb_subsample_indices(sb.n, nr, NULL, in->seed, stream + 0xFFFEu, ib, ctx);
    if (rc) goto out;
    A = rows(&sa, ia, n);
    B = rows(&sb, ib, nr);
    C = malloc(n * n * sizeof *C);
    if (!A || !B || !C) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for n = %zu", name, n);
        goto out;
    }
    ot_cost oc = {kind, P, D, sa.k, {1, EQ_EXHAUSTIVE, EQ_ALT_ROUNDS, 0.0}};
    /* the DEM family reports a W2 (squared cost) and a W1 (its square root) */
    ot_entry e[2] = {{name, defs[kind], kind != OT_X_W1, NAN, {NAN, NAN}, NAN},
                     {"eq_x_w1_demalign", DEF_EQ_DEM_W1, 0, NAN, {NAN, NAN}, NAN}};
    int ne = kind == OT_DEM ? 2 : 1;
    for (int pass = 0; !rc && pass < 2; pass++) {
        size_t m = pass ? nf : n;
        if (m < 1) continue;
        rc = cost_matrix(&oc, m, pass ? B : A, pass ? B + nf * sa.k : B, C, ctx);
        for (int k = 0; !rc && k < ne; k++) {
            if (k == 1)
                for (size_t q = 0; q < m * m; q++) C[q] = sqrt(C[q]);
            double *dst = pass ? &e[k].floor : &e[k].v;
            rc = assign_value((int)m, C, e[k].root, in->seed, stream + 0x1000u * (uint64_t)k, dst,
                              !pass && in->with_ci ? e[k].ci : NULL, ctx);
        }
    }
    for (int k = 0; !rc && k < ne; k++) rc = write_entry(out, &e[k], in, n, nf, nmax, rej_a, centre, sa.w != NULL, ctx);
out:
    free(ia);
    free(ib);
    free(A);
    free(B);
    free(C);
    bb_wset_free(&sa);
    bb_wset_free(&sb);
    return rc;
}

static int x_w2_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    return ot_metric(in, o, out, OT_X_W2, ctx);
}
static int x_w1_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    return ot_metric(in, o, out, OT_X_W1, ctx);
}
static int eq_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    return ot_metric(in, o, out, OT_EQ, ctx);
}
static int dem_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    return ot_metric(in, o, out, OT_DEM, ctx);
}

const bb_metric bb_metric_x_w2 = {"x_w2", DEF_X_W2, 0, 1, 0, x_w2_compute};
const bb_metric bb_metric_x_w1 = {"x_w1", DEF_X_W1, 0, 1, 0, x_w1_compute};
const bb_metric bb_metric_eq_x_w2 = {"eq_x_w2", DEF_EQ_X_W2, 0, 1, 0, eq_compute};
const bb_metric bb_metric_eq_x_w2_demalign = {"eq_x_w2_demalign", DEF_EQ_DEM, 0, 1, 0, dem_compute};
