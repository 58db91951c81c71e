/* iat.h — integrated autocorrelation time of a scalar series (energy trace of a chain).
 *
 * τ = 1 + 2 Σ_{t=1}^{M} ρ(t), with ρ the normalised autocovariance (biased estimator,
 * divided by n) and Sokal's automatic window: the smallest M with M ≥ c·τ(M), c = 5
 * (A. Sokal, "Monte Carlo methods in statistical mechanics", 1996, §3; also emcee's
 * autocorr). ESS = n / τ. Used for the provenance sidecar of generated reference sets.
 * Not here: multi-chain estimators (Gelman–Rubin), FFT acceleration — the direct sum is
 * O(n·M), fine for energy traces of a few 10^6 points with τ in the hundreds.
 */
#ifndef BB_IAT_H
#define BB_IAT_H

#include <stddef.h>

#include "harness/core/bb.h"

#define BB_IAT_WINDOW_C 5.0

/* τ and ESS of series[0..n). BB_EINVAL if n < 2 or the series is constant, BB_ENAN for a
 * non-finite value, BB_EINVAL when the estimate is not positive (anticorrelated), BB_EINVAL (with τ and ESS still set to the estimate at M = n/2) when
 * the window never closes because the series is shorter than about c·τ. */
int bb_energy_iat(const double *series, size_t n, double *tau, double *ess, bb_ctx *ctx);

#endif
