/* test_conf_rmsd.c — the symmetry-aware heavy-atom RMSD (harness/metrics/conf_rmsd.h).
 *
 * References: tests/metrics/data/conf_rmsd_ref.txt, written by tests/metrics/conf_rmsd_ref.py with
 * RDKit 2022.09.3: ten molecules with symmetric groups (carboxylic acid, carboxylate, nitro, CF3,
 * t-butyl, phenyl, N(CH3)2, gem-dimethyl), four geometries each, RDKit's GetBestRMS on RemoveAllHs
 * copies for every ordered pair (tolerance 1e-6 Å), and the count of element-labelled self-matches
 * (must equal ours). Exact cases: a copy rotated, translated and relabelled by any automorphism
 * gives 0 (1e-9 Å); a mirror image of a non-planar molecule does not (no reflections).
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
#include "harness/core/source_dir.h"
#include "harness/metrics/conf_rmsd.h"
#include "tasks/molecules/conformers.h"
#include "tests/testmain.h"

#define MAXA 128
#define MAXG 4

typedef struct ref_mol {
    char name[64];
    int natom, nbond, ngeom;
    size_t n_el;
    char element[MAXA][3];
    unsigned char heavy[MAXA];
    int bond[2 * 4 * MAXA];
    double x[MAXG][3 * MAXA];
    double rmsd[MAXG][MAXG]; /* RDKit GetBestRMS(probe i, ref j) */
} ref_mol;

/* Read every molecule of the reference file into m[] (at most cap); returns the count. */
static int read_refs(ref_mol *m, int cap) {
    char path[4096], line[4096];
    snprintf(path, sizeof path, "%s/tests/metrics/data/conf_rmsd_ref.txt", bb_source_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = -1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (strncmp(line, "molecule ", 9) == 0) {
            assert_true(++n < cap);
            ref_mol *r = &m[n];
            memset(r, 0, sizeof *r);
            assert_int_equal(sscanf(line + 9, "%63s %d %d %d %zu", r->name, &r->natom, &r->nbond, &r->ngeom, &r->n_el),
                             5);
            assert_true(r->natom <= MAXA && r->nbond <= 4 * MAXA && r->ngeom <= MAXG);
            char *tok = fgets(line, sizeof line, f) ? strtok(line, " \n") : NULL;
            for (int i = 0; i < r->natom; i++, tok = strtok(NULL, " \n")) {
                assert_non_null(tok);
                snprintf(r->element[i], 3, "%s", tok);
                r->heavy[i] = strcmp(tok, "H") != 0;
            }
            for (int b = 0; b < r->nbond; b++) {
                assert_non_null(fgets(line, sizeof line, f));
                assert_int_equal(sscanf(line, "%d %d", &r->bond[2 * b], &r->bond[2 * b + 1]), 2);
            }
            for (int g = 0; g < r->ngeom; g++)
                for (int i = 0; i < r->natom; i++) {
                    assert_non_null(fgets(line, sizeof line, f));
                    double *p = r->x[g] + 3 * i;
                    assert_int_equal(sscanf(line, "%lf %lf %lf", p, p + 1, p + 2), 3);
                }
        } else if (strncmp(line, "rmsd ", 5) == 0) {
            int i, j;
            double v;
            assert_int_equal(sscanf(line + 5, "%d %d %lf", &i, &j, &v), 3);
            m[n].rmsd[i][j] = v;
        }
    }
    fclose(f);
    return n + 1;
}

static bb_conf_sym *build(const ref_mol *r) {
    bb_ctx c = {0};
    bb_conf_sym *s = NULL;
    int rc = bb_conf_sym_build(r->natom, (const char(*)[3])r->element, r->heavy, r->nbond, r->bond, 0, &s, &c);
    if (rc) printf("%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return s;
}

static ref_mol refs[16];

BB_TEST(rmsd_equals_rdkit_get_best_rms_on_symmetric_molecules) {
    int nm = read_refs(refs, 16);
    assert_int_equal(nm, 10);
    double worst = 0.0;
    for (int k = 0; k < nm; k++) {
        const ref_mol *r = &refs[k];
        bb_conf_sym *s = build(r);
        printf("  %-18s %2d heavy atoms, %4zu automorphisms (RDKit element-labelled self-matches %zu)\n", r->name,
               bb_conf_sym_nheavy(s), bb_conf_sym_count(s), r->n_el);
        assert_int_equal(bb_conf_sym_count(s), r->n_el);
        double D[MAXG * MAXG];
        static double packed[MAXG * 3 * MAXA]; /* the geometries back to back, as the matrix reads them */
        for (int g = 0; g < r->ngeom; g++)
            memcpy(packed + (size_t)g * 3 * r->natom, r->x[g], sizeof(double) * 3 * r->natom);
        bb_ctx c = {0};
        assert_int_equal(bb_conf_rmsd_matrix(s, r->ngeom, packed, r->ngeom, packed, D, &c), BB_OK);
        for (int i = 0; i < r->ngeom; i++)
            for (int j = 0; j < r->ngeom; j++) {
                double v;
                assert_int_equal(bb_conf_rmsd(s, r->x[i], r->x[j], &v, &c), BB_OK);
                assert_true(v == D[i * r->ngeom + j]); /* the matrix computes the same bits */
                if (i == j) {
                    assert_true(v < 1e-9);
                    continue;
                }
                double d = fabs(v - r->rmsd[i][j]);
                if (d > worst) worst = d;
                if (d > 1e-6) printf("  %s %d %d: %.10f vs RDKit %.10f\n", r->name, i, j, v, r->rmsd[i][j]);
                assert_true(d <= 1e-6);
            }
        bb_conf_sym_free(s);
    }
    printf("  largest |RMSD - RDKit GetBestRMS| %.3g A (tolerance 1e-6)\n", worst);
}

/* Random proper rotation (a unit quaternion from three uniforms). */
static void random_rotation(bb_rng *g, double *R) {
    double u1 = bb_rng_uniform(g), u2 = 2 * M_PI * bb_rng_uniform(g), u3 = 2 * M_PI * bb_rng_uniform(g);
    double a = sqrt(1 - u1) * sin(u2), b = sqrt(1 - u1) * cos(u2), cc = sqrt(u1) * sin(u3), d = sqrt(u1) * cos(u3);
    double q[4] = {d, a, b, cc};
    double w = q[0], x = q[1], y = q[2], z = q[3];
    double M[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
                   2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                   2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
    memcpy(R, M, sizeof M);
}

BB_TEST(a_rotated_translated_copy_relabelled_by_any_automorphism_gives_zero_and_a_mirror_image_does_not) {
    int nm = read_refs(refs, 16);
    bb_rng g;
    bb_rng_init(&g, 2385, 0);
    for (int k = 0; k < nm; k++) {
        const ref_mol *r = &refs[k];
        bb_conf_sym *s = build(r);
        int nh = bb_conf_sym_nheavy(s);
        size_t na = bb_conf_sym_count(s);
        static double y[3 * MAXA];
        for (size_t a = 0; a < na; a += 1 + na / 7) {
            const int *p = bb_conf_sym_perm(s, a);
            double R[9], t[3] = {3.1 * bb_rng_uniform(&g), -2.2, 0.7};
            random_rotation(&g, R);
            memcpy(y, r->x[0], sizeof(double) * 3 * r->natom);
            for (int h = 0; h < nh; h++) { /* heavy atom σ(h) of y sits where h of x was, rotated and moved */
                const double *xi = r->x[0] + 3 * bb_conf_sym_heavy_index(s, h);
                double *yi = y + 3 * bb_conf_sym_heavy_index(s, p[h]);
                for (int i = 0; i < 3; i++)
                    yi[i] = R[3 * i] * xi[0] + R[3 * i + 1] * xi[1] + R[3 * i + 2] * xi[2] + t[i];
            }
            double v;
            bb_ctx c = {0};
            assert_int_equal(bb_conf_rmsd(s, r->x[0], y, &v, &c), BB_OK);
            assert_true(v < 1e-9);
        }
        /* mirror image z -> -z: non-zero unless the heavy atoms are (nearly) planar */
        memcpy(y, r->x[0], sizeof(double) * 3 * r->natom);
        for (int i = 0; i < r->natom; i++) y[3 * i + 2] = -y[3 * i + 2];
        double v, vr;
        bb_ctx c = {0};
        assert_int_equal(bb_conf_rmsd(s, r->x[0], y, &v, &c), BB_OK);
        assert_int_equal(bb_conf_rmsd(s, y, r->x[0], &vr, &c), BB_OK);
        printf("  %-18s mirror image RMSD %.4f A\n", r->name, v);
        assert_true(fabs(v - vr) < 1e-12);
        if (strcmp(r->name, "rot9_cd3be956a5") == 0) assert_true(v > 0.1);
        bb_conf_sym_free(s);
    }
}

/* Every listed map preserves elements and bonds, and no two are equal. */
static void check_group(const bb_conf_sym *s, int natom, const char (*el)[3], int nbond, const int *bond) {
    int nh = bb_conf_sym_nheavy(s);
    size_t na = bb_conf_sym_count(s);
    const int *id = bb_conf_sym_perm(s, 0);
    for (int h = 0; h < nh; h++) assert_int_equal(id[h], h);
    assert_null(bb_conf_sym_perm(s, na));
    for (size_t a = 0; a < na; a++) {
        const int *p = bb_conf_sym_perm(s, a);
        for (int h = 0; h < nh; h++)
            assert_string_equal(el[bb_conf_sym_heavy_index(s, h)], el[bb_conf_sym_heavy_index(s, p[h])]);
        for (int b = 0; b < nbond; b++) {
            int i = -1, j = -1;
            for (int h = 0; h < nh; h++) {
                if (bb_conf_sym_heavy_index(s, h) == bond[2 * b]) i = h;
                if (bb_conf_sym_heavy_index(s, h) == bond[2 * b + 1]) j = h;
            }
            if (i < 0 || j < 0) continue;
            int found = 0;
            for (int c = 0; c < nbond; c++) {
                int u = bond[2 * c], v = bond[2 * c + 1], pi = bb_conf_sym_heavy_index(s, p[i]),
                    pj = bb_conf_sym_heavy_index(s, p[j]);
                found |= (u == pi && v == pj) || (u == pj && v == pi);
            }
            assert_true(found);
        }
        for (size_t b = 0; b < a; b++) assert_memory_not_equal(p, bb_conf_sym_perm(s, b), sizeof(int) * nh);
    }
    (void)natom;
}

BB_TEST(hand_built_graphs_have_their_textbook_groups_and_the_cap_is_a_clear_error) {
    /* t-butylbenzene with its hydrogens on the methyls left out: ring 0-5, C6 on C0, methyls 7-9 */
    char el[10][3] = {"C", "C", "C", "C", "C", "C", "C", "C", "C", "C"};
    unsigned char heavy[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    int bond[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0, 0, 6, 6, 7, 6, 8, 6, 9};
    bb_conf_sym *s = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_conf_sym_build(10, (const char(*)[3])el, heavy, 10, bond, 0, &s, &c), BB_OK);
    assert_int_equal(bb_conf_sym_count(s), 12); /* 3! methyls x 2 ring flips */
    check_group(s, 10, (const char(*)[3])el, 10, bond);
    bb_conf_sym_free(s);
    /* benzene: the dihedral group of order 12; a hydroxyl on one carbon leaves a mirror (2) */
    assert_int_equal(bb_conf_sym_build(6, (const char(*)[3])el, heavy, 6, bond, 0, &s, &c), BB_OK);
    assert_int_equal(bb_conf_sym_count(s), 12);
    check_group(s, 6, (const char(*)[3])el, 6, bond);
    bb_conf_sym_free(s);
    char phenol[7][3] = {"C", "C", "C", "C", "C", "C", "O"};
    int pb[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0, 0, 6};
    assert_int_equal(bb_conf_sym_build(7, (const char(*)[3])phenol, heavy, 7, pb, 0, &s, &c), BB_OK);
    assert_int_equal(bb_conf_sym_count(s), 2);
    bb_conf_sym_free(s);
    /* hydrogens and bonds to them are ignored: 12 atoms, the last two H bonded to C0 */
    int bh[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0, 0, 6, 6, 7, 6, 8, 6, 9, 0, 10, 9, 11};
    char elh[12][3] = {"C", "C", "C", "C", "C", "C", "C", "C", "C", "C", "H", "H"};
    assert_int_equal(bb_conf_sym_build(12, (const char(*)[3])elh, heavy, 12, bh, 0, &s, &c), BB_OK);
    assert_int_equal(bb_conf_sym_nheavy(s), 10);
    assert_int_equal(bb_conf_sym_natom(s), 12);
    assert_int_equal(bb_conf_sym_count(s), 12);
    bb_conf_sym_free(s);
    /* cap and invalid input */
    assert_int_equal(bb_conf_sym_build(10, (const char(*)[3])el, heavy, 10, bond, 5, &s, &c), BB_EUNSUPPORTED);
    assert_null(s);
    printf("  %s\n", c.msg);
    assert_non_null(strstr(c.msg, "more than 5 automorphisms"));
    int bad[] = {0, 10};
    assert_int_equal(bb_conf_sym_build(10, (const char(*)[3])el, heavy, 1, bad, 0, &s, &c), BB_EINVAL);
    assert_null(s);
    unsigned char none[2] = {0, 0};
    assert_int_equal(bb_conf_sym_build(2, (const char(*)[3])elh + 10, none, 0, bond, 0, &s, &c), BB_EINVAL);
}

BB_TEST(non_finite_coordinates_are_refused_singly_and_give_nan_in_a_matrix) {
    read_refs(refs, 16);
    const ref_mol *r = &refs[0];
    bb_conf_sym *s = build(r);
    static double y[2 * 3 * MAXA]; /* two configurations back to back */
    int w = 3 * r->natom;
    memcpy(y, r->x[1], sizeof(double) * w);
    memcpy(y + w, r->x[1], sizeof(double) * w);
    y[w] = NAN; /* atom 0 is heavy (O) */
    double v, D[2];
    bb_ctx c = {0};
    assert_int_equal(bb_conf_rmsd(s, r->x[0], y + w, &v, &c), BB_ENAN);
    assert_true(isnan(v));
    assert_int_equal(bb_conf_rmsd_matrix(s, 1, r->x[0], 2, y, D, &c), BB_OK);
    assert_true(fabs(D[0] - r->rmsd[0][1]) <= 1e-6 && isnan(D[1]));
    bb_conf_sym_free(s);
}

BB_TEST(every_shipped_molecule_has_its_group_from_the_parameter_file) {
    size_t total = 0, most = 0;
    for (int k = 0; k < BB_CONFORMER_COUNT; k++) {
        const bb_conformer_molecule *m = &bb_conformer_molecules[k];
        char path[4096];
        snprintf(path, sizeof path, "%s/datasets/conformers/mmff94s/%s.params.gz", bb_source_dir(), m->hash);
        bb_mmff *ff = NULL;
        bb_conf_sym *s = NULL;
        bb_ctx c = {0};
        assert_int_equal(bb_mmff_read(path, m->params_sha256, &ff, &c), BB_OK);
        assert_int_equal(bb_conf_sym_from_mmff(ff, 0, &s, &c), BB_OK);
        assert_int_equal(bb_conf_sym_nheavy(s), m->nheavy);
        check_group(s, ff->natom, (const char(*)[3])ff->element, ff->nbond, ff->bond_ij);
        for (int r = 0; r < 10; r++) /* the same group as the RDKit reference file's copy */
            if (strcmp(refs[r].name, m->hash) == 0) assert_int_equal(bb_conf_sym_count(s), refs[r].n_el);
        total += bb_conf_sym_count(s);
        if (bb_conf_sym_count(s) > most) most = bb_conf_sym_count(s);
        bb_conf_sym_free(s);
        bb_mmff_free(ff);
    }
    printf("  %d molecules, %zu automorphisms in all, at most %zu\n", BB_CONFORMER_COUNT, total, most);
}

BB_TEST_MAIN(
    NULL, NULL, cmocka_unit_test(rmsd_equals_rdkit_get_best_rms_on_symmetric_molecules),
    cmocka_unit_test(a_rotated_translated_copy_relabelled_by_any_automorphism_gives_zero_and_a_mirror_image_does_not),
    cmocka_unit_test(hand_built_graphs_have_their_textbook_groups_and_the_cap_is_a_clear_error),
    cmocka_unit_test(non_finite_coordinates_are_refused_singly_and_give_nan_in_a_matrix),
    cmocka_unit_test(every_shipped_molecule_has_its_group_from_the_parameter_file))
