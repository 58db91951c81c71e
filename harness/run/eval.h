/* eval.h — score samples produced outside boltzbench (`boltzbench eval`) with the same
 * scorer as `run` (harness/run/score.h) and build the same report schema
 * ("boltzbench.report/1", method "external").
 *
 * The samples file holds N configurations along its first axis (N × dof, or N × P × D);
 * log-weights, when given, are N natural-log importance weights (−u(x) − log q(x)).
 * Energies are evaluated here (uncounted; evaluator.energy_evals). The budget block is
 * zero: the cost of producing external samples is unknown. The reference is the file
 * given, else the task's own set; a task without one is scored with reference-free
 * statistics, and a declared set that cannot be loaded is an error.
 */
#ifndef BB_EVAL_H
#define BB_EVAL_H

#include <stdint.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

typedef struct bb_eval_config {
    const char *task_id;
    const cJSON *task_params;     /* task parameters (e.g. temperature) or NULL */
    const char *samples_path;     /* .npy, required */
    const char *log_weights_path; /* .npy or NULL */
    const char *reference_path;   /* .npy or NULL: the task's reference set */
    uint64_t seed;                /* metric subsampling and bootstrap */
    int with_ci;                  /* bootstrap confidence intervals */
} bb_eval_config;

/* Build the report (validated against the schema) into *report (caller frees). */
int bb_eval(const bb_eval_config *cfg, cJSON **report, bb_ctx *ctx);

#endif
