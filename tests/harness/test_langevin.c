/* test_langevin.c — the BAOAB Langevin engine (harness/run/langevin.h) and the reference runs
 * built on it (harness/run/mdref.h):
 *   - harmonic oscillator u = k x²/2 at four temperatures with replica exchange: ⟨x²⟩ = kT_r/k
 *     (BAOAB samples the configurations of a harmonic oscillator exactly at any stable dt)
 *     within 5 standard errors (SE from the integrated autocorrelation time);
 *   - 1-D double well u = h (x² − 1)², h = 3 kT, at small dt: P(x > 0) = 1/2, P(|x| < 1/2)
 *     and ⟨x²⟩ against the exact Boltzmann values (quadrature), within 5 SE;
 *   - molecular units: ALDP (aldp-pita) at 555.52 K, 8 replicas, kinetic temperature
 *     2⟨K⟩/(D k_B) with masses from the topology (kT = R·T kJ/mol, m amu, v nm/ps) within 2 % at
 *     0.2 fs and 3 % at 1 fs (BAOAB's full-step velocities carry an O(dt²) bias from the stiff
 *     X–H bonds; seen: 557.5 K and 550.2 K, −1.0 % at 1 fs);
 *   - determinism: the same trajectory on 1 and 2 threads; resume from a state saved at an
 *     arbitrary step equals the uninterrupted run bit for bit; a state of other settings is
 *     refused naming the file;
 *   - diagnostics: halves that disagree (first half PII, second αR) are flagged, mixed ones not;
 *   - export: the strided '<f4' subsample and its sidecar with the TICA halves floor. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/iat.h"
#include "datasets/npy.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/run/langevin.h"
#include "harness/report/report.h"
#include "harness/run/mdref.h"
#include "tasks/molecules/basins.h"
#include "tasks/molecules/molecule.h"
#include "tasks/task.h"
#include "tests/testmain.h"
#include "tests/testutil.h"
#include "tests/tmpdir.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_langevin", (void)0)

/* ---- 1-D test potentials as task types ---- */
static const double HO_K = 2.385;
static int ho_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *c) {
    (void)t, (void)c;
    for (size_t i = 0; i < n; i++) {
        u[i] = 0.5 * HO_K * x[i] * x[i];
        if (g) g[i] = HO_K * x[i];
    }
    return BB_OK;
}
static const double DW_H = 3.0;
static int dw_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *c) {
    (void)t, (void)c;
    for (size_t i = 0; i < n; i++) {
        double a = x[i] * x[i] - 1.0;
        u[i] = DW_H * a * a;
        if (g) g[i] = 4.0 * DW_H * a * x[i];
    }
    return BB_OK;
}
static const bb_task_type HO = {.name = "test-ho",
                                .version = 1,
                                .n_particles = 1,
                                .dim = 1,
                                .kT = 1.0,
                                .kT_unit = "reduced",
                                .init_scale = 0.5,
                                .energy = ho_energy};
static const bb_task_type DW = {.name = "test-dw1",
                                .version = 1,
                                .n_particles = 1,
                                .dim = 1,
                                .kT = 1.0,
                                .kT_unit = "reduced",
                                .init_scale = 0.5,
                                .energy = dw_energy};

static bb_task *make_type(const bb_task_type *tt) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create_from_type(tt, NULL, &t, &c), BB_OK);
    return t;
}

/* Mean of f over a series and its standard error from τ (Sokal); asserts |mean − want| <= 5 SE. */
static void check_mean(const char *what, const double *s, size_t n, double want) {
    double m = 0.0, v = 0.0, tau, ess;
    for (size_t i = 0; i < n; i++) m += s[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) v += (s[i] - m) * (s[i] - m);
    v /= (double)(n - 1);
    bb_ctx c = {0};
    assert_int_equal(bb_energy_iat(s, n, &tau, &ess, &c), BB_OK);
    double se = sqrt(v * fmax(tau, 1.0) / (double)n);
    printf("# %s: %.5f, exact %.5f, SE %.5f (tau %.1f)\n", what, m, want, se, tau);
    assert_true(fabs(m - want) <= 5.0 * se);
    assert_true(se < 0.02 * fmax(fabs(want), 0.1)); /* the test has power */
}

BB_TEST(harmonic_oscillator_samples_x2_equal_kT_over_k_at_every_temperature) {
    bb_task *t = make_type(&HO);
    const double kT[4] = {1.0, 1.7, 2.9, 5.0};
    double x0[4] = {0.1, -0.2, 0.3, 0.0};
    bb_langevin_config cfg = {.dt = 0.4, .friction = 1.0, .exchange_every = 10, .seed = 7, .threads = 1};
    bb_langevin L;
    bb_ctx c = {0};
    assert_int_equal(bb_langevin_init(&L, t, 4, kT, NULL, x0, &cfg, &c), BB_OK);
    size_t n = 200000;
    double *s = malloc(4 * n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bb_langevin_step(&L, &c), BB_OK);
        for (int r = 0; r < 4; r++) s[(size_t)r * n + i] = L.x[r] * L.x[r];
    }
    for (int r = 0; r < 4; r++) check_mean("HO <x^2>", s + (size_t)r * n, n, kT[r] / HO_K);
    assert_int_equal(L.evals, 4 * ((int64_t)n + 1));
    for (int r = 0; r < 3; r++) assert_true(L.accepted[r] > 0 && L.accepted[r] < L.tried[r]);
    free(s);
    bb_langevin_free(&L);
    bb_task_free(t);
}

/* ∫ f(x) exp(−u(x)) dx / ∫ exp(−u(x)) dx by the trapezoid rule on [−4, 4] (u > 100 beyond). */
static double dw_exact(double (*f)(double)) {
    double num = 0.0, den = 0.0, h = 1e-4;
    for (int i = 0; i <= 80000; i++) {
        double x = -4.0 + h * i, a = x * x - 1.0, w = exp(-DW_H * a * a) * (i == 0 || i == 80000 ? 0.5 : 1.0);
        num += f(x) * w;
        den += w;
    }
    return num / den;
}
static double f_pos(double x) { return x > 0.0; }
static double f_mid(double x) { return fabs(x) < 0.5; }
static double f_x2(double x) { return x * x; }

BB_TEST(double_well_matches_the_exact_boltzmann_distribution) {
    bb_task *t = make_type(&DW);
    const double kT[3] = {1.0, 2.0, 4.0};
    double x0[3] = {1.0, 1.0, 1.0};
    bb_langevin_config cfg = {.dt = 0.02, .friction = 2.0, .exchange_every = 25, .seed = 3, .threads = 1};
    bb_langevin L;
    bb_ctx c = {0};
    assert_int_equal(bb_langevin_init(&L, t, 3, kT, NULL, x0, &cfg, &c), BB_OK);
    size_t n = 60000, every = 10;
    double *pos = malloc(n * sizeof *pos), *mid = malloc(n * sizeof *mid), *x2 = malloc(n * sizeof *x2);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < every; k++) assert_int_equal(bb_langevin_step(&L, &c), BB_OK);
        pos[i] = f_pos(L.x[0]);
        mid[i] = f_mid(L.x[0]);
        x2[i] = f_x2(L.x[0]);
    }
    check_mean("DW P(x>0)", pos, n, 0.5);
    check_mean("DW P(|x|<1/2)", mid, n, dw_exact(f_mid));
    check_mean("DW <x^2>", x2, n, dw_exact(f_x2));
    free(pos);
    free(mid);
    free(x2);
    bb_langevin_free(&L);
    bb_task_free(t);
}

static bb_task *peptide(const char *id, const char *T) {
    bb_ctx c = {0};
    cJSON *p = NULL;
    if (T) {
        p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "temperature", atof(T));
    }
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, p, &t, &c), BB_OK);
    cJSON_Delete(p);
    return t;
}

/* Kinetic temperature of 8 independent ALDP replicas at 555.52 K over `steps` steps of dt. */
static double aldp_kinetic_temperature(double dt, int steps) {
    bb_task *t = peptide("aldp-pita", "555.52");
    const bb_molecule *m = bb_task_molecule(t);
    assert_true(fabs(bb_task_temperature(t) - 555.52) < 1e-12);
    assert_true(fabs(t->kT - BB_R_KJ_PER_MOL_K * 555.52) < 1e-15);
    enum { R = 8 };
    double kT[R], *x0 = malloc(R * 66 * sizeof *x0);
    for (int r = 0; r < R; r++) kT[r] = t->kT;
    bb_rng rng;
    bb_rng_init(&rng, 1, 0);
    bb_ctx c = {0};
    assert_int_equal(bb_task_initial(t, R, &rng, x0, &c), BB_OK);
    bb_langevin_config cfg = {.dt = dt, .friction = 5.0, .seed = 11, .threads = 1};
    bb_langevin L;
    assert_int_equal(bb_langevin_init(&L, t, R, kT, m->mass, x0, &cfg, &c), BB_OK);
    for (int i = 0; i < steps / 4; i++) assert_int_equal(bb_langevin_step(&L, &c), BB_OK);
    double ksum = 0.0;
    for (int i = 0; i < steps; i++) {
        assert_int_equal(bb_langevin_step(&L, &c), BB_OK);
        for (int k = 0; k < R * 66; k++) ksum += 0.5 * m->mass[(k % 66) / 3] * L.v[k] * L.v[k];
    }
    free(x0);
    bb_langevin_free(&L);
    bb_task_free(t);
    double T = 2.0 * ksum / steps / (R * 66.0 * BB_R_KJ_PER_MOL_K);
    printf("# ALDP kinetic temperature %.2f K at dt %g ps (target 555.52)\n", T, dt);
    return T;
}

BB_TEST(aldp_kinetic_temperature_is_the_target_with_topology_masses) {
    assert_true(fabs(aldp_kinetic_temperature(0.0002, 40000) / 555.52 - 1.0) < 0.02);
    assert_true(fabs(aldp_kinetic_temperature(0.001, 10000) / 555.52 - 1.0) < 0.03);
}

static void small_config(bb_mdref_config *cfg, const double *temps, size_t n, const char *state) {
    bb_mdref_defaults(cfg);
    cfg->stem = "test-md";
    cfg->temps = temps;
    cfg->n_temps = n;
    cfg->task_temperature = 300.0;
    cfg->interval = 7;
    cfg->equilibration = 13;
    cfg->n_frames = 20;
    cfg->exchange_every = 5;
    cfg->checkpoint_every = 3;
    cfg->seed = 5;
    cfg->state_path = state;
}

BB_TEST(reference_runs_are_identical_on_1_and_2_threads_and_after_resume) {
    bb_task *t = peptide("aldp-pita", NULL);
    const double temps[3] = {300.0, 555.52, 1200.0};
    char s1[512], s2[512];
    snprintf(s1, sizeof s1, "%s/a.state", dir);
    snprintf(s2, sizeof s2, "%s/b.state", dir);
    bb_mdref_config cfg;
    bb_mdref_result a, b, d;
    bb_ctx c = {0};
    small_config(&cfg, temps, 3, s1);
    assert_int_equal(bb_mdref_run(t, &cfg, &a, &c), BB_OK);
    assert_int_equal(a.finished, 1);
    assert_int_equal(a.n_frames, 20);
    assert_int_equal(a.steps, 13 + 20 * 7);
    assert_int_equal(a.evals, 3 * (13 + 20 * 7 + 1));
    cfg.threads = 2;
    cfg.state_path = s2;
    assert_int_equal(bb_mdref_run(t, &cfg, &b, &c), BB_OK);
    assert_memory_equal(a.frames, b.frames, 3 * 20 * 66 * sizeof(double));
    assert_memory_equal(a.energy, b.energy, 3 * 20 * sizeof(double));
    bb_mdref_result_free(&b);
    /* stop at step 61 (between frames and checkpoints), then resume */
    cfg.threads = 1;
    cfg.stop_at_step = 61;
    assert_int_equal(bb_mdref_run(t, &cfg, &b, &c), BB_OK);
    assert_int_equal(b.finished, 0);
    assert_int_equal(b.steps, 61);
    bb_mdref_result_free(&b);
    /* an interrupt (the flag a SIGINT handler sets) stops after the current step with the state
     * saved: resumed, the run is again the uninterrupted one */
    cfg.stop_at_step = 0;
    cfg.resume = 1;
    volatile sig_atomic_t flag = 1;
    cfg.interrupt = &flag;
    assert_int_equal(bb_mdref_run(t, &cfg, &b, &c), BB_OK);
    assert_int_equal(b.finished, 0);
    assert_int_equal(b.interrupted, 1);
    assert_int_equal(b.steps, 62);
    bb_mdref_result_free(&b);
    flag = 0;
    assert_int_equal(bb_mdref_run(t, &cfg, &b, &c), BB_OK);
    assert_int_equal(b.finished, 1);
    assert_int_equal(b.interrupted, 0);
    assert_memory_equal(a.frames, b.frames, 3 * 20 * 66 * sizeof(double));
    assert_memory_equal(a.energy, b.energy, 3 * 20 * sizeof(double));
    assert_int_equal(a.evals, b.evals);
    /* provenance and diagnostics of the resumed run equal the uninterrupted one's, timing aside */
    for (int r = 0; r < 3; r++) {
        cJSON *pa = a.provenance[r], *pb = b.provenance[r];
        const char *keys[] = {"wall_s", "cpu_s"};
        for (int k = 0; k < 2; k++) {
            cJSON_DeleteItemFromObject(pa, keys[k]);
            cJSON_DeleteItemFromObject(pb, keys[k]);
        }
        assert_true(cJSON_Compare(pa, pb, 1));
    }
    assert_string_equal(a.ids[1], "test-md-555.52K");
    assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(a.provenance[0], "energy_evaluations")),
                     a.evals);
    /* extending a finished run: more frames continue the same trajectory */
    cfg.n_frames = 26;
    assert_int_equal(bb_mdref_run(t, &cfg, &d, &c), BB_OK);
    assert_int_equal(d.n_frames, 26);
    for (int r = 0; r < 3; r++) assert_memory_equal(a.frames + r * 20 * 66, d.frames + r * 26 * 66, 20 * 66 * 8);
    bb_mdref_result_free(&d);
    /* and fewer frames than the state holds: its first ones, finished, nothing run */
    cfg.n_frames = 9;
    assert_int_equal(bb_mdref_run(t, &cfg, &d, &c), BB_OK);
    assert_int_equal(d.finished, 1);
    assert_int_equal(d.n_frames, 9);
    for (int r = 0; r < 3; r++) {
        assert_memory_equal(a.frames + r * 20 * 66, d.frames + r * 9 * 66, 9 * 66 * 8);
        assert_memory_equal(a.energy + r * 20, d.energy + r * 9, 9 * 8);
    }
    bb_mdref_result_free(&d);
    cfg.n_frames = 26;
    /* two walkers in one batch: identical on 1 and 2 threads, twice the frames and evaluations */
    bb_mdref_config wc;
    small_config(&wc, temps, 3, NULL);
    wc.walkers = 2;
    bb_mdref_result w1, w2;
    assert_int_equal(bb_mdref_run(t, &wc, &w1, &c), BB_OK);
    wc.threads = 2;
    assert_int_equal(bb_mdref_run(t, &wc, &w2, &c), BB_OK);
    assert_int_equal(w1.walkers, 2);
    assert_memory_equal(w1.frames, w2.frames, 3 * 2 * 20 * 66 * sizeof(double));
    assert_int_equal(w1.evals, 6 * (13 + 20 * 7 + 1));
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(w1.provenance[0], "walkers")), 2);
    const cJSON *wd = cJSON_GetObjectItem(w1.provenance[0], "diagnostics");
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(wd, "n_frames")), 40);
    bb_mdref_result_free(&w1);
    bb_mdref_result_free(&w2);
    /* a state of other settings is refused, naming the file */
    cfg.seed = 6;
    bb_ctx e = {0};
    assert_int_equal(bb_mdref_run(t, &cfg, &d, &e), BB_EFORMAT);
    assert_non_null(strstr(e.msg, s2));
    bb_mdref_result_free(&a);
    bb_mdref_result_free(&b);
    bb_task_free(t);
}

/* --export: every stride-th frame as '<f4' with its sidecar; the sidecar's tica_w2_halves is
 * bb_tica_halves_w2 of exactly the exported (float-rounded) frames at the task's lag. */
BB_TEST(export_writes_the_subsample_with_its_tica_halves_floor) {
    bb_task *t = peptide("aldp-pita", NULL);
    const double temps[1] = {300.0};
    bb_mdref_config cfg;
    small_config(&cfg, temps, 1, NULL);
    cfg.n_frames = 230; /* stride 2 for 115 exported frames: TICA at lag 100 fits */
    bb_mdref_result a;
    bb_ctx c = {0};
    assert_int_equal(bb_mdref_run(t, &cfg, &a, &c), BB_OK);
    char out[512], path[600];
    snprintf(out, sizeof out, "%s/export", dir);
    assert_int_equal(bb_mdref_export(t, &a, out, 115, &c), BB_OK);
    snprintf(path, sizeof path, "%s/test-md-300K.npy", out);
    bb_samples s;
    assert_int_equal(bb_npy_read_samples(path, (size_t)1 << 24, &s, &c), BB_OK);
    assert_int_equal(s.n, 115);
    for (size_t k = 0; k < 115; k++)
        for (size_t d = 0; d < 66; d++) assert_true(s.x[k * 66 + d] == (double)(float)a.frames[(2 * k + 1) * 66 + d]);
    snprintf(path, sizeof path, "%s/test-md-300K.json", out);
    cJSON *j = NULL;
    assert_int_equal(bb_json_read_object(path, (size_t)1 << 24, &j, &c), BB_OK);
    const cJSON *sub = cJSON_GetObjectItem(j, "subsample");
    assert_int_equal((int)cJSON_GetObjectItem(sub, "stride_frames")->valuedouble, 2);
    assert_true(fabs(cJSON_GetObjectItem(sub, "frame_interval")->valuedouble - 2 * 7 * cfg.dt) < 1e-15);
    assert_int_equal((int)cJSON_GetObjectItem(sub, "tica_lag_frames")->valuedouble, 100);
    assert_int_equal((int)cJSON_GetObjectItem(sub, "tica_halves_n")->valuedouble, 57);
    bb_tica_task_spec spec;
    assert_int_equal(bb_tica_spec_for(t, &spec), 1);
    double w2;
    size_t nh;
    assert_int_equal(bb_tica_halves_w2(&spec, t, &s, NULL, 0, &w2, &nh, &c), BB_OK);
    printf("  exported 115 frames: tica_w2_halves %.4f\n", w2);
    assert_true(isfinite(w2) && w2 > 0.0);
    assert_true(cJSON_GetObjectItem(sub, "tica_w2_halves")->valuedouble == w2);
    assert_null(cJSON_GetObjectItem(sub, "segments")); /* one walker: one trajectory */
    /* the provenance names the code that made it, as reports do */
    const cJSON *gc = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "provenance"), "git_commit");
    assert_true(cJSON_IsString(gc) && gc->valuestring[0] != '\0');
    assert_string_equal(gc->valuestring, bb_build_commit());
    cJSON_Delete(j);
    bb_samples_free(&s);
    bb_mdref_result_free(&a);
    /* two walkers: the sidecar lists each walker's exported rows, and the halves floor is
     * fitted without pairing frames across them */
    cfg.walkers = 2;
    cfg.n_frames = 460; /* 230 exported rows per walker: 130 lagged pairs in each */
    snprintf(out, sizeof out, "%s/export2", dir);
    assert_int_equal(bb_mdref_run(t, &cfg, &a, &c), BB_OK);
    assert_int_equal(bb_mdref_export(t, &a, out, 460, &c), BB_OK);
    snprintf(path, sizeof path, "%s/test-md-300K.json", out);
    assert_int_equal(bb_json_read_object(path, (size_t)1 << 24, &j, &c), BB_OK);
    sub = cJSON_GetObjectItem(j, "subsample");
    const cJSON *seg = cJSON_GetObjectItem(sub, "segments");
    assert_int_equal(cJSON_GetArraySize(seg), 2);
    const size_t want[2] = {230, 230};
    assert_int_equal((int)cJSON_GetArrayItem(seg, 0)->valuedouble, 230);
    assert_int_equal((int)cJSON_GetArrayItem(seg, 1)->valuedouble, 230);
    snprintf(path, sizeof path, "%s/test-md-300K.npy", out);
    assert_int_equal(bb_npy_read_samples(path, (size_t)1 << 24, &s, &c), BB_OK);
    double w2seg, w2one;
    assert_int_equal(bb_tica_halves_w2(&spec, t, &s, want, 2, &w2seg, &nh, &c), BB_OK);
    assert_int_equal(bb_tica_halves_w2(&spec, t, &s, NULL, 0, &w2one, &nh, &c), BB_OK);
    printf("  two walkers: tica_w2_halves %.6f (%.6f if the walkers were one trajectory)\n", w2seg, w2one);
    assert_true(cJSON_GetObjectItem(sub, "tica_w2_halves")->valuedouble == w2seg);
    assert_true(w2seg != w2one);
    cJSON_Delete(j);
    bb_samples_free(&s);
    bb_mdref_result_free(&a);
    bb_task_free(t);
}

BB_TEST(diagnostics_flag_halves_that_disagree) {
    bb_task *t = peptide("aldp-pita", NULL);
    /* frames: a structure near the PII minimum and its mirror image (x → −x flips φ, ψ to
     * −φ, −ψ: the αL/C7ax side), so the basins are PII and αL/C7ax */
    size_t n = 40;
    double *x = malloc(n * 66 * sizeof *x), *e = calloc(n, sizeof *e), x0[66];
    bb_rng rng;
    bb_rng_init(&rng, 2, 0);
    bb_ctx c = {0};
    const bb_molecule *m = bb_task_molecule(t);
    const bb_dihedral_def *phi, *psi;
    assert_int_equal(bb_basin_pair(m, 0, &phi, &psi), 1);
    assert_int_equal(bb_task_initial(t, 1, &rng, x0, &c), BB_OK);
    for (size_t i = 0; i < n; i++) {
        int mirror = i >= n / 2; /* first half PII, second half its mirror image */
        for (int k = 0; k < 66; k++) x[i * 66 + (size_t)k] = (mirror && k % 3 == 0 ? -1.0 : 1.0) * x0[k];
        e[i] = (double)(i % 7);
    }
    assert_int_equal(bb_basin_classify(bb_dihedral_angle(x, phi->atoms), bb_dihedral_angle(x, psi->atoms)),
                     BB_BASIN_PII);
    assert_int_equal(
        bb_basin_classify(bb_dihedral_angle(x + 39 * 66, phi->atoms), bb_dihedral_angle(x + 39 * 66, psi->atoms)),
        BB_BASIN_ALPHA_L);
    cJSON *o = cJSON_CreateObject();
    assert_int_equal(bb_mdref_diagnostics(t, n, x, e, t->kT, o, &c), BB_OK);
    assert_true(fabs(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "max_half_difference_pp")) - 100.0) < 1e-12);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "halves_agree_2pp")));
    assert_true(fabs(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "phi_positive")) - 0.5) < 1e-12);
    cJSON_Delete(o);
    /* interleaved: both halves hold 10 of each */
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 66; k++) x[i * 66 + (size_t)k] = (i % 2 && k % 3 == 0 ? -1.0 : 1.0) * x0[k];
    o = cJSON_CreateObject();
    assert_int_equal(bb_mdref_diagnostics(t, n, x, e, t->kT, o, &c), BB_OK);
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "max_half_difference_pp")) < 1e-12);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "halves_agree_2pp")));
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) mean += e[i] / t->kT / (double)n;
    assert_true(fabs(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "energy_mean")) - mean) < 1e-12);
    cJSON_Delete(o);
    free(x);
    free(e);
    bb_task_free(t);
}

BB_TEST(bad_settings_are_refused_naming_the_field) {
    bb_task *t = peptide("aldp-pita", NULL);
    const double temps[2] = {555.52, 300.0};
    bb_mdref_config cfg;
    bb_mdref_result r;
    bb_ctx c = {0};
    small_config(&cfg, temps, 2, NULL);
    assert_int_equal(bb_mdref_run(t, &cfg, &r, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "ascending"));
    small_config(&cfg, temps, 1, NULL);
    cfg.resume = 1;
    assert_int_equal(bb_mdref_run(t, &cfg, &r, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "state file"));
    bb_langevin L;
    double kT = 1.0, x0[66] = {0};
    bb_langevin_config lc = {.dt = 0.0, .friction = 0.3};
    assert_int_equal(bb_langevin_init(&L, t, 1, &kT, NULL, x0, &lc, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "dt"));
    bb_task_free(t);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(harmonic_oscillator_samples_x2_equal_kT_over_k_at_every_temperature),
             cmocka_unit_test(double_well_matches_the_exact_boltzmann_distribution),
             cmocka_unit_test(aldp_kinetic_temperature_is_the_target_with_topology_masses),
             cmocka_unit_test(reference_runs_are_identical_on_1_and_2_threads_and_after_resume),
             cmocka_unit_test(diagnostics_flag_halves_that_disagree),
             cmocka_unit_test(export_writes_the_subsample_with_its_tica_halves_floor),
             cmocka_unit_test(bad_settings_are_refused_naming_the_field))
