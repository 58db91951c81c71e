/* minima_search.h — build a task's catalogue of distinct local minima by basin hopping
 * (Wales & Doye 1997), seeded and resumable, with the same L-BFGS relaxation and
 * symmetry-aware deduplication the minima metric uses (harness/metrics/minima.c). The
 * library behind `boltzbench minima`; the catalogue is what minima_recall compares against.
 *
 * Procedure: W walkers start from relaxed draws of the task's initial distribution (walker
 * k from Philox stream 0x4100_0000 − 1 − k) and advance in lock-step rounds. In a round every
 * walker displaces each coordinate of its current minimum by U(−step, step) (or, with
 * probability `restart`, or when its current energy is not finite, draws a fresh
 * configuration from the initial distribution), all W trial configurations are relaxed in
 * parallel (bb_relax, OpenMP), then, in walker order, each converged minimum is added to the
 * catalogue and accepted with the Metropolis rule min(1, exp(−Δu/T)). Step k (= round·W +
 * walker) draws its random numbers from stream 0x4100_0000 + k of the seed (its Metropolis
 * draw from that stream id | 2^40), so a run resumed from its state file continues exactly
 * as an uninterrupted one, on any thread count.
 *
 * Files: the catalogue at `path` (gzip JSON, schema boltzbench.minima/1, with provenance:
 * minima per CPU-hour among it) and the state at <path>.state (JSON, schema
 * boltzbench.minima-state/1: walkers' current minima and counters), both written atomically
 * every `checkpoint_every` rounds, at the end and when the time limit stops the run.
 * Resuming re-reads both and deduplicates the loaded catalogue again (counts of merged minima
 * add up).
 *
 * Not a proof of completeness: the count of minima grows with the steps spent.
 */
#ifndef BB_MINIMA_SEARCH_H
#define BB_MINIMA_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "tasks/task.h"

#define BB_MINIMA_SEARCH_MAX_WALKERS 4096

typedef struct bb_minima_search_config {
    const char *path;         /* catalogue file; the state lives at <path>.state */
    uint64_t seed;            /* seed of every random draw */
    int64_t steps;            /* total steps over all walkers, rounded up to whole rounds (>= 1) */
    int64_t walkers;          /* walkers per round, 1 … BB_MINIMA_SEARCH_MAX_WALKERS */
    double temperature;       /* Metropolis temperature in reduced-energy units (> 0) */
    double step;              /* largest displacement per coordinate, task length unit (> 0) */
    double restart;           /* probability of restarting a walker from the initial distribution, [0, 1] */
    double utol, rtol;        /* deduplication: |Δu| <= utol and RMSD <= rtol (>= 0) */
    double time_limit;        /* stop after this many wall-clock seconds (state saved); 0: none */
    int64_t checkpoint_every; /* rounds between catalogue/state saves (>= 1) */
    int resume;               /* 1: continue from <path>.state and the catalogue at path */
    FILE *progress;           /* progress lines (one per save, and resume notes), or NULL */
} bb_minima_search_config;

typedef struct bb_minima_search_result {
    size_t n_minima;         /* distinct minima in the catalogue */
    double lowest_u;         /* lowest reduced energy in the catalogue (NaN when empty) */
    int64_t steps_target;    /* cfg->steps rounded up to whole rounds */
    int64_t steps_done;      /* steps done, including those before a resume */
    int64_t rounds;          /* rounds done, including those before a resume */
    int64_t energy_evals;    /* evaluations of relaxations (initial walkers included) */
    int64_t accepted;        /* Metropolis acceptances (restarts are always accepted) */
    int64_t restarts;        /* walkers restarted from the initial distribution */
    int64_t failed;          /* relaxations that did not converge */
    size_t merged_on_resume; /* duplicates merged when the catalogue was re-read */
    double cpu_s, wall_s;    /* process CPU and wall seconds, including those before a resume */
    double minima_per_cpu_hour;
    int stopped_by_time; /* 1: the time limit ended the run before steps_target */
} bb_minima_search_result;

/* The defaults of `boltzbench minima`: 200000 steps, 16 walkers, T 0.8, step 0.4, restart
 * 0.02, utol 1e-3, rtol 0.05, a save every 200 rounds, seed 0, no time limit, no resume. */
void bb_minima_search_defaults(bb_minima_search_config *cfg);

/* BB_EINVAL naming the first field of cfg outside its range (see the fields above). */
int bb_minima_search_check(const bb_minima_search_config *cfg, bb_ctx *ctx);

/* Run (or resume) the search on task t, writing the catalogue and state files. res (may be
 * NULL) receives the counts. Errors: BB_EINVAL from bb_minima_search_check, BB_EFORMAT for a
 * state file of another task, seed or walker count, else the first failure (file, energy). */
int bb_minima_search(const bb_task *t, const bb_minima_search_config *cfg, bb_minima_search_result *res, bb_ctx *ctx);

#endif
