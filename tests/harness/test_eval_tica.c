/* test_eval_tica.c — TICA reaches the report: `boltzbench eval` (bb_eval, the scorer run
 * uses) on aldp-pita samples with a time-ordered reference trajectory writes finite
 * tica_w2, tica_w1, tica_w2_ic1 and tica_w2_ic2 and the histogram, with the task's lag; with
 * task parameters (eval --task-param) the task is made at them and the report records them. This is the
 * end-to-end check that fails if a task declaring a TICA spec is silently scored without
 * it (the spec table in tica_metric.c was once empty). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "datasets/npy.h"
#include "harness/run/eval.h"
#include "tasks/task.h"
#include "tests/tmpdir.h"
#include "tests/testutil.h"
#include "tests/testmain.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_eval_tica", bb_test_isolated_cache(dir))

BB_TEST(eval_reports_tica_for_aldp_pita) {
    bb_task *t = bb_test_task("aldp-pita");
    bb_ctx c = {0};
    const size_t T = 400, n = 200, dof = (size_t)t->dof;
    double *ref = malloc(T * dof * sizeof *ref), *x = malloc(n * dof * sizeof *x);
    bb_rng r;
    bb_rng_init(&r, 21, 0);
    /* reference: a slow random walk from the minimised structure (time-ordered frames) */
    assert_int_equal(bb_task_initial(t, 1, &r, ref, &c), BB_OK);
    for (size_t i = 1; i < T; i++)
        for (size_t d = 0; d < dof; d++) ref[i * dof + d] = ref[(i - 1) * dof + d] + 0.002 * bb_rng_normal(&r);
    assert_int_equal(bb_task_initial(t, n, &r, x, &c), BB_OK);
    char rp[400], xp[400];
    snprintf(rp, sizeof rp, "%s/ref.npy", dir);
    snprintf(xp, sizeof xp, "%s/x.npy", dir);
    size_t rs[3] = {T, 22, 3}, xs[3] = {n, 22, 3};
    assert_int_equal(bb_npy_write(rp, ref, 3, rs, &c), BB_OK);
    assert_int_equal(bb_npy_write(xp, x, 3, xs, &c), BB_OK);
    bb_eval_config cfg = {.task_id = "aldp-pita", .samples_path = xp, .reference_path = rp, .seed = 1};
    cJSON *report = NULL;
    assert_int_equal(bb_eval(&cfg, &report, &c), BB_OK);
    const cJSON *m = cJSON_GetObjectItem(report, "metrics");
    const char *names[] = {"tica_w2", "tica_w2_ic1", "tica_w2_ic2"};
    for (int k = 0; k < 3; k++) {
        const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(m, names[k]), "value");
        print_message("%s\n", names[k]);
        assert_true(cJSON_IsNumber(v));
        assert_true(isfinite(v->valuedouble) && v->valuedouble > 0.0);
    }
    const cJSON *w2 = cJSON_GetObjectItem(m, "tica_w2");
    assert_int_equal((int)cJSON_GetObjectItem(w2, "lag")->valuedouble, 100);
    assert_int_equal((int)cJSON_GetObjectItem(w2, "n_components")->valuedouble, 2);
    assert_non_null(cJSON_GetObjectItem(m, "tica_histogram"));
    /* the lag in frames; the frame interval is not recorded by this reference: null, with a note */
    assert_int_equal((int)cJSON_GetObjectItem(w2, "lag_frames")->valuedouble, 100);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(w2, "frame_interval_ps")));
    assert_non_null(cJSON_GetObjectItem(w2, "frame_interval_note"));
    /* the TIC-1 histogram: 50 bins, densities integrating to 1 over the reference's range */
    const cJSON *h1 = cJSON_GetObjectItem(m, "tica_ic1_histogram");
    assert_string_equal(cJSON_GetObjectItem(h1, "kind")->valuestring, "histogram");
    const cJSON *edges = cJSON_GetObjectItem(h1, "bin_edges"), *dr = cJSON_GetObjectItem(h1, "density_reference");
    assert_int_equal(cJSON_GetArraySize(edges), 51);
    assert_int_equal(cJSON_GetArraySize(dr), 50);
    double mass = 0.0;
    for (int b = 0; b < 50; b++)
        mass += cJSON_GetArrayItem(dr, b)->valuedouble *
                (cJSON_GetArrayItem(edges, b + 1)->valuedouble - cJSON_GetArrayItem(edges, b)->valuedouble);
    assert_true(fabs(mass - 1.0) < 1e-9);
    /* PITA's TICA-W1 beside it: finite, positive, at most the W2 of the same matched sets */
    const cJSON *w1 = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "tica_w1"), "value");
    assert_true(cJSON_IsNumber(w1) && w1->valuedouble > 0.0);
    assert_true(w1->valuedouble <= cJSON_GetObjectItem(w2, "value")->valuedouble + 1e-12);
    /* task parameters (eval --task-param): the task at 1200 K, recorded in the report and its config hash */
    cJSON *tp = cJSON_CreateObject();
    cJSON_AddNumberToObject(tp, "temperature", 1200);
    bb_eval_config hot = cfg;
    hot.task_params = tp;
    cJSON *report_hot = NULL;
    assert_int_equal(bb_eval(&hot, &report_hot, &c), BB_OK);
    const cJSON *task = cJSON_GetObjectItem(report_hot, "task");
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(task, "params"), "temperature")->valuedouble, 1200);
    double kt300 = cJSON_GetObjectItem(cJSON_GetObjectItem(report, "task"), "kT")->valuedouble;
    assert_true(fabs(cJSON_GetObjectItem(task, "kT")->valuedouble - 4.0 * kt300) < 1e-12 * kt300);
    assert_string_not_equal(cJSON_GetObjectItem(report_hot, "config_sha256")->valuestring,
                            cJSON_GetObjectItem(report, "config_sha256")->valuestring);
    cJSON_Delete(report_hot);
    cJSON_Delete(tp);
    cJSON_Delete(report);
    free(ref);
    free(x);
    bb_task_free(t);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(eval_reports_tica_for_aldp_pita))
