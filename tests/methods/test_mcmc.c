/* test_mcmc.c — MALA and PT sample closed-form targets correctly, stay inside the budget,
 * are bit-identical on 1 and 2 threads, and end cleanly on budgets too small for two sweeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"
#include "harness/run/driver.h"
#include "methods/mcmc/engine.h"
#include "tests/testutil.h"
#include "tests/testmain.h"

typedef struct {
    bb_task *t;
    bb_oracle *o;
    bb_samples s;
    cJSON *info;
    bb_ctx c;
} fixture;

static int run(fixture *f, const bb_task_type *tt, const char *method, const char *params_json, int64_t budget,
               size_t n, uint64_t seed) {
    memset(f, 0, sizeof *f);
    assert_int_equal(bb_task_create_from_type(tt, NULL, &f->t, &f->c), BB_OK);
    assert_int_equal(bb_oracle_create(f->t, budget, &f->o, &f->c), BB_OK);
    const bb_method *m = bb_method_find(method);
    assert_non_null(m);
    cJSON *user = cJSON_Parse(params_json);
    bb_params p;
    assert_int_equal(bb_method_resolve_params(m, NULL, NULL, user, &p, &f->c), BB_OK);
    cJSON_Delete(user);
    f->info = cJSON_CreateObject();
    int rc = bb_driver_run_plain(m, &p, f->o, seed, n, &f->s, f->info, NULL, &f->c);
    bb_params_free(&p);
    return rc;
}

static void done(fixture *f) {
    bb_samples_free(&f->s);
    cJSON_Delete(f->info);
    bb_oracle_free(f->o);
    bb_task_free(f->t);
}

/* Mean within 5 standard errors (effective size taken as n/2 for residual autocorrelation)
 * and variance within 5 standard errors of its exact value. */
BB_TEST(mala_samples_a_gaussian_with_exact_moments) {
    fixture f;
    assert_int_equal(run(&f, &bb_test_gauss, "mala", "{\"n_chains\": 64, \"step_size\": 0.1}", 400000, 4000, 11),
                     BB_OK);
    assert_int_equal(f.s.n, 4000);
    assert_true(bb_oracle_used(f.o) <= 400000);
    for (int d = 0; d < 3; d++) {
        double s1 = 0, s2 = 0, var = bb_test_gauss_s[d] * bb_test_gauss_s[d];
        for (size_t i = 0; i < f.s.n; i++) {
            s1 += f.s.x[i * 3 + d];
            s2 += f.s.x[i * 3 + d] * f.s.x[i * 3 + d];
        }
        double n_eff = f.s.n / 2.0, m = s1 / f.s.n, v = s2 / f.s.n - m * m;
        print_message("dim %d: mean %.4f (se %.4f), var %.4f (exact %.4f)\n", d, m, sqrt(var / n_eff), v, var);
        assert_true(fabs(m) < 5 * sqrt(var / n_eff));
        assert_true(fabs(v - var) < 5 * var * sqrt(2.0 / n_eff));
    }
    const cJSON *acc = cJSON_GetArrayItem(cJSON_GetObjectItem(f.info, "acceptance"), 0);
    assert_true(acc->valuedouble > 0.45 && acc->valuedouble < 0.7); /* adapted towards 0.574 */
    done(&f);
}

/* Two modes 12 apart (barrier ~18 kT): PT must recover the 0.3/0.7 weights. */
BB_TEST(pt_recovers_the_weights_of_separated_modes) {
    fixture f;
    assert_int_equal(run(&f, &bb_test_bimodal, "pt",
                         "{\"n_chains\": 32, \"n_temps\": 8, \"t_max\": 60, \"step_size\": 0.5}", 800000, 4000, 3),
                     BB_OK);
    double right = 0;
    for (size_t i = 0; i < f.s.n; i++) right += f.s.x[i] > 0;
    right /= f.s.n;
    print_message("PT: weight of the right mode %.4f (exact 0.7)\n", right);
    assert_true(fabs(right - 0.7) < 0.05);
    const cJSON *sw = cJSON_GetObjectItem(f.info, "swap_acceptance");
    assert_int_equal(cJSON_GetArraySize(sw), 7);
    done(&f);
}

BB_TEST(same_seed_gives_identical_samples_on_one_and_two_threads) {
    fixture a, b;
    omp_set_num_threads(1);
    assert_int_equal(run(&a, &bb_test_gauss, "pt", "{\"n_chains\": 9, \"n_temps\": 3}", 20011, 300, 7), BB_OK);
    omp_set_num_threads(2);
    assert_int_equal(run(&b, &bb_test_gauss, "pt", "{\"n_chains\": 9, \"n_temps\": 3}", 20011, 300, 7), BB_OK);
    assert_int_equal(a.s.n, b.s.n);
    assert_memory_equal(a.s.x, b.s.x, a.s.n * a.s.dof * sizeof(double));
    assert_int_equal(bb_oracle_used(a.o), bb_oracle_used(b.o));
    assert_true(bb_oracle_used(a.o) <= 20011);
    done(&a);
    done(&b);
    /* a different seed gives different samples */
    assert_int_equal(run(&a, &bb_test_gauss, "mala", "{\"n_chains\": 4}", 2000, 40, 1), BB_OK);
    assert_int_equal(run(&b, &bb_test_gauss, "mala", "{\"n_chains\": 4}", 2000, 40, 2), BB_OK);
    assert_true(memcmp(a.s.x, b.s.x, a.s.n * a.s.dof * sizeof(double)) != 0);
    done(&a);
    done(&b);
}

/* Budgets below two sweeps end cleanly with what there is: 150 evaluations for 100 chains
 * pay for the initial states only (the current states are the samples); 50 pay for nothing
 * (the unevaluated initial states). */
BB_TEST(budget_below_two_sweeps_returns_the_current_states) {
    fixture f;
    assert_int_equal(run(&f, &bb_test_gauss, "mala", "{\"n_chains\": 100}", 150, 10, 1), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 100);
    assert_int_equal(f.s.n, 10);
    assert_string_equal(cJSON_GetObjectItem(f.info, "stopped_by")->valuestring, "budget");
    done(&f);
    assert_int_equal(run(&f, &bb_test_gauss, "mala", "{\"n_chains\": 100}", 50, 10, 1), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 0);
    assert_int_equal(f.s.n, 10);
    done(&f);
}

/* A NaN energy mid-run: the engine returns BB_ENAN but keeps what it had recorded. */
BB_TEST(nan_energy_ends_the_run_with_an_error) {
    fixture f;
    int rc =
        run(&f, &bb_test_nan, "mala", "{\"n_chains\": 8, \"step_size\": 2.0, \"burnin_fraction\": 0.0}", 100000, 64, 1);
    assert_int_equal(rc, BB_ENAN);
    assert_non_null(strstr(f.c.msg, "NaN"));
    done(&f);
}

/* ---- bb_mcmc_refine (PITA's post-annealing MALA) ---------------------------------------- */

typedef struct {
    bb_task *t;
    bb_oracle *o;
    bb_ctx c;
    size_t n;
    double *x, *u, *g;
} refine_fixture;

/* n exact draws of test-gauss3 at temperature lam, their energies and gradients evaluated
 * (n evaluations of a budget of `budget`). */
static void refine_setup(refine_fixture *f, size_t n, double lam, int64_t budget, uint64_t seed) {
    memset(f, 0, sizeof *f);
    assert_int_equal(bb_task_create_from_type(&bb_test_gauss, NULL, &f->t, &f->c), BB_OK);
    assert_int_equal(bb_oracle_create(f->t, budget, &f->o, &f->c), BB_OK);
    f->n = n;
    f->x = malloc(n * 3 * sizeof(double));
    f->u = malloc(n * sizeof(double));
    f->g = malloc(n * 3 * sizeof(double));
    assert_true(f->x && f->u && f->g);
    bb_rng r;
    bb_rng_init(&r, seed, 0);
    bb_rng_normal_fill(&r, n * 3, f->x);
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) f->x[i * 3 + d] *= sqrt(lam) * bb_test_gauss_s[d];
    assert_int_equal(bb_oracle_eval(f->o, n, f->x, f->u, f->g, &f->c), BB_OK);
}

static void refine_done(refine_fixture *f) {
    free(f->x);
    free(f->u);
    free(f->g);
    bb_oracle_free(f->o);
    bb_task_free(f->t);
}

/* MALA leaves its target invariant: 20000 exact draws of N(0, λ diag(s²)), λ = 2, after 8
 * moves at a step near the optimum have the target's mean and variance (5 standard errors of
 * 20000 independent rows). Without the Metropolis correction (the unadjusted Langevin chain)
 * the variance at these steps is at least 1/(1 − h/(2λs²)) = 1.43 times too large in the first
 * dimension, over 40 standard errors. Each move costs one evaluation per row. */
BB_TEST(refine_leaves_the_target_invariant) {
    refine_fixture f;
    const size_t n = 20000;
    const double lam = 2.0;
    refine_setup(&f, n, lam, 1000000, 5);
    double h = 0.6 * lam * bb_test_gauss_s[0] * bb_test_gauss_s[0];
    int moves = -1;
    double acc = NAN;
    assert_int_equal(bb_mcmc_refine(f.o, n, lam, f.x, f.u, f.g, 8, &h, 9, 100, &moves, &acc, &f.c), BB_OK);
    assert_int_equal(moves, 8);
    assert_int_equal(bb_oracle_used(f.o), (int64_t)(n + 8 * n));
    print_message("refine: mean acceptance %.3f, final h %.4g\n", acc, h);
    assert_true(acc > 0.3 && acc < 0.99);
    for (int d = 0; d < 3; d++) {
        double s1 = 0, s2 = 0, var = lam * bb_test_gauss_s[d] * bb_test_gauss_s[d];
        for (size_t i = 0; i < n; i++) {
            s1 += f.x[i * 3 + d];
            s2 += f.x[i * 3 + d] * f.x[i * 3 + d];
        }
        double m = s1 / n, v = s2 / n - m * m;
        print_message("dim %d: mean %.4f (se %.4f), var %.4f (exact %.4f, se %.4f)\n", d, m, sqrt(var / n), v, var,
                      var * sqrt(2.0 / n));
        assert_true(fabs(m) < 5 * sqrt(var / n));
        assert_true(fabs(v - var) < 5 * var * sqrt(2.0 / n));
    }
    /* the chains' energies and gradients are those of their states */
    double g1[3], u1 = bb_test_gauss_u(f.x + 3 * 17, g1);
    assert_true(f.u[17] == u1 && f.g[3 * 17] == g1[0] && f.g[3 * 17 + 2] == g1[2]);
    refine_done(&f);
}

/* The authors' step rule, exactly: a tiny step accepts every move (×1.1 each), a huge one
 * none (÷1.1 each). */
BB_TEST(refine_adapts_its_step_as_the_authors) {
    refine_fixture f;
    refine_setup(&f, 200, 1.0, 100000, 1);
    double h = 1e-13, want = 1e-13;
    int moves;
    double acc;
    assert_int_equal(bb_mcmc_refine(f.o, 200, 1.0, f.x, f.u, f.g, 5, &h, 3, 0, &moves, &acc, &f.c), BB_OK);
    for (int s = 0; s < 5; s++) want *= 1.1;
    assert_true(acc == 1.0);
    assert_true(h == want);
    h = want = 1e6;
    double x0[600];
    memcpy(x0, f.x, sizeof x0);
    assert_int_equal(bb_mcmc_refine(f.o, 200, 1.0, f.x, f.u, f.g, 5, &h, 3, 0, &moves, &acc, &f.c), BB_OK);
    for (int s = 0; s < 5; s++) want /= 1.1;
    assert_true(acc == 0.0);
    assert_true(h == want);
    assert_memory_equal(x0, f.x, sizeof x0); /* nothing accepted: nothing moved */
    double bad = 0.0;
    assert_int_equal(bb_mcmc_refine(f.o, 200, 1.0, f.x, f.u, f.g, 5, &bad, 3, 0, &moves, &acc, &f.c), BB_EINVAL);
    h = 0.1;
    assert_int_equal(bb_mcmc_refine(f.o, 200, -1.0, f.x, f.u, f.g, 5, &h, 3, 0, &moves, &acc, &f.c), BB_EINVAL);
    refine_done(&f);
}

/* Rows the task rejected (u = +inf) stay as they are and cost nothing; the refinement stops
 * before a move the budget cannot pay for, without an error; the result does not depend on
 * the number of threads. */
BB_TEST(refine_skips_rejected_rows_stops_at_the_budget_and_ignores_threads) {
    refine_fixture a, b;
    const size_t n = 64;
    for (int threads = 1; threads <= 2; threads++) {
        refine_fixture *f = threads == 1 ? &a : &b;
        omp_set_num_threads(threads);
        refine_setup(f, n, 1.0, (int64_t)n + 2 * (n - 4) + 10, 2);
        for (size_t r = 0; r < 4; r++) {
            f->u[r * 16] = INFINITY;
            f->x[r * 16 * 3] = 1e300;
        }
        double h = 0.2;
        int moves;
        double acc;
        assert_int_equal(bb_mcmc_refine(f->o, n, 1.0, f->x, f->u, f->g, 5, &h, 4, 7, &moves, &acc, &f->c), BB_OK);
        assert_int_equal(moves, 2);
        assert_int_equal(bb_oracle_used(f->o), (int64_t)n + 2 * (int64_t)(n - 4));
        for (size_t r = 0; r < 4; r++) {
            assert_true(isinf(f->u[r * 16]));
            assert_true(f->x[r * 16 * 3] == 1e300);
        }
    }
    omp_set_num_threads(1);
    assert_memory_equal(a.x, b.x, n * 3 * sizeof(double));
    assert_memory_equal(a.u, b.u, n * sizeof(double));
    refine_done(&a);
    refine_done(&b);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(mala_samples_a_gaussian_with_exact_moments),
             cmocka_unit_test(pt_recovers_the_weights_of_separated_modes),
             cmocka_unit_test(same_seed_gives_identical_samples_on_one_and_two_threads),
             cmocka_unit_test(budget_below_two_sweeps_returns_the_current_states),
             cmocka_unit_test(nan_energy_ends_the_run_with_an_error),
             cmocka_unit_test(refine_leaves_the_target_invariant),
             cmocka_unit_test(refine_adapts_its_step_as_the_authors),
             cmocka_unit_test(refine_skips_rejected_rows_stops_at_the_budget_and_ignores_threads))
