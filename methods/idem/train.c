/* train.c — one denoising-energy-matching regression step of iDEM (Akhound-Sadegh et al.
 * 2024, Algorithm 1 inner loop; DEM code dem_module.py training_step / get_loss): rows y
 * from the replay buffer, t ~ U(0, 1), y_t = y + σ(t) z (centre of mass removed for
 * particle systems), targets S_K(y_t, t) from the Monte-Carlo estimator (estimator.c, the
 * only energy calls), loss = mean_rows λ(t) · mean_dof |s_θ(y_t, t) − S_K|², global
 * gradient-norm clip (Lightning gradient_clip_val), Adam. It does not refill the buffer
 * (idem.c does, between epochs). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/idem/idem.h"

int idem_train_step(idem_model *m, bb_oracle *o, const bb_replay *rb, size_t nb, bb_rng *rng, double *loss,
                    size_t *all_rejected, bb_ctx *ctx) {
    const idem_config *c = &m->cfg;
    const size_t dof = (size_t)c->net.sp.P * (size_t)c->net.sp.D, B = (size_t)c->batch;
    *loss = NAN;
    if (nb == 0 || nb > B) return BB_ERR(ctx, BB_EINTERNAL, "idem: %zu rows for a batch of %zu", nb, B);
    /* the EGNN's training graph has B configurations: a shorter (last) batch gets its own */
    bb_nn_egnn_graph eg_short = {0};
    const bb_nn_egnn_graph *eg = &m->eg_train;
    int rc = BB_OK;
    if (c->net.use_egnn && nb < B) {
        if ((rc = bb_nn_egnn_graph_init(&eg_short, (int64_t)nb, c->net.sp.P, ctx))) return rc;
        eg = &eg_short;
    }
    if ((rc = bb_replay_sample(rb, nb, rng, m->net.xbuf, NULL, ctx))) goto out;
    for (size_t r = 0; r < nb; r++) m->net.tbuf[r] = bb_rng_uniform(rng);
    /* y_t = y + σ(t) z with z in the COM-free subspace (DEM: noise, then remove_mean) */
    bb_sde_noise(&c->net.sp, nb, rng, m->net.sbuf);
    for (size_t r = 0; r < nb; r++) {
        const double sd = sqrt(bb_sde_ve_var(&m->sch, m->net.tbuf[r]));
        for (size_t q = 0; q < dof; q++) m->net.xbuf[r * dof + q] += sd * m->net.sbuf[r * dof + q];
    }
    if ((rc = idem_estimate_scores(o, c, &m->sch, nb, m->net.xbuf, m->net.tbuf, rng, m->net.sbuf, all_rejected, ctx)))
        goto out;

    bb_nn_graph_reset(m->net.g);
    const bb_nn_dtype dt = c->net.f64 ? BB_NN_F64 : BB_NN_F32;
    bb_nn_tensor *s = idem_forward(m, eg, (int64_t)nb, m->net.xbuf, m->net.tbuf, 1);
    bb_nn_tensor *y = bb_nn_from(m->net.g, dt, 2, (const int64_t[]){(int64_t)nb, (int64_t)dof}, m->net.sbuf);
    bb_nn_tensor *l;
    if (c->lambda_var) {
        /* λ(t) (s − S)² summed over dof, mean over rows and dof: mean((√λ (s − S))²) */
        double *w = malloc(nb * sizeof(double));
        if (!w) {
            rc = BB_ERR(ctx, BB_ENOMEM, "idem: out of memory");
            goto out;
        }
        for (size_t r = 0; r < nb; r++) w[r] = sqrt(bb_sde_ve_var(&m->sch, m->net.tbuf[r]) + c->lambda_eps);
        bb_nn_tensor *wt = bb_nn_from(m->net.g, dt, 2, (const int64_t[]){(int64_t)nb, 1}, w);
        free(w);
        bb_nn_tensor *d = bb_nn_mul(m->net.g, bb_nn_sub(m->net.g, s, y), wt);
        l = bb_nn_mean(m->net.g, bb_nn_mul(m->net.g, d, d));
    } else {
        l = bb_nn_mse(m->net.g, s, y);
    }
    if ((rc = bb_nn_graph_status(m->net.g, ctx))) goto out;
    bb_nn_params_zero_grad(&m->net.ps);
    if (bb_nn_backward(m->net.g, l) < 0) {
        rc = bb_nn_graph_status(m->net.g, ctx);
        goto out;
    }
    *loss = bb_nn_get(l, 0);
    if (!isfinite(*loss)) {
        rc = BB_ERR(ctx, BB_ENAN, "idem: training loss is not finite");
        goto out;
    }
    if (c->max_grad_norm > 0) bb_nn_clip_grad_norm(&m->net.ps, c->max_grad_norm);
    rc = bb_nn_adam_step(&m->net.opt, &m->net.ps, c->lr, ctx);
out:
    bb_nn_egnn_graph_free(&eg_short);
    return rc;
}
