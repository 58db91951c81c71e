/* sde.h — shared SDE pieces of the diffusion samplers: noise schedules of a
 * drift-free ("variance exploding") base process dX_t = g(t) dB_t, its bridge
 * (the law of X_t given X_0 and X_1), and Euler–Maruyama steps, optionally in the
 * centre-of-mass-free subspace of a particle system.
 *
 * It is what Adjoint Sampling and iDEM (VE view below) use and what PIS and PITA reuse; it is NOT a
 * general SDE library: the base process has no drift, time runs over [0, 1], and
 * the controlled drift is supplied by the caller (a network evaluated elsewhere).
 *
 * Schedules (h²(t) = ∫_0^t g(s)² ds is the base variance at t when X_0 is fixed):
 *   constant:  g(t) = σ,                                   h²(t) = σ² t
 *   geometric: g(t) = σmin r^(1−t) √(2 ln r), r = σmax/σmin, h²(t) = σmax² (1 − r^(−2t))
 * (Adjoint Sampling, Havens et al. 2025, code components/noise_schedule.py.)
 *
 * Bridge: given X_0 = x0 and X_1 = x1, X_t ~ N(x0 + κ (x1 − x0), h²(t)(1 − κ) I) with
 * κ = h²(t)/h²(1). For COM-free particle systems the noise is drawn in the COM-free
 * subspace (centred Gaussian), which is the exact bridge of the COM-free Brownian
 * motion when x0 and x1 are COM-free.
 *
 * Randomness comes from a caller-owned bb_rng, consumed in a fixed order, so the
 * result is independent of the thread count.
 */
#ifndef BB_SDE_H
#define BB_SDE_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/core/rng.h"

typedef enum bb_sde_schedule_kind {
    BB_SDE_SCHEDULE_CONSTANT,
    BB_SDE_SCHEDULE_GEOMETRIC,
    BB_SDE_SCHEDULE_COUNT
} bb_sde_schedule_kind;
extern const char *const BB_SDE_SCHEDULE_NAME[BB_SDE_SCHEDULE_COUNT];

typedef struct bb_sde_schedule {
    bb_sde_schedule_kind kind;
    double sigma_min; /* geometric: g at t = 1 is sigma_min √(2 ln r) */
    double sigma_max; /* geometric: h(1) ≈ sigma_max; constant: σ */
} bb_sde_schedule;

/* Geometric schedule; 0 < sigma_min < sigma_max, else BB_EINVAL naming the field. */
int bb_sde_schedule_geometric(bb_sde_schedule *s, double sigma_min, double sigma_max, bb_ctx *ctx);
/* Constant schedule g(t) = sigma > 0. */
int bb_sde_schedule_constant(bb_sde_schedule *s, double sigma, bb_ctx *ctx);
/* Look up a kind by name ("geometric", "constant"); -1 if unknown. */
int bb_sde_schedule_kind_find(const char *name);

/* Diffusion coefficient g(t), t in [0, 1]. */
double bb_sde_g(const bb_sde_schedule *s, double t);
/* Base variance h²(t) = ∫_0^t g² ds (closed form). */
double bb_sde_h2(const bb_sde_schedule *s, double t);

/* Std of the base increment over [t, t + dt]: √(h²(t+dt) − h²(t)) (used by em_step). */
double bb_sde_step_std(const bb_sde_schedule *s, double t, double dt);

/* Geometry of the state: dof = P*D; com_free = 1 projects noise (and states) onto the
 * centre-of-mass-free subspace of P particles in D dimensions. */
typedef struct bb_sde_space {
    int P, D;
    int com_free;
} bb_sde_space;
/* Dimension of the space the noise lives in: (P−1) D if com_free, else P D. */
int bb_sde_space_dim(const bb_sde_space *sp);

/* Subtract the per-dimension mean over the P particles from one row x[P*D]. */
void bb_sde_centre_row(int P, int D, double *x);

/* Rotate one row x[P*3] about the origin (and g[P*3] with it, when not NULL) by a rotation
 * drawn uniformly from SO(3) (a normalised Gaussian quaternion; four normals from rng). */
void bb_sde_random_rotation(bb_rng *rng, int P, double *x, double *g);

/* Fill z[n][P*D] with standard normals (COM removed per row if com_free). */
void bb_sde_noise(const bb_sde_space *sp, size_t n, bb_rng *rng, double *z);

/* Sample X_t of the base bridge for n rows: x0[n][dof] (NULL: X_0 = 0), x1[n][dof],
 * t[n] in [0, 1] -> xt[n][dof]. t = 0 gives x0, t = 1 gives x1. */
void bb_sde_bridge_sample(const bb_sde_schedule *s, const bb_sde_space *sp, size_t n, const double *x0,
                          const double *x1, const double *t, bb_rng *rng, double *xt);

/* One Euler–Maruyama step of dX = b dt + g(t) dB over [t, t + dt] for n rows:
 * x[n][dof] += b[n][dof] dt + σ_k z with σ_k = √(h²(t+dt) − h²(t)) (the exact std of
 * the base increment, ≈ g(t)√dt; it keeps X_1 of the base process exactly
 * N(0, h²(1)) for any step count), z = the standard normals used
 * (written to z_out[n][dof] when not NULL, e.g. for Girsanov weights). b may be NULL
 * (no drift). com_free: x is re-centred after the step (guards rounding drift). */
void bb_sde_em_step(const bb_sde_schedule *s, const bb_sde_space *sp, size_t n, double t, double dt, const double *b,
                    bb_rng *rng, double *x, double *z_out);

/* ---- VE view (DEM / iDEM time: t = 0 data, t = 1 noise) -------------------------------
 * The same schedule run forwards as a noising process dX = g_ve(t) dB from data at t = 0,
 * g_ve(t) = g(1 − t) (geometric: σmin r^t √(2 ln r), DEM noise_schedules.py
 * GeometricNoiseSchedule.g), so X_t | X_0 ~ N(X_0, σ²(t) I) with
 *   σ²(t) = h²(1) − h²(1 − t):  geometric σmin² (r^(2t) − 1) (DEM's h(t)), constant σ² t.
 * Samples are drawn by the reverse-time SDE dX = −g_ve(t)² ∇log p_t(X) dt + g_ve(t) dB̄ from
 * t = 1 to t = 0, started at N(0, σ²(1) I). */
double bb_sde_ve_g(const bb_sde_schedule *s, double t);
double bb_sde_ve_var(const bb_sde_schedule *s, double t);

/* One Euler–Maruyama step of the reverse-time VE SDE from t down to t − dt for n rows, as
 * DEM's sde_integration.py euler_maruyama_step (g evaluated at the step's start t):
 *   x[n][dof] += g_ve(t)² score[n][dof] dt + noise_scale g_ve(t) √dt z,
 * z standard normal from rng (row by row, dof at a time); com_free: x is re-centred after
 * the step (DEM's remove_mean). noise_scale is DEM's diffusion_scale (1: the exact SDE). */
void bb_sde_ve_reverse_step(const bb_sde_schedule *s, const bb_sde_space *sp, size_t n, double t, double dt,
                            const double *score, double noise_scale, bb_rng *rng, double *x);

/* One step of "negative-time descent" (DEM's sde_integration.py negative_time_descent,
 * which iDEM runs after the reverse SDE on LJ-55): the Euler step of the deterministic
 * flow dx = s(x) dt continued past t = 0 with s = −∇u the target's score (no noise),
 *   x[n][dof] += dt · clip(score),  clip: each row's whole dof-vector scaled by
 *   min(1, max_norm / (|score_r| + 1e-6)) (methods/common/clip.h; max_norm <= 0: none),
 * so each step is gradient descent on u with the step length capped at dt · max_norm.
 * score[n][dof] (the caller's evaluation at x) is clipped in place. A row whose score has
 * a non-finite component (u = +∞) is left where it is. com_free: x re-centred (DEM's
 * remove_mean). Returns the number of rows whose score was clipped. */
size_t bb_sde_descent_step(const bb_sde_space *sp, size_t n, double dt, double max_norm, double *score, double *x);

/* ---- EDM (Karras et al. 2022) as PITA uses it ------------------------------------------
 * Time t in [0, 1] (0 data, 1 noise) and variance σ²(t) (PITA noise_schedules.py
 * ElucidatingNoiseSchedule.h, "ht"), with a = σmax^(1/ρ), b = σmin^(1/ρ) − σmax^(1/ρ):
 *   σ²(t) = (a + (1 − t) b)^(2ρ),  g²(t) = dσ²/dt = −2ρ b (a + (1 − t) b)^(2ρ − 1),
 * so σ(0) = σmin, σ(1) = σmax; training draws ln σ ~ N(p_mean, p_std²) (EDM's P_mean, P_std).
 * Preconditioning of the denoiser D(x, σ) = c_skip x + c_out F(c_in x, c_noise):
 *   c_skip = σd²/(σ² + σd²), c_out = σ σd/√(σ² + σd²), c_in = 1/√(σ² + σd²),
 *   c_noise = ln(σ)/4, loss weight λ = (σ² + σd²)/(σ σd)²
 * (PITA energy_net.py uses σd = 1 and λ = (σ² + 1)/σ² in energytemp_module.py get_loss). */
typedef struct bb_edm_schedule {
    double sigma_min, sigma_max, rho; /* PITA LJ-13: 0.05, 80, 7 */
    double p_mean, p_std;             /* EDM: −1.2, 1.2 */
} bb_edm_schedule;
/* 0 < sigma_min < sigma_max, rho > 0, p_std > 0, all finite, else BB_EINVAL naming the field. */
int bb_edm_schedule_init(bb_edm_schedule *s, double sigma_min, double sigma_max, double rho, double p_mean,
                         double p_std, bb_ctx *ctx);
double bb_edm_var(const bb_edm_schedule *s, double t);
double bb_edm_g2(const bb_edm_schedule *s, double t);
/* The t with σ²(t) = var (the inverse of bb_edm_var on [σmin², σmax²]). */
double bb_edm_t_of_var(const bb_edm_schedule *s, double var);
/* One training noise level σ = exp(p_mean + p_std z), z standard normal from rng. */
double bb_edm_sample_sigma(const bb_edm_schedule *s, bb_rng *rng);

typedef struct bb_edm_precond {
    double c_skip, c_out, c_in, c_noise, weight;
} bb_edm_precond;
/* The coefficients above for σ > 0 and σd > 0. */
bb_edm_precond bb_edm_precondition(double sigma, double sigma_data);

/* ---- Tempered reverse SDE with Feynman–Kac weights (PITA, sdes.py VEReverseSDE.f) --------
 * p_t is the data law diffused to variance σ²(t), U_t = −log p_t; the annealed path is
 * π_t ∝ exp(−γ U_t), γ = T_current/T_next. With s_E = −∇U_t (energy network) and s_S (score
 * network; the same field as s_E when exact) and b = g²/2 s_S, one step from t down to t − dt:
 *   x    += γ g²/2 (s_E + s_S) dt + g √dt z
 *   logw += (γ² <s_E, b> + γ ∇·b + γ ∂U_t/∂t) dt
 * (evaluated at the step's start; z standard normal from rng, row by row; com_free: x
 * re-centred). With exact fields the weighted particles follow π_t (Fokker–Planck of the
 * drift plus the weight rate, derived in methods/pita/README.md). score_s NULL: s_S = s_E;
 * div_s[n] is ∇·s_S, dudt[n] is ∂U_t/∂t, g2 = g²(t). */
void bb_sde_anneal_step(const bb_sde_space *sp, size_t n, double g2, double dt, double gamma, const double *score_e,
                        const double *score_s, const double *div_s, const double *dudt, bb_rng *rng, double *x,
                        double *logw);

#endif
