/* testutil.h — small helpers shared by the metric tests (not part of the product). */
#ifndef BB_TEST_METRICS_UTIL_H
#define BB_TEST_METRICS_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tasks/task.h"

/* Print the comparison, then fail if |got - want| > tol. */
#define CHECK_CLOSE(got, want, tol)                                                                                    \
    do {                                                                                                               \
        double g_ = (got), w_ = (want), t_ = (tol);                                                                    \
        printf("  %-40s got %.10g want %.10g |diff| %.3g tol %.3g\n", #got, g_, w_, fabs(g_ - w_), t_);                \
        assert_true(fabs(g_ - w_) <= t_);                                                                              \
    } while (0)

/* A task of P particles in D dimensions with every invariance (translation, rotation,
 * permutation) and no energy: enough for the geometry metrics. */
static inline bb_task bb_test_particle_task(int P, int D) {
    bb_task t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "fake%d_%d@1", P, D);
    t.n_particles = P;
    t.dim = D;
    t.dof = P * D;
    t.kT = 1.0;
    t.flags = BB_TASK_TRANSLATION_INV | BB_TASK_ROTATION_INV | BB_TASK_PERMUTATION_INV;
    return t;
}

#endif
