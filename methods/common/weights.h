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

#include "harness/core/bb.h"
#include "harness/core/samples.h"

typedef struct bb_oracle bb_oracle;

/* log Ẑ and the ESS fraction of logw[n]. Entries of −inf weigh nothing; when every entry
 * is −inf, *log_z = −inf and *ess_fraction = NaN (n = 0: both NaN). */
void bb_logw_summary(const double *logw, size_t n, double *log_z, double *ess_fraction);

/* Finish a weighted final draw: out->logw holds the sampler's −log q-path terms (or zeros);
 * the energies u(x) of the out->n samples are evaluated through the oracle (the caller has
 * released its reserve), −u(x) − log_q(q, x) is added to every log-weight and the
 * summary written to *log_z, *ess_fraction. When the budget cannot pay (BB_EBUDGET) the
 * samples stay unweighted: out->logw is freed and NULL, BB_OK. *weighted says which.
 * `who` names the method in the out-of-memory message. */
int bb_logw_finish(bb_oracle *o, bb_samples *out, double (*log_q)(const void *q, const double *x), const void *q,
                   const char *who, double *log_z, double *ess_fraction, int *weighted, bb_ctx *ctx);

#endif
