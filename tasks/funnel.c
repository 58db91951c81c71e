/* funnel.c — Neal's funnel in d = 10 (Neal 2003), in two widths: σ = 3 (`funnel10`, the
 * DGFS / GFN-diffusion benchmark) and σ = 1 (`funnel10-pis`, the Path Integral Sampler's).
 *
 * What it is: the normalised density of x0 ~ N(0, σ²), x_i | x0 ~ N(0, e^{x0}), i = 1..9:
 *   u(x) = x0²/(2σ²) + ½ log(2πσ²) + Σ_{i=1..9} [½ x_i² e^{−x0} + ½ x0 + ½ log 2π]
 *   ∂u/∂x0 = x0/σ² + 9/2 − ½ e^{−x0} Σ_i x_i²,   ∂u/∂x_i = x_i e^{−x0}.
 * exp(−u) integrates to 1, so log Z = 0 exactly (tests/tasks/test_logz_tasks.c checks it by
 * quadrature through this energy). Exact samples: x0 = σ z0, x_i = e^{x0/2} z_i with
 * z ~ N(0, I) drawn in that order (z0, then z1..z9) per configuration. kT = 1 (reduced, no
 * physical unit). No invariances. Initial distribution for samplers: N(0, I).
 *
 * What it is not: the funnel with a mean or another dimension (a different id would be
 * needed). A configuration whose energy or gradient overflows in float64 (|x| ≳ 1e154, or
 * x0 < −709.78 where e^{−x0} overflows, even with x_i = 0) gets u = +∞ and a zero gradient:
 * its density underflows to 0 in float64 anyway (for x0 < −709 the x0 factor alone is below
 * e^{−28000}).
 *
 * Sources: PIS src/datamodules/datasets/funnel.py (qsh-zh/pis: dominant N(0, 1), dim 10,
 * Z = 1); DGFS target/distribution/funnel.py (zdhNarsil/Diffusion-Generative-Flow-Samplers:
 * dominant N(0, 3²), dim 10, log Z = 0), used by the GFN-diffusion tables ("Funnel-10").
 */
#include "tasks/task.h"

#include <math.h>

#define FUNNEL_D 10

static int funnel_energy(const bb_task *t, double sigma, size_t n, const double *x, double *u, double *grad,
                         bb_ctx *ctx) {
    const double inv_var = 1.0 / (sigma * sigma);
    const double c0 = 0.5 * log(2.0 * M_PI * sigma * sigma), c1 = 0.5 * log(2.0 * M_PI);
    const double k = FUNNEL_D - 1;
    for (size_t c = 0; c < n; c++) {
        const double *xc = x + c * FUNNEL_D;
        double *gc = grad ? grad + c * FUNNEL_D : NULL;
        const double x0 = xc[0], e = exp(-x0);
        double q = 0.0;
        for (int i = 1; i < FUNNEL_D; i++) q += xc[i] * xc[i];
        double v = 0.5 * x0 * x0 * inv_var + c0 + k * (0.5 * x0 + c1) + 0.5 * q * e;
        /* the gradient is formed even when not requested, so that whether u is +inf (an
         * overflow of either) never depends on the request */
        double g[FUNNEL_D];
        g[0] = x0 * inv_var + 0.5 * k - 0.5 * q * e;
        int finite = isfinite(v) && isfinite(g[0]);
        for (int i = 1; i < FUNNEL_D; i++) {
            g[i] = xc[i] * e;
            finite = finite && isfinite(g[i]);
        }
        if (!finite) { /* NaN input, or an overflow (also 0·∞ when x_i = 0 and e^{−x0} = ∞) */
            for (int i = 0; i < FUNNEL_D; i++)
                if (isnan(xc[i])) return BB_ERR(ctx, BB_ENAN, "task %s: configuration %zu: NaN coordinate", t->id, c);
            v = INFINITY;
            for (int i = 0; i < FUNNEL_D; i++) g[i] = 0.0;
        }
        if (gc)
            for (int i = 0; i < FUNNEL_D; i++) gc[i] = g[i];
        u[c] = v;
    }
    return BB_OK;
}

static int funnel_sample(double sigma, size_t n, bb_rng *rng, double *x) {
    for (size_t c = 0; c < n; c++) {
        double *xc = x + c * FUNNEL_D;
        xc[0] = sigma * bb_rng_normal(rng);
        const double s = exp(0.5 * xc[0]);
        for (int i = 1; i < FUNNEL_D; i++) xc[i] = s * bb_rng_normal(rng);
    }
    return BB_OK;
}

static int funnel_log_z(const bb_task *t, double *out, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    *out = 0.0; /* the density is normalised by construction */
    return BB_OK;
}

static int funnel3_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    return funnel_energy(t, 3.0, n, x, u, grad, ctx);
}
static int funnel1_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    return funnel_energy(t, 1.0, n, x, u, grad, ctx);
}
static int funnel3_sample(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    return funnel_sample(3.0, n, rng, x);
}
static int funnel1_sample(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    return funnel_sample(1.0, n, rng, x);
}

const bb_task_type bb_task_funnel10 = {
    .name = "funnel10",
    .version = 1,
    .description = "Neal's funnel, d = 10, sigma = 3 (DGFS/GFN-diffusion 'Funnel-10'): x0 ~ N(0, 3^2), "
                   "x1..x9 | x0 ~ N(0, exp(x0)); u(x) = -log p(x) with p normalised, so log Z = 0 exactly. "
                   "kT = 1 (reduced, no physical unit). No invariances. Exact samples available. Initial "
                   "distribution N(0, I). Overflowing energies (x0 < -709.78, |x| > ~1e154) are +inf.",
    .n_particles = 1,
    .dim = FUNNEL_D,
    .kT = 1.0,
    .kT_unit = "reduced",
    .length_unit = "reduced",
    .flags = 0,
    .init_scale = 1.0,
    .reference_dataset = NULL, /* exact samples, drawn at load time (datasets/reference.h) */
    .energy = funnel3_energy,
    .sample_exact = funnel3_sample,
    .log_z = funnel_log_z,
};

const bb_task_type bb_task_funnel10_pis = {
    .name = "funnel10-pis",
    .version = 1,
    .description = "Neal's funnel, d = 10, sigma = 1 (the Path Integral Sampler's variant): x0 ~ N(0, 1), "
                   "x1..x9 | x0 ~ N(0, exp(x0)); u(x) = -log p(x) with p normalised, so log Z = 0 exactly. "
                   "kT = 1 (reduced, no physical unit). No invariances. Exact samples available. Initial "
                   "distribution N(0, I). Overflowing energies (x0 < -709.78, |x| > ~1e154) are +inf.",
    .n_particles = 1,
    .dim = FUNNEL_D,
    .kT = 1.0,
    .kT_unit = "reduced",
    .length_unit = "reduced",
    .flags = 0,
    .init_scale = 1.0,
    .reference_dataset = NULL,
    .energy = funnel1_energy,
    .sample_exact = funnel1_sample,
    .log_z = funnel_log_z,
};
