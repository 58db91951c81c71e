/* testutil.h — small task types shared by harness and method tests (closed-form targets). */
#ifndef BB_TESTUTIL_H
#define BB_TESTUTIL_H

#include <math.h>

#include "tasks/task.h"

/* 3-D Gaussian, u = ½ Σ x_d² / s_d² with s = (0.5, 1, 2.385): exact mean 0, var s². */
static const double bb_test_gauss_s[3] = {0.5, 1.0, 2.385};
static int bb_test_gauss_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double e = 0;
        for (int d = 0; d < 3; d++) {
            double v = x[i * 3 + d] / (bb_test_gauss_s[d] * bb_test_gauss_s[d]);
            e += 0.5 * x[i * 3 + d] * v;
            if (g) g[i * 3 + d] = v;
        }
        u[i] = e;
    }
    return BB_OK;
}
static const bb_task_type bb_test_gauss = {
    .name = "test-gauss3",
    .version = 1,
    .description = "3-D Gaussian (test)",
    .n_particles = 1,
    .dim = 3,
    .kT = 1,
    .kT_unit = "reduced",
    .init_scale = 1.0,
    .energy = bb_test_gauss_energy,
};

/* 1-D two-mode mixture: weights 0.3 at −6 and 0.7 at +6, unit widths, u = −log p. */
static int bb_test_bimodal_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double a = x[i] + 6.0, b = x[i] - 6.0;
        double la = log(0.3) - 0.5 * a * a, lb = log(0.7) - 0.5 * b * b;
        double m = la > lb ? la : lb;
        double s = exp(la - m) + exp(lb - m);
        u[i] = -(m + log(s)) + 0.5 * log(2 * M_PI);
        if (g) g[i] = (exp(la - m) * a + exp(lb - m) * b) / s;
    }
    return BB_OK;
}
static const bb_task_type bb_test_bimodal = {
    .name = "test-bimodal",
    .version = 1,
    .description = "1-D bimodal mixture (test)",
    .n_particles = 1,
    .dim = 1,
    .kT = 1,
    .kT_unit = "reduced",
    .init_scale = 0.5,
    .energy = bb_test_bimodal_energy,
};

/* Returns NaN energy when x[0] > 3 (a broken energy function). */
static int bb_test_nan_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        u[i] = x[i] > 3.0 ? NAN : 0.5 * x[i] * x[i];
        if (g) g[i] = x[i];
    }
    return BB_OK;
}
static const bb_task_type bb_test_nan = {
    .name = "test-nan",
    .version = 1,
    .description = "NaN beyond x = 3 (test)",
    .n_particles = 1,
    .dim = 1,
    .kT = 1,
    .kT_unit = "reduced",
    .init_scale = 1.0,
    .energy = bb_test_nan_energy,
};

#endif
