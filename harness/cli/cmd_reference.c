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

enum { O_HELP, O_TASK, O_N, O_BUDGET, O_SEED, O_ID, O_PARAM, O_THREADS, O_QUIET };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_TASK] = {"task", 't', "TASK", "task id"},
    [O_N] = {"n", 'n', "N", "number of reference samples (default 10000)"},
    [O_BUDGET] = {"budget", 'b', "N", "energy evaluations for the run, 1 ... 2^53 (default 2000 x N)"},
    [O_SEED] = {"seed", 's', "N", "seed (default 0)"},
    [O_ID] = {"id", 0, "ID", "dataset id to store under (default <task>-reference)"},
    [O_PARAM] = {"param", 'p', "KEY=VALUE", "parameter of the pt sampler (repeatable; see 'boltzbench methods pt')"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress display"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_reference(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *ci = getenv("CI");
    long long n = 10000, budget = 0, seed = 0, v;
    int quiet = 0, ret = 2;
    bb_refgen_config cfg = {0};
    bb_refgen_result res = {0};
    bb_task *t = NULL;
    const char **kvs = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *kvs); /* --param values, at most argc */
    if (!kvs) {
        bb_cli_error("reference: out of memory");
        return 1;
    }
    bb_opt_init(&it, argc, argv);
    for (int oid; (oid = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (oid) {
            case O_HELP:
                bb_opt_help(stdout, "reference --task TASK [--n N] [--budget B] [--seed S] [--param k=v]",
                            "Generate a reference set for TASK with a long parallel-tempering run (method pt,\n"
                            "its per-task defaults, overridable with --param) and store it in the dataset cache\n"
                            "as <id>.npy + <id>.json (provenance: sampler, parameters, seed, evaluations,\n"
                            "energy autocorrelation time and ESS). Reports then use it as the task's reference\n"
                            "set when no committed or fetched set exists.",
                            opts);
                ret = 0;
                goto out;
            case O_TASK: task_id = it.arg; break;
            case O_N:
                if (bb_cli_parse_i64("--n", it.arg, 2, &n)) goto out;
                break;
            case O_BUDGET:
                if (bb_cli_parse_budget("--budget", it.arg, &budget)) goto out;
                break;
            case O_SEED:
                if (bb_cli_parse_i64("--seed", it.arg, 0, &seed)) goto out;
                break;
            case O_ID: cfg.id = it.arg; break;
            case O_PARAM: kvs[cfg.n_param_kv++] = it.arg; break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) goto out;
                omp_set_num_threads((int)v); /* decided here, at the top, for the run and the evaluator */
                break;
            case O_QUIET: quiet = 1; break;
            case BB_OPT_POSITIONAL: bb_cli_error("reference: unexpected argument '%s'", it.positional); goto out;
            default: bb_cli_error("%s", ctx.msg); goto out;
        }
    }
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
