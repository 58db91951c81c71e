/* engine.c — MALA / random-walk chains on a temperature ladder with replica exchange.
 * The algorithm, budget plan and RNG streams are described in engine.h. */
#include "methods/mcmc/engine.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"

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

static const bb_samples *gather_cold(chains *c, bb_samples *view) {
    for (size_t l = 0; l < c->L; l++)
        memcpy(c->gather + l * c->dof, c->x + (l * c->K) * c->dof, c->dof * sizeof(double));
    view->n = c->L;
    view->dof = c->dof;
    view->x = c->gather;
    view->logw = NULL;
    return view;
}

int bb_mcmc_run(bb_run_env *env, const bb_mcmc_config *cfg, bb_samples *out) {
    bb_ctx *ctx = env->ctx;
    bb_oracle *o = env->oracle;
    const bb_task *t = bb_oracle_task(o);
    size_t L = cfg->n_ladders, K = cfg->n_temps, dof = (size_t)t->dof;
    int with_grad = cfg->move == BB_MCMC_MALA;
    if (L == 0 || K == 0 || K > 64) return BB_ERR(ctx, BB_EINVAL, "n_chains/n_temps: out of range");
    if (cfg->temps[0] != 1.0)
        return BB_ERR(ctx, BB_EINVAL, "temperatures: the first must be 1 (got %g)", cfg->temps[0]);
    for (size_t k = 1; k < K; k++)
        if (!(cfg->temps[k] > cfg->temps[k - 1]))
            return BB_ERR(ctx, BB_EINVAL, "temperatures: must increase strictly (entry %zu)", k);
    size_t C = L * K;
    int64_t budget = bb_oracle_remaining(o);
    int64_t rounds = budget / (int64_t)C;
    if (rounds < 2)
        return BB_ERR(ctx, BB_EINVAL,
                      "budget: %lld evaluations cannot pay for two sweeps of %zu chains (raise --budget or lower "
                      "n_chains/n_temps)",
                      (long long)budget, C);
    int64_t sweeps = rounds - 1;
    int64_t burn = (int64_t)floor(cfg->burnin_fraction * (double)sweeps);
    int64_t prod = sweeps - burn;
    size_t per_ladder = (env->n_samples + L - 1) / L;
    int64_t thin = prod / (int64_t)per_ladder;
    if (thin < 1) thin = 1;

    chains c;
    if (chains_alloc(&c, L, K, dof)) return BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for %zu chains", C);
    double *rec = malloc(L * per_ladder * dof * sizeof(double));
    size_t rec_first = 0, rec_n = 0; /* all ladders record together: entries [rec_first, rec_first + rec_n) */
    double *acc_prod = calloc(K, sizeof(double)), *tried = calloc(K, sizeof(double)),
           *taken = calloc(K, sizeof(double));
    int rc = BB_OK;
    int64_t sweeps_done = 0;
    if (!rec || !acc_prod || !tried || !taken) {
        rc = BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for %zu recorded samples", L * per_ladder);
        goto out;
    }
    for (size_t i = 0; i < C; i++) bb_rng_init(&c.rng[i], env->seed, i);
    for (size_t l = 0; l < L; l++) bb_rng_init(&c.swap_rng[l], env->seed, SWAP_STREAM_BASE + l);
    for (size_t i = 0; i < C; i++) c.h[i] = cfg->step_size * cfg->temps[i % K];
    for (size_t i = 0; i < C && rc == BB_OK; i++) {
        if (cfg->init_scale > 0.0) {
            draw_noise(&c.rng[i], t, c.x + i * dof);
            for (size_t d = 0; d < dof; d++) c.x[i * dof + d] *= cfg->init_scale;
        } else {
            rc = bb_task_initial(t, 1, &c.rng[i], c.x + i * dof, ctx);
        }
    }
    if (rc) goto out;
    rc = eval(o, &c, 0, with_grad, ctx);
    if (rc) goto out;

    bb_samples view;
    for (int64_t s = 0; s < sweeps; s++) {
        if (bb_oracle_checkpoint_due(o)) {
            rc = bb_oracle_checkpoint(o, gather_cold(&c, &view), ctx);
            if (rc) break;
        }
        propose(&c, t, cfg);
        rc = eval(o, &c, 1, with_grad, ctx);
        if (rc == BB_EBUDGET) {
            rc = BB_OK;
            bb_ctx_clear(ctx);
            break;
        }
        if (rc) break; /* e.g. NaN energy: keep what was recorded, report the error */
        accept(&c, cfg);
        sweeps_done++;
        if (s < burn) {
            /* per-chain Robbins–Monro on log h with a constant gain: a chain started in a
             * stiff region (overlapping particles) shrinks its own step until it moves */
            for (size_t i = 0; i < C; i++) c.h[i] *= exp(ADAPT_GAIN * ((double)c.acc[i] - cfg->target_accept));
        } else {
            for (size_t i = 0; i < C; i++) acc_prod[i % K] += c.acc[i];
            int64_t p = s - burn, from_end = prod - 1 - p;
            if (from_end % thin == 0 && from_end / thin < (int64_t)per_ladder) {
                size_t j = per_ladder - 1 - (size_t)(from_end / thin);
                if (rec_n == 0) rec_first = j;
                rec_n++;
                for (size_t l = 0; l < L; l++)
                    memcpy(rec + (l * per_ladder + j) * dof, c.x + (l * K) * dof, dof * sizeof(double));
            }
        }
        if (K > 1 && cfg->swap_interval > 0 && (s + 1) % (int64_t)cfg->swap_interval == 0)
            swap_round(&c, cfg, (size_t)((s + 1) / (int64_t)cfg->swap_interval), tried, taken);
        if (env->progress && (s % 64 == 0 || s + 1 == sweeps))
            fprintf(env->progress, "\r  sweep %lld/%lld  evaluations %lld/%lld", (long long)s + 1, (long long)sweeps,
                    (long long)bb_oracle_used(o), (long long)bb_oracle_limit(o));
    }
    if (env->progress) fputc('\n', env->progress);

    /* Output: ladder-major; a ladder stopped early keeps the entries it filled (the last ones).
     * Also on error (rc != BB_OK), so the harness can score and keep what was computed. */
    int run_rc = rc;
    size_t total = L * rec_n;
    if (total > env->n_samples) total = env->n_samples;
    if (bb_samples_alloc(out, total, dof, 0)) {
        rc = BB_ERR(ctx, BB_ENOMEM, "mcmc: out of memory for %zu samples", total);
        goto out;
    }
    rc = run_rc;
    size_t w = 0;
    for (size_t l = 0; l < L && w < total; l++)
        for (size_t j = rec_first; j < rec_first + rec_n && w < total; j++, w++)
            memcpy(out->x + w * dof, rec + (l * per_ladder + j) * dof, dof * sizeof(double));

    if (env->info) {
        cJSON *info = env->info;
        cJSON_AddNumberToObject(info, "chains", (double)C);
        cJSON_AddNumberToObject(info, "sweeps", (double)sweeps_done);
        cJSON_AddNumberToObject(info, "burnin_sweeps", (double)burn);
        cJSON_AddNumberToObject(info, "thin", (double)thin);
        cJSON *ts = cJSON_AddArrayToObject(info, "temperatures");
        cJSON *hs = cJSON_AddArrayToObject(info, "step_sizes_median");
        cJSON *ar = cJSON_AddArrayToObject(info, "acceptance");
        int64_t prod_done = sweeps_done - burn;
        for (size_t k = 0; k < K; k++) {
            cJSON_AddItemToArray(ts, cJSON_CreateNumber(cfg->temps[k]));
            cJSON_AddItemToArray(hs, cJSON_CreateNumber(median_step(&c, k)));
            cJSON_AddItemToArray(
                ar, cJSON_CreateNumber(prod_done > 0 ? acc_prod[k] / ((double)prod_done * (double)L) : 0.0));
        }
        if (K > 1) {
            cJSON *sw = cJSON_AddArrayToObject(info, "swap_acceptance");
            for (size_t k = 0; k + 1 < K; k++)
                cJSON_AddItemToArray(sw, cJSON_CreateNumber(tried[k] > 0 ? taken[k] / tried[k] : 0.0));
        }
    }
out:
    free(rec);
    free(acc_prod);
    free(tried);
    free(taken);
    chains_free(&c);
    return rc;
}
