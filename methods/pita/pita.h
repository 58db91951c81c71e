/* pita.h — internals of PITA (progressive inference-time annealing, Akhound-Sadegh, Lee et al.,
 * NeurIPS 2025) shared by its files and its tests: the resolved configuration, the two
 * EDM-preconditioned networks (score D_S and energy U_θ, one parameter group, one Adam, one
 * EMA), their loss, the annealer (tempered reverse SDE with Feynman–Kac weights and SMC
 * resampling, then the correction to the true next-level density) and the resumable state.
 *
 * Coordinates: the networks, the diffusion and the level data live in y = x / data_scale (1
 * for the particle tasks; GMM-40 50, as iDEM/DEM normalise it); energies are u(data_scale · y).
 *
 * Temperatures are multipliers τ of the task temperature (the task's reduced energy u is at
 * τ = 1): level k targets π_k ∝ exp(−u/τ_k), τ_0 > … > τ_K = 1; the networks are conditioned
 * on β_k = round(τ_0/τ_k, 2) (the authors' inverse temperatures). Time t ∈ [0, 1] (0 data),
 * σ²(t) the EDM schedule of methods/sde/sde.h. README.md has the equations, the defaults with
 * their sources and every deviation. Not a public API.
 */
#ifndef BB_PITA_H
#define BB_PITA_H

#include <stdint.h>
#include <stdio.h>

#include "harness/oracle/oracle.h"
#include "methods/common/scorenet.h"
#include "methods/nn/nn.h"
#include "methods/sde/sde.h"

#define PITA_MAX_LEVELS 32

typedef struct pita_config {
    bb_scorenet_config net; /* architecture (t_dim 0: time only through c_noise), σmin/σmax, space */
    double data_scale;      /* the networks and the diffusion work in y = x / data_scale */
    double rho, p_mean, p_std;
    int n_levels;                   /* K + 1 temperatures */
    double tau[PITA_MAX_LEVELS];    /* τ_0 > … > τ_K = 1 */
    double beta[PITA_MAX_LEVELS];   /* round(τ_0/τ_k, 2) */
    int64_t steps[PITA_MAX_LEVELS]; /* Adam steps trained at level k (k < K) before annealing to k + 1 */
    int batch;                      /* training rows per Adam step */
    int train_all;                  /* 1: each step trains one random level among those reached */
    double w_escore, w_score, w_match;
    double energy_mask; /* level data: |u/τ| at most this (all when none is) (authors: 1e3) */
    double lr, max_grad_norm, ema_decay;
    int n_stage0;        /* stage-0 samples at τ_0 */
    int stage0_chains;   /* MALA chains of stage 0 */
    double stage0_step;  /* their initial step at τ = 1 (scaled by τ_0, adapted in burn-in) */
    int n_anneal;        /* annealed samples per level */
    int sde_steps;       /* Euler–Maruyama steps of an annealing */
    int end_resampling;  /* SMC resampling on steps < this (authors: 900 of 1000) */
    double resample_ess; /* resample when the ESS fraction is <= this (1: every step) */
    double clip_q;       /* quantile clip of the weight rate and the final log-weights (authors: 0.9) */
    int div_probes;      /* divergence of s_S: 0 exact (dof passes), else Hutchinson probes */
    int chunk;           /* rows per network evaluation in an annealing (inference batch) */
    int post_steps;      /* MALA moves after an annealing's correction (authors' post_mcmc_steps) */
    double post_dt;      /* their first step dt in y (y' = y + dt/2 ∇log π + √dt ξ), adapted (×/÷ 1.1) */
    /* the peptide network (network transformer): the authors' DIT3D, nn.h bb_nn_dit; hidden
     * and layers (blocks) from net; conditioned on β iff train_all (the authors' condition_on_temperature) */
    int transformer;
    int heads, cond_dim, freq_dim;
    /* target score matching: w_target |x_t − σ²∇(u/τ)(x0) − D_S(x_t)|², mean over the rows with
     * σ(t) < σ(target_t); ∇ clipped to target_clip per particle (authors' Clipper) */
    double w_target, target_t, target_clip;
    int augment_rot; /* 1: a uniform random rotation of every training row (and its gradient) */
} pita_config;

/* Random streams (method-internal ids below 0x4000_0000). */
/* Rows with u/τ above this are not pinned (the authors' get_energy_matching_loss default
 * energy_threshold = 1e3, energytemp_module.py:548, which get_loss does not override, lines
 * 366-372: it does not follow energy_masking_threshold). */
#define PITA_PIN_MASK 1e3

#define PITA_STREAM_TRAIN   0x00100000ull /* + Adam step */
#define PITA_STREAM_STAGE0  0x08000000ull /* seed offset of stage 0's MALA engine */
#define PITA_STREAM_ANNEAL  0x10000000ull /* + (target level << 20) + SDE step */
#define PITA_STREAM_FINAL   0x20000000ull /* + SDE step: the final draw */
#define PITA_STREAM_ANYTIME 0x28000000ull /* + (index << 16) + SDE step */

typedef struct bb_params bb_params;
int pita_config_from_params(const bb_params *p, const bb_task *task, pita_config *c, bb_ctx *ctx);

/* ---- the two networks (model.c) -------------------------------------------------------------- */
typedef struct pita_model {
    pita_config cfg;
    bb_edm_schedule sch;
    bb_nn_params ps;    /* both networks */
    bb_nn_egnn egnn[2]; /* [0] score, [1] energy (EGNN) */
    bb_nn_mlp mlp[2];   /* (MLP) */
    bb_nn_dit dit[2];   /* (transformer) */
    bb_nn_graph *g;
    bb_nn_adam opt;
    bb_nn_ema ema;
    bb_nn_egnn_graph eg_train; /* cfg.batch rows */
    bb_nn_egnn_graph eg_inf;   /* rows of the current annealing chunk (rebuilt when that changes) */
} pita_model;

int pita_model_init(pita_model *m, const pita_config *cfg, uint64_t seed, bb_ctx *ctx);
void pita_model_free(pita_model *m);

/* On m->g, for B rows x [B, dof] and per-row σ [B, 1], at inverse temperature beta:
 * the score network's denoiser D_S = c_skip x + c_out F_S(c_in x, c_noise, β) [B, dof] and
 * the energy network's U_θ = |x|²/(2(1 + σ²)) − ⟨F_E(c_in x, c_noise, β), c_in x⟩/σ [B, 1].
 * eg must have B configurations (EGNN). NULL on failure (error in the graph). */
bb_nn_tensor *pita_denoiser(pita_model *m, const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *sigma,
                            double beta);
bb_nn_tensor *pita_energy(pita_model *m, const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *sigma, double beta);

/* The fields of one annealing step for n rows x[n][dof] at time t (EGNN graph sized to n):
 * s_E = −∇U_θ, s_S = (D_S − x)/σ², ∇·s_S (exact over the centre-of-mass-free subspace, or
 * cfg.div_probes Rademacher probes from rng), ∂U_θ/∂t; any output may be NULL. */
int pita_fields(pita_model *m, size_t n, const double *x, double t, double beta, bb_rng *rng, double *score_e,
                double *score_s, double *div_s, double *dudt, bb_ctx *ctx);
/* U_θ(x, σ) for n rows at one σ -> u[n]. */
int pita_model_energy(pita_model *m, size_t n, const double *x, double sigma, double beta, double *u, bb_ctx *ctx);

/* ---- training (train.c) ---------------------------------------------------------------------- */
/* One Adam step on nb rows x0[nb][dof] with level energies e0[nb] (u/τ) at inverse
 * temperature beta: σ = exp(p_mean + p_std ξ) per row, x_t = x0 + σ z (COM-free), loss =
 * mean over rows of w_escore λ|x_t − σ²∇U_θ(x_t) − sg D_S(x_t)|² + w_score λ|D_S(x_t) − x0|² +
 * w_match (e0 − U_θ(x0, σmin))² [e0 ≤ PITA_PIN_MASK], λ = (σ² + 1)/σ²; gradient-norm clip,
 * Adam, EMA; with cfg.w_target > 0 also the target score term on the gradients g0[nb][dof] of e0
 * in y (NULL: none). The four parts (escore, score, match, target) OUT (l3 may be NULL). */
int pita_train_step(pita_model *m, size_t nb, const double *x0, const double *e0, const double *g0, double beta,
                    bb_rng *rng, double *loss, double l3[4], bb_ctx *ctx);

/* ---- annealing (anneal.c) -------------------------------------------------------------------- */
/* An annealing of n particles from level `from` (the networks at β_from) towards τ_to,
 * γ = τ_from/τ_to: begin draws x ~ N(0, σ²(1)/γ) (COM-free), each step moves every particle
 * one Euler–Maruyama step (t_i = 1 − i/N) with the Feynman–Kac weight rate (clipped per chunk
 * at cfg.clip_q) and, for i < end_resampling, resamples (ESS rule); end evaluates u(x) through
 * the oracle at data_scale · x (n evaluations; o NULL: no evaluation and no correction), corrects the
 * log-weights to the target, log w = −u/τ_to + γ U_θ(x, σmin) clipped at cfg.clip_q, and
 * resamples once; then cfg.post_steps MALA moves on exp(−u/τ_to) (methods/mcmc bb_mcmc_refine,
 * one evaluation per row and move, fewer when the budget runs out), after which x, u and gu are
 * the chains' final states. Randomness from (seed, stream_base + step); row r's MALA from
 * (seed, ((stream_base + sde_steps + 2) << 32) + r). */
typedef struct pita_anneal {
    size_t n;
    int from;
    double tau_to, gamma;
    int step; /* next SDE step (0..sde_steps), sde_steps: integrated */
    uint64_t seed, stream;
    double *x, *logw, *u; /* [n][dof], [n], [n] (energies after end) */
    double *gu;           /* [n][dof] ∇u at data_scale x after end when cfg.w_target or cfg.post_steps > 0 */
    int64_t resamplings;
    double ess_end;     /* ESS fraction of the corrected weights */
    double log_z;       /* SMC log Ẑ before the correction (relative to the prior's normaliser) */
    int mcmc_moves;     /* post-annealing MALA moves made */
    double mcmc_accept; /* their mean acceptance (NAN: none) */
    double mcmc_dt;     /* the adapted dt after them (NAN: none) */
} pita_anneal;
int pita_anneal_begin(pita_anneal *a, const pita_model *m, size_t n, int from, double tau_to, uint64_t seed,
                      uint64_t stream, bb_ctx *ctx);
int pita_anneal_step(pita_anneal *a, pita_model *m, bb_ctx *ctx);
int pita_anneal_end(pita_anneal *a, pita_model *m, bb_oracle *o, bb_ctx *ctx);
void pita_anneal_free(pita_anneal *a);
int pita_anneal_write(FILE *fp, const pita_anneal *a, size_t dof, bb_ctx *ctx);
int pita_anneal_read(FILE *fp, pita_anneal *a, size_t dof, bb_ctx *ctx);

#endif
