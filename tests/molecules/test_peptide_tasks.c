/* test_peptide_tasks.c — the aldp-fab, aldp-pita and al3-pita tasks through the task API:
 * registry ids, parameters, reduced energies against OpenMM references, the molecule API
 * (names, masses, dihedral indices and angles), initial() statistics and determinism, the
 * embedded topologies against the committed data files, and thread-count independence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "tasks/molecules/embedded.h"
#include "tasks/molecules/molecule.h"
#include "tasks/molecules/relax.h"
#include "tasks/task.h"
#include "tests/molecules/moltest.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testmain.h"

#define R_KJ 0.00831446261815324
#define DEG  (180.0 / 3.14159265358979323846)

static bb_task *make(const char *id, const char *params) {
    bb_ctx c = {0};
    cJSON *p = NULL;
    if (params) assert_int_equal(bb_json_parse(params, "params", &p, &c), BB_OK);
    bb_task *t = NULL;
    int rc = bb_task_create(id, p, &t, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    cJSON_Delete(p);
    return t;
}

BB_TEST(embedded_topologies_equal_the_committed_data_files) {
    const bb_embedded_file *files[] = {&bb_embedded_aldp_ff96_mbondi2_prmtop,   &bb_embedded_aldp_ff96_mbondi2_crd,
                                       &bb_embedded_aldp_ff14sb_mbondi2_prmtop, &bb_embedded_aldp_ff14sb_mbondi2_inpcrd,
                                       &bb_embedded_al3_ff14sb_mbondi2_prmtop,  &bb_embedded_al3_ff14sb_mbondi2_inpcrd};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        bb_ctx c = {0};
        char *emb = NULL, *disk = NULL;
        size_t le = 0, ld = 0;
        assert_int_equal(bb_embedded_text(files[i], &emb, &le, &c), BB_OK);
        assert_int_equal(bb_read_file(mt_task_data(files[i]->name), 1 << 20, &disk, &ld, &c), BB_OK);
        assert_int_equal(le, ld);
        assert_memory_equal(emb, disk, ld);
        char hex[65];
        bb_sha256_hex(disk, ld, hex);
        assert_string_equal(hex, files[i]->sha256);
        free(emb);
        free(disk);
    }
    /* a corrupted copy is refused by its hash */
    bb_embedded_file bad = bb_embedded_aldp_ff96_mbondi2_crd;
    bad.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    bb_ctx c = {0};
    char *t = NULL;
    size_t l = 0;
    assert_int_equal(bb_embedded_text(&bad, &t, &l, &c), BB_EHASH);
    assert_null(t);
    assert_non_null(strstr(c.msg, "aldp-ff96-mbondi2.crd"));
}

BB_TEST(tasks_are_registered_with_versions_units_and_parameters) {
    const char *ids[] = {"aldp-fab@1", "aldp-pita@1", "al3-pita@1"};
    const int P[] = {22, 22, 33};
    for (int k = 0; k < 3; k++) {
        bb_task *t = make(ids[k], NULL);
        assert_string_equal(t->id, ids[k]);
        assert_int_equal(t->n_particles, P[k]);
        assert_int_equal(t->dim, 3);
        assert_int_equal(t->dof, 3 * P[k]);
        assert_true(fabs(t->kT - 2.494338785445972) < 1e-12);
        assert_string_equal(t->type->kT_unit, "kJ/mol");
        assert_string_equal(t->type->length_unit, "nm");
        assert_true(t->flags & BB_TASK_TRANSLATION_INV);
        assert_true(t->flags & BB_TASK_ROTATION_INV);
        assert_non_null(bb_task_molecule(t));
        bb_task_free(t);
    }
    bb_task *t = make("aldp-pita", "{\"temperature\": 755.95}");
    assert_true(fabs(t->kT - R_KJ * 755.95) < 1e-12);
    assert_non_null(strstr(t->type->description, "755.95"));
    bb_task_free(t);
    t = make("al3-pita", "{\"temperature\": 408.24}");
    assert_true(fabs(t->kT - R_KJ * 408.24) < 1e-12);
    assert_non_null(strstr(t->type->description, "408.24"));
    bb_task_free(t);
    bb_ctx c = {0};
    cJSON *p = NULL;
    assert_int_equal(bb_json_parse("{\"temperature\": 300}", "p", &p, &c), BB_OK);
    assert_int_equal(bb_task_create("aldp-fab", p, &t, &c), BB_EINVAL);
    assert_null(t);
    printf("aldp-fab with a temperature: %s\n", c.msg);
    cJSON_Delete(p);
    const char *bad[] = {"{\"temperature\": -3}", "{\"temperature\": \"hot\"}", "{\"temp\": 300}", "[1]"};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(bb_json_parse(bad[k], "p", &p, &c), BB_OK);
        assert_int_equal(bb_task_create("aldp-pita", p, &t, &c), BB_EINVAL);
        assert_non_null(strstr(c.msg, "aldp-pita@1"));
        cJSON_Delete(p);
    }
    assert_null(bb_task_molecule(NULL));
}

BB_TEST(reduced_energies_match_openmm_references) {
    struct {
        const char *task, *params, *ref;
        double T;
    } cases[] = {
        {"aldp-fab", NULL, "aldp_ff96_obc1_nocutoff@crd", 300.0},
        {"aldp-pita", NULL, "aldp_ff14sb_obc1_cutoffnp2nm@crd[prmtop-route]", 300.0},
        {"aldp-pita", "{\"temperature\": 555.52}", "aldp_ff14sb_obc1_cutoffnp2nm@crd[prmtop-route]", 555.52},
        {"al3-pita", NULL, "al3_ff14sb_obc1_cutoffnp2nm@min[prmtop-route]", 300.0},
    };
    cJSON *ref = mt_read_json("reference-energies.json");
    for (int k = 0; k < 4; k++) {
        bb_task *t = make(cases[k].task, cases[k].params);
        const cJSON *c, *want = NULL;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(ref, "cases")) if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring,
                                                                            cases[k].ref) == 0) want = c;
        assert_non_null(want);
        double x[99], g[99], f[99], u;
        mt_rows(cJSON_GetObjectItem(want, "positions_nm"), (size_t)t->n_particles, x);
        mt_rows(cJSON_GetObjectItem(want, "forces_kJmol_nm"), (size_t)t->n_particles, f);
        bb_ctx ctx = {0};
        assert_int_equal(bb_task_energy(t, 1, x, &u, g, &ctx), BB_OK);
        double kT = R_KJ * cases[k].T, E = cJSON_GetObjectItem(want, "E_kJmol")->valuedouble;
        printf("%s T=%.2f: u %.8f, E/RT %.8f\n", t->id, cases[k].T, u, E / kT);
        assert_true(fabs(u - E / kT) < 1e-4 / kT);
        if (cases[k].T == 300.0) assert_true(fabs(u - cJSON_GetObjectItem(want, "u_300K")->valuedouble) < 1e-4 / kT);
        for (int i = 0; i < t->dof; i++) assert_true(fabs(-g[i] * kT - f[i]) < 1e-3);
        bb_task_free(t);
    }
    cJSON_Delete(ref);
}

BB_TEST(molecule_api_exposes_atoms_residues_masses_and_dihedrals) {
    bb_task *t = make("aldp-fab", NULL);
    const bb_molecule *m = bb_task_molecule(t);
    assert_int_equal(m->natom, 22);
    assert_int_equal(m->nres, 3);
    assert_string_equal(m->res_name[0], "ACE");
    assert_string_equal(m->res_name[1], "ALA");
    assert_string_equal(m->res_name[2], "NME");
    assert_string_equal(m->atom_name[8], "CA");
    assert_string_equal(m->atom_name[18], "CH3");
    assert_int_equal(m->atom_residue[8], 1);
    assert_int_equal(m->atom_residue[21], 2);
    assert_true(fabs(m->mass[8] - 12.01) < 1e-9 && fabs(m->mass[0] - 1.008) < 1e-9 && fabs(m->mass[5] - 16.0) < 1e-9);
    double q = 0.0;
    for (int i = 0; i < 22; i++) q += m->charge[i];
    assert_true(fabs(q) < 1e-6); /* neutral */
    const int phi[4] = {4, 6, 8, 14}, psi[4] = {6, 8, 14, 16}, om1[4] = {1, 4, 6, 8}, om2[4] = {8, 14, 16, 18};
    assert_int_equal(m->ndihedral, 4);
    assert_memory_equal(bb_molecule_find_dihedral(m, "phi2")->atoms, phi, sizeof phi);
    assert_memory_equal(bb_molecule_find_dihedral(m, "psi2")->atoms, psi, sizeof psi);
    assert_memory_equal(bb_molecule_find_dihedral(m, "omega1")->atoms, om1, sizeof om1);
    assert_memory_equal(bb_molecule_find_dihedral(m, "omega2")->atoms, om2, sizeof om2);
    assert_null(bb_molecule_find_dihedral(m, "phi1"));
    /* the ff14SB export names NME's methyl carbon C, not CH3: same dihedrals */
    bb_task *t2 = make("aldp-pita", NULL);
    const bb_molecule *m2 = bb_task_molecule(t2);
    assert_string_equal(m2->atom_name[18], "C");
    assert_int_equal(m2->ndihedral, 4);
    assert_int_equal(m2->nbackbone, 7);
    for (int d = 0; d < 4; d++) assert_memory_equal(m2->dihedral[d].atoms, m->dihedral[d].atoms, sizeof phi);
    bb_task_free(t2);
    assert_int_equal(m->nbackbone, 7); /* CH3 C | N CA C | N CH3 */
    /* FAB's minimum: phi -145.8, psi 150.3 (../shared/reference/molecules/README.md) */
    double x[66];
    mt_pt_positions("fab-torch-aldp-position_min_energy.pt", 22, x);
    double a = bb_dihedral_angle(x, phi) * DEG, b = bb_dihedral_angle(x, psi) * DEG;
    printf("FAB minimum: phi %.2f psi %.2f\n", a, b);
    assert_true(fabs(a - (-145.8)) < 0.05 && fabs(b - 150.3) < 0.05);
    bb_task_free(t);

    /* every catalogued minimum's stored angles are reproduced */
    const char *cats[] = {"minima-aldp-ff14sb-obc1-cut2nm.json", "minima-al3-ff14sb-obc1-cut2nm.json"};
    const char *tasks[] = {"aldp-pita", "al3-pita"};
    for (int k = 0; k < 2; k++) {
        t = make(tasks[k], NULL);
        m = bb_task_molecule(t);
        cJSON *mins = mt_read_json(cats[k]);
        const cJSON *e;
        double y[99];
        cJSON_ArrayForEach(e, mins) {
            mt_rows(cJSON_GetObjectItem(e, "x_nm"), (size_t)m->natom, y);
            const cJSON *it;
            cJSON_ArrayForEach(it, e) {
                size_t l = strlen(it->string);
                if (l < 5 || strcmp(it->string + l - 4, "_deg") != 0) continue;
                char nm[16];
                snprintf(nm, sizeof nm, "%.*s", (int)(l - 4), it->string);
                if (k == 0) snprintf(nm, sizeof nm, "%s2", strncmp(it->string, "phi", 3) ? "psi" : "phi");
                const bb_dihedral_def *d = bb_molecule_find_dihedral(m, nm);
                assert_non_null(d);
                double ang = bb_dihedral_angle(y, d->atoms) * DEG, diff = fabs(ang - it->valuedouble);
                if (diff > 180) diff = 360 - diff;
                assert_true(diff < 0.01);
            }
        }
        cJSON_Delete(mins);
        if (k == 1) {
            const int psi1[4] = {0, 4, 10, 12}, phi2[4] = {10, 12, 14, 20}, phi3[4] = {20, 22, 24, 30};
            assert_int_equal(m->ndihedral, 6);
            assert_memory_equal(bb_molecule_find_dihedral(m, "psi1")->atoms, psi1, sizeof psi1);
            assert_memory_equal(bb_molecule_find_dihedral(m, "phi2")->atoms, phi2, sizeof phi2);
            assert_memory_equal(bb_molecule_find_dihedral(m, "phi3")->atoms, phi3, sizeof phi3);
            assert_string_equal(m->atom_name[32], "OXT");
        }
        bb_task_free(t);
    }
}

/* Signed volume (N−CA)·((C−CA)×(CB−CA)): positive for L-alanine (../shared/reference/molecules). */
static double chirality(const double *x, int n, int ca, int c, int cb) {
    double u[3], v[3], w[3];
    for (int k = 0; k < 3; k++) {
        u[k] = x[3 * n + k] - x[3 * ca + k];
        v[k] = x[3 * c + k] - x[3 * ca + k];
        w[k] = x[3 * cb + k] - x[3 * ca + k];
    }
    return u[0] * (v[1] * w[2] - v[2] * w[1]) + u[1] * (v[2] * w[0] - v[0] * w[2]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
}

/* The tasks' structures are all-L (the OpenMM ala_ala_ala.pdb that AL3 started from has D residues
 * 2 and 3). The shipped AL3 minima catalogue is NOT: all 46 entries are L-D-D (made from the
 * uncorrected geometry), so it describes a diastereomer and must not be used as AL3's minima. */
BB_TEST(structures_are_all_l_and_the_al3_catalogue_is_not) {
    bb_rng r;
    bb_rng_init(&r, 1, 0);
    bb_ctx c = {0};
    double x[99];
    bb_task *t = make("aldp-fab", NULL);
    assert_int_equal(bb_task_initial(t, 1, &r, x, &c), BB_OK);
    assert_true(chirality(x, 6, 8, 14, 10) > 0.0);
    bb_task_free(t);
    t = make("aldp-pita", NULL);
    assert_int_equal(bb_task_initial(t, 1, &r, x, &c), BB_OK);
    assert_true(chirality(x, 6, 8, 14, 10) > 0.0);
    bb_task_free(t);
    t = make("al3-pita", NULL);
    assert_int_equal(bb_task_initial(t, 1, &r, x, &c), BB_OK);
    assert_true(chirality(x, 0, 4, 10, 6) > 0.0 && chirality(x, 12, 14, 20, 16) > 0.0 &&
                chirality(x, 22, 24, 30, 26) > 0.0);
    bb_task_free(t);
    cJSON *mins = mt_read_json("minima-al3-ff14sb-obc1-cut2nm.json");
    const cJSON *e;
    int n_ldd = 0, n = 0;
    cJSON_ArrayForEach(e, mins) {
        mt_rows(cJSON_GetObjectItem(e, "x_nm"), 33, x);
        n_ldd +=
            chirality(x, 0, 4, 10, 6) > 0.0 && chirality(x, 12, 14, 20, 16) < 0.0 && chirality(x, 22, 24, 30, 26) < 0.0;
        n++;
    }
    printf("AL3 minima catalogue: %d of %d entries are L-D-D (not the all-L task molecule)\n", n_ldd, n);
    assert_int_equal(n_ldd, n);
    cJSON_Delete(mins);
}

BB_TEST(initial_is_a_thermal_cloud_around_the_minimum_and_deterministic) {
    const char *ids[] = {"aldp-fab", "aldp-pita", "al3-pita"};
    for (int k = 0; k < 3; k++) {
        bb_task *t = make(ids[k], k == 2 ? "{\"temperature\": 1200}" : NULL);
        const size_t n = 400, D = (size_t)t->dof;
        double *x = malloc(n * D * sizeof *x), *x2 = malloc(n * D * sizeof *x2), *u = malloc(n * sizeof *u);
        double *g = malloc(D * sizeof *g);
        bb_rng r1, r2;
        bb_rng_init(&r1, 2385, 3);
        bb_rng_init(&r2, 2385, 3);
        bb_ctx c = {0};
        assert_int_equal(bb_task_initial(t, n, &r1, x, &c), BB_OK);
        assert_int_equal(bb_task_initial(t, n, &r2, x2, &c), BB_OK);
        assert_memory_equal(x, x2, n * D * sizeof *x);
        assert_int_equal(bb_task_energy(t, n, x, u, NULL, &c), BB_OK);
        /* the noise centre is a minimum: polish sample 0 back and compare with the minimum energy */
        double umin = INFINITY, mean = 0.0;
        for (size_t i = 0; i < n; i++) {
            assert_true(isfinite(u[i]));
            mean += u[i] / (double)n;
        }
        /* energy of the noise-free centre: average of the cloud is the centre (large n) */
        double *ctr = calloc(D, sizeof *ctr);
        for (size_t i = 0; i < n; i++)
            for (size_t d = 0; d < D; d++) ctr[d] += x[i * D + d] / (double)n;
        assert_int_equal(bb_task_energy(t, 1, ctr, &umin, g, &c), BB_OK);
        double expect = 0.5 * ((double)D - 6.0);
        printf("%s T=%.0f K: <u> - u(centre) = %.2f (harmonic equipartition %.1f)\n", t->id, t->kT / R_KJ, mean - umin,
               expect);
        assert_true(mean - umin > 0.6 * expect && mean - umin < 1.4 * expect);
        free(ctr);
        free(x);
        free(x2);
        free(u);
        free(g);
        bb_task_free(t);
    }
}

BB_TEST(nan_input_names_the_configuration_and_threads_do_not_change_results) {
    bb_task *t = make("al3-pita", NULL);
    const size_t n = 64, D = (size_t)t->dof;
    double *x = malloc(n * D * sizeof *x), *u1 = malloc(n * sizeof *u1), *u2 = malloc(n * sizeof *u2);
    double *g1 = malloc(n * D * sizeof *g1), *g2 = malloc(n * D * sizeof *g2);
    bb_rng r;
    bb_rng_init(&r, 99, 1);
    bb_ctx c = {0};
    assert_int_equal(bb_task_initial(t, n, &r, x, &c), BB_OK);
    assert_int_equal(t->type->energy(t, n, x, u1, g1, &c), BB_OK);
    int fails = 0;
#pragma omp parallel for num_threads(2) schedule(static) reduction(+ : fails)
    for (size_t i = 0; i < n; i += 16) {
        bb_ctx cc = {0};
        fails += t->type->energy(t, 16, x + i * D, u2 + i, g2 + i * D, &cc) != BB_OK;
    }
    assert_int_equal(fails, 0);
    assert_memory_equal(u1, u2, n * sizeof *u1);
    assert_memory_equal(g1, g2, n * D * sizeof *g1);
    x[5 * D + 7] = NAN;
    assert_int_equal(bb_task_energy(t, n, x, u1, NULL, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "configuration 5"));
    assert_int_equal(t->type->energy(t, n, x, u1, NULL, &c), BB_ENAN); /* the task's own check too */
    assert_non_null(strstr(c.msg, "configuration 5"));
    free(x);
    free(u1);
    free(u2);
    free(g1);
    free(g2);
    bb_task_free(t);
}

BB_TEST(relax_reaches_a_minimum_from_a_perturbed_structure) {
    bb_amber *ff = mt_load_ff("aldp-ff96-mbondi2.prmtop", 1, 0.0);
    double x[66], e, gmax;
    bb_ctx c = {0};
    assert_int_equal(bb_inpcrd_read(mt_task_data("aldp-ff96-mbondi2.crd"), 22, x, &c), BB_OK);
    double *w = malloc(bb_amber_work_size(ff) * sizeof *w);
    double e0 = bb_amber_energy(ff, x, NULL, NULL, w);
    assert_int_equal(bb_amber_relax(ff, x, 1e-3, 200000, &e, &gmax, &c), BB_OK);
    printf("relax from .crd: %.4f -> %.4f kJ/mol, max|F| %.2e\n", e0, e, gmax);
    assert_true(e < e0 && gmax < 1e-3);
    x[0] = INFINITY;
    assert_int_equal(bb_amber_relax(ff, x, 1e-3, 10, &e, &gmax, &c), BB_EINVAL);
    free(w);
    bb_amber_free(ff);
}

/* bb_molecule_reduce divides energies and, when asked, gradients by kT, row by row. */
BB_TEST(reduce_divides_energies_and_gradients_by_kT) {
    double u[2] = {2.5, -10.0}, g[6] = {1, 2, 3, -4, 5, -6};
    bb_molecule_reduce(2, 3, 2.5, u, g);
    const double gw[6] = {0.4, 0.8, 1.2, -1.6, 2.0, -2.4};
    assert_true(fabs(u[0] - 1.0) < 1e-15 && fabs(u[1] + 4.0) < 1e-15);
    for (int k = 0; k < 6; k++) assert_true(fabs(g[k] - gw[k]) < 1e-15);
    bb_molecule_reduce(2, 3, 0.5, u, NULL); /* energies only */
    assert_true(fabs(u[0] - 2.0) < 1e-15 && fabs(u[1] + 8.0) < 1e-15);
    assert_true(fabs(g[0] - 0.4) < 1e-15);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(embedded_topologies_equal_the_committed_data_files),
             cmocka_unit_test(reduce_divides_energies_and_gradients_by_kT),
             cmocka_unit_test(tasks_are_registered_with_versions_units_and_parameters),
             cmocka_unit_test(reduced_energies_match_openmm_references),
             cmocka_unit_test(molecule_api_exposes_atoms_residues_masses_and_dihedrals),
             cmocka_unit_test(structures_are_all_l_and_the_al3_catalogue_is_not),
             cmocka_unit_test(initial_is_a_thermal_cloud_around_the_minimum_and_deterministic),
             cmocka_unit_test(nan_input_names_the_configuration_and_threads_do_not_change_results),
             cmocka_unit_test(relax_reaches_a_minimum_from_a_perturbed_structure))
