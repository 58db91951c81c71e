/* pepmin_search.c — dihedral-grid starts and basin hopping for peptide minima (see
 * pepmin_search.h for the procedure). */
#include "harness/run/pepmin_search.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/clock.h"
#include "harness/core/rng.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/peptide.h"

#define STREAM_START    UINT64_C(0x42000000)
#define STREAM_HOP      UINT64_C(0x43000000)
#define RESTRAINED_GTOL 1e-2

void bb_pepmin_search_defaults(bb_pepmin_search_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->restraint_k = 2000.0;
    cfg->steps = 160;
    cfg->walkers = 16;
    cfg->hop_deg = 60.0;
    cfg->temperature = 1.0;
    cfg->gtol = 1e-3;
    cfg->window_kj = 50.0;
}

/* Harmonic restraints on the catalogue's angles toward per-configuration targets. */
typedef struct restraint {
    const bb_molecule *m;
    const bb_pepmin_cat *c; /* idx, na */
    double k;               /* reduced: kJ/mol/rad² / kT */
    const double *target;   /* [n][na] radians */
} restraint;

static void restraint_bias(void *user, size_t i, const double *x, double *u, double *g) {
    const restraint *r = user;
    double gq[12];
    for (int q = 0; q < r->c->na; q++) {
        const int *a = r->m->dihedral[r->c->idx[q]].atoms;
        double phi = bb_dihedral_grad(x, a, gq), d = remainder(phi - r->target[i * (size_t)r->c->na + q], 2.0 * M_PI);
        *u += 0.5 * r->k * d * d;
        for (int j = 0; j < 4; j++)
            for (int e = 0; e < 3; e++) g[3 * a[j] + e] += r->k * d * gq[3 * j + e];
    }
}

/* 1 when x is the catalogued isomer: every Cα centre L and every peptide bond trans (|ω| > 90°). */
static int same_isomer(const bb_molecule *m, const double *x) {
    int quads[4 * 64], nc = m->nres <= 64 ? bb_pep_chiral_centres(m, quads) : 0;
    if (!bb_pep_all_l(nc, quads, x)) return 0;
    for (int k = 0; k < m->ndihedral; k++)
        if (m->dihedral[k].kind == BB_DIHEDRAL_OMEGA && fabs(bb_dihedral_angle(x, m->dihedral[k].atoms)) < M_PI / 2)
            return 0;
    return 1;
}

/* Relax n starts x toward targets (restrained, then free); add converged minima to cat. OUT
 * E[n] (kJ/mol, NaN when not converged) and ang[n][na]. */
static int relax_batch(const bb_task *t, const bb_molecule *m, bb_pepmin_cat *cat, const bb_pepmin_search_config *cfg,
                       size_t n, double *x, const double *target, double *E, double *ang, bb_pepmin_search_result *res,
                       bb_ctx *ctx) {
    size_t dof = (size_t)t->dof, na = (size_t)cat->na;
    double *u = malloc(n * sizeof *u), *g = malloc(dof * sizeof *g),
           *all = malloc(((size_t)m->ndihedral + 1) * sizeof *all);
    int *st = malloc(n * sizeof *st);
    int rc = (!u || !g || !all || !st) ? BB_ERR(ctx, BB_ENOMEM, "minima: out of memory") : BB_OK;
    restraint r = {m, cat, cfg->restraint_k / t->kT, target};
    bb_relax_opts ro1 = {RESTRAINED_GTOL, 2000, restraint_bias, &r, 1}, ro2 = {cfg->gtol, 10000, NULL, NULL, 1};
    if (!rc) rc = bb_relax(t, n, x, u, st, &res->energy_evals, &ro1, ctx);
    if (!rc) rc = bb_relax(t, n, x, u, st, &res->energy_evals, &ro2, ctx);
    double atol = BB_PEPMIN_ATOL_DEG * M_PI / 180.0;
    for (size_t i = 0; !rc && i < n; i++) {
        E[i] = NAN;
        if (st[i] != BB_RELAX_CONVERGED) {
            res->not_converged++;
            continue;
        }
        if (!same_isomer(m, x + i * dof)) { /* a restrained path can invert a Cα or a peptide bond */
            res->other_isomer++;
            continue;
        }
        double ui, gmax = 0.0;
        rc = bb_task_energy(t, 1, x + i * dof, &ui, g, ctx);
        res->energy_evals++;
        for (size_t k = 0; !rc && k < dof; k++) gmax = fmax(gmax, fabs(g[k]) * t->kT);
        bb_pep_dihedrals(m, 1, x + i * dof, all);
        for (size_t q = 0; q < na; q++) ang[i * na + q] = all[cat->idx[q]];
        E[i] = ui * t->kT;
        if (!rc)
            rc = bb_pepmin_add(cat, x + i * dof, ang + i * na, E[i], gmax, 1, atol, BB_PEPMIN_ETOL_KJ, NULL, NULL, ctx);
    }
    BB_FREE_ALL(u, g, all, st);
    return rc;
}

static cJSON *provenance(const bb_task *t, const bb_pepmin_search_config *cfg, double step,
                         const bb_pepmin_search_result *r) {
    cJSON *p = cJSON_CreateObject();
    if (!p) return NULL;
    cJSON_AddStringToObject(p, "builder", "boltzbench minima (peptide: dihedral grid + basin hopping)");
    cJSON_AddStringToObject(p, "harness_version", BB_VERSION_STRING);
    cJSON_AddStringToObject(p, "task", t->id);
    cJSON_AddNumberToObject(p, "kT_kJmol", t->kT);
    cJSON_AddNumberToObject(p, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(p, "grid_step_deg", step);
    cJSON_AddNumberToObject(p, "grid_starts", (double)r->grid_starts);
    cJSON_AddNumberToObject(p, "restraint_k_kJmol_rad2", cfg->restraint_k);
    cJSON_AddNumberToObject(p, "basin_hopping_steps", (double)cfg->steps);
    cJSON_AddNumberToObject(p, "walkers", cfg->walkers);
    cJSON_AddNumberToObject(p, "hop_deg", cfg->hop_deg);
    cJSON_AddNumberToObject(p, "temperature_kT", cfg->temperature);
    cJSON_AddNumberToObject(p, "gtol_reduced", cfg->gtol);
    cJSON_AddNumberToObject(p, "match_atol_deg", BB_PEPMIN_ATOL_DEG);
    cJSON_AddNumberToObject(p, "match_etol_kJmol", BB_PEPMIN_ETOL_KJ);
    cJSON_AddNumberToObject(p, "energy_evals", (double)r->energy_evals);
    cJSON_AddNumberToObject(p, "not_converged", (double)r->not_converged);
    cJSON_AddNumberToObject(p, "other_isomer", (double)r->other_isomer);
    cJSON_AddNumberToObject(p, "window_kJmol", cfg->window_kj);
    cJSON_AddNumberToObject(p, "above_window", (double)r->above_window);
    cJSON_AddStringToObject(p, "isomer", "all C-alpha L, every peptide bond trans (|omega| > 90 deg)");
    return p;
}

int bb_pepmin_search(const bb_task *t, const bb_pepmin_search_config *cfg, bb_pepmin_search_result *res_out,
                     bb_ctx *ctx) {
    const bb_molecule *m = bb_task_molecule(t);
    if (!m) return BB_ERR(ctx, BB_EINVAL, "task %s: not a molecular task (no backbone dihedrals)", t->id);
    if (!cfg->path || !*cfg->path) return BB_ERR(ctx, BB_EINVAL, "path: the catalogue file is required");
    if (!(cfg->restraint_k > 0.0) || !(cfg->hop_deg > 0.0) || !(cfg->temperature > 0.0) || !(cfg->gtol > 0.0) ||
        cfg->walkers < 1 || cfg->walkers > 4096 || cfg->steps < 0 || !(cfg->grid_step_deg >= 0.0) ||
        !(cfg->window_kj > 0.0))
        return BB_ERR(ctx, BB_EINVAL,
                      "minima: restraint, hop, temperature, gtol and window must be > 0, walkers "
                      "1..4096, steps and grid step >= 0");
    bb_pepmin_search_result res;
    memset(&res, 0, sizeof res);
    double t0 = bb_wall_s();
    bb_pepmin_cat cat;
    bb_pepmin_init(&cat, m);
    size_t na = (size_t)cat.na, dof = (size_t)t->dof;
    double step = cfg->grid_step_deg > 0.0 ? cfg->grid_step_deg : (na <= 2 ? 30.0 : 60.0);
    size_t per = (size_t)ceil(360.0 / step - 1e-9), ngrid = 1;
    for (size_t q = 0; q < na; q++) ngrid *= per;
    size_t nb = ngrid > (size_t)cfg->walkers ? ngrid : (size_t)cfg->walkers;
    double *x = malloc(nb * dof * sizeof *x), *tg = malloc(nb * (na ? na : 1) * sizeof *tg);
    double *E = malloc(nb * sizeof *E), *ang = malloc(nb * (na ? na : 1) * sizeof *ang);
    double *cur = malloc((size_t)cfg->walkers * (na ? na : 1) * sizeof *cur),
           *curE = malloc((size_t)cfg->walkers * sizeof *curE);
    cJSON *prov = NULL;
    int rc = (!x || !tg || !E || !ang || !cur || !curE) ? BB_ERR(ctx, BB_ENOMEM, "minima: out of memory") : BB_OK;
    /* (1) grid starts */
    for (size_t s = 0; !rc && s < ngrid; s++) {
        bb_rng r;
        bb_rng_init(&r, cfg->seed, STREAM_START + s);
        rc = bb_task_initial(t, 1, &r, x + s * dof, ctx);
        for (size_t q = 0, k = s; q < na; q++, k /= per)
            tg[s * na + q] = (-180.0 + step * (double)(k % per)) * M_PI / 180.0;
    }
    res.grid_starts = (int64_t)ngrid;
    if (!rc) rc = relax_batch(t, m, &cat, cfg, ngrid, x, tg, E, ang, &res, ctx);
    if (!rc && cfg->progress)
        fprintf(cfg->progress, "minima %s: %zu grid starts (%g deg) -> %zu minima\n", t->id, ngrid, step, cat.n);
    if (!rc && cat.n == 0) rc = BB_ERR(ctx, BB_EINTERNAL, "minima %s: no grid start converged", t->id);
    /* (2) basin hopping from the lowest minimum */
    size_t W = (size_t)cfg->walkers;
    for (size_t w = 0; !rc && w < W; w++) {
        memcpy(cur + w * na, cat.ang, na * sizeof *cur);
        curE[w] = cat.E[0];
    }
    for (int64_t s0 = 0; !rc && s0 < cfg->steps; s0 += (int64_t)W) {
        size_t nw = (size_t)(cfg->steps - s0) < W ? (size_t)(cfg->steps - s0) : W;
        double acc[4096];
        for (size_t w = 0; !rc && w < nw; w++) {
            bb_rng r;
            bb_rng_init(&r, cfg->seed, STREAM_HOP + (uint64_t)s0 + w);
            rc = bb_task_initial(t, 1, &r, x + w * dof, ctx);
            for (size_t q = 0; q < na; q++)
                tg[w * na + q] = cur[w * na + q] + (2.0 * bb_rng_uniform(&r) - 1.0) * cfg->hop_deg * M_PI / 180.0;
            acc[w] = bb_rng_uniform(&r);
        }
        if (!rc) rc = relax_batch(t, m, &cat, cfg, nw, x, tg, E, ang, &res, ctx);
        for (size_t w = 0; !rc && w < nw; w++)
            if (isfinite(E[w]) && acc[w] < exp(-(E[w] - curE[w]) / (t->kT * cfg->temperature))) {
                memcpy(cur + w * na, ang + w * na, na * sizeof *cur);
                curE[w] = E[w];
            }
    }
    /* the energy window: distorted structures (a methyl or amide hydrogen forced through its
     * neighbours by a restraint path) are local minima hundreds of kJ/mol up */
    while (!rc && cat.n > 1 && cat.E[cat.n - 1] > cat.E[0] + cfg->window_kj) {
        cat.n--;
        res.above_window++;
    }
    res.n_minima = cat.n;
    res.lowest_E = cat.n ? cat.E[0] : NAN;
    res.wall_s = bb_wall_s() - t0;
    if (!rc && cfg->progress)
        fprintf(cfg->progress, "minima %s: %lld basin-hopping steps -> %zu minima, %lld energy evaluations\n", t->id,
                (long long)cfg->steps, cat.n, (long long)res.energy_evals);
    if (!rc && !(prov = provenance(t, cfg, step, &res))) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
    if (!rc) rc = bb_pepmin_write(cfg->path, &cat, m, prov, ctx);
    if (!rc && res_out) *res_out = res;
    cJSON_Delete(prov);
    bb_pepmin_free(&cat);
    BB_FREE_ALL(x, tg, E, ang, cur, curE);
    return rc;
}
