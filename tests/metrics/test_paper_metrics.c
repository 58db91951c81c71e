/* test_paper_metrics.c — the paper-comparable metrics and their uncertainty: metric options
 * ("eq_x_w2:n=40"), eq_x_w2 / eq_x_w2_demalign / eq_x_w1_demalign / x_w1 /
 * sinkhorn_divergence / energy_w2_squared / dist_w2_squared against an independent
 * numpy + scipy + POT computation (tests/metrics/paper_metrics_ref.py; skipped cleanly
 * without them), exact values (identical sets, brute-force assignment), the floors, and the
 * coverage of the bootstrap intervals on two Gaussians of known W2 and W1.
 * With --slow (ctest label slow) the coverage test runs 1000 trials instead of 200.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "datasets/npy.h"
#include "harness/core/rng.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

static int g_slow;

static double num(cJSON *out, const char *name, const char *field) {
    cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(out, name), field);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Compute the named metrics (options allowed) into a new object. */
static cJSON *compute(const bb_eval_input *in, const char *const *names, size_t n) {
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    int rc = bb_metrics_compute_only(in, 0, names, n, out, &c);
    if (rc) printf("  error: %s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return out;
}

static void fill(bb_rng *g, size_t n, double scale, double shift, double *x) {
    for (size_t i = 0; i < n; i++) x[i] = shift + scale * bb_rng_normal(g);
}

BB_TEST(options_are_parsed_and_set_the_sample_size) {
    const bb_metric *m;
    bb_metric_opts o;
    bb_ctx c = {0};
    assert_int_equal(bb_metric_parse("eq_x_w2:n=40", &m, &o, &c), BB_OK);
    assert_string_equal(m->name, "eq_x_w2");
    assert_int_equal((int)o.n, 40);
    assert_int_equal(bb_metric_parse("x_w1", &m, &o, &c), BB_OK);
    assert_int_equal((int)o.n, 0);
    assert_int_equal(bb_metric_parse("eq_x_w2:n=", &m, &o, &c), BB_EINVAL);
    assert_int_equal(bb_metric_parse("eq_x_w2:m=4", &m, &o, &c), BB_EINVAL);
    assert_int_equal(bb_metric_parse("eq_x_w2:n=1", &m, &o, &c), BB_EINVAL);
    assert_int_equal(bb_metric_parse("eq_x_w2:n=12x", &m, &o, &c), BB_EINVAL);
    printf("  error: %s\n", c.msg);
    assert_int_equal(bb_metric_parse("eq_x_w3", &m, &o, &c), BB_ENOTFOUND);
    const char *sel[] = {"x_w2:n=30", "eq_x_w2_demalign"};
    assert_int_equal(bb_metrics_select(sel, 2, &c), BB_OK);
    const char *bad[] = {"x_w2:n=0"};
    assert_int_equal(bb_metrics_select(bad, 1, &c), BB_EINVAL);
    /* n=30 of 80: 30 v 30, floor 30 v 30 of the 80 references */
    bb_task t = bb_test_particle_task(4, 2);
    bb_samples s, r;
    assert_int_equal(bb_samples_alloc(&s, 80, 8, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&r, 80, 8, 0), BB_OK);
    bb_rng g;
    bb_rng_init(&g, 5, 1);
    fill(&g, 640, 1.0, 0.0, s.x);
    fill(&g, 640, 1.0, 0.0, r.x);
    bb_eval_input in = {&t, &s, NULL, &r, NULL, 3, 0, 0, NULL, 0};
    cJSON *out = compute(&in, sel, 1);
    assert_int_equal((int)num(out, "x_w2", "n_samples"), 30);
    assert_int_equal((int)num(out, "x_w2", "n_max"), 30);
    assert_int_equal((int)num(out, "x_w2", "floor_n"), 30);
    assert_null(cJSON_GetObjectItem(out, "eq_x_w2_demalign"));
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&r);
}

/* Identical sets: every transport distance is exactly 0, the debiased Sinkhorn divergence
 * too, while the entropic `sinkhorn` is not; each interval contains its value. */
BB_TEST(identical_sets_score_zero_and_intervals_contain_the_value) {
    bb_task t = bb_test_particle_task(4, 2);
    size_t n = 60;
    bb_samples s;
    assert_int_equal(bb_samples_alloc(&s, n, 8, 0), BB_OK);
    double *u = malloc(n * sizeof *u);
    bb_rng g;
    bb_rng_init(&g, 8, 1);
    fill(&g, n * 8, 1.0, 0.0, s.x);
    fill(&g, n, 2.0, -3.0, u);
    bb_eval_input in = {&t, &s, u, &s, u, 4, 1, 0, NULL, 0};
    cJSON *out = compute(&in, NULL, 0);
    const char *zero[] = {"energy_w2",
                          "energy_w2_squared",
                          "energy_w1",
                          "energy_tv",
                          "dist_w2",
                          "dist_w2_squared",
                          "dist_tv",
                          "x_w2",
                          "x_w1",
                          "eq_x_w2",
                          "eq_x_w2_demalign",
                          "eq_x_w1_demalign",
                          "sinkhorn_divergence"};
    for (size_t k = 0; k < sizeof zero / sizeof *zero; k++) {
        printf("  %-20s %.3g floor %.4g (n %g)\n", zero[k], num(out, zero[k], "value"),
               num(out, zero[k], "floor_ref_vs_ref"), num(out, zero[k], "floor_n"));
        CHECK_CLOSE(num(out, zero[k], "value"), 0.0, 1e-7);
        assert_true(num(out, zero[k], "floor_ref_vs_ref") >= 0.0 || !strcmp(zero[k], "sinkhorn_divergence"));
        assert_int_equal((int)num(out, zero[k], "floor_n"), 30);
    }
    assert_true(num(out, "sinkhorn", "value") > 0.1);
    for (cJSON *e = out->child; e; e = e->next) {
        cJSON *ci = cJSON_GetObjectItem(e, "ci95");
        if (!ci) continue;
        double v = cJSON_GetObjectItem(e, "value")->valuedouble;
        assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= v && v <= cJSON_GetArrayItem(ci, 1)->valuedouble);
    }
    cJSON_Delete(out);
    free(u);
    bb_samples_free(&s);
}

/* x_w1 (Euclidean cost) equals the brute-force minimum over all 7! assignments. */
BB_TEST(x_w1_matches_brute_force) {
    enum { N = 7, DOF = 6 };
    bb_task t = bb_test_particle_task(3, 2);
    bb_samples s, r;
    assert_int_equal(bb_samples_alloc(&s, N, DOF, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&r, N, DOF, 0), BB_OK);
    bb_rng g;
    bb_rng_init(&g, 9, 1);
    fill(&g, N * DOF, 1.0, 0.0, s.x);
    fill(&g, N * DOF, 1.5, 0.3, r.x);
    double A[N][DOF], B[N][DOF], C[N][N];
    for (int i = 0; i < N; i++) {
        bb_center(3, 2, s.x + i * DOF, A[i]);
        bb_center(3, 2, r.x + i * DOF, B[i]);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double q = 0.0;
            for (int k = 0; k < DOF; k++) q += (A[i][k] - B[j][k]) * (A[i][k] - B[j][k]);
            C[i][j] = sqrt(q);
        }
    int p[N], cnt[N] = {0};
    for (int i = 0; i < N; i++) p[i] = i;
    double best = INFINITY;
    for (int i = 0;;) { /* Heap's algorithm */
        double c = 0.0;
        for (int k = 0; k < N; k++) c += C[k][p[k]];
        best = fmin(best, c / N);
        while (i < N && cnt[i] >= i) cnt[i++] = 0;
        if (i >= N) break;
        int j = (i & 1) ? cnt[i] : 0, tmp = p[j];
        p[j] = p[i];
        p[i] = tmp;
        cnt[i]++;
        i = 1;
    }
    bb_eval_input in = {&t, &s, NULL, &r, NULL, 2, 0, 0, NULL, 0};
    const char *sel[] = {"x_w1"};
    cJSON *out = compute(&in, sel, 1);
    CHECK_CLOSE(num(out, "x_w1", "value"), best, 1e-12);
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&r);
}

/* The floor is the metric between two disjoint reference subsets (bb_wset_split), the
 * interval helpers behave as documented. */
BB_TEST(floors_split_and_interval_helpers) {
    bb_ctx c = {0};
    double v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, w[10] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 2};
    bb_wset s = {10, 1, v, w}, h1, h2;
    assert_int_equal(bb_wset_split(&s, 5, 1, 2, &h1, &h2, &c), BB_OK);
    int seen[10] = {0};
    for (size_t i = 0; i < 5; i++) {
        seen[(int)h1.v[i]]++;
        seen[(int)h2.v[i]]++;
        assert_true(h1.w[i] == w[(int)h1.v[i]] && h2.w[i] == w[(int)h2.v[i]]);
    }
    for (int i = 0; i < 10; i++) assert_int_equal(seen[i], 1);
    bb_wset_free(&h1);
    bb_wset_free(&h2);
    assert_int_equal(bb_wset_split(&s, 6, 1, 2, &h1, &h2, &c), BB_EINVAL);
    /* centred interval: percentiles of {1..101} are 3.5 and 98.5, median 51 → shifted by −41 */
    double vals[101];
    for (int i = 0; i < 101; i++) vals[100 - i] = i + 1.0;
    double ci[2];
    bb_bootstrap_centred_ci(vals, 101, 10.0, 0.0, ci);
    CHECK_CLOSE(ci[0], 0.0, 1e-12); /* 3.5 − 41 clipped at 0 */
    CHECK_CLOSE(ci[1], 57.5, 1e-12);
    for (int i = 0; i < 101; i++) vals[i] = i < 60 ? NAN : 1.0;
    bb_bootstrap_centred_ci(vals, 101, 1.0, 0.0, ci);
    assert_true(isnan(ci[0]) && isnan(ci[1]));
    /* bb_twoset_eval: value, floor from the reference, replicate values as bb_w1d_bootstrap_values */
    size_t n = 400;
    double *a = malloc(n * sizeof *a), *b = malloc(2 * n * sizeof *b), r1[50], r2[50];
    bb_rng g;
    bb_rng_init(&g, 3, 3);
    fill(&g, n, 1.0, 0.0, a);
    fill(&g, 2 * n, 1.0, 1.0, b);
    bb_wset A = {n, 1, a, NULL}, B = {2 * n, 1, b, NULL};
    bb_twoset tw;
    assert_int_equal(bb_twoset_eval(&A, &B, bb_stat_w2, NULL, 2.0, 50, 11, 0x50000000u, &tw, &c), BB_OK);
    double w2;
    assert_int_equal(bb_stat_w2(&A, &B, NULL, &w2, &c), BB_OK);
    CHECK_CLOSE(tw.value, w2, 0.0);
    assert_true(tw.ci[0] <= w2 && w2 <= tw.ci[1] && tw.floor_n == n && tw.floor < 0.3);
    assert_int_equal(bb_w1d_bootstrap_values(&A, &B, 2.0, 50, 11, 0x50000000u, r1, &c), BB_OK);
    assert_int_equal(bb_bootstrap2_values(&A, &B, 1, bb_stat_w2, NULL, 50, 11, 0x50000000u, r2, &c), BB_OK);
    for (int i = 0; i < 50; i++) assert_true(fabs(r1[i] - r2[i]) <= 1e-12);
    double w1;
    assert_int_equal(bb_stat_w1(&A, &B, NULL, &w1, &c), BB_OK);
    assert_true(w1 <= w2 + 1e-15);
    cJSON *out = cJSON_CreateObject();
    assert_non_null(bb_metric_entry_twoset(out, "sq", &tw, 1, n, 1, "d"));
    CHECK_CLOSE(num(out, "sq", "value"), w2 * w2, 1e-15);
    CHECK_CLOSE(num(out, "sq", "floor_ref_vs_ref"), tw.floor * tw.floor, 1e-15);
    cJSON_Delete(out);
    free(a);
    free(b);
}

/* The DEM alignment: never below the permutation search; exact on a permuted, shifted copy;
 * blind to a mirror image (its matching precedes the rotation). */
BB_TEST(dem_alignment_is_bounded_by_the_search) {
    bb_align_ws *ws;
    bb_ctx c = {0};
    assert_int_equal(bb_align_ws_alloc(13, 3, &ws, &c), BB_OK);
    bb_align_opts o = {1, 7, 20, 0.0};
    bb_rng g;
    bb_rng_init(&g, 21, 1);
    for (int trial = 0; trial < 20; trial++) {
        double x[39], y[39], sq_dem, sq;
        fill(&g, 39, 1.0, 0.0, x);
        fill(&g, 39, 1.0, 0.0, y);
        int perm[13];
        assert_int_equal(bb_align_dem(x, y, ws, &sq_dem, perm), BB_OK);
        assert_int_equal(bb_align_perm(&o, x, y, ws, &sq, NULL), BB_OK);
        assert_true(sq <= sq_dem + 1e-9);
    }
    double x[39], y[39], z[39], sq, sq_perm;
    fill(&g, 39, 1.0, 0.0, x);
    for (int i = 0; i < 13; i++) /* y = reversed order, shifted; z = its mirror image (z → −z) */
        for (int k = 0; k < 3; k++) {
            y[(12 - i) * 3 + k] = x[i * 3 + k] + 0.7;
            z[(12 - i) * 3 + k] = (k == 2 ? -x[i * 3 + k] : x[i * 3 + k]) + 0.7;
        }
    assert_int_equal(bb_align_dem(x, y, ws, &sq, NULL), BB_OK);
    CHECK_CLOSE(sq, 0.0, 1e-10);
    /* the matching is made before any rotation: a mirror image is not recognised, while the
     * permutation search finds it */
    assert_int_equal(bb_align_dem(x, z, ws, &sq, NULL), BB_OK);
    assert_int_equal(bb_align_perm(&o, x, z, ws, &sq_perm, NULL), BB_OK);
    printf("  mirror image: DEM alignment %.4g, permutation search %.3g\n", sq, sq_perm);
    CHECK_CLOSE(sq_perm, 0.0, 1e-9);
    assert_true(sq > 1e-3);
    bb_align_ws_free(ws);
}

/* ---- against numpy / scipy / POT --------------------------------------------------- */

static int have_python(void) {
    int ok = access("/usr/bin/python3", X_OK) == 0 &&
             system("/usr/bin/python3 -c 'import numpy, scipy, ot' > /dev/null 2>&1") == 0;
    if (!ok) printf("skip: no /usr/bin/python3 with numpy, scipy and POT (apt install python3-pot)\n");
    return ok;
}

static void save(const char *dir, const char *name, const double *x, size_t n, size_t k) {
    char p[600];
    size_t shape[2] = {n, k};
    bb_ctx c = {0};
    snprintf(p, sizeof p, "%s/%s.npy", dir, name);
    assert_int_equal(bb_npy_write(p, x, k ? 2 : 1, shape, &c), BB_OK);
}

BB_TEST(metrics_agree_with_numpy_scipy_pot) {
    if (!have_python()) {
        skip();
        return;
    }
    size_t n = 40, m = 24;
    bb_task t4 = bb_test_particle_task(4, 2), t13 = bb_test_particle_task(13, 3);
    bb_samples xs, xr, ys, yr;
    assert_int_equal(bb_samples_alloc(&xs, n, 8, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&xr, n, 8, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&ys, m, 39, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&yr, m, 39, 0), BB_OK);
    double *us = malloc(n * sizeof *us), *ur = malloc(n * sizeof *ur);
    bb_rng g;
    bb_rng_init(&g, 44, 1);
    fill(&g, n * 8, 1.0, 0.0, xs.x);
    fill(&g, n * 8, 1.3, 0.2, xr.x);
    fill(&g, m * 39, 1.0, 0.0, ys.x);
    fill(&g, m * 39, 1.2, 0.0, yr.x);
    fill(&g, n, 1.0, 0.0, us);
    fill(&g, n, 1.5, 0.4, ur);
    char dir[] = "/tmp/bb_paper_XXXXXX", cmd[1400], res[600];
    assert_non_null(mkdtemp(dir));
    save(dir, "xs", xs.x, n, 8);
    save(dir, "xr", xr.x, n, 8);
    save(dir, "ys", ys.x, m, 39);
    save(dir, "yr", yr.x, m, 39);
    save(dir, "us", us, n, 0);
    save(dir, "ur", ur, n, 0);
    snprintf(res, sizeof res, "%s/out.txt", dir);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/metrics/paper_metrics_ref.py %s 4 2 > %s 2>&1",
             bb_source_dir(), dir, res);
    int prc = system(cmd);
    FILE *fp = fopen(res, "r");
    assert_non_null(fp);
    char name[64];
    double want[8];
    const char *names[8] = {
        "eq_x_w2",          "x_w1", "sinkhorn_divergence", "energy_w2_squared", "dist_w2_squared", "eq_x_w2_demalign",
        "eq_x_w1_demalign", NULL};
    int got = 0;
    while (got < 7 && fscanf(fp, "%63s %lf", name, &want[got]) == 2) {
        assert_string_equal(name, names[got]);
        got++;
    }
    fclose(fp);
    if (prc != 0 || got != 7) {
        snprintf(cmd, sizeof cmd, "cat %s", res);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(got, 7);
    bb_eval_input in4 = {&t4, &xs, us, &xr, ur, 6, 0, 0, NULL, 0},
                  in13 = {&t13, &ys, NULL, &yr, NULL, 6, 0, 0, NULL, 0};
    const char *sel4[] = {"eq_x_w2", "x_w1", "sinkhorn_divergence", "energy_w2_squared", "dist_w2_squared"};
    const char *sel13[] = {"eq_x_w2_demalign"};
    cJSON *o4 = compute(&in4, sel4, 5), *o13 = compute(&in13, sel13, 1);
    double tol[7] = {1e-9, 1e-9, 1e-8, 1e-12, 1e-12, 1e-9, 1e-9};
    for (int k = 0; k < 7; k++) {
        cJSON *o = k < 5 ? o4 : o13;
        printf("  %-20s ours %.15g  numpy/POT %.15g\n", names[k], num(o, names[k], "value"), want[k]);
        CHECK_CLOSE(num(o, names[k], "value"), want[k], tol[k] * fmax(1.0, fabs(want[k])));
    }
    cJSON_Delete(o4);
    cJSON_Delete(o13);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(us);
    free(ur);
    bb_samples_free(&xs);
    bb_samples_free(&xr);
    bb_samples_free(&ys);
    bb_samples_free(&yr);
}

/* ---- coverage of the intervals on a known truth --------------------------------------- */

/* a ~ N(0, 1) (n = 1000), b ~ N(0.5, 1.2²) (m = 1000): W2 = sqrt(0.5² + 0.2²) and
 * W1 = E|0.5 + 0.2 Z| = 0.2 sqrt(2/π) exp(−3.125) + 0.5 (1 − 2 Φ(−2.5)). The metrics'
 * interval (bb_twoset_eval, 200 resamples of both sets, median-bias-corrected percentile)
 * must cover each truth in 95 % of the trials within a binomial tolerance of 3.5 standard
 * errors (200 trials: ±0.054, 1000 trials with --slow: ±0.024), and contain its estimate
 * every time. */
BB_TEST(intervals_cover_a_known_w2_and_w1) {
    int trials = g_slow ? 1000 : 200;
    size_t n = 1000, m = 1000;
    const double truth[2] = {sqrt(0.29), 0.2 * sqrt(2.0 / M_PI) * exp(-3.125) + 0.5 * erf(2.5 / sqrt(2.0))};
    double *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b);
    int cover[2] = {0, 0}, contains = 0;
    bb_ctx c = {0};
    for (int tr = 0; tr < trials; tr++) {
        bb_rng g;
        bb_rng_init(&g, 1000 + (uint64_t)tr, 7);
        fill(&g, n, 1.0, 0.0, a);
        fill(&g, m, 1.2, 0.5, b);
        bb_wset A = {n, 1, a, NULL}, B = {m, 1, b, NULL};
        for (int p = 0; p < 2; p++) {
            bb_twoset r;
            assert_int_equal(bb_twoset_eval(&A, &B, p ? bb_stat_w1 : bb_stat_w2, NULL, p ? 1.0 : 2.0, BB_BOOT_N,
                                            (uint64_t)tr, 0x50010000u, &r, &c),
                             BB_OK);
            cover[p] += r.ci[0] <= truth[p] && truth[p] <= r.ci[1];
            contains += r.ci[0] <= r.value && r.value <= r.ci[1];
        }
    }
    double tol = 3.5 * sqrt(0.95 * 0.05 / trials);
    for (int p = 0; p < 2; p++) {
        printf("  W%d = %.5f: coverage %.3f over %d trials (95 %% +- %.3f)\n", 2 - p, truth[p],
               (double)cover[p] / trials, trials, tol);
        assert_true(fabs((double)cover[p] / trials - 0.95) <= tol);
    }
    assert_int_equal(contains, 2 * trials);
    free(a);
    free(b);
}

int main(int argc, char **argv) {
    g_slow = argc > 1 && !strcmp(argv[1], "--slow");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_are_parsed_and_set_the_sample_size),
        cmocka_unit_test(identical_sets_score_zero_and_intervals_contain_the_value),
        cmocka_unit_test(x_w1_matches_brute_force),
        cmocka_unit_test(floors_split_and_interval_helpers),
        cmocka_unit_test(dem_alignment_is_bounded_by_the_search),
        cmocka_unit_test(metrics_agree_with_numpy_scipy_pot),
        cmocka_unit_test(intervals_cover_a_known_w2_and_w1),
    };
    const struct CMUnitTest slow[] = {cmocka_unit_test(intervals_cover_a_known_w2_and_w1)};
    return g_slow ? cmocka_run_group_tests(slow, NULL, NULL) : cmocka_run_group_tests(tests, NULL, NULL);
}
