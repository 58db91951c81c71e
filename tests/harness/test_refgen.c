/* test_refgen.c — reference generation as a library call (harness/run/refgen.h): the run
 * spends its budget and yields n samples whose energies and provenance statistics agree with
 * brute force; same seed ⇒ identical samples on 1 and 2 threads; storing and loading round
 * trips through the cache; a budget too small, a bad parameter or id are errors that write
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/generated.h"
#include "datasets/iat.h"
#include "datasets/manifest.h"
#include "harness/run/refgen.h"
#include "tasks/task.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_refgen", bb_test_isolated_cache(dir))

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

BB_TEST(a_run_spends_its_budget_and_its_statistics_are_brute_force) {
    bb_task *t = bb_test_task("dw4");
    bb_ctx c = {0};
    bb_refgen_config cfg = {.n = 200, .budget = 40000, .seed = 1};
    bb_refgen_result r;
    assert_int_equal(bb_refgen_run(t, &cfg, &r, &c), BB_OK);
    assert_string_equal(r.id, "dw4-reference");
    assert_int_equal(r.samples.n, 200);
    assert_int_equal(r.samples.dof, 8);
    assert_null(r.samples.logw);
    assert_true(r.evaluations > 0 && r.evaluations <= 40000);
    assert_int_equal(r.budget, 40000);
    /* the energies are the task's, bit for bit */
    double *u = malloc(200 * sizeof *u), sum = 0.0, sq = 0.0;
    assert_int_equal(bb_task_energy(t, 200, r.samples.x, u, NULL, &c), BB_OK);
    assert_memory_equal(u, r.u, 200 * sizeof *u);
    for (int i = 0; i < 200; i++) sum += u[i];
    for (int i = 0; i < 200; i++) sq += (u[i] - sum / 200) * (u[i] - sum / 200);
    const cJSON *p = r.provenance;
    assert_true(fabs(num(p, "energy_mean") - sum / 200) < 1e-12 * fabs(sum / 200));
    assert_true(fabs(num(p, "energy_sd") - sqrt(sq / 199)) < 1e-12 * sqrt(sq / 199));
    assert_int_equal((int64_t)num(p, "evaluations"), r.evaluations);
    assert_int_equal((int64_t)num(p, "seed"), 1);
    assert_string_equal(cJSON_GetObjectItem(p, "sampler")->valuestring, "pt@1");
    assert_string_equal(cJSON_GetObjectItem(p, "task")->valuestring, "dw4@1");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(p, "params")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(p, "sampler_info")));
    /* the same seed on another thread count: the same samples */
    int threads = omp_get_max_threads();
    omp_set_num_threads(threads > 1 ? 1 : 2);
    bb_refgen_result r2;
    assert_int_equal(bb_refgen_run(t, &cfg, &r2, &c), BB_OK);
    omp_set_num_threads(threads);
    assert_int_equal(r2.samples.n, 200);
    assert_memory_equal(r2.samples.x, r.samples.x, 200 * 8 * sizeof(double));
    assert_int_equal(r2.evaluations, r.evaluations);
    bb_refgen_result_free(&r2);
    /* stored, it loads back as the same set */
    assert_int_equal(bb_refgen_store(&r, &c), BB_OK);
    bb_samples back = {0};
    char sha[65];
    char cache[600];
    assert_int_equal(bb_cache_dir(cache, sizeof cache, &c), BB_OK);
    assert_int_equal(bb_generated_load(cache, "dw4-reference", 1 << 20, &back, sha, &c), BB_OK);
    assert_int_equal(back.n, 200);
    assert_memory_equal(back.x, r.samples.x, 200 * 8 * sizeof(double));
    bb_samples_free(&back);
    bb_refgen_result_free(&r);
    bb_refgen_result_free(&r); /* freeing twice is harmless: the result is zeroed */
    free(u);
    bb_task_free(t);
}

BB_TEST(bad_configurations_are_errors_that_write_nothing) {
    bb_task *t = bb_test_task("dw4");
    bb_ctx c = {0};
    bb_refgen_result r;
    /* too small a budget: BB_EBUDGET saying what to raise, the result empty */
    bb_refgen_config small = {.n = 200, .budget = 300, .seed = 1, .id = "small-set"};
    assert_int_equal(bb_refgen_run(t, &small, &r, &c), BB_EBUDGET);
    assert_non_null(strstr(c.msg, "raise --budget"));
    assert_non_null(strstr(c.msg, "small-set"));
    assert_null(r.id);
    assert_null(r.u);
    assert_int_equal(r.samples.n, 0);
    /* an unknown pt parameter names the key */
    const char *kv[] = {"n_temps=4", "nope=1"};
    bb_refgen_config bad = {.n = 20, .budget = 4000, .param_kv = kv, .n_param_kv = 2};
    memset(&c, 0, sizeof c);
    assert_int_equal(bb_refgen_run(t, &bad, &r, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'nope'"));
    /* n below 2, a budget above 2^53 */
    bb_refgen_config one = {.n = 1};
    assert_int_equal(bb_refgen_run(t, &one, &r, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "n: 1"));
    bb_refgen_config huge = {.n = 20, .budget = ((int64_t)1 << 53) + 1};
    assert_int_equal(bb_refgen_run(t, &huge, &r, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "2^53"));
    /* a parameter that applies: fewer temperatures, still a valid run; a bad id is refused at store */
    const char *kv2[] = {"n_temps=3"};
    bb_refgen_config ok = {.n = 20, .budget = 4000, .param_kv = kv2, .n_param_kv = 1, .id = "bad id"};
    assert_int_equal(bb_refgen_run(t, &ok, &r, &c), BB_OK);
    assert_int_equal((int)num(cJSON_GetObjectItem(r.provenance, "params"), "n_temps"), 3);
    assert_int_equal(bb_refgen_store(&r, &c), BB_EINVAL);
    bb_refgen_result_free(&r);
    char p[600];
    snprintf(p, sizeof p, "%s/cache/small-set.json", dir);
    assert_int_equal(access(p, F_OK), -1);
    bb_task_free(t);
}

/* Two AR(1) chains, ladder-major: the statistics equal mean and sd by brute force, and τ and
 * ESS those of bb_energy_iat on each chain. */
BB_TEST(energy_statistics_match_brute_force_per_chain) {
    enum { PER = 4000, L = 2 };
    double *u = malloc(L * PER * sizeof *u), sum = 0.0, sq = 0.0;
    bb_rng r;
    bb_rng_init(&r, 5, 0);
    for (int l = 0; l < L; l++) {
        double a = l ? 0.9 : 0.5, x = 0.0;
        for (int i = 0; i < PER; i++) u[l * PER + i] = x = a * x + bb_rng_normal(&r);
    }
    for (int i = 0; i < L * PER; i++) sum += u[i];
    for (int i = 0; i < L * PER; i++) sq += (u[i] - sum / (L * PER)) * (u[i] - sum / (L * PER));
    double tau[L], ess = 0.0, tau_max = 0.0;
    for (int l = 0; l < L; l++) {
        double e;
        bb_ctx c = {0};
        assert_int_equal(bb_energy_iat(u + l * PER, PER, &tau[l], &e, &c), BB_OK);
        ess += PER / fmax(tau[l], 1.0);
        tau_max = fmax(tau_max, tau[l]);
    }
    assert_true(tau[1] > tau[0]); /* the slower chain has the longer time */
    cJSON *p = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_refgen_energy_statistics(u, L * PER, L, p, &c), BB_OK);
    assert_true(fabs(num(p, "energy_mean") - sum / (L * PER)) < 1e-12);
    assert_true(fabs(num(p, "energy_sd") - sqrt(sq / (L * PER - 1))) < 1e-12);
    assert_true(num(p, "energy_iat_max") == tau_max);
    assert_true(fabs(num(p, "energy_ess") - ess) < 1e-9 * ess);
    assert_int_equal((int)num(p, "chains_with_unreliable_iat"), 0);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(p, "iat_method")));
    cJSON_Delete(p);
    free(u);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(a_run_spends_its_budget_and_its_statistics_are_brute_force),
             cmocka_unit_test(bad_configurations_are_errors_that_write_nothing),
             cmocka_unit_test(energy_statistics_match_brute_force_per_chain))
