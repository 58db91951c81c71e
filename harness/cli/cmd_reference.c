/* cmd_reference.c — `boltzbench reference --task T --n N`: generate a reference set by a long
 * parallel-tempering run and store it in the dataset cache with its provenance (sampler,
 * resolved parameters, seed, evaluations, energy autocorrelation time and ESS), so that
 * tasks whose reference data cannot be fetched (e.g. lj55) get a reference set. The work is
 * bb_refgen_run / bb_refgen_store (harness/run/refgen.h); this file parses and prints. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/run/refgen.h"
#include "tasks/task.h"

int bb_cmd_reference(int argc, char **argv) {
    const char *task_id = NULL, *ci = getenv("CI");
    long long n = 10000, budget = 0, seed = 0, threads = 0;
    int quiet = 0, ret = 2;
    bb_refgen_config cfg = {0};
    bb_refgen_result res = {0};
    bb_task *t = NULL;
    bb_ctx ctx = {0};
    const char **kvs = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *kvs); /* --param values, at most argc */
    if (!kvs) {
        bb_cli_error("reference: out of memory");
        return 1;
    }
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "task id", BB_OPT_STRING, &task_id, 0},
        {"n", 'n', "N", "number of reference samples (default 10000)", BB_OPT_INT, &n, 2},
        {"budget", 'b', "N", "energy evaluations for the run, 1 ... 2^53 (default 2000 x N)", BB_OPT_BUDGET, &budget,
         0},
        {"seed", 's', "N", "seed (default 0)", BB_OPT_INT, &seed, 0},
        {"id", 0, "ID", "dataset id to store under (default <task>-reference)", BB_OPT_STRING, &cfg.id, 0},
        {"param", 'p', "KEY=VALUE", "parameter of the pt sampler (repeatable; see 'boltzbench methods pt')",
         BB_OPT_CALLER, NULL, 0},
        BB_OPT_ROW_THREADS(&threads),
        BB_OPT_ROW_QUIET(&quiet),
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "reference --task TASK [--n N] [--budget B] [--seed S] [--param k=v]",
                "Generate a reference set for TASK with a long parallel-tempering run (method pt,\n"
                "its per-task defaults, overridable with --param) and store it in the dataset cache\n"
                "as <id>.npy + <id>.json (provenance: sampler, parameters, seed, evaluations,\n"
                "energy autocorrelation time and ESS). Reports then use it as the task's reference\n"
                "set when no committed or fetched set exists.");
    int id;
    while ((id = bb_cli_next(&cl)) >= 0) kvs[cfg.n_param_kv++] = cl.it.arg; /* --param, the one option returned */
    if (id == BB_OPT_POSITIONAL) bb_cli_error("reference: unexpected argument '%s'", cl.it.positional);
    if (id != BB_OPT_END) {
        ret = id == BB_OPT_EXIT ? cl.exit : 2;
        goto out;
    }
    if (threads) omp_set_num_threads((int)threads); /* the program's top decides the threads */
    if (!task_id) {
        bb_cli_error("--task: required");
        goto out;
    }
    cfg.n = (size_t)n;
    cfg.budget = budget;
    cfg.seed = (uint64_t)seed;
    cfg.param_kv = kvs;
    cfg.progress = (!quiet && isatty(fileno(stderr)) && !(ci && *ci)) ? stderr : NULL;
    int rc = bb_task_create(task_id, NULL, &t, &ctx);
    if (!rc) rc = bb_refgen_run(t, &cfg, &res, &ctx);
    if (!rc) rc = bb_refgen_store(&res, &ctx);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        ret = rc == BB_EINVAL ? 2 : 1; /* a parameter or id that cannot be used is a usage error */
        goto out;
    }
    printf("reference %s: %zu samples of %s, %lld evaluations, mean u %.4f, energy ESS %.0f\n", res.id, res.samples.n,
           t->id, (long long)res.evaluations, cJSON_GetNumberValue(cJSON_GetObjectItem(res.provenance, "energy_mean")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(res.provenance, "energy_ess")));
    ret = 0;
out:
    bb_refgen_result_free(&res);
    bb_task_free(t);
    free(kvs);
    return ret;
}
