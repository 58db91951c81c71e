/* pt.c — parallel tempering baseline: the MCMC engine with a temperature ladder and
 * replica-exchange swaps (see engine.h). The ladder is geometric from 1 to t_max unless
 * an explicit `temperatures` list (reduced multipliers, first = 1) is given. */
#include <string.h>

#include "methods/mcmc/engine.h"

static const bb_param_spec pt_params[] = {
    BB_MCMC_PARAM_N_CHAINS("32", "independent ladders (chains per temperature)"),
    {"n_temps", BB_PARAM_INT, "8", 2, 64, "temperatures in the geometric ladder"},
    {"t_max", BB_PARAM_DOUBLE, "10", 1.000001, 1e9, "highest temperature multiplier of the geometric ladder"},
    {"temperatures", BB_PARAM_DOUBLE_LIST, "[0]", 0, 1e9, "explicit ladder (first must be 1); [0] = geometric"},
    {"move", BB_PARAM_STRING, "\"mala\"", 1, 0, "move within a replica: mala or rw"},
    BB_MCMC_PARAM_STEP_SIZE("initial step at temperature 1 (scaled by λ; adapted in burn-in)"),
    {"target_accept", BB_PARAM_DOUBLE, "0", 0, 0.99, "acceptance targeted in burn-in (0 = 0.574 mala, 0.234 rw)"},
    BB_MCMC_PARAM_BURNIN,
    {"swap_interval", BB_PARAM_INT, "1", 1, 1000000, "sweeps between replica-exchange rounds"},
    BB_MCMC_PARAM_INIT_SCALE,
    {NULL, 0, NULL, 0, 0, NULL},
};

/* the shared step sizes, then each task's ladder */
static const bb_task_defaults pt_task_defaults[] = {
    BB_MCMC_TASK_STEPS,
    {"gmm40", "{\"t_max\": 300, \"n_temps\": 10}"},
    {"dw4", "{\"t_max\": 5, \"n_temps\": 5}"},
    {"lj13", "{\"t_max\": 4, \"n_temps\": 6}"},
    {"lj55", "{\"t_max\": 4, \"n_temps\": 8}"},
    /* PITA's peptide ladders (K): ALDP 300, 555.52, 755.95, 1200; AL3 adds 408.24 —
     * as multipliers of the task temperature (300 K by default) */
    {"aldp-fab", "{\"n_chains\": 16, \"temperatures\": [1, 1.8517333333333332, 2.5198333333333336, 4]}"},
    {"aldp-pita", "{\"n_chains\": 16, \"temperatures\": [1, 1.8517333333333332, 2.5198333333333336, 4]}"},
    {"al3-pita", "{\"n_chains\": 16, \"temperatures\": [1, 1.3608, 1.8517333333333332, 2.5198333333333336, 4]}"},
    {NULL, NULL},
};

static int pt_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    bb_mcmc_config cfg;
    bb_mcmc_config_shared(&cfg, p);
    double list[64];
    size_t n_list = bb_params_doubles(p, "temperatures", list, 64);
    if (n_list > 64) return BB_ERR(ctx, BB_EINVAL, "method pt: parameter 'temperatures': at most 64 entries");
    if (n_list == 1 && list[0] == 0.0) {
        cfg.n_temps = (size_t)bb_params_int(p, "n_temps");
        bb_mcmc_geometric_ladder(cfg.n_temps, bb_params_double(p, "t_max"), cfg.temps);
    } else {
        if (list[0] != 1.0)
            return BB_ERR(ctx, BB_EINVAL, "method pt: parameter 'temperatures': the first must be 1 (got %g)", list[0]);
        cfg.n_temps = n_list;
        memcpy(cfg.temps, list, n_list * sizeof(double));
    }
    const char *move = bb_params_str(p, "move");
    if (strcmp(move, "mala") == 0)
        cfg.move = BB_MCMC_MALA;
    else if (strcmp(move, "rw") == 0)
        cfg.move = BB_MCMC_RW;
    else
        return BB_ERR(ctx, BB_EINVAL, "method pt: parameter 'move': '%s' is not mala or rw", move);
    if (cfg.target_accept == 0.0) cfg.target_accept = cfg.move == BB_MCMC_MALA ? 0.574 : 0.234;
    cfg.swap_interval = (size_t)bb_params_int(p, "swap_interval");
    return bb_mcmc_init(env, &cfg, state, ctx);
}

const bb_method bb_method_pt =
    BB_MCMC_METHOD(pt, 1,
                   "Parallel tempering (Swendsen & Wang 1986; Geyer 1991): independent ladders of replicas "
                   "at temperatures 1 < λ_2 < ... < λ_K, MALA or random-walk moves within replicas, "
                   "deterministic even/odd replica-exchange swaps; samples from the λ = 1 replicas.");
