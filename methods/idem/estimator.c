/* estimator.c — iDEM's Monte-Carlo estimator of the noised score (Akhound-Sadegh et al.
 * 2024, eq. 8; DEM code components/score_estimator.py estimate_grad_Rt, which takes the
 * autograd gradient of logsumexp_k(−E(x + σ z_k)) − log K): with y_k = y + σ(t) z_k,
 *   S_K(y, t) = ∇_y log (1/K) Σ_k exp(−u(y_k)) = Σ_k w_k (−∇u(y_k)),  w = softmax(−u(y_k)),
 * the self-normalised importance estimate of ∇ log p_t(y) = ∇ log (p * N(0, σ²(t)))(y).
 * Then the authors' clip (clipper.py; per particle for molecules, dem_module.py get_loss).
 * Every draw is one energy+gradient evaluation through the oracle. It does not train
 * anything and keeps no state between calls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/common/clip.h"
#include "methods/idem/idem.h"

/* configurations per oracle call (whole rows of K draws; at least one row) */
#define IDEM_EST_CHUNK 8192

int idem_estimate_scores(bb_oracle *o, const idem_config *c, const bb_sde_schedule *sch, size_t n, const double *y,
                         const double *t, bb_rng *rng, double *out, size_t *all_rejected, bb_ctx *ctx) {
    const size_t dof = (size_t)c->net.sp.P * (size_t)c->net.sp.D, K = (size_t)c->mc_samples;
    const size_t rows_per_call = K >= IDEM_EST_CHUNK ? 1 : IDEM_EST_CHUNK / K;
    const size_t cap = rows_per_call * K;
    if (all_rejected) *all_rejected = 0;
    double *xs = malloc(cap * dof * sizeof(double)), *g = malloc(cap * dof * sizeof(double));
    double *u = malloc(cap * sizeof(double));
    int rc = BB_OK;
    if (!xs || !g || !u) {
        rc = BB_ERR(ctx, BB_ENOMEM, "idem: cannot allocate the estimator's %zu draws", cap);
        goto out;
    }
    for (size_t r0 = 0; r0 < n; r0 += rows_per_call) {
        const size_t nr = n - r0 < rows_per_call ? n - r0 : rows_per_call;
        for (size_t r = 0; r < nr; r++) {
            const double *yr = y + (r0 + r) * dof;
            const double sd = sqrt(bb_sde_ve_var(sch, t[r0 + r]));
            double *xr = xs + r * K * dof;
            bb_rng_normal_fill_fast(rng, K * dof, xr); /* the draws z_k, then y + σ z_k in place */
            for (size_t k = 0; k < K; k++)
                for (size_t q = 0; q < dof; q++) xr[k * dof + q] = c->data_scale * (yr[q] + sd * xr[k * dof + q]);
        }
        rc = bb_oracle_eval(o, nr * K, xs, u, g, ctx);
        if (rc) goto out; /* BB_EBUDGET / BB_ENAN: the caller ends the step */
        for (size_t r = 0; r < nr; r++) {
            const double *ur = u + r * K, *gr = g + r * K * dof;
            double *sr = out + (r0 + r) * dof;
            /* log-weights −u_k; the largest finite one is the shift of the log-sum-exp */
            double mx = -INFINITY;
            for (size_t k = 0; k < K; k++)
                if (isfinite(ur[k]) && -ur[k] > mx) mx = -ur[k];
            memset(sr, 0, dof * sizeof(double));
            if (!isfinite(mx)) { /* every draw +INFINITY (e.g. overlapping particles) */
                if (all_rejected) (*all_rejected)++;
                continue;
            }
            double wsum = 0.0;
            for (size_t k = 0; k < K; k++) {
                if (!isfinite(ur[k])) continue;
                const double w = exp(-ur[k] - mx);
                wsum += w;
                for (size_t q = 0; q < dof; q++) sr[q] -= w * gr[k * dof + q];
            }
            /* ∇_y = data_scale ∇_x; the largest weight is 1, so wsum >= 1 */
            const double f = c->data_scale / wsum;
            for (size_t q = 0; q < dof; q++) sr[q] *= f;
            if (c->clip_particles)
                bb_clip_norms(sr, (size_t)c->net.sp.P, c->net.sp.D, c->max_score_norm);
            else
                bb_clip_norms(sr, 1, (int)dof, c->max_score_norm);
        }
    }
out:
    free(xs);
    free(g);
    free(u);
    return rc;
}
