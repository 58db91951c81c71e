/* test_energy.c — 1-D optimal transport, histograms/TV, the bootstrap and the energy
 * metrics (energy_w2, energy_w1, energy_tv, energy_histogram) against hand-computed
 * and closed-form values.
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

/* Unequal sizes, worked by hand: a = {0, 1}, b = {0, 0.5, 1.5}; the quantile
 * functions differ by 0.5 on [1/3, 1) → W2² = 2/3 · 0.25 = 1/6, W1 = 2/3 · 0.5. */
BB_TEST(w1d_matches_hand_computed_values_for_unequal_sizes) {
    bb_ctx c = {0};
    double a[] = {1.0, 0.0}, b[] = {1.5, 0.0, 0.5}, v;
    assert_int_equal(bb_w1d_pow(2, a, NULL, 3, b, NULL, 2.0, &v, &c), BB_OK);
    CHECK_CLOSE(v, 1.0 / 6.0, 1e-15);
    assert_int_equal(bb_w1d_pow(2, a, NULL, 3, b, NULL, 1.0, &v, &c), BB_OK);
    CHECK_CLOSE(v, 1.0 / 3.0, 1e-15);
    assert_int_equal(bb_w1d_pow(3, b, NULL, 2, a, NULL, 3.0, &v, &c), BB_OK);
    CHECK_CLOSE(v, 2.0 / 3.0 * 0.125, 1e-15);
}

/* Weights {3, 1} on {0, 1} against equal weights: the CDFs differ by 1/4 on [0, 1). */
BB_TEST(w1d_uses_importance_weights) {
    bb_ctx c = {0};
    double a[] = {0.0, 1.0}, wa[] = {3.0, 1.0}, b[] = {0.0, 1.0}, v;
    assert_int_equal(bb_w1d_pow(2, a, wa, 2, b, NULL, 2.0, &v, &c), BB_OK);
    CHECK_CLOSE(v, 0.25, 1e-15);
    assert_int_equal(bb_w1d_pow(2, a, wa, 2, b, NULL, 1.0, &v, &c), BB_OK);
    CHECK_CLOSE(v, 0.25, 1e-15);
}

BB_TEST(w1d_rejects_bad_input) {
    bb_ctx c = {0};
    double a[] = {0.0, NAN}, b[] = {1.0}, w0[] = {0.0, 0.0}, v = -1.0;
    assert_int_equal(bb_w1d_pow(2, a, NULL, 1, b, NULL, 2.0, &v, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "not finite"));
    a[1] = 2.0;
    assert_int_equal(bb_w1d_pow(2, a, w0, 1, b, NULL, 2.0, &v, &c), BB_EINVAL);
    assert_int_equal(bb_w1d_pow(0, a, NULL, 1, b, NULL, 2.0, &v, &c), BB_EINVAL);
    assert_int_equal(bb_w1d_pow(2, a, NULL, 1, b, NULL, 0.5, &v, &c), BB_EINVAL);
    assert_true(v == -1.0);
}

/* W2(N(m1, s1²), N(m2, s2²)) = sqrt((m1 − m2)² + (s1 − s2)²). With n = m = 40000
 * the empirical W2 has a Monte-Carlo error of about 0.01 here (measured over seeds);
 * tolerance 0.03. */
BB_TEST(w2_between_gaussians_matches_closed_form) {
    size_t n = 40000, m = 30000;
    double *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    bb_rng r;
    bb_rng_init(&r, 2385, 1);
    for (size_t i = 0; i < n; i++) a[i] = 0.3 + 1.0 * bb_rng_normal(&r);
    for (size_t i = 0; i < m; i++) b[i] = -0.7 + 1.6 * bb_rng_normal(&r);
    bb_ctx c = {0};
    double v;
    assert_int_equal(bb_w1d_pow(n, a, NULL, m, b, NULL, 2.0, &v, &c), BB_OK);
    CHECK_CLOSE(sqrt(v), sqrt(1.0 + 0.36), 0.03);
    /* Importance weights: a ~ N(0.3, 1) reweighted to N(1.3, 1), w ∝ exp(x − 0.3 − 0.5). */
    double *w = malloc(n * sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++) w[i] = exp(a[i] - 0.8);
    for (size_t i = 0; i < m; i++) b[i] = 1.3 + bb_rng_normal(&r);
    assert_int_equal(bb_w1d_pow(n, a, w, m, b, NULL, 2.0, &v, &c), BB_OK);
    CHECK_CLOSE(sqrt(v), 0.0, 0.06);
    free(a);
    free(b);
    free(w);
}

BB_TEST(histogram_grid_comes_from_reference_with_overflow_cells) {
    bb_ctx c = {0};
    double rv[] = {0.0, 1.0, 2.0, 4.0}, sv[] = {-1.0, 0.5, 4.0, 9.0};
    bb_wset ref = {4, 1, rv, NULL}, s = {4, 1, sv, NULL};
    bb_hgrid g;
    assert_int_equal(bb_hgrid_from(&ref, 4, &g, &c), BB_OK);
    assert_true(g.lo == 0.0 && g.hi == 4.0 && g.nbins == 4);
    double m[6];
    assert_int_equal(bb_hist_mass(&g, &s, m, &c), BB_OK);
    double want[6] = {0.25, 0.25, 0.0, 0.0, 0.25, 0.25};
    for (int i = 0; i < 6; i++) CHECK_CLOSE(m[i], want[i], 0.0);
    /* ref cells {0,1,2,4}: [0,1)∋0, [1,2)∋1, [2,3)∋2, [3,4]∋4 → 1/4 each in bins 1..4. */
    double tv;
    assert_int_equal(bb_hist_tv(&g, &s, &ref, &tv, &c), BB_OK);
    CHECK_CLOSE(tv, 0.5 * (0.25 + 0.0 + 0.25 + 0.25 + 0.0 + 0.25), 1e-15);
    assert_int_equal(bb_hist_tv(&g, &ref, &ref, &tv, &c), BB_OK);
    CHECK_CLOSE(tv, 0.0, 0.0);
    double one[] = {3.0};
    bb_wset single = {1, 1, one, NULL};
    assert_int_equal(bb_hgrid_from(&single, 10, &g, &c), BB_OK);
    assert_true(g.lo == 2.5 && g.hi == 3.5);
    assert_int_equal(bb_hgrid_from(&single, 0, &g, &c), BB_EINVAL);
}

BB_TEST(energy_set_excludes_rejected_and_rejects_nan) {
    bb_ctx c = {0};
    double u[] = {1.0, INFINITY, 3.0}, lw[] = {0.0, 5.0, log(2.0)};
    bb_wset s;
    size_t rej;
    assert_int_equal(bb_wset_energies(3, u, lw, "u", &s, &rej, &c), BB_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(rej, 1);
    CHECK_CLOSE(s.v[1], 3.0, 0.0);
    CHECK_CLOSE(s.w[1] / s.w[0], 2.0, 1e-15);
    CHECK_CLOSE(bb_kish_ess(s.n, s.w), 9.0 / 5.0, 1e-15);
    bb_wset_free(&s);
    bb_wset_free(NULL);
    u[1] = NAN;
    assert_int_equal(bb_wset_energies(3, u, NULL, "u", &s, &rej, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "energy 1 is NaN"));
    u[1] = 0.0;
    lw[2] = INFINITY;
    assert_int_equal(bb_wset_energies(3, u, lw, "u", &s, &rej, &c), BB_ENAN);
    CHECK_CLOSE(bb_kish_ess(7, NULL), 7.0, 0.0);
}

BB_TEST(quantiles_interpolate_like_numpy) {
    double x[] = {1.0, 2.0, 4.0, 8.0};
    CHECK_CLOSE(bb_quantile_sorted(x, 4, 0.5), 3.0, 1e-15);
    CHECK_CLOSE(bb_quantile_sorted(x, 4, 0.025), 1.075, 1e-14);
    CHECK_CLOSE(bb_quantile_sorted(x, 4, 1.0), 8.0, 0.0);
    CHECK_CLOSE(bb_quantile_sorted(x, 1, 0.3), 1.0, 0.0);
}

static int stat_mean(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)b;
    (void)user;
    (void)ctx;
    double s = 0.0;
    for (size_t i = 0; i < a->n; i++) s += a->v[i];
    *out = s / (double)a->n;
    return BB_OK;
}

/* The bootstrap CI of a mean of N(0, 1) draws has half-width ≈ 1.96/√n; with 200
 * resamples its ends are within ~15% of that. It must also be bit-identical on 1
 * and 2 threads. */
BB_TEST(bootstrap_ci_of_a_mean_has_the_normal_width_and_is_thread_independent) {
    size_t n = 4000;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    bb_rng r;
    bb_rng_init(&r, 11, 2);
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) mean += (v[i] = bb_rng_normal(&r));
    mean /= (double)n;
    bb_wset a = {n, 1, v, NULL};
    bb_ctx c = {0};
    double ci1[2], ci2[2];
    omp_set_num_threads(1);
    assert_int_equal(bb_bootstrap2(&a, NULL, 0, stat_mean, NULL, 200, 7, 0x50000000u, ci1, &c), BB_OK);
    omp_set_num_threads(2);
    assert_int_equal(bb_bootstrap2(&a, NULL, 0, stat_mean, NULL, 200, 7, 0x50000000u, ci2, &c), BB_OK);
    assert_memory_equal(ci1, ci2, sizeof ci1);
    double hw = 1.96 / sqrt((double)n);
    CHECK_CLOSE(0.5 * (ci1[1] - ci1[0]), hw, 0.2 * hw);
    assert_true(ci1[0] < mean && mean < ci1[1]);
    assert_int_equal(bb_bootstrap2(&a, NULL, 0, stat_mean, NULL, 1, 7, 0, ci1, &c), BB_EINVAL);
    free(v);
}

static int stat_w2(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)user;
    int rc = bb_wset_w1d_pow(a, b, 2.0, out, ctx);
    *out = sqrt(*out);
    return rc;
}

/* The sort-once bootstrap of W2 must give the generic resampling bootstrap's interval
 * (same draws), also for weighted sets with K = 3 values per item. */
BB_TEST(w1d_bootstrap_equals_the_generic_bootstrap) {
    size_t n = 300, m = 500;
    double *va = malloc(n * 3 * sizeof *va), *wa = malloc(n * sizeof *wa), *vb = malloc(m * 3 * sizeof *vb);
    bb_rng r;
    bb_rng_init(&r, 17, 1);
    for (size_t i = 0; i < n * 3; i++) va[i] = bb_rng_normal(&r);
    for (size_t i = 0; i < n; i++) wa[i] = bb_rng_uniform(&r);
    for (size_t i = 0; i < m * 3; i++) vb[i] = 0.4 + 1.2 * bb_rng_normal(&r);
    bb_wset a = {n, 3, va, wa}, b = {m, 3, vb, NULL};
    bb_ctx c = {0};
    double ci1[2], ci2[2];
    assert_int_equal(bb_bootstrap2(&a, &b, 1, stat_w2, NULL, 100, 3, 0x50010000u, ci1, &c), BB_OK);
    assert_int_equal(bb_w1d_bootstrap(&a, &b, 2.0, 100, 3, 0x50010000u, ci2, &c), BB_OK);
    CHECK_CLOSE(ci2[0], ci1[0], 1e-12);
    CHECK_CLOSE(ci2[1], ci1[1], 1e-12);
    assert_int_equal(bb_w1d_bootstrap(&a, &b, 0.5, 100, 3, 0, ci2, &c), BB_EINVAL);
    free(va);
    free(wa);
    free(vb);
}

/* One configuration per sample (dof 1) so the energies can be anything. */
static void make_input(bb_samples *s, bb_samples *ref, double **us, double **ur, size_t n) {
    assert_int_equal(bb_samples_alloc(s, n, 1, 1), BB_OK);
    assert_int_equal(bb_samples_alloc(ref, n, 1, 0), BB_OK);
    *us = malloc(n * sizeof **us);
    *ur = malloc(n * sizeof **ur);
    assert_non_null(*us);
    assert_non_null(*ur);
    bb_rng r;
    bb_rng_init(&r, 5, 3);
    for (size_t i = 0; i < n; i++) {
        (*us)[i] = 2.385 + bb_rng_normal(&r);
        (*ur)[i] = 2.0 + 1.5 * bb_rng_normal(&r);
        s->logw[i] = 0.1 * bb_rng_normal(&r);
    }
    (*us)[3] = INFINITY;
    (*us)[17] = INFINITY;
}

BB_TEST(energy_metrics_write_the_documented_schema) {
    size_t n = 3000;
    bb_samples s, ref;
    double *us, *ur;
    make_input(&s, &ref, &us, &ur, n);
    bb_eval_input in = {NULL, &s, us, &ref, ur, 42, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 1, out, &c), BB_OK);
    const char *names[] = {"energy_w2", "energy_w1", "energy_tv"};
    for (int k = 0; k < 3; k++) {
        cJSON *o = cJSON_GetObjectItem(out, names[k]);
        assert_non_null(o);
        double v = cJSON_GetObjectItem(o, "value")->valuedouble;
        cJSON *ci = cJSON_GetObjectItem(o, "ci95");
        assert_non_null(ci);
        double lo = cJSON_GetArrayItem(ci, 0)->valuedouble, hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
        printf("  %s = %.5f  ci95 [%.5f, %.5f]\n", names[k], v, lo, hi);
        assert_true(lo < hi && lo < v + 0.05 && v - 0.05 < hi);
        assert_int_equal(cJSON_GetObjectItem(o, "n_samples")->valueint, (int)n - 2);
        assert_int_equal(cJSON_GetObjectItem(o, "n_rejected")->valueint, 2);
        assert_non_null(cJSON_GetObjectItem(o, "definition"));
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "higher_is_better")));
    }
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "energy_histogram"), "higher_is_better"));
    assert_int_equal(bb_metric_higher_is_better("amr_recall", bb_metric_find("minima_recall")), 0);
    assert_int_equal(bb_metric_higher_is_better("minima_precision", bb_metric_find("minima_recall")), 1);
    assert_int_equal(bb_metric_higher_is_better("log_z", NULL), 1);
    assert_int_equal(bb_metric_higher_is_better("x_w2", bb_metric_find("x_w2")), 0);
    /* The value is the library's weighted W2 of the finite energies. */
    bb_wset a;
    size_t rej;
    assert_int_equal(bb_wset_energies(n, us, s.logw, "u", &a, &rej, &c), BB_OK);
    double w2;
    assert_int_equal(bb_w1d_pow(a.n, a.v, a.w, n, ur, NULL, 2.0, &w2, &c), BB_OK);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "energy_w2"), "value")->valuedouble, sqrt(w2), 1e-12);
    bb_wset_free(&a);
    cJSON *h = cJSON_GetObjectItem(out, "energy_histogram");
    assert_non_null(h);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(h, "value")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(h, "bin_edges")), 201);
    cJSON *dr = cJSON_GetObjectItem(h, "density_reference");
    assert_int_equal(cJSON_GetArraySize(dr), 200);
    /* reference density integrates to 1 */
    cJSON *e = cJSON_GetObjectItem(h, "bin_edges");
    double width = cJSON_GetArrayItem(e, 1)->valuedouble - cJSON_GetArrayItem(e, 0)->valuedouble, tot = 0.0;
    for (int i = 0; i < 200; i++) tot += cJSON_GetArrayItem(dr, i)->valuedouble * width;
    CHECK_CLOSE(tot, 1.0, 1e-9);

    /* Same seed → identical JSON; no reference → nothing added. */
    cJSON *out2 = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute(&in, 1, out2, &c), BB_OK);
    char *t1 = cJSON_PrintUnformatted(out), *t2 = cJSON_PrintUnformatted(out2);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    cJSON *out3 = cJSON_CreateObject();
    bb_eval_input noref = {NULL, &s, us, NULL, NULL, 42, 1, 0, NULL, 0};
    assert_int_equal(bb_metrics_compute(&noref, 0, out3, &c), BB_OK);
    assert_null(cJSON_GetObjectItem(out3, "energy_w2"));
    cJSON_Delete(out);
    cJSON_Delete(out2);
    cJSON_Delete(out3);
    free(us);
    free(ur);
    bb_samples_free(&s);
    bb_samples_free(&ref);
}

BB_TEST(energy_metrics_report_null_when_every_sample_is_rejected) {
    double us[] = {INFINITY, INFINITY}, ur[] = {1.0, 2.0};
    bb_samples s = {2, 1, (double[]){0.0, 1.0}, NULL}, ref = {2, 1, (double[]){0.0, 1.0}, NULL};
    bb_eval_input in = {NULL, &s, us, &ref, ur, 1, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
    cJSON *o = cJSON_GetObjectItem(out, "energy_w2");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "value")));
    assert_int_equal(cJSON_GetObjectItem(o, "n_rejected")->valueint, 2);
    assert_non_null(cJSON_GetObjectItem(o, "note"));
    assert_null(cJSON_GetObjectItem(o, "ci95"));
    cJSON_Delete(out);
    /* a NaN energy: each energy metric records the error in its entry, the call succeeds */
    us[0] = NAN;
    out = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
    o = cJSON_GetObjectItem(out, "energy_w2");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "value")));
    assert_non_null(strstr(cJSON_GetObjectItem(o, "error")->valuestring, "energy 0 is NaN"));
    cJSON_Delete(out);
}

BB_TEST(registry_finds_every_metric_by_name) {
    size_t n = 0;
    for (; bb_metrics[n]; n++) {
        assert_ptr_equal(bb_metric_find(bb_metrics[n]->name), bb_metrics[n]);
        assert_non_null(bb_metrics[n]->definition);
        assert_non_null(bb_metrics[n]->compute);
    }
    assert_true(n >= 4);
    assert_null(bb_metric_find("energy_w3"));
    assert_null(bb_metric_find(NULL));
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute(NULL, 0, NULL, &c), BB_EINVAL);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(w1d_matches_hand_computed_values_for_unequal_sizes),
             cmocka_unit_test(w1d_uses_importance_weights), cmocka_unit_test(w1d_rejects_bad_input),
             cmocka_unit_test(w2_between_gaussians_matches_closed_form),
             cmocka_unit_test(histogram_grid_comes_from_reference_with_overflow_cells),
             cmocka_unit_test(energy_set_excludes_rejected_and_rejects_nan),
             cmocka_unit_test(quantiles_interpolate_like_numpy),
             cmocka_unit_test(bootstrap_ci_of_a_mean_has_the_normal_width_and_is_thread_independent),
             cmocka_unit_test(w1d_bootstrap_equals_the_generic_bootstrap),
             cmocka_unit_test(energy_metrics_write_the_documented_schema),
             cmocka_unit_test(energy_metrics_report_null_when_every_sample_is_rejected),
             cmocka_unit_test(registry_finds_every_metric_by_name))
