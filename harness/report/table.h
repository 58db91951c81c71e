/* table.h — the leaderboard side of the harness: load a directory of run reports,
 * aggregate them over seeds, and write task × method tables (md, csv, LaTeX, HTML
 * with inline SVG plots); pretty-print one report.
 *
 * Worked example (what `boltzbench table results/quick --format md` does):
 *
 *     bb_rset rs = {0};
 *     bb_agg agg = {0};
 *     if (bb_rset_load_dir("results/quick", &rs, &ctx) == BB_OK &&
 *         bb_agg_build(&rs, &agg, &ctx) == BB_OK)
 *         bb_table_write(stdout, &rs, &agg, BB_TABLE_MD, &ctx);
 *     bb_agg_free(&agg);
 *     bb_rset_free(&rs);
 *
 * Grouping: a row is one method "name@version", a table is one (task "id@version",
 * metric), a column is one evaluation budget; a cell aggregates the runs of every
 * seed. Reports of different harness versions are never mixed: bb_rset_load_dir
 * refuses a directory holding two harness versions and names one file of each.
 *
 * Statistics (stated in every caption): mean over seeds ± the half-width of the
 * t-based 95% confidence interval, t_{0.975, n-1} · sd / sqrt(n) with the sample
 * standard deviation (n − 1 denominator). With a single seed there is no interval:
 * the cell shows the value and "(n=1)". Only runs with status "ok" enter a cell;
 * failed runs are counted and flagged. Metric direction comes from the registry
 * (bb_metric_find(name)->higher_is_better); unknown names are taken as
 * lower-is-better and listed in a note. Entries without a numeric value (e.g. the
 * energy_histogram plot data) are not tabulated.
 */
#ifndef BB_TABLE_H
#define BB_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

/* ---- a set of reports ------------------------------------------------------ */

typedef struct bb_rset_run {
    char *path;      /* file the report came from */
    cJSON *report;   /* validated report (owned) */
    char task[96];   /* "dw4@1" */
    char method[96]; /* "mala@1" */
    int64_t budget;  /* budget.limit (energy evaluations) */
    uint64_t seed;
    int ok;                    /* status == "ok" */
    const char *config_sha256; /* points into report */
} bb_rset_run;

typedef struct bb_rset {
    bb_rset_run *runs; /* sorted by path */
    size_t n;
    char harness_version[64]; /* common harness.version */
    char harness_commit[64];  /* harness.git_commit of the first run ("mixed" if they differ) */
} bb_rset;

/* Load every *.json file under dir (recursively; names starting with '.' are
 * skipped) as a report. Each must pass bb_report_validate; the first that does not
 * fails the load with a one-line error naming it. Two harness versions in one set
 * are refused. An empty directory is an error (BB_ENOTFOUND). On error *out is
 * left empty. */
int bb_rset_load_dir(const char *dir, bb_rset *out, bb_ctx *ctx);
/* Add one report file (validated) to the set; the set is then no longer sorted
 * (bb_rset_load_dir sorts). Harness-version mixing is checked here. */
int bb_rset_add_file(bb_rset *rs, const char *path, bb_ctx *ctx);
void bb_rset_free(bb_rset *rs); /* NULL-safe; leaves an empty set */

/* ---- selection (boltzbench table --tasks --methods --budgets --metrics --cost) ---- */

typedef struct bb_table_select {
    const char *tasks;   /* comma-separated task ids, "dw4" or "dw4@1"; NULL: all */
    const char *methods; /* comma-separated method names, "mala" or "mala@1"; NULL: all */
    const char *budgets; /* comma-separated budgets, "100000" or "1e5"; NULL: all */
    const char *metrics; /* comma-separated metric names to keep; NULL: all */
    int cost;            /* 1: add evaluations_used (budget.used), method_wall_s and wall_s
                            (timing.*: the method's time, the run's with scoring) as
                            lower-is-better entries of each kept report that has them */
    int by_group;        /* 1: a report whose task has a "group" counts as that group (one table per group;
                            a cell is the mean over its tasks and seeds), the others stay by task */
} bb_table_select;

/* Keep the runs of rs that pass every list, drop the metrics not listed from their reports
 * (in memory) and, with cost, add the cost entries. An entry of a list that matches no
 * report is an error naming the option and the entry (BB_ENOTFOUND), as is a selection that
 * leaves no run. Call before bb_agg_build. */
int bb_rset_select(bb_rset *rs, const bb_table_select *sel, bb_ctx *ctx);

/* ---- statistics ------------------------------------------------------------ */

/* t_{0.975, df}: exact table for df 1..30, Cornish–Fisher expansion beyond
 * (absolute error < 1e-4). NAN for df < 1. */
double bb_t975(int df);

typedef struct bb_stat {
    size_t n;
    double mean;
    double sd;   /* sample sd (n − 1), NAN when n < 2 */
    double half; /* t-based 95% CI half-width, NAN when n < 2 */
} bb_stat;

/* Mean, sd and CI half-width of x[0..n) (accumulated in double, two-pass).
 * n == 0 gives n = 0 and NAN fields. Non-finite values are an error (BB_ENAN). */
int bb_stat_compute(const double *x, size_t n, bb_stat *out, bb_ctx *ctx);

/* ---- aggregation ----------------------------------------------------------- */

typedef struct bb_agg_cell {
    bb_stat st;      /* over the ok runs that report a finite value */
    size_t n_failed; /* runs with status "failed" (excluded from st) */
    int best;        /* 1: best mean of its (task, metric, budget) column */
    int present;     /* 1: a run of (task, method, budget) reports this metric, or failed */
} bb_agg_cell;

typedef struct bb_agg {
    char **tasks;
    size_t n_tasks; /* sorted */
    char **methods;
    size_t n_methods; /* sorted */
    char **metrics;
    size_t n_metrics;      /* sorted; only names with a numeric value */
    int *higher_is_better; /* [n_metrics] */
    int *known;            /* [n_metrics] 1: found in the registry */
    int *ranked;           /* [n_metrics] 0: a cost column ("ranked": false in the reports), never marked best */
    int64_t *budgets;
    size_t n_budgets;   /* ascending, union over tasks */
    bb_agg_cell *cells; /* [task][metric][method][budget] */
} bb_agg;

/* Aggregate a report set. Cells with no run reporting the metric have present = 0. */
int bb_agg_build(const bb_rset *rs, bb_agg *out, bb_ctx *ctx);
void bb_agg_free(bb_agg *a); /* NULL-safe */
/* (Re)mark the best cell of every ranked (task, metric, budget) column from the means
 * and a->higher_is_better (ties: all marked; cost columns none). bb_agg_build calls it. */
void bb_agg_mark_best(bb_agg *a);
bb_agg_cell *bb_agg_at(const bb_agg *a, size_t task, size_t metric, size_t method, size_t budget);
/* 1 if task t has any present cell at budget b (empty columns are not printed). */
int bb_agg_task_has_budget(const bb_agg *a, size_t t, size_t b);

/* ---- output ---------------------------------------------------------------- */

typedef enum bb_table_format {
    BB_TABLE_MD,
    BB_TABLE_CSV,
    BB_TABLE_LATEX,
    BB_TABLE_HTML,
    BB_TABLE_FORMAT_COUNT
} bb_table_format;

extern const char *const bb_table_format_names[BB_TABLE_FORMAT_COUNT]; /* "md", ... */
/* Parse "md" | "csv" | "latex" | "html"; error names the value. */
int bb_table_format_parse(const char *s, bb_table_format *out, bb_ctx *ctx);

/* Write the tables in the given format. HTML is one self-contained page (inline CSS
 * and SVG, no script, no network) with the tables and the plots of plot.h. */
int bb_table_write(FILE *fp, const bb_rset *rs, const bb_agg *a, bb_table_format fmt, bb_ctx *ctx);

/* Markdown with only the overview of each task (methods × metrics at its largest budget)
 * and one caption: the compact side-by-side table of a method README. */
int bb_table_write_overview(FILE *fp, const bb_rset *rs, const bb_agg *a, bb_ctx *ctx);

/* Format a cell as text: "0.1234 ± 0.0056", "0.1234 (n=1)", "—" when empty. */
void bb_table_cell_text(const bb_agg_cell *c, char *buf, size_t len);

/* Error line of a run's report ("error" field) or "" when none. */
const char *bb_rset_run_error(const bb_rset_run *r);

/* Pretty-print one report for humans (header, budget, metrics with CI, anytime
 * curve, timing). Unknown fields are ignored; missing optional ones are skipped. */
int bb_report_print(FILE *fp, const cJSON *report, bb_ctx *ctx);

#endif
