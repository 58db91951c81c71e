/* train.c — PIS's training gradient: the path-space KL of a batch of B controlled paths,
 *   L = (1 / (B d)) Σ_paths [ Σ_k ½‖u_k‖² dt + Φ(X_T) ],  Φ(x) = U(x) + log N(x; 0, σ²T I),
 * differentiated with respect to the network parameters θ by one of two routes.
 *
 * Backprop (discretise-then-optimise, the authors'): the Euler–Maruyama path
 *   X_{k+1} = X_k + σ u(t_k, X_k) dt + σ √dt ξ_k
 * is recorded on the nn tape and the loss backpropagated; Φ enters as the surrogate
 * Σ X_T · c with c = ∇Φ(X_T) held constant. Memory: the whole path's activations.
 *
 * Adjoint (optimise-then-discretise; Li et al. 2020, "Scalable gradients for SDEs", whose
 * adjoint SDE reduces for additive noise σ dW to a random ODE along the fixed Brownian
 * path): with the drift f = σ u and the running cost ℓ = ½‖u‖²,
 *   a(T) = ∇Φ(X_T),   da/dt = −(∂f/∂x)ᵀ a − ∇ₓℓ,   dL/dθ = ∫_0^T [(∂f/∂θ)ᵀ a + ∇_θ ℓ] dt,
 * integrated backward from T by explicit Euler at the right end of each step, the state
 * reconstructed by the reverse Euler step with the same increment ξ_{k−1}:
 *   h_k(x, θ) = a_k · f(t_k, x) + ℓ(t_k, x)  (a_k constant)
 *   a_{k−1} = a_k + dt ∇ₓh_k(X̃_k),  dL/dθ += dt ∇_θ h_k(X̃_k),
 *   X̃_{k−1} = X̃_k − f(t_k, X̃_k) dt − σ √dt ξ_{k−1},   k = n … 1,  X̃_n = X_T.
 * ξ_{k−1} is regenerated from the counter-based stream (bb_rng_seek_normal), so nothing of
 * the forward path is kept: the forward pass runs without a tape and the backward pass
 * records one step at a time. It agrees with backprop to O(dt) (the quadrature point and
 * the reconstructed states differ by O(dt); tests/methods/test_pis_adjoint.c). For
 * PIS-Grad, ∇U (a constant of the tape in both routes, as the authors' no_grad score) is
 * evaluated at the reconstructed states X̃_{n−1} … X̃_1 (X̃_n = X_T reuses the terminal
 * evaluation): n_steps − 1 more evaluations per path, charged through the oracle. */
#include <math.h>
#include <string.h>

#include "harness/core/rng.h"
#include "methods/pis/pis.h"

int64_t pis_iteration_cost(const pis_state *a) {
    if (!a->use_grad) return (int64_t)a->B;
    return (int64_t)a->B * (a->adjoint ? 2 * (int64_t)a->n_steps : a->n_steps + 1);
}

/* U, ∇U at the B terminal states a->x (B evaluations); c = ∇Φ = ∇U − x/(σ²T) into a->c
 * (0 for a rejected state); *term OUT = Σ (U + log N) over the finite ones, *n_ok their
 * count. a->grad keeps the raw ∇U(X_T). */
static int terminal(pis_state *a, double *term, size_t *n_ok, bb_ctx *ctx) {
    const size_t B = a->B, dof = a->dof;
    int rc = bb_oracle_eval(a->o, B, a->x, a->e, a->grad, ctx);
    if (rc) return rc;
    a->evals_training += (int64_t)B;
    a->have_batch = 1;
    const double inv_v = 1.0 / (a->sigma * a->sigma * a->t_end);
    *term = 0.0, *n_ok = 0;
    for (size_t i = 0; i < B; i++) {
        int ok = isfinite(a->e[i]);
        for (size_t k = 0; k < dof; k++)
            a->c[i * dof + k] = ok ? a->grad[i * dof + k] - a->x[i * dof + k] * inv_v : 0.0;
        if (ok) *term += a->e[i] + pis_log_prior(a, a->x + i * dof), (*n_ok)++;
    }
    return BB_OK;
}

static double batch_loss(const pis_state *a, double cost_u, double term, size_t n_ok) {
    return 0.5 * a->dt * cost_u / (double)a->B + (n_ok ? term / (double)n_ok : NAN);
}

/* Discretise-then-optimise: the whole path on the tape. */
static int grad_backprop(pis_state *a, bb_rng *rng, double *loss, bb_ctx *ctx) {
    const size_t B = a->B, dof = a->dof;
    const int64_t shp[2] = {(int64_t)B, (int64_t)dof};
    bb_nn_graph *g = a->g;
    bb_nn_graph_reset(g);
    bb_nn_tensor *x = bb_nn_zeros(g, BB_NN_F64, 2, shp), *cost_u = NULL;
    memset(a->x, 0, B * dof * sizeof *a->x);
    int rc = BB_OK;
    for (int k = 0; k < a->n_steps; k++) {
        if (k > 0 && a->use_grad) bb_nn_to_double(x, a->x);
        bb_nn_tensor *u = pis_control(a, g, k, x, a->x, B, 0, &rc, ctx);
        if (rc) return rc; /* BB_EBUDGET: the driver ends the run */
        a->evals_training += a->use_grad ? (int64_t)B : 0;
        bb_nn_tensor *ck = bb_nn_sum(g, bb_nn_mul(g, u, u));
        cost_u = cost_u ? bb_nn_add(g, cost_u, ck) : ck;
        bb_rng_normal_fill(rng, B * dof, a->xi);
        bb_nn_tensor *noise = bb_nn_from(g, BB_NN_F64, 2, shp, a->xi);
        x = bb_nn_add(
            g, x,
            bb_nn_add(g, bb_nn_scale(g, u, a->sigma * a->dt, 0.0), bb_nn_scale(g, noise, a->sigma * sqrt(a->dt), 0.0)));
    }
    if ((rc = bb_nn_graph_status(g, ctx))) return rc;
    bb_nn_to_double(x, a->x);
    double term;
    size_t n_ok;
    if ((rc = terminal(a, &term, &n_ok, ctx))) return rc;
    bb_nn_tensor *surrogate = bb_nn_sum(g, bb_nn_mul(g, x, bb_nn_from(g, BB_NN_F64, 2, shp, a->c)));
    bb_nn_tensor *l =
        bb_nn_scale(g, bb_nn_add(g, bb_nn_scale(g, cost_u, 0.5 * a->dt, 0.0), surrogate), 1.0 / (double)(B * dof), 0.0);
    if (bb_nn_backward(g, l) < 0) return bb_nn_graph_status(g, ctx);
    *loss = batch_loss(a, bb_nn_get(cost_u, 0), term, n_ok);
    return BB_OK;
}

/* Optimise-then-discretise: forward without a tape, adjoint backward one step at a time. */
static int grad_adjoint(pis_state *a, bb_rng *rng, double *loss, bb_ctx *ctx) {
    const size_t B = a->B, dof = a->dof, n = B * dof;
    const int64_t shp[2] = {(int64_t)B, (int64_t)dof};
    const double sdt = a->sigma * a->dt, snoise = a->sigma * sqrt(a->dt), s = 1.0 / (double)n;
    bb_nn_graph *g = a->g;
    double cost_u = 0.0;
    int rc = BB_OK;
    memset(a->x, 0, n * sizeof *a->x);
    for (int k = 0; k < a->n_steps; k++) { /* the same arithmetic as the tape's path */
        bb_nn_graph_reset(g);
        bb_nn_graph_set_grad(g, 0);
        bb_nn_tensor *u = pis_control(a, g, k, bb_nn_from(g, BB_NN_F64, 2, shp, a->x), a->x, B, 0, &rc, ctx);
        if (rc) return rc;
        a->evals_training += a->use_grad ? (int64_t)B : 0;
        if ((rc = bb_nn_graph_status(g, ctx))) return rc;
        bb_nn_to_double(u, a->u);
        for (size_t i = 0; i < n; i++) cost_u += a->u[i] * a->u[i];
        bb_rng_normal_fill(rng, n, a->xi);
        for (size_t i = 0; i < n; i++) a->x[i] = a->x[i] + (a->u[i] * sdt + a->xi[i] * snoise);
    }
    double term;
    size_t n_ok;
    if ((rc = terminal(a, &term, &n_ok, ctx))) return rc;
    for (size_t i = 0; i < n; i++) a->adj[i] = a->c[i] * s; /* a(T) = ∇Φ(X_T) / (B d) */
    pis_clip_grad(a, B);                                    /* ∇U(X_T) for the control at T */
    double *xt = a->c; /* X̃_k (a->c is free once the adjoint holds ∇Φ); a->x keeps X_T */
    memcpy(xt, a->x, n * sizeof *xt);
    for (int k = a->n_steps; k >= 1; k--) {
        bb_nn_graph_reset(g);
        bb_nn_tensor *xin = bb_nn_input(g, BB_NN_F64, 2, shp, xt);
        bb_nn_tensor *u = pis_control(a, g, k, xin, xt, B, k == a->n_steps, &rc, ctx);
        if (rc) return rc;
        a->evals_training += a->use_grad && k < a->n_steps ? (int64_t)B : 0;
        for (size_t i = 0; i < n; i++) a->xi[i] = a->sigma * a->adj[i]; /* ∂(a·f)/∂u = σ a */
        /* dt h_k = dt Σ u · (σ a_k + (s/2) u): a·f plus the running cost, scaled like the loss */
        bb_nn_tensor *h = bb_nn_scale(g,
                                      bb_nn_sum(g, bb_nn_mul(g, u,
                                                             bb_nn_add(g, bb_nn_from(g, BB_NN_F64, 2, shp, a->xi),
                                                                       bb_nn_scale(g, u, 0.5 * s, 0.0)))),
                                      a->dt, 0.0);
        bb_nn_tensor *gx = NULL;
        if (bb_nn_backward_grad(g, h, 1, &xin, &gx) < 0) return bb_nn_graph_status(g, ctx);
        if (k == 1) break;
        bb_nn_to_double(u, a->u);
        bb_nn_to_double(gx, a->xi);
        for (size_t i = 0; i < n; i++) a->adj[i] += a->xi[i];
        bb_rng_seek_normal(rng, (uint64_t)(k - 1) * n); /* ξ_{k−1}, as drawn forward */
        bb_rng_normal_fill(rng, n, a->xi);
        for (size_t i = 0; i < n; i++) xt[i] = xt[i] - (a->u[i] * sdt + a->xi[i] * snoise);
    }
    *loss = batch_loss(a, cost_u, term, n_ok);
    return bb_nn_graph_status(g, ctx);
}

int pis_train_grad(pis_state *a, uint64_t iter, double *loss, bb_ctx *ctx) {
    bb_rng rng;
    bb_rng_init(&rng, a->seed, PIS_STREAM_TRAIN + iter);
    *loss = NAN;
    return a->adjoint ? grad_adjoint(a, &rng, loss, ctx) : grad_backprop(a, &rng, loss, ctx);
}
