/* tica_metric.c — TICA statistics for tasks with a trajectory-ordered reference set and
 * molecular features: tica_w2 (W2 between sample and reference projections on the first
 * n TICs, n = the task's n_components, 2 for the peptides), tica_w1 (its own selection: the
 * same with the Euclidean cost, PITA's TICA-W1), tica_w2_ic1 … tica_w2_ic<n>
 * (1-D W2 per component) and tica_histogram (2-D densities on TICs 1-2, for plots).
 *
 * TICA is fitted on the REFERENCE set taken as one trajectory in its stored order, at
 * the task's lag (tica.c: deeptime estimator, ε = 1e-6, ≤ 40 dims, kinetic-map
 * scaling); samples (u = +inf excluded) and reference are projected on the first n
 * components. tica_w2: exact assignment (lap.c) on a seeded subsample of ≤ 1000 per
 * side (weighted samples resampled systematically); the 1-D values use the weights
 * directly. Tasks opt in by declaring a spec (bb_task_type.tica: features, lag, number of
 * components; the peptides declare PITA's features: the distances of all C and N atoms and
 * MDTraj's φ/ψ/ω quadruples, lag 100 for ALDP, 10 for AL3). A declaring task always gets a
 * tica_w2 (and, when selected, tica_w1) entry: null with a note when it cannot be computed,
 * never silently nothing.
 *
 * Not a kinetic comparison: samples are i.i.d. configurations, only their projections
 * onto the reference's slow coordinates are compared.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

#define TICA_NMAX      1000
#define TICA_HBINS     50
#define TICA_OT_BOOT_N 200

#define DEF_TICA_W2                                                                                                    \
    "tica_w2 = sqrt of the exact OT cost (squared Euclidean, Jonker-Volgenant) between sample and "                    \
    "reference projections on the first n_components TICA components (the task's; 2 for the peptides; "                \
    "kinetic-map scaled); TICA fitted on "                                                                             \
    "the reference set as a trajectory at the task's lag with deeptime's symmetrised estimator "                       \
    "(eps = 1e-6 rank cut, <= 40 dims); <= 1000 per side (seeded subsample; weighted samples "                         \
    "resampled systematically); u = +inf excluded. ci95: 200 resamples of the matched pair costs (assignment fixed). " \
    "floor_ref_vs_ref: the same between two disjoint seeded reference subsets of floor_n projections. "                \
    "floor_halves: the same between the first and second half of the reference in time order (TICA refitted on "       \
    "the whole reference, <= 1000 evenly strided frames of each half, floor_halves_n), the convergence floor of "      \
    "the reference itself (null when it cannot be computed)."
#define DEF_TICA_W1                                                                                                    \
    "tica_w1 = exact W1 (Euclidean cost, not squared; Jonker-Volgenant on the same matched subsets as tica_w2) "       \
    "between sample and reference projections on the first n_components TICA components: PITA's TICA-W1 "              \
    "(taraak/pita distribution_distances.py, wasserstein(power=1): POT emd2 on torch.cdist, uniform weights, "         \
    "first 2 TICs). PITA compares the first min(10000, n) rows of each set, here a seeded subsample of <= 1000 per "   \
    "side. ci95: 200 resamples of the matched pair costs (assignment fixed). floor_ref_vs_ref: the same between the "  \
    "two disjoint reference subsets of tica_w2's floor."
#define DEF_TICA_W2_IC                                                                                                 \
    "tica_w2_ic<k> = exact 1-D W2 (by sorting, importance-weighted) between sample and reference "                     \
    "projections on TICA component k (same fit as tica_w2). ci95: median-bias-corrected percentile "                   \
    "bootstrap, 200 resamples of both sets (interval shifted by value - median(replicates)); floor_ref_vs_ref "        \
    "between two disjoint seeded reference subsets of floor_n = min(n_samples, n_reference / 2)."
#define DEF_TICA_HIST                                                                                                  \
    "tica_histogram: 2-D densities of sample (weighted) and reference projections on TICA "                            \
    "components 1-2, 50 x 50 bins spanning the reference's range; value null (for plots)."
#define DEF_TICA_HIST1                                                                                                 \
    "tica_ic1_histogram: 1-D densities of sample (weighted) and reference projections on TICA component 1, 50 "        \
    "bins spanning the reference's range (samples outside it are not drawn); value null (for plots)."

int bb_tica_spec_for(const bb_task *t, bb_tica_task_spec *out) {
    memset(out, 0, sizeof *out);
    const bb_task_tica *k = t && t->type ? t->type->tica : NULL;
    if (!k) return 0;
    out->task = t->type->name;
    out->features.n_pairs = k->n_pairs;
    out->features.pairs = k->pairs;
    out->features.n_dihedrals = k->n_dihedrals;
    out->features.quads = k->quads;
    out->lag = k->lag;
    out->n_components = k->n_components > 0 ? k->n_components : 2;
    return 1;
}

/* Y [n][stride]: the first two columns are binned. */
static int add_hist2d(cJSON *o, const char *name, size_t n, const double *Y, size_t stride, const double *w,
                      const double lo[2], const double hi[2]) {
    double *h = calloc(TICA_HBINS * TICA_HBINS, sizeof *h), tot = 0.0;
    if (!h) return 0;
    double wx = (hi[0] - lo[0]) / TICA_HBINS, wy = (hi[1] - lo[1]) / TICA_HBINS;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        tot += wi;
        double y0 = Y[stride * i], y1 = Y[stride * i + 1];
        int bx = (int)floor((y0 - lo[0]) / wx), by = (int)floor((y1 - lo[1]) / wy);
        if (y0 == hi[0]) bx = TICA_HBINS - 1;
        if (y1 == hi[1]) by = TICA_HBINS - 1;
        if (bx < 0 || by < 0 || bx >= TICA_HBINS || by >= TICA_HBINS) continue; /* outside: not drawn */
        h[bx * TICA_HBINS + by] += wi;
    }
    cJSON *rows = cJSON_AddArrayToObject(o, name);
    int ok = rows != NULL;
    for (int bx = 0; ok && bx < TICA_HBINS; bx++) {
        for (int by = 0; by < TICA_HBINS; by++) h[bx * TICA_HBINS + by] /= (tot > 0 ? tot : 1.0) * wx * wy;
        cJSON *r = cJSON_CreateDoubleArray(h + bx * TICA_HBINS, TICA_HBINS);
        ok = r && cJSON_AddItemToArray(rows, r);
        if (!ok) cJSON_Delete(r);
    }
    free(h);
    return ok;
}

/* Y [n][stride]: column 0 binned on [lo, hi) in TICA_HBINS bins (hi itself in the last). */
static int add_hist1d(cJSON *o, const char *name, size_t n, const double *Y, size_t stride, const double *w, double lo,
                      double hi) {
    double h[TICA_HBINS] = {0}, tot = 0.0, bw = (hi - lo) / TICA_HBINS;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, y = Y[stride * i];
        int b = y == hi ? TICA_HBINS - 1 : (int)floor((y - lo) / bw);
        tot += wi;
        if (b >= 0 && b < TICA_HBINS) h[b] += wi;
    }
    for (int b = 0; b < TICA_HBINS; b++) h[b] /= (tot > 0 ? tot : 1.0) * bw;
    cJSON *a = cJSON_CreateDoubleArray(h, TICA_HBINS);
    if (!a || !cJSON_AddItemToObject(o, name, a)) {
        cJSON_Delete(a);
        return 0;
    }
    return 1;
}

/* The TIC-1 histogram entry (kind "histogram", like energy_histogram). */
static int add_ic1_histogram(cJSON *out, size_t na, const double *Ys, const double *ws, size_t nr, const double *Yr,
                             size_t nc, const double lo[2], const double hi[2]) {
    double e[TICA_HBINS + 1];
    for (int b = 0; b <= TICA_HBINS; b++) e[b] = b == TICA_HBINS ? hi[0] : lo[0] + (hi[0] - lo[0]) * b / TICA_HBINS;
    cJSON *h = bb_metric_entry(out, "tica_ic1_histogram", NAN, na, NULL, DEF_TICA_HIST1);
    return h && cJSON_AddStringToObject(h, "kind", "histogram") &&
           cJSON_AddItemToObject(h, "bin_edges", cJSON_CreateDoubleArray(e, TICA_HBINS + 1)) &&
           add_hist1d(h, "density_samples", na, Ys, nc, ws, lo[0], hi[0]) &&
           add_hist1d(h, "density_reference", nr, Yr, nc, NULL, lo[0], hi[0]);
}

/* Lag in frames and, when the reference records its frame interval, in picoseconds. */
static int add_lag(cJSON *o, const bb_eval_input *in, int lag) {
    double dt = in->reference_frame_interval_ps;
    int ok = cJSON_AddNumberToObject(o, "lag", lag) && cJSON_AddNumberToObject(o, "lag_frames", lag) &&
             bb_json_add_number(o, "frame_interval_ps", dt > 0.0 ? dt : NAN) &&
             bb_json_add_number(o, "lag_ps", dt > 0.0 ? dt * lag : NAN);
    if (ok && !(dt > 0.0))
        ok = cJSON_AddStringToObject(o, "frame_interval_note",
                                     "the reference set does not record its frame interval") != NULL;
    return ok;
}

int bb_tica_halves_w2(const bb_tica_task_spec *spec, const bb_task *t, const bb_samples *R, const size_t *seg,
                      size_t n_seg, double *w2, size_t *n_half, bb_ctx *ctx) {
    *w2 = NAN;
    *n_half = 0;
    int k = bb_features_dim(&spec->features);
    size_t h = R->n / 2, m = h < TICA_NMAX ? h : TICA_NMAX;
    if ((size_t)spec->lag + 2 > R->n || m < 1)
        return BB_ERR(ctx, BB_EINVAL, "tica halves: reference has %zu frames; TICA at lag %d needs at least lag + 2",
                      R->n, spec->lag);
    bb_tica model;
    memset(&model, 0, sizeof model);
    double *F = malloc(R->n * (size_t)k * sizeof *F), *Y = NULL, *A = NULL, *B = NULL;
    int rc = F ? bb_features_compute(&spec->features, t->n_particles, t->dim, R->n, R->x, F, ctx)
               : BB_ERR(ctx, BB_ENOMEM, "tica halves: out of memory");
    if (!rc) rc = bb_tica_fit_segments(R->n, seg, n_seg, k, F, spec->lag, 1e-6, 40, &model, ctx);
    int want = spec->n_components > 0 ? spec->n_components : 2, nc = model.k_out < want ? model.k_out : want;
    if (!rc && nc < 1) rc = BB_ERR(ctx, BB_EINVAL, "tica halves: TICA kept no component of %d features", k);
    if (!rc) {
        Y = malloc(R->n * (size_t)nc * sizeof *Y);
        A = malloc(m * (size_t)nc * sizeof *A);
        B = malloc(m * (size_t)nc * sizeof *B);
        if (!Y || !A || !B) rc = BB_ERR(ctx, BB_ENOMEM, "tica halves: out of memory");
    }
    if (!rc) rc = bb_tica_project(&model, R->n, F, nc, 1, Y, ctx);
    if (!rc) { /* m evenly strided rows of each half, in time order */
        for (size_t i = 0; i < m; i++) {
            size_t j = i * h / m;
            memcpy(A + i * (size_t)nc, Y + j * (size_t)nc, (size_t)nc * sizeof *Y);
            memcpy(B + i * (size_t)nc, Y + (h + j) * (size_t)nc, (size_t)nc * sizeof *Y);
        }
        double sq;
        rc = bb_ot_exact_w2sq(m, (size_t)nc, A, B, &sq, ctx);
        if (!rc) *w2 = sqrt(fmax(sq, 0.0)), *n_half = m;
    }
    bb_tica_free(&model);
    free(F);
    free(Y);
    free(A);
    free(B);
    return rc;
}

/* W1 of the same matched sets: the squared-distance cost C [n][n] made Euclidean in place, its exact
 * assignment mean (uniform weights, equal sizes: the exact W1) and, when ci is given, the
 * fixed-assignment bootstrap interval of that mean (ot_exact.c returns the interval of its root). */
static int assign_w1(size_t n, double *C, uint64_t seed, uint64_t stream, double *w1, double ci[2], bb_ctx *ctx) {
    for (size_t i = 0; i < n * n; i++) C[i] = sqrt(fmax(C[i], 0.0));
    int rc = ci ? bb_ot_assign_mean_ci((int)n, C, TICA_OT_BOOT_N, seed, stream, w1, ci, ctx)
                : bb_ot_assign_mean((int)n, C, w1, ctx);
    if (!rc && ci) ci[0] *= ci[0], ci[1] *= ci[1];
    return rc;
}

/* tica_w2 = null with the reason: a task that declares TICA never gets silently nothing. */
static int not_computed(cJSON *out, const bb_eval_input *in, const bb_tica_task_spec *spec, unsigned what, size_t n,
                        const char *fmt, size_t a, size_t b, bb_ctx *ctx) {
    char note[256];
    snprintf(note, sizeof note, fmt, a, b);
    for (int k = 0; k < 2; k++) {
        if (!(what & (k ? BB_TICA_W1 : BB_TICA_W2))) continue;
        cJSON *o = bb_metric_entry(out, k ? "tica_w1" : "tica_w2", NAN, n, NULL, k ? DEF_TICA_W1 : DEF_TICA_W2);
        if (!o || !cJSON_AddStringToObject(o, "note", note) || !add_lag(o, in, spec->lag))
            return BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
    }
    return BB_OK;
}

int bb_tica_metric_run(const bb_eval_input *in, const bb_tica_task_spec *spec, unsigned what, cJSON *out, bb_ctx *ctx) {
    if (!in->reference || !in->task || !spec || !what) return BB_OK;
    const bb_samples *R = in->reference;
    int P = in->task->n_particles, D = in->task->dim, k = bb_features_dim(&spec->features);
    if ((size_t)spec->lag + 2 > R->n)
        return not_computed(out, in, spec, what, 0, "reference has %zu frames; TICA at lag %zu needs at least lag + 2",
                            R->n, (size_t)spec->lag, ctx);
    bb_wset pa = {0}, pr = {0};
    size_t rej = 0, rej_r = 0;
    double *Fr = NULL, *Fs = NULL, *Yr = NULL, *Ys = NULL, *A = NULL, *B = NULL, *C = NULL, *c1 = NULL;
    size_t *ia = NULL, *ib = NULL;
    bb_tica model;
    memset(&model, 0, sizeof model);
    int rc;
    Fr = malloc(R->n * (size_t)k * sizeof *Fr);
    if (!Fr) return BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
    rc = bb_features_compute(&spec->features, P, D, R->n, R->x, Fr, ctx);
    if (!rc)
        rc = bb_tica_fit_segments(R->n, in->reference_segments, in->reference_n_segments, k, Fr, spec->lag, 1e-6, 40,
                                  &model, ctx);
    if (rc) goto out;
    int want = spec->n_components > 0 ? spec->n_components : 2;
    int nc = model.k_out < want ? model.k_out : want;
    if (nc < 1) {
        rc = not_computed(out, in, spec, what, 0, "TICA kept %zu components of %zu features (rank cut 1e-6)",
                          (size_t)model.k_out, (size_t)k, ctx);
        goto out;
    }
    /* samples (u = +inf excluded), all of them, with weights */
    rc = bb_points_load(in->samples, in->u_samples, NULL, (size_t)-1, in->seed, BB_STREAM_TICA + 0xFFFFu, "samples",
                        &pa, &rej, ctx);
    if (!rc)
        rc = bb_points_load(R, in->u_reference, NULL, (size_t)-1, in->seed, BB_STREAM_TICA + 0xFFFEu, "reference", &pr,
                            &rej_r, ctx);
    if (rc) goto out;
    Fs = malloc((pa.n ? pa.n : 1) * (size_t)k * sizeof *Fs);
    double *Fr2 = realloc(Fr, (pr.n ? pr.n : 1) * (size_t)k * sizeof *Fr);
    if (!Fs || !Fr2) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    Fr = Fr2;
    Ys = malloc((pa.n ? pa.n : 1) * (size_t)nc * sizeof *Ys);
    Yr = malloc((pr.n ? pr.n : 1) * (size_t)nc * sizeof *Yr);
    if (!Ys || !Yr) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    rc = bb_features_compute(&spec->features, P, D, pa.n, pa.v, Fs, ctx);
    if (!rc) rc = bb_features_compute(&spec->features, P, D, pr.n, pr.v, Fr, ctx);
    if (!rc) rc = bb_tica_project(&model, pa.n, Fs, nc, 1, Ys, ctx);
    if (!rc) rc = bb_tica_project(&model, pr.n, Fr, nc, 1, Yr, ctx);
    if (rc) goto out;
    if (pa.n == 0 || pr.n == 0) {
        rc = not_computed(out, in, spec, what, pa.n, "%zu samples and %zu reference frames with finite energy", pa.n,
                          pr.n, ctx);
        goto out;
    }
    /* 1-D per component */
    c1 = malloc((pa.n + pr.n) * sizeof *c1);
    if (!c1) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    for (int c = 0; c < nc && (what & BB_TICA_W2); c++) {
        for (size_t i = 0; i < pa.n; i++) c1[i] = Ys[i * (size_t)nc + (size_t)c];
        for (size_t i = 0; i < pr.n; i++) c1[pa.n + i] = Yr[i * (size_t)nc + (size_t)c];
        bb_wset a = {pa.n, 1, c1, pa.w}, b = {pr.n, 1, c1 + pa.n, NULL};
        bb_twoset tw;
        rc = bb_twoset_eval(&a, &b, bb_stat_w2, NULL, 2.0, in->with_ci ? BB_BOOT_N : 0, in->seed,
                            BB_STREAM_TICA + 0x1000u * (uint64_t)(c + 1), &tw, ctx);
        if (rc) goto out;
        char name[32];
        snprintf(name, sizeof name, "tica_w2_ic%d", c + 1);
        if (!bb_metric_entry_twoset(out, name, &tw, 0, pa.n, in->with_ci, DEF_TICA_W2_IC)) {
            rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
            goto out;
        }
    }
    /* 2-D exact OT on equal-size subsamples */
    size_t n = pa.n < pr.n ? pa.n : pr.n;
    if (n > TICA_NMAX) n = TICA_NMAX;
    ia = malloc(n * sizeof *ia);
    ib = malloc(n * sizeof *ib);
    A = malloc(n * (size_t)nc * sizeof *A);
    B = malloc(n * (size_t)nc * sizeof *B);
    C = malloc(n * n * sizeof *C);
    if (!ia || !ib || !A || !B || !C) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    rc = bb_subsample_indices(pa.n, n, pa.w, in->seed, BB_STREAM_TICA + 0xFFFDu, ia, ctx);
    if (!rc) rc = bb_subsample_indices(pr.n, n, NULL, in->seed, BB_STREAM_TICA + 0xFFFCu, ib, ctx);
    if (rc) goto out;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < nc; c++) {
            A[i * (size_t)nc + (size_t)c] = Ys[ia[i] * (size_t)nc + (size_t)c];
            B[i * (size_t)nc + (size_t)c] = Yr[ib[i] * (size_t)nc + (size_t)c];
        }
    double w2 = NAN, w1 = NAN, ci[2] = {NAN, NAN}, ci1[2] = {NAN, NAN}, fl = NAN, fl1 = NAN;
    rc = bb_sqdist_matrix(n, n, (size_t)nc, A, B, C, ctx);
    if (!rc && (what & BB_TICA_W2))
        rc = bb_ot_assign_mean_ci((int)n, C, TICA_OT_BOOT_N, in->seed, BB_STREAM_TICA, &w2, ci, ctx);
    if (!rc && (what & BB_TICA_W1)) rc = assign_w1(n, C, in->seed, BB_STREAM_TICA + 0x800u, &w1, ci1, ctx);
    /* floor: two disjoint reference subsets of min(n, #reference / 2) projections */
    bb_wset ry = {pr.n, (size_t)nc, Yr, NULL}, h1 = {0}, h2 = {0};
    size_t nf = n < pr.n / 2 ? n : pr.n / 2;
    if (!rc && nf > 0) rc = bb_wset_split(&ry, nf, in->seed, BB_STREAM_TICA + 0xFFFDu, &h1, &h2, ctx);
    if (!rc && nf > 0) rc = bb_sqdist_matrix(nf, nf, (size_t)nc, h1.v, h2.v, C, ctx);
    if (!rc && nf > 0 && (what & BB_TICA_W2)) rc = bb_ot_assign_mean((int)nf, C, &fl, ctx);
    if (!rc && nf > 0 && (what & BB_TICA_W1)) rc = assign_w1(nf, C, 0, 0, &fl1, NULL, ctx);
    bb_wset_free(&h1);
    bb_wset_free(&h2);
    if (rc) goto out;
    if (what & BB_TICA_W1) {
        cJSON *o1 = bb_metric_entry(out, "tica_w1", w1, n, in->with_ci ? ci1 : NULL, DEF_TICA_W1);
        if (!o1 || !bb_json_add_number(o1, "floor_ref_vs_ref", fl1) ||
            !cJSON_AddNumberToObject(o1, "floor_n", (double)nf) || !add_lag(o1, in, spec->lag) ||
            !cJSON_AddNumberToObject(o1, "n_components", nc)) {
            rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
            goto out;
        }
    }
    if (!(what & BB_TICA_W2)) goto out;
    cJSON *o = bb_metric_entry(out, "tica_w2", sqrt(fmax(w2, 0.0)), n, in->with_ci ? ci : NULL, DEF_TICA_W2);
    if (!o) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    bb_json_add_number(o, "floor_ref_vs_ref", sqrt(fmax(fl, 0.0)));
    cJSON_AddNumberToObject(o, "floor_n", (double)nf);
    double fh;
    size_t nh;
    bb_ctx hctx = {0}; /* a reference too short to halve at the lag: the floor is null, the metric stands */
    if (bb_tica_halves_w2(spec, in->task, R, in->reference_segments, in->reference_n_segments, &fh, &nh, &hctx) ==
        BB_ENOMEM) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    bb_json_add_number(o, "floor_halves", fh);
    cJSON_AddNumberToObject(o, "floor_halves_n", (double)nh);
    add_lag(o, in, spec->lag);
    cJSON_AddNumberToObject(o, "reference_trajectories",
                            in->reference_n_segments > 1 ? (double)in->reference_n_segments : 1.0);
    cJSON_AddNumberToObject(o, "n_components", nc);
    cJSON_AddNumberToObject(o, "n_rejected", (double)rej);
    cJSON_AddItemToObject(o, "eigenvalues", cJSON_CreateDoubleArray(model.eig, nc));
    cJSON_AddItemToObject(o, "timescales", cJSON_CreateDoubleArray(model.timescales, nc));
    if (nc >= 2) {
        double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
        for (size_t i = 0; i < pr.n; i++)
            for (int c = 0; c < 2; c++) {
                lo[c] = fmin(lo[c], Yr[(size_t)nc * i + (size_t)c]);
                hi[c] = fmax(hi[c], Yr[(size_t)nc * i + (size_t)c]);
            }
        for (int c = 0; c < 2; c++)
            if (!(hi[c] > lo[c])) lo[c] -= 0.5, hi[c] += 0.5;
        cJSON *h = bb_metric_entry(out, "tica_histogram", NAN, pa.n, NULL, DEF_TICA_HIST);
        double r1[2] = {lo[0], hi[0]}, r2[2] = {lo[1], hi[1]};
        int ok = h && cJSON_AddStringToObject(h, "kind", "histogram2d") &&
                 cJSON_AddItemToObject(h, "range_ic1", cJSON_CreateDoubleArray(r1, 2)) &&
                 cJSON_AddItemToObject(h, "range_ic2", cJSON_CreateDoubleArray(r2, 2)) &&
                 cJSON_AddNumberToObject(h, "n_bins", TICA_HBINS) &&
                 add_hist2d(h, "density_samples", pa.n, Ys, (size_t)nc, pa.w, lo, hi) &&
                 add_hist2d(h, "density_reference", pr.n, Yr, (size_t)nc, NULL, lo, hi) &&
                 add_ic1_histogram(out, pa.n, Ys, pa.w, pr.n, Yr, (size_t)nc, lo, hi);
        if (!ok) rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
    }
out:
    bb_tica_free(&model);
    bb_wset_free(&pa);
    bb_wset_free(&pr);
    free(Fr);
    free(Fs);
    free(Yr);
    free(Ys);
    free(A);
    free(B);
    free(C);
    free(c1);
    free(ia);
    free(ib);
    return rc;
}

static int tica_compute(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx) {
    (void)opts;
    bb_tica_task_spec spec;
    return bb_tica_metric_run(in, bb_tica_spec_for(in->task, &spec) ? &spec : NULL, BB_TICA_W2, out, ctx);
}

static int tica_w1_compute(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx) {
    (void)opts;
    bb_tica_task_spec spec;
    return bb_tica_metric_run(in, bb_tica_spec_for(in->task, &spec) ? &spec : NULL, BB_TICA_W1, out, ctx);
}

const bb_metric bb_metric_tica = {"tica_w2", DEF_TICA_W2, 0, 1, 0, tica_compute};
const bb_metric bb_metric_tica_w1 = {"tica_w1", DEF_TICA_W1, 0, 1, 0, tica_w1_compute};
