/* test_minima.c — L-BFGS relaxation, deduplication, catalogue round trip and the
 * recall/precision metrics on a 2-D toy with four known minima; relaxation of a
 * perturbed icosahedron to the LJ-13 global minimum (−44.326801, physical units).
 */
#include <math.h>
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

#include "harness/core/fileio.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/core/rng.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

/* u(x, y) = (x² − 1)² + (y² − 1)² + 0.3 x + 0.1 y: four minima near (±1, ±1) with
 * distinct energies; the global one near (−1, −1). Separable, so each coordinate of a
 * minimum solves 4t(t² − 1) + c = 0 (found below by Newton). */
static int toy_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double a = x[2 * i], b = x[2 * i + 1];
        u[i] = (a * a - 1) * (a * a - 1) + (b * b - 1) * (b * b - 1) + 0.3 * a + 0.1 * b;
        if (g) {
            g[2 * i] = 4 * a * (a * a - 1) + 0.3;
            g[2 * i + 1] = 4 * b * (b * b - 1) + 0.1;
        }
    }
    return BB_OK;
}

static const bb_task_type toy_type = {.name = "toy2d",
                                      .version = 1,
                                      .n_particles = 1,
                                      .dim = 2,
                                      .kT = 1.0,
                                      .energy = toy_energy,
                                      .minima_catalogue =
                                          "toy2d@1"}; /* the catalogue the metric finds through the task */

static bb_task toy_task(void) {
    bb_task t;
    memset(&t, 0, sizeof t);
    t.type = &toy_type;
    snprintf(t.id, sizeof t.id, "toy2d@1");
    t.n_particles = 1;
    t.dim = 2;
    t.dof = 2;
    t.kT = 1.0;
    return t;
}

static double newton_root(double t, double c) {
    for (int k = 0; k < 100; k++) t -= (4 * t * (t * t - 1) + c) / (12 * t * t - 4);
    return t;
}

BB_TEST(relaxation_finds_the_four_toy_minima) {
    bb_task t = toy_task();
    size_t n = 400;
    double *x = malloc(n * 2 * sizeof *x), *u = malloc(n * sizeof *u);
    int *st = malloc(n * sizeof *st);
    bb_rng r;
    bb_rng_init(&r, 21, 1);
    for (size_t i = 0; i < 2 * n; i++) x[i] = 4.0 * bb_rng_uniform(&r) - 2.0;
    x[0] = 0.0; /* a start on the ridge x = 0 still relaxes (the tilt breaks the symmetry) */
    int64_t evals = 0;
    bb_ctx c = {0};
    bb_relax_opts ro = {1e-6, 1000, NULL, NULL, 0}; /* energy rounding limits line searches to |g| ~ 1e-8 */
    assert_int_equal(bb_relax(&t, n, x, u, st, &evals, &ro, &c), BB_OK);
    bb_minima m;
    bb_minima_init(&m, &t);
    for (size_t i = 0; i < n; i++) {
        if (st[i] != BB_RELAX_CONVERGED)
            printf("  start %zu: status %d at (%.17g, %.17g)\n", i, st[i], x[2 * i], x[2 * i + 1]);
        assert_int_equal(st[i], BB_RELAX_CONVERGED);
        assert_int_equal(bb_minima_add(&m, x + 2 * i, u[i], 1, 1e-8, 1e-4, NULL, NULL, NULL, &c), BB_OK);
    }
    printf("  %zu relaxations, %lld energy evaluations, %zu distinct minima\n", n, (long long)evals, m.n);
    assert_int_equal(m.n, 4);
    assert_true(evals > (int64_t)n);
    double xm = newton_root(-1.0, 0.3), ym = newton_root(-1.0, 0.1);
    CHECK_CLOSE(m.x[0], xm, 1e-6);
    CHECK_CLOSE(m.x[1], ym, 1e-6);
    double ug;
    toy_energy(&t, 1, m.x, &ug, NULL, NULL);
    CHECK_CLOSE(m.u[0], ug, 1e-12);
    int64_t tot = 0;
    for (size_t k = 0; k < m.n; k++) tot += m.count[k];
    assert_int_equal(tot, (int64_t)n);
    for (size_t k = 1; k < m.n; k++) assert_true(m.u[k] >= m.u[k - 1]);
    bb_minima_free(&m);
    bb_minima_free(NULL);
    free(x);
    free(u);
    free(st);
}

/* Catalogue = the four exact minima; samples only in the left half-plane reach two
 * of them: recall 0.5 for δ ≥ tiny, precision 1, AMR-P ≈ 0, global minimum found. */
BB_TEST(recall_and_precision_on_the_toy_catalogue) {
    bb_task t = toy_task();
    char dir[] = "/tmp/bbminimaXXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], path[512];
    snprintf(sub, sizeof sub, "%s/datasets/minima", dir);
    bb_ctx c = {0};
    assert_int_equal(bb_mkdir_p(sub, &c), BB_OK);
    setenv("BOLTZBENCH_SOURCE_DIR", dir, 1);
    assert_int_equal(bb_minima_catalogue_path(&t, path, sizeof path), BB_OK);
    bb_minima cat;
    bb_minima_init(&cat, &t);
    double sx[2] = {-1.0, 1.0}, sy[2] = {-1.0, 1.0};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double p[2] = {newton_root(sx[a], 0.3), newton_root(sy[b], 0.1)}, uu;
            toy_energy(&t, 1, p, &uu, NULL, NULL);
            assert_int_equal(bb_minima_add(&cat, p, uu, 1, 1e-6, 1e-4, NULL, NULL, NULL, &c), BB_OK);
        }
    cJSON *prov = cJSON_CreateObject();
    cJSON_AddStringToObject(prov, "source", "test");
    assert_int_equal(bb_minima_write(path, &cat, t.id, 1e-6, 1e-3, prov, &c), BB_OK);
    cJSON_Delete(prov);
    /* round trip */
    bb_minima back;
    cJSON *meta = NULL;
    assert_int_equal(bb_minima_read(path, &t, &back, &meta, &c), BB_OK);
    assert_int_equal(back.n, 4);
    assert_memory_equal(back.x, cat.x, 8 * sizeof(double));
    assert_memory_equal(back.u, cat.u, 4 * sizeof(double));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(meta, "provenance"), "source")->valuestring, "test");
    cJSON_Delete(meta);
    bb_minima_free(&back);

    size_t n = 300;
    bb_samples s;
    assert_int_equal(bb_samples_alloc(&s, n, 2, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 22, 1);
    for (size_t i = 0; i < n; i++) {
        s.x[2 * i] = -0.3 - 1.5 * bb_rng_uniform(&r);
        s.x[2 * i + 1] = 4.0 * bb_rng_uniform(&r) - 2.0;
    }
    bb_eval_input in = {&t, &s, NULL, NULL, NULL, 5, 0, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute(&in, 0, out, &c), BB_OK);
    cJSON *rec = cJSON_GetObjectItem(out, "minima_recall"), *pre = cJSON_GetObjectItem(out, "minima_precision");
    assert_non_null(rec);
    assert_non_null(pre);
    CHECK_CLOSE(cJSON_GetObjectItem(rec, "value")->valuedouble, 0.5, 0.0);
    CHECK_CLOSE(cJSON_GetObjectItem(pre, "value")->valuedouble, 1.0, 0.0);
    cJSON *curve = cJSON_GetObjectItem(rec, "curve");
    assert_int_equal(cJSON_GetArraySize(curve), 21);
    /* the right-hand minima are ~2 away (x ≈ ±1): recall reaches 1 only at δ ≥ 2.0 */
    CHECK_CLOSE(cJSON_GetArrayItem(curve, 20)->valuedouble, 1.0, 0.0);
    CHECK_CLOSE(cJSON_GetArrayItem(curve, 8)->valuedouble, 0.5, 0.0);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "amr_precision"), "value")->valuedouble, 0.0, 1e-4);
    double xr = newton_root(1.0, 0.3), xl = newton_root(-1.0, 0.3);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "amr_recall"), "value")->valuedouble,
                0.5 * (xr - xl) / sqrt(1.0) * 1.0, 1e-4);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "minima_distinct"), "value")->valuedouble, 2.0, 0.0);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "minima_global_found"), "value")->valuedouble, 1.0, 0.0);
    assert_true(
        cJSON_GetObjectItem(cJSON_GetObjectItem(out, "minima_distinct"), "evaluator_energy_evals")->valuedouble >
        16); /* 2 × 4 relaxations */
    cJSON_Delete(out);
    remove(path);
    bb_samples_free(&s);
    bb_minima_free(&cat);
    /* a task that declares no catalogue: nothing added */
    out = cJSON_CreateObject();
    bb_samples s1 = {1, 2, (double[]){0.5, 0.5}, NULL};
    bb_task_type plain = toy_type;
    plain.minima_catalogue = NULL;
    bb_task tp = t;
    tp.type = &plain;
    bb_eval_input in0 = {&tp, &s1, NULL, NULL, NULL, 5, 0, 0, NULL, 0};
    assert_int_equal(bb_metrics_compute(&in0, 0, out, &c), BB_OK);
    assert_null(cJSON_GetObjectItem(out, "minima_recall"));
    cJSON_Delete(out);
    /* a declared catalogue that is missing: an error naming the file, not a silent skip */
    out = cJSON_CreateObject();
    setenv("BOLTZBENCH_SOURCE_DIR", "/nonexistent", 1);
    bb_eval_input in1 = {&t, &s1, NULL, NULL, NULL, 5, 0, 0, NULL, 0};
    assert_int_not_equal(bb_metrics_compute(&in1, 0, out, &c), BB_OK);
    assert_non_null(strstr(c.msg, "/nonexistent/datasets/minima/toy2d@1.json.gz"));
    memset(&c, 0, sizeof c);
    cJSON_Delete(out);
    /* a corrupt catalogue is an error naming the file */
    setenv("BOLTZBENCH_SOURCE_DIR", dir, 1);
    FILE *fp = fopen(path, "wb");
    fputs("not gzip", fp);
    fclose(fp);
    out = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute(&in1, 0, out, &c), BB_EFORMAT);
    printf("  error: %s\n", c.msg);
    cJSON_Delete(out);
    remove(path);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/datasets", dir);
    rmdir(sub);
    rmdir(dir);
}

/* The task lj13-phys; skips the test when it cannot be made. */
static bb_task *lj13_phys_or_skip(void) {
    bb_task *t = NULL;
    bb_ctx c = {0};
    if (bb_task_create("lj13-phys", NULL, &t, &c) != BB_OK) {
        printf("skip: task lj13-phys unavailable (%s)\n", c.msg);
        skip();
    }
    return t;
}

/* LJ-13 (physical convention): a perturbed icosahedron relaxes to −44.326801; a
 * rotated, reflected, permuted copy is recognised as the same minimum. */
BB_TEST(perturbed_icosahedron_relaxes_to_the_lj13_global_minimum) {
    bb_task *t = lj13_phys_or_skip();
    bb_ctx c = {0};
    const double phi = (1 + sqrt(5.0)) / 2, s = 1.1 / sqrt(1 + phi * phi);
    double x[39] = {0};
    int k = 3;
    for (int a = -1; a <= 1; a += 2)
        for (int b = -1; b <= 1; b += 2) {
            double v[3][3] = {{0, a, b * phi}, {a, b * phi, 0}, {b * phi, 0, a}};
            for (int q = 0; q < 3; q++)
                for (int d = 0; d < 3; d++) x[k++] = s * v[q][d];
        }
    bb_rng r;
    bb_rng_init(&r, 23, 1);
    for (int i = 0; i < 39; i++) x[i] += 0.03 * bb_rng_normal(&r);
    double u;
    int st;
    int64_t ev = 0;
    bb_relax_opts ro = {1e-6, 5000, NULL, NULL, 0};
    assert_int_equal(bb_relax(t, 1, x, &u, &st, &ev, &ro, &c), BB_OK);
    printf("  relaxed energy %.7f after %lld evaluations\n", u, (long long)ev);
    assert_int_equal(st, BB_RELAX_CONVERGED);
    CHECK_CLOSE(u * t->kT, -44.326801, 1e-6);
    /* y = −x with particles reversed: same minimum */
    double y[39];
    for (int p = 0; p < 13; p++)
        for (int d = 0; d < 3; d++) y[p * 3 + d] = -x[(12 - p) * 3 + d] + 0.4;
    bb_minima m;
    bb_minima_init(&m, t);
    bb_align_ws *ws = NULL;
    assert_int_equal(bb_align_ws_alloc(13, 3, &ws, &c), BB_OK);
    int is_new;
    assert_int_equal(bb_minima_add(&m, x, u, 1, 1e-3, 0.05, ws, &is_new, NULL, &c), BB_OK);
    assert_true(is_new);
    assert_int_equal(bb_minima_add(&m, y, u + 1e-9, 1, 1e-3, 0.05, ws, &is_new, NULL, &c), BB_OK);
    assert_false(is_new);
    assert_int_equal(m.count[0], 2);
    bb_align_ws_free(ws);
    /* The icosahedron's principal axes are degenerate: random rotations/permutations of
     * it must still be recognised (robust pass), in every trial. */
    bb_min_dist md;
    bb_min_dist_init(&md, t, &c);
    int plain_ok = 0;
    for (int trial = 0; trial < 40; trial++) {
        double q[4], qs = 0.0, R[9], z[39];
        for (int k2 = 0; k2 < 4; k2++) {
            q[k2] = bb_rng_normal(&r);
            qs += q[k2] * q[k2];
        }
        qs = sqrt(qs);
        double a = q[0] / qs, b = q[1] / qs, cc = q[2] / qs, d = q[3] / qs;
        double M[9] = {
            a * a + b * b - cc * cc - d * d, 2 * (b * cc - a * d), 2 * (b * d + a * cc), 2 * (b * cc + a * d),
            a * a - b * b + cc * cc - d * d, 2 * (cc * d - a * b), 2 * (b * d - a * cc), 2 * (cc * d + a * b),
            a * a - b * b - cc * cc + d * d};
        memcpy(R, M, sizeof M);
        for (int p = 0; p < 13; p++) {
            int src = (p * 5 + trial) % 13;
            for (int i = 0; i < 3; i++) {
                z[p * 3 + i] = 0.0;
                for (int j = 0; j < 3; j++) z[p * 3 + i] += R[i * 3 + j] * x[src * 3 + j];
            }
        }
        double rr, rp;
        assert_int_equal(bb_align_ws_alloc(13, 3, &ws, &c), BB_OK);
        assert_int_equal(bb_min_rmsd(&md, x, z, ws, 0.05, &rr), BB_OK);
        assert_int_equal(bb_min_rmsd(&md, x, z, ws, 0.0, &rp), BB_OK);
        bb_align_ws_free(ws);
        plain_ok += rp <= 0.05;
        if (rr > 1e-6) {
            printf("  trial %d: robust RMSD %.3g\n", trial, rr);
            fail();
        }
    }
    printf("  icosahedron copies recognised: robust 40/40, principal-axes starts alone %d/40\n", plain_ok);
    bb_minima_free(&m);
    bb_task_free(t);
}

/* Regression: the first LJ-13 catalogue build stored the icosahedron twice — two
 * orientations whose principal-axes alignment ended at RMSD 0.48. Those two exact
 * configurations are kept here; the robust pass must merge them. */
BB_TEST(symmetric_minima_that_defeat_principal_axes_are_merged) {
    bb_task *t = lj13_phys_or_skip();
    bb_ctx c = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/metrics/data/icosahedra_pair.json.gz", BB_SOURCE_DIR);
    bb_minima m;
    assert_int_equal(bb_minima_read(path, t, &m, NULL, &c), BB_OK);
    assert_int_equal(m.n, 2);
    bb_align_ws *ws = NULL;
    assert_int_equal(bb_align_ws_alloc(13, 3, &ws, &c), BB_OK);
    double plain, robust;
    assert_int_equal(bb_min_rmsd(&m.md, m.x, m.x + 39, ws, 0.0, &plain), BB_OK);
    assert_int_equal(bb_min_rmsd(&m.md, m.x, m.x + 39, ws, 0.05, &robust), BB_OK);
    printf("  principal-axes starts: RMSD %.4f; with atom-pair frames: %.3g\n", plain, robust);
    assert_true(robust < 1e-6);
    bb_minima merged;
    bb_minima_init(&merged, t);
    for (size_t k = 0; k < 2; k++)
        assert_int_equal(bb_minima_add(&merged, m.x + 39 * k, m.u[k], 1, 1e-3, 0.05, ws, NULL, NULL, &c), BB_OK);
    assert_int_equal(merged.n, 1);
    assert_int_equal(merged.count[0], 2);
    bb_minima_free(&merged);
    bb_minima_free(&m);
    bb_align_ws_free(ws);
    bb_task_free(t);
}

/* bb_minima_draw, the draw both recall-of-minima metrics relax: rows with u = +inf are never
 * drawn, an unweighted draw takes at most the usable rows (each once), a weighted one draws
 * with the weights (a zero-weight row never), no usable row gives none; rows copied exactly. */
BB_TEST(minima_draw_takes_only_usable_rows) {
    double xs[5 * 2] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, u[5] = {0, INFINITY, 1, INFINITY, 2};
    bb_samples s = {5, 2, xs, NULL};
    bb_ctx c = {0};
    size_t ng = 10;
    double *x = NULL;
    assert_int_equal(bb_minima_draw(&s, u, 3, 77, &ng, &x, &c), BB_OK);
    assert_int_equal(ng, 3);
    int seen[5] = {0};
    for (size_t i = 0; i < ng; i++) {
        int r = (int)x[2 * i];
        assert_true(x[2 * i + 1] == (double)r && (r == 0 || r == 2 || r == 4));
        seen[r]++;
    }
    assert_true(seen[0] == 1 && seen[2] == 1 && seen[4] == 1);
    free(x);
    double lw[5] = {0, 0, -INFINITY, 0, 0}; /* row 2 has weight 0 */
    s.logw = lw;
    ng = 20;
    assert_int_equal(bb_minima_draw(&s, u, 3, 77, &ng, &x, &c), BB_OK);
    assert_int_equal(ng, 20);
    for (size_t i = 0; i < ng; i++) assert_true(x[2 * i] == 0.0 || x[2 * i] == 4.0);
    free(x);
    const double none[5] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    s.logw = NULL;
    ng = 4;
    assert_int_equal(bb_minima_draw(&s, none, 3, 77, &ng, &x, &c), BB_OK);
    assert_int_equal(ng, 0);
    assert_null(x);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(relaxation_finds_the_four_toy_minima),
             cmocka_unit_test(recall_and_precision_on_the_toy_catalogue),
             cmocka_unit_test(perturbed_icosahedron_relaxes_to_the_lj13_global_minimum),
             cmocka_unit_test(symmetric_minima_that_defeat_principal_axes_are_merged),
             cmocka_unit_test(minima_draw_takes_only_usable_rows))
