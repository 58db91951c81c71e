/* run.h — one run: a method on a task under an evaluation budget, scored, reported.
 *
 * bb_run() creates the task once, resolves the method's parameters once
 * (bb_method_resolve_params: defaults < task defaults < config < --param), validates the
 * budget, loads the task's reference set (a task without one is scored with reference-free
 * statistics; a reference that cannot be loaded is an error), creates the budgeted oracle
 * with anytime checkpoints, runs the method through the driver (harness/run/driver.h),
 * scores the final samples (harness/run/score.h; uncounted, the evaluator's cost) and
 * writes the report (schema "boltzbench.report/1", see report.h) atomically.
 *
 * A run whose method fails (NaN energy, error) still gets a report with
 * "status": "failed", the error line, and the metrics of whatever samples it returned;
 * bb_run then returns the method's status. An interrupted run gets "status": "interrupted"
 * and returns BB_EINTERRUPTED. A report with no metric is never "ok". Configuration errors
 * (unknown task, bad parameter, budget out of range, unwritable output, unusable state)
 * return before anything is written.
 */
#ifndef BB_RUN_H
#define BB_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
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
    const cJSON *method_config;           /* method parameters from a config file (object) or NULL */
    const cJSON *method_overrides;        /* --param values (object, win over the config) or NULL */
    int64_t budget;                       /* energy evaluations, 1 … BB_RUN_MAX_BUDGET */
    uint64_t seed;
    size_t n_samples;          /* final samples scored (0 = BB_RUN_DEFAULT_SAMPLES) */
    const double *checkpoints; /* budget fractions, NULL = default 1e-3, 1e-2, 1e-1, 1 */
    size_t n_checkpoints;
    const char *out_path;       /* report path (required) */
    const char *samples_path;   /* optional: also write the final samples as .npy */
    FILE *progress;             /* NULL = quiet */
    const char *const *metrics; /* metric names to compute (NULL: every applicable metric) */
    size_t n_metrics;
    int threads; /* threads of the run (0: omp_get_max_threads()) */
    /* state and resume (harness/run/driver.h) */
    const char *state_path;                 /* NULL: keep no state */
    int resume;                             /* bb_resume_mode: 0 no, 1 required, 2 if a state file exists */
    int keep_state;                         /* keep the state file after a normal end */
    double checkpoint_minutes;              /* save the state this often (0: after every step; < 0: default 10) */
    int64_t checkpoint_steps;               /* > 0: save every this many steps instead (tests) */
    int64_t kill_after_steps;               /* test hook: SIGKILL after this many steps */
    const volatile sig_atomic_t *interrupt; /* set by a signal handler: end the run as interrupted */
} bb_run_config;

/* The largest budget: every count stays exact in a double (reports are JSON numbers). */
#define BB_RUN_MAX_BUDGET ((int64_t)1 << 53)

/* Canonical configuration object of a run (task, task params, method, fully resolved
 * method params, budget, seed, n_samples): what identifies a run in suites and compare.
 * Returns a new object (caller frees) or NULL with ctx set. */
cJSON *bb_run_config_object(const bb_run_config *cfg, bb_ctx *ctx);

/* Run and write the report. On success *report_out (if not NULL) receives the report
 * object (caller frees with cJSON_Delete). */
int bb_run(const bb_run_config *cfg, cJSON **report_out, bb_ctx *ctx);

/* 1 if cfg->out_path holds a report with status "ok" whose config_sha256 is this
 * configuration's (run_finished.c): suites and reproductions skip such runs. */
int bb_run_finished(const bb_run_config *cfg);

#endif
