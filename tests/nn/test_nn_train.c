/* test_nn_train.c — optimizers and training: Adam/AdamW against the torch.optim update
 * written out by hand, gradient clipping, the warmup + cosine schedule, EMA, a tiny
 * regression learned to a stated loss, and determinism: the same seed gives
 * bit-identical parameters after 100 EGNN training steps on 1 and on 2 threads. */
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <cmocka.h>

#include "harness/core/rng.h"
#include "methods/nn/nn.h"
#include "tests/nn/nntest.h"
#include "tests/testmain.h"

BB_TEST(test_adam_and_adamw_follow_the_torch_update) {
    bb_ctx c = {0};
    for (int dec = 0; dec < 2; dec++) {
        bb_nn_params ps;
        bb_nn_params_init(&ps, BB_NN_F64);
        assert_true(bb_nn_params_add(&ps, "w", 1, (const int64_t[]){3}, BB_NN_INIT_CONST, 0.75, &c) >= 0);
        assert_int_equal(bb_nn_params_alloc(&ps, 1, &c), BB_OK);
        bb_nn_adam opt;
        const double b1 = 0.8, b2 = 0.95, eps = 1e-3, wd = 0.1, lr = 0.05;
        assert_int_equal(bb_nn_adam_init(&opt, &ps, b1, b2, eps, wd, dec, &c), BB_OK);
        double p[3] = {0.75, 0.75, 0.75}, m[3] = {0}, v[3] = {0};
        for (int t = 1; t <= 3; t++) {
            double *gr = ps.grad;
            for (int i = 0; i < 3; i++) gr[i] = 2.385 * (i + 1) * (t % 2 ? 1 : -0.5) * p[i];
            for (int i = 0; i < 3; i++) { /* torch.optim.Adam / AdamW, written out */
                double gi = gr[i];
                if (dec)
                    p[i] *= 1 - lr * wd;
                else
                    gi += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mh = m[i] / (1 - pow(b1, t)), vh = v[i] / (1 - pow(b2, t));
                p[i] -= lr * mh / (sqrt(vh) + eps);
            }
            assert_int_equal(bb_nn_adam_step(&opt, &ps, lr, &c), BB_OK);
            for (int i = 0; i < 3; i++) assert_true(fabs(((double *)ps.data)[i] - p[i]) < 1e-14);
        }
        bb_nn_adam_free(&opt);
        bb_nn_params_free(&ps);
    }
    bb_nn_adam_free(NULL);
    bb_nn_params_free(NULL);
}

BB_TEST(test_clipping_schedule_and_ema_have_their_closed_forms) {
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_params_init(&ps, BB_NN_F32);
    assert_true(bb_nn_params_add(&ps, "a", 2, (const int64_t[]){2, 2}, BB_NN_INIT_CONST, 1.5, &c) >= 0);
    assert_int_equal(bb_nn_params_alloc(&ps, 1, &c), BB_OK);
    float *gr = ps.grad;
    gr[0] = 3;
    gr[1] = 4;
    gr[2] = 0;
    gr[3] = 12; /* norm 13 */
    double n = bb_nn_clip_grad_norm(&ps, 6.5);
    assert_true(fabs(n - 13.0) < 1e-6);
    assert_true(fabs(bb_nn_params_grad_norm(&ps) - 6.5) < 1e-5);
    assert_true(fabs(bb_nn_clip_grad_norm(&ps, 100.0) - 6.5) < 1e-5); /* no-op below */
    /* schedule: linear warmup, cosine to min, then min */
    assert_true(fabs(bb_nn_lr_schedule(0, 1e-3, 10, 110, 1e-5) - 1e-4) < 1e-15);
    assert_true(fabs(bb_nn_lr_schedule(9, 1e-3, 10, 110, 1e-5) - 1e-3) < 1e-15);
    assert_true(fabs(bb_nn_lr_schedule(60, 1e-3, 10, 110, 1e-5) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-15);
    assert_true(fabs(bb_nn_lr_schedule(500, 1e-3, 10, 110, 1e-5) - 1e-5) < 1e-18);
    /* EMA: shadow after two updates with decay 0.9 from 1.5 -> p = 2.5, 3.5 */
    bb_nn_ema e;
    assert_int_equal(bb_nn_ema_init(&e, &ps, 0.9, &c), BB_OK);
    double v[4] = {2.5, 2.5, 2.5, 2.5};
    bb_nn_params_set(&ps, 0, v);
    bb_nn_ema_update(&e, &ps);
    for (int i = 0; i < 4; i++) v[i] = 3.5;
    bb_nn_params_set(&ps, 0, v);
    bb_nn_ema_update(&e, &ps);
    double want = 0.9 * (0.9 * 1.5 + 0.1 * 2.5) + 0.1 * 3.5;
    bb_nn_ema_swap(&e, &ps);
    double got[4];
    bb_nn_params_get(&ps, 0, got);
    assert_true(fabs(got[0] - want) < 1e-6);
    bb_nn_ema_swap(&e, &ps);
    bb_nn_params_get(&ps, 0, got);
    assert_true(got[3] == 3.5);
    bb_nn_ema_free(&e);
    bb_nn_ema_free(NULL);
    bb_nn_params_free(&ps);
}

BB_TEST(test_mlp_learns_a_tiny_regression) {
    enum { B = 64 };
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_mlp net;
    bb_nn_adam opt;
    bb_nn_graph *g;
    bb_nn_params_init(&ps, BB_NN_F32);
    int sizes[4] = {1, 32, 32, 1};
    assert_int_equal(bb_nn_mlp_init(&net, &ps, "net", 4, sizes, BB_NN_ACT_TANH, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 2385, &c), BB_OK);
    assert_int_equal(bb_nn_adam_init(&opt, &ps, 0.9, 0.999, 1e-8, 0.0, 0, &c), BB_OK);
    assert_int_equal(bb_nn_graph_init(&g, 0, &c), BB_OK);
    double xs[B], ys[B], loss = 0, loss0 = 0;
    for (int i = 0; i < B; i++) {
        xs[i] = -2.0 + 4.0 * i / (B - 1);
        ys[i] = sin(2.0 * xs[i]);
    }
    for (int step = 0; step < 1500; step++) {
        bb_nn_graph_reset(g);
        bb_nn_tensor *x = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, 1}, xs);
        bb_nn_tensor *y = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, 1}, ys);
        bb_nn_tensor *l = bb_nn_mse(g, bb_nn_mlp_fwd(g, &ps, &net, x), y);
        bb_nn_params_zero_grad(&ps);
        assert_int_equal(bb_nn_backward(g, l), BB_OK);
        assert_int_equal(bb_nn_adam_step(&opt, &ps, bb_nn_lr_schedule(step, 1e-2, 50, 1500, 1e-4), &c), BB_OK);
        loss = bb_nn_get(l, 0);
        if (step == 0) loss0 = loss;
    }
    printf("tiny regression sin(2x) on [-2,2], MLP 1-32-32-1 tanh, Adam 1500 steps: "
           "loss %.3g -> %.3g (must be < 2e-3)\n",
           loss0, loss);
    assert_true(loss < 2e-3);
    bb_nn_graph_free(g);
    bb_nn_adam_free(&opt);
    bb_nn_params_free(&ps);
}

/* 100 EGNN training steps (flow-matching-like regression onto a fixed field), float32;
 * returns the final parameters (caller frees). */
static float *train_egnn(int threads) {
    enum { B = 32, P = 13, D = 3 }; /* E = 4992 edges: elementwise ops and GEMMs run in parallel */
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_egnn net;
    bb_nn_egnn_graph eg;
    bb_nn_adam opt;
    bb_nn_graph *g;
    bb_nn_params_init(&ps, BB_NN_F32);
    bb_nn_egnn_config cfg = bb_test_egnn_cfg(P, D, 32, 2, 8, 1, BB_NN_EGNN_VECTOR);
    assert_int_equal(bb_nn_egnn_init(&net, &ps, "egnn", &cfg, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 42, &c), BB_OK);
    assert_int_equal(bb_nn_egnn_graph_init(&eg, B, P, &c), BB_OK);
    assert_int_equal(bb_nn_adam_init(&opt, &ps, 0.9, 0.999, 1e-8, 0.0, 0, &c), BB_OK);
    assert_int_equal(bb_nn_graph_init(&g, 0, &c), BB_OK);
    bb_nn_graph_set_threads(g, threads); /* the caller's decision, passed down */
    opt.threads = threads;
    double *x = malloc(sizeof(double) * B * P * D), *y = malloc(sizeof(double) * B * P * D), t[B];
    for (int step = 0; step < 100; step++) {
        bb_rng r;
        bb_rng_init(&r, 7, (uint64_t)step);
        bb_rng_normal_fill(&r, B * P * D, x);
        for (int i = 0; i < B * P * D; i++) y[i] = -0.5 * x[i];
        for (int b = 0; b < B; b++) t[b] = bb_rng_uniform(&r);
        bb_nn_graph_reset(g);
        bb_nn_tensor *xt = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, P * D}, x);
        bb_nn_tensor *yt = bb_nn_remove_com(g, bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, P * D}, y), P, D);
        bb_nn_tensor *tt = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){B, 1}, t);
        bb_nn_tensor *l = bb_nn_mse(g, bb_nn_egnn_fwd(g, &ps, &net, &eg, xt, tt), yt);
        bb_nn_params_zero_grad(&ps);
        assert_int_equal(bb_nn_backward(g, l), BB_OK);
        bb_nn_clip_grad_norm(&ps, 1.0);
        assert_int_equal(bb_nn_adam_step(&opt, &ps, 1e-3, &c), BB_OK);
    }
    float *out = malloc(sizeof(float) * ps.total);
    memcpy(out, ps.data, sizeof(float) * ps.total);
    free(x);
    free(y);
    bb_nn_graph_free(g);
    bb_nn_adam_free(&opt);
    bb_nn_egnn_graph_free(&eg);
    bb_nn_params_free(&ps);
    return out;
}

BB_TEST(test_same_seed_gives_identical_parameters_on_1_and_2_threads) {
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_egnn net;
    bb_nn_params_init(&ps, BB_NN_F32);
    bb_nn_egnn_config cfg = bb_test_egnn_cfg(13, 3, 32, 2, 8, 1, BB_NN_EGNN_VECTOR); /* as train_egnn */
    assert_int_equal(bb_nn_egnn_init(&net, &ps, "egnn", &cfg, &c), BB_OK);
    size_t n = ps.total;
    bb_nn_params_free(&ps);
    float *a = train_egnn(1), *b = train_egnn(2);
    size_t diff = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
        diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    }
    /* the run is not trivial: parameters moved from their seeded start */
    bb_nn_params_init(&ps, BB_NN_F32);
    assert_int_equal(bb_nn_egnn_init(&net, &ps, "egnn", &cfg, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 42, &c), BB_OK);
    for (size_t i = 0; i < n; i++) moved += ((float *)ps.data)[i] != a[i];
    printf("determinism: %zu of %zu parameters differ between 1 and 2 threads (must be 0); "
           "%zu moved in training\n",
           diff, n, moved);
    assert_int_equal(diff, 0);
    assert_true(moved > n / 2);
    bb_nn_params_free(&ps);
    free(a);
    free(b);
}

/* Gradient of an MSE over 12 rows of an MLP, whole batch vs 3 shards of 4 rows with
 * bb_nn_backward_to; shards in an OpenMP loop on 1 and 2 threads must agree bitwise. */
static void shard_grad(int shards, int threads, double *out, size_t *n_out) {
    enum { B = 12 };
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_mlp net;
    bb_nn_params_init(&ps, BB_NN_F64);
    int sizes[3] = {3, 9, 2};
    assert_int_equal(bb_nn_mlp_init(&net, &ps, "net", 3, sizes, BB_NN_ACT_GELU, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 5, &c), BB_OK);
    double x[B * 3], y[B * 2];
    for (int i = 0; i < B * 3; i++) x[i] = sin(2.385 * i);
    for (int i = 0; i < B * 2; i++) y[i] = cos(1.7 * i);
    double *buf = calloc((size_t)shards * ps.total, sizeof(double));
    const int Bs = B / shards;
    int fail = 0;
    omp_set_num_threads(threads);
#pragma omp parallel for schedule(static, 1) reduction(| : fail)
    for (int s = 0; s < shards; s++) {
        bb_ctx cs = {0};
        bb_nn_graph *g;
        if (bb_nn_graph_init(&g, 0, &cs) < 0) {
            fail = 1;
            continue;
        }
        bb_nn_tensor *xt = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){Bs, 3}, x + s * Bs * 3);
        bb_nn_tensor *yt = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){Bs, 2}, y + s * Bs * 2);
        bb_nn_tensor *l = bb_nn_scale(g, bb_nn_mse(g, bb_nn_mlp_fwd(g, &ps, &net, xt), yt), (double)Bs / B, 0.0);
        fail |= bb_nn_backward_to(g, l, &ps, buf + (size_t)s * ps.total) < 0;
        bb_nn_graph_free(g);
    }
    assert_int_equal(fail, 0);
    bb_nn_params_zero_grad(&ps);
    for (int s = 0; s < shards; s++) bb_nn_params_add_grad(&ps, buf + (size_t)s * ps.total);
    memcpy(out, ps.grad, sizeof(double) * ps.total);
    *n_out = ps.total;
    free(buf);
    bb_nn_params_free(&ps);
}

BB_TEST(test_sharded_backward_equals_whole_batch_and_is_thread_independent) {
    double whole[512], s1[512], s2[512];
    size_t n;
    shard_grad(1, 1, whole, &n);
    assert_true(n < 512);
    shard_grad(3, 1, s1, &n);
    shard_grad(3, 2, s2, &n);
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(s1[i] - whole[i]) / (1e-12 + fabs(whole[i])));
    printf("sharded (3 x 4 rows) vs whole-batch gradient: max rel diff %.3g (tol 1e-12)\n", worst);
    assert_true(worst < 1e-12);
    assert_memory_equal(s1, s2, sizeof(double) * n);
    bb_nn_graph *g = bb_test_graph(0);
    assert_int_equal(bb_nn_backward_to(g, bb_nn_zeros(g, BB_NN_F64, 1, (const int64_t[]){1}), NULL, NULL), BB_EINVAL);
    bb_nn_graph_free(g);
}

/* bb_nn_backward_grad: one sweep gives the parameter gradients of bb_nn_backward and the
 * input gradients of bb_nn_grad, bit for bit; an input the loss ignores gets zeros. */
BB_TEST(test_backward_grad_equals_backward_and_grad_in_one_sweep) {
    enum { B = 7 };
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_mlp net;
    bb_nn_params_init(&ps, BB_NN_F64);
    int sizes[3] = {3, 5, 2};
    assert_int_equal(bb_nn_mlp_init(&net, &ps, "net", 3, sizes, BB_NN_ACT_GELU, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 11, &c), BB_OK);
    double x[B * 3], want_p[64], want_x[B * 3], got_x[B * 3];
    assert_true(ps.total <= 64);
    for (int i = 0; i < B * 3; i++) x[i] = sin(2.385 * i + 0.3);
    bb_nn_graph *g = bb_test_graph(0);
    for (int pass = 0; pass < 2; pass++) {
        bb_nn_graph_reset(g);
        bb_nn_params_zero_grad(&ps);
        bb_nn_tensor *xt = bb_nn_input(g, BB_NN_F64, 2, (const int64_t[]){B, 3}, x);
        bb_nn_tensor *unused = bb_nn_input(g, BB_NN_F64, 2, (const int64_t[]){1, 2}, x);
        bb_nn_tensor *y = bb_nn_mlp_fwd(g, &ps, &net, xt);
        bb_nn_tensor *l = bb_nn_sum(g, bb_nn_mul(g, y, bb_nn_tanh(g, y)));
        bb_nn_tensor *xs[2] = {xt, unused}, *gx[2];
        if (pass == 0) {
            assert_int_equal(bb_nn_grad(g, l, NULL, 1, xs, gx, 0), BB_OK);
            bb_nn_to_double(gx[0], want_x);
            assert_int_equal(bb_nn_backward(g, l), BB_OK);
            memcpy(want_p, ps.grad, ps.total * sizeof(double));
        } else {
            assert_int_equal(bb_nn_backward_grad(g, l, 2, xs, gx), BB_OK);
            bb_nn_to_double(gx[0], got_x);
            assert_memory_equal(got_x, want_x, sizeof got_x);
            assert_memory_equal(ps.grad, want_p, ps.total * sizeof(double));
            assert_int_equal(gx[1]->n, 2);
            assert_true(bb_nn_get(gx[1], 0) == 0.0 && bb_nn_get(gx[1], 1) == 0.0);
        }
    }
    bb_nn_graph_free(g);
    bb_nn_params_free(&ps);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(test_adam_and_adamw_follow_the_torch_update),
                cmocka_unit_test(test_backward_grad_equals_backward_and_grad_in_one_sweep),
                cmocka_unit_test(test_clipping_schedule_and_ema_have_their_closed_forms),
                cmocka_unit_test(test_mlp_learns_a_tiny_regression),
                cmocka_unit_test(test_same_seed_gives_identical_parameters_on_1_and_2_threads),
                cmocka_unit_test(test_sharded_backward_equals_whole_batch_and_is_thread_independent))
