/* relax.c — local energy minimisation of one configuration under a bb_amber force field.
 *
 * What it is: steepest descent with an adaptive step (×1.2 after a downhill step, ×0.5 after
 * an uphill one), used by the peptide tasks to polish their stored minimum structures (which
 * are written to 1e-6 nm or 1e-4 nm precision) at init. Rounding of that size mostly excites
 * stiff modes, which this relaxes in a few hundred steps. What it is not: a global optimiser
 * or an efficient minimiser far from a minimum (use L-BFGS for that).
 */
#include "tasks/molecules/relax.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bb_amber_relax(const bb_amber *ff, double *x, double tol, int max_iter, double *e_out, double *gmax_out,
                   bb_ctx *ctx) {
    size_t D = 3 * (size_t)ff->natom;
    double *buf = malloc((3 * D + bb_amber_work_size(ff) + 1) * sizeof *buf);
    if (!buf) return BB_ERR(ctx, BB_ENOMEM, "relax: out of memory");
    double *g = buf, *t = g + D, *gt = t + D, *work = gt + D;
    double a = 1e-6, gmax = INFINITY;
    double e = bb_amber_energy(ff, x, g, NULL, work);
    int rc = BB_OK;
    if (!isfinite(e)) {
        rc = BB_ERR(ctx, BB_EINVAL, "relax: starting energy is not finite");
        goto out;
    }
    for (int it = 0; it < max_iter; it++) {
        gmax = 0.0;
        for (size_t i = 0; i < D; i++) gmax = gmax > fabs(g[i]) ? gmax : fabs(g[i]);
        if (gmax < tol) break;
        for (size_t i = 0; i < D; i++) t[i] = x[i] - a * g[i];
        double et = bb_amber_energy(ff, t, gt, NULL, work);
        if (et <= e) {
            memcpy(x, t, D * sizeof *x);
            memcpy(g, gt, D * sizeof *g);
            e = et;
            a *= 1.2;
        } else {
            a *= 0.5;
        }
    }
    gmax = 0.0;
    for (size_t i = 0; i < D; i++) gmax = gmax > fabs(g[i]) ? gmax : fabs(g[i]);
out:
    if (e_out) *e_out = e;
    if (gmax_out) *gmax_out = gmax;
    free(buf);
    return rc;
}
