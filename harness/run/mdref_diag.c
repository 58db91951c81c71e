/* mdref_diag.c — convergence diagnostics of a time-ordered reference trajectory (see
 * bb_mdref_diagnostics in mdref.h): basin populations of independent halves, integrated
 * autocorrelation times of φ, ψ and the energy, and the effective sample size. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "datasets/iat.h"
#include "harness/run/mdref.h"
#include "tasks/molecules/basins.h"
#include "tasks/molecules/molecule.h"

#define PI 3.14159265358979323846

/* τ of series[0..n) into out as "iat_<name>" (+ "iat_<name>_reliable"); returns τ (NaN if none). */
static double add_iat(cJSON *out, const char *name, const double *series, size_t n) {
    double tau, ess;
    bb_ctx c = {0};
    int rc = bb_energy_iat(series, n, &tau, &ess, &c);
    char key[64];
    snprintf(key, sizeof key, "iat_%s", name);
    cJSON_AddNumberToObject(out, key, isfinite(tau) ? tau : -1.0);
    snprintf(key, sizeof key, "iat_%s_reliable", name);
    cJSON_AddBoolToObject(out, key, rc == BB_OK);
    return tau;
}

static cJSON *pop_object(const double pop[BB_BASIN_COUNT]) {
    cJSON *o = cJSON_CreateObject();
    for (int b = 0; b < BB_BASIN_COUNT && o; b++) cJSON_AddNumberToObject(o, bb_basin_names[b], pop[b]);
    return o;
}

/* Basin populations (all, halves, difference) and the φ/ψ autocorrelation times; returns the
 * largest τ of φ and ψ (NaN when not computed). */
static double basin_diagnostics(const bb_molecule *m, size_t n, const double *x, cJSON *out, double *series) {
    const bb_dihedral_def *phi, *psi;
    if (!bb_basin_pair(m, 0, &phi, &psi)) return NAN;
    size_t D = 3 * (size_t)m->natom, h = n / 2;
    double all[BB_BASIN_COUNT], a[BB_BASIN_COUNT], b[BB_BASIN_COUNT], worst = 0.0;
    bb_basin_populations(m, 0, n, x, all);
    bb_basin_populations(m, 0, h, x, a);
    bb_basin_populations(m, 0, n - h, x + h * D, b);
    for (int k = 0; k < BB_BASIN_COUNT; k++) worst = fmax(worst, 100.0 * fabs(a[k] - b[k]));
    char pair[40];
    snprintf(pair, sizeof pair, "%s/%s", phi->name, psi->name);
    cJSON_AddStringToObject(out, "basin_dihedrals", pair);
    cJSON_AddStringToObject(out, "basin_definition", "tasks/molecules/basins.h (docs/molecules.md, Basins)");
    cJSON_AddItemToObject(out, "populations", pop_object(all));
    cJSON_AddItemToObject(out, "populations_first_half", pop_object(a));
    cJSON_AddItemToObject(out, "populations_second_half", pop_object(b));
    cJSON_AddNumberToObject(out, "max_half_difference_pp", worst);
    cJSON_AddBoolToObject(out, "halves_agree_2pp", worst <= 2.0);
    cJSON_AddNumberToObject(out, "phi_positive", all[BB_BASIN_ALPHA_L]);
    for (size_t i = 0; i < n; i++) { /* φ cut at +120°: (−240°, 120°] */
        double f = bb_dihedral_angle(x + i * D, phi->atoms);
        series[i] = f > 2.0 * PI / 3.0 ? f - 2.0 * PI : f;
    }
    double tau = add_iat(out, "phi", series, n);
    for (size_t i = 0; i < n; i++) { /* ψ cut at −120°: (−120°, 240°] */
        double s = bb_dihedral_angle(x + i * D, psi->atoms);
        series[i] = s <= -2.0 * PI / 3.0 ? s + 2.0 * PI : s;
    }
    return fmax(tau, add_iat(out, "psi", series, n));
}

int bb_mdref_diagnostics(const bb_task *t, size_t n, const double *x, const double *e, double kT, cJSON *out,
                         bb_ctx *ctx) {
    double *series = malloc((n ? n : 1) * sizeof *series);
    if (!series) return BB_ERR(ctx, BB_ENOMEM, "reference diagnostics: out of memory");
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < n; i++) sum += (series[i] = e[i] / kT);
    double mean = n ? sum / (double)n : NAN;
    for (size_t i = 0; i < n; i++) sq += (series[i] - mean) * (series[i] - mean);
    cJSON_AddNumberToObject(out, "n_frames", (double)n);
    cJSON_AddNumberToObject(out, "energy_mean", mean);
    cJSON_AddNumberToObject(out, "energy_sd", n > 1 ? sqrt(sq / (double)(n - 1)) : 0.0);
    double tau = add_iat(out, "energy", series, n);
    const bb_molecule *m = bb_task_molecule(t);
    if (m) tau = fmax(tau, basin_diagnostics(m, n, x, out, series));
    cJSON_AddNumberToObject(out, "ess", isfinite(tau) && tau > 0 ? (double)n / fmax(tau, 1.0) : 0.0);
    cJSON_AddStringToObject(out, "iat_method",
                            "Sokal automatic window c=5 (datasets/iat.h) on the frame series, in frames; ess = "
                            "n_frames / max(tau_energy, tau_phi, tau_psi, 1)");
    free(series);
    return BB_OK;
}
