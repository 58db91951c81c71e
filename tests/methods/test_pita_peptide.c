/* test_pita_peptide.c — PITA with the authors' peptide network (network transformer, auto on
 * aldp-pita / al3-pita):
 *  - the first training step of an untrained DiT (its output layer starts at zero, so
 *    D_S(x) = c_skip x and U_θ = |x|²/(2(1+σ²)) exactly) gives the closed-form losses: the
 *    energy-score term 0, the score term mean λ|c_skip x_t − x0|², and the target score term
 *    Σ_{σ<σ(t*)} |x_t − σ² clip(∇) − c_skip x_t|² / #{σ<σ(t*)} with the per-particle clip, the
 *    σ and noise redrawn here from the same stream in train.c's order (float64: 1e-12 relative);
 *  - a random rotation is a rotation (orthogonal, det +1, the same for x and its gradient);
 *  - an end-to-end run on aldp-pita with its per-task defaults (the transformer, target score
 *    matching, rotations, the gradients of the level data) at a tiny size completes, reports
 *    the peptide metrics, and is identical on 1 and 2 threads and after a kill and resume;
 *  - the parameter checks name the parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/report/report.h"
#include "harness/run/run.h"
#include "methods/pita/pita.h"
#include "tests/testjson.h"
#include "tests/testmain.h"
#include "tests/testutil.h"
#include "tests/tmpdir.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_pita_peptide", (void)0)

static pita_config dit_config(void) {
    pita_config c;
    memset(&c, 0, sizeof c);
    c.transformer = 1;
    c.net.f64 = 1;
    c.net.hidden = 8;
    c.net.layers = 2;
    c.heads = 2;
    c.cond_dim = 6;
    c.freq_dim = 4;
    c.net.sigma_min = 0.01;
    c.net.sigma_max = 80;
    c.net.sp = (bb_sde_space){5, 3, 1};
    c.data_scale = 1;
    c.rho = 7;
    c.p_mean = -1.2;
    c.p_std = 1.2;
    c.n_levels = 2;
    c.tau[0] = 2;
    c.tau[1] = 1;
    c.beta[0] = 1;
    c.beta[1] = 2;
    c.steps[0] = 1;
    c.batch = 64;
    c.w_escore = c.w_score = c.w_match = 1;
    c.w_target = 0.01;
    c.target_t = 0.3; /* σ(0.3) ≈ 0.57: about 70 % of the rows */
    c.target_clip = 1.5;
    c.energy_mask = 1e3;
    c.lr = 1e-3;
    c.ema_decay = 0.999;
    c.sde_steps = 4;
    c.clip_q = 0.9;
    c.chunk = 16;
    return c;
}

BB_TEST(untrained_transformer_step_has_closed_form_losses) {
    const pita_config c = dit_config();
    const size_t nb = (size_t)c.batch, P = 5, dof = 15;
    pita_model m;
    bb_ctx ctx = {0};
    assert_int_equal(pita_model_init(&m, &c, 3, &ctx), BB_OK);
    double *x0 = malloc(nb * dof * sizeof(double)), *g0 = malloc(nb * dof * sizeof(double));
    double *e0 = malloc(nb * sizeof(double)), *sig = malloc(nb * sizeof(double)),
           *z = malloc(nb * dof * sizeof(double));
    bb_rng r;
    bb_rng_init(&r, 5, 1);
    bb_sde_noise(&c.net.sp, nb, &r, x0);
    for (size_t k = 0; k < nb * dof; k++) g0[k] = 1.3 * bb_rng_normal(&r);
    for (size_t i = 0; i < nb; i++) e0[i] = 0.1 * (double)i;
    bb_rng rt = r, rr = r; /* the training step's stream and our copy of it */
    for (size_t i = 0; i < nb; i++) sig[i] = bb_edm_sample_sigma(&m.sch, &rr);
    bb_sde_noise(&c.net.sp, nb, &rr, z);
    const double thr = sqrt(bb_edm_var(&m.sch, c.target_t));
    double score = 0.0, target = 0.0;
    size_t in = 0, clipped = 0;
    for (size_t i = 0; i < nb; i++) {
        const double s2 = sig[i] * sig[i], cs = 1.0 / (1.0 + s2), lam = (s2 + 1.0) / s2;
        double ds = 0.0, dt = 0.0;
        for (size_t p = 0; p < P; p++) {
            const double *g = g0 + i * dof + 3 * p;
            const double n = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]), f = fmin(1.0, c.target_clip / (n + 1e-6));
            clipped += f < 1.0;
            for (size_t d = 0; d < 3; d++) {
                const size_t k = i * dof + 3 * p + d;
                const double xt = x0[k] + sig[i] * z[k];
                ds += (cs * xt - x0[k]) * (cs * xt - x0[k]);
                dt += (xt - s2 * f * g[d] - cs * xt) * (xt - s2 * f * g[d] - cs * xt);
            }
        }
        score += lam * ds / (double)nb;
        if (sig[i] < thr) target += dt, in++;
    }
    target /= (double)in;
    double loss, l4[4];
    assert_int_equal(pita_train_step(&m, nb, x0, e0, g0, 1.0, &rt, &loss, l4, &ctx), BB_OK);
    print_message("untrained DiT: escore %.3g (0), score %.10g v %.10g, target %.10g v %.10g (%zu of %zu rows, %zu "
                  "particle gradients clipped)\n",
                  l4[0], l4[1], score, l4[3], target, in, nb, clipped);
    assert_true(in > 0 && in < nb && clipped > 0);
    assert_true(fabs(l4[0]) < 1e-20);
    assert_true(fabs(l4[1] - score) <= 1e-12 * score);
    assert_true(fabs(l4[3] - target) <= 1e-12 * target);
    BB_FREE_ALL(x0, g0, e0, sig, z);
    pita_model_free(&m);
}

BB_TEST(random_rotation_is_a_rotation) {
    bb_rng r;
    bb_rng_init(&r, 9, 0);
    for (int t = 0; t < 20; t++) {
        double e[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, g[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        bb_sde_random_rotation(&r, 3, e, g); /* columns of R as the images of the unit vectors */
        double det = e[0] * (e[4] * e[8] - e[5] * e[7]) - e[1] * (e[3] * e[8] - e[5] * e[6]) +
                     e[2] * (e[3] * e[7] - e[4] * e[6]);
        assert_true(fabs(det - 1.0) < 1e-12);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double dot = 0;
                for (int d = 0; d < 3; d++) dot += e[3 * a + d] * e[3 * b + d];
                assert_true(fabs(dot - (a == b)) < 1e-12);
            }
        assert_memory_equal(e, g, sizeof e);
    }
}

static const char *const METRICS[] = {"energy_w2", "tica_w2", "rama_js"};

static bb_run_config peptide_run(const char *out, int threads, cJSON *over) {
    return (bb_run_config){.task_id = "aldp-pita",
                           .method = "pita",
                           .method_overrides = over,
                           .budget = 1200,
                           .seed = 4,
                           .n_samples = 16,
                           .out_path = out,
                           .metrics = METRICS,
                           .n_metrics = 3,
                           .threads = threads,
                           .checkpoint_minutes = 1e9};
}

/* The report's deterministic blocks: metrics, method_info, training_curve. */
static void assert_same_blocks(const char *pa, const char *pb) {
    cJSON *a = NULL, *b = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_report_read(pa, &a, &c), BB_OK);
    assert_int_equal(bb_report_read(pb, &b, &c), BB_OK);
    static const char *const blocks[] = {"metrics", "method_info", "training_curve", "status"};
    for (int k = 0; k < 4; k++) {
        char where[512] = "";
        const int differ = bb_test_json_diff(cJSON_GetObjectItem(a, blocks[k]), cJSON_GetObjectItem(b, blocks[k]),
                                             where, sizeof where);
        if (differ) print_message("%s: %s and %s differ at %s\n", blocks[k], pa, pb, where);
        assert_false(differ);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

BB_TEST(aldp_pita_runs_with_the_transformer_deterministically) {
    /* tiny: a 16-wide DiT of 1 block, 2 + 2 Adam steps of 8 rows, one 4-step annealing of 16 */
    cJSON *over =
        cJSON_Parse("{\"hidden\": 16, \"layers\": 1, \"dit_heads\": 2, \"dit_cond_dim\": 8, \"dit_freq_dim\": "
                    "8, \"temperatures\": [2, 1.5, 1], \"level_steps\": [2, 2], \"batch_size\": 8, "
                    "\"stage0_samples\": 40, \"stage0_chains\": 10, \"anneal_samples\": 16, \"sde_steps\": 4, "
                    "\"end_resampling\": 3, \"inference_batch\": 16, \"divergence_probes\": 1, "
                    "\"energy_mask\": 1e30, \"anytime_samples\": 8}");
    char p1[512], p2[512], pk[512], st[512];
    snprintf(p1, sizeof p1, "%s/t1.json", dir);
    snprintf(p2, sizeof p2, "%s/t2.json", dir);
    snprintf(pk, sizeof pk, "%s/killed.json", dir);
    snprintf(st, sizeof st, "%s/killed.state", dir);
    bb_ctx c = {0};
    /* killed after step 8 (training at level 1: the level gradients are in the state) and
     * resumed; first in the program, as libgomp's thread pool does not survive fork() */
    bb_run_config rk = peptide_run(pk, 1, over);
    rk.state_path = st;
    rk.checkpoint_minutes = 0;
    rk.kill_after_steps = 8;
    fflush(NULL);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(bb_run(&rk, NULL, &c) == BB_OK ? 0 : 3);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    rk.kill_after_steps = 0;
    rk.resume = 1;
    assert_int_equal(bb_run(&rk, NULL, &c), BB_OK);
    /* uninterrupted on 1 and on 2 threads */
    bb_run_config r1 = peptide_run(p1, 1, over), r2 = peptide_run(p2, 2, over);
    cJSON *rep = NULL;
    int rc = bb_run(&r1, &rep, &c);
    if (rc) print_message("aldp-pita: %s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    const cJSON *info = cJSON_GetObjectItem(rep, "method_info"), *metrics = cJSON_GetObjectItem(rep, "metrics");
    assert_string_equal(cJSON_GetObjectItem(info, "network")->valuestring, "transformer");
    assert_int_equal((int)cJSON_GetObjectItem(info, "level_reached")->valuedouble, 1);
    /* the peptide default: 5 post-annealing MALA moves (authors' model default) on level 1 and the draw */
    for (int k = 1; k <= 2; k++) {
        const cJSON *lv = cJSON_GetArrayItem(cJSON_GetObjectItem(info, "levels"), k);
        assert_true(cJSON_GetObjectItem(lv, "post_mcmc_moves")->valuedouble == 5);
    }
    const double ev = cJSON_GetObjectItem(info, "evaluations_annealing")->valuedouble;
    assert_true(ev >= 16 + 5 && ev <= 16 * 6);
    for (int k = 0; k < 3; k++) {
        const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(metrics, METRICS[k]), "value");
        assert_true(cJSON_IsNumber(v) && isfinite(v->valuedouble));
        print_message("aldp-pita (tiny): %s %.4g\n", METRICS[k], v->valuedouble);
    }
    cJSON_Delete(rep);
    assert_same_blocks(p1, pk);
    assert_int_equal(bb_run(&r2, NULL, &c), BB_OK);
    assert_same_blocks(p1, p2);
    cJSON_Delete(over);
}

BB_TEST(transformer_parameter_checks_name_the_parameter) {
    const struct {
        const char *task, *json, *msg;
    } rows[] = {
        {"aldp-pita", "{\"hidden\": 20, \"dit_heads\": 6}",
         "method pita: parameters 'hidden' / 'dit_heads' / 'dit_freq_dim': hidden must be a multiple of 2 x heads (20, "
         "6) and freq_dim even"},
        {"gmm40", "{\"network\": \"transformer\"}",
         "method pita: parameter 'network': transformer needs a translation-invariant particle task"},
        {"dw4", "{\"augment_rotations\": true}",
         "method pita: parameter 'augment_rotations': needs a rotation-invariant 3-D task"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[512];
        snprintf(out, sizeof out, "%s/bad%zu.json", dir, i);
        cJSON *over = cJSON_Parse(rows[i].json);
        bb_run_config r = peptide_run(out, 1, over);
        r.task_id = rows[i].task;
        bb_ctx c = {0};
        assert_int_not_equal(bb_run(&r, NULL, &c), BB_OK);
        if (!strstr(c.msg, rows[i].msg)) fail_msg("got: %s\nwant: %s", c.msg, rows[i].msg);
        cJSON_Delete(over);
    }
}

BB_TEST_MAIN_NN(setup, teardown, cmocka_unit_test(aldp_pita_runs_with_the_transformer_deterministically),
                cmocka_unit_test(untrained_transformer_step_has_closed_form_losses),
                cmocka_unit_test(random_rotation_is_a_rotation),
                cmocka_unit_test(transformer_parameter_checks_name_the_parameter))
