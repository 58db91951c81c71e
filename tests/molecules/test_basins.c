/* test_basins.c — the φ/ψ basin classifier (tasks/molecules/basins.h): its boundaries and
 * wrapping at hand-picked angles, every catalogued ALDP minimum of both setups in its named
 * basin (dihedrals measured from the stored coordinates), the φ/ψ pairs of ALDP and AL3, and
 * basin populations of a small set of configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/molecules/basins.h"
#include "tasks/molecules/molecule.h"
#include "tasks/task.h"
#include "tests/molecules/moltest.h"
#include "tests/testmain.h"

#define RAD (3.14159265358979323846 / 180.0)

static bb_basin at_deg(double phi, double psi) { return bb_basin_classify(phi * RAD, psi * RAD); }

BB_TEST(boundaries_and_wrapping_follow_the_documented_boxes) {
    assert_int_equal(at_deg(-63.0, -41.0), BB_BASIN_ALPHA_R);
    assert_int_equal(at_deg(-150.3, 159.7), BB_BASIN_BETA);
    assert_int_equal(at_deg(-67.9, 154.1), BB_BASIN_PII);
    assert_int_equal(at_deg(-80.0, 75.0), BB_BASIN_PII); /* vacuum C7eq */
    assert_int_equal(at_deg(56.0, 27.2), BB_BASIN_ALPHA_L);
    assert_int_equal(at_deg(60.4, -72.3), BB_BASIN_ALPHA_L); /* C7ax */
    /* edges (a degree value does not survive the trip through radians exactly, so just either
     * side): φ = 0 is not φ > 0; ψ up to 50 is αR; ψ down to −120 is not; φ up to −90 is β */
    assert_int_equal(bb_basin_classify(0.0, 0.0), BB_BASIN_ALPHA_R);
    assert_int_equal(at_deg(1e-7, 0.0), BB_BASIN_ALPHA_L);
    assert_int_equal(at_deg(-60.0, 49.999), BB_BASIN_ALPHA_R);
    assert_int_equal(at_deg(-60.0, 50.001), BB_BASIN_PII);
    assert_int_equal(at_deg(-60.0, -120.001), BB_BASIN_PII);
    assert_int_equal(at_deg(-60.0, -119.999), BB_BASIN_ALPHA_R);
    assert_int_equal(at_deg(-90.001, 170.0), BB_BASIN_BETA);
    assert_int_equal(at_deg(-89.999, 170.0), BB_BASIN_PII);
    assert_int_equal(at_deg(-170.0, -170.0), BB_BASIN_BETA);
    /* wrapping: 190 = −170, −190 = 170, 420 = 60, and −180 is the same point as 180 */
    assert_int_equal(at_deg(190.0, 160.0), BB_BASIN_BETA);
    assert_int_equal(at_deg(-190.0, 160.0), BB_BASIN_ALPHA_L);
    assert_int_equal(at_deg(420.0 - 720.0, -40.0), BB_BASIN_ALPHA_L);
    assert_int_equal(at_deg(-180.0, 0.0), at_deg(180.0, 0.0));
    assert_int_equal(bb_basin_classify(M_PI, 0.0), BB_BASIN_ALPHA_L);
    for (int b = 0; b < BB_BASIN_COUNT; b++) assert_non_null(bb_basin_names[b]);
    assert_string_equal(bb_basin_names[BB_BASIN_ALPHA_L], "alpha_L_C7ax");
}

static bb_task *make(const char *id) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    return t;
}

/* Every minimum of a catalogue lies in the basin its listed (φ, ψ) names, measured from the
 * stored coordinates (within 0.01° of the listing); expected[] in catalogue order. */
static void check_catalogue(const char *task, const char *file, const bb_basin *expected, size_t n_expected) {
    bb_task *t = make(task);
    const bb_molecule *m = bb_task_molecule(t);
    const bb_dihedral_def *phi, *psi;
    assert_int_equal(bb_basin_pair(m, 0, &phi, &psi), 1);
    assert_string_equal(phi->name, "phi2");
    assert_string_equal(psi->name, "psi2");
    cJSON *cat = mt_read_json(file);
    assert_int_equal((size_t)cJSON_GetArraySize(cat), n_expected);
    double *x = malloc(3 * 22 * n_expected * sizeof *x);
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cat) {
        mt_rows(cJSON_GetObjectItem(e, "x_nm"), 22, x + 66 * i);
        double f = bb_dihedral_angle(x + 66 * i, phi->atoms), s = bb_dihedral_angle(x + 66 * i, psi->atoms);
        assert_true(fabs(f / RAD - cJSON_GetObjectItem(e, "phi_deg")->valuedouble) < 0.01);
        assert_true(fabs(remainder(s / RAD - cJSON_GetObjectItem(e, "psi_deg")->valuedouble, 360.0)) < 0.01);
        assert_int_equal(bb_basin_classify(f, s), expected[i]);
        i++;
    }
    double pop[BB_BASIN_COUNT], want[BB_BASIN_COUNT] = {0};
    for (i = 0; i < n_expected; i++) want[expected[i]] += 1.0 / (double)n_expected;
    assert_int_equal(bb_basin_populations(m, 0, n_expected, x, pop), 0);
    for (int b = 0; b < BB_BASIN_COUNT; b++) assert_true(fabs(pop[b] - want[b]) < 1e-12);
    assert_int_equal(bb_basin_populations(m, 1, n_expected, x, pop), -1);
    assert_true(isnan(pop[0]));
    free(x);
    cJSON_Delete(cat);
    bb_task_free(t);
}

BB_TEST(every_catalogued_aldp_minimum_lies_in_its_named_basin) {
    /* ff14SB (PITA): PII, αR, β/C5, αL, φ>0 ψ≈180 — the catalogue's order */
    const bb_basin pita[] = {BB_BASIN_PII, BB_BASIN_ALPHA_R, BB_BASIN_BETA, BB_BASIN_ALPHA_L, BB_BASIN_ALPHA_L};
    check_catalogue("aldp-pita", "minima-aldp-ff14sb-obc1-cut2nm.json", pita, 5);
    /* ff96 (FAB): β/C5, PII, αR, α' (φ −143, ψ −70: αR box), φ>0 ψ≈−117, C7ax, αL */
    const bb_basin fab[] = {BB_BASIN_BETA,    BB_BASIN_PII,     BB_BASIN_ALPHA_R, BB_BASIN_ALPHA_R,
                            BB_BASIN_ALPHA_L, BB_BASIN_ALPHA_L, BB_BASIN_ALPHA_L};
    check_catalogue("aldp-fab", "minima-aldp-ff96-obc1-nocutoff.json", fab, 7);
}

BB_TEST(al3_has_one_phi_psi_pair_the_central_residue) {
    bb_task *t = make("al3-pita");
    const bb_dihedral_def *phi, *psi;
    assert_int_equal(bb_basin_pair(bb_task_molecule(t), 0, &phi, &psi), 1);
    assert_string_equal(phi->name, "phi2");
    assert_string_equal(psi->name, "psi2");
    assert_int_equal(bb_basin_pair(bb_task_molecule(t), 1, &phi, &psi), 0);
    assert_null(phi);
    assert_int_equal(bb_basin_pair(NULL, 0, &phi, &psi), 0);
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(boundaries_and_wrapping_follow_the_documented_boxes),
             cmocka_unit_test(every_catalogued_aldp_minimum_lies_in_its_named_basin),
             cmocka_unit_test(al3_has_one_phi_psi_pair_the_central_residue))
