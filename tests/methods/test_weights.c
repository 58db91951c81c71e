/* test_weights.c — bb_logw_summary (methods/common/weights.h): log Ẑ and the ESS fraction
 * of importance log-weights against direct computation (exact values where they exist,
 * relative 1e-13 otherwise), the shift that keeps large log-weights finite, and the
 * weightless cases; bb_logw_finish against the task's energies evaluated directly, and its
 * unweighted fallback when the budget cannot pay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include <stdlib.h>

#include "harness/oracle/oracle.h"
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

static double half_sq(const void *q, const double *x) {
    (void)q;
    double s = 0.0;
    for (int k = 0; k < 8; k++) s += x[k] * x[k];
    return -0.5 * s;
}

/* Four DW-4 configurations with path terms 0.25 k: the weights become 0.25 k − u(x) −
 * log q(x) with u from the task directly, the summary is bb_logw_summary's, four
 * evaluations are charged; with a budget of three the samples come back unweighted. */
BB_TEST(finish_adds_energies_and_falls_back_to_unweighted_when_the_budget_cannot_pay) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create("dw4", NULL, &t, &c), BB_OK);
    for (int64_t budget = 4; budget >= 3; budget--) {
        bb_oracle *o = NULL;
        assert_int_equal(bb_oracle_create(t, budget, &o, &c), BB_OK);
        bb_samples s = {0};
        assert_int_equal(bb_samples_alloc(&s, 4, 8, 1), BB_OK);
        for (size_t i = 0; i < 32; i++) s.x[i] = sin(1.7 * (double)i) * 1.5;
        for (size_t i = 0; i < 4; i++) s.logw[i] = 0.25 * (double)i;
        double lz = 0.0, ess = 0.0;
        int weighted = -1;
        assert_int_equal(bb_logw_finish(o, &s, half_sq, NULL, "test", &lz, &ess, &weighted, &c), BB_OK);
        if (budget == 4) {
            double u[4], want[4], lz2, ess2;
            assert_int_equal(bb_task_energy(t, 4, s.x, u, NULL, &c), BB_OK);
            for (size_t i = 0; i < 4; i++) {
                want[i] = 0.25 * (double)i - u[i] - half_sq(NULL, s.x + 8 * i);
                assert_true(s.logw[i] == want[i]);
            }
            bb_logw_summary(want, 4, &lz2, &ess2);
            assert_true(weighted == 1 && lz == lz2 && ess == ess2);
            assert_int_equal((int)bb_oracle_used(o), 4);
        } else {
            assert_true(weighted == 0 && s.logw == NULL);
            assert_int_equal((int)bb_oracle_used(o), 0);
        }
        bb_samples_free(&s);
        bb_oracle_free(o);
    }
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(equal_weights_give_their_value_and_full_ess),
             cmocka_unit_test(mixed_weights_match_the_direct_formula),
             cmocka_unit_test(no_weight_gives_minus_infinity_and_nan),
             cmocka_unit_test(finish_adds_energies_and_falls_back_to_unweighted_when_the_budget_cannot_pay))
