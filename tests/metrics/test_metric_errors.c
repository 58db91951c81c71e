/* test_metric_errors.c — a metric that cannot be computed does not stop the others, and
 * degenerate importance weights are not such a case.
 *
 * - Degenerate weights (one configuration carries all the weight, the others underflow to
 *   exactly 0, as PIS's path weights on LJ-13): dist_tv and energy_tv have values equal
 *   to those of the one heavy configuration scored alone, with an interval that contains
 *   them (bootstrap replicates that resampled the heavy configuration away are dropped;
 *   they used to fail the whole metric with "histogram: set has no mass").
 * - A metric that fails on the samples (x_w2 against a one-configuration reference) becomes
 *   {"value": null, "error": "<why>", "higher_is_better": false} while energy_w2 beside it
 *   is computed; bb_metrics_errors counts it.
 * - What a report's status makes of that (bb_score_status, bb_score_note_errors): ok while
 *   one metric has a value (the failed ones listed in "metric_errors"), failed when none has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "harness/core/rng.h"
#include "harness/metrics/metrics.h"
#include "harness/run/score.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

/* n configurations of task t with normal coordinates (stream), energies u[i] = |x_i|². */
static void fill(bb_samples *s, double *u, size_t n, const bb_task *t, uint64_t stream, int weighted) {
    assert_int_equal(bb_samples_alloc(s, n, (size_t)t->dof, weighted), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 7, stream);
    bb_rng_normal_fill(&r, n * (size_t)t->dof, s->x);
    for (size_t i = 0; i < n; i++) {
        u[i] = 0.0;
        for (int k = 0; k < t->dof; k++) u[i] += s->x[i * t->dof + k] * s->x[i * t->dof + k];
    }
}

static const cJSON *entry(const cJSON *out, const char *name) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(out, name);
    assert_non_null(e);
    return e;
}

static double value(const cJSON *out, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry(out, name), "value");
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

BB_TEST(degenerate_importance_weights_score_like_their_one_heavy_configuration) {
    bb_task t = bb_test_particle_task(4, 2);
    bb_samples s, one, ref;
    double us[40], uref[60];
    fill(&s, us, 40, &t, 1, 1);
    fill(&ref, uref, 60, &t, 2, 0);
    for (size_t i = 0; i < s.n; i++) s.logw[i] = i == 3 ? 0.0 : -2000.0; /* exp(-2000) == 0 */
    assert_int_equal(bb_samples_alloc(&one, 1, s.dof, 0), BB_OK);
    memcpy(one.x, s.x + 3 * s.dof, s.dof * sizeof(double));
    const char *sel[] = {"dist_tv", "energy_tv"};
    bb_eval_input in = {
        .task = &t, .samples = &s, .u_samples = us, .reference = &ref, .u_reference = uref, .seed = 5, .with_ci = 1};
    cJSON *out = cJSON_CreateObject(), *alone = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute_only(&in, 0, sel, 2, out, &c), BB_OK);
    assert_int_equal(bb_metrics_errors(out, NULL), 0);
    bb_eval_input in1 = in;
    in1.samples = &one;
    in1.u_samples = us + 3;
    in1.with_ci = 0;
    assert_int_equal(bb_metrics_compute_only(&in1, 0, sel, 2, alone, &c), BB_OK);
    for (int k = 0; k < 2; k++) {
        CHECK_CLOSE(value(out, sel[k]), value(alone, sel[k]), 0.0);
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(entry(out, sel[k]), "ci95");
        assert_true(cJSON_IsArray(ci)); /* about 63 % of the replicates draw the heavy one: enough */
        assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= value(out, sel[k]) &&
                    value(out, sel[k]) <= cJSON_GetArrayItem(ci, 1)->valuedouble);
    }
    cJSON_Delete(out);
    cJSON_Delete(alone);
    bb_samples_free(&s);
    bb_samples_free(&one);
    bb_samples_free(&ref);
}

BB_TEST(a_metric_that_cannot_be_computed_records_why_and_the_others_finish) {
    bb_task t = bb_test_particle_task(1, 2);
    bb_samples s, ref;
    double us[30], uref[1];
    fill(&s, us, 30, &t, 3, 0);
    fill(&ref, uref, 1, &t, 4, 0);
    const char *sel[] = {"energy_w2", "x_w2", "energy_w1"};
    bb_eval_input in = {.task = &t, .samples = &s, .u_samples = us, .reference = &ref, .u_reference = uref, .seed = 5};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute_only(&in, 0, sel, 3, out, &c), BB_OK);
    assert_true(isfinite(value(out, "energy_w2")) && isfinite(value(out, "energy_w1")));
    const cJSON *x = entry(out, "x_w2");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(x, "value")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(x, "error")->valuestring,
                        "x_w2: reference set has fewer than 2 usable configurations");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(x, "higher_is_better")));
    assert_null(cJSON_GetObjectItemCaseSensitive(x, "floor_ref_vs_ref")); /* nothing half-written */
    const cJSON *first;
    assert_int_equal(bb_metrics_errors(out, &first), 1);
    assert_string_equal(first->string, "x_w2");
    assert_int_equal(c.code, BB_OK); /* the caller's context carries no error */

    /* the report: ok, with the failed metric named */
    char why[600] = "";
    assert_int_equal(bb_score_status(out, why, sizeof why), BB_OK);
    cJSON *report = cJSON_CreateObject();
    assert_true(bb_score_note_errors(report, out));
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(report, "metric_errors");
    assert_int_equal(cJSON_GetArraySize(names), 1);
    assert_string_equal(cJSON_GetArrayItem(names, 0)->valuestring, "x_w2");
    cJSON_Delete(report);
    /* every metric failed: the report is failed, naming the first reason */
    cJSON *only = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute_only(&in, 0, sel + 1, 1, only, &c), BB_OK);
    assert_int_equal(bb_score_status(only, why, sizeof why), BB_EINVAL);
    assert_string_equal(why, "no metric could be computed (first: metric x_w2: x_w2: reference set has fewer than 2 "
                             "usable configurations)");
    /* nothing scored at all */
    cJSON *none = cJSON_CreateObject();
    assert_int_equal(bb_score_status(none, why, sizeof why), BB_ENOTFOUND);
    assert_non_null(strstr(why, "no metric could be computed"));
    report = cJSON_CreateObject();
    assert_true(bb_score_note_errors(report, none));
    assert_null(report->child); /* reports without errors keep their shape */
    cJSON_Delete(report);
    /* a squared metric whose source errored computes (and records) its own error */
    us[4] = NAN;
    cJSON *sq = cJSON_CreateObject();
    const char *sel2[] = {"energy_w2", "energy_w2_squared"};
    assert_int_equal(bb_metrics_compute_only(&in, 0, sel2, 2, sq, &c), BB_OK);
    assert_int_equal(bb_metrics_errors(sq, NULL), 2);
    const cJSON *sqe = cJSON_GetObjectItemCaseSensitive(entry(sq, "energy_w2_squared"), "error");
    assert_true(cJSON_IsString(sqe));
    assert_non_null(strstr(sqe->valuestring, "energy 4 is NaN"));
    cJSON_Delete(sq);
    cJSON_Delete(none);
    cJSON_Delete(only);
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&ref);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(degenerate_importance_weights_score_like_their_one_heavy_configuration),
             cmocka_unit_test(a_metric_that_cannot_be_computed_records_why_and_the_others_finish))
