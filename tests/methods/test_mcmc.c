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

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(mala_samples_a_gaussian_with_exact_moments),
             cmocka_unit_test(pt_recovers_the_weights_of_separated_modes),
             cmocka_unit_test(same_seed_gives_identical_samples_on_one_and_two_threads),
             cmocka_unit_test(budget_below_two_sweeps_returns_the_current_states),
             cmocka_unit_test(nan_energy_ends_the_run_with_an_error))
