/* schedule.c — noise schedules g(t) of the drift-free base process and their closed-form
 * integrated variance h²(t) = ∫_0^t g². Formulas and sources in sde.h. It does not
 * sample anything (bridge.c, em.c do). */
#include <math.h>
#include <string.h>

#include "methods/sde/sde.h"

const char *const BB_SDE_SCHEDULE_NAME[BB_SDE_SCHEDULE_COUNT] = {"constant", "geometric"};
_Static_assert(sizeof BB_SDE_SCHEDULE_NAME / sizeof BB_SDE_SCHEDULE_NAME[0] == BB_SDE_SCHEDULE_COUNT,
               "schedule name table");

int bb_sde_schedule_geometric(bb_sde_schedule *s, double sigma_min, double sigma_max, bb_ctx *ctx) {
    if (!(sigma_min > 0.0) || !isfinite(sigma_min))
        return BB_ERR(ctx, BB_EINVAL, "sigma_min: must be positive and finite (got %g)", sigma_min);
    if (!(sigma_max > sigma_min) || !isfinite(sigma_max))
        return BB_ERR(ctx, BB_EINVAL, "sigma_max: must be finite and above sigma_min (got %g)", sigma_max);
    s->kind = BB_SDE_SCHEDULE_GEOMETRIC;
    s->sigma_min = sigma_min;
    s->sigma_max = sigma_max;
    return BB_OK;
}

int bb_sde_schedule_constant(bb_sde_schedule *s, double sigma, bb_ctx *ctx) {
    if (!(sigma > 0.0) || !isfinite(sigma))
        return BB_ERR(ctx, BB_EINVAL, "sigma: must be positive and finite (got %g)", sigma);
    s->kind = BB_SDE_SCHEDULE_CONSTANT;
    s->sigma_min = sigma;
    s->sigma_max = sigma;
    return BB_OK;
}

int bb_sde_schedule_kind_find(const char *name) {
    for (int k = 0; name && k < BB_SDE_SCHEDULE_COUNT; k++)
        if (strcmp(name, BB_SDE_SCHEDULE_NAME[k]) == 0) return k;
    return -1;
}

double bb_sde_g(const bb_sde_schedule *s, double t) {
    if (s->kind == BB_SDE_SCHEDULE_CONSTANT) return s->sigma_max;
    const double lr = log(s->sigma_max / s->sigma_min);
    return s->sigma_min * exp((1.0 - t) * lr) * sqrt(2.0 * lr);
}

double bb_sde_h2(const bb_sde_schedule *s, double t) {
    if (s->kind == BB_SDE_SCHEDULE_CONSTANT) return s->sigma_max * s->sigma_max * t;
    const double lr = log(s->sigma_max / s->sigma_min);
    /* σmax² (1 − r^(−2t)) written with expm1 so small t keeps its precision */
    return -s->sigma_max * s->sigma_max * expm1(-2.0 * t * lr);
}

double bb_sde_step_std(const bb_sde_schedule *s, double t, double dt) {
    return sqrt(fmax(bb_sde_h2(s, t + dt) - bb_sde_h2(s, t), 0.0));
}

double bb_sde_ve_g(const bb_sde_schedule *s, double t) { return bb_sde_g(s, 1.0 - t); }

double bb_sde_ve_var(const bb_sde_schedule *s, double t) {
    if (s->kind == BB_SDE_SCHEDULE_CONSTANT) return s->sigma_max * s->sigma_max * t;
    /* σmin² (r^(2t) − 1) with expm1 so small t keeps its precision (σ²(t) ≈ 2 σmin² t ln r) */
    const double lr = log(s->sigma_max / s->sigma_min);
    return s->sigma_min * s->sigma_min * expm1(2.0 * t * lr);
}
