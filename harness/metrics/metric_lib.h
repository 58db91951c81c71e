/* metric_lib.h — the numerical building blocks of the metric families, usable on
 * their own (tests, benchmarks, `boltzbench eval`, the minima catalogue builder).
 *
 * This header is the library side of harness/metrics: weighted sets, the seeded
 * bootstrap, exact 1-D optimal transport, fixed-grid histograms, exact linear
 * assignment, permutation/rotation alignment (Kabsch), importance-sampling
 * estimators. It is not the registry (metrics.h) and it never touches JSON except
 * through bb_metric_entry(), the one helper every family uses to write its result.
 *
 * Shapes: N items (configurations), K values per item, P particles, D dimensions.
 * Weights are non-negative, unnormalised, per item; NULL means equal weights.
 * Every function returns BB_OK or a negative BB_E* with ctx set; outputs are
 * written only on success unless stated.
 */
#ifndef BB_METRIC_LIB_H
#define BB_METRIC_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "harness/bb.h"
#include "harness/samples.h"

typedef struct cJSON cJSON;

/* RNG stream ids of the metric families (harness/rng.h: 0x5000_0000+ is metrics).
 * Bootstrap replicate b of a metric uses stream (base + 2b) for the samples and
 * (base + 2b + 1) for the reference; subsampling uses base + 0xFFFF. */
#define BB_STREAM_ENERGY_W2 UINT64_C(0x50010000)
#define BB_STREAM_ENERGY_W1 UINT64_C(0x50020000)
#define BB_STREAM_ENERGY_TV UINT64_C(0x50030000)
#define BB_STREAM_DIST_W2 UINT64_C(0x50040000)
#define BB_STREAM_DIST_TV UINT64_C(0x50050000)
#define BB_STREAM_X_W2 UINT64_C(0x50060000)
#define BB_STREAM_EQ_X_W2 UINT64_C(0x50070000)
#define BB_STREAM_LOG_Z UINT64_C(0x50080000)
#define BB_STREAM_ESS UINT64_C(0x50090000)
#define BB_STREAM_MMD UINT64_C(0x500A0000)
#define BB_STREAM_SINKHORN UINT64_C(0x500B0000)
#define BB_STREAM_TICA UINT64_C(0x500C0000)
#define BB_STREAM_MINIMA UINT64_C(0x500D0000)

/* Number of bootstrap resamples for the CI of cheap (1-D) metrics. */
#define BB_BOOT_N 200

/* ---- weighted sets -------------------------------------------------------- */

/* N items of K values each, with optional per-item weights. Owns v and w when
 * built by the functions below (free with bb_wset_free). */
typedef struct bb_wset {
    size_t n;   /* N items */
    size_t k;   /* K values per item */
    double *v;  /* [N][K] */
    double *w;  /* [N] non-negative weights, or NULL (equal) */
} bb_wset;

void bb_wset_free(bb_wset *s); /* NULL-safe; zeroes the struct */

/* Normalised weights from natural-log weights: w_i = exp(logw_i − max) (not divided
 * by the sum). logw may be NULL (then *w = NULL). −inf gives 0; NaN or +inf is an
 * error naming `what` and the index. */
int bb_weights_from_log(size_t n, const double *logw, double **w, const char *what, bb_ctx *ctx);

/* Build the energy set of a sample: items with u = +INFINITY are excluded and counted
 * in *n_rejected; NaN or −INFINITY energies are errors naming `what`. logw may be NULL. */
int bb_wset_energies(size_t n, const double *u, const double *logw, const char *what,
                     bb_wset *out, size_t *n_rejected, bb_ctx *ctx);

/* Kish effective sample size (Σw)²/Σw² of a weight vector (N if w == NULL). */
double bb_kish_ess(size_t n, const double *w);

/* ---- seeded bootstrap ----------------------------------------------------- */

/* A statistic of two weighted sets; must be pure and thread-safe. */
typedef int (*bb_stat2_fn)(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx);

/* Percentile bootstrap 95% interval of fn: n_boot replicates, each resampling the
 * items of a (and of b when b != NULL and resample_b) uniformly with replacement,
 * weights carried along, on streams (stream_base + 2r, stream_base + 2r + 1) of seed.
 * ci = [q2.5, q97.5] (linear interpolation, numpy's default). Replicates run in
 * parallel (OpenMP, one replicate per iteration), so the result is independent of
 * the thread count. */
int bb_bootstrap2(const bb_wset *a, const bb_wset *b, int resample_b, bb_stat2_fn fn, void *user,
                  int n_boot, uint64_t seed, uint64_t stream_base, double ci[2], bb_ctx *ctx);

/* Linear-interpolated quantile q in [0,1] of sorted x[n] (n > 0). */
double bb_quantile_sorted(const double *x, size_t n, double q);

/* ---- exact 1-D optimal transport ------------------------------------------ */

/* W_p^p between the weighted empirical distributions of a[na] and b[nb] (weights wa,
 * wb may be NULL = equal; normalised internally), computed exactly by sorting and
 * merging the quantile functions: ∫₀¹ |F_a⁻¹(t) − F_b⁻¹(t)|^p dt. p ≥ 1. */
int bb_w1d_pow(size_t na, const double *a, const double *wa, size_t nb, const double *b,
               const double *wb, double p, double *out, bb_ctx *ctx);

/* Same on weighted sets: every value of item i carries weight w_i / K. */
int bb_wset_w1d_pow(const bb_wset *a, const bb_wset *b, double p, double *out, bb_ctx *ctx);

/* ---- fixed-grid histograms and total variation ---------------------------- */

/* `nbins` equal bins on [lo, hi) plus an underflow cell (index 0) and an overflow
 * cell (index nbins + 1); hi itself falls in the last bin. */
typedef struct bb_hgrid {
    double lo, hi;
    int nbins;
} bb_hgrid;

/* Grid spanning the finite values of a reference set (widened by ±0.5 if all equal). */
int bb_hgrid_from(const bb_wset *ref, int nbins, bb_hgrid *g, bb_ctx *ctx);
/* Probability mass per cell, mass[nbins + 2], summing to 1. */
int bb_hist_mass(const bb_hgrid *g, const bb_wset *s, double *mass, bb_ctx *ctx);
/* TV = ½ Σ_cells |p − q| on the grid (under/overflow cells included). */
int bb_hist_tv(const bb_hgrid *g, const bb_wset *a, const bb_wset *b, double *out, bb_ctx *ctx);

/* ---- JSON output ------------------------------------------------------------ */

/* Add {name: {"value": v, "n_samples": n, "ci95": [lo, hi] (if ci), "definition": def}}
 * to out and return the new object (for metric-specific fields), or NULL when out of
 * memory. Non-finite values become null. */
cJSON *bb_metric_entry(cJSON *out, const char *name, double value, size_t n_samples,
                       const double *ci, const char *definition);

#endif
