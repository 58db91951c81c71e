/* test_gmm_dw.c — GMM-40 and DW-4 against closed forms and exact samples.
 *
 *   GMM-40: the stored means are exactly what the documented Philox draw gives (bitwise);
 *   u equals a naive −log of the mixture sum to 1e-12; exp(−u) integrates to 1 within
 *   1e-6 (midpoint rule, step 0.1 over [−50, 50]², Gaussians of std 1.31 are resolved to
 *   far below that); a histogram of 200 000 exact samples in 18×18 bins matches the
 *   integrated density in every bin within 5 standard deviations (+1 count).
 *   DW-4: a square of side 4 and one of side 4 + √(20/9) (the well), four coincident
 *   particles, values worked out by hand below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"
#include "tasks/task.h"
#include "tests/tasks/tasks_testutil.h"
#include "tests/testmain.h"

const double *bb_gmm40_means(void); /* tasks/gmm.c (internal) */

#define S_GMM 1.3132616875182228

static bb_task *make(const char *id) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    return t;
}

BB_TEST(the_gmm_means_are_the_documented_philox_draw) {
    const double *mu = bb_gmm40_means();
    bb_rng r;
    bb_rng_init(&r, 40, 0x70000000u);
    for (int k = 0; k < 80; k++) {
        double v = -40.0 + 80.0 * bb_rng_uniform(&r);
        assert_memory_equal(&v, &mu[k], sizeof v);
    }
    assert_true(fabs(S_GMM - log1p(exp(1.0))) < 1e-15); /* softplus(1) */
}

BB_TEST(gmm_energy_is_minus_log_of_the_normalised_mixture) {
    bb_task *t = make("gmm40");
    const double *mu = bb_gmm40_means();
    double pts[5][2] = {{mu[0], mu[1]}, {0.0, 0.0}, {2.385, -7.1}, {mu[20] + 0.3, mu[21] - 1.1}, {-39.5, 41.2}};
    bb_ctx c = {0};
    for (int i = 0; i < 5; i++) {
        double p = 0.0, u;
        for (int k = 0; k < 40; k++) {
            double d0 = pts[i][0] - mu[2 * k], d1 = pts[i][1] - mu[2 * k + 1];
            p += exp(-(d0 * d0 + d1 * d1) / (2 * S_GMM * S_GMM)) / (2 * M_PI * S_GMM * S_GMM) / 40.0;
        }
        assert_int_equal(t->type->energy(t, 1, pts[i], &u, NULL, &c), BB_OK);
        printf("u(%.3f, %.3f) = %.15f, naive %.15f\n", pts[i][0], pts[i][1], u, -log(p));
        assert_true(tu_rel(u, -log(p)) < 1e-12);
    }
    /* Far away every exponent underflows: +inf and a zero gradient, not NaN. */
    double far[2] = {1e200, -3e199}, u, g[2];
    assert_int_equal(t->type->energy(t, 1, far, &u, g, &c), BB_OK);
    assert_true(isinf(u) && u > 0 && g[0] == 0.0 && g[1] == 0.0);
    bb_task_free(t);
}

BB_TEST(gmm_density_integrates_to_one) {
    bb_task *t = make("gmm40");
    const double h = 0.1, lo = -50.0;
    const int n = 1000;
    double *row = malloc(sizeof(double) * 2 * n), *u = malloc(sizeof(double) * n);
    double sum = 0.0;
    bb_ctx c = {0};
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) row[2 * j] = lo + (i + 0.5) * h, row[2 * j + 1] = lo + (j + 0.5) * h;
        t->type->energy(t, (size_t)n, row, u, NULL, &c);
        for (int j = 0; j < n; j++) sum += exp(-u[j]);
    }
    sum *= h * h;
    printf("integral of exp(-u) over [-50,50]^2 = %.12f (tol 1e-6)\n", sum);
    assert_true(fabs(sum - 1.0) < 1e-6);
    free(row);
    free(u);
    bb_task_free(t);
}

BB_TEST(gmm_exact_samples_follow_the_density) {
    bb_task *t = make("gmm40");
    enum { NS = 200000, NBIN = 18, SUB = 50 };
    const double lo = -45.0, w = 5.0, hs = w / SUB;
    double *x = malloc(sizeof(double) * 2 * NS);
    bb_rng r;
    bb_rng_init(&r, 2385, 0x4000);
    bb_ctx c = {0};
    assert_int_equal(t->type->sample_exact(t, NS, &r, x, &c), BB_OK);
    static long count[NBIN][NBIN];
    memset(count, 0, sizeof count);
    long outside = 0;
    for (int i = 0; i < NS; i++) {
        int a = (int)floor((x[2 * i] - lo) / w), b = (int)floor((x[2 * i + 1] - lo) / w);
        if (a < 0 || b < 0 || a >= NBIN || b >= NBIN)
            outside++;
        else
            count[a][b]++;
    }
    double worst = 0.0, pts[2 * SUB], u[SUB];
    for (int a = 0; a < NBIN; a++)
        for (int b = 0; b < NBIN; b++) {
            double p = 0.0; /* midpoint rule inside the bin */
            for (int s1 = 0; s1 < SUB; s1++) {
                for (int s2 = 0; s2 < SUB; s2++)
                    pts[2 * s2] = lo + a * w + (s1 + 0.5) * hs, pts[2 * s2 + 1] = lo + b * w + (s2 + 0.5) * hs;
                t->type->energy(t, SUB, pts, u, NULL, &c);
                for (int s2 = 0; s2 < SUB; s2++) p += exp(-u[s2]) * hs * hs;
            }
            double mean = NS * p, sd = sqrt(NS * p * (1.0 - p));
            double z = (fabs((double)count[a][b] - mean) - 1.0) / (sd > 0 ? sd : 1.0);
            if (z > worst) worst = z;
            assert_true(fabs((double)count[a][b] - mean) <= 5.0 * sd + 1.0);
        }
    printf("exact-sample histogram: worst bin %.2f sd (tol 5), %ld of %d outside the grid\n", worst, outside, NS);
    assert_true(outside <= 2);
    free(x);
    bb_task_free(t);
}

/* DW-4 pair term f(d) = 0.9 (d − 4)⁴ − 4 (d − 4)². */
BB_TEST(dw4_has_the_hand_computed_values) {
    bb_task *t = make("dw4");
    bb_ctx c = {0};
    double u, g[8];
    /* Square of side 4: sides f(4) = 0; diagonals d = 4√2, s = 4√2 − 4, s² = 48 − 32√2,
     * s⁴ = 4352 − 3072√2, f = 0.9 s⁴ − 4 s² = 3724.8 − 2636.8√2; u = 2f = 7449.6 − 5273.6√2. */
    double sq[8] = {0.1, 0.2, 4.1, 0.2, 4.1, 4.2, 0.1, 4.2};
    assert_int_equal(t->type->energy(t, 1, sq, &u, g, &c), BB_OK);
    printf("dw4 square of side 4: %.15f, hand %.15f\n", u, 7449.6 - 5273.6 * sqrt(2.0));
    assert_true(fabs(u - (7449.6 - 5273.6 * sqrt(2.0))) < 1e-11);
    /* Square of side L = 4 + √(20/9) (f'(L) = 0: 4·0.9 s³ = 8 s ⇒ s² = 20/9, f = 0.9·400/81 −
     * 80/9 = −40/9 per side); diagonals D = L√2 with f(D) from the same polynomial. */
    double L = 4.0 + sqrt(20.0 / 9.0), D = L * sqrt(2.0), sD = D - 4.0;
    double well[8] = {0, 0, L, 0, L, L, 0, L};
    double expect = 4.0 * (-40.0 / 9.0) + 2.0 * (0.9 * pow(sD, 4) - 4.0 * sD * sD);
    assert_int_equal(t->type->energy(t, 1, well, &u, g, &c), BB_OK);
    assert_true(tu_rel(u, expect) < 1e-13);
    /* Four coincident particles: 6 pairs × f(0) = 6 × (0.9·256 − 4·16) = 6 × 166.4 = 998.4,
     * finite, with a zero gradient (symmetric subgradient at the cone point). */
    double same[8] = {1.5, -2.5, 1.5, -2.5, 1.5, -2.5, 1.5, -2.5};
    assert_int_equal(t->type->energy(t, 1, same, &u, g, &c), BB_OK);
    assert_true(fabs(u - 998.4) < 1e-12);
    for (int k = 0; k < 8; k++) assert_true(g[k] == 0.0);
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(the_gmm_means_are_the_documented_philox_draw),
             cmocka_unit_test(gmm_energy_is_minus_log_of_the_normalised_mixture),
             cmocka_unit_test(gmm_density_integrates_to_one), cmocka_unit_test(gmm_exact_samples_follow_the_density),
             cmocka_unit_test(dw4_has_the_hand_computed_values))
