/* test_table.c — leaderboard tables: t quantiles, statistics over seeds, the
 * task × metric × method × budget aggregation, best-per-column marking (both
 * directions), failed-run exclusion, version grouping/refusal, corrupt reports,
 * the selection options (--tasks, --methods, --budgets, --metrics, --cost, --overview),
 * and the md / csv / latex writers and the `table` subcommand, on synthetic
 * reports whose expected numbers are written out below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/core/jsonutil.h"
#include "harness/report/table.h"
#include "leaderboard_testutil.h"
#include "test_table_fixtures.h"
#include "tests/testmain.h"

BB_TEST(t_quantiles_match_the_tables_and_the_expansion_beyond_30) {
    /* exact values (R: qt(0.975, df)) */
    const int df[] = {1, 2, 10, 30, 31, 40, 60, 120, 1000};
    const double want[] = {12.706205, 4.302653, 2.228139, 2.042272, 2.039513, 2.021075, 2.000298, 1.979930, 1.962339};
    for (size_t i = 0; i < sizeof df / sizeof *df; i++) {
        double got = bb_t975(df[i]);
        printf("df %4d: t = %.7f (want %.6f, diff %.2e)\n", df[i], got, want[i], fabs(got - want[i]));
        assert_true(fabs(got - want[i]) < 1e-5);
    }
    assert_true(isnan(bb_t975(0)));
}

BB_TEST(stats_give_mean_sd_and_t_interval_and_refuse_nan) {
    bb_ctx ctx = {0};
    bb_stat s;
    const double x[3] = {1.25, 2.5, 4.75};
    assert_int_equal(bb_stat_compute(x, 3, &s, &ctx), BB_OK);
    assert_int_equal(s.n, 3);
    assert_true(fabs(s.mean - 2.8333333333333335) < 1e-14);
    assert_true(fabs(s.sd - 1.773649721149397) < 1e-12);
    assert_true(fabs(s.half - 4.405990159908373) < 1e-5);
    assert_int_equal(bb_stat_compute(x, 1, &s, &ctx), BB_OK);
    assert_true(s.mean == 1.25 && isnan(s.sd) && isnan(s.half));
    assert_int_equal(bb_stat_compute(x, 0, &s, &ctx), BB_OK);
    assert_true(s.n == 0 && isnan(s.mean));
    const double bad[2] = {1.0, NAN};
    assert_int_equal(bb_stat_compute(bad, 2, &s, &ctx), BB_ENAN);
    assert_non_null(strstr(ctx.msg, "not finite"));
}

/* dw4: mala and pt at 1e4 and 1e5, seeds 0..2, plus one failed mala run. */
static char *make_set(void) {
    char *dir = fx_tempdir();
    assert_non_null(dir);
    const double w2[2][2][3] = {{{0.5, 0.75, 1.25}, {0.125, 0.25, 0.1875}}, {{0.25, 0.5, 0.375}, {0.3, 0.35, 0.4}}};
    const int64_t budgets[2] = {10000, 100000};
    fx_write_grid(dir, budgets, 3, &w2[0][0][0], 1);
    fx_metric bad[1] = {{"energy_w2", 99.0}};
    fx_run f = {"dw4", 1, "mala", 100000, 3, 1, NULL, bad, 1, 0};
    assert_int_equal(fx_write(dir, &f), 0);
    return dir;
}

BB_TEST(aggregation_gives_means_intervals_best_marks_and_excludes_failed_runs) {
    fx_board b;
    fx_board_load(&b, make_set());
    assert_int_equal(b.rs.n, 13);
    assert_string_equal(b.rs.harness_version, "0.1.0");
    assert_int_equal(b.a.n_tasks, 1);
    assert_string_equal(b.a.tasks[0], "dw4@1");
    assert_int_equal(b.a.n_methods, 2);
    assert_string_equal(b.a.methods[0], "mala@1");
    assert_int_equal(b.a.n_metrics, 2); /* energy_histogram / tica_density have no value: not tabulated */
    assert_string_equal(b.a.metrics[0], "energy_w2");
    assert_string_equal(b.a.metrics[1], "zz_custom");
    assert_int_equal(b.a.known[1], 0);
    assert_int_equal(b.a.higher_is_better[1], 0); /* unknown: lower assumed */
    assert_int_equal(b.a.n_budgets, 2);
    const bb_agg_cell *c = bb_agg_at(&b.a, 0, 0, 0, 0); /* mala, 1e4 */
    assert_int_equal(c->st.n, 3);
    assert_true(fabs(c->st.mean - 0.8333333333333334) < 1e-14);
    assert_true(fabs(c->st.half - 0.9486457584348663) < 1e-5);
    assert_false(c->best);
    assert_true(bb_agg_at(&b.a, 0, 0, 1, 0)->best); /* pt 0.375 < 0.833 */
    c = bb_agg_at(&b.a, 0, 0, 0, 1);                /* mala, 1e5: 0.1875, failed run excluded */
    assert_int_equal(c->st.n, 3);
    assert_int_equal(c->n_failed, 1);
    assert_true(fabs(c->st.mean - 0.1875) < 1e-15);
    assert_true(c->best);
    assert_false(bb_agg_at(&b.a, 0, 0, 1, 1)->best);
    assert_true(bb_agg_at(&b.a, 0, 1, 0, 0)->best && bb_agg_at(&b.a, 0, 1, 1, 0)->best); /* ties: both */
    /* higher-is-better flips the marks */
    b.a.higher_is_better[0] = 1;
    bb_agg_mark_best(&b.a);
    assert_true(bb_agg_at(&b.a, 0, 0, 0, 0)->best);
    assert_true(bb_agg_at(&b.a, 0, 0, 1, 1)->best);
    char buf[64];
    bb_table_cell_text(bb_agg_at(&b.a, 0, 0, 1, 0), buf, sizeof buf);
    assert_string_equal(buf, "0.375 ± 0.31");
    fx_board_free(&b);
    bb_agg_free(NULL);
    bb_rset_free(NULL);
}

static char *render(const fx_board *b, bb_table_format f) {
    fx_mem m;
    bb_ctx ctx = {0};
    assert_int_equal(bb_table_write(fx_mem_open(&m), &b->rs, &b->a, f, &ctx), BB_OK);
    return fx_mem_close(&m);
}

BB_TEST(text_formats_mark_the_best_and_state_ci_budget_and_version) {
    fx_board b;
    fx_board_load(&b, make_set());
    char *md = render(&b, BB_TABLE_MD);
    FX_CONTAINS(md, "## dw4@1 — energy_w2 (lower is better)", "| method | 1e4 evals | 1e5 evals |",
                "| mala@1 | 0.8333 ± 0.95 | **0.1875 ± 0.16** †1 |", "| pt@1 | **0.375 ± 0.31** | 0.35 ± 0.12 |",
                "## dw4@1 — overview at 1e5 evals\n\n| method | energy_w2 ↓ | zz_custom ↓ |\n",
                "| mala@1 | **0.1875 ± 0.16** †1 | **2 ± 0** †1 |\n", "t-based 95% CI",
                "harness 0.1.0 (commit 0123456789ab)", "unknown metric, assumed",
                "## Failed runs (excluded from the tables)\n\n- ", "dw4/mala-b100000-s3.json: synthetic failure\n");
    char *html = render(&b, BB_TABLE_HTML);
    assert_non_null(strstr(html, "<ul class=\"bb-failed\">"));
    assert_int_equal(fx_count(html, "<table class=\"bb-overview\">"), 1);
    FX_CONTAINS(html, "dw4@1 at 100000 energy evaluations", "<th>energy_w2 &darr;</th><th>zz_custom &darr;</th>",
                "mala-b100000-s3.json</code>: synthetic failure</li>");
    free(html);
    char *csv = render(&b, BB_TABLE_CSV);
    assert_int_equal(fx_count(csv, "\n"), 1 + 2 * 2 * 2); /* header + metric × method × budget */
    assert_non_null(strstr(csv, "dw4@1,mala@1,energy_w2,0,10000,3,0.83333333333333337,"));
    assert_non_null(strstr(csv, ",1,1,0.1.0,")); /* mala 1e5: n_failed 1, best 1 */
    char *tex = render(&b, BB_TABLE_LATEX);
    FX_CONTAINS(tex, "$\\mathbf{0.375 \\pm 0.31}$", "$0.35 \\pm 0.12$", "energy\\_w2");
    assert_int_equal(fx_count(tex, "\\begin{table}"), 2);
    /* deterministic bytes */
    char *md2 = render(&b, BB_TABLE_MD);
    assert_string_equal(md, md2);
    free(md), free(md2), free(csv), free(tex);
    fx_board_free(&b);
}

BB_TEST(metrics_a_task_does_not_report_get_no_table) {
    fx_metric both[2] = {{"dist_w2", 0.25}, {"energy_w2", 0.5}}, one[2] = {{"energy_w2", 0.75}, {"odd,\"name", 1.5}};
    const fx_run runs[2] = {{"dw4", 1, "mala", 1000, 0, 0, NULL, both, 2, 0},
                            {"gmm40", 1, "mala", 1000, 0, 0, NULL, one, 2, 0}};
    fx_board b;
    fx_board_load_runs(&b, runs, 2);
    assert_false(bb_agg_at(&b.a, 1, 0, 0, 0)->present); /* gmm40 × dist_w2 */
    char *md = render(&b, BB_TABLE_MD), *tex = render(&b, BB_TABLE_LATEX);
    assert_non_null(strstr(md, "## gmm40@1 — energy_w2"));
    assert_null(strstr(md, "## gmm40@1 — dist_w2"));
    assert_non_null(strstr(md, "## dw4@1 — dist_w2"));
    assert_int_equal(fx_count(tex, "\\begin{table}"), 4);
    char *csv = render(&b, BB_TABLE_CSV);
    assert_non_null(strstr(csv, "\ngmm40@1,mala@1,\"odd,\"\"name\",0,1000,1,1.5,"));
    free(md), free(tex), free(csv);
    fx_board_free(&b);
}

BB_TEST(task_versions_are_grouped_and_harness_versions_refused) {
    fx_metric m[1] = {{"energy_w2", 0.5}};
    const fx_run runs[2] = {{"dw4", 1, "mala", 1000, 0, 0, NULL, m, 1, 0},
                            {"dw4", 2, "mala", 1000, 0, 0, NULL, m, 1, 0}};
    fx_board b;
    fx_board_load_runs(&b, runs, 2);
    assert_int_equal(b.a.n_tasks, 2);
    assert_string_equal(b.a.tasks[0], "dw4@1");
    assert_string_equal(b.a.tasks[1], "dw4@2");
    bb_agg_free(&b.a);
    bb_rset_free(&b.rs);
    fx_run r3 = {"gmm40", 1, "mala", 1000, 0, 0, "0.2.0", m, 1, 0};
    assert_int_equal(fx_write(b.dir, &r3), 0);
    assert_int_equal(bb_rset_load_dir(b.dir, &b.rs, &b.ctx), BB_EFORMAT);
    printf("refusal: %s\n", b.ctx.msg);
    assert_non_null(strstr(b.ctx.msg, "gmm40/mala-b1000-s0.json"));
    assert_non_null(strstr(b.ctx.msg, "harness version 0.2.0 differs from 0.1.0"));
    assert_int_equal(b.rs.n, 0);
    fx_board_free(&b);
}

BB_TEST(corrupt_or_missing_reports_fail_with_the_file_name) {
    char *dir = fx_tempdir();
    bb_ctx ctx = {0};
    bb_rset rs;
    assert_int_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_ENOTFOUND); /* empty */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    assert_int_equal(bb_rset_load_dir(missing, &rs, &ctx), BB_ENOTFOUND);
    fx_metric m[1] = {{"energy_w2", 0.5}};
    fx_run r = {"dw4", 1, "mala", 1000, 0, 0, NULL, m, 1, 0};
    assert_int_equal(fx_write(dir, &r), 0);
    assert_int_equal(fx_write_text(dir, "broken.json", "{\"schema\": \"boltzbench.report/1\", \"status\": "), 0);
    bb_ctx_clear(&ctx);
    assert_int_not_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_OK);
    printf("corrupt: %s\n", ctx.msg);
    assert_non_null(strstr(ctx.msg, "broken.json"));
    assert_null(strchr(ctx.msg, '\n'));
    assert_int_equal(fx_write_text(dir, "broken.json", "{\"schema\": \"boltzbench.report/1\", \"status\": \"ok\"}"), 0);
    bb_ctx_clear(&ctx);
    assert_int_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_EFORMAT);
    assert_non_null(strstr(ctx.msg, "broken.json: field 'config_sha256'"));
    /* numbers out of range for the integer keys */
    static const char *const bad_nums[] = {
        "{\"schema\":\"boltzbench.report/1\",\"status\":\"ok\",\"config_sha256\":\"a\",\"harness\":{\"version\":"
        "\"0.1.0\"},\"task\":{\"id\":\"dw4\"},\"method\":{\"name\":\"m\"},\"seed\":0,\"budget\":{\"limit\":1e300,"
        "\"used\":1},\"metrics\":{}}",
        "{\"schema\":\"boltzbench.report/1\",\"status\":\"ok\",\"config_sha256\":\"a\",\"harness\":{\"version\":"
        "\"0.1.0\"},\"task\":{\"id\":\"dw4\"},\"method\":{\"name\":\"m\"},\"seed\":-2.5,\"budget\":{\"limit\":10,"
        "\"used\":1},\"metrics\":{}}"};
    const char *const want[] = {"broken.json: budget.limit: not an integer", "broken.json: seed: not an integer"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fx_write_text(dir, "broken.json", bad_nums[i]), 0);
        bb_ctx_clear(&ctx);
        assert_int_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_EFORMAT);
        assert_non_null(strstr(ctx.msg, want[i]));
    }
    /* the subcommand: exit 1, one line naming the file */
    char *argv[] = {"table", dir, NULL};
    assert_int_equal(bb_cmd_table(2, argv), 1);
    fx_rmtree(dir);
    free(dir);
}

BB_TEST(table_command_writes_the_requested_format_and_svg_files) {
    char *dir = make_set();
    char out[4200], svg[4200], path[4300];
    snprintf(out, sizeof out, "%s/board.csv", dir);
    snprintf(svg, sizeof svg, "%s/svg", dir);
    char *argv[] = {"table", dir, "--format", "csv", "--out", out, "--svg-dir", svg, NULL};
    assert_int_equal(bb_cmd_table(8, argv), 0);
    char *csv = fx_slurp(out);
    assert_non_null(csv);
    assert_true(strncmp(csv, "task,method,metric,", 19) == 0);
    snprintf(path, sizeof path, "%s/anytime-dw4-1-energy_w2.svg", svg);
    char *s = fx_slurp(path);
    assert_non_null(s);
    assert_true(strncmp(s, "<?xml", 5) == 0);
    assert_non_null(strstr(s, "</svg>"));
    snprintf(path, sizeof path, "%s/energy-dw4-1.svg", svg);
    char *e = fx_slurp(path);
    assert_non_null(e);
    snprintf(path, sizeof path, "%s/density2d-dw4-1-tica_density.svg", svg);
    char *d = fx_slurp(path);
    assert_non_null(d);
    char *bad[] = {"table", dir, "--format", "pdf", NULL};
    assert_int_equal(bb_cmd_table(4, bad), 2);
    char *none[] = {"table", NULL};
    assert_int_equal(bb_cmd_table(1, none), 2);
    free(csv), free(s), free(e), free(d);
    fx_rmtree(dir);
    free(dir);
}

/* An entry of a metric family (minima_precision of minima_recall, amr_recall, ...) is not
 * a metric of its own: the table takes the direction its reports state (higher_is_better,
 * written by bb_metric_higher_is_better), and marks the best accordingly. */
BB_TEST(family_entries_take_the_direction_their_reports_state) {
    char *dir = fx_tempdir();
    assert_non_null(dir);
    const fx_metric lo[1] = {{"zz_entry_of_a_family", 0.25}}, hi[1] = {{"zz_entry_of_a_family", 0.75}};
    fx_run r = {"dw4", 1, "mala", 1000, 0, 0, NULL, lo, 1, 0};
    assert_int_equal(fx_write(dir, &r), 0);
    r = (fx_run){"dw4", 1, "pt", 1000, 0, 0, NULL, hi, 1, 0};
    assert_int_equal(fx_write(dir, &r), 0);
    const char *files[2] = {"mala-b1000-s0.json", "pt-b1000-s0.json"};
    for (int k = 0; k < 2; k++) {
        char path[8400];
        snprintf(path, sizeof path, "%s/dw4/%s", dir, files[k]);
        cJSON *rep = NULL;
        bb_ctx ctx = {0};
        assert_int_equal(bb_json_read_file(path, 1 << 20, &rep, &ctx), BB_OK);
        cJSON *e = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), "zz_entry_of_a_family");
        cJSON_AddBoolToObject(e, "higher_is_better", 1);
        assert_int_equal(bb_json_write_file(path, rep, &ctx), BB_OK);
        cJSON_Delete(rep);
    }
    fx_board b;
    fx_board_load(&b, dir);
    assert_int_equal(b.a.n_metrics, 1);
    assert_int_equal(b.a.known[0], 1);
    assert_int_equal(b.a.higher_is_better[0], 1);
    assert_true(bb_agg_at(&b.a, 0, 0, 1, 0)->best); /* pt 0.75 > mala 0.25 */
    assert_false(bb_agg_at(&b.a, 0, 0, 0, 0)->best);
    fx_board_free(&b);
}

/* --tasks/--methods/--budgets keep the matching runs, --metrics the named metrics, --cost
 * adds evaluations_used, method_wall_s and wall_s (where a report has the timing: here one
 * report has wall_s only); names that match
 * nothing are errors naming the option; --overview writes only the overview table. */
BB_TEST(selection_keeps_named_runs_and_metrics_and_adds_cost_columns) {
    char *dir = make_set();
    char path[8400];
    snprintf(path, sizeof path, "%s/dw4/pt-b100000-s1.json", dir);
    cJSON *rep = NULL;
    bb_ctx ctx = {0};
    assert_int_equal(bb_json_read_file(path, 1 << 20, &rep, &ctx), BB_OK);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(rep, "timing"), "wall_s", 2.5);
    assert_int_equal(bb_json_write_file(path, rep, &ctx), BB_OK);
    cJSON_Delete(rep);
    bb_rset rs;
    assert_int_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_OK);
    bb_table_select sel = {.tasks = "dw4", .methods = "pt", .budgets = "1e5", .metrics = "energy_w2", .cost = 1};
    assert_int_equal(bb_rset_select(&rs, &sel, &ctx), BB_OK);
    assert_int_equal(rs.n, 3);
    bb_agg a;
    assert_int_equal(bb_agg_build(&rs, &a, &ctx), BB_OK);
    assert_int_equal(a.n_metrics, 3);
    assert_string_equal(a.metrics[0], "energy_w2");
    assert_string_equal(a.metrics[1], "evaluations_used");
    assert_string_equal(a.metrics[2], "wall_s");
    assert_true(a.known[1] && !a.higher_is_better[1] && a.known[2] && !a.higher_is_better[2]);
    assert_true(a.ranked[0] && !a.ranked[1] && !a.ranked[2]);
    assert_true(bb_agg_at(&a, 0, 0, 0, 0)->best); /* the one method is best at energy_w2 ... */
    assert_false(bb_agg_at(&a, 0, 1, 0, 0)->best || bb_agg_at(&a, 0, 2, 0, 0)->best); /* ... not at its cost */
    assert_true(fabs(bb_agg_at(&a, 0, 0, 0, 0)->st.mean - 0.35) < 1e-15);
    assert_true(bb_agg_at(&a, 0, 1, 0, 0)->st.mean == 100000 && bb_agg_at(&a, 0, 2, 0, 0)->st.n == 1);
    fx_mem m;
    assert_int_equal(bb_table_write_overview(fx_mem_open(&m), &rs, &a, &ctx), BB_OK);
    char *md = fx_mem_close(&m);
    FX_CONTAINS(md, "## dw4@1 — overview at 1e5 evals\n\n| method | energy_w2 ↓ | evaluations_used ↓ | wall_s ↓ |\n",
                "| pt@1 | **0.35 ± 0.12** | 1e+05 ± 0 | 2.5 (n=1) |", "3 reports, harness 0.1.0");
    assert_null(strstr(md, "mala"));
    assert_null(strstr(md, "(lower is better)")); /* no per-metric tables */
    free(md);
    bb_agg_free(&a);
    bb_rset_free(&rs);
    const bb_table_select bad[4] = {
        {.methods = "mala,foo"}, {.budgets = "1e5,abc"}, {.metrics = "nope"}, {.tasks = "lj13"}};
    const char *why[4] = {"--methods: 'foo' matches no report", "--budgets: 'abc' is not an evaluation budget",
                          "--metrics: 'nope' is in no report", "--tasks: 'lj13' matches no report"};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_OK);
        assert_true(bb_rset_select(&rs, &bad[k], &ctx) < 0);
        assert_non_null(strstr(ctx.msg, why[k]));
        bb_rset_free(&rs);
    }
    char *argv[] = {"table", dir, "--format", "csv", "--overview", NULL};
    assert_int_equal(bb_cmd_table(5, argv), 2);
    fx_rmtree(dir);
    free(dir);
}

BB_TEST(by_group_tabulates_tasks_of_one_group_together) {
    char *dir = make_set();
    bb_ctx ctx = {0};
    const char *files[2] = {"mala-b10000-s1", "pt-b10000-s1"}; /* these two runs join group "rot-k" */
    for (int k = 0; k < 2; k++) {
        char path[8400];
        snprintf(path, sizeof path, "%s/dw4/%s.json", dir, files[k]);
        cJSON *rep = NULL;
        assert_int_equal(bb_json_read_file(path, 1 << 20, &rep, &ctx), BB_OK);
        cJSON_AddStringToObject(cJSON_GetObjectItem(rep, "task"), "group", "rot-k");
        assert_int_equal(bb_json_write_file(path, rep, &ctx), BB_OK);
        cJSON_Delete(rep);
    }
    for (int by = 0; by < 2; by++) {
        bb_rset rs;
        bb_agg a;
        assert_int_equal(bb_rset_load_dir(dir, &rs, &ctx), BB_OK);
        bb_table_select sel = {.by_group = by};
        assert_int_equal(bb_rset_select(&rs, &sel, &ctx), BB_OK);
        assert_int_equal(bb_agg_build(&rs, &a, &ctx), BB_OK);
        assert_int_equal(a.n_tasks, by ? 2 : 1);
        assert_string_equal(a.tasks[0], "dw4@1");
        if (by) {
            assert_string_equal(a.tasks[1], "rot-k");
            assert_int_equal(bb_agg_at(&a, 1, 0, 0, 0)->st.n, 1); /* mala, 1e4: the grouped run */
            assert_int_equal(bb_agg_at(&a, 0, 0, 0, 0)->st.n, 2); /* the other two seeds stay */
        }
        bb_agg_free(&a);
        bb_rset_free(&rs);
    }
    fx_rmtree(dir);
    free(dir);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(t_quantiles_match_the_tables_and_the_expansion_beyond_30),
             cmocka_unit_test(selection_keeps_named_runs_and_metrics_and_adds_cost_columns),
             cmocka_unit_test(stats_give_mean_sd_and_t_interval_and_refuse_nan),
             cmocka_unit_test(aggregation_gives_means_intervals_best_marks_and_excludes_failed_runs),
             cmocka_unit_test(text_formats_mark_the_best_and_state_ci_budget_and_version),
             cmocka_unit_test(metrics_a_task_does_not_report_get_no_table),
             cmocka_unit_test(task_versions_are_grouped_and_harness_versions_refused),
             cmocka_unit_test(corrupt_or_missing_reports_fail_with_the_file_name),
             cmocka_unit_test(table_command_writes_the_requested_format_and_svg_files),
             cmocka_unit_test(family_entries_take_the_direction_their_reports_state),
             cmocka_unit_test(by_group_tabulates_tasks_of_one_group_together))
