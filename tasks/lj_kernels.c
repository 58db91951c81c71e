/* lj_kernels.c — the Lennard-Jones cluster energy: a plain reference kernel and a
 * four-configurations-per-vector kernel (AVX2/FMA with a portable fallback).
 *
 * What it is: the O(P²) pair loop for Σ_{i<j} (A r⁻¹² − B r⁻⁶), plus the O(P)
 * confinements (harmonic tie, soft wall) and their gradient (see lj_kernels.h).
 * Vectorising across configurations (not across pairs) keeps every lane's arithmetic
 * identical whatever the batch composition: a batch of one is padded to four lanes
 * with copies of itself. Data are transposed (4×4 blocks) to X[P·3][lane] so each
 * pair is one vector operation over four configurations.
 *
 * What it is not: a neighbour-list or cutoff code (clusters are small and fully
 * connected), nor the kT scaling (tasks/lj.c).
 *
 * Derivation: with s = 1/r², e_ij = A s⁶ − B s³ and ∂e_ij/∂x_i = 2 (x_i − x_j) de/d(r²)
 * = (x_i − x_j) · s · (6B s³ − 12A s⁶) = (x_i − x_j) · s·s³ · (6B − 12A s³).
 * Harmonic: ∂/∂x_j ½HΣ‖x_i − x̄‖² = H (x_j − x̄) (the −(1/P)Σ_i(x_i − x̄) part is 0).
 * Wall: with v_i = x_i − x̄, r_i = ‖v_i‖, h_i = k max(r_i − R_c, 0) v_i / r_i,
 * ∂W/∂x_j = h_j − (1/P) Σ_i h_i.
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

/* The plain kernel on a strided layout: coordinate k (= 3p + d) of the configuration
 * is x[k·st] and its gradient g[k·st] (st = 1: the reference; st = 4: one lane). */
static int lj_plain(int P, const double *x, size_t st, const bb_lj_form *fm, double *e, double *g) {
    const double A = fm->A, B = fm->B;
    int flagged = 0;
    for (int k = 0; k < 3 * P; k++) g[k * st] = 0.0;
    double acc = 0.0;
    for (int i = 0; i < P; i++) {
        for (int j = i + 1; j < P; j++) {
            double dx = x[(3 * i) * st] - x[(3 * j) * st];
            double dy = x[(3 * i + 1) * st] - x[(3 * j + 1) * st];
            double dz = x[(3 * i + 2) * st] - x[(3 * j + 2) * st];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 == 0.0) {
                flagged = 1;
                r2 = 1.0;
            }
            double s = 1.0 / r2;
            double s3 = s * s * s;
            double s6 = s3 * s3;
            acc += A * s6 - B * s3;
            double f = s * (6.0 * B * s3 - 12.0 * A * s6);
            g[(3 * i) * st] += f * dx;
            g[(3 * i + 1) * st] += f * dy;
            g[(3 * i + 2) * st] += f * dz;
            g[(3 * j) * st] -= f * dx;
            g[(3 * j + 1) * st] -= f * dy;
            g[(3 * j + 2) * st] -= f * dz;
        }
    }
    if (fm->H != 0.0 || fm->wall_radius > 0.0) {
        double m[3] = {0.0, 0.0, 0.0}, h = 0.0, w = 0.0, hs[3] = {0.0, 0.0, 0.0};
        for (int p = 0; p < P; p++)
            for (int d = 0; d < 3; d++) m[d] += x[(3 * p + d) * st];
        for (int d = 0; d < 3; d++) m[d] /= P;
        for (int p = 0; p < P; p++) {
            double v[3], r2 = 0.0;
            for (int d = 0; d < 3; d++) {
                v[d] = x[(3 * p + d) * st] - m[d];
                r2 += v[d] * v[d];
            }
            if (fm->H != 0.0) {
                h += r2;
                for (int d = 0; d < 3; d++) g[(3 * p + d) * st] += fm->H * v[d];
            }
            double r = sqrt(r2);
            if (fm->wall_radius > 0.0 && r > fm->wall_radius) {
                double s = r - fm->wall_radius, q = fm->wall_k * s / r;
                w += s * s;
                for (int d = 0; d < 3; d++) {
                    g[(3 * p + d) * st] += q * v[d];
                    hs[d] += q * v[d];
                }
            }
        }
        for (int p = 0; p < P; p++)
            for (int d = 0; d < 3; d++) g[(3 * p + d) * st] -= hs[d] / P;
        acc += 0.5 * fm->H * h + 0.5 * fm->wall_k * w;
    }
    *e = acc;
    int finite = isfinite(acc);
    for (int k = 0; k < 3 * P; k++) finite &= isfinite(g[k * st]);
    return flagged || !finite;
}

int bb_lj_pairs_ref(int P, const double *x, const bb_lj_form *f, double *e, double *g) {
    return lj_plain(P, x, 1, f, e, g);
}

int bb_lj_pairs_x4_portable(int P, const double *const x[L], const bb_lj_form *f, double e[L], double *const g[L],
                            double *work) {
    double *X = work, *G = work + (size_t)P * 3 * L;
    for (int k = 0; k < 3 * P; k++)
        for (int l = 0; l < L; l++) X[k * L + l] = x[l][k];
    int mask = 0;
    for (int l = 0; l < L; l++)
        if (lj_plain(P, X + l, L, f, &e[l], G + l)) mask |= 1 << l;
    for (int l = 0; l < L; l++)
        for (int k = 0; k < 3 * P; k++) g[l][k] = G[k * L + l];
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

/* Confinements in four lanes (added to G and returned as energy). */
BB_AVX2 static __m256d lj_confine_avx2(int P, const bb_lj_form *fm, const double *X, double *G) {
    const __m256d zero = _mm256_setzero_pd(), vP = _mm256_set1_pd((double)P);
    const __m256d vH = _mm256_set1_pd(fm->H), vR = _mm256_set1_pd(fm->wall_radius), vk = _mm256_set1_pd(fm->wall_k);
    const __m256d vR2 = _mm256_set1_pd(fm->wall_radius * fm->wall_radius);
    const int wall = fm->wall_radius > 0.0;
    __m256d m0 = zero, m1 = zero, m2 = zero, h = zero, w = zero, hs0 = zero, hs1 = zero, hs2 = zero;
    for (int p = 0; p < P; p++) {
        m0 = _mm256_add_pd(m0, _mm256_loadu_pd(X + 12 * p));
        m1 = _mm256_add_pd(m1, _mm256_loadu_pd(X + 12 * p + 4));
        m2 = _mm256_add_pd(m2, _mm256_loadu_pd(X + 12 * p + 8));
    }
    m0 = _mm256_div_pd(m0, vP), m1 = _mm256_div_pd(m1, vP), m2 = _mm256_div_pd(m2, vP);
    for (int p = 0; p < P; p++) {
        double *gp = G + 12 * p;
        __m256d v0 = _mm256_sub_pd(_mm256_loadu_pd(X + 12 * p), m0);
        __m256d v1 = _mm256_sub_pd(_mm256_loadu_pd(X + 12 * p + 4), m1);
        __m256d v2 = _mm256_sub_pd(_mm256_loadu_pd(X + 12 * p + 8), m2);
        __m256d r2 = _mm256_fmadd_pd(v2, v2, _mm256_fmadd_pd(v1, v1, _mm256_mul_pd(v0, v0)));
        /* harmonic: coefficient H; wall: + k (r − R)/r where r > R (0/0 masked off) */
        __m256d q = vH;
        h = _mm256_add_pd(h, r2);
        /* The wall terms are exactly zero for lanes inside R_c (x + 0 = x), so skipping
         * them when every lane is inside changes no bit and saves a sqrt and a division. */
        if (wall && _mm256_movemask_pd(_mm256_cmp_pd(r2, vR2, _CMP_GT_OQ))) {
            __m256d r = _mm256_sqrt_pd(r2);
            __m256d s = _mm256_sub_pd(r, vR);
            /* gated by r² > R_c² too, so a lane's terms never depend on the other lanes */
            __m256d out = _mm256_and_pd(_mm256_cmp_pd(s, zero, _CMP_GT_OQ), _mm256_cmp_pd(r2, vR2, _CMP_GT_OQ));
            s = _mm256_and_pd(s, out);
            w = _mm256_fmadd_pd(s, s, w);
            __m256d qw = _mm256_and_pd(_mm256_div_pd(_mm256_mul_pd(vk, s), r), out);
            hs0 = _mm256_fmadd_pd(qw, v0, hs0);
            hs1 = _mm256_fmadd_pd(qw, v1, hs1);
            hs2 = _mm256_fmadd_pd(qw, v2, hs2);
            q = _mm256_add_pd(q, qw);
        }
        _mm256_storeu_pd(gp, _mm256_fmadd_pd(q, v0, _mm256_loadu_pd(gp)));
        _mm256_storeu_pd(gp + 4, _mm256_fmadd_pd(q, v1, _mm256_loadu_pd(gp + 4)));
        _mm256_storeu_pd(gp + 8, _mm256_fmadd_pd(q, v2, _mm256_loadu_pd(gp + 8)));
    }
    if (wall) {
        hs0 = _mm256_div_pd(hs0, vP), hs1 = _mm256_div_pd(hs1, vP), hs2 = _mm256_div_pd(hs2, vP);
        for (int p = 0; p < P; p++) {
            double *gp = G + 12 * p;
            _mm256_storeu_pd(gp, _mm256_sub_pd(_mm256_loadu_pd(gp), hs0));
            _mm256_storeu_pd(gp + 4, _mm256_sub_pd(_mm256_loadu_pd(gp + 4), hs1));
            _mm256_storeu_pd(gp + 8, _mm256_sub_pd(_mm256_loadu_pd(gp + 8), hs2));
        }
    }
    return _mm256_fmadd_pd(_mm256_set1_pd(0.5 * fm->H), h, _mm256_mul_pd(_mm256_set1_pd(0.5 * fm->wall_k), w));
}

/* One pair (rows i, j) in four lanes: returns the force factor f (∂e/∂(x_i − x_j) =
 * f·(x_i − x_j)) and accumulates the energy sums and the overlap probe. */
#define LJ_PAIR(dx, dy, dz, f)                                                                                         \
    do {                                                                                                               \
        __m256d r2_ = _mm256_fmadd_pd(dz, dz, _mm256_fmadd_pd(dy, dy, _mm256_mul_pd(dx, dx)));                         \
        r2min = _mm256_min_pd(r2min, r2_);                                                                             \
        __m256d s_ = _mm256_div_pd(one, r2_);                                                                          \
        __m256d s3_ = _mm256_mul_pd(_mm256_mul_pd(s_, s_), s_);                                                        \
        e3 = _mm256_add_pd(e3, s3_);                                                                                   \
        e6 = _mm256_fmadd_pd(s3_, s3_, e6);                                                                            \
        f = _mm256_mul_pd(_mm256_mul_pd(s_, s3_), _mm256_fnmadd_pd(vA12, s3_, vB6));                                   \
    } while (0)

/* All pairs in four lanes. Rows are taken two at a time (i, i+1): each particle j > i+1
 * is loaded once for both and its force updated once in G, halving the memory traffic
 * of the inner loop; row forces accumulate in registers. Coincident particles are
 * found from the smallest r² of each lane, non-finite results from a Σ G·0 probe. */
BB_AVX2 static int lj_lanes_avx2(int P, const bb_lj_form *fm, double e[L], const double *X, double *G) {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d zero = _mm256_setzero_pd();
    const __m256d vA12 = _mm256_set1_pd(12.0 * fm->A), vB6 = _mm256_set1_pd(6.0 * fm->B);
    __m256d e3 = zero, e6 = zero, r2min = _mm256_set1_pd(INFINITY);
    int i = 0;
    for (; i + 1 < P; i += 2) {
        const double *xa = X + (size_t)i * 12, *xb = xa + 12;
        const __m256d a0 = _mm256_loadu_pd(xa), a1 = _mm256_loadu_pd(xa + 4), a2 = _mm256_loadu_pd(xa + 8);
        const __m256d b0 = _mm256_loadu_pd(xb), b1 = _mm256_loadu_pd(xb + 4), b2 = _mm256_loadu_pd(xb + 8);
        __m256d ga0, ga1, ga2, gb0, gb1, gb2, f;
        { /* the pair (i, i+1) */
            __m256d dx = _mm256_sub_pd(a0, b0), dy = _mm256_sub_pd(a1, b1), dz = _mm256_sub_pd(a2, b2);
            LJ_PAIR(dx, dy, dz, f);
            ga0 = _mm256_mul_pd(f, dx), ga1 = _mm256_mul_pd(f, dy), ga2 = _mm256_mul_pd(f, dz);
            gb0 = _mm256_sub_pd(zero, ga0), gb1 = _mm256_sub_pd(zero, ga1), gb2 = _mm256_sub_pd(zero, ga2);
        }
        for (int j = i + 2; j < P; j++) {
            const double *xj = X + (size_t)j * 12;
            double *gj = G + (size_t)j * 12;
            const __m256d c0 = _mm256_loadu_pd(xj), c1 = _mm256_loadu_pd(xj + 4), c2 = _mm256_loadu_pd(xj + 8);
            __m256d dx = _mm256_sub_pd(a0, c0), dy = _mm256_sub_pd(a1, c1), dz = _mm256_sub_pd(a2, c2);
            LJ_PAIR(dx, dy, dz, f);
            ga0 = _mm256_fmadd_pd(f, dx, ga0), ga1 = _mm256_fmadd_pd(f, dy, ga1), ga2 = _mm256_fmadd_pd(f, dz, ga2);
            __m256d t0 = _mm256_mul_pd(f, dx), t1 = _mm256_mul_pd(f, dy), t2 = _mm256_mul_pd(f, dz);
            dx = _mm256_sub_pd(b0, c0), dy = _mm256_sub_pd(b1, c1), dz = _mm256_sub_pd(b2, c2);
            LJ_PAIR(dx, dy, dz, f);
            gb0 = _mm256_fmadd_pd(f, dx, gb0), gb1 = _mm256_fmadd_pd(f, dy, gb1), gb2 = _mm256_fmadd_pd(f, dz, gb2);
            t0 = _mm256_fmadd_pd(f, dx, t0), t1 = _mm256_fmadd_pd(f, dy, t1), t2 = _mm256_fmadd_pd(f, dz, t2);
            _mm256_storeu_pd(gj, _mm256_sub_pd(_mm256_loadu_pd(gj), t0));
            _mm256_storeu_pd(gj + 4, _mm256_sub_pd(_mm256_loadu_pd(gj + 4), t1));
            _mm256_storeu_pd(gj + 8, _mm256_sub_pd(_mm256_loadu_pd(gj + 8), t2));
        }
        double *ga = G + (size_t)i * 12, *gb = ga + 12;
        _mm256_storeu_pd(ga, _mm256_add_pd(_mm256_loadu_pd(ga), ga0));
        _mm256_storeu_pd(ga + 4, _mm256_add_pd(_mm256_loadu_pd(ga + 4), ga1));
        _mm256_storeu_pd(ga + 8, _mm256_add_pd(_mm256_loadu_pd(ga + 8), ga2));
        _mm256_storeu_pd(gb, _mm256_add_pd(_mm256_loadu_pd(gb), gb0));
        _mm256_storeu_pd(gb + 4, _mm256_add_pd(_mm256_loadu_pd(gb + 4), gb1));
        _mm256_storeu_pd(gb + 8, _mm256_add_pd(_mm256_loadu_pd(gb + 8), gb2));
    }
    /* An odd P leaves the last row, whose pairs were all taken by earlier rows. */
    __m256d ev = _mm256_fmsub_pd(_mm256_set1_pd(fm->A), e6, _mm256_mul_pd(_mm256_set1_pd(fm->B), e3));
    if (fm->H != 0.0 || fm->wall_radius > 0.0) ev = _mm256_add_pd(ev, lj_confine_avx2(P, fm, X, G));
    __m256d probe = _mm256_mul_pd(ev, zero); /* NaN in a lane iff something there is inf/NaN */
    for (int k = 0; k < 3 * P; k++) probe = _mm256_add_pd(probe, _mm256_mul_pd(_mm256_loadu_pd(G + 4 * k), zero));
    _mm256_storeu_pd(e, ev);
    return _mm256_movemask_pd(_mm256_cmp_pd(r2min, zero, _CMP_EQ_OQ)) |
           _mm256_movemask_pd(_mm256_cmp_pd(probe, probe, _CMP_UNORD_Q));
}

/* Transpose in (4×4 blocks, scalar tail), run the lanes, transpose out. */
BB_AVX2 static int lj_x4_avx2(int P, const double *const x[L], const bb_lj_form *fm, double e[L], double *const g[L],
                              double *work) {
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
    int mask = lj_lanes_avx2(P, fm, e, X, G);
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

int bb_lj_pairs_x4(int P, const double *const x[L], const bb_lj_form *f, double e[L], double *const g[L],
                   double *work) {
#if BB_LJ_X86
    if (bb_lj_simd_available()) return lj_x4_avx2(P, x, f, e, g, work);
#endif
    return bb_lj_pairs_x4_portable(P, x, f, e, g, work);
}
