/* weights.h — what importance log-weights say about the normalising constant, shared by
 * the samplers that weight their final draw (Adjoint Sampling with importance_weights,
 * PIS's path-space weights).
 *
 * For log w_i = log p̃(x_i) − log q(x_i) with x_i ~ q: log Ẑ = log mean_i w_i (log-mean-
 * exp, shifted by the largest log w) and the ESS fraction (Σw)² / (n Σw²) in (0, 1].
 *
 * Sequential Monte Carlo (PITA's annealing, and any sampler that carries weighted particles):
 * systematic resampling of the particles by their normalised weights w̄_i = w_i / Σw, and
 * the ESS-triggered step that resamples only when the ESS fraction has fallen to a threshold.
 */
#ifndef BB_WEIGHTS_H
#define BB_WEIGHTS_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/core/rng.h"
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

/* Systematic resampling (Kitagawa 1996; PITA's sample_cat_sys, without its 1e-6 weight
 * floor): the n points (u + k)/n, k = 0..n−1, u in [0, 1), fall on the cumulative normalised
 * weights of logw[n]; idx[k] is the particle whose cell holds point k, so idx is
 * non-decreasing and particle i gets ⌊n w̄_i⌋ or ⌈n w̄_i⌉ copies (a −inf weight gets none).
 * No finite weight, or u outside [0, 1): BB_EINVAL. */
int bb_resample_systematic(const double *logw, size_t n, double u, size_t *idx, bb_ctx *ctx);

/* One SMC resampling decision: when the ESS fraction of logw[n] is <= threshold (1: every
 * call, as PITA's resampling_interval = 1; 0: only when the weights are degenerate to ESS 0,
 * i.e. never for finite weights), draws one uniform from rng, writes the systematic
 * resampling indices to idx and sets every logw to log Ẑ (the log mean weight), so the
 * normalising-constant estimate carries over; otherwise idx is the identity and logw is
 * untouched. *resampled says which. threshold outside [0, 1] or no finite weight: BB_EINVAL. */
int bb_smc_resample(double *logw, size_t n, double threshold, bb_rng *rng, size_t *idx, int *resampled, bb_ctx *ctx);

/* Clip a[n] from above at its q-quantile (linear interpolation between order statistics at
 * position q (n − 1), as torch.quantile): PITA clamps the Feynman–Kac weight rate and the
 * final log-weights at q = 0.9 (sdes.py:230, sde_integration.py:179). n = 0: nothing; q
 * outside [0, 1] or no memory: BB_EINVAL / BB_ENOMEM. NaN entries are left as they are and
 * not counted among the order statistics. */
int bb_clip_quantile(double *a, size_t n, double q, bb_ctx *ctx);

/* dst[k][dof] = src[idx[k]][dof] for k < n (dst and src must not overlap). */
void bb_rows_gather(const double *src, size_t dof, const size_t *idx, size_t n, double *dst);

#endif
