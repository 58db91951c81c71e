/* bridge.c — Gaussian noise in the (optionally centre-of-mass-free) state space and
 * samples of the base-process bridge X_t | X_0, X_1 (formula in sde.h). It knows
 * nothing about controls or networks. */
#include <math.h>

#include "methods/sde/sde.h"

int bb_sde_space_dim(const bb_sde_space *sp) { return (sp->com_free ? sp->P - 1 : sp->P) * sp->D; }

void bb_sde_centre_row(int P, int D, double *x) {
    for (int d = 0; d < D; d++) {
        double m = 0.0;
        for (int i = 0; i < P; i++) m += x[i * D + d];
        m /= P;
        for (int i = 0; i < P; i++) x[i * D + d] -= m;
    }
}

void bb_sde_noise(const bb_sde_space *sp, size_t n, bb_rng *rng, double *z) {
    const size_t dof = (size_t)sp->P * (size_t)sp->D;
    bb_rng_normal_fill(rng, n * dof, z);
    if (sp->com_free)
        for (size_t r = 0; r < n; r++) bb_sde_centre_row(sp->P, sp->D, z + r * dof);
}

void bb_sde_bridge_sample(const bb_sde_schedule *s, const bb_sde_space *sp, size_t n, const double *x0,
                          const double *x1, const double *t, bb_rng *rng, double *xt) {
    const size_t dof = (size_t)sp->P * (size_t)sp->D;
    const double h21 = bb_sde_h2(s, 1.0);
    bb_sde_noise(sp, n, rng, xt); /* xt holds the noise, then the sample */
    for (size_t r = 0; r < n; r++) {
        const double h2 = bb_sde_h2(s, t[r]);
        const double kappa = h2 / h21;
        const double sd = sqrt(fmax(h2 * (1.0 - kappa), 0.0));
        for (size_t k = 0; k < dof; k++) {
            const double a = x0 ? x0[r * dof + k] : 0.0;
            xt[r * dof + k] = a + kappa * (x1[r * dof + k] - a) + sd * xt[r * dof + k];
        }
    }
}
