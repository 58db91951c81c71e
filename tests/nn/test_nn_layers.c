/* test_nn_layers.c — layers in float64: Linear, MLP and EGNN first and second
 * derivatives (w.r.t. inputs and parameters, including d/dtheta of <grad_x f, v> as
 * PITA needs) against finite differences, and EGNN E(n) equivariance: rotating,
 * translating and permuting the particles transforms the vector output accordingly
 * and leaves the scalar output unchanged, to 1e-10. */
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
#include "tests/nn/nntest.h"
#include "tests/nn/gradcheck.h"
#include "tests/testmain.h"

typedef struct layer_ud {
    bb_nn_params ps;
    bb_nn_layernorm ln;
    bb_nn_transformer tb;
    bb_nn_fourier_mlp fm;
    bb_nn_linear lin;
    bb_nn_mlp mlp;
    bb_nn_egnn egnn;
    bb_nn_egnn_graph eg;
} layer_ud;

static bb_nn_tensor *f_linear(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    layer_ud *L = u;
    bb_nn_tensor *y = bb_nn_linear_fwd(g, &L->ps, &L->lin, x[0]);
    return gc_project(g, bb_nn_mul(g, y, y), 40);
}
static bb_nn_tensor *f_mlp(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    layer_ud *L = u;
    return gc_project(g, bb_nn_mlp_fwd(g, &L->ps, &L->mlp, x[0]), 41);
}
static bb_nn_tensor *f_egnn(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    layer_ud *L = u;
    bb_nn_tensor *y = bb_nn_egnn_fwd(g, &L->ps, &L->egnn, &L->eg, x[0], L->egnn.cfg.t_dim ? x[1] : NULL);
    return gc_project(g, y, 42);
}

static bb_nn_tensor *f_layernorm(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    layer_ud *L = u;
    return gc_project(g, bb_nn_layernorm_fwd(g, &L->ps, &L->ln, x[0]), 43);
}
static bb_nn_tensor *f_transformer(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    layer_ud *L = u;
    return gc_project(g, bb_nn_transformer_fwd(g, &L->ps, &L->tb, x[0]), 44);
}
static bb_nn_tensor *f_fourier(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    layer_ud *L = u;
    return gc_project(g, bb_nn_fourier_mlp_fwd(g, &L->ps, &L->fm, x[0], x[1]), 45);
}

/* A case of a layer in L: the row, with L as user data and n_param_checks of L's
 * parameters checked too. */
static gc_case layer_case(gc_row r, layer_ud *L, int n_param_checks) {
    gc_case c = gc_case_of(r);
    c.ud = L;
    c.ps = &L->ps;
    c.n_param_checks = n_param_checks;
    return c;
}

/* Overwrite every parameter with N(0, s^2) draws (so zero/one inits do not hide terms). */
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

BB_TEST(test_layernorm_transformer_and_fourier_mlp_match_finite_differences) {
    bb_ctx c = {0};
    int fail = 0;
    layer_ud L;
    bb_nn_params_init(&L.ps, BB_NN_F64);
    assert_int_equal(bb_nn_layernorm_init(&L.ln, &L.ps, "ln", 7, 1e-5, &c), BB_OK);
    assert_int_equal(bb_nn_transformer_init(&L.tb, &L.ps, "tb", 8, 2, &c), BB_OK);
    assert_int_equal(bb_nn_fourier_mlp_init(&L.fm, &L.ps, "pis", 2, 2, 6, 2, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&L.ps, 2385, &c), BB_OK);
    randomise(&L.ps, 0.5, 3);
    gc_case cases[] = {
        layer_case((gc_row){"layernorm 7 on 3x1x5x7", f_layernorm, "3x1x5x7", 1e-3, 1e-7, 1e-6}, &L, 14),
        layer_case((gc_row){"transformer C8 H2 on 2x5x8", f_transformer, "2x5x8", 1e-3, 1e-7, 1e-6}, &L, 64),
        layer_case((gc_row){"fourier mlp (PIS) 2->6x2->2", f_fourier, "3x1 3x2", 1e-3, 1e-7, 1e-6}, &L, 64),
    };
    cases[2].eps_in[0] = 1e-5;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) fail |= gc_run(&cases[k], 700 + k);
    bb_nn_params_free(&L.ps);
    assert_int_equal(fail, 0);
}

BB_TEST(test_linear_and_mlp_derivatives_match_finite_differences) {
    bb_ctx c = {0};
    int fail = 0;
    for (int act = BB_NN_ACT_SILU; act < BB_NN_ACT_COUNT; act++) {
        layer_ud L;
        bb_nn_params_init(&L.ps, BB_NN_F64);
        assert_int_equal(bb_nn_linear_init(&L.lin, &L.ps, "lin", 5, 3, 1, &c), BB_OK);
        int sizes[4] = {5, 7, 6, 2};
        assert_int_equal(bb_nn_mlp_init(&L.mlp, &L.ps, "mlp", 4, sizes, (bb_nn_act)act, &c), BB_OK);
        assert_int_equal(bb_nn_params_alloc(&L.ps, 2385, &c), BB_OK);
        char name[64];
        snprintf(name, sizeof name, "mlp 5-7-6-2 %s on 7x1x5", BB_NN_ACT_NAME[act]);
        gc_case cm = layer_case((gc_row){name, f_mlp, "7x1x5", 1e-3, 1e-8, 1e-7}, &L, 40);
        fail |= gc_run(&cm, 500 + (uint64_t)act);
        if (act == BB_NN_ACT_SILU) {
            gc_case cl = layer_case((gc_row){"linear 5->3 (squared)", f_linear, "7x5", 1e-3, 1e-8, 1e-7}, &L, 18);
            fail |= gc_run(&cl, 499);
        }
        bb_nn_params_free(&L.ps);
    }
    assert_int_equal(fail, 0);
}

BB_TEST(test_egnn_derivatives_match_finite_differences) {
    bb_ctx c = {0};
    int fail = 0;
    for (int variant = 0; variant < 4; variant++) {
        layer_ud L;
        bb_nn_params_init(&L.ps, BB_NN_F64);
        bb_nn_egnn_config cfg = bb_test_egnn_cfg(4, 3, 6, 2, variant == 1 ? 0 : 4, variant != 2,
                                                 variant == 0 || variant == 3 ? BB_NN_EGNN_VECTOR : BB_NN_EGNN_SCALAR);
        if (variant == 3) bb_test_egnn_dem(&cfg); /* attention, tanh head, sum, edge attribute */
        assert_int_equal(bb_nn_egnn_init(&L.egnn, &L.ps, "egnn", &cfg, &c), BB_OK);
        assert_int_equal(bb_nn_params_alloc(&L.ps, 2385 + (uint64_t)variant, &c), BB_OK);
        /* coordinate layers start at gain 0.001; use larger weights so the coordinate
         * path matters in the check */
        for (int k = 0; k < L.ps.n; k++)
            if (strstr(L.ps.info[k].name, "coord2")) {
                double w[6];
                for (int i = 0; i < 6; i++) w[i] = 0.3 * (i % 2 ? 1 : -1) + 0.05 * i;
                bb_nn_params_set(&L.ps, k, w);
            }
        assert_int_equal(bb_nn_egnn_graph_init(&L.eg, 2, 4, &c), BB_OK);
        const char *names[4] = {"egnn vector (t, normalize)", "egnn scalar (no t)", "egnn scalar (t, raw diff)",
                                "egnn vector (DEM variant)"};
        gc_case ce =
            layer_case((gc_row){names[variant], f_egnn, cfg.t_dim ? "2x12 2x1" : "2x12", 1e-4, 1e-7, 1e-6}, &L, 48);
        ce.eps_in[1] = 2e-6; /* t enters as sin(1000 t w): a smaller step for t */
        fail |= gc_run(&ce, 600 + (uint64_t)variant);
        bb_nn_egnn_graph_free(&L.eg);
        bb_nn_params_free(&L.ps);
    }
    assert_int_equal(fail, 0);
}

/* Random rotation (QR of a Gaussian matrix via Gram-Schmidt, det +1). */
static void rotation3(bb_rng *r, double Q[9]) {
    for (int i = 0; i < 9; i++) Q[i] = bb_rng_normal(r);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < i; j++) {
            double d = 0;
            for (int k = 0; k < 3; k++) d += Q[i * 3 + k] * Q[j * 3 + k];
            for (int k = 0; k < 3; k++) Q[i * 3 + k] -= d * Q[j * 3 + k];
        }
        double n = 0;
        for (int k = 0; k < 3; k++) n += Q[i * 3 + k] * Q[i * 3 + k];
        for (int k = 0; k < 3; k++) Q[i * 3 + k] /= sqrt(n);
    }
    double det =
        Q[0] * (Q[4] * Q[8] - Q[5] * Q[7]) - Q[1] * (Q[3] * Q[8] - Q[5] * Q[6]) + Q[2] * (Q[3] * Q[7] - Q[4] * Q[6]);
    if (det < 0)
        for (int k = 0; k < 3; k++) Q[k] = -Q[k];
}

static void run_egnn(layer_ud *L, const double *x, const double *t, double *out, int64_t n_out) {
    bb_nn_graph *g = bb_test_graph(0);
    bb_ctx c = {0};
    int64_t B = L->eg.B, P = L->eg.P;
    bb_nn_tensor *xt = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){B, P * 3}, x);
    bb_nn_tensor *tt = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){B, 1}, t);
    bb_nn_tensor *y = bb_nn_egnn_fwd(g, &L->ps, &L->egnn, &L->eg, xt, tt);
    assert_int_equal(bb_nn_graph_status(g, &c), BB_OK);
    assert_int_equal(y->n, n_out);
    bb_nn_to_double(y, out);
    bb_nn_graph_free(g);
}

BB_TEST(test_egnn_is_rotation_translation_and_permutation_equivariant) {
    enum { B = 3, P = 7 };
    bb_ctx c = {0};
    bb_rng r;
    bb_rng_init(&r, 2385, 5);
    for (int v = 0; v < 4; v++) { /* vector, scalar, then both in the DEM variant */
        const int out = v % 2;
        layer_ud L;
        bb_nn_params_init(&L.ps, BB_NN_F64);
        bb_nn_egnn_config cfg = bb_test_egnn_cfg(P, 3, 16, 3, 8, 1, (bb_nn_egnn_out)out);
        if (v >= 2) bb_test_egnn_dem(&cfg);
        assert_int_equal(bb_nn_egnn_init(&L.egnn, &L.ps, "e", &cfg, &c), BB_OK);
        assert_int_equal(bb_nn_params_alloc(&L.ps, 77, &c), BB_OK);
        for (int k = 0; k < L.ps.n; k++) /* make coordinate updates large */
            if (strstr(L.ps.info[k].name, "coord2")) {
                double w[16];
                for (int i = 0; i < 16; i++) w[i] = 0.4 * bb_rng_normal(&r);
                bb_nn_params_set(&L.ps, k, w);
            }
        assert_int_equal(bb_nn_egnn_graph_init(&L.eg, B, P, &c), BB_OK);
        double x[B * P * 3], x2[B * P * 3], t[B] = {0.1, 0.55, 0.93}, Q[9], sh[3];
        for (int i = 0; i < B * P * 3; i++) x[i] = 1.3 * bb_rng_normal(&r);
        rotation3(&r, Q);
        for (int k = 0; k < 3; k++) sh[k] = 5.0 * bb_rng_normal(&r);
        int perm[P] = {3, 0, 6, 2, 5, 1, 4};
        /* x2[b, i] = Q x[b, perm[i]] + shift */
        for (int b = 0; b < B; b++)
            for (int i = 0; i < P; i++)
                for (int k = 0; k < 3; k++) {
                    double s = sh[k];
                    for (int l = 0; l < 3; l++) s += Q[k * 3 + l] * x[(b * P + perm[i]) * 3 + l];
                    x2[(b * P + i) * 3 + k] = s;
                }
        int64_t n_out = out == 0 ? B * P * 3 : B;
        double y[B * P * 3], y2[B * P * 3], worst = 0.0, scale = 0.0;
        run_egnn(&L, x, t, y, n_out);
        run_egnn(&L, x2, t, y2, n_out);
        if (out == 0) {
            for (int b = 0; b < B; b++)
                for (int i = 0; i < P; i++)
                    for (int k = 0; k < 3; k++) {
                        double e = 0;
                        for (int l = 0; l < 3; l++) e += Q[k * 3 + l] * y[(b * P + perm[i]) * 3 + l];
                        worst = fmax(worst, fabs(e - y2[(b * P + i) * 3 + k]));
                        scale = fmax(scale, fabs(e));
                    }
        } else {
            for (int b = 0; b < B; b++) {
                worst = fmax(worst, fabs(y[b] - y2[b]));
                scale = fmax(scale, fabs(y[b]));
            }
        }
        printf("egnn %s: max |f(Qx P + s) - Q f(x) P| = %.3g (output scale %.3g, tol 1e-10)\n",
               out ? "scalar" : "vector", worst, scale);
        assert_true(scale > 1e-3); /* the check is not vacuous */
        assert_true(worst < 1e-10);
        bb_nn_egnn_graph_free(&L.eg);
        bb_nn_params_free(&L.ps);
    }
}

/* Gradient of an EGNN loss w.r.t. x (a sweep through every EGNN op), with create_graph
 * = 0 (buffers recycled during the sweep) and = 1 (nothing recycled): same bits, less
 * memory. */
BB_TEST(test_recycled_backward_gives_identical_gradients_with_less_memory) {
    enum { B = 6, P = 5 };
    bb_ctx c = {0};
    layer_ud L;
    bb_nn_params_init(&L.ps, BB_NN_F32);
    bb_nn_egnn_config cfg = bb_test_egnn_cfg(P, 3, 16, 3, 8, 1, BB_NN_EGNN_VECTOR);
    assert_int_equal(bb_nn_egnn_init(&L.egnn, &L.ps, "e", &cfg, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&L.ps, 3, &c), BB_OK);
    assert_int_equal(bb_nn_egnn_graph_init(&L.eg, B, P, &c), BB_OK);
    double x[B * P * 3], t[B];
    for (int i = 0; i < B * P * 3; i++) x[i] = sin(0.7 * i + 0.3);
    for (int b = 0; b < B; b++) t[b] = 0.1 + 0.15 * b;
    float *gx[2];
    size_t peak[2];
    for (int cg = 0; cg < 2; cg++) {
        bb_nn_graph *g = bb_test_graph(0);
        bb_nn_tensor *xt = bb_nn_input(g, BB_NN_F32, 2, (const int64_t[]){B, P * 3}, x);
        bb_nn_tensor *tt = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, 1}, t);
        bb_nn_tensor *y = bb_nn_egnn_fwd(g, &L.ps, &L.egnn, &L.eg, xt, tt);
        bb_nn_tensor *loss = bb_nn_sum(g, bb_nn_mul(g, y, bb_nn_silu(g, y)));
        size_t before = bb_nn_graph_bytes_used(g);
        bb_nn_tensor *in[1] = {xt}, *gin[1];
        assert_int_equal(bb_nn_grad(g, loss, NULL, 1, in, gin, cg), BB_OK);
        peak[cg] = bb_nn_graph_bytes_used(g) - before;
        gx[cg] = malloc(sizeof(float) * B * P * 3);
        memcpy(gx[cg], gin[0]->data, sizeof(float) * B * P * 3);
        bb_nn_graph_free(g);
    }
    assert_memory_equal(gx[0], gx[1], sizeof(float) * B * P * 3);
    printf("backward sweep arena use: %zu bytes recycled vs %zu with create_graph\n", peak[0], peak[1]);
    assert_true(peak[0] < peak[1]);
    free(gx[0]);
    free(gx[1]);
    bb_nn_egnn_graph_free(&L.eg);
    bb_nn_params_free(&L.ps);
}

BB_TEST(test_egnn_rejects_mismatched_inputs) {
    bb_ctx c = {0};
    layer_ud L;
    bb_nn_params_init(&L.ps, BB_NN_F64);
    bb_nn_egnn_config bad = {.n_particles = 1, .dim = 3, .hidden = 4, .n_layers = 1};
    assert_int_equal(bb_nn_egnn_init(&L.egnn, &L.ps, "e", &bad, &c), BB_EINVAL);
    bb_nn_egnn_config cfg = {.n_particles = 3, .dim = 2, .hidden = 4, .n_layers = 1, .t_dim = 2, .act = BB_NN_ACT_SILU};
    assert_int_equal(bb_nn_egnn_init(&L.egnn, &L.ps, "e", &cfg, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&L.ps, 1, &c), BB_OK);
    assert_int_equal(bb_nn_egnn_graph_init(&L.eg, 2, 3, &c), BB_OK);
    bb_nn_graph *g = bb_test_graph(0);
    bb_nn_tensor *x = bb_nn_zeros(g, BB_NN_F64, 2, (const int64_t[]){2, 7});
    assert_null(bb_nn_egnn_fwd(g, &L.ps, &L.egnn, &L.eg, x, NULL));
    assert_int_equal(bb_nn_graph_status(g, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "nn egnn"));
    bb_nn_graph_free(g);
    bb_nn_egnn_graph_free(&L.eg);
    bb_nn_params_free(&L.ps);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(test_linear_and_mlp_derivatives_match_finite_differences),
                cmocka_unit_test(test_egnn_derivatives_match_finite_differences),
                cmocka_unit_test(test_layernorm_transformer_and_fourier_mlp_match_finite_differences),
                cmocka_unit_test(test_egnn_is_rotation_translation_and_permutation_equivariant),
                cmocka_unit_test(test_recycled_backward_gives_identical_gradients_with_less_memory),
                cmocka_unit_test(test_egnn_rejects_mismatched_inputs))
