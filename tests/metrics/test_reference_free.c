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
#include "tests/testmain.h"

static double val(const cJSON *o, const char *k) {
    const cJSON *e = cJSON_GetObjectItem(o, k);
    assert_non_null(e);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(e, "higher_is_better")));
    assert_non_null(cJSON_GetObjectItem(e, "definition"));
    return cJSON_GetObjectItem(e, "value")->valuedouble;
}

/* finite {1, 2, 3, 4} of six values: mean 2.5, sd sqrt(5/3), q05 1.15, q25 1.75, median
 * 2.5, q75 3.25, q95 3.85, min 1, one +inf and one NaN in six */
BB_TEST(statistics_match_hand_computed_values) {
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
BB_TEST(all_non_finite_gives_null_values) {
    double u[2] = {INFINITY, INFINITY};
    cJSON *o = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_reference_free(u, 2, o, &c), BB_OK);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_mean"), "value")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_median"), "value")));
    assert_true(val(o, "energy_inf_fraction") == 1.0);
    cJSON_Delete(o);
}

/* Brute force on 1001 random energies with +inf and NaN mixed in: mean and sd by long-double
 * two-pass sums, each quantile by counting (for the order statistics numpy's linear rule
 * interpolates between: x_(k) is the value with exactly k smaller finite values, found by
 * scanning, no sort), the minimum by a scan, the fractions by counting. */
static double kth_smallest(const double *u, size_t n, size_t k) {
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(u[i])) continue;
        size_t less = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            if (!isfinite(u[j])) continue;
            less += u[j] < u[i];
            equal += u[j] == u[i];
        }
        if (less <= k && k < less + equal) return u[i];
    }
    return NAN;
}

BB_TEST(statistics_match_brute_force) {
    enum { N = 1001 };
    double u[N];
    unsigned long long z = 88172645463325252ULL; /* xorshift64 */
    size_t n_inf = 0, n_nan = 0;
    for (int i = 0; i < N; i++) {
        z ^= z << 13, z ^= z >> 7, z ^= z << 17;
        double r = (double)(z >> 11) / 9007199254740992.0;
        if (i % 97 == 5)
            u[i] = INFINITY, n_inf++;
        else if (i % 131 == 7)
            u[i] = NAN, n_nan++;
        else
            u[i] = -40.0 + 25.0 * r * r + (i % 10 == 0 ? 1e-3 : 0.0);
    }
    u[17] = u[18] = u[19]; /* ties */
    size_t m = N - n_inf - n_nan;
    long double sum = 0.0L, sq = 0.0L;
    double mn = INFINITY;
    for (int i = 0; i < N; i++)
        if (isfinite(u[i])) sum += u[i], mn = u[i] < mn ? u[i] : mn;
    long double mean = sum / (long double)m;
    for (int i = 0; i < N; i++)
        if (isfinite(u[i])) sq += (u[i] - mean) * (u[i] - mean);
    cJSON *o = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_reference_free(u, N, o, &c), BB_OK);
    assert_true(fabs(val(o, "energy_mean") - (double)mean) < 1e-12 * fabs((double)mean));
    assert_true(fabs(val(o, "energy_std") - sqrt((double)(sq / (long double)(m - 1)))) < 1e-10);
    const char *names[] = {"energy_q05", "energy_q25", "energy_median", "energy_q75", "energy_q95"};
    const double ps[] = {0.05, 0.25, 0.5, 0.75, 0.95};
    for (int k = 0; k < 5; k++) {
        double h = (double)(m - 1) * ps[k], lo = floor(h);
        double a = kth_smallest(u, N, (size_t)lo), b = kth_smallest(u, N, (size_t)lo + (h > lo));
        double want = a + (h - lo) * (b - a);
        assert_true(fabs(val(o, names[k]) - want) < 1e-12);
        assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(o, names[k]), "n_samples")->valuedouble, (int)m);
    }
    assert_true(val(o, "energy_min") == mn);
    assert_true(val(o, "energy_inf_fraction") == (double)n_inf / N);
    assert_true(val(o, "energy_nan_fraction") == (double)n_nan / N);
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(o, "energy_nan_fraction"), "n_samples")->valuedouble,
                     N);
    assert_int_equal(cJSON_GetArraySize(o), 10); /* exactly the ten statistics */
    cJSON_Delete(o);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(statistics_match_hand_computed_values),
             cmocka_unit_test(all_non_finite_gives_null_values), cmocka_unit_test(statistics_match_brute_force))
