/* train.c — one step of the reciprocal adjoint matching loss of Adjoint Sampling
 * (Havens et al. 2025, eq. for the "reciprocal" projection; code train_loop.py):
 * draw (X_1, target) rows from the replay buffer, t ~ U(0, 1), X_t from the
 * base-process bridge pinned at X_0 = 0 and X_1, and regress s(X_t, t) onto the
 * lean-adjoint target −clip(∇u(X_1) + ∇ log p_1^base(X_1)) (constant in t because
 * the base process has no drift). It is NOT the full adjoint matching with a
 * backward ODE (not needed for a drift-free base) and makes no energy calls. */
#include <math.h>
#include <string.h>

#include "methods/adjoint_sampling/as.h"

bb_nn_tensor *as_forward_rows(as_model *m, int train, int64_t B, const double *x, const double *t);

int as_train_step(as_model *m, const bb_replay *rb, bb_rng *rng, double *loss, bb_ctx *ctx) {
    const as_config *c = &m->cfg;
    const size_t dof = (size_t)c->net.sp.P * (size_t)c->net.sp.D, B = (size_t)c->train_batch;
    *loss = NAN;
    int rc = bb_replay_sample(rb, B, rng, m->rows, NULL, ctx);
    if (rc) return rc;
    /* split rows into x1 (kept in sbuf) and targets (kept in rows' second half order) */
    for (size_t r = 0; r < B; r++) {
        memcpy(m->net.sbuf + r * dof, m->rows + r * 2 * dof, dof * sizeof(double));
        m->net.tbuf[r] = bb_rng_uniform(rng);
    }
    bb_sde_bridge_sample(&m->sch, &c->net.sp, B, NULL, m->net.sbuf, m->net.tbuf, rng, m->net.xbuf);
    for (size_t r = 0; r < B; r++) /* targets, contiguous, reuse sbuf */
        memcpy(m->net.sbuf + r * dof, m->rows + r * 2 * dof + dof, dof * sizeof(double));

    bb_nn_graph_reset(m->net.g);
    bb_nn_tensor *s = as_forward_rows(m, 1, (int64_t)B, m->net.xbuf, m->net.tbuf);
    bb_nn_tensor *y = bb_nn_from(m->net.g, c->net.f64 ? BB_NN_F64 : BB_NN_F32, 2,
                                 (const int64_t[]){(int64_t)B, (int64_t)dof}, m->net.sbuf);
    /* mean over particles of the squared error summed over spatial dims */
    bb_nn_tensor *l = bb_nn_scale(m->net.g, bb_nn_mse(m->net.g, s, y), (double)c->net.sp.D, 0.0);
    rc = bb_nn_graph_status(m->net.g, ctx);
    if (rc) return rc;
    bb_nn_params_zero_grad(&m->net.ps);
    if (bb_nn_backward(m->net.g, l) < 0) return bb_nn_graph_status(m->net.g, ctx);
    *loss = bb_nn_get(l, 0);
    if (!isfinite(*loss)) return BB_ERR(ctx, BB_ENAN, "adjoint_sampling: training loss is not finite");
    if (c->max_grad_norm > 0) bb_nn_clip_grad_norm(&m->net.ps, c->max_grad_norm);
    return bb_nn_adam_step(&m->net.opt, &m->net.ps, c->lr, ctx);
}
