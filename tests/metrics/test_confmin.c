/* test_confmin.c — the conformer tasks' minima catalogues and their recall-of-minima metric.
 *
 * Every committed catalogue (84 molecules): energies equal the C force field's at the stored
 * geometries (|Δu| <= 1e-9 max(1, |u|)), the C gradient there is small (max |∇E| <= 1e-2
 * kcal/mol/Å: the geometries are RDKit-minimised to forceTol 1e-8 and rounded to 1e-6 Å), every
 * minimum has the molecule's stereo, minima are pairwise >= rtol apart (the C RMSD), weights are
 * the Boltzmann weights of the energies, and the energies span at most the window. The stereo check
 * on constructed geometries (cis/trans, both signs of a centre, planar), the stereo block's parse
 * errors, and the metric on exact cases: the catalogue itself as samples (recall 1, precision 1, no
 * new minima), perturbed copies relaxing back, mirror images flagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness/core/rng.h"
#include "harness/metrics/conf_rmsd.h"
#include "harness/metrics/confmin.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "tasks/molecules/conformers.h"
#include "tasks/task.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

#define GRAD_TOL 1e-2 /* kcal/mol/Å at the stored (rounded) minima */

static double value_of(const cJSON *out, const char *name) {
    const cJSON *e = cJSON_GetObjectItem(out, name);
    assert_non_null(e);
    assert_non_null(cJSON_GetObjectItem(e, "definition"));
    return cJSON_GetObjectItem(e, "value")->valuedouble;
}

static void load(const char *hash, bb_task **t, bb_conf_catalogue *c) {
    char id[96], path[4096];
    snprintf(id, sizeof id, "conf-%s@1", hash);
    *t = bb_test_task(id);
    bb_ctx ctx = {0};
    assert_int_equal(bb_conf_catalogue_path(*t, path, sizeof path), BB_OK);
    int rc = bb_conf_catalogue_read(path, *t, c, &ctx);
    if (rc) printf("%s\n", ctx.msg);
    assert_int_equal(rc, BB_OK);
}

BB_TEST(every_catalogue_holds_minima_of_the_c_force_field) {
    double worst_du = 0.0, worst_g = 0.0, closest = INFINITY;
    size_t total = 0;
    for (int k = 0; k < BB_CONFORMER_COUNT; k++) {
        bb_task *t;
        bb_conf_catalogue c;
        load(bb_conformer_molecules[k].hash, &t, &c);
        const bb_mmff *ff = bb_task_conformer_ff(t);
        size_t n = c.m.n, dof = (size_t)t->dof;
        double *g = malloc(dof * sizeof *g), *D = malloc(n * n * sizeof *D), wsum = 0.0;
        assert_true(g && D);
        bb_ctx ctx = {0};
        for (size_t i = 0; i < n; i++) {
            const double *x = c.m.x + i * dof;
            double u, gmax = 0.0;
            assert_int_equal(bb_task_energy(t, 1, x, &u, NULL, &ctx), BB_OK);
            double du = fabs(u - c.m.u[i]) / fmax(1.0, fabs(u));
            bb_mmff_energy(ff, x, g, NULL);
            for (size_t q = 0; q < dof; q++) gmax = fmax(gmax, fabs(g[q]));
            worst_du = fmax(worst_du, du), worst_g = fmax(worst_g, gmax);
            assert_true(du <= 1e-9);
            assert_true(gmax <= GRAD_TOL);
            assert_int_equal(bb_conf_stereo_violations(&c.stereo, x), 0);
            assert_true(fabs(c.weight[i] - c.weight[0] * exp(-(c.m.u[i] - c.m.u[0]))) <= 1e-15);
            wsum += c.weight[i];
        }
        assert_true(fabs(wsum - 1.0) <= 1e-12);
        assert_true((c.m.u[n - 1] - c.m.u[0]) * t->kT <= c.window + 1e-9);
        bb_conf_sym *sym;
        assert_int_equal(bb_conf_sym_from_mmff(ff, 0, &sym, &ctx), BB_OK);
        assert_int_equal(bb_conf_rmsd_matrix(sym, n, c.m.x, n, c.m.x, D, &ctx), BB_OK);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                closest = fmin(closest, D[i * n + j]);
                assert_true(D[i * n + j] >= c.rtol);
            }
        total += n;
        bb_conf_sym_free(sym);
        free(g);
        free(D);
        bb_conf_catalogue_free(&c);
        bb_task_free(t);
    }
    printf("  %zu minima in %d catalogues: max relative |du| %.2e, max |grad E| %.2e kcal/mol/A (tol %.0e), "
           "closest pair %.3f A\n",
           total, BB_CONFORMER_COUNT, worst_du, worst_g, GRAD_TOL, closest);
}

/* Four atoms i-j=k-l in the xy plane (trans), a tetrahedral centre with three neighbours. */
BB_TEST(stereo_check_of_constructed_geometries) {
    int centre[4] = {4, 5, 6, 7}, dbond[4] = {0, 1, 2, 3};
    signed char sign = 1;
    unsigned char trans = 1;
    bb_conf_stereo s = {1, 1, centre, &sign, dbond, &trans};
    double x[8 * 3] = {-1, 1, 0, 0, 0, 0, 1.3, 0, 0, 2.3, -1, 0,  /* trans */
                       0,  0, 5, 1, 0, 5, 0,   1, 5, 0,   0,  6}; /* volume (1,0,0)·((0,1,0)×(0,0,1)) = +1 */
    assert_int_equal(bb_conf_stereo_violations(&s, x), 0);
    x[11] = 0, x[10] = 1; /* l to the same side as i: cis */
    assert_int_equal(bb_conf_stereo_violations(&s, x), 1);
    trans = 0;
    assert_int_equal(bb_conf_stereo_violations(&s, x), 0);
    x[23] = 4; /* the fourth neighbour below: volume −1 */
    assert_int_equal(bb_conf_stereo_violations(&s, x), 1);
    sign = -1;
    assert_int_equal(bb_conf_stereo_violations(&s, x), 0);
    x[23] = 5; /* planar: wrong for either sign */
    assert_int_equal(bb_conf_stereo_violations(&s, x), 1);
    sign = 1;
    assert_int_equal(bb_conf_stereo_violations(&s, x), 1);
}

BB_TEST(stereo_block_parse_errors_name_the_field) {
    const char *bad[] = {
        "{\"centres\": [], \"double_bonds\": {}}",
        "{\"centres\": [{\"atom\": 1, \"neighbours\": [0, 2], \"sign\": 1}], \"double_bonds\": []}",
        "{\"centres\": [{\"atom\": 1, \"neighbours\": [0, 2, 3], \"sign\": 0}], \"double_bonds\": []}",
        "{\"centres\": [{\"atom\": 9, \"neighbours\": [0, 2, 3], \"sign\": 1}], \"double_bonds\": []}",
        "{\"centres\": [], \"double_bonds\": [{\"atoms\": [0, 1, 2, 3], \"trans\": 2}]}",
    };
    const char *field[] = {"centres", "centres[0]", "centres[0]", "centres[0]", "double_bonds[0]"};
    for (int k = 0; k < 5; k++) {
        cJSON *j = cJSON_Parse(bad[k]);
        bb_conf_stereo s;
        bb_ctx c = {0};
        assert_int_equal(bb_conf_stereo_parse(j, 4, "f.json", &s, &c), BB_EFORMAT);
        printf("  %s\n", c.msg);
        assert_non_null(strstr(c.msg, field[k]));
        assert_non_null(strstr(c.msg, "f.json"));
        cJSON_Delete(j);
    }
    cJSON *j = cJSON_Parse("{\"centres\": [{\"atom\": 1, \"neighbours\": [0, 2, 3], \"sign\": -1, \"cip\": \"R\"}],"
                           " \"double_bonds\": [{\"atoms\": [0, 1, 2, 3], \"trans\": 1}]}");
    bb_conf_stereo s;
    assert_int_equal(bb_conf_stereo_parse(j, 4, "f.json", &s, NULL), BB_OK);
    assert_int_equal(s.ncentre, 1);
    assert_int_equal(s.centre[0], 1);
    assert_int_equal(s.centre[3], 3);
    assert_int_equal(s.sign[0], -1);
    assert_int_equal(s.trans[0], 1);
    bb_conf_stereo_free(&s);
    cJSON_Delete(j);
}

/* Samples built from the catalogue: copies (mode 0), copies + N(0, 0.05² Å²) (mode 1), mirror images (2). */
static cJSON *score(const char *hash, int mode, bb_conf_catalogue *cat_out, bb_task **t_out) {
    bb_task *t;
    load(hash, &t, cat_out);
    size_t n = cat_out->m.n, dof = (size_t)t->dof;
    bb_samples s = {0};
    assert_int_equal(bb_samples_alloc(&s, n, dof, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 17, 0);
    for (size_t i = 0; i < n * dof; i++) {
        double v = cat_out->m.x[i];
        s.x[i] = mode == 2 && i % 3 == 0 ? -v : v + (mode == 1 ? 0.05 * bb_rng_normal(&r) : 0.0);
    }
    bb_eval_input in = {.task = t, .samples = &s, .seed = 3};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    char opt[40];
    snprintf(opt, sizeof opt, "minima_recall:n=%zu", n < 2 ? 2 : n); /* every sample once (n capped at n) */
    const char *names[] = {opt};
    int rc = bb_metrics_compute_only(&in, 0, names, 1, out, &c);
    if (rc) printf("%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    bb_samples_free(&s);
    *t_out = t;
    return out;
}

/* rot7_3420a89b7f: a flexible molecule with a large catalogue; rot3_558669a5be (mandelic acid): a
 * stereocentre. */
BB_TEST(catalogue_as_samples_is_recalled_exactly) {
    const char *mols[] = {"rot7_3420a89b7f", "rot3_558669a5be"};
    for (int k = 0; k < 2; k++) {
        bb_conf_catalogue c;
        bb_task *t;
        cJSON *out = score(mols[k], 0, &c, &t);
        printf("  %s: %zu minima\n", mols[k], c.m.n);
        CHECK_CLOSE(value_of(out, "minima_recall"), 1.0, 0.0);
        CHECK_CLOSE(value_of(out, "minima_recall_weighted"), 1.0, 1e-12);
        CHECK_CLOSE(value_of(out, "minima_precision"), 1.0, 0.0);
        CHECK_CLOSE(value_of(out, "minima_new_low"), 0.0, 0.0);
        CHECK_CLOSE(value_of(out, "stereo_ok_fraction"), 1.0, 0.0);
        const cJSON *d = cJSON_GetObjectItem(out, "minima_distinct");
        CHECK_CLOSE(cJSON_GetObjectItem(d, "n_new")->valuedouble, 0.0, 0.0);
        assert_true(cJSON_GetObjectItem(d, "evaluator_energy_evals")->valuedouble >= (double)c.m.n);
        const cJSON *h = cJSON_GetObjectItem(d, "hits");
        assert_int_equal(cJSON_GetArraySize(h), (int)c.m.n);
        for (size_t j = 0; j < c.m.n; j++) assert_true(cJSON_GetArrayItem(h, (int)j)->valuedouble == 1.0);
        cJSON_Delete(out);
        bb_conf_catalogue_free(&c);
        bb_task_free(t);
    }
}

BB_TEST(perturbed_minima_relax_back) {
    bb_conf_catalogue c;
    bb_task *t;
    cJSON *out = score("rot7_3420a89b7f", 1, &c, &t);
    CHECK_CLOSE(value_of(out, "minima_recall"), 1.0, 0.0);
    CHECK_CLOSE(value_of(out, "minima_precision"), 1.0, 0.0);
    CHECK_CLOSE(value_of(out, "minima_new_low"), 0.0, 0.0);
    const cJSON *d = cJSON_GetObjectItem(out, "minima_distinct");
    CHECK_CLOSE(cJSON_GetObjectItem(d, "n_not_converged")->valuedouble, 0.0, 0.0);
    cJSON_Delete(out);
    bb_conf_catalogue_free(&c);
    bb_task_free(t);
}

/* x -> −x inverts the stereocentre: flagged before and after relaxation, matched to nothing, no new
 * minimum (a wrong-stereo structure is not one of the molecule's minima). */
BB_TEST(mirror_images_are_flagged) {
    bb_conf_catalogue c;
    bb_task *t;
    cJSON *out = score("rot3_558669a5be", 2, &c, &t);
    assert_true(c.stereo.ncentre >= 1);
    CHECK_CLOSE(value_of(out, "stereo_ok_fraction"), 0.0, 0.0);
    CHECK_CLOSE(value_of(out, "minima_recall"), 0.0, 0.0);
    CHECK_CLOSE(value_of(out, "minima_precision"), 0.0, 0.0);
    const cJSON *d = cJSON_GetObjectItem(out, "minima_distinct");
    double drawn = cJSON_GetObjectItem(d, "n_drawn")->valuedouble;
    CHECK_CLOSE(cJSON_GetObjectItem(d, "n_wrong_stereo_relaxed")->valuedouble, drawn, 0.0);
    CHECK_CLOSE(cJSON_GetObjectItem(d, "n_new")->valuedouble, 0.0, 0.0);
    cJSON_Delete(out);
    bb_conf_catalogue_free(&c);
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(stereo_check_of_constructed_geometries),
             cmocka_unit_test(stereo_block_parse_errors_name_the_field),
             cmocka_unit_test(every_catalogue_holds_minima_of_the_c_force_field),
             cmocka_unit_test(catalogue_as_samples_is_recalled_exactly), cmocka_unit_test(perturbed_minima_relax_back),
             cmocka_unit_test(mirror_images_are_flagged))
