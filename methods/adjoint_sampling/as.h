/* as.h — internals of Adjoint Sampling shared by its files (and its tests): the
 * resolved configuration, the controller network, simulation of the controlled SDE,
 * one reciprocal-adjoint-matching step, and the resumable training state.
 *
 * Parametrisation (see README.md): the network outputs s(x, t) ≈ −∇g(X_1) (g(x) =
 * u(x) + log p_1^base(x), u the reduced energy), the control is u_t = σ_t s and the
 * controlled SDE is dX = σ_t² s dt + σ_t dB from X_0 = 0. Not part of the public API.
 */
#ifndef BB_AS_H
#define BB_AS_H

#include <stdint.h>
#include <stdio.h>

#include "methods/common/replay.h"
#include "methods/common/scorenet.h"
#include "methods/nn/nn.h"
#include "methods/sde/sde.h"

typedef struct as_config {
    bb_scorenet_config net; /* controller network, σ schedule, particle space */
    int n_steps;            /* Euler–Maruyama steps on [0, 1] */
    int batch;              /* new trajectories (energy evaluations) per outer iteration */
    int buffer;             /* replay capacity (rows) */
    int inner_steps;        /* gradient steps per outer iteration */
    int train_batch;        /* rows per gradient step */
    double lr, max_grad_norm, max_score_norm;
    int clip_energy;  /* 1: clip ∇u per particle, then add the base score (authors); 0: clip the sum */
    double out_scale; /* s = out_scale * network output (keeps EGNN coordinates O(1)) */
} as_config;

/* Random streams (harness/core/rng.h: method-internal ids below 0x4000_0000). */
#define AS_STREAM_SIM     0x00000001ull /* + outer: trajectories of outer iteration */
#define AS_STREAM_TRAIN   0x01000000ull /* + outer: buffer draws, t, bridge noise */
#define AS_STREAM_FINAL   0x02000000ull /* final samples */
#define AS_STREAM_ANYTIME 0x03000000ull /* + index: anytime-checkpoint samples */

typedef struct bb_params bb_params;
typedef struct bb_task bb_task;
/* Resolved parameters -> configuration for `task` (BB_EINVAL naming the parameter). */
int as_config_from_params(const bb_params *p, const bb_task *task, as_config *c, bb_ctx *ctx);

typedef struct as_model {
    as_config cfg;
    bb_sde_schedule sch;
    bb_scorenet net;                   /* network, Adam, tape, scratch [max(batch, train_batch)] rows */
    bb_nn_egnn_graph eg_sim, eg_train; /* EGNN graphs for cfg.batch and cfg.train_batch rows */
    bb_nn_egnn_graph eg_tail;          /* for a last, shorter chunk of a simulation (0 rows: none yet) */
    double h21;                        /* h²(1): variance of the base marginal at t = 1 */
    double *rows;                      /* [train_batch][2 dof] buffer draws */
} as_model;

/* Build the network (parameters seeded from `seed`), the optimizer and scratch. On
 * failure everything is released. Free with as_model_free (NULL-safe). */
int as_model_init(as_model *m, const as_config *cfg, uint64_t seed, bb_ctx *ctx);
void as_model_free(as_model *m);

/* s(x, t) for n <= cfg.batch rows: x[n][dof], common time t -> s[n][dof] (no tape). */
int as_model_score(as_model *m, size_t n, const double *x, double t, double *s, bb_ctx *ctx);

/* Simulate n trajectories of the controlled SDE from X_0 = 0 with noise from rng
 * (consumed in a fixed order), in chunks of cfg.batch rows: x1[n][dof] OUT. When
 * lw != NULL, lw[n] OUT = −(Σ_k ½|ũ_k|² + ũ_k·z_k), the Girsanov part of the
 * log importance weight (ũ_k = σ_k² s dt / σ_k, the drift increment over the noise std;
 * exact for the discretised base process). Costs no energy evaluations. */
int as_simulate(as_model *m, size_t n, bb_rng *rng, double *x1, double *lw, bb_ctx *ctx);

/* log density of the base marginal at t = 1 (N(0, h²(1)) on the noise subspace). */
double as_log_pbase(const as_model *m, const double *x);

/* Make a buffer row [x1 | target] from x1 and ∇u(x1). clip_energy (the authors'
 * GraphScoreGradTermCost): target = −(clip(∇u) − x1/h²(1)), ∇u clipped per particle at
 * max_score_norm and its COM removed before the base score is added; otherwise
 * target = −clip(∇u − x1/h²(1)), the sum clipped, COM removed. */
void as_make_row(const as_model *m, const double *x1, const double *grad, double *row);

/* One reciprocal adjoint matching step on cfg.train_batch rows drawn from rb:
 * t ~ U(0,1), X_t from the base bridge given X_0 = 0 and X_1, loss = mean over
 * particles of |s(X_t, t) − target|², Adam step. loss OUT. */
int as_train_step(as_model *m, const bb_replay *rb, bb_rng *rng, double *loss, bb_ctx *ctx);

/* The resumable state (network + Adam in the nn checkpoint format, replay buffer, outer
 * iterations and training evaluations) into / from the driver's state stream; read checks
 * the network's architecture and the buffer's shape (BB_EFORMAT otherwise). */
int as_state_write(FILE *fp, const as_model *m, const bb_replay *rb, int64_t outer, int64_t evals, bb_ctx *ctx);
int as_state_read(FILE *fp, as_model *m, bb_replay *rb, int64_t *outer, int64_t *evals, bb_ctx *ctx);

#endif
