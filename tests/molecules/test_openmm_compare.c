/* test_openmm_compare.c — live comparison with OpenMM 7.7 (Debian python3-simtk): 200 thermal
 * configurations of each peptide task (task initial() at the task's temperature, and at 1200 K
 * for a wider spread), energies within 1e-4 kJ/mol and forces within 1e-3 kJ/mol/nm of the
 * Reference platform (about 5 s CPU, labelled slow too). aldp-pita is also checked against PITA's own construction
 * (ForceField amber14-all.xml + implicit/obc1.xml on the PDB topology). Label `openmm`; skips
 * cleanly (with the reason printed) when /usr/bin/python3 cannot import openmm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "tasks/task.h"
#include "tests/molecules/moltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/testmain.h"

static int have_openmm(void) {
    if (access("/usr/bin/python3", X_OK) != 0) return 0;
    return system("/usr/bin/python3 -c 'import openmm' >/dev/null 2>&1") == 0;
}

static void write_rows(const char *path, const double *v, size_t n, size_t w, double scale) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < w; k++) fprintf(f, "%.17g%c", scale * v[i * w + k], k + 1 == w ? '\n' : ' ');
    fclose(f);
}

static void compare(const char *task, const char *params, const char *const *setups, uint64_t seed) {
    bb_ctx c = {0};
    cJSON *p = NULL;
    if (params) assert_int_equal(bb_json_parse(params, "params", &p, &c), BB_OK);
    bb_task *t = NULL;
    assert_int_equal(bb_task_create(task, p, &t, &c), BB_OK);
    cJSON_Delete(p);
    const size_t n = 200, D = (size_t)t->dof;
    double *x = malloc(n * D * sizeof *x), *u = malloc(n * sizeof *u), *g = malloc(n * D * sizeof *g);
    bb_rng r;
    bb_rng_init(&r, seed, 0);
    assert_int_equal(bb_task_initial(t, n, &r, x, &c), BB_OK);
    assert_int_equal(bb_task_energy(t, n, x, u, g, &c), BB_OK);
    char dir[] = "/tmp/bb_openmm_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char xf[64], ef[64], gf[64], cmd[1024];
    snprintf(xf, sizeof xf, "%s/x.txt", dir);
    snprintf(ef, sizeof ef, "%s/e.txt", dir);
    snprintf(gf, sizeof gf, "%s/f.txt", dir);
    write_rows(xf, x, n, D, 1.0);
    write_rows(ef, u, n, 1, t->kT);  /* kJ/mol */
    write_rows(gf, g, n, D, -t->kT); /* forces, kJ/mol/nm */
    for (; *setups; setups++) {
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 %s/tests/molecules/openmm_compare.py %s %s/tests/molecules/data %s %s %s",
                 BB_SOURCE_DIR, *setups, BB_SOURCE_DIR, xf, ef, gf);
        fflush(stdout);
        int rc = system(cmd);
        assert_int_equal(rc, 0);
    }
    remove(xf);
    remove(ef);
    remove(gf);
    rmdir(dir);
    free(x);
    free(u);
    free(g);
    bb_task_free(t);
}

BB_TEST(aldp_fab_matches_openmm_on_200_thermal_configurations) {
    if (!have_openmm()) {
        printf("SKIP: /usr/bin/python3 cannot import openmm (install Debian python3-simtk)\n");
        skip();
    }
    compare("aldp-fab", NULL, (const char *const[]){"fab", NULL}, 1);
}

BB_TEST(aldp_pita_matches_openmm_and_pitas_forcefield_route) {
    if (!have_openmm()) {
        printf("SKIP: /usr/bin/python3 cannot import openmm (install Debian python3-simtk)\n");
        skip();
    }
    compare("aldp-pita", NULL, (const char *const[]){"pita-aldp", "pita-aldp-forcefield", NULL}, 2);
    compare("aldp-pita", "{\"temperature\": 1200}", (const char *const[]){"pita-aldp", "pita-aldp-forcefield", NULL},
            3);
}

BB_TEST(al3_pita_matches_openmm_on_200_thermal_configurations) {
    if (!have_openmm()) {
        printf("SKIP: /usr/bin/python3 cannot import openmm (install Debian python3-simtk)\n");
        skip();
    }
    compare("al3-pita", NULL, (const char *const[]){"pita-al3", NULL}, 4);
    compare("al3-pita", "{\"temperature\": 1200}", (const char *const[]){"pita-al3", NULL}, 5);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(aldp_fab_matches_openmm_on_200_thermal_configurations),
             cmocka_unit_test(aldp_pita_matches_openmm_and_pitas_forcefield_route),
             cmocka_unit_test(al3_pita_matches_openmm_on_200_thermal_configurations))
