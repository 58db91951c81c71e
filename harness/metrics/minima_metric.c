/* minima_metric.c — the recall-of-minima metric family: minima_recall (COV-R),
 * minima_precision (COV-P), amr_recall, amr_precision, minima_distinct and
 * minima_global_found, against the task's committed minima catalogue.
 *
 * Procedure: the catalogue is datasets/minima/<task id>.json.gz under the source tree
 * ($BOLTZBENCH_SOURCE_DIR overrides); the metric is skipped (nothing added) when it
 * does not exist. References: the MINIMA_NREF_MAX lowest-energy catalogue minima.
 * Generated: 2 × n_ref configurations drawn from the samples with the fixed seed
 * (systematic resampling by importance weight, or a subsample without replacement;
 * u = +inf excluded), relaxed with L-BFGS under the task's energy (the evaluator's
 * cost, reported in evaluator_energy_evals, never charged to the method), those that
 * do not converge dropped (counted), the rest deduplicated with the catalogue's own
 * tolerances. Coverage: see minima.c (symmetry-aware RMSD, exact nearest neighbour).
 *
 * Molecular tasks (bb_task_molecule) are handed to bb_pepmin_metric_run (pepmin_metric.c):
 * their minima are matched by backbone dihedrals and energy, not by RMSD. Conformer tasks
 * (bb_task_conformer_ff) are handed to bb_confmin_metric_run (confmin_metric.c): heavy-atom
 * RMSD with the molecule's graph symmetries, stereo-checked, Boltzmann-weighted recall.
 *
 * Not a measure of sampling the Boltzmann density itself: it rewards visiting basins.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/confmin.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/metrics/peptide.h"
#include "tasks/molecules/conformers.h"

#define MINIMA_NREF_MAX   512
#define MINIMA_ND         21 /* δ = 0, 0.125, …, 2.5 */
#define MINIMA_HEADLINE_K 2  /* δ = 0.25 */

#define DEF_MINIMA_COMMON                                                                                              \
    "Generated minima: 2 x n_reference samples (seeded; systematic resampling by weight; u = +inf "                    \
    "excluded) relaxed by L-BFGS (liblbfgs, converged when max|grad u| <= 1e-4) under the task's "                     \
    "energy, deduplicated (|du| <= utol and RMSD <= rtol of the catalogue). References: the <= 512 "                   \
    "lowest catalogue minima. RMSD = sqrt(min over centroid shift, rotations+reflections and "                         \
    "particle permutations of mean squared particle displacement), in the task's length unit."
#define DEF_MINIMA_RECALL                                                                                              \
    "minima_recall = COV-R(delta) = fraction of reference minima with a generated minimum within "                     \
    "RMSD delta; value at delta = 0.25, curve over delta = 0, 0.125, ..., 2.5. " DEF_MINIMA_COMMON
#define DEF_MINIMA_PRECISION                                                                                           \
    "minima_precision = COV-P(delta) = fraction of relaxed generated samples (with multiplicity) "                     \
    "whose minimum lies within RMSD delta of a reference minimum; value at delta = 0.25, curve "                       \
    "over the same grid. " DEF_MINIMA_COMMON
#define DEF_AMR_RECALL                                                                                                 \
    "amr_recall = AMR-R = mean over reference minima of the RMSD to the nearest generated "                            \
    "minimum. " DEF_MINIMA_COMMON
#define DEF_AMR_PRECISION                                                                                              \
    "amr_precision = AMR-P = mean over relaxed generated samples (with multiplicity) of the RMSD "                     \
    "to the nearest reference minimum. " DEF_MINIMA_COMMON
#define DEF_MINIMA_DISTINCT                                                                                            \
    "minima_distinct = number of distinct minima among the relaxed generated samples. " DEF_MINIMA_COMMON
#define DEF_MINIMA_GLOBAL                                                                                              \
    "minima_global_found = 1 if a generated minimum is within rtol RMSD of the catalogue's "                           \
    "lowest-energy minimum, else 0. " DEF_MINIMA_COMMON

int bb_minima_catalogue_path(const bb_task *t, char *out, size_t len) {
    const char *id = t && t->type ? t->type->minima_catalogue : NULL;
    if (!id) return BB_ENOTFOUND; /* the task declares no catalogue */
    int w = snprintf(out, len, "%s/datasets/minima/%s.json.gz", bb_source_dir(), id);
    return (w > 0 && (size_t)w < len) ? BB_OK : BB_EINVAL;
}

static cJSON *curve_entry(cJSON *out, const char *name, const double *deltas, const double *cov, size_t n_samples,
                          const char *def) {
    cJSON *o = bb_metric_entry(out, name, cov[MINIMA_HEADLINE_K], n_samples, NULL, def);
    if (!o) return NULL;
    cJSON *d = cJSON_CreateDoubleArray(deltas, MINIMA_ND), *c = cJSON_CreateDoubleArray(cov, MINIMA_ND);
    if (!d || !cJSON_AddItemToObject(o, "delta", d)) {
        cJSON_Delete(d);
        cJSON_Delete(c);
        return NULL;
    }
    if (!c || !cJSON_AddItemToObject(o, "curve", c)) {
        cJSON_Delete(c);
        return NULL;
    }
    if (!cJSON_AddNumberToObject(o, "delta_value", deltas[MINIMA_HEADLINE_K])) return NULL;
    return o;
}

static int minima_compute(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx) {
    if (!in->task || !in->samples || in->samples->n == 0) return BB_OK;
    /* peptides: minima matched by backbone dihedrals and energy (pepmin_metric.c) */
    if (bb_task_molecule(in->task)) return bb_pepmin_metric_run(in, opts->n, out, ctx);
    /* conformer tasks: MMFF94s minima matched by heavy-atom RMSD, stereo-checked (confmin_metric.c) */
    if (bb_task_conformer_ff(in->task)) return bb_confmin_metric_run(in, opts->n, out, ctx);
    char path[4096];
    /* the task declares its catalogue (bb_task_type.minima_catalogue); none: skipped; declared
     * but missing: an error, never a silently absent metric */
    if (bb_minima_catalogue_path(in->task, path, sizeof path)) return BB_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return BB_ERR(ctx, BB_EIO, "%s: the minima catalogue %s declared by task %s cannot be opened", path,
                      in->task->type->minima_catalogue, in->task->id);
    fclose(fp);
    bb_minima cat, gen;
    cJSON *meta = NULL;
    bb_minima_init(&gen, in->task);
    int rc = bb_minima_read(path, in->task, &cat, &meta, ctx);
    if (rc) {
        bb_minima_free(&gen);
        return rc;
    }
    double *w = NULL, *x = NULL, *u = NULL;
    int *status = NULL;
    size_t *idx = NULL, *keep = NULL;
    bb_align_ws *ws = NULL;
    cJSON *jt;
    double utol = (jt = cJSON_GetObjectItem(meta, "utol")) && cJSON_IsNumber(jt) ? jt->valuedouble : 1e-3;
    double rtol = (jt = cJSON_GetObjectItem(meta, "rtol")) && cJSON_IsNumber(jt) ? jt->valuedouble : 0.05;
    size_t ncat = cat.n, nref = cat.n < MINIMA_NREF_MAX ? cat.n : MINIMA_NREF_MAX;
    const bb_samples *s = in->samples;
    size_t dof = s->dof, m = 0;
    /* usable samples */
    rc = bb_weights_from_log(s->n, s->logw, &w, "samples", ctx);
    if (rc) goto out;
    keep = malloc(s->n * sizeof *keep);
    if (!keep) {
        rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        goto out;
    }
    size_t rejected = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (in->u_samples && in->u_samples[i] == INFINITY) {
            rejected++;
            continue;
        }
        if (w) w[m] = w[i];
        keep[m++] = i;
    }
    double mass = 0.0;
    for (size_t i = 0; i < m; i++) mass += w ? w[i] : 1.0;
    if (nref == 0 || m == 0 || !(mass > 0.0)) {
        cJSON *o = bb_metric_entry(out, "minima_distinct", NAN, 0, NULL, DEF_MINIMA_DISTINCT);
        if (!o || !cJSON_AddStringToObject(o, "note", nref ? "no usable sample configuration" : "empty catalogue"))
            rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        goto out;
    }
    size_t ng = 2 * nref;
    if (!w && ng > m) ng = m;
    idx = malloc(ng * sizeof *idx);
    x = malloc(ng * dof * sizeof *x);
    u = malloc(ng * sizeof *u);
    status = malloc(ng * sizeof *status);
    if (!idx || !x || !u || !status) {
        rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        goto out;
    }
    rc = bb_subsample_indices(m, ng, w, in->seed, BB_STREAM_MINIMA + 0xFFFFu, idx, ctx);
    if (rc) goto out;
    for (size_t i = 0; i < ng; i++) memcpy(x + i * dof, s->x + keep[idx[i]] * dof, dof * sizeof *x);
    int64_t evals = 0, aligned = 0;
    bb_relax_opts ro = {1e-4, 10000, NULL, NULL, 0};
    rc = bb_relax(in->task, ng, x, u, status, &evals, &ro, ctx);
    if (rc) goto out;
    if (gen.md.aligned) {
        rc = bb_align_ws_alloc(gen.md.P, gen.md.D, &ws, ctx);
        if (rc) goto out;
    }
    size_t not_conv = 0, rej_relax = 0;
    for (size_t i = 0; i < ng; i++) {
        if (status[i] == BB_RELAX_REJECTED) {
            rej_relax++;
            continue;
        }
        if (status[i] != BB_RELAX_CONVERGED) {
            not_conv++;
            continue;
        }
        rc = bb_minima_add(&gen, x + i * dof, u[i], 1, utol, rtol, ws, NULL, NULL, ctx);
        if (rc) goto out;
    }
    size_t nrel = ng - not_conv - rej_relax;
    cat.n = nref; /* the lowest nref minima (the catalogue is sorted by energy) */
    double deltas[MINIMA_ND], cov_r[MINIMA_ND], cov_p[MINIMA_ND], amr_r = NAN, amr_p = NAN, min_r0 = INFINITY;
    for (int k = 0; k < MINIMA_ND; k++) deltas[k] = 0.125 * k;
    if (gen.n > 0) {
        double *min_r = malloc(nref * sizeof *min_r);
        if (!min_r) {
            rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
            goto out;
        }
        rc =
            bb_minima_coverage(&gen, &cat, MINIMA_ND, deltas, cov_r, cov_p, &amr_r, &amr_p, min_r, NULL, &aligned, ctx);
        min_r0 = min_r[0];
        free(min_r);
        if (rc) goto out;
    } else {
        for (int k = 0; k < MINIMA_ND; k++) cov_r[k] = cov_p[k] = 0.0;
    }
    int ok =
        curve_entry(out, "minima_recall", deltas, cov_r, nrel, DEF_MINIMA_RECALL) != NULL &&
        curve_entry(out, "minima_precision", deltas, cov_p, nrel, DEF_MINIMA_PRECISION) != NULL &&
        bb_metric_entry(out, "amr_recall", amr_r, nrel, NULL, DEF_AMR_RECALL) != NULL &&
        bb_metric_entry(out, "amr_precision", amr_p, nrel, NULL, DEF_AMR_PRECISION) != NULL &&
        bb_metric_entry(out, "minima_global_found", min_r0 <= rtol ? 1.0 : 0.0, nrel, NULL, DEF_MINIMA_GLOBAL) != NULL;
    cJSON *o = ok ? bb_metric_entry(out, "minima_distinct", (double)gen.n, nrel, NULL, DEF_MINIMA_DISTINCT) : NULL;
    if (o) {
        cJSON_AddNumberToObject(o, "n_reference", (double)nref);
        cJSON_AddNumberToObject(o, "n_catalogue", (double)ncat);
        cJSON_AddNumberToObject(o, "n_drawn", (double)ng);
        cJSON_AddNumberToObject(o, "n_not_converged", (double)not_conv);
        cJSON_AddNumberToObject(o, "n_rejected", (double)(rejected + rej_relax));
        cJSON_AddNumberToObject(o, "evaluator_energy_evals", (double)evals);
        cJSON_AddNumberToObject(o, "alignments", (double)aligned);
        bb_json_add_number(o, "lowest_energy_found", gen.n ? gen.u[0] : NAN);
        bb_json_add_number(o, "catalogue_lowest_energy", cat.u[0]);
        cJSON_AddNumberToObject(o, "utol", utol);
        cJSON_AddNumberToObject(o, "rtol", rtol);
        cJSON_AddStringToObject(o, "catalogue", path);
    }
    if (!o) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
out:
    bb_align_ws_free(ws);
    bb_minima_free(&cat);
    bb_minima_free(&gen);
    cJSON_Delete(meta);
    BB_FREE_ALL(w, x, u, status, idx, keep);
    return rc;
}

const bb_metric bb_metric_minima = {"minima_recall", DEF_MINIMA_RECALL, 1, 0, 0, minima_compute};
