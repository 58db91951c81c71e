/* train.c — one Adam step of PITA's two networks at one level (the authors' get_loss,
 * energytemp_module.py:323-566): denoising score matching of D_S, the energy network's
 * denoiser x − σ²∇U_θ distilled onto the (detached) score network through double backward,
 * U_θ pinned at the data to the level's energies, and (peptides) target score matching of D_S on
 * the stored gradients of the data's energies. Costs no energy evaluations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/pita/pita.h"

/* The target score term's constants: per row the target x_t − σ² clip(g0) into tgt and the
 * weight 1/(rows with σ < σ(target_t)) or 0 into wt (the authors' mean over those rows). */
static void target_rows(const pita_model *m, size_t nb, const double *xt, const double *g0, const double *sig,
                        double *tgt, double *wt) {
    const pita_config *c = &m->cfg;
    const size_t P = (size_t)c->net.sp.P, D = (size_t)c->net.sp.D, dof = P * D;
    const double thr = sqrt(bb_edm_var(&m->sch, c->target_t));
    size_t in = 0;
    for (size_t r = 0; r < nb; r++) in += sig[r] < thr;
    for (size_t r = 0; r < nb; r++) {
        wt[r] = sig[r] < thr ? 1.0 / (double)in : 0.0;
        for (size_t i = 0; i < P; i++) {
            const double *gi = g0 + r * dof + i * D;
            double nn = 0.0;
            for (size_t d = 0; d < D; d++) nn += gi[d] * gi[d];
            const double f = fmin(1.0, c->target_clip / (sqrt(nn) + 1e-6)); /* Clipper.clip_scores */
            for (size_t d = 0; d < D; d++)
                tgt[r * dof + i * D + d] = xt[r * dof + i * D + d] - sig[r] * sig[r] * f * gi[d];
        }
    }
}

int pita_train_step(pita_model *m, size_t nb, const double *x0, const double *e0, const double *g0, double beta,
                    bb_rng *rng, double *loss, double l3[4], bb_ctx *ctx) {
    const pita_config *c = &m->cfg;
    const size_t dof = (size_t)c->net.sp.P * (size_t)c->net.sp.D;
    if (nb != (size_t)c->batch) return BB_ERR(ctx, BB_EINVAL, "pita: a training step takes %d rows", c->batch);
    const bb_nn_dtype dt = c->net.f64 ? BB_NN_F64 : BB_NN_F32;
    const int target = c->w_target > 0 && g0;
    double *xt = malloc((3 * nb * dof + 5 * nb) * sizeof(double));
    if (!xt) return BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate a training batch of %zu rows", nb);
    double *z = xt + nb * dof, *sig = z + nb * dof, *lam = sig + nb, *mask = lam + nb, *sig0 = mask + nb;
    double *wt = sig0 + nb, *tgt = wt + nb;
    for (size_t r = 0; r < nb; r++) sig[r] = bb_edm_sample_sigma(&m->sch, rng);
    bb_sde_noise(&c->net.sp, nb, rng, z);
    for (size_t r = 0; r < nb; r++) {
        for (size_t k = 0; k < dof; k++) xt[r * dof + k] = x0[r * dof + k] + sig[r] * z[r * dof + k];
        lam[r] = (sig[r] * sig[r] + 1.0) / (sig[r] * sig[r]);
        mask[r] = e0[r] <= PITA_PIN_MASK ? 1.0 : 0.0; /* authors: U0_true > 1e3 is not pinned */
        sig0[r] = c->net.sigma_min;
    }
    if (target) target_rows(m, nb, xt, g0, sig, tgt, wt);
    const int64_t B = (int64_t)nb, sh[2] = {B, (int64_t)dof}, sh1[2] = {B, 1};
    bb_nn_graph *g = m->g;
    bb_nn_graph_reset(g);
    bb_nn_tensor *X0 = bb_nn_from(g, dt, 2, sh, x0), *XT = bb_nn_input(g, dt, 2, sh, xt);
    bb_nn_tensor *S = bb_nn_from(g, dt, 2, sh1, sig), *L = bb_nn_from(g, dt, 2, sh1, lam);
    /* score network: λ |D_S(x_t) − x0|² */
    bb_nn_tensor *DS = pita_denoiser(m, &m->eg_train, XT, S, beta);
    bb_nn_tensor *d = bb_nn_sub(g, DS, X0);
    bb_nn_tensor *l_score = bb_nn_mul(g, L, bb_nn_sum_cols(g, bb_nn_mul(g, d, d)));
    /* energy network: λ |x_t − σ² ∇U_θ(x_t) − sg D_S|² (create_graph: the loss reaches θ) */
    bb_nn_tensor *U = pita_energy(m, &m->eg_train, XT, S, beta), *gx = NULL;
    if (U) bb_nn_grad(g, bb_nn_sum(g, U), NULL, 1, &XT, &gx, 1);
    bb_nn_tensor *DE = bb_nn_sub(g, XT, bb_nn_mul(g, gx, bb_nn_mul(g, S, S)));
    bb_nn_tensor *e = bb_nn_sub(g, DE, bb_nn_detach(g, DS));
    bb_nn_tensor *l_esc = bb_nn_mul(g, L, bb_nn_sum_cols(g, bb_nn_mul(g, e, e)));
    /* pinning: (e0 − U_θ(x0, σmin))² where e0 <= PITA_PIN_MASK */
    bb_nn_tensor *U0 = pita_energy(m, &m->eg_train, X0, bb_nn_from(g, dt, 2, sh1, sig0), beta);
    bb_nn_tensor *dm = bb_nn_sub(g, bb_nn_from(g, dt, 2, sh1, e0), U0);
    bb_nn_tensor *l_match = bb_nn_mul(g, bb_nn_from(g, dt, 2, sh1, mask), bb_nn_mul(g, dm, dm));
    bb_nn_tensor *parts[4] = {bb_nn_mean(g, l_esc), bb_nn_mean(g, l_score), bb_nn_mean(g, l_match), NULL};
    bb_nn_tensor *total = bb_nn_add(
        g, bb_nn_add(g, bb_nn_scale(g, parts[0], c->w_escore, 0.0), bb_nn_scale(g, parts[1], c->w_score, 0.0)),
        bb_nn_scale(g, parts[2], c->w_match, 0.0));
    if (target) { /* Σ_r wt_r |tgt_r − D_S(x_t)_r|² (energytemp_module.py:457-495) */
        bb_nn_tensor *dt_ = bb_nn_sub(g, bb_nn_from(g, dt, 2, sh, tgt), DS);
        bb_nn_tensor *rows = bb_nn_sum_cols(g, bb_nn_mul(g, dt_, dt_));
        parts[3] = bb_nn_sum(g, bb_nn_mul(g, bb_nn_from(g, dt, 2, sh1, wt), rows));
        total = bb_nn_add(g, total, bb_nn_scale(g, parts[3], c->w_target, 0.0));
    }
    free(xt);
    bb_nn_params_zero_grad(&m->ps);
    if (total) bb_nn_backward(g, total);
    int rc = bb_nn_graph_status(g, ctx);
    if (rc) return rc;
    *loss = bb_nn_get(total, 0);
    if (!isfinite(*loss)) return BB_ERR(ctx, BB_ENAN, "pita: training loss is not finite (lower lr or check energies)");
    if (l3)
        for (int k = 0; k < 4; k++) l3[k] = parts[k] ? bb_nn_get(parts[k], 0) : 0.0;
    if (c->max_grad_norm > 0) bb_nn_clip_grad_norm(&m->ps, c->max_grad_norm);
    if ((rc = bb_nn_adam_step(&m->opt, &m->ps, c->lr, ctx))) return rc;
    bb_nn_ema_update(&m->ema, &m->ps);
    return BB_OK;
}
