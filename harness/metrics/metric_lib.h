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

#include "harness/core/bb.h"
#include "harness/core/samples.h"
#include "tasks/task.h"
#include "harness/metrics/metrics.h"

typedef struct cJSON cJSON;

/* RNG stream ids of the metric families (harness/core/rng.h: 0x5000_0000+ is metrics).
 * Bootstrap replicate b of a metric uses stream (base + 2b) for the samples and
 * (base + 2b + 1) for the reference; subsampling uses base + 0xFFFF. */
#define BB_STREAM_ENERGY_W2    UINT64_C(0x50010000)
#define BB_STREAM_ENERGY_W1    UINT64_C(0x50020000)
#define BB_STREAM_ENERGY_TV    UINT64_C(0x50030000)
#define BB_STREAM_DIST_W2      UINT64_C(0x50040000)
#define BB_STREAM_DIST_TV      UINT64_C(0x50050000)
#define BB_STREAM_X_W2         UINT64_C(0x50060000)
#define BB_STREAM_EQ_X_W2      UINT64_C(0x50070000)
#define BB_STREAM_LOG_Z        UINT64_C(0x50080000)
#define BB_STREAM_ESS          UINT64_C(0x50090000)
#define BB_STREAM_MMD          UINT64_C(0x500A0000)
#define BB_STREAM_SINKHORN     UINT64_C(0x500B0000)
#define BB_STREAM_TICA         UINT64_C(0x500C0000)
#define BB_STREAM_MINIMA       UINT64_C(0x500D0000)
#define BB_STREAM_X_W1         UINT64_C(0x500E0000)
#define BB_STREAM_EQ_DEM       UINT64_C(0x500F0000)
#define BB_STREAM_SINKHORN_DIV UINT64_C(0x50100000)
#define BB_STREAM_LOG_Z_ERROR  UINT64_C(0x50110000)
#define BB_STREAM_RAMA         UINT64_C(0x50120000)
#define BB_STREAM_DIHEDRAL     UINT64_C(0x50130000)
#define BB_STREAM_PEPMIN       UINT64_C(0x50140000)
#define BB_STREAM_BASIN        UINT64_C(0x50150000)
#define BB_STREAM_CREST        UINT64_C(0x50160000)
#define BB_STREAM_CONFMIN      UINT64_C(0x50170000)
#define BB_STREAM_MODES        UINT64_C(0x50180000)
/* Reference-vs-reference floors draw their two disjoint reference subsets from base + 0xFFFD. */

/* Number of bootstrap resamples for the CI of cheap (1-D) metrics. */
#define BB_BOOT_N 200

/* ---- weighted sets -------------------------------------------------------- */

/* N items of K values each, with optional per-item weights. Owns v and w when
 * built by the functions below (free with bb_wset_free). */
typedef struct bb_wset {
    size_t n;  /* N items */
    size_t k;  /* K values per item */
    double *v; /* [N][K] */
    double *w; /* [N] non-negative weights, or NULL (equal) */
} bb_wset;

void bb_wset_free(bb_wset *s); /* NULL-safe; zeroes the struct */

/* Normalised weights from natural-log weights: w_i = exp(logw_i − max) (not divided
 * by the sum). logw may be NULL (then *w = NULL). −inf gives 0; NaN or +inf is an
 * error naming `what` and the index. */
int bb_weights_from_log(size_t n, const double *logw, double **w, const char *what, bb_ctx *ctx);

/* Build the energy set of a sample: items with u = +INFINITY are excluded and counted
 * in *n_rejected; NaN or −INFINITY energies are errors naming `what`. logw may be NULL. */
int bb_wset_energies(size_t n, const double *u, const double *logw, const char *what, bb_wset *out, size_t *n_rejected,
                     bb_ctx *ctx);

/* Two disjoint seeded subsets of nf items each (the first and second nf of a shuffle without
 * replacement, stream `stream` of seed), weights carried along; 2 nf <= s->n. */
int bb_wset_split(const bb_wset *s, size_t nf, uint64_t seed, uint64_t stream, bb_wset *h1, bb_wset *h2, bb_ctx *ctx);

/* Total weight of a set: its item count when unweighted, 0 when empty or every weight is 0. */
double bb_wset_mass(const bb_wset *s);

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
int bb_bootstrap2(const bb_wset *a, const bb_wset *b, int resample_b, bb_stat2_fn fn, void *user, int n_boot,
                  uint64_t seed, uint64_t stream_base, double ci[2], bb_ctx *ctx);

/* The replicate values of bb_bootstrap2 (OUT vals[n_boot]; NaN where undefined). */
int bb_bootstrap2_values(const bb_wset *a, const bb_wset *b, int resample_b, bb_stat2_fn fn, void *user, int n_boot,
                         uint64_t seed, uint64_t stream_base, double *vals, bb_ctx *ctx);

/* Percentile 95% interval from n_boot replicate values (reordered in place): non-finite
 * replicates are dropped, and the interval is NaN unless at least half remain. */
void bb_bootstrap_percentile_ci(double *vals, int n_boot, double ci[2]);
/* Median-bias-corrected percentile 95% interval (what the metrics report): the percentile
 * interval shifted by estimate − median(vals), each end raised to at least floor_value (0
 * for a distance; −INFINITY: no bound). It always contains the estimate. Same dropping rule;
 * NaN also when the estimate is not finite. */
void bb_bootstrap_centred_ci(double *vals, int n_boot, double estimate, double floor_value, double ci[2]);
/* Linear-interpolated quantile q in [0,1] of sorted x[n] (n > 0). */
double bb_quantile_sorted(const double *x, size_t n, double q);

/* A statistic of the sample set a against the reference b as the metrics report it. */
typedef struct bb_twoset {
    double value;   /* fn(a, b) */
    double ci[2];   /* NaN unless n_boot >= 2 */
    double floor;   /* fn on two disjoint reference subsets of floor_n items (NaN if 0) */
    size_t floor_n; /* min(a->n, b->n / 2) */
} bb_twoset;
/* value = fn(a, b); ci95 (n_boot >= 2): replicates resample both sets (bb_bootstrap2's
 * streams; when w1d_p >= 1, fn must be W_p and bb_w1d_bootstrap_values gives the same
 * replicates faster), interval bb_bootstrap_centred_ci clipped at 0; floor: fn between two
 * disjoint subsets of the reference (bb_wset_split, stream base + 0xFFFD). */
int bb_twoset_eval(const bb_wset *a, const bb_wset *b, bb_stat2_fn fn, void *user, double w1d_p, int n_boot,
                   uint64_t seed, uint64_t stream, bb_twoset *r, bb_ctx *ctx);

/* ---- exact 1-D optimal transport ------------------------------------------ */

/* W_p^p between the weighted empirical distributions of a[na] and b[nb] (weights wa,
 * wb may be NULL = equal; normalised internally), computed exactly by sorting and
 * merging the quantile functions: ∫₀¹ |F_a⁻¹(t) − F_b⁻¹(t)|^p dt. p ≥ 1. */
int bb_w1d_pow(size_t na, const double *a, const double *wa, size_t nb, const double *b, const double *wb, double p,
               double *out, bb_ctx *ctx);

/* Same on weighted sets: every value of item i carries weight w_i / K. */
int bb_wset_w1d_pow(const bb_wset *a, const bb_wset *b, double p, double *out, bb_ctx *ctx);

/* W2 = sqrt(W_2^2) and W1 of weighted sets as bb_stat2_fn statistics (user unused); NaN
 * (BB_OK) when a has no mass. */
int bb_stat_w2(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx);
int bb_stat_w1(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx);

/* Percentile bootstrap 95% CI of W_p = (W_p^p)^(1/p) between weighted sets, with the same
 * replicate draws as bb_bootstrap2 (streams base + 2r, base + 2r + 1) but sorting each
 * set once: a replicate is a vector of item multiplicities, O(values) per replicate. */
int bb_w1d_bootstrap(const bb_wset *a, const bb_wset *b, double p, int n_boot, uint64_t seed, uint64_t stream_base,
                     double ci[2], bb_ctx *ctx);
/* Its replicate values W_p (OUT vals[n_boot], NaN where a replicate has no mass). */
int bb_w1d_bootstrap_values(const bb_wset *a, const bb_wset *b, double p, int n_boot, uint64_t seed,
                            uint64_t stream_base, double *vals, bb_ctx *ctx);

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
/* The same as a bb_stat2_fn (user: the bb_hgrid): NaN (BB_OK) when a has no mass, like
 * bb_stat_w2, so a bootstrap replicate that resampled every positive weight away is
 * dropped from the interval instead of failing the metric. */
int bb_stat_hist_tv(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx);

/* ---- exact linear assignment (lap.c) ------------------------------------- */

/* Exact min_σ Σ_i C[i][σ(i)] for a dense n × n row-major cost matrix (Jonker–Volgenant).
 * OUT x[n]: the column assigned to row i; OUT cost: the optimal total. Costs must be
 * finite. */
int bb_lap_solve(int n, const double *C, int *x, double *cost, bb_ctx *ctx);
/* Allocation-free variant for hot loops: ws has bb_lap_ws_size(n) bytes (malloc'ed,
 * so suitably aligned); C is not checked for non-finite values. Always BB_OK. */
size_t bb_lap_ws_size(int n);
int bb_lap_solve_ws(int n, const double *C, int *x, double *cost, void *ws);
/* The two phases of the dense solver, for lap_sparse.c: column reduction with reduction
 * transfer (returns the number of free rows, listed in free_rows; OUT x, y (−1: free),
 * column potentials v; unique[n] scratch), and shortest augmenting paths for the given
 * free rows on a state where every assigned row i is tight, C[i][x_i] − v[x_i] =
 * min_j (C[i][j] − v[j]) (pred, cols [n] ints and d [2n] doubles scratch). */
int bb_lap_init(int n, const double *C, int *free_rows, int *x, int *y, double *v, char *unique);
void bb_lap_augment(int n, const double *C, int nfree, const int *free_rows, int *x, int *y, double *v, int *pred,
                    int *cols, double *d);
/* Same optimum as bb_lap_solve, faster on large dense problems (n >= 512; below, it is
 * bb_lap_solve): JV's shortest augmenting paths with each row offering its columns lazily
 * from a short list of its smallest reduced costs, exact lower bounds throughout (see
 * lap_sparse.c); 10x the dense solver on 39-D LJ-13 coordinates at n = 2000. Allocates
 * O(n) per call; the result does not depend on the thread count. Costs must be finite. */
int bb_lap_solve_fast(int n, const double *C, int *x, double *cost, bb_ctx *ctx);

/* ---- exact OT between equal-size sets (ot_exact.c) --------------------------- */

/* C[i][j] = ‖A_i − B_j‖² for A [n][d], B [m][d]; OUT C [n][m] (caller-allocated). */
int bb_sqdist_matrix(size_t n, size_t m, size_t d, const double *A, const double *B, double *C, bb_ctx *ctx);
/* Same shape, computed as ‖a‖² + ‖b‖² − 2 a·b with one dgemm per fixed block of 64 rows
 * (OpenMP over blocks: the same bits on any thread count), clamped at 0. Several times
 * faster than bb_sqdist_matrix for d >~ 8; entries differ from it by rounding, about
 * 1e-16 (‖a‖² + ‖b‖²), so a zero distance may come out as a tiny positive number. */
int bb_sqdist_matrix_gemm(size_t n, size_t m, size_t d, const double *A, const double *B, double *C, bb_ctx *ctx);
/* Seeded choice of k of n items (stream `stream` of seed). w == NULL: without
 * replacement (first k of a Fisher–Yates shuffle; k <= n). w != NULL: systematic
 * resampling proportional to w (k may exceed n). OUT idx[k]. */
int bb_subsample_indices(size_t n, size_t k, const double *w, uint64_t seed, uint64_t stream, size_t *idx, bb_ctx *ctx);
/* Exact min_σ (1/n) Σ_i C[i][σ(i)] for a dense n × n cost. */
int bb_ot_assign_mean(int n, const double *C, double *mean, bb_ctx *ctx);
/* Exact W2² between equally weighted A [n][d] and B [n][d] (squared Euclidean cost): the
 * optimal assignment of bb_sqdist_matrix_gemm's cost, its mean cost from exact differences. */
int bb_ot_exact_w2sq(size_t n, size_t d, const double *A, const double *B, double *w2sq, bb_ctx *ctx);
/* Exact assignment mean of C (OUT mean) and a percentile 95% CI of its square root from
 * n_boot resamples of the n optimally matched pair costs with the assignment held fixed
 * (replicate r: stream base + 2r). Cheap, centred on the value; it ignores re-matching,
 * so it understates the sampling spread (used by x_w2, eq_x_w2, tica_w2). */
int bb_ot_assign_mean_ci(int n, const double *C, int n_boot, uint64_t seed, uint64_t stream_base, double *mean,
                         double ci[2], bb_ctx *ctx);
/* Percentile bootstrap 95% CI of sqrt(assignment mean) of a fixed n × n cost matrix:
 * replicate r resamples rows (stream base + 2r) and columns (base + 2r + 1). */
int bb_ot_bootstrap_sqrt(int n, const double *C, int n_boot, uint64_t seed, uint64_t stream_base, double ci[2],
                         bb_ctx *ctx);

/* ---- rigid and permutational alignment (align.c) ---------------------------- */

/* Subtract the centroid of a P × D configuration: out = x − x̄ (out may equal x). */
void bb_center(int P, int D, const double *x, double *out);

/* Optimal orthogonal R (D × D row-major, R y ≈ x) minimising Σ_i ‖x_i − R y_σ(i)‖² for
 * centred x, y (σ = perm, NULL: identity). reflections = 0 restricts R to proper
 * rotations (det fix). OUT sqdist (may be NULL): the minimal sum. D ∈ {1, 2, 3}.
 * Returns BB_EINTERNAL only if LAPACK's SVD fails. */
int bb_kabsch(int P, int D, const double *x, const double *y, const int *perm, int reflections, double *R,
              double *sqdist);

typedef struct bb_align_opts {
    int reflections;      /* 1: minimise over O(D) (rotations and reflections); 0: SO(D) */
    int exhaustive_max_p; /* P <= this: all P! permutations are tried (exact) */
    int max_iter;         /* alternating Hungarian <-> Kabsch rounds per start (>= 1) */
    double robust_sq;     /* > 0 (D = 3): if the cost stays above this, also try atom-pair
                             frames until it drops to it (0: off) */
} bb_align_opts;

/* Per-thread scratch of bb_align_perm (one allocation per thread, never in hot loops). */
typedef struct bb_align_ws bb_align_ws;
int bb_align_ws_alloc(int P, int D, bb_align_ws **ws, bb_ctx *ctx);
void bb_align_ws_free(bb_align_ws *ws); /* NULL-safe */

/* min over permutations σ and orthogonal R of Σ_i ‖x̃_i − R ỹ_σ(i)‖² where x̃, ỹ are
 * the centred configurations (P × D, sizes from ws). Exact for P <= exhaustive_max_p,
 * otherwise the multi-start alternating heuristic described in align.c (an upper
 * bound). OUT sqdist; OUT perm (may be NULL): σ. RMSD = sqrt(sqdist / P). */
int bb_align_perm(const bb_align_opts *o, const double *x, const double *y, bb_align_ws *ws, double *sqdist, int *perm);
/* The DEM / Adjoint Sampling evaluators' alignment of y onto x: centre both, one exact
 * assignment (Hungarian) of particles on the unsquared distances |x̃_i − ỹ_j| of the
 * unrotated clouds, then Kabsch on that matching with reflections allowed (no det fix).
 * OUT sqdist = Σ_i ‖x̃_i − R ỹ_σ(i)‖² (≥ bb_align_perm's minimum), perm (may be NULL). */
int bb_align_dem(const double *x, const double *y, bb_align_ws *ws, double *sqdist, int *perm);

/* ---- point clouds for distribution metrics (points.c) ----------------------- */

/* Configurations of s as a weighted set (k = dof): u = +INFINITY rows dropped and
 * counted in *n_rejected (u may be NULL), a seeded subsample without replacement
 * (stream `stream`) when more than nmax remain, each configuration centred when task
 * (may be NULL) is translation invariant with P >= 2, weights from s->logw. */
int bb_points_load(const bb_samples *s, const double *u, const bb_task *task, size_t nmax, uint64_t seed,
                   uint64_t stream, const char *what, bb_wset *out, size_t *n_rejected, bb_ctx *ctx);
/* The configurations a recall-of-minima metric relaxes (confmin, pepmin): *ng of the rows of
 * s whose energy is not +inf (u may be NULL), drawn by bb_subsample_indices with the weights
 * from s->logw (seed, stream); without weights at most as many as there are. *ng = 0 when no
 * row is usable. *x [*ng][dof] malloc'ed (free it; NULL when *ng = 0). */
int bb_minima_draw(const bb_samples *s, const double *u, uint64_t seed, uint64_t stream, size_t *ng, double **x,
                   bb_ctx *ctx);

/* The clouds a two-set distribution metric compares (mmd, sinkhorn): a = samples as
 * bb_points_load(nmax, stream base + 0xFFFF); b = the reference as bb_points_load(nmax,
 * base + 0xFFFE); f1, f2 = two disjoint reference subsets of floor_n = min(a.n, #usable
 * references / 2) (bb_wset_split, base + 0xFFFD), for the reference-vs-reference floor. */
typedef struct bb_points2 {
    bb_wset a, b, f1, f2;
    size_t rej_a, rej_b, floor_n;
} bb_points2;
int bb_points_pair(const bb_eval_input *in, size_t nmax, uint64_t base, bb_points2 *p, bb_ctx *ctx);
void bb_points2_free(bb_points2 *p); /* NULL-safe */

/* ---- importance sampling, kernels, entropic OT (isw.c, mmd.c, sinkhorn.c) ---- */

/* log((1/n) Σ exp(logw_i)), stable; −inf if every weight is 0. BB_ENAN on NaN/+inf,
 * BB_EINVAL for n = 0 (no ctx: callers name the field). */
int bb_log_mean_exp(size_t n, const double *logw, double *out);
/* Median of the squared distances over the n(n−1)/2 distinct pairs of X [n][d]. */
int bb_median_sqdist(size_t n, size_t d, const double *X, double *h2, bb_ctx *ctx);
/* Weighted V-statistic MMD² with kernel exp(−‖x − y‖²/(2 h2)); wx, wy may be NULL. */
int bb_mmd2_v(size_t n, size_t m, size_t d, const double *X, const double *wx, const double *Y, const double *wy,
              double h2, double *out, bb_ctx *ctx);
/* Sinkhorn–Knopp on cost C [n][m] scaled by max(C), regularisation reg, marginals a, b
 * (each summing to 1). OUT cost = Σ P_ij C_ij (unscaled C); iters and err (final
 * column-marginal L2 error) may be NULL. */
int bb_sinkhorn(size_t n, size_t m, const double *C, const double *a, const double *b, double reg, int max_iter,
                double stop, double *cost, int *iters, double *err, bb_ctx *ctx);

/* ---- minima: relaxation, deduplication, coverage (minima.c) ------------------- */

typedef struct bb_relax_opts {
    double gtol;  /* converged when max |du/dx| <= gtol after L-BFGS (task units) */
    int max_iter; /* L-BFGS iterations per configuration */
    /* Optional bias (NULL: none) added to the task's reduced energy of configuration i while
     * relaxing: *u += b(x), g[dof] += ∇b(x) (restraints, e.g. on dihedrals); must be pure and
     * thread-safe. The reported u[i] and the convergence test include it. */
    void (*bias)(void *user, size_t i, const double *x, double *u, double *g);
    void *bias_user;
    /* 1: backtracking line search (Wolfe), which shrinks a trial step whose energy is +inf
     * (the first trial moves by one length unit: 1 nm overlaps atoms of a molecule); 0: More-
     * Thuente, which gives up there (fine in LJ's reduced units). */
    int backtracking;
} bb_relax_opts;

enum { BB_RELAX_CONVERGED = 0, BB_RELAX_NOT_CONVERGED = 1, BB_RELAX_REJECTED = 2 };

/* Relax x [n][dof] in place to local minima of the task's energy with L-BFGS
 * (liblbfgs), OpenMP over configurations. OUT u[n] final energies (+inf for a start
 * with infinite energy, left unchanged), status[n] (BB_RELAX_*). *n_evals is
 * INCREMENTED by the number of energy(+gradient) evaluations (the evaluator's cost).
 * Errors of the energy (NaN) are returned with ctx set. */
int bb_relax(const bb_task *t, size_t n, double *x, double *u, int *status, int64_t *n_evals, const bb_relax_opts *o,
             bb_ctx *ctx);

/* How minima of a task are compared (from its invariance flags). */
typedef struct bb_min_dist {
    int P, D, dof;
    int aligned; /* 1: centroid, orthogonal map and permutation removed (align.c) */
    bb_align_opts opts;
} bb_min_dist;
int bb_min_dist_init(bb_min_dist *md, const bb_task *t, bb_ctx *ctx);
/* RMSD = sqrt(min Σ_i ‖x_i − R y_σ(i)‖² / P) (aligned) or ‖x − y‖/√P; ws from
 * bb_align_ws_alloc(P, D) when aligned (else may be NULL). robust > 0: if the RMSD
 * found stays above `robust`, the alignment also tries atom-pair frames (align.c). */
int bb_min_rmsd(const bb_min_dist *md, const double *x, const double *y, bb_align_ws *ws, double robust, double *rmsd);

/* Distinct minima sorted by energy, with a hit count per minimum. */
typedef struct bb_minima {
    bb_min_dist md;
    int dof;
    size_t n, cap;
    double *x;      /* [n][dof] */
    double *u;      /* [n] ascending */
    int64_t *count; /* [n] how many configurations relaxed into it */
} bb_minima;
void bb_minima_init(bb_minima *m, const bb_task *t);
void bb_minima_free(bb_minima *m); /* NULL-safe */
/* Add a minimum: merged into an existing one when |Δu| <= utol and RMSD <= rtol
 * (its count grows by `count`), else inserted. OUT is_new, index (may be NULL). */
int bb_minima_add(bb_minima *m, const double *x, double u, int64_t count, double utol, double rtol, bb_align_ws *ws,
                  int *is_new, size_t *index, bb_ctx *ctx);
/* Coverage between generated minima (weighted by count) and reference minima:
 * OUT cov_r[k] = fraction of references with min RMSD <= deltas[k] (COV-R),
 * cov_p[k] = count-weighted fraction of generated with min RMSD <= deltas[k] (COV-P),
 * amr_r / amr_p = mean min RMSD; min_r [ref->n] / min_p [gen->n] (may be NULL).
 * *n_aligned (may be NULL) is incremented by the alignments performed. */
int bb_minima_coverage(const bb_minima *gen, const bb_minima *ref, size_t nd, const double *deltas, double *cov_r,
                       double *cov_p, double *amr_r, double *amr_p, double *min_r, double *min_p, int64_t *n_aligned,
                       bb_ctx *ctx);

/* Catalogue file (minima_io.c): gzip JSON "boltzbench.minima/1", written atomically.
 * provenance (may be NULL) is copied. bb_minima_read initialises m for task t; OUT
 * meta (may be NULL): the file's top-level object without "minima" (caller frees). */
int bb_minima_write(const char *path, const bb_minima *m, const char *task_id, double utol, double rtol,
                    const cJSON *provenance, bb_ctx *ctx);
int bb_minima_read(const char *path, const bb_task *t, bb_minima *m, cJSON **meta, bb_ctx *ctx);
/* JSON numbers printed with "%.17g" (exact round trip; non-finite → null); NULL on OOM. */
cJSON *bb_json_exact_number(double v);
cJSON *bb_json_exact_doubles(const double *x, int n);

/* Where the minima metric finds the catalogue the task declares (bb_task_type.minima_catalogue,
 * a catalogue id): $BOLTZBENCH_SOURCE_DIR (else the build's source dir)/datasets/minima/<id>.json.gz.
 * BB_ENOTFOUND when the task declares none. */
int bb_minima_catalogue_path(const bb_task *t, char *out, size_t len);

/* ---- TICA (tica.c) and the TICA metric (tica_metric.c) --------------------------- */

/* Molecular features: distances of atom pairs, then (sin, cos) of dihedral quadruples. */
typedef struct bb_feature_spec {
    int n_pairs;
    const int *pairs; /* [n_pairs][2] atom indices */
    int n_dihedrals;
    const int *quads; /* [n_dihedrals][4] atom indices (D = 3) */
} bb_feature_spec;
int bb_features_dim(const bb_feature_spec *f); /* n_pairs + 2 n_dihedrals */
/* F [n][dim(f)] from configurations x [n][n_atoms·dim]. */
int bb_features_compute(const bb_feature_spec *f, int n_atoms, int dim, size_t n, const double *x, double *F,
                        bb_ctx *ctx);

typedef struct bb_tica {
    int k_in, k_out, lag;
    double *mean;       /* [k_in] */
    double *proj;       /* [k_in][k_out] whitened, sign-fixed eigenvectors R */
    double *eig;        /* [k_out] eigenvalues λ, |λ| descending */
    double *timescales; /* [k_out] −lag / ln|λ| */
} bb_tica;
/* Fit on a trajectory F [T][k] at lag (deeptime's symmetrised estimator, see tica.c);
 * eps: rank cut on C00's eigenvalues (1e-6); at most max_dim components. *out is
 * overwritten (free a previous model first); after a failure it is empty. */
int bb_tica_fit(size_t T, int k, const double *F, int lag, double eps, int max_dim, bb_tica *out, bb_ctx *ctx);
/* The same on n_seg independent trajectories stored one after another in F (lengths seg[],
 * adding up to T): lagged pairs only inside a segment. seg NULL or n_seg 0: one trajectory. */
int bb_tica_fit_segments(size_t T, const size_t *seg, size_t n_seg, int k, const double *F, int lag, double eps,
                         int max_dim, bb_tica *out, bb_ctx *ctx);
/* Y [n][n_comp] = (F − μ) R (times λ per component when kinetic_map). */
int bb_tica_project(const bb_tica *m, size_t n, const double *F, int n_comp, int kinetic_map, double *Y, bb_ctx *ctx);
void bb_tica_free(bb_tica *m); /* NULL-safe */

/* What a task provides for the TICA metric: features, lag (reference set in trajectory
 * order) and the number of leading components compared. */
typedef struct bb_tica_task_spec {
    const char *task; /* task name ("aldp-pita") */
    bb_feature_spec features;
    int lag;
    int n_components; /* leading TICs compared; 0: 2 */
} bb_tica_task_spec;
/* The task's declared TICA spec (bb_task_type.tica; n_components 0 there means 2) into
 * *out: 1, or 0 when the task has none (then the metric is skipped). */
int bb_tica_spec_for(const bb_task *t, bb_tica_task_spec *out);
/* W2 between the TICA projections (first n_components, kinetic map) of the first and the
 * second half of a time-ordered reference R, TICA fitted on all of R at spec->lag: how far
 * the reference disagrees with itself (the floor of tica_w2, PITA's "two halves" check).
 * R may hold several independent trajectories (seg/n_seg as in bb_tica_fit_segments; the fit
 * then pairs frames inside a segment only; the halves stay the first and second n/2 rows).
 * Exact assignment on at most 1000 evenly strided frames of each half (*n_half of each);
 * no randomness. BB_EINVAL when R is shorter than lag + 2 or the fit keeps no component. */
int bb_tica_halves_w2(const bb_tica_task_spec *spec, const bb_task *t, const bb_samples *R, const size_t *seg,
                      size_t n_seg, double *w2, size_t *n_half, bb_ctx *ctx);
/* The TICA metrics with an explicit spec. what = BB_TICA_W2: tica_w2 (W2 on the first
 * n_components TICs), tica_w2_ic1 … tica_w2_ic<n> and, with two or more components,
 * tica_histogram and tica_ic1_histogram; BB_TICA_W1: tica_w1 (PITA's TICA-W1: W1, Euclidean
 * cost, on the same matched subsets); both bits: all of them from one fit. Nothing without a
 * spec or a reference; when the metric cannot be computed (the reference is shorter than
 * lag + 2 frames, the fit keeps no component, no sample has a finite energy) tica_w2 / tica_w1
 * is still added, value null, with a "note" saying why. */
#define BB_TICA_W2 1u
#define BB_TICA_W1 2u
int bb_tica_metric_run(const bb_eval_input *in, const bb_tica_task_spec *spec, unsigned what, cJSON *out, bb_ctx *ctx);

/* ---- modes of a mixture task (mode_metric.c) ------------------------------ */

/* For n configurations x[n][dof] of a mixture task: OUT label[i] = the component of highest
 * log-density (the nearest mean, ties to the lower index), at[i] = 1 when x_i lies within 3
 * component stds of that mean, else 0. BB_ENAN when a coordinate is not finite, BB_EINVAL
 * without a usable mixture. */
int bb_mode_assign(const bb_task_mixture *m, size_t dof, size_t n, const double *x, int *label, int *at, bb_ctx *ctx);

/* Direction of a report entry (1: higher is better) — the family's flag unless the
 * entry is listed otherwise (amr_* lower, minima_* higher, ...). bb_metrics_compute
 * writes it into every scalar entry as "higher_is_better". */
int bb_metric_higher_is_better(const char *entry, const bb_metric *family);

/* ---- JSON output ------------------------------------------------------------ */

/* Add {name: {"value": v, "n_samples": n, "ci95": [lo, hi] (if ci), "definition": def}}
 * to out and return the new object (for metric-specific fields), or NULL when out of
 * memory. Non-finite values become null. */
cJSON *bb_metric_entry(cJSON *out, const char *name, double value, size_t n_samples, const double *ci,
                       const char *definition);

/* bb_metric_entry for a bb_twoset result, adding "floor_ref_vs_ref" and "floor_n"; squared:
 * value, ci and floor squared (each is a non-negative distance, so the ends stay ordered). */
cJSON *bb_metric_entry_twoset(cJSON *out, const char *name, const bb_twoset *r, int squared, size_t n_samples,
                              int with_ci, const char *definition);

/* When out already holds the entry src_name, add {name: its copy with value, ci95 ends and
 * floor_ref_vs_ref squared and the given definition} and return 1 (energy_w2_squared from
 * energy_w2); 0 when there is no such entry or it is an error entry (the caller then computes
 * its own, and records its own error); BB_ENOMEM. */
int bb_metric_square_of(cJSON *out, const char *name, const char *src_name, const char *definition, bb_ctx *ctx);

#endif
