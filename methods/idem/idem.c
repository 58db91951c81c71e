/* idem.c — the iDEM method (Akhound-Sadegh et al., ICML 2024, "Iterated Denoising Energy
 * Matching for Sampling from Boltzmann Densities") and its energy-parameterised variant
 * `idem_energy`: parameters, per-task defaults and the step-wise method.
 *
 * One step is one regression step: `batch_size` buffer rows, noised at t ~ U(0, 1), with
 * Monte-Carlo score targets of K = mc_samples energy+gradient evaluations each (the only
 * energy calls; fewer rows when the budget has less than a batch left). After every
 * `inner_steps` regression steps (an epoch) the same step refills the FIFO replay buffer
 * with `n_generate` samples of the reverse-time VE SDE driven by the network (free).
 * Final and anytime samples come from that SDE at zero cost. The network, SDE and loss
 * live in model.c / train.c, the estimator in estimator.c, the state in state.c; the loop,
 * checkpoints and resume are the driver's (harness/run/driver.h). README.md has the
 * equations and, for every default, the authors' config line it comes from. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "methods/idem/idem.h"
#include "methods/method.h"

/* Defaults: the authors' configs (github.com/jarridrb/DEM @ 8e95319, configs/model/dem.yaml,
 * configs/experiment/<task>_idem.yaml, configs/trainer/default.yaml, configs/data/dummy.yaml);
 * the README cites the line of each. They spend the whole budget. */
static const bb_param_spec idem_params[] = {
    BB_SCORENET_PARAMS("3", "EGNN layers / MLP hidden layers (authors: 3 DW-4, GMM-40; 5 LJ)",
                       "geometric VE schedule: σ at t = 0 (in y = x / data_scale)", "1",
                       "geometric VE schedule: σ at t = 1 (in y)"),
    {"data_scale", BB_PARAM_DOUBLE, "1", 1e-9, 1e9,
     "the method works in y = x / data_scale (authors' data_normalization_factor: GMM-40 50)"},
    {"n_steps", BB_PARAM_INT, "1000", 1, 1000000, "Euler–Maruyama steps of the reverse SDE (authors: 1000)"},
    {"diffusion_scale", BB_PARAM_DOUBLE, "1", 0, 100,
     "noise factor of the reverse SDE (authors: 1; LJ-13 0.9, LJ-55 0.5)"},
    {"mc_samples", BB_PARAM_INT, "100", 1, 10000000,
     "K: energy+gradient evaluations per score target (authors: DW-4, LJ-13 1000; GMM-40 500; LJ-55 100)"},
    {"max_score_norm", BB_PARAM_DOUBLE, "20", 1e-12, 1e30,
     "clip of each score target, per particle for particle systems (authors: 20; GMM-40 70)"},
    {"lambda", BB_PARAM_STRING, "\"none\"", 1, 0,
     "loss weight λ(t): none (1) or var (σ²(t) + lambda_eps; authors' GMM-40 BasicLambdaWeighter)"},
    {"lambda_eps", BB_PARAM_DOUBLE, "0.001", 0, 1e9, "ε of λ(t) = σ²(t) + ε (authors: 1e-3)"},
    {"batch_size", BB_PARAM_INT, "512", 1, 1000000,
     "buffer rows per regression step, each with K evaluations (authors: 512; LJ-55 128)"},
    {"n_generate", BB_PARAM_INT, "1024", 1, 1000000,
     "samples simulated into the buffer after each epoch (authors: 1000; LJ-55 128)"},
    {"n_init", BB_PARAM_INT, "1024", 1, 10000000, "prior samples the buffer starts with (authors: 1024)"},
    {"buffer_size", BB_PARAM_INT, "10000", 1, 10000000, "replay buffer capacity (authors: 10000)"},
    {"inner_steps", BB_PARAM_INT, "100", 1, 100000000, "regression steps per epoch between refills (authors: 100)"},
    {"lr", BB_PARAM_DOUBLE, "0.001", 0, 10, "Adam learning rate (authors: 1e-3; GMM-40 5e-4)"},
    {"max_grad_norm", BB_PARAM_DOUBLE, "0.5", 0, 1e30, "clip of the global gradient norm (authors: 0.5; 0: off)"},
    {"negative_time_steps", BB_PARAM_INT, "0", 0, 1000000,
     "final samples only: steps of gradient descent on u after the reverse SDE, each step clipped to "
     "negative_time_dt * max_score_norm, one energy+gradient evaluation per sample per step, reserved up front "
     "(authors: off; LJ-55 10)"},
    {"negative_time_dt", BB_PARAM_DOUBLE, "0.0001", 0, 1e6, "step of the negative-time descent (authors: 1e-4)"},
    BB_SCORENET_PARAMS_EGNN,
    BB_SCORENET_PARAM_THREADS,
    {"max_steps", BB_PARAM_INT, "0", 0, 1000000000,
     "stop after this many regression steps (0: when the budget is spent)"},
    {"anytime_samples", BB_PARAM_INT, "500", 1, 100000000,
     "samples drawn for each anytime checkpoint (final samples: --samples)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Per task: what the authors' experiment configs set beyond configs/model/dem.yaml. */
static const bb_task_defaults idem_task_defaults[] = {
    {"gmm40",
     "{\"sigma_min\": 1e-5, \"sigma_max\": 1, \"data_scale\": 50, \"mc_samples\": 500, \"max_score_norm\": 70, "
     "\"lambda\": \"var\", \"lr\": 0.0005, \"n_generate\": 1000}"},
    {"dw4", "{\"sigma_min\": 1e-5, \"sigma_max\": 3, \"mc_samples\": 1000, \"n_generate\": 1000, \"nn_threads\": 0}"},
    {"lj13", "{\"sigma_min\": 0.01, \"sigma_max\": 2, \"layers\": 5, \"mc_samples\": 1000, \"diffusion_scale\": 0.9, "
             "\"n_generate\": 1000, \"nn_threads\": 0}"},
    {"lj55", "{\"sigma_min\": 0.5, \"sigma_max\": 4, \"layers\": 5, \"diffusion_scale\": 0.5, \"batch_size\": 128, "
             "\"n_generate\": 128, \"negative_time_steps\": 10, \"nn_threads\": 0}"},
    {NULL, NULL},
};

int idem_config_from_params(const bb_params *p, const bb_task *task, const char *name, idem_config *c, bb_ctx *ctx) {
    memset(c, 0, sizeof *c);
    int rc = bb_scorenet_config_parse(p, task, name, &c->net, ctx);
    if (rc) return rc;
    c->data_scale = bb_params_double(p, "data_scale");
    c->n_steps = (int)bb_params_int(p, "n_steps");
    c->diffusion_scale = bb_params_double(p, "diffusion_scale");
    c->mc_samples = (int)bb_params_int(p, "mc_samples");
    c->max_score_norm = bb_params_double(p, "max_score_norm");
    const char *lam = bb_params_str(p, "lambda");
    if (strcmp(lam, "none") && strcmp(lam, "var"))
        return BB_ERR(ctx, BB_EINVAL, "method %s: parameter 'lambda': '%s' is not none or var", name, lam);
    c->lambda_var = strcmp(lam, "var") == 0;
    c->lambda_eps = bb_params_double(p, "lambda_eps");
    c->batch = (int)bb_params_int(p, "batch_size");
    c->n_generate = (int)bb_params_int(p, "n_generate");
    c->n_init = (int)bb_params_int(p, "n_init");
    c->buffer = (int)bb_params_int(p, "buffer_size");
    c->inner_steps = (int)bb_params_int(p, "inner_steps");
    c->lr = bb_params_double(p, "lr");
    c->max_grad_norm = bb_params_double(p, "max_grad_norm");
    c->clip_particles = task->n_particles > 1; /* DEM: is_molecule */
    c->negative_time_steps = (int)bb_params_int(p, "negative_time_steps");
    c->negative_time_dt = bb_params_double(p, "negative_time_dt");
    return BB_OK;
}

/* The method's state between driver steps (methods/method.h). */
typedef struct idem_state {
    const char *name;
    idem_model m;
    bb_replay rb;
    bb_oracle *o;
    uint64_t seed;
    size_t n_samples, dof;
    int64_t max_steps, anytime_n;
    idem_progress pr;
    double *ybuf;          /* [n_generate][dof] refill scratch */
    int descent;           /* the final draw runs the negative-time descent (its evaluations reserved) */
    int descent_skipped;   /* asked for, but the budget could not reserve its evaluations */
    int64_t evals_descent; /* evaluations the descent spent */
} idem_state;

static void idem_free(void *state) {
    idem_state *a = state;
    if (!a) return;
    free(a->ybuf);
    bb_replay_free(&a->rb);
    idem_model_free(&a->m);
    free(a);
}

static int init_common(const bb_method_env *env, const bb_params *p, int energy_net, const char *name, void **state,
                       bb_ctx *ctx) {
    *state = NULL;
    const bb_task *task = bb_oracle_task(env->oracle);
    idem_config cfg;
    int rc = idem_config_from_params(p, task, name, &cfg, ctx);
    if (rc) return rc;
    cfg.energy_net = energy_net;
    idem_state *a = calloc(1, sizeof *a);
    if (!a) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    a->name = name;
    a->o = env->oracle;
    a->seed = env->seed;
    a->n_samples = env->n_samples;
    a->dof = (size_t)task->dof;
    a->max_steps = bb_params_int(p, "max_steps");
    a->anytime_n = bb_params_int(p, "anytime_samples");
    rc = idem_model_init(&a->m, &cfg, env->seed, ctx);
    if (!rc) rc = bb_replay_init(&a->rb, (size_t)cfg.buffer, a->dof, ctx);
    if (!rc && !(a->ybuf = malloc((size_t)cfg.n_generate * a->dof * sizeof(double))))
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate %d samples", name, cfg.n_generate);
    if (rc) {
        idem_free(a);
        return rc;
    }
    bb_scorenet_set_threads(&a->m.net, p, env->threads);
    /* the final draw's negative-time descent: n_samples evaluations per step, reserved now;
     * a budget that cannot pay for it leaves it out (reported) */
    const int64_t need = (int64_t)a->n_samples * cfg.negative_time_steps;
    if (need > 0 && need < bb_oracle_remaining(a->o)) {
        a->descent = 1;
        rc = bb_oracle_reserve(a->o, need, ctx);
    } else if (need > 0) {
        a->descent_skipped = 1;
    }
    if (rc) {
        idem_free(a);
        return rc;
    }
    /* the buffer starts with prior samples (authors' init_from_prior; README: GMM-40) */
    double *y0 = malloc((size_t)cfg.n_init * a->dof * sizeof(double));
    if (!y0) {
        idem_free(a);
        return BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate %d initial samples", name, cfg.n_init);
    }
    bb_rng rng;
    bb_rng_init(&rng, a->seed, IDEM_STREAM_INIT);
    idem_prior_sample(&a->m, (size_t)cfg.n_init, &rng, y0);
    bb_replay_push(&a->rb, (size_t)cfg.n_init, y0);
    free(y0);
    *state = a;
    return BB_OK;
}

static int idem_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    return init_common(env, p, 0, "idem", state, ctx);
}
static int idem_energy_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    return init_common(env, p, 1, "idem_energy", state, ctx);
}

/* One regression step; after every inner_steps of them, a buffer refill. */
static int idem_step(void *state, bb_step_info *info, bb_ctx *ctx) {
    idem_state *a = state;
    const idem_config *c = &a->m.cfg;
    if (a->max_steps > 0 && a->pr.grad_steps >= a->max_steps) {
        info->stop = BB_STOP_MAX_STEPS;
        return BB_OK;
    }
    const int64_t K = c->mc_samples, avail = bb_oracle_remaining(a->o);
    const int64_t nb = avail / K < c->batch ? avail / K : c->batch;
    if (nb <= 0) { /* not one target's K draws left */
        info->stop = BB_STOP_BUDGET;
        return BB_OK;
    }
    bb_rng rng;
    bb_rng_init(&rng, a->seed, IDEM_STREAM_TRAIN + (uint64_t)a->pr.grad_steps);
    double loss;
    size_t rej = 0;
    int rc = idem_train_step(&a->m, a->o, &a->rb, (size_t)nb, &rng, &loss, &rej, ctx);
    if (rc) return rc; /* BB_EBUDGET: the driver ends the run */
    a->pr.grad_steps++;
    a->pr.evals_score += nb * K;
    a->pr.rows_trained += nb;
    a->pr.rows_rejected += (int64_t)rej;
    if (a->pr.grad_steps % c->inner_steps == 0) {
        /* end of an epoch: refill from the model's reverse SDE (DEM on_train_epoch_end) */
        bb_rng_init(&rng, a->seed, IDEM_STREAM_SIM + (uint64_t)a->pr.refills);
        if ((rc = idem_simulate(&a->m, (size_t)c->n_generate, &rng, a->ybuf, ctx))) return rc;
        bb_replay_push(&a->rb, (size_t)c->n_generate, a->ybuf);
        a->pr.refills++;
    }
    info->has_loss = 1;
    info->loss = loss;
    snprintf(info->status, sizeof info->status, "step %lld  epoch %lld  loss %.4g", (long long)a->pr.grad_steps,
             (long long)a->pr.refills, loss);
    return BB_OK;
}

/* DEM's negative-time descent (sde_integration.py negative_time_descent, run on their
 * evaluation samples when negative_time is set) on n rows y (y-space): each step evaluates
 * u and ∇u at x = data_scale · y through the oracle and moves y by negative_time_dt times
 * the score data_scale · (−∇_x u), the whole vector clipped to max_score_norm as their
 * clipper does on the flat configuration (methods/sde bb_sde_descent_step). */
static int negative_time_descent(idem_state *a, size_t n, double *y, bb_ctx *ctx) {
    const idem_config *c = &a->m.cfg;
    const size_t nd = n * a->dof;
    double *x = malloc(nd * sizeof(double)), *g = malloc(nd * sizeof(double)), *u = malloc(n * sizeof(double));
    int rc = x && g && u ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate the descent of %zu samples", a->name, n);
    bb_oracle_release(a->o);
    for (int k = 0; k < c->negative_time_steps && !rc; k++) {
        for (size_t i = 0; i < nd; i++) x[i] = c->data_scale * y[i];
        if ((rc = bb_oracle_eval(a->o, n, x, u, g, ctx))) break;
        a->evals_descent += (int64_t)n;
        for (size_t r = 0; r < n; r++)
            for (size_t q = 0; q < a->dof; q++) /* u = +∞: a non-finite score leaves the row */
                g[r * a->dof + q] = isfinite(u[r]) ? -c->data_scale * g[r * a->dof + q] : INFINITY;
        bb_sde_descent_step(&c->net.sp, n, c->negative_time_dt, c->max_score_norm, g, y);
    }
    free(x);
    free(g);
    free(u);
    return rc;
}

/* n samples (x-space) from the current model with stream `stream`; no energy calls unless
 * `descent` (the negative-time descent, n evaluations per step). */
static int draw_samples(idem_state *a, size_t n, uint64_t stream, int descent, bb_samples *s, bb_ctx *ctx) {
    if (bb_samples_alloc(s, n, a->dof, 0)) return BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate %zu samples", a->name, n);
    bb_rng rng;
    bb_rng_init(&rng, a->seed, stream);
    int rc = idem_simulate(&a->m, n, &rng, s->x, ctx);
    if (!rc && descent) rc = negative_time_descent(a, n, s->x, ctx);
    for (size_t k = 0; k < n * a->dof && !rc; k++) s->x[k] *= a->m.cfg.data_scale;
    return rc;
}

static int idem_snapshot(void *state, size_t k, bb_samples *out, bb_ctx *ctx) {
    idem_state *a = state;
    return draw_samples(a, (size_t)a->anytime_n, IDEM_STREAM_ANYTIME + (uint64_t)k, 0, out, ctx);
}

static int idem_draw(void *state, bb_samples *out, bb_ctx *ctx) {
    idem_state *a = state;
    return draw_samples(a, a->n_samples, IDEM_STREAM_FINAL, a->descent, out, ctx);
}

static void idem_describe(const void *state, cJSON *info) {
    const idem_state *a = state;
    const idem_model *m = &a->m;
    cJSON_AddStringToObject(info, "network", m->cfg.net.use_egnn ? "egnn" : "mlp");
    cJSON_AddStringToObject(info, "parameterisation", m->cfg.energy_net ? "energy" : "score");
    cJSON_AddNumberToObject(info, "parameters", (double)m->net.ps.total);
    cJSON_AddNumberToObject(info, "gradient_steps", (double)a->pr.grad_steps);
    cJSON_AddNumberToObject(info, "buffer_refills", (double)a->pr.refills);
    cJSON_AddNumberToObject(info, "score_targets", (double)a->pr.rows_trained);
    cJSON_AddNumberToObject(info, "score_targets_all_draws_rejected", (double)a->pr.rows_rejected);
    /* iDEM evaluates the energy for Monte-Carlo draws of score targets and, when on, the
     * final samples' negative-time descent; "other" is what the oracle counted besides them
     * (0 unless something else spent from this oracle) */
    cJSON_AddNumberToObject(info, "evaluations_score_estimation", (double)a->pr.evals_score);
    cJSON_AddNumberToObject(info, "evaluations_negative_time", (double)a->evals_descent);
    cJSON_AddNumberToObject(info, "evaluations_other",
                            (double)(bb_oracle_used(a->o) - a->pr.evals_score - a->evals_descent));
    cJSON_AddStringToObject(info, "negative_time",
                            a->descent           ? "final samples"
                            : a->descent_skipped ? "skipped: the budget cannot pay for it"
                                                 : "off");
    cJSON_AddNumberToObject(info, "sigma2_at_1", bb_sde_ve_var(&m->sch, 1.0));
}

static int idem_save(const void *state, FILE *fp, bb_ctx *ctx) {
    const idem_state *a = state;
    return idem_state_write(fp, &a->m, &a->rb, &a->pr, ctx);
}

static int idem_load(void *state, FILE *fp, bb_ctx *ctx) {
    idem_state *a = state;
    return idem_state_read(fp, &a->m, &a->rb, &a->pr, ctx);
}

const bb_method bb_method_idem = {
    .name = "idem",
    .version = 1,
    .description = "iDEM (Akhound-Sadegh et al. 2024): a score network s_θ(x, t) of a geometric VE diffusion, "
                   "regressed on Monte-Carlo estimates S_K(x_t, t) = Σ_k softmax(−u(x_t + σ_t z_k)) (−∇u) "
                   "(K energy+force evaluations per target, clipped) at noised replay-buffer points; the buffer is "
                   "refilled from the network's reverse SDE (free) after each epoch.",
    .params = idem_params,
    .task_defaults = idem_task_defaults,
    .init = idem_init,
    .step = idem_step,
    .snapshot = idem_snapshot,
    .draw = idem_draw,
    .save = idem_save,
    .load = idem_load,
    .describe = idem_describe,
    .free = idem_free,
};

const bb_method bb_method_idem_energy = {
    .name = "idem_energy",
    .version = 1,
    .description = "iDEM with an energy network E_θ(x, t) whose −∇x is the score (BNEM's dem_en parameterisation), "
                   "regressed on the same Monte-Carlo score targets through double backward; everything else as idem.",
    .params = idem_params,
    .task_defaults = idem_task_defaults,
    .init = idem_energy_init,
    .step = idem_step,
    .snapshot = idem_snapshot,
    .draw = idem_draw,
    .save = idem_save,
    .load = idem_load,
    .describe = idem_describe,
    .free = idem_free,
};
