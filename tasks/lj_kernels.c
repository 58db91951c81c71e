/* lj_kernels.c — the Lennard-Jones pair sum: a plain reference kernel and a
 * four-configurations-per-vector kernel (AVX2/FMA with a portable fallback).
 *
 * What it is: the O(P²) pair loop only, for one energy of the form
 * Σ_{i<j} (A r⁻¹² − B r⁻⁶) and its gradient (see lj_kernels.h for conventions).
 * Vectorising across configurations (not across pairs) keeps every lane's arithmetic
 * identical, whatever the batch composition: a batch of one is padded to four lanes
 * with copies of itself. Data are transposed to [P][3][lane] so each pair is one
 * vector operation over four configurations.
 *
 * What it is not: a neighbour-list or cutoff code (clusters are small and fully
 * connected), nor the confinement terms or the kT scaling (tasks/lj.c).
 *
 * Derivation: with s = 1/r², e_ij = A s⁶ − B s³ and ∂e_ij/∂x_i = 2 (x_i − x_j) de/d(r²)
 * = (x_i − x_j) · s · (6B s³ − 12A s⁶).
 */
#include "tasks/lj_kernels.h"

#include <math.h>
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BB_LJ_X86 1
#else
#define BB_LJ_X86 0
#endif

int bb_lj_pairs_ref(int P, const double *x, double A, double B, double *e, double *g) {
    for (int k = 0; k < 3 * P; k++) g[k] = 0.0;
    double acc = 0.0;
    for (int i = 0; i < P; i++) {
        for (int j = i + 1; j < P; j++) {
            double dx = x[3 * i] - x[3 * j];
            double dy = x[3 * i + 1] - x[3 * j + 1];
            double dz = x[3 * i + 2] - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 == 0.0) return 1;
            double s = 1.0 / r2;
            double s3 = s * s * s;
            double s6 = s3 * s3;
            acc += A * s6 - B * s3;
            double f = s * (6.0 * B * s3 - 12.0 * A * s6);
            g[3 * i] += f * dx;
            g[3 * i + 1] += f * dy;
            g[3 * i + 2] += f * dz;
            g[3 * j] -= f * dx;
            g[3 * j + 1] -= f * dy;
            g[3 * j + 2] -= f * dz;
        }
    }
    *e = acc;
    return 0;
}

/* Transpose four configurations into X[p][d][lane] and zero G the same shape. */
static void lj_load_lanes(int P, const double *const x[BB_LJ_LANES], double *X, double *G) {
    for (int p = 0; p < P; p++)
        for (int d = 0; d < 3; d++)
            for (int l = 0; l < BB_LJ_LANES; l++) {
                X[(p * 3 + d) * BB_LJ_LANES + l] = x[l][p * 3 + d];
                G[(p * 3 + d) * BB_LJ_LANES + l] = 0.0;
            }
}

static void lj_store_lanes(int P, const double *G, double *const g[BB_LJ_LANES]) {
    for (int l = 0; l < BB_LJ_LANES; l++)
        for (int p = 0; p < P; p++)
            for (int d = 0; d < 3; d++) g[l][p * 3 + d] = G[(p * 3 + d) * BB_LJ_LANES + l];
}

/* Portable lane kernel: the same operations as the reference, lane by lane, on the
 * transposed layout. Used where AVX2/FMA is missing. */
static int lj_lanes_portable(int P, double A, double B, double e[BB_LJ_LANES], double *X, double *G) {
    int mask = 0;
    for (int l = 0; l < BB_LJ_LANES; l++) {
        double acc = 0.0;
        for (int i = 0; i < P; i++) {
            const double *xi = X + (size_t)i * 3 * BB_LJ_LANES + l;
            double *gi = G + (size_t)i * 3 * BB_LJ_LANES + l;
            for (int j = i + 1; j < P; j++) {
                const double *xj = X + (size_t)j * 3 * BB_LJ_LANES + l;
                double *gj = G + (size_t)j * 3 * BB_LJ_LANES + l;
                double dx = xi[0] - xj[0];
                double dy = xi[BB_LJ_LANES] - xj[BB_LJ_LANES];
                double dz = xi[2 * BB_LJ_LANES] - xj[2 * BB_LJ_LANES];
                double r2 = dx * dx + dy * dy + dz * dz;
                if (r2 == 0.0) {
                    mask |= 1 << l;
                    r2 = 1.0;
                }
                double s = 1.0 / r2;
                double s3 = s * s * s;
                double s6 = s3 * s3;
                acc += A * s6 - B * s3;
                double f = s * (6.0 * B * s3 - 12.0 * A * s6);
                gi[0] += f * dx;
                gi[BB_LJ_LANES] += f * dy;
                gi[2 * BB_LJ_LANES] += f * dz;
                gj[0] -= f * dx;
                gj[BB_LJ_LANES] -= f * dy;
                gj[2 * BB_LJ_LANES] -= f * dz;
            }
        }
        e[l] = acc;
        int finite = isfinite(acc);
        for (int k = 0; k < 3 * P; k++) finite &= isfinite(G[(size_t)k * BB_LJ_LANES + l]);
        if (!finite) mask |= 1 << l;
    }
    return mask;
}

#if BB_LJ_X86
/* AVX2/FMA lane kernel: one __m256d = one pair in four configurations. The energy
 * sums and the row-i forces accumulate in registers; row-j forces go through G (L1).
 * Per pair: s = 1/r², s3 = s³, energy sums Σs³ and Σs⁶ (e = AΣs⁶ − BΣs³ at the end),
 * force factor f = s·s3·(6B − 12A s3). Coincident particles are found from the
 * smallest r² of each lane; non-finite gradients from a Σ G·0 probe at the end. */
__attribute__((target("avx2,fma"))) static int lj_pairs_x4_avx2(int P, double A, double B,
                                                               double e[BB_LJ_LANES], double *X,
                                                               double *G) {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d zero = _mm256_setzero_pd();
    const __m256d vA12 = _mm256_set1_pd(12.0 * A), vB6 = _mm256_set1_pd(6.0 * B);
    __m256d e3 = zero, e6 = zero, r2min = _mm256_set1_pd(INFINITY);
    for (int i = 0; i < P; i++) {
        const double *xi = X + (size_t)i * 12;
        const __m256d xi0 = _mm256_loadu_pd(xi), xi1 = _mm256_loadu_pd(xi + 4), xi2 = _mm256_loadu_pd(xi + 8);
        __m256d gi0 = zero, gi1 = zero, gi2 = zero;
        for (int j = i + 1; j < P; j++) {
            const double *xj = X + (size_t)j * 12;
            double *gj = G + (size_t)j * 12;
            __m256d dx = _mm256_sub_pd(xi0, _mm256_loadu_pd(xj));
            __m256d dy = _mm256_sub_pd(xi1, _mm256_loadu_pd(xj + 4));
            __m256d dz = _mm256_sub_pd(xi2, _mm256_loadu_pd(xj + 8));
            __m256d r2 = _mm256_fmadd_pd(dz, dz, _mm256_fmadd_pd(dy, dy, _mm256_mul_pd(dx, dx)));
            r2min = _mm256_min_pd(r2min, r2);
            __m256d s = _mm256_div_pd(one, r2);
            __m256d s3 = _mm256_mul_pd(_mm256_mul_pd(s, s), s);
            e3 = _mm256_add_pd(e3, s3);
            e6 = _mm256_fmadd_pd(s3, s3, e6);
            __m256d f = _mm256_mul_pd(_mm256_mul_pd(s, s3), _mm256_fnmadd_pd(vA12, s3, vB6));
            gi0 = _mm256_fmadd_pd(f, dx, gi0);
            gi1 = _mm256_fmadd_pd(f, dy, gi1);
            gi2 = _mm256_fmadd_pd(f, dz, gi2);
            _mm256_storeu_pd(gj, _mm256_fnmadd_pd(f, dx, _mm256_loadu_pd(gj)));
            _mm256_storeu_pd(gj + 4, _mm256_fnmadd_pd(f, dy, _mm256_loadu_pd(gj + 4)));
            _mm256_storeu_pd(gj + 8, _mm256_fnmadd_pd(f, dz, _mm256_loadu_pd(gj + 8)));
        }
        double *gi = G + (size_t)i * 12;
        _mm256_storeu_pd(gi, _mm256_add_pd(_mm256_loadu_pd(gi), gi0));
        _mm256_storeu_pd(gi + 4, _mm256_add_pd(_mm256_loadu_pd(gi + 4), gi1));
        _mm256_storeu_pd(gi + 8, _mm256_add_pd(_mm256_loadu_pd(gi + 8), gi2));
    }
    __m256d ev = _mm256_fmsub_pd(_mm256_set1_pd(A), e6, _mm256_mul_pd(_mm256_set1_pd(B), e3));
    __m256d probe = _mm256_mul_pd(ev, zero); /* NaN in a lane iff something there is inf/NaN */
    for (int k = 0; k < 3 * P; k++) probe = _mm256_add_pd(probe, _mm256_mul_pd(_mm256_loadu_pd(G + 4 * k), zero));
    _mm256_storeu_pd(e, ev);
    return _mm256_movemask_pd(_mm256_cmp_pd(r2min, zero, _CMP_EQ_OQ)) |
           _mm256_movemask_pd(_mm256_cmp_pd(probe, probe, _CMP_UNORD_Q));
}
#endif

int bb_lj_simd_available(void) {
#if BB_LJ_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int bb_lj_pairs_x4(int P, const double *const x[BB_LJ_LANES], double A, double B,
                   double e[BB_LJ_LANES], double *const g[BB_LJ_LANES], double *work) {
    double *X = work, *G = work + (size_t)P * 3 * BB_LJ_LANES;
    lj_load_lanes(P, x, X, G);
    int mask;
#if BB_LJ_X86
    if (bb_lj_simd_available())
        mask = lj_pairs_x4_avx2(P, A, B, e, X, G);
    else
#endif
        mask = lj_lanes_portable(P, A, B, e, X, G);
    lj_store_lanes(P, G, g);
    return mask;
}

int bb_lj_pairs_x4_portable(int P, const double *const x[BB_LJ_LANES], double A, double B,
                            double e[BB_LJ_LANES], double *const g[BB_LJ_LANES], double *work) {
    double *X = work, *G = work + (size_t)P * 3 * BB_LJ_LANES;
    lj_load_lanes(P, x, X, G);
    int mask = lj_lanes_portable(P, A, B, e, X, G);
    lj_store_lanes(P, G, g);
    return mask;
}
