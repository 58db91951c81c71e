/* confmin_metric.c — recall of minima on the conformer tasks (the minima_recall family hands a conformer
 * task over to bb_confmin_metric_run), against the task's committed catalogue (confmin.h):
 *
 *   minima_recall           fraction of catalogue minima reached by at least one relaxed sample
 *   minima_recall_weighted  the same, each minimum weighted by its Boltzmann weight at 300 K
 *   minima_precision        fraction of converged relaxed samples that land on a catalogue minimum
 *   minima_distinct         distinct minima reached (catalogued + new), hits per catalogue minimum, the
 *                           new minima (≤ 50, lowest first, with energies), the evaluator's cost
 *   minima_new_low          new minima within the catalogue's energy window (they show where the
 *                           catalogue is incomplete)
 *   stereo_ok_fraction      fraction of the drawn samples whose chirality and double-bond geometry are
 *                           the molecule's
 *
 * Procedure: n configurations (default max(256, 2 × catalogue size); "minima_recall:n=N") drawn with the
 * fixed seed (systematic resampling by importance weight, else a subsample without replacement;
 * u = +inf excluded), stereo-checked, relaxed by L-BFGS under the task's energy (bb_relax, backtracking
 * line search, converged when max|∇u| ≤ 1e-3 kT/Å; the evaluator's cost, evaluator_energy_evals, never
 * charged to the method), stereo-checked again (a relaxed structure of the wrong stereo matches
 * nothing and is not a new minimum), then matched: a relaxed structure is on catalogue minimum j when
 * the symmetry-aware heavy-atom RMSD (conf_rmsd.h) is < rtol (0.5 Å, the catalogue's dedup radius),
 * and is counted as a hit of its nearest one. Unmatched structures are clustered in energy order at
 * the same radius into new minima.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/confmin.h"
#include "harness/metrics/conf_rmsd.h"
#include "tasks/molecules/conformers.h"

#define CONFMIN_N_MIN   256
#define CONFMIN_GTOL    1e-3 /* kT/Å */
#define CONFMIN_NEW_MAX 50

#define CONFMIN_PROC                                                                                                   \
    " Procedure: n = max(256, 2 x catalogue size) configurations (option n) drawn with the fixed seed "                \
    "(systematic resampling by weight; u = +inf excluded), relaxed by L-BFGS (liblbfgs, backtracking) under the "      \
    "task's energy until max|grad u| <= 1e-3 kT/A (the evaluator's cost, evaluator_energy_evals, never charged to "    \
    "the method); relaxed structures with another chirality or double-bond geometry than the molecule match "          \
    "nothing. A relaxed structure is on catalogue minimum j when the heavy-atom RMSD (minimised over the "             \
    "automorphisms of the heavy-atom graph and proper rotations) is < rtol = 0.5 A. Catalogue: MMFF94s minima "        \
    "within 3 kcal/mol of the lowest (datasets/conformers/mmff94s/<hash>.minima.json.gz)."
#define DEF_CONF_RECALL                                                                                                \
    "minima_recall (conformers) = fraction of catalogue minima reached by at least one relaxed sample." CONFMIN_PROC
#define DEF_CONF_RECALL_W                                                                                              \
    "minima_recall_weighted (conformers) = sum of the Boltzmann weights (300 K, exp(-(E_j - E_0)/kT) normalised "      \
    "over the catalogue) of the catalogue minima reached by at least one relaxed sample." CONFMIN_PROC
#define DEF_CONF_PRECISION                                                                                             \
    "minima_precision (conformers) = fraction of converged relaxed samples within rtol of a catalogue "                \
    "minimum." CONFMIN_PROC
#define DEF_CONF_DISTINCT                                                                                              \
    "minima_distinct (conformers) = number of distinct minima among the converged relaxed samples of the "             \
    "molecule's stereo: catalogue minima reached plus new minima (unmatched structures clustered in energy "           \
    "order at rtol)." CONFMIN_PROC
#define DEF_CONF_NEW_LOW                                                                                               \
    "minima_new_low (conformers) = number of new minima (matching no catalogue minimum) with energy within the "       \
    "catalogue's window (3 kcal/mol) of its lowest minimum, or below it: minima the catalogue misses." CONFMIN_PROC
#define DEF_CONF_STEREO                                                                                                \
    "stereo_ok_fraction (conformers) = fraction of the drawn samples (before relaxation) whose every "                 \
    "stereocentre has the molecule's signed volume sign and every stereo double bond its cis/trans geometry "          \
    "(|dihedral| > 90 deg = trans)." CONFMIN_PROC

typedef struct {
    size_t ng, nrel, nnc, nrej, nstereo_pre, nstereo_post, nmatched;
    int64_t evals;
} confmin_counts;

/* New minima: representatives (indices into the relaxed set) with hit counts. */
typedef struct {
    size_t n, *rep;
    int64_t *hits;
} new_set;

static int add_entries(cJSON *out, const bb_conf_catalogue *c, const char *path, double kT, const size_t *found_hits,
                       const int64_t *hits, const new_set *nw, const double *u, const double *nearest,
                       const confmin_counts *k, bb_ctx *ctx) {
    size_t found = 0, low = 0;
    double wf = 0.0, u0 = c->m.u[0], uw = c->window / kT;
    for (size_t j = 0; j < c->m.n; j++)
        if (found_hits[j]) found++, wf += c->weight[j];
    for (size_t i = 0; i < nw->n; i++) low += u[nw->rep[i]] <= u0 + uw;
    double nc = (double)c->m.n;
    cJSON *r = bb_metric_entry(out, "minima_recall", (double)found / nc, k->nrel, NULL, DEF_CONF_RECALL);
    cJSON *rw = r ? bb_metric_entry(out, "minima_recall_weighted", wf, k->nrel, NULL, DEF_CONF_RECALL_W) : NULL;
    cJSON *p = rw ? bb_metric_entry(out, "minima_precision", k->nrel ? (double)k->nmatched / (double)k->nrel : NAN,
                                    k->nrel, NULL, DEF_CONF_PRECISION)
                  : NULL;
    cJSON *d =
        p ? bb_metric_entry(out, "minima_distinct", (double)(found + nw->n), k->nrel, NULL, DEF_CONF_DISTINCT) : NULL;
    cJSON *nl = d ? bb_metric_entry(out, "minima_new_low", (double)low, k->nrel, NULL, DEF_CONF_NEW_LOW) : NULL;
    cJSON *st = nl ? bb_metric_entry(out, "stereo_ok_fraction", k->ng ? (double)k->nstereo_pre / (double)k->ng : NAN,
                                     k->ng, NULL, DEF_CONF_STEREO)
                   : NULL;
    int ok = st && cJSON_AddNumberToObject(r, "n_catalogue", nc) &&
             cJSON_AddNumberToObject(r, "n_found", (double)found) && cJSON_AddStringToObject(r, "catalogue", path) &&
             cJSON_AddNumberToObject(r, "rtol_A", c->rtol) &&
             cJSON_AddNumberToObject(r, "energy_window_kcal_mol", c->window) &&
             cJSON_AddNumberToObject(d, "n_drawn", (double)k->ng) &&
             cJSON_AddNumberToObject(d, "n_not_converged", (double)k->nnc) &&
             cJSON_AddNumberToObject(d, "n_rejected", (double)k->nrej) &&
             cJSON_AddNumberToObject(d, "n_wrong_stereo_relaxed", (double)k->nstereo_post) &&
             cJSON_AddNumberToObject(d, "evaluator_energy_evals", (double)k->evals) &&
             cJSON_AddNumberToObject(d, "n_new", (double)nw->n) &&
             bb_json_add_number(d, "catalogue_lowest_kcal_mol", u0 * kT) != NULL;
    cJSON *h = ok ? cJSON_AddArrayToObject(d, "hits") : NULL; /* per catalogue minimum, in its order */
    ok = h != NULL;
    for (size_t j = 0; ok && j < c->m.n; j++) {
        cJSON *v = cJSON_CreateNumber((double)hits[j]);
        ok = v && cJSON_AddItemToArray(h, v);
    }
    cJSON *na = ok ? cJSON_AddArrayToObject(d, "new_minima") : NULL;
    ok = na != NULL;
    for (size_t i = 0; ok && i < nw->n && i < CONFMIN_NEW_MAX; i++) {
        size_t q = nw->rep[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(na, e) && bb_json_add_number(e, "E_kcal_mol", u[q] * kT) &&
             bb_json_add_number(e, "dE_kcal_mol", (u[q] - u0) * kT) &&
             bb_json_add_number(e, "rmsd_to_nearest_catalogue_A", nearest[q]) &&
             cJSON_AddNumberToObject(e, "hits", (double)nw->hits[i]);
    }
    if (!ok) return BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
    return BB_OK;
}

/* Cluster the unmatched relaxed structures (order[0..m), ascending u) at rmsd < rtol. */
static int cluster_new(const bb_conf_sym *sym, const double *x, size_t dof, const size_t *order, size_t m, double rtol,
                       new_set *nw, bb_ctx *ctx) {
    nw->rep = malloc((m ? m : 1) * sizeof *nw->rep);
    nw->hits = malloc((m ? m : 1) * sizeof *nw->hits);
    nw->n = 0;
    if (!nw->rep || !nw->hits) return BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
    for (size_t a = 0; a < m; a++) {
        size_t q = order[a], j = 0;
        for (; j < nw->n; j++) {
            double r;
            int rc = bb_conf_rmsd(sym, x + nw->rep[j] * dof, x + q * dof, &r, ctx);
            if (rc) return rc;
            if (r < rtol) break;
        }
        if (j < nw->n) {
            nw->hits[j]++;
        } else {
            nw->rep[nw->n] = q;
            nw->hits[nw->n++] = 1;
        }
    }
    return BB_OK;
}

typedef struct {
    double u;
    size_t i;
} by_u;

static int cmp_by_u(const void *a, const void *b) {
    const by_u *p = a, *q = b;
    if (p->u != q->u) return (p->u > q->u) - (p->u < q->u);
    return (p->i > q->i) - (p->i < q->i);
}

int bb_confmin_metric_run(const bb_eval_input *in, size_t n, cJSON *out, bb_ctx *ctx) {
    const bb_mmff *ff = bb_task_conformer_ff(in->task);
    char path[4096];
    if (!ff || !in->samples || in->samples->n == 0 || bb_conf_catalogue_path(in->task, path, sizeof path)) return BB_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return BB_ERR(ctx, BB_EIO, "%s: the minima catalogue of conformer task %s cannot be opened", path,
                      in->task->id);
    fclose(fp);
    bb_conf_catalogue c;
    int rc = bb_conf_catalogue_read(path, in->task, &c, ctx);
    if (rc) return rc;
    bb_conf_sym *sym = NULL;
    const bb_samples *s = in->samples;
    size_t dof = s->dof, nc = c.m.n, ng = n ? n : (2 * nc > CONFMIN_N_MIN ? 2 * nc : CONFMIN_N_MIN);
    double *x = NULL, *u = NULL, *D = NULL, *nearest = NULL;
    int *status = NULL;
    size_t *okrow = NULL, *order = NULL, *found = calloc(nc, sizeof *found);
    int64_t *hits = calloc(nc, sizeof *hits);
    new_set nw = {0, NULL, NULL};
    confmin_counts k = {0};
    rc = bb_conf_sym_from_mmff(ff, 0, &sym, ctx);
    if (!rc && (!found || !hits)) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
    if (!rc) rc = bb_minima_draw(s, in->u_samples, in->seed, BB_STREAM_CONFMIN + 0xFFFFu, &ng, &x, ctx);
    k.ng = ng;
    if (!rc && ng > 0) {
        u = malloc(ng * sizeof *u), status = malloc(ng * sizeof *status), okrow = malloc(ng * sizeof *okrow);
        order = malloc(ng * sizeof *order), nearest = malloc(ng * sizeof *nearest), D = malloc(ng * nc * sizeof *D);
        if (!u || !status || !okrow || !order || !nearest || !D)
            rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory for %zu x %zu RMSDs", ng, nc);
        for (size_t i = 0; !rc && i < ng; i++) k.nstereo_pre += bb_conf_stereo_violations(&c.stereo, x + i * dof) == 0;
        bb_relax_opts ro = {CONFMIN_GTOL, 10000, NULL, NULL, 1};
        if (!rc) rc = bb_relax(in->task, ng, x, u, status, &k.evals, &ro, ctx);
    }
    /* converged structures of the molecule's stereo, matched against the catalogue */
    size_t nok = 0;
    for (size_t i = 0; !rc && i < ng; i++) {
        nearest[i] = NAN;
        if (status[i] == BB_RELAX_REJECTED) {
            k.nrej++;
        } else if (status[i] != BB_RELAX_CONVERGED) {
            k.nnc++;
        } else {
            k.nrel++;
            if (bb_conf_stereo_violations(&c.stereo, x + i * dof))
                k.nstereo_post++;
            else
                memmove(x + nok * dof, x + i * dof, dof * sizeof *x), u[nok] = u[i], okrow[nok++] = i;
        }
    }
    if (!rc && nok) rc = bb_conf_rmsd_matrix(sym, nok, x, nc, c.m.x, D, ctx);
    size_t nun = 0;
    for (size_t i = 0; !rc && i < nok; i++) {
        size_t jb = 0;
        for (size_t j = 1; j < nc; j++) jb = D[i * nc + j] < D[i * nc + jb] ? j : jb;
        for (size_t j = 0; j < nc; j++) found[j] += D[i * nc + j] < c.rtol;
        nearest[i] = D[i * nc + jb];
        if (nearest[i] < c.rtol)
            hits[jb]++, k.nmatched++;
        else
            order[nun++] = i;
    }
    if (!rc && nun) { /* energy order, ties by index */
        by_u *bu = malloc(nun * sizeof *bu);
        if (!bu) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        for (size_t a = 0; !rc && a < nun; a++) bu[a].u = u[order[a]], bu[a].i = order[a];
        if (!rc) qsort(bu, nun, sizeof *bu, cmp_by_u);
        for (size_t a = 0; !rc && a < nun; a++) order[a] = bu[a].i;
        free(bu);
    }
    if (!rc) rc = cluster_new(sym, x, dof, order, nun, c.rtol, &nw, ctx);
    if (!rc) rc = add_entries(out, &c, path, in->task->kT, found, hits, &nw, u, nearest, &k, ctx);
    bb_conf_catalogue_free(&c);
    bb_conf_sym_free(sym);
    BB_FREE_ALL(x, u, D, nearest, status, okrow, order, found, hits, nw.rep, nw.hits);
    return rc;
}
