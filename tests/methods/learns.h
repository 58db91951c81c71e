/* learns.h — the "evidence it learns" check of the neural methods' slow tests
 * (test_idem_learns.c, test_pis_learns.c): the same method, task, settings, seed (3) and
 * final noise stream run twice, with a budget that pays for no training step (the untrained
 * network) and with a training budget, 1000 final samples, one thread; then, per metric,
 *   trained ≤ ½ untrained  AND  the two bootstrap 95 % intervals (the report's ci95) are
 *   disjoint,
 * so the gap is neither small nor sampling noise. The caller checks from the returned
 * reports that the untrained run took no step (its method_info names that count). Include
 * after cmocka.h and cjson/cJSON.h; a program defines its scratch directory with
 * BB_TEST_TMPDIR_GROUP (tests/tmpdir.h) and passes it in. */
#ifndef BB_TEST_LEARNS_H
#define BB_TEST_LEARNS_H

#include <stdint.h>
#include <stdio.h>

#include "harness/run/run.h"

typedef struct bb_learns_ci {
    double v, lo, hi;
} bb_learns_ci;

/* The value of metric `name` in a report (asserted present and numeric). */
static inline double bb_learns_value(const cJSON *rep, const char *name) {
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), name), "value");
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* The value and ci95 of metric `name` in a report (asserted present). */
static inline bb_learns_ci bb_learns_metric(const cJSON *rep, const char *name) {
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), name);
    assert_non_null(m);
    const cJSON *ci = cJSON_GetObjectItem(m, "ci95");
    assert_true(cJSON_IsArray(ci));
    bb_learns_ci r = {bb_learns_value(rep, name), cJSON_GetArrayItem(ci, 0)->valuedouble,
                      cJSON_GetArrayItem(ci, 1)->valuedouble};
    return r;
}

/* A number of the report's method_info (asserted present). */
static inline double bb_learns_info(const cJSON *rep, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "method_info"), key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* One run of `method` on `task` with the JSON overrides `params` at `budget`, scored on
 * metrics[0..n_metrics); the report is written to <dir>/<method>-<task>-<tag>.json and
 * returned (the caller deletes it). */
static inline cJSON *bb_learns_run(const char *dir, const char *method, const char *task, const char *params,
                                   int64_t budget, const char *tag, const char *const *metrics, size_t n_metrics) {
    char out[512];
    snprintf(out, sizeof out, "%s/%s-%s-%s.json", dir, method, task, tag);
    cJSON *ov = cJSON_Parse(params);
    assert_non_null(ov);
    bb_run_config cfg = {.task_id = task,
                         .method = method,
                         .method_overrides = ov,
                         .budget = budget,
                         .seed = 3,
                         .n_samples = 1000,
                         .out_path = out,
                         .metrics = metrics,
                         .n_metrics = n_metrics,
                         .threads = 1,
                         .checkpoint_minutes = 1e9};
    cJSON *rep = NULL;
    bb_ctx c = {0};
    int rc = bb_run(&cfg, &rep, &c);
    if (rc) print_message("%s %s: %s\n", task, tag, c.msg);
    assert_int_equal(rc, BB_OK);
    cJSON_Delete(ov);
    return rep;
}

/* The pass criterion above for every metric, one printed line each. */
static inline void bb_learns_compare(const char *method, const char *task, const cJSON *untrained, const cJSON *trained,
                                     const char *const *metrics, size_t n_metrics) {
    for (size_t k = 0; k < n_metrics; k++) {
        bb_learns_ci u = bb_learns_metric(untrained, metrics[k]), t = bb_learns_metric(trained, metrics[k]);
        print_message("%s %s %s: untrained %.4g [%.4g, %.4g]  trained %.4g [%.4g, %.4g]  (pass: trained <= "
                      "untrained / 2, disjoint CIs)\n",
                      method, task, metrics[k], u.v, u.lo, u.hi, t.v, t.lo, t.hi);
        assert_true(t.v <= 0.5 * u.v);
        assert_true(t.hi < u.lo);
    }
}

#endif
