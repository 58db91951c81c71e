/* run.h — one run: a method on a task under an evaluation budget, scored, reported.
 *
 * bb_run() resolves task and method, resolves parameters (defaults < task defaults <
 * config < --param), creates the budgeted oracle with anytime checkpoints, runs the
 * method, evaluates the final samples (uncounted: the evaluator's cost), computes the
 * metrics against the task's reference set and writes the report
 * (schema "boltzbench.report/1", see report.h) atomically.
 *
 * A run whose method fails (NaN energy, error) still gets a report with
 * "status": "failed", the error line, and the metrics of whatever samples it returned;
 * bb_run then returns the method's status. Configuration errors (unknown task, bad
 * parameter, budget <= 0, unwritable output) return before anything is written.
 */
#ifndef BB_RUN_H
#define BB_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

#define BB_RUN_DEFAULT_SAMPLES 2000

typedef struct bb_run_config {
    const char *task_id;                  /* "lj13" or "lj13@1" */
    const struct bb_task_type *task_type; /* optional: use this type instead of looking up task_id
                                             (tests, out-of-tree tasks) */
    const cJSON *task_params;             /* task parameters object or NULL */
    const char *method;                   /* "mala" */
    const cJSON *method_params;           /* user parameters (config file merged with --param), or NULL */
    int64_t budget;                       /* energy evaluations, > 0 */
    uint64_t seed;
    size_t n_samples;          /* final samples scored (0 = BB_RUN_DEFAULT_SAMPLES) */
    const double *checkpoints; /* budget fractions, NULL = default 1e-3, 1e-2, 1e-1, 1 */
    size_t n_checkpoints;
    const char *out_path;       /* report path (required) */
    const char *samples_path;   /* optional: also write the final samples as .npy */
    FILE *progress;             /* NULL = quiet */
    const char *const *metrics; /* metric names to compute (NULL: every applicable metric) */
    size_t n_metrics;
    const char *state_path; /* resumable methods keep their training state here (NULL: none) */
    int resume;             /* 1: continue from state_path when it exists */
} bb_run_config;

/* Canonical configuration object of a run (task, task params, method, fully resolved
 * method params, budget, seed, n_samples): what identifies a run in suites and compare.
 * Returns a new object (caller frees) or NULL with ctx set. */
cJSON *bb_run_config_object(const bb_run_config *cfg, bb_ctx *ctx);

/* Run and write the report. On success *report_out (if not NULL) receives the report
 * object (caller frees with cJSON_Delete). */
int bb_run(const bb_run_config *cfg, cJSON **report_out, bb_ctx *ctx);

#endif
