/* test_mmff.c — the MMFF94s force field and the conformer tasks against RDKit's own numbers.
 *
 * References: datasets/conformers/mmff94s/<hash>.ref.gz, written by datasets/conformers/
 * prepare_mmff.py with RDKit 2022.09.3 (MMFF94s; CalcEnergy then CalcGrad at each geometry, and
 * each term's energy with the other terms switched off): per molecule the first one or two CREST
 * conformers (SPICE molecules: two ETKDG embeddings), the first MMFF94s-minimised (near a minimum)
 * and the first with 0.05 Å Gaussian noise. Tolerances (issue 24): energies and every term within
 * 1e-6 relative (of max(1, |E|)), gradients 1e-5 kcal/mol/Å absolute; central differences (4-point,
 * h = 1e-4 Å) 1e-6 relative to max(1, |∇E|); rigid motion 1e-9 relative.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "harness/core/fileio.h"
#include "harness/core/gz.h"
#include "harness/core/rng.h"
#include "harness/core/source_dir.h"
#include "tasks/molecules/conformers.h"
#include "tasks/molecules/mmff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/molecules/mmfftest.h"
#include "tests/testmain.h"

BB_TEST(every_shipped_molecule_matches_rdkit_in_energy_terms_and_gradient) {
    double worst_e = 0.0, worst_t = 0.0, worst_g = 0.0;
    int ngeom = 0;
    for (int mi = 0; mi < BB_CONFORMER_COUNT; mi++) {
        const bb_conformer_molecule *m = &bb_conformer_molecules[mi];
        bb_mmff *ff = mt_mmff_load(m);
        mt_ref_geom r[8];
        int n = mt_read_ref(m->hash, ff->natom, r);
        assert_true(n >= 3);
        double *g = malloc(3 * (size_t)ff->natom * sizeof *g), terms[BB_MMFF_TERM_COUNT];
        for (int i = 0; i < n; i++) {
            double e = bb_mmff_energy(ff, r[i].x, g, terms);
            double de = fabs(e - r[i].e) / fmax(1.0, fabs(r[i].e)), dt = 0.0, dg = 0.0;
            for (int k = 0; k < BB_MMFF_TERM_COUNT; k++)
                dt = fmax(dt, fabs(terms[k] - r[i].terms[k]) / fmax(1.0, fabs(r[i].terms[k])));
            for (int k = 0; k < 3 * ff->natom; k++) dg = fmax(dg, fabs(g[k] - r[i].g[k]));
            if (de > 1e-6 || dt > 1e-6 || dg > 1e-5) {
                printf("%s %s: E %.10f (RDKit %.10f), worst term %.2e, worst gradient %.2e\n", m->hash, r[i].label, e,
                       r[i].e, dt, dg);
                for (int k = 0; k < BB_MMFF_TERM_COUNT; k++)
                    printf("  %-12s %.10f RDKit %.10f\n", bb_mmff_term_names[k], terms[k], r[i].terms[k]);
            }
            worst_e = fmax(worst_e, de);
            worst_t = fmax(worst_t, dt);
            worst_g = fmax(worst_g, dg);
            ngeom++;
        }
        free(g);
        mt_free_ref(r, n);
        bb_mmff_free(ff);
    }
    printf("%d molecules, %d geometries: worst relative energy error %.2e, term %.2e (tol 1e-6); "
           "worst gradient error %.2e kcal/mol/A (tol 1e-5)\n",
           BB_CONFORMER_COUNT, ngeom, worst_e, worst_t, worst_g);
    assert_true(worst_e <= 1e-6);
    assert_true(worst_t <= 1e-6);
    assert_true(worst_g <= 1e-5);
}

BB_TEST(gradient_matches_central_differences_on_the_fast_set) {
    double worst = 0.0;
    for (int mi = 0; mi < BB_CONFORMER_COUNT; mi++) {
        const bb_conformer_molecule *m = &bb_conformer_molecules[mi];
        if (!m->in_fast) continue;
        bb_mmff *ff = mt_mmff_load(m);
        mt_ref_geom r[8];
        int n = mt_read_ref(m->hash, ff->natom, r);
        size_t D = 3 * (size_t)ff->natom;
        double *g = malloc(D * sizeof *g);
        for (int i = 0; i < n; i++) {
            double *x = r[i].x, h = 1e-4, gmax = 1.0;
            bb_mmff_energy(ff, x, g, NULL);
            for (size_t k = 0; k < D; k++) gmax = fmax(gmax, fabs(g[k]));
            for (size_t k = 0; k < D; k++) {
                double x0 = x[k], f[4], off[4] = {2 * h, h, -h, -2 * h};
                for (int s = 0; s < 4; s++) {
                    x[k] = x0 + off[s];
                    f[s] = bb_mmff_energy(ff, x, NULL, NULL);
                }
                x[k] = x0;
                double fd = (-f[0] + 8.0 * f[1] - 8.0 * f[2] + f[3]) / (12.0 * h);
                worst = fmax(worst, fabs(fd - g[k]) / gmax);
            }
        }
        free(g);
        mt_free_ref(r, n);
        bb_mmff_free(ff);
    }
    printf("fast set: gradient vs 4-point central differences, worst %.2e relative to max(1,|g|) (tol 1e-6)\n", worst);
    assert_true(worst < 1e-6);
}

BB_TEST(energy_is_invariant_under_rigid_motion_and_the_gradient_rotates_with_it) {
    bb_rng rng;
    bb_rng_init(&rng, 2385, 24);
    double worst_e = 0.0, worst_g = 0.0, worst_sum = 0.0;
    for (int mi = 0; mi < BB_CONFORMER_COUNT; mi++) {
        const bb_conformer_molecule *m = &bb_conformer_molecules[mi];
        if (!m->in_fast) continue;
        bb_mmff *ff = mt_mmff_load(m);
        mt_ref_geom r[8];
        int n = mt_read_ref(m->hash, ff->natom, r);
        size_t N = (size_t)ff->natom;
        double *y = malloc(3 * N * sizeof *y), *g = malloc(3 * N * sizeof *g), *gy = malloc(3 * N * sizeof *gy);
        for (int i = 0; i < n; i++) {
            double q[4], s = 0.0, R[3][3], t[3];
            for (int k = 0; k < 4; k++) {
                q[k] = bb_rng_normal(&rng);
                s += q[k] * q[k];
            }
            for (int k = 0; k < 4; k++) q[k] /= sqrt(s);
            double a = q[0], b = q[1], c = q[2], d = q[3];
            double Rm[3][3] = {{a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
                               {2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b)},
                               {2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d}};
            memcpy(R, Rm, sizeof R);
            for (int k = 0; k < 3; k++) t[k] = 7.3 * bb_rng_normal(&rng);
            for (size_t p = 0; p < N; p++)
                for (int k = 0; k < 3; k++)
                    y[3 * p + k] =
                        R[k][0] * r[i].x[3 * p] + R[k][1] * r[i].x[3 * p + 1] + R[k][2] * r[i].x[3 * p + 2] + t[k];
            double e = bb_mmff_energy(ff, r[i].x, g, NULL), ey = bb_mmff_energy(ff, y, gy, NULL), gmax = 1.0;
            worst_e = fmax(worst_e, fabs(e - ey) / fmax(1.0, fabs(e)));
            for (size_t k = 0; k < 3 * N; k++) gmax = fmax(gmax, fabs(g[k]));
            for (int k = 0; k < 3; k++) {
                double sum = 0.0;
                for (size_t p = 0; p < N; p++) {
                    double rg = R[k][0] * g[3 * p] + R[k][1] * g[3 * p + 1] + R[k][2] * g[3 * p + 2];
                    worst_g = fmax(worst_g, fabs(rg - gy[3 * p + k]) / gmax);
                    sum += g[3 * p + k];
                }
                worst_sum = fmax(worst_sum, fabs(sum) / gmax);
            }
        }
        BB_FREE_ALL(y, g, gy);
        mt_free_ref(r, n);
        bb_mmff_free(ff);
    }
    printf("rigid motion: energy %.2e, rotated gradient %.2e, net force %.2e (relative, tol 1e-9)\n", worst_e, worst_g,
           worst_sum);
    assert_true(worst_e < 1e-9 && worst_g < 1e-9 && worst_sum < 1e-9);
}

/* The decompressed text of the smallest fast-set molecule's parameter file. */
static void small_text(unsigned char **text, size_t *len) {
    const bb_conformer_molecule *best = NULL;
    for (int mi = 0; mi < BB_CONFORMER_COUNT; mi++)
        if (!best || bb_conformer_molecules[mi].natom < best->natom) best = &bb_conformer_molecules[mi];
    bb_ctx c = {0};
    assert_int_equal(bb_gunzip_file(mt_mmff_params_path(best->hash), BB_MMFF_MAX_BYTES, text, len, &c), BB_OK);
    unsigned char *z = realloc(*text, *len + 1); /* NUL-terminated for the string edits */
    assert_non_null(z);
    z[*len] = '\0';
    *text = z;
}

/* Parse `text` and expect failure with a one-line message naming "case" and containing `want`. */
static void expect_error(const char *text, size_t len, const char *want) {
    bb_ctx c = {0};
    bb_mmff *ff = (bb_mmff *)1;
    int rc = bb_mmff_parse(text, len, "case.params", &ff, &c);
    printf("  %-34s -> %s\n", want, c.msg);
    assert_int_not_equal(rc, BB_OK);
    assert_null(ff);
    assert_non_null(strstr(c.msg, "case.params: "));
    assert_non_null(strstr(c.msg, want));
    assert_null(strchr(c.msg, '\n'));
}

/* text with the first occurrence of `from` replaced by `to` (caller frees). */
static char *edit(const char *text, const char *from, const char *to, size_t *len) {
    const char *p = strstr(text, from);
    assert_non_null(p);
    size_t a = (size_t)(p - text), lf = strlen(from), lt = strlen(to), n = strlen(text);
    char *s = malloc(n - lf + lt + 1);
    memcpy(s, text, a);
    memcpy(s + a, to, lt);
    memcpy(s + a + lt, p + lf, n - a - lf + 1);
    *len = n - lf + lt;
    return s;
}

BB_TEST(malformed_or_truncated_parameter_files_give_one_line_naming_file_and_field) {
    size_t len;
    unsigned char *raw = NULL;
    small_text(&raw, &len);
    char *text = (char *)raw;
    bb_ctx c = {0};
    bb_mmff *ff = NULL;
    assert_int_equal(bb_mmff_parse(text, len, "case.params", &ff, &c), BB_OK);
    bb_mmff_free(ff);
    /* truncation anywhere: at every line end and mid-line */
    int cuts = 0;
    for (size_t k = 0; k + 4 < len; k += 1 + len / 97) {
        expect_error(text, k, "line ");
        cuts++;
    }
    expect_error(text, len - 4, "end");
    printf("%d truncations refused\n", cuts);
    static const char *const cases[][3] = {
        {"boltzbench-mmff94s 1", "boltzbench-mmff94s 2", "format version"},
        {"dielectric constant 1", "dielectric distance 1", "dielectric"},
        {"\nbonds ", "\nbondz ", "bonds: missing record"},
        {"\nangles ", "\nangles x", "angles: not an integer"},
        {"\n0 N ", "\n0 n ", "atom element"},
        {"\n1 C ", "\n2 C ", "atom index"},
        {"stretch_bends", "stretch_bends 99999999\nx", "stretch_bends"},
        {"\nend", "\nend\nextra", "text after the end record"},
        {"start ", "start 1\n0 0 0\nend\n#", "start"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        char *s = edit(text, cases[i][0], cases[i][1], &n);
        expect_error(s, n, cases[i][2]);
        free(s);
    }
    /* a bond naming an atom past the end, a non-finite force constant, a missing vdW type pair */
    char *bonds = strstr(text, "\nbonds ");
    char *line = strchr(bonds + 1, '\n') + 1;
    char *eol = strchr(line, '\n');
    size_t n;
    char saved[256];
    snprintf(saved, sizeof saved, "%.*s", (int)(eol - line), line);
    char *s = edit(text, saved, "0 999 4.2 1.1", &n);
    expect_error(s, n, "bond: 999 outside");
    free(s);
    s = edit(text, saved, "0 1 nan 1.1", &n);
    expect_error(s, n, "bond: not a finite number");
    free(s);
    /* a stretch-bend on atoms no angle term has (i and k swapped) */
    char *sb = strstr(text, "\nstretch_bends ");
    line = strchr(sb + 1, '\n') + 1;
    eol = strchr(line, '\n');
    snprintf(saved, sizeof saved, "%.*s", (int)(eol - line), line);
    int ia, ja, ka, off;
    assert_int_equal(sscanf(saved, "%d %d %d%n", &ia, &ja, &ka, &off), 3);
    char swapped[300];
    snprintf(swapped, sizeof swapped, "%d %d %d%s", ka, ja, ia, saved + off);
    s = edit(text, saved, swapped, &n);
    expect_error(s, n, "stretch_bend: no angle term with the same atoms");
    free(s);
    char *vdw = strstr(text, "\nvdw_types "), *start = strstr(text, "\nstart ");
    assert_true(vdw && start && start > vdw);
    size_t head = (size_t)(vdw - text);
    char *s2 = malloc(len + 32);
    memcpy(s2, text, head);
    n = head + (size_t)sprintf(s2 + head, "\nvdw_types 0");
    memcpy(s2 + n, start, len - (size_t)(start - text) + 1);
    n += len - (size_t)(start - text);
    expect_error(s2, n, "vdw_types: no entry for MMFF types");
    free(s2);
    /* a file: changed bytes are a hash mismatch naming the file */
    char tmp[] = "/tmp/bb_mmff_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    assert_int_equal(bb_write_file_atomic(tmp, text, len, &c), BB_OK);
    assert_int_equal(bb_mmff_read(tmp, NULL, &ff, &c), BB_OK); /* plain text is read too */
    bb_mmff_free(ff);
    assert_int_equal(bb_mmff_read(tmp, "00", &ff, &c), BB_EHASH);
    assert_non_null(strstr(c.msg, tmp));
    assert_int_equal(bb_write_file_atomic(tmp, text, len / 2, &c), BB_OK);
    assert_int_not_equal(bb_mmff_read(tmp, NULL, &ff, &c), BB_OK);
    printf("  half file -> %s\n", c.msg);
    assert_non_null(strstr(c.msg, tmp));
    remove(tmp);
    free(text);
}

BB_TEST(coincident_atoms_give_infinity_and_nan_input_is_refused) {
    const bb_conformer_molecule *m = &bb_conformer_molecules[0];
    bb_mmff *ff = mt_mmff_load(m);
    size_t D = 3 * (size_t)ff->natom;
    double *x = malloc(2 * D * sizeof *x), *g = malloc(2 * D * sizeof *g), e[2];
    memcpy(x, ff->start, D * sizeof *x);
    memcpy(x + D, ff->start, D * sizeof *x);
    memcpy(x + D + 3, x + D, 3 * sizeof *x); /* atom 1 on atom 0 */
    bb_ctx c = {0};
    assert_int_equal(bb_mmff_energy_batch(ff, 2, x, e, g, &c), BB_OK);
    assert_true(isfinite(e[0]));
    assert_true(isinf(e[1]) && e[1] > 0);
    for (size_t k = 0; k < D; k++) assert_true(g[D + k] == 0.0);
    x[D + 7] = NAN;
    assert_int_equal(bb_mmff_energy_batch(ff, 2, x, e, g, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "configuration 1"));
    BB_FREE_ALL(x, g);
    bb_mmff_free(ff);
}

BB_TEST(conformer_tasks_reduce_kcal_per_mol_by_kT_at_300_K_and_expose_atoms) {
    int fast = 0, drugs = 0;
    for (int mi = 0; mi < BB_CONFORMER_COUNT; mi++) {
        fast += bb_conformer_molecules[mi].in_fast;
        drugs += bb_conformer_molecules[mi].in_drugs;
    }
    assert_int_equal(fast, 10);
    assert_int_equal(drugs, 80);
    const bb_conformer_molecule *m = &bb_conformer_molecules[BB_CONFORMER_COUNT - 1];
    char id[64];
    snprintf(id, sizeof id, "conf-%s@1", m->hash);
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    assert_string_equal(t->id, id);
    assert_ptr_equal(bb_conformer_of_type(t->type), m);
    assert_true(fabs(t->kT - 0.0019872042586408316 * 300.0) < 1e-15);
    const bb_mmff *ff = bb_task_conformer_ff(t);
    assert_non_null(ff);
    assert_int_equal(t->n_particles, m->natom);
    int heavy = 0;
    for (int i = 0; i < ff->natom; i++) {
        heavy += ff->heavy[i];
        assert_int_equal(ff->heavy[i], strcmp(ff->element[i], "H") != 0);
        assert_true(ff->mass[i] > 1.0);
    }
    assert_int_equal(heavy, m->nheavy);
    assert_int_equal(ff->rotatable_bonds, m->rotatable_bonds);
    size_t D = (size_t)t->dof;
    double *x = malloc(4 * D * sizeof *x), *g = malloc(4 * D * sizeof *g), u[4], *g1 = malloc(D * sizeof *g1);
    bb_rng r;
    bb_rng_init(&r, 2385, 3);
    assert_int_equal(bb_task_initial(t, 4, &r, x, &c), BB_OK);
    assert_int_equal(bb_task_energy(t, 4, x, u, g, &c), BB_OK);
    double emin = bb_mmff_energy(ff, ff->start, NULL, NULL), mean = 0.0;
    for (int i = 0; i < 4; i++) {
        double e = bb_mmff_energy(ff, x + i * D, g1, NULL);
        assert_true(u[i] == e * (1.0 / t->kT));
        for (size_t k = 0; k < D; k++) assert_true(g[i * D + k] == g1[k] * (1.0 / t->kT));
        mean += (e - emin) / t->kT / 4.0;
    }
    printf("%s: initial() mean u - u_min = %.1f (equipartition (3N-6)/2 = %.1f)\n", id, mean, (3.0 * m->natom - 6) / 2);
    assert_true(mean > 0.2 * (3.0 * m->natom - 6) / 2 && mean < 5.0 * (3.0 * m->natom - 6) / 2);
    bb_task_free(t);
    cJSON *p = cJSON_Parse("{\"temperature\": 400}");
    assert_int_equal(bb_task_create(id, p, &t, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "params.temperature: unknown parameter"));
    cJSON_Delete(p);
    BB_FREE_ALL(x, g, g1);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(every_shipped_molecule_matches_rdkit_in_energy_terms_and_gradient),
             cmocka_unit_test(gradient_matches_central_differences_on_the_fast_set),
             cmocka_unit_test(energy_is_invariant_under_rigid_motion_and_the_gradient_rotates_with_it),
             cmocka_unit_test(malformed_or_truncated_parameter_files_give_one_line_naming_file_and_field),
             cmocka_unit_test(coincident_atoms_give_infinity_and_nan_input_is_refused),
             cmocka_unit_test(conformer_tasks_reduce_kcal_per_mol_by_kT_at_300_K_and_expose_atoms))
