/* test_cli_opts.c — the CLI's budget parser (bb_cli_parse_budget, harness/cli/opts.c):
 * integers and 2e5-style notation in 1 … 2^53 are read exactly, and each way of failing has
 * its own one-line error (not a number, not whole, below 1, above 2^53), including the cases
 * a double cannot tell apart (9007199254740993, 9007199254740992.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/core/rng.h"
#include "tests/capture.h"
#include "tests/testmain.h"

#define MAX53 9007199254740992LL

/* Parse with stderr captured into err; returns the status. */
static int parse(const char *s, long long *v, char *err, size_t cap) {
    bb_test_capture c;
    bb_test_capture_begin(&c);
    int rc = bb_cli_parse_budget("--budget", s, v);
    bb_test_capture_end(&c, err, cap);
    return rc;
}

BB_TEST(accepted_values_are_exact) {
    struct {
        const char *text;
        long long value;
    } ok[] = {
        {"1", 1},
        {"200000", 200000},
        {"2e5", 200000},
        {"2E5", 200000},
        {"2e+5", 200000},
        {"+7", 7},
        {"1.5e1", 15},
        {"0.5e1", 5},
        {"0.05e2", 5},
        {"100e-2", 1},
        {"1.", 1},
        {"007", 7},
        {"1e6", 1000000},
        {"9007199254740992", MAX53},
        {"9.007199254740992e15", MAX53},
        {"9007199254740991", MAX53 - 1},
        {"4503599627370497", 4503599627370497LL}, /* 2^52 + 1: odd above 2^52 */
    };
    char err[1024];
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        long long v = -1;
        print_message("%s\n", ok[i].text);
        assert_int_equal(parse(ok[i].text, &v, err, sizeof err), BB_OK);
        assert_true(v == ok[i].value);
        assert_string_equal(err, "");
    }
    /* brute force: m·10^j written as "<m>e<j>" and in full reads back as m·10^j */
    bb_rng r;
    bb_rng_init(&r, 1, 0);
    for (int k = 0; k < 2000; k++) {
        int j = (int)(bb_rng_uniform(&r) * 8);
        long long p = 1;
        for (int q = 0; q < j; q++) p *= 10;
        long long m = 1 + (long long)(bb_rng_uniform(&r) * (double)(MAX53 / p));
        if (m > MAX53 / p) m = MAX53 / p;
        char a[64], b[64];
        snprintf(a, sizeof a, "%llde%d", m, j);
        snprintf(b, sizeof b, "%lld", m * p);
        long long va = 0, vb = 0;
        assert_int_equal(parse(a, &va, err, sizeof err), BB_OK);
        assert_int_equal(parse(b, &vb, err, sizeof err), BB_OK);
        assert_true(va == m * p && vb == m * p);
    }
}

BB_TEST(each_failure_has_its_own_line) {
    struct {
        const char *text, *says;
    } bad[] = {
        {"9.3e18", "exceeds the largest budget 2^53 = 9007199254740992"},
        {"9007199254740993", "exceeds the largest budget 2^53"},
        {"1e16", "exceeds the largest budget 2^53"},
        {"1e100000000", "exceeds the largest budget 2^53"},
        {"123456789012345678901234567890", "exceeds the largest budget 2^53"},
        {"1.5", "is not a whole number"},
        {"9007199254740992.5", "is not a whole number"},
        {"1e-3", "is not a whole number"},
        {".5", "is not a whole number"},
        {"-1.5", "is not a whole number"},
        {"0", "is below 1"},
        {"0.0e7", "is below 1"},
        {"-5", "is below 1"},
        {"-0", "is below 1"},
        {"abc", "is not a number"},
        {"", "is not a number"},
        {".", "is not a number"},
        {"1e", "is not a number"},
        {"e5", "is not a number"},
        {"0x10", "is not a number"},
        {" 5", "is not a number"},
        {"5 ", "is not a number"},
        {"inf", "is not a number"},
        {"nan", "is not a number"},
        {"1e5.0", "is not a number"},
        {"1..2", "is not a number"},
    };
    char err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long long v = 42;
        print_message("%s\n", bad[i].text);
        assert_int_equal(parse(bad[i].text, &v, err, sizeof err), BB_EINVAL);
        assert_true(v == 42); /* untouched */
        assert_true(strncmp(err, "boltzbench: --budget: ", 22) == 0);
        assert_non_null(strstr(err, bad[i].says));
        char *nl = strchr(err, '\n');
        assert_non_null(nl);
        assert_true(nl[1] == '\0');
    }
    long long v;
    assert_int_equal(parse("9.3e18", &v, err, sizeof err), BB_EINVAL);
    assert_string_equal(err, "boltzbench: --budget: 9.3e18 exceeds the largest budget 2^53 = 9007199254740992\n");
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(accepted_values_are_exact), cmocka_unit_test(each_failure_has_its_own_line))
