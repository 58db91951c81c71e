/* pita.c — the PITA method (Akhound-Sadegh, Lee et al., NeurIPS 2025, "Progressive
 * Inference-Time Annealing of Diffusion Models for Sampling from Boltzmann Densities"):
 * parameters, per-task defaults and the step-wise method.
 *
 * Phases, each a run of driver steps:
 *   stage 0  one MALA sweep of the stage-0 chains at the hottest temperature τ_0 per step
 *            (methods/mcmc engine, through the oracle); at its end the recorded samples'
 *            energies are evaluated and become level 0's data;
 *   train    one Adam step of both networks per step (train.c) on a level's data;
 *   anneal   one SDE step of the whole population per step (anneal.c); its end evaluates
 *            the annealed samples' energies and they become the next level's data.
 * The final draw anneals from the last trained level to the target (τ_K = 1) with its
 * correction paid from evaluations reserved in init. Stage 0 spends what the levels and the
 * final draw do not need, so a run spends its whole budget. The loop, checkpoints and resume
 * are the driver's (harness/run/driver.h). README.md has the equations, the defaults with
 * the authors' config lines, and the deviations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "methods/mcmc/engine.h"
#include "methods/method.h"
#include "methods/pita/pita_state.h"

/* Defaults: the authors' LJ-13 experiment (taraak/pita @ e987a7f, pita/configs/experiment/lj13.yaml,
 * configs/model/energytemp.yaml, configs/model/net/egnn_temp.yaml); README.md cites each line. */
static const bb_param_spec pita_params[] = {
    {"network", BB_PARAM_STRING, "\"auto\"", 1, 0,
     "egnn, mlp, transformer or auto (transformer on peptide tasks, as the authors; egnn for other particle systems)"},
    {"precision", BB_PARAM_STRING, "\"float32\"", 1, 0, "network parameters and activations: float32 or float64"},
    {"hidden", BB_PARAM_INT, "32", 2, 4096, "hidden width of both networks (authors' LJ-13 egnn_temp: 32)"},
    {"layers", BB_PARAM_INT, "3", 1, 15, "EGNN layers / MLP hidden layers (authors: 3)"},
    {"t_dim", BB_PARAM_INT, "0", 0, 1024,
     "width of an extra sinusoidal embedding of 1000 c_noise (0: c_noise enters as a raw feature only, as the "
     "authors)"},
    {"sigma_min", BB_PARAM_DOUBLE, "0.05", 1e-9, 1e6, "EDM σ at t = 0 (authors' LJ-13: 0.05)"},
    {"sigma_max", BB_PARAM_DOUBLE, "80", 1e-9, 1e6, "EDM σ at t = 1 (authors: 80)"},
    {"data_scale", BB_PARAM_DOUBLE, "1", 1e-9, 1e9,
     "the networks and the diffusion work in y = x / data_scale (GMM-40: 50, as iDEM; σ's are in y)"},
    {"rho", BB_PARAM_DOUBLE, "7", 1e-3, 1e3, "EDM schedule exponent ρ (authors: 7)"},
    {"p_mean", BB_PARAM_DOUBLE, "-1.2", -100, 100, "training ln σ ~ N(p_mean, p_std²) (EDM: −1.2)"},
    {"p_std", BB_PARAM_DOUBLE, "1.2", 1e-6, 100, "(EDM: 1.2)"},
    {"temperatures", BB_PARAM_DOUBLE_LIST, "[4, 3, 2, 1.5, 1.2, 1]", 1e-6, 1e6,
     "ladder τ_0 > … > τ_K = 1 as multipliers of the task temperature (authors' LJ-13)"},
    {"level_steps", BB_PARAM_DOUBLE_LIST, "[37500, 50000, 37500, 50000, 75000]", 1, 1e12,
     "Adam steps at levels 0 .. K−1 (authors: epochs 150, 200, 150, 200, 300 × 250 steps)"},
    {"batch_size", BB_PARAM_INT, "512", 1, 1000000, "training rows per Adam step (authors: 512)"},
    {"train_all_levels", BB_PARAM_BOOL, "true", 0, 0,
     "each step trains one random level among those reached (authors: train_on_all_temps)"},
    {"w_energy_score", BB_PARAM_DOUBLE, "1", 0, 1e6, "weight of the energy network's score distillation (authors: 1)"},
    {"w_score", BB_PARAM_DOUBLE, "1", 0, 1e6, "weight of denoising score matching (authors: 1)"},
    {"w_energy_matching", BB_PARAM_DOUBLE, "1", 0, 1e6, "weight of the energy pinning at the data (authors: 1)"},
    {"energy_mask", BB_PARAM_DOUBLE, "1000", -1e30, 1e30,
     "a level keeps the rows with |u/τ| at most this (all of them when none is, as the authors; 1e3); pinning "
     "always skips u/τ > 1e3, as the authors"},
    {"lr", BB_PARAM_DOUBLE, "0.001", 0, 10, "Adam learning rate (authors: 1e-3)"},
    {"max_grad_norm", BB_PARAM_DOUBLE, "0.5", 0, 1e30, "clip of the global gradient norm (authors: 0.5; 0: off)"},
    {"ema_decay", BB_PARAM_DOUBLE, "0.999", 0, 1, "EMA of the weights used for annealing (authors: 0.999)"},
    {"stage0_samples", BB_PARAM_INT, "10000", 1, 100000000,
     "samples at τ_0 from stage 0 (authors: 10000 from MD data; here MALA through the oracle)"},
    {"stage0_chains", BB_PARAM_INT, "100", 1, 1000000, "MALA chains of stage 0"},
    BB_MCMC_PARAM_STEP_SIZE("stage-0 MALA initial step at τ = 1 (scaled by τ_0, adapted in burn-in)"),
    {"anneal_samples", BB_PARAM_INT, "5000", 1, 100000000, "samples annealed to each level (authors: 5000)"},
    {"sde_steps", BB_PARAM_INT, "1000", 1, 1000000, "Euler–Maruyama steps of an annealing (authors: 1000)"},
    {"end_resampling", BB_PARAM_INT, "900", 0, 1000000,
     "SMC weights and resampling on the steps before this one (authors: 900)"},
    {"resample_ess", BB_PARAM_DOUBLE, "1", 0, 1, "resample when the ESS fraction is at most this (1: every step)"},
    {"clip_quantile", BB_PARAM_DOUBLE, "0.9", 0, 1, "clip of the weight rate and final weights (authors: 0.9; 1: off)"},
    {"divergence_probes", BB_PARAM_INT, "0", 0, 100000,
     "∇·s_S by 0: exact (dof backward passes, authors) or this many Rademacher probes (Hutchinson)"},
    {"inference_batch", BB_PARAM_INT, "512", 1, 1000000, "rows per network evaluation in an annealing (authors: 512)"},
    {"post_mcmc_steps", BB_PARAM_INT, "0", 0, 1000000,
     "MALA moves on the next level's density after each annealing and the final draw, each row one evaluation "
     "per move (authors' model default 5; their LJ-13 config turns it off under a misspelt key, 0 here; 5 on "
     "peptides)"},
    {"post_mcmc_dt", BB_PARAM_DOUBLE, "1e-13", 1e-300, 1e6,
     "first step dt of those moves, y' = y + dt/2 ∇log π + √dt ξ in y = x / data_scale (the authors' "
     "coordinates), then ×1.1 after a move accepted above 0.55, else ÷1.1 (authors' dt_negative_time 1e-13, "
     "adaptive_mcmc)"},
    BB_SCORENET_PARAMS_EGNN,
    BB_SCORENET_PARAM_THREADS,
    {"anytime_samples", BB_PARAM_INT, "500", 1, 100000000,
     "samples drawn for each anytime checkpoint (final samples: --samples)"},
    {"dit_heads", BB_PARAM_INT, "6", 1, 256,
     "transformer: attention heads (authors' dit.yaml: 6); hidden / heads even"},
    {"dit_cond_dim", BB_PARAM_INT, "64", 1, 4096, "transformer: width of the noise-level conditioning (authors: 64)"},
    {"dit_freq_dim", BB_PARAM_INT, "256", 2, 4096,
     "transformer: sinusoidal features of c_noise and β (authors' TimestepEmbedder: 256)"},
    {"w_target_score", BB_PARAM_DOUBLE, "0", 0, 1e6,
     "weight of target score matching on the data's energy gradients (authors: 0 on LJ-13, 0.01 on peptides)"},
    {"target_score_t", BB_PARAM_DOUBLE, "0.2", 0, 1, "target score matching on the rows with σ < σ(t) (authors: 0.2)"},
    {"target_score_clip", BB_PARAM_DOUBLE, "1000", 0, 1e30,
     "per-particle norm clip of the target's energy gradient (authors' Clipper max_score_norm: 1000)"},
    {"augment_rotations", BB_PARAM_BOOL, "false", 0, 0,
     "a uniform random rotation of every training row (authors: on for molecules)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* What aldp-pita and al3-pita share; the arguments are what differs. */
#define PITA_PEPTIDE(scale, temps, steps, n_anneal, inf_batch)                                                         \
    "{\"network\": \"transformer\", \"hidden\": 64, \"layers\": 3, \"dit_heads\": 4, \"dit_cond_dim\": 32, "           \
    "\"dit_freq_dim\": 64, \"data_scale\": " scale ", \"sigma_min\": 0.01, \"temperatures\": " temps                   \
    ", \"level_steps\": " steps ", \"batch_size\": 2048, \"train_all_levels\": false, \"anneal_samples\": " n_anneal   \
    ", \"inference_batch\": " inf_batch ", \"stage0_samples\": 50000, \"end_resampling\": 800, "                       \
    "\"w_target_score\": 0.01, \"augment_rotations\": true, \"post_mcmc_steps\": 5, \"nn_threads\": 0}"

static const bb_task_defaults pita_task_defaults[] = {
    BB_MCMC_TASK_STEPS,
    /* not in the paper: GMM-40 normalised as iDEM does (DEM configs/experiment/gmm_idem.yaml), σmin at the
     * components' width in y (1/50) and EDM's usual σmin */
    {"gmm40", "{\"data_scale\": 50, \"sigma_min\": 0.002}"},
    {"dw4", "{\"nn_threads\": 0}"},
    {"lj13", "{\"nn_threads\": 0}"},
    {"lj55", "{\"nn_threads\": 0}"},
    /* the authors' peptide experiments (taraak/pita @ e987a7f configs/experiment/aldp.yaml, al3.yaml,
     * energy/aldp.yaml, al3.yaml, model/energytemp.yaml; README.md cites each line) with the ladder as
     * multipliers of 300 K; the DiT reduced from 192 x 6 blocks (README: why) */
    {"aldp-pita", PITA_PEPTIDE("0.1640", "[4, 2.5198333333333334, 1.8517333333333333, 1]", "[50000, 50000, 50000]",
                               "50000", "2048")},
    {"al3-pita", PITA_PEPTIDE("0.2059", "[4, 2.5198333333333334, 1.8517333333333333, 1.3608, 1]",
                              "[50000, 50000, 50000, 50000]", "30000", "1024")},
    {NULL, NULL},
};

int pita_config_from_params(const bb_params *p, const bb_task *task, pita_config *c, bb_ctx *ctx) {
    memset(c, 0, sizeof *c);
    const char *net = bb_params_str(p, "network");
    const int transformer = strcmp(net, "transformer") == 0 || (strcmp(net, "auto") == 0 && task->type->tica);
    int rc = bb_scorenet_config_parse_net(p, task, "pita", transformer ? "mlp" : net, &c->net, ctx);
    if (rc) return rc;
    if (transformer && (task->n_particles < 2 || !c->net.sp.com_free))
        return BB_ERR(ctx, BB_EINVAL,
                      "method pita: parameter 'network': transformer needs a translation-invariant particle task");
    c->transformer = transformer;
    c->heads = (int)bb_params_int(p, "dit_heads");
    c->cond_dim = (int)bb_params_int(p, "dit_cond_dim");
    c->freq_dim = (int)bb_params_int(p, "dit_freq_dim");
    if (transformer && (c->net.hidden % (2 * c->heads) || c->freq_dim % 2))
        return BB_ERR(ctx, BB_EINVAL,
                      "method pita: parameters 'hidden' / 'dit_heads' / 'dit_freq_dim': hidden must be a multiple of "
                      "2 x heads (%d, %d) and freq_dim even",
                      c->net.hidden, c->heads);
    c->w_target = bb_params_double(p, "w_target_score");
    c->target_t = bb_params_double(p, "target_score_t");
    c->target_clip = bb_params_double(p, "target_score_clip");
    c->augment_rot = bb_params_bool(p, "augment_rotations");
    if (c->augment_rot && (task->dim != 3 || !(task->flags & BB_TASK_ROTATION_INV)))
        return BB_ERR(ctx, BB_EINVAL,
                      "method pita: parameter 'augment_rotations': needs a rotation-invariant 3-D task");
    c->data_scale = bb_params_double(p, "data_scale");
    c->rho = bb_params_double(p, "rho");
    c->p_mean = bb_params_double(p, "p_mean");
    c->p_std = bb_params_double(p, "p_std");
    double list[PITA_MAX_LEVELS + 1];
    const size_t nt = bb_params_doubles(p, "temperatures", list, PITA_MAX_LEVELS + 1);
    if (nt < 2 || nt > PITA_MAX_LEVELS)
        return BB_ERR(ctx, BB_EINVAL, "method pita: parameter 'temperatures': 2 to %d entries", PITA_MAX_LEVELS);
    if (list[nt - 1] != 1.0)
        return BB_ERR(ctx, BB_EINVAL, "method pita: parameter 'temperatures': the last must be 1 (the target)");
    for (size_t k = 0; k < nt; k++) {
        if (k && !(list[k] < list[k - 1]))
            return BB_ERR(ctx, BB_EINVAL, "method pita: parameter 'temperatures': must decrease strictly (entry %zu)",
                          k);
        c->tau[k] = list[k];
        c->beta[k] = round(100.0 * list[0] / list[k]) / 100.0; /* energytemp_module.py:183 */
    }
    c->n_levels = (int)nt;
    const size_t ns = bb_params_doubles(p, "level_steps", list, PITA_MAX_LEVELS + 1);
    if (ns != nt - 1)
        return BB_ERR(ctx, BB_EINVAL,
                      "method pita: parameter 'level_steps': needs %zu entries (one per level but the last)", nt - 1);
    for (size_t k = 0; k < ns; k++) {
        if (list[k] != floor(list[k]))
            return BB_ERR(ctx, BB_EINVAL, "method pita: parameter 'level_steps': entry %zu is not a whole number", k);
        c->steps[k] = (int64_t)list[k];
    }
    c->batch = (int)bb_params_int(p, "batch_size");
    c->train_all = bb_params_bool(p, "train_all_levels");
    c->w_escore = bb_params_double(p, "w_energy_score");
    c->w_score = bb_params_double(p, "w_score");
    c->w_match = bb_params_double(p, "w_energy_matching");
    c->energy_mask = bb_params_double(p, "energy_mask");
    c->lr = bb_params_double(p, "lr");
    c->max_grad_norm = bb_params_double(p, "max_grad_norm");
    c->ema_decay = bb_params_double(p, "ema_decay");
    c->n_stage0 = (int)bb_params_int(p, "stage0_samples");
    c->stage0_chains = (int)bb_params_int(p, "stage0_chains");
    c->stage0_step = bb_params_double(p, "step_size");
    c->n_anneal = (int)bb_params_int(p, "anneal_samples");
    c->sde_steps = (int)bb_params_int(p, "sde_steps");
    c->end_resampling = (int)bb_params_int(p, "end_resampling");
    c->resample_ess = bb_params_double(p, "resample_ess");
    c->clip_q = bb_params_double(p, "clip_quantile");
    c->div_probes = (int)bb_params_int(p, "divergence_probes");
    c->chunk = (int)bb_params_int(p, "inference_batch");
    c->post_steps = (int)bb_params_int(p, "post_mcmc_steps");
    c->post_dt = bb_params_double(p, "post_mcmc_dt");
    return BB_OK;
}

static void pita_free(void *state) {
    pita_state *a = state;
    if (!a) return;
    bb_mcmc_free(a->mcmc);
    pita_anneal_free(&a->an);
    for (int k = 0; k < PITA_MAX_LEVELS; k++) BB_FREE_ALL(a->bx[k], a->bu[k], a->bg[k]);
    BB_FREE_ALL(a->xb, a->eb, a->gb);
    pita_model_free(&a->m);
    free(a);
}

/* Stage 0's engine: MALA chains at τ_0, planned on what the levels and the final draw leave. */
static int stage0_init(pita_state *a, const bb_method_env *env, bb_ctx *ctx) {
    const pita_config *c = &a->m.cfg;
    const int K = c->n_levels - 1;
    /* every annealed row costs one evaluation for its energy and one per post-annealing MALA move */
    const int64_t later =
        (int64_t)c->n_stage0 + (1 + (int64_t)c->post_steps) * ((int64_t)(K - 1) * c->n_anneal + (int64_t)a->n_samples);
    const int64_t left = bb_oracle_remaining(a->o), b0 = left - later;
    if (b0 < 2 * (int64_t)c->stage0_chains) {
        /* too small for stage 0 (two sweeps of its chains) on top of what the levels and the
         * final draw need: nothing can be learnt, the run ends at once (stopped by the budget)
         * and the draw is the untrained networks' annealing, unweighted */
        a->phase = PITA_DONE;
        a->starved = 1;
        return BB_OK;
    }
    bb_mcmc_config mc = {.n_ladders = (size_t)c->stage0_chains,
                         .n_temps = 1,
                         .move = BB_MCMC_MALA,
                         .step_size = c->stage0_step,
                         .target_accept = 0.574,
                         .burnin_fraction = 0.5,
                         .swap_interval = 1};
    mc.temps[0] = c->tau[0];
    bb_method_env e = *env;
    e.seed = env->seed ^ PITA_STREAM_STAGE0;
    e.n_samples = (size_t)c->n_stage0;
    int rc = bb_oracle_reserve(a->o, later, ctx);
    if (!rc) rc = bb_mcmc_init(&e, &mc, &a->mcmc, ctx);
    bb_oracle_release(a->o);
    return rc;
}

static int pita_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    *state = NULL;
    const bb_task *task = bb_oracle_task(env->oracle);
    pita_config cfg;
    int rc = pita_config_from_params(p, task, &cfg, ctx);
    if (rc) return rc;
    pita_state *a = calloc(1, sizeof *a);
    if (!a) return BB_ERR(ctx, BB_ENOMEM, "pita: out of memory");
    a->o = env->oracle;
    a->seed = env->seed;
    a->n_samples = env->n_samples;
    a->dof = (size_t)task->dof;
    a->anytime_n = bb_params_int(p, "anytime_samples");
    a->ess_final = NAN;
    a->no_data_level = -1;
    for (int k = 0; k < PITA_MAX_LEVELS; k++) a->ess[k] = a->logz[k] = a->mcmc_acc[k] = a->mcmc_dt[k] = NAN;
    rc = pita_model_init(&a->m, &cfg, env->seed, ctx);
    if (!rc) {
        a->xb = malloc((size_t)cfg.batch * a->dof * sizeof(double));
        a->eb = malloc((size_t)cfg.batch * sizeof(double));
        if (cfg.w_target > 0) a->gb = malloc((size_t)cfg.batch * a->dof * sizeof(double));
        if (!a->xb || !a->eb || (cfg.w_target > 0 && !a->gb))
            rc = BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate a training batch");
    }
    if (!rc) rc = stage0_init(a, env, ctx);
    if (rc) {
        pita_free(a);
        return rc;
    }
    bb_nn_graph_set_threads(a->m.g,
                            bb_params_int(p, "nn_threads") > 0 ? (int)bb_params_int(p, "nn_threads") : env->threads);
    a->m.opt.threads = env->threads;
    *state = a;
    return BB_OK;
}

/* Level k's data, as the authors fill a level's buffer (energytemp_module.py:881-900): the
 * annealed rows whose level energy u/τ_k lies in [−energy_mask, energy_mask]; when none does, all
 * of them (the authors warn and keep the whole batch, lines 886-893). Level 0 is masked too (the
 * authors' initial buffer of MD data is not, lines 1244-1246; ours is a short MALA run whose
 * recorded states can be far from equilibrium). Rows the task rejects (u = +inf) are never
 * kept. With their gradients gu (NULL without target score matching); centred for the
 * transformer (which is not translation invariant; the authors centre the data,
 * _normalize_molecule). bn[k] = 0 afterwards means the level has no usable data. */
static int set_level(pita_state *a, int k, size_t n, const double *x, const double *u, const double *gu, bb_ctx *ctx) {
    const pita_config *c = &a->m.cfg;
    BB_FREE_ALL(a->bx[k], a->bu[k], a->bg[k]);
    a->bg[k] = NULL;
    a->bx[k] = malloc((n ? n : 1) * a->dof * sizeof(double));
    a->bu[k] = malloc((n ? n : 1) * sizeof(double));
    if (gu) a->bg[k] = malloc((n ? n : 1) * a->dof * sizeof(double));
    if (!a->bx[k] || !a->bu[k] || (gu && !a->bg[k]))
        return BB_ERR(ctx, BB_ENOMEM, "pita: cannot store %zu samples of level %d", n, k);
    size_t finite = 0, inside = 0;
    for (size_t r = 0; r < n; r++) {
        finite += isfinite(u[r]) != 0;
        inside += isfinite(u[r]) && fabs(u[r] / c->tau[k]) <= c->energy_mask;
    }
    const int keep_all = inside == 0; /* every finite row outside the mask: keep them all, as the authors */
    size_t m = 0;
    for (size_t r = 0; r < n; r++) {
        if (!isfinite(u[r]) || (!keep_all && fabs(u[r] / c->tau[k]) > c->energy_mask)) continue;
        memcpy(a->bx[k] + m * a->dof, x + r * a->dof, a->dof * sizeof(double));
        if (c->transformer) bb_sde_centre_row(c->net.sp.P, c->net.sp.D, a->bx[k] + m * a->dof);
        if (gu) memcpy(a->bg[k] + m * a->dof, gu + r * a->dof, a->dof * sizeof(double));
        a->bu[k][m++] = u[r];
    }
    a->bn[k] = m;
    a->infinite[k] = (int64_t)(n - finite);
    a->dropped[k] = (int64_t)(finite - m);
    a->kept_outside[k] = keep_all ? (int64_t)m : 0;
    return BB_OK;
}

/* A level without usable data (every row rejected by the task): the run cannot go on; it
 * stops (cannot_continue) and the draw anneals from the last trained level. */
static void stop_without_data(pita_state *a, int k, bb_step_info *info) {
    a->phase = PITA_DONE;
    a->no_data_level = k;
    info->stop = BB_STOP_CANNOT_CONTINUE;
    snprintf(info->status, sizeof info->status, "level %d: no sample with a finite energy", k);
}

/* The end of stage 0: its samples' energies (counted) become level 0's data; then the final
 * draw's evaluations are set aside. */
static int stage0_finish(pita_state *a, bb_step_info *info, bb_ctx *ctx) {
    bb_samples s = {0};
    int rc = bb_mcmc_draw(a->mcmc, &s, ctx);
    const int grads = a->m.cfg.w_target > 0;
    double *u = rc ? NULL : malloc((s.n ? s.n : 1) * (grads ? 1 + a->dof : 1) * sizeof(double));
    double *gu = grads && u ? u + (s.n ? s.n : 1) : NULL;
    if (!rc && !u) rc = BB_ERR(ctx, BB_ENOMEM, "pita: out of memory");
    if (!rc) rc = bb_oracle_eval(a->o, s.n, s.x, u, gu, ctx);
    a->evals_stage0 = bb_oracle_used(a->o); /* the chains and their samples' energies: all so far */
    for (size_t k = 0; !rc && k < s.n * a->dof; k++) s.x[k] /= a->m.cfg.data_scale;
    if (!rc) rc = set_level(a, 0, s.n, s.x, u, gu, ctx);
    if (!rc) rc = bb_oracle_reserve(a->o, (1 + (int64_t)a->m.cfg.post_steps) * (int64_t)a->n_samples, ctx);
    free(u);
    bb_samples_free(&s);
    if (rc) return rc;
    bb_mcmc_free(a->mcmc);
    a->mcmc = NULL;
    a->phase = PITA_TRAIN;
    if (a->bn[0] == 0) stop_without_data(a, 0, info);
    return BB_OK;
}

static int train_one(pita_state *a, bb_step_info *info, bb_ctx *ctx) {
    const pita_config *c = &a->m.cfg;
    bb_rng rng;
    bb_rng_init(&rng, a->seed, PITA_STREAM_TRAIN + (uint64_t)a->total_steps);
    const int lv = c->train_all ? (int)bb_rng_below(&rng, (uint64_t)a->level + 1) : a->level;
    for (int r = 0; r < c->batch; r++) {
        const size_t i = (size_t)bb_rng_below(&rng, a->bn[lv]);
        memcpy(a->xb + (size_t)r * a->dof, a->bx[lv] + i * a->dof, a->dof * sizeof(double));
        a->eb[r] = a->bu[lv][i] / c->tau[lv];
        if (a->gb) /* ∇_y (u/τ) = data_scale ∇_x u / τ */
            for (size_t d = 0; d < a->dof; d++)
                a->gb[(size_t)r * a->dof + d] = c->data_scale * a->bg[lv][i * a->dof + d] / c->tau[lv];
    }
    if (c->augment_rot) /* energytemp_module.py data_augmentation: one random rotation per row */
        for (int r = 0; r < c->batch; r++)
            bb_sde_random_rotation(&rng, c->net.sp.P, a->xb + (size_t)r * a->dof,
                                   a->gb ? a->gb + (size_t)r * a->dof : NULL);
    double loss, l3[4];
    int rc = pita_train_step(&a->m, (size_t)c->batch, a->xb, a->eb, a->gb, c->beta[lv], &rng, &loss, l3, ctx);
    if (rc) return rc;
    a->total_steps++;
    a->level_steps++;
    info->has_loss = 1;
    info->loss = loss;
    if (a->gb)
        snprintf(info->status, sizeof info->status, "level %d step %lld  loss %.4g (%.3g %.3g %.3g %.3g)", a->level,
                 (long long)a->level_steps, loss, l3[0], l3[1], l3[2], l3[3]);
    else
        snprintf(info->status, sizeof info->status, "level %d step %lld  loss %.4g (%.3g %.3g %.3g)", a->level,
                 (long long)a->level_steps, loss, l3[0], l3[1], l3[2]);
    if (a->level_steps < c->steps[a->level]) return BB_OK;
    const int K = c->n_levels - 1;
    if (a->level + 1 >= K) { /* the last trained level: the final draw anneals to the target */
        a->phase = PITA_DONE;
        return BB_OK;
    }
    rc = pita_anneal_begin(&a->an, &a->m, (size_t)c->n_anneal, a->level, c->tau[a->level + 1], a->seed,
                           PITA_STREAM_ANNEAL + ((uint64_t)(a->level + 1) << 20), ctx);
    if (!rc) a->phase = PITA_ANNEAL;
    return rc;
}

/* What the report keeps of the annealing into level k (its ESS is kept by the caller: the
 * final draw's goes to ess_final). */
static void keep_annealing_record(pita_state *a, int k, const pita_anneal *an) {
    a->logz[k] = an->log_z;
    a->resamplings[k] = an->resamplings;
    a->mcmc_moves[k] = an->mcmc_moves;
    a->mcmc_acc[k] = an->mcmc_accept;
    a->mcmc_dt[k] = an->mcmc_dt;
}

static int anneal_one(pita_state *a, bb_step_info *info, bb_ctx *ctx) {
    const pita_config *c = &a->m.cfg;
    int rc = pita_anneal_step(&a->an, &a->m, ctx);
    if (rc) return rc;
    snprintf(info->status, sizeof info->status, "annealing to level %d: step %d/%d", a->level + 1, a->an.step,
             c->sde_steps);
    if (a->an.step < c->sde_steps) return BB_OK;
    const int64_t before = bb_oracle_used(a->o);
    rc = pita_anneal_end(&a->an, &a->m, a->o, ctx);
    a->evals_anneal += bb_oracle_used(a->o) - before;
    if (rc) return rc;
    const int k = a->level + 1;
    a->ess[k] = a->an.ess_end;
    keep_annealing_record(a, k, &a->an);
    rc = set_level(a, k, a->an.n, a->an.x, a->an.u, c->w_target > 0 ? a->an.gu : NULL, ctx);
    pita_anneal_free(&a->an);
    if (rc) return rc;
    if (a->bn[k] == 0) {
        stop_without_data(a, k, info);
        return BB_OK;
    }
    a->level = k;
    a->level_steps = 0;
    a->phase = PITA_TRAIN;
    return BB_OK;
}

static int pita_step(void *state, bb_step_info *info, bb_ctx *ctx) {
    pita_state *a = state;
    switch (a->phase) {
        case PITA_STAGE0: {
            bb_step_info si = {0};
            int rc = bb_mcmc_step(a->mcmc, &si, ctx);
            if (rc) return rc;
            snprintf(info->status, sizeof info->status, "stage 0 (MALA at τ = %g): %.40s", a->m.cfg.tau[0], si.status);
            return si.stop != BB_STOP_NONE ? stage0_finish(a, info, ctx) : BB_OK;
        }
        case PITA_TRAIN: return train_one(a, info, ctx);
        case PITA_ANNEAL: return anneal_one(a, info, ctx);
        default: /* every planned evaluation is spent or set aside for the draw, or a level had no data */
            info->stop = a->no_data_level >= 0 ? BB_STOP_CANNOT_CONTINUE : BB_STOP_BUDGET;
    }
    return BB_OK;
}

/* n samples annealed from the last trained level to the target; o: with the correction
 * (evaluations), NULL: without (free, anytime). Before any training: stage 0's samples. */
static int anneal_out(pita_state *a, size_t n, uint64_t stream, bb_oracle *o, bb_samples *out, bb_ctx *ctx) {
    const pita_config *c = &a->m.cfg;
    if (a->phase == PITA_STAGE0) return bb_mcmc_draw(a->mcmc, out, ctx);
    pita_anneal an;
    int rc = pita_anneal_begin(&an, &a->m, n, a->level, 1.0, a->seed, stream, ctx);
    while (!rc && an.step < c->sde_steps) rc = pita_anneal_step(&an, &a->m, ctx);
    if (!rc) rc = pita_anneal_end(&an, &a->m, o, ctx);
    if (!rc && o) {
        a->ess_final = an.ess_end;
        keep_annealing_record(a, c->n_levels - 1, &an);
    }
    if (!rc && bb_samples_alloc(out, n, a->dof, 0)) rc = BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate %zu samples", n);
    for (size_t k = 0; !rc && k < n * a->dof; k++) out->x[k] = c->data_scale * an.x[k];
    pita_anneal_free(&an);
    return rc;
}

static int pita_snapshot(void *state, size_t k, bb_samples *out, bb_ctx *ctx) {
    pita_state *a = state;
    return anneal_out(a, (size_t)a->anytime_n, PITA_STREAM_ANYTIME + ((uint64_t)k << 16), NULL, out, ctx);
}

static int pita_draw(void *state, bb_samples *out, bb_ctx *ctx) {
    pita_state *a = state;
    if (a->phase == PITA_STAGE0 || a->starved) return anneal_out(a, a->n_samples, PITA_STREAM_FINAL, NULL, out, ctx);
    bb_oracle_release(a->o);
    const int64_t before = bb_oracle_used(a->o);
    /* the correction needs n evaluations: without them (a run that stopped early and spent
     * the reserve elsewhere cannot happen; an interrupted one still has it) anneal unweighted */
    bb_oracle *o = bb_oracle_remaining(a->o) >= (int64_t)a->n_samples ? a->o : NULL;
    int rc = anneal_out(a, a->n_samples, PITA_STREAM_FINAL, o, out, ctx);
    a->evals_final += bb_oracle_used(a->o) - before;
    return rc;
}

static void pita_describe(const void *state, cJSON *info) {
    const pita_state *a = state;
    const pita_config *c = &a->m.cfg;
    static const char *const phases[] = {"stage0", "train", "anneal", "done"};
    cJSON_AddStringToObject(info, "network", c->transformer ? "transformer" : c->net.use_egnn ? "egnn" : "mlp");
    cJSON_AddNumberToObject(info, "parameters", (double)a->m.ps.total);
    cJSON_AddStringToObject(info, "phase", phases[a->phase]);
    cJSON_AddNumberToObject(info, "level_reached", a->level);
    if (a->starved) cJSON_AddStringToObject(info, "note", "budget too small for stage 0: untrained, unweighted draw");
    if (a->no_data_level >= 0) {
        char note[200];
        snprintf(note, sizeof note,
                 "stopped at level %d (temperature %g): none of its samples has a finite energy; final samples "
                 "annealed from level %d",
                 a->no_data_level, c->tau[a->no_data_level], a->level);
        cJSON_AddStringToObject(info, "note", note);
        cJSON_AddNumberToObject(info, "level_without_data", a->no_data_level);
    }
    cJSON_AddNumberToObject(info, "adam_steps", (double)a->total_steps);
    cJSON_AddNumberToObject(info, "evaluations_stage0", (double)a->evals_stage0);
    cJSON_AddNumberToObject(info, "evaluations_annealing", (double)a->evals_anneal);
    cJSON_AddNumberToObject(info, "evaluations_final_correction", (double)a->evals_final);
    cJSON *lv = cJSON_AddArrayToObject(info, "levels");
    for (int k = 0; k < c->n_levels && lv; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "temperature", c->tau[k]);
        cJSON_AddNumberToObject(o, "beta", c->beta[k]);
        cJSON_AddNumberToObject(o, "samples", (double)a->bn[k]);
        cJSON_AddNumberToObject(o, "dropped_above_energy_mask", (double)a->dropped[k]);
        if (a->kept_outside[k]) /* the authors' fallback: none inside the mask, all kept */
            cJSON_AddNumberToObject(o, "kept_outside_energy_mask", (double)a->kept_outside[k]);
        if (a->infinite[k]) cJSON_AddNumberToObject(o, "dropped_infinite_energy", (double)a->infinite[k]);
        if (k > 0) {
            const double ess = k == c->n_levels - 1 ? a->ess_final : a->ess[k];
            if (isfinite(ess)) cJSON_AddNumberToObject(o, "ess_fraction_correction", ess);
            if (isfinite(a->logz[k])) cJSON_AddNumberToObject(o, "smc_log_z", a->logz[k]);
            cJSON_AddNumberToObject(o, "resamplings", (double)a->resamplings[k]);
            if (a->mcmc_moves[k] > 0) { /* the post-annealing MALA: moves, mean acceptance, final dt */
                cJSON_AddNumberToObject(o, "post_mcmc_moves", (double)a->mcmc_moves[k]);
                cJSON_AddNumberToObject(o, "post_mcmc_acceptance", a->mcmc_acc[k]);
                cJSON_AddNumberToObject(o, "post_mcmc_dt", a->mcmc_dt[k]);
            }
        }
        cJSON_AddItemToArray(lv, o);
    }
}

const bb_method bb_method_pita = {
    .name = "pita",
    .version = 1,
    .description = "PITA (Akhound-Sadegh, Lee et al. 2025): stage-0 MALA samples at the hottest temperature, then per "
                   "level an EDM score network and an energy network (denoising score matching, distillation by "
                   "double backward, energy pinning) and inference-time annealing to the next temperature by the "
                   "tempered reverse SDE with Feynman–Kac weights, SMC resampling and a correction with the true "
                   "energies.",
    .params = pita_params,
    .task_defaults = pita_task_defaults,
    .init = pita_init,
    .step = pita_step,
    .snapshot = pita_snapshot,
    .draw = pita_draw,
    .save = pita_save,
    .load = pita_load,
    .describe = pita_describe,
    .free = pita_free,
};
