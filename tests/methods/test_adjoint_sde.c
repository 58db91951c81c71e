/* test_adjoint_sde.c — the shared SDE pieces (methods/sde/) used by Adjoint Sampling:
 * closed-form h²(t) against quadrature of g², argument checks, the bridge's mean and
 * variance, the base process reaching exactly N(0, h²(1)) with E[X_t X_1] = h²(t),
 * COM-free noise, the Euler–Maruyama step's drift and reported noise, and the
 * negative-time descent step on a Gaussian (exact geometric decay, the clipped step
 * length, centring and a rejected row left alone). */
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

/* Negative-time descent on u(x) = Σ_d x_d² / (2 s_d²), score −x_d / s_d²: unclipped, each
 * step multiplies x_d by exactly (1 − dt / s_d²), so N steps give x0_d (1 − dt / s_d²)^N
 * (the Euler discretisation of the gradient flow x0_d e^(−t / s_d²)); clipped, a step moves
 * x by dt · cap · |g| / (|g| + 1e-6) against the gradient g (DEM's clip factor). */
BB_TEST(descent_step_is_the_clipped_gradient_flow_of_a_gaussian) {
    const double sd[3] = {0.5, 1.0, 2.385}, x0[3] = {0.8, -1.3, 2.2}, dt = 0.01;
    const bb_sde_space sp = {.P = 1, .D = 3, .com_free = 0};
    double x[3] = {x0[0], x0[1], x0[2]}, sc[3];
    const int N = 50;
    for (int k = 0; k < N; k++) {
        for (int d = 0; d < 3; d++) sc[d] = -x[d] / (sd[d] * sd[d]);
        assert_int_equal(bb_sde_descent_step(&sp, 1, dt, 1e6, sc, x), 0);
    }
    for (int d = 0; d < 3; d++) {
        const double want = x0[d] * pow(1.0 - dt / (sd[d] * sd[d]), N);
        print_message("d %d: x %.15g, x0 (1 - dt/s^2)^N %.15g\n", d, x[d], want);
        assert_true(fabs(x[d] - want) <= 1e-13 * fabs(want));
    }
    /* clipped: a far point, cap 0.5 */
    double xf[3] = {30.0, -40.0, 10.0}, xo[3], g2 = 0.0;
    memcpy(xo, xf, sizeof xf);
    for (int d = 0; d < 3; d++) sc[d] = -xf[d] / (sd[d] * sd[d]), g2 += sc[d] * sc[d];
    const double cap = 0.5, len = dt * cap * sqrt(g2) / (sqrt(g2) + 1e-6);
    double gs[3] = {sc[0], sc[1], sc[2]};
    assert_int_equal(bb_sde_descent_step(&sp, 1, dt, cap, sc, xf), 1);
    double moved = 0.0, along = 0.0;
    for (int d = 0; d < 3; d++) {
        moved += (xf[d] - xo[d]) * (xf[d] - xo[d]);
        along += (xf[d] - xo[d]) * gs[d] / sqrt(g2); /* component along the score = −∇u */
    }
    print_message("clipped step length %.15g (want %.15g)\n", sqrt(moved), len);
    /* the step is recovered as a difference of coordinates near 40 (ulp 7e-15) */
    assert_true(fabs(sqrt(moved) - len) <= 1e-12 && fabs(along - len) <= 1e-12);
    /* particles: the step is centred; a row with a non-finite score stays */
    const bb_sde_space sq = {.P = 3, .D = 2, .com_free = 1};
    double xp[12] = {1, 2, -1, 0, 0, -2, 5, 5, 6, 6, 7, 7}, sp2[12] = {0.3, -0.1, 0.2, 0.4, -0.6, 0.1};
    for (int i = 6; i < 12; i++) sp2[i] = i == 9 ? INFINITY : 1.0;
    bb_sde_descent_step(&sq, 2, 0.1, 0.0, sp2, xp);
    for (int d = 0; d < 2; d++) assert_true(fabs(particle_sum(xp, 0, d)) < 1e-14);
    const double row1[6] = {5, 5, 6, 6, 7, 7};
    assert_memory_equal(xp + 6, row1, sizeof row1);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(h2_is_the_integral_of_g_squared),
             cmocka_unit_test(schedules_reject_bad_sigmas_and_names_resolve),
             cmocka_unit_test(bridge_has_the_gaussian_bridge_moments),
             cmocka_unit_test(base_process_has_exact_marginal_and_covariance),
             cmocka_unit_test(com_free_noise_is_centred_with_projected_variance),
             cmocka_unit_test(em_step_moves_by_drift_plus_reported_noise),
             cmocka_unit_test(descent_step_is_the_clipped_gradient_flow_of_a_gaussian))
