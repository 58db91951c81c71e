/* test_nn_ops.c — every op's first and second derivatives match central finite
 * differences in float64 on odd shapes (7x1x5x3 and friends), plus forward values of
 * ops against closed forms. One PASS/FAIL line per op and order, with the largest
 * difference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cblas.h>

#include "methods/nn/nn.h"
#include "tests/nn/gradcheck.h"
#include "tests/nn/nntest.h"
#include "tests/testmain.h"

/* x0 op x1 with op = u: 0 add, 1 sub, 2 mul, 3 div (projection salt 1 + op) */
static bb_nn_tensor *f_binary(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    static bb_nn_tensor *(*const ops[4])(bb_nn_graph *, bb_nn_tensor *, bb_nn_tensor *) = {bb_nn_add, bb_nn_sub,
                                                                                           bb_nn_mul, bb_nn_div};
    int op = (int)(intptr_t)u;
    return gc_project(g, ops[op](g, x[0], x[1]), 1 + (uint64_t)op);
}
static bb_nn_tensor *f_scale(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_scale(g, x[0], -2.385, 0.7);
    return gc_project(g, bb_nn_mul(g, y, y), 5);
}
static bb_nn_tensor *f_unary(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    return gc_project(g, bb_nn_unary(g, x[0], (bb_nn_fn)(intptr_t)u, 0), 6);
}
static bb_nn_tensor *f_unary_d1(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    return gc_project(g, bb_nn_unary(g, x[0], (bb_nn_fn)(intptr_t)u, 1), 7);
}
static bb_nn_tensor *f_unary_mul(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    return gc_project(g, bb_nn_unary_mul(g, x[0], x[1], (bb_nn_fn)(intptr_t)u, 1), 21);
}
static bb_nn_tensor *f_mm(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    int f = (int)(intptr_t)u;
    return gc_project(g, bb_nn_matmul(g, x[0], x[1], f & 1, (f >> 1) & 1, NULL), 8);
}
static bb_nn_tensor *f_mm_bias(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_matmul(g, x[0], x[1], 0, 0, x[2]);
    return gc_project(g, bb_nn_mul(g, y, y), 9);
}
static bb_nn_tensor *f_sum_to(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    const int64_t *shp = u;
    bb_nn_tensor *y = bb_nn_sum_to(g, bb_nn_mul(g, x[0], x[0]), 4, shp);
    return gc_project(g, y, 10);
}
static bb_nn_tensor *f_bcast(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_broadcast_to(g, x[0], 4, (const int64_t[]){7, 1, 5, 3});
    return gc_project(g, bb_nn_mul(g, y, y), 11);
}
static bb_nn_tensor *f_perm(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_permute(g, x[0], (const int[]){2, 0, 3, 1});
    y = bb_nn_reshape(g, y, 2, (const int64_t[]){15, 7});
    return gc_project(g, bb_nn_mul(g, y, bb_nn_silu(g, y)), 12);
}
static bb_nn_tensor *f_cat(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_concat_cols(g, x[0], x[1]);                      /* [5, 7] */
    bb_nn_tensor *z = bb_nn_pad_cols(g, bb_nn_slice_cols(g, y, 1, 6), 2, 8); /* [5, 8] */
    return gc_project(g, bb_nn_mul(g, z, z), 13);
}
static bb_nn_index IX; /* 11 entries into 4 rows */
static bb_nn_index IY;
static bb_nn_tensor *f_gather(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_gather(g, x[0], &IX);
    return gc_project(g, bb_nn_mul(g, y, y), 14);
}
static bb_nn_tensor *f_scatter(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_scatter(g, x[0], &IX);
    return gc_project(g, bb_nn_mul(g, y, y), 15);
}
static bb_nn_tensor *f_pair(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *y = bb_nn_pair_add(g, x[0], x[1], &IX, &IY, x[2], x[3]);
    return gc_project(g, bb_nn_silu(g, y), 16);
}
static bb_nn_tensor *f_softmax(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    return gc_project(g, bb_nn_softmax_cols(g, x[0]), 17);
}
static bb_nn_tensor *f_lse(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    return gc_project(g, bb_nn_logsumexp_cols(g, x[0]), 18);
}
static bb_nn_tensor *f_mse(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    return bb_nn_mse(g, x[0], x[1]);
}
static bb_nn_tensor *f_mean_cols(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    bb_nn_tensor *m = bb_nn_mean_cols(g, x[0]);
    return gc_project(g, bb_nn_mul(g, m, m), 19);
}
static bb_nn_tensor *f_tembed(bb_nn_graph *g, bb_nn_tensor **x, void *u) {
    (void)u;
    return gc_project(g, bb_nn_time_embed_sin(g, x[0], 6, 100.0), 20);
}

BB_TEST(test_binary_ops_broadcast_and_match_finite_differences) {
    static const gc_row rows[4] = {
        {"add 7x1x5x3 + 5x1", f_binary, "7x1x5x3 5x1", 1e-3, 1e-8, 1e-7},
        {"sub 7x1x5x3 - 1x1x1x3", f_binary, "7x1x5x3 1x1x1x3", 1e-3, 1e-8, 1e-7},
        {"mul 5x1 * 7x1x5x3", f_binary, "5x1 7x1x5x3", 1e-3, 1e-8, 1e-7},
        {"div 7x1x5x3 / 1x1x5x3", f_binary, "7x1x5x3 1x1x5x3", 1e-3, 1e-8, 1e-7},
    };
    int fail = 0;
    for (int op = 0; op < 4; op++) {
        gc_case c = gc_case_of(rows[op]);
        c.ud = (void *)(intptr_t)op;
        if (op == 3) { /* denominators away from 0 */
            c.lo = 0.6;
            c.hi = 2.1;
        }
        fail |= gc_run(&c, 11 + (uint64_t)op);
    }
    fail |= gc_run_rows(&(gc_row){"scale", f_scale, "7x1x5x3", 1e-3, 1e-8, 1e-8}, 1, 3);
    assert_int_equal(fail, 0);
}

BB_TEST(test_unary_functions_and_their_derivatives_match_finite_differences) {
    int fail = 0;
    for (int fn = 0; fn < BB_NN_FN_COUNT; fn++) {
        for (int d = 0; d < 2; d++) {
            char name[64];
            snprintf(name, sizeof name, "%s%s 7x1x5x3", BB_NN_FN_NAME[fn], d ? "'" : "");
            gc_case c = gc_case_of((gc_row){name, d ? f_unary_d1 : f_unary, "7x1x5x3", 1e-3, 1e-7, 1e-6});
            c.ud = (void *)(intptr_t)fn;
            if (fn == BB_NN_FN_LOG || fn == BB_NN_FN_SQRT || fn == BB_NN_FN_RECIP) {
                c.lo = 0.7;
                c.hi = 2.3;
            }
            fail |= gc_run(&c, 100 + (uint64_t)fn);
        }
    }
    for (int fn = 0; fn < BB_NN_FN_COUNT; fn += 2) {
        char name[64];
        snprintf(name, sizeof name, "g * %s' 7x1x5x3", BB_NN_FN_NAME[fn]);
        gc_case c = gc_case_of((gc_row){name, f_unary_mul, "7x1x5x3 7x1x5x3", 1e-3, 1e-7, 1e-6});
        c.ud = (void *)(intptr_t)fn;
        c.lo = 0.6;
        c.hi = 2.2;
        fail |= gc_run(&c, 150 + (uint64_t)fn);
    }
    assert_int_equal(fail, 0);
}

BB_TEST(test_vectorised_float_silu_and_gelu_match_double_reference) {
    enum { N = 100003 };
    bb_nn_graph *g = bb_test_graph(0);
    static double x[N], gy[N];
    for (int i = 0; i < N; i++) {
        x[i] = -95.0 + 190.0 * i / (N - 1);
        gy[i] = 0.5 + (i % 7) * 0.25;
    }
    bb_nn_tensor *xf = bb_nn_from(g, BB_NN_F32, 1, (const int64_t[]){N}, x);
    bb_nn_tensor *gf = bb_nn_from(g, BB_NN_F32, 1, (const int64_t[]){N}, gy);
    bb_nn_tensor *out[4] = {bb_nn_unary(g, xf, BB_NN_FN_SILU, 0), bb_nn_unary(g, xf, BB_NN_FN_SILU, 1),
                            bb_nn_unary_mul(g, gf, xf, BB_NN_FN_SILU, 0), bb_nn_unary_mul(g, gf, xf, BB_NN_FN_SILU, 1)};
    double worst = 0, wg = 0;
    bb_nn_tensor *out_gelu1 = NULL;
    for (int k = 0; k < 4; k++) { /* GELU: x Phi(x), Phi + x phi */
        bb_nn_tensor *o =
            k < 2 ? bb_nn_unary(g, xf, BB_NN_FN_GELU, k) : bb_nn_unary_mul(g, gf, xf, BB_NN_FN_GELU, k - 2);
        if (k == 3) out_gelu1 = o;
        for (int i = 0; i < N; i++) {
            double xi = (double)(float)x[i], P = 0.5 * erfc(-xi / sqrt(2.0)), p = exp(-0.5 * xi * xi) / sqrt(2 * M_PI);
            double r = (k % 2 == 0) ? xi * P : P + xi * p, scale = (k % 2 == 0) ? fabs(xi) * P : P + fabs(xi) * p;
            if (k >= 2) {
                r *= gy[i];
                scale *= gy[i];
            }
            /* erf is accurate to 1.5e-7 absolute (as PyTorch's float GELU), so the
             * allowance has a |x| 1.5e-7 part besides float rounding of the terms */
            double allow = 1.5e-7 * (1.0 + fabs(xi)) * (k >= 2 ? gy[i] : 1.0) + 2e-6 * scale;
            wg = fmax(wg, fabs(bb_nn_get(o, i) - r) / allow);
        }
    }
    /* the backward of a float GELU uses the Phi kept by the forward: same bits as the
     * generic gy * gelu'(x) */
    bb_nn_tensor *xi = bb_nn_input(g, BB_NN_F32, 1, (const int64_t[]){N}, x), *gx;
    bb_nn_tensor *yv = bb_nn_sum(g, bb_nn_mul(g, bb_nn_gelu(g, xi), gf));
    assert_int_equal(bb_nn_grad(g, yv, NULL, 1, &xi, &gx, 0), BB_OK);
    assert_memory_equal(gx->data, out_gelu1->data, sizeof(float) * N);
    printf("float32 gelu/gelu' (vectorised A&S erf) max error / (1.5e-7 (1+|x|) + 2e-6 terms) "
           "over [-95, 95]: %.3g (must be <= 1)\n",
           wg);
    assert_true(wg <= 1.0);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < N; i++) {
            double xi = (double)(float)x[i], s = 1.0 / (1.0 + exp(-xi));
            double r = (k % 2 == 0) ? xi * s : s * (1.0 + xi * (1.0 - s));
            /* scale = size of the terms: the formula cancels near silu' = 0 */
            double scale = (k % 2 == 0) ? fabs(xi) * s : s * (1.0 + fabs(xi) * (1.0 - s));
            if (k >= 2) {
                r *= gy[i];
                scale *= gy[i];
            }
            double e = fabs(bb_nn_get(out[k], i) - r) / scale;
            if (scale > 1e-30 && e > worst) worst = e;
        }
    printf("float32 silu/silu' (vectorised expf) max error / term size over [-95, 95]: %.3g (tol 2e-6 = 16 float eps: "
           "a chain of ~6 rounded float ops)\n",
           worst);
    assert_true(worst < 2e-6);
    bb_nn_graph_free(g);
}

BB_TEST(test_matmul_in_all_transpose_cases_matches_finite_differences) {
    int fail = 0;
    for (int f = 0; f < 4; f++) {
        int ta = f & 1, tb = (f >> 1) & 1;
        char name[64], shapes[16];
        snprintf(name, sizeof name, "matmul %s%s 7x5 @ 5x3", ta ? "T" : "N", tb ? "T" : "N");
        snprintf(shapes, sizeof shapes, "%s %s", ta ? "5x7" : "7x5", tb ? "3x5" : "5x3");
        gc_case c = gc_case_of((gc_row){name, f_mm, shapes, 1e-3, 1e-9, 1e-8});
        c.ud = (void *)(intptr_t)f;
        fail |= gc_run(&c, 200 + (uint64_t)f);
    }
    static const gc_row rows[] = {
        {"matmul batched 2x7x5 @ 2x5x3", f_mm, "2x7x5 2x5x3", 1e-3, 1e-9, 1e-8}, /* f_mm with no user data: NN */
        {"matmul + bias (squared)", f_mm_bias, "7x5 5x3 1x3", 1e-3, 1e-8, 1e-7},
    };
    fail |= gc_run_rows(rows, 2, 210);
    assert_int_equal(fail, 0);
}

/* Products large enough to be cut into tiles (ops_matmul.c gemm_tiles): a tall one split
 * by rows, and a weight-gradient shape A^T B (few rows, long K) split by columns, with and
 * without a bias. Each equals a direct double-precision product (float32 inputs: within
 * 1e-4 relative of the row scale) and is bit-identical on 1 and 2 threads. */
BB_TEST(test_tiled_products_match_a_direct_product_on_any_thread_count) {
    static const struct {
        int64_t M, N, K;
        int ta, bias;
    } cs[] = {{4096, 128, 64, 0, 1}, {128, 128, 6144, 1, 0}, {96, 200, 4000, 0, 1}};
    for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        const int64_t M = cs[k].M, N = cs[k].N, K = cs[k].K;
        double *A = malloc(sizeof(double) * (size_t)(M * K)), *B = malloc(sizeof(double) * (size_t)(K * N));
        double *bias = malloc(sizeof(double) * (size_t)N);
        assert_non_null(A);
        assert_non_null(B);
        assert_non_null(bias);
        for (int64_t i = 0; i < M * K; i++) A[i] = sin(0.37 * (double)i) * 0.5;
        for (int64_t i = 0; i < K * N; i++) B[i] = cos(0.11 * (double)i + 0.3) * 0.5;
        for (int64_t j = 0; j < N; j++) bias[j] = 0.01 * (double)j;
        float *out[2] = {NULL, NULL};
        for (int nt = 1; nt <= 2; nt++) {
            bb_nn_graph *g = bb_test_graph(0);
            bb_nn_graph_set_threads(g, nt);
            /* A is stored [K,M] when transposed: the same numbers, read as A^T */
            bb_nn_tensor *a =
                bb_nn_from(g, BB_NN_F32, 2, cs[k].ta ? (const int64_t[]){K, M} : (const int64_t[]){M, K}, A);
            bb_nn_tensor *b = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){K, N}, B);
            bb_nn_tensor *bt = cs[k].bias ? bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){1, N}, bias) : NULL;
            bb_nn_tensor *c = bb_nn_matmul(g, a, b, cs[k].ta, 0, bt);
            assert_non_null(c);
            out[nt - 1] = malloc(sizeof(float) * (size_t)(M * N));
            assert_non_null(out[nt - 1]);
            memcpy(out[nt - 1], c->data, sizeof(float) * (size_t)(M * N));
            bb_nn_graph_free(g);
        }
        assert_memory_equal(out[0], out[1], sizeof(float) * (size_t)(M * N));
        for (int64_t i = 0; i < M; i += 7)
            for (int64_t j = 0; j < N; j += 5) {
                double ref = cs[k].bias ? bias[j] : 0.0, scale = 0.0;
                for (int64_t q = 0; q < K; q++) {
                    const double av = cs[k].ta ? A[q * M + i] : A[i * K + q];
                    ref += (double)(float)av * (double)(float)B[q * N + j];
                    scale += fabs(av * B[q * N + j]);
                }
                assert_true(fabs((double)out[0][i * N + j] - ref) <= 1e-4 * (scale + 1.0));
            }
        BB_FREE_ALL(A, B, bias, out[0], out[1]);
    }
}

BB_TEST(test_reductions_and_data_movement_match_finite_differences) {
    int fail = 0;
    static const int64_t targets[4][4] = {{1, 1, 1, 1}, {1, 1, 1, 3}, {7, 1, 5, 1}, {7, 1, 1, 3}};
    const char *names[4] = {"sum_to 7x1x5x3 -> 1", "sum_to -> 1x1x1x3 (rows)", "sum_to -> 7x1x5x1 (cols)",
                            "sum_to -> 7x1x1x3 (general)"};
    for (int k = 0; k < 4; k++) {
        gc_case c = gc_case_of((gc_row){names[k], f_sum_to, "7x1x5x3", 1e-3, 1e-8, 1e-8});
        c.ud = (void *)targets[k];
        fail |= gc_run(&c, 300 + (uint64_t)k);
    }
    static const gc_row rows[] = {
        {"broadcast_to 1x1x5x1 -> 7x1x5x3", f_bcast, "1x1x5x1", 1e-3, 1e-8, 1e-8},
        {"permute+reshape 7x1x5x3", f_perm, "7x1x5x3", 1e-3, 1e-8, 1e-7},
        {"concat/slice/pad 5x3|5x4", f_cat, "5x3 5x4", 1e-3, 1e-8, 1e-8},
        {"gather 4x3 -> 11x3", f_gather, "4x3", 1e-3, 1e-8, 1e-8},
        {"scatter 11x3 -> 4x3", f_scatter, "11x3", 1e-3, 1e-8, 1e-8},
        {"pair_add (A,B,d,w)", f_pair, "4x3 4x3 11x1 1x3", 1e-3, 1e-8, 1e-7},
        {"softmax 5x7", f_softmax, "5x7", 1e-3, 1e-8, 1e-7},
        {"logsumexp 5x7", f_lse, "5x7", 1e-3, 1e-8, 1e-7},
        {"mse 7x1x5x3", f_mse, "7x1x5x3 7x1x5x3", 1e-3, 1e-9, 1e-9},
        {"mean_cols 7x1x5x3", f_mean_cols, "7x1x5x3", 1e-3, 1e-9, 1e-9},
        {"time_embed_sin 5x1 -> 5x6", f_tembed, "5x1", 1e-4, 1e-7, 1e-6},
    };
    fail |= gc_run_rows(rows, sizeof rows / sizeof rows[0], 320);
    assert_int_equal(fail, 0);
}

BB_TEST(test_forward_values_match_closed_forms) {
    bb_nn_graph *g = bb_test_graph(0);
    bb_ctx c = {0};
    for (int dt = 0; dt < 2; dt++) {
        double xa[6] = {0.5, -1.25, 2.0, 3.5, -0.75, 1.5};
        bb_nn_tensor *a = bb_nn_from(g, (bb_nn_dtype)dt, 2, (const int64_t[]){2, 3}, xa);
        bb_nn_tensor *b = bb_nn_from(g, (bb_nn_dtype)dt, 2, (const int64_t[]){3, 2}, xa);
        bb_nn_tensor *m =
            bb_nn_matmul(g, a, b, 0, 0, NULL); /* [[0.5,-1.25,2],[3.5,-.75,1.5]] @ [[.5,-1.25],[2,3.5],[-.75,1.5]] */
        assert_non_null(m);
        double tol = dt ? 1e-15 : 1e-6;
        assert_true(fabs(bb_nn_get(m, 0) - (0.25 - 2.5 - 1.5)) < tol);
        assert_true(fabs(bb_nn_get(m, 3) - (-4.375 - 2.625 + 2.25)) < tol);
        bb_nn_tensor *s = bb_nn_silu(g, a);
        assert_true(fabs(bb_nn_get(s, 1) - (-1.25 / (1.0 + exp(1.25)))) < tol);
        bb_nn_tensor *ge = bb_nn_gelu(g, a);
        assert_true(fabs(bb_nn_get(ge, 2) - 2.0 * 0.5 * (1.0 + erf(2.0 / sqrt(2.0)))) < tol);
        bb_nn_tensor *sm = bb_nn_softmax_cols(g, a);
        double z = exp(0.5) + exp(-1.25) + exp(2.0);
        assert_true(fabs(bb_nn_get(sm, 0) - exp(0.5) / z) < tol);
        bb_nn_tensor *st = bb_nn_sum(g, a);
        assert_true(fabs(bb_nn_get(st, 0) - 5.5) < tol);
    }
    /* errors: shape mismatch is recorded with a message naming the op */
    bb_nn_tensor *a = bb_nn_zeros(g, BB_NN_F64, 2, (const int64_t[]){2, 3});
    bb_nn_tensor *b = bb_nn_zeros(g, BB_NN_F64, 2, (const int64_t[]){4, 3});
    assert_null(bb_nn_add(g, a, b));
    assert_int_equal(bb_nn_graph_status(g, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "nn add"));
    assert_null(bb_nn_mul(g, a, a)); /* after an error every op returns NULL */
    bb_nn_graph_reset(g);
    assert_int_equal(bb_nn_graph_status(g, NULL), BB_OK);
    assert_null(bb_nn_unary(g, a = bb_nn_zeros(g, BB_NN_F64, 1, (const int64_t[]){3}), BB_NN_FN_EXP, 4));
    assert_int_equal(bb_nn_graph_status(g, &c), BB_EUNSUPPORTED);
    bb_nn_graph_free(g);
    bb_nn_graph_free(NULL);
}

BB_TEST(test_arena_does_not_malloc_in_steady_state) {
    bb_nn_graph *g = bb_test_graph(4096);
    int64_t after_first = 0;
    for (int step = 0; step < 5; step++) {
        bb_nn_graph_reset(g);
        bb_nn_tensor *x =
            bb_nn_input(g, BB_NN_F64, 2, (const int64_t[]){64, 33}, NULL == g ? NULL : (double[64 * 33]){0});
        bb_nn_tensor *y = bb_nn_sum(g, bb_nn_silu(g, bb_nn_matmul(g, x, x, 1, 0, NULL)));
        bb_nn_tensor *gx;
        assert_int_equal(bb_nn_grad(g, y, NULL, 1, &x, &gx, 1), BB_OK);
        if (step == 1) after_first = bb_nn_graph_mallocs(g);
    }
    assert_true(after_first > 0);
    assert_int_equal(bb_nn_graph_mallocs(g), after_first);
    assert_true(bb_nn_graph_bytes_peak(g) >= bb_nn_graph_bytes_used(g));
    bb_nn_graph_free(g);
}

BB_TEST(test_grad_mode_detach_seed_and_accessors_behave_as_documented) {
    bb_nn_graph *g = bb_test_graph(0);
    bb_ctx c = {0};
    assert_int_equal(bb_nn_dtype_size(BB_NN_F32), 4);
    assert_int_equal(bb_nn_dtype_size(BB_NN_F64), 8);
    double xv[6] = {0.5, -1.25, 2.385, 0.75, -0.3, 1.1};
    bb_nn_tensor *x = bb_nn_input(g, BB_NN_F64, 3, (const int64_t[]){1, 2, 3}, xv);
    assert_int_equal(bb_nn_rows(x), 2);
    assert_int_equal(bb_nn_cols(x), 3);
    int len0 = bb_nn_graph_tape_len(g);
    assert_int_equal(len0, 1); /* the input leaf */
    /* grad mode off: nothing is recorded, results are constants */
    assert_int_equal(bb_nn_graph_set_grad(g, 0), 1);
    bb_nn_tensor *y0 = bb_nn_mul(g, x, x);
    assert_int_equal(bb_nn_graph_tape_len(g), len0);
    assert_int_equal(y0->requires_grad, 0);
    assert_int_equal(bb_nn_graph_set_grad(g, 1), 0);
    /* detach: y = x * detach(x) has gradient detach(x) = x (not 2x) */
    bb_nn_tensor *y = bb_nn_sum(g, bb_nn_mul(g, x, bb_nn_detach(g, x))), *gx;
    assert_int_equal(bb_nn_grad(g, y, NULL, 1, &x, &gx, 0), BB_OK);
    for (int i = 0; i < 6; i++) assert_true(bb_nn_get(gx, i) == xv[i]);
    /* vector-Jacobian product with a seed: d/dx sum(seed * x^2) = 2 seed x */
    bb_nn_tensor *sq = bb_nn_mul(g, x, x);
    bb_nn_tensor *seed = bb_nn_full(g, BB_NN_F64, 3, (const int64_t[]){1, 2, 3}, -0.5);
    assert_int_equal(bb_nn_grad(g, sq, seed, 1, &x, &gx, 0), BB_OK);
    for (int i = 0; i < 6; i++) assert_true(bb_nn_get(gx, i) == -xv[i]);
    /* a non-scalar y without a seed is refused */
    assert_int_equal(bb_nn_grad(g, sq, NULL, 1, &x, &gx, 0), BB_EINVAL);
    assert_int_equal(bb_nn_graph_status(g, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "seed"));
    bb_nn_graph_reset(g);
    /* y independent of x: zero gradient */
    x = bb_nn_input(g, BB_NN_F64, 1, (const int64_t[]){3}, xv);
    bb_nn_tensor *k = bb_nn_sum(g, bb_nn_full(g, BB_NN_F64, 1, (const int64_t[]){3}, 2.0));
    assert_int_equal(bb_nn_grad(g, k, NULL, 1, &x, &gx, 0), BB_OK);
    for (int i = 0; i < 3; i++) assert_true(bb_nn_get(gx, i) == 0.0);
    bb_nn_graph_free(g);
    /* params_find */
    bb_nn_params ps;
    bb_nn_params_init(&ps, BB_NN_F32);
    assert_int_equal(bb_nn_params_add(&ps, "a.weight", 2, (const int64_t[]){2, 3}, BB_NN_INIT_ZEROS, 0, &c), 0);
    assert_int_equal(bb_nn_params_add(&ps, "a.bias", 1, (const int64_t[]){3}, BB_NN_INIT_ZEROS, 0, &c), 1);
    assert_int_equal(bb_nn_params_add(&ps, "a.bias", 1, (const int64_t[]){3}, BB_NN_INIT_ZEROS, 0, &c), BB_EINVAL);
    assert_int_equal(bb_nn_params_find(&ps, "a.bias"), 1);
    assert_int_equal(bb_nn_params_find(&ps, "b"), -1);
    bb_nn_params_free(&ps);
}

/* Exact divergence of a linear map through D vector-Jacobian products (the Hutchinson
 * building block): sum_i e_i^T J e_i = trace(W). */
BB_TEST(test_vjp_divergence_of_a_linear_map_is_its_trace) {
    enum { D = 5, B = 3 };
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_linear lin;
    bb_nn_params_init(&ps, BB_NN_F64);
    assert_int_equal(bb_nn_linear_init(&lin, &ps, "lin", D, D, 1, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 9, &c), BB_OK);
    double W[D * D], tr = 0, xv[B * D];
    bb_nn_params_get(&ps, lin.w, W);
    for (int i = 0; i < D; i++) tr += W[i * D + i];
    for (int i = 0; i < B * D; i++) xv[i] = sin(1.3 * i);
    bb_nn_graph *g = bb_test_graph(0);
    bb_nn_tensor *x = bb_nn_input(g, BB_NN_F64, 2, (const int64_t[]){B, D}, xv);
    bb_nn_tensor *y = bb_nn_linear_fwd(g, &ps, &lin, x);
    double div[B] = {0};
    for (int i = 0; i < D; i++) {
        double e[B * D] = {0};
        for (int b = 0; b < B; b++) e[b * D + i] = 1.0;
        bb_nn_tensor *gx, *seed = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){B, D}, e);
        assert_int_equal(bb_nn_grad(g, y, seed, 1, &x, &gx, 0), BB_OK);
        for (int b = 0; b < B; b++) div[b] += bb_nn_get(gx, b * D + i);
    }
    for (int b = 0; b < B; b++) assert_true(fabs(div[b] - tr) < 1e-14);
    bb_nn_graph_free(g);
    bb_nn_params_free(&ps);
}

BB_TEST(test_index_rejects_out_of_range_entries) {
    bb_ctx c = {0};
    bb_nn_index ix;
    int32_t bad[3] = {0, 4, 1};
    assert_int_equal(bb_nn_index_init(&ix, 3, 4, bad, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "nn index"));
    bb_nn_index_free(&ix);
    bb_nn_index_free(NULL);
}

int main(void) {
    openblas_set_num_threads(1); /* the nn core parallelises its products itself (methods/nn/tensor.c) */
    bb_ctx c = {0};
    int32_t ix[11] = {0, 3, 1, 1, 2, 0, 3, 3, 2, 1, 0}, iy[11] = {2, 2, 0, 3, 1, 1, 0, 2, 3, 0, 1};
    if (bb_nn_index_init(&IX, 11, 4, ix, &c) < 0 || bb_nn_index_init(&IY, 11, 4, iy, &c) < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_ops_broadcast_and_match_finite_differences),
        cmocka_unit_test(test_unary_functions_and_their_derivatives_match_finite_differences),
        cmocka_unit_test(test_vectorised_float_silu_and_gelu_match_double_reference),
        cmocka_unit_test(test_matmul_in_all_transpose_cases_matches_finite_differences),
        cmocka_unit_test(test_tiled_products_match_a_direct_product_on_any_thread_count),
        cmocka_unit_test(test_reductions_and_data_movement_match_finite_differences),
        cmocka_unit_test(test_forward_values_match_closed_forms),
        cmocka_unit_test(test_arena_does_not_malloc_in_steady_state),
        cmocka_unit_test(test_index_rejects_out_of_range_entries),
        cmocka_unit_test(test_grad_mode_detach_seed_and_accessors_behave_as_documented),
        cmocka_unit_test(test_vjp_divergence_of_a_linear_map_is_its_trace),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bb_nn_index_free(&IX);
    bb_nn_index_free(&IY);
    return rc;
}
