/* test_adjoint.c — Adjoint Sampling end to end on small problems: registry and per-task
 * defaults, the budget spent in batches (last one shrunk, never exceeded), bit-identical
 * samples on 1 and 2 threads, a killed (SIGKILL) and resumed run equal bit for bit to an
 * uninterrupted one, the adjoint target and its clipping by hand, Girsanov weights with
 * E[dP^base/dP^u] = 1, the simulated control's projection, and log Z of a Gaussian from
 * the importance weights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "methods/adjoint_sampling/as.h"
#include "harness/run/driver.h"
#include "methods/method.h"
#include "tests/testutil.h"
#include "tests/methods/method_run.h"
#include "tests/testmain.h"

#define SMALL_GAUSS                                                                                                    \
    "\"hidden\": 16, \"layers\": 2, \"n_steps\": 20, \"batch_size\": 64, "                                             \
    "\"train_batch\": 32, \"inner_steps\": 5, \"sigma_max\": 3, \"lr\": 0.001"
#define SMALL_DW4                                                                                                      \
    "\"hidden\": 8, \"layers\": 2, \"n_steps\": 10, \"batch_size\": 16, \"t_dim\": 8, "                                \
    "\"train_batch\": 16, \"inner_steps\": 3, \"sigma_max\": 1.5, \"lr\": 0.001, \"out_scale\": 10"

typedef bb_test_run fixture;

/* Run through the driver (harness/run/driver.h). state/resume: the driver's state file and
 * resume mode; kill_after > 0 saves the state every step and SIGKILLs after that step. */
static int run_opts(fixture *f, const bb_task_type *tt, const char *task_id, const char *params_json, int64_t budget,
                    size_t n, uint64_t seed, const char *state, int resume, int64_t kill_after) {
    return bb_test_run_method(f, "adjoint_sampling", tt, task_id, params_json, budget, n, seed, omp_get_max_threads(),
                              state, resume, kill_after);
}

static int run(fixture *f, const bb_task_type *tt, const char *task_id, const char *params_json, int64_t budget,
               size_t n, uint64_t seed, const char *state, int resume) {
    return run_opts(f, tt, task_id, params_json, budget, n, seed, state, resume, 0);
}

static void done(fixture *f) { bb_test_run_done(f); }

static double info_num(const fixture *f, const char *k) { return bb_test_run_info_num(f, k); }

BB_TEST(method_is_registered_with_defaults_for_every_quick_task) {
    const bb_method *m = bb_method_find("adjoint_sampling");
    assert_non_null(m);
    assert_true(strlen(m->description) > 40);
    const char *tasks[] = {"gmm40", "dw4", "lj13", "lj55"};
    for (int i = 0; i < 4; i++) {
        bb_params p; /* the paper's setting; the per-task rows only where the authors differ */
        bb_ctx c = {0};
        assert_int_equal(bb_method_resolve_params(m, tasks[i], NULL, NULL, &p, &c), BB_OK);
        assert_true(bb_params_double(&p, "sigma_max") > bb_params_double(&p, "sigma_min"));
        bb_params_free(&p);
    }
}

/* budget 1000 with batches of 64: 15 full batches and one of 40; with max_outer = 3 only 192. */
BB_TEST(budget_is_spent_in_batches_and_never_exceeded) {
    fixture f;
    assert_int_equal(run(&f, &bb_test_gauss, NULL, "{" SMALL_GAUSS "}", 1000, 100, 3, NULL, 0), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 1000);
    assert_int_equal(bb_oracle_used_with_grad(f.o), 1000);
    assert_int_equal((int)info_num(&f, "outer_iterations"), 16);
    assert_int_equal((int)info_num(&f, "gradient_steps"), 16 * 5);
    assert_int_equal(f.res.stopped_by, BB_STOP_BUDGET);
    assert_int_equal(f.res.steps, 16);
    cJSON *curve = cJSON_GetObjectItem(f.res.curve, "evaluations");
    assert_int_equal(cJSON_GetArraySize(curve), 16);
    assert_true(cJSON_GetArrayItem(curve, 15)->valuedouble == 1000.0);
    assert_int_equal(f.s.n, 100);
    assert_null(f.s.logw);
    for (size_t i = 0; i < 300; i++) assert_true(isfinite(f.s.x[i]));
    done(&f);
    assert_int_equal(run(&f, &bb_test_gauss, NULL, "{" SMALL_GAUSS ", \"max_outer\": 3}", 1000, 10, 3, NULL, 0), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 192);
    assert_int_equal(f.res.stopped_by, BB_STOP_MAX_STEPS);
    done(&f);
    /* a bad parameter is named */
    assert_int_equal(run(&f, &bb_test_gauss, NULL, "{\"network\": \"cnn\"}", 1000, 10, 3, NULL, 0), BB_EINVAL);
    assert_non_null(strstr(f.c.msg, "network"));
    done(&f);
}

BB_TEST(same_seed_gives_identical_samples_on_1_and_2_threads) {
    for (int prec = 0; prec < 2; prec++) { /* float32, then float64 */
        fixture a, b;
        const char *p1 = prec ? "{" SMALL_DW4 ", \"nn_threads\": 1, \"precision\": \"float64\"}"
                              : "{" SMALL_DW4 ", \"nn_threads\": 1}";
        const char *p2 = prec ? "{" SMALL_DW4 ", \"nn_threads\": 2, \"precision\": \"float64\"}"
                              : "{" SMALL_DW4 ", \"nn_threads\": 2}";
        /* run threads and network threads both 1, then both 2 */
        int nt = omp_get_max_threads();
        omp_set_num_threads(1);
        assert_int_equal(run(&a, NULL, "dw4", p1, 96, 40, 5, NULL, 0), BB_OK);
        omp_set_num_threads(2);
        assert_int_equal(run(&b, NULL, "dw4", p2, 96, 40, 5, NULL, 0), BB_OK);
        omp_set_num_threads(nt);
        assert_int_equal(a.s.n, b.s.n);
        assert_memory_equal(a.s.x, b.s.x, a.s.n * a.s.dof * sizeof(double));
        /* and the samples are COM-free */
        for (size_t i = 0; i < a.s.n; i++)
            for (int d = 0; d < 2; d++) {
                double m = 0;
                for (int p = 0; p < 4; p++) m += a.s.x[i * 8 + p * 2 + d];
                assert_true(fabs(m) < 1e-9);
            }
        done(&a);
        done(&b);
    }
}

/* Kill (SIGKILL, in a child process) after 2 of 6 outer iterations with the state saved
 * every step, resume, and compare with a run that was never interrupted: samples, counts
 * and the training curve's losses are bit-identical. */
BB_TEST(killed_and_resumed_run_matches_uninterrupted_bitwise) {
    char path[256];
    snprintf(path, sizeof path, "%s/test_adjoint_%d.state", P_tmpdir, (int)getpid());
    unlink(path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fixture a;
        run_opts(&a, NULL, "dw4", "{" SMALL_DW4 "}", 96, 30, 9, path, 0, 2);
        _exit(3); /* not reached: killed after step 2 */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(access(path, R_OK), 0);
    fixture b, c;
    assert_int_equal(run(&b, NULL, "dw4", "{" SMALL_DW4 "}", 96, 30, 9, path, BB_RESUME_REQUIRED), BB_OK);
    assert_int_equal(run(&c, NULL, "dw4", "{" SMALL_DW4 "}", 96, 30, 9, NULL, 0), BB_OK);
    assert_int_equal(b.res.resumed, 1);
    assert_int_equal(bb_oracle_used(b.o), 96);
    assert_int_equal(bb_oracle_used_with_grad(b.o), bb_oracle_used_with_grad(c.o));
    assert_int_equal((int)info_num(&b, "outer_iterations"), 6);
    assert_int_equal((int)info_num(&b, "evaluations_training"), 96);
    assert_memory_equal(b.s.x, c.s.x, c.s.n * c.s.dof * sizeof(double));
    cJSON *lb = cJSON_GetObjectItem(b.res.curve, "loss");
    cJSON *lc = cJSON_GetObjectItem(c.res.curve, "loss");
    assert_int_equal(cJSON_GetArraySize(lb), 6);
    for (int i = 0; i < 6; i++)
        assert_true(cJSON_GetArrayItem(lb, i)->valuedouble == cJSON_GetArrayItem(lc, i)->valuedouble);
    assert_int_equal(access(path, F_OK), -1); /* removed after the normal end */
    done(&b);
    done(&c);
    unlink(path);
}

/* A model for the by-hand checks below: EGNN or MLP (hidden units, layers, time embedding
 * width), sigma_max, Euler-Maruyama steps, trajectories per batch, rows per gradient step,
 * the score clip and the space; the rest is the same for all (sigma_min 1e-3, a 4-row
 * buffer, one inner step, lr 1e-3, no gradient clip, out_scale 1). */
static as_config model_cfg(int use_egnn, int hidden, int layers, int t_dim, double sigma_max, int n_steps, int batch,
                           int train_batch, double max_score_norm, bb_sde_space sp) {
    as_config c = {
        .net.sigma_min = 1e-3, .buffer = 4, .inner_steps = 1, .lr = 1e-3, .max_grad_norm = 0, .out_scale = 1};
    c.net.use_egnn = use_egnn;
    c.net.hidden = hidden;
    c.net.layers = layers;
    c.net.t_dim = t_dim;
    c.net.sigma_max = sigma_max;
    c.n_steps = n_steps;
    c.batch = batch;
    c.train_batch = train_batch;
    c.max_score_norm = max_score_norm;
    c.net.sp = sp;
    return c;
}

static void model_init(as_model *m, as_config cfg, uint64_t seed) {
    bb_ctx c = {0};
    assert_int_equal(as_model_init(m, &cfg, seed, &c), BB_OK);
}

/* as_make_row: target = −clip(∇u − x1/h²(1)) per particle, COM removed. Two particles in
 * 2-D, σmax 2 (h²(1) = 4(1 − 1e-6/4)), max_score_norm 3. */
BB_TEST(adjoint_target_is_clipped_per_particle_and_centred) {
    as_model m;
    model_init(&m, model_cfg(1, 4, 1, 4, 2, 2, 2, 2, 3, (bb_sde_space){2, 2, 1}), 1);
    const double h2 = 4.0 * (1.0 - 1e-6 / 4.0);
    double x1[4] = {0.5, -0.25, -0.5, 0.25}, grad[4] = {1.0, 0.5, -6.0, 8.0}, row[8];
    as_make_row(&m, x1, grad, row);
    /* particle 0: (1 − 0.5/h2, 0.5 + 0.25/h2), norm < 3: unclipped */
    double a0 = 1.0 - 0.5 / h2, a1 = 0.5 + 0.25 / h2;
    /* particle 1: (−6 + 0.5/h2, 8 − 0.25/h2) scaled to norm 3/(1 + 1e-6/norm) */
    double b0 = -6.0 + 0.5 / h2, b1 = 8.0 - 0.25 / h2, nb = sqrt(b0 * b0 + b1 * b1), f = 3.0 / (nb + 1e-6);
    b0 *= f;
    b1 *= f;
    double m0 = 0.5 * (a0 + b0), m1 = 0.5 * (a1 + b1);
    double want[4] = {-(a0 - m0), -(a1 - m1), -(b0 - m0), -(b1 - m1)};
    assert_memory_equal(row, x1, sizeof x1);
    for (int k = 0; k < 4; k++) assert_true(fabs(row[4 + k] - want[k]) < 1e-14);
    as_model_free(&m);
    as_model_free(&m);
    as_model_free(NULL);
}

/* target_clip = energy (the authors' GraphScoreGradTermCost): ∇u clipped per particle,
 * its COM removed, then −x1/h²(1) added unclipped. Same numbers as above. */
BB_TEST(authors_target_clips_the_force_before_the_base_score) {
    as_config cfg = model_cfg(1, 4, 1, 4, 2, 2, 2, 2, 3, (bb_sde_space){2, 2, 1});
    cfg.clip_energy = 1;
    as_model m;
    model_init(&m, cfg, 1);
    const double h2 = 4.0 * (1.0 - 1e-6 / 4.0);
    double x1[4] = {0.5, -0.25, -0.5, 0.25}, grad[4] = {1.0, 0.5, -6.0, 8.0}, row[8];
    as_make_row(&m, x1, grad, row);
    double g[4] = {1.0, 0.5, -6.0, 8.0}, f = 3.0 / (10.0 + 1e-6); /* |(-6, 8)| = 10 */
    g[2] *= f;
    g[3] *= f;
    double m0 = 0.5 * (g[0] + g[2]), m1 = 0.5 * (g[1] + g[3]);
    double want[4] = {-(g[0] - m0 - x1[0] / h2), -(g[1] - m1 - x1[1] / h2), -(g[2] - m0 - x1[2] / h2),
                      -(g[3] - m1 - x1[3] / h2)};
    for (int k = 0; k < 4; k++) assert_true(fabs(row[4 + k] - want[k]) < 1e-14);
    as_model_free(&m);
}

/* A chunk of at most a quarter of a batch runs on its own edge graph (a draw of a few
 * samples costs a few rows): the controller's output on 5 rows equals, to float32 rounding,
 * its output on the same 5 rows inside a full batch of 40. DEM EGNN variant. */
BB_TEST(small_draws_cost_their_rows_only_and_agree_with_a_full_batch) {
    as_config cfg = model_cfg(1, 16, 2, 8, 2, 10, 40, 4, 50, (bb_sde_space){4, 2, 1});
    cfg.net.egnn_attention = cfg.net.egnn_coord_sum = cfg.net.egnn_edge_attr = 1;
    cfg.net.egnn_coord_range = 15;
    as_model m;
    model_init(&m, cfg, 3);
    double x[40 * 8], s_full[40 * 8], s_small[5 * 8];
    bb_rng r;
    bb_rng_init(&r, 5, 1);
    for (int i = 0; i < 40 * 8; i++) x[i] = bb_rng_normal(&r);
    bb_ctx c = {0};
    assert_int_equal(as_model_score(&m, 40, x, 0.3, s_full, &c), BB_OK);
    assert_int_equal(as_model_score(&m, 5, x, 0.3, s_small, &c), BB_OK);
    assert_int_equal((int)m.eg_tail.B, 5); /* its own graph of 5 configurations */
    double worst = 0, scale = 0;
    for (int i = 0; i < 5 * 8; i++) {
        worst = fmax(worst, fabs(s_small[i] - s_full[i]));
        scale = fmax(scale, fabs(s_full[i]));
    }
    print_message("5 rows alone vs in a batch of 40: max |diff| %.3g (max |s| %.3g)\n", worst, scale);
    assert_true(scale > 1e-6 && worst <= 1e-5 * scale);
    assert_int_equal(as_model_score(&m, 20, x, 0.3, s_full, &c), BB_OK); /* > a quarter: padded */
    assert_int_equal((int)m.eg_tail.B, 5);
    as_model_free(&m);
}

/* With a non-zero control (random output layer), exp(lw) has mean 1 (E_u[dP^base/dP^u])
 * within 5 standard errors, and the weighted E|X_1|² recovers the base value 3 h²(1). */
BB_TEST(girsanov_weights_undo_the_control) {
    as_model m;
    model_init(&m, model_cfg(0, 16, 2, 8, 1.0, 25, 500, 4, 50, (bb_sde_space){1, 3, 0}), 2);
    const bb_nn_linear *lo = &m.net.mlp.lin[m.net.mlp.n_layers - 1];
    double w[16 * 3], b[3] = {0.4, -0.3, 0.2};
    bb_rng r;
    bb_rng_init(&r, 1, 1);
    for (int k = 0; k < 48; k++) w[k] = 0.3 * bb_rng_normal(&r);
    bb_nn_params_set(&m.net.ps, lo->w, w);
    bb_nn_params_set(&m.net.ps, lo->b, b);
    const size_t n = 8000;
    double *x = malloc(n * 3 * sizeof(double)), *lw = malloc(n * sizeof(double));
    bb_rng_init(&r, 1, 2);
    bb_ctx c = {0};
    assert_int_equal(as_simulate(&m, n, &r, x, lw, &c), BB_OK);
    double s1 = 0, s2 = 0, q = 0, qu = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = exp(lw[i]), r2 = x[3 * i] * x[3 * i] + x[3 * i + 1] * x[3 * i + 1] + x[3 * i + 2] * x[3 * i + 2];
        s1 += wi;
        s2 += wi * wi;
        q += wi * r2;
        qu += r2;
        moved += x[3 * i];
    }
    double mean = s1 / n, se = sqrt((s2 / n - mean * mean) / n), h1 = bb_sde_h2(&m.sch, 1.0);
    print_message("E[exp lw] = %.4f (se %.4f); weighted E|X1|^2 = %.4f, unweighted %.4f, base %.4f; mean x0 %.3f\n",
                  mean, se, q / s1, qu / n, 3 * h1, moved / n);
    assert_true(fabs(mean - 1.0) < 5 * se);
    assert_true(fabs(moved / n) > 0.1); /* the control really moved the samples */
    /* self-normalised estimate: relative tolerance 10% (ESS-limited, printed above) */
    assert_true(fabs(q / s1 - 3 * h1) < 0.1 * 3 * h1);
    free(x);
    free(lw);
    as_model_free(&m);
}

/* A huge output (bias 1e6 along x) is projected to norm max_score_norm = 2.385, so the
 * drift is exactly 2.385 g(t_k)² along x and E[X_1,x] = 2.385 Σ_k g(t_k)² Δt (5 SE). */
BB_TEST(simulated_control_is_bounded_by_the_target_clip) {
    as_model m;
    model_init(&m, model_cfg(0, 8, 1, 4, 1.0, 10, 200, 4, 2.385, (bb_sde_space){1, 3, 0}), 2);
    const bb_nn_linear *lo = &m.net.mlp.lin[m.net.mlp.n_layers - 1];
    double b[3] = {1e6, 0.0, 0.0};
    bb_nn_params_set(&m.net.ps, lo->b, b);
    const size_t n = 2000;
    double *x = malloc(n * 3 * sizeof(double));
    bb_rng r;
    bb_rng_init(&r, 1, 3);
    bb_ctx c = {0};
    assert_int_equal(as_simulate(&m, n, &r, x, NULL, &c), BB_OK);
    double want = 0, mean = 0;
    for (int k = 0; k < 10; k++) {
        double g = bb_sde_g(&m.sch, k / 10.0);
        want += 2.385 * g * g * 0.1;
    }
    for (size_t i = 0; i < n; i++) mean += x[3 * i] / n;
    double se = sqrt(bb_sde_h2(&m.sch, 1.0) / n);
    print_message("E[X1,x] %.4f, want %.4f (se %.4f)\n", mean, want, se);
    assert_true(fabs(mean - want) < 5 * se);
    free(x);
    as_model_free(&m);
}

/* test-gauss3 (u = ½ Σ x²/s², Z = (2π)^{3/2} Π s): log Z from the returned log-weights
 * within 5 delta-method standard errors; the budget covers training plus the n energies. */
BB_TEST(importance_weights_estimate_log_z_of_a_gaussian) {
    fixture f;
    const size_t n = 4000;
    assert_int_equal(
        run(&f, &bb_test_gauss, NULL, "{" SMALL_GAUSS ", \"importance_weights\": true}", 4000 + 640, n, 4, NULL, 0),
        BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 4640);
    assert_int_equal((int)info_num(&f, "evaluations_training"), 640);
    assert_non_null(f.s.logw);
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, f.s.logw[i]);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double w = exp(f.s.logw[i] - mx);
        s1 += w;
        s2 += w * w;
    }
    double lz = mx + log(s1 / n), rel_se = sqrt((s2 / n) / ((s1 / n) * (s1 / n)) - 1.0) / sqrt((double)n);
    double exact = 1.5 * log(2 * M_PI);
    for (int d = 0; d < 3; d++) exact += log(bb_test_gauss_s[d]);
    print_message("log Z %.4f (exact %.4f, se %.4f), ess_fraction %.3f\n", lz, exact, rel_se,
                  info_num(&f, "ess_fraction"));
    assert_true(fabs(lz - info_num(&f, "log_z")) < 1e-9);
    assert_true(fabs(lz - exact) < 5 * rel_se);
    double ess = info_num(&f, "ess_fraction");
    assert_true(ess > 0.0 && ess <= 1.0);
    done(&f);
    /* n_samples must leave budget for training */
    assert_int_equal(run(&f, &bb_test_gauss, NULL, "{\"importance_weights\": true}", 100, 100, 4, NULL, 0), BB_EINVAL);
    assert_non_null(strstr(f.c.msg, "importance_weights"));
    done(&f);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(method_is_registered_with_defaults_for_every_quick_task),
                cmocka_unit_test(budget_is_spent_in_batches_and_never_exceeded),
                cmocka_unit_test(same_seed_gives_identical_samples_on_1_and_2_threads),
                cmocka_unit_test(killed_and_resumed_run_matches_uninterrupted_bitwise),
                cmocka_unit_test(adjoint_target_is_clipped_per_particle_and_centred),
                cmocka_unit_test(authors_target_clips_the_force_before_the_base_score),
                cmocka_unit_test(small_draws_cost_their_rows_only_and_agree_with_a_full_batch),
                cmocka_unit_test(girsanov_weights_undo_the_control),
                cmocka_unit_test(simulated_control_is_bounded_by_the_target_clip),
                cmocka_unit_test(importance_weights_estimate_log_z_of_a_gaussian))
