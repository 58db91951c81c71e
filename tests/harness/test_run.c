/* test_run.c — end-to-end runs through bb_run: report schema and content, determinism on
 * 1 and 2 threads, failed runs (NaN energy) still reported, configuration errors write nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/jsonutil.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "tests/testutil.h"

#include "tests/tmpdir.h"
#include "tests/testmain.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_test_run", (void)0)

static void path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static cJSON *read_report(const char *p) {
    cJSON *r = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_report_read(p, &r, &c), BB_OK);
    return r;
}

/* A MALA run of the task `task_id` (or of type tt) with the parameters params_json (parsed
 * into *params, which the caller deletes), writing its report to out = <dir>/name. */
static bb_run_config mala_run(char out[512], const char *name, const char *task_id, const bb_task_type *tt,
                              const char *params_json, cJSON **params, int64_t budget, uint64_t seed, size_t n) {
    path(out, 512, name);
    *params = cJSON_Parse(params_json);
    assert_non_null(*params);
    return (bb_run_config){.task_id = task_id,
                           .task_type = tt,
                           .method = "mala",
                           .method_config = *params,
                           .budget = budget,
                           .seed = seed,
                           .n_samples = n,
                           .out_path = out};
}

BB_TEST(dw4_mala_report_has_every_schema_field) {
    char out[512];
    cJSON *params;
    bb_run_config cfg = mala_run(out, "dw4.json", "dw4", NULL, "{\"n_chains\": 16}", &params, 20000, 3, 200);
    bb_ctx c = {0};
    cJSON *rep = NULL;
    assert_int_equal(bb_run(&cfg, &rep, &c), BB_OK);
    cJSON_Delete(rep);
    cJSON_Delete(params);
    cJSON *r = read_report(out);
    assert_string_equal(cJSON_GetObjectItem(r, "schema")->valuestring, "boltzbench.report/1");
    assert_string_equal(cJSON_GetObjectItem(r, "status")->valuestring, "ok");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "task"), "id")->valuestring, "dw4@1");
    const cJSON *m = cJSON_GetObjectItem(r, "method");
    assert_string_equal(cJSON_GetObjectItem(m, "name")->valuestring, "mala");
    /* resolved params include defaults and per-task defaults; their hash is of the canonical form */
    const cJSON *mp = cJSON_GetObjectItem(m, "params");
    assert_int_equal((int)cJSON_GetObjectItem(mp, "n_chains")->valuedouble, 16);
    assert_true(cJSON_GetObjectItem(mp, "step_size")->valuedouble == 0.01);
    assert_non_null(cJSON_GetObjectItem(mp, "target_accept"));
    char sha[65];
    bb_json_sha256(mp, sha);
    assert_string_equal(cJSON_GetObjectItem(m, "params_sha256")->valuestring, sha);
    const cJSON *b = cJSON_GetObjectItem(r, "budget");
    assert_true(cJSON_GetObjectItem(b, "used")->valuedouble <= 20000);
    assert_true(cJSON_GetObjectItem(b, "used")->valuedouble == cJSON_GetObjectItem(b, "with_grad")->valuedouble);
    assert_int_equal((int)cJSON_GetObjectItem(r, "n_samples")->valuedouble, 200);
    const cJSON *any = cJSON_GetObjectItem(r, "anytime");
    assert_int_equal(cJSON_GetArraySize(any), 4);
    double prev = 0;
    for (const cJSON *p = any->child; p; p = p->next) {
        double ev = cJSON_GetObjectItem(p, "evals")->valuedouble;
        assert_true(ev >= prev);
        prev = ev;
    }
    assert_non_null(cJSON_GetObjectItem(r, "timing"));
    assert_non_null(cJSON_GetObjectItem(r, "host"));
    assert_non_null(cJSON_GetObjectItem(r, "metrics"));
    cJSON_Delete(r);
}

static char *stripped_canonical(const char *p) {
    cJSON *r = read_report(p);
    bb_report_strip_volatile(r);
    char *s = bb_json_canonical(r);
    cJSON_Delete(r);
    return s;
}

BB_TEST(same_seed_gives_identical_reports_on_one_and_two_threads) {
    char a[512], b[512], d[512];
    path(a, sizeof a, "t1.json");
    path(b, sizeof b, "t2.json");
    path(d, sizeof d, "t3.json");
    /* the metrics' own thread-independence is tested in tests/metrics; here the cheap ones keep
     * three LJ-13 runs fast, and x_w2 (exact assignment) still exercises OpenMP */
    static const char *const metrics[] = {"energy_w2", "energy_histogram", "x_w2", "dist_tv"};
    bb_run_config cfg = {.task_id = "lj13",
                         .method = "pt",
                         .budget = 30000,
                         .seed = 5,
                         .n_samples = 100,
                         .metrics = metrics,
                         .n_metrics = 4};
    bb_ctx c = {0};
    omp_set_num_threads(1);
    cfg.out_path = a;
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_OK);
    omp_set_num_threads(2);
    cfg.out_path = b;
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_OK);
    cfg.seed = 6;
    cfg.out_path = d;
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_OK);
    char *sa = stripped_canonical(a), *sb = stripped_canonical(b), *sd = stripped_canonical(d);
    cJSON *ra = read_report(a);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ra, "metrics")), 4);
    cJSON_Delete(ra);
    assert_string_equal(sa, sb);
    assert_true(strcmp(sa, sd) != 0);
    free(sa);
    free(sb);
    free(sd);
}

BB_TEST(nan_energy_marks_the_run_failed_and_keeps_the_report) {
    char out[512];
    cJSON *params;
    bb_run_config cfg =
        mala_run(out, "nan.json", NULL, &bb_test_nan, "{\"n_chains\": 8, \"step_size\": 2.0, \"burnin_fraction\": 0}",
                 &params, 100000, 1, 64);
    bb_ctx c = {0};
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "NaN"));
    cJSON_Delete(params);
    cJSON *r = read_report(out);
    assert_string_equal(cJSON_GetObjectItem(r, "status")->valuestring, "failed");
    assert_non_null(strstr(cJSON_GetObjectItem(r, "error")->valuestring, "NaN"));
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "budget"), "used")->valuedouble > 0);
    cJSON_Delete(r);
}

/* A task without a reference set is scored with reference-free statistics (not an empty,
 * silently "ok" metrics object); selecting only reference metrics there fails the run. */
BB_TEST(a_task_without_reference_gets_reference_free_statistics) {
    char out[512];
    cJSON *params;
    bb_run_config cfg = mala_run(out, "noref.json", NULL, &bb_test_gauss, "{\"n_chains\": 8}", &params, 4000, 2, 100);
    bb_ctx c = {0};
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_OK);
    cJSON *r = read_report(out);
    assert_string_equal(cJSON_GetObjectItem(r, "status")->valuestring, "ok");
    const cJSON *m = cJSON_GetObjectItem(r, "metrics");
    /* u = ½ Σ x²/s² in 3-D: E[u] = 3/2 at equilibrium; 100 correlated samples, loose band */
    double mean = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "energy_mean"), "value")->valuedouble;
    assert_true(mean > 0.5 && mean < 3.0);
    assert_non_null(cJSON_GetObjectItem(m, "energy_q95"));
    assert_non_null(cJSON_GetObjectItem(r, "note"));
    cJSON_Delete(r);
    const char *only_ref[] = {"energy_w2"};
    cfg.metrics = only_ref;
    cfg.n_metrics = 1;
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_ENOTFOUND);
    r = read_report(out);
    assert_string_equal(cJSON_GetObjectItem(r, "status")->valuestring, "failed");
    assert_non_null(strstr(cJSON_GetObjectItem(r, "error")->valuestring, "no metric"));
    cJSON_Delete(r);
    cJSON_Delete(params);
}

BB_TEST(configuration_errors_write_nothing) {
    char out[512];
    path(out, sizeof out, "never.json");
    bb_ctx c = {0};
    bb_run_config cfg = {.task_id = "nope", .method = "mala", .budget = 10, .out_path = out};
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "nope"));
    cfg.task_id = "dw4";
    cfg.method = "nosuch";
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "nosuch"));
    cfg.method = "mala";
    cfg.budget = 0;
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "budget"));
    cfg.budget = 1000;
    cJSON *bad = cJSON_Parse("{\"n_chain\": 4}");
    cfg.method_config = bad;
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'n_chain'"));
    cJSON_Delete(bad);
    cfg.method_config = NULL;
    cfg.out_path = "/nonexistent-dir/r.json";
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "/nonexistent-dir/r.json"));
    assert_int_equal(access(out, F_OK), -1);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(dw4_mala_report_has_every_schema_field),
             cmocka_unit_test(same_seed_gives_identical_reports_on_one_and_two_threads),
             cmocka_unit_test(nan_energy_marks_the_run_failed_and_keeps_the_report),
             cmocka_unit_test(a_task_without_reference_gets_reference_free_statistics),
             cmocka_unit_test(configuration_errors_write_nothing))
