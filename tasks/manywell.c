/* manywell.c — ManyWell-32: 16 independent copies of the 2-D double well of FAB (Midgley et
 * al. 2023), as used by PIS-era and GFN-diffusion benchmarks (2^16 modes).
 *
 * What it is: x = (x_0, …, x_31), pairs (a, b) = (x_{2k}, x_{2k+1}), k = 0..15, and
 *   u(x) = Σ_k E(x_{2k}, x_{2k+1}),   E(a, b) = a⁴ − 6a² − ½a + ½b²
 *   ∂u/∂a = 4a³ − 12a − ½,   ∂u/∂b = b.
 * This is FAB's DoubleWellEnergy(a=−0.5, b=−6, c=1) (energy a·x1 + b·x1² + c·x1⁴ + ½x2²),
 * and DGFS's ManyWell "log p(x1, x2) = −x1⁴ + 6x1² + ½x1 − ½x2² + const" (zdhNarsil/
 * Diffusion-Generative-Flow-Samplers, target/distribution/manywell.py). kT = 1 (reduced,
 * no physical unit). The deep well of each a is at a ≈ +1.75 (a-part of E ≈ −9.87), the
 * shallow one at a ≈ −1.71 (≈ −8.14), the barrier at a ≈ −0.04 (≈ 0.01). No invariances.
 * Initial distribution for samplers: N(0, 2² I), which covers both wells of every pair.
 *
 * log Z (not normalised): log Z = 16 (log Z_a + ½ log 2π), Z_a = ∫ exp(−a⁴ + 6a² + ½a) da,
 * computed by bb_manywell_log_z_a below (trapezoid rule, see there); ≈ 164.69567. DGFS
 * hard-codes Z_a = 11784.50927; tests/tasks/test_logz_tasks.c checks both our value against
 * it and the whole log Z against a 2-D quadrature of exp(−u) through this energy.
 *
 * Exact samples: b ~ N(0, 1); a by rejection from an envelope that provably dominates the
 * density (no tuned constant, unlike DGFS's mixture proposal with k = 3 Z_a). With
 * f(a) = −a⁴ + 6a² + ½a = 9 − (a² − 3)² + ½a and (a² − 3)² = (a − √3)²(a + √3)²:
 *   a ≥ 0: (a + √3)² ≥ 3 ⇒ f(a) ≤ g₊(a) = 9 − 3(a − √3)² + ½a
 *   a ≤ 0: (a − √3)² ≥ 3 ⇒ f(a) ≤ g₋(a) = 9 − 3(a + √3)² + ½a
 * so exp f ≤ exp g₊ + exp g₋ everywhere. Completing the square, g± = 9 ± √3/2 + 1/48 −
 * 3(a − m±)² with m± = ±√3 + 1/12: a two-Gaussian mixture (variance 1/6 each, weight of +
 * = 1/(1 + e^{−√3})). Draw the component (one uniform), a = m + z/√6 (one normal), accept
 * with probability exp(f(a)) / (exp g₊(a) + exp g₋(a)) (one uniform); acceptance ≈ 58 %.
 * Per configuration and pair k in order: a (its rejection loop), then b.
 *
 * What it is not: overflow-safe beyond float64: a configuration whose energy or gradient
 * overflows (|x| ≳ 1e77) gets u = +∞ and a zero gradient.
 */
#include "tasks/task.h"

#include <math.h>

#define MW_WELLS 16
#define MW_DOF   (2 * MW_WELLS)
/* Trapezoid rule for Z_a on [−MW_A_MAX, MW_A_MAX]: outside |a| = 6 the integrand is below
 * e^{−1000} of its peak, and for such a smooth, fast-decaying integrand the rule converges
 * geometrically in the step (tests/tasks/test_logz_tasks.c: a 2-D trapezoid through the
 * energy with a 20x coarser step in a agrees to 1e-12 on log Z). */
#define MW_A_MAX   7.0
#define MW_A_STEPS 28000

static double mw_f(double a) { return -a * a * a * a + 6.0 * a * a + 0.5 * a; } /* log density of a, + const */

/* log Z_a = log ∫ exp(−a⁴ + 6a² + ½a) da (exposed for the tests; tasks/ internal). */
double bb_manywell_log_z_a(void);
double bb_manywell_log_z_a(void) {
    const double h = 2.0 * MW_A_MAX / MW_A_STEPS, fmax = 10.0; /* max f ≈ 9.87: scale out e^10 */
    double s = 0.0;
    for (int i = 0; i <= MW_A_STEPS; i++) {
        double w = (i == 0 || i == MW_A_STEPS) ? 0.5 : 1.0;
        s += w * exp(mw_f(-MW_A_MAX + h * i) - fmax);
    }
    return fmax + log(s * h);
}

static int mw_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    for (size_t c = 0; c < n; c++) {
        const double *xc = x + c * MW_DOF;
        double g[MW_DOF], v = 0.0;
        int finite = 1;
        for (int k = 0; k < MW_WELLS; k++) {
            const double a = xc[2 * k], b = xc[2 * k + 1], a2 = a * a;
            v += a2 * a2 - 6.0 * a2 - 0.5 * a + 0.5 * b * b;
            g[2 * k] = 4.0 * a2 * a - 12.0 * a - 0.5;
            g[2 * k + 1] = b;
            finite = finite && isfinite(g[2 * k]);
        }
        if (!finite || !isfinite(v)) { /* NaN input, or a⁴ / b² overflowed (∞ − ∞ is NaN) */
            for (int i = 0; i < MW_DOF; i++)
                if (isnan(xc[i])) return BB_ERR(ctx, BB_ENAN, "task %s: configuration %zu: NaN coordinate", t->id, c);
            v = INFINITY;
            for (int i = 0; i < MW_DOF; i++) g[i] = 0.0;
        }
        u[c] = v;
        if (grad)
            for (int i = 0; i < MW_DOF; i++) grad[c * MW_DOF + i] = g[i];
    }
    return BB_OK;
}

/* One exact draw of a (see the header: rejection from exp g₊ + exp g₋). */
static double mw_sample_a(bb_rng *rng) {
    const double r3 = sqrt(3.0), w_plus = 1.0 / (1.0 + exp(-r3)), sd = 1.0 / sqrt(6.0);
    const double m_plus = r3 + 1.0 / 12.0, m_minus = -r3 + 1.0 / 12.0, top = 9.0 + 1.0 / 48.0;
    for (;;) {
        double m = bb_rng_uniform(rng) < w_plus ? m_plus : m_minus;
        double a = m + sd * bb_rng_normal(rng);
        double gp = top + 0.5 * r3 - 3.0 * (a - m_plus) * (a - m_plus);
        double gm = top - 0.5 * r3 - 3.0 * (a - m_minus) * (a - m_minus);
        double hi = gp > gm ? gp : gm, lo = gp > gm ? gm : gp;
        double log_env = hi + log1p(exp(lo - hi));
        if (bb_rng_uniform(rng) < exp(mw_f(a) - log_env)) return a;
    }
}

static int mw_sample_exact(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t c = 0; c < n; c++)
        for (int k = 0; k < MW_WELLS; k++) {
            x[c * MW_DOF + 2 * k] = mw_sample_a(rng);
            x[c * MW_DOF + 2 * k + 1] = bb_rng_normal(rng);
        }
    return BB_OK;
}

static int mw_log_z(const bb_task *t, double *out, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    *out = MW_WELLS * (bb_manywell_log_z_a() + 0.5 * log(2.0 * M_PI));
    return BB_OK;
}

const bb_task_type bb_task_manywell32 = {
    .name = "manywell32",
    .version = 1,
    .description = "ManyWell-32 (FAB double well x16; DGFS/GFN-diffusion 'ManyWell-32'): u(x) = sum_{k<16} "
                   "[x_{2k}^4 - 6 x_{2k}^2 - 0.5 x_{2k} + 0.5 x_{2k+1}^2]; 2^16 modes. kT = 1 (reduced, no "
                   "physical unit). Not normalised: log Z = 16 (log Z_a + 0.5 log 2pi) = 164.69567..., Z_a = "
                   "int exp(-a^4 + 6a^2 + a/2) da by quadrature. No invariances. Exact samples available "
                   "(rejection for x_{2k}, normal x_{2k+1}). Initial distribution N(0, 2^2 I).",
    .n_particles = 1,
    .dim = MW_DOF,
    .kT = 1.0,
    .kT_unit = "reduced",
    .length_unit = "reduced",
    .flags = 0,
    .init_scale = 2.0,
    .reference_dataset = NULL, /* exact samples, drawn at load time (datasets/reference.h) */
    .energy = mw_energy,
    .sample_exact = mw_sample_exact,
    .log_z = mw_log_z,
};
