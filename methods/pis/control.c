/* control.c — PIS's control u(t, x) on the nn tape and the terms of a path that training
 * (train.c) and sampling (pis.c) share: ∇U through the oracle with the authors' clip, and the
 * log-density of the reference process's end point. Split from pis.c so that pis.c → train.c
 * → control.c has no call cycle (docs/architecture.md, tests/core/check_layering.py). */
#include <math.h>

#include "methods/pis/pis.h"

double pis_log_prior(const pis_state *a, const double *x) {
    const double v = a->sigma * a->sigma * a->t_end;
    double q = 0.0;
    for (size_t k = 0; k < a->dof; k++) q += x[k] * x[k];
    return -0.5 * q / v - 0.5 * (double)a->dof * log(2.0 * M_PI * v);
}

void pis_clip_grad(pis_state *a, size_t m) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < a->dof; j++) {
            double *gj = a->grad + i * a->dof + j;
            *gj = !isfinite(a->e[i]) ? 0.0 : *gj > a->lgv_clip ? a->lgv_clip : *gj < -a->lgv_clip ? -a->lgv_clip : *gj;
        }
}

int pis_grad_u(pis_state *a, size_t m, const double *x, bb_ctx *ctx) {
    int rc = bb_oracle_eval(a->o, m, x, a->e, a->grad, ctx);
    if (rc) return rc;
    pis_clip_grad(a, m);
    return BB_OK;
}

bb_nn_tensor *pis_control(pis_state *a, bb_nn_graph *g, int k, bb_nn_tensor *x, const double *xv, size_t m,
                          int have_grad, int *rc, bb_ctx *ctx) {
    const int64_t one[2] = {1, 1}, shp[2] = {(int64_t)m, (int64_t)a->dof};
    bb_nn_tensor *t = bb_nn_full(g, BB_NN_F64, 2, one, k * a->dt);
    bb_nn_tensor *u = bb_nn_fourier_mlp_fwd(g, &a->ps, &a->net, t, x);
    if (!a->use_grad || a->nn1_only) return u; /* nn1_only: the draw the budget cannot pay for */
    if (!have_grad && (*rc = pis_grad_u(a, m, xv, ctx))) return NULL;
    bb_nn_tensor *lgv = bb_nn_from(g, BB_NN_F64, 2, shp, a->grad);
    return bb_nn_sub(g, u, bb_nn_mul(g, bb_nn_time_conder_fwd(g, &a->ps, &a->coef, t), lgv));
}
