/* test_pis.c — PIS (methods/pis/pis.c) on closed-form cases, through the driver:
 *   - accounting: PIS-Grad pays exactly n_steps gradient evaluations per path, in training
 *     (plus one terminal energy+gradient) and in the final draw (plus one energy for the
 *     weights); the gradient-free control pays only the terminal evaluations; a budget
 *     that cannot pay for the weighted draw drops the weights, then shrinks the draw, and
 *     below one path the draw uses NN₁ alone at no cost (reported as "draw");
 *   - path-space log-weights: with the control exactly zero (untrained zero output layer,
 *     lr = 0) X_T ~ N(0, σ²T I) and log w = −U(X_T) − log N(X_T; 0, σ²T I) per sample,
 *     checked to 1e-9 against that closed form; on an isotropic Gaussian target of
 *     variance σ²T every weight equals log Z (ESS 1); on the anisotropic test-gauss3 with
 *     the zero control and with PIS-Grad's initial control (u = −0.01 ∇U, non-zero), the
 *     importance-weighted log Z lies within 5 delta-method standard errors of the exact one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/driver.h"
#include "methods/method.h"
#include "tests/testutil.h"
#include "tests/methods/method_run.h"
#include "tests/testmain.h"

/* 2-D isotropic Gaussian of variance 0.2 · 5 = σ²T at PIS's defaults: u = ½‖x‖²/v. */
static double iso_u(const double *x, double *g) {
    if (g) g[0] = x[0], g[1] = x[1];
    return 0.5 * (x[0] * x[0] + x[1] * x[1]);
}
BB_TEST_TASK_TYPE(iso_gauss, iso_u, "test-iso2", "2-D standard Gaussian (test)", 2, 1.0)

typedef bb_test_run run_t;

static void run_pis(run_t *r, const bb_task_type *tt, const char *params_json, int64_t budget, size_t n) {
    assert_int_equal(bb_test_run_method(r, "pis", tt, NULL, params_json, budget, n, 3, 1, NULL, 0, 0), BB_OK);
}

static void done(run_t *r) { bb_test_run_done(r); }

static double info_num(const run_t *r, const char *k) { return bb_test_run_info_num(r, k); }

/* I iterations of B paths with S steps, then n weighted samples: every count exact. */
BB_TEST(grad_control_pays_n_steps_gradients_per_path) {
    const int64_t S = 7, B = 5, IT = 3, n = 11;
    run_t r;
    run_pis(&r, &bb_test_gauss,
            "{\"n_steps\": 7, \"batch_size\": 5, \"max_iters\": 3, \"channels\": 8, \"importance_weights\": true}",
            100000, (size_t)n);
    print_message("grad: used %lld (with grad %lld), training %g, sampling %g\n", (long long)bb_oracle_used(r.o),
                  (long long)bb_oracle_used_with_grad(r.o), info_num(&r, "evaluations_training"),
                  info_num(&r, "evaluations_sampling"));
    assert_int_equal(info_num(&r, "iterations"), IT);
    assert_int_equal(info_num(&r, "evaluations_training"), IT * B * (S + 1));
    assert_int_equal(info_num(&r, "evaluations_sampling"), n * (S + 1));
    assert_int_equal(bb_oracle_used_with_grad(r.o), IT * B * (S + 1) + n * S); /* path gradients + terminal */
    assert_int_equal(bb_oracle_used_energy_only(r.o), n);                      /* the weights' energies */
    assert_int_equal(r.s.n, n);
    assert_non_null(r.s.logw);
    done(&r);

    run_pis(&r, &bb_test_gauss,
            "{\"control\": \"nn\", \"n_steps\": 7, \"batch_size\": 5, \"max_iters\": 3, \"channels\": 8}", 100000,
            (size_t)n);
    assert_int_equal(bb_oracle_used_with_grad(r.o), IT * B); /* terminal only; drawing is free */
    assert_int_equal(bb_oracle_used_energy_only(r.o), n);
    done(&r);

    /* a budget of exactly n S: no weights, n unweighted samples, no training */
    run_pis(&r, &bb_test_gauss, "{\"n_steps\": 7, \"batch_size\": 5, \"channels\": 8}", n * S, (size_t)n);
    assert_int_equal(bb_oracle_used(r.o), n * S);
    assert_int_equal(info_num(&r, "iterations"), 0);
    assert_int_equal(r.s.n, n);
    assert_null(r.s.logw);
    assert_int_equal(r.res.stopped_by, BB_STOP_BUDGET);
    done(&r);

    /* less than that: the draw shrinks to what the budget pays for */
    run_pis(&r, &bb_test_gauss, "{\"n_steps\": 7, \"batch_size\": 5, \"channels\": 8}", 5 * S + 3, (size_t)n);
    assert_int_equal(r.s.n, 5);
    assert_int_equal(bb_oracle_used(r.o), 5 * S);
    done(&r);

    /* below one path: n unweighted samples of NN₁ alone, no evaluations, and it says so */
    run_pis(&r, &bb_test_gauss, "{\"n_steps\": 7, \"batch_size\": 5, \"channels\": 8}", S - 1, (size_t)n);
    assert_int_equal(bb_oracle_used(r.o), 0);
    assert_int_equal(r.s.n, n);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(r.info, "draw")));
    done(&r);
}

/* log Z from log-weights and its delta-method standard error. */
static double log_z_of(const bb_samples *s, double *se) {
    double mx = -INFINITY, s1 = 0, s2 = 0;
    for (size_t i = 0; i < s->n; i++) mx = fmax(mx, s->logw[i]);
    for (size_t i = 0; i < s->n; i++) {
        double w = exp(s->logw[i] - mx);
        s1 += w, s2 += w * w;
    }
    const double n = (double)s->n;
    *se = sqrt(fmax(s2 / n / ((s1 / n) * (s1 / n)) - 1.0, 0.0) / n);
    return mx + log(s1 / n);
}

/* Zero control (lr = 0 keeps the zero output layer): per-sample closed form to 1e-9. */
BB_TEST(zero_control_log_weights_have_their_closed_form) {
    const size_t n = 4000;
    run_t r;
    /* σ = 1, T = 9: proposal N(0, 9 I) over test-gauss3's s = (0.5, 1, 2.385) */
    run_pis(&r, &bb_test_gauss,
            "{\"control\": \"nn\", \"sigma\": 1, \"t_end\": 9, \"n_steps\": 10, \"batch_size\": 8, \"lr\": 0, "
            "\"weight_decay\": 0, \"max_iters\": 1, \"channels\": 8}",
            20000, n);
    assert_non_null(r.s.logw);
    double worst = 0, exact = 1.5 * log(2 * M_PI), var_t = 0;
    for (int d = 0; d < 3; d++) exact += log(bb_test_gauss_s[d]);
    for (size_t i = 0; i < n; i++) {
        const double *x = r.s.x + 3 * i;
        double want = 1.5 * log(2 * M_PI * 9.0);
        for (int d = 0; d < 3; d++)
            want += -0.5 * x[d] * x[d] / (bb_test_gauss_s[d] * bb_test_gauss_s[d]) + 0.5 * x[d] * x[d] / 9.0;
        worst = fmax(worst, fabs(r.s.logw[i] - want));
        var_t += x[0] * x[0] / (double)n;
    }
    double se, lz = log_z_of(&r.s, &se);
    print_message("zero control: max |log w - closed form| %.2e; Var X_T,0 %.3f (want 9); log Z %.4f exact %.4f "
                  "(se %.4f)\n",
                  worst, var_t, lz, exact, se);
    assert_true(worst < 1e-9);
    assert_true(fabs(var_t - 9.0) < 5 * 9.0 * sqrt(2.0 / n)); /* X_T ~ N(0, σ²T): sd of the variance estimate */
    assert_true(fabs(lz - exact) < 5 * se);
    assert_true(fabs(lz - info_num(&r, "log_z")) < 1e-9);
    done(&r);

    /* target N(0, σ²T I) at PIS's σ, T: every weight is log Z = log 2π exactly, ESS 1 */
    run_pis(&r, &iso_gauss,
            "{\"control\": \"nn\", \"sigma\": 0.2, \"t_end\": 25, \"n_steps\": 10, \"batch_size\": 8, \"lr\": 0, "
            "\"weight_decay\": 0, \"max_iters\": 1, \"channels\": 8}",
            2000, 500);
    worst = 0;
    for (size_t i = 0; i < r.s.n; i++) worst = fmax(worst, fabs(r.s.logw[i] - log(2 * M_PI)));
    print_message("matched Gaussian: max |log w - log Z| %.2e, ess %.6f\n", worst, info_num(&r, "ess_fraction"));
    assert_true(worst < 1e-9);
    assert_true(fabs(info_num(&r, "ess_fraction") - 1.0) < 1e-12);
    done(&r);
}

/* PIS-Grad's initial control u = NN₁ − NN₂ ∇U with NN₁ = 0 and NN₂ = 0.01 (TimeConder's
 * last layer) is non-zero; E[w] = Z still holds: log Z within 5 standard errors. */
BB_TEST(grad_control_log_weights_estimate_log_z) {
    const size_t n = 4000;
    run_t r;
    run_pis(&r, &bb_test_gauss,
            "{\"sigma\": 1, \"t_end\": 9, \"n_steps\": 10, \"batch_size\": 8, \"lr\": 0, \"weight_decay\": 0, "
            "\"max_iters\": 1, \"channels\": 8}",
            60000, n);
    assert_non_null(r.s.logw);
    double exact = 1.5 * log(2 * M_PI), se;
    for (int d = 0; d < 3; d++) exact += log(bb_test_gauss_s[d]);
    double lz = log_z_of(&r.s, &se), var_t = 0;
    for (size_t i = 0; i < n; i++) var_t += r.s.x[3 * i] * r.s.x[3 * i] / (double)n;
    /* the control pulls X_T,0 (s = 0.5) in: Var X_T,0 = Σ_k a^{2k} σ² dt with a = 1 − 0.01 σ dt / s² */
    double a = 1.0 - 0.01 * 0.9 / 0.25, want_var = 0;
    for (int k = 0; k < 10; k++) want_var = a * a * want_var + 0.9;
    print_message("grad control: log Z %.4f exact %.4f (se %.4f); Var X_T,0 %.3f want %.3f (zero control: 9)\n", lz,
                  exact, se, var_t, want_var);
    assert_true(fabs(lz - exact) < 5 * se);
    assert_true(fabs(var_t - want_var) < 5 * want_var * sqrt(2.0 / n));
    assert_true(fabs(var_t - 9.0) > 10 * 9.0 * sqrt(2.0 / n)); /* the control really acted */
    done(&r);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(grad_control_pays_n_steps_gradients_per_path),
                cmocka_unit_test(zero_control_log_weights_have_their_closed_form),
                cmocka_unit_test(grad_control_log_weights_estimate_log_z))
