/* test_iat.c — integrated autocorrelation time on AR(1) processes x_t = φ x_{t−1} + ε_t,
 * whose exact τ = (1 + φ)/(1 − φ). The estimator's relative standard error is about
 * sqrt(2(2M+1)/n) (Sokal), M ≈ 5τ: for n = 4·10^5 that is 1.4 % (φ = 0.5), 3 % (φ = 0.9);
 * tolerances are 3–4 of those. Also the error cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "datasets/iat.h"
#include "harness/core/rng.h"
#include "tests/testmain.h"

static double *ar1(double phi, size_t n, uint64_t seed) {
    double *x = malloc(n * sizeof *x);
    bb_rng r;
    bb_rng_init(&r, seed, 0);
    double v = bb_rng_normal(&r) / sqrt(1.0 - phi * phi); /* stationary start */
    for (size_t i = 0; i < n; i++) {
        v = phi * v + bb_rng_normal(&r);
        x[i] = 2.385 * v - 7.0;
    }
    return x;
}

BB_TEST(ar1_tau_matches_one_plus_phi_over_one_minus_phi) {
    const double phis[3] = {0.0, 0.5, 0.9}, tol[3] = {0.03, 0.05, 0.10};
    const size_t n = 400000;
    for (int k = 0; k < 3; k++) {
        double *x = ar1(phis[k], n, 11 + (uint64_t)k);
        double tau, ess, want = (1 + phis[k]) / (1 - phis[k]);
        bb_ctx c = {0};
        assert_int_equal(bb_energy_iat(x, n, &tau, &ess, &c), BB_OK);
        printf("phi %.1f: tau %.4f (exact %.4f, rel. err %.4f), ess %.0f\n", phis[k], tau, want, fabs(tau / want - 1),
               ess);
        assert_true(fabs(tau / want - 1) < tol[k]);
        assert_true(fabs(ess * tau - (double)n) < 1e-6 * (double)n);
        free(x);
    }
}

BB_TEST(bad_series_are_errors) {
    double tau, ess;
    bb_ctx c = {0};
    double one[1] = {1.0};
    assert_int_equal(bb_energy_iat(one, 1, &tau, &ess, &c), BB_EINVAL);
    assert_int_equal(bb_energy_iat(NULL, 10, &tau, &ess, &c), BB_EINVAL);
    double flat[5] = {2, 2, 2, 2, 2};
    assert_int_equal(bb_energy_iat(flat, 5, &tau, &ess, &c), BB_EINVAL);
    double nan_[3] = {1, NAN, 2};
    assert_int_equal(bb_energy_iat(nan_, 3, &tau, &ess, &c), BB_ENAN);
    assert_true(isnan(tau));
    /* strongly correlated and short: window never closes, estimate still returned */
    double *x = ar1(0.99, 200, 3);
    assert_int_equal(bb_energy_iat(x, 200, &tau, &ess, &c), BB_EINVAL);
    assert_true(isfinite(tau) && tau > 1.0);
    free(x);
    /* {1, -1}: mean 0, C(0) = 1, C(1) = -1/2 (biased), so tau = 1 + 2(-1/2) = 0 exactly and
     * the window closes at M = 1: a non-positive estimate is refused */
    double alt[2] = {1, -1};
    assert_int_equal(bb_energy_iat(alt, 2, &tau, &ess, &c), BB_EINVAL);
    assert_true(tau == 0.0);
    /* {0, 1, 0, 1}... of length 4: mean 1/2, C(0) = 1/4, C(1) = -3/16, C(2) = 2/16:
     * tau(1) = 1 - 1.5 = -0.5 closes at M = 1 as well */
    double alt4[4] = {0, 1, 0, 1};
    assert_int_equal(bb_energy_iat(alt4, 4, &tau, &ess, &c), BB_EINVAL);
    assert_true(fabs(tau + 0.5) < 1e-15);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(ar1_tau_matches_one_plus_phi_over_one_minus_phi),
             cmocka_unit_test(bad_series_are_errors))
