/* vmath.h — branch-free natural log, exp and sin/cos that GCC can vectorise under `#pragma omp simd`.
 *
 * What it is: bb_vlog(x) for positive normal x and bb_vexp(x) for −708 ≤ x ≤ 0, both within
 * ~2 ulp of glibc (tests/core/test_vmath.c checks 1e-15 relative over their ranges), built
 * only from IEEE arithmetic and 64-bit integer bit operations (no table, no compare on doubles,
 * which -ftrapping-math would keep from if-conversion). log: x = 2^e·m, m ∈ [√½, √2), f =
 * (m−1)/(m+1), log m = 2 atanh f = 2f Σ f^{2k}/(2k+1) to k = 11 (|f| ≤ 0.1716), ln 2 split hi/lo.
 * exp: k = round(x/ln 2) by the 1.5·2^52 trick, r = x − k ln 2 (hi/lo), Taylor to degree 12
 * (|r| ≤ 0.347), scaled by 2^k built in the exponent bits. What it is not: a libm replacement —
 * no NaN/Inf/denormal/negative handling (callers guarantee the ranges) and no errno.
 */
#ifndef BB_VMATH_H
#define BB_VMATH_H

#include <stdint.h>
#include <string.h>

static inline double bb_bits2d(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t bb_d2bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* c[0]·x^(n−1) + … + c[n−1] by Horner's rule (a constant n: the loop unrolls). */
static inline double bb_vpoly(const double *c, int n, double x) {
    double p = c[0];
#pragma GCC unroll 16
    for (int i = 1; i < n; i++) p = p * x + c[i];
    return p;
}

#define BB_LN2_HI 6.93147180369123816490e-01
#define BB_LN2_LO 1.90821492927058770002e-10

/* log(x), x positive and normal. */
static inline double bb_vlog(double x) {
    uint64_t u = bb_d2bits(x);
    uint64_t mant = u & 0x000fffffffffffffULL, eb = u >> 52;
    /* big = 1 when 1.mant > √2 (integer add + shift, no compare): then use m/2 and exponent + 1 */
    uint64_t big = (mant + (0x0010000000000000ULL - 0x6a09e667f3bcdULL - 1)) >> 52;
    double m = bb_bits2d(mant | ((0x3ffULL - big) << 52));
    double e = bb_bits2d(0x4330000000000000ULL | (eb + big)) - 4503599627370496.0 - 1023.0;
    double f = (m - 1.0) / (m + 1.0), s = f * f;
    static const double c[12] = {1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
                                 1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3,  1.0};
    double p = bb_vpoly(c, 12, s);
    return e * BB_LN2_HI + (2.0 * f * p + e * BB_LN2_LO);
}

/* exp(x), −708 ≤ x ≤ 0 (the caller clamps). */
static inline double bb_vexp(double x) {
    double t = x * 1.4426950408889634 + 6755399441055744.0; /* 1.5·2^52: rounds x/ln 2 */
    uint64_t kb = bb_d2bits(t);                             /* low bits hold k (two's complement) */
    double k = t - 6755399441055744.0;
    double r = x - k * BB_LN2_HI - k * BB_LN2_LO;
    /* 1/k!, k = 12 … 0 */
    static const double c[13] = {1.0 / 479001600.0,
                                 1.0 / 39916800.0,
                                 1.0 / 3628800.0,
                                 1.0 / 362880.0,
                                 1.0 / 40320.0,
                                 1.0 / 5040.0,
                                 1.0 / 720.0,
                                 1.0 / 120.0,
                                 1.0 / 24.0,
                                 1.0 / 6.0,
                                 0.5,
                                 1.0,
                                 1.0};
    double p = bb_vpoly(c, 13, r);
    return p * bb_bits2d((kb + 1023) << 52);
}

/* sin(2πu) and cos(2πu) for 0 ≤ u ≤ 1 (the angle of Box–Muller). 4u = q + f with q = round(4u)
 * and f ∈ [−½, ½] exactly (4u is exact, and so is the difference), y = f·π/2 ∈ [−π/4, π/4];
 * Taylor series of sin y to y¹⁷ and cos y to y¹⁸ (first omitted terms < 1e-19), then the
 * quadrant q mod 4 swaps and negates them by bit masks (no compare on doubles). Within 1e-16
 * absolute of glibc's sin/cos of 2πu (test_vmath). */
static inline void bb_vsincos2pi(double u, double *s, double *c) {
    double t = 4.0 * u + 6755399441055744.0; /* 1.5·2^52: rounds 4u; low bits hold q */
    uint64_t qb = bb_d2bits(t);
    double y = (4.0 * u - (t - 6755399441055744.0)) * 1.5707963267948966192;
    double y2 = y * y;
    /* (−1)^k / (2k+1)!, k = 8 … 0 and (−1)^k / (2k)!, k = 9 … 0 */
    static const double cs[9] = {1.0 / 355687428096000.0,
                                 -1.0 / 1307674368000.0,
                                 1.0 / 6227020800.0,
                                 -1.0 / 39916800.0,
                                 1.0 / 362880.0,
                                 -1.0 / 5040.0,
                                 1.0 / 120.0,
                                 -1.0 / 6.0,
                                 1.0};
    static const double cc[10] = {-1.0 / 6402373705728000.0,
                                  1.0 / 20922789888000.0,
                                  -1.0 / 87178291200.0,
                                  1.0 / 479001600.0,
                                  -1.0 / 3628800.0,
                                  1.0 / 40320.0,
                                  -1.0 / 720.0,
                                  1.0 / 24.0,
                                  -0.5,
                                  1.0};
    uint64_t sb = bb_d2bits(y * bb_vpoly(cs, 9, y2)), cb = bb_d2bits(bb_vpoly(cc, 10, y2));
    uint64_t odd = 0 - (qb & 1); /* quadrants 1 and 3: sin and cos trade places */
    uint64_t sn = ((qb >> 1) & 1) << 63, cn = ((qb ^ (qb >> 1)) & 1) << 63;
    *s = bb_bits2d(((cb & odd) | (sb & ~odd)) ^ sn);
    *c = bb_bits2d(((sb & odd) | (cb & ~odd)) ^ cn);
}

#endif
