/* model.c — the Adjoint Sampling controller: network construction (EGNN for particle
 * systems, MLP with a sinusoidal time embedding otherwise), inference of s(x, t), and
 * simulation of the controlled SDE dX = σ_t² s dt + σ_t dB from X_0 = 0 with the
 * Girsanov part of the path-space importance weight. Training is in train.c, the
 * outer loop in adjoint_sampling.c. Costs no energy evaluations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/adjoint_sampling/as.h"
#include "methods/common/clip.h"
#include "tasks/task.h"

static size_t dof_of(const as_config *c) { return (size_t)c->net.sp.P * (size_t)c->net.sp.D; }

int as_model_init(as_model *m, const as_config *cfg, uint64_t seed, bb_ctx *ctx) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const bb_scorenet_config *nc = &cfg->net;
    const size_t dof = dof_of(cfg);
    int rc = bb_sde_schedule_geometric(&m->sch, nc->sigma_min, nc->sigma_max, ctx);
    if (rc) return rc;
    m->h21 = bb_sde_h2(&m->sch, 1.0);
    /* an MLP's output layer starts at zero: the untrained controller is the base process
     * (u = 0), as the EGNN's near-zero coordinate head gives; a random O(1) output times σ_t²
     * would throw the first trajectories far out for large σmax */
    const size_t rows = (size_t)(cfg->batch > cfg->train_batch ? cfg->batch : cfg->train_batch);
    rc = bb_scorenet_init(&m->net, nc, BB_SCORENET_VECTOR_ZERO, rows, seed, "adjoint_sampling", ctx);
    if (!rc && nc->use_egnn) rc = bb_nn_egnn_graph_init(&m->eg_sim, cfg->batch, nc->sp.P, ctx);
    if (!rc && nc->use_egnn) rc = bb_nn_egnn_graph_init(&m->eg_train, cfg->train_batch, nc->sp.P, ctx);
    if (!rc && !(m->rows = calloc((size_t)cfg->train_batch * 2 * dof, sizeof(double))))
        rc = BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate %d buffer rows", cfg->train_batch);
    if (rc) as_model_free(m);
    return rc;
}

void as_model_free(as_model *m) {
    if (!m) return;
    bb_scorenet_free(&m->net);
    bb_nn_egnn_graph *const graphs[] = {&m->eg_sim, &m->eg_train, &m->eg_tail};
    for (size_t k = 0; k < sizeof graphs / sizeof *graphs; k++) bb_nn_egnn_graph_free(graphs[k]);
    free(m->rows);
    memset(m, 0, sizeof *m);
}

/* Forward s(x, t) on B rows already in tensors x [B, dof] and t [B, 1]. */
static bb_nn_tensor *as_fwd(as_model *m, const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *t) {
    bb_nn_graph *g = m->net.g;
    if (m->cfg.net.use_egnn)
        return bb_nn_scale(g, bb_nn_egnn_fwd(g, &m->net.ps, &m->net.egnn, eg, x, t), m->cfg.out_scale, 0.0);
    /* MLP: positions in units of the base scale, time as in the EGNN (1000 t) */
    bb_nn_tensor *xs = bb_nn_scale(g, x, 1.0 / m->cfg.net.sigma_max, 0.0);
    bb_nn_tensor *te = bb_nn_time_embed_sin(g, bb_nn_scale(g, t, 1000.0, 0.0), m->cfg.net.t_dim, 10000.0);
    return bb_nn_scale(g, bb_nn_mlp_fwd(g, &m->net.ps, &m->net.mlp, bb_nn_concat_cols(g, xs, te)), m->cfg.out_scale,
                       0.0);
}

/* Exposed to train.c through this translation unit only via as_train_step; keep the
 * forward in one place. */
bb_nn_tensor *as_forward_rows(as_model *m, int train, int64_t B, const double *x, const double *t);
bb_nn_tensor *as_forward_rows(as_model *m, int train, int64_t B, const double *x, const double *t) {
    const int64_t dof = (int64_t)dof_of(&m->cfg);
    const bb_nn_dtype dt = m->cfg.net.f64 ? BB_NN_F64 : BB_NN_F32;
    bb_nn_tensor *xt = bb_nn_from(m->net.g, dt, 2, (const int64_t[]){B, dof}, x);
    bb_nn_tensor *tt = bb_nn_from(m->net.g, dt, 2, (const int64_t[]){B, 1}, t);
    return as_fwd(m, train ? &m->eg_train : B == m->cfg.batch ? &m->eg_sim : &m->eg_tail, xt, tt);
}

int as_model_score(as_model *m, size_t n, const double *x, double t, double *s, bb_ctx *ctx) {
    const size_t dof = dof_of(&m->cfg);
    if (n == 0 || n > (size_t)m->cfg.batch)
        return BB_ERR(ctx, BB_EINTERNAL, "adjoint_sampling: %zu rows, the batch is %d", n, m->cfg.batch);
    /* A chunk of at most a quarter of a batch runs on its own edge graph of n configurations
     * (a draw of 10 samples costs 10 rows, not 512); a longer one is padded with zero rows to
     * the batch (outputs discarded; at most 4x its cost). Padding keeps the bits of runs made
     * before this shortcut (tests/methods/test_driver_port.c): OpenBLAS's small-matrix
     * kernels sum in another order when the row count changes. */
    const size_t B = 4 * n <= (size_t)m->cfg.batch ? n : (size_t)m->cfg.batch;
    if (m->cfg.net.use_egnn && B < (size_t)m->cfg.batch && m->eg_tail.B != (int64_t)B) {
        bb_nn_egnn_graph_free(&m->eg_tail);
        int rc = bb_nn_egnn_graph_init(&m->eg_tail, (int64_t)B, m->cfg.net.sp.P, ctx);
        if (rc) return rc;
    }
    if (x != m->net.xbuf) memcpy(m->net.xbuf, x, n * dof * sizeof(double));
    memset(m->net.xbuf + n * dof, 0, (B - n) * dof * sizeof(double));
    for (size_t r = 0; r < B; r++) m->net.tbuf[r] = t;
    bb_nn_graph_reset(m->net.g);
    bb_nn_graph_set_grad(m->net.g, 0);
    bb_nn_tensor *out = as_forward_rows(m, 0, (int64_t)B, m->net.xbuf, m->net.tbuf);
    int rc = bb_nn_graph_status(m->net.g, ctx);
    if (rc) return rc;
    bb_nn_to_double(out, m->net.sbuf);
    memcpy(s, m->net.sbuf, n * dof * sizeof(double));
    for (size_t k = 0; k < n * dof; k++)
        if (!isfinite(s[k]))
            return BB_ERR(ctx, BB_ENAN, "adjoint_sampling: controller output is not finite at t = %g", t);
    return BB_OK;
}

int as_simulate(as_model *m, size_t n, bb_rng *rng, double *x1, double *lw, bb_ctx *ctx) {
    const as_config *c = &m->cfg;
    const size_t dof = dof_of(c), B = (size_t)c->batch;
    const double dt = 1.0 / c->n_steps;
    double *s = malloc(B * dof * sizeof(double)), *z = malloc(B * dof * sizeof(double));
    double *xc = malloc(B * dof * sizeof(double));
    int rc = BB_OK;
    if (!s || !z || !xc) {
        rc = BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot allocate simulation scratch");
        goto out;
    }
    for (size_t r0 = 0; r0 < n; r0 += B) {
        const size_t nc = n - r0 < B ? n - r0 : B;
        memset(xc, 0, nc * dof * sizeof(double));
        if (lw) memset(lw + r0, 0, nc * sizeof(double));
        for (int k = 0; k < c->n_steps; k++) {
            const double t = k * dt, g = bb_sde_g(&m->sch, t);
            const double sk = bb_sde_step_std(&m->sch, t, dt);
            rc = as_model_score(m, nc, xc, t, s, ctx);
            if (rc) goto out;
            /* s regresses clipped targets, so its exact minimiser has per-particle norm
             * <= max_score_norm: projecting onto that ball can only reduce the error, and
             * it keeps an early, poorly fitted network from blowing up the stiff drift
             * g(t)² s at small t */
            const int P = c->net.sp.P, D = c->net.sp.D;
            for (size_t q = 0; q < nc * (size_t)P; q++) {
                double f = 1.0;
                if (!c->clip_energy) { /* targets were clipped as a whole: project onto their ball */
                    double nn = 0.0;
                    for (int d = 0; d < D; d++) nn += s[q * D + d] * s[q * D + d];
                    nn = sqrt(nn);
                    f = nn > c->max_score_norm ? c->max_score_norm / nn : 1.0;
                }
                for (int d = 0; d < D; d++) s[q * D + d] *= f * g * g; /* drift b = σ_t² s */
            }
            bb_sde_em_step(&m->sch, &c->net.sp, nc, t, dt, s, rng, xc, lw ? z : NULL);
            if (lw) {
                /* ũ = b dt / σ_k; log dP^u/dP^base += ½|ũ|² + ũ·z over the step */
                const double f = dt / sk;
                for (size_t r = 0; r < nc; r++) {
                    double a = 0.0;
                    for (size_t q = 0; q < dof; q++) {
                        double u = s[r * dof + q] * f;
                        a += 0.5 * u * u + u * z[r * dof + q];
                    }
                    lw[r0 + r] -= a;
                }
            }
        }
        memcpy(x1 + r0 * dof, xc, nc * dof * sizeof(double));
    }
out:
    free(s);
    free(z);
    free(xc);
    return rc;
}

double as_log_pbase(const as_model *m, const double *x) {
    const size_t dof = dof_of(&m->cfg);
    const int d = bb_sde_space_dim(&m->cfg.net.sp);
    double q = 0.0;
    for (size_t k = 0; k < dof; k++) q += x[k] * x[k];
    return -0.5 * q / m->h21 - 0.5 * d * log(2.0 * M_PI * m->h21);
}

void as_make_row(const as_model *m, const double *x1, const double *grad, double *row) {
    const as_config *c = &m->cfg;
    const int P = c->net.sp.P, D = c->net.sp.D;
    const size_t dof = dof_of(c);
    double *tg = row + dof;
    memcpy(row, x1, dof * sizeof(double));
    if (c->clip_energy) {
        memcpy(tg, grad, dof * sizeof(double));
        bb_clip_norms(tg, (size_t)P, D, c->max_score_norm);
        if (c->net.sp.com_free) bb_remove_com(1, P, D, tg);
        for (size_t k = 0; k < dof; k++) tg[k] = -(tg[k] - x1[k] / m->h21); /* ∇g = ∇u + ∇ log p_1^base */
        return;
    }
    for (size_t k = 0; k < dof; k++) tg[k] = grad[k] - x1[k] / m->h21;
    bb_clip_norms(tg, (size_t)P, D, c->max_score_norm); /* the whole vector when P = 1 */
    if (c->net.sp.com_free) bb_remove_com(1, P, D, tg);
    for (size_t k = 0; k < dof; k++) tg[k] = -tg[k];
}
