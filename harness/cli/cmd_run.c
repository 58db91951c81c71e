/* cmd_run.c — `boltzbench run`: one method on one task under a budget → one report. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/core/jsonutil.h"
#include "harness/run/run.h"
#include "methods/method.h"

int bb_cmd_run(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_run_config cfg = {.checkpoint_minutes = -1.0};
    const char *config_path = NULL;
    long long budget = 0, seed = 0, n_samples = 0, threads = 0, ckpt_steps = 0, kill_after = 0;
    int ret = 2, quiet = 0;
    cJSON *user = cJSON_CreateObject(), *task_params = cJSON_CreateObject(), *file_params = NULL;
    const char *kvs[256];
    size_t n_kv = 0;
    char metric_buf[4096];
    char *metric_names[64];
    size_t n_metric_names = 0;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "task id, e.g. lj13 or lj13@1 (see 'boltzbench tasks')", BB_OPT_STRING, &cfg.task_id, 0},
        {"method", 'm', "METHOD", "sampler, e.g. mala or pt (see 'boltzbench methods')", BB_OPT_STRING, &cfg.method, 0},
        {"budget", 'b', "N", "energy-evaluation budget (> 0; 2e5 style accepted)", BB_OPT_BUDGET, &budget, 0},
        {"seed", 's', "N", "random seed (default 0)", BB_OPT_INT, &seed, 0},
        {"out", 'o', "FILE", "report path (JSON, written atomically)", BB_OPT_STRING, &cfg.out_path, 0},
        {"param", 'p', "KEY=VALUE", "method parameter (repeatable; overrides --config)", BB_OPT_CALLER, NULL, 0},
        {"config", 'c', "FILE", "JSON object of method parameters", BB_OPT_STRING, &config_path, 0},
        BB_OPT_ROW_TASK_PARAM,
        {"samples", 'n', "N", "number of final samples scored (default 2000)", BB_OPT_INT, &n_samples, 1},
        {"save-samples", 0, "FILE", "also write the final samples as .npy", BB_OPT_STRING, &cfg.samples_path, 0},
        {"threads", 'j', "N", "OpenMP threads (default: OMP_NUM_THREADS or all cores)", BB_OPT_INT, &threads, 1},
        BB_OPT_ROW_QUIET(&quiet),
        {"resume", 0, NULL,
         "continue a killed or interrupted run from its state file <out>.state (same report as "
         "uninterrupted); an error when there is no state",
         BB_OPT_FLAG, &cfg.resume, 0},
        {"resume-or-start", 0, NULL, "like --resume, but start afresh when there is no state file", BB_OPT_CALLER, NULL,
         0},
        {"keep-state", 0, NULL, "keep <out>.state after the run ends (it is removed by default)", BB_OPT_FLAG,
         &cfg.keep_state, 0},
        {"checkpoint-minutes", 0, "M", "save the run state every M minutes (default 10; 0: every step)", BB_OPT_CALLER,
         NULL, 0},
        {"checkpoint-steps", 0, "N", "save the run state every N steps instead (deterministic)", BB_OPT_INT,
         &ckpt_steps, 1},
        {"debug-kill-after-steps", 0, "N", "testing: SIGKILL the process after step N (and its save)", BB_OPT_INT,
         &kill_after, 1},
        {"metrics", 0, "LIST", "comma-separated metrics to compute (default: all that apply)", BB_OPT_CALLER, NULL, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "run --task TASK --method METHOD --budget N --out FILE [options]",
                "Run METHOD on TASK under a hard budget of N energy evaluations (gradient calls count\n"
                "too), score the final samples against the task's reference set and write a\n"
                "boltzbench.report/1 JSON report. Parameter precedence: defaults < per-task\n"
                "defaults < --config < --param. The run keeps its state in <out>.state while it\n"
                "runs (removed at the end unless --keep-state). Ctrl-C ends it at the next step\n"
                "with its samples scored and its report written (status \"interrupted\"; continue\n"
                "it with --resume). Exit status: 0 ok, 1 run failed (a report with status\n"
                "\"failed\" is still written when the method started), 2 usage error, 130\n"
                "interrupted.");
    for (int id; (id = bb_cli_next(&cl)) != BB_OPT_END;) {
        const char *name = id >= 0 ? opts[id].name : "", *arg = cl.it.arg;
        if (id == BB_OPT_EXIT) {
            ret = cl.exit;
            goto out;
        } else if (id == BB_OPT_POSITIONAL) {
            bb_cli_error("run: unexpected argument '%s' (see --help)", cl.it.positional);
            goto out;
        } else if (!strcmp(name, "param")) {
            if (n_kv == sizeof kvs / sizeof *kvs) {
                bb_cli_error("--param: too many");
                goto out;
            }
            kvs[n_kv++] = arg;
        } else if (!strcmp(name, "task-param")) {
            if (bb_cli_task_param(task_params, arg)) goto out;
        } else if (!strcmp(name, "resume-or-start")) {
            cfg.resume = 2;
        } else if (!strcmp(name, "checkpoint-minutes")) {
            char *end = NULL;
            double mins = strtod(arg, &end);
            if (end == arg || *end || !(mins >= 0.0)) {
                bb_cli_error("--checkpoint-minutes: '%s' is not a non-negative number", arg);
                goto out;
            }
            cfg.checkpoint_minutes = mins;
        } else { /* --metrics */
            snprintf(metric_buf, sizeof metric_buf, "%s", arg);
            n_metric_names = 0;
            char *save = NULL;
            for (char *tok = strtok_r(metric_buf, ",", &save); tok && n_metric_names < 64;
                 tok = strtok_r(NULL, ",", &save))
                metric_names[n_metric_names++] = tok;
            if (n_metric_names == 0) {
                bb_cli_error("--metrics: empty list");
                goto out;
            }
            cfg.metrics = (const char *const *)metric_names;
            cfg.n_metrics = n_metric_names;
        }
    }
    cfg.budget = budget;
    cfg.seed = (uint64_t)seed;
    cfg.n_samples = (size_t)n_samples;
    if (threads) omp_set_num_threads((int)threads); /* the program's top decides the threads */
    cfg.threads = (int)threads;
    cfg.checkpoint_steps = ckpt_steps;
    cfg.kill_after_steps = kill_after;
    if (!cfg.task_id) {
        bb_cli_error("--task: required (see 'boltzbench tasks')");
        goto out;
    }
    if (!cfg.method) {
        bb_cli_error("--method: required (see 'boltzbench methods')");
        goto out;
    }
    if (!budget) {
        bb_cli_error("--budget: required (energy evaluations, > 0)");
        goto out;
    }
    if (!cfg.out_path) {
        bb_cli_error("--out: required (report path)");
        goto out;
    }
    const bb_method *m = bb_method_find(cfg.method);
    if (!m) {
        bb_cli_error("method '%s': unknown method (see 'boltzbench methods')", cfg.method);
        ret = 1;
        goto out;
    }
    char owner[128];
    snprintf(owner, sizeof owner, "method %s", m->name);
    if (config_path) {
        if (bb_json_read_file(config_path, (size_t)1 << 20, &file_params, &ctx)) {
            bb_cli_error("%s", ctx.msg);
            ret = 1;
            goto out;
        }
        if (!cJSON_IsObject(file_params)) {
            bb_cli_error("%s: expected a JSON object of method parameters", config_path);
            ret = 1;
            goto out;
        }
    }
    for (size_t i = 0; i < n_kv; i++)
        if (bb_params_parse_kv(m->params, owner, kvs[i], user, &ctx)) {
            bb_cli_error("%s", ctx.msg);
            goto out;
        }
    cfg.method_config = file_params;
    cfg.method_overrides = user;
    char state_path[4096];
    snprintf(state_path, sizeof state_path, "%s.state", cfg.out_path);
    cfg.state_path = state_path;
    cfg.task_params = task_params->child ? task_params : NULL;
    const char *ci = getenv("CI");
    if (!quiet && isatty(fileno(stderr)) && !(ci && *ci)) cfg.progress = stderr;
    cfg.interrupt = bb_cli_catch_interrupts();
    cJSON *report = NULL;
    int rc = bb_run(&cfg, &report, &ctx);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        ret = rc == BB_EINTERRUPTED ? BB_EXIT_INTERRUPTED : 1;
        goto out;
    }
    /* one line: energy_w2 when there is a reference, else the reference-free mean energy */
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(report, "metrics");
    const char *key = cJSON_GetObjectItemCaseSensitive(metrics, "energy_w2") ? "energy_w2" : "energy_mean";
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(metrics, key), "value");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(report, "budget");
    char vtext[64] = "n/a";
    if (cJSON_IsNumber(mv)) snprintf(vtext, sizeof vtext, "%.4g", mv->valuedouble);
    printf("%s: %s on %s, %.0f/%.0f evaluations, %.0f samples, %s %s\n", cfg.out_path, m->name,
           cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "task"), "id")->valuestring,
           cJSON_GetObjectItemCaseSensitive(b, "used")->valuedouble,
           cJSON_GetObjectItemCaseSensitive(b, "limit")->valuedouble,
           cJSON_GetObjectItemCaseSensitive(report, "n_samples")->valuedouble, key, vtext);
    bb_cli_metric_warnings(cfg.out_path, report);
    cJSON_Delete(report);
    ret = 0;
out:
    cJSON_Delete(user);
    cJSON_Delete(task_params);
    cJSON_Delete(file_params);
    return ret;
}
