/* test_modes.c — the mode-coverage family of mixture tasks (harness/metrics/mode_metric.c):
 * bb_mode_assign, emc, mode_coverage, mode_tv.
 *
 *   - assignment: hand points on the 25-GMM grid (nearest mean, the tie between two means goes
 *     to the lower index, the 3-std disc edge on both sides, a non-finite coordinate refused),
 *     and 2000 random points of GMM-40 against a brute-force argmax of the component
 *     log-densities written out in the test;
 *   - exact values on hand-made sets (25-GMM, reference 10 points on every mean): emc = 0 for
 *     one mode, 1 for equal mass on all, the weighted two-mode entropy, and a mixed set whose
 *     emc, mode_coverage (11/25) and mode_tv (0.76) are computed by hand below, to 1e-12;
 *   - exact sampling of GMM-40 (1000 v 10 000 draws) scores mode_coverage 1 and emc within
 *     0.02 of 1; a sampler that only visits 10 of the 40 components scores exactly 0.25;
 *   - not applicable: LJ-13 (no mixture), no reference set; directions in the report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness/core/rng.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "tasks/task.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

static bb_task *make(const char *id) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    return t;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* The metrics of samples s against reference r (NULL: none) on task t; the caller frees it. */
static cJSON *modes_of(const bb_task *t, const bb_samples *s, const bb_samples *r, int with_ci) {
    static const char *const names[] = {"mode_coverage"};
    bb_eval_input in = {t, s, NULL, r, NULL, 11, with_ci, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_metrics_compute_only(&in, 0, names, 1, out, &c), BB_OK);
    return out;
}

/* n configurations placed by the caller, with log-weights when weighted. */
static bb_samples alloc_set(size_t n, int weighted) {
    bb_samples s;
    assert_int_equal(bb_samples_alloc(&s, n, 2, weighted), BB_OK);
    return s;
}

static void put(bb_samples *s, size_t i, double x, double y) {
    s->x[2 * i] = x;
    s->x[2 * i + 1] = y;
}

BB_TEST(assignment_is_the_nearest_mean_with_a_three_std_disc) {
    bb_task *t = make("gmm25");
    const bb_task_mixture *m = t->type->mixture;
    assert_non_null(m);
    assert_int_equal(m->n_components, 25);
    CHECK_CLOSE(m->std * m->std, 0.3, 1e-15);
    assert_true(m->std == sqrt(0.3)); /* the same double as the sampler's std (tasks/gmm.c GMM25_STD) */
    /* k = 5i + j for the mean (g_i, g_j), g = -10, -5, 0, 5, 10; radius 3 sqrt(0.3) = 1.643 */
    const double pts[][2] = {{0.1, 5.2}, {2.5, 0.0}, {1.6, 0.0}, {1.7, 0.0}, {-10, -10}, {-40, 3}};
    const int want_label[] = {13, 12, 12, 12, 0, 3}, want_at[] = {1, 0, 1, 0, 1, 0};
    int label[6], at[6];
    bb_ctx c = {0};
    assert_int_equal(bb_mode_assign(m, 2, 6, &pts[0][0], label, at, &c), BB_OK);
    for (int i = 0; i < 6; i++) {
        printf("  (%g, %g): component %d at %d\n", pts[i][0], pts[i][1], label[i], at[i]);
        assert_int_equal(label[i], want_label[i]);
        assert_int_equal(at[i], want_at[i]);
    }
    const double bad[2] = {1.0, NAN};
    assert_int_equal(bb_mode_assign(m, 2, 1, bad, label, at, &c), BB_ENAN);
    printf("  refused: %s\n", c.msg);
    assert_non_null(strstr(c.msg, "non-finite"));
    assert_int_equal(bb_mode_assign(NULL, 2, 1, bad, label, at, &c), BB_EINVAL);
    bb_task_free(t);

    /* GMM-40: the argmax of log N(x; mu_k, s^2 I) over k, written out */
    t = make("gmm40");
    m = t->type->mixture;
    assert_int_equal(m->n_components, 40);
    enum { N = 2000 };
    double *x = malloc(2 * N * sizeof *x);
    int *lab = malloc(N * sizeof *lab), *atm = malloc(N * sizeof *atm);
    bb_rng rng;
    bb_rng_init(&rng, 5, 0);
    for (int i = 0; i < 2 * N; i++) x[i] = -45.0 + 90.0 * bb_rng_uniform(&rng);
    assert_int_equal(bb_mode_assign(m, 2, N, x, lab, atm, &c), BB_OK);
    int n_at = 0;
    for (int i = 0; i < N; i++) {
        double best = -INFINITY;
        int kb = -1;
        for (int k = 0; k < 40; k++) {
            double d0 = x[2 * i] - m->means[2 * k], d1 = x[2 * i + 1] - m->means[2 * k + 1];
            double lp = -log(2.0 * M_PI * m->std * m->std) - 0.5 * (d0 * d0 + d1 * d1) / (m->std * m->std);
            if (lp > best) best = lp, kb = k;
        }
        double d0 = x[2 * i] - m->means[2 * kb], d1 = x[2 * i + 1] - m->means[2 * kb + 1];
        assert_int_equal(lab[i], kb);
        assert_int_equal(atm[i], sqrt(d0 * d0 + d1 * d1) <= 3.0 * m->std);
        n_at += atm[i];
    }
    /* 40 discs of area pi (3 s)^2 = 48.8 in a 90 x 90 box, minus overlaps: about 24 % */
    printf("  GMM-40: %d of %d uniform points at a mode\n", n_at, N);
    assert_true(n_at > N / 10 && n_at < N / 2);
    free(x);
    free(lab);
    free(atm);
    bb_task_free(t);
}

/* 25-GMM reference with 10 points on every mean: q_k = 1/25 at every mode, nothing between. */
static bb_samples grid_reference(const bb_task_mixture *m) {
    bb_samples r = alloc_set(250, 0);
    for (size_t i = 0; i < 250; i++) put(&r, i, m->means[2 * (i % 25)], m->means[2 * (i % 25) + 1]);
    return r;
}

BB_TEST(exact_values_on_hand_made_sets) {
    bb_task *t = make("gmm25");
    const bb_task_mixture *m = t->type->mixture;
    const double *mu = m->means;
    bb_samples r = grid_reference(m);

    /* one mode: emc 0, coverage 1/25, tv = 1 - 1/25 */
    bb_samples s = alloc_set(100, 0);
    for (size_t i = 0; i < 100; i++) put(&s, i, mu[0] + 0.1, mu[1] - 0.2);
    cJSON *out = modes_of(t, &s, &r, 1);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "emc"), "value"), 0.0, 1e-12);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_coverage"), "value"), 1.0 / 25.0, 1e-12);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_tv"), "value"), 1.0 - 1.0 / 25.0, 1e-12);
    cJSON_Delete(out);

    /* equal mass on every mode: emc 1, coverage 1, tv 0 */
    for (size_t i = 0; i < 100; i++) put(&s, i, mu[2 * (i % 25)], mu[2 * (i % 25) + 1] + 0.3);
    out = modes_of(t, &s, &r, 1);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "emc"), "value"), 1.0, 1e-12);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_coverage"), "value"), 1.0, 1e-12);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_tv"), "value"), 0.0, 1e-12);
    const cJSON *e = cJSON_GetObjectItem(out, "mode_coverage");
    /* two random 100-point subsets of the grid reference: a mode can fall short in one of them */
    CHECK_CLOSE(num(e, "floor_ref_vs_ref"), 0.95, 0.05);
    assert_int_equal((int)num(e, "floor_n"), 100);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e, "mass")), 25);
    CHECK_CLOSE(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "reference_mass"), 7)->valuedouble, 0.04, 1e-15);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "emc"), "higher_is_better")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "higher_is_better")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "mode_tv"), "higher_is_better")));
    cJSON_Delete(out);
    bb_samples_free(&s);

    /* weighted: one sample on mode 0, one on mode 1, weights 1 : 3 */
    s = alloc_set(2, 1);
    put(&s, 0, mu[0], mu[1]);
    put(&s, 1, mu[2], mu[3]);
    s.logw[0] = -0.7;
    s.logw[1] = -0.7 + log(3.0);
    out = modes_of(t, &s, &r, 0);
    double want = -(0.25 * log(0.25) + 0.75 * log(0.75)) / log(25.0);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "emc"), "value"), want, 1e-12);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_tv"), "value"), 0.5 * (0.21 + 0.71 + 23 * 0.04), 1e-12);
    cJSON_Delete(out);
    bb_samples_free(&s);

    /* mixed: 70 on mode 0, 2 on each of modes 1..10, 10 between (2.5, 2.5), i.e. component 12
     * by the tie rule but at no mode. p at mode: 0.7, 0.02 x 10, between 0.1; reference 0.04
     * at every mode. Covered: mode 0 and modes 1..10 (0.02 >= 0.01): 11 of 25.
     * tv = 1/2 (|0.7 - 0.04| + 10 |0.02 - 0.04| + 14 x 0.04 + 0.1) = 0.76. */
    s = alloc_set(100, 0);
    size_t i = 0;
    for (int j = 0; j < 70; j++) put(&s, i++, mu[0], mu[1]);
    for (int k = 1; k <= 10; k++)
        for (int j = 0; j < 2; j++) put(&s, i++, mu[2 * k] + 0.5, mu[2 * k + 1]);
    for (int j = 0; j < 10; j++) put(&s, i++, 2.5, 2.5);
    assert_int_equal((int)i, 100);
    out = modes_of(t, &s, &r, 1);
    want = -(0.7 * log(0.7) + 10 * 0.02 * log(0.02) + 0.1 * log(0.1)) / log(25.0);
    e = cJSON_GetObjectItem(out, "emc");
    CHECK_CLOSE(num(e, "value"), want, 1e-12);
    const cJSON *ci = cJSON_GetObjectItem(e, "ci95");
    assert_int_equal(cJSON_GetArraySize(ci), 2);
    assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= want && want <= cJSON_GetArrayItem(ci, 1)->valuedouble);
    e = cJSON_GetObjectItem(out, "mode_coverage");
    CHECK_CLOSE(num(e, "value"), 11.0 / 25.0, 1e-12);
    CHECK_CLOSE(num(e, "between_modes"), 0.1, 1e-12);
    CHECK_CLOSE(num(e, "reference_between_modes"), 0.0, 0.0);
    ci = cJSON_GetObjectItem(e, "ci95");
    assert_true(cJSON_GetArrayItem(ci, 1)->valuedouble <= 1.0);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_tv"), "value"), 0.76, 1e-12);
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&r);
    bb_task_free(t);
}

static bb_samples exact_draws(const bb_task *t, size_t n, uint64_t seed) {
    bb_samples s = alloc_set(n, 0);
    bb_rng rng;
    bb_rng_init(&rng, seed, 0);
    bb_ctx c = {0};
    assert_int_equal(t->type->sample_exact(t, n, &rng, s.x, &c), BB_OK);
    return s;
}

BB_TEST(exact_sampling_covers_every_mode_and_a_collapsed_one_does_not) {
    bb_task *t = make("gmm40");
    bb_samples r = exact_draws(t, 10000, 1), s = exact_draws(t, 1000, 2);
    cJSON *out = modes_of(t, &s, &r, 1);
    /* 25 expected per component; below the threshold (about 6) has probability ~1e-5 each */
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_coverage"), "value"), 1.0, 0.0);
    /* close pairs of means split their mass unevenly, so emc is a little under 1 */
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "emc"), "value"), 1.0, 0.02);
    const cJSON *tv = cJSON_GetObjectItem(out, "mode_tv");
    printf("  exact: mode_tv %.4f, floor %.4f\n", num(tv, "value"), num(tv, "floor_ref_vs_ref"));
    assert_true(num(tv, "value") < 2.0 * num(tv, "floor_ref_vs_ref"));
    cJSON_Delete(out);

    /* keep only the draws whose component is one of 10 (the first 10 indices) */
    const bb_task_mixture *m = t->type->mixture;
    int *lab = malloc(s.n * sizeof *lab), *at = malloc(s.n * sizeof *at);
    bb_ctx c = {0};
    assert_int_equal(bb_mode_assign(m, 2, s.n, s.x, lab, at, &c), BB_OK);
    size_t kept = 0;
    for (size_t i = 0; i < s.n; i++)
        if (lab[i] < 10) memmove(s.x + 2 * kept++, s.x + 2 * i, 2 * sizeof *s.x);
    s.n = kept;
    out = modes_of(t, &s, &r, 0);
    printf("  collapsed to 10 components: %zu draws, emc %.4f (log 10 / log 40 = %.4f)\n", kept,
           num(cJSON_GetObjectItem(out, "emc"), "value"), log(10.0) / log(40.0));
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "mode_coverage"), "value"), 0.25, 0.0);
    CHECK_CLOSE(num(cJSON_GetObjectItem(out, "emc"), "value"), log(10.0) / log(40.0), 0.02);
    assert_true(num(cJSON_GetObjectItem(out, "mode_tv"), "value") > 0.7);
    cJSON_Delete(out);
    free(lab);
    free(at);
    bb_samples_free(&s);
    bb_samples_free(&r);
    bb_task_free(t);
}

BB_TEST(not_applicable_without_a_mixture_or_a_reference) {
    bb_task *t = make("lj13");
    bb_samples s;
    assert_int_equal(bb_samples_alloc(&s, 4, (size_t)t->dof, 0), BB_OK);
    for (size_t i = 0; i < s.n * s.dof; i++) s.x[i] = (double)i;
    cJSON *out = modes_of(t, &s, &s, 0);
    assert_null(cJSON_GetObjectItem(out, "emc"));
    assert_null(cJSON_GetObjectItem(out, "mode_coverage"));
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_task_free(t);

    t = make("gmm40");
    s = exact_draws(t, 50, 3);
    out = modes_of(t, &s, NULL, 0);
    assert_null(cJSON_GetObjectItem(out, "mode_coverage"));
    cJSON_Delete(out);
    /* a NaN coordinate: an error entry, not a failed evaluation */
    s.x[7] = NAN;
    bb_samples r = exact_draws(t, 100, 4);
    out = modes_of(t, &s, &r, 0);
    const cJSON *e = cJSON_GetObjectItem(out, "mode_coverage");
    assert_non_null(e);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "value")));
    printf("  error entry: %s\n", cJSON_GetObjectItem(e, "error")->valuestring);
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&r);
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(assignment_is_the_nearest_mean_with_a_three_std_disc),
             cmocka_unit_test(exact_values_on_hand_made_sets),
             cmocka_unit_test(exact_sampling_covers_every_mode_and_a_collapsed_one_does_not),
             cmocka_unit_test(not_applicable_without_a_mixture_or_a_reference))
