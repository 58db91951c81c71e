/* test_pita_levels.c — what PITA keeps as a level's data and what a run does when a level has
 * none (methods/pita/pita.c set_level, README "Deviations"):
 *   - a level whose every annealed sample lies outside energy_mask keeps them all, as the
 *     authors do (energytemp_module.py:886-893), and the run goes on to the end of its budget;
 *   - a level whose every annealed sample the task rejects (u = +inf) stops the run with
 *     stopped_by "cannot_continue", its method_info names the level, and the final samples are
 *     annealed from the last trained level (the run does not fail).
 *   - with post_mcmc_steps S, every annealing (to level 1 and the final draw) ends with S MALA
 *     moves of its rows on the next density (the authors' post-annealing MCMC), each row one
 *     evaluation per move on top of its energy, planned into the budget (stage 0 gets the rest).
 * The runs are tiny (a 3-temperature ladder, 20 Adam steps per level, 10 SDE steps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "methods/method.h"
#include "tasks/task.h"
#include "tests/methods/method_run.h"
#include "tests/testmain.h"

#define SMALL                                                                                                          \
    "\"network\": \"mlp\", \"hidden\": 16, \"layers\": 2, \"temperatures\": [2, 1.5, 1], \"level_steps\": [20, 20], "  \
    "\"batch_size\": 16, \"stage0_samples\": 50, \"stage0_chains\": 10, \"anneal_samples\": 32, \"sde_steps\": 10, "   \
    "\"end_resampling\": 8, \"inference_batch\": 32"

/* method_info.levels[k].key, or NAN when the level has no such entry. */
static double level_num(const cJSON *info, int k, const char *key) {
    const cJSON *lv = cJSON_GetArrayItem(cJSON_GetObjectItem(info, "levels"), k);
    assert_non_null(lv);
    const cJSON *v = cJSON_GetObjectItem(lv, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

BB_TEST(a_level_entirely_outside_the_energy_mask_is_kept_and_the_run_goes_on) {
    bb_test_run r;
    /* GMM-40's energies are above 6, so no level energy lies within ±1e-9 */
    int rc =
        bb_test_run_method(&r, "pita", NULL, "gmm40", "{" SMALL ", \"energy_mask\": 1e-9}", 2000, 20, 1, 1, NULL, 0, 0);
    if (rc) print_message("%s\n", r.c.msg);
    assert_int_equal(rc, BB_OK);
    assert_int_equal(r.res.stopped_by, BB_STOP_BUDGET);
    assert_int_equal(r.s.n, 20);
    assert_true(bb_test_run_info_num(&r, "level_reached") == 1);
    assert_true(level_num(r.info, 0, "samples") == 50);
    assert_true(level_num(r.info, 0, "kept_outside_energy_mask") == 50);
    assert_true(level_num(r.info, 1, "samples") == 32);
    assert_true(level_num(r.info, 1, "kept_outside_energy_mask") == 32);
    assert_true(level_num(r.info, 1, "dropped_above_energy_mask") == 0);
    bb_test_run_done(&r);
}

/* A 2-D Gaussian inside the box |x_i| <= 1 and +inf (rejected) outside it. */
static int box_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    (void)t, (void)ctx;
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + 2 * i;
        const int in = fabs(xi[0]) <= 1.0 && fabs(xi[1]) <= 1.0;
        u[i] = in ? 0.5 * (xi[0] * xi[0] + xi[1] * xi[1]) : INFINITY;
        if (grad) {
            grad[2 * i] = in ? xi[0] : 0.0;
            grad[2 * i + 1] = in ? xi[1] : 0.0;
        }
    }
    return BB_OK;
}

static const bb_task_type box_type = {.name = "test-box",
                                      .version = 1,
                                      .description = "test: N(0, I) in 2-D restricted to the box |x_i| <= 1",
                                      .n_particles = 1,
                                      .dim = 2,
                                      .kT = 1.0,
                                      .kT_unit = "reduced",
                                      .length_unit = "reduced",
                                      .init_scale = 0.2,
                                      .energy = box_energy};

BB_TEST(a_level_without_finite_energies_stops_the_run_which_draws_from_the_last_level) {
    bb_test_run r;
    /* data_scale 1000: the annealing's last noise level σmin = 0.05 is 50 in x, so every annealed
     * sample lands outside the box */
    int rc = bb_test_run_method(&r, "pita", &box_type, NULL, "{" SMALL ", \"data_scale\": 1000}", 2000, 20, 1, 1, NULL,
                                0, 0);
    if (rc) print_message("%s\n", r.c.msg);
    assert_int_equal(rc, BB_OK); /* not an error: the run ends early and says why */
    assert_int_equal(r.res.stopped_by, BB_STOP_CANNOT_CONTINUE);
    assert_string_equal(bb_stop_reason_name(r.res.stopped_by), "cannot_continue");
    assert_int_equal(r.res.method_rc, BB_OK);
    assert_int_equal(r.s.n, 20); /* the final samples, annealed from level 0 */
    assert_true(bb_test_run_info_num(&r, "level_without_data") == 1);
    assert_true(bb_test_run_info_num(&r, "level_reached") == 0);
    assert_true(bb_test_run_info_num(&r, "adam_steps") == 20); /* level 0 was trained, level 1 never */
    const cJSON *note = cJSON_GetObjectItem(r.info, "note");
    assert_true(cJSON_IsString(note));
    assert_non_null(strstr(note->valuestring, "stopped at level 1"));
    assert_true(level_num(r.info, 0, "samples") == 50);
    assert_true(level_num(r.info, 1, "samples") == 0);
    assert_true(level_num(r.info, 1, "dropped_infinite_energy") == 32);
    assert_true(isnan(level_num(r.info, 0, "kept_outside_energy_mask"))); /* the default mask: all inside */
    bb_test_run_done(&r);
}

BB_TEST(post_annealing_mala_moves_every_annealed_row_and_is_paid_for) {
    bb_test_run r;
    int rc =
        bb_test_run_method(&r, "pita", NULL, "gmm40", "{" SMALL ", \"post_mcmc_steps\": 3, \"post_mcmc_dt\": 4e-4}",
                           2000, 20, 1, 1, NULL, 0, 0);
    if (rc) print_message("%s\n", r.c.msg);
    assert_int_equal(rc, BB_OK);
    assert_int_equal(r.res.stopped_by, BB_STOP_BUDGET);
    assert_int_equal(r.s.n, 20);
    /* GMM-40 has no infinite energy: 32 annealed rows × (1 + 3), 20 final rows × (1 + 3) */
    assert_true(bb_test_run_info_num(&r, "evaluations_annealing") == 32 * 4);
    assert_true(bb_test_run_info_num(&r, "evaluations_final_correction") == 20 * 4);
    const int64_t used = bb_oracle_used(r.o);
    print_message("used %lld of 2000; stage 0 %g\n", (long long)used, bb_test_run_info_num(&r, "evaluations_stage0"));
    assert_true(used <= 2000 && used > 2000 - 10); /* the rest is below one sweep of the 10 stage-0 chains */
    for (int k = 1; k <= 2; k++) {
        const double acc = level_num(r.info, k, "post_mcmc_acceptance"), dt = level_num(r.info, k, "post_mcmc_dt");
        print_message("level %d: post-annealing MALA acceptance %.3f, final dt %.4g\n", k, acc, dt);
        assert_true(level_num(r.info, k, "post_mcmc_moves") == 3);
        assert_true(acc >= 0.0 && acc <= 1.0);
        /* dt in y = x / 50: three ×1.1 or ÷1.1 from 4e-4 (dt 1 in x) */
        const double e = log(dt / 4e-4) / log(1.1);
        assert_true(fabs(e - round(e)) < 1e-9 && fabs(e) <= 3.0 + 1e-9);
    }
    assert_true(isnan(level_num(r.info, 0, "post_mcmc_moves")));
    bb_test_run_done(&r);
    /* without it: no entry, and the annealing pays one evaluation per row */
    rc = bb_test_run_method(&r, "pita", NULL, "gmm40", "{" SMALL "}", 2000, 20, 1, 1, NULL, 0, 0);
    assert_int_equal(rc, BB_OK);
    assert_true(bb_test_run_info_num(&r, "evaluations_annealing") == 32);
    assert_true(isnan(level_num(r.info, 1, "post_mcmc_moves")));
    bb_test_run_done(&r);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(a_level_entirely_outside_the_energy_mask_is_kept_and_the_run_goes_on),
                cmocka_unit_test(a_level_without_finite_energies_stops_the_run_which_draws_from_the_last_level),
                cmocka_unit_test(post_annealing_mala_moves_every_annealed_row_and_is_paid_for))
