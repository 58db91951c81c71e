/* mala.c — Metropolis-adjusted Langevin baseline: the MCMC engine with one temperature.
 * Step size adapted during burn-in only (see engine.h). */
#include <string.h>

#include "methods/mcmc/engine.h"

static const bb_param_spec mala_params[] = {
    {"n_chains", BB_PARAM_INT, "128", 1, 100000, "independent chains run in parallel"},
    {"step_size", BB_PARAM_DOUBLE, "0.001", 1e-12, 1e6, "initial Langevin step h (adapted during burn-in)"},
    {"target_accept", BB_PARAM_DOUBLE, "0.574", 0.01, 0.99, "acceptance rate targeted by the burn-in adaptation"},
    BB_MCMC_PARAM_BURNIN_INIT,
    {NULL, 0, NULL, 0, 0, NULL},
};

/* the shared step sizes, then fewer chains for the (expensive) peptides */
static const bb_task_defaults mala_task_defaults[] = {
    BB_MCMC_TASK_STEPS,
    {"aldp-fab", "{\"n_chains\": 32}"},
    {"aldp-pita", "{\"n_chains\": 32}"},
    {"al3-pita", "{\"n_chains\": 32}"},
    {NULL, NULL},
};

static int mala_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    bb_mcmc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    bb_mcmc_config_shared(&cfg, p);
    cfg.n_temps = 1;
    cfg.temps[0] = 1.0;
    cfg.move = BB_MCMC_MALA;
    cfg.target_accept = bb_params_double(p, "target_accept");
    return bb_mcmc_init(env, &cfg, state, ctx);
}

const bb_method bb_method_mala = {
    .name = "mala",
    .version = 1,
    .description = "Metropolis-adjusted Langevin algorithm (Roberts & Tweedie 1996); independent chains, "
                   "step size adapted towards target_accept during burn-in only, samples thinned from the "
                   "production part of every chain.",
    .params = mala_params,
    .task_defaults = mala_task_defaults,
    .init = mala_init,
    BB_MCMC_METHOD_ENTRIES,
};
