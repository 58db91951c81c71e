/* dw.c — DW-4: four particles in 2-D with a double-well pair potential (EACF, iDEM).
 *
 * What it is: u(x) = (1/τ) Σ_{i<j} [a (d_ij − d0) + b (d_ij − d0)² + c (d_ij − d0)⁴],
 * d_ij = ‖x_i − x_j‖, with the iDEM/EACF constants a = 0, b = −4, c = 0.9, d0 = 4,
 * τ = 1, so u = Σ_{i<j} [0.9 (d − 4)⁴ − 4 (d − 4)²] and kT = 1 (reduced units). Each
 * pair has two wells, at d = 4 ± √(2·4/(4·0.9)) = 4 ± 1.4907 (pair energy −4.444),
 * and a barrier at d = 4 (pair energy 0). ∇u is analytic:
 * ∂u/∂x_i = Σ_j u'(d_ij) (x_i − x_j)/d_ij with u'(d) = a + 2b(d − d0) + 4c(d − d0)³.
 * Invariant under translation, rotation, reflection and permutation; samplers work
 * in the centre-of-mass-free subspace (flag COM_FREE). Initial distribution:
 * N(0, 2² I) with the centre of mass removed (typical pair distance ≈ 3.5).
 *
 * What it is not: a pair potential with a singularity. Two coincident particles
 * (d = 0) have the finite energy u(0) = 0.9·256 − 4·16 = 166.4 per pair, so such a
 * configuration is representable and its energy is returned as is (not +inf); the
 * pair term is not differentiable there (a cone point), and its gradient
 * contribution is taken as 0 (the symmetric subgradient), so nothing is NaN.
 */
#include "tasks/task.h"

#include <math.h>

#define DW_P   4
#define DW_D   2
#define DW_A   0.0
#define DW_B   (-4.0)
#define DW_C   0.9
#define DW_D0  4.0
#define DW_TAU 1.0

static int dw_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    (void)t;
    const size_t dof = DW_P * DW_D;
    for (size_t c = 0; c < n; c++) {
        const double *xc = x + c * dof;
        double *gc = grad ? grad + c * dof : NULL;
        if (gc)
            for (size_t k = 0; k < dof; k++) gc[k] = 0.0;
        double e = 0.0;
        for (int i = 0; i < DW_P; i++) {
            for (int j = i + 1; j < DW_P; j++) {
                double dx = xc[i * DW_D] - xc[j * DW_D];
                double dy = xc[i * DW_D + 1] - xc[j * DW_D + 1];
                double d = sqrt(dx * dx + dy * dy);
                double s = d - DW_D0, s2 = s * s;
                e += DW_A * s + DW_B * s2 + DW_C * s2 * s2;
                if (gc && d > 0.0) {
                    double du = DW_A + 2.0 * DW_B * s + 4.0 * DW_C * s2 * s; /* du/dd */
                    double f = du / (d * DW_TAU);
                    gc[i * DW_D] += f * dx;
                    gc[i * DW_D + 1] += f * dy;
                    gc[j * DW_D] -= f * dx;
                    gc[j * DW_D + 1] -= f * dy;
                }
            }
        }
        u[c] = e / DW_TAU;
        if (!isfinite(u[c])) { /* a NaN coordinate, or coordinates so large that d⁴ overflows */
            for (size_t k = 0; k < dof; k++)
                if (isnan(xc[k])) return BB_ERR(ctx, BB_ENAN, "task dw4: configuration %zu: NaN coordinate", c);
            u[c] = INFINITY;
            if (gc)
                for (size_t k = 0; k < dof; k++) gc[k] = 0.0;
        }
    }
    return BB_OK;
}

const bb_task_type bb_task_dw4 = {
    .name = "dw4",
    .version = 1,
    .description = "DW-4 (EACF/iDEM): 4 particles in 2-D, u = sum_{i<j} [0.9 (d_ij - 4)^4 - 4 (d_ij - 4)^2] "
                   "(a=0, b=-4, c=0.9, d0=4, tau=1); kT = 1 (reduced units). Invariant under translation, "
                   "rotation and permutation; samples are centre-of-mass free. Initial distribution "
                   "N(0, 2^2 I) with the centre of mass removed. Coincident particles have a finite energy "
                   "(166.4 per pair) and a zero gradient contribution from that pair.",
    .n_particles = DW_P,
    .dim = DW_D,
    .kT = 1.0,
    .kT_unit = "reduced",
    .length_unit = "reduced",
    .flags = BB_TASK_TRANSLATION_INV | BB_TASK_ROTATION_INV | BB_TASK_PERMUTATION_INV | BB_TASK_COM_FREE,
    .init_scale = 2.0,
    .reference_dataset = "dw4-idem-test@1",
    .minima_catalogue = NULL,
    .state_size = 0,
    .energy = dw_energy,
};
