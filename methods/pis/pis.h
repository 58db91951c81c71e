/* pis.h — internals of PIS (Path Integral Sampler, Zhang & Chen 2022) shared by its files
 * and its tests: the state, the control u(t, x) and the training gradient of the path-space
 * KL by either of two routes (train.c):
 *   gradient = "backprop" (default, the authors'): discretise-then-optimise, the whole
 *     Euler–Maruyama path on the nn tape, memory ∝ n_steps · batch · network width;
 *   gradient = "adjoint": optimise-then-discretise, the stochastic adjoint (Li et al. 2020,
 *     torchsde's adjoint for additive noise) integrated backward from T with the same
 *     Brownian increments, regenerated from the counter-based stream; one step's tape at a
 *     time, memory independent of n_steps. PIS-Grad pays n_steps − 1 more ∇U evaluations
 *     per path for the states it reconstructs.
 * See README.md for the equations. Not a public API. */
#ifndef BB_PIS_H
#define BB_PIS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/oracle/oracle.h"
#include "methods/nn/nn.h"
#include "methods/sde/sde.h"

/* Random streams (harness/core/rng.h: method-internal ids below 0x4000_0000). */
#define PIS_STREAM_TRAIN   0x00000001ull /* + iteration: the batch's Brownian increments, step by step */
#define PIS_STREAM_FINAL   0x02000000ull
#define PIS_STREAM_ANYTIME 0x03000000ull /* + checkpoint index */

typedef struct pis_state {
    bb_oracle *o;
    uint64_t seed;
    size_t dof, n_samples, B;
    double sigma, t_end, dt, lr, lr_gamma, max_grad_norm, lgv_clip;
    int64_t lr_every;
    int n_steps, weighted, use_grad, have_batch, nn1_only;
    int adjoint;    /* 1: stochastic-adjoint gradient, 0: backpropagation through the path */
    size_t n_final; /* final samples the reserve pays for */
    int64_t max_iters, anytime_n, iters, evals_training, evals_sampling;
    bb_nn_params ps;
    bb_nn_fourier_mlp net;
    bb_nn_time_conder coef; /* PIS-Grad's NN₂ */
    bb_sde_schedule sch;    /* constant g = σ: the sampling path's Euler–Maruyama step (methods/sde) */
    bb_nn_adam opt;
    bb_nn_graph *g;
    double *x, *u, *grad, *xi, *c, *e; /* [B][dof] scratch; e: [B] energies */
    double *adj;                       /* [B][dof] the adjoint state (gradient = adjoint only) */
    double log_z, ess;
    int have_weights, weights_skipped;
} pis_state;

/* Evaluations one training iteration spends: batch · (n_steps + 1) for PIS-Grad by
 * backprop, batch · 2 n_steps by the adjoint, batch for the gradient-free control. */
int64_t pis_iteration_cost(const pis_state *a);

/* ∇U at m configurations x through the oracle (m evaluations), clipped to ±lgv_clip
 * componentwise into a->grad; a rejected configuration (U = +inf) gets a zero gradient. */
int pis_grad_u(pis_state *a, size_t m, const double *x, bb_ctx *ctx);
/* The clip of pis_grad_u on a->grad[m][dof] as it is (a->e[m] its energies). */
void pis_clip_grad(pis_state *a, size_t m);

/* The control at step k (time k dt) for the m rows of x (a tensor of g): NN₁(t, x), minus
 * NN₂(t) ∇U(x) for PIS-Grad. ∇U, a constant of the tape, comes from the values xv of x (m
 * evaluations, into a->grad) or, when have_grad, from a->grad as it is (already clipped).
 * NULL on failure with *rc set (BB_EBUDGET when the oracle refuses). */
bb_nn_tensor *pis_control(pis_state *a, bb_nn_graph *g, int k, bb_nn_tensor *x, const double *xv, size_t m,
                          int have_grad, int *rc, bb_ctx *ctx);

/* log N(x; 0, σ²T I) of one configuration. */
double pis_log_prior(const pis_state *a, const double *x);

/* The gradient of iteration `iter`'s loss (batch mean of the path-space KL divided by the
 * dimension, their loss.py) with respect to the parameters, ADDED to a->ps.grad, by
 * backprop or the adjoint (a->adjoint); the batch's Brownian increments come from stream
 * PIS_STREAM_TRAIN + iter of a->seed, so both routes see the same path. Spends
 * pis_iteration_cost(a) evaluations (counted in a->evals_training); leaves the batch's
 * terminal states in a->x. *loss OUT: the batch-mean loss (running cost + U + log N over
 * the finite terminal energies). */
int pis_train_grad(pis_state *a, uint64_t iter, double *loss, bb_ctx *ctx);

#endif
