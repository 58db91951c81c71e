/* test_edm.c — the EDM pieces PITA uses (methods/sde/edm.c): the schedule's end points,
 * g² against a central difference of σ²(t), the inverse t(σ²), the training noise levels'
 * log-normal moments, the preconditioning coefficients against closed-form values, argument
 * checks; and the tempered reverse SDE step with Feynman–Kac weights on a Gaussian, where
 * the annealed law p_0^γ and its normalising constant are known exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/common/weights.h"
#include "methods/sde/sde.h"
#include "tests/testmain.h"

BB_TEST(edm_schedule_ends_derivative_and_inverse) {
    bb_edm_schedule s;
    bb_ctx c = {0};
    assert_int_equal(bb_edm_schedule_init(&s, 0.05, 80.0, 7.0, -1.2, 1.2, &c), BB_OK);
    assert_true(fabs(bb_edm_var(&s, 0.0) - 0.0025) < 1e-15);
    assert_true(fabs(bb_edm_var(&s, 1.0) - 6400.0) < 1e-9);
    for (double t = 0.05; t < 1.0; t += 0.1) {
        const double e = 1e-5, fd = (bb_edm_var(&s, t + e) - bb_edm_var(&s, t - e)) / (2 * e);
        /* central difference error ~ e² σ²''' / 6, relative < 1e-7 here */
        assert_true(fabs(bb_edm_g2(&s, t) - fd) < 1e-7 * fabs(fd));
        assert_true(fabs(bb_edm_t_of_var(&s, bb_edm_var(&s, t)) - t) < 1e-12);
    }
}

/* ln σ ~ N(−1.2, 1.2²): 10^5 draws, mean and variance within 5 standard errors. */
BB_TEST(edm_training_sigma_is_log_normal) {
    bb_edm_schedule s;
    bb_ctx c = {0};
    assert_int_equal(bb_edm_schedule_init(&s, 0.002, 80.0, 7.0, -1.2, 1.2, &c), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 3, 0);
    const int n = 100000;
    double m = 0.0, v = 0.0;
    for (int i = 0; i < n; i++) {
        double l = log(bb_edm_sample_sigma(&s, &r));
        m += l / n;
        v += l * l / n;
    }
    v -= m * m;
    assert_true(fabs(m + 1.2) < 5 * 1.2 / sqrt(n));
    assert_true(fabs(v - 1.44) < 5 * 1.44 * sqrt(2.0 / n));
}

BB_TEST(edm_schedule_refuses_bad_fields) {
    bb_edm_schedule s;
    bb_ctx c = {0};
    const struct {
        double a[5];
        const char *field;
    } bad[] = {{{0, 1, 7, 0, 1}, "sigma_min"},
               {{1, 1, 7, 0, 1}, "sigma_max"},
               {{0.1, 1, 0, 0, 1}, "rho"},
               {{0.1, 1, 7, NAN, 1}, "p_mean"},
               {{0.1, 1, 7, 0, -1}, "p_std"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const double *a = bad[i].a;
        assert_int_equal(bb_edm_schedule_init(&s, a[0], a[1], a[2], a[3], a[4], &c), BB_EINVAL);
        assert_non_null(strstr(c.msg, bad[i].field));
        bb_ctx_clear(&c);
    }
}

/* σ = 0.5, σd = 1: c_skip = 0.8, c_out = 0.5/√1.25, c_in = 1/√1.25, c_noise = ln(0.5)/4,
 * λ = 1.25/0.25 = 5; σ = 2, σd = 0.5: c_skip = 0.25/4.25, c_out = 1/√4.25, λ = 4.25. And the
 * EDM identity: the target of F has unit variance, c_skip² σd² + ... (Karras eq. 143):
 * c_out² = σ² σd² / (σ² + σd²) = σd² − c_skip σd². */
BB_TEST(edm_preconditioning_matches_closed_form) {
    bb_edm_precond p = bb_edm_precondition(0.5, 1.0);
    assert_true(fabs(p.c_skip - 0.8) < 1e-15 && fabs(p.c_out - 0.5 / sqrt(1.25)) < 1e-15);
    assert_true(fabs(p.c_in - 1.0 / sqrt(1.25)) < 1e-15 && fabs(p.c_noise - 0.25 * log(0.5)) < 1e-15);
    assert_true(fabs(p.weight - 5.0) < 1e-14);
    p = bb_edm_precondition(2.0, 0.5);
    assert_true(fabs(p.c_skip - 0.25 / 4.25) < 1e-15 && fabs(p.c_out - 1.0 / sqrt(4.25)) < 1e-15);
    assert_true(fabs(p.c_in - 1.0 / sqrt(4.25)) < 1e-15 && fabs(p.weight - 4.25) < 1e-13);
    assert_true(fabs(p.c_out * p.c_out - (0.25 - p.c_skip * 0.25)) < 1e-15);
}

/* Data law p_0 = N(0, v0 I) in d = 2 at T_current, annealed by γ = 1.5 (T 1.5 -> 1): p_t =
 * N(0, s_t I), s_t = v0 + σ²(t), π_t ∝ p_t^γ = N(0, s_t/γ I). Start exactly from π_1 (log-weight
 * 0), take 400 steps of bb_sde_anneal_step with the exact score −x/s_t, divergence −d/s_t and
 * ∂U_t/∂t = g² (d/(2 s_t) − |x|²/(2 s_t²)), SMC-resampled when the ESS fraction falls to 0.5.
 * At t = 0 the weighted particles must have variance s_0/γ per coordinate and log Ẑ =
 * log(Z_0/Z_1) = d/2 (1 − γ) ln(s_0/s_1). 20000 particles: tolerances 4 standard errors of the
 * weighted estimate (counting the ESS of the final weights and the last resampling) plus the
 * Euler step's O(dt) bias (measured < 0.5% at 400 steps; see the printed values). Without the
 * weights the same particles end far from s_0/γ, so the test checks the weights matter. */
BB_TEST(anneal_step_with_weights_reaches_the_tempered_gaussian) {
    const int d = 2, N = 400;
    const size_t n = 20000;
    const double v0 = 1.0, gamma = 1.5;
    bb_edm_schedule s;
    bb_ctx c = {0};
    assert_int_equal(bb_edm_schedule_init(&s, 0.05, 3.0, 7.0, -1.2, 1.2, &c), BB_OK);
    const bb_sde_space sp = {1, d, 0};
    double *x = malloc(n * d * sizeof(double)), *xs = malloc(n * d * sizeof(double));
    double *sc = malloc(n * d * sizeof(double)), *div = malloc(n * sizeof(double)), *du = malloc(n * sizeof(double));
    double *lw = calloc(n, sizeof(double));
    size_t *idx = malloc(n * sizeof(size_t));
    assert_non_null(x && xs && sc && div && du && lw && idx);
    bb_rng r;
    bb_rng_init(&r, 11, 0);
    const double s1 = v0 + bb_edm_var(&s, 1.0), s0 = v0 + bb_edm_var(&s, 0.0);
    for (size_t i = 0; i < n * (size_t)d; i++) x[i] = sqrt(s1 / gamma) * bb_rng_normal(&r);
    int resamplings = 0;
    for (int k = 0; k < N; k++) {
        const double t = 1.0 - (double)k / N, dt = 1.0 / N, st = v0 + bb_edm_var(&s, t), g2 = bb_edm_g2(&s, t);
        for (size_t i = 0; i < n; i++) {
            double x2 = 0.0;
            for (int j = 0; j < d; j++) {
                sc[i * d + j] = -x[i * d + j] / st;
                x2 += x[i * d + j] * x[i * d + j];
            }
            div[i] = -d / st;
            du[i] = g2 * (d / (2 * st) - x2 / (2 * st * st));
        }
        bb_sde_anneal_step(&sp, n, g2, dt, gamma, sc, NULL, div, du, &r, x, lw);
        int res = 0;
        assert_int_equal(bb_smc_resample(lw, n, 0.5, &r, idx, &res, &c), BB_OK);
        if (res) {
            bb_rows_gather(x, d, idx, n, xs);
            memcpy(x, xs, n * d * sizeof(double));
            resamplings++;
        }
    }
    double lz, ess, mx = -INFINITY, tot = 0.0, var = 0.0, mean = 0.0, raw = 0.0;
    bb_logw_summary(lw, n, &lz, &ess);
    for (size_t i = 0; i < n; i++) mx = fmax(mx, lw[i]);
    for (size_t i = 0; i < n; i++) {
        const double w = exp(lw[i] - mx);
        tot += w;
        for (int j = 0; j < d; j++) {
            mean += w * x[i * d + j] / d;
            var += w * x[i * d + j] * x[i * d + j] / d;
            raw += x[i * d + j] * x[i * d + j] / (double)(n * d);
        }
    }
    mean /= tot;
    var /= tot;
    const double want = s0 / gamma, lz_want = 0.5 * d * (1 - gamma) * log(s0 / s1);
    const double neff = ess * n * d / 2.0; /* ESS, halved for the last resampling's duplicates */
    print_message("resamplings %d ess %.3f var %.5f want %.5f (unweighted %.5f) mean %.5f log Z %.4f want %.4f\n",
                  resamplings, ess, var, want, raw, mean, lz, lz_want);
    assert_true(resamplings > 0);
    assert_true(fabs(var - want) < 4 * want * sqrt(2.0 / neff) + 0.005 * want);
    assert_true(fabs(mean) < 4 * sqrt(want / neff));
    assert_true(fabs(lz - lz_want) < 0.05);
    assert_true(fabs(raw - want) > 10 * want * sqrt(2.0 / neff));
    free(x), free(xs), free(sc), free(div), free(du), free(lw), free(idx);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(edm_schedule_ends_derivative_and_inverse),
             cmocka_unit_test(edm_training_sigma_is_log_normal), cmocka_unit_test(edm_schedule_refuses_bad_fields),
             cmocka_unit_test(edm_preconditioning_matches_closed_form),
             cmocka_unit_test(anneal_step_with_weights_reaches_the_tempered_gaussian))
