/* metrics.h — the metric registry and the one entry point the harness calls.
 *
 * A metric compares a method's samples with a reference sample set (and/or uses the
 * task itself). Names say exactly what is computed: `energy_w2` is the 1-D W2 (not
 * squared) between reduced-energy distributions; see docs/metrics.md for every
 * definition and its relation to the names used by papers.
 *
 * Energies passed in are REDUCED energies u = E/kT computed by the evaluator with
 * bb_task_energy (never charged to a method's budget).
 */
#ifndef BB_METRICS_H
#define BB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"
#include "harness/core/samples.h"
#include "tasks/task.h"

typedef struct cJSON cJSON;

typedef struct bb_eval_input {
    const bb_task *task;
    const bb_samples *samples;          /* method output (may carry logw) */
    const double *u_samples;            /* [samples->n] reduced energies (may contain +INFINITY) */
    const bb_samples *reference;        /* reference set or NULL */
    const double *u_reference;          /* [reference->n] or NULL */
    uint64_t seed;                      /* seeds subsampling / bootstrap (streams 0x5000_0000+) */
    int with_ci;                        /* 1: add bootstrap ci95 where the metric supports it */
    double reference_frame_interval_ps; /* time between consecutive reference frames (trajectory-ordered
                                           sets, for TICA's lag in ps); 0: not recorded */
    const size_t *reference_segments;   /* lengths of the independent trajectories stored one after
                                           another in the reference (TICA pairs frames inside one only) */
    size_t reference_n_segments;        /* 0: the reference is one trajectory */
} bb_eval_input;

/* Options of one metric, from its selection name "name[:key=value]..." (bb_metric_parse),
 * e.g. "eq_x_w2:n=2000". Zero fields mean the metric's default. */
typedef struct bb_metric_opts {
    size_t n; /* n=N: sample size per side of a subsampled metric (and of its floor) */
} bb_metric_opts;

typedef struct bb_metric {
    const char *name;       /* "energy_w2" */
    const char *definition; /* exact definition, copied into reports */
    int higher_is_better;   /* direction for compare/leaderboard */
    int needs_reference;    /* 1: skipped (with a note) when no reference set */
    int cheap;              /* 1: run at every anytime checkpoint */
    /* Add {name: {"value": v, "n_samples": n, "ci95": [lo, hi]?, ...}} entries to out.
     * A family may add several related names at once. opts is never NULL. */
    int (*compute)(const bb_eval_input *in, const bb_metric_opts *opts, cJSON *out, bb_ctx *ctx);
} bb_metric;

extern const bb_metric *const bb_metrics[]; /* NULL-terminated registry */
const bb_metric *bb_metric_find(const char *name);

/* Compute every applicable metric (cheap_only: only those marked cheap) into the
 * object `out`. Metrics needing a reference are skipped when in->reference is NULL.
 * A metric that cannot be computed on these samples does not stop the others: whatever it
 * wrote is dropped and its entry becomes {"value": null, "error": "<one line why>",
 * "higher_is_better": ...} under the metric's name (bb_metrics_errors counts them): any
 * BB_EINVAL, BB_ENAN or BB_EUNSUPPORTED of a metric. Other failures — out of memory, an
 * unreadable or malformed file (a minima catalogue), a bug — and invalid input (no samples,
 * mismatched dof) fail the call. */
int bb_metrics_compute(const bb_eval_input *in, int cheap_only, cJSON *out, bb_ctx *ctx);
/* Same, restricted to the registry metrics named in names[0..n_names) (names == NULL: all);
 * a name may carry options, "eq_x_w2:n=2000" (bb_metric_parse). */
int bb_metrics_compute_only(const bb_eval_input *in, int cheap_only, const char *const *names, size_t n_names,
                            cJSON *out, bb_ctx *ctx);
/* Number of error entries in a metrics object (see bb_metrics_compute); *first (may be
 * NULL) OUT: the first of them (its name in ->string, the reason in "error"), or NULL. */
size_t bb_metrics_errors(const cJSON *metrics, const cJSON **first);
/* Reference-free statistics of reduced energies u[n] (harness/metrics/reference_free.c), for
 * tasks without a reference set: energy_mean, energy_std (finite values), energy_q05,
 * energy_q25, energy_median, energy_q75, energy_q95, energy_min, energy_inf_fraction,
 * energy_nan_fraction; each entry like the other metrics (value, n_samples, definition,
 * higher_is_better = false: descriptive, no direction). */
int bb_metrics_reference_free(const double *u, size_t n, cJSON *out, bb_ctx *ctx);

/* BB_ENOTFOUND naming the first name that is not a registered metric, BB_EINVAL naming the
 * first option that cannot be parsed. */
int bb_metrics_select(const char *const *names, size_t n_names, bb_ctx *ctx);
/* Parse "name[:key=value]..." (keys: n = positive integer sample size per side). OUT *m: the
 * registered metric (BB_ENOTFOUND if none), *o: its options (zero = default). */
int bb_metric_parse(const char *spec, const bb_metric **m, bb_metric_opts *o, bb_ctx *ctx);

#endif
