/* hist.c — fixed-grid weighted histograms and the total-variation distance on them.
 *
 * The grid is fixed by the REFERENCE set: `nbins` equal-width bins spanning the
 * reference's [min, max], plus one underflow and one overflow cell that collect
 * sample mass outside that range. A sampler whose values run off to +1e6 therefore
 * gets its far mass counted in the overflow cell instead of stretching the grid
 * (which would lump the whole reference into one bin and hide the error).
 *
 * TV here is the discrete ½ Σ |p_c − q_c| over the nbins + 2 cells; it is a
 * binned quantity (it depends on nbins and on the reference's range) and is not an
 * estimate of the continuous TV between densities.
 */
#include <math.h>
#include <stdlib.h>

#include "harness/metrics/metric_lib.h"

int bb_hgrid_from(const bb_wset *ref, int nbins, bb_hgrid *g, bb_ctx *ctx) {
    if (nbins < 1) return BB_ERR(ctx, BB_EINVAL, "histogram: nbins must be >= 1 (got %d)", nbins);
    size_t nv = ref->n * ref->k;
    if (nv == 0) return BB_ERR(ctx, BB_EINVAL, "histogram: empty reference set");
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < nv; i++) {
        if (!isfinite(ref->v[i])) return BB_ERR(ctx, BB_ENAN, "histogram: reference value %zu is not finite", i);
        if (ref->v[i] < lo) lo = ref->v[i];
        if (ref->v[i] > hi) hi = ref->v[i];
    }
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    g->lo = lo;
    g->hi = hi;
    g->nbins = nbins;
    return BB_OK;
}

int bb_hist_mass(const bb_hgrid *g, const bb_wset *s, double *mass, bb_ctx *ctx) {
    int nc = g->nbins + 2;
    for (int c = 0; c < nc; c++) mass[c] = 0.0;
    size_t k = s->k ? s->k : 1;
    double width = (g->hi - g->lo) / g->nbins, tot = 0.0;
    for (size_t i = 0; i < s->n * k; i++) {
        double x = s->v[i], w = s->w ? s->w[i / k] : 1.0;
        if (!isfinite(x)) return BB_ERR(ctx, BB_ENAN, "histogram: value %zu is not finite", i);
        int c;
        if (x < g->lo) {
            c = 0;
        } else if (x > g->hi) {
            c = g->nbins + 1;
        } else {
            double f = floor((x - g->lo) / width);
            c = f >= g->nbins ? g->nbins : (int)f + 1; /* hi itself is in the last bin */
        }
        mass[c] += w;
        tot += w;
    }
    if (!(tot > 0.0)) return BB_ERR(ctx, BB_EINVAL, "histogram: set has no mass (empty or all weights zero)");
    for (int c = 0; c < nc; c++) mass[c] /= tot;
    return BB_OK;
}

int bb_hist_tv(const bb_hgrid *g, const bb_wset *a, const bb_wset *b, double *out, bb_ctx *ctx) {
    int nc = g->nbins + 2;
    double *pa = malloc(2 * (size_t)nc * sizeof *pa);
    if (!pa) return BB_ERR(ctx, BB_ENOMEM, "histogram: out of memory for %d bins", g->nbins);
    double *pb = pa + nc;
    int rc = bb_hist_mass(g, a, pa, ctx);
    if (!rc) rc = bb_hist_mass(g, b, pb, ctx);
    if (!rc) {
        double tv = 0.0;
        for (int c = 0; c < nc; c++) tv += fabs(pa[c] - pb[c]);
        *out = 0.5 * tv;
    }
    free(pa);
    return rc;
}

int bb_stat_hist_tv(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    if (!(bb_wset_mass(a) > 0.0)) {
        *out = NAN;
        return BB_OK;
    }
    return bb_hist_tv((const bb_hgrid *)user, a, b, out, ctx);
}
