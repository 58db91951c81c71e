/* mala.c — Metropolis-adjusted Langevin baseline: the MCMC engine with one temperature.
 * Step size adapted during burn-in only (see engine.h). */
#include <string.h>

#include "methods/mcmc/engine.h"

static const bb_param_spec mala_params[] = {
    {"n_chains", BB_PARAM_INT, "128", 1, 100000, "independent chains run in parallel"},
    {"step_size", BB_PARAM_DOUBLE, "0.001", 1e-12, 1e6, "initial Langevin step h (adapted during burn-in)"},
    {"target_accept", BB_PARAM_DOUBLE, "0.574", 0.01, 0.99, "acceptance rate targeted by the burn-in adaptation"},
    {"burnin_fraction", BB_PARAM_DOUBLE, "0.5", 0, 0.99, "fraction of the budget spent on burn-in (discarded)"},
    {"init_scale", BB_PARAM_DOUBLE, "0", 0, 1e6, "std of the initial states (0 = the task's default)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

static const bb_task_defaults mala_task_defaults[] = {
    {"gmm40", "{\"step_size\": 0.5}"},
    {"dw4", "{\"step_size\": 0.01}"},
    {"lj13", "{\"step_size\": 0.0005}"},
    {"lj55", "{\"step_size\": 0.0002}"},
    /* peptides: positions in nm, stiff bonds to hydrogens; h seeds the burn-in adaptation */
    {"aldp-fab", "{\"step_size\": 2e-6, \"n_chains\": 32}"},
    {"aldp-pita", "{\"step_size\": 2e-6, \"n_chains\": 32}"},
    {"al3-pita", "{\"step_size\": 2e-6, \"n_chains\": 32}"},
    {NULL, NULL},
};

static int mala_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    bb_mcmc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_ladders = (size_t)bb_params_int(p, "n_chains");
    cfg.n_temps = 1;
    cfg.temps[0] = 1.0;
    cfg.move = BB_MCMC_MALA;
    cfg.step_size = bb_params_double(p, "step_size");
    cfg.target_accept = bb_params_double(p, "target_accept");
    cfg.burnin_fraction = bb_params_double(p, "burnin_fraction");
    cfg.init_scale = bb_params_double(p, "init_scale");
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
