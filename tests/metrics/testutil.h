/* testutil.h — small helpers shared by the metric tests (not part of the product). */
#ifndef BB_TEST_METRICS_UTIL_H
#define BB_TEST_METRICS_UTIL_H

#include <math.h>
#include <stdio.h>

/* Print the comparison, then fail if |got - want| > tol. */
#define CHECK_CLOSE(got, want, tol)                                                                                    \
    do {                                                                                                               \
        double g_ = (got), w_ = (want), t_ = (tol);                                                                    \
        printf("  %-40s got %.10g want %.10g |diff| %.3g tol %.3g\n", #got, g_, w_, fabs(g_ - w_), t_);                \
        assert_true(fabs(g_ - w_) <= t_);                                                                              \
    } while (0)

#endif
