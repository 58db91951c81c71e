/* oracle.h — the counting, budgeted energy oracle: the only door from a method to a task.
 *
 * Every configuration evaluated counts as one energy evaluation, with or without a
 * gradient (both tallies are kept and reported). A call that would take the count
 * past the budget is refused as a whole with BB_EBUDGET — nothing is evaluated or
 * counted — so a method can never exceed its budget by even one evaluation. The
 * method must then finish with what it has (BB_EBUDGET is not a fault). Use
 * bb_oracle_remaining() to shrink a final batch instead of losing it.
 *
 * Non-finite results: +INFINITY (a configuration the task cannot represent) is
 * returned to the method and counted as `rejected`; a NaN energy or gradient is an
 * error (BB_ENAN naming the configuration), the evaluations still count.
 *
 * Anytime checkpoints: the harness registers budget fractions (e.g. 1e-3 … 1) and a
 * callback. When the used count crosses a fraction, bb_oracle_checkpoint_due()
 * turns true; the method, between its steps, hands its current samples to
 * bb_oracle_checkpoint(), which scores them through the callback (the callback's
 * cost is the evaluator's, never charged to the budget).
 *
 * Evaluation is parallel over configurations (OpenMP, fixed chunking) and the
 * results do not depend on the thread count. Counters are atomic, so a method may
 * call bb_oracle_eval from several threads.
 */
#ifndef BB_ORACLE_H
#define BB_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"
#include "harness/core/samples.h"
#include "tasks/task.h"

typedef struct bb_oracle bb_oracle;

/* Score the samples of a checkpoint. `fraction` is the registered budget fraction,
 * `evals_used` the count when it was served. Return BB_OK or an error to abort. */
typedef int (*bb_checkpoint_fn)(void *user, double fraction, int64_t evals_used, const bb_samples *samples,
                                bb_ctx *ctx);

/* budget > 0. The oracle keeps a pointer to task (caller keeps it alive). */
int bb_oracle_create(const bb_task *task, int64_t budget, bb_oracle **out, bb_ctx *ctx);
void bb_oracle_free(bb_oracle *o); /* NULL-safe */
/* Threads of each evaluation (default: omp_get_max_threads() at creation); the run decides
 * it once (bb_run_config.threads). Results do not depend on it. */
void bb_oracle_set_threads(bb_oracle *o, int threads);

/* Register checkpoint fractions (each in (0, 1], strictly increasing, at most 32). */
int bb_oracle_set_checkpoints(bb_oracle *o, const double *fractions, size_t n, bb_checkpoint_fn fn, void *user,
                              bb_ctx *ctx);

/* Evaluate reduced energies u[n] (and ∇u into grad[n][dof] when grad != NULL).
 * BB_EBUDGET: refused, nothing counted. BB_ENAN: a NaN in x or in the result. */
int bb_oracle_eval(bb_oracle *o, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx);

/* Reservation: set aside n evaluations that ordinary calls cannot take (e.g. the energies
 * importance weights of the final samples will need), so a method plans with
 * bb_oracle_remaining() and never has to patch counts later. One reservation at a time;
 * 0 <= n <= remaining. bb_oracle_release() makes the reserved evaluations available again
 * (call it right before spending them). */
int bb_oracle_reserve(bb_oracle *o, int64_t n, bb_ctx *ctx);
void bb_oracle_release(bb_oracle *o);

/* The oracle's counters and served checkpoints, as the run driver saves and restores them
 * with a method's state (harness/run/driver.h). set: only before the first evaluation; the
 * counts must fit the budget. */
typedef struct bb_oracle_counts {
    int64_t used, with_grad, rejected, reserved;
    int64_t checkpoints_served; /* registered fractions already served */
} bb_oracle_counts;
void bb_oracle_get_counts(const bb_oracle *o, bb_oracle_counts *c);
int bb_oracle_set_counts(bb_oracle *o, const bb_oracle_counts *c, bb_ctx *ctx);

const bb_task *bb_oracle_task(const bb_oracle *o);
int64_t bb_oracle_limit(const bb_oracle *o);
int64_t bb_oracle_used(const bb_oracle *o); /* all evaluations */
/* Wall seconds spent inside the task's energy calls so far (for the report's timing split;
 * not part of the state: a resumed run counts from its restart). */
double bb_oracle_energy_wall_s(const bb_oracle *o);
int64_t bb_oracle_used_with_grad(const bb_oracle *o);
int64_t bb_oracle_used_energy_only(const bb_oracle *o);
int64_t bb_oracle_rejected(const bb_oracle *o);  /* +INFINITY results */
int64_t bb_oracle_remaining(const bb_oracle *o); /* limit - used - reserved */

/* 1 if a registered fraction has been crossed and not yet served. */
int bb_oracle_checkpoint_due(const bb_oracle *o);
/* Serve every crossed, unserved fraction with these samples. */
int bb_oracle_checkpoint(bb_oracle *o, const bb_samples *s, bb_ctx *ctx);
/* Serve all remaining fractions (used at the end of a run with the final samples). */
int bb_oracle_checkpoint_final(bb_oracle *o, const bb_samples *s, bb_ctx *ctx);

#endif
