/* test_suite.c — suite files (harness/run/suite.c) are parsed strictly: an unknown key at
 * the top level, inside a `runs` entry or among a group's per-method `params` is refused
 * with one line naming the file and the key, as method configs are; the committed suites
 * (harness/suites/) still load. Parsing only: nothing is run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/suite.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_test_suite", (void)0)

/* Write `text` as <dir>/s.json, load it; returns the status, message in *ctx. */
static int load_text(const char *text, bb_suite *s, bb_ctx *ctx, char *path, size_t cap) {
    snprintf(path, cap, "%s/s.json", dir);
    assert_int_equal(bb_test_write_text(path, text), 0);
    bb_ctx_clear(ctx);
    int rc = bb_suite_load(path, "out", s, ctx);
    if (rc) printf("%s\n", ctx->msg);
    return rc;
}

#define GROUP "\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": [1000], \"seeds\": [0]"

BB_TEST(unknown_keys_are_refused_naming_the_file_and_the_key) {
    bb_suite s;
    bb_ctx ctx = {0};
    char path[300];
    /* the good form loads (and every optional key is accepted) */
    assert_int_equal(load_text("{\"name\": \"t\", \"description\": \"d\", \"n_samples\": 10, \"runs\": [{" GROUP
                               ", \"params\": {\"mala\": {\"n_chains\": 4}}, \"task_params\": {}, "
                               "\"metrics\": [\"energy_w2\", \"eq_x_w2:n=200\"]}]}",
                               &s, &ctx, path, sizeof path),
                     BB_OK);
    assert_int_equal(s.n_runs, 1);
    assert_int_equal(s.runs[0].n_metrics, 2); /* the run's metric selection, options kept */
    assert_string_equal(s.runs[0].metric_names[1], "eq_x_w2:n=200");
    bb_suite_free(&s);
    struct {
        const char *text, *where;
    } bad[] = {
        {"{\"name\": \"t\", \"bogus\": 1, \"runs\": [{" GROUP "}]}", ": unknown key 'bogus'"},
        {"{\"name\": \"t\", \"run\": [], \"runs\": [{" GROUP "}]}", ": unknown key 'run'"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP ", \"bogus\": 1}]}", ": runs[0]: unknown key 'bogus'"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP "}, {" GROUP ", \"seed\": [1]}]}", ": runs[1]: unknown key 'seed'"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP ", \"params\": {\"pt\": {\"n_temps\": 4}}}]}",
         ": runs[0].params: unknown key 'pt'"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP ", \"params\": {\"mala\": 3}}]}",
         ": runs[0].params.mala: expected an object"},
        {"{\"name\": \"t\", \"description\": 5, \"runs\": [{" GROUP "}]}", ": field 'description'"},
        {"{\"name\": \"t\", \"runs\": [3]}", ": runs[0]: expected an object"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP ", \"metrics\": [\"energy_w3\"]}]}",
         ": runs[0].metrics: unknown metric 'energy_w3'"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP ", \"metrics\": \"energy_w2\"}]}",
         ": runs[0].metrics: expected an array of 1"},
        {"[1, 2]", ": not a JSON object"},
        /* each budget rule says which one failed, as --budget does */
        {"{\"name\": \"t\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": [10, 9.3e18], "
         "\"seeds\": [0]}]}",
         ": runs[0].budgets[1]: 9.3e+18 exceeds the largest budget 2^53 = 9007199254740992"},
        {"{\"name\": \"t\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": [1.5], "
         "\"seeds\": [0]}]}",
         ": runs[0].budgets[0]: 1.5 is not a whole number"},
        {"{\"name\": \"t\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": [0], "
         "\"seeds\": [0]}]}",
         ": runs[0].budgets[0]: 0 is below 1"},
        {"{\"name\": \"t\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": [\"1e5\"], "
         "\"seeds\": [0]}]}",
         ": runs[0].budgets[0]: not a number"},
        {"{\"name\": \"t\", \"runs\": [{" GROUP "}, {\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": "
         "[9007199254740992], \"seeds\": [-1]}]}",
         ": runs[1].seeds[0]: -1 is below 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(load_text(bad[i].text, &s, &ctx, path, sizeof path), BB_EFORMAT);
        char want[400];
        snprintf(want, sizeof want, "%s%s", path, bad[i].where);
        assert_memory_equal(ctx.msg, want, strlen(want)); /* "<file>: <where>: <what>" */
        assert_null(strchr(ctx.msg, '\n'));
        assert_null(s.runs);
        assert_int_equal(s.n_runs, 0);
    }
    /* with "methods": "all", params may name any registered method, and only those */
    assert_int_equal(load_text("{\"name\": \"t\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": \"all\", \"budgets\": "
                               "[1000], \"seeds\": [0], \"params\": {\"pt\": {}}}]}",
                               &s, &ctx, path, sizeof path),
                     BB_OK);
    bb_suite_free(&s);
    assert_int_equal(load_text("{\"name\": \"t\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": \"all\", \"budgets\": "
                               "[1000], \"seeds\": [0], \"params\": {\"nosuchmethod\": {}}}]}",
                               &s, &ctx, path, sizeof path),
                     BB_EFORMAT);
    assert_non_null(strstr(ctx.msg, "'nosuchmethod'"));
}

BB_TEST(the_committed_suites_load) {
    const char *names[] = {"quick", "standard", "full"};
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        bb_ctx ctx = {0};
        bb_suite s;
        assert_int_equal(bb_suite_locate(names[i], path, sizeof path, &ctx), BB_OK);
        int rc = bb_suite_load(path, "out", &s, &ctx);
        if (rc) printf("%s\n", ctx.msg);
        assert_int_equal(rc, BB_OK);
        assert_true(s.n_runs > 0);
        bb_suite_free(&s);
    }
}

BB_TEST_MAIN(NULL, NULL,
             cmocka_unit_test_setup_teardown(unknown_keys_are_refused_naming_the_file_and_the_key, setup, teardown),
             cmocka_unit_test(the_committed_suites_load))
