/* cmd_reference.c — `boltzbench reference --task T --n N`: generate a reference set by a long
 * parallel-tempering run and store it in the dataset cache with its provenance (sampler,
 * resolved parameters, seed, evaluations, energy autocorrelation time and ESS), so that
 * tasks whose reference data cannot be fetched (e.g. lj55) get a reference set. */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/generated.h"
#include "datasets/iat.h"
#include "datasets/reference.h"
#include "harness/cli/cli.h"
#include "harness/core/jsonutil.h"
#include "harness/run/driver.h"
#include "methods/method.h"
#include "tasks/task.h"

enum { O_HELP, O_TASK, O_N, O_BUDGET, O_SEED, O_ID, O_PARAM, O_THREADS, O_QUIET };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_TASK] = {"task", 't', "TASK", "task id"},
    [O_N] = {"n", 'n', "N", "number of reference samples (default 10000)"},
    [O_BUDGET] = {"budget", 'b', "N", "energy evaluations for the run (default 2000 x N)"},
    [O_SEED] = {"seed", 's', "N", "seed (default 0)"},
    [O_ID] = {"id", 0, "ID", "dataset id to store under (default <task>-reference)"},
    [O_PARAM] = {"param", 'p', "KEY=VALUE", "parameter of the pt sampler (repeatable; see 'boltzbench methods pt')"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress display"},
    {NULL, 0, NULL, NULL},
};

/* τ per ladder on the ladder-major energy trace; ESS summed over ladders. */
static void energy_statistics(const double *u, size_t n, size_t ladders, cJSON *prov) {
    double sum = 0, sq = 0, ess = 0, tau_max = 0;
    size_t per = ladders ? n / ladders : n, bad = 0;
    for (size_t i = 0; i < n; i++) sum += u[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) sq += (u[i] - mean) * (u[i] - mean);
    for (size_t l = 0; l < ladders && per >= 2; l++) {
        double tau, e;
        bb_ctx c = {0};
        int rc = bb_energy_iat(u + l * per, per, &tau, &e, &c);
        if (rc) bad++;
        if (isfinite(tau) && tau > 0) {
            if (tau < 1.0) tau = 1.0; /* anticorrelated thinned draws: count as independent, ESS <= n */
            ess += (double)per / tau;
            if (tau > tau_max) tau_max = tau;
        }
    }
    cJSON_AddNumberToObject(prov, "energy_mean", mean);
    cJSON_AddNumberToObject(prov, "energy_sd", n > 1 ? sqrt(sq / (double)(n - 1)) : 0.0);
    cJSON_AddNumberToObject(prov, "energy_iat_max", tau_max);
    cJSON_AddNumberToObject(prov, "energy_ess", ess);
    cJSON_AddNumberToObject(prov, "chains_with_unreliable_iat", (double)bad);
    cJSON_AddStringToObject(prov, "iat_method",
                            "Sokal automatic window c=5 per chain on the thinned lambda=1 energy trace; ESS = sum over "
                            "chains of n_chain/max(tau, 1)");
}

int bb_cmd_reference(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *id = NULL;
    long long n = 10000, budget = 0, seed = 0, v;
    int quiet = 0, ret = 1;
    const char *kvs[64];
    size_t n_kv = 0;
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
                return 0;
            case O_TASK: task_id = it.arg; break;
            case O_N:
                if (bb_cli_parse_i64("--n", it.arg, 2, &n)) return 2;
                break;
            case O_BUDGET:
                if (bb_cli_parse_budget("--budget", it.arg, &budget)) return 2;
                break;
            case O_SEED:
                if (bb_cli_parse_i64("--seed", it.arg, 0, &seed)) return 2;
                break;
            case O_ID: id = it.arg; break;
            case O_PARAM:
                if (n_kv == 64) {
                    bb_cli_error("--param: too many");
                    return 2;
                }
                kvs[n_kv++] = it.arg;
                break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) return 2;
                omp_set_num_threads((int)v);
                break;
            case O_QUIET: quiet = 1; break;
            case BB_OPT_POSITIONAL: bb_cli_error("reference: unexpected argument '%s'", it.positional); return 2;
            default: bb_cli_error("%s", ctx.msg); return 2;
        }
    }
    if (!task_id) {
        bb_cli_error("--task: required");
        return 2;
    }
    if (!budget) budget = 2000 * n;
    bb_task *t = NULL;
    bb_oracle *o = NULL;
    cJSON *user = cJSON_CreateObject(), *td = NULL, *info = cJSON_CreateObject(), *prov = NULL;
    bb_params p = {0};
    bb_samples s = {0};
    double *u = NULL;
    const bb_method *m = bb_method_find("pt");
    if (bb_task_create(task_id, NULL, &t, &ctx)) goto fail;
    char gid[128];
    snprintf(gid, sizeof gid, "%s", id ? id : "");
    if (!id) snprintf(gid, sizeof gid, "%s%s", t->type->name, BB_REFERENCE_GENERATED_SUFFIX);
    for (size_t i = 0; i < n_kv; i++)
        if (bb_params_parse_kv(m->params, "method pt", kvs[i], user, &ctx)) {
            ret = 2;
            goto fail;
        }
    if (bb_method_resolve_params(m, t->type->name, NULL, user, &p, &ctx)) {
        ret = 2;
        goto fail;
    }
    if (bb_oracle_create(t, budget, &o, &ctx)) goto fail;
    const char *ci = getenv("CI");
    FILE *progress = (!quiet && isatty(fileno(stderr)) && !(ci && *ci)) ? stderr : NULL;
    if (bb_driver_run_plain(m, &p, o, (uint64_t)seed, (size_t)n, &s, info, progress, &ctx)) goto fail;
    if (s.n < (size_t)n) {
        bb_cli_error("reference %s: the run produced %zu of %lld samples (raise --budget)", gid, s.n, n);
        goto out;
    }
    u = malloc(s.n * sizeof *u);
    if (!u || bb_task_energy_parallel(t, s.n, s.x, u, NULL, &ctx)) goto fail;
    prov = cJSON_CreateObject();
    cJSON_AddStringToObject(prov, "sampler", "pt@1");
    cJSON_AddStringToObject(prov, "task", t->id);
    cJSON_AddItemToObject(prov, "params", cJSON_Duplicate(p.values, 1));
    cJSON_AddNumberToObject(prov, "seed", (double)seed);
    cJSON_AddNumberToObject(prov, "budget", (double)budget);
    cJSON_AddNumberToObject(prov, "evaluations", (double)bb_oracle_used(o));
    cJSON_AddStringToObject(prov, "harness_version", BB_VERSION_STRING);
    cJSON_AddItemToObject(prov, "sampler_info", cJSON_Duplicate(info, 1));
    cJSON_AddStringToObject(prov, "order", "ladder-major: chain l holds rows [l*n/L, (l+1)*n/L)");
    energy_statistics(u, s.n, (size_t)bb_params_int(&p, "n_chains"), prov);
    if (bb_dataset_store_generated(gid, &s, prov, &ctx)) goto fail;
    printf("reference %s: %zu samples of %s, %lld evaluations, mean u %.4f, energy ESS %.0f\n", gid, s.n, t->id,
           (long long)bb_oracle_used(o), cJSON_GetObjectItem(prov, "energy_mean")->valuedouble,
           cJSON_GetObjectItem(prov, "energy_ess")->valuedouble);
    ret = 0;
    goto out;
fail:
    bb_cli_error("%s", ctx.msg);
out:
    free(u);
    bb_samples_free(&s);
    bb_params_free(&p);
    bb_oracle_free(o);
    bb_task_free(t);
    cJSON_Delete(user);
    cJSON_Delete(td);
    cJSON_Delete(info);
    cJSON_Delete(prov);
    return ret;
}
