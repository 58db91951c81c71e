/* idem.h — internals of iDEM (iterated denoising energy matching, Akhound-Sadegh et al.,
 * ICML 2024) shared by its files and its tests: the resolved configuration, the score
 * model (score network, or an energy network whose −∇ is the score: `idem_energy`), the
 * Monte-Carlo score estimator, one regression step and the resumable state.
 *
 * Coordinates: the method works in y = x / data_scale (DEM's normalised coordinates:
 * GMM-40 is trained on x/50, the particle tasks on x). Every DEM quantity — σ(t), the
 * score clip, λ(t), the prior — lives in y; energies are evaluated at x = data_scale · y
 * and the score in y is data_scale · (−∇_x u). Time is DEM's: t = 0 data, t = 1 noise,
 * σ²(t) = bb_sde_ve_var. See README.md for equations and defaults. Not a public API.
 */
#ifndef BB_IDEM_H
#define BB_IDEM_H

#include <stdint.h>
#include <stdio.h>

#include "harness/oracle/oracle.h"
#include "methods/common/replay.h"
#include "methods/common/scorenet.h"
#include "methods/nn/nn.h"
#include "methods/sde/sde.h"

typedef struct idem_config {
    bb_scorenet_config net; /* network, geometric VE schedule in y, particle space */
    int energy_net;         /* 1: the network is an energy E_θ(y, t), score = −∇_y E_θ (idem_energy) */
    double data_scale;      /* x = data_scale · y */
    int n_steps;            /* Euler–Maruyama steps of the reverse SDE on [0, 1] */
    double diffusion_scale; /* noise factor of the reverse SDE (DEM diffusion_scale) */
    int mc_samples;         /* K: draws per score target */
    double max_score_norm;  /* clip of each target (per particle for particle systems) */
    int lambda_var;         /* 1: λ(t) = σ²(t) + lambda_eps (DEM BasicLambdaWeighter), 0: λ = 1 */
    double lambda_eps;
    int batch;       /* buffer rows per gradient step (DEM num_samples_to_sample_from_buffer) */
    int n_generate;  /* samples simulated into the buffer after each epoch */
    int n_init;      /* prior samples the buffer starts with */
    int buffer;      /* replay capacity */
    int inner_steps; /* gradient steps per epoch (between refills) */
    double lr, max_grad_norm;
    int clip_particles;      /* 1: clip each particle's D-vector (DEM: is_molecule), 0: the whole vector */
    int negative_time_steps; /* clipped gradient-descent steps on u after the final draw's SDE (0: off) */
    double negative_time_dt; /* their step (DEM negative_time_descent dt) */
} idem_config;

/* Random streams (harness/core/rng.h: method-internal ids below 0x4000_0000). */
#define IDEM_STREAM_INIT    0x00000001ull /* the prior samples of the initial buffer */
#define IDEM_STREAM_SIM     0x01000000ull /* + epoch: buffer refill after that epoch */
#define IDEM_STREAM_TRAIN   0x08000000ull /* + gradient step: rows, t, noise, MC draws */
#define IDEM_STREAM_FINAL   0x10000000ull /* final samples */
#define IDEM_STREAM_ANYTIME 0x18000000ull /* + index: anytime-checkpoint samples */

typedef struct bb_params bb_params;
/* Resolved parameters -> configuration for `task`; `name` names the method in messages
 * (BB_EINVAL naming the parameter). energy_net is set by the caller. */
int idem_config_from_params(const bb_params *p, const bb_task *task, const char *name, idem_config *c, bb_ctx *ctx);

/* ---- Monte-Carlo score estimator (estimator.c) ------------------------------------------ */
/* S_K(y, t) = Σ_k w_k s_k for n rows y[n][dof] at times t[n] (y-space), with
 *   y_k = y + σ(t) z_k,  s_k = data_scale · (−∇_x u)(data_scale · y_k),
 *   w = softmax(−u(data_scale · y_k)) over the K draws (log-sum-exp in double),
 * then clipped (cfg.max_score_norm; per particle or whole) into out[n][dof]. Draws whose
 * energy is +INFINITY get weight 0; a row whose K draws all are gets S = 0 (counted in
 * *all_rejected when not NULL). Noise z from rng: K·dof normals per row, row after row.
 * Charges exactly n·K energy+gradient evaluations to the oracle, in calls of whole rows
 * (BB_EBUDGET from the oracle is returned as is; out is then undefined). Allocates its
 * scratch per call. */
int idem_estimate_scores(bb_oracle *o, const idem_config *c, const bb_sde_schedule *sch, size_t n, const double *y,
                         const double *t, bb_rng *rng, double *out, size_t *all_rejected, bb_ctx *ctx);

/* ---- score model (model.c) -------------------------------------------------------------- */
typedef struct idem_model {
    idem_config cfg;
    bb_sde_schedule sch;
    bb_scorenet net;           /* network, Adam, tape, scratch [max(batch, n_generate)] rows */
    bb_nn_egnn_graph eg_train; /* cfg.batch rows */
    bb_nn_egnn_graph eg_sim;   /* rows of the current simulation chunk (rebuilt when that changes) */
} idem_model;

/* Build the network (parameters seeded from `seed`), optimizer and scratch; on failure
 * everything is released. Free with idem_model_free (NULL-safe). */
int idem_model_init(idem_model *m, const idem_config *cfg, uint64_t seed, bb_ctx *ctx);
void idem_model_free(idem_model *m);

/* The model's score s_θ(y, t) for n rows y[n][dof] at times t[n] (one tape, no parameter
 * gradients) -> s[n][dof]. n <= max(batch, n_generate). BB_ENAN if not finite. */
int idem_model_score(idem_model *m, size_t n, const double *y, const double *t, double *s, bb_ctx *ctx);

/* n samples (y-space) of the reverse-time VE SDE driven by the model, from N(0, σ²(1) I)
 * (centre of mass removed for particle systems), cfg.n_steps Euler–Maruyama steps with
 * noise factor cfg.diffusion_scale, in chunks of n_generate rows: y[n][dof] OUT. Noise from
 * rng in a fixed order. Costs no energy evaluations. */
int idem_simulate(idem_model *m, size_t n, bb_rng *rng, double *y, bb_ctx *ctx);

/* s_θ on B rows: y [B, dof], t [B] -> score tensor [B, dof] on m->g (NULL on failure, the
 * error in the graph), with `eg` an EGNN graph of B configurations. train = 1: the energy
 * network's input gradient is recorded (create_graph) so a loss on it reaches θ. */
bb_nn_tensor *idem_forward(idem_model *m, const bb_nn_egnn_graph *eg, int64_t B, const double *y, const double *t,
                           int train);

/* Draw n prior samples N(0, σ²(1) I) (COM-free for particle systems) into y[n][dof]. */
void idem_prior_sample(const idem_model *m, size_t n, bb_rng *rng, double *y);

/* ---- training (train.c) ----------------------------------------------------------------- */
/* One regression step on nb <= cfg.batch rows drawn from rb (uniform, with replacement):
 * t ~ U(0, 1), y_t = y + σ(t) z (COM-free), S_K(y_t, t) from the oracle (nb·K
 * evaluations), loss = mean over rows of λ(t) · mean over dof of |s_θ(y_t, t) − S_K|²,
 * gradient norm clipped at cfg.max_grad_norm (0: off), one Adam step. loss OUT. BB_EBUDGET
 * from the oracle is returned before any parameter changes. */
int idem_train_step(idem_model *m, bb_oracle *o, const bb_replay *rb, size_t nb, bb_rng *rng, double *loss,
                    size_t *all_rejected, bb_ctx *ctx);

/* ---- resumable state (state.c) ---------------------------------------------------------- */
typedef struct idem_progress {
    int64_t grad_steps;    /* regression steps taken */
    int64_t refills;       /* buffer refills done */
    int64_t evals_score;   /* evaluations charged by score estimation */
    int64_t rows_rejected; /* targets whose K draws were all +INFINITY */
    int64_t rows_trained;  /* regression targets used */
} idem_progress;
int idem_state_write(FILE *fp, const idem_model *m, const bb_replay *rb, const idem_progress *pr, bb_ctx *ctx);
int idem_state_read(FILE *fp, idem_model *m, bb_replay *rb, idem_progress *pr, bb_ctx *ctx);

#endif
