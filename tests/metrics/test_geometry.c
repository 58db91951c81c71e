/* test_geometry.c — dist_w2, dist_tv, x_w2 and eq_x_w2 through bb_metrics_compute on
 * hand-built particle sets with known answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <omp.h>

#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/core/rng.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

static double value_of(cJSON *out, const char *name) {
    cJSON *o = cJSON_GetObjectItem(out, name);
    assert_non_null(o);
    cJSON *v = cJSON_GetObjectItem(o, "value");
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Equilateral triangle (side 1) against a 3-4-5 triangle: the distance multisets are
 * {1,1,1} and {3,4,5} → dist_w2² = (4 + 9 + 16)/3; all sample mass lies below the
 * reference's [3, 5] grid → dist_tv = 1. */
BB_TEST(distance_metrics_match_hand_values) {
    bb_task t = bb_test_particle_task(3, 2);
    double xs[6] = {0.0, 0.0, 1.0, 0.0, 0.5, sqrt(3.0) / 2.0};
    double xr[6] = {0.0, 0.0, 3.0, 0.0, 0.0, 4.0};
    bb_samples s = {1, 6, xs, NULL}, r = {1, 6, xr, NULL};
    bb_eval_input in = {&t, &s, NULL, &r, NULL, 1, 0, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 1, out, &c), BB_OK);
    CHECK_CLOSE(value_of(out, "dist_w2"), sqrt(29.0 / 3.0), 1e-14);
    CHECK_CLOSE(value_of(out, "dist_tv"), 1.0, 1e-15);
    assert_null(cJSON_GetObjectItem(out, "x_w2")); /* not cheap */
    cJSON_Delete(out);
}

static void random_config(bb_rng *r, int n, double *x) {
    for (int k = 0; k < n; k++) x[k] = 1.3 * bb_rng_normal(r);
}

static void rotate_permute(bb_rng *r, int P, int D, const double *x, double *y) {
    /* random orthogonal map (Gram-Schmidt of a Gaussian matrix, so reflections occur),
     * a random permutation and a shift */
    double Q[9];
    for (int k = 0; k < D * D; k++) Q[k] = bb_rng_normal(r);
    for (int a = 0; a < D; a++) {
        for (int b = 0; b < a; b++) {
            double d = 0.0;
            for (int k = 0; k < D; k++) d += Q[a * D + k] * Q[b * D + k];
            for (int k = 0; k < D; k++) Q[a * D + k] -= d * Q[b * D + k];
        }
        double nrm = 0.0;
        for (int k = 0; k < D; k++) nrm += Q[a * D + k] * Q[a * D + k];
        for (int k = 0; k < D; k++) Q[a * D + k] /= sqrt(nrm);
    }
    int perm[16];
    for (int i = 0; i < P; i++) perm[i] = i;
    for (int i = P - 1; i > 0; i--) {
        int j = (int)bb_rng_below(r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < P; i++)
        for (int a = 0; a < D; a++) {
            double v = 0.25;
            for (int b = 0; b < D; b++) v += Q[a * D + b] * x[perm[i] * D + b];
            y[i * D + a] = v;
        }
}

/* Samples = a set; reference = the same configurations rotated, reflected, permuted
 * and shifted, in another order. x_w2 sees a difference, eq_x_w2 must be 0. */
BB_TEST(eq_x_w2_is_zero_for_symmetry_copies) {
    int shapes[2][2] = {{4, 2}, {13, 3}}; /* DW-4 (exhaustive), LJ-13 (multi-start) */
    for (int sh = 0; sh < 2; sh++) {
        int P = shapes[sh][0], D = shapes[sh][1], dof = P * D;
        size_t n = sh == 0 ? 60 : 40;
        bb_task t = bb_test_particle_task(P, D);
        bb_samples s, r;
        assert_int_equal(bb_samples_alloc(&s, n, (size_t)dof, 0), BB_OK);
        assert_int_equal(bb_samples_alloc(&r, n, (size_t)dof, 0), BB_OK);
        bb_rng g;
        bb_rng_init(&g, 77, 1);
        for (size_t i = 0; i < n; i++) random_config(&g, dof, s.x + i * dof);
        for (size_t i = 0; i < n; i++) rotate_permute(&g, P, D, s.x + i * dof, r.x + ((i * 7) % n) * dof);
        bb_eval_input in = {&t, &s, NULL, &r, NULL, 3, 1, 0, NULL, 0};
        cJSON *out = cJSON_CreateObject();
        bb_ctx c = {0};
        assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
        double x = value_of(out, "x_w2"), e = value_of(out, "eq_x_w2");
        printf("  P=%d D=%d: x_w2 %.4f eq_x_w2 %.3g floor(eq) %.4f\n", P, D, x, e,
               cJSON_GetObjectItem(cJSON_GetObjectItem(out, "eq_x_w2"), "floor_ref_vs_ref")->valuedouble);
        assert_true(x > 1.0);
        CHECK_CLOSE(e, 0.0, 1e-6);
        assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "x_w2"), "ci95"));
        cJSON_Delete(out);
        bb_samples_free(&s);
        bb_samples_free(&r);
    }
}

/* x_w2 of a set against itself is 0; zero-weight and rejected configurations do not
 * count; the floor is reported and positive. */
BB_TEST(x_w2_ignores_zero_weights_and_rejected_configurations) {
    int P = 4, D = 2, dof = 8;
    size_t n = 50;
    bb_task t = bb_test_particle_task(P, D);
    bb_samples s, r;
    assert_int_equal(bb_samples_alloc(&s, 2 * n + 1, (size_t)dof, 1), BB_OK);
    assert_int_equal(bb_samples_alloc(&r, n, (size_t)dof, 0), BB_OK);
    bb_rng g;
    bb_rng_init(&g, 78, 1);
    for (size_t i = 0; i < n; i++) random_config(&g, dof, r.x + i * dof);
    double *us = calloc(2 * n + 1, sizeof *us);
    for (size_t i = 0; i < n; i++) {
        memcpy(s.x + (2 * i) * dof, r.x + i * dof, (size_t)dof * sizeof(double));
        random_config(&g, dof, s.x + (2 * i + 1) * dof);
        s.logw[2 * i] = 0.3;
        s.logw[2 * i + 1] = -INFINITY;
    }
    for (int k = 0; k < dof; k++) s.x[2 * n * dof + k] = 1e6; /* a blown-up configuration */
    us[2 * n] = INFINITY;
    bb_eval_input in = {&t, &s, us, &r, NULL, 4, 0, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
    CHECK_CLOSE(value_of(out, "x_w2"), 0.0, 1e-12);
    cJSON *o = cJSON_GetObjectItem(out, "x_w2");
    assert_int_equal(cJSON_GetObjectItem(o, "n_rejected")->valueint, 1);
    assert_true(cJSON_GetObjectItem(o, "floor_ref_vs_ref")->valuedouble > 0.5);
    assert_int_equal(cJSON_GetObjectItem(o, "floor_n")->valueint, 25);
    CHECK_CLOSE(value_of(out, "dist_w2"), 0.0, 1e-12);
    CHECK_CLOSE(value_of(out, "eq_x_w2"), 0.0, 1e-9);
    cJSON_Delete(out);
    s.x[3] = NAN;
    out = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK); /* the entries carry the error */
    const cJSON *xe = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "x_w2"), "error");
    assert_true(cJSON_IsString(xe));
    printf("  error: %s\n", xe->valuestring);
    assert_non_null(strstr(xe->valuestring, "non-finite coordinate"));
    cJSON_Delete(out);
    free(us);
    bb_samples_free(&s);
    bb_samples_free(&r);
}

/* Same seed, 1 or 2 threads: the whole metric object must be byte-identical (every
 * metric with CIs, weighted samples, rejected configurations, 13 particles so the
 * multi-start alignment and the sparse assignment path are used). */
BB_TEST(all_metrics_are_identical_on_1_and_2_threads) {
    int P = 13, D = 3, dof = 39;
    size_t n = 140; /* >= 128: the sparse assignment path */
    bb_task t = bb_test_particle_task(P, D);
    bb_samples s, r;
    assert_int_equal(bb_samples_alloc(&s, n, (size_t)dof, 1), BB_OK);
    assert_int_equal(bb_samples_alloc(&r, n, (size_t)dof, 0), BB_OK);
    double *us = malloc(n * sizeof *us), *ur = malloc(n * sizeof *ur);
    bb_rng g;
    bb_rng_init(&g, 91, 1);
    for (size_t i = 0; i < n * (size_t)dof; i++) {
        s.x[i] = bb_rng_normal(&g);
        r.x[i] = 1.1 * bb_rng_normal(&g);
    }
    for (size_t i = 0; i < n; i++) {
        s.logw[i] = 0.3 * bb_rng_normal(&g);
        us[i] = bb_rng_normal(&g);
        ur[i] = 0.5 + bb_rng_normal(&g);
    }
    us[7] = INFINITY;
    bb_eval_input in = {&t, &s, us, &r, ur, 12345, 1, 0, NULL, 0};
    char *txt[2];
    for (int th = 1; th <= 2; th++) {
        omp_set_num_threads(th);
        cJSON *out = cJSON_CreateObject();
        bb_ctx c = {0};
        assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
        txt[th - 1] = cJSON_PrintUnformatted(out);
        cJSON_Delete(out);
    }
    printf("  %zu bytes of metrics, identical: %s\n", strlen(txt[0]), strcmp(txt[0], txt[1]) == 0 ? "yes" : "NO");
    assert_string_equal(txt[0], txt[1]);
    assert_non_null(strstr(txt[0], "\"eq_x_w2\""));
    assert_non_null(strstr(txt[0], "\"sinkhorn\""));
    free(txt[0]);
    free(txt[1]);
    free(us);
    free(ur);
    bb_samples_free(&s);
    bb_samples_free(&r);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(distance_metrics_match_hand_values),
             cmocka_unit_test(eq_x_w2_is_zero_for_symmetry_copies),
             cmocka_unit_test(x_w2_ignores_zero_weights_and_rejected_configurations),
             cmocka_unit_test(all_metrics_are_identical_on_1_and_2_threads))
