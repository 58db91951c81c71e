/* test_suite_sched.c — the pieces the scale-out runners share (harness/run/suite_sched.h,
 * suite_slurm.h's bb_suite_collect): the dispatch order from earlier reports' wall times,
 * one run in a child process (its report's bytes equal an in-process run's apart from
 * timing and host; a run that fails to start and one killed by the run time limit come back
 * as one-line errors), and the failed report of a run that left none. The Slurm scripts and
 * the MPI runner are exercised end to end by test_suite_scale.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "harness/run/suite_sched.h"
#include "harness/run/suite_slurm.h"
#include "tests/testmain.h"
#include "tests/tmpdir.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_test_suite_sched", bb_test_isolated_cache(dir))

/* Load a suite from text into <dir>/<out>; the file is <dir>/s.json. */
static void load(const char *text, const char *out, bb_suite *s) {
    char path[400], outdir[400];
    snprintf(path, sizeof path, "%s/s.json", dir);
    snprintf(outdir, sizeof outdir, "%s/%s", dir, out);
    assert_int_equal(bb_test_write_text(path, text), 0);
    bb_ctx ctx = {0};
    int rc = bb_suite_load(path, outdir, s, &ctx);
    if (rc) printf("%s\n", ctx.msg);
    assert_int_equal(rc, BB_OK);
}

/* A report file with only what bb_suite_order reads (and bb_report_read requires). */
static void fake_report(const char *path, double wall_s) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"schema\": \"" BB_REPORT_SCHEMA "\", \"status\": \"ok\", \"config_sha256\": \"x\", \"harness\": {},"
             " \"task\": {\"id\": \"dw4\"}, \"method\": {\"name\": \"m\"}, \"budget\": {\"limit\": 1, \"used\": 1},"
             " \"metrics\": {}, \"seed\": 0, \"timing\": {\"wall_s\": %.17g}}",
             wall_s);
    char d[512];
    snprintf(d, sizeof d, "%s", path);
    *strrchr(d, '/') = '\0';
    bb_ctx ctx = {0};
    assert_int_equal(bb_mkdir_p(d, &ctx), BB_OK);
    assert_int_equal(bb_test_write_text(path, text), 0);
}

BB_TEST(runs_are_ordered_longest_expected_first_from_earlier_wall_times) {
    bb_suite s;
    /* runs in suite order: 0 mala b1000 s0, 1 mala b4000 s0, 2 pt b1000 s0, 3 pt b4000 s0 */
    load("{\"name\": \"o\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\", \"pt\"],"
         " \"budgets\": [1000, 4000], \"seeds\": [0]}]}",
         "o", &s);
    assert_int_equal(s.n_runs, 4);
    size_t order[4];
    double cost[4];
    bb_ctx ctx = {0};
    /* nothing known: the budget orders, ties keep the suite's order */
    assert_int_equal(bb_suite_order(&s, NULL, order, cost, &ctx), BB_OK);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 0);
    assert_int_equal(order[3], 2);
    assert_true(cost[1] == 4000.0 && cost[0] == 1000.0);
    /* earlier reports in a cost directory: mala b1000 took 2.5 s, pt b4000 took 30 s */
    char p[512], costs[400];
    snprintf(costs, sizeof costs, "%s/earlier", dir);
    snprintf(p, sizeof p, "%s/dw4/mala-b1000-s0.json", costs);
    fake_report(p, 2.5);
    snprintf(p, sizeof p, "%s/dw4/pt-b4000-s0.json", costs);
    fake_report(p, 30.0);
    assert_int_equal(bb_suite_order(&s, costs, order, cost, &ctx), BB_OK);
    /* pt b1000: 30 s / 4000 evaluations of pt -> 7.5 s; mala b4000: 2.5 / 1000 * 4000 = 10 s */
    assert_true(cost[0] == 2.5 && cost[3] == 30.0);
    assert_true(cost[2] == 7.5 && cost[1] == 10.0);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 2);
    assert_int_equal(order[3], 0);
    /* without a cost directory the runs' own earlier reports count: only pt b1000 known
     * (1 s): every other run is priced at the mean rate of all known runs, 1 s / 1000 */
    snprintf(p, sizeof p, "%s/o/dw4/pt-b1000-s0.json", dir);
    fake_report(p, 1.0);
    assert_int_equal(bb_suite_order(&s, NULL, order, cost, &ctx), BB_OK);
    assert_true(cost[2] == 1.0 && cost[3] == 4.0 && cost[0] == 1.0 && cost[1] == 4.0);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    bb_suite_free(&s);
}

/* Report text without the volatile blocks, as bb_report_strip_volatile leaves it. */
static char *stable_text(const char *text) {
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    bb_report_strip_volatile(j);
    char *out = cJSON_Print(j);
    cJSON_Delete(j);
    return out;
}

#define SMALL                                                                                                          \
    "{\"name\": \"c\", \"n_samples\": 100, \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"],"                 \
    " \"budgets\": [3000], \"seeds\": [2], \"metrics\": [\"energy_w2\"], \"params\": {\"mala\": {\"n_chains\": 10}}}," \
    " {\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], \"budgets\": [3000], \"seeds\": [3],"                            \
    " \"params\": {\"mala\": {\"n_chains\": 0}}},"                                                                     \
    " {\"tasks\": [\"dw4\"], \"methods\": [\"pt\"], \"budgets\": [1e12], \"seeds\": [0]}]}"

BB_TEST(a_run_in_a_child_process_gives_the_report_of_a_run_in_process) {
    bb_suite s;
    load(SMALL, "child", &s);
    s.threads = 1;
    char scratch[400];
    snprintf(scratch, sizeof scratch, "%s/scratch.json", dir);
    char *report = NULL;
    size_t len = 0;
    bb_ctx ctx = {0};
    assert_int_equal(bb_suite_run_child(&s, 0, scratch, 0, &report, &len, &ctx), BB_OK);
    assert_true(len == strlen(report) && len > 100);
    assert_false(bb_test_exists_in(dir, "scratch.json")); /* moved out of the way */
    /* the same run in this process, on 2 threads */
    bb_run_config c;
    bb_suite_run_config(&s, 0, &c);
    c.threads = 2;
    assert_int_equal(bb_suite_mkdir(&s, 0, &ctx), BB_OK);
    assert_int_equal(bb_run(&c, NULL, &ctx), BB_OK);
    char *direct = NULL;
    size_t dlen = 0;
    assert_int_equal(bb_read_file(c.out_path, (size_t)1 << 26, &direct, &dlen, &ctx), BB_OK);
    char *a = stable_text(report), *b = stable_text(direct);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(report);
    free(direct);
    bb_suite_free(&s);
}

BB_TEST(a_run_that_cannot_start_or_is_killed_comes_back_as_one_line) {
    bb_suite s;
    load(SMALL, "child", &s);
    char scratch[400];
    snprintf(scratch, sizeof scratch, "%s/scratch.json", dir);
    char *report = NULL;
    size_t len = 0;
    bb_ctx ctx = {0};
    /* n_chains 0: bb_run refuses the configuration before it writes anything */
    assert_int_not_equal(bb_suite_run_child(&s, 1, scratch, 0, &report, &len, &ctx), BB_OK);
    printf("%s\n", ctx.msg);
    assert_null(report);
    assert_non_null(strstr(ctx.msg, "exited with status 1 without a report: "));
    assert_non_null(strstr(ctx.msg, "n_chains"));
    assert_null(strchr(ctx.msg, '\n'));
    /* 1e12 evaluations of PT cannot end in 1 s: SIGALRM ends the child */
    bb_ctx_clear(&ctx);
    assert_int_equal(bb_suite_run_child(&s, 2, scratch, 1, &report, &len, &ctx), BB_ETIMEOUT);
    assert_string_equal(ctx.msg, "exceeded the run time limit of 1 s");
    assert_false(bb_test_exists_in(dir, "scratch.json"));
    bb_suite_free(&s);
}

BB_TEST(a_run_that_left_no_report_gets_a_failed_one_and_collect_writes_them) {
    bb_suite s;
    load(SMALL, "failed", &s);
    bb_ctx ctx = {0};
    assert_int_equal(bb_suite_write_failed(&s, 0, "killed by signal 9 (Killed)", &ctx), BB_OK);
    cJSON *rep = NULL;
    assert_int_equal(bb_report_read(s.runs[0].out_path, &rep, &ctx), BB_OK); /* a valid report */
    assert_string_equal(cJSON_GetObjectItem(rep, "status")->valuestring, "failed");
    assert_string_equal(cJSON_GetObjectItem(rep, "error")->valuestring, "killed by signal 9 (Killed)");
    /* its configuration hash is the run's, as bb_run would write it */
    bb_run_config c;
    bb_suite_run_config(&s, 0, &c);
    cJSON *conf = bb_run_config_object(&c, &ctx);
    char sha[65];
    bb_json_sha256(conf, sha);
    cJSON_Delete(conf);
    assert_string_equal(cJSON_GetObjectItem(rep, "config_sha256")->valuestring, sha);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "budget"), "limit")->valuedouble == 3000.0);
    cJSON_Delete(rep);
    assert_false(bb_suite_skip(&s, 0)); /* a rerun runs it again */
    /* collect: runs 1 and 2 left nothing -> failed reports naming the logs; run 0's stays */
    size_t unfinished = 0;
    assert_int_equal(bb_suite_collect(&s, &unfinished, &ctx), BB_OK);
    assert_int_equal(unfinished, 3);
    assert_int_equal(bb_report_read(s.runs[2].out_path, &rep, &ctx), BB_OK);
    assert_non_null(strstr(cJSON_GetObjectItem(rep, "error")->valuestring, "no report: its Slurm array task"));
    cJSON_Delete(rep);
    assert_int_equal(bb_report_read(s.runs[0].out_path, &rep, &ctx), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(rep, "error")->valuestring, "killed by signal 9 (Killed)");
    cJSON_Delete(rep);
    bb_suite_free(&s);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(runs_are_ordered_longest_expected_first_from_earlier_wall_times),
             cmocka_unit_test(a_run_in_a_child_process_gives_the_report_of_a_run_in_process),
             cmocka_unit_test(a_run_that_cannot_start_or_is_killed_comes_back_as_one_line),
             cmocka_unit_test(a_run_that_left_no_report_gets_a_failed_one_and_collect_writes_them))
