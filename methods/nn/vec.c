/* vec.c — vectorised float32 kernels for the hot activation (SiLU and its derivative,
 * alone or multiplied by an incoming gradient), 10^7 elements per EGNN layer.
 *
 * expf is the Cephes single-precision routine (Cody-Waite reduction, degree-6
 * polynomial, max rel. error ~1.7e-7 in SiLU, i.e. ~1.5 ulp) written so GCC vectorises
 * it; each function is cloned for AVX2 and baseline x86-64 (target_clones, picked at
 * load time). No FMA contraction (-ffp-contract=off) and IEEE semantics throughout,
 * so both clones give identical bits. This file is compiled with -O3
 * -fno-trapping-math (methods/nn/CMakeLists.txt), which lets GCC if-convert the range
 * clamps; neither flag changes results. Not here: float64 paths (ops_elem.c, libm).
 */
#include <stdint.h>

#include "methods/nn/nn_internal.h"

static inline float vexpf(float x)
{
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
__attribute__((target_clones("avx2", "default"))) void
nn_vec_silu_f32(const float *restrict g, const float *restrict x, float *restrict y, int64_t n,
                int order)
{
    if (order == 0 && !g) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] / (1.0f + vexpf(-x[i]));
    } else if (order == 0) {
#pragma omp simd
        for (int64_t i = 0; i < n; i++)
            y[i] = g[i] * (x[i] / (1.0f + vexpf(-x[i])));
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
