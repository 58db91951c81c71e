/* weights.c — log Ẑ and the ESS fraction of importance log-weights, the weighted final
 * draw that produces them, and SMC systematic resampling (weights.h). */
#include "methods/common/weights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int bb_resample_systematic(const double *logw, size_t n, double u, size_t *idx, bb_ctx *ctx) {
    if (!(u >= 0.0 && u < 1.0))
        return BB_ERR(ctx, BB_EINVAL, "systematic resampling: u must lie in [0, 1) (got %g)", u);
    double mx = -INFINITY, tot = 0.0;
    for (size_t i = 0; i < n; i++)
        if (logw[i] > mx) mx = logw[i];
    if (!isfinite(mx)) return BB_ERR(ctx, BB_EINVAL, "systematic resampling: no finite log-weight among %zu", n);
    for (size_t i = 0; i < n; i++) tot += exp(logw[i] - mx);
    /* walk the cumulative weights once; the last particle with positive weight takes any
     * point the rounding of the cumulative sum leaves past the end */
    size_t i = 0, last = 0;
    for (size_t j = 0; j < n; j++)
        if (logw[j] > -INFINITY) last = j;
    double cum = exp(logw[0] - mx) / tot;
    for (size_t k = 0; k < n; k++) {
        const double p = (u + (double)k) / (double)n;
        while (p >= cum && i < last) cum += exp(logw[++i] - mx) / tot;
        idx[k] = i;
    }
    return BB_OK;
}

int bb_smc_resample(double *logw, size_t n, double threshold, bb_rng *rng, size_t *idx, int *resampled, bb_ctx *ctx) {
    *resampled = 0;
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return BB_ERR(ctx, BB_EINVAL, "ess_threshold: must lie in [0, 1] (got %g)", threshold);
    double lz, ess;
    bb_logw_summary(logw, n, &lz, &ess);
    if (n == 0 || !isfinite(lz)) return BB_ERR(ctx, BB_EINVAL, "SMC resampling: no finite log-weight among %zu", n);
    if (!(ess <= threshold)) {
        for (size_t k = 0; k < n; k++) idx[k] = k;
        return BB_OK;
    }
    int rc = bb_resample_systematic(logw, n, bb_rng_uniform(rng), idx, ctx);
    if (rc != BB_OK) return rc;
    for (size_t k = 0; k < n; k++) logw[k] = lz;
    *resampled = 1;
    return BB_OK;
}

void bb_rows_gather(const double *src, size_t dof, const size_t *idx, size_t n, double *dst) {
    for (size_t k = 0; k < n; k++) memcpy(dst + k * dof, src + idx[k] * dof, dof * sizeof(double));
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bb_clip_quantile(double *a, size_t n, double q, bb_ctx *ctx) {
    if (!(q >= 0.0 && q <= 1.0)) return BB_ERR(ctx, BB_EINVAL, "quantile clip: q must lie in [0, 1] (got %g)", q);
    double *s = malloc((n ? n : 1) * sizeof(double));
    if (!s) return BB_ERR(ctx, BB_ENOMEM, "quantile clip: cannot allocate %zu values", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(a[i])) s[m++] = a[i];
    if (m > 0) {
        qsort(s, m, sizeof(double), cmp_double);
        const double pos = q * (double)(m - 1);
        const size_t lo = (size_t)floor(pos), hi = lo + 1 < m ? lo + 1 : lo;
        const double cap = s[lo] + (pos - (double)lo) * (s[hi] - s[lo]);
        for (size_t i = 0; i < n; i++)
            if (a[i] > cap) a[i] = cap;
    }
    free(s);
    return BB_OK;
}
