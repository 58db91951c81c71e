/* mala.c — Metropolis-adjusted Langevin baseline: the MCMC engine with one temperature.
 * Step size adapted during burn-in only (see engine.h). */
#include <string.h>

#include "methods/mcmc/engine.h"

static int mala_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    bb_mcmc_config cfg;
    bb_mcmc_config_shared(&cfg, p);
    cfg.n_temps = 1; /* one temperature, no swaps */
    cfg.temps[0] = 1.0;
    cfg.move = BB_MCMC_MALA;
    return bb_mcmc_init(env, &cfg, state, ctx);
}

/* the shared step sizes, then fewer chains for the (expensive) peptides */
static const bb_task_defaults mala_task_defaults[] = {
    BB_MCMC_TASK_STEPS,
    {"aldp-fab", "{\"n_chains\": 32}"},
    {"aldp-pita", "{\"n_chains\": 32}"},
    {"al3-pita", "{\"n_chains\": 32}"},
    {NULL, NULL},
};

static const bb_param_spec mala_params[] = {
    BB_MCMC_PARAM_N_CHAINS("128", "independent chains run in parallel"),
    BB_MCMC_PARAM_STEP_SIZE("initial Langevin step h (adapted during burn-in)"),
    {"target_accept", BB_PARAM_DOUBLE, "0.574", 0.01, 0.99, "acceptance rate targeted by the burn-in adaptation"},
    BB_MCMC_PARAM_BURNIN,
    BB_MCMC_PARAM_INIT_SCALE,
    {NULL, 0, NULL, 0, 0, NULL},
};

const bb_method bb_method_mala =
    BB_MCMC_METHOD(mala, 1,
                   "Metropolis-adjusted Langevin algorithm (Roberts & Tweedie 1996); independent chains, "
                   "step size adapted towards target_accept during burn-in only, samples thinned from the "
                   "production part of every chain.");
