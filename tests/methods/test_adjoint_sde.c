/* test_adjoint_sde.c — the shared SDE pieces (methods/sde/) used by Adjoint Sampling:
 * closed-form h²(t) against quadrature of g², argument checks, the bridge's mean and
 * variance, the base process reaching exactly N(0, h²(1)) with E[X_t X_1] = h²(t),
 * COM-free noise, and the Euler–Maruyama step's drift and reported noise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/sde/sde.h"
#include "tests/testmain.h"

/* Composite Simpson on [0, t] with 2000 panels of g². */
static double simpson_g2(const bb_sde_schedule *s, double t) {
    const int n = 2000;
    double h = t / n, acc = 0.0;
    for (int i = 0; i <= n; i++) {
        double g = bb_sde_g(s, i * h), w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
        acc += w * g * g;
    }
    return acc * h / 3.0;
}

BB_TEST(h2_is_the_integral_of_g_squared) {
    bb_sde_schedule s;
    bb_ctx c = {0};
    assert_int_equal(bb_sde_schedule_geometric(&s, 1e-3, 1.5, &c), BB_OK);
    /* g at the ends: σmin r √(2 ln r) and σmin √(2 ln r) */
    double lr = log(1500.0);
    assert_true(fabs(bb_sde_g(&s, 0.0) - 1.5 * sqrt(2 * lr)) < 1e-12);
    assert_true(fabs(bb_sde_g(&s, 1.0) - 1e-3 * sqrt(2 * lr)) < 1e-15);
    for (double t = 0.05; t <= 1.0; t += 0.1385) {
        double q = simpson_g2(&s, t), h = bb_sde_h2(&s, t);
        print_message("geometric t=%.4f h2=%.12f simpson=%.12f\n", t, h, q);
        assert_true(fabs(h - q) < 1e-9 * (1 + h)); /* Simpson error ~ (t/2000)^4 g''' */
    }
    assert_true(fabs(bb_sde_h2(&s, 1.0) - 2.25 * (1 - 1.0 / (1500.0 * 1500.0))) < 1e-14);
    assert_true(bb_sde_h2(&s, 0.0) == 0.0);
    assert_true(fabs(bb_sde_step_std(&s, 0.2, 0.1) - sqrt(bb_sde_h2(&s, 0.3) - bb_sde_h2(&s, 0.2))) < 1e-15);
    assert_int_equal(bb_sde_schedule_constant(&s, 2.385, &c), BB_OK);
    assert_true(fabs(bb_sde_h2(&s, 0.4) - 2.385 * 2.385 * 0.4) < 1e-14);
    assert_true(bb_sde_g(&s, 0.7) == 2.385);
}

BB_TEST(schedules_reject_bad_sigmas_and_names_resolve) {
    bb_sde_schedule s;
    bb_ctx c = {0};
    assert_int_equal(bb_sde_schedule_geometric(&s, 0.0, 1.0, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "sigma_min"));
    assert_int_equal(bb_sde_schedule_geometric(&s, 2.0, 1.0, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "sigma_max"));
    assert_int_equal(bb_sde_schedule_constant(&s, -1.0, &c), BB_EINVAL);
    assert_int_equal(bb_sde_schedule_kind_find("geometric"), BB_SDE_SCHEDULE_GEOMETRIC);
    assert_int_equal(bb_sde_schedule_kind_find("constant"), BB_SDE_SCHEDULE_CONSTANT);
    assert_int_equal(bb_sde_schedule_kind_find("cosine"), -1);
    assert_int_equal(bb_sde_schedule_kind_find(NULL), -1);
}

/* Bridge at t = 0.37 from X_0 = 0 to X_1 = (2.385, −1.1): mean κ x1, variance h²(t)(1−κ);
 * 20000 rows, tolerance 5 standard errors. t = 1 gives x1, t = 0 gives x0. */
BB_TEST(bridge_has_the_gaussian_bridge_moments) {
    bb_sde_schedule s;
    bb_sde_schedule_geometric(&s, 1e-3, 2.0, NULL);
    bb_sde_space sp = {.P = 1, .D = 2, .com_free = 0};
    const size_t n = 20000;
    double *x1 = malloc(n * 2 * sizeof(double)), *t = malloc(n * sizeof(double));
    double *xt = malloc(n * 2 * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        x1[2 * i] = 2.385;
        x1[2 * i + 1] = -1.1;
        t[i] = 0.37;
    }
    bb_rng r;
    bb_rng_init(&r, 7, 1);
    bb_sde_bridge_sample(&s, &sp, n, NULL, x1, t, &r, xt);
    double k = bb_sde_h2(&s, 0.37) / bb_sde_h2(&s, 1.0), v = bb_sde_h2(&s, 0.37) * (1 - k);
    for (int d = 0; d < 2; d++) {
        double m = 0, q = 0;
        for (size_t i = 0; i < n; i++) m += xt[2 * i + d];
        m /= n;
        for (size_t i = 0; i < n; i++) q += (xt[2 * i + d] - m) * (xt[2 * i + d] - m);
        q /= n - 1;
        double want = k * x1[d];
        print_message("dim %d: mean %.5f (want %.5f, se %.5f) var %.5f (want %.5f)\n", d, m, want, sqrt(v / n), q, v);
        assert_true(fabs(m - want) < 5 * sqrt(v / n));
        assert_true(fabs(q - v) < 5 * v * sqrt(2.0 / n));
    }
    double x0[2] = {0.5, 0.25}, one = 1.0, zero = 0.0, out[2];
    bb_sde_bridge_sample(&s, &sp, 1, x0, x1, &one, &r, out);
    assert_true(fabs(out[0] - x1[0]) < 1e-14 && fabs(out[1] - x1[1]) < 1e-14);
    bb_sde_bridge_sample(&s, &sp, 1, x0, x1, &zero, &r, out);
    assert_true(out[0] == x0[0] && out[1] == x0[1]);
    free(x1);
    free(t);
    free(xt);
}

/* 10 Euler–Maruyama steps of the drift-free base from 0: Var X_1 = h²(1) and
 * E[X_t X_1] = h²(t) (so the bridge used in training matches the simulated process). */
BB_TEST(base_process_has_exact_marginal_and_covariance) {
    bb_sde_schedule s;
    bb_sde_schedule_geometric(&s, 1e-3, 1.5, NULL);
    bb_sde_space sp = {.P = 1, .D = 1, .com_free = 0};
    const size_t n = 40000;
    const int K = 10, k3 = 3;
    double *x = calloc(n, sizeof(double)), *x3 = malloc(n * sizeof(double));
    bb_rng r;
    bb_rng_init(&r, 11, 2);
    for (int k = 0; k < K; k++) {
        bb_sde_em_step(&s, &sp, n, k / (double)K, 1.0 / K, NULL, &r, x, NULL);
        if (k + 1 == k3) memcpy(x3, x, n * sizeof(double));
    }
    double v1 = 0, c31 = 0;
    for (size_t i = 0; i < n; i++) {
        v1 += x[i] * x[i];
        c31 += x3[i] * x[i];
    }
    v1 /= n;
    c31 /= n;
    double h1 = bb_sde_h2(&s, 1.0), h3 = bb_sde_h2(&s, 0.3);
    print_message("Var X1 %.5f (h2(1) %.5f), E[X.3 X1] %.5f (h2(.3) %.5f)\n", v1, h1, c31, h3);
    assert_true(fabs(v1 - h1) < 5 * h1 * sqrt(2.0 / n));
    /* Var(X.3 X1) = h3 h1 + h3² (Isserlis) */
    assert_true(fabs(c31 - h3) < 5 * sqrt((h3 * h1 + h3 * h3) / n));
    free(x);
    free(x3);
}

/* COM-free noise: every row sums to zero per dimension; per-coordinate variance (P−1)/P. */
BB_TEST(com_free_noise_is_centred_with_projected_variance) {
    bb_sde_space sp = {.P = 4, .D = 2, .com_free = 1};
    assert_int_equal(bb_sde_space_dim(&sp), 6);
    sp.com_free = 0;
    assert_int_equal(bb_sde_space_dim(&sp), 8);
    sp.com_free = 1;
    const size_t n = 20000;
    double *z = malloc(n * 8 * sizeof(double));
    bb_rng r;
    bb_rng_init(&r, 3, 9);
    bb_sde_noise(&sp, n, &r, z);
    double q = 0;
    for (size_t i = 0; i < n; i++) {
        for (int d = 0; d < 2; d++) {
            double m = 0;
            for (int p = 0; p < 4; p++) m += z[i * 8 + p * 2 + d];
            assert_true(fabs(m) < 1e-12);
        }
        q += z[i * 8] * z[i * 8];
    }
    q /= n;
    print_message("var of a COM-free coordinate %.4f (want 0.75)\n", q);
    assert_true(fabs(q - 0.75) < 5 * 0.75 * sqrt(2.0 / n));
    free(z);
}

/* The sum of coordinate d over the 3 particles of replica r (3 particles in 2-D). */
static double particle_sum(const double *v, int r, int d) {
    double m = 0;
    for (int p = 0; p < 3; p++) m += v[r * 6 + p * 2 + d];
    return m;
}

/* One step with drift b moves x by exactly b dt + σ_k z with the z it reports, and in the
 * COM-free space the reported z and the new x are centred. */
BB_TEST(em_step_moves_by_drift_plus_reported_noise) {
    bb_sde_schedule s;
    bb_sde_schedule_geometric(&s, 1e-3, 2.0, NULL);
    bb_sde_space sp = {.P = 3, .D = 2, .com_free = 1};
    double x[12] = {0.1, -0.2, 0.3, 0.05, -0.4, 0.15, 1.0, 2.0, -1.5, 0.5, 0.5, -2.5};
    double x_old[12], b[12], z[12];
    /* centre the start, drift centred */
    for (int i = 0; i < 12; i++) b[i] = 0.7 * (i % 3) - 0.3 * (i % 2);
    for (int r = 0; r < 2; r++)
        for (int d = 0; d < 2; d++) {
            double m = particle_sum(x, r, d), mb = particle_sum(b, r, d);
            for (int p = 0; p < 3; p++) {
                x[r * 6 + p * 2 + d] -= m / 3;
                b[r * 6 + p * 2 + d] -= mb / 3;
            }
        }
    memcpy(x_old, x, sizeof x);
    bb_rng r;
    bb_rng_init(&r, 5, 5);
    const double t = 0.41, dt = 0.02, sk = bb_sde_step_std(&s, t, dt);
    bb_sde_em_step(&s, &sp, 2, t, dt, b, &r, x, z);
    double maxerr = 0;
    for (int i = 0; i < 12; i++) maxerr = fmax(maxerr, fabs(x[i] - x_old[i] - b[i] * dt - sk * z[i]));
    print_message("max |dx - b dt - sigma z| = %.3g\n", maxerr);
    assert_true(maxerr < 1e-14);
    for (int rr = 0; rr < 2; rr++)
        for (int d = 0; d < 2; d++)
            assert_true(fabs(particle_sum(x, rr, d)) < 1e-14 && fabs(particle_sum(z, rr, d)) < 1e-14);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(h2_is_the_integral_of_g_squared),
             cmocka_unit_test(schedules_reject_bad_sigmas_and_names_resolve),
             cmocka_unit_test(bridge_has_the_gaussian_bridge_moments),
             cmocka_unit_test(base_process_has_exact_marginal_and_covariance),
             cmocka_unit_test(com_free_noise_is_centred_with_projected_variance),
             cmocka_unit_test(em_step_moves_by_drift_plus_reported_noise))
