/* pis.c — Path Integral Sampler (Zhang & Chen, ICLR 2022): a controlled SDE from a point
 * mass whose control is trained by backpropagation through the discretised path on the nn
 * core's tape (methods/nn; or, gradient = "adjoint", by the stochastic adjoint: train.c),
 * with path-space importance weights for log Z. This file: parameters, state, the control,
 * sampling, snapshots, the final draw and resume; the training gradient is in train.c.
 *
 * Controlled SDE dX = σ u(t, X) dt + σ dW from X_0 = 0 on [0, T], Euler–Maruyama with
 * n_steps steps of dt = T/n_steps (their src/utils/sampling.py; on the tape in training,
 * methods/sde's bb_sde_em_step with the constant schedule g = σ when sampling). Controls (their
 * src/models/pis_nn.py, select_f):
 *   control = "grad" (PIS-Grad, f_format "t_tnet_grad", the default):
 *       u(t, x) = NN₁(t, x) − NN₂(t) · clip(∇U(x), ±lgv_clip)
 *     NN₁ the FourierMLP, NN₂ the TimeConder (methods/nn/fourier.c); ∇U is a constant of
 *     the tape (their dataset.score runs under no_grad), evaluated through the oracle at
 *     every step of every path: n_steps gradient evaluations per path, in training and in
 *     the final draw alike.
 *   control = "nn" (gradient-free, f_format "f"): u(t, x) = NN₁(t, x).
 * Loss per path (their src/models/loss.py: reg_loss + nll_target − nll_prior; like theirs
 * the batch mean is divided by the dimension before Adam, the reported loss is not):
 *   L = Σ_k ½‖u_k‖² dt + U(X_T) + log N(X_T; 0, σ²T I)
 * (train.c; U and ∇U at X_T cost one evaluation per path). Log-weights of the final samples (exact for the discretised reference dX = σ dW,
 * since u_k depends on X_k only):
 *   log w = −U(X_T) − log N(X_T; 0, σ²T I) − Σ_k (½‖u_k‖² dt + √dt u_k · ξ_k)
 * so E[w] = Z. The final draw's evaluations (n_steps per sample for PIS-Grad, one per
 * sample for the weights) are reserved at init; what the budget cannot cover shrinks the
 * draw (weights first); below one PIS-Grad path the draw uses NN₁ alone (free, reported).
 * Anytime snapshots: gradient-free, anytime_samples fresh paths (no evaluations);
 * PIS-Grad, the terminal states of the latest training batch (already paid for), so
 * monitoring never spends budget. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "methods/common/stateio.h"
#include "methods/common/weights.h"
#include "methods/method.h"
#include "methods/nn/nn.h"
#include "methods/pis/pis.h"
#include "methods/sde/sde.h"

static const bb_param_spec pis_params[] = {
    {"control", BB_PARAM_STRING, "\"grad\"", 1, 0,
     "grad: u = NN1(t,x) - NN2(t) grad U(x) (PIS-Grad, n_steps gradient evaluations per path); nn: u = NN(t,x)"},
    {"gradient", BB_PARAM_STRING, "\"backprop\"", 1, 0,
     "backprop: through the Euler-Maruyama path (PIS's, memory ~ n_steps); adjoint: stochastic adjoint backward "
     "from T on the same Brownian path (memory independent of n_steps; PIS-Grad pays n_steps - 1 more gradient "
     "evaluations per path)"},
    {"lgv_clip", BB_PARAM_DOUBLE, "10000", 0, 1e30, "PIS-Grad: clip each component of grad U to +-lgv_clip (PIS: 1e4)"},
    {"sigma", BB_PARAM_DOUBLE, "0.4472135954999579", 1e-9, 1e6, "diffusion coefficient σ (PIS: sqrt(0.2))"},
    {"t_end", BB_PARAM_DOUBLE, "5", 1e-9, 1e6, "time horizon T (PIS: 5)"},
    {"n_steps", BB_PARAM_INT, "100", 1, 100000, "Euler–Maruyama steps on [0, T] (PIS: 100)"},
    {"batch_size", BB_PARAM_INT, "300", 1, 1000000, "paths per iteration = evaluations per iteration (PIS: 300)"},
    {"lr", BB_PARAM_DOUBLE, "0.005", 0, 10, "Adam learning rate (PIS: 5e-3)"},
    {"lr_gamma", BB_PARAM_DOUBLE, "1", 0, 1, "multiply lr by lr_gamma every lr_every iterations (PIS funnel: 0.95)"},
    {"lr_every", BB_PARAM_INT, "50", 1, 1000000000, "iterations per lr_gamma step (PIS funnel: one epoch, 15000/300)"},
    {"weight_decay", BB_PARAM_DOUBLE, "1e-7", 0, 1, "Adam L2 weight decay, torch.optim.Adam's (PIS: 1e-7)"},
    {"channels", BB_PARAM_INT, "64", 2, 4096, "FourierMLP width (PIS: 64)"},
    {"layers", BB_PARAM_INT, "2", 1, 8, "FourierMLP hidden layers (PIS: 2)"},
    {"coef_layers", BB_PARAM_INT, "3", 1, 9, "PIS-Grad: TimeConder layers of NN2 (PIS: TimeConder(64, 1, 3))"},
    {"max_grad_norm", BB_PARAM_DOUBLE, "0", 0, 1e30, "clip the global gradient norm (0: off)"},
    {"max_iters", BB_PARAM_INT, "0", 0, 1000000000, "stop after this many iterations (0: when the budget is spent)"},
    {"importance_weights", BB_PARAM_BOOL, "true", 0, 0,
     "return path-space log-weights (costs n_samples evaluations, reserved up front)"},
    {"anytime_samples", BB_PARAM_INT, "500", 1, 100000000,
     "gradient-free: samples drawn for each anytime checkpoint (PIS-Grad: the latest training batch)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* PIS's funnel experiment (configs/experiment/funnel.yaml:35-36, LinearScheduler: StepLR
 * gamma 0.95 per epoch of 15000/300 = 50 steps); the base config has no schedule. */
static const bb_task_defaults pis_task_defaults[] = {
    {"funnel10-pis", "{\"lr_gamma\": 0.95, \"lr_every\": 50}"},
    {NULL, NULL},
};

static void pis_free(void *state) {
    pis_state *a = state;
    if (!a) return;
    free(a->x), free(a->u), free(a->grad), free(a->xi), free(a->c), free(a->e), free(a->adj);
    bb_nn_graph_free(a->g);
    bb_nn_adam_free(&a->opt);
    bb_nn_params_free(&a->ps);
    free(a);
}

/* Plan the final draw: n_final samples at (n_steps if PIS-Grad) + (1 if weighted)
 * evaluations each, reserved now; what the budget cannot cover drops the weights, then
 * shrinks the draw. */
static int plan_final_draw(pis_state *a, size_t n_samples, bb_ctx *ctx) {
    const int64_t left = bb_oracle_remaining(a->o), path = a->use_grad ? a->n_steps : 0;
    if (a->weighted && (int64_t)n_samples * (path + 1) >= left)
        a->weighted = 0, a->weights_skipped = 1; /* unweighted samples */
    const int64_t per = path + (a->weighted ? 1 : 0);
    a->n_final = n_samples;
    if (per > 0 && (int64_t)n_samples * per > left) a->n_final = (size_t)(left / per);
    if (a->n_final == 0 && n_samples > 0) { /* not one PIS-Grad path: NN₁ alone, free (reported) */
        a->n_final = n_samples, a->nn1_only = 1;
        return BB_OK;
    }
    return per > 0 ? bb_oracle_reserve(a->o, (int64_t)a->n_final * per, ctx) : BB_OK;
}

static int pis_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    *state = NULL;
    const bb_task *task = bb_oracle_task(env->oracle);
    const char *kind = bb_params_str(p, "control"), *route = bb_params_str(p, "gradient");
    if (strcmp(kind, "grad") && strcmp(kind, "nn"))
        return BB_ERR(ctx, BB_EINVAL, "pis: control must be \"grad\" or \"nn\", not \"%s\"", kind);
    if (strcmp(route, "backprop") && strcmp(route, "adjoint"))
        return BB_ERR(ctx, BB_EINVAL, "pis: gradient must be \"backprop\" or \"adjoint\", not \"%s\"", route);
    pis_state *a = calloc(1, sizeof *a);
    if (!a) return BB_ERR(ctx, BB_ENOMEM, "pis: out of memory");
    a->o = env->oracle;
    a->seed = env->seed;
    a->dof = (size_t)task->dof;
    a->n_samples = env->n_samples;
    a->use_grad = !strcmp(kind, "grad");
    a->adjoint = !strcmp(route, "adjoint");
    a->lgv_clip = bb_params_double(p, "lgv_clip");
    a->sigma = bb_params_double(p, "sigma");
    a->t_end = bb_params_double(p, "t_end");
    a->n_steps = (int)bb_params_int(p, "n_steps");
    a->dt = a->t_end / a->n_steps;
    a->B = (size_t)bb_params_int(p, "batch_size");
    a->lr = bb_params_double(p, "lr");
    a->lr_gamma = bb_params_double(p, "lr_gamma");
    a->lr_every = bb_params_int(p, "lr_every");
    a->max_grad_norm = bb_params_double(p, "max_grad_norm");
    a->max_iters = bb_params_int(p, "max_iters");
    a->weighted = bb_params_bool(p, "importance_weights");
    a->anytime_n = bb_params_int(p, "anytime_samples");
    a->log_z = a->ess = NAN;
    int rc = bb_sde_schedule_constant(&a->sch, a->sigma, ctx);
    if (!rc) rc = plan_final_draw(a, env->n_samples, ctx);
    bb_nn_params_init(&a->ps, BB_NN_F64);
    if (!rc)
        rc = bb_nn_fourier_mlp_init(&a->net, &a->ps, "pis", (int)a->dof, (int)a->dof, (int)bb_params_int(p, "channels"),
                                    (int)bb_params_int(p, "layers"), ctx);
    if (!rc && a->use_grad)
        rc = bb_nn_time_conder_init(&a->coef, &a->ps, "pis.lgv_coef", 1, (int)bb_params_int(p, "channels"),
                                    (int)bb_params_int(p, "coef_layers"), ctx);
    if (!rc) rc = bb_nn_params_alloc(&a->ps, env->seed, ctx);
    if (!rc) rc = bb_nn_adam_init(&a->opt, &a->ps, 0.9, 0.999, 1e-8, bb_params_double(p, "weight_decay"), 0, ctx);
    if (!rc) rc = bb_nn_graph_init(&a->g, 0, ctx);
    if (!rc) {
        bb_nn_graph_set_threads(a->g, 1);
        a->opt.threads = 1;
        const size_t n = a->B * a->dof;
        a->x = malloc(n * sizeof(double)), a->u = malloc(n * sizeof(double)), a->grad = malloc(n * sizeof(double));
        a->xi = malloc(n * sizeof(double)), a->c = malloc(n * sizeof(double)), a->e = malloc(a->B * sizeof(double));
        if (a->adjoint) a->adj = malloc(n * sizeof(double));
        if (!a->x || !a->u || !a->grad || !a->xi || !a->c || !a->e || (a->adjoint && !a->adj))
            rc = BB_ERR(ctx, BB_ENOMEM, "pis: cannot allocate a batch of %zu", a->B);
    }
    if (rc) {
        pis_free(a);
        return rc;
    }
    *state = a;
    return BB_OK;
}

/* One iteration: the batch's gradient (train.c: pis_iteration_cost evaluations), one Adam
 * step. */
static int pis_step(void *state, bb_step_info *info, bb_ctx *ctx) {
    pis_state *a = state;
    if (a->max_iters > 0 && a->iters >= a->max_iters) {
        info->stop = BB_STOP_MAX_STEPS;
        return BB_OK;
    }
    if (bb_oracle_remaining(a->o) < pis_iteration_cost(a)) { /* the final draw's reserve is excluded */
        info->stop = BB_STOP_BUDGET;
        return BB_OK;
    }
    bb_nn_params_zero_grad(&a->ps);
    double loss;
    int rc = pis_train_grad(a, (uint64_t)a->iters, &loss, ctx);
    if (rc) return rc; /* BB_EBUDGET: the driver ends the run */
    if (a->max_grad_norm > 0) bb_nn_clip_grad_norm(&a->ps, a->max_grad_norm);
    const double lr = a->lr * pow(a->lr_gamma, (double)(a->iters / a->lr_every)); /* their StepLR per epoch */
    if ((rc = bb_nn_adam_step(&a->opt, &a->ps, lr, ctx))) return rc;
    a->iters++;
    info->has_loss = 1;
    info->loss = loss;
    snprintf(info->status, sizeof info->status, "iter %lld  loss %.4g", (long long)a->iters, info->loss);
    return BB_OK;
}

/* n paths of the current control without a tape: x[n][dof] OUT and, when lw != NULL,
 * lw[n] OUT = −Σ_k (½‖u_k‖² dt + √dt u_k·ξ_k). PIS-Grad spends n n_steps gradient
 * evaluations (counted in evals_sampling); the gradient-free control none. */
static int simulate(pis_state *a, size_t n, uint64_t stream, double *xo, double *lw, bb_ctx *ctx) {
    const size_t dof = a->dof;
    const bb_sde_space sp = {1, (int)dof, 0}; /* PIS steps every coordinate (no COM projection) */
    bb_rng rng;
    bb_rng_init(&rng, a->seed, stream);
    for (size_t r0 = 0; r0 < n; r0 += a->B) {
        const size_t m = n - r0 < a->B ? n - r0 : a->B;
        double *x = xo + r0 * dof;
        memset(x, 0, m * dof * sizeof *x);
        if (lw) memset(lw + r0, 0, m * sizeof *lw);
        const int64_t shp[2] = {(int64_t)m, (int64_t)dof};
        for (int k = 0; k < a->n_steps; k++) {
            bb_nn_graph_reset(a->g);
            bb_nn_graph_set_grad(a->g, 0);
            int rc = BB_OK;
            bb_nn_tensor *u = pis_control(a, a->g, k, bb_nn_from(a->g, BB_NN_F64, 2, shp, x), x, m, 0, &rc, ctx);
            if (rc) return rc;
            a->evals_sampling += a->use_grad && !a->nn1_only ? (int64_t)m : 0;
            if ((rc = bb_nn_graph_status(a->g, ctx))) return rc;
            bb_nn_to_double(u, a->u);
            for (size_t i = 0; i < m * dof; i++) a->c[i] = a->sigma * a->u[i]; /* drift σ u */
            bb_sde_em_step(&a->sch, &sp, m, k * a->dt, a->dt, a->c, &rng, x, a->xi);
            for (size_t i = 0; lw && i < m; i++) {
                double q = 0.0, d = 0.0;
                for (size_t j = 0; j < dof; j++)
                    q += a->u[i * dof + j] * a->u[i * dof + j], d += a->u[i * dof + j] * a->xi[i * dof + j];
                lw[r0 + i] -= 0.5 * a->dt * q + sqrt(a->dt) * d;
            }
        }
    }
    return BB_OK;
}

static int pis_snapshot(void *state, size_t k, bb_samples *out, bb_ctx *ctx) {
    pis_state *a = state;
    const size_t n = a->use_grad ? (a->have_batch ? a->B : 0) : (size_t)a->anytime_n;
    if (bb_samples_alloc(out, n, a->dof, 0)) return BB_ERR(ctx, BB_ENOMEM, "pis: cannot allocate %zu samples", n);
    if (a->use_grad) { /* the latest training batch's terminal states: no new evaluations */
        memcpy(out->x, a->x, n * a->dof * sizeof *out->x);
        return BB_OK;
    }
    return simulate(a, n, PIS_STREAM_ANYTIME + (uint64_t)k, out->x, NULL, ctx);
}

static double pis_log_q(const void *a, const double *x) { return pis_log_prior(a, x); }

static int pis_draw(void *state, bb_samples *out, bb_ctx *ctx) {
    pis_state *a = state;
    const size_t n = a->n_final;
    if (bb_samples_alloc(out, n, a->dof, a->weighted))
        return BB_ERR(ctx, BB_ENOMEM, "pis: cannot allocate %zu samples", n);
    bb_oracle_release(a->o);
    int rc = simulate(a, n, PIS_STREAM_FINAL, out->x, a->weighted ? out->logw : NULL, ctx);
    if (rc || !a->weighted) return rc;
    rc = bb_logw_finish(a->o, out, pis_log_q, a, "pis", &a->log_z, &a->ess, &a->have_weights, ctx);
    if (rc == BB_OK && a->have_weights) a->evals_sampling += (int64_t)n;
    return rc;
}

static void pis_describe(const void *state, cJSON *info) {
    const pis_state *a = state;
    cJSON_AddStringToObject(info, "control", a->use_grad ? "NN1(t,x) - NN2(t) grad U(x) (PIS-Grad)" : "NN(t,x)");
    cJSON_AddNumberToObject(info, "parameters", (double)a->ps.total);
    cJSON_AddNumberToObject(info, "iterations", (double)a->iters);
    cJSON_AddNumberToObject(info, "evaluations_training", (double)a->evals_training);
    cJSON_AddNumberToObject(info, "evaluations_sampling", (double)a->evals_sampling);
    if (a->nn1_only)
        cJSON_AddStringToObject(info, "draw", "NN1(t,x) alone: the budget cannot pay for one PIS-Grad path");
    if (a->weights_skipped)
        cJSON_AddStringToObject(info, "importance_weights", "skipped: the budget cannot pay for the weighted draw");
    if (a->have_weights) {
        cJSON_AddNumberToObject(info, "log_z", a->log_z);
        cJSON_AddNumberToObject(info, "ess_fraction", a->ess);
    }
}

static int pis_save(const void *state, FILE *fp, bb_ctx *ctx) {
    const pis_state *a = state;
    int rc = bb_nn_checkpoint_put(fp, &a->ps, &a->opt, NULL, "pis state", ctx);
    if (rc) return rc;
    const int64_t pv[2] = {a->iters, a->evals_training};
    return bb_state_put(fp, pv, sizeof pv, 1) ? BB_OK : BB_ERR(ctx, BB_EIO, "pis: cannot write the training state");
}

static int pis_load(void *state, FILE *fp, bb_ctx *ctx) {
    pis_state *a = state;
    int rc = bb_nn_checkpoint_get(fp, &a->ps, &a->opt, NULL, "pis state", ctx);
    if (rc) return rc;
    int64_t pv[2];
    if (!bb_state_get(fp, pv, sizeof pv, 1) || pv[0] < 0 || pv[1] < 0)
        return BB_ERR(ctx, BB_EFORMAT, "pis state: truncated or corrupt progress record");
    a->iters = pv[0], a->evals_training = pv[1];
    return BB_OK;
}

const bb_method bb_method_pis = {
    .name = "pis",
    .version = 1,
    .description = "Path Integral Sampler (Zhang & Chen 2022): controlled SDE dX = sigma u dt + sigma dW from 0 on "
                   "[0, T], control NN1(t,x) - NN2(t) grad U(x) (PIS-Grad, grad U charged at every step) or NN(t,x), "
                   "trained by backpropagation through the Euler-Maruyama path or the stochastic adjoint (path-space "
                   "KL); path-space importance weights for log Z.",
    .params = pis_params,
    .task_defaults = pis_task_defaults,
    .init = pis_init,
    .step = pis_step,
    .snapshot = pis_snapshot,
    .draw = pis_draw,
    .save = pis_save,
    .load = pis_load,
    .describe = pis_describe,
    .free = pis_free,
};
