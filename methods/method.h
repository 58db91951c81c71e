/* method.h — the step-wise sampler interface and the method registry.
 *
 * A method is one folder under methods/ with one static const bb_method and one line in
 * methods/registry.c. In the spirit of GSL's alloc/set/iterate/free, it is a state machine
 * that the one driver (harness/run/driver.h) runs:
 *
 *   init(env, params) -> state        allocate from resolved parameters and the task
 *   step(state)                       one unit of work: an MCMC sweep, an outer training
 *                                     iteration; spends evaluations only through the oracle
 *   snapshot(state, k) -> samples     current samples for the k-th anytime checkpoint
 *   draw(state) -> samples            final samples (optionally with log-weights)
 *   save(state, fp) / load(state, fp) everything needed to continue bit for bit
 *   describe(state, info)             diagnostics for the report's method_info
 *   free(state)
 *
 * The driver owns everything around the steps: the loop, stop reasons, budget exhaustion,
 * anytime checkpoints, the training curve, progress display, state files and resume,
 * interruption. A method therefore never prints, never times itself and never counts
 * evaluations next to the oracle.
 *
 * Contract:
 *   - The task is seen only through env->oracle (bb_oracle_task for dimensions, flags and
 *     initial configurations; bb_oracle_eval for energies).
 *   - step: returns BB_OK and sets info->stop to a reason when the method has finished
 *     (work may have been done in the same call). BB_EBUDGET from the oracle may be returned
 *     as is: the driver ends the run with stop reason "budget". Any other error ends the
 *     run as failed (draw is still called, to score what there is).
 *   - Randomness only from bb_rng streams derived from env->seed and the method's own
 *     counters (never from wall time or thread ids), so a run is bit-identical on any
 *     thread count and after save/load.
 *   - Evaluations a method knows it will need at the end (importance weights) are set
 *     aside in init with bb_oracle_reserve and released in draw.
 *   - Threads: env->threads is what the run may use; a method never changes process-wide
 *     thread settings.
 */
#ifndef BB_METHOD_H
#define BB_METHOD_H

#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/core/params.h"
#include "harness/core/samples.h"
#include "harness/oracle/oracle.h"

typedef struct cJSON cJSON;

/* Why a run stopped; the names (bb_stop_reason_name) appear in reports as `stopped_by`. */
typedef enum bb_stop_reason {
    BB_STOP_NONE = 0,        /* still running */
    BB_STOP_BUDGET,          /* the evaluation budget is spent (the normal end) */
    BB_STOP_MAX_STEPS,       /* a step limit of the method (max_outer, planned sweeps) */
    BB_STOP_CONVERGED,       /* the method's own convergence criterion */
    BB_STOP_ERROR,           /* a step failed */
    BB_STOP_INTERRUPTED,     /* the user interrupted the run (SIGINT/SIGTERM) */
    BB_STOP_CANNOT_CONTINUE, /* the method has nothing to go on with (e.g. a level without usable data); it
                              * draws from what it has and its method_info says why */
    BB_STOP_COUNT
} bb_stop_reason;
const char *bb_stop_reason_name(bb_stop_reason r);

/* What init gets. */
typedef struct bb_method_env {
    bb_oracle *oracle;
    uint64_t seed;
    size_t n_samples; /* final samples wanted from draw */
    int threads;      /* threads the run may use (>= 1) */
} bb_method_env;

/* What a step reports besides its status. */
typedef struct bb_step_info {
    bb_stop_reason stop; /* OUT: != BB_STOP_NONE when the method has finished */
    int has_loss;        /* OUT: 1 when `loss` is a training loss for the training curve */
    double loss;
    char status[96]; /* OUT: optional short text for the progress line ("loss 0.31") */
} bb_step_info;
/* A call that only reports a stop (no status text, no loss) did no work and is not counted
 * as a step in the report. */

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

    int (*init)(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx);
    int (*step)(void *state, bb_step_info *info, bb_ctx *ctx);
    /* Samples for anytime checkpoint number k (0, 1, ... in the order the driver asks). */
    int (*snapshot)(void *state, size_t k, bb_samples *out, bb_ctx *ctx);
    /* Final samples: env->n_samples of them where possible (fewer when the run stopped early). */
    int (*draw)(void *state, bb_samples *out, bb_ctx *ctx);
    /* State for resume; NULL when the method keeps none. load is called on a fresh init. */
    int (*save)(const void *state, FILE *fp, bb_ctx *ctx);
    int (*load)(void *state, FILE *fp, bb_ctx *ctx);
    void (*describe)(const void *state, cJSON *info); /* may be NULL */
    void (*free)(void *state);                        /* NULL-safe */
} bb_method;

extern const bb_method *const bb_methods[]; /* NULL-terminated registry (methods/registry.c) */
const bb_method *bb_method_find(const char *name);
/* The first per-task default entry of a method for a task (JSON object text, NULL if none).
 * A table may hold several entries for one task (e.g. rows shared by two methods, then the
 * method's own); bb_method_resolve_params applies all of them in table order. */
const char *bb_method_task_defaults(const bb_method *m, const char *task_name);

/* The one parameter path: defaults < the method's per-task defaults for `task_name` <
 * `config` (a JSON object, e.g. a --config file) < `overrides` (e.g. --param values).
 * Unknown keys and wrong types are errors naming the key. config/overrides may be NULL. */
int bb_method_resolve_params(const bb_method *m, const char *task_name, const cJSON *config, const cJSON *overrides,
                             bb_params *out, bb_ctx *ctx);

#endif
