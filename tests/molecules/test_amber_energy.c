/* test_amber_energy.c — the AMBER + GB-OBC1 energy against OpenMM 7.7 reference values,
 * finite differences, rigid-motion invariance, the minima catalogues and hostile geometry.
 *
 * References (tests/molecules/data/, provenance in its README): reference-energies.json
 * (OpenMM Reference platform, double precision: total, per term and forces for 9 cases),
 * OpenMM's own test-suite forces for the ff96 prmtop under OBC1 + CutoffNonPeriodic (1 nm),
 * and three local-minimum catalogues. Tolerances: energies and each term 1e-4 kJ/mol, forces
 * 1e-3 kJ/mol/nm (OpenMM test file: |ΔF| < 0.1 or relative < 1e-4, its own tolerance),
 * finite differences relative 1e-6 of the gradient norm, minima |F| < 0.01 kJ/mol/nm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/core/rng.h"
#include "tests/molecules/moltest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testmain.h"

static double energy(const bb_amber *ff, const double *x, double *g, double *terms) {
    double *w = malloc(bb_amber_work_size(ff) * sizeof *w);
    assert_non_null(w);
    double e = bb_amber_energy(ff, x, g, terms, w);
    free(w);
    return e;
}

/* Positions of a reference case. Two cases need the original files: the OpenMM test case
 * stores none (its .pdb is the input), and the FAB minimum's JSON copy is rounded (~5e-9 nm,
 * enough to move forces by 4e-3 kJ/mol/nm), so the exact float64 come from the .pt file. */
static void case_positions(const cJSON *c, size_t N, double *x) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    if (strcmp(name, "openmm_test_OBC1_NonPeriodic") == 0)
        mt_pdb_positions("aldp-ff96-openmm-test.pdb", N, x);
    else if (strcmp(name, "aldp_ff96_obc1_nocutoff@fab_min") == 0)
        mt_pt_positions("fab-torch-aldp-position_min_energy.pt", N, x);
    else
        mt_rows(cJSON_GetObjectItem(c, "positions_nm"), N, x);
}

BB_TEST(every_reference_case_matches_openmm_in_total_terms_and_forces) {
    cJSON *ref = mt_read_json("reference-energies.json");
    const cJSON *cases = cJSON_GetObjectItem(ref, "cases"), *c;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        const char *prmtop;
        int obc1;
        double cutoff;
        mt_case_setup(name, &prmtop, &obc1, &cutoff);
        bb_amber *ff = mt_load_ff(prmtop, obc1, cutoff);
        size_t N = (size_t)ff->natom;
        double *x = malloc(3 * N * sizeof *x), *fref = malloc(3 * N * sizeof *fref), *g = malloc(3 * N * sizeof *g);
        case_positions(c, N, x);
        mt_rows(cJSON_GetObjectItem(c, "forces_kJmol_nm"), N, fref);
        double terms[BB_AMBER_TERM_COUNT];
        double e = energy(ff, x, g, terms);
        double eref = cJSON_GetObjectItem(c, "E_kJmol")->valuedouble;
        double dmax = fabs(e - eref);
        const cJSON *bt = cJSON_GetObjectItem(c, "by_term_kJmol");
        for (int k = 0; k < BB_AMBER_TERM_COUNT; k++) {
            const cJSON *tv = cJSON_GetObjectItem(bt, bb_amber_term_names[k]);
            double want = tv ? tv->valuedouble : 0.0;
            if (fabs(terms[k] - want) > 1e-4)
                fprintf(stderr, "  %s %s: %.9f vs %.9f\n", name, bb_amber_term_names[k], terms[k], want);
            assert_true(fabs(terms[k] - want) <= 1e-4);
        }
        double fmax = 0.0;
        for (size_t i = 0; i < 3 * N; i++) fmax = fmax > fabs(-g[i] - fref[i]) ? fmax : fabs(-g[i] - fref[i]);
        printf("PASS? %-48s E %.6f (ref %.6f, |dE| %.2e) max|dF| %.2e kJ/mol/nm\n", name, e, eref, dmax, fmax);
        assert_true(dmax <= 1e-4);
        assert_true(fmax <= 1e-3);
        free(x);
        free(fref);
        free(g);
        bb_amber_free(ff);
        n_cases++;
    }
    assert_int_equal(n_cases, 9);
    cJSON_Delete(ref);
}

BB_TEST(forces_match_the_openmm_test_suite_file) {
    cJSON *ref = mt_read_json("reference-energies.json");
    const cJSON *c, *want = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(ref, "cases")) if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring,
                                                                        "openmm_test_OBC1_NonPeriodic") == 0) want = c;
    assert_non_null(want);
    bb_amber *ff = mt_load_ff("aldp-ff96-mbondi2.prmtop", 1, 1.0);
    double x[66], g[66], f[66];
    case_positions(want, 22, x);
    energy(ff, x, g, NULL);
    FILE *fp = fopen(mt_test_data("openmm-tests-aldp-implicit-forces-OBC1_NonPeriodic.xml"), "r");
    assert_non_null(fp);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, fp)) {
        const char *p = strstr(line, "<Force ");
        if (!p) continue;
        assert_true(n < 22);
        assert_int_equal(sscanf(p, "<Force x=\"%lf\" y=\"%lf\" z=\"%lf\"", &f[3 * n], &f[3 * n + 1], &f[3 * n + 2]), 3);
        n++;
    }
    fclose(fp);
    assert_int_equal(n, 22);
    double worst = 0.0;
    for (int i = 0; i < 66; i++) {
        double d = fabs(-g[i] - f[i]);
        worst = worst > d ? worst : d;
        /* OpenMM test_ImplicitSolventForces: |ΔF| < 0.1 or relative < 1e-4 */
        assert_true(d < 0.1 || d / fabs(f[i]) < 1e-4);
    }
    printf("OpenMM test-suite forces: max|dF| %.4f kJ/mol/nm (tolerance 0.1)\n", worst);
    bb_amber_free(ff);
    cJSON_Delete(ref);
}

/* Short cutoffs with many pairs beyond them (cutoff-reference.json, OpenMM Reference): the hard
 * LJ cut, reaction-field and GB shifts and the skipped Born integrals all matter here. */
BB_TEST(short_cutoffs_match_openmm_with_pairs_beyond_the_cutoff) {
    cJSON *ref = mt_read_json("cutoff-reference.json");
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(ref, "cases")) {
        const char *prm = cJSON_GetObjectItem(c, "prmtop")->valuestring;
        double cut = cJSON_GetObjectItem(c, "cutoff_nm")->valuedouble;
        bb_amber *ff = mt_load_ff(prm, 1, cut);
        size_t N = (size_t)ff->natom;
        double x[99], f[99], g[99];
        mt_rows(cJSON_GetObjectItem(c, "positions_nm"), N, x);
        mt_rows(cJSON_GetObjectItem(c, "forces_kJmol_nm"), N, f);
        double e = energy(ff, x, g, NULL), eref = cJSON_GetObjectItem(c, "E_kJmol")->valuedouble, fmax = 0.0;
        for (size_t i = 0; i < 3 * N; i++) fmax = fmax > fabs(-g[i] - f[i]) ? fmax : fabs(-g[i] - f[i]);
        printf("%s cutoff %.1f nm (%s, %d pairs beyond): |dE| %.2e kJ/mol, max|dF| %.2e kJ/mol/nm\n", prm, cut,
               cJSON_GetObjectItem(c, "positions")->valuestring,
               cJSON_GetObjectItem(c, "pairs_beyond_cutoff")->valueint, fabs(e - eref), fmax);
        assert_true(cJSON_GetObjectItem(c, "pairs_beyond_cutoff")->valueint > 0);
        assert_true(fabs(e - eref) <= 1e-4);
        assert_true(fmax <= 1e-3);
        bb_amber_free(ff);
        n++;
    }
    assert_int_equal(n, 6);
    cJSON_Delete(ref);
}

/* Central differences on random perturbations of every reference structure, every setup. */
BB_TEST(analytic_gradient_matches_central_differences) {
    cJSON *ref = mt_read_json("reference-energies.json");
    const cJSON *c;
    bb_rng rng;
    bb_rng_init(&rng, 2385, 7);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(ref, "cases")) {
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring, *prmtop;
        int obc1;
        double cutoff;
        mt_case_setup(name, &prmtop, &obc1, &cutoff);
        bb_amber *ff = mt_load_ff(prmtop, obc1, cutoff);
        size_t N = (size_t)ff->natom, D = 3 * N;
        double *x = malloc(D * sizeof *x), *g = malloc(D * sizeof *g);
        case_positions(c, N, x);
        for (int rep = 0; rep < 2; rep++) {
            for (size_t i = 0; i < D; i++) x[i] += 0.01 * bb_rng_normal(&rng);
            double e0 = energy(ff, x, g, NULL);
            assert_true(isfinite(e0));
            double gn = 0.0, worst = 0.0;
            for (size_t i = 0; i < D; i++) gn += g[i] * g[i];
            gn = sqrt(gn);
            const double h = 1e-6;
            for (size_t i = 0; i < D; i++) {
                double xi = x[i];
                x[i] = xi + h;
                double ep = energy(ff, x, NULL, NULL);
                x[i] = xi - h;
                double em = energy(ff, x, NULL, NULL);
                x[i] = xi;
                double fd = (ep - em) / (2 * h);
                double d = fabs(fd - g[i]);
                worst = worst > d ? worst : d;
            }
            printf("FD %-48s |g| %.1f max|g - fd| %.2e\n", name, gn, worst);
            assert_true(worst <= 1e-6 * gn + 1e-4);
        }
        free(x);
        free(g);
        bb_amber_free(ff);
    }
    cJSON_Delete(ref);
}

/* bb_amber_energy (vectorised pairs) against bb_amber_energy_reference (plain pair list), on
 * perturbed structures of every setup incl. short cutoffs: equal up to rounding. */
BB_TEST(vectorised_kernel_matches_the_reference_kernel) {
    const struct {
        const char *prmtop;
        int obc1;
        double cutoff;
    } set[] = {
        {"aldp-ff96-mbondi2.prmtop", 1, 0.0},  {"aldp-ff96-mbondi2.prmtop", 0, 0.0},
        {"aldp-ff96-mbondi2.prmtop", 1, 0.5},  {"aldp-ff14sb-mbondi2.prmtop", 1, 2.0},
        {"al3-ff14sb-mbondi2.prmtop", 1, 2.0}, {"al3-ff14sb-mbondi2.prmtop", 1, 0.7},
    };
    const char *crd[] = {"aldp-ff96-mbondi2.crd",      "aldp-ff96-mbondi2.crd",     "aldp-ff96-mbondi2.crd",
                         "aldp-ff14sb-mbondi2.inpcrd", "al3-ff14sb-mbondi2.inpcrd", "al3-ff14sb-mbondi2.inpcrd"};
    bb_rng rng;
    bb_rng_init(&rng, 77, 0);
    for (int k = 0; k < 6; k++) {
        bb_amber *ff = mt_load_ff(set[k].prmtop, set[k].obc1, set[k].cutoff);
        int N = ff->natom;
        double x0[99], x[99], g1[99], g2[99], t1[BB_AMBER_TERM_COUNT], t2[BB_AMBER_TERM_COUNT];
        double *w = malloc(bb_amber_work_size(ff) * sizeof *w);
        bb_ctx c = {0};
        assert_int_equal(bb_inpcrd_read(mt_task_data(crd[k]), N, x0, &c), BB_OK);
        double worst_e = 0.0, worst_g = 0.0;
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < 3 * N; i++) x[i] = x0[i] + 0.02 * bb_rng_normal(&rng);
            double e1 = bb_amber_energy(ff, x, g1, t1, w), e2 = bb_amber_energy_reference(ff, x, g2, t2, w);
            double gn = 0.0;
            for (int i = 0; i < 3 * N; i++) gn = gn > fabs(g2[i]) ? gn : fabs(g2[i]);
            worst_e = worst_e > fabs(e1 - e2) / (1.0 + fabs(e2)) ? worst_e : fabs(e1 - e2) / (1.0 + fabs(e2));
            for (int i = 0; i < 3 * N; i++)
                worst_g = worst_g > fabs(g1[i] - g2[i]) / gn ? worst_g : fabs(g1[i] - g2[i]) / gn;
            for (int t = 0; t < BB_AMBER_TERM_COUNT; t++)
                assert_true(fabs(t1[t] - t2[t]) <= 1e-9 * (1.0 + fabs(t2[t])));
        }
        printf("%s obc1=%d cutoff=%.1f: max rel |dE| %.1e, max rel |dg| %.1e\n", set[k].prmtop, set[k].obc1,
               set[k].cutoff, worst_e, worst_g);
        assert_true(worst_e <= 1e-12 && worst_g <= 1e-11);
        free(w);
        bb_amber_free(ff);
    }
}

BB_TEST(energy_is_invariant_under_rigid_motion) {
    const char *files[] = {"aldp-ff96-mbondi2.prmtop", "al3-ff14sb-mbondi2.prmtop"};
    const char *crds[] = {"aldp-ff96-mbondi2.crd", "al3-ff14sb-mbondi2.inpcrd"};
    for (int f = 0; f < 2; f++) {
        bb_amber *ff = mt_load_ff(files[f], 1, f ? 2.0 : 0.0);
        size_t N = (size_t)ff->natom;
        double *x = malloc(3 * N * sizeof *x), *y = malloc(3 * N * sizeof *y);
        bb_ctx ctx = {0};
        assert_int_equal(bb_inpcrd_read(mt_task_data(crds[f]), (int)N, x, &ctx), BB_OK);
        double e0 = energy(ff, x, NULL, NULL);
        /* rotation by 2.385 rad about (1, 2, 3)/√14, then shift by (0.7, −1.3, 2.2) nm */
        double a = 2.385, u[3] = {1 / sqrt(14.0), 2 / sqrt(14.0), 3 / sqrt(14.0)}, cs = cos(a), sn = sin(a);
        double R[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) R[i][j] = (i == j ? cs : 0.0) + (1 - cs) * u[i] * u[j];
        R[0][1] -= sn * u[2];
        R[0][2] += sn * u[1];
        R[1][0] += sn * u[2];
        R[1][2] -= sn * u[0];
        R[2][0] -= sn * u[1];
        R[2][1] += sn * u[0];
        const double t[3] = {0.7, -1.3, 2.2};
        for (size_t p = 0; p < N; p++)
            for (int i = 0; i < 3; i++)
                y[3 * p + (size_t)i] = t[i] + R[i][0] * x[3 * p] + R[i][1] * x[3 * p + 1] + R[i][2] * x[3 * p + 2];
        double e1 = energy(ff, y, NULL, NULL);
        printf("rigid motion %s: %.10f vs %.10f\n", files[f], e0, e1);
        assert_true(fabs(e1 - e0) < 1e-9 * (1.0 + fabs(e0)));
        free(x);
        free(y);
        bb_amber_free(ff);
    }
}

/* Steepest descent with an adaptive step (grown ×1.2 on success, halved on an energy
 * increase) until max|∇E| < tol. Rounding errors of 1e-6 nm excite stiff modes mostly; those
 * relax in a few hundred steps of size ~1/k_max, soft modes barely carry any force. */
static double polish(const bb_amber *ff, double *y, int D, double tol, double *gmax_out) {
    double g[99], t[99], gt[99], a = 1e-6;
    double e = energy(ff, y, g, NULL), gmax = 0.0;
    for (int it = 0; it < 20000; it++) {
        gmax = 0.0;
        for (int i = 0; i < D; i++) gmax = gmax > fabs(g[i]) ? gmax : fabs(g[i]);
        if (gmax < tol) break;
        for (int i = 0; i < D; i++) t[i] = y[i] - a * g[i];
        double et = energy(ff, t, gt, NULL);
        if (et <= e) {
            memcpy(y, t, (size_t)D * sizeof *y);
            memcpy(g, gt, (size_t)D * sizeof *g);
            e = et;
            a *= 1.2;
        } else {
            a *= 0.5;
        }
    }
    *gmax_out = gmax;
    return e;
}

/* The catalogues store coordinates to 1e-6 nm; that rounding alone moves stiff bonds' forces
 * by up to ~0.5 kJ/mol/nm. So each entry is polished by steepest descent and must reach
 * max|F| < 0.01 kJ/mol/nm within 2e-5 nm (max per coordinate) of the stored point with an
 * energy change below 1e-3 kJ/mol: the stored point is a minimum of our energy up to rounding. */
BB_TEST(every_catalogued_minimum_has_near_zero_force) {
    const struct {
        const char *json, *prmtop;
        double cutoff;
        int natom;
    } cat[] = {
        {"minima-aldp-ff96-obc1-nocutoff.json", "aldp-ff96-mbondi2.prmtop", 0.0, 22},
        {"minima-aldp-ff14sb-obc1-cut2nm.json", "aldp-ff14sb-mbondi2.prmtop", 2.0, 22},
        {"minima-al3-ff14sb-obc1-cut2nm.json", "al3-ff14sb-mbondi2.prmtop", 2.0, 33},
    };
    for (int k = 0; k < 3; k++) {
        cJSON *mins = mt_read_json(cat[k].json);
        bb_amber *ff = mt_load_ff(cat[k].prmtop, 1, cat[k].cutoff);
        double x[99], g[99];
        const cJSON *m;
        int n = 0;
        double worst_raw = 0.0, worst = 0.0, worst_de = 0.0, worst_dx = 0.0, worst_dp = 0.0;
        cJSON_ArrayForEach(m, mins) {
            int D = 3 * cat[k].natom;
            mt_rows(cJSON_GetObjectItem(m, "x_nm"), (size_t)cat[k].natom, x);
            double e = energy(ff, x, g, NULL);
            double de = fabs(e - cJSON_GetObjectItem(m, "E_kJmol")->valuedouble);
            for (int i = 0; i < D; i++) worst_raw = worst_raw > fabs(g[i]) ? worst_raw : fabs(g[i]);
            worst_de = worst_de > de ? worst_de : de;
            double y[99], gmax;
            memcpy(y, x, sizeof y);
            double e1 = polish(ff, y, D, 0.001, &gmax), dx = 0.0;
            for (int i = 0; i < D; i++) dx = dx > fabs(y[i] - x[i]) ? dx : fabs(y[i] - x[i]);
            if (gmax >= 0.01)
                printf("  entry %d: max|F| %.3g after polishing (stored max_abs_grad %.3g)\n", n, gmax,
                       cJSON_GetObjectItem(m, "max_abs_grad_kJmol_nm")->valuedouble);
            worst = worst > gmax ? worst : gmax;
            worst_dx = worst_dx > dx ? worst_dx : dx;
            worst_dp = worst_dp > fabs(e1 - e) ? worst_dp : fabs(e1 - e);
            n++;
        }
        printf("%s: %d minima; stored point: max|F| %.2e, max|E - E_cat| %.2e; polished: max|F| %.2e kJ/mol/nm, "
               "max|dx| %.2e nm, max|dE| %.2e kJ/mol\n",
               cat[k].json, n, worst_raw, worst_de, worst, worst_dx, worst_dp);
        assert_true(n > 0);
        assert_true(worst < 0.01);
        assert_true(worst_dx < 2e-5);
        assert_true(worst_dp < 1e-3);
        assert_true(worst_de < 1e-3); /* catalogue energies are printed to 1e-4..1e-5 */
        bb_amber_free(ff);
        cJSON_Delete(mins);
    }
}

BB_TEST(overlapping_or_distant_atoms_give_finite_or_infinite_energy) {
    for (int cut = 0; cut < 2; cut++) {
        bb_amber *ff = mt_load_ff("aldp-ff96-mbondi2.prmtop", 1, cut ? 2.0 : 0.0);
        double x[66], g[66];
        bb_ctx ctx = {0};
        assert_int_equal(bb_inpcrd_read(mt_task_data("aldp-ff96-mbondi2.crd"), 22, x, &ctx), BB_OK);
        double y[66];
        /* two excluded (1-3) atoms on one point: the angle term stays finite, nothing NaN */
        memcpy(y, x, sizeof y);
        for (int k = 0; k < 3; k++) y[3 * 6 + k] = y[3 * 1 + k];
        double e = energy(ff, y, g, NULL);
        assert_false(isnan(e));
        assert_true(isfinite(e) || e == INFINITY);
        for (int i = 0; i < 66; i++) assert_false(isnan(g[i]));
        /* two non-excluded atoms (ACE HH31, NME HH33) on one point: +INFINITY, zero gradient */
        memcpy(y, x, sizeof y);
        for (int k = 0; k < 3; k++) y[3 * 21 + k] = y[k];
        e = energy(ff, y, g, NULL);
        assert_true(e == INFINITY);
        for (int i = 0; i < 66; i++) assert_true(g[i] == 0.0);
        /* every atom on one point */
        for (int i = 0; i < 66; i++) y[i] = 0.25;
        e = energy(ff, y, g, NULL);
        assert_true(e == INFINITY);
        /* atoms spread 1e6 nm apart: huge but finite bonded energy, nothing NaN */
        for (int i = 0; i < 66; i++) y[i] = x[i] * 1e7;
        e = energy(ff, y, g, NULL);
        assert_false(isnan(e));
        for (int i = 0; i < 66; i++) assert_false(isnan(g[i]));
        /* one atom far away */
        memcpy(y, x, sizeof y);
        y[3 * 21] += 1e5;
        e = energy(ff, y, g, NULL);
        assert_true(isfinite(e) || e == INFINITY);
        /* infinite coordinate */
        y[3 * 21] = INFINITY;
        e = energy(ff, y, g, NULL);
        assert_true(e == INFINITY);
        bb_amber_free(ff);
    }
}

BB_TEST(batch_reports_nan_input_by_configuration_index_and_matches_single) {
    bb_amber *ff = mt_load_ff("aldp-ff14sb-mbondi2.prmtop", 1, 2.0);
    double x[3 * 66], e[3], g[3 * 66], g1[66];
    bb_ctx ctx = {0};
    assert_int_equal(bb_inpcrd_read(mt_task_data("aldp-ff14sb-mbondi2.inpcrd"), 22, x, &ctx), BB_OK);
    bb_rng rng;
    bb_rng_init(&rng, 11, 0);
    for (int c = 1; c < 3; c++)
        for (int i = 0; i < 66; i++) x[66 * c + i] = x[i] + 0.005 * bb_rng_normal(&rng);
    assert_int_equal(bb_amber_energy_batch(ff, 3, x, e, g, &ctx), BB_OK);
    for (int c = 0; c < 3; c++) {
        double ec = energy(ff, x + 66 * c, g1, NULL);
        assert_true(ec == e[c]);
        assert_memory_equal(g1, g + 66 * c, sizeof g1);
    }
    x[66 * 2 + 17] = NAN;
    assert_int_equal(bb_amber_energy_batch(ff, 3, x, e, NULL, &ctx), BB_ENAN);
    printf("NaN input: %s\n", ctx.msg);
    assert_non_null(strstr(ctx.msg, "configuration 2"));
    bb_amber_free(ff);
}

BB_TEST(options_and_missing_gb_data_are_checked) {
    bb_ctx ctx = {0};
    bb_prmtop *top = NULL;
    assert_int_equal(bb_prmtop_read(mt_task_data("aldp-ff96-mbondi2.prmtop"), &top, &ctx), BB_OK);
    bb_amber *ff = NULL;
    bb_amber_options bad = {.obc1 = 1, .cutoff_nm = -1.0};
    assert_int_equal(bb_amber_create(top, "x.prmtop", &bad, &ff, &ctx), BB_EINVAL);
    assert_null(ff);
    free(top->radii);
    top->radii = NULL;
    bb_amber_options gb = {.obc1 = 1, .cutoff_nm = 0.0};
    assert_int_equal(bb_amber_create(top, "x.prmtop", &gb, &ff, &ctx), BB_EFORMAT);
    assert_non_null(strstr(ctx.msg, "RADII"));
    bb_amber_options vac = {.obc1 = 0, .cutoff_nm = 0.0};
    assert_int_equal(bb_amber_create(top, "x.prmtop", &vac, &ff, &ctx), BB_OK);
    assert_true(bb_amber_work_size(ff) >= 7 * 231);
    bb_amber_free(ff);
    bb_amber_free(NULL);
    bb_prmtop_free(top);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(every_reference_case_matches_openmm_in_total_terms_and_forces),
             cmocka_unit_test(forces_match_the_openmm_test_suite_file),
             cmocka_unit_test(short_cutoffs_match_openmm_with_pairs_beyond_the_cutoff),
             cmocka_unit_test(analytic_gradient_matches_central_differences),
             cmocka_unit_test(vectorised_kernel_matches_the_reference_kernel),
             cmocka_unit_test(energy_is_invariant_under_rigid_motion),
             cmocka_unit_test(every_catalogued_minimum_has_near_zero_force),
             cmocka_unit_test(overlapping_or_distant_atoms_give_finite_or_infinite_energy),
             cmocka_unit_test(batch_reports_nan_input_by_configuration_index_and_matches_single),
             cmocka_unit_test(options_and_missing_gb_data_are_checked))
