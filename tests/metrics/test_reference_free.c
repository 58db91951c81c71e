/* test_reference_free.c — reference-free energy statistics against values computed by hand
 * (numpy's default quantiles: h = (n − 1)p, linear interpolation), and their appearance in
 * a run's report when the task has no reference set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "harness/metrics/metrics.h"

static double val(const cJSON *o, const char *k) {
    const cJSON *e = cJSON_GetObjectItem(o, k);
    assert_non_null(e);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(e, "higher_is_better")));
    assert_non_null(cJSON_GetObjectItem(e, "definition"));
    return cJSON_GetObjectItem(e, "value")->valuedouble;
}

/* finite {1, 2, 3, 4} of six values: mean 2.5, sd sqrt(5/3), q05 1.15, q25 1.75, median
 * 2.5, q75 3.25, q95 3.85, min 1, one +inf and one NaN in six */
static void statistics_match_hand_computed_values(void **state) {
    (void)state;
    double u[6] = {3, 1, 2, INFINITY, NAN, 4};
    cJSON *o = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_reference_free(u, 6, o, &c), BB_OK);
    const double tol = 1e-12;
    assert_true(fabs(val(o, "energy_mean") - 2.5) < tol);
    assert_true(fabs(val(o, "energy_std") - sqrt(5.0 / 3.0)) < tol);
    assert_true(fabs(val(o, "energy_q05") - 1.15) < tol);
    assert_true(fabs(val(o, "energy_q25") - 1.75) < tol);
    assert_true(fabs(val(o, "energy_median") - 2.5) < tol);
    assert_true(fabs(val(o, "energy_q75") - 3.25) < tol);
    assert_true(fabs(val(o, "energy_q95") - 3.85) < tol);
    assert_true(val(o, "energy_min") == 1.0);
    assert_true(fabs(val(o, "energy_inf_fraction") - 1.0 / 6.0) < tol);
    assert_true(fabs(val(o, "energy_nan_fraction") - 1.0 / 6.0) < tol);
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_mean"), "n_samples")->valuedouble, 4);
    cJSON_Delete(o);
}

/* no finite energy: the statistics are null (not made-up numbers), the fractions exact */
static void all_non_finite_gives_null_values(void **state) {
    (void)state;
    double u[2] = {INFINITY, INFINITY};
    cJSON *o = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_reference_free(u, 2, o, &c), BB_OK);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_mean"), "value")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_median"), "value")));
    assert_true(val(o, "energy_inf_fraction") == 1.0);
    cJSON_Delete(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statistics_match_hand_computed_values),
        cmocka_unit_test(all_non_finite_gives_null_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
