/* tasks_testutil.h — small helpers shared by the tests in tests/tasks (header-only).
 *
 * Random well-conditioned configurations, a 4-point finite-difference gradient and a
 * relative comparison. Not a test framework: each test program includes cmocka itself.
 */
#ifndef BB_TASKS_TESTUTIL_H
#define BB_TASKS_TESTUTIL_H

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "harness/core/rng.h"
#include "tasks/task.h"

/* Smallest pair distance of one configuration (P particles in D dims). */
static inline double tu_min_pair_distance(int P, int D, const double *x) {
    double best = INFINITY;
    for (int i = 0; i < P; i++)
        for (int j = i + 1; j < P; j++) {
            double r2 = 0.0;
            for (int d = 0; d < D; d++) {
                double v = x[i * D + d] - x[j * D + d];
                r2 += v * v;
            }
            if (r2 < best) best = r2;
        }
    return sqrt(best);
}

/* n configurations from the task's initial distribution; particle tasks are rescaled
 * (about their centre of mass) so that no pair is closer than dmin, which keeps the
 * energies O(100) and finite differences well conditioned. */
static inline void tu_random_configs(const bb_task *t, size_t n, uint64_t stream, double dmin, double *x) {
    bb_rng r;
    bb_rng_init(&r, 2385, stream);
    bb_ctx c = {0};
    bb_task_initial(t, n, &r, x, &c);
    if (t->n_particles < 2) return;
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * (size_t)t->dof;
        double m = tu_min_pair_distance(t->n_particles, t->dim, xi);
        if (m < dmin)
            for (int k = 0; k < t->dof; k++) xi[k] *= dmin / m;
    }
}

/* ∂u/∂x_k of configuration x by the 4-point central stencil
 * (−u(x+2h) + 8u(x+h) − 8u(x−h) + u(x−2h)) / 12h, truncation error O(h⁴). */
static inline double tu_fd(const bb_task *t, double *x, int k, double h) {
    double f[4], off[4] = {2 * h, h, -h, -2 * h};
    double x0 = x[k];
    bb_ctx c = {0};
    for (int s = 0; s < 4; s++) {
        x[k] = x0 + off[s];
        t->type->energy(t, 1, x, &f[s], NULL, &c);
    }
    x[k] = x0;
    return (-f[0] + 8.0 * f[1] - 8.0 * f[2] + f[3]) / (12.0 * h);
}

static inline double tu_rel(double a, double b) {
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) / (s > 1.0 ? s : 1.0);
}

#endif
