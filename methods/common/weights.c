/* weights.c — log Ẑ and the ESS fraction of importance log-weights (weights.h). */
#include "methods/common/weights.h"

#include <math.h>

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
