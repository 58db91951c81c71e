/* weights.h — what importance log-weights say about the normalising constant, shared by
 * the samplers that weight their final draw (Adjoint Sampling with importance_weights,
 * PIS's path-space weights).
 *
 * For log w_i = log p̃(x_i) − log q(x_i) with x_i ~ q: log Ẑ = log mean_i w_i (log-mean-
 * exp, shifted by the largest log w) and the ESS fraction (Σw)² / (n Σw²) in (0, 1].
 */
#ifndef BB_WEIGHTS_H
#define BB_WEIGHTS_H

#include <stddef.h>

/* log Ẑ and the ESS fraction of logw[n]. Entries of −inf weigh nothing; when every entry
 * is −inf, *log_z = −inf and *ess_fraction = NaN (n = 0: both NaN). */
void bb_logw_summary(const double *logw, size_t n, double *log_z, double *ess_fraction);

#endif
