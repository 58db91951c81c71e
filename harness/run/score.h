/* score.h — scoring sample sets: the one path `run` (final samples and anytime points)
 * and `eval` (external samples) share.
 *
 * A scorer holds the task, the optional reference set with its reduced energies (computed
 * once, at init) and the metric selection. Each call evaluates the samples' energies (the
 * evaluator's cost, never charged to a budget), then computes the metric suite. Without a
 * reference set, the full score adds the reference-free statistics (energy mean, std,
 * quantiles, non-finite fraction, minimum; harness/metrics/metrics.h).
 */
#ifndef BB_SCORE_H
#define BB_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"
#include "harness/core/samples.h"
#include "tasks/task.h"

typedef struct cJSON cJSON;

typedef struct bb_scorer {
    const bb_task *task;
    const bb_samples *reference; /* NULL: none */
    double *u_reference;         /* owned */
    uint64_t seed;
    const char *const *metrics; /* selection (NULL: all that apply) */
    size_t n_metrics;
    int64_t reference_evals;            /* energies of the reference set */
    int64_t scoring_evals;              /* energies of the scored sample sets */
    int64_t rejected;                   /* +inf energies among the last scored set */
    int with_ci;                        /* full scores carry bootstrap CIs (default 1) */
    double wall_s;                      /* time spent scoring */
    double reference_frame_interval_ps; /* set by the caller from bb_reference.frame_interval_ps (TICA); 0: not */
    const size_t *reference_segments;   /* set by the caller from bb_reference.segments (TICA); NULL: one */
    size_t reference_n_segments;        /* trajectory */
} bb_scorer;

/* reference may be NULL; it must outlive the scorer. Evaluates the reference energies. */
int bb_scorer_init(bb_scorer *s, const bb_task *task, const bb_samples *reference, uint64_t seed,
                   const char *const *metrics, size_t n_metrics, bb_ctx *ctx);
/* Metrics of `x` into the object `out` (cheap_only: the anytime subset, no bootstrap CIs;
 * otherwise every applicable metric, with CIs when with_ci). */
int bb_scorer_score(bb_scorer *s, const bb_samples *x, int cheap_only, cJSON *out, bb_ctx *ctx);
void bb_scorer_free(bb_scorer *s); /* NULL-safe */

/* What a scored metrics object means for a report's status. A metric that could not be
 * computed on the samples is an entry with an "error" (harness/metrics/metrics.h); the
 * report stays "ok" while at least one metric has no error, and names the others in its
 * "metric_errors" list (bb_score_note_errors). BB_OK, or BB_ENOTFOUND (nothing scored:
 * the selected metrics need a reference set the task lacks) / BB_EINVAL (every metric
 * failed) with the one-line reason in why[len]. */
int bb_score_status(const cJSON *metrics, char *why, size_t len);
/* Add "metric_errors": [names] to report when metrics has error entries (nothing
 * otherwise, so reports without errors keep their shape). 0 on out of memory. */
int bb_score_note_errors(cJSON *report, const cJSON *metrics);

#endif
