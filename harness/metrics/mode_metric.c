/* mode_metric.c — the mode-coverage family of mixture tasks (bb_task_type.mixture: GMM-40,
 * 25-GMM): emc, mode_coverage and mode_tv.
 *
 * Assignment (bb_mode_assign): a configuration x belongs to the component
 * a(x) = argmax_k log N(x; μ_k, s² I), i.e. the nearest mean (ties to the lower k), the mode
 * descriptor of Blessing et al. 2024 ("Beyond ELBOs", ICML; their GMM40.entropy), and it is
 * *at* that mode when |x − μ_a| <= 3 s (a 2-D component puts 1 − e^(−4.5) = 98.9 % of its mass
 * there). A configuration at no mode is "between modes".
 *
 *   emc           = −Σ_k p_k log p_k / log K, p_k the (weighted) fraction of samples with
 *                   a(x) = k, all samples counted (their definition). 1: equal mass on every
 *                   component; 0: one component. Exact samples of a mixture whose close
 *                   components split their mass unevenly score a little under 1 (floor).
 *   mode_coverage = fraction of the K components holding at least one sample at the mode and
 *                   at least a quarter of the fraction of the reference set at that mode
 *                   (p̃_k > 0 and p̃_k >= q̃_k / 4): "how many modes did it find with a
 *                   fair share". Exact sampling of GMM-40 with n = 1000 expects 25 per mode,
 *                   the threshold is about 6, so it scores 1.
 *   mode_tv       = ½ Σ_c |p̃_c − q̃_c| over K + 1 cells: at mode k, and between modes. Counts
 *                   mass put between modes and wrong mode weights alike.
 *
 * Every one carries the bootstrap ci95 and the reference-vs-reference floor of the other
 * metrics (bb_twoset_eval on label sets; the three share stream BB_STREAM_MODES, so their intervals come
 * from the same resamples and their floors from the same two reference subsets), and mode_coverage the
 * per-component masses, so a table can show which modes were missed. Coordinates that are not
 * finite are an error; samples of infinite energy are kept (they are far from every mode).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

#define MODE_RADIUS 3.0 /* in units of the component std */

#define DEF_MODE_COMMON                                                                                                \
    "Assignment: a configuration belongs to the component of highest log-density, the nearest mean (ties to the "      \
    "lower index; the descriptor of Blessing et al. 2024, 'Beyond ELBOs'), and is at that mode when within 3 "         \
    "component stds of its mean (98.9 % of a 2-D component's mass). Weighted when the samples carry log-weights. "     \
    "ci95: median-bias-corrected percentile bootstrap, 200 resamples of both sets (seeded); floor_ref_vs_ref: the "    \
    "same statistic between two disjoint seeded reference subsets of floor_n = min(n_samples, n_reference / 2)."
#define DEF_EMC                                                                                                        \
    "emc = entropic mode coverage -sum_k p_k log p_k / log K, p_k the fraction of samples assigned to component k "    \
    "(all samples; Blessing et al. 2024). 1: equal mass on every component, 0: all on one. " DEF_MODE_COMMON
#define DEF_MODE_COVERAGE                                                                                              \
    "mode_coverage = fraction of the K components k with a sample at mode k and a sample fraction there of at "        \
    "least a quarter of the reference's (p_k > 0 and p_k >= q_k / 4); mass / reference_mass: p_k and q_k per "         \
    "component, between_modes: the sample fraction at no mode. " DEF_MODE_COMMON
#define DEF_MODE_TV                                                                                                    \
    "mode_tv = 1/2 sum_c |p_c - q_c| over K + 1 cells, 'at mode k' for each component and 'between modes', p the "     \
    "samples' fractions, q the reference's. " DEF_MODE_COMMON

int bb_mode_assign(const bb_task_mixture *m, size_t dof, size_t n, const double *x, int *label, int *at, bb_ctx *ctx) {
    if (!m || m->n_components < 1 || !m->means || !(m->std > 0.0) || dof == 0)
        return BB_ERR(ctx, BB_EINVAL, "mode assignment: no mixture (K >= 1, std > 0) to assign to");
    const double r2 = (MODE_RADIUS * m->std) * (MODE_RADIUS * m->std);
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * dof;
        for (size_t d = 0; d < dof; d++)
            if (!isfinite(xi[d]))
                return BB_ERR(ctx, BB_ENAN, "mode assignment: configuration %zu has a non-finite coordinate", i);
        double best = INFINITY;
        int kb = 0;
        for (int k = 0; k < m->n_components; k++) {
            const double *mu = m->means + (size_t)k * dof;
            double s = 0.0;
            for (size_t d = 0; d < dof; d++) s += (xi[d] - mu[d]) * (xi[d] - mu[d]);
            if (s < best) {
                best = s;
                kb = k;
            }
        }
        label[i] = kb;
        at[i] = best <= r2;
    }
    return BB_OK;
}

/* Items of a label set: v[2i] = component, v[2i + 1] = 1 at the mode, 0 between modes. */
static int label_set(const bb_task_mixture *m, const bb_samples *s, const char *what, bb_wset *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    int *lab = malloc((s->n ? s->n : 1) * sizeof *lab), *at = malloc((s->n ? s->n : 1) * sizeof *at);
    out->v = malloc((s->n ? s->n : 1) * 2 * sizeof *out->v);
    int rc = (!lab || !at || !out->v) ? BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what) : BB_OK;
    if (!rc) rc = bb_mode_assign(m, s->dof, s->n, s->x, lab, at, ctx);
    if (!rc) rc = bb_weights_from_log(s->n, s->logw, &out->w, what, ctx);
    if (!rc) {
        out->n = s->n;
        out->k = 2;
        for (size_t i = 0; i < s->n; i++) {
            out->v[2 * i] = lab[i];
            out->v[2 * i + 1] = at[i];
        }
    }
    free(lab);
    free(at);
    if (rc) bb_wset_free(out);
    return rc;
}

/* Fractions of a label set's mass: all[k] assigned to k, atm[k] at mode k, atm[K] between modes.
 * 0 when the set has no mass. */
static double mode_mass(const bb_wset *s, int K, double *all, double *atm) {
    for (int k = 0; k <= K; k++) all[k] = atm[k] = 0.0;
    double tot = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        double w = s->w ? s->w[i] : 1.0;
        int k = (int)s->v[2 * i];
        all[k] += w;
        atm[s->v[2 * i + 1] != 0.0 ? k : K] += w;
        tot += w;
    }
    if (!(tot > 0.0)) return 0.0;
    for (int k = 0; k <= K; k++) {
        all[k] /= tot;
        atm[k] /= tot;
    }
    return tot;
}

enum { STAT_EMC, STAT_COVERAGE, STAT_TV };

/* Statistic `which` of a against b; user: the component count K (an int). */
static int mode_stat(const bb_wset *a, const bb_wset *b, const int *user, int which, double *out, bb_ctx *ctx) {
    int K = *user;
    double *buf = malloc(4 * (size_t)(K + 1) * sizeof *buf);
    if (!buf) return BB_ERR(ctx, BB_ENOMEM, "mode metrics: out of memory");
    double *pa = buf, *pt = buf + (K + 1), *qa = buf + 2 * (K + 1), *qt = buf + 3 * (K + 1);
    *out = NAN;
    if (mode_mass(a, K, pa, pt) > 0.0) {
        double v = 0.0;
        if (which == STAT_EMC) {
            for (int k = 0; k < K; k++)
                if (pa[k] > 0.0) v -= pa[k] * log(pa[k]);
            v = K > 1 ? v / log((double)K) : 1.0;
        } else if (mode_mass(b, K, qa, qt) > 0.0) {
            if (which == STAT_COVERAGE) {
                for (int k = 0; k < K; k++) v += pt[k] > 0.0 && pt[k] >= 0.25 * qt[k];
                v /= K;
            } else {
                for (int k = 0; k <= K; k++) v += fabs(pt[k] - qt[k]);
                v *= 0.5;
            }
        } else {
            v = NAN;
        }
        *out = v;
    }
    free(buf);
    return BB_OK;
}

static int stat_emc(const bb_wset *a, const bb_wset *b, void *u, double *out, bb_ctx *ctx) {
    return mode_stat(a, b, u, STAT_EMC, out, ctx);
}
static int stat_coverage(const bb_wset *a, const bb_wset *b, void *u, double *out, bb_ctx *ctx) {
    return mode_stat(a, b, u, STAT_COVERAGE, out, ctx);
}
static int stat_tv(const bb_wset *a, const bb_wset *b, void *u, double *out, bb_ctx *ctx) {
    return mode_stat(a, b, u, STAT_TV, out, ctx);
}

/* mode_coverage's per-component detail: the sample and reference fractions at each mode and
 * between modes (buf: 4 (K + 1) scratch). 0 when out of memory. */
static int add_masses(cJSON *o, const bb_wset *a, const bb_wset *b, int K, double *buf) {
    double *pa = buf, *pt = buf + (K + 1), *qa = buf + 2 * (K + 1), *qt = buf + 3 * (K + 1);
    mode_mass(a, K, pa, pt);
    mode_mass(b, K, qa, qt);
    const char *names[2] = {"mass", "reference_mass"};
    const double *vals[2] = {pt, qt};
    for (int j = 0; j < 2; j++) {
        cJSON *arr = cJSON_CreateDoubleArray(vals[j], K);
        if (!arr || !cJSON_AddItemToObject(o, names[j], arr)) {
            cJSON_Delete(arr);
            return 0;
        }
    }
    return bb_json_add_number(o, "between_modes", pt[K]) && bb_json_add_number(o, "reference_between_modes", qt[K]) &&
           cJSON_AddNumberToObject(o, "n_components", K) && cJSON_AddNumberToObject(o, "radius_std", MODE_RADIUS);
}

static int modes_compute(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx) {
    (void)opts;
    const bb_task_mixture *mix = in->task && in->task->type ? in->task->type->mixture : NULL;
    if (!mix || !in->samples || !in->reference) return BB_OK; /* not a mixture task, or nothing to compare */
    if ((size_t)in->task->dof != in->samples->dof || in->reference->dof != in->samples->dof)
        return BB_ERR(ctx, BB_EINVAL, "mode metrics: samples, reference and task differ in dof");
    bb_wset a, b;
    int rc = label_set(mix, in->samples, "samples", &a, ctx);
    if (rc) return rc;
    rc = label_set(mix, in->reference, "reference", &b, ctx);
    if (rc) {
        bb_wset_free(&a);
        return rc;
    }
    int K = mix->n_components;
    double *buf = malloc(4 * (size_t)(K + 1) * sizeof *buf);
    static const char *const names[] = {"emc", "mode_coverage", "mode_tv"};
    static const char *const defs[] = {DEF_EMC, DEF_MODE_COVERAGE, DEF_MODE_TV};
    static const bb_stat2_fn fns[] = {stat_emc, stat_coverage, stat_tv};
    int have_mass = bb_wset_mass(&a) > 0.0;
    if (!buf) rc = BB_ERR(ctx, BB_ENOMEM, "mode metrics: out of memory");
    for (int j = 0; !rc && j < 3; j++) {
        bb_twoset r = {NAN, {NAN, NAN}, NAN, 0};
        if (have_mass)
            rc = bb_twoset_eval(&a, &b, fns[j], &K, 0.0, in->with_ci ? BB_BOOT_N : 0, in->seed, BB_STREAM_MODES, &r,
                                ctx);
        if (rc) break;
        if (j != 2 && r.ci[1] > 1.0) r.ci[1] = 1.0; /* emc and mode_coverage are fractions */
        cJSON *o = bb_metric_entry_twoset(out, names[j], &r, 0, a.n, in->with_ci && have_mass, defs[j]);
        int ok = o && cJSON_AddNumberToObject(o, "n_reference", (double)b.n) &&
                 (!a.w || bb_json_add_number(o, "ess_kish", bb_kish_ess(a.n, a.w))) &&
                 (j != 1 || add_masses(o, &a, &b, K, buf)) &&
                 (have_mass || cJSON_AddStringToObject(o, "note", "no sample with positive weight"));
        if (!ok) rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", names[j]);
    }
    free(buf);
    bb_wset_free(&a);
    bb_wset_free(&b);
    return rc;
}

const bb_metric bb_metric_modes = {
    .name = "mode_coverage",
    .definition = "The mode-coverage family of mixture tasks: emc (entropic mode coverage), mode_coverage, mode_tv.",
    .higher_is_better = 1,
    .needs_reference = 1,
    .cheap = 1,
    .compute = modes_compute,
};
