/* testutil.h — small task types shared by harness and method tests (closed-form targets),
 * and tasks made in one line. Include after cmocka.h. */
#ifndef BB_TESTUTIL_H
#define BB_TESTUTIL_H

#include <math.h>

#include "tasks/task.h"

/* A one-particle task type `var` in d dimensions at kT = 1 (reduced units) whose energy is
 * u = f(x, g) per configuration; f writes the gradient to g unless g is NULL. */
#define BB_TEST_TASK_TYPE(var, f, nm, desc, d, scale)                                                                  \
    static int var##_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {          \
        (void)t;                                                                                                       \
        (void)ctx;                                                                                                     \
        for (size_t i = 0; i < n; i++) u[i] = f(x + i * (d), g ? g + i * (d) : NULL);                                  \
        return BB_OK;                                                                                                  \
    }                                                                                                                  \
    static const bb_task_type var = {.name = nm,                                                                       \
                                     .version = 1,                                                                     \
                                     .description = desc,                                                              \
                                     .n_particles = 1,                                                                 \
                                     .dim = d,                                                                         \
                                     .kT = 1,                                                                          \
                                     .kT_unit = "reduced",                                                             \
                                     .init_scale = scale,                                                              \
                                     .energy = var##_energy};

/* 3-D Gaussian, u = ½ Σ x_d² / s_d² with s = (0.5, 1, 2.385): exact mean 0, var s². */
static const double bb_test_gauss_s[3] = {0.5, 1.0, 2.385};
static double bb_test_gauss_u(const double *x, double *g) {
    double e = 0;
    for (int d = 0; d < 3; d++) {
        double v = x[d] / (bb_test_gauss_s[d] * bb_test_gauss_s[d]);
        e += 0.5 * x[d] * v;
        if (g) g[d] = v;
    }
    return e;
}
BB_TEST_TASK_TYPE(bb_test_gauss, bb_test_gauss_u, "test-gauss3", "3-D Gaussian (test)", 3, 1.0)

/* 1-D two-mode mixture: weights 0.3 at −6 and 0.7 at +6, unit widths, u = −log p. */
static double bb_test_bimodal_u(const double *x, double *g) {
    double a = x[0] + 6.0, b = x[0] - 6.0;
    double la = log(0.3) - 0.5 * a * a, lb = log(0.7) - 0.5 * b * b;
    double m = la > lb ? la : lb;
    double s = exp(la - m) + exp(lb - m);
    if (g) g[0] = (exp(la - m) * a + exp(lb - m) * b) / s;
    return -(m + log(s)) + 0.5 * log(2 * M_PI);
}
BB_TEST_TASK_TYPE(bb_test_bimodal, bb_test_bimodal_u, "test-bimodal", "1-D bimodal mixture (test)", 1, 0.5)

/* Returns NaN energy when x[0] > 3 (a broken energy function). */
static double bb_test_nan_u(const double *x, double *g) {
    if (g) g[0] = x[0];
    return x[0] > 3.0 ? NAN : 0.5 * x[0] * x[0];
}
BB_TEST_TASK_TYPE(bb_test_nan, bb_test_nan_u, "test-nan", "NaN beyond x = 3 (test)", 1, 1.0)

/* A task of type tt, or by id, with default parameters; fails the test if it cannot be
 * made. */
static inline bb_task *bb_test_task_of(const bb_task_type *tt) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create_from_type(tt, NULL, &t, &c), BB_OK);
    return t;
}
static inline bb_task *bb_test_task(const char *id) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    return t;
}

#endif
