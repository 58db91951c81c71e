/* edm.c — the EDM noise schedule and preconditioning PITA uses, and PITA's tempered reverse
 * SDE step with Feynman–Kac weights. Formulas and sources in sde.h. */
#include <math.h>

#include "methods/sde/sde.h"

int bb_edm_schedule_init(bb_edm_schedule *s, double sigma_min, double sigma_max, double rho, double p_mean,
                         double p_std, bb_ctx *ctx) {
    if (!(sigma_min > 0.0) || !isfinite(sigma_min))
        return BB_ERR(ctx, BB_EINVAL, "sigma_min: must be positive and finite (got %g)", sigma_min);
    if (!(sigma_max > sigma_min) || !isfinite(sigma_max))
        return BB_ERR(ctx, BB_EINVAL, "sigma_max: must be finite and above sigma_min (got %g)", sigma_max);
    if (!(rho > 0.0) || !isfinite(rho)) return BB_ERR(ctx, BB_EINVAL, "rho: must be positive and finite (got %g)", rho);
    if (!isfinite(p_mean)) return BB_ERR(ctx, BB_EINVAL, "p_mean: must be finite (got %g)", p_mean);
    if (!(p_std > 0.0) || !isfinite(p_std))
        return BB_ERR(ctx, BB_EINVAL, "p_std: must be positive and finite (got %g)", p_std);
    *s = (bb_edm_schedule){sigma_min, sigma_max, rho, p_mean, p_std};
    return BB_OK;
}

static double edm_base(const bb_edm_schedule *s, double t) {
    const double a = pow(s->sigma_max, 1.0 / s->rho), b = pow(s->sigma_min, 1.0 / s->rho) - a;
    return a + (1.0 - t) * b;
}

double bb_edm_var(const bb_edm_schedule *s, double t) { return pow(edm_base(s, t), 2.0 * s->rho); }

double bb_edm_g2(const bb_edm_schedule *s, double t) {
    const double b = pow(s->sigma_min, 1.0 / s->rho) - pow(s->sigma_max, 1.0 / s->rho);
    return -2.0 * s->rho * b * pow(edm_base(s, t), 2.0 * s->rho - 1.0);
}

double bb_edm_t_of_var(const bb_edm_schedule *s, double var) {
    const double a = pow(s->sigma_max, 1.0 / s->rho), b = pow(s->sigma_min, 1.0 / s->rho) - a;
    return 1.0 - (pow(var, 1.0 / (2.0 * s->rho)) - a) / b;
}

double bb_edm_sample_sigma(const bb_edm_schedule *s, bb_rng *rng) {
    return exp(s->p_mean + s->p_std * bb_rng_normal(rng));
}

bb_edm_precond bb_edm_precondition(double sigma, double sigma_data) {
    const double s2 = sigma * sigma, d2 = sigma_data * sigma_data, r = sqrt(s2 + d2);
    return (bb_edm_precond){.c_skip = d2 / (s2 + d2),
                            .c_out = sigma * sigma_data / r,
                            .c_in = 1.0 / r,
                            .c_noise = 0.25 * log(sigma),
                            .weight = (s2 + d2) / (s2 * d2)};
}

void bb_sde_anneal_step(const bb_sde_space *sp, size_t n, double g2, double dt, double gamma, const double *score_e,
                        const double *score_s, const double *div_s, const double *dudt, bb_rng *rng, double *x,
                        double *logw) {
    const size_t dof = (size_t)sp->P * (size_t)sp->D;
    const double sd = sqrt(g2 * dt);
    for (size_t r = 0; r < n; r++) {
        double *xr = x + r * dof;
        const double *se = score_e + r * dof, *ss = (score_s ? score_s : score_e) + r * dof;
        double inner = 0.0;
        for (size_t k = 0; k < dof; k++) inner += se[k] * ss[k];
        logw[r] += (gamma * gamma * 0.5 * g2 * inner + gamma * 0.5 * g2 * div_s[r] + gamma * dudt[r]) * dt;
        for (size_t k = 0; k < dof; k++) xr[k] += gamma * 0.5 * g2 * (se[k] + ss[k]) * dt + sd * bb_rng_normal(rng);
        if (sp->com_free) bb_sde_centre_row(sp->P, sp->D, xr);
    }
}
