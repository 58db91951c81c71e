/* langevin.h — BAOAB Langevin dynamics of R replicas of a task, with optional replica exchange
 * between neighbouring temperatures (the engine behind `boltzbench reference --sampler langevin`).
 *
 * Equations (per replica r at temperature kT_r, per degree of freedom with mass m):
 *   dx = v dt,   m dv = F(x) dt − γ m v dt + √(2 γ m kT_r) dW,   F = −∇E = −kT_task ∇u,
 * u the task's reduced energy (E = kT_task · u). One step of BAOAB (Leimkuhler & Matthews,
 * "Rational construction of stochastic numerical methods for molecular sampling", AMRX 2013):
 *   B  v += ½dt F/m      A  x += ½dt v      O  v = c v + √((1 − c²) kT_r/m) ξ,  c = exp(−γ dt)
 *   A  x += ½dt v        (F at the new x: one energy+gradient evaluation per replica)   B  v += ½dt F/m
 * Its configurational marginal has O(dt²) bias that is small for smooth forces (exact for a
 * harmonic oscillator at any stable dt). It is the same splitting as OpenMM's
 * LangevinMiddleIntegrator (PITA's, used with 1 fs and γ = 0.3/ps), which OpenMM writes as
 * V-R-O-R-V with velocities at half steps.
 * Units are the task's: for molecules x nm, v nm/ps, m amu, E kJ/mol, t ps; for reduced tasks
 * all masses are 1 and kT is relative to the task's kT.
 *
 * Replica exchange: every `exchange_every` steps, alternately the pairs (0,1), (2,3), … and
 * (1,2), (3,4), … of neighbouring replicas of each ladder attempt a swap, accepted with probability
 * min(1, exp((1/kT_r − 1/kT_s)(E_r − E_s))); an accepted swap exchanges positions, forces and
 * energies and the velocities rescaled by √(kT_new/kT_old), so replica r always runs at kT_r.
 *
 * Randomness: step s draws its R·dof normals from Philox stream 0x4200·2^48 + s of the seed
 * and its exchange uniforms from 0x4202·2^48 + s; the initial velocities from stream
 * 0x4201·2^48. Nothing else is random, so the trajectory depends only on (task, x0, masses,
 * temperatures, dt, γ, exchange interval, seed) — not on the thread count, and a state
 * restored with bb_langevin_load continues exactly as the uninterrupted run.
 * Not here: frames, files, diagnostics (harness/run/mdref.h).
 */
#ifndef BB_LANGEVIN_H
#define BB_LANGEVIN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"
#include "harness/core/buf.h"
#include "harness/core/fileio.h"
#include "tasks/task.h"

typedef struct bb_langevin_config {
    double dt;              /* time step (> 0), task time unit (ps for molecules) */
    double friction;        /* γ (>= 0), per time unit; 0 = velocity Verlet */
    int64_t exchange_every; /* steps between exchange attempts; 0 = no exchange */
    size_t ladder;          /* replicas per exchange ladder: replicas [k·ladder, (k+1)·ladder) exchange
                             * among themselves only (independent walkers); 0 = one ladder of all */
    uint64_t seed;
    int threads; /* OpenMP threads for the energy batch (results do not depend on it) */
} bb_langevin_config;

typedef struct bb_langevin {
    const bb_task *t;
    bb_langevin_config cfg;
    size_t R, D;               /* replicas, degrees of freedom */
    double *kT;                /* [R] replica temperatures in the task's energy unit */
    double *inv_m;             /* [D] inverse mass of each degree of freedom */
    double *x, *v, *f;         /* [R][D] positions, velocities, forces −∇E */
    double *e;                 /* [R] potential energies E = kT_task·u */
    double *g, *u, *xi;        /* scratch: [R][D] ∇u, [R] u, [R][D] normals */
    int64_t step;              /* steps done */
    int64_t evals;             /* energy+gradient evaluations spent (R per step, R at init) */
    int64_t *tried, *accepted; /* [R−1] exchange attempts and acceptances per pair (r, r+1) */
} bb_langevin;

/* Start R replicas at x0[R][D] with temperatures kT[R] (task energy unit, > 0) and masses
 * mass[P] per particle (NULL: all 1), velocities from Maxwell–Boltzmann at kT_r, forces
 * evaluated (R evaluations). BB_EINVAL names a field outside its range; a non-finite energy at
 * x0 is BB_ENAN naming the replica. On failure *L is freed and zeroed. */
int bb_langevin_init(bb_langevin *L, const bb_task *t, size_t R, const double *kT, const double *mass, const double *x0,
                     const bb_langevin_config *cfg, bb_ctx *ctx);

/* One BAOAB step of every replica, then an exchange attempt when step % exchange_every == 0.
 * A non-finite energy or force after the step is BB_ENAN naming the step and replica (the
 * dynamics blew up: reduce dt); the state is then unusable. */
int bb_langevin_step(bb_langevin *L, bb_ctx *ctx);

/* Append the dynamic state (step, evals, exchange counts, x, v, f, e) to b; bb_langevin_load
 * reads it back from r into an initialised L of the same shape (BB_EFORMAT if short). */
void bb_langevin_save(const bb_langevin *L, bb_buf *b);
int bb_langevin_load(bb_langevin *L, bb_bytes *r, const char *what, bb_ctx *ctx);

void bb_langevin_free(bb_langevin *L); /* NULL-safe, leaves *L zeroed */

#endif
