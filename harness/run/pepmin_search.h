/* pepmin_search.h — build a peptide task's catalogue of local minima (harness/metrics/
 * peptide.h) by dihedral-grid starts and basin hopping in backbone-dihedral space: the
 * library behind `boltzbench minima --task <peptide>`, and the procedure that made the
 * committed ALDP catalogues (../shared/reference/molecules/README.md), redone in C.
 *
 * Procedure: (1) grid: every combination of the molecule's φ/ψ on a grid of grid_step_deg
 * (offset −180°) is a target; each start (the task's minimum + its initial() noise, stream
 * 0x4200_0000 + start) is relaxed by L-BFGS under u + Σ ½ k (φ − φ₀)² / kT (restraint k in
 * kJ/mol/rad², difference wrapped to (−π, π]) until max|∇| <= 1e-2, then without restraints until
 * max|∇u| <= gtol. (2) basin hopping: `steps` steps in rounds of `walkers`; walker w starts
 * at the lowest minimum; each step draws new targets = the walker's φ/ψ + U(−hop_deg, hop_deg)
 * (stream 0x4300_0000 + step), relaxes as in (1) and accepts the minimum with
 * min(1, exp(−ΔE / (R·T_task·temperature))). Every converged minimum joins the catalogue
 * unless it matches an entry (φ/ψ within 10°, E within 0.5 kJ/mol; the lower structure kept).
 * Deterministic for a seed on any thread count (relaxations are independent; the catalogue is
 * updated in step order).
 *
 * Only the task's isomer is catalogued: a converged minimum with a D Cα centre or a cis peptide
 * bond (|ω| < 90°), which a restrained path can produce, is dropped and counted (other_isomer).
 * Entries more than window_kj above the lowest are dropped at the end (a restrained path can
 * also force a hydrogen through its neighbours: a distorted "minimum" hundreds of kJ/mol up).
 * Not a proof of completeness; no Hessian check (a converged L-BFGS end point from a restrained
 * start is taken as a minimum).
 */
#ifndef BB_PEPMIN_SEARCH_H
#define BB_PEPMIN_SEARCH_H

#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "tasks/task.h"

typedef struct bb_pepmin_search_config {
    const char *path;     /* catalogue file written (JSON, peptide.h format) */
    uint64_t seed;        /* seed of the start noise and the hops */
    double grid_step_deg; /* grid spacing of the φ/ψ starts; 0: 30° for <= 2 angles, else 60° */
    double restraint_k;   /* kJ/mol/rad² (default 2000) */
    int64_t steps;        /* basin-hopping steps (default 160; 0: grid only) */
    int walkers;          /* walkers per round (default 16) */
    double hop_deg;       /* largest change of each angle per hop (default 60) */
    double temperature;   /* Metropolis temperature in units of the task's kT (default 1) */
    double window_kj;     /* minima more than this above the lowest are dropped (default 50 kJ/mol) */
    double gtol;          /* convergence, max|∇u| in reduced units (default 1e-3) */
    FILE *progress;       /* one line per stage, or NULL */
} bb_pepmin_search_config;

typedef struct bb_pepmin_search_result {
    size_t n_minima;      /* catalogue size */
    double lowest_E;      /* kJ/mol */
    int64_t grid_starts;  /* starts of stage 1 */
    int64_t energy_evals; /* every relaxation's evaluations (restrained and free) */
    int64_t not_converged;
    int64_t other_isomer; /* converged minima dropped: a D Cα or a cis peptide bond */
    int64_t above_window; /* catalogue entries dropped above the energy window */
    double wall_s;
} bb_pepmin_search_result;

void bb_pepmin_search_defaults(bb_pepmin_search_config *cfg);
/* Run the search on peptide task t (BB_EINVAL when t is not molecular or cfg is out of range,
 * naming the field) and write the catalogue atomically. res may be NULL. */
int bb_pepmin_search(const bb_task *t, const bb_pepmin_search_config *cfg, bb_pepmin_search_result *res, bb_ctx *ctx);

#endif
