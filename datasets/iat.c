/* iat.c — Sokal's automatic-window integrated autocorrelation time (see iat.h). */
#include "datasets/iat.h"

#include <math.h>

int bb_energy_iat(const double *series, size_t n, double *tau, double *ess, bb_ctx *ctx) {
    *tau = NAN;
    *ess = NAN;
    if (!series || n < 2) return BB_ERR(ctx, BB_EINVAL, "iat: need at least 2 values (got %zu)", n);
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(series[i])) return BB_ERR(ctx, BB_ENAN, "iat: series[%zu] is not finite", i);
        mean += series[i];
    }
    mean /= (double)n;
    double c0 = 0.0;
    for (size_t i = 0; i < n; i++) c0 += (series[i] - mean) * (series[i] - mean);
    c0 /= (double)n;
    if (!(c0 > 0.0)) return BB_ERR(ctx, BB_EINVAL, "iat: the series is constant");
    double t = 1.0;
    size_t mmax = n / 2;
    for (size_t m = 1; m <= mmax; m++) {
        double cm = 0.0;
        for (size_t i = 0; i + m < n; i++) cm += (series[i] - mean) * (series[i + m] - mean);
        t += 2.0 * (cm / (double)n) / c0;
        if ((double)m >= BB_IAT_WINDOW_C * t) {
            *tau = t;
            *ess = (double)n / t;
            if (!(t > 0.0))
                return BB_ERR(ctx, BB_EINVAL,
                              "iat: estimate %.3g is not positive (anticorrelated "
                              "or too short series)",
                              t);
            return BB_OK;
        }
    }
    *tau = t;
    *ess = (double)n / t;
    return BB_ERR(ctx, BB_EINVAL,
                  "iat: series of %zu values too short for the automatic window (tau ~ %.3g); "
                  "run longer",
                  n, t);
}
