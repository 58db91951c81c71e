/* anneal.c — PITA's inference-time annealing from level k to the next temperature
 * (sde_integration.py:96-210 and sdes.py:130-232 of the authors' code): the tempered reverse
 * SDE driven by both networks (their EMA weights), Feynman–Kac log-weights with the rate
 * clipped per chunk at a quantile, systematic SMC resampling on the first end_resampling
 * steps, then the correction to the true next-level density with the task's energies
 * (through the oracle) and one last resampling. One call of pita_anneal_step is one SDE
 * step of the whole population, so an annealing is a run of driver steps and resumes
 * exactly (its randomness is (seed, stream + step)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/common/stateio.h"
#include "methods/common/weights.h"
#include "methods/mcmc/engine.h"
#include "methods/pita/pita.h"

static size_t dof_of(const pita_config *c) { return (size_t)c->net.sp.P * (size_t)c->net.sp.D; }

void pita_anneal_free(pita_anneal *a) {
    if (!a) return;
    BB_FREE_ALL(a->x, a->logw, a->u, a->gu);
    memset(a, 0, sizeof *a);
}

static int anneal_alloc(pita_anneal *a, size_t dof, bb_ctx *ctx) {
    a->x = malloc(a->n * dof * sizeof(double));
    a->logw = calloc(a->n, sizeof(double));
    a->u = calloc(a->n, sizeof(double));
    if (!a->x || !a->logw || !a->u) {
        pita_anneal_free(a);
        return BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate an annealing of %zu samples", a->n);
    }
    return BB_OK;
}

int pita_anneal_begin(pita_anneal *a, const pita_model *m, size_t n, int from, double tau_to, uint64_t seed,
                      uint64_t stream, bb_ctx *ctx) {
    const pita_config *c = &m->cfg;
    const size_t dof = dof_of(c);
    memset(a, 0, sizeof *a);
    *a = (pita_anneal){.n = n,
                       .from = from,
                       .tau_to = tau_to,
                       .gamma = c->tau[from] / tau_to,
                       .seed = seed,
                       .stream = stream,
                       .ess_end = NAN,
                       .log_z = NAN,
                       .mcmc_accept = NAN,
                       .mcmc_dt = NAN};
    int rc = anneal_alloc(a, dof, ctx);
    if (rc) return rc;
    /* the annealed prior exp(−γ |x|²/(2σ²(1))) (energytemp_module.py:252) */
    bb_rng rng;
    bb_rng_init(&rng, seed, stream);
    bb_sde_noise(&c->net.sp, n, &rng, a->x);
    const double sd = sqrt(bb_edm_var(&m->sch, 1.0) / a->gamma);
    for (size_t k = 0; k < n * dof; k++) a->x[k] *= sd;
    return BB_OK;
}

int pita_anneal_step(pita_anneal *a, pita_model *m, bb_ctx *ctx) {
    const pita_config *c = &m->cfg;
    const size_t dof = dof_of(c), n = a->n, ch = (size_t)c->chunk;
    if (a->step >= c->sde_steps) return BB_OK;
    const double dt = 1.0 / c->sde_steps, t = 1.0 - a->step * dt, g2 = bb_edm_g2(&m->sch, t);
    const double beta = c->beta[a->from];
    const int weigh = a->step < c->end_resampling; /* authors: no weights after end_resampling_step */
    bb_rng rng;
    bb_rng_init(&rng, a->seed, a->stream + 1 + (uint64_t)a->step);
    double *buf = malloc((2 * ch * dof + 3 * ch) * sizeof(double));
    size_t *idx = malloc(n * sizeof(size_t));
    double *xs = malloc(n * dof * sizeof(double));
    if (!buf || !idx || !xs) {
        BB_FREE_ALL(buf, idx, xs);
        return BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate annealing scratch");
    }
    double *se = buf, *ss = se + ch * dof, *div = ss + ch * dof, *dudt = div + ch, *old = dudt + ch;
    int rc = BB_OK;
    bb_nn_ema_swap(&m->ema, &m->ps); /* sample with the EMA weights */
    for (size_t r0 = 0; r0 < n && !rc; r0 += ch) {
        const size_t nc = n - r0 < ch ? n - r0 : ch;
        double *xc = a->x + r0 * dof, *lw = a->logw + r0;
        rc = pita_fields(m, nc, xc, t, beta, &rng, se, ss, div, dudt, ctx);
        if (rc) break;
        memcpy(old, lw, nc * sizeof *old);
        bb_sde_anneal_step(&c->net.sp, nc, g2, dt, a->gamma, se, ss, div, dudt, &rng, xc, lw);
        for (size_t r = 0; r < nc; r++) lw[r] = weigh ? lw[r] - old[r] : 0.0; /* the rate */
        if (weigh && c->clip_q < 1.0) rc = bb_clip_quantile(lw, nc, c->clip_q, ctx);
        for (size_t r = 0; r < nc; r++) lw[r] += old[r];
    }
    bb_nn_ema_swap(&m->ema, &m->ps);
    if (!rc && weigh) {
        int resampled = 0;
        rc = bb_smc_resample(a->logw, n, c->resample_ess, &rng, idx, &resampled, ctx);
        if (!rc && resampled) {
            bb_rows_gather(a->x, dof, idx, n, xs);
            memcpy(a->x, xs, n * dof * sizeof(double));
            a->resamplings++;
        }
    }
    BB_FREE_ALL(buf, idx, xs);
    if (!rc) a->step++;
    return rc;
}

int pita_anneal_end(pita_anneal *a, pita_model *m, bb_oracle *o, bb_ctx *ctx) {
    const pita_config *c = &m->cfg;
    const size_t dof = dof_of(c), n = a->n;
    double ess;
    bb_logw_summary(a->logw, n, &a->log_z, &ess);
    if (!o) return BB_OK;
    double *lw = malloc(n * sizeof(double) + n * dof * sizeof(double) + n * sizeof(size_t));
    if (!lw) return BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate the correction weights");
    double *xs = lw + n;
    size_t *idx = (size_t *)(xs + n * dof);
    for (size_t k = 0; k < n * dof; k++) xs[k] = c->data_scale * a->x[k];
    int rc = BB_OK;
    if ((c->w_target > 0 || c->post_steps > 0) && !(a->gu = malloc(n * dof * sizeof(double))))
        rc = BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate the annealed samples' gradients");
    if (!rc) rc = bb_oracle_eval(o, n, xs, a->u, a->gu, ctx);
    if (rc) {
        free(lw);
        return rc;
    }
    /* correction to π_to ∝ exp(−u/τ_to): the particles follow (approximately) exp(−γ U_θ(·, σmin))
     * at the end of the integration (the authors evaluate U_θ at the time of end_resampling_step;
     * README: deviations) */
    bb_nn_ema_swap(&m->ema, &m->ps);
    for (size_t r0 = 0; r0 < n && !rc; r0 += (size_t)c->chunk) {
        const size_t nc = n - r0 < (size_t)c->chunk ? n - r0 : (size_t)c->chunk;
        rc = pita_model_energy(m, nc, a->x + r0 * dof, c->net.sigma_min, c->beta[a->from], lw + r0, ctx);
    }
    bb_nn_ema_swap(&m->ema, &m->ps);
    for (size_t r = 0; r < n && !rc; r++)
        lw[r] = isfinite(a->u[r]) ? -a->u[r] / a->tau_to + a->gamma * lw[r] : -INFINITY;
    if (!rc && c->clip_q < 1.0) rc = bb_clip_quantile(lw, n, c->clip_q, ctx);
    double lz;
    if (!rc) bb_logw_summary(lw, n, &lz, &a->ess_end);
    bb_rng rng;
    bb_rng_init(&rng, a->seed, a->stream + 1 + (uint64_t)c->sde_steps);
    if (!rc && !(lz > -INFINITY)) { /* the task rejected every particle (u = +inf): no weight to resample */
        a->ess_end = 0.0;           /* by; they stay as they are and the caller finds no finite energy */
        for (size_t r = 0; r < n; r++) idx[r] = r;
    } else if (!rc)
        rc = bb_resample_systematic(lw, n, bb_rng_uniform(&rng), idx, ctx);
    if (!rc) {
        bb_rows_gather(a->x, dof, idx, n, xs);
        memcpy(a->x, xs, n * dof * sizeof(double));
        for (size_t r = 0; r < n; r++) lw[r] = a->u[idx[r]];
        memcpy(a->u, lw, n * sizeof(double));
        if (a->gu) {
            bb_rows_gather(a->gu, dof, idx, n, xs);
            memcpy(a->gu, xs, n * dof * sizeof(double));
        }
        memset(a->logw, 0, n * sizeof(double));
    }
    if (!rc && c->post_steps > 0) { /* sde_integration.py:194-210: MALA on the target, in x units */
        for (size_t k = 0; k < n * dof; k++) xs[k] = c->data_scale * a->x[k];
        /* dt is in y (the authors' normalised coordinates: their energy function unnormalises,
         * alp_energy.py:136); the engine's move in x is x' = x − h∇u/τ + √(2h) ξ, h = s² dt/2 */
        const double s2 = c->data_scale * c->data_scale;
        double h = 0.5 * s2 * c->post_dt;
        rc = bb_mcmc_refine(o, n, a->tau_to, xs, a->u, a->gu, c->post_steps, &h, a->seed,
                            (a->stream + (uint64_t)c->sde_steps + 2) << 32, &a->mcmc_moves, &a->mcmc_accept, ctx);
        a->mcmc_dt = 2.0 * h / s2;
        if (!rc && a->mcmc_moves > 0)
            for (size_t k = 0; k < n * dof; k++) a->x[k] = xs[k] / c->data_scale;
    }
    free(lw);
    return rc;
}

int pita_anneal_write(FILE *fp, const pita_anneal *a, size_t dof, bb_ctx *ctx) {
    const uint64_t hdr[4] = {a->n, (uint64_t)a->from, (uint64_t)a->step, (uint64_t)a->resamplings};
    const double dv[4] = {a->tau_to, a->gamma, a->ess_end, a->log_z};
    const uint64_t sv[2] = {a->seed, a->stream};
    if (!bb_state_put(fp, hdr, sizeof hdr, 1) || !bb_state_put(fp, dv, sizeof dv, 1) ||
        !bb_state_put(fp, sv, sizeof sv, 1) || !bb_state_put(fp, a->x, sizeof(double), a->n * dof) ||
        !bb_state_put(fp, a->logw, sizeof(double), a->n) || !bb_state_put(fp, a->u, sizeof(double), a->n))
        return BB_ERR(ctx, BB_EIO, "pita: cannot write the annealing state");
    return BB_OK;
}

int pita_anneal_read(FILE *fp, pita_anneal *a, size_t dof, bb_ctx *ctx) {
    uint64_t hdr[4], sv[2];
    double dv[4];
    memset(a, 0, sizeof *a);
    if (!bb_state_get(fp, hdr, sizeof hdr, 1) || !bb_state_get(fp, dv, sizeof dv, 1) ||
        !bb_state_get(fp, sv, sizeof sv, 1) || hdr[0] == 0 || hdr[0] > ((uint64_t)1 << 32) ||
        hdr[1] >= PITA_MAX_LEVELS || hdr[2] > ((uint64_t)1 << 31))
        return BB_ERR(ctx, BB_EFORMAT, "pita state: corrupt annealing record");
    *a = (pita_anneal){.n = (size_t)hdr[0],
                       .from = (int)hdr[1],
                       .step = (int)hdr[2],
                       .resamplings = (int64_t)hdr[3],
                       .tau_to = dv[0],
                       .gamma = dv[1],
                       .ess_end = dv[2],
                       .log_z = dv[3],
                       .seed = sv[0],
                       .stream = sv[1]};
    int rc = anneal_alloc(a, dof, ctx);
    if (rc) return rc;
    if (!bb_state_get(fp, a->x, sizeof(double), a->n * dof) || !bb_state_get(fp, a->logw, sizeof(double), a->n) ||
        !bb_state_get(fp, a->u, sizeof(double), a->n)) {
        pita_anneal_free(a);
        return BB_ERR(ctx, BB_EFORMAT, "pita state: truncated annealing record");
    }
    return BB_OK;
}
