/* engine.h — the one MCMC engine behind `mala` and `pt`.
 *
 * State: L independent ladders × K temperatures λ_1 < λ_2 < … < λ_K, one chain per
 * (ladder, temperature), targeting π_k(x) ∝ exp(−u(x)/λ_k) with u the task's reduced
 * energy. `mala` is the special case K = 1 (no swaps); `pt` uses K > 1; both have λ_1 = 1.
 * The samples are those of λ_1 (PITA's stage 0 runs the engine with λ_1 = its hottest
 * temperature).
 *
 * One sweep = one move of every chain (L·K energy evaluations through the oracle), then,
 * every `swap_interval` sweeps, replica-exchange swaps between adjacent temperatures in a
 * deterministic even/odd alternation (DEO; Okabe et al. 2001, Syed et al. 2022):
 * accept swap (k, k+1) with min(1, exp((1/λ_k − 1/λ_{k+1})(u_k − u_{k+1}))). Swaps cost no
 * evaluations (energies are known).
 *
 * Moves within a chain:
 *   MALA: y = x − h ∇u(x)/λ + √(2h) ξ,  log q(y|x) = −‖y − x + h∇u(x)/λ‖² / (4h)
 *   RW:   y = x + √(2h) ξ (symmetric)
 * with ξ ~ N(0, I) projected onto the centre-of-mass-free subspace for COM_FREE tasks
 * (the target lives there; proposals then stay there exactly).
 *
 * Step sizes: one h per chain (initially step_size · λ_k), adapted ONLY during burn-in by a
 * constant-gain Robbins–Monro update of log h towards the target acceptance (0.574 MALA,
 * 0.234 RW) on the chain's own accept/reject; frozen afterwards, so every production chain is
 * a time-homogeneous, valid MCMC. Per-chain steps let a chain that starts in a stiff region
 * (overlapping particles, huge gradients) shrink its step until it moves. Swaps exchange
 * configurations between temperature slots; step sizes stay with the slot.
 *
 * Budget plan: with B the evaluation budget and C = L·K chains, the run has
 * S = ⌊B / C⌋ evaluation rounds (the first evaluates the initial states); the first
 * ⌊burnin_fraction · S⌋ sweeps are burn-in. The remaining P sweeps of the λ_1 chains
 * are thinned so that each ladder contributes ⌈n_samples / L⌉ samples from the end of
 * its chain. Output order is ladder-major ([ladder][time]), so per-chain autocorrelation
 * can be measured on the output. If the oracle refuses (budget taken by someone else)
 * or B < 2C (no production sweep) the run ends with the samples it has: the recorded
 * ones, else the current λ_1 states. The state (chains, RNG streams,
 * recorded samples) is saved and restored whole, so a resumed run is bit-identical.
 *
 * Randomness: ladder l, temperature k uses RNG stream (l·K + k); swaps of ladder l use
 * stream 0x1000_0000 + l. Results do not depend on the number of threads.
 */
#ifndef BB_MCMC_ENGINE_H
#define BB_MCMC_ENGINE_H

#include <stddef.h>

#include "methods/method.h"

typedef enum bb_mcmc_move { BB_MCMC_MALA, BB_MCMC_RW, BB_MCMC_MOVE_COUNT } bb_mcmc_move;

typedef struct bb_mcmc_config {
    size_t n_ladders; /* L: independent chains (per temperature) */
    size_t n_temps;   /* K */
    double temps[64]; /* λ_1 < … < λ_K (reduced temperature multipliers; mala, pt: λ_1 = 1) */
    bb_mcmc_move move;
    double step_size;       /* initial h at λ = 1 */
    double target_accept;   /* acceptance targeted during burn-in */
    double burnin_fraction; /* of the evaluation rounds */
    size_t swap_interval;   /* sweeps between swap rounds (pt) */
    double init_scale;      /* > 0: override the task's initial spread (0 = task default) */
} bb_mcmc_config;

/* The engine as a step-wise method (methods/method.h). One step evaluates the initial
 * states (the first) or makes one sweep; the step that completes the planned sweeps reports
 * stop reason "budget". draw returns up to env->n_samples samples at λ_1 (what was
 * recorded, also after an error); describe adds acceptance per temperature, final step
 * sizes, swap acceptance and sweep counts. mala.c and pt.c translate their parameters
 * into a bb_mcmc_config and call bb_mcmc_init; the other entries are shared. */
int bb_mcmc_init(const bb_method_env *env, const bb_mcmc_config *cfg, void **state, bb_ctx *ctx);
int bb_mcmc_step(void *state, bb_step_info *info, bb_ctx *ctx);
int bb_mcmc_snapshot(void *state, size_t k, bb_samples *out, bb_ctx *ctx);
int bb_mcmc_draw(void *state, bb_samples *out, bb_ctx *ctx);
int bb_mcmc_save(const void *state, FILE *fp, bb_ctx *ctx);
int bb_mcmc_load(void *state, FILE *fp, bb_ctx *ctx);
void bb_mcmc_describe(const void *state, cJSON *info);
void bb_mcmc_free(void *state);

/* The method table of the front-end `id` (mala, pt): its id_params, id_task_defaults and
 * id_init, the engine's entries for the rest. `const bb_method bb_method_pt = BB_MCMC_METHOD(pt, 1, "...");` */
#define BB_MCMC_METHOD(id, version_, description_)                                                                     \
    {                                                                                                                  \
        .name = #id, .version = version_, .description = description_, .params = id##_params,                          \
        .task_defaults = id##_task_defaults, .init = id##_init, .step = bb_mcmc_step, .snapshot = bb_mcmc_snapshot,    \
        .draw = bb_mcmc_draw, .save = bb_mcmc_save, .load = bb_mcmc_load, .describe = bb_mcmc_describe,                \
        .free = bb_mcmc_free                                                                                           \
    }

/* MALA refinement of given states (PITA's post-annealing MCMC; the authors'
 * metropolis_hastings_mala_adaptive, sde_integration.py:411-470): up to `moves` MALA moves of n
 * independent chains targeting exp(−u/λ), the same proposal and acceptance as the engine's
 * chains, started from x[n][dof] whose reduced energies u[n] and gradients g[n][dof] are known.
 * All chains share one step h (start *h), adapted after every move as the authors do: h ×1.1
 * when the move's acceptance over the chains is above 0.55, else h ÷1.1. Rows with a
 * non-finite u stay as they are and cost nothing (as theirs). A move evaluates every other
 * row's proposal (energy and gradient) through the oracle; the refinement stops, without an
 * error, before a move the oracle cannot pay for. On return x, u, g, *h hold the final chains;
 * *moves_done the moves made and *accept_mean their mean acceptance (NAN without a move).
 * Row r draws from the random stream (seed, stream_base + r); results do not depend on the
 * number of threads. */
int bb_mcmc_refine(bb_oracle *o, size_t n, double lam, double *x, double *u, double *g, int moves, double *h,
                   uint64_t seed, uint64_t stream_base, int *moves_done, double *accept_mean, bb_ctx *ctx);

/* The parameters mala and pt share (bb_mcmc_config_shared reads them), each defined once:
 * names and ranges, and the defaults where they agree. */
#define BB_MCMC_PARAM_N_CHAINS(def, doc)                                                                               \
    { "n_chains", BB_PARAM_INT, def, 1, 100000, doc }
#define BB_MCMC_PARAM_STEP_SIZE(doc)                                                                                   \
    { "step_size", BB_PARAM_DOUBLE, "0.001", 1e-12, 1e6, doc }
#define BB_MCMC_PARAM_BURNIN                                                                                           \
    { "burnin_fraction", BB_PARAM_DOUBLE, "0.5", 0, 0.99, "fraction of the budget spent on burn-in (discarded)" }
#define BB_MCMC_PARAM_INIT_SCALE                                                                                       \
    { "init_scale", BB_PARAM_DOUBLE, "0", 0, 1e6, "std of the initial states (0 = the task's default)" }
/* Initial step sizes at temperature 1 (adapted in burn-in): peptides have positions in nm and
 * stiff bonds to hydrogens. */
#define BB_MCMC_TASK_STEPS                                                                                             \
    {"gmm40", "{\"step_size\": 0.5}"}, {"dw4", "{\"step_size\": 0.01}"}, {"lj13", "{\"step_size\": 0.0005}"},          \
        {"lj55", "{\"step_size\": 0.0002}"}, {"aldp-fab", "{\"step_size\": 2e-6}"},                                    \
        {"aldp-pita", "{\"step_size\": 2e-6}"}, {                                                                      \
        "al3-pita", "{\"step_size\": 2e-6}"                                                                            \
    }

/* cfg zeroed, then the parameters every MCMC method has: n_chains (ladders), step_size,
 * target_accept, burnin_fraction, init_scale. */
void bb_mcmc_config_shared(bb_mcmc_config *cfg, const bb_params *p);

/* Geometric ladder λ_k = t_max^{k/(K−1)}, k = 0..K−1 (K = 1 gives {1}). */
void bb_mcmc_geometric_ladder(size_t k, double t_max, double *temps);

#endif
