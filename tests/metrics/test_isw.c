/* test_isw.c — log_z and ess_fraction against the exact values for a Gaussian target
 * with a Gaussian proposal; MMD against its closed form for Gaussians; Sinkhorn
 * against exact OT at small regularisation and its marginal constraints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/core/rng.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

/* Target u(x) = ‖x‖²/(2σ²) in d = 3 dims, Z = (2πσ²)^{3/2}; proposal q = N(0, s² I).
 * logw = −u − log q. ESS/N → 1/ρ³ with ρ = E_q[w²]/Z² per dimension
 *   = s √(2π) √(π / (1/σ² − 1/(2s²))) / (2π σ²). */
BB_TEST(log_z_and_ess_match_a_gaussian_proposal) {
    const double sig = 1.0, s = 1.5;
    const int d = 3;
    size_t n = 50000;
    bb_samples smp;
    assert_int_equal(bb_samples_alloc(&smp, n, (size_t)d, 1), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 2385, 4);
    for (size_t i = 0; i < n; i++) {
        double u = 0.0, lq = 0.0;
        for (int k = 0; k < d; k++) {
            double x = s * bb_rng_normal(&r);
            smp.x[i * d + k] = x;
            u += x * x / (2 * sig * sig);
            lq += -x * x / (2 * s * s) - 0.5 * log(2 * M_PI * s * s);
        }
        smp.logw[i] = -u - lq;
    }
    bb_eval_input in = {NULL, &smp, NULL, NULL, NULL, 9, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 1, out, &c), BB_OK);
    cJSON *lz = cJSON_GetObjectItem(out, "log_z"), *es = cJSON_GetObjectItem(out, "ess_fraction");
    assert_non_null(lz);
    assert_non_null(es);
    double want_lz = 1.5 * log(2 * M_PI * sig * sig);
    double rho = s * sqrt(2 * M_PI) * sqrt(M_PI / (1 / (sig * sig) - 1 / (2 * s * s))) / (2 * M_PI * sig * sig);
    double want_ess = 1.0 / (rho * rho * rho);
    double got_lz = cJSON_GetObjectItem(lz, "value")->valuedouble;
    cJSON *ci = cJSON_GetObjectItem(lz, "ci95");
    double lo = cJSON_GetArrayItem(ci, 0)->valuedouble, hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
    printf("  log_z %.5f ci95 [%.5f, %.5f] exact %.5f\n", got_lz, lo, hi, want_lz);
    /* relative sd of the weights is sqrt(ρ³ − 1) ≈ 0.86, so the MC sd of log Ẑ is
     * ≈ 0.0039 at n = 50000: tolerance 3 sd; the CI must cover the exact value. */
    CHECK_CLOSE(got_lz, want_lz, 0.012);
    assert_true(lo < want_lz && want_lz < hi);
    CHECK_CLOSE(cJSON_GetObjectItem(es, "value")->valuedouble, want_ess, 0.02);
    cJSON_Delete(out);
    /* the stable log-mean-exp and its error cases */
    double lw[3] = {1000.0, 1000.0 + log(2.0), -INFINITY}, v;
    assert_int_equal(bb_log_mean_exp(3, lw, &v), BB_OK);
    CHECK_CLOSE(v, 1000.0 + log(3.0 / 3.0), 1e-12);
    lw[0] = lw[1] = -INFINITY;
    assert_int_equal(bb_log_mean_exp(3, lw, &v), BB_OK);
    assert_true(v == -INFINITY);
    lw[2] = NAN;
    assert_int_equal(bb_log_mean_exp(3, lw, &v), BB_ENAN);
    assert_int_equal(bb_log_mean_exp(0, lw, &v), BB_EINVAL);
    bb_samples_free(&smp);
}

/* MMD² for N(μ1, σ²I) vs N(μ2, σ²I), RBF bandwidth h: 2 (h²/(h²+2σ²))^{d/2} (1 −
 * exp(−‖Δμ‖²/(2(h²+2σ²)))); the V-statistic adds (1 − E k(X,X'))(1/n + 1/m). */
BB_TEST(mmd_matches_closed_form_for_gaussians) {
    size_t n = 1500, m = 1200, d = 2;
    double *X = malloc(n * d * sizeof *X), *Y = malloc(m * d * sizeof *Y);
    bb_rng r;
    bb_rng_init(&r, 12, 1);
    for (size_t i = 0; i < n * d; i++) X[i] = bb_rng_normal(&r);
    for (size_t i = 0; i < m * d; i++) Y[i] = bb_rng_normal(&r) + (i % 2 ? 0.0 : 0.8);
    double h2 = 1.7, s2 = 1.0, dm2 = 0.64;
    double ekk = pow(h2 / (h2 + 2 * s2), d / 2.0);
    double want = 2 * ekk * (1 - exp(-dm2 / (2 * (h2 + 2 * s2)))) + (1 - ekk) * (1.0 / n + 1.0 / m);
    bb_ctx c = {0};
    double v;
    /* sd of the estimate over seeds is 0.0097 (measured with numpy, 10 seeds): 3 sd */
    assert_int_equal(bb_mmd2_v(n, m, d, X, NULL, Y, NULL, h2, &v, &c), BB_OK);
    CHECK_CLOSE(v, want, 0.03);
    /* no shift: only the V-statistic's diagonal bias remains, with a far smaller spread */
    for (size_t i = 0; i < m * d; i += 2) Y[i] -= 0.8;
    assert_int_equal(bb_mmd2_v(n, m, d, X, NULL, Y, NULL, h2, &v, &c), BB_OK);
    CHECK_CLOSE(v, (1 - ekk) * (1.0 / n + 1.0 / m), 4e-4);
    /* median heuristic: for N(0, I₂) the squared distance between two draws is 2·χ²₂,
     * whose median is 2·2 ln 2 */
    assert_int_equal(bb_median_sqdist(n, d, X, &h2, &c), BB_OK);
    CHECK_CLOSE(h2, 4 * log(2.0), 0.15);
    free(X);
    free(Y);
}

/* Sinkhorn: marginals hold, and with small ε the cost approaches the exact OT cost
 * (from above, by at most ~ε·max(C)·log(n) here). */
BB_TEST(sinkhorn_approaches_exact_ot_and_meets_marginals) {
    size_t n = 60, d = 3;
    double *X = malloc(n * d * sizeof *X), *Y = malloc(n * d * sizeof *Y), *C = malloc(n * n * sizeof *C);
    double a[60], b[60];
    bb_rng r;
    bb_rng_init(&r, 13, 1);
    for (size_t i = 0; i < n * d; i++) {
        X[i] = bb_rng_normal(&r);
        Y[i] = 0.5 + bb_rng_normal(&r);
    }
    for (size_t i = 0; i < n; i++) a[i] = b[i] = 1.0 / (double)n;
    bb_ctx c = {0};
    assert_int_equal(bb_sqdist_matrix(n, n, d, X, Y, C, &c), BB_OK);
    double exact, ent, ent_small, err;
    int it;
    assert_int_equal(bb_ot_assign_mean((int)n, C, &exact, &c), BB_OK);
    assert_int_equal(bb_sinkhorn(n, n, C, a, b, 0.05, 1000, 1e-9, &ent, &it, &err, &c), BB_OK);
    assert_int_equal(bb_sinkhorn(n, n, C, a, b, 0.002, 20000, 1e-9, &ent_small, NULL, NULL, &c), BB_OK);
    printf("  exact %.5f  sinkhorn(0.05) %.5f (%d it, err %.2g)  sinkhorn(0.002) %.5f\n", exact, ent, it, err,
           ent_small);
    assert_true(ent >= exact - 1e-12 && ent_small >= exact - 1e-9);
    assert_true(ent_small <= ent);
    CHECK_CLOSE(ent_small, exact, 0.02 * exact);
    assert_true(err < 1e-9);
    free(X);
    free(Y);
    free(C);
}

BB_TEST(mmd_and_sinkhorn_metrics_are_zero_for_identical_sets) {
    size_t n = 80, d = 2;
    bb_samples s, ref;
    assert_int_equal(bb_samples_alloc(&s, n, d, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&ref, n, d, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 14, 1);
    for (size_t i = 0; i < n * d; i++) s.x[i] = ref.x[i] = 2.385 * bb_rng_normal(&r);
    bb_eval_input in = {NULL, &s, NULL, &ref, NULL, 2, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
    double mmd = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "mmd"), "value")->valuedouble;
    double sk = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "sinkhorn"), "value")->valuedouble;
    double xw = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "x_w2"), "value")->valuedouble;
    printf("  identical sets: mmd %.3g sinkhorn %.4f x_w2 %.3g\n", mmd, sk, xw);
    CHECK_CLOSE(mmd, 0.0, 1e-7);
    CHECK_CLOSE(xw, 0.0, 0.0);
    assert_true(sk > 0.0); /* entropic blur: positive even for identical sets */
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "mmd"), "ci95"));
    assert_null(cJSON_GetObjectItem(out, "log_z")); /* unweighted: skipped */
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&ref);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(log_z_and_ess_match_a_gaussian_proposal),
             cmocka_unit_test(mmd_matches_closed_form_for_gaussians),
             cmocka_unit_test(sinkhorn_approaches_exact_ot_and_meets_marginals),
             cmocka_unit_test(mmd_and_sinkhorn_metrics_are_zero_for_identical_sets))
