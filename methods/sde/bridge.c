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

void bb_sde_random_rotation(bb_rng *rng, int P, double *x, double *g) {
    double q[4], n2 = 0.0;
    for (int k = 0; k < 4; k++) {
        q[k] = bb_rng_normal(rng);
        n2 += q[k] * q[k];
    }
    const double s = 1.0 / sqrt(n2), w = q[0] * s, a = q[1] * s, b = q[2] * s, c = q[3] * s;
    const double R[3][3] = {{1 - 2 * (b * b + c * c), 2 * (a * b - c * w), 2 * (a * c + b * w)},
                            {2 * (a * b + c * w), 1 - 2 * (a * a + c * c), 2 * (b * c - a * w)},
                            {2 * (a * c - b * w), 2 * (b * c + a * w), 1 - 2 * (a * a + b * b)}};
    for (int v = 0; v < 2; v++) {
        double *y = v ? g : x;
        for (int i = 0; y && i < P; i++) {
            const double p0 = y[3 * i], p1 = y[3 * i + 1], p2 = y[3 * i + 2];
            for (int d = 0; d < 3; d++) y[3 * i + d] = R[d][0] * p0 + R[d][1] * p1 + R[d][2] * p2;
        }
    }
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
