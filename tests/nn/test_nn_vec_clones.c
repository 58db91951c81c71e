/* test_nn_vec_clones.c — the CPU-specific clones of the vectorised float kernels
 * (methods/nn/vec.c: AVX-512F, AVX2, baseline x86-64) give identical bits, so results do
 * not depend on which one the loader picks. The kernels are compiled into this program
 * (same source, same flags) so that each clone can be called by its symbol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "methods/nn/vec.c"
#include "tests/testmain.h"

typedef void (*act_fn)(const float *, const float *, float *, int64_t, int);
extern void silu_512(const float *, const float *, float *, int64_t, int) __asm__("nn_vec_silu_f32.avx512f");
extern void silu_256(const float *, const float *, float *, int64_t, int) __asm__("nn_vec_silu_f32.avx2");
extern void silu_def(const float *, const float *, float *, int64_t, int) __asm__("nn_vec_silu_f32.default");
extern void gelu_512(const float *, const float *, float *, int64_t, int) __asm__("nn_vec_gelu_f32.avx512f");
extern void gelu_256(const float *, const float *, float *, int64_t, int) __asm__("nn_vec_gelu_f32.avx2");
extern void gelu_def(const float *, const float *, float *, int64_t, int) __asm__("nn_vec_gelu_f32.default");

typedef void (*keep_fn)(const float *, float *, float *, int64_t);
typedef void (*grad_fn)(const float *, const float *, const float *, float *, int64_t);
extern void keep_512(const float *, float *, float *, int64_t) __asm__("nn_vec_gelu_keep_f32.avx512f");
extern void keep_256(const float *, float *, float *, int64_t) __asm__("nn_vec_gelu_keep_f32.avx2");
extern void keep_def(const float *, float *, float *, int64_t) __asm__("nn_vec_gelu_keep_f32.default");
extern void grad_512(const float *, const float *, const float *, float *,
                     int64_t) __asm__("nn_vec_gelu_grad_f32.avx512f");
extern void grad_256(const float *, const float *, const float *, float *,
                     int64_t) __asm__("nn_vec_gelu_grad_f32.avx2");
extern void grad_def(const float *, const float *, const float *, float *,
                     int64_t) __asm__("nn_vec_gelu_grad_f32.default");

BB_TEST(test_kernel_clones_give_identical_bits) {
    if (!__builtin_cpu_supports("avx2")) {
        printf("skip: this CPU has no AVX2, only the baseline clone can run\n");
        skip();
        return;
    }
    const int has512 = __builtin_cpu_supports("avx512f");
    enum { N = 200003 };
    static float x[N], g[N], a[N], b[N], c[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)(-100.0 + 200.0 * i / (N - 1)) * (i % 3 ? 1.0f : 0.37f);
        g[i] = 0.5f + (float)(i % 5) * 0.3f;
    }
    act_fn fns[2][3] = {{silu_def, silu_256, silu_512}, {gelu_def, gelu_256, gelu_512}};
    int compared = 0;
    for (int f = 0; f < 2; f++)
        for (int order = 0; order < 2; order++)
            for (int withg = 0; withg < 2; withg++) {
                fns[f][0](withg ? g : NULL, x, a, N, order);
                fns[f][1](withg ? g : NULL, x, b, N, order);
                assert_memory_equal(a, b, sizeof a);
                compared++;
                if (has512) {
                    fns[f][2](withg ? g : NULL, x, c, N, order);
                    assert_memory_equal(a, c, sizeof a);
                    compared++;
                }
            }
    static float P[N], P2[N], y2[N];
    keep_fn kf[3] = {keep_def, keep_256, keep_512};
    grad_fn gf[3] = {grad_def, grad_256, grad_512};
    kf[0](x, a, P, N);
    gf[0](g, x, P, c, N);
    for (int k = 1; k < (has512 ? 3 : 2); k++) {
        kf[k](x, b, P2, N);
        assert_memory_equal(a, b, sizeof a);
        assert_memory_equal(P, P2, sizeof P);
        gf[k](g, x, P, y2, N);
        assert_memory_equal(c, y2, sizeof c);
        compared += 2;
    }
    /* and the kept-Phi path equals the plain kernels */
    fns[1][0](NULL, x, b, N, 0);
    assert_memory_equal(a, b, sizeof a);
    fns[1][0](g, x, b, N, 1);
    assert_memory_equal(c, b, sizeof c);
    printf("%d clone pairs of silu/gelu kernels (orders 0,1, with and without g, kept-Phi) agree bitwise%s\n", compared,
           has512 ? "" : " (no AVX-512F on this CPU)");
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(test_kernel_clones_give_identical_bits))
