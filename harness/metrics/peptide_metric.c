/* peptide_metric.c — metrics of molecular tasks on their backbone dihedrals and Cα
 * chirality (tasks with bb_task_molecule(task) != NULL; skipped, nothing added, otherwise):
 *
 *   rama_js, rama_kl   Ramachandran (φ_r, ψ_r) 60 × 60 periodic histograms of every residue r
 *                      with both angles, samples vs reference: Jensen-Shannon divergence and
 *                      KL(reference ‖ samples), averaged over residues (per_residue lists each),
 *                      with the reference-vs-reference floor; rama_histogram_<phi>_<psi> holds
 *                      both densities (kind histogram2d, in degrees, scale free_energy) for the
 *                      leaderboard's side-by-side Ramachandran free-energy plot.
 *   dihedral_js        1-D JS divergence of each backbone dihedral (φ, ψ, ω) on 60 periodic
 *                      bins, mean over dihedrals (per_dihedral lists each): ω catches cis peptide
 *                      bonds, ψ1 / φ_last the terminal residues the 2-D plots leave out.
 *   basin_dF           the largest |ΔF| = |−ln(p_samples / p_reference)| (kT) over the φ/ψ basins of
 *                      tasks/molecules/basins.h populated >= 1% in the reference (per_residue lists
 *                      every basin's populations and ΔF).
 *   chirality_all_l    fraction of sample configurations whose every Cα centre is L (signed
 *                      volume (N − CA)·((C − CA) × (CB − CA)) > 0). Nothing is flipped: a
 *                      sampler that makes D residues is reported as such.
 *
 * Configurations with u = +inf are excluded from the histograms (n_rejected), importance
 * weights are used directly. Floors: the same statistic between two disjoint seeded halves
 * of floor_n = min(n_samples, n_reference / 2) reference configurations (bb_wset_split).
 * Not here: TICA (tica_metric.c), energies (energy.c), minima (pepmin_metric.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/metrics/peptide.h"
#include "tasks/molecules/basins.h"

#define RAMA_NBINS 60
#define DIH_NBINS  60
#define KL_EPS     1e-10

#define PEP_FLOOR                                                                                                      \
    " Configurations with u = +inf excluded (n_rejected); importance weights used directly. floor_ref_vs_ref: "        \
    "the same between two disjoint seeded reference subsets of floor_n = min(n_samples, n_reference / 2) "             \
    "configurations."
#define RAMA_GRID                                                                                                      \
    "Ramachandran histograms: (phi_r, psi_r) of every residue r with both backbone dihedrals (IUPAC sign), 60 x "      \
    "60 periodic bins of 6 deg on [-180, 180)^2."
#define DEF_RAMA_JS                                                                                                    \
    "rama_js = mean over residues of the Jensen-Shannon divergence (natural log, in [0, ln 2]) between the sample "    \
    "and reference Ramachandran histograms. " RAMA_GRID PEP_FLOOR
#define DEF_RAMA_KL                                                                                                    \
    "rama_kl = mean over residues of KL(reference || samples) = sum_c p_c ln(p_c / q_c) of the Ramachandran "          \
    "histograms, each cell mass regularised as (m + 1e-10) / (1 + 3600e-10). " RAMA_GRID PEP_FLOOR
#define DEF_RAMA_HIST                                                                                                  \
    "rama_histogram_<phi>_<psi>: densities (per deg^2) of sample and reference Ramachandran histograms (60 x 60 "      \
    "periodic, flat [psi bin][phi bin]); free energy F = -ln(density) in kT; value null (for plots)."
#define DEF_DIH_JS                                                                                                     \
    "dihedral_js = mean over the backbone dihedrals (phi, psi, omega of every residue) of the Jensen-Shannon "         \
    "divergence (natural log) between 1-D periodic histograms of 60 bins on [-180, 180)." PEP_FLOOR
#define BASIN_MIN_POP 0.01
#define DEF_BASIN_DF                                                                                                   \
    "basin_dF = max over residues with both phi and psi and over basins b with reference population >= 1% of "         \
    "|dF_b|, dF_b = -ln(p_b(samples) / p_b(reference)) in kT: the error of the basin's free energy. Basins of "        \
    "tasks/molecules/basins.h (alpha_R, beta_C5, C7eq_PII, alpha_L_C7ax); p = (weighted) fraction of "                 \
    "configurations; the samples' p floored at 1/(2 n) (half a sample) so an empty basin counts as "                   \
    "ln(2 n p_reference). per_residue lists p_samples, p_reference and dF_kT of every basin." PEP_FLOOR
#define DEF_CHIR                                                                                                       \
    "chirality_all_l = fraction of sample configurations (all of them, unweighted) in which every C-alpha centre "     \
    "(residues with N, CA, C, CB) is L: signed volume (N - CA).((C - CA) x (CB - CA)) > 0. Never corrected."

/* Dihedral angles of the usable configurations of s: OUT a (k = ndihedral, weights from logw). */
static int load_angles(const bb_molecule *m, const bb_samples *s, const double *u, const char *what, bb_wset *a,
                       size_t *n_rejected, bb_ctx *ctx) {
    memset(a, 0, sizeof *a);
    *n_rejected = 0;
    double *w = NULL;
    int rc = bb_weights_from_log(s->n, s->logw, &w, what, ctx);
    if (rc) return rc;
    size_t K = (size_t)m->ndihedral;
    a->k = K;
    a->w = w;
    a->v = malloc((s->n ? s->n : 1) * (K ? K : 1) * sizeof *a->v);
    if (!a->v) {
        bb_wset_free(a);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu configurations", what, s->n);
    }
    for (size_t i = 0; i < s->n; i++) {
        if (u && isnan(u[i])) {
            bb_wset_free(a);
            return BB_ERR(ctx, BB_ENAN, "%s: energy %zu is NaN", what, i);
        }
        if (u && u[i] == INFINITY) {
            (*n_rejected)++;
            continue;
        }
        bb_pep_dihedrals(m, 1, s->x + i * s->dof, a->v + a->n * K);
        if (w) w[a->n] = w[i];
        a->n++;
    }
    return BB_OK;
}

/* The residues with both φ and ψ (bb_basin_pair's order): OUT pairs[n][2] of dihedral indices. */
static int rama_pairs(const bb_molecule *m, int *pairs, int max) {
    const bb_dihedral_def *phi, *psi;
    int n = 0;
    while (n < max && bb_basin_pair(m, n, &phi, &psi)) {
        pairs[2 * n] = (int)(phi - m->dihedral);
        pairs[2 * n + 1] = (int)(psi - m->dihedral);
        n++;
    }
    return n;
}

/* Divergences of a and b: rama (pairs[np]) or 1-D (every dihedral). OUT js[], kl[] (kl may be NULL). */
static int divergences(const bb_wset *a, const bb_wset *b, int rama, int np, const int *pairs, double *js, double *kl,
                       double *pa, double *pb, bb_ctx *ctx) {
    int nitems = rama ? np : (int)a->k;
    size_t C = rama ? (size_t)RAMA_NBINS * RAMA_NBINS : DIH_NBINS;
    for (int r = 0; r < nitems; r++) {
        int rc;
        const bb_wset *s[2] = {a, b};
        double *mass[2] = {pa, pb};
        for (int t = 0; t < 2; t++) {
            if (rama)
                rc = bb_periodic_hist2d(s[t]->n, s[t]->v + pairs[2 * r], s[t]->v + pairs[2 * r + 1], s[t]->k, s[t]->w,
                                        RAMA_NBINS, mass[t], ctx);
            else
                rc = bb_periodic_hist1d(s[t]->n, s[t]->v + r, s[t]->k, s[t]->w, DIH_NBINS, mass[t], ctx);
            if (rc) return rc;
        }
        js[r] = bb_js_divergence(C, pa, pb);
        if (kl) kl[r] = bb_kl_divergence(C, pb, pa, KL_EPS); /* KL(reference ‖ samples) */
    }
    return BB_OK;
}

static double mean_of(int n, const double *v) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += v[i];
    return n ? s / n : NAN;
}

/* {name: {value, n_samples, definition, floor_ref_vs_ref, floor_n, n_reference, n_rejected, <list>: {k: v}}} */
static cJSON *add_entry(cJSON *out, const char *name, int n, const double *v, const double *fl, size_t floor_n,
                        size_t n_samples, size_t n_ref, size_t rej, const char *list, char (*keys)[40],
                        const char *def) {
    cJSON *o = bb_metric_entry(out, name, mean_of(n, v), n_samples, NULL, def);
    cJSON *per = o ? cJSON_AddObjectToObject(o, list) : NULL;
    int ok = per && bb_json_add_number(o, "floor_ref_vs_ref", floor_n ? mean_of(n, fl) : NAN) &&
             cJSON_AddNumberToObject(o, "floor_n", (double)floor_n) &&
             cJSON_AddNumberToObject(o, "n_reference", (double)n_ref) &&
             cJSON_AddNumberToObject(o, "n_rejected", (double)rej);
    for (int i = 0; ok && i < n; i++) ok = bb_json_add_number(per, keys[i], v[i]) != NULL;
    return ok ? o : NULL;
}

/* One 2-D density field (per deg²) as a flat JSON array. */
static int add_density(cJSON *o, const char *field, const double *mass) {
    double cell = (360.0 / RAMA_NBINS) * (360.0 / RAMA_NBINS);
    double d[RAMA_NBINS * RAMA_NBINS];
    for (int c = 0; c < RAMA_NBINS * RAMA_NBINS; c++) d[c] = mass[c] / cell;
    cJSON *arr = cJSON_CreateDoubleArray(d, RAMA_NBINS * RAMA_NBINS);
    if (!arr || !cJSON_AddItemToObject(o, field, arr)) {
        cJSON_Delete(arr);
        return 0;
    }
    return 1;
}

static int add_rama_hist(cJSON *out, const bb_molecule *m, const int *pair, const bb_wset *a, const bb_wset *b,
                         double *pa, double *pb, bb_ctx *ctx) {
    int rc = bb_periodic_hist2d(a->n, a->v + pair[0], a->v + pair[1], a->k, a->w, RAMA_NBINS, pa, ctx);
    if (!rc) rc = bb_periodic_hist2d(b->n, b->v + pair[0], b->v + pair[1], b->k, b->w, RAMA_NBINS, pb, ctx);
    if (rc) return rc;
    char name[64], xl[40], yl[40];
    snprintf(name, sizeof name, "rama_histogram_%s_%s", m->dihedral[pair[0]].name, m->dihedral[pair[1]].name);
    snprintf(xl, sizeof xl, "%s (deg)", m->dihedral[pair[0]].name);
    snprintf(yl, sizeof yl, "%s (deg)", m->dihedral[pair[1]].name);
    double e[RAMA_NBINS + 1];
    for (int i = 0; i <= RAMA_NBINS; i++) e[i] = -180.0 + 360.0 * i / RAMA_NBINS;
    cJSON *h = bb_metric_entry(out, name, NAN, a->n, NULL, DEF_RAMA_HIST);
    int ok = h && cJSON_AddStringToObject(h, "kind", "histogram2d") &&
             cJSON_AddStringToObject(h, "scale", "free_energy") && cJSON_AddStringToObject(h, "x_label", xl) &&
             cJSON_AddStringToObject(h, "y_label", yl) &&
             cJSON_AddItemToObject(h, "x_edges", cJSON_CreateDoubleArray(e, RAMA_NBINS + 1)) &&
             cJSON_AddItemToObject(h, "y_edges", cJSON_CreateDoubleArray(e, RAMA_NBINS + 1)) &&
             add_density(h, "density_samples", pa) && add_density(h, "density_reference", pb);
    return ok ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "rama: out of memory");
}

/* rama (rama_js, rama_kl, histograms) or dihedral_js. */
static int dihedral_metrics(const bb_eval_input *in, int rama, cJSON *out, bb_ctx *ctx) {
    const bb_molecule *m = bb_task_molecule(in->task);
    if (!m || !in->reference || m->ndihedral == 0) return BB_OK;
    int pairs[2 * 64], np = rama_pairs(m, pairs, 64);
    if (rama && np == 0) return BB_OK;
    int nitems = rama ? np : m->ndihedral;
    bb_wset a = {0}, b = {0}, h1 = {0}, h2 = {0};
    size_t rej = 0, rej_r = 0, C = rama ? (size_t)RAMA_NBINS * RAMA_NBINS : DIH_NBINS;
    double *pa = malloc(C * sizeof *pa), *pb = malloc(C * sizeof *pb);
    double *v = calloc(4 * (size_t)nitems, sizeof *v);
    char(*keys)[40] = calloc((size_t)nitems, sizeof *keys);
    uint64_t st = rama ? BB_STREAM_RAMA : BB_STREAM_DIHEDRAL;
    int rc = (!pa || !pb || !v || !keys) ? BB_ERR(ctx, BB_ENOMEM, "rama: out of memory") : BB_OK;
    if (!rc) rc = load_angles(m, in->samples, in->u_samples, "samples", &a, &rej, ctx);
    if (!rc) rc = load_angles(m, in->reference, in->u_reference, "reference", &b, &rej_r, ctx);
    if (rc) goto out;
    double *js = v, *kl = v + nitems, *fjs = v + 2 * nitems, *fkl = v + 3 * nitems;
    size_t nf = a.n < b.n / 2 ? a.n : b.n / 2;
    if (a.n == 0 || b.n == 0) {
        cJSON *o =
            bb_metric_entry(out, rama ? "rama_js" : "dihedral_js", NAN, a.n, NULL, rama ? DEF_RAMA_JS : DEF_DIH_JS);
        if (!o || !cJSON_AddStringToObject(o, "note", "no usable sample or reference configuration"))
            rc = BB_ERR(ctx, BB_ENOMEM, "rama: out of memory");
        goto out;
    }
    rc = divergences(&a, &b, rama, np, pairs, js, rama ? kl : NULL, pa, pb, ctx);
    if (!rc && nf > 0) rc = bb_wset_split(&b, nf, in->seed, st + 0xFFFDu, &h1, &h2, ctx);
    if (!rc && nf > 0) rc = divergences(&h1, &h2, rama, np, pairs, fjs, rama ? fkl : NULL, pa, pb, ctx);
    if (rc) goto out;
    for (int r = 0; r < nitems; r++) {
        if (rama)
            snprintf(keys[r], sizeof keys[r], "%d", m->dihedral[pairs[2 * r]].residue);
        else
            snprintf(keys[r], sizeof keys[r], "%s", m->dihedral[r].name);
    }
    int ok;
    if (rama) {
        ok = add_entry(out, "rama_js", np, js, fjs, nf, a.n, b.n, rej, "per_residue", keys, DEF_RAMA_JS) &&
             add_entry(out, "rama_kl", np, kl, fkl, nf, a.n, b.n, rej, "per_residue", keys, DEF_RAMA_KL);
        for (int r = 0; ok && !rc && r < np; r++) rc = add_rama_hist(out, m, pairs + 2 * r, &a, &b, pa, pb, ctx);
    } else {
        ok =
            add_entry(out, "dihedral_js", nitems, js, fjs, nf, a.n, b.n, rej, "per_dihedral", keys, DEF_DIH_JS) != NULL;
    }
    if (!rc && !ok) rc = BB_ERR(ctx, BB_ENOMEM, "rama: out of memory");
out:
    bb_wset_free(&a);
    bb_wset_free(&b);
    bb_wset_free(&h1);
    bb_wset_free(&h2);
    BB_FREE_ALL(pa, pb, v, keys);
    return rc;
}

static int rama_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    return dihedral_metrics(in, 1, out, ctx);
}

static int dihedral_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    return dihedral_metrics(in, 0, out, ctx);
}

/* Weighted basin populations of the pair (iphi, ipsi) of the angle set a (NaN without mass). */
static void basin_pops(const bb_wset *a, int iphi, int ipsi, double pop[BB_BASIN_COUNT]) {
    double tot = 0.0;
    for (int b = 0; b < BB_BASIN_COUNT; b++) pop[b] = 0.0;
    for (size_t i = 0; i < a->n; i++) {
        double w = a->w ? a->w[i] : 1.0;
        pop[bb_basin_classify(a->v[i * a->k + (size_t)iphi], a->v[i * a->k + (size_t)ipsi])] += w;
        tot += w;
    }
    for (int b = 0; b < BB_BASIN_COUNT; b++) pop[b] = tot > 0.0 ? pop[b] / tot : NAN;
}

/* dF[b] = −ln(max(ps_b, 1/(2 ns)) / pr_b); returns the largest |dF_b| over basins with pr_b >= 1%. */
static double basin_df(const double *ps, size_t ns, const double *pr, double *dF) {
    double lo = 0.5 / (double)(ns ? ns : 1), mx = 0.0;
    for (int b = 0; b < BB_BASIN_COUNT; b++) {
        dF[b] = pr[b] > 0.0 ? -log(fmax(ps[b], lo) / pr[b]) : NAN;
        if (pr[b] >= BASIN_MIN_POP) mx = fmax(mx, fabs(dF[b]));
    }
    return mx;
}

static int basin_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    const bb_molecule *m = bb_task_molecule(in->task);
    int pairs[2 * 64], np = m ? rama_pairs(m, pairs, 64) : 0;
    if (!m || !in->reference || np == 0) return BB_OK;
    bb_wset a = {0}, b = {0}, h1 = {0}, h2 = {0};
    size_t rej = 0, rej_r = 0;
    int rc = load_angles(m, in->samples, in->u_samples, "samples", &a, &rej, ctx);
    if (!rc) rc = load_angles(m, in->reference, in->u_reference, "reference", &b, &rej_r, ctx);
    size_t nf = a.n < b.n / 2 ? a.n : b.n / 2;
    if (!rc && nf > 0) rc = bb_wset_split(&b, nf, in->seed, BB_STREAM_BASIN + 0xFFFDu, &h1, &h2, ctx);
    double worst = 0.0, fworst = 0.0;
    cJSON *per = cJSON_CreateObject(), *e = NULL;
    int ok = per != NULL;
    for (int r = 0; !rc && ok && r < np; r++) {
        double ps[BB_BASIN_COUNT], pr[BB_BASIN_COUNT], dF[BB_BASIN_COUNT], f1[BB_BASIN_COUNT], f2[BB_BASIN_COUNT],
            fd[BB_BASIN_COUNT];
        basin_pops(&a, pairs[2 * r], pairs[2 * r + 1], ps);
        basin_pops(&b, pairs[2 * r], pairs[2 * r + 1], pr);
        worst = fmax(worst, basin_df(ps, a.n, pr, dF));
        if (nf > 0) {
            basin_pops(&h1, pairs[2 * r], pairs[2 * r + 1], f1);
            basin_pops(&h2, pairs[2 * r], pairs[2 * r + 1], f2);
            fworst = fmax(fworst, basin_df(f1, nf, f2, fd));
        }
        char key[16];
        snprintf(key, sizeof key, "%d", m->dihedral[pairs[2 * r]].residue);
        cJSON *res = cJSON_AddObjectToObject(per, key);
        ok = res != NULL;
        for (int k = 0; ok && k < BB_BASIN_COUNT; k++) {
            cJSON *bo = cJSON_AddObjectToObject(res, bb_basin_names[k]);
            ok = bo && bb_json_add_number(bo, "p_samples", ps[k]) && bb_json_add_number(bo, "p_reference", pr[k]) &&
                 bb_json_add_number(bo, "dF_kT", dF[k]);
        }
    }
    if (!rc && ok) ok = (e = bb_metric_entry(out, "basin_dF", a.n ? worst : NAN, a.n, NULL, DEF_BASIN_DF)) != NULL;
    if (!rc && ok && (ok = cJSON_AddItemToObject(e, "per_residue", per))) per = NULL; /* handed over */
    if (!rc && ok && a.n == 0) ok = cJSON_AddStringToObject(e, "note", "no usable sample configuration") != NULL;
    if (!rc && ok)
        ok = bb_json_add_number(e, "floor_ref_vs_ref", nf ? fworst : NAN) &&
             cJSON_AddNumberToObject(e, "floor_n", (double)nf) &&
             cJSON_AddNumberToObject(e, "n_reference", (double)b.n) &&
             cJSON_AddNumberToObject(e, "n_rejected", (double)rej);
    if (!rc && !ok) rc = BB_ERR(ctx, BB_ENOMEM, "basin_dF: out of memory");
    cJSON_Delete(per);
    bb_wset_free(&a);
    bb_wset_free(&b);
    bb_wset_free(&h1);
    bb_wset_free(&h2);
    return rc;
}

/* Fraction of configurations of s with every centre L. */
static double all_l_fraction(const bb_samples *s, int nc, const int *quads) {
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) k += (size_t)bb_pep_all_l(nc, quads, s->x + i * s->dof);
    return s->n ? (double)k / (double)s->n : NAN;
}

static int chirality_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    const bb_molecule *m = bb_task_molecule(in->task);
    if (!m) return BB_OK;
    int *quads = malloc(4 * (size_t)(m->nres + 1) * sizeof *quads);
    if (!quads) return BB_ERR(ctx, BB_ENOMEM, "chirality: out of memory");
    int nc = bb_pep_chiral_centres(m, quads);
    cJSON *e = nc ? bb_metric_entry(out, "chirality_all_l", all_l_fraction(in->samples, nc, quads), in->samples->n,
                                    NULL, DEF_CHIR)
                  : (cJSON *)out;
    int ok = e != NULL;
    if (ok && nc) {
        ok = cJSON_AddNumberToObject(e, "n_centres", nc) != NULL;
        if (ok && in->reference)
            ok = bb_json_add_number(e, "reference_value", all_l_fraction(in->reference, nc, quads)) != NULL;
    }
    free(quads);
    return ok ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "chirality: out of memory");
}

/* rama_js is not cheap: its histograms (2 x 3600 numbers) would be copied into every anytime point */
const bb_metric bb_metric_rama = {"rama_js", DEF_RAMA_JS, 0, 1, 0, rama_compute};
const bb_metric bb_metric_dihedral_js = {"dihedral_js", DEF_DIH_JS, 0, 1, 1, dihedral_compute};
const bb_metric bb_metric_basin_df = {"basin_dF", DEF_BASIN_DF, 0, 1, 1, basin_compute};
const bb_metric bb_metric_chirality = {"chirality_all_l", DEF_CHIR, 1, 0, 1, chirality_compute};
