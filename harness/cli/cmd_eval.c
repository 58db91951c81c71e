/* cmd_eval.c — `boltzbench eval --task T --samples x.npy [--log-weights w.npy]
 * [--out report.json] [--task-param k=v]`: score samples produced outside boltzbench;
 * parsing and printing only, the work is bb_eval (harness/run/eval.h), which scores through
 * the same scorer as `boltzbench run`. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"
#include "harness/run/eval.h"

int bb_cmd_eval(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *task_id = NULL, *xpath = NULL, *wpath = NULL, *out = NULL, *rpath = NULL;
    long long seed = 0, threads = 0;
    int no_ci = 0, ret = 0;
    enum { O_TASK_PARAM = 7 };
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "task id (e.g. lj13, dw4@1)", BB_OPT_STRING, &task_id, 0},
        {"samples", 'x', "FILE.npy", "samples: N configurations along the first axis", BB_OPT_STRING, &xpath, 0},
        {"log-weights", 'w', "FILE.npy", "N log importance weights (optional)", BB_OPT_STRING, &wpath, 0},
        {"out", 'o', "FILE.json", "report path (default: print the report to stdout)", BB_OPT_STRING, &out, 0},
        {"seed", 's', "N", "seed of metric subsampling and bootstrap (default 0)", BB_OPT_INT, &seed, 0},
        {"reference", 0, "FILE.npy", "use this reference set instead of the task's", BB_OPT_STRING, &rpath, 0},
        [O_TASK_PARAM] = BB_OPT_ROW_TASK_PARAM,
        {"no-ci", 0, NULL, "skip bootstrap confidence intervals", BB_OPT_FLAG, &no_ci, 0},
        BB_OPT_ROW_THREADS(&threads),
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "eval --task TASK --samples FILE.npy [--log-weights W.npy] [--out REPORT.json]",
                "Score samples produced outside boltzbench with the metric suite (same code and\n"
                "definitions as 'boltzbench run') and write a boltzbench.report/1 report with\n"
                "method \"external\". Energies are evaluated here (uncounted). A task without\n"
                "a reference set gets reference-free statistics (energy mean, std, quantiles,\n"
                "non-finite fraction, minimum). --task-param sets the task's parameters as in\n"
                "'boltzbench run' (e.g. temperature=1200: the energies and the reference set at\n"
                "that temperature).");
    cJSON *tp = cJSON_CreateObject();
    if (!tp) {
        bb_cli_error("eval: out of memory");
        return 1;
    }
    for (int id; (id = bb_cli_next(&cl)) != BB_OPT_END;) {
        if (id == BB_OPT_EXIT) {
            cJSON_Delete(tp);
            return cl.exit;
        }
        if (id != O_TASK_PARAM) {
            bb_cli_error("eval: unexpected argument '%s'", cl.it.positional);
            cJSON_Delete(tp);
            return 2;
        }
        if (bb_cli_task_param(tp, cl.it.arg)) {
            cJSON_Delete(tp);
            return 2;
        }
    }
    if (threads) omp_set_num_threads((int)threads); /* the program's top decides the threads */
    if (!task_id || !xpath) {
        bb_cli_error(!task_id ? "--task: required" : "--samples: required (an .npy file with N configurations)");
        cJSON_Delete(tp);
        return 2;
    }
    bb_eval_config cfg = {.task_id = task_id,
                          .task_params = tp->child ? tp : NULL,
                          .samples_path = xpath,
                          .log_weights_path = wpath,
                          .reference_path = rpath,
                          .seed = (uint64_t)seed,
                          .with_ci = !no_ci};
    cJSON *report = NULL;
    if (bb_eval(&cfg, &report, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        cJSON_Delete(tp);
        return 1;
    }
    bb_cli_metric_warnings(out ? out : cfg.samples_path, report);
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
    cJSON_Delete(tp);
    return ret;
}
