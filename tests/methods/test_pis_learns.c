/* test_pis_learns.c — evidence that PIS learns (label `slow`, a few minutes on 2 busy
 * cores).
 *
 * GMM-40 and DW-4 (the bar of every neural method, tests/methods/learns.h): PIS-Grad, final
 * samples unweighted so that the network's own samples are scored, trained against the
 * untrained network (a budget of exactly the 1000-sample draw, 1000 · n_steps evaluations,
 * pays for no iteration; the report's iterations = 0 is checked). GMM-40: the quick and
 * standard suites' settings (5 steps over T = 10, batch 40, width 32) at 1e5. DW-4: 20 steps
 * over the authors' T = 5, batch 40, width 32 at 2e5 — with the suites' 5 steps of dt = 2
 * the unweighted DW-4 samples get WORSE with training (energy_w2 47.8 -> 144, seed 3: the
 * coarse steps overshoot into high-energy configurations; the suites' weighted draw hides
 * part of it). Pass criterion (not tuned, learns.h): energy_w2 trained at most half the
 * untrained and the bootstrap 95 % intervals disjoint. Seen when written (seed 3): GMM-40
 * 6.31 -> 0.253; DW-4 31.1 -> 6.85 (dist_w2, not asserted, 1.28 -> 0.77: CIs disjoint but
 * short of the factor 2).
 *
 * ManyWell-32 the trained control against the untrained one (max_iters = 1: one
 * Adam step from the zero-initialised output layers), same seed and final noise stream,
 * importance-weighted final samples, for both controls:
 *   - gradient-free (control "nn"): 30 000 evaluations, batch 100, 50 Euler–Maruyama steps,
 *     2000 samples (the untrained control is essentially the reference N(0, σ²T I) = N(0, I));
 *   - PIS-Grad (the default): 20 steps, batch 50, 1000 samples; the draw alone costs
 *     1000 · 21 evaluations, so 126 000 evaluations leave 100 iterations of 50 · 21.
 * Pass criterion (not tuned): energy_w2 and log_z_error each at most half the untrained
 * run's. Seen at f661793: gradient-free energy_w2 34.9 -> 3.27, log_z_error 13.3 -> 4.31;
 * PIS-Grad energy_w2 47.4 -> 5.01, log_z_error 25.8 -> 3.27 (GFN-diffusion's table reports
 * 13.19 for PIS on ManyWell-32), far outside the noise of a 1000-2000-sample 1-D W2
 * (bootstrap CI a few percent of these values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "harness/run/run.h"
#include "tests/methods/learns.h"
#include "tests/testmain.h"
#include "tests/tmpdir.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_pis_learns", bb_test_isolated_cache(dir))

/* n_steps steps (untrained: the 1000-sample unweighted draw's 1000 n_steps evaluations). */
static void pis_beats_untrained(const char *task, const char *params, int n_steps, int64_t budget,
                                const char *const *metrics, size_t n_metrics) {
    cJSON *untrained =
        bb_learns_run(dir, "pis", task, params, 1000 * (int64_t)n_steps, "untrained", metrics, n_metrics);
    cJSON *trained = bb_learns_run(dir, "pis", task, params, budget, "trained", metrics, n_metrics);
    assert_int_equal((int)bb_learns_info(untrained, "iterations"), 0);
    print_message("pis %s: %g iterations\n", task, bb_learns_info(trained, "iterations"));
    bb_learns_compare("pis", task, untrained, trained, metrics, n_metrics);
    cJSON_Delete(untrained);
    cJSON_Delete(trained);
}

BB_TEST(pis_learns_gmm40) {
    const char *metrics[] = {"energy_w2"};
    pis_beats_untrained("gmm40",
                        "{\"n_steps\": 5, \"t_end\": 10, \"batch_size\": 40, \"channels\": 32, "
                        "\"importance_weights\": false}",
                        5, 100000, metrics, 1);
}

BB_TEST(pis_learns_dw4) {
    const char *metrics[] = {"energy_w2"};
    pis_beats_untrained("dw4", "{\"n_steps\": 20, \"batch_size\": 40, \"channels\": 32, \"importance_weights\": false}",
                        20, 200000, metrics, 1);
}

static cJSON *run_pis(int grad, int max_iters) {
    char out[512];
    snprintf(out, sizeof out, "%s/pis-%d-%d.json", dir, grad, max_iters);
    cJSON *ov = cJSON_CreateObject();
    cJSON_AddStringToObject(ov, "control", grad ? "grad" : "nn");
    cJSON_AddNumberToObject(ov, "batch_size", grad ? 50 : 100);
    cJSON_AddNumberToObject(ov, "n_steps", grad ? 20 : 50);
    cJSON_AddNumberToObject(ov, "max_iters", max_iters);
    bb_run_config cfg = {.task_id = "manywell32",
                         .method = "pis",
                         .method_overrides = ov,
                         .budget = grad ? 126000 : 30000,
                         .seed = 0,
                         .n_samples = grad ? 1000 : 2000,
                         .out_path = out,
                         .threads = 2};
    cJSON *rep = NULL;
    bb_ctx c = {0};
    int rc = bb_run(&cfg, &rep, &c);
    if (rc) printf("run failed: %s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    cJSON_Delete(ov);
    return rep;
}

static void learns(int grad) {
    cJSON *untrained = run_pis(grad, 1), *trained = run_pis(grad, 0);
    const char *names[] = {"energy_w2", "log_z_error"};
    for (int k = 0; k < 2; k++) {
        double u = bb_learns_value(untrained, names[k]), t = bb_learns_value(trained, names[k]);
        printf("manywell32 %s %-12s untrained %.4f trained %.4f (pass: trained <= untrained / 2)\n",
               grad ? "PIS-Grad" : "PIS-NN", names[k], u, t);
        assert_true(t <= 0.5 * u);
    }
    cJSON_Delete(untrained);
    cJSON_Delete(trained);
}

BB_TEST(pis_nn_learns_manywell32) { learns(0); }
BB_TEST(pis_grad_learns_manywell32) { learns(1); }

BB_TEST_MAIN_NN(setup, teardown, cmocka_unit_test(pis_learns_gmm40), cmocka_unit_test(pis_learns_dw4),
                cmocka_unit_test(pis_nn_learns_manywell32), cmocka_unit_test(pis_grad_learns_manywell32))
