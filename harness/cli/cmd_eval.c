/* cmd_eval.c — `boltzbench eval --task T --samples x.npy [--log-weights w.npy]
 * [--out report.json]`: score samples produced outside boltzbench with the same metric
 * code (bb_metrics_compute, with bootstrap CIs) and write the same report schema as
 * `boltzbench run` ("boltzbench.report/1") with method "external".
 *
 * The samples file holds N configurations along its first axis (N × dof, or N × P × D);
 * log-weights, when given, are N natural-log importance weights (−u(x) − log q(x)).
 * Energies are evaluated here (uncounted; reported under evaluator.energy_evals). The
 * budget block is zero: the cost of producing external samples is unknown to us.
 * Not a sampler run: no anytime curve, no method parameters beyond the input files.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datasets/npy.h"
#include "datasets/reference.h"
#include "harness/cli/cli.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metrics.h"
#include "harness/report/report.h"
#include "tasks/task.h"

#define EVAL_MAX_BYTES ((size_t)4 << 30)

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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int bb_cmd_eval(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *xpath = NULL, *wpath = NULL, *out = NULL, *rpath = NULL;
    long long seed = 0, v;
    int with_ci = 1, ret = 1;
    bb_opt_init(&it, argc, argv);
    for (int oid; (oid = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (oid) {
            case O_HELP:
                bb_opt_help(stdout, "eval --task TASK --samples FILE.npy [--log-weights W.npy] [--out REPORT.json]",
                            "Score samples produced outside boltzbench with the metric suite (same code and\n"
                            "definitions as 'boltzbench run') and write a boltzbench.report/1 report with\n"
                            "method \"external\". Energies are evaluated here (uncounted).",
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
    double t0 = now_s();
    bb_task *t = NULL;
    bb_samples s = {0};
    bb_array w = {0};
    bb_reference ref;
    memset(&ref, 0, sizeof ref);
    int have_ref = 0;
    double *us = NULL, *ur = NULL;
    cJSON *report = NULL, *metrics = NULL;
    char xsha[65], wsha[65] = "";
    const char *note = NULL;
    bb_ctx refctx = {0};
    if (bb_task_create(task_id, NULL, &t, &ctx)) goto fail;
    if (bb_npy_read_samples(xpath, EVAL_MAX_BYTES, &s, &ctx)) goto fail;
    if (s.dof != (size_t)t->dof) {
        BB_ERR(&ctx, BB_EINVAL, "%s: %zu values per configuration, task %s needs %d (P=%d x D=%d)", xpath, s.dof, t->id,
               t->dof, t->n_particles, t->dim);
        goto fail;
    }
    if (s.n == 0) {
        BB_ERR(&ctx, BB_EINVAL, "%s: no configurations", xpath);
        goto fail;
    }
    if (bb_sha256_file(xpath, xsha, &ctx)) goto fail;
    if (wpath) {
        if (bb_npy_read(wpath, EVAL_MAX_BYTES, &w, &ctx)) goto fail;
        if (w.n != s.n) {
            BB_ERR(&ctx, BB_EINVAL, "%s: %zu log-weights for %zu samples", wpath, w.n, s.n);
            goto fail;
        }
        for (size_t i = 0; i < w.n; i++)
            if (isnan(w.data[i]) || w.data[i] == INFINITY) {
                BB_ERR(&ctx, BB_ENAN, "%s: log-weight %zu is %s", wpath, i, isnan(w.data[i]) ? "NaN" : "+inf");
                goto fail;
            }
        s.logw = w.data; /* handed over: s owns it now */
        w.data = NULL;
        if (bb_sha256_file(wpath, wsha, &ctx)) goto fail;
    }
    /* reference: --reference file, else the task's own set (metrics needing one are skipped without) */
    if (rpath) {
        if (bb_npy_read_samples(rpath, EVAL_MAX_BYTES, &ref.samples, &ctx)) goto fail;
        if (ref.samples.dof != s.dof) {
            BB_ERR(&ctx, BB_EINVAL, "%s: %zu values per configuration, samples have %zu", rpath, ref.samples.dof,
                   s.dof);
            goto fail;
        }
        if (bb_sha256_file(rpath, ref.sha256, &ctx)) goto fail;
        snprintf(ref.dataset_id, sizeof ref.dataset_id, "file:%s", rpath);
        snprintf(ref.source, sizeof ref.source, "%s (given with --reference)", rpath);
        have_ref = 1;
    } else {
        int rrc = bb_reference_load(t, 0, &ref, &refctx);
        if (rrc == BB_OK) {
            have_ref = 1;
        } else if (rrc != BB_ENOTFOUND) { /* declared but corrupt, truncated or unfetchable: never score without it */
            BB_ERR(&ctx, rrc, "%s", refctx.msg);
            goto fail;
        } else {
            note = refctx.msg[0] ? refctx.msg : "no reference set for this task";
        }
    }
    int64_t evals = 0;
    us = malloc(s.n * sizeof *us);
    if (!us) {
        BB_ERR(&ctx, BB_ENOMEM, "eval: out of memory");
        goto fail;
    }
    if (bb_task_energy_parallel(t, s.n, s.x, us, NULL, &ctx)) {
        bb_ctx_prefix(&ctx, "%s", xpath);
        goto fail;
    }
    evals += (int64_t)s.n;
    if (have_ref) {
        ur = malloc((ref.samples.n ? ref.samples.n : 1) * sizeof *ur);
        if (!ur) {
            BB_ERR(&ctx, BB_ENOMEM, "eval: out of memory");
            goto fail;
        }
        if (bb_task_energy_parallel(t, ref.samples.n, ref.samples.x, ur, NULL, &ctx)) {
            bb_ctx_prefix(&ctx, "reference %s", ref.dataset_id);
            goto fail;
        }
        evals += (int64_t)ref.samples.n;
    }
    size_t rejected = 0;
    for (size_t i = 0; i < s.n; i++) rejected += us[i] == INFINITY;
    double tm = now_s();
    metrics = cJSON_CreateObject();
    bb_eval_input in = {.task = t,
                        .samples = &s,
                        .u_samples = us,
                        .reference = have_ref ? &ref.samples : NULL,
                        .u_reference = have_ref ? ur : NULL,
                        .seed = (uint64_t)seed,
                        .with_ci = with_ci};
    if (!metrics || bb_metrics_compute(&in, 0, metrics, &ctx)) goto fail;
    tm = now_s() - tm;

    report = bb_report_new();
    if (!report) {
        BB_ERR(&ctx, BB_ENOMEM, "eval: out of memory");
        goto fail;
    }
    cJSON_AddStringToObject(report, "status", "ok");
    cJSON_AddNullToObject(report, "error");
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "task", t->id);
    cJSON_AddStringToObject(cfg, "method", "external");
    cJSON_AddStringToObject(cfg, "samples_sha256", xsha);
    if (wpath) cJSON_AddStringToObject(cfg, "log_weights_sha256", wsha);
    cJSON_AddNumberToObject(cfg, "seed", (double)seed);
    char csha[65];
    bb_json_sha256(cfg, csha);
    cJSON_AddStringToObject(report, "config_sha256", csha);
    bb_report_add_task(report, t, NULL);
    cJSON *mo = cJSON_AddObjectToObject(report, "method");
    cJSON_AddStringToObject(mo, "name", "external");
    cJSON_AddNumberToObject(mo, "version", 0);
    cJSON *mp = cJSON_AddObjectToObject(mo, "params");
    cJSON_AddStringToObject(mp, "samples", xpath);
    cJSON_AddStringToObject(mp, "samples_sha256", xsha);
    if (wpath) {
        cJSON_AddStringToObject(mp, "log_weights", wpath);
        cJSON_AddStringToObject(mp, "log_weights_sha256", wsha);
    }
    char psha[65];
    bb_json_sha256(mp, psha);
    cJSON_AddStringToObject(mo, "params_sha256", psha);
    cJSON_Delete(cfg);
    cJSON_AddNumberToObject(report, "seed", (double)seed);
    cJSON_AddNumberToObject(report, "n_samples", (double)s.n);
    cJSON *b = cJSON_AddObjectToObject(report, "budget");
    cJSON_AddNumberToObject(b, "limit", 0);
    cJSON_AddNumberToObject(b, "used", 0);
    cJSON_AddNumberToObject(b, "with_grad", 0);
    cJSON_AddNumberToObject(b, "energy_only", 0);
    cJSON_AddNumberToObject(b, "rejected", (double)rejected);
    cJSON_AddStringToObject(b, "note", "external samples: the evaluations spent producing them are unknown");
    cJSON *ds = cJSON_AddArrayToObject(report, "datasets");
    bb_report_add_dataset(ds, "samples", xpath, xsha, xpath, s.n);
    if (have_ref) bb_report_add_dataset(ds, "reference", ref.dataset_id, ref.sha256, ref.source, ref.samples.n);
    if (note) cJSON_AddStringToObject(report, "note", note);
    cJSON_AddItemToObject(report, "metrics", metrics);
    metrics = NULL;
    cJSON_AddItemToObject(report, "anytime", cJSON_CreateArray());
    cJSON_AddItemToObject(report, "method_info", cJSON_CreateObject());
    cJSON *ev = cJSON_AddObjectToObject(report, "evaluator");
    cJSON_AddNumberToObject(ev, "energy_evals", (double)evals);
    cJSON *tmo = cJSON_AddObjectToObject(report, "timing");
    cJSON_AddNumberToObject(tmo, "wall_s", now_s() - t0);
    cJSON_AddNumberToObject(tmo, "metrics_wall_s", tm);
    bb_report_add_host(report);
    if (bb_report_validate(report, "eval report", &ctx)) goto fail;
    if (out) {
        if (bb_report_write(out, report, &ctx)) goto fail;
    } else {
        char *text = cJSON_Print(report);
        if (!text) {
            BB_ERR(&ctx, BB_ENOMEM, "eval: out of memory");
            goto fail;
        }
        printf("%s\n", text);
        free(text);
    }
    ret = 0;
    goto out;
fail:
    bb_cli_error("%s", ctx.msg);
out:
    cJSON_Delete(report);
    cJSON_Delete(metrics);
    free(us);
    free(ur);
    bb_array_free(&w);
    bb_samples_free(&s);
    bb_reference_free(&ref);
    bb_task_free(t);
    return ret;
}
