/* refgen.h — generate a task's reference set by a long parallel-tempering run (the library
 * behind `boltzbench reference`), for tasks whose reference data cannot be fetched (lj55).
 *
 * The run: method pt with its per-task defaults, overridden by "key=value" parameters, under
 * an oracle with the given budget, driven by the method driver without state
 * (bb_driver_run_plain). Its n samples (ladder-major: chain l holds rows [l·n/L, (l+1)·n/L))
 * are evaluated once more by the evaluator (uncounted) for the provenance's energy
 * statistics: mean, sd, the largest integrated autocorrelation time over chains and the ESS
 * summed over chains (datasets/iat.h).
 *
 * Storing is a separate call (bb_refgen_store: <cache>/<id>.npy + <id>.json, see
 * datasets/generated.h), so a run can be inspected or tested without touching the cache.
 * Same task, parameters, budget and seed ⇒ bit-identical samples on any thread count.
 */
#ifndef BB_REFGEN_H
#define BB_REFGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/core/samples.h"
#include "tasks/task.h"

typedef struct cJSON cJSON;

typedef struct bb_refgen_config {
    size_t n;                    /* samples wanted (>= 2) */
    int64_t budget;              /* energy evaluations (1 … 2^53); 0: 2000 × n */
    uint64_t seed;               /* seed of the pt run */
    const char *id;              /* dataset id to store under; NULL: "<task name>-reference" */
    const char *const *param_kv; /* "key=value" parameters of pt, overriding its per-task defaults */
    size_t n_param_kv;           /* number of param_kv entries */
    FILE *progress;              /* the driver's progress line, or NULL */
} bb_refgen_config;

typedef struct bb_refgen_result {
    char *id;            /* dataset id the set is stored under (owned) */
    bb_samples samples;  /* n unweighted configurations, ladder-major */
    double *u;           /* [n] reduced energies of the samples (the evaluator's, uncounted) */
    int64_t budget;      /* the budget the run had */
    int64_t evaluations; /* evaluations the run spent */
    cJSON *provenance;   /* the sidecar's provenance: sampler, task, params, seed, budget, evaluations,
                         * harness_version, sampler_info, order, energy_mean, energy_sd,
                         * energy_iat_max, energy_ess, chains_with_unreliable_iat, iat_method */
} bb_refgen_result;

/* Run pt on task t. Errors: BB_EINVAL for a configuration or parameter that cannot be used
 * (the message names it: n, budget, id, a pt parameter); BB_EBUDGET when the run ends with
 * fewer than n samples (the message says to raise the budget); else the run's first failure.
 * Nothing is written. On success *res holds everything (free with bb_refgen_result_free). */
int bb_refgen_run(const bb_task *t, const bb_refgen_config *cfg, bb_refgen_result *res, bb_ctx *ctx);

/* Store res->samples with res->provenance in the dataset cache under res->id
 * (bb_dataset_store_generated: written atomically, the sidecar last). */
int bb_refgen_store(const bb_refgen_result *res, bb_ctx *ctx);

void bb_refgen_result_free(bb_refgen_result *res); /* NULL-safe; leaves *res zeroed */

/* The provenance's energy statistics of a ladder-major trace u[n] of `chains` chains:
 * energy_mean, energy_sd (n − 1), energy_iat_max (largest τ over chains, each τ at least 1),
 * energy_ess (Σ over chains of n_chain / max(τ, 1), chains whose τ is not finite left out),
 * chains_with_unreliable_iat (chains where bb_energy_iat reported a problem) and iat_method
 * are added to prov. Returns BB_OK or BB_ENOMEM. */
int bb_refgen_energy_statistics(const double *u, size_t n, size_t chains, cJSON *prov, bb_ctx *ctx);

#endif
