/* test_weights.c — bb_logw_summary (methods/common/weights.h): log Ẑ and the ESS fraction
 * of importance log-weights against direct computation (exact values where they exist,
 * relative 1e-13 otherwise), the shift that keeps large log-weights finite, and the
 * weightless cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "methods/common/weights.h"
#include "tests/testmain.h"

BB_TEST(equal_weights_give_their_value_and_full_ess) {
    const double lw[4] = {-2.5, -2.5, -2.5, -2.5};
    double lz, ess;
    bb_logw_summary(lw, 4, &lz, &ess);
    assert_true(lz == -2.5 && ess == 1.0);
}

BB_TEST(mixed_weights_match_the_direct_formula) {
    const double lw[5] = {0.1, -1.0, 2.0, -INFINITY, 0.5};
    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < 5; i++) {
        s1 += exp(lw[i]);
        s2 += exp(2.0 * lw[i]);
    }
    double lz, ess;
    bb_logw_summary(lw, 5, &lz, &ess);
    assert_true(fabs(lz - log(s1 / 5.0)) < 1e-13 * fabs(log(s1 / 5.0)));
    assert_true(fabs(ess - s1 * s1 / (5.0 * s2)) < 1e-13);
    /* shifted by 1000: exp overflows directly, the summary shifts by the maximum */
    double big[5];
    for (int i = 0; i < 5; i++) big[i] = lw[i] + 1000.0;
    double lz2, ess2;
    bb_logw_summary(big, 5, &lz2, &ess2);
    assert_true(fabs(lz2 - (lz + 1000.0)) < 1e-12 * 1000.0);
    assert_true(fabs(ess2 - ess) < 1e-13);
    /* one weight dominating: ESS fraction 1/n */
    const double one[4] = {0.0, -800.0, -800.0, -800.0};
    bb_logw_summary(one, 4, &lz, &ess);
    assert_true(fabs(lz - log(0.25)) < 1e-15 && fabs(ess - 0.25) < 1e-15);
}

BB_TEST(no_weight_gives_minus_infinity_and_nan) {
    const double lw[2] = {-INFINITY, -INFINITY};
    double lz, ess;
    bb_logw_summary(lw, 2, &lz, &ess);
    assert_true(isinf(lz) && lz < 0 && isnan(ess));
    bb_logw_summary(lw, 0, &lz, &ess);
    assert_true(isnan(lz) && isnan(ess));
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(equal_weights_give_their_value_and_full_ess),
             cmocka_unit_test(mixed_weights_match_the_direct_formula),
             cmocka_unit_test(no_weight_gives_minus_infinity_and_nan))
