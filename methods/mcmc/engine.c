/* engine.c — MALA / random-walk chains on a temperature ladder with replica exchange.
 * The algorithm, budget plan and RNG streams are described in engine.h. */
#include "methods/mcmc/engine.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "methods/common/stateio.h"

#define SWAP_STREAM_BASE 0x10000000ull
#define ADAPT_GAIN       0.1

typedef struct chains {
    size_t L, K, C, dof;
    double *x, *u, *g;   /* current states [C][dof], energies [C], gradients [C][dof] */
    double *y, *uy, *gy; /* proposals */
    double *h;           /* step size per chain [C] (adapted per chain during burn-in) */
    unsigned char *acc;  /* accepted flag of the last sweep [C] */
    bb_rng *rng;         /* [C] */
    bb_rng *swap_rng;    /* [L] */
    double *gather;      /* [L][dof] λ = 1 states for checkpoints */
} chains;

static void chains_free(chains *c) {
    free(c->x);
    free(c->u);
    free(c->g);
    free(c->y);
    free(c->uy);
    free(c->gy);
    free(c->h);
    free(c->acc);
    free(c->rng);
    free(c->swap_rng);
    free(c->gather);
}

static int chains_alloc(chains *c, size_t L, size_t K, size_t dof) {
    memset(c, 0, sizeof *c);
    c->L = L;
    c->K = K;
    c->C = L * K;
    c->dof = dof;
    size_t C = c->C;
    c->x = malloc(C * dof * sizeof(double));
    c->g = calloc(C * dof, sizeof(double));
    c->y = malloc(C * dof * sizeof(double));
    c->gy = calloc(C * dof, sizeof(double));
    c->u = malloc(C * sizeof(double));
    c->uy = malloc(C * sizeof(double));
    c->h = malloc(C * sizeof(double));
    c->acc = calloc(C, 1);
    c->rng = malloc(C * sizeof(bb_rng));
    c->swap_rng = malloc(L * sizeof(bb_rng));
    c->gather = malloc(L * dof * sizeof(double));
    if (!c->x || !c->g || !c->y || !c->gy || !c->u || !c->uy || !c->h || !c->acc || !c->rng || !c->swap_rng ||
        !c->gather) {
        chains_free(c);
        return BB_ENOMEM;
    }
    return BB_OK;
}

void bb_mcmc_config_shared(bb_mcmc_config *cfg, const bb_params *p) {
    memset(cfg, 0, sizeof *cfg);
    cfg->target_accept = bb_params_double(p, "target_accept");
    cfg->n_ladders = (size_t)bb_params_int(p, "n_chains");
    cfg->step_size = bb_params_double(p, "step_size");
    cfg->burnin_fraction = bb_params_double(p, "burnin_fraction");
    cfg->init_scale = bb_params_double(p, "init_scale");
}

void bb_mcmc_geometric_ladder(size_t k, double t_max, double *temps) {
    for (size_t i = 0; i < k; i++) temps[i] = k == 1 ? 1.0 : pow(t_max, (double)i / (double)(k - 1));
}

/* Gaussian noise in the COM-free subspace when the task requires it. */
static void draw_noise(bb_rng *r, const bb_task *t, double *xi) {
    bb_rng_normal_fill(r, (size_t)t->dof, xi);
    if (t->flags & BB_TASK_COM_FREE) bb_remove_com(1, t->n_particles, t->dim, xi);
}

static void propose(chains *c, const bb_task *t, const bb_mcmc_config *cfg) {
    size_t dof = c->dof;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < c->C; i++) {
        size_t k = i % c->K;
        double h = c->h[i], lam = cfg->temps[k], s = sqrt(2.0 * h);
        double *x = c->x + i * dof, *y = c->y + i * dof, *g = c->g + i * dof;
        draw_noise(&c->rng[i], t, y); /* y holds ξ for now */
        for (size_t d = 0; d < dof; d++) {
            double drift = cfg->move == BB_MCMC_MALA ? -h * g[d] / lam : 0.0;
            y[d] = x[d] + drift + s * y[d];
        }
    }
}

/* log q(to | from) for MALA up to a constant shared by both directions. */
static double log_q(const double *to, const double *from, const double *g_from, double h, double lam, size_t dof) {
    double s = 0.0;
    for (size_t d = 0; d < dof; d++) {
        double r = to[d] - from[d] + h * g_from[d] / lam;
        s += r * r;
    }
    return -s / (4.0 * h);
}

static void accept(chains *c, const bb_mcmc_config *cfg) {
    size_t dof = c->dof;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < c->C; i++) {
        size_t k = i % c->K;
        double lam = cfg->temps[k], h = c->h[i];
        double ux = c->u[i], uy = c->uy[i];
        double logr;
        if (!isfinite(uy))
            logr = -INFINITY;
        else if (!isfinite(ux))
            logr = INFINITY;
        else {
            logr = -(uy - ux) / lam;
            if (cfg->move == BB_MCMC_MALA)
                logr += log_q(c->x + i * dof, c->y + i * dof, c->gy + i * dof, h, lam, dof) -
                        log_q(c->y + i * dof, c->x + i * dof, c->g + i * dof, h, lam, dof);
        }
        double v = bb_rng_uniform(&c->rng[i]); /* always drawn: keeps streams aligned */
        int ok = logr >= 0.0 || log(v) < logr;
        c->acc[i] = (unsigned char)ok;
        if (ok) {
            memcpy(c->x + i * dof, c->y + i * dof, dof * sizeof(double));
            if (cfg->move == BB_MCMC_MALA) memcpy(c->g + i * dof, c->gy + i * dof, dof * sizeof(double));
            c->u[i] = uy;
        }
    }
}

static void swap_slots(chains *c, size_t a, size_t b) {
    size_t dof = c->dof;
    for (size_t d = 0; d < dof; d++) {
        double t = c->x[a * dof + d];
        c->x[a * dof + d] = c->x[b * dof + d];
        c->x[b * dof + d] = t;
        t = c->g[a * dof + d];
        c->g[a * dof + d] = c->g[b * dof + d];
        c->g[b * dof + d] = t;
    }
    double t = c->u[a];
    c->u[a] = c->u[b];
    c->u[b] = t;
}

/* DEO swaps: even pairs (0,1),(2,3)… on even rounds, odd pairs on odd rounds. */
static void swap_round(chains *c, const bb_mcmc_config *cfg, size_t round, double *tried, double *taken) {
    for (size_t l = 0; l < c->L; l++) {
        for (size_t k = round % 2; k + 1 < c->K; k += 2) {
            size_t a = l * c->K + k, b = a + 1;
            double ua = c->u[a], ub = c->u[b];
            double logr = (1.0 / cfg->temps[k] - 1.0 / cfg->temps[k + 1]) * (ua - ub);
            if (!isfinite(ua) && isfinite(ub))
                logr = INFINITY;
            else if (!isfinite(ub) || isnan(logr))
                logr = -INFINITY;
            double v = bb_rng_uniform(&c->swap_rng[l]);
            tried[k] += 1.0;
            if (logr >= 0.0 || log(v) < logr) {
                swap_slots(c, a, b);
                taken[k] += 1.0;
            }
        }
    }
}

static int eval(bb_oracle *o, chains *c, int on_proposals, int with_grad, bb_ctx *ctx) {
    double *x = on_proposals ? c->y : c->x, *u = on_proposals ? c->uy : c->u;
    double *g = on_proposals ? c->gy : c->g;
    return bb_oracle_eval(o, c->C, x, u, with_grad ? g : NULL, ctx);
}

/* The authors' step rule (sde_integration.py:437-441): one step for all chains, ×1.1 after a
 * move with acceptance above 0.55, ÷1.1 otherwise. */
#define REFINE_ACCEPT 0.55
#define REFINE_FACTOR 1.1

int bb_mcmc_refine(bb_oracle *o, size_t n, double lam, double *x, double *u, double *g, int moves, double *h,
                   uint64_t seed, uint64_t stream_base, int *moves_done, double *accept_mean, bb_ctx *ctx) {
    *moves_done = 0;
    *accept_mean = NAN;
    if (!(lam > 0.0) || !isfinite(lam) || !(*h > 0.0) || !isfinite(*h) || moves < 0)
        return BB_ERR(ctx, BB_EINVAL, "mcmc refine: temperature (%g) and step (%g) must be positive and finite", lam,
                      *h);
    const bb_task *t = bb_oracle_task(o);
    const size_t dof = (size_t)t->dof;
    size_t nv = 0;
    for (size_t r = 0; r < n; r++) nv += isfinite(u[r]) != 0;
    if (nv == 0 || moves == 0) return BB_OK;
    chains c;
    size_t *row = malloc(nv * sizeof *row);
    if (!row || chains_alloc(&c, nv, 1, dof)) {
        free(row);
        return BB_ERR(ctx, BB_ENOMEM, "mcmc refine: out of memory for %zu chains", nv);
    }
    bb_mcmc_config cfg = {.n_ladders = nv, .n_temps = 1, .move = BB_MCMC_MALA};
    cfg.temps[0] = lam;
    for (size_t r = 0, v = 0; r < n; r++) {
        if (!isfinite(u[r])) continue;
        row[v] = r;
        memcpy(c.x + v * dof, x + r * dof, dof * sizeof(double));
        memcpy(c.g + v * dof, g + r * dof, dof * sizeof(double));
        c.u[v] = u[r];
        bb_rng_init(&c.rng[v], seed, stream_base + r);
        v++;
    }
    int rc = BB_OK;
    double acc_sum = 0.0;
    for (int s = 0; s < moves && bb_oracle_remaining(o) >= (int64_t)nv; s++) {
        for (size_t i = 0; i < nv; i++) c.h[i] = *h;
        propose(&c, t, &cfg);
        rc = eval(o, &c, 1, 1, ctx);
        if (rc) break;
        accept(&c, &cfg);
        size_t taken = 0;
        for (size_t i = 0; i < nv; i++) taken += c.acc[i];
        const double rate = (double)taken / (double)nv;
        acc_sum += rate;
        *h = rate > REFINE_ACCEPT ? *h * REFINE_FACTOR : *h / REFINE_FACTOR;
        ++*moves_done;
    }
    for (size_t v = 0; v < nv; v++) {
        memcpy(x + row[v] * dof, c.x + v * dof, dof * sizeof(double));
        memcpy(g + row[v] * dof, c.g + v * dof, dof * sizeof(double));
        u[row[v]] = c.u[v];
    }
    if (*moves_done > 0) *accept_mean = acc_sum / (double)*moves_done;
    chains_free(&c);
    free(row);
    return rc;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over ladders of the step size at temperature k (for diagnostics). */
static double median_step(const chains *c, size_t k) {
    double *v = malloc(c->L * sizeof *v);
    if (!v) return NAN;
    for (size_t l = 0; l < c->L; l++) v[l] = c->h[l * c->K + k];
    qsort(v, c->L, sizeof *v, cmp_double);
    double m = v[c->L / 2];
    free(v);
    return m;
}

/* The engine's state between steps (methods/method.h): chains, plan, recorded samples. */
typedef struct mcmc_state {
    bb_mcmc_config cfg;
    bb_oracle *o;
    const bb_task *t;
    size_t n_samples;
    int with_grad;
    chains c;
    int64_t sweeps, burn, prod, thin; /* plan */
    size_t per_ladder;
    int64_t next; /* -1: initial evaluation pending; else the next sweep index */
    int64_t sweeps_done;
    double *rec;                      /* [L][per_ladder][dof] recorded λ = 1 states */
    size_t rec_first, rec_n;          /* all ladders record together: entries [rec_first, rec_first + rec_n) */
    double *acc_prod, *tried, *taken; /* [K] */
} mcmc_state;

void bb_mcmc_free(void *state) {
    mcmc_state *m = state;
    if (!m) return;
    chains_free(&m->c);
    free(m->rec);
    free(m->acc_prod);
    free(m->tried);
    free(m->taken);
    free(m);
}

int bb_mcmc_init(const bb_method_env *env, const bb_mcmc_config *cfg, void **state, bb_ctx *ctx) {
    *state = NULL;
    bb_oracle *o = env->oracle;
    const bb_task *t = bb_oracle_task(o);
    size_t L = cfg->n_ladders, K = cfg->n_temps, dof = (size_t)t->dof;
    if (L == 0 || K == 0 || K > 64) return BB_ERR(ctx, BB_EINVAL, "n_chains/n_temps: out of range");
    if (!(cfg->temps[0] > 0.0) || !isfinite(cfg->temps[0]))
        return BB_ERR(ctx, BB_EINVAL, "temperatures: the first must be positive and finite (got %g)", cfg->temps[0]);
    for (size_t k = 1; k < K; k++)
        if (!(cfg->temps[k] > cfg->temps[k - 1]))
            return BB_ERR(ctx, BB_EINVAL, "temperatures: must increase strictly (entry %zu)", k);
    size_t C = L * K;
    int64_t budget = bb_oracle_remaining(o);
    int64_t rounds = budget / (int64_t)C; /* < 2: no production sweep; draw returns the current states */
    mcmc_state *m = calloc(1, sizeof *m);
    if (!m) return BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory");
    m->cfg = *cfg;
    m->o = o;
    m->t = t;
    m->n_samples = env->n_samples;
    m->with_grad = cfg->move == BB_MCMC_MALA;
    m->sweeps = rounds > 1 ? rounds - 1 : 0;
    m->burn = (int64_t)floor(cfg->burnin_fraction * (double)m->sweeps);
    m->prod = m->sweeps - m->burn;
    m->per_ladder = (env->n_samples + L - 1) / L;
    m->thin = m->prod / (int64_t)m->per_ladder;
    if (m->thin < 1) m->thin = 1;
    m->next = -1;
    if (chains_alloc(&m->c, L, K, dof)) {
        free(m);
        return BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for %zu chains", C);
    }
    m->rec = malloc(L * m->per_ladder * dof * sizeof(double));
    m->acc_prod = calloc(K, sizeof(double));
    m->tried = calloc(K, sizeof(double));
    m->taken = calloc(K, sizeof(double));
    if (!m->rec || !m->acc_prod || !m->tried || !m->taken) {
        size_t n_rec = L * m->per_ladder;
        bb_mcmc_free(m);
        return BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for %zu recorded samples", n_rec);
    }
    chains *c = &m->c;
    for (size_t i = 0; i < C; i++) bb_rng_init(&c->rng[i], env->seed, i);
    for (size_t l = 0; l < L; l++) bb_rng_init(&c->swap_rng[l], env->seed, SWAP_STREAM_BASE + l);
    for (size_t i = 0; i < C; i++) c->h[i] = cfg->step_size * cfg->temps[i % K];
    for (size_t i = 0; i < C; i++) {
        if (cfg->init_scale > 0.0) {
            draw_noise(&c->rng[i], t, c->x + i * dof);
            for (size_t d = 0; d < dof; d++) c->x[i * dof + d] *= cfg->init_scale;
        } else {
            int rc = bb_task_initial(t, 1, &c->rng[i], c->x + i * dof, ctx);
            if (rc) {
                bb_mcmc_free(m);
                return rc;
            }
        }
    }
    *state = m;
    return BB_OK;
}

int bb_mcmc_step(void *state, bb_step_info *info, bb_ctx *ctx) {
    mcmc_state *m = state;
    chains *c = &m->c;
    const bb_mcmc_config *cfg = &m->cfg;
    if (m->next < 0) { /* the first step evaluates the initial states */
        int rc = eval(m->o, c, 0, m->with_grad, ctx);
        if (rc) return rc;
        m->next = 0;
        snprintf(info->status, sizeof info->status, "initial states evaluated");
        return BB_OK;
    }
    if (m->next >= m->sweeps) { /* finished (a resumed, completed run) */
        info->stop = BB_STOP_BUDGET;
        return BB_OK;
    }
    int64_t s = m->next;
    size_t C = c->C, K = c->K, L = c->L, dof = c->dof;
    propose(c, m->t, cfg);
    int rc = eval(m->o, c, 1, m->with_grad, ctx);
    if (rc) return rc; /* BB_EBUDGET: the driver ends the run; NaN: keep what was recorded */
    accept(c, cfg);
    m->sweeps_done++;
    if (s < m->burn) {
        /* per-chain Robbins–Monro on log h with a constant gain: a chain started in a
         * stiff region (overlapping particles) shrinks its own step until it moves */
        for (size_t i = 0; i < C; i++) c->h[i] *= exp(ADAPT_GAIN * ((double)c->acc[i] - cfg->target_accept));
    } else {
        for (size_t i = 0; i < C; i++) m->acc_prod[i % K] += c->acc[i];
        int64_t p = s - m->burn, from_end = m->prod - 1 - p;
        if (from_end % m->thin == 0 && from_end / m->thin < (int64_t)m->per_ladder) {
            size_t j = m->per_ladder - 1 - (size_t)(from_end / m->thin);
            if (m->rec_n == 0) m->rec_first = j;
            m->rec_n++;
            for (size_t l = 0; l < L; l++)
                memcpy(m->rec + (l * m->per_ladder + j) * dof, c->x + (l * K) * dof, dof * sizeof(double));
        }
    }
    if (K > 1 && cfg->swap_interval > 0 && (s + 1) % (int64_t)cfg->swap_interval == 0)
        swap_round(c, cfg, (size_t)((s + 1) / (int64_t)cfg->swap_interval), m->tried, m->taken);
    m->next = s + 1;
    snprintf(info->status, sizeof info->status, "sweep %lld/%lld%s", (long long)m->next, (long long)m->sweeps,
             s < m->burn ? " (burn-in)" : "");
    /* the planned sweeps spend the budget: what is left cannot pay for another sweep */
    if (m->next == m->sweeps) info->stop = BB_STOP_BUDGET;
    return BB_OK;
}

int bb_mcmc_snapshot(void *state, size_t k, bb_samples *out, bb_ctx *ctx) {
    (void)k;
    mcmc_state *m = state;
    chains *c = &m->c;
    if (bb_samples_alloc(out, c->L, c->dof, 0)) return BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for a snapshot");
    for (size_t l = 0; l < c->L; l++) memcpy(out->x + l * c->dof, c->x + (l * c->K) * c->dof, c->dof * sizeof(double));
    return BB_OK;
}

/* Output: ladder-major; a ladder stopped early keeps the entries it filled (the last ones).
 * When nothing was recorded (interrupted in burn-in, or a budget too small for production
 * sweeps) the current λ = 1 states are the samples: the method finishes with what it has. */
int bb_mcmc_draw(void *state, bb_samples *out, bb_ctx *ctx) {
    mcmc_state *m = state;
    size_t L = m->c.L, dof = m->c.dof;
    if (m->rec_n == 0) {
        int rc = bb_mcmc_snapshot(state, 0, out, ctx);
        if (rc == BB_OK && out->n > m->n_samples) bb_samples_truncate(out, m->n_samples);
        return rc;
    }
    size_t total = L * m->rec_n;
    if (total > m->n_samples) total = m->n_samples;
    if (bb_samples_alloc(out, total, dof, 0))
        return BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for %zu samples", total);
    size_t w = 0;
    for (size_t l = 0; l < L && w < total; l++)
        for (size_t j = m->rec_first; j < m->rec_first + m->rec_n && w < total; j++, w++)
            memcpy(out->x + w * dof, m->rec + (l * m->per_ladder + j) * dof, dof * sizeof(double));
    return BB_OK;
}

void bb_mcmc_describe(const void *state, cJSON *info) {
    const mcmc_state *m = state;
    const chains *c = &m->c;
    size_t K = c->K, L = c->L;
    cJSON_AddNumberToObject(info, "chains", (double)c->C);
    cJSON_AddNumberToObject(info, "sweeps", (double)m->sweeps_done);
    cJSON_AddNumberToObject(info, "burnin_sweeps", (double)m->burn);
    cJSON_AddNumberToObject(info, "thin", (double)m->thin);
    cJSON *ts = cJSON_AddArrayToObject(info, "temperatures");
    cJSON *hs = cJSON_AddArrayToObject(info, "step_sizes_median");
    cJSON *ar = cJSON_AddArrayToObject(info, "acceptance");
    int64_t prod_done = m->sweeps_done - m->burn;
    for (size_t k = 0; k < K; k++) {
        cJSON_AddItemToArray(ts, cJSON_CreateNumber(m->cfg.temps[k]));
        cJSON_AddItemToArray(hs, cJSON_CreateNumber(median_step(c, k)));
        cJSON_AddItemToArray(
            ar, cJSON_CreateNumber(prod_done > 0 ? m->acc_prod[k] / ((double)prod_done * (double)L) : 0.0));
    }
    if (K > 1) {
        cJSON *sw = cJSON_AddArrayToObject(info, "swap_acceptance");
        for (size_t k = 0; k + 1 < K; k++)
            cJSON_AddItemToArray(sw, cJSON_CreateNumber(m->tried[k] > 0 ? m->taken[k] / m->tried[k] : 0.0));
    }
}

/* State: plan shape, progress, chains (states, energies, gradients, steps, RNGs), recorded
 * samples and statistics. Proposals are scratch and are not saved. */
static void shape_of(const mcmc_state *m, uint64_t sh[6]) {
    sh[0] = m->c.L;
    sh[1] = m->c.K;
    sh[2] = m->c.dof;
    sh[3] = m->per_ladder;
    sh[4] = (uint64_t)m->sweeps;
    sh[5] = (uint64_t)m->thin;
}

int bb_mcmc_save(const void *state, FILE *fp, bb_ctx *ctx) {
    const mcmc_state *m = state;
    const chains *c = &m->c;
    size_t C = c->C, L = c->L, K = c->K, dof = c->dof;
    uint64_t sh[6];
    shape_of(m, sh);
    int64_t prog[2] = {m->next, m->sweeps_done};
    uint64_t rec[2] = {m->rec_first, m->rec_n};
    int ok = bb_state_put_shape(fp, sh, 6) && bb_state_put(fp, prog, sizeof prog, 1) &&
             bb_state_put(fp, rec, sizeof rec, 1) && bb_state_put(fp, c->x, sizeof(double), C * dof) &&
             bb_state_put(fp, c->u, sizeof(double), C) && bb_state_put(fp, c->g, sizeof(double), C * dof) &&
             bb_state_put(fp, c->h, sizeof(double), C) && bb_state_put(fp, c->acc, 1, C) &&
             bb_state_put(fp, c->rng, sizeof(bb_rng), C) && bb_state_put(fp, c->swap_rng, sizeof(bb_rng), L) &&
             bb_state_put(fp, m->rec, sizeof(double), L * m->per_ladder * dof) &&
             bb_state_put(fp, m->acc_prod, sizeof(double), K) && bb_state_put(fp, m->tried, sizeof(double), K) &&
             bb_state_put(fp, m->taken, sizeof(double), K);
    return ok ? BB_OK : BB_ERR(ctx, BB_EIO, "mcmc: cannot write the chain state");
}

int bb_mcmc_load(void *state, FILE *fp, bb_ctx *ctx) {
    mcmc_state *m = state;
    chains *c = &m->c;
    size_t C = c->C, L = c->L, K = c->K, dof = c->dof;
    uint64_t sh[6];
    shape_of(m, sh);
    if (!bb_state_check_shape(fp, sh, 6))
        return BB_ERR(ctx, BB_EFORMAT, "mcmc: the saved chains have another shape (chains, temperatures, plan)");
    int64_t prog[2];
    uint64_t rec[2];
    int ok = bb_state_get(fp, prog, sizeof prog, 1) && bb_state_get(fp, rec, sizeof rec, 1) &&
             bb_state_get(fp, c->x, sizeof(double), C * dof) && bb_state_get(fp, c->u, sizeof(double), C) &&
             bb_state_get(fp, c->g, sizeof(double), C * dof) && bb_state_get(fp, c->h, sizeof(double), C) &&
             bb_state_get(fp, c->acc, 1, C) && bb_state_get(fp, c->rng, sizeof(bb_rng), C) &&
             bb_state_get(fp, c->swap_rng, sizeof(bb_rng), L) &&
             bb_state_get(fp, m->rec, sizeof(double), L * m->per_ladder * dof) &&
             bb_state_get(fp, m->acc_prod, sizeof(double), K) && bb_state_get(fp, m->tried, sizeof(double), K) &&
             bb_state_get(fp, m->taken, sizeof(double), K);
    if (!ok) return BB_ERR(ctx, BB_EFORMAT, "mcmc: truncated chain state");
    if (prog[0] < -1 || prog[0] > m->sweeps || prog[1] < 0 || prog[1] > m->sweeps || rec[0] + rec[1] > m->per_ladder)
        return BB_ERR(ctx, BB_EFORMAT, "mcmc: corrupt progress in the chain state");
    m->next = prog[0];
    m->sweeps_done = prog[1];
    m->rec_first = (size_t)rec[0];
    m->rec_n = (size_t)rec[1];
    return BB_OK;
}
