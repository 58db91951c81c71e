/* test_pita_learns.c — evidence that PITA learns (label `slow`, minutes on 2 busy cores):
 * tests/methods/learns.h's criterion (trained energy W2 ≤ ½ untrained, 95 % intervals
 * disjoint) on GMM-40 and DW-4 with the quick suite's sizes and longer training. The
 * untrained run has a budget too small for stage 0, so it takes no Adam step and its draw
 * is the untrained networks' annealing (asserted through method_info.adam_steps). */
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

BB_TEST_TMPDIR_GROUP(dir, "bb_pita_learns", bb_test_isolated_cache(dir))

static void pita_beats_untrained(const char *task, const char *params, int64_t budget) {
    const char *metrics[] = {"energy_w2"};
    /* 10 evaluations: less than the final correction alone needs, so stage 0 cannot start */
    cJSON *untrained = bb_learns_run(dir, "pita", task, params, 10, "untrained", metrics, 1);
    cJSON *trained = bb_learns_run(dir, "pita", task, params, budget, "trained", metrics, 1);
    assert_int_equal((int)bb_learns_info(untrained, "adam_steps"), 0);
    print_message("pita %s: %g Adam steps\n", task, bb_learns_info(trained, "adam_steps"));
    bb_learns_compare("pita", task, untrained, trained, metrics, 1);
    cJSON_Delete(untrained);
    cJSON_Delete(trained);
}

BB_TEST(pita_learns_gmm40) {
    pita_beats_untrained(
        "gmm40",
        "{\"temperatures\": [2, 1.4, 1], \"level_steps\": [1000, 1000], \"batch_size\": 128, "
        "\"hidden\": 64, \"stage0_samples\": 1000, \"stage0_chains\": 1000, \"anneal_samples\": 500, "
        "\"sde_steps\": 50, \"end_resampling\": 45, \"inference_batch\": 500, \"anytime_samples\": 100}",
        100000);
}

BB_TEST(pita_learns_dw4) {
    pita_beats_untrained("dw4",
                         "{\"temperatures\": [2, 1.4, 1], \"level_steps\": [500, 500], \"batch_size\": 64, "
                         "\"hidden\": 32, \"layers\": 2, \"stage0_samples\": 1000, \"stage0_chains\": 1000, "
                         "\"anneal_samples\": 300, \"sde_steps\": 30, \"end_resampling\": 27, "
                         "\"divergence_probes\": 1, \"inference_batch\": 300, \"anytime_samples\": 50}",
                         100000);
}

BB_TEST_MAIN_NN(setup, teardown, cmocka_unit_test(pita_learns_gmm40), cmocka_unit_test(pita_learns_dw4))
