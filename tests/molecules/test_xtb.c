/* test_xtb.c — the optional GFN2-xTB backend (tasks/molecules/xtb.h) and the conformer tasks'
 * params {"energy": "gfn2-xtb"}.
 *
 * Without libxtb (the default build) it checks that the request is refused with one line naming
 * -DBB_XTB=ON, then exits 77 (ctest: skipped). With it (cmake -DBB_XTB=ON, Debian libxtb-dev 6.5.1):
 * gradient vs 4-point central differences (h = 1e-3 Å; tolerance FD_TOL relative to max(1, |∇E|),
 * the SCF's convergence limits the differences, not the analytic gradient); energy invariant under a
 * rigid motion (ROT_TOL kcal/mol) and the gradient rotating with it; the CREST conformers of the fast
 * set's GEOM-DRUGS molecules (and a cation) lie near GFN2-xTB minima (max |∇E| < CREST_GMAX, far
 * below the same atoms at the MMFF94s minimum or with 0.05 Å noise); the task's u = E/kT bit for bit,
 * bit-identical on 1 and 2 threads and independent of the previous evaluation; bad requests refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "harness/core/rng.h"
#include "tasks/molecules/conformers.h"
#include "tasks/molecules/xtb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/molecules/mmfftest.h"
#include "tests/testmain.h"

#define FD_H       1e-3 /* Å */
#define FD_TOL     1e-4 /* relative to max(1, |∇E|) */
#define ROT_TOL    1e-5 /* kcal/mol, energy after a rigid motion (SCF convergence: 4e-7 seen) */
#define CREST_GMAX 0.5  /* kcal/mol/Å, max |∇E| at a CREST conformer */

static const bb_conformer_molecule *molecule(const char *hash) {
    for (int i = 0; i < BB_CONFORMER_COUNT; i++)
        if (strcmp(bb_conformer_molecules[i].hash, hash) == 0) return &bb_conformer_molecules[i];
    fail_msg("no molecule %s", hash);
    return NULL;
}

/* Reference geometry `label` of a molecule (index into r[], which the caller frees). */
static int geometry(mt_ref_geom *r, int n, const char *label) {
    for (int i = 0; i < n; i++)
        if (strcmp(r[i].label, label) == 0) return i;
    fail_msg("no geometry %s", label);
    return -1;
}

static bb_xtb *calculator(const bb_mmff *ff) {
    double q = 0.0;
    for (int i = 0; i < ff->natom; i++) q += ff->charge[i];
    bb_xtb *xt = NULL;
    bb_ctx c = {0};
    int rc = bb_xtb_new(ff->natom, (const char(*)[3])ff->element, (int)nearbyint(q), ff->start, &xt, &c);
    if (rc) printf("%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return xt;
}

static double gmax(const double *g, size_t D) {
    double m = 0.0;
    for (size_t k = 0; k < D; k++) m = fmax(m, fabs(g[k]));
    return m;
}

BB_TEST(gradient_matches_central_differences) {
    const bb_conformer_molecule *m = molecule("rot3_558669a5be");
    bb_mmff *ff = mt_mmff_load(m);
    mt_ref_geom r[8];
    int n = mt_read_ref(m->hash, ff->natom, r);
    bb_xtb *xt = calculator(ff);
    size_t D = 3 * (size_t)ff->natom;
    double *x = malloc(D * sizeof *x), *g = malloc(D * sizeof *g);
    memcpy(x, r[geometry(r, n, "noise-0.05A crest-0")].x, D * sizeof *x);
    double e = bb_xtb_energy(xt, x, g), worst = 0.0, scale = fmax(1.0, gmax(g, D));
    assert_true(isfinite(e));
    for (size_t k = 0; k < D; k++) {
        double x0 = x[k], f[4], s[4] = {-2, -1, 1, 2};
        for (int q = 0; q < 4; q++) {
            x[k] = x0 + s[q] * FD_H;
            f[q] = bb_xtb_energy(xt, x, NULL);
        }
        x[k] = x0;
        double fd = (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * FD_H);
        worst = fmax(worst, fabs(fd - g[k]) / scale);
    }
    printf("%s noise-0.05A: E %.6f kcal/mol, max|grad| %.3f kcal/mol/A, worst central difference %.2e relative "
           "(tol %.0e)\n",
           m->hash, e, gmax(g, D), worst, FD_TOL);
    assert_true(worst < FD_TOL);
    BB_FREE_ALL(x, g);
    bb_xtb_free(xt);
    mt_free_ref(r, n);
    bb_mmff_free(ff);
}

BB_TEST(energy_is_invariant_under_rigid_motion_and_the_gradient_rotates_with_it) {
    const bb_conformer_molecule *m = molecule("rot3_558669a5be");
    bb_mmff *ff = mt_mmff_load(m);
    mt_ref_geom r[8];
    int n = mt_read_ref(m->hash, ff->natom, r);
    bb_xtb *xt = calculator(ff);
    size_t D = 3 * (size_t)ff->natom;
    const double *x = r[geometry(r, n, "noise-0.05A crest-0")].x;
    double *y = malloc(D * sizeof *y), *g = malloc(D * sizeof *g), *gy = malloc(D * sizeof *gy);
    /* rotation by 1 rad about (1, 2, 2)/3, then a shift */
    double a[3] = {1.0 / 3, 2.0 / 3, 2.0 / 3}, c = cos(1.0), s = sin(1.0), R[3][3], t[3] = {3.1, -7.2, 0.4};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) R[i][j] = (i == j ? c : 0.0) + (1.0 - c) * a[i] * a[j];
    R[0][1] -= s * a[2], R[0][2] += s * a[1], R[1][0] += s * a[2], R[1][2] -= s * a[0], R[2][0] -= s * a[1],
        R[2][1] += s * a[0];
    for (int i = 0; i < ff->natom; i++)
        for (int p = 0; p < 3; p++) {
            y[3 * i + p] = t[p];
            for (int q = 0; q < 3; q++) y[3 * i + p] += R[p][q] * x[3 * i + q];
        }
    double e = bb_xtb_energy(xt, x, g), ey = bb_xtb_energy(xt, y, gy), dg = 0.0;
    for (int i = 0; i < ff->natom; i++)
        for (int p = 0; p < 3; p++) {
            double rg = 0.0;
            for (int q = 0; q < 3; q++) rg += R[p][q] * g[3 * i + q];
            dg = fmax(dg, fabs(rg - gy[3 * i + p]));
        }
    printf("rigid motion: |dE| %.2e kcal/mol (tol %.0e), gradient %.2e kcal/mol/A\n", fabs(e - ey), ROT_TOL, dg);
    assert_true(fabs(e - ey) < ROT_TOL);
    assert_true(dg < 1e-4 * fmax(1.0, gmax(g, D)));
    BB_FREE_ALL(y, g, gy);
    bb_xtb_free(xt);
    mt_free_ref(r, n);
    bb_mmff_free(ff);
}

BB_TEST(crest_conformers_lie_near_gfn2_minima) {
    /* the fast set's GEOM-DRUGS molecules (3..8 rotatable bonds) and a protonated amine (charge +1) */
    const char *hashes[] = {"rot3_558669a5be", "rot4_19e5c11829", "rot5_16d5245dfa", "rot6_f5c221dd5a",
                            "rot7_8033a14113", "rot8_836d2c52d3", "rot3_e1220c6cc9"};
    for (size_t h = 0; h < sizeof hashes / sizeof *hashes; h++) {
        const bb_conformer_molecule *m = molecule(hashes[h]);
        bb_mmff *ff = mt_mmff_load(m);
        mt_ref_geom r[8];
        int n = mt_read_ref(m->hash, ff->natom, r);
        bb_xtb *xt = calculator(ff);
        size_t D = 3 * (size_t)ff->natom;
        double *g = malloc(D * sizeof *g), gm[3];
        const char *labels[3] = {"crest-0", "mmff94s-minimised crest-0", "noise-0.05A crest-0"};
        for (int k = 0; k < 3; k++) {
            assert_true(isfinite(bb_xtb_energy(xt, r[geometry(r, n, labels[k])].x, g)));
            gm[k] = gmax(g, D);
        }
        printf("%s (%d atoms): max|grad| GFN2-xTB at CREST conformer 0 %.3f, at its MMFF94s minimum %.2f, with "
               "0.05 A noise %.1f kcal/mol/A\n",
               m->hash, ff->natom, gm[0], gm[1], gm[2]);
        assert_true(gm[0] < CREST_GMAX);
        assert_true(gm[1] > 4.0 * gm[0] && gm[2] > 20.0 * gm[0]);
        free(g);
        bb_xtb_free(xt);
        mt_free_ref(r, n);
        bb_mmff_free(ff);
    }
}

static bb_task *gfn2_task(const char *id) {
    cJSON *p = cJSON_Parse("{\"energy\": \"gfn2-xtb\"}");
    bb_task *t = NULL;
    bb_ctx c = {0};
    int rc = bb_task_create(id, p, &t, &c);
    if (rc) printf("%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    cJSON_Delete(p);
    return t;
}

BB_TEST(the_task_reduces_by_kT_bit_identically_on_any_thread_count_and_history) {
    bb_task *t = gfn2_task("conf-rot3_558669a5be@1");
    const bb_mmff *ff = bb_task_conformer_ff(t);
    bb_xtb *xt = calculator(ff);
    size_t D = (size_t)t->dof, N = 20;
    double *x = malloc(N * D * sizeof *x), *g1 = malloc(N * D * sizeof *g1), *g2 = malloc(N * D * sizeof *g2);
    double *g = malloc(D * sizeof *g), u1[20], u2[20];
    bb_rng rng;
    bb_rng_init(&rng, 2385, 0);
    bb_ctx c = {0};
    assert_int_equal(bb_task_initial(t, N, &rng, x, &c), BB_OK);
    assert_int_equal(bb_task_energy_threads(t, N, x, u1, g1, 1, &c), BB_OK);
    assert_int_equal(bb_task_energy_threads(t, N, x, u2, g2, 2, &c), BB_OK);
    assert_memory_equal(u1, u2, sizeof u1);
    assert_memory_equal(g1, g2, N * D * sizeof *g1);
    for (size_t i = N; i-- > 0;) { /* reverse order: a value does not depend on the previous geometry */
        double e = bb_xtb_energy(xt, x + i * D, g);
        assert_true(u1[i] == e * (1.0 / t->kT));
        for (size_t k = 0; k < D; k++) assert_true(g1[i * D + k] == g[k] * (1.0 / t->kT));
    }
    printf("conf-rot3_558669a5be@1 gfn2-xtb: %zu initial() configurations, u %.1f .. (1 and 2 threads equal)\n", N,
           u1[0]);
    x[5] = NAN;
    assert_int_equal(bb_task_energy(t, N, x, u1, g1, &c), BB_ENAN);
    BB_FREE_ALL(x, g1, g2, g);
    bb_xtb_free(xt);
    bb_task_free(t);
}

BB_TEST(bad_requests_are_refused_with_one_line) {
    const char e2[2][3] = {"C", "Xx"};
    double x[6] = {0, 0, 0, 1.2, 0, 0};
    bb_xtb *xt = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_xtb_new(2, e2, 0, x, &xt, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "element 'Xx'"));
    const char h2[2][3] = {"H", "H"};
    assert_int_equal(bb_xtb_new(2, h2, 1, x, &xt, &c), BB_EINVAL); /* H2+ */
    assert_non_null(strstr(c.msg, "open shell"));
    assert_null(xt);
    assert_int_equal(bb_xtb_atomic_number("Cl"), 17);
    assert_int_equal(bb_xtb_atomic_number("Rn"), 86);
    assert_int_equal(bb_xtb_atomic_number("cl"), 0);
}

/* Both builds: an unknown energy or parameter is refused naming the field. */
BB_TEST(unknown_energy_or_parameter_is_refused) {
    const char *bad[][2] = {{"{\"energy\": \"dft\"}", "params.energy: must be"},
                            {"{\"energy\": 1}", "params.energy: must be"},
                            {"{\"temperature\": 400}", "params.temperature: unknown parameter"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *p = cJSON_Parse(bad[i][0]);
        bb_task *t = NULL;
        bb_ctx c = {0};
        assert_int_equal(bb_task_create("conf-rot3_558669a5be@1", p, &t, &c), BB_EINVAL);
        assert_non_null(strstr(c.msg, bad[i][1]));
        assert_null(t);
        cJSON_Delete(p);
    }
}

BB_TEST(without_libxtb_gfn2_is_refused_naming_the_build_option) {
    cJSON *p = cJSON_Parse("{\"energy\": \"gfn2-xtb\"}");
    bb_task *t = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_task_create("conf-rot3_558669a5be@1", p, &t, &c), BB_EUNSUPPORTED);
    printf("%s\n", c.msg);
    assert_non_null(strstr(c.msg, "-DBB_XTB=ON"));
    assert_null(t);
    cJSON_Delete(p);
}

int main(void) {
    if (!bb_xtb_available()) {
        const struct CMUnitTest off[] = {cmocka_unit_test(unknown_energy_or_parameter_is_refused),
                                         cmocka_unit_test(without_libxtb_gfn2_is_refused_naming_the_build_option)};
        int rc = cmocka_run_group_tests(off, NULL, NULL);
        if (rc) return rc;
        printf("test_xtb: this build has no libxtb (Debian libxtb-dev, cmake -DBB_XTB=ON): GFN2-xTB tests skipped\n");
        return 77;
    }
    const struct CMUnitTest on[] = {
        cmocka_unit_test(gradient_matches_central_differences),
        cmocka_unit_test(energy_is_invariant_under_rigid_motion_and_the_gradient_rotates_with_it),
        cmocka_unit_test(crest_conformers_lie_near_gfn2_minima),
        cmocka_unit_test(the_task_reduces_by_kT_bit_identically_on_any_thread_count_and_history),
        cmocka_unit_test(bad_requests_are_refused_with_one_line),
        cmocka_unit_test(unknown_energy_or_parameter_is_refused)};
    return cmocka_run_group_tests(on, NULL, NULL);
}
