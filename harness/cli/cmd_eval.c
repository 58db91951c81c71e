/* cmd_eval.c — `boltzbench eval --task T --samples x.npy [--log-weights w.npy]
 * [--out report.json]`: score samples produced outside boltzbench; parsing and printing
 * only, the work is bb_eval (harness/run/eval.h), which scores through the same scorer as
 * `boltzbench run`. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"
#include "harness/run/eval.h"

enum { O_HELP, O_TASK, O_SAMPLES, O_LOGW, O_OUT, O_SEED, O_REF, O_NOCI, O_THREADS };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_TASK] = {"task", 't', "TASK", "task id (e.g. lj13, dw4@1)"},
    [O_SAMPLES] = {"samples", 'x', "FILE.npy", "samples: N configurations along the first axis"},
    [O_LOGW] = {"log-weights", 'w', "FILE.npy", "N log importance weights (optional)"},
    [O_OUT] = {"out", 'o', "FILE.json", "report path (default: print the report to stdout)"},
    [O_SEED] = {"seed", 's', "N", "seed of metric subsampling and bootstrap (default 0)"},
    [O_REF] = {"reference", 0, "FILE.npy", "use this reference set instead of the task's"},
    [O_NOCI] = {"no-ci", 0, NULL, "skip bootstrap confidence intervals"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_eval(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *xpath = NULL, *wpath = NULL, *out = NULL, *rpath = NULL;
    long long seed = 0, v;
    int with_ci = 1, ret = 0;
    bb_opt_init(&it, argc, argv);
    for (int oid; (oid = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (oid) {
            case O_HELP:
                bb_opt_help(stdout, "eval --task TASK --samples FILE.npy [--log-weights W.npy] [--out REPORT.json]",
                            "Score samples produced outside boltzbench with the metric suite (same code and\n"
                            "definitions as 'boltzbench run') and write a boltzbench.report/1 report with\n"
                            "method \"external\". Energies are evaluated here (uncounted). A task without\n"
                            "a reference set gets reference-free statistics (energy mean, std, quantiles,\n"
                            "non-finite fraction, minimum).",
                            opts);
                return 0;
            case O_TASK: task_id = it.arg; break;
            case O_SAMPLES: xpath = it.arg; break;
            case O_LOGW: wpath = it.arg; break;
            case O_OUT: out = it.arg; break;
            case O_REF: rpath = it.arg; break;
            case O_SEED:
                if (bb_cli_parse_i64("--seed", it.arg, 0, &seed)) return 2;
                break;
            case O_NOCI: with_ci = 0; break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) return 2;
                omp_set_num_threads((int)v);
                break;
            case BB_OPT_POSITIONAL: bb_cli_error("eval: unexpected argument '%s'", it.positional); return 2;
            default: bb_cli_error("%s", ctx.msg); return 2;
        }
    }
    if (!task_id) {
        bb_cli_error("--task: required");
        return 2;
    }
    if (!xpath) {
        bb_cli_error("--samples: required (an .npy file with N configurations)");
        return 2;
    }
    bb_eval_config cfg = {.task_id = task_id,
                          .samples_path = xpath,
                          .log_weights_path = wpath,
                          .reference_path = rpath,
                          .seed = (uint64_t)seed,
                          .with_ci = with_ci};
    cJSON *report = NULL;
    if (bb_eval(&cfg, &report, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    if (out) {
        if (bb_report_write(out, report, &ctx)) ret = 1;
    } else {
        char *text = cJSON_Print(report);
        if (text)
            printf("%s\n", text);
        else
            BB_ERR(&ctx, BB_ENOMEM, "eval: out of memory");
        ret = text ? 0 : 1;
        free(text);
    }
    if (ret) bb_cli_error("%s", ctx.msg);
    cJSON_Delete(report);
    return ret;
}
