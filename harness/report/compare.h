/* compare.h — the CI regression gate: compare a directory of new reports with a
 * baseline directory, run by run (matched by config_sha256) and metric by metric,
 * with per-metric tolerances that know which direction is better.
 *
 * Tolerance file (ci/tolerances.json):
 *   {"default": {"abs": 1e-9, "rel": 0.05},
 *    "metrics": {"energy_w2": {"abs": 0.02, "rel": 0.10}, ...},
 *    "ignore":  ["some_metric"]}                              (optional)
 * A change is within tolerance when |new − base| <= max(abs, rel · |base|).
 * Verdicts per metric: "same" (bit-equal), "better", "worse (within tol)",
 * "REGRESSION" (worse beyond tolerance), "MISSING" (in the baseline, not in the new
 * report). Per run: "MISSING RUN" (baseline run absent in NEW), "FAILED" (new run
 * status failed while the baseline was ok), "VERSION" (task, method or harness
 * version differs: the baseline must be regenerated), "new run" (only in NEW; not
 * a failure). Per report, in either set: "UNUSABLE" when its status is not "ok" or its
 * metrics object is empty — a report that scored nothing can never pass the gate, even
 * against a baseline that scored nothing either. Direction comes from the metric
 * registry; unknown names are taken as lower-is-better and noted. Metrics without a
 * numeric value (plot data) are skipped.
 */
#ifndef BB_COMPARE_H
#define BB_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/report/table.h"

typedef struct bb_tol {
    double abs; /* >= 0 */
    double rel; /* >= 0, relative to |base| */
} bb_tol;

typedef struct bb_tolerances {
    bb_tol deflt;
    char **names; /* per-metric overrides */
    bb_tol *tols;
    size_t n;
    char **ignore;
    size_t n_ignore;
} bb_tolerances;

/* Path of the default tolerance file: ci/tolerances.json under $BOLTZBENCH_SOURCE_DIR,
 * else under the source tree this binary was built from (BB_SOURCE_DIR) — never relative
 * to the current directory. Written into buf (cap bytes); returns buf. */
const char *bb_tolerances_default_path(char *buf, size_t cap);

/* Load and validate (non-negative finite numbers, known fields only). */
int bb_tolerances_load(const char *path, bb_tolerances *out, bb_ctx *ctx);
void bb_tolerances_free(bb_tolerances *t); /* NULL-safe */
bb_tol bb_tolerances_get(const bb_tolerances *t, const char *metric);
int bb_tolerances_ignored(const bb_tolerances *t, const char *metric);

typedef enum bb_cmp_verdict {
    BB_CMP_SAME,
    BB_CMP_BETTER,
    BB_CMP_WORSE_WITHIN,
    BB_CMP_REGRESSION,
    BB_CMP_MISSING,
    BB_CMP_VERDICT_COUNT
} bb_cmp_verdict;

extern const char *const bb_cmp_verdict_names[BB_CMP_VERDICT_COUNT];

/* Verdict for one value. base/new must be finite except that a non-finite new
 * value (NaN: metric failed) is a regression and a non-finite base is MISSING. */
bb_cmp_verdict bb_compare_value(double base, double new_value, int higher_is_better, bb_tol tol);

typedef struct bb_cmp_summary {
    size_t runs_compared;
    size_t metrics_compared;
    size_t regressions; /* metric regressions */
    size_t missing_metrics;
    size_t metric_errors; /* metrics the baseline has a value for and the new run could not compute */
    size_t missing_runs;
    size_t failed_runs;
    size_t version_mismatches;
    size_t new_runs;
    size_t improvements;
    size_t unusable_reports;   /* reports (either set) with status != "ok" or empty metrics */
    char first_unusable[1024]; /* "<report path>: <why>" of the first of them, "" if none */
} bb_cmp_summary;

/* Compare two loaded sets; print the diff table to `out` (may be NULL). All rows are
 * printed when verbose, otherwise only rows that are not "same". Returns BB_OK;
 * the caller decides from *sum whether the gate passes (bb_compare_failed). */
int bb_compare_sets(const bb_rset *base, const bb_rset *fresh, const bb_tolerances *tol, FILE *out, int verbose,
                    bb_cmp_summary *sum, bb_ctx *ctx);
/* 1 if the summary means the gate fails (regression, missing run or metric, metric that
 * errored where the baseline has a value, failed run, version mismatch, unusable report). */
int bb_compare_failed(const bb_cmp_summary *s);

#endif
