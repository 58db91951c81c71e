/* test_nn_dit.c — the pieces of PITA's peptide network in float64 against finite
 * differences (first and second derivatives, and d/dθ of ⟨∇ₓf, v⟩ for the DiT): tanh-GELU,
 * rotary embeddings, LayerNorm without affine parameters, the DiT; forward values against
 * closed forms (tanh-GELU's formula, RoPE's pair rotations); the untrained DiT outputs 0
 * (adaLN-Zero); a float32 training step of the energy form ⟨F(x), x⟩ through double backward
 * gives bit-identical parameter gradients on 1 and 2 threads; bad configurations are refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cblas.h>

#include "harness/core/rng.h"
#include "methods/nn/nn.h"
#include "tests/nn/gradcheck.h"
#include "tests/nn/nntest.h"
#include "tests/testmain.h"

typedef struct dit_ud {
    bb_nn_params ps;
    bb_nn_dit dit;
} dit_ud;

static bb_nn_tensor *f_gelu_tanh(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    return gc_project(g, bb_nn_gelu_tanh(g, x[0]), 60);
}
static bb_nn_tensor *f_rope(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_rope(g, x[0], 2, 7.0);
    return gc_project(g, bb_nn_mul(g, y, y), 61); /* squared: a linear map has no 2nd derivative */
}
static bb_nn_tensor *f_lnplain(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    return gc_project(g, bb_nn_layernorm_plain(g, x[0], 1e-5), 62);
}
static bb_nn_tensor *f_dit(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    dit_ud *D = u;
    return gc_project(g, bb_nn_dit_fwd(g, &D->ps, &D->dit, x[0], x[1], D->dit.cfg.cond_temp ? x[2] : NULL), 63);
}

static const bb_nn_dit_config small = {.n_tokens = 5,
                                       .token_dim = 3,
                                       .hidden = 8,
                                       .heads = 2,
                                       .blocks = 2,
                                       .cond_dim = 6,
                                       .freq_dim = 4,
                                       .cond_temp = 1,
                                       .rope_base = 10000.0};

/* Every parameter N(0, s²) (the zero-initialised adaLN maps would hide every term). */
static void randomise(bb_nn_params *ps, double s, uint64_t seed) {
    bb_rng r;
    bb_rng_init(&r, seed, 9);
    for (int k = 0; k < ps->n; k++) {
        double *v = malloc(sizeof(double) * ps->info[k].n);
        for (size_t i = 0; i < ps->info[k].n; i++) v[i] = s * bb_rng_normal(&r);
        bb_nn_params_set(ps, k, v);
        free(v);
    }
}

BB_TEST(test_dit_pieces_match_finite_differences) {
    static const gc_row rows[] = {
        {"gelu_tanh 7x1x5x3", f_gelu_tanh, "7x1x5x3", 1e-3, 1e-8, 1e-7},
        {"rope 2 heads on 3x4x8", f_rope, "3x4x8", 1e-3, 1e-8, 1e-7},
        {"layernorm_plain 3x5x7", f_lnplain, "3x5x7", 1e-3, 1e-7, 1e-6},
    };
    int fail = gc_run_rows(rows, sizeof rows / sizeof rows[0], 900);
    bb_ctx c = {0};
    for (int temp = 0; temp < 2; temp++) {
        dit_ud D;
        bb_nn_dit_config cfg = small;
        cfg.cond_temp = temp;
        bb_nn_params_init(&D.ps, BB_NN_F64);
        assert_int_equal(bb_nn_dit_init(&D.dit, &D.ps, "dit", &cfg, &c), BB_OK);
        assert_int_equal(bb_nn_params_alloc(&D.ps, 2385, &c), BB_OK);
        randomise(&D.ps, 0.4, 5 + (uint64_t)temp);
        gc_case dc = gc_case_of((gc_row){temp ? "dit T5 H8 2 heads 2 blocks, temperature" : "dit, noise level only",
                                         f_dit, temp ? "3x15 3x1 3x1" : "3x15 3x1", 1e-3, 1e-7, 1e-6});
        dc.ud = &D;
        dc.ps = &D.ps;
        dc.n_param_checks = 48;
        fail |= gc_run(&dc, 910 + (uint64_t)temp);
        bb_nn_params_free(&D.ps);
    }
    assert_int_equal(fail, 0);
}

BB_TEST(test_gelu_tanh_and_rope_match_closed_forms) {
    bb_nn_graph *g = bb_test_graph(0);
    const double xs[6] = {-4.0, -1.3, -0.2, 0.0, 0.7, 3.1};
    bb_nn_tensor *y = bb_nn_gelu_tanh(g, bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){1, 6}, xs));
    for (int i = 0; i < 6; i++) {
        const double a = xs[i],
                     want = 0.5 * a * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (a + 0.044715 * a * a * a)));
        assert_true(fabs(bb_nn_get(y, i) - want) <= 1e-15 * (1.0 + fabs(want)));
        assert_true(fabs(want - 0.5 * a * (1.0 + erf(a / sqrt(2.0)))) < 1e-3); /* close to exact GELU */
    }
    /* RoPE on [2, 3, 8] with 2 heads (dh 4): pair (2i, 2i+1) of a head at position p turns by p base^(-2i/4) */
    enum { B = 2, T = 3, C = 8, H = 2 };
    double x[B * T * C];
    bb_rng r;
    bb_rng_init(&r, 17, 0);
    for (int k = 0; k < B * T * C; k++) x[k] = bb_rng_normal(&r);
    const double base = 50.0;
    bb_nn_tensor *o = bb_nn_rope(g, bb_nn_from(g, BB_NN_F64, 3, (const int64_t[]){B, T, C}, x), H, base);
    assert_non_null(o);
    double worst = 0.0;
    for (int b = 0; b < B; b++)
        for (int p = 0; p < T; p++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < C / H / 2; i++) {
                    const int k = (b * T + p) * C + h * (C / H) + 2 * i;
                    const double th = p * pow(base, -2.0 * i / (C / H)), x0 = x[k], x1 = x[k + 1];
                    worst = fmax(worst, fabs(bb_nn_get(o, k) - (x0 * cos(th) - x1 * sin(th))));
                    worst = fmax(worst, fabs(bb_nn_get(o, k + 1) - (x1 * cos(th) + x0 * sin(th))));
                }
    printf("rope: largest difference from the written-out rotation %.2e\n", worst);
    assert_true(worst < 1e-14);
    bb_nn_graph_free(g);
}

BB_TEST(test_untrained_dit_outputs_zero_and_bad_configs_are_refused) {
    bb_ctx c = {0};
    dit_ud D;
    bb_nn_params_init(&D.ps, BB_NN_F64);
    assert_int_equal(bb_nn_dit_init(&D.dit, &D.ps, "dit", &small, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&D.ps, 3, &c), BB_OK);
    bb_nn_graph *g = bb_test_graph(0);
    double x[2 * 15], t[2] = {0.3, -1.0}, b[2] = {1.0, 2.5};
    for (int k = 0; k < 30; k++) x[k] = 0.1 * k - 1.0;
    bb_nn_tensor *y = bb_nn_dit_fwd(g, &D.ps, &D.dit, bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){2, 15}, x),
                                    bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){2, 1}, t),
                                    bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){2, 1}, b));
    assert_non_null(y);
    for (int k = 0; k < 30; k++) assert_true(bb_nn_get(y, k) == 0.0);
    /* no temperature for a temperature-conditioned network */
    assert_null(bb_nn_dit_fwd(g, &D.ps, &D.dit, bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){2, 15}, x),
                              bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){2, 1}, t), NULL));
    assert_int_equal(bb_nn_graph_status(g, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "nn dit"));
    bb_nn_graph_free(g);
    bb_nn_params_free(&D.ps);
    bb_nn_dit_config bad = small;
    bad.hidden = 6; /* not a multiple of 2 x 2 heads */
    bb_nn_params_init(&D.ps, BB_NN_F64);
    assert_int_equal(bb_nn_dit_init(&D.dit, &D.ps, "dit", &bad, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "nn dit dit"));
    bb_nn_params_free(&D.ps);
}

/* Parameter gradients (float32) of ⟨x, ∇ₓ⟨F(x), x⟩⟩ summed, F the DiT, on `threads` threads. */
static float *energy_grad(int threads, size_t *n) {
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_dit net;
    bb_nn_dit_config cfg = small;
    cfg.n_tokens = 22;
    cfg.hidden = 16;
    cfg.heads = 4;
    cfg.cond_dim = 8;
    cfg.freq_dim = 16;
    bb_nn_params_init(&ps, BB_NN_F32);
    assert_int_equal(bb_nn_dit_init(&net, &ps, "dit", &cfg, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 11, &c), BB_OK);
    bb_nn_params_zero_grad(&ps);
    bb_nn_graph *g = bb_test_graph(0);
    bb_nn_graph_set_threads(g, threads);
    enum { B = 64 };
    double *x = malloc(sizeof(double) * B * 66), t[B], b[B];
    bb_rng r;
    bb_rng_init(&r, 23, 0);
    for (int k = 0; k < B * 66; k++) x[k] = bb_rng_normal(&r);
    for (int k = 0; k < B; k++) t[k] = 0.5 * bb_rng_normal(&r), b[k] = 1.0 + k % 3;
    { /* non-zero adaLN maps and output layer, so every block contributes */
        double *v = malloc(sizeof(double) * ps.total);
        for (int k = 0; k < ps.n; k++) {
            for (size_t i = 0; i < ps.info[k].n; i++) v[i] = 0.2 * bb_rng_normal(&r);
            bb_nn_params_set(&ps, k, v);
        }
        free(v);
    }
    bb_nn_tensor *X = bb_nn_input(g, BB_NN_F32, 2, (const int64_t[]){B, 66}, x), *gx = NULL;
    bb_nn_tensor *F = bb_nn_dit_fwd(g, &ps, &net, X, bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, 1}, t),
                                    bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, 1}, b));
    assert_int_equal(bb_nn_grad(g, bb_nn_sum(g, bb_nn_mul(g, F, X)), NULL, 1, &X, &gx, 1), 0);
    assert_int_equal(bb_nn_backward(g, bb_nn_mean(g, bb_nn_mul(g, gx, gx))), 0);
    assert_int_equal(bb_nn_graph_status(g, &c), BB_OK);
    *n = ps.total;
    float *out = malloc(sizeof(float) * ps.total);
    memcpy(out, ps.grad, sizeof(float) * ps.total);
    free(x);
    bb_nn_graph_free(g);
    bb_nn_params_free(&ps);
    return out;
}

BB_TEST(test_dit_double_backward_is_identical_on_1_and_2_threads) {
    size_t n1, n2;
    float *a = energy_grad(1, &n1), *b = energy_grad(2, &n2);
    assert_int_equal(n1, n2);
    double norm = 0.0;
    for (size_t i = 0; i < n1; i++) norm += (double)a[i] * a[i];
    printf("dit: %zu parameter gradients, norm %.4g, bit-identical on 1 and 2 threads: %s\n", n1, sqrt(norm),
           memcmp(a, b, sizeof(float) * n1) ? "no" : "yes");
    assert_true(norm > 0.0);
    assert_memory_equal(a, b, sizeof(float) * n1);
    free(a);
    free(b);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(test_dit_pieces_match_finite_differences),
                cmocka_unit_test(test_gelu_tanh_and_rope_match_closed_forms),
                cmocka_unit_test(test_untrained_dit_outputs_zero_and_bad_configs_are_refused),
                cmocka_unit_test(test_dit_double_backward_is_identical_on_1_and_2_threads))
