/* weights.c — log Ẑ and the ESS fraction of importance log-weights, and the weighted
 * final draw that produces them (weights.h). */
#include "methods/common/weights.h"

#include <math.h>
#include <stdlib.h>

#include "harness/oracle/oracle.h"

void bb_logw_summary(const double *logw, size_t n, double *log_z, double *ess_fraction) {
    double mx = -INFINITY, s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++)
        if (logw[i] > mx) mx = logw[i];
    for (size_t i = 0; i < n && isfinite(mx); i++) {
        double w = exp(logw[i] - mx);
        s1 += w;
        s2 += w * w;
    }
    *log_z = mx + log(s1 / (double)n);
    *ess_fraction = s1 * s1 / (s2 * (double)n);
}

int bb_logw_finish(bb_oracle *o, bb_samples *out, double (*log_q)(const void *q, const double *x), const void *q,
                   const char *who, double *log_z, double *ess_fraction, int *weighted, bb_ctx *ctx) {
    const size_t n = out->n;
    *weighted = 0;
    double *uf = malloc((n ? n : 1) * sizeof(double));
    if (!uf) return BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate %zu energies", who, n);
    int rc = bb_oracle_eval(o, n, out->x, uf, NULL, ctx);
    if (rc == BB_OK) {
        for (size_t i = 0; i < n; i++) out->logw[i] += -uf[i] - log_q(q, out->x + i * out->dof);
        bb_logw_summary(out->logw, n, log_z, ess_fraction);
        *weighted = 1;
    } else if (rc == BB_EBUDGET) { /* the reserve was taken by someone else: unweighted samples */
        bb_ctx_clear(ctx);
        rc = BB_OK;
        free(out->logw);
        out->logw = NULL;
    }
    free(uf);
    return rc;
}
