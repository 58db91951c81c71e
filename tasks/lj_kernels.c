/* lj_kernels.c — the Lennard-Jones cluster energy: a plain reference kernel and a
 * four-configurations-per-vector kernel (AVX2/FMA with a portable fallback).
 *
 * What it is: the O(P²) pair loop for Σ_{i<j} (A r⁻¹² − B r⁻⁶), plus the optional
 * harmonic tie ½H Σ_i ‖x_i − x̄‖² of the iDEM convention, and their gradient (see
 * lj_kernels.h). Vectorising across configurations (not across pairs) keeps every
 * lane's arithmetic identical whatever the batch composition: a batch of one is
 * padded to four lanes with copies of itself. Data are transposed (4×4 blocks) to
 * X[P·3][lane] so each pair is one vector operation over four configurations.
 *
 * What it is not: a neighbour-list or cutoff code (clusters are small and fully
 * connected), nor the soft wall of the physical tasks or the kT scaling (tasks/lj.c).
 *
 * Derivation: with s = 1/r², e_ij = A s⁶ − B s³ and ∂e_ij/∂x_i = 2 (x_i − x_j) de/d(r²)
 * = (x_i − x_j) · s · (6B s³ − 12A s⁶) = (x_i − x_j) · s·s³ · (6B − 12A s³).
 * The harmonic gradient is H (x_j − x̄) (the −1/P Σ_i (x_i − x̄) part vanishes).
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

#define L BB_LJ_LANES

int bb_lj_pairs_ref(int P, const double *x, double A, double B, double H, double *e, double *g) {
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
    if (H != 0.0) {
        double m[3] = {0.0, 0.0, 0.0}, h = 0.0;
        for (int p = 0; p < P; p++)
            for (int d = 0; d < 3; d++) m[d] += x[3 * p + d];
        for (int d = 0; d < 3; d++) m[d] /= P;
        for (int p = 0; p < P; p++)
            for (int d = 0; d < 3; d++) {
                double v = x[3 * p + d] - m[d];
                h += v * v;
                g[3 * p + d] += H * v;
            }
        acc += 0.5 * H * h;
    }
    *e = acc;
    return 0;
}

/* ---- portable lanes ---- */

/* Transpose four configurations into X[col][lane] (col = 3p + d) and zero G. */
static void lj_load_lanes(int P, const double *const x[L], double *X, double *G) {
    for (int k = 0; k < 3 * P; k++)
        for (int l = 0; l < L; l++) {
            X[k * L + l] = x[l][k];
            G[k * L + l] = 0.0;
        }
}

static void lj_store_lanes(int P, const double *G, double *const g[L]) {
    for (int l = 0; l < L; l++)
        for (int k = 0; k < 3 * P; k++) g[l][k] = G[k * L + l];
}

/* The reference's operations, lane by lane, on the transposed layout; a lane is
 * flagged on coincident particles or a non-finite result. */
static int lj_lanes_portable(int P, double A, double B, double H, double e[L], const double *X, double *G) {
    int mask = 0;
    for (int l = 0; l < L; l++) {
        double acc = 0.0;
        for (int i = 0; i < P; i++) {
            const double *xi = X + (size_t)i * 3 * L + l;
            double *gi = G + (size_t)i * 3 * L + l;
            for (int j = i + 1; j < P; j++) {
                const double *xj = X + (size_t)j * 3 * L + l;
                double *gj = G + (size_t)j * 3 * L + l;
                double dx = xi[0] - xj[0];
                double dy = xi[L] - xj[L];
                double dz = xi[2 * L] - xj[2 * L];
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
                gi[L] += f * dy;
                gi[2 * L] += f * dz;
                gj[0] -= f * dx;
                gj[L] -= f * dy;
                gj[2 * L] -= f * dz;
            }
        }
        if (H != 0.0) {
            double m[3] = {0.0, 0.0, 0.0}, h = 0.0;
            for (int p = 0; p < P; p++)
                for (int d = 0; d < 3; d++) m[d] += X[(3 * p + d) * L + l];
            for (int d = 0; d < 3; d++) m[d] /= P;
            for (int p = 0; p < P; p++)
                for (int d = 0; d < 3; d++) {
                    double v = X[(3 * p + d) * L + l] - m[d];
                    h += v * v;
                    G[(3 * p + d) * L + l] += H * v;
                }
            acc += 0.5 * H * h;
        }
        e[l] = acc;
        int finite = isfinite(acc);
        for (int k = 0; k < 3 * P; k++) finite &= isfinite(G[(size_t)k * L + l]);
        if (!finite) mask |= 1 << l;
    }
    return mask;
}

int bb_lj_pairs_x4_portable(int P, const double *const x[L], double A, double B, double H, double e[L],
                            double *const g[L], double *work) {
    double *X = work, *G = work + (size_t)P * 3 * L;
    lj_load_lanes(P, x, X, G);
    int mask = lj_lanes_portable(P, A, B, H, e, X, G);
    lj_store_lanes(P, G, g);
    return mask;
}

/* ---- AVX2/FMA lanes ---- */
#if BB_LJ_X86
#define BB_AVX2 __attribute__((target("avx2,fma")))

/* In-register 4×4 transpose of doubles: rows r[0..3] become columns. */
BB_AVX2 static inline void lj_t4(__m256d r[4]) {
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* One pair (rows i and j) in four lanes: accumulate energy sums, row-i force in
 * registers, row-j force into G. */
BB_AVX2 static int lj_lanes_avx2(int P, double A, double B, double H, double e[L], const double *X, double *G) {
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
    if (H != 0.0) {
        const __m256d vH = _mm256_set1_pd(H), vP = _mm256_set1_pd((double)P);
        __m256d m0 = zero, m1 = zero, m2 = zero, h0 = zero, h1 = zero, h2 = zero;
        for (int p = 0; p < P; p++) {
            m0 = _mm256_add_pd(m0, _mm256_loadu_pd(X + 12 * p));
            m1 = _mm256_add_pd(m1, _mm256_loadu_pd(X + 12 * p + 4));
            m2 = _mm256_add_pd(m2, _mm256_loadu_pd(X + 12 * p + 8));
        }
        m0 = _mm256_div_pd(m0, vP), m1 = _mm256_div_pd(m1, vP), m2 = _mm256_div_pd(m2, vP);
        for (int p = 0; p < P; p++) {
            __m256d v0 = _mm256_sub_pd(_mm256_loadu_pd(X + 12 * p), m0);
            __m256d v1 = _mm256_sub_pd(_mm256_loadu_pd(X + 12 * p + 4), m1);
            __m256d v2 = _mm256_sub_pd(_mm256_loadu_pd(X + 12 * p + 8), m2);
            h0 = _mm256_fmadd_pd(v0, v0, h0), h1 = _mm256_fmadd_pd(v1, v1, h1), h2 = _mm256_fmadd_pd(v2, v2, h2);
            _mm256_storeu_pd(G + 12 * p, _mm256_fmadd_pd(vH, v0, _mm256_loadu_pd(G + 12 * p)));
            _mm256_storeu_pd(G + 12 * p + 4, _mm256_fmadd_pd(vH, v1, _mm256_loadu_pd(G + 12 * p + 4)));
            _mm256_storeu_pd(G + 12 * p + 8, _mm256_fmadd_pd(vH, v2, _mm256_loadu_pd(G + 12 * p + 8)));
        }
        __m256d hs = _mm256_add_pd(_mm256_add_pd(h0, h1), h2);
        ev = _mm256_fmadd_pd(_mm256_set1_pd(0.5 * H), hs, ev);
    }
    __m256d probe = _mm256_mul_pd(ev, zero); /* NaN in a lane iff something there is inf/NaN */
    for (int k = 0; k < 3 * P; k++) probe = _mm256_add_pd(probe, _mm256_mul_pd(_mm256_loadu_pd(G + 4 * k), zero));
    _mm256_storeu_pd(e, ev);
    return _mm256_movemask_pd(_mm256_cmp_pd(r2min, zero, _CMP_EQ_OQ)) |
           _mm256_movemask_pd(_mm256_cmp_pd(probe, probe, _CMP_UNORD_Q));
}

/* Transpose in (4×4 blocks, scalar tail), run the lanes, transpose out. */
BB_AVX2 static int lj_x4_avx2(int P, const double *const x[L], double A, double B, double H, double e[L],
                              double *const g[L], double *work) {
    const int dof = 3 * P, d4 = dof & ~3;
    double *X = work, *G = work + (size_t)dof * L;
    for (int k = 0; k < d4; k += 4) {
        __m256d r[4] = {_mm256_loadu_pd(x[0] + k), _mm256_loadu_pd(x[1] + k), _mm256_loadu_pd(x[2] + k),
                        _mm256_loadu_pd(x[3] + k)};
        lj_t4(r);
        for (int c = 0; c < 4; c++) {
            _mm256_storeu_pd(X + (size_t)(k + c) * L, r[c]);
            _mm256_storeu_pd(G + (size_t)(k + c) * L, _mm256_setzero_pd());
        }
    }
    for (int k = d4; k < dof; k++) {
        _mm256_storeu_pd(X + (size_t)k * L, _mm256_set_pd(x[3][k], x[2][k], x[1][k], x[0][k]));
        _mm256_storeu_pd(G + (size_t)k * L, _mm256_setzero_pd());
    }
    int mask = lj_lanes_avx2(P, A, B, H, e, X, G);
    for (int k = 0; k < d4; k += 4) {
        __m256d r[4] = {_mm256_loadu_pd(G + (size_t)k * L), _mm256_loadu_pd(G + (size_t)(k + 1) * L),
                        _mm256_loadu_pd(G + (size_t)(k + 2) * L), _mm256_loadu_pd(G + (size_t)(k + 3) * L)};
        lj_t4(r);
        for (int l = 0; l < L; l++) _mm256_storeu_pd(g[l] + k, r[l]);
    }
    for (int k = d4; k < dof; k++)
        for (int l = 0; l < L; l++) g[l][k] = G[(size_t)k * L + l];
    return mask;
}
#endif

int bb_lj_simd_available(void) {
#if BB_LJ_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int bb_lj_pairs_x4(int P, const double *const x[L], double A, double B, double H, double e[L],
                   double *const g[L], double *work) {
#if BB_LJ_X86
    if (bb_lj_simd_available()) return lj_x4_avx2(P, x, A, B, H, e, g, work);
#endif
    return bb_lj_pairs_x4_portable(P, x, A, B, H, e, g, work);
}
