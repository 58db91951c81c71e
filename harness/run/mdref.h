/* mdref.h — reference ensembles of molecular (or any) tasks by Langevin dynamics with optional
 * replica exchange (the library behind `boltzbench reference --sampler langevin`).
 *
 * The run: R replicas at temperatures temps[0..R) (harness/run/langevin.h: BAOAB, replica
 * exchange between neighbours), started from the task's initial() (replica r from Philox
 * stream 0x4203·2^48 + r of the seed) and masses from the topology. After `equilibration`
 * steps, every `interval` steps one frame of every temperature is kept with its potential
 * energy, in time order: frame k of temperature r is replica r's configuration at step
 * equilibration + (k + 1)·interval (with exchange on, replica r is "whoever is at T_r", so
 * the frames of one temperature are a Markov chain in time order but not one continuous
 * physical trajectory). With W walkers, W independent copies of the ladder (replica w·R + r
 * from stream 0x4203·2^48 + w·R + r) run in one batch, so they share the energy threads, and
 * exchange only within their own ladder; a temperature's set holds walker 0's frames, then
 * walker 1's, … — its halves are independent replicas for an even W. Each temperature's frames become one dataset `<stem>-<T>K` (T as
 * %g) in the dataset cache (datasets/generated.h: float64 (N, 3·atoms), nm for molecules, the
 * task's atom order), with a provenance that holds the settings, the cost and the
 * convergence diagnostics (bb_mdref_diagnostics).
 *
 * Checkpoints: with a state path the run saves (atomically) every `checkpoint_every` frames,
 * at the time limit and at stop_at_step, and `resume` continues from it exactly: the
 * trajectory of a resumed run is bit-identical to an uninterrupted one (and identical on any
 * thread count). A state of other settings is refused naming the file; a larger n_frames than
 * the state's extends a finished run. The state is binary: "BBMDREF1", u32 version, the
 * settings line, counters, frames and energies so far, the dynamics (bb_langevin_save),
 * crc32.
 */
#ifndef BB_MDREF_H
#define BB_MDREF_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "tasks/task.h"

typedef struct cJSON cJSON;

typedef struct bb_mdref_config {
    const char *stem;        /* dataset ids "<stem>-<T>K"; [A-Za-z0-9._@-]+ */
    const char *state_path;  /* checkpoint file, or NULL (no checkpoints, no resume) */
    size_t n_temps;          /* replicas, 1 … 64 */
    const double *temps;     /* [n_temps] temperatures, ascending, same unit as task_temperature */
    double task_temperature; /* the task instance's temperature: replica r has kT = t->kT·T_r/task_temperature */
    double dt;               /* time step (ps for molecules) */
    double friction;         /* γ, per time unit */
    int64_t interval;        /* steps between frames (>= 1) */
    int64_t equilibration;   /* steps before the first frame's interval (>= 0) */
    int64_t n_frames;        /* frames per temperature (>= 4) */
    int64_t exchange_every;  /* steps between exchange attempts (0: none; ignored for one replica) */
    int64_t walkers;         /* independent copies of the whole ladder, run in one batch (>= 1) */
    uint64_t seed;
    int threads;                            /* energy threads (results do not depend on it) */
    int64_t checkpoint_every;               /* frames between state saves; 0: only when stopping */
    double time_limit;                      /* wall seconds after which the run saves and stops; 0: none */
    int64_t stop_at_step;                   /* stop (state saved) when this many steps are done; 0: none */
    int resume;                             /* 1: continue from state_path */
    FILE *progress;                         /* a line per checkpoint, or NULL */
    const volatile sig_atomic_t *interrupt; /* set by a signal handler: save the state after the current
                                               step and stop (result interrupted = 1); NULL: none */
} bb_mdref_config;

typedef struct bb_mdref_result {
    int finished;         /* 1: all frames done; 0: stopped early, state saved */
    int interrupted;      /* 1: stopped early because cfg->interrupt was set */
    size_t n_temps, dof;  /* R, D */
    size_t walkers;       /* W */
    int64_t n_frames;     /* frames per temperature kept so far */
    double *frames;       /* [R][W][cfg n_frames][D]; the first n_frames rows of each block are valid */
    double *energy;       /* [R][W][cfg n_frames] potential energies E, task energy unit */
    int64_t cap_frames;   /* cfg n_frames (block stride) */
    int64_t steps, evals; /* steps per replica, energy+gradient evaluations (all replicas) */
    double wall_s, cpu_s; /* including time before a resume */
    cJSON **provenance;   /* [R] when finished: settings, cost, diagnostics (owned) */
    char **ids;           /* [R] "<stem>-<T>K" (owned) */
} bb_mdref_result;

/* The defaults of `boltzbench reference --sampler langevin` for a molecular task: dt 0.001 ps,
 * friction 0.3/ps (PITA's), interval 1000 steps (1 ps), equilibration 100000 steps (100 ps),
 * 10000 frames, exchange every 1000 steps, one walker, a checkpoint every 1000 frames. */
void bb_mdref_defaults(bb_mdref_config *cfg);

/* Run (or resume) on task t. Errors: BB_EINVAL naming a field out of range, BB_EFORMAT for a
 * state of other settings, BB_ENAN when the dynamics blow up, else the first failure. A
 * stopped run is BB_OK with res->finished 0. Free res with bb_mdref_result_free. */
int bb_mdref_run(const bb_task *t, const bb_mdref_config *cfg, bb_mdref_result *res, bb_ctx *ctx);

/* Store every temperature of a finished run in the dataset cache (bb_dataset_store_generated). */
int bb_mdref_store(const bb_mdref_result *res, bb_ctx *ctx);

void bb_mdref_result_free(bb_mdref_result *res); /* NULL-safe, leaves *res zeroed */

/* Write a subsample of every temperature of a finished run for committing: n_keep frames
 * (every stride-th, stride = n_frames / n_keep, the first at stride − 1, time order kept) as
 * <dir>/<id>.npy in '<f4' and <dir>/<id>.json = {"id", "n", "dof", "sha256" of the .npy,
 * "subsample": {stride, frame_interval, dtype, tica_w2_halves (bb_tica_halves_w2 of the subsample,
 * tasks with TICA)}, "provenance" of the full set}. Atomic writes. */
int bb_mdref_export(const bb_task *t, const bb_mdref_result *res, const char *dir, int64_t n_keep, bb_ctx *ctx);

/* Convergence diagnostics of n time-ordered frames x[n][dof] with energies e[n] (task energy
 * unit) at temperature kT, added to out: energy_mean/energy_sd (reduced, E/kT), iat_energy,
 * and for molecules (bb_task_molecule) for the first φ/ψ pair (tasks/molecules/basins.h):
 * populations {basin: fraction} of all frames, of the first and second halves, the largest
 * |half 1 − half 2| in percentage points (max_half_difference_pp) and whether it is <= 2
 * (halves_agree_2pp), phi_positive (the αL/C7ax fraction), iat_phi and iat_psi (angles cut
 * where the density is low: φ in (−240°, 120°], ψ in (−120°, 240°], in frames), and ess =
 * n / max(τ) over φ, ψ and E. τ by Sokal's window (datasets/iat.h); an unreliable τ (series
 * too short) is reported with "<name>_reliable": false. Returns BB_OK or BB_ENOMEM. */
int bb_mdref_diagnostics(const bb_task *t, size_t n, const double *x, const double *e, double kT, cJSON *out,
                         bb_ctx *ctx);

#endif
