/* test_compare.c — the CI regression gate: per-value verdicts in both directions
 * with absolute/relative tolerances, the tolerance file, and whole-directory
 * comparisons (improvement, worse within and beyond tolerance, missing metric,
 * missing/failed/new run, harness version mismatch, corrupt report, wrong schema)
 * through the library and the `compare` subcommand's exit status; reports that scored
 * nothing (empty metrics) or did not finish fail the gate with one line naming them; the
 * default tolerance file comes from the source tree, whatever the current directory, and
 * a broken report is what the error names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/cli/cli.h"
#include "harness/core/jsonutil.h"
#include "harness/report/compare.h"
#include "leaderboard_testutil.h"
#include "test_table_fixtures.h"
#include "tests/capture.h"
#include "tests/testmain.h"

BB_TEST(verdicts_follow_direction_and_the_larger_of_abs_and_rel) {
    bb_tol t = {0.001, 0.05};
    assert_int_equal(bb_compare_value(1.0, 0.9, 0, t), BB_CMP_BETTER);
    assert_int_equal(bb_compare_value(1.0, 1.0, 0, t), BB_CMP_SAME);
    assert_int_equal(bb_compare_value(1.0, 1.04, 0, t), BB_CMP_WORSE_WITHIN);
    assert_int_equal(bb_compare_value(1.0, 1.06, 0, t), BB_CMP_REGRESSION);
    assert_int_equal(bb_compare_value(-2.0, -1.92, 0, t), BB_CMP_WORSE_WITHIN);   /* rel uses |base| */
    assert_int_equal(bb_compare_value(0.001, 0.0019, 0, t), BB_CMP_WORSE_WITHIN); /* abs dominates */
    assert_int_equal(bb_compare_value(0.001, 0.0021, 0, t), BB_CMP_REGRESSION);
    assert_int_equal(bb_compare_value(1.0, 0.9, 1, t), BB_CMP_REGRESSION); /* higher is better */
    assert_int_equal(bb_compare_value(1.0, 0.96, 1, t), BB_CMP_WORSE_WITHIN);
    assert_int_equal(bb_compare_value(1.0, 1.1, 1, t), BB_CMP_BETTER);
    assert_int_equal(bb_compare_value(1.0, NAN, 0, t), BB_CMP_REGRESSION);
    assert_int_equal(bb_compare_value(NAN, 1.0, 0, t), BB_CMP_MISSING);
    assert_string_equal(bb_cmp_verdict_names[BB_CMP_REGRESSION], "REGRESSION");
}

static char *tol_file(const char *dir, const char *text) {
    assert_int_equal(fx_write_text(dir, "tol.json", text), 0);
    char *p = malloc(4200);
    snprintf(p, 4200, "%s/tol.json", dir);
    return p;
}

BB_TEST(tolerance_file_is_validated_and_overrides_the_default) {
    char *dir = fx_tempdir();
    bb_ctx ctx = {0};
    bb_tolerances t;
    char *p = tol_file(dir, "{\"default\": {\"abs\": 1e-9, \"rel\": 0.05}, \"metrics\": {\"energy_w2\": "
                            "{\"abs\": 0.02, \"rel\": 0.1}}, \"ignore\": [\"wall\"], \"comment\": \"x\"}");
    assert_int_equal(bb_tolerances_load(p, &t, &ctx), BB_OK);
    bb_tol a = bb_tolerances_get(&t, "energy_w2"), d = bb_tolerances_get(&t, "energy_tv");
    assert_true(a.abs == 0.02 && a.rel == 0.1 && d.abs == 1e-9 && d.rel == 0.05);
    assert_true(bb_tolerances_ignored(&t, "wall") && !bb_tolerances_ignored(&t, "energy_w2"));
    bb_tolerances_free(&t);
    bb_tolerances_free(NULL);
    free(p);
    const char *bad[] = {"{\"metrics\": {}}",
                         "{\"default\": {\"abs\": -1}}",
                         "{\"default\": {\"abs\": 1, \"tol\": 2}}",
                         "{\"default\": {}, \"metric\": {}}",
                         "{\"default\": {}, \"ignore\": [1]}",
                         "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        p = tol_file(dir, bad[i]);
        bb_ctx_clear(&ctx);
        assert_int_equal(bb_tolerances_load(p, &t, &ctx), BB_EFORMAT);
        printf("bad tolerances %zu: %s\n", i, ctx.msg);
        assert_non_null(strstr(ctx.msg, "tol.json"));
        free(p);
    }
    fx_rmtree(dir);
    free(dir);
}

/* Baseline: dw4 × {mala, pt} seed 0 and gmm40 mala seed 0, each with energy_w2 and
 * an unknown (lower assumed better) metric. `w2` is mala-on-dw4's energy_w2. */
static void write_set(const char *dir, double w2, int drop_metric, int drop_run, int fail_run, int extra_run,
                      const char *hv) {
    fx_metric full[2] = {{"energy_w2", w2}, {"zz_custom", 3.0}};
    fx_metric only_custom[1] = {{"zz_custom", 3.0}};
    fx_metric other[2] = {{"energy_w2", 0.5}, {"zz_custom", 1.0}};
    fx_run a = {"dw4", 1, "mala", 1000, 0, 0, hv, drop_metric ? only_custom : full, drop_metric ? 1 : 2, 0};
    fx_run b = {"dw4", 1, "pt", 1000, 0, fail_run, hv, other, 2, 0};
    fx_run c = {"gmm40", 1, "mala", 1000, 0, 0, hv, other, 2, 0};
    fx_run d = {"gmm40", 1, "mala", 1000, 1, 0, hv, other, 2, 0};
    assert_int_equal(fx_write(dir, &a), 0);
    assert_int_equal(fx_write(dir, &b), 0);
    if (!drop_run) assert_int_equal(fx_write(dir, &c), 0);
    if (extra_run) assert_int_equal(fx_write(dir, &d), 0);
}

/* Load the report sets under bd (baseline) and nd (new), both of which must load, and
 * compare them with tol; fills s and returns the printed comparison (malloc'ed). */
static char *compare_dirs(const char *bd, const char *nd, const bb_tolerances *tol, int verbose, bb_cmp_summary *s) {
    bb_ctx ctx = {0};
    bb_rset base, fresh;
    assert_int_equal(bb_rset_load_dir(bd, &base, &ctx), BB_OK);
    assert_int_equal(bb_rset_load_dir(nd, &fresh, &ctx), BB_OK);
    fx_mem m;
    assert_int_equal(bb_compare_sets(&base, &fresh, tol, fx_mem_open(&m), verbose, s, &ctx), BB_OK);
    bb_rset_free(&base);
    bb_rset_free(&fresh);
    return fx_mem_close(&m);
}

typedef struct cmp_case {
    const char *name;
    double w2;
    int drop_metric, drop_run, fail_run, extra_run;
    const char *hv;
    int want_fail;
    const char *want_text;
} cmp_case;

BB_TEST(directory_comparisons_pass_or_fail_as_the_gate_should) {
    const cmp_case cases[] = {
        {"identical", 1.0, 0, 0, 0, 0, NULL, 0, "-> PASS"},
        {"improvement", 0.8, 0, 0, 0, 0, NULL, 0, "better"},
        {"worse within tolerance", 1.04, 0, 0, 0, 0, NULL, 0, "worse (within tol)"},
        {"regression beyond tolerance", 1.5, 0, 0, 0, 0, NULL, 1, "REGRESSION"},
        {"missing metric", 1.0, 1, 0, 0, 0, NULL, 1, "MISSING"},
        {"missing run", 1.0, 0, 1, 0, 0, NULL, 1, "MISSING RUN"},
        {"failed run", 1.0, 0, 0, 1, 0, NULL, 1, "FAILED"},
        {"new run only", 1.0, 0, 0, 0, 1, NULL, 0, "new run (not in baseline)"},
        {"harness version change", 1.0, 0, 0, 0, 0, "0.2.0", 1, "VERSION"},
    };
    bb_tolerances tol = {{1e-9, 0.05}, NULL, NULL, 0, NULL, 0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const cmp_case *c = &cases[i];
        char *bd = fx_tempdir(), *nd = fx_tempdir();
        write_set(bd, 1.0, 0, 0, 0, 0, NULL);
        write_set(nd, c->w2, c->drop_metric, c->drop_run, c->fail_run, c->extra_run, c->hv);
        bb_cmp_summary s;
        char *mem = compare_dirs(bd, nd, &tol, 0, &s);
        printf("--- %s\n%s", c->name, mem);
        assert_int_equal(bb_compare_failed(&s), c->want_fail);
        assert_non_null(strstr(mem, c->want_text));
        if (!strcmp(c->name, "improvement")) assert_int_equal(s.improvements, 1);
        if (!strcmp(c->name, "regression beyond tolerance")) assert_int_equal(s.regressions, 1);
        if (!strcmp(c->name, "missing metric")) assert_int_equal(s.missing_metrics, 1);
        if (!strcmp(c->name, "missing run")) assert_int_equal(s.missing_runs, 1);
        if (!strcmp(c->name, "identical")) {
            assert_int_equal(s.metrics_compared, 6);
            assert_int_equal(fx_count(mem, "  same"), 0); /* unchanged rows only with verbose */
            char *all = compare_dirs(bd, nd, &tol, 1, &s);
            assert_int_equal(fx_count(all, "  same"), 6);
            free(all);
        }
        free(mem);
        fx_rmtree(bd), fx_rmtree(nd);
        free(bd), free(nd);
    }
}

BB_TEST(compare_command_exit_status_covers_pass_regression_corruption_and_schema) {
    char *bd = fx_tempdir(), *nd = fx_tempdir();
    write_set(bd, 1.0, 0, 0, 0, 0, NULL);
    write_set(nd, 1.0, 0, 0, 0, 0, NULL);
    /* the tolerance file lives outside both report trees (every *.json in them is a report) */
    char *td = fx_tempdir();
    char *tp = tol_file(td, "{\"default\": {\"abs\": 0, \"rel\": 0.05}}");
    char *ok[] = {"compare", bd, nd, "--tolerances", tp, NULL};
    assert_int_equal(bb_cmd_compare(5, ok), 0);
    write_set(nd, 2.0, 0, 0, 0, 0, NULL);
    assert_int_equal(bb_cmd_compare(5, ok), 1);
    write_set(nd, 1.0, 0, 0, 0, 0, NULL);
    assert_int_equal(fx_write_text(nd, "dw4/corrupt.json", "{\"schema\": \"boltzbench.report/1\", "), 0);
    assert_int_equal(bb_cmd_compare(5, ok), 1);
    assert_int_equal(fx_write_text(nd, "dw4/corrupt.json", "{\"schema\": \"boltzbench.report/2\", \"status\": \"ok\"}"),
                     0);
    assert_int_equal(bb_cmd_compare(5, ok), 1);
    char *usage[] = {"compare", bd, NULL};
    assert_int_equal(bb_cmd_compare(2, usage), 2);
    char *notol[] = {"compare", bd, nd, "--tolerances", "/nonexistent/tol.json", NULL};
    assert_int_equal(bb_cmd_compare(5, notol), 1);
    free(tp);
    fx_rmtree(bd), fx_rmtree(nd), fx_rmtree(td);
    free(bd), free(nd), free(td);
}

/* Run `compare` in-process with stderr captured into cerr; returns the exit status. */
static char cerr[8192];
static int compare_capturing_stderr(int argc, char **argv) {
    bb_test_capture cap;
    bb_test_capture_begin(&cap);
    int rc = bb_cmd_compare(argc, argv);
    bb_test_capture_end(&cap, cerr, sizeof cerr);
    printf("compare exit %d, stderr: %s", rc, cerr);
    return rc;
}

static int one_line(const char *s) {
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0';
}

/* dw4 mala + pt and gmm40 mala (seed 0); pt's metrics and status are set by the caller. */
static void write_runs(const char *dir, size_t pt_metrics, int pt_failed, int extra_failed) {
    fx_metric m[2] = {{"energy_w2", 1.0}, {"zz_custom", 3.0}};
    fx_run a = {"dw4", 1, "mala", 1000, 0, 0, NULL, m, 2, 0};
    fx_run b = {"dw4", 1, "pt", 1000, 0, pt_failed, NULL, m, pt_metrics, 0};
    fx_run c = {"gmm40", 1, "mala", 1000, 0, 0, NULL, m, 2, 0};
    fx_run d = {"gmm40", 1, "mala", 1000, 1, 1, NULL, m, 2, 0};
    assert_int_equal(fx_write(dir, &a), 0);
    assert_int_equal(fx_write(dir, &b), 0);
    assert_int_equal(fx_write(dir, &c), 0);
    if (extra_failed) assert_int_equal(fx_write(dir, &d), 0);
}

/* Each case passed the old gate: both sides agree, so nothing "changed" — but a report
 * that scored nothing or did not finish proves nothing, and the gate must say so. */
BB_TEST(reports_that_scored_nothing_or_did_not_finish_fail_the_gate) {
    struct {
        const char *name;
        size_t pt_metrics;
        int pt_failed, extra_failed;
        const char *file, *why;
        int unusable;
    } cases[] = {
        {"empty metrics on both sides", 0, 0, 0, "dw4/pt-b1000-s0.json", "metrics: empty", 2},
        {"failed on both sides", 2, 1, 0, "dw4/pt-b1000-s0.json", "status \"failed\", not \"ok\"", 2},
        {"a new run that failed", 2, 0, 1, "gmm40/mala-b1000-s1.json", "status \"failed\"", 1},
    };
    char *td = fx_tempdir();
    char *tp = tol_file(td, "{\"default\": {\"abs\": 0, \"rel\": 0.05}}");
    bb_tolerances tol = {{1e-9, 0.05}, NULL, NULL, 0, NULL, 0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *bd = fx_tempdir(), *nd = fx_tempdir();
        write_runs(bd, cases[i].pt_metrics, cases[i].pt_failed, 0);
        write_runs(nd, cases[i].pt_metrics, cases[i].pt_failed, cases[i].extra_failed);
        bb_cmp_summary s;
        char *mem = compare_dirs(bd, nd, &tol, 0, &s);
        printf("--- %s\n%s", cases[i].name, mem);
        assert_int_equal(s.regressions + s.missing_metrics + s.missing_runs + s.version_mismatches, 0);
        assert_int_equal(s.unusable_reports, cases[i].unusable);
        assert_true(bb_compare_failed(&s));
        assert_non_null(strstr(mem, "UNUSABLE"));
        assert_non_null(strstr(mem, "-> FAIL"));
        free(mem);
        /* the command: exit 1 and one line naming the report file */
        char *argv[] = {"compare", bd, nd, "--tolerances", tp, NULL};
        assert_int_equal(compare_capturing_stderr(5, argv), 1);
        assert_true(one_line(cerr));
        char want[4400];
        snprintf(want, sizeof want, "boltzbench: %s/%s: %s", cases[i].unusable == 2 ? bd : nd, cases[i].file,
                 cases[i].why);
        assert_memory_equal(cerr, want, strlen(want));
        fx_rmtree(bd), fx_rmtree(nd);
        free(bd), free(nd);
    }
    free(tp);
    fx_rmtree(td);
    free(td);
}

/* The default tolerances come from the source tree (BB_SOURCE_DIR, or $BOLTZBENCH_SOURCE_DIR),
 * not the current directory; and with a broken report the error names the report. */
BB_TEST(compare_finds_its_tolerances_from_any_directory_and_names_a_broken_report) {
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *env = getenv("BOLTZBENCH_SOURCE_DIR");
    char *saved_env = env ? strdup(env) : NULL;
    char *elsewhere = fx_tempdir(), *bd = fx_tempdir(), *nd = fx_tempdir(), *src = fx_tempdir();
    write_runs(bd, 2, 0, 0);
    write_runs(nd, 2, 0, 0);
    assert_int_equal(chdir(elsewhere), 0); /* no ci/tolerances.json here */
    char *argv[] = {"compare", bd, nd, NULL};
    /* the build's source tree */
    unsetenv("BOLTZBENCH_SOURCE_DIR");
    assert_int_equal(compare_capturing_stderr(3, argv), 0);
    assert_string_equal(cerr, "");
    /* $BOLTZBENCH_SOURCE_DIR wins: a strict file there turns a 4% change into a regression */
    char ci[4200];
    snprintf(ci, sizeof ci, "%s/ci", src);
    assert_int_equal(mkdir(ci, 0755), 0);
    assert_int_equal(fx_write_text(src, "ci/tolerances.json", "{\"default\": {\"abs\": 0, \"rel\": 0.01}}"), 0);
    fx_metric worse[2] = {{"energy_w2", 1.04}, {"zz_custom", 3.0}};
    fx_run a = {"dw4", 1, "mala", 1000, 0, 0, NULL, worse, 2, 0};
    assert_int_equal(fx_write(nd, &a), 0);
    setenv("BOLTZBENCH_SOURCE_DIR", src, 1);
    assert_int_equal(compare_capturing_stderr(3, argv), 1);
    assert_non_null(strstr(cerr, "beyond tolerance"));
    unsetenv("BOLTZBENCH_SOURCE_DIR"); /* ci/tolerances.json of the tree: rel 0.25 */
    assert_int_equal(compare_capturing_stderr(3, argv), 0);
    /* no tolerance file to be found and a truncated report: the report is named */
    char *nosrc = fx_tempdir();
    setenv("BOLTZBENCH_SOURCE_DIR", nosrc, 1);
    assert_int_equal(fx_write_text(nd, "dw4/truncated.json", "{\"schema\": \"boltzbench.report/1\", \"sta"), 0);
    assert_int_equal(compare_capturing_stderr(3, argv), 1);
    assert_true(one_line(cerr));
    assert_non_null(strstr(cerr, "truncated.json"));
    assert_null(strstr(cerr, "tolerances"));
    /* a missing report directory is named too */
    char *missing[] = {"compare", bd, "/nonexistent/reports", NULL};
    assert_int_equal(compare_capturing_stderr(3, missing), 1);
    assert_true(one_line(cerr));
    assert_non_null(strstr(cerr, "/nonexistent/reports"));
    assert_null(strstr(cerr, "tolerances"));
    /* good reports and no tolerance file: now that is the error, with the path looked at */
    char p[4200];
    snprintf(p, sizeof p, "%s/dw4/truncated.json", nd);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(compare_capturing_stderr(3, argv), 1);
    snprintf(p, sizeof p, "%s/ci/tolerances.json", nosrc);
    assert_non_null(strstr(cerr, p));
    assert_int_equal(chdir(cwd), 0);
    if (saved_env)
        setenv("BOLTZBENCH_SOURCE_DIR", saved_env, 1);
    else
        unsetenv("BOLTZBENCH_SOURCE_DIR");
    free(saved_env);
    fx_rmtree(elsewhere), fx_rmtree(bd), fx_rmtree(nd), fx_rmtree(src), fx_rmtree(nosrc);
    free(elsewhere), free(bd), free(nd), free(src), free(nosrc);
}

/* Turn metric `name` of the mala-on-dw4 report under dir (write_set) into an error entry,
 * as bb_metrics_compute writes one. */
static void set_metric_error(const char *dir, const char *name, const char *why) {
    char path[4200];
    snprintf(path, sizeof path, "%s/dw4/mala-b1000-s0.json", dir);
    cJSON *r = NULL;
    bb_ctx ctx = {0};
    assert_int_equal(bb_json_read_file(path, 1 << 20, &r, &ctx), BB_OK);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNullToObject(e, "value");
    cJSON_AddStringToObject(e, "error", why);
    cJSON_AddBoolToObject(e, "higher_is_better", 0);
    assert_true(cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(r, "metrics"), name, e));
    assert_int_equal(bb_json_write_file(path, r, &ctx), BB_OK);
    cJSON_Delete(r);
}

/* A metric the new run could not compute (an entry with "error") where the baseline has a
 * value fails the gate with the reason on its row, whatever the tolerance; one the
 * baseline could not compute either is not compared. */
BB_TEST(a_metric_error_where_the_baseline_has_a_value_fails_the_gate) {
    bb_tolerances tol = {{1e9, 1e9}, NULL, NULL, 0, NULL, 0}; /* any value would pass */
    char *bd = fx_tempdir(), *nd = fx_tempdir();
    write_set(bd, 1.0, 0, 0, 0, 0, NULL);
    write_set(nd, 1.0, 0, 0, 0, 0, NULL);
    set_metric_error(nd, "energy_w2", "histogram: set has no mass");
    bb_cmp_summary s;
    char *mem = compare_dirs(bd, nd, &tol, 0, &s);
    printf("%s", mem);
    assert_int_equal(s.metric_errors, 1);
    assert_int_equal(s.regressions + s.missing_metrics, 0);
    assert_true(bb_compare_failed(&s));
    assert_non_null(strstr(mem, "energy_w2"));
    assert_non_null(strstr(mem, "ERROR: histogram: set has no mass"));
    assert_non_null(strstr(mem, "1 metric error(s)"));
    assert_non_null(strstr(mem, "-> FAIL"));
    free(mem);
    /* the baseline could not compute it either: nothing to compare, the gate passes */
    set_metric_error(bd, "energy_w2", "histogram: set has no mass");
    mem = compare_dirs(bd, nd, &tol, 0, &s);
    assert_int_equal(s.metric_errors, 0);
    assert_false(bb_compare_failed(&s));
    free(mem);
    fx_rmtree(bd), fx_rmtree(nd);
    free(bd), free(nd);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(verdicts_follow_direction_and_the_larger_of_abs_and_rel),
             cmocka_unit_test(tolerance_file_is_validated_and_overrides_the_default),
             cmocka_unit_test(directory_comparisons_pass_or_fail_as_the_gate_should),
             cmocka_unit_test(compare_command_exit_status_covers_pass_regression_corruption_and_schema),
             cmocka_unit_test(reports_that_scored_nothing_or_did_not_finish_fail_the_gate),
             cmocka_unit_test(compare_finds_its_tolerances_from_any_directory_and_names_a_broken_report),
             cmocka_unit_test(a_metric_error_where_the_baseline_has_a_value_fails_the_gate))
