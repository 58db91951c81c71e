/* method.h — the sampler interface and the method registry.
 *
 * A method is one folder under methods/ with one static const bb_method and one
 * line in methods/registry.c. It sees the task only through the oracle (dimensions,
 * flags and initial configurations through bb_oracle_task(); energies only through
 * bb_oracle_eval). It returns env->n_samples samples at the task's temperature
 * (optionally with log-weights).
 *
 * Contract of run():
 *   - Parameters come resolved (defaults included) in `p`.
 *   - When bb_oracle_eval returns BB_EBUDGET the method stops spending, draws its
 *     final samples and returns BB_OK: running out of budget is the normal end.
 *   - Between steps it calls bb_oracle_checkpoint() when bb_oracle_checkpoint_due().
 *   - Randomness only from bb_rng streams seeded with env->seed (see harness/core/rng.h),
 *     with independent streams per chain/replica so results do not depend on threads.
 *   - Diagnostics (acceptance rates, step sizes, training curve) go into env->info.
 *   - On error: return the status with env->ctx set; *out may hold partial samples,
 *     which the harness keeps (the run is then marked failed).
 */
#ifndef BB_METHOD_H
#define BB_METHOD_H

#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/oracle/oracle.h"
#include "harness/core/params.h"
#include "harness/core/samples.h"

typedef struct cJSON cJSON;

typedef struct bb_run_env {
    bb_oracle *oracle;
    uint64_t seed;
    size_t n_samples;       /* number of final samples wanted */
    const char *state_path; /* where a resumable method keeps its checkpoint (NULL: none) */
    int resume;             /* 1: continue from state_path if present */
    FILE *progress;         /* progress display (stderr on a TTY) or NULL when quiet */
    cJSON *info;            /* object for diagnostics, owned by the harness */
    bb_ctx *ctx;
} bb_run_env;

typedef struct bb_task_defaults {
    const char *task; /* task name without version, NULL terminates */
    const char *json; /* JSON object text of overrides, e.g. "{\"step_size\": 0.01}" */
} bb_task_defaults;

typedef struct bb_method {
    const char *name;
    int version;
    const char *description;
    const bb_param_spec *params;           /* NULL-name terminated */
    const bb_task_defaults *task_defaults; /* NULL-task terminated, may be NULL */
    int (*run)(bb_run_env *env, const bb_params *p, bb_samples *out);
} bb_method;

extern const bb_method *const bb_methods[]; /* NULL-terminated registry (methods/registry.c) */
const bb_method *bb_method_find(const char *name);
/* Per-task default overrides for a method (NULL if none). */
const char *bb_method_task_defaults(const bb_method *m, const char *task_name);

#endif
