/* adjoint_sampling.c — the Adjoint Sampling method (Havens, Chen et al. 2025,
 * "Adjoint Sampling: Highly Scalable Diffusion Samplers via Adjoint Matching"):
 * parameters, per-task defaults and the outer loop. One outer iteration simulates
 * `batch_size` trajectories of the controlled SDE (no energy calls), evaluates u and
 * ∇u at their end points through the oracle (batch_size evaluations), pushes
 * (X_1, target) rows into a FIFO replay buffer and takes `inner_steps` reciprocal
 * adjoint matching steps. Training stops when the budget (minus what importance
 * weights need) is spent or after max_outer iterations; final samples come from the
 * trained SDE at zero cost. The network, SDE and loss live in model.c / train.c,
 * the resumable state in state.c; see README.md for equations and defaults. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <omp.h>

#include "methods/adjoint_sampling/as.h"
#include "methods/method.h"

static const bb_param_spec as_params[] = {
    {"network", BB_PARAM_STRING, "\"auto\"", 1, 0, "controller: egnn, mlp or auto (egnn for particle systems)"},
    {"hidden", BB_PARAM_INT, "64", 2, 4096, "hidden width (paper: 128)"},
    {"layers", BB_PARAM_INT, "3", 1, 15, "EGNN layers / MLP hidden layers (paper: 5)"},
    {"t_dim", BB_PARAM_INT, "32", 2, 1024, "width of the sinusoidal time embedding (even)"},
    {"sigma_min", BB_PARAM_DOUBLE, "0.001", 1e-12, 1e6, "geometric noise schedule: σmin (paper 1e-3)"},
    {"sigma_max", BB_PARAM_DOUBLE, "2", 1e-9, 1e6, "geometric noise schedule: σmax (paper 1.5 DW-4, 2 LJ)"},
    {"n_steps", BB_PARAM_INT, "100", 2, 100000, "Euler–Maruyama steps on [0, 1] (paper 200–1000)"},
    {"batch_size", BB_PARAM_INT, "512", 1, 1000000,
     "new trajectories = energy evaluations per outer iteration (paper 512)"},
    {"buffer_size", BB_PARAM_INT, "10000", 1, 10000000, "replay buffer capacity (paper 10000)"},
    {"inner_steps", BB_PARAM_INT, "100", 1, 1000000, "gradient steps per outer iteration (paper 100)"},
    {"train_batch", BB_PARAM_INT, "256", 1, 1000000, "buffer rows per gradient step"},
    {"lr", BB_PARAM_DOUBLE, "0.0001", 0, 10, "Adam learning rate (paper 1e-4)"},
    {"max_grad_norm", BB_PARAM_DOUBLE, "100", 0, 1e30, "clip the global gradient norm (0: off)"},
    {"max_score_norm", BB_PARAM_DOUBLE, "50", 1e-12, 1e30,
     "clip the per-particle norm of the adjoint target (authors' default 50)"},
    {"out_scale", BB_PARAM_DOUBLE, "1", 1e-9, 1e9,
     "controller output scale: s = out_scale * network (network outputs stay O(1))"},
    {"nn_threads", BB_PARAM_INT, "1", 0, 1024,
     "OpenMP threads for the network (0: the run's); energies use the run's threads. Results do not depend on it"},
    {"max_outer", BB_PARAM_INT, "0", 0, 1000000000,
     "stop training after this many outer iterations (0: when the budget is spent)"},
    {"importance_weights", BB_PARAM_BOOL, "false", 0, 0,
     "return path-space log-weights (costs n_samples evaluations, reserved up front)"},
    {"anytime_samples", BB_PARAM_INT, "500", 1, 100000000,
     "samples drawn for each anytime checkpoint (final samples: --samples)"},
    {"checkpoint_minutes", BB_PARAM_DOUBLE, "10", 0, 1e9,
     "save the training state every this many minutes (0: every outer iteration)"},
    {"stop_after_outer", BB_PARAM_INT, "0", 0, 1000000000,
     "test hook: save the state and stop after this outer iteration (0: off)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Quick-suite defaults: sized so budget 1e5 finishes well within 2 minutes on 2 cores
 * (README.md, "Deviations"); paper settings through parameters. */
static const bb_task_defaults as_task_defaults[] = {
    {"gmm40", "{\"sigma_max\": 20, \"hidden\": 128, \"layers\": 3, \"n_steps\": 200, \"lr\": 0.0003, "
              "\"inner_steps\": 20, \"max_score_norm\": 10, \"max_outer\": 60}"},
    {"dw4", "{\"sigma_max\": 1.5, \"hidden\": 32, \"layers\": 3, \"n_steps\": 50, \"lr\": 0.001, \"out_scale\": 10, "
            "\"batch_size\": 256, \"train_batch\": 128, \"inner_steps\": 20, \"max_outer\": 40}"},
    {"lj13", "{\"sigma_max\": 2, \"hidden\": 16, \"layers\": 2, \"n_steps\": 50, \"lr\": 0.001, \"out_scale\": 10, "
             "\"batch_size\": 128, \"train_batch\": 128, \"inner_steps\": 20, \"max_outer\": 15}"},
    {"lj55", "{\"sigma_max\": 2, \"hidden\": 16, \"layers\": 2, \"n_steps\": 50, \"lr\": 0.001, \"out_scale\": 10, "
             "\"batch_size\": 64, \"train_batch\": 32, \"inner_steps\": 10, \"max_outer\": 5}"},
    {NULL, NULL},
};

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int as_config_from_params(const bb_params *p, const bb_task *task, as_config *c, bb_ctx *ctx) {
    memset(c, 0, sizeof *c);
    const char *net = bb_params_str(p, "network");
    if (strcmp(net, "egnn") == 0)
        c->use_egnn = 1;
    else if (strcmp(net, "mlp") == 0)
        c->use_egnn = 0;
    else if (strcmp(net, "auto") == 0)
        c->use_egnn = task->n_particles > 1;
    else
        return BB_ERR(ctx, BB_EINVAL, "method adjoint_sampling: parameter 'network': '%s' is not egnn, mlp or auto",
                      net);
    if (c->use_egnn && task->n_particles < 2)
        return BB_ERR(ctx, BB_EINVAL, "method adjoint_sampling: parameter 'network': egnn needs at least 2 particles");
    c->hidden = (int)bb_params_int(p, "hidden");
    c->layers = (int)bb_params_int(p, "layers");
    c->t_dim = (int)bb_params_int(p, "t_dim");
    if (c->t_dim % 2) return BB_ERR(ctx, BB_EINVAL, "method adjoint_sampling: parameter 't_dim': must be even");
    c->sigma_min = bb_params_double(p, "sigma_min");
    c->sigma_max = bb_params_double(p, "sigma_max");
    if (!(c->sigma_max > c->sigma_min))
        return BB_ERR(ctx, BB_EINVAL, "method adjoint_sampling: parameter 'sigma_max': must exceed sigma_min");
    c->n_steps = (int)bb_params_int(p, "n_steps");
    c->batch = (int)bb_params_int(p, "batch_size");
    c->buffer = (int)bb_params_int(p, "buffer_size");
    c->inner_steps = (int)bb_params_int(p, "inner_steps");
    c->train_batch = (int)bb_params_int(p, "train_batch");
    c->lr = bb_params_double(p, "lr");
    c->max_grad_norm = bb_params_double(p, "max_grad_norm");
    c->max_score_norm = bb_params_double(p, "max_score_norm");
    c->out_scale = bb_params_double(p, "out_scale");
    c->sp.P = task->n_particles;
    c->sp.D = task->dim;
    c->sp.com_free = (task->flags & BB_TASK_COM_FREE) != 0 ||
                     ((task->flags & BB_TASK_TRANSLATION_INV) != 0 && task->n_particles > 1);
    return BB_OK;
}

/* Draw n samples from the current controller with stream `stream` into s (allocated
 * here); lw (Girsanov part) only when weighted. */
static int draw_samples(as_model *m, size_t n, uint64_t seed, uint64_t stream, int weighted, bb_samples *s,
                        bb_ctx *ctx) {
    const size_t dof = (size_t)m->cfg.sp.P * (size_t)m->cfg.sp.D;
    if (bb_samples_alloc(s, n, dof, weighted))
        return BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate %zu samples", n);
    bb_rng rng;
    bb_rng_init(&rng, seed, stream);
    return as_simulate(m, n, &rng, s->x, weighted ? s->logw : NULL, ctx);
}

static void add_info(bb_run_env *env, const as_model *m, const as_progress *pr, int stopped_by, double lz, double ess,
                     int weighted) {
    if (!env->info) return;
    cJSON *info = env->info;
    cJSON_AddStringToObject(info, "controller", m->cfg.use_egnn ? "egnn" : "mlp");
    cJSON_AddNumberToObject(info, "parameters", (double)m->ps.total);
    cJSON_AddNumberToObject(info, "outer_iterations", (double)pr->outer);
    cJSON_AddNumberToObject(info, "gradient_steps", (double)m->opt.t);
    cJSON_AddNumberToObject(info, "evaluations_training", (double)pr->evals);
    cJSON_AddNumberToObject(info, "h2_at_1", m->h21);
    static const char *why[] = {"budget", "max_outer", "stop_after_outer"};
    cJSON_AddStringToObject(info, "stopped_by", why[stopped_by]);
    if (weighted) {
        cJSON_AddNumberToObject(info, "log_z", lz);
        cJSON_AddNumberToObject(info, "ess_fraction", ess);
    }
    cJSON *curve = cJSON_AddObjectToObject(info, "training_curve");
    const char *names[4] = {"outer", "evaluations", "loss", "wall_s"};
    for (int k = 0; k < 4; k++) {
        cJSON *a = cJSON_AddArrayToObject(curve, names[k]);
        for (size_t i = 0; i < pr->n_curve; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber(pr->curve[i * 4 + (size_t)k]));
    }
}

static int as_run(bb_run_env *env, const bb_params *p, bb_samples *out) {
    bb_ctx *ctx = env->ctx;
    bb_oracle *o = env->oracle;
    const bb_task *task = bb_oracle_task(o);
    as_config cfg;
    as_model m;
    bb_replay rb;
    as_progress pr;
    memset(&m, 0, sizeof m);
    memset(&rb, 0, sizeof rb);
    memset(&pr, 0, sizeof pr);
    memset(out, 0, sizeof *out);
    double *x1 = NULL, *u = NULL, *grad = NULL, *row = NULL;
    int rc = as_config_from_params(p, task, &cfg, ctx);
    if (rc) return rc;
    const size_t dof = (size_t)task->dof, B = (size_t)cfg.batch;
    const int weighted = bb_params_bool(p, "importance_weights");
    const int64_t max_outer = bb_params_int(p, "max_outer");
    const int64_t stop_after = bb_params_int(p, "stop_after_outer");
    const int64_t anytime_n = bb_params_int(p, "anytime_samples");
    /* the network's ops are small: on a shared 2-core machine, OpenMP regions per op
     * cost more than they gain (README), so the network runs on nn_threads and the
     * oracle and evaluator on the run's threads; results are thread-independent */
    const int run_threads = omp_get_max_threads();
    const int nn_threads = bb_params_int(p, "nn_threads") > 0 ? (int)bb_params_int(p, "nn_threads") : run_threads;
    const double ckpt_s = 60.0 * bb_params_double(p, "checkpoint_minutes");
    const int64_t limit = bb_oracle_limit(o);
    const int64_t reserve = weighted ? (int64_t)env->n_samples : 0;
    if (weighted && reserve >= limit)
        return BB_ERR(ctx, BB_EINVAL,
                      "method adjoint_sampling: importance_weights needs n_samples (%zu) < budget (%lld)",
                      env->n_samples, (long long)limit);

    rc = as_model_init(&m, &cfg, env->seed, ctx);
    if (!rc) rc = bb_replay_init(&rb, (size_t)cfg.buffer, 2 * dof, ctx);
    if (rc) goto out;
    x1 = malloc(B * dof * sizeof(double));
    grad = malloc(B * dof * sizeof(double));
    u = malloc(B * sizeof(double));
    row = malloc(2 * dof * sizeof(double));
    if (!x1 || !grad || !u || !row) {
        rc = BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate a batch of %zu", B);
        goto out;
    }
    if (env->resume && env->state_path) {
        FILE *probe = fopen(env->state_path, "rb");
        if (probe) {
            fclose(probe);
            rc = as_state_load(env->state_path, &m, &rb, &pr, env->seed, ctx);
            if (rc) goto out;
            /* training evaluations (all with gradients) spent before the restart */
            rc = bb_oracle_restore(o, pr.evals, pr.evals, ctx);
            if (rc) goto out;
        }
    }

    const double t0 = wall_now();
    double last_save = t0;
    omp_set_num_threads(nn_threads);
    int stopped_by = 0, n_anytime = 0;
    for (;;) {
        if (max_outer > 0 && pr.outer >= max_outer) {
            stopped_by = 1;
            break;
        }
        /* the method's own count (survives resume) and the oracle's both bound the batch */
        int64_t avail = limit - reserve - pr.evals;
        int64_t orem = bb_oracle_remaining(o) - reserve;
        if (orem < avail) avail = orem;
        if (avail <= 0) break;
        const size_t nb = (size_t)avail < B ? (size_t)avail : B;
        bb_rng rng;
        bb_rng_init(&rng, env->seed, AS_STREAM_SIM + (uint64_t)pr.outer);
        rc = as_simulate(&m, nb, &rng, x1, NULL, ctx);
        if (rc) goto out;
        omp_set_num_threads(run_threads);
        rc = bb_oracle_eval(o, nb, x1, u, grad, ctx);
        omp_set_num_threads(nn_threads);
        if (rc == BB_EBUDGET) {
            bb_ctx_clear(ctx);
            rc = BB_OK;
            break;
        }
        if (rc) goto out;
        pr.evals += (int64_t)nb;
        for (size_t r = 0; r < nb; r++) {
            if (!isfinite(u[r])) continue; /* +INFINITY (overlap): no usable gradient, counted but not stored */
            as_make_row(&m, x1 + r * dof, grad + r * dof, row);
            bb_replay_push(&rb, 1, row);
        }
        double lsum = 0.0;
        bb_rng_init(&rng, env->seed, AS_STREAM_TRAIN + (uint64_t)pr.outer);
        for (int k = 0; k < cfg.inner_steps && rb.count > 0; k++) {
            double l;
            rc = as_train_step(&m, &rb, &rng, &l, ctx);
            if (rc) goto out;
            lsum += l;
        }
        pr.outer++;
        const double lmean = lsum / cfg.inner_steps;
        rc = as_progress_add(&pr, lmean, wall_now() - t0, ctx);
        if (rc) goto out;
        if (env->progress)
            fprintf(env->progress, "\r  outer %lld  evaluations %lld/%lld  loss %.4g", (long long)pr.outer,
                    (long long)pr.evals, (long long)limit, lmean);
        if (bb_oracle_checkpoint_due(o)) {
            bb_samples cs;
            memset(&cs, 0, sizeof cs);
            rc = draw_samples(&m, (size_t)anytime_n, env->seed, AS_STREAM_ANYTIME + (uint64_t)n_anytime++, 0, &cs, ctx);
            omp_set_num_threads(run_threads);
            if (!rc) rc = bb_oracle_checkpoint(o, &cs, ctx);
            omp_set_num_threads(nn_threads);
            bb_samples_free(&cs);
            if (rc) goto out;
        }
        const int stop_now = stop_after > 0 && pr.outer == stop_after;
        if (env->state_path && (stop_now || wall_now() - last_save >= ckpt_s)) {
            rc = as_state_save(env->state_path, &m, &rb, &pr, env->seed, ctx);
            if (rc) goto out;
            last_save = wall_now();
        }
        if (stop_now) {
            stopped_by = 2;
            break;
        }
    }
    if (env->progress) fputc('\n', env->progress);

    /* final samples: free of charge, except the energies importance weights need */
    rc = draw_samples(&m, env->n_samples, env->seed, AS_STREAM_FINAL, weighted, out, ctx);
    if (rc) goto out;
    double lz = NAN, ess = NAN;
    if (weighted) {
        double *uf = malloc(env->n_samples * sizeof(double));
        if (!uf) {
            rc = BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate %zu energies", env->n_samples);
            goto out;
        }
        omp_set_num_threads(run_threads);
        rc = bb_oracle_eval(o, env->n_samples, out->x, uf, NULL, ctx);
        if (rc == BB_OK) {
            double mx = -INFINITY;
            for (size_t i = 0; i < env->n_samples; i++) {
                out->logw[i] += -uf[i] - as_log_pbase(&m, out->x + i * dof);
                if (out->logw[i] > mx) mx = out->logw[i];
            }
            double s1 = 0.0, s2 = 0.0;
            for (size_t i = 0; i < env->n_samples && isfinite(mx); i++) {
                double w = exp(out->logw[i] - mx);
                s1 += w;
                s2 += w * w;
            }
            lz = mx + log(s1 / (double)env->n_samples);
            ess = s1 * s1 / (s2 * (double)env->n_samples);
        } else if (rc == BB_EBUDGET) {
            /* the reserve was taken by someone else: return unweighted samples */
            bb_ctx_clear(ctx);
            rc = BB_OK;
            free(out->logw);
            out->logw = NULL;
        }
        free(uf);
        if (rc) goto out;
    }
    add_info(env, &m, &pr, stopped_by, lz, ess, weighted && out->logw);
out:
    omp_set_num_threads(run_threads);
    free(x1);
    free(u);
    free(grad);
    free(row);
    bb_replay_free(&rb);
    as_progress_free(&pr);
    as_model_free(&m);
    return rc;
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
    .run = as_run,
};
