/* pepmin_metric.c — recall of minima for peptide tasks (the minima_recall family hands a
 * molecular task over to bb_pepmin_metric_run):
 *
 *   minima_recall     fraction of catalogue minima that at least one relaxed sample reaches
 *   minima_precision  fraction of converged relaxed samples that land on a catalogue minimum
 *   minima_distinct   distinct minima reached, with per-minimum hit counts ("hits": one entry
 *                     per catalogue minimum, with its angles and energy) and the relaxed minima
 *                     matching no entry ("new_minima": angles, E, max |∇E|, hits; ≤ 50, lowest
 *                     first), so a catalogue can grow.
 *
 * Procedure: n configurations (default 256; "minima_recall:n=N") drawn from the samples with
 * the fixed seed (systematic resampling by importance weight, else a subsample without
 * replacement; u = +inf excluded), relaxed by L-BFGS under the task's energy (bb_relax,
 * converged when max|∇u| ≤ 1e-3, i.e. 2.5e-3 kJ/mol/nm at 300 K, about the catalogues' 2e-3; backtracking line search, since a first trial step of 1 nm overlaps atoms; the evaluator's cost,
 * reported as evaluator_energy_evals and never charged to the method). A relaxed structure
 * matches a catalogue minimum when every φ and ψ is within 10° (periodic) and the energy within
 * 0.5 kJ/mol (the rule the catalogues were clustered with). Mirror-image (D) structures match
 * nothing: they are counted among the new minima, never flipped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/metrics/metric_lib.h"
#include "harness/metrics/peptide.h"

#define PEPMIN_N_DEFAULT 256
#define PEPMIN_NEW_MAX   50
#define PEPMIN_GTOL      1e-3

#define PEPMIN_PROC                                                                                                    \
    " Procedure: n = 256 configurations (option n) drawn with the fixed seed (systematic resampling by weight; "       \
    "u = +inf excluded), relaxed by L-BFGS (liblbfgs) under the task's energy until max|grad u| <= 1e-3 "              \
    "(backtracking line search; the "                                                                                  \
    "evaluator's cost, evaluator_energy_evals, never charged to the method); a relaxed structure matches a "           \
    "catalogue minimum when every backbone phi and psi is within 10 deg (periodic) and E within 0.5 kJ/mol."
#define DEF_PEP_RECALL                                                                                                 \
    "minima_recall (peptides) = fraction of the task's catalogued minima reached by at least one relaxed "             \
    "sample." PEPMIN_PROC
#define DEF_PEP_PRECISION                                                                                              \
    "minima_precision (peptides) = fraction of converged relaxed samples that match a catalogued minimum." PEPMIN_PROC
#define DEF_PEP_DISTINCT                                                                                               \
    "minima_distinct (peptides) = number of distinct minima (catalogued or new) among the converged relaxed "          \
    "samples; hits per catalogue minimum and the new minima (E, max |grad E|) are listed." PEPMIN_PROC

/* {"phi2_deg": ..., ...} angles of one minimum into object o. */
static int add_angles(cJSON *o, const bb_molecule *m, const bb_pepmin_cat *c, const double *ang) {
    for (int q = 0; q < c->na; q++) {
        char key[40];
        snprintf(key, sizeof key, "%s_deg", m->dihedral[c->idx[q]].name);
        if (!cJSON_AddNumberToObject(o, key, round(ang[q] * 180.0 / M_PI * 100.0) / 100.0)) return 0;
    }
    return 1;
}

static int write_entries(cJSON *out, const bb_molecule *m, const bb_pepmin_cat *cat, const int64_t *hits,
                         const bb_pepmin_cat *nov, size_t nrel, size_t ndraw, size_t nnc, int64_t evals,
                         const char *path, bb_ctx *ctx) {
    size_t found = 0, matched = 0;
    for (size_t i = 0; i < cat->n; i++) found += hits[i] > 0, matched += (size_t)hits[i];
    cJSON *r = bb_metric_entry(out, "minima_recall", cat->n ? (double)found / (double)cat->n : NAN, nrel, NULL,
                               DEF_PEP_RECALL);
    cJSON *p = r ? bb_metric_entry(out, "minima_precision", nrel ? (double)matched / (double)nrel : NAN, nrel, NULL,
                                   DEF_PEP_PRECISION)
                 : NULL;
    cJSON *d =
        p ? bb_metric_entry(out, "minima_distinct", (double)(found + nov->n), nrel, NULL, DEF_PEP_DISTINCT) : NULL;
    int ok = d && cJSON_AddNumberToObject(r, "n_catalogue", (double)cat->n) &&
             cJSON_AddNumberToObject(r, "n_found", (double)found) && cJSON_AddStringToObject(r, "catalogue", path) &&
             cJSON_AddNumberToObject(d, "n_drawn", (double)ndraw) &&
             cJSON_AddNumberToObject(d, "n_not_converged", (double)nnc) &&
             cJSON_AddNumberToObject(d, "evaluator_energy_evals", (double)evals) &&
             cJSON_AddNumberToObject(d, "n_new", (double)nov->n);
    cJSON *h = ok ? cJSON_AddArrayToObject(d, "hits") : NULL;
    ok = h != NULL;
    for (size_t i = 0; ok && i < cat->n; i++) {
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(h, e) && add_angles(e, m, cat, cat->ang + i * (size_t)cat->na) &&
             cJSON_AddNumberToObject(e, "E_kJmol", cat->E[i]) && cJSON_AddNumberToObject(e, "hits", (double)hits[i]);
    }
    cJSON *nw = ok ? cJSON_AddArrayToObject(d, "new_minima") : NULL;
    ok = nw != NULL;
    for (size_t i = 0; ok && i < nov->n && i < PEPMIN_NEW_MAX; i++) {
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(nw, e) && add_angles(e, m, nov, nov->ang + i * (size_t)nov->na) &&
             cJSON_AddNumberToObject(e, "E_kJmol", nov->E[i]) &&
             cJSON_AddNumberToObject(e, "max_abs_grad_kJmol_nm", nov->gmax[i]) &&
             cJSON_AddNumberToObject(e, "hits", (double)nov->count[i]);
    }
    return ok ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
}

int bb_pepmin_metric_run(const bb_eval_input *in, size_t n, cJSON *out, bb_ctx *ctx) {
    const bb_molecule *m = bb_task_molecule(in->task);
    char path[4096];
    if (!m || !in->samples || in->samples->n == 0 || bb_pepmin_catalogue_path(in->task, path, sizeof path))
        return BB_OK;
    bb_pepmin_cat cat, nov;
    int rc = bb_pepmin_read(path, m, &cat, ctx);
    if (rc) return rc;
    bb_pepmin_init(&nov, m);
    const bb_samples *s = in->samples;
    size_t dof = s->dof, ng = n ? n : PEPMIN_N_DEFAULT, nnc = 0, nrel = 0;
    double *x = NULL, *u = NULL, *g = NULL, *all = NULL;
    int *status = NULL;
    int64_t *hits = calloc(cat.n + 1, sizeof *hits), evals = 0;
    if (!hits) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
    if (!rc) rc = bb_minima_draw(s, in->u_samples, in->seed, BB_STREAM_PEPMIN + 0xFFFFu, &ng, &x, ctx);
    if (!rc && ng > 0) {
        u = malloc(ng * sizeof *u), g = malloc(dof * sizeof *g), status = malloc(ng * sizeof *status);
        all = malloc(((size_t)m->ndihedral + 1) * sizeof *all);
        if (!u || !g || !status || !all) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        bb_relax_opts ro = {PEPMIN_GTOL, 10000, NULL, NULL, 1};
        if (!rc) rc = bb_relax(in->task, ng, x, u, status, &evals, &ro, ctx);
    }
    double kT = in->task->kT, atol = BB_PEPMIN_ATOL_DEG * M_PI / 180.0;
    for (size_t i = 0; !rc && i < ng; i++) {
        if (status[i] != BB_RELAX_CONVERGED) {
            nnc++;
            continue;
        }
        nrel++;
        double ang[32], E = u[i] * kT, ui, gmax = 0.0;
        bb_pep_dihedrals(m, 1, x + i * dof, all);
        for (int q = 0; q < cat.na; q++) ang[q] = all[cat.idx[q]];
        long j = bb_pepmin_match(&cat, ang, E, atol, BB_PEPMIN_ETOL_KJ);
        if (j >= 0) {
            hits[j]++;
            continue;
        }
        rc = bb_task_energy(in->task, 1, x + i * dof, &ui, g, ctx);
        for (size_t k = 0; !rc && k < dof; k++) gmax = fmax(gmax, fabs(g[k]) * kT);
        evals++;
        if (!rc) rc = bb_pepmin_add(&nov, NULL, ang, E, gmax, 1, atol, BB_PEPMIN_ETOL_KJ, NULL, NULL, ctx);
    }
    if (!rc) rc = write_entries(out, m, &cat, hits, &nov, nrel, ng, nnc, evals, path, ctx);
    bb_pepmin_free(&cat);
    bb_pepmin_free(&nov);
    BB_FREE_ALL(x, u, g, all, status, hits);
    return rc;
}
