/* model.c — iDEM's score model s_θ(y, t): an EGNN (particle systems) or an MLP with a
 * sinusoidal time embedding, either giving the score directly (`idem`) or giving an energy
 * E_θ(y, t) whose −∇_y is the score (`idem_energy`, differentiated through the nn core's
 * create_graph so the regression loss reaches θ by double backward). Also the reverse-time
 * VE SDE driven by the model and the prior. Training is in train.c, the estimator in
 * estimator.c, the step loop in idem.c. Costs no energy evaluations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/idem/idem.h"

static size_t dof_of(const idem_config *c) { return (size_t)c->net.sp.P * (size_t)c->net.sp.D; }

int idem_model_init(idem_model *m, const idem_config *cfg, uint64_t seed, bb_ctx *ctx) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const bb_scorenet_config *nc = &cfg->net;
    int rc = bb_sde_schedule_geometric(&m->sch, nc->sigma_min, nc->sigma_max, ctx);
    if (rc) return rc;
    const size_t rows = (size_t)(cfg->batch > cfg->n_generate ? cfg->batch : cfg->n_generate);
    rc = bb_scorenet_init(&m->net, nc, cfg->energy_net ? BB_SCORENET_SCALAR : BB_SCORENET_VECTOR, rows, seed, "idem",
                          ctx);
    if (!rc && nc->use_egnn) rc = bb_nn_egnn_graph_init(&m->eg_train, cfg->batch, nc->sp.P, ctx);
    if (rc) idem_model_free(m);
    return rc;
}

void idem_model_free(idem_model *m) {
    if (!m) return;
    bb_scorenet_free(&m->net);
    bb_nn_egnn_graph *const graphs[] = {&m->eg_train, &m->eg_sim};
    for (size_t k = 0; k < sizeof graphs / sizeof *graphs; k++) bb_nn_egnn_graph_free(graphs[k]);
    memset(m, 0, sizeof *m);
}

bb_nn_tensor *idem_forward(idem_model *m, const bb_nn_egnn_graph *eg, int64_t B, const double *y, const double *t,
                           int train) {
    const idem_config *c = &m->cfg;
    bb_nn_graph *g = m->net.g;
    const int64_t dof = (int64_t)dof_of(c);
    const bb_nn_dtype dt = c->net.f64 ? BB_NN_F64 : BB_NN_F32;
    bb_nn_tensor *x = c->energy_net ? bb_nn_input(g, dt, 2, (const int64_t[]){B, dof}, y)
                                    : bb_nn_from(g, dt, 2, (const int64_t[]){B, dof}, y);
    bb_nn_tensor *tt = bb_nn_from(g, dt, 2, (const int64_t[]){B, 1}, t);
    bb_nn_tensor *out;
    if (c->net.use_egnn) {
        out = bb_nn_egnn_fwd(g, &m->net.ps, &m->net.egnn, eg, x, tt);
    } else {
        /* time as in the EGNN: sinusoidal embedding of 1000 t */
        bb_nn_tensor *te = bb_nn_time_embed_sin(g, bb_nn_scale(g, tt, 1000.0, 0.0), c->net.t_dim, 10000.0);
        out = bb_nn_mlp_fwd(g, &m->net.ps, &m->net.mlp, bb_nn_concat_cols(g, x, te));
    }
    if (!c->energy_net) return out;
    /* score = −∇_y Σ_rows E_θ(y_r, t_r) (rows are independent) */
    bb_nn_tensor *gx = NULL;
    if (!out || bb_nn_grad(g, bb_nn_sum(g, out), NULL, 1, &x, &gx, train) < 0) return NULL;
    return bb_nn_scale(g, gx, -1.0, 0.0);
}

int idem_model_score(idem_model *m, size_t n, const double *y, const double *t, double *s, bb_ctx *ctx) {
    const size_t dof = dof_of(&m->cfg);
    if (n == 0) return BB_OK;
    if (m->cfg.net.use_egnn && m->eg_sim.B != (int64_t)n) {
        bb_nn_egnn_graph_free(&m->eg_sim);
        int rc = bb_nn_egnn_graph_init(&m->eg_sim, (int64_t)n, m->cfg.net.sp.P, ctx);
        if (rc) return rc;
    }
    bb_nn_graph_reset(m->net.g);
    /* the energy network needs the tape for its input gradient; parameters get none */
    if (!m->cfg.energy_net) bb_nn_graph_set_grad(m->net.g, 0);
    bb_nn_tensor *out = idem_forward(m, &m->eg_sim, (int64_t)n, y, t, 0);
    int rc = bb_nn_graph_status(m->net.g, ctx);
    if (rc) return rc;
    bb_nn_to_double(out, s);
    for (size_t k = 0; k < n * dof; k++)
        if (!isfinite(s[k])) return BB_ERR(ctx, BB_ENAN, "idem: network score is not finite at t = %g", t[k / dof]);
    return BB_OK;
}

void idem_prior_sample(const idem_model *m, size_t n, bb_rng *rng, double *y) {
    const size_t dof = dof_of(&m->cfg);
    const double sd = sqrt(bb_sde_ve_var(&m->sch, 1.0));
    bb_sde_noise(&m->cfg.net.sp, n, rng, y);
    for (size_t k = 0; k < n * dof; k++) y[k] *= sd;
}

int idem_simulate(idem_model *m, size_t n, bb_rng *rng, double *y, bb_ctx *ctx) {
    const idem_config *c = &m->cfg;
    const size_t dof = dof_of(c), B = (size_t)c->n_generate;
    const double dt = 1.0 / c->n_steps;
    for (size_t r0 = 0; r0 < n; r0 += B) {
        const size_t nc = n - r0 < B ? n - r0 : B;
        double *yc = y + r0 * dof;
        idem_prior_sample(m, nc, rng, yc);
        /* DEM integrate_sde: times 1, 1 − dt, ..., dt (the step's start), no clip */
        for (int k = c->n_steps; k >= 1; k--) {
            const double t = k * dt;
            for (size_t r = 0; r < nc; r++) m->net.tbuf[r] = t;
            int rc = idem_model_score(m, nc, yc, m->net.tbuf, m->net.sbuf, ctx);
            if (rc) return rc;
            bb_sde_ve_reverse_step(&m->sch, &c->net.sp, nc, t, dt, m->net.sbuf, c->diffusion_scale, rng, yc);
        }
    }
    return BB_OK;
}
