/* test_vmath.c — bb_vlog and bb_vexp (tasks/molecules/vmath.h) against glibc: relative error
 * below 1e-15 (a few ulp) over their documented ranges, exact at the anchors log(1) = 0,
 * exp(0) = 1, and sensible at the range ends. High-entropy grids (not round numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tasks/molecules/vmath.h"

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

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(vlog_matches_glibc_over_positive_normals),
             cmocka_unit_test(vexp_matches_glibc_on_nonpositive_arguments))
