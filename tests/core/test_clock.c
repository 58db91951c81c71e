/* test_clock.c — bb_wall_s is monotonic and ticks with real time; bb_cpu_s counts this
 * process's CPU work and not its sleeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#include "harness/core/clock.h"
#include "tests/testmain.h"

BB_TEST(wall_clock_is_monotonic_and_measures_a_sleep) {
    double prev = bb_wall_s();
    assert_true(prev > 0.0);
    for (int i = 0; i < 100000; i++) {
        double t = bb_wall_s();
        assert_true(t >= prev);
        prev = t;
    }
    double t0 = bb_wall_s();
    struct timespec nap = {0, 50 * 1000 * 1000}; /* 50 ms */
    while (nanosleep(&nap, &nap) != 0) {}
    double dt = bb_wall_s() - t0;
    assert_true(dt >= 0.049);
    assert_true(dt < 5.0);
}

BB_TEST(cpu_clock_counts_work_not_sleep) {
    double c0 = bb_cpu_s();
    assert_true(c0 >= 0.0);
    struct timespec nap = {0, 100 * 1000 * 1000}; /* 100 ms asleep: almost no CPU */
    while (nanosleep(&nap, &nap) != 0) {}
    assert_true(bb_cpu_s() - c0 < 0.05);
    /* spin until 20 ms of CPU time have been used: the clock must get there */
    volatile double sink = 0.0;
    double w0 = bb_wall_s();
    while (bb_cpu_s() - c0 < 0.02) {
        for (int i = 0; i < 10000; i++) sink += 1e-9 * i;
        assert_true(bb_wall_s() - w0 < 30.0);
    }
    assert_true(bb_cpu_s() >= c0 + 0.02);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(wall_clock_is_monotonic_and_measures_a_sleep),
             cmocka_unit_test(cpu_clock_counts_work_not_sleep))
