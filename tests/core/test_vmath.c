/* test_vmath.c — bb_vlog, bb_vexp and bb_vsincos2pi (harness/core/vmath.h) against glibc: relative
 * error below 1e-15 (a few ulp) over their documented ranges (sin/cos: 2e-16 absolute), exact at the anchors log(1) = 0,
 * exp(0) = 1, and sensible at the range ends. High-entropy grids (not round numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/core/vmath.h"

#include <math.h>
#include <stdio.h>
#include "tests/testmain.h"

BB_TEST(vlog_matches_glibc_over_positive_normals) {
    double worst = 0.0;
    /* log-uniform grid from 1e-300 to 1e300, plus a dense grid over (0, 1] where GB uses it */
    for (int i = 0; i <= 200000; i++) {
        double x = pow(10.0, -300.0 + 600.0 * (i + 0.2385) / 200001.0);
        double a = bb_vlog(x), b = log(x);
        double d = fabs(a - b) / (fabs(b) > 1.0 ? fabs(b) : 1.0);
        worst = worst > d ? worst : d;
    }
    for (int i = 1; i <= 200000; i++) {
        double x = (i - 0.385) / 200000.0;
        double a = bb_vlog(x), b = log(x);
        double d = fabs(a - b) / (fabs(b) > 1e-3 ? fabs(b) : 1e-3);
        worst = worst > d ? worst : d;
    }
    printf("bb_vlog: max relative error %.2e\n", worst);
    assert_true(worst < 1e-15);
    assert_true(bb_vlog(1.0) == 0.0);
    /* both sides of the √2 switch of the reduction */
    assert_true(fabs(bb_vlog(sqrt(2.0)) - log(sqrt(2.0))) < 2e-16);
    assert_true(fabs(bb_vlog(nextafter(sqrt(2.0), 2.0)) - log(nextafter(sqrt(2.0), 2.0))) < 2e-16);
}

BB_TEST(vexp_matches_glibc_on_nonpositive_arguments) {
    double worst = 0.0;
    for (int i = 0; i <= 400000; i++) {
        double x = -708.0 * (i + 0.2385) / 400001.0;
        double a = bb_vexp(x), b = exp(x);
        double d = fabs(a - b) / b;
        worst = worst > d ? worst : d;
    }
    printf("bb_vexp: max relative error %.2e\n", worst);
    assert_true(worst < 1e-15);
    assert_true(bb_vexp(0.0) == 1.0);
    assert_true(bb_vexp(-708.0) > 0.0 && isfinite(bb_vexp(-708.0)));
}

BB_TEST(vsincos2pi_matches_glibc_on_the_unit_interval) {
    double worst = 0.0;
    /* a grid over [0, 1] with high-entropy offsets, the quadrant edges 1/8, 3/8, ... (where the
     * rounding of 4u switches quadrant) and both ends */
    for (int i = 0; i <= 400000; i++) {
        const double edge = (i % 8 + 0.5) / 8.0 + (i % 3 - 1) * 1e-17 * (i % 5);
        const double u = i < 8 * 3 * 5 ? edge : (i - 0.3183) / 400000.0;
        if (u < 0.0 || u > 1.0) continue;
        double s, c;
        bb_vsincos2pi(u, &s, &c);
        const double th = 6.283185307179586476925286766559 * u;
        const double ds = fabs(s - sin(th)), dc = fabs(c - cos(th));
        worst = worst > ds ? worst : ds;
        worst = worst > dc ? worst : dc;
    }
    printf("bb_vsincos2pi: max absolute error %.2e\n", worst);
    /* glibc rounds 2πu once more than we do (we reduce 4u exactly first): a few 1e-16 */
    assert_true(worst < 1e-15);
    double s, c;
    bb_vsincos2pi(0.0, &s, &c);
    assert_true(s == 0.0 && c == 1.0);
    bb_vsincos2pi(0.25, &s, &c);
    assert_true(s == 1.0 && c == 0.0);
    bb_vsincos2pi(0.5, &s, &c);
    assert_true(s == 0.0 && c == -1.0);
    bb_vsincos2pi(1.0, &s, &c);
    assert_true(s == 0.0 && c == 1.0);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(vlog_matches_glibc_over_positive_normals),
             cmocka_unit_test(vexp_matches_glibc_on_nonpositive_arguments),
             cmocka_unit_test(vsincos2pi_matches_glibc_on_the_unit_interval))
