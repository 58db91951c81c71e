/* test_log_z_error.c — the log_z_error metric: |log_z − log Z| on tasks with a known log Z.
 *
 *   - exact values: hand-picked log-weights on gmm25 (log Z = 0) and manywell32 (log Z =
 *     164.695675313182), value equal to |log-mean-exp − log Z| to 1e-12, the exact and
 *     estimated log Z written beside it, lower is better;
 *   - a real importance-sampling run on gmm25 (proposal N(0, 7² I), 200 000 draws): the error
 *     is within 5 standard errors of the estimator (delta method from the weights themselves)
 *     and below the upper end of its bootstrap ci95;
 *   - not applicable (absent, no error): unweighted samples, a task without a known log Z
 *     (gmm40, where log_z itself is still reported), no task;
 *   - selectable by name alone (bb_metrics_select, bb_metrics_compute_only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness/core/rng.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "tasks/task.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

static const double hand_logw[7] = {0.3, -1.2, 2.0, 0.7, -3.1, 1.1, 0.05};

static bb_task *make(const char *id) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    return t;
}

/* Cheap metrics (names: all when NULL) of n samples of task t, coordinates 0.5 (irrelevant
 * here), log-weights logw[n] (NULL: unweighted); the caller frees the object. */
static cJSON *metrics_of(const bb_task *t, size_t n, const double *logw, const char *const *names, size_t n_names) {
    bb_samples s;
    assert_int_equal(bb_samples_alloc(&s, n, (size_t)t->dof, logw != NULL), BB_OK);
    for (size_t i = 0; i < n * (size_t)t->dof; i++) s.x[i] = 0.5;
    if (logw) memcpy(s.logw, logw, n * sizeof *logw);
    bb_eval_input in = {t, &s, NULL, NULL, NULL, 7, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute_only(&in, 1, names, n_names, out, &c), BB_OK);
    bb_samples_free(&s);
    return out;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

BB_TEST(log_z_error_is_the_distance_to_the_exact_log_z) {
    const char *ids[] = {"gmm25", "manywell32"};
    const double exact[] = {0.0, 164.695675313182}, offset[] = {0.0, 164.0};
    for (int k = 0; k < 2; k++) {
        bb_task *t = make(ids[k]);
        double lw[7], m = 0.0;
        for (int i = 0; i < 7; i++) lw[i] = offset[k] + hand_logw[i], m += exp(hand_logw[i]) / 7.0;
        double est = offset[k] + log(m), want = fabs(est - exact[k]);
        cJSON *out = metrics_of(t, 7, lw, NULL, 0);
        const cJSON *e = cJSON_GetObjectItem(out, "log_z_error");
        assert_non_null(e);
        printf("  %s: log_z_error %.15f, hand %.15f (estimate %.12f, exact %.12f)\n", t->id, num(e, "value"), want,
               num(e, "log_z_estimate"), num(e, "log_z_exact"));
        CHECK_CLOSE(num(e, "value"), want, 1e-12);
        CHECK_CLOSE(num(e, "log_z_exact"), exact[k], 1e-9);
        CHECK_CLOSE(num(e, "log_z_estimate"), est, 1e-12);
        CHECK_CLOSE(num(e, "log_z_estimate"), num(cJSON_GetObjectItem(out, "log_z"), "value"), 0.0);
        assert_int_equal((int)num(e, "n_samples"), 7);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(e, "higher_is_better")));
        const cJSON *ci = cJSON_GetObjectItem(e, "ci95");
        assert_non_null(ci);
        assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= cJSON_GetArrayItem(ci, 1)->valuedouble);
        assert_non_null(strstr(cJSON_GetObjectItem(e, "definition")->valuestring, "|log_z - log Z|"));
        cJSON_Delete(out);
        bb_task_free(t);
    }
    assert_int_equal(bb_metric_higher_is_better("log_z_error", bb_metric_find("log_z_error")), 0);
}

/* Target gmm25 (Z = 1), proposal q = N(0, s² I), logw = −u − log q. */
BB_TEST(log_z_error_of_importance_sampling_on_gmm25_is_within_its_standard_error) {
    bb_task *t = make("gmm25");
    const size_t n = 200000;
    const double s = 7.0;
    bb_samples smp;
    assert_int_equal(bb_samples_alloc(&smp, n, 2, 1), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 2385, 0x21);
    for (size_t i = 0; i < 2 * n; i++) smp.x[i] = s * bb_rng_normal(&r);
    double *u = malloc(n * sizeof *u), sw = 0.0, sw2 = 0.0;
    bb_ctx c = {0};
    assert_int_equal(bb_task_energy(t, n, smp.x, u, NULL, &c), BB_OK);
    for (size_t i = 0; i < n; i++) {
        double x0 = smp.x[2 * i], x1 = smp.x[2 * i + 1];
        smp.logw[i] = -u[i] + (x0 * x0 + x1 * x1) / (2 * s * s) + log(2 * M_PI * s * s);
        double w = exp(smp.logw[i]);
        sw += w, sw2 += w * w;
    }
    /* sd of log Ẑ ≈ sd(w) / (√n mean(w)) */
    double mean = sw / (double)n, se = sqrt(sw2 / (double)n - mean * mean) / (sqrt((double)n) * mean);
    bb_eval_input in = {t, &smp, u, NULL, NULL, 11, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute(&in, 1, out, &c), BB_OK);
    const cJSON *e = cJSON_GetObjectItem(out, "log_z_error");
    assert_non_null(e);
    double v = num(e, "value"), hi = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "ci95"), 1)->valuedouble;
    printf("  gmm25 IS, n %zu: log_z_error %.5f, standard error %.5f (tol 5 se), ci95 upper %.5f\n", n, v, se, hi);
    assert_true(v < 5.0 * se);
    assert_true(v <= hi);
    cJSON_Delete(out);
    free(u);
    bb_samples_free(&smp);
    bb_task_free(t);
}

BB_TEST(log_z_error_is_absent_where_it_does_not_apply) {
    bb_task *g25 = make("gmm25"), *g40 = make("gmm40");
    cJSON *out = metrics_of(g25, 7, NULL, NULL, 0); /* unweighted */
    assert_null(cJSON_GetObjectItem(out, "log_z_error"));
    cJSON_Delete(out);
    out = metrics_of(g40, 7, hand_logw, NULL, 0); /* no known log Z */
    assert_null(cJSON_GetObjectItem(out, "log_z_error"));
    assert_non_null(cJSON_GetObjectItem(out, "log_z"));
    cJSON_Delete(out);
    bb_samples s; /* no task at all */
    assert_int_equal(bb_samples_alloc(&s, 7, 2, 1), BB_OK);
    memcpy(s.logw, hand_logw, sizeof hand_logw);
    for (size_t i = 0; i < 14; i++) s.x[i] = 0.5;
    bb_eval_input in = {NULL, &s, NULL, NULL, NULL, 7, 0, 0, NULL, 0};
    out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
    assert_null(cJSON_GetObjectItem(out, "log_z_error"));
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_task_free(g25);
    bb_task_free(g40);
}

BB_TEST(log_z_error_can_be_selected_alone) {
    const char *names[] = {"log_z_error"};
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_select(names, 1, &c), BB_OK);
    bb_task *t = make("gmm25");
    cJSON *out = metrics_of(t, 7, hand_logw, names, 1);
    assert_non_null(cJSON_GetObjectItem(out, "log_z_error"));
    assert_null(cJSON_GetObjectItem(out, "log_z"));
    assert_int_equal(cJSON_GetArraySize(out), 1);
    cJSON_Delete(out);
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(log_z_error_is_the_distance_to_the_exact_log_z),
             cmocka_unit_test(log_z_error_of_importance_sampling_on_gmm25_is_within_its_standard_error),
             cmocka_unit_test(log_z_error_is_absent_where_it_does_not_apply),
             cmocka_unit_test(log_z_error_can_be_selected_alone))
