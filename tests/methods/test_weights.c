/* test_weights.c — bb_logw_summary (methods/common/weights.h): log Ẑ and the ESS fraction
 * of importance log-weights against direct computation (exact values where they exist,
 * relative 1e-13 otherwise), the shift that keeps large log-weights finite, and the
 * weightless cases; bb_logw_finish against the task's energies evaluated directly, and its
 * unweighted fallback when the budget cannot pay; systematic resampling (exact indices for
 * one u, ⌊n w̄⌋/⌈n w̄⌉ copies and unbiased mean counts over u), the ESS-triggered SMC step,
 * the row gather, and the quantile clip against torch.quantile's value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include <stdlib.h>
#include <string.h>

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

/* w̄ = (0.1, 0.3, 0, 0.45, 0.15) (the third −inf): u = 0.02 puts the points 0.02, 0.22,
 * 0.42, 0.62, 0.82 on the cumulative weights 0.1, 0.4, 0.4, 0.85, 1 -> 0, 1, 3, 3, 3. */
static const double W5[5] = {0.1, 0.3, 0.0, 0.45, 0.15};

BB_TEST(systematic_resampling_gives_the_exact_cells) {
    double lw[5];
    for (int i = 0; i < 5; i++) lw[i] = log(W5[i]) + 3.0;
    size_t idx[5];
    bb_ctx c = {0};
    assert_int_equal(bb_resample_systematic(lw, 5, 0.02, idx, &c), BB_OK);
    const size_t want[5] = {0, 1, 3, 3, 3};
    for (int k = 0; k < 5; k++) assert_true(idx[k] == want[k]);
}

/* Over a grid of 10^4 u: every count is ⌊n w̄_i⌋ or ⌈n w̄_i⌉, the counts sum to n, the −inf
 * particle is never drawn, and the mean count is n w̄_i (E_u exactly; the grid's midpoint
 * rule is exact up to one cell boundary per particle, so within 2/10^4). */
BB_TEST(systematic_counts_are_floor_or_ceil_and_unbiased) {
    double lw[5], mean[5] = {0};
    for (int i = 0; i < 5; i++) lw[i] = log(W5[i]);
    const int M = 10000;
    bb_ctx c = {0};
    for (int m = 0; m < M; m++) {
        size_t idx[5], cnt[5] = {0};
        assert_int_equal(bb_resample_systematic(lw, 5, (m + 0.5) / M, idx, &c), BB_OK);
        for (int k = 0; k < 5; k++) {
            if (k) assert_true(idx[k] >= idx[k - 1]);
            cnt[idx[k]]++;
        }
        size_t tot = 0;
        for (int i = 0; i < 5; i++) {
            double nw = 5.0 * W5[i];
            assert_true(cnt[i] == (size_t)floor(nw) || cnt[i] == (size_t)ceil(nw));
            mean[i] += (double)cnt[i] / M;
            tot += cnt[i];
        }
        assert_true(tot == 5 && cnt[2] == 0);
    }
    for (int i = 0; i < 5; i++) assert_true(fabs(mean[i] - 5.0 * W5[i]) < 2e-4);
}

BB_TEST(systematic_resampling_refuses_bad_input) {
    const double none[2] = {-INFINITY, -INFINITY}, lw[2] = {0.0, 0.0};
    size_t idx[2];
    bb_ctx c = {0};
    assert_int_equal(bb_resample_systematic(none, 2, 0.5, idx, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "no finite log-weight"));
    bb_ctx_clear(&c);
    assert_int_equal(bb_resample_systematic(lw, 2, 1.0, idx, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "[0, 1)"));
}

/* ESS fraction of (0, log 3): (1 + 3)² / (2 · 10) = 0.8. Threshold 0.5: untouched, identity;
 * 0.8 and 1: resampled, every logw = log Ẑ = log 2 so the summary's log Ẑ is unchanged. */
BB_TEST(smc_resample_triggers_on_the_ess_fraction) {
    bb_rng r;
    bb_rng_init(&r, 7, 0);
    bb_ctx c = {0};
    const double thr[3] = {0.5, 0.8, 1.0};
    for (int j = 0; j < 3; j++) {
        double lw[2] = {0.0, log(3.0)};
        size_t idx[2] = {9, 9};
        int res = -1;
        assert_int_equal(bb_smc_resample(lw, 2, thr[j], &r, idx, &res, &c), BB_OK);
        if (j == 0) {
            assert_true(res == 0 && idx[0] == 0 && idx[1] == 1 && lw[0] == 0.0 && lw[1] == log(3.0));
        } else {
            assert_true(res == 1 && idx[1] == 1 && idx[0] <= 1);
            assert_true(fabs(lw[0] - log(2.0)) < 1e-15 && lw[1] == lw[0]);
        }
    }
    double lw[2] = {0.0, 0.0};
    size_t idx[2];
    int res;
    assert_int_equal(bb_smc_resample(lw, 2, 1.5, &r, idx, &res, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "ess_threshold"));
    bb_ctx_clear(&c);
    const double none[2] = {-INFINITY, -INFINITY};
    memcpy(lw, none, sizeof lw);
    assert_int_equal(bb_smc_resample(lw, 2, 1.0, &r, idx, &res, &c), BB_EINVAL);
    bb_ctx_clear(&c);
}

BB_TEST(rows_gather_copies_the_chosen_rows) {
    const double src[6] = {1, 2, 3, 4, 5, 6};
    const size_t idx[3] = {2, 2, 0};
    double dst[6];
    bb_rows_gather(src, 2, idx, 3, dst);
    const double want[6] = {5, 6, 5, 6, 1, 2};
    for (int k = 0; k < 6; k++) assert_true(dst[k] == want[k]);
}

/* 0..9 shuffled: the 0.9 quantile sits at position 8.1 -> 8.1 (torch.quantile's linear
 * rule); entries above become 8.1, the rest stay; a NaN is skipped and kept; q = 1 keeps
 * everything, q = 0 clips to the minimum; q = 1.5 is refused. */
BB_TEST(clip_quantile_caps_at_the_interpolated_quantile) {
    bb_ctx c = {0};
    double a[11] = {3, 9, 0, 7, 1, 8, NAN, 2, 6, 4, 5};
    assert_int_equal(bb_clip_quantile(a, 11, 0.9, &c), BB_OK);
    const double want[11] = {3, 8.1, 0, 7, 1, 8, NAN, 2, 6, 4, 5};
    for (int i = 0; i < 11; i++) assert_true(i == 6 ? isnan(a[i]) : fabs(a[i] - want[i]) < 1e-15);
    double b[3] = {2, -1, 5};
    assert_int_equal(bb_clip_quantile(b, 3, 1.0, &c), BB_OK);
    assert_true(b[0] == 2 && b[1] == -1 && b[2] == 5);
    assert_int_equal(bb_clip_quantile(b, 3, 0.0, &c), BB_OK);
    assert_true(b[0] == -1 && b[1] == -1 && b[2] == -1);
    assert_int_equal(bb_clip_quantile(b, 0, 0.5, &c), BB_OK);
    assert_int_equal(bb_clip_quantile(b, 3, 1.5, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "q must lie"));
    bb_ctx_clear(&c);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(equal_weights_give_their_value_and_full_ess),
             cmocka_unit_test(mixed_weights_match_the_direct_formula),
             cmocka_unit_test(no_weight_gives_minus_infinity_and_nan),
             cmocka_unit_test(finish_adds_energies_and_falls_back_to_unweighted_when_the_budget_cannot_pay),
             cmocka_unit_test(systematic_resampling_gives_the_exact_cells),
             cmocka_unit_test(systematic_counts_are_floor_or_ceil_and_unbiased),
             cmocka_unit_test(systematic_resampling_refuses_bad_input),
             cmocka_unit_test(smc_resample_triggers_on_the_ess_fraction),
             cmocka_unit_test(rows_gather_copies_the_chosen_rows),
             cmocka_unit_test(clip_quantile_caps_at_the_interpolated_quantile))
