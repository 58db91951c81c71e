/* conf_cov_metric.c — the crest_cov_r metric family: Adjoint Sampling's COV-R/AMR-R/COV-P/AMR-P of a
 * conformer task's samples against the molecule's CREST references (GEOM-DRUGS, GFN2-xTB minima).
 *
 * Procedure (facebookresearch/adjoint_sampling eval.py and utils/eval_utils.py @ 2ac8f3e): references =
 * the first n_ref = min(512, K) CREST conformers (datasets/conformers/crest/<hash>.heavy.gz); generated =
 * 2 × n_ref configurations drawn from the samples (seeded: systematic resampling by importance weight,
 * else the first 2 n_ref of a shuffle, all when fewer); RMSD = symmetry-aware heavy-atom RMSD
 * (conf_rmsd.h, = RDKit GetBestRMS on RemoveAllHs molecules); δ = 0, 0.125, …, 2.375 Å, strict <.
 * The paper reports two ways of treating broken samples, and both are here:
 *   crest_*         every drawn sample; one whose heavy-atom bonds (perceived from distances) are not
 *                   the molecule's has RMSD NaN, as GetBestRMS fails in the paper: it is left out of the
 *                   AMRs and of COV-R but counts as uncovered in COV-P (np.nanmean over booleans);
 *   crest_*_valid   only the samples whose whole bond graph (hydrogens too) and specified stereo
 *                   (chiral centres, E/Z double bonds of the SMILES) are the molecule's: the paper's
 *                   "correct SMILES" samples (columns "... SMILES" of its metrics.csv).
 * "_relaxed" variants: the same after relaxing each drawn sample by L-BFGS under the task's energy
 * (at most 200 iterations, converged at max |∇E| ≤ 0.0154 eV/Å = 0.3551 kcal/mol/Å: eval.py's
 * --relax_steps and --fmax, but with MMFF94s instead of the paper's eSEN potential; the evaluator's
 * cost, reported, never the method's). When no sample is usable the entries are null with a note
 * (the paper's "None"; its metrics.csv then counts the molecule as 0, metrics_exclude_bad.csv leaves
 * it out — a choice for whoever averages over molecules).
 * Skipped (nothing added) for tasks other than conformer tasks with CREST references.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/conf_cov.h"
#include "harness/metrics/conf_rmsd.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "tasks/molecules/conformers.h"

#define COV_HEADLINE_K  8                          /* δ = 1.0 Å */
#define RELAX_FMAX_KCAL (0.0154 * 23.060547830619) /* eV/Å → kcal/mol/Å (CODATA eV / (kcal/mol)) */
#define RELAX_MAX_ITER  200

#define DEF_CREST_COMMON                                                                                               \
    " Adjoint Sampling's evaluation (eval.py @ 2ac8f3e): references = first n_ref = min(512, K) CREST "                \
    "conformers of the molecule (GEOM-DRUGS, GFN2-xTB); generated = 2 n_ref samples (seeded draw); "                   \
    "RMSD = heavy-atom RMSD minimised over graph automorphisms and proper rotations (RDKit GetBestRMS on "             \
    "RemoveAllHs molecules), Angstrom; delta = 0, 0.125, ..., 2.375, strict <; curve over delta, value at "            \
    "delta = 1.0."
#define DEF_WAY_ALL                                                                                                    \
    " Every drawn sample; one whose heavy-atom bonds (d < r_cov,i + r_cov,j + 0.45 A) differ from the "                \
    "molecule's has RMSD NaN (left out of AMRs and COV-R, uncovered in COV-P), as in the paper."
#define DEF_WAY_VALID                                                                                                  \
    " Only samples whose full bond graph and specified stereo (chiral centres, E/Z) are the molecule's: "              \
    "the paper's correct-SMILES samples."
#define DEF_RELAXED                                                                                                    \
    " Samples first relaxed by L-BFGS under the task energy (MMFF94s; <= 200 iterations, max|grad E| <= "              \
    "0.0154 eV/A), the paper's --relax with its steps and fmax."
#define DEF_COV_R "COV-R(delta) = fraction of references with a generated conformer within RMSD < delta."
#define DEF_AMR_R "AMR-R = mean over references of the RMSD to the closest generated conformer."
#define DEF_COV_P "COV-P(delta) = fraction of generated conformers within RMSD < delta of a reference."
#define DEF_AMR_P "AMR-P = mean over generated conformers of the RMSD to the closest reference."

#define DEFS(way, rel)                                                                                                 \
    {                                                                                                                  \
        DEF_COV_R DEF_CREST_COMMON way rel, DEF_AMR_R DEF_CREST_COMMON way rel, DEF_COV_P DEF_CREST_COMMON way rel,    \
            DEF_AMR_P DEF_CREST_COMMON way rel                                                                         \
    }
static const char *const defs[4][4] = {DEFS(DEF_WAY_ALL, ""), DEFS(DEF_WAY_VALID, ""), DEFS(DEF_WAY_ALL, DEF_RELAXED),
                                       DEFS(DEF_WAY_VALID, DEF_RELAXED)};
static const char *const stems[4] = {"crest_cov_r", "crest_amr_r", "crest_cov_p", "crest_amr_p"};
static const char *const suffix[4] = {"", "_valid", "_relaxed", "_valid_relaxed"};

/* The four entries of one variant v (0 all, 1 valid, 2 all relaxed, 3 valid relaxed). */
static int add_entries(cJSON *out, int v, size_t nref, size_t ngen, const double *D, size_t n_used, bb_ctx *ctx) {
    double deltas[BB_CONF_COV_ND], cr[BB_CONF_COV_ND], cp[BB_CONF_COV_ND], ar, ap;
    for (int k = 0; k < BB_CONF_COV_ND; k++) deltas[k] = 0.125 * k;
    int have = bb_conf_cov_stats(nref, ngen, D, BB_CONF_COV_ND, deltas, cr, &ar, cp, &ap);
    for (int s = 0; s < 4; s++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s", stems[s], suffix[v]);
        const double *curve = s == 0 ? cr : s == 2 ? cp : NULL;
        double val = curve ? curve[COV_HEADLINE_K] : s == 1 ? ar : ap;
        cJSON *o = bb_metric_entry(out, name, val, n_used, NULL, defs[v][s]);
        int ok = o && cJSON_AddNumberToObject(o, "n_reference", (double)nref);
        if (ok && curve) {
            cJSON *d = cJSON_CreateDoubleArray(deltas, BB_CONF_COV_ND), *c = NULL;
            ok = d && cJSON_AddItemToObject(o, "delta", d);
            if (!ok) cJSON_Delete(d);
            if (ok) {
                c = cJSON_CreateArray();
                for (int k = 0; ok && c && k < BB_CONF_COV_ND; k++) {
                    cJSON *num = have ? cJSON_CreateNumber(curve[k]) : cJSON_CreateNull();
                    ok = num && cJSON_AddItemToArray(c, num);
                }
                ok = ok && c && cJSON_AddItemToObject(o, "curve", c);
                if (!ok) cJSON_Delete(c);
            }
            ok = ok && cJSON_AddNumberToObject(o, "delta_value", deltas[COV_HEADLINE_K]);
        }
        if (ok && !have) ok = cJSON_AddStringToObject(o, "note", "no usable sample (the paper's None)") != NULL;
        if (!ok) return BB_ERR(ctx, BB_ENOMEM, "crest_cov_r: out of memory");
    }
    return BB_OK;
}

/* Score the drawn configurations xg [ng][dof] both ways (variants base, base + 1). */
static int score(const bb_mmff *ff, const bb_crest *cr, const bb_conf_sym *sym, size_t ng, const double *xg, int base,
                 cJSON *out, size_t *n_heavy_ok, size_t *n_valid, bb_ctx *ctx) {
    size_t nref = cr->n, dof = 3 * (size_t)ff->natom, nv = 0, nh = 0;
    double *D = malloc(nref * ng * sizeof(double)), *Dv = malloc(nref * ng * sizeof(double));
    int *hok = malloc(ng * sizeof(int)), *aok = malloc(ng * sizeof(int)), rc;
    if (!D || !Dv || !hok || !aok) {
        rc = BB_ERR(ctx, BB_ENOMEM, "crest_cov_r: out of memory for %zu x %zu RMSDs", nref, ng);
        goto out;
    }
    for (size_t j = 0; j < ng; j++) {
        bb_conf_check(ff, cr, xg + j * dof, &hok[j], &aok[j]);
        nh += hok[j], nv += aok[j];
    }
    if ((rc = bb_conf_rmsd_matrix(sym, nref, cr->x, ng, xg, D, ctx))) goto out;
    for (size_t i = 0; i < nref; i++) {
        size_t c = 0;
        for (size_t j = 0; j < ng; j++) {
            if (aok[j]) Dv[i * nv + c++] = D[i * ng + j];
            if (!hok[j]) D[i * ng + j] = NAN;
        }
    }
    if ((rc = add_entries(out, base, nref, ng, D, ng, ctx))) goto out;
    rc = add_entries(out, base + 1, nref, nv, Dv, nv, ctx);
    *n_heavy_ok = nh, *n_valid = nv;
out:
    BB_FREE_ALL(D, Dv, hok, aok);
    return rc;
}

static int crest_compute(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx) {
    (void)opts;
    const bb_mmff *ff = bb_task_conformer_ff(in->task);
    const bb_conformer_molecule *mol = in->task ? bb_conformer_of_type(in->task->type) : NULL;
    if (!ff || !mol || mol->n_crest == 0 || !in->samples || in->samples->n == 0) return BB_OK;
    char path[4096];
    bb_crest cr;
    bb_conf_sym *sym = NULL;
    double *w = NULL, *xg = NULL, *u = NULL;
    size_t *idx = NULL;
    int *status = NULL;
    if (bb_crest_path(mol->hash, path, sizeof path)) return BB_ERR(ctx, BB_EINVAL, "crest_cov_r: path too long");
    int rc = bb_crest_read(path, mol->hash, ff->natom, &cr, ctx);
    if (rc) return rc;
    if ((rc = bb_conf_sym_from_mmff(ff, 0, &sym, ctx))) goto out;
    const bb_samples *s = in->samples;
    size_t dof = s->dof, nref = cr.n, ng = 2 * nref;
    if ((rc = bb_weights_from_log(s->n, s->logw, &w, "samples", ctx))) goto out;
    if (!w && ng > s->n) ng = s->n;
    idx = malloc(ng * sizeof *idx);
    xg = malloc(ng * dof * sizeof *xg);
    u = malloc(ng * sizeof *u);
    status = malloc(ng * sizeof *status);
    if (!idx || !xg || !u || !status) {
        rc = BB_ERR(ctx, BB_ENOMEM, "crest_cov_r: out of memory");
        goto out;
    }
    if ((rc = bb_subsample_indices(s->n, ng, w, in->seed, BB_STREAM_CREST + 0xFFFFu, idx, ctx))) goto out;
    for (size_t i = 0; i < ng; i++) memcpy(xg + i * dof, s->x + idx[i] * dof, dof * sizeof *xg);
    size_t nh0, nv0, nh1, nv1;
    if ((rc = score(ff, &cr, sym, ng, xg, 0, out, &nh0, &nv0, ctx))) goto out;
    /* relaxed: L-BFGS under the task's reduced energy, gradient threshold in kT per Å */
    int64_t evals = 0;
    bb_relax_opts ro = {RELAX_FMAX_KCAL / in->task->kT, RELAX_MAX_ITER, NULL, NULL, 1};
    if ((rc = bb_relax(in->task, ng, xg, u, status, &evals, &ro, ctx))) goto out;
    size_t nconv = 0;
    for (size_t i = 0; i < ng; i++) nconv += status[i] == BB_RELAX_CONVERGED;
    if ((rc = score(ff, &cr, sym, ng, xg, 2, out, &nh1, &nv1, ctx))) goto out;
    cJSON *o = cJSON_GetObjectItem(out, "crest_cov_r");
    cJSON *orl = cJSON_GetObjectItem(out, "crest_cov_r_relaxed");
    int ok = o && orl && cJSON_AddNumberToObject(o, "n_drawn", (double)ng) &&
             cJSON_AddNumberToObject(o, "n_heavy_graph_ok", (double)nh0) &&
             cJSON_AddNumberToObject(o, "n_valid", (double)nv0) &&
             cJSON_AddNumberToObject(o, "n_crest_total", (double)cr.n_total) &&
             cJSON_AddNumberToObject(o, "automorphisms", (double)bb_conf_sym_count(sym)) &&
             cJSON_AddNumberToObject(orl, "n_heavy_graph_ok", (double)nh1) &&
             cJSON_AddNumberToObject(orl, "n_valid", (double)nv1) &&
             cJSON_AddNumberToObject(orl, "n_relax_converged", (double)nconv) &&
             cJSON_AddNumberToObject(orl, "evaluator_energy_evals", (double)evals);
    if (!ok) rc = BB_ERR(ctx, BB_ENOMEM, "crest_cov_r: out of memory");
out:
    bb_crest_free(&cr);
    bb_conf_sym_free(sym);
    BB_FREE_ALL(w, xg, u, idx, status);
    return rc;
}

const bb_metric bb_metric_crest_cov = {"crest_cov_r", DEF_COV_R DEF_CREST_COMMON DEF_WAY_ALL, 1, 0, 0, crest_compute};
