/* test_pepmin_search.c — `boltzbench minima` for peptides as a library call
 * (harness/run/pepmin_search.h): from φ/ψ grid starts and basin hopping it rebuilds the
 * committed ALDP catalogues (datasets/minima/, made independently with OpenMM and scipy by
 * the procedure of ../shared/reference/molecules/README.md) exactly in count, every minimum
 * within 0.01 kJ/mol and 1° of φ/ψ; bad configurations and non-molecular tasks are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/peptide.h"
#include "harness/run/pepmin_search.h"
#include "tasks/task.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_pepmin_search", (void)0)

static void rebuilds(const char *task) {
    bb_task *t = bb_test_task(task);
    const bb_molecule *m = bb_task_molecule(t);
    char ref_path[4096], out[600];
    assert_int_equal(bb_pepmin_catalogue_path(t, ref_path, sizeof ref_path), BB_OK);
    snprintf(out, sizeof out, "%s/%s.json", dir, task);
    bb_pepmin_search_config cfg;
    bb_pepmin_search_defaults(&cfg);
    cfg.path = out;
    cfg.seed = 1;
    bb_pepmin_search_result res;
    bb_ctx c = {0};
    assert_int_equal(bb_pepmin_search(t, &cfg, &res, &c), BB_OK);
    bb_pepmin_cat ref, got;
    assert_int_equal(bb_pepmin_read(ref_path, m, &ref, &c), BB_OK);
    assert_int_equal(bb_pepmin_read(out, m, &got, &c), BB_OK);
    printf("  %s: %zu minima (committed %zu), %lld grid starts, %lld evaluations, %lld not converged, %lld other "
           "isomers, %.1f s\n",
           task, got.n, ref.n, (long long)res.grid_starts, (long long)res.energy_evals, (long long)res.not_converged,
           (long long)res.other_isomer, res.wall_s);
    for (size_t i = 0; i < got.n; i++)
        printf("    E %.4f  phi %.2f psi %.2f  max|grad E| %.2e  hits %lld\n", got.E[i], got.ang[2 * i] * 180 / M_PI,
               got.ang[2 * i + 1] * 180 / M_PI, got.gmax[i], (long long)got.count[i]);
    assert_int_equal((int)got.n, (int)ref.n);
    for (size_t i = 0; i < ref.n; i++) {
        long j = bb_pepmin_match(&got, ref.ang + 2 * i, ref.E[i], 1.0 * M_PI / 180, 0.01);
        printf("    committed E %.4f phi %.2f psi %.2f -> %ld\n", ref.E[i], ref.ang[2 * i] * 180 / M_PI,
               ref.ang[2 * i + 1] * 180 / M_PI, j);
        assert_true(j >= 0);
        assert_true(got.gmax[j] < 0.05);
    }
    bb_pepmin_free(&ref);
    bb_pepmin_free(&got);
    bb_task_free(t);
}

BB_TEST(rebuilds_the_fab_aldp_catalogue) { rebuilds("aldp-fab"); }
BB_TEST(rebuilds_the_pita_aldp_catalogue) { rebuilds("aldp-pita"); }

BB_TEST(refuses_bad_configurations_and_non_molecular_tasks) {
    bb_task *t = bb_test_task("dw4");
    bb_pepmin_search_config cfg;
    bb_pepmin_search_defaults(&cfg);
    char out[600];
    snprintf(out, sizeof out, "%s/x.json", dir);
    cfg.path = out;
    bb_ctx c = {0};
    assert_int_equal(bb_pepmin_search(t, &cfg, NULL, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "not a molecular task"));
    bb_task_free(t);
    t = bb_test_task("aldp-fab");
    cfg.walkers = 0;
    assert_int_equal(bb_pepmin_search(t, &cfg, NULL, &c), BB_EINVAL);
    bb_task_free(t);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(rebuilds_the_fab_aldp_catalogue),
             cmocka_unit_test(rebuilds_the_pita_aldp_catalogue),
             cmocka_unit_test(refuses_bad_configurations_and_non_molecular_tasks))
