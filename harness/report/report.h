/* report.h — the versioned JSON run report ("boltzbench.report/1").
 *
 * Layout (every report; fields marked * are volatile and excluded from determinism
 * comparisons and config hashes):
 *   schema            "boltzbench.report/1"
 *   status            "ok" | "failed";  error: null | "<one line>"
 *   harness           {version, git_commit}
 *   config_sha256     SHA-256 of the canonical run configuration (run.h)
 *   task              {id, name, version, params, kT, kT_unit, n_particles, dim, flags[]}
 *   method            {name, version, params (fully resolved), params_sha256}
 *   seed, n_samples
 *   budget            {limit, used, with_grad, energy_only, rejected}
 *   datasets          [{role, id, sha256, source}]
 *   metrics           {name: {value, n_samples, ci95?, definition, ...}}
 *   anytime           [{fraction, evals, metrics{cheap metrics}}]
 *   method_info       diagnostics written by the method
 *   evaluator         {energy_evals} (uncounted evaluations made for scoring)
 *   timing*           {wall_s, cpu_s, method_wall_s, metrics_wall_s}
 *   host*             {hostname, threads, os}
 */
#ifndef BB_REPORT_H
#define BB_REPORT_H

#include <stddef.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;
typedef struct bb_task bb_task;

#define BB_REPORT_SCHEMA    "boltzbench.report/1"
#define BB_REPORT_MAX_BYTES ((size_t)256 << 20)

/* The git commit this program was built from, stamped at build time (build_stamp.cmake):
 * HEAD's hash, "<hash>-dirty" when tracked files differed from HEAD, "unknown" outside a
 * checkout. Static storage. */
const char *bb_build_commit(void);

/* New report object with schema, harness version and git commit filled in. */
cJSON *bb_report_new(void);
/* Add the "task" block (id, name, version, params, kT, kT_unit, n_particles, dim, flags). */
void bb_report_add_task(cJSON *report, const bb_task *t, const cJSON *task_params);
/* Append {role, id, sha256, source, n_samples} to a "datasets" array. */
void bb_report_add_dataset(cJSON *datasets, const char *role, const char *id, const char *sha256, const char *source,
                           size_t n_samples);
/* Add the volatile host block (hostname, OpenMP threads, uname). */
void bb_report_add_host(cJSON *report);
/* Remove the volatile fields (timing, host) in place: what must be bit-identical
 * between two runs with the same configuration and seed. */
void bb_report_strip_volatile(cJSON *report);
/* Write atomically (temp + fsync + rename); the directory must exist. */
int bb_report_write(const char *path, const cJSON *report, bb_ctx *ctx);
/* Read and validate a report: JSON, schema string, required fields and types.
 * Errors name the file and the field. */
int bb_report_read(const char *path, cJSON **out, bb_ctx *ctx);
/* Validate an in-memory report; `what` names it in errors. */
int bb_report_validate(const cJSON *report, const char *what, bb_ctx *ctx);

#endif
