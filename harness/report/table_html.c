/* table_html.c — the HTML leaderboard: one self-contained page (inline CSS and
 * SVG; no script, no font, image or style sheet fetched) with, per task, the
 * task × method tables of every metric and that task's plots (plot.h).
 *
 * Not here: the numbers (table.c) or the drawing (svg.c). The page is checked by
 * tests/harness/test_html.c, which renders it in headless Chromium.
 */
#include <stdint.h>
#include <string.h>

#include "harness/report/plot.h"
#include "harness/report/svg.h"

static const char css[] =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}"
    "table{border-collapse:collapse;margin:8px 0 4px 0;min-width:560px}"
    ".bb-overview caption{max-width:none}"
    "th,td{border:1px solid #bbb;padding:4px 10px;text-align:right;font-variant-numeric:tabular-nums}"
    "th:first-child,td:first-child{text-align:left}"
    "th{background:#f0f0f0}td.best{font-weight:bold;background:#e8f4e8}"
    "caption{caption-side:bottom;text-align:left;font-size:12px;color:#555;padding-top:4px;max-width:900px}"
    "h2{border-bottom:2px solid #0072b2;padding-bottom:4px;margin-top:36px}"
    ".plots{display:flex;flex-wrap:wrap;gap:12px}.plots svg{border:1px solid #ddd}"
    ".note{font-size:13px;color:#555}";

static void budget_head(FILE *fp, int64_t b) {
    int64_t p = 1000;
    int e = 3;
    while (p < b && p <= INT64_MAX / 10) p *= 10, e++;
    if (p == b)
        fprintf(fp, "<th>10<sup>%d</sup> evals</th>", e);
    else
        fprintf(fp, "<th>%lld evals</th>", (long long)b);
}

/* 1 if method k has a value of metric m of task t at budget b, or (b == SIZE_MAX) at any budget. */
static int method_has(const bb_agg *a, size_t t, size_t m, size_t k, size_t b) {
    for (size_t j = 0; j < a->n_budgets; j++)
        if ((b == SIZE_MAX || j == b) && bb_agg_at(a, t, m, k, j)->present) return 1;
    return 0;
}

/* 1 if any method has a value of metric m of task t at budget b (SIZE_MAX: at any budget). */
static int metric_has(const bb_agg *a, size_t t, size_t m, size_t b) {
    for (size_t k = 0; k < a->n_methods; k++)
        if (method_has(a, t, m, k, b)) return 1;
    return 0;
}

/* The start of a method's row, <tr><td>method</td>. */
static void row_head(FILE *fp, const char *method) {
    fprintf(fp, "<tr><td>");
    bb_svg_escape(fp, method);
    fprintf(fp, "</td>");
}

/* One cell: mean ± CI half-width, class "best" when best in its column, and the number of
 * failed runs excluded. */
static void cell(FILE *fp, const bb_agg_cell *c) {
    char buf[128];
    bb_table_cell_text(c, buf, sizeof buf);
    fprintf(fp, "<td%s>%s", c->best ? " class=\"best\"" : "", buf);
    if (c->n_failed) fprintf(fp, " &dagger;%zu", c->n_failed);
    fprintf(fp, "</td>");
}

static void task_tables(FILE *fp, const bb_rset *rs, const bb_agg *a, size_t t) {
    for (size_t m = 0; m < a->n_metrics; m++) {
        if (!metric_has(a, t, m, SIZE_MAX)) continue;
        fprintf(fp, "<h4>");
        bb_svg_escape(fp, a->metrics[m]);
        fprintf(fp, " <span class=\"note\">(%s is better%s)</span></h4>\n<table class=\"bb-table\">\n<caption>",
                a->higher_is_better[m] ? "higher" : "lower", a->known[m] ? "" : "; unknown metric, assumed");
        bb_svg_escape(fp, a->tasks[t]);
        fprintf(fp, ", ");
        bb_svg_escape(fp, a->metrics[m]);
        fprintf(fp, ": mean over seeds &plusmn; half-width of the t-based 95%% CI "
                    "(t<sub>0.975,n&minus;1</sub>&middot;sd/&radic;n; "
                    "one seed: value and n=1). Columns: energy-evaluation budget. Best per column in bold; "
                    "&dagger;: failed runs excluded. Harness ");
        bb_svg_escape(fp, rs->harness_version);
        fprintf(fp, " (commit %.12s).</caption>\n<tr><th>method</th>", rs->harness_commit);
        for (size_t b = 0; b < a->n_budgets; b++)
            if (bb_agg_task_has_budget(a, t, b)) budget_head(fp, a->budgets[b]);
        fprintf(fp, "</tr>\n");
        for (size_t k = 0; k < a->n_methods; k++) {
            if (!method_has(a, t, m, k, SIZE_MAX)) continue;
            row_head(fp, a->methods[k]);
            for (size_t b = 0; b < a->n_budgets; b++)
                if (bb_agg_task_has_budget(a, t, b)) cell(fp, bb_agg_at(a, t, m, k, b));
            fprintf(fp, "</tr>\n");
        }
        fprintf(fp, "</table>\n");
    }
}

/* Largest budget index at which task t has a present cell, or -1. */
static long top_budget(const bb_agg *a, size_t t) {
    for (size_t b = a->n_budgets; b-- > 0;)
        if (bb_agg_task_has_budget(a, t, b)) return (long)b;
    return -1;
}

/* One compact table per task: methods × metrics at the task's largest budget. */
static void overview_table(FILE *fp, const bb_rset *rs, const bb_agg *a, size_t t) {
    long tb = top_budget(a, t);
    if (tb < 0) return;
    size_t b = (size_t)tb;
    fprintf(fp, "<table class=\"bb-overview\">\n<caption>");
    bb_svg_escape(fp, a->tasks[t]);
    fprintf(fp,
            " at %lld energy evaluations: mean over seeds &plusmn; t-based 95%% CI half-width (one seed: n=1); "
            "&darr; lower is better, &uarr; higher is better; best per column in bold. Harness ",
            (long long)a->budgets[b]);
    bb_svg_escape(fp, rs->harness_version);
    fprintf(fp, " (commit %.12s).</caption>\n<tr><th>method</th>", rs->harness_commit);
    for (size_t m = 0; m < a->n_metrics; m++) {
        if (!metric_has(a, t, m, b)) continue;
        fprintf(fp, "<th>");
        bb_svg_escape(fp, a->metrics[m]);
        fprintf(fp, " %s</th>", a->higher_is_better[m] ? "&uarr;" : "&darr;");
    }
    fprintf(fp, "</tr>\n");
    for (size_t k = 0; k < a->n_methods; k++) {
        int row = 0;
        for (size_t m = 0; m < a->n_metrics; m++) row |= method_has(a, t, m, k, b);
        if (!row) continue;
        row_head(fp, a->methods[k]);
        for (size_t m = 0; m < a->n_metrics; m++)
            if (metric_has(a, t, m, b)) cell(fp, bb_agg_at(a, t, m, k, b));
        fprintf(fp, "</tr>\n");
    }
    fprintf(fp, "</table>\n");
}

int bb_table_html(FILE *fp, const bb_rset *rs, const bb_agg *a, bb_ctx *ctx) {
    bb_plot_set ps;
    int rc = bb_plots_build(rs, a, &ps, ctx);
    if (rc) return rc;
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>boltzbench leaderboard</title>\n<style>%s</style>\n</head>\n<body>\n"
            "<h1>boltzbench leaderboard</h1>\n<p class=\"note\">%zu reports; harness ",
            css, rs->n);
    bb_svg_escape(fp, rs->harness_version);
    fprintf(fp,
            " (commit %.12s). Cells: mean over seeds &plusmn; t-based 95%% CI half-width; best per "
            "column in bold. Plots: metric vs energy evaluations (anytime curve of the largest budget, "
            "circles: final value at each budget), energy histograms of samples vs reference.</p>\n",
            rs->harness_commit);
    for (size_t t = 0; t < a->n_tasks; t++) {
        fprintf(fp, "<section class=\"bb-task\" id=\"task-");
        bb_svg_escape(fp, a->tasks[t]);
        fprintf(fp, "\">\n<h2>");
        bb_svg_escape(fp, a->tasks[t]);
        fprintf(fp, "</h2>\n");
        overview_table(fp, rs, a, t);
        fprintf(fp, "<div class=\"plots\">\n");
        for (size_t i = 0; i < ps.n; i++)
            if (!strcmp(ps.p[i].task, a->tasks[t])) fwrite(ps.p[i].svg, 1, ps.p[i].len, fp);
        fprintf(fp, "</div>\n<h3>Per metric, over budgets</h3>\n");
        task_tables(fp, rs, a, t);
        fprintf(fp, "</section>\n");
    }
    int head = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->runs[i].ok) continue;
        if (!head++) fprintf(fp, "<h2>Failed runs (excluded from the tables)</h2>\n<ul class=\"bb-failed\">\n");
        fprintf(fp, "<li><code>");
        bb_svg_escape(fp, rs->runs[i].path);
        fprintf(fp, "</code>: ");
        bb_svg_escape(fp, bb_rset_run_error(&rs->runs[i]));
        fprintf(fp, "</li>\n");
    }
    if (head) fprintf(fp, "</ul>\n");
    fprintf(fp, "</body>\n</html>\n");
    bb_plots_free(&ps);
    return ferror(fp) ? BB_ERR(ctx, BB_EIO, "html: write error") : BB_OK;
}
