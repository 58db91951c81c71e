/* test_rng.c — Philox4x32-10 known answers (Random123 kat_vectors) and distribution checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "harness/core/rng.h"
#include "tests/testmain.h"

BB_TEST(philox_matches_random123_known_answers) {
    static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                       {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                       {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    static const uint32_t key[3][2] = {{0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
    static const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                        {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                        {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        bb_philox4x32_10(ctr[i], key[i], out);
        for (int k = 0; k < 4; k++) assert_int_equal(out[k], want[i][k]);
    }
}

BB_TEST(streams_are_reproducible_and_distinct) {
    bb_rng a, b, c;
    bb_rng_init(&a, 2385, 7);
    bb_rng_init(&b, 2385, 7);
    bb_rng_init(&c, 2385, 8);
    int same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = bb_rng_u64(&a), y = bb_rng_u64(&b), z = bb_rng_u64(&c);
        assert_true(x == y);
        same_ac += x == z;
    }
    assert_true(same_ac == 0);
}

/* Mean/variance/kurtosis of 10^6 normals within 5 standard errors of the exact values. */
BB_TEST(normal_moments_match_standard_normal) {
    bb_rng r;
    bb_rng_init(&r, 1, 0);
    const int n = 1000000;
    double s1 = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = bb_rng_normal(&r);
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
    }
    double m = s1 / n, v = s2 / n, k = s4 / n;
    assert_true(fabs(m) < 5.0 / sqrt(n));
    assert_true(fabs(v - 1.0) < 5.0 * sqrt(2.0 / n));
    assert_true(fabs(k - 3.0) < 5.0 * sqrt(96.0 / n));
}

/* Uniform in (0,1), never 0 or 1; bb_rng_below is uniform: chi-square over 7 cells. */
BB_TEST(uniform_and_below_are_uniform) {
    bb_rng r;
    bb_rng_init(&r, 99, 3);
    long cnt[7] = {0};
    const int n = 700000;
    for (int i = 0; i < n; i++) {
        double u = bb_rng_uniform(&r);
        assert_true(u > 0.0 && u < 1.0);
        cnt[bb_rng_below(&r, 7)]++;
    }
    double chi2 = 0;
    for (int k = 0; k < 7; k++) chi2 += (cnt[k] - n / 7.0) * (cnt[k] - n / 7.0) / (n / 7.0);
    assert_true(chi2 < 22.46); /* 99.9% quantile of chi-square with 6 dof */
}

/* The fast fill draws the scalar path's uniforms: from a fresh stream (every pair a whole block)
 * its normals equal bb_rng_normal's to rounding (log, sin, cos within a few 1e-16; |z| < 9). */
BB_TEST(fast_normals_equal_the_scalar_normals_to_rounding) {
    enum { N = 100001 }; /* odd: the last one comes with a spare */
    static double a[N], b[N];
    bb_rng r, q;
    bb_rng_init(&r, 0x5eedULL, 7);
    bb_rng_init(&q, 0x5eedULL, 7);
    bb_rng_normal_fill(&r, N, a);
    bb_rng_normal_fill_fast(&q, N, b);
    double worst = 0.0;
    for (size_t i = 0; i < N; i++) worst = fmax(worst, fabs(a[i] - b[i]));
    assert_true(worst < 1e-14);
    assert_true(r.has_spare && q.has_spare && fabs(r.spare - q.spare) < 1e-14);
    /* both generators stand at the same block, so the next draws agree too */
    assert_true(bb_rng_u32(&r) == bb_rng_u32(&q));
}

/* Split calls equal one call (the spare carries over, every pair starts a fresh block), and the
 * moments of 1e6 fast normals are those of N(0, 1) within 5 standard errors. */
BB_TEST(fast_normals_split_like_one_call_and_have_normal_moments) {
    enum { N = 1000000 };
    double *a = malloc(N * sizeof(double)), *b = malloc(N * sizeof(double));
    assert_non_null(a);
    assert_non_null(b);
    bb_rng r, q;
    bb_rng_init(&r, 42, 3);
    bb_rng_init(&q, 42, 3);
    bb_rng_normal_fill_fast(&r, N, a);
    static const size_t cuts[] = {1, 2, 3, 127, 128, 129, 1000, 4095};
    size_t at = 0;
    for (size_t k = 0; at < N; k++) {
        size_t m = cuts[k % 8] < N - at ? cuts[k % 8] : N - at;
        bb_rng_normal_fill_fast(&q, m, b + at);
        at += m;
    }
    assert_memory_equal(a, b, N * sizeof(double));
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < N; i++) {
        const double z = a[i], z2 = z * z;
        m1 += z;
        m2 += z2;
        m3 += z2 * z;
        m4 += z2 * z2;
    }
    m1 /= N, m2 /= N, m3 /= N, m4 /= N;
    /* standard errors: sqrt(Var/N) with Var = 1, 2, 15, 96 for z, z^2, z^3, z^4 */
    assert_true(fabs(m1) < 5 * sqrt(1.0 / N));
    assert_true(fabs(m2 - 1) < 5 * sqrt(2.0 / N));
    assert_true(fabs(m3) < 5 * sqrt(15.0 / N));
    assert_true(fabs(m4 - 3) < 5 * sqrt(96.0 / N));
    free(a);
    free(b);
}

/* Seeking to normal i (even, odd, across the 2^32-block boundary of the counter's low
 * word) regenerates exactly the i-th normal of a sequential draw, and what follows it. */
BB_TEST(seek_normal_regenerates_the_ith_normal_of_the_stream) {
    enum { N = 1001 };
    double seq[N];
    bb_rng r, s;
    bb_rng_init(&r, 2385, 7);
    bb_rng_normal_fill(&r, N, seq);
    const uint64_t at[] = {0, 1, 2, 7, 500, 999};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        bb_rng_init(&s, 2385, 7);
        (void)bb_rng_normal(&s); /* a used generator: the seek must forget its spare */
        bb_rng_seek_normal(&s, at[k]);
        for (uint64_t i = at[k]; i < N; i++) assert_true(bb_rng_normal(&s) == seq[i]);
    }
    /* block 2^32 (normal 2^33 + 1) uses ctr[1]: compare with a generator positioned there */
    bb_rng_init(&r, 2385, 7);
    r.ctr[0] = 0, r.ctr[1] = 1;
    (void)bb_rng_normal(&r);
    const double want = bb_rng_normal(&r);
    bb_rng_init(&s, 2385, 7);
    bb_rng_seek_normal(&s, ((uint64_t)1 << 33) + 1);
    assert_true(bb_rng_normal(&s) == want);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(philox_matches_random123_known_answers),
             cmocka_unit_test(fast_normals_equal_the_scalar_normals_to_rounding),
             cmocka_unit_test(fast_normals_split_like_one_call_and_have_normal_moments),
             cmocka_unit_test(seek_normal_regenerates_the_ith_normal_of_the_stream),
             cmocka_unit_test(streams_are_reproducible_and_distinct),
             cmocka_unit_test(normal_moments_match_standard_normal), cmocka_unit_test(uniform_and_below_are_uniform))
