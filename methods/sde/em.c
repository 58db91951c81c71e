/* em.c — one Euler–Maruyama step of dX = b dt + g(t) dB for a batch of rows (and of the
 * reverse-time VE SDE and its noise-free negative-time continuation, sde.h), with the
 * noise optionally in the centre-of-mass-free subspace. The drift b comes from the
 * caller (the controlled part of a sampler); nothing here evaluates energies. */
#include <math.h>

#include "methods/common/clip.h"
#include "methods/sde/sde.h"

void bb_sde_em_step(const bb_sde_schedule *s, const bb_sde_space *sp, size_t n, double t, double dt, const double *b,
                    bb_rng *rng, double *x, double *z_out) {
    const size_t dof = (size_t)sp->P * (size_t)sp->D;
    /* exact std of the base increment over [t, t+dt]: √(h²(t+dt) − h²(t)), so the
     * discrete base process has exactly the marginals and bridges of the continuous one */
    const double gs = bb_sde_step_std(s, t, dt);
    for (size_t r = 0; r < n; r++) {
        double *xr = x + r * dof;
        for (size_t k = 0; k < dof; k++) {
            double z = bb_rng_normal(rng);
            if (z_out) z_out[r * dof + k] = z;
            xr[k] += (b ? b[r * dof + k] * dt : 0.0) + gs * z;
        }
        if (sp->com_free) {
            /* centring x after the step equals stepping with centred noise and a
             * centred drift; keep z_out consistent with what moved x */
            for (int d = 0; d < sp->D; d++) {
                double m = 0.0, mz = 0.0;
                for (int i = 0; i < sp->P; i++) {
                    m += xr[i * sp->D + d];
                    if (z_out) mz += z_out[r * dof + (size_t)(i * sp->D + d)];
                }
                m /= sp->P;
                mz /= sp->P;
                for (int i = 0; i < sp->P; i++) {
                    xr[i * sp->D + d] -= m;
                    if (z_out) z_out[r * dof + (size_t)(i * sp->D + d)] -= mz;
                }
            }
        }
    }
}

void bb_sde_ve_reverse_step(const bb_sde_schedule *s, const bb_sde_space *sp, size_t n, double t, double dt,
                            const double *score, double noise_scale, bb_rng *rng, double *x) {
    const size_t dof = (size_t)sp->P * (size_t)sp->D;
    const double g = bb_sde_ve_g(s, t), drift = g * g * dt, sd = noise_scale * g * sqrt(dt);
    for (size_t r = 0; r < n; r++) {
        double *xr = x + r * dof;
        for (size_t k = 0; k < dof; k++) xr[k] += drift * score[r * dof + k] + sd * bb_rng_normal(rng);
        if (sp->com_free) bb_sde_centre_row(sp->P, sp->D, xr);
    }
}

size_t bb_sde_descent_step(const bb_sde_space *sp, size_t n, double dt, double max_norm, double *score, double *x) {
    const size_t dof = (size_t)sp->P * (size_t)sp->D;
    size_t clipped = 0;
    for (size_t r = 0; r < n; r++) {
        double *sr = score + r * dof, *xr = x + r * dof;
        int finite = 1;
        for (size_t k = 0; k < dof; k++) finite &= isfinite(sr[k]) != 0;
        if (!finite) continue;
        if (max_norm > 0) clipped += bb_clip_norms(sr, 1, (int)dof, max_norm);
        for (size_t k = 0; k < dof; k++) xr[k] += dt * sr[k];
        if (sp->com_free) bb_sde_centre_row(sp->P, sp->D, xr);
    }
    return clipped;
}
