/* vec.c — vectorised float32 kernels for the hot activations: SiLU (EGNN, 10^7 elements
 * per layer) and exact GELU (PIS Fourier MLP), and their first derivatives, alone or
 * multiplied by an incoming gradient.
 *
 * expf is the Cephes single-precision routine (Cody-Waite reduction, degree-6
 * polynomial, max rel. error ~1.7e-7 in SiLU, i.e. ~1.5 ulp) written so GCC vectorises
 * it; erf in GELU is Abramowitz & Stegun 7.1.26 (absolute error 1.5e-7, as PyTorch).
 * Each function is cloned for AVX-512F, AVX2 and baseline x86-64 (target_clones, picked
 * at load time). No FMA contraction (-ffp-contract=off) and IEEE semantics throughout,
 * so all clones give identical bits (tests/nn/test_nn_vec_clones). This file is
 * compiled with -O3 -fno-trapping-math (methods/nn/CMakeLists.txt), which lets GCC
 * if-convert the range clamps; neither flag changes results. Not here: float64 paths
 * (ops_elem.c, libm).
 */
#include <stdint.h>

#include "methods/nn/nn_internal.h"

static inline float vexpf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float t = x * 1.44269504088896341f;
    const float fn = (t + 12582912.0f) - 12582912.0f; /* round to nearest, |t| < 2^22 */
    float r = x - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    const float y = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } u;
    u.i = ((int32_t)fn + 127) << 23;
    return y * u.f;
}

/* y = silu^(order)(x) (order 0 or 1), optionally times g (g may be NULL). */
__attribute__((target_clones("avx512f", "avx2", "default"))) void
nn_vec_silu_f32(const float *restrict g, const float *restrict x, float *restrict y, int64_t n, int order) {
    if (order == 0 && !g) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + vexpf(-x[i]));
    } else if (order == 0) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) y[i] = g[i] * (x[i] / (1.0f + vexpf(-x[i])));
    } else if (!g) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            const float s = 1.0f / (1.0f + vexpf(-x[i]));
            y[i] = s * (1.0f + x[i] * (1.0f - s));
        }
    } else {
#pragma omp simd
        for (int64_t i = 0; i < n; i++) {
            const float s = 1.0f / (1.0f + vexpf(-x[i]));
            y[i] = g[i] * (s * (1.0f + x[i] * (1.0f - s)));
        }
    }
}

/* Phi(x) (standard normal cdf) and phi(x) (its density), float. erf is Abramowitz &
 * Stegun 7.1.26 (|error| <= 1.5e-7 absolute, the accuracy of PyTorch's vectorised float
 * erf): erf(z) = 1 - t (a1 + t (a2 + ... a5)) exp(-z^2), t = 1 / (1 + p z), z = |x|/sqrt 2,
 * and exp(-z^2) = exp(-x^2/2) also gives phi: one exp and one division per element. */
static inline void vphi(float x0, float *P, float *p) {
    /* beyond |x| = 12 Phi is 0 or 1 and phi 0 to float precision; clamping first keeps
     * every intermediate normal (denormals cost ~100 cycles; PIS inputs reach |x| ~ 40) */
    const int big = x0 > 12.0f || x0 < -12.0f;
    const float x = x0 > 12.0f ? 12.0f : (x0 < -12.0f ? -12.0f : x0);
    const float z = (x < 0.0f ? -x : x) * 0.70710678118654752f;
    const float t = 1.0f / (1.0f + 0.3275911f * z);
    float q = 1.061405429f;
    q = q * t - 1.453152027f;
    q = q * t + 1.421413741f;
    q = q * t - 0.284496736f;
    q = q * t + 0.254829592f;
    const float e2 = vexpf(-0.5f * x * x); /* exp(-z^2) = exp(-x^2/2) */
    const float half_erfc = 0.5f * (q * t) * e2;
    const float Pv = x < 0.0f ? half_erfc : 1.0f - half_erfc;
    *P = big ? (x < 0.0f ? 0.0f : 1.0f) : Pv;
    *p = big ? 0.0f : 0.39894228040143268f * e2;
}

/* y = gelu^(order)(x) (order 0: x Phi(x); 1: Phi(x) + x phi(x)), optionally times g.
 * One loop per case: a NULL test inside the loop defeats the vectoriser. */
__attribute__((target_clones("avx512f", "avx2", "default"))) void
nn_vec_gelu_f32(const float *restrict g, const float *restrict x, float *restrict y, int64_t n, int order) {
    float P, p;
    if (order == 0 && !g) {
#pragma omp simd private(P, p)
        for (int64_t i = 0; i < n; i++) {
            vphi(x[i], &P, &p);
            y[i] = x[i] * P;
        }
    } else if (order == 0) {
#pragma omp simd private(P, p)
        for (int64_t i = 0; i < n; i++) {
            vphi(x[i], &P, &p);
            y[i] = g[i] * (x[i] * P);
        }
    } else if (!g) {
#pragma omp simd private(P, p)
        for (int64_t i = 0; i < n; i++) {
            vphi(x[i], &P, &p);
            y[i] = P + x[i] * p;
        }
    } else {
#pragma omp simd private(P, p)
        for (int64_t i = 0; i < n; i++) {
            vphi(x[i], &P, &p);
            y[i] = g[i] * (P + x[i] * p);
        }
    }
}

/* Forward GELU that also keeps Phi(x) for the backward: y = x Phi(x), P = Phi(x). */
__attribute__((target_clones("avx512f", "avx2", "default"))) void
nn_vec_gelu_keep_f32(const float *restrict x, float *restrict y, float *restrict P, int64_t n) {
    float Pi, p;
#pragma omp simd private(Pi, p)
    for (int64_t i = 0; i < n; i++) {
        vphi(x[i], &Pi, &p);
        y[i] = x[i] * Pi;
        P[i] = Pi;
    }
}

/* Backward of GELU from the kept Phi: y = g (P + x phi(x)), phi(x) = exp(-x^2/2)/sqrt(2 pi);
 * one exp, no division. Same clamping as vphi. */
__attribute__((target_clones("avx512f", "avx2", "default"))) void nn_vec_gelu_grad_f32(const float *restrict g,
                                                                                       const float *restrict x,
                                                                                       const float *restrict P,
                                                                                       float *restrict y, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        const float xi = x[i];
        const int big = xi > 12.0f || xi < -12.0f;
        const float xc = big ? 0.0f : xi;
        const float p = 0.39894228040143268f * vexpf(-0.5f * xc * xc);
        y[i] = g[i] * (big ? P[i] : P[i] + xi * p);
    }
}
