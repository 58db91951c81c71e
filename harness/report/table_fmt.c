/* table_fmt.c — the text formats of the leaderboard: Markdown, CSV and LaTeX
 * (HTML is in table_html.c). Each writes one table per (task, metric) with one row
 * per method and one column per evaluation budget the task was run at; CSV is the
 * long form (one line per cell) for spreadsheets and scripts.
 *
 * Not here: aggregation (table.c), plots (plot.c). Output is byte-deterministic for
 * a given report set (sorted keys, fixed number formats).
 */
#include "harness/report/table.h"

#include <math.h>
#include <string.h>

#include "harness/report/plot.h"

const char *const bb_table_format_names[BB_TABLE_FORMAT_COUNT] = {"md", "csv", "latex", "html"};

_Static_assert(sizeof bb_table_format_names / sizeof *bb_table_format_names == BB_TABLE_FORMAT_COUNT,
               "one name per bb_table_format");

int bb_table_format_parse(const char *s, bb_table_format *out, bb_ctx *ctx) {
    for (int i = 0; i < BB_TABLE_FORMAT_COUNT; i++)
        if (s && strcmp(s, bb_table_format_names[i]) == 0) {
            *out = (bb_table_format)i;
            return BB_OK;
        }
    return BB_ERR(ctx, BB_EINVAL, "--format: '%s' is not one of md, csv, latex, html", s ? s : "(null)");
}

/* "1e4" for powers of ten, the integer otherwise. */
static void budget_text(int64_t b, char *buf, size_t len) {
    int64_t p = 1;
    for (int e = 0; e < 19; e++, p *= 10) {
        if (p == b && e >= 3) {
            snprintf(buf, len, "1e%d", e);
            return;
        }
        if (p > INT64_MAX / 10) break;
    }
    snprintf(buf, len, "%lld", (long long)b);
}

static void caption_text(const bb_rset *rs, const bb_agg *a, size_t t, size_t m, char *buf, size_t len) {
    snprintf(buf, len,
             "%s, %s (%s is better%s): mean over seeds ± half-width of the t-based 95%% CI "
             "(t_{0.975,n-1}·sd/√n; one seed: value and n=1); columns are energy-evaluation budgets; "
             "best per column marked; † = failed runs excluded; harness %s (commit %.12s).",
             a->tasks[t], a->metrics[m], a->higher_is_better[m] ? "higher" : "lower",
             a->known[m] ? "" : "; unknown metric, assumed", rs->harness_version, rs->harness_commit);
}

static int method_in_task(const bb_agg *a, size_t t, size_t m, size_t k) {
    for (size_t b = 0; b < a->n_budgets; b++)
        if (bb_agg_at(a, t, m, k, b)->present) return 1;
    return 0;
}

static int table_present(const bb_agg *a, size_t t, size_t m) {
    for (size_t k = 0; k < a->n_methods; k++)
        if (method_in_task(a, t, m, k)) return 1;
    return 0;
}

/* 1 if any method has a value of metric m of task t at budget b. */
static int metric_at_budget(const bb_agg *a, size_t t, size_t m, size_t b) {
    for (size_t k = 0; k < a->n_methods; k++)
        if (bb_agg_at(a, t, m, k, b)->present) return 1;
    return 0;
}

/* One Markdown cell: mean ± CI half-width, bold when best in its column, † and the number
 * of failed runs excluded. */
static void md_cell(FILE *fp, const bb_agg_cell *c) {
    char buf[128];
    bb_table_cell_text(c, buf, sizeof buf);
    fprintf(fp, c->best ? " **%s**" : " %s", buf);
    if (c->n_failed) fprintf(fp, " †%zu", c->n_failed);
    fprintf(fp, " |");
}

/* Methods × metrics at the task's largest budget (a compact first look). */
static void md_overview(FILE *fp, const bb_agg *a, size_t t) {
    size_t b = a->n_budgets;
    while (b > 0 && !bb_agg_task_has_budget(a, t, b - 1)) b--;
    if (b-- == 0) return;
    char buf[128];
    budget_text(a->budgets[b], buf, sizeof buf);
    fprintf(fp, "\n## %s — overview at %s evals\n\n| method |", a->tasks[t], buf);
    size_t ncol = 0;
    for (size_t m = 0; m < a->n_metrics; m++)
        if (metric_at_budget(a, t, m, b))
            fprintf(fp, " %s %s |", a->metrics[m], a->higher_is_better[m] ? "↑" : "↓"), ncol++;
    fprintf(fp, "\n|---|");
    for (size_t i = 0; i < ncol; i++) fprintf(fp, "---:|");
    fprintf(fp, "\n");
    for (size_t k = 0; k < a->n_methods; k++) {
        int row = 0;
        for (size_t m = 0; m < a->n_metrics; m++) row |= bb_agg_at(a, t, m, k, b)->present;
        if (!row) continue;
        fprintf(fp, "| %s |", a->methods[k]);
        for (size_t m = 0; m < a->n_metrics; m++)
            if (metric_at_budget(a, t, m, b)) md_cell(fp, bb_agg_at(a, t, m, k, b));
        fprintf(fp, "\n");
    }
    fprintf(fp, "\n*↓ lower is better, ↑ higher is better; mean over seeds ± t-based 95%% CI half-width; "
                "best per column in bold.*\n");
}

/* The list of failed runs, when there are any. */
static void md_failed(FILE *fp, const bb_rset *rs) {
    int head = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->runs[i].ok) continue;
        if (!head++) fprintf(fp, "\n## Failed runs (excluded from the tables)\n\n");
        fprintf(fp, "- %s: %s\n", rs->runs[i].path, bb_rset_run_error(&rs->runs[i]));
    }
}

static void write_md(FILE *fp, const bb_rset *rs, const bb_agg *a) {
    fprintf(fp,
            "# boltzbench leaderboard\n\n%zu reports, harness %s (commit %.12s). "
            "Cells: mean over seeds ± t-based 95%% CI half-width; **bold** = best in its column.\n",
            rs->n, rs->harness_version, rs->harness_commit);
    char buf[256], cap[1024];
    for (size_t t = 0; t < a->n_tasks; t++) {
        md_overview(fp, a, t);
        for (size_t m = 0; m < a->n_metrics; m++) {
            if (!table_present(a, t, m)) continue;
            fprintf(fp, "\n## %s — %s (%s is better)\n\n| method |", a->tasks[t], a->metrics[m],
                    a->higher_is_better[m] ? "higher" : "lower");
            for (size_t b = 0; b < a->n_budgets; b++)
                if (bb_agg_task_has_budget(a, t, b)) {
                    budget_text(a->budgets[b], buf, sizeof buf);
                    fprintf(fp, " %s evals |", buf);
                }
            fprintf(fp, "\n|---|");
            for (size_t b = 0; b < a->n_budgets; b++)
                if (bb_agg_task_has_budget(a, t, b)) fprintf(fp, "---:|");
            fprintf(fp, "\n");
            for (size_t k = 0; k < a->n_methods; k++) {
                if (!method_in_task(a, t, m, k)) continue;
                fprintf(fp, "| %s |", a->methods[k]);
                for (size_t b = 0; b < a->n_budgets; b++)
                    if (bb_agg_task_has_budget(a, t, b)) md_cell(fp, bb_agg_at(a, t, m, k, b));
                fprintf(fp, "\n");
            }
            caption_text(rs, a, t, m, cap, sizeof cap);
            fprintf(fp, "\n*Table: %s*\n", cap);
        }
    }
    md_failed(fp, rs);
}

int bb_table_write_overview(FILE *fp, const bb_rset *rs, const bb_agg *a, bb_ctx *ctx) {
    for (size_t t = 0; t < a->n_tasks; t++) md_overview(fp, a, t);
    fprintf(fp,
            "\n*%zu reports, harness %s (commit %.12s); cells: mean over seeds ± t-based 95%% CI half-width "
            "(t_{0.975,n-1}·sd/√n; one seed: value and n=1).*\n",
            rs->n, rs->harness_version, rs->harness_commit);
    md_failed(fp, rs);
    if (ferror(fp)) return BB_ERR(ctx, BB_EIO, "table: write error");
    return BB_OK;
}

static void csv_num(FILE *fp, double v) {
    if (isfinite(v))
        fprintf(fp, ",%.17g", v);
    else
        fprintf(fp, ",");
}

/* RFC 4180 field: quoted (with doubled quotes) only when it holds , " or a newline. */
static void csv_str(FILE *fp, const char *s, const char *sep) {
    fputs(sep, fp);
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void write_csv(FILE *fp, const bb_rset *rs, const bb_agg *a) {
    fprintf(fp, "task,method,metric,higher_is_better,budget,n,mean,sd,ci95_half,ci95_lo,ci95_hi,"
                "n_failed,best,harness_version,harness_commit\n");
    for (size_t t = 0; t < a->n_tasks; t++)
        for (size_t m = 0; m < a->n_metrics; m++)
            for (size_t k = 0; k < a->n_methods; k++)
                for (size_t b = 0; b < a->n_budgets; b++) {
                    const bb_agg_cell *c = bb_agg_at(a, t, m, k, b);
                    if (!c->present) continue;
                    csv_str(fp, a->tasks[t], ""), csv_str(fp, a->methods[k], ","), csv_str(fp, a->metrics[m], ",");
                    fprintf(fp, ",%d,%lld,%zu", a->higher_is_better[m], (long long)a->budgets[b], c->st.n);
                    csv_num(fp, c->st.mean);
                    csv_num(fp, c->st.sd);
                    csv_num(fp, c->st.half);
                    csv_num(fp, c->st.mean - c->st.half);
                    csv_num(fp, c->st.mean + c->st.half);
                    fprintf(fp, ",%zu,%d", c->n_failed, c->best);
                    csv_str(fp, rs->harness_version, ",");
                    csv_str(fp, rs->harness_commit, ",");
                    fputc('\n', fp);
                }
}

static void tex_escape(FILE *fp, const char *s) {
    for (; *s; s++) {
        switch (*s) {
            case '_':
            case '%':
            case '&':
            case '#':
            case '$':
            case '{':
            case '}': fprintf(fp, "\\%c", *s); break;
            case '\\': fprintf(fp, "\\textbackslash{}"); break;
            case '^': fprintf(fp, "\\^{}"); break;
            case '~': fprintf(fp, "\\~{}"); break;
            default: fputc(*s, fp);
        }
    }
}

static void tex_cell(FILE *fp, const bb_agg_cell *c) {
    /* bold inside math mode: \textbf does not reach digits typeset in $...$ */
    const char *b0 = c->best ? "\\mathbf{" : "", *b1 = c->best ? "}" : "";
    if (!c->present || c->st.n == 0)
        fprintf(fp, "--");
    else if (c->st.n < 2)
        fprintf(fp, "$%s%.4g%s$ ($n{=}1$)", b0, c->st.mean, b1);
    else
        fprintf(fp, "$%s%.4g \\pm %.2g%s$", b0, c->st.mean, c->st.half, b1);
    if (c->n_failed) fprintf(fp, "$^{\\dagger%zu}$", c->n_failed);
}

static void write_latex(FILE *fp, const bb_rset *rs, const bb_agg *a) {
    fprintf(fp, "%% boltzbench leaderboard: %zu reports, harness %s (commit %.12s).\n", rs->n, rs->harness_version,
            rs->harness_commit);
    char buf[64];
    for (size_t t = 0; t < a->n_tasks; t++)
        for (size_t m = 0; m < a->n_metrics; m++) {
            if (!table_present(a, t, m)) continue;
            size_t ncol = 0;
            for (size_t b = 0; b < a->n_budgets; b++) ncol += (size_t)bb_agg_task_has_budget(a, t, b);
            fprintf(fp, "\\begin{table}[ht]\n\\centering\n\\caption{");
            tex_escape(fp, a->tasks[t]);
            fprintf(fp, ", ");
            tex_escape(fp, a->metrics[m]);
            fprintf(fp,
                    " (%s is better%s): mean over seeds $\\pm$ half-width of the t-based 95\\%% CI "
                    "($t_{0.975,n-1}\\,s/\\sqrt{n}$; one seed: value and $n{=}1$). Columns: energy-evaluation "
                    "budget. Best per column in bold; $\\dagger$: failed runs excluded. Harness ",
                    a->higher_is_better[m] ? "higher" : "lower", a->known[m] ? "" : "; unknown metric, assumed");
            tex_escape(fp, rs->harness_version);
            fprintf(fp, " (commit \\texttt{%.12s}).}\n\\begin{tabular}{l", rs->harness_commit);
            for (size_t i = 0; i < ncol; i++) fprintf(fp, "r");
            fprintf(fp, "}\n\\hline\nmethod");
            for (size_t b = 0; b < a->n_budgets; b++)
                if (bb_agg_task_has_budget(a, t, b)) {
                    budget_text(a->budgets[b], buf, sizeof buf);
                    fprintf(fp, " & %s", buf);
                }
            fprintf(fp, " \\\\\n\\hline\n");
            for (size_t k = 0; k < a->n_methods; k++) {
                if (!method_in_task(a, t, m, k)) continue;
                tex_escape(fp, a->methods[k]);
                for (size_t b = 0; b < a->n_budgets; b++)
                    if (bb_agg_task_has_budget(a, t, b)) {
                        fprintf(fp, " & ");
                        tex_cell(fp, bb_agg_at(a, t, m, k, b));
                    }
                fprintf(fp, " \\\\\n");
            }
            fprintf(fp, "\\hline\n\\end{tabular}\n\\end{table}\n\n");
        }
}

int bb_table_write(FILE *fp, const bb_rset *rs, const bb_agg *a, bb_table_format fmt, bb_ctx *ctx) {
    switch (fmt) {
        case BB_TABLE_MD: write_md(fp, rs, a); break;
        case BB_TABLE_CSV: write_csv(fp, rs, a); break;
        case BB_TABLE_LATEX: write_latex(fp, rs, a); break;
        case BB_TABLE_HTML: return bb_table_html(fp, rs, a, ctx);
        default: return BB_ERR(ctx, BB_EINVAL, "table: unknown format %d", (int)fmt);
    }
    if (ferror(fp)) return BB_ERR(ctx, BB_EIO, "table: write error");
    return BB_OK;
}
