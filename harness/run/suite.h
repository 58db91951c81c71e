/* suite.h — named, committed sets of runs (harness/suites/NAME.json) and their runner.
 *
 * Suite file:
 *   {"name": "quick", "description": "...", "n_samples": 1000,
 *    "runs": [{"tasks": ["dw4", ...], "methods": ["mala", ...] | "all",
 *              "budgets": [1e4, 1e5], "seeds": [0, 1],
 *              "params": {"<method>": {<method params>}},   (optional)
 *              "task_params": {<task params>},               (optional)
 *              "metrics": ["energy_w2", "eq_x_w2:n=200", ...]}]}  (optional: the metric
 *              selection of these runs, as --metrics; default every metric that applies)
 * Each group expands to tasks × methods × budgets × seeds runs. A run's report goes to
 * <out_dir>/<task>/<method>-b<budget>-s<seed>.json. Resumable: a run whose report exists,
 * is valid, has status "ok" and carries the same config_sha256 is skipped.
 */
#ifndef BB_SUITE_H
#define BB_SUITE_H

#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

typedef struct bb_suite_run {
    char task[64];
    char method[64];
    int64_t budget;
    uint64_t seed;
    size_t n_samples;
    cJSON *params;                /* method params (owned) or NULL */
    cJSON *task_params;           /* owned or NULL */
    cJSON *metrics;               /* metric selection (array of strings, owned) or NULL: all that apply */
    const char *metric_names[64]; /* the strings of `metrics` */
    size_t n_metrics;
    char out_path[4096];
} bb_suite_run;

typedef struct bb_suite {
    char name[128];
    char out_dir[4096]; /* where the reports go (bb_suite_load's out_dir) */
    int rerun;          /* 1: run every run even when a finished report exists (default 0) */
    int threads;        /* threads of each run (bb_run_config.threads; 0: omp_get_max_threads()) */
    bb_suite_run *runs;
    size_t n_runs;
} bb_suite;

/* Find a suite file: NAME.json path as given if it exists, else harness/suites/NAME.json
 * under bb_source_dir() ($BOLTZBENCH_SOURCE_DIR, else the source tree this binary was built
 * from). */
int bb_suite_locate(const char *name, char *path, size_t path_len, bb_ctx *ctx);
/* Parse and expand; out_dir is where reports go. Errors name the file and field. */
int bb_suite_load(const char *path, const char *out_dir, bb_suite *out, bb_ctx *ctx);
void bb_suite_free(bb_suite *s);

/* Run every run (skipping finished ones unless s->rerun); prints progress lines to `log` (may be NULL)
 * and the summary table to `table` (may be NULL). *n_failed counts failed runs.
 * Returns BB_OK when the suite was processed (even with failed runs). */
int bb_suite_run_all(const bb_suite *s, FILE *log, FILE *table, FILE *progress, size_t *n_failed, bb_ctx *ctx);

/* The pieces bb_suite_run_all is made of, shared with the scale-out runners
 * (harness/run/mpi/suite_mpi.h, suite_slurm.h):
 * run i's bb_run configuration (pointers into s->runs[i]; out_path is the run's report, threads s->threads); */
struct bb_run_config;
void bb_suite_run_config(const bb_suite *s, size_t i, struct bb_run_config *c);
/* 1 if run i's report is finished (bb_run_finished) and s->rerun is not set: skip it; */
int bb_suite_skip(const bb_suite *s, size_t i);
/* create run i's report directory; */
int bb_suite_mkdir(const bb_suite *s, size_t i, bb_ctx *ctx);
/* the summary table: its header, then one row per run read from its report ("no report"
 * when there is none or it is unreadable). */
void bb_suite_table_header(FILE *table);
void bb_suite_table_row(const bb_suite *s, size_t i, FILE *table);

#endif
