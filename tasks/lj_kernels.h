/* lj_kernels.h — Lennard-Jones cluster kernels behind tasks/lj.c (tasks-internal).
 *
 * Every kernel computes, for one configuration of P particles in 3-D (x[P][3]),
 *     e = Σ_{i<j} (A r_ij⁻¹² − B r_ij⁻⁶)                      pair term
 *       + ½H Σ_i ‖x_i − x̄‖²                                   harmonic tie (iDEM), H ≥ 0
 *       + ½k Σ_i max(‖x_i − x̄‖ − R_c, 0)²                      soft wall, R_c > 0 or none
 * and g = ∇ₓe (overwritten, shape [P][3]); x̄ is the centre of the configuration.
 * The physical convention is A = B = 4 (4ε[(σ/r)¹² − (σ/r)⁶], σ = ε = 1); the iDEM
 * convention (ordered pairs, r_m = 1: 2·[r⁻¹² − 2r⁻⁶] per unordered pair) is A = 2,
 * B = 4, H = 1. No kT here. A configuration with coincident particles (r_ij = 0), or
 * whose energy or gradient is not finite (overflow, NaN coordinate), is *flagged*
 * instead: its e and g are then unspecified and the caller returns +inf, zero gradient.
 *
 * bb_lj_pairs_ref is the plain reference (the straightforward double loop). The fast
 * kernel bb_lj_pairs_x4 evaluates four configurations at once, one per SIMD lane
 * (AVX2 + FMA when the CPU has them, chosen at run time; otherwise the reference code
 * run lane by lane). Every lane runs the same instruction sequence, so a
 * configuration's result does not depend on the other three lanes or on its position
 * in a batch. It agrees with the reference to about 1e-14 relative (FMA and a
 * different summation order; tests/tasks/test_lj.c states the tolerance, 1e-12).
 */
#ifndef BB_LJ_KERNELS_H
#define BB_LJ_KERNELS_H

#define BB_LJ_LANES 4

/* (A, B) of the two conventions, per unordered pair. */
#define BB_LJ_PHYS_A 4.0 /* 4ε(σ/r)¹², σ = ε = 1 */
#define BB_LJ_PHYS_B 4.0 /* 4ε(σ/r)⁶ */
#define BB_LJ_IDEM_A 2.0 /* 2 × ε(r_m/r)¹² (ordered pairs), r_m = ε = 1 */
#define BB_LJ_IDEM_B 4.0 /* 2 × 2ε(r_m/r)⁶ */

/* The terms of one energy (see above). */
typedef struct bb_lj_form {
    double A, B;        /* pair term A r⁻¹² − B r⁻⁶ */
    double H;           /* harmonic tie ½H Σ‖x_i − x̄‖² (0 = none) */
    double wall_radius; /* soft wall beyond R_c from x̄ (0 = none) */
    double wall_k;      /* its spring constant k */
} bb_lj_form;

/* Reference kernel. x[P][3] → *e, g[P][3] (overwritten). Returns 1 if flagged, else 0. */
int bb_lj_pairs_ref(int P, const double *x, const bb_lj_form *f, double *e, double *g);

/* Fast kernel on four configurations: lane l reads x[l][P][3] and writes e[l] and
 * g[l][P][3] (overwritten). Pointers may repeat (to pad a short batch) only in x;
 * every g[l] must be distinct. work: at least bb_lj_work_size(P) doubles, owned by
 * the caller. Returns a bit mask: bit l set if lane l is flagged. */
int bb_lj_pairs_x4(int P, const double *const x[BB_LJ_LANES], const bb_lj_form *f, double e[BB_LJ_LANES],
                   double *const g[BB_LJ_LANES], double *work);
/* Doubles of workspace bb_lj_pairs_x4 needs for P particles. */
static inline long bb_lj_work_size(int P) { return 2L * P * 3 * BB_LJ_LANES; }

/* The lanes in portable C, whatever the CPU (what bb_lj_pairs_x4 runs without
 * AVX2/FMA); exposed so tests cover it on every machine. */
int bb_lj_pairs_x4_portable(int P, const double *const x[BB_LJ_LANES], const bb_lj_form *f, double e[BB_LJ_LANES],
                            double *const g[BB_LJ_LANES], double *work);

/* 1 if bb_lj_pairs_x4 runs its AVX2/FMA path on this CPU. */
int bb_lj_simd_available(void);

#endif
