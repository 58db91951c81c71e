/* reference_free.c — descriptive statistics of a sample set's reduced energies, for tasks
 * without a reference set (and for `boltzbench eval` on such tasks): what can be said about
 * samples without knowing the target's distribution. Quantiles are bb_quantile_sorted's
 * linear interpolation over the sorted finite energies (numpy's default). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int add(cJSON *out, const char *name, double v, size_t n, const char *def, bb_ctx *ctx) {
    cJSON *e = bb_metric_entry(out, name, v, n, NULL, def);
    if (!e || !cJSON_AddBoolToObject(e, "higher_is_better", 0))
        return BB_ERR(ctx, BB_ENOMEM, "metric %s: out of memory", name);
    return BB_OK;
}

int bb_metrics_reference_free(const double *u, size_t n, cJSON *out, bb_ctx *ctx) {
    double *f = malloc((n ? n : 1) * sizeof *f);
    if (!f) return BB_ERR(ctx, BB_ENOMEM, "reference-free statistics: out of memory for %zu energies", n);
    size_t m = 0, n_inf = 0, n_nan = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(u[i]))
            n_nan++;
        else if (isinf(u[i]))
            n_inf++;
        else
            f[m++] = u[i];
    }
    qsort(f, m, sizeof *f, cmp_double);
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < m; i++) mean += f[i];
    mean = m ? mean / (double)m : NAN;
    for (size_t i = 0; i < m; i++) var += (f[i] - mean) * (f[i] - mean);
    double sd = m > 1 ? sqrt(var / (double)(m - 1)) : NAN;
    static const double ps[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    static const char *const qn[5] = {"energy_q05", "energy_q25", "energy_median", "energy_q75", "energy_q95"};
    int rc = add(out, "energy_mean", mean, m, "mean reduced energy u = E/kT of the finite-energy samples", ctx);
    if (!rc)
        rc = add(out, "energy_std", sd, m, "sample standard deviation (n − 1) of the finite reduced energies", ctx);
    for (int k = 0; k < 5 && !rc; k++)
        rc = add(out, qn[k], m ? bb_quantile_sorted(f, m, ps[k]) : NAN, m,
                 "quantile of the finite reduced energies (linear interpolation, numpy's default)", ctx);
    if (!rc) rc = add(out, "energy_min", m ? f[0] : NAN, m, "lowest finite reduced energy among the samples", ctx);
    if (!rc)
        rc = add(out, "energy_inf_fraction", n ? (double)n_inf / (double)n : NAN, n,
                 "fraction of samples whose energy is +inf (configurations the task cannot represent)", ctx);
    if (!rc)
        rc = add(out, "energy_nan_fraction", n ? (double)n_nan / (double)n : NAN, n,
                 "fraction of samples whose energy is NaN", ctx);
    free(f);
    return rc;
}
