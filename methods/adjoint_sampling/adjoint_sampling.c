/* adjoint_sampling.c — the Adjoint Sampling method (Havens, Chen et al. 2025,
 * "Adjoint Sampling: Highly Scalable Diffusion Samplers via Adjoint Matching"):
 * parameters, per-task defaults and the step-wise method. One step (outer iteration) simulates
 * `batch_size` trajectories of the controlled SDE (no energy calls), evaluates u and
 * ∇u at their end points through the oracle (batch_size evaluations), pushes
 * (X_1, target) rows into a FIFO replay buffer and takes `inner_steps` reciprocal
 * adjoint matching steps. Training stops when the budget (minus what importance
 * weights need) is spent or after max_outer iterations; final samples come from the
 * trained SDE at zero cost. The network, SDE and loss live in model.c / train.c,
 * the resumable state in state.c; the loop, checkpoints and resume are the driver's
 * (harness/run/driver.h). See README.md for equations and defaults. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "methods/adjoint_sampling/as.h"
#include "methods/common/weights.h"
#include "methods/method.h"

/* Defaults are the paper's setting (the authors' adjoint_samplers configs dw4_as.yaml /
 * lj13_as.yaml, train.yaml, model/egnn.yaml; README.md "Parameters"): they spend the
 * whole budget. Small settings for quick runs live in the suite files. */
static const bb_param_spec as_params[] = {
    BB_SCORENET_PARAMS("5", "EGNN layers / MLP hidden layers (paper: 5)", "geometric noise schedule: σmin (paper 1e-3)",
                       "2", "geometric noise schedule: σmax (authors' configs: 2 for DW-4 and LJ)"),
    {"n_steps", BB_PARAM_INT, "200", 2, 100000, "Euler–Maruyama steps on [0, 1] (authors: 200 DW-4, 1000 LJ-13)"},
    {"batch_size", BB_PARAM_INT, "512", 1, 1000000,
     "new trajectories = energy evaluations per outer iteration (paper 512)"},
    {"buffer_size", BB_PARAM_INT, "10000", 1, 10000000, "replay buffer capacity (paper 10000)"},
    {"inner_steps", BB_PARAM_INT, "100", 1, 1000000, "gradient steps per outer iteration (paper 100)"},
    {"train_batch", BB_PARAM_INT, "512", 1, 1000000, "buffer rows per gradient step (authors' train_batch_size 512)"},
    {"lr", BB_PARAM_DOUBLE, "0.0001", 0, 10, "Adam learning rate (paper 1e-4)"},
    {"max_grad_norm", BB_PARAM_DOUBLE, "0", 0, 1e30, "clip the global gradient norm (0: off, as the authors)"},
    {"max_score_norm", BB_PARAM_DOUBLE, "100", 1e-12, 1e30,
     "per-particle norm clip of the adjoint target (authors' max_grad_E_norm 100)"},
    BB_SCORENET_PARAMS_EGNN,
    {"target_clip", BB_PARAM_STRING, "\"energy\"", 1, 0,
     "energy: clip ∇u per particle, then add the base score (authors); total: clip ∇u + base score and keep the "
     "simulated control inside that ball"},
    {"out_scale", BB_PARAM_DOUBLE, "1", 1e-9, 1e9,
     "controller output scale: s = out_scale * network (network outputs stay O(1))"},
    BB_SCORENET_PARAM_THREADS,
    {"max_outer", BB_PARAM_INT, "0", 0, 1000000000,
     "stop training after this many outer iterations (0: when the budget is spent)"},
    {"importance_weights", BB_PARAM_BOOL, "false", 0, 0,
     "return path-space log-weights (costs n_samples evaluations, reserved up front)"},
    {"anytime_samples", BB_PARAM_INT, "500", 1, 100000000,
     "samples drawn for each anytime checkpoint (final samples: --samples)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Per task: what the authors' configs set beyond the defaults. GMM-40 is not in the
 * paper: an MLP controller whose base covers the [−40, 40]² box (README.md). */
static const bb_task_defaults as_task_defaults[] = {
    {"gmm40", "{\"sigma_max\": 20, \"layers\": 3, \"lr\": 0.0003, \"max_score_norm\": 10, \"target_clip\": "
              "\"total\", \"train_batch\": 256}"},
    {"dw4", "{\"nn_threads\": 0}"},
    {"lj13", "{\"nn_threads\": 0}"},
    {"lj55", "{\"batch_size\": 200, \"nn_threads\": 0}"},
    {NULL, NULL},
};

int as_config_from_params(const bb_params *p, const bb_task *task, as_config *c, bb_ctx *ctx) {
    memset(c, 0, sizeof *c);
    int rc = bb_scorenet_config_parse(p, task, "adjoint_sampling", &c->net, ctx);
    if (rc) return rc;
    c->n_steps = (int)bb_params_int(p, "n_steps");
    c->batch = (int)bb_params_int(p, "batch_size");
    c->buffer = (int)bb_params_int(p, "buffer_size");
    c->inner_steps = (int)bb_params_int(p, "inner_steps");
    c->train_batch = (int)bb_params_int(p, "train_batch");
    c->lr = bb_params_double(p, "lr");
    c->max_grad_norm = bb_params_double(p, "max_grad_norm");
    c->max_score_norm = bb_params_double(p, "max_score_norm");
    c->out_scale = bb_params_double(p, "out_scale");
    const char *tc = bb_params_str(p, "target_clip");
    if (strcmp(tc, "energy") && strcmp(tc, "total"))
        return BB_ERR(ctx, BB_EINVAL, "method adjoint_sampling: parameter 'target_clip': '%s' is not energy or total",
                      tc);
    c->clip_energy = strcmp(tc, "energy") == 0;
    return BB_OK;
}

/* The method's state between driver steps (methods/method.h). */
typedef struct as_state {
    as_config cfg;
    as_model m;
    bb_replay rb;
    bb_oracle *o;
    uint64_t seed;
    size_t n_samples, dof;
    int weighted;
    int64_t max_outer, anytime_n;
    int64_t outer;          /* outer iterations completed */
    int64_t evals_training; /* evaluations spent by training (all with gradients) */
    double log_z, ess;      /* importance-weight diagnostics of the final samples */
    int have_weights;
    double *x1, *u, *grad, *row; /* batch scratch */
} as_state;

static void as_free(void *state) {
    as_state *a = state;
    if (!a) return;
    free(a->x1);
    free(a->u);
    free(a->grad);
    free(a->row);
    bb_replay_free(&a->rb);
    as_model_free(&a->m);
    free(a);
}

static int as_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    *state = NULL;
    bb_oracle *o = env->oracle;
    const bb_task *task = bb_oracle_task(o);
    as_state *a = calloc(1, sizeof *a);
    if (!a) return BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: out of memory");
    int rc = as_config_from_params(p, task, &a->cfg, ctx);
    if (rc) {
        free(a);
        return rc;
    }
    a->o = o;
    a->seed = env->seed;
    a->n_samples = env->n_samples;
    a->dof = (size_t)task->dof;
    a->weighted = bb_params_bool(p, "importance_weights");
    a->max_outer = bb_params_int(p, "max_outer");
    a->anytime_n = bb_params_int(p, "anytime_samples");
    a->log_z = a->ess = NAN;
    const size_t B = (size_t)a->cfg.batch, dof = a->dof;
    if (a->weighted) {
        /* the final samples' energies, set aside so training cannot spend them */
        if ((int64_t)env->n_samples >= bb_oracle_remaining(o)) {
            free(a);
            return BB_ERR(ctx, BB_EINVAL,
                          "method adjoint_sampling: importance_weights needs n_samples (%zu) < budget (%lld)",
                          env->n_samples, (long long)bb_oracle_remaining(o));
        }
        if ((rc = bb_oracle_reserve(o, (int64_t)env->n_samples, ctx))) {
            free(a);
            return rc;
        }
    }
    rc = as_model_init(&a->m, &a->cfg, env->seed, ctx);
    if (!rc) rc = bb_replay_init(&a->rb, (size_t)a->cfg.buffer, 2 * dof, ctx);
    if (rc) {
        as_free(a);
        return rc;
    }
    /* the network runs on nn_threads (the particle tasks' paper-size EGNNs: the run's
     * threads; GMM-40's small MLP: 1, where OpenMP regions per op cost more than they gain,
     * README), the oracle's energies on the run's threads; results are thread-independent */
    bb_scorenet_set_threads(&a->m.net, p, env->threads);
    a->x1 = malloc(B * dof * sizeof(double));
    a->grad = malloc(B * dof * sizeof(double));
    a->u = malloc(B * sizeof(double));
    a->row = malloc(2 * dof * sizeof(double));
    if (!a->x1 || !a->grad || !a->u || !a->row) {
        as_free(a);
        return BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate a batch of %zu", B);
    }
    *state = a;
    return BB_OK;
}

/* One outer iteration: simulate, evaluate end points, push, train. */
static int as_step(void *state, bb_step_info *info, bb_ctx *ctx) {
    as_state *a = state;
    as_model *m = &a->m;
    const size_t dof = a->dof, B = (size_t)a->cfg.batch;
    if (a->max_outer > 0 && a->outer >= a->max_outer) {
        info->stop = BB_STOP_MAX_STEPS;
        return BB_OK;
    }
    int64_t avail = bb_oracle_remaining(a->o); /* the importance-weight reserve is excluded */
    if (avail <= 0) {
        info->stop = BB_STOP_BUDGET;
        return BB_OK;
    }
    const size_t nb = (size_t)avail < B ? (size_t)avail : B;
    bb_rng rng;
    bb_rng_init(&rng, a->seed, AS_STREAM_SIM + (uint64_t)a->outer);
    int rc = as_simulate(m, nb, &rng, a->x1, NULL, ctx);
    if (rc) return rc;
    rc = bb_oracle_eval(a->o, nb, a->x1, a->u, a->grad, ctx);
    if (rc) return rc; /* BB_EBUDGET: the driver ends the run */
    a->evals_training += (int64_t)nb;
    for (size_t r = 0; r < nb; r++) {
        if (!isfinite(a->u[r])) continue; /* +INFINITY (overlap): no usable gradient, counted but not stored */
        as_make_row(m, a->x1 + r * dof, a->grad + r * dof, a->row);
        bb_replay_push(&a->rb, 1, a->row);
    }
    double lsum = 0.0;
    bb_rng_init(&rng, a->seed, AS_STREAM_TRAIN + (uint64_t)a->outer);
    for (int k = 0; k < a->cfg.inner_steps && a->rb.count > 0; k++) {
        double l;
        rc = as_train_step(m, &a->rb, &rng, &l, ctx);
        if (rc) return rc;
        lsum += l;
    }
    a->outer++;
    info->has_loss = 1;
    info->loss = lsum / a->cfg.inner_steps;
    snprintf(info->status, sizeof info->status, "outer %lld  loss %.4g", (long long)a->outer, info->loss);
    return BB_OK;
}

/* n samples from the current controller with stream `stream`; lw (Girsanov part) only
 * when weighted. Costs no energy evaluations. */
static int draw_samples(as_state *a, size_t n, uint64_t stream, int weighted, bb_samples *s, bb_ctx *ctx) {
    if (bb_samples_alloc(s, n, a->dof, weighted))
        return BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate %zu samples", n);
    bb_rng rng;
    bb_rng_init(&rng, a->seed, stream);
    int rc = as_simulate(&a->m, n, &rng, s->x, weighted ? s->logw : NULL, ctx);
    return rc;
}

static int as_snapshot(void *state, size_t k, bb_samples *out, bb_ctx *ctx) {
    as_state *a = state;
    return draw_samples(a, (size_t)a->anytime_n, AS_STREAM_ANYTIME + (uint64_t)k, 0, out, ctx);
}

static double as_log_q(const void *m, const double *x) { return as_log_pbase(m, x); }

/* Final samples: free of charge, except the energies importance weights need (reserved). */
static int as_draw(void *state, bb_samples *out, bb_ctx *ctx) {
    as_state *a = state;
    const size_t n = a->n_samples;
    int rc = draw_samples(a, n, AS_STREAM_FINAL, a->weighted, out, ctx);
    if (rc || !a->weighted) return rc;
    bb_oracle_release(a->o);
    return bb_logw_finish(a->o, out, as_log_q, &a->m, "adjoint_sampling", &a->log_z, &a->ess, &a->have_weights, ctx);
}

static void as_describe(const void *state, cJSON *info) {
    const as_state *a = state;
    const as_model *m = &a->m;
    cJSON_AddStringToObject(info, "controller", m->cfg.net.use_egnn ? "egnn" : "mlp");
    cJSON_AddNumberToObject(info, "parameters", (double)m->net.ps.total);
    cJSON_AddNumberToObject(info, "outer_iterations", (double)a->outer);
    cJSON_AddNumberToObject(info, "gradient_steps", (double)m->net.opt.t);
    cJSON_AddNumberToObject(info, "evaluations_training", (double)a->evals_training);
    cJSON_AddNumberToObject(info, "h2_at_1", m->h21);
    if (a->have_weights) {
        cJSON_AddNumberToObject(info, "log_z", a->log_z);
        cJSON_AddNumberToObject(info, "ess_fraction", a->ess);
    }
}

static int as_save(const void *state, FILE *fp, bb_ctx *ctx) {
    const as_state *a = state;
    return as_state_write(fp, &a->m, &a->rb, a->outer, a->evals_training, ctx);
}

static int as_load(void *state, FILE *fp, bb_ctx *ctx) {
    as_state *a = state;
    return as_state_read(fp, &a->m, &a->rb, &a->outer, &a->evals_training, ctx);
}

const bb_method bb_method_adjoint_sampling = {
    .name = "adjoint_sampling",
    .version = 1,
    .description = "Adjoint Sampling (Havens, Chen et al. 2025): stochastic optimal control of a memoryless "
                   "drift-free base SDE from X_0 = 0 with a geometric noise schedule; energies and forces only "
                   "at trajectory end points, stored in a replay buffer; reciprocal adjoint matching of the "
                   "control (EGNN for particle systems) on base-bridge samples; optional path-space weights.",
    .params = as_params,
    .task_defaults = as_task_defaults,
    .init = as_init,
    .step = as_step,
    .snapshot = as_snapshot,
    .draw = as_draw,
    .save = as_save,
    .load = as_load,
    .describe = as_describe,
    .free = as_free,
};
