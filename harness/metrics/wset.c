/* wset.c — weighted sets for the metrics: importance weights from log-weights,
 * the finite-energy filter (how rejected +INFINITY configurations are excluded),
 * and Kish's effective sample size.
 *
 * It is not an estimator of anything by itself; metric files build on it. See
 * metric_lib.h for the contracts.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

void bb_wset_free(bb_wset *s) {
    if (!s) return;
    free(s->v);
    free(s->w);
    memset(s, 0, sizeof *s);
}

int bb_weights_from_log(size_t n, const double *logw, double **w, const char *what, bb_ctx *ctx) {
    *w = NULL;
    if (!logw) return BB_OK;
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(logw[i]) || logw[i] == INFINITY)
            return BB_ERR(ctx, BB_ENAN, "%s: log-weight %zu is %s", what, i, isnan(logw[i]) ? "NaN" : "+inf");
        if (logw[i] > mx) mx = logw[i];
    }
    double *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu weights", what, n);
    for (size_t i = 0; i < n; i++) out[i] = (mx == -INFINITY) ? 0.0 : exp(logw[i] - mx);
    *w = out;
    return BB_OK;
}

int bb_wset_energies(size_t n, const double *u, const double *logw, const char *what, bb_wset *out, size_t *n_rejected,
                     bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    *n_rejected = 0;
    double *w = NULL;
    int rc = bb_weights_from_log(n, logw, &w, what, ctx);
    if (rc) return rc;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        free(w);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu energies", what, n);
    }
    size_t m = 0, rej = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(u[i]) || u[i] == -INFINITY) {
            free(v);
            free(w);
            return BB_ERR(ctx, BB_ENAN, "%s: energy %zu is %s", what, i, isnan(u[i]) ? "NaN" : "-inf");
        }
        if (u[i] == INFINITY) {
            rej++;
            continue;
        }
        v[m] = u[i];
        if (w) w[m] = w[i];
        m++;
    }
    out->n = m;
    out->k = 1;
    out->v = v;
    out->w = w;
    *n_rejected = rej;
    return BB_OK;
}

double bb_wset_mass(const bb_wset *s) {
    if (!s->w) return (double)s->n;
    double m = 0.0;
    for (size_t i = 0; i < s->n; i++) m += s->w[i];
    return m;
}

double bb_kish_ess(size_t n, const double *w) {
    if (!w) return (double)n;
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        s2 += w[i] * w[i];
    }
    return s2 > 0.0 ? s * s / s2 : 0.0;
}
