/* eval.c — scoring external samples (see eval.h). */
#include "harness/run/eval.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/npy.h"
#include "datasets/reference.h"
#include "harness/core/clock.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/report/report.h"
#include "harness/run/score.h"
#include "tasks/task.h"

#define EVAL_MAX_BYTES ((size_t)4 << 30)

/* Samples and optional log-weights, checked against the task. */
static int load_samples(const bb_eval_config *cfg, const bb_task *t, bb_samples *s, char xsha[65], char wsha[65],
                        bb_ctx *ctx) {
    const char *xpath = cfg->samples_path, *wpath = cfg->log_weights_path;
    int rc = bb_npy_read_samples(xpath, EVAL_MAX_BYTES, s, ctx);
    if (rc) return rc;
    if (s->dof != (size_t)t->dof)
        return BB_ERR(ctx, BB_EINVAL, "%s: %zu values per configuration, task %s needs %d (P=%d x D=%d)", xpath, s->dof,
                      t->id, t->dof, t->n_particles, t->dim);
    if (s->n == 0) return BB_ERR(ctx, BB_EINVAL, "%s: no configurations", xpath);
    if ((rc = bb_sha256_file(xpath, xsha, ctx))) return rc;
    if (!wpath) return BB_OK;
    bb_array w = {0};
    if ((rc = bb_npy_read(wpath, EVAL_MAX_BYTES, &w, ctx))) return rc;
    if (w.n != s->n) rc = BB_ERR(ctx, BB_EINVAL, "%s: %zu log-weights for %zu samples", wpath, w.n, s->n);
    for (size_t i = 0; i < w.n && !rc; i++)
        if (isnan(w.data[i]) || w.data[i] == INFINITY)
            rc = BB_ERR(ctx, BB_ENAN, "%s: log-weight %zu is %s", wpath, i, isnan(w.data[i]) ? "NaN" : "+inf");
    if (!rc) {
        s->logw = w.data; /* handed over: s owns it now */
        w.data = NULL;
        rc = bb_sha256_file(wpath, wsha, ctx);
    }
    bb_array_free(&w);
    return rc;
}

/* The reference: a file, else the task's set; *note set when there is none. */
static int load_reference(const bb_eval_config *cfg, const bb_task *t, size_t dof, bb_reference *ref, int *have,
                          char *note, size_t note_len, bb_ctx *ctx) {
    *have = 0;
    const char *rpath = cfg->reference_path;
    if (rpath) {
        int rc = bb_npy_read_samples(rpath, EVAL_MAX_BYTES, &ref->samples, ctx);
        if (rc) return rc;
        if (ref->samples.dof != dof)
            return BB_ERR(ctx, BB_EINVAL, "%s: %zu values per configuration, samples have %zu", rpath, ref->samples.dof,
                          dof);
        if ((rc = bb_sha256_file(rpath, ref->sha256, ctx))) return rc;
        snprintf(ref->dataset_id, sizeof ref->dataset_id, "file:%s", rpath);
        snprintf(ref->source, sizeof ref->source, "%s (given with --reference)", rpath);
        *have = 1;
        return BB_OK;
    }
    bb_ctx rctx = {0};
    int rc = bb_reference_load(t, 0, ref, &rctx);
    if (rc == BB_OK) {
        *have = 1;
        return BB_OK;
    }
    if (rc != BB_ENOTFOUND) /* declared but corrupt, truncated or unfetchable: never score without it */
        return BB_ERR(ctx, rc, "%s", rctx.msg);
    snprintf(note, note_len, "%s", rctx.msg[0] ? rctx.msg : "no reference set for this task");
    return BB_OK;
}

static void add_method_and_config(cJSON *report, const bb_eval_config *cfg, const bb_task *t, const char *xsha,
                                  const char *wsha) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "task", t->id);
    cJSON_AddStringToObject(c, "method", "external");
    cJSON_AddStringToObject(c, "samples_sha256", xsha);
    if (cfg->log_weights_path) cJSON_AddStringToObject(c, "log_weights_sha256", wsha);
    cJSON_AddNumberToObject(c, "seed", (double)cfg->seed);
    if (cfg->task_params) cJSON_AddItemToObject(c, "task_params", cJSON_Duplicate(cfg->task_params, 1));
    char csha[65];
    bb_json_sha256(c, csha);
    cJSON_Delete(c);
    cJSON_AddStringToObject(report, "config_sha256", csha);
    bb_report_add_task(report, t, cfg->task_params);
    cJSON *mo = cJSON_AddObjectToObject(report, "method");
    cJSON_AddStringToObject(mo, "name", "external");
    cJSON_AddNumberToObject(mo, "version", 0);
    cJSON *mp = cJSON_AddObjectToObject(mo, "params");
    cJSON_AddStringToObject(mp, "samples", cfg->samples_path);
    cJSON_AddStringToObject(mp, "samples_sha256", xsha);
    if (cfg->log_weights_path) {
        cJSON_AddStringToObject(mp, "log_weights", cfg->log_weights_path);
        cJSON_AddStringToObject(mp, "log_weights_sha256", wsha);
    }
    char psha[65];
    bb_json_sha256(mp, psha);
    cJSON_AddStringToObject(mo, "params_sha256", psha);
}

int bb_eval(const bb_eval_config *cfg, cJSON **report_out, bb_ctx *ctx) {
    *report_out = NULL;
    double t0 = bb_wall_s();
    bb_task *t = NULL;
    bb_samples s = {0};
    bb_reference ref;
    memset(&ref, 0, sizeof ref);
    bb_scorer sc;
    memset(&sc, 0, sizeof sc);
    int have_ref = 0;
    char xsha[65], wsha[65] = "", note[1024] = "";
    cJSON *report = NULL, *metrics = NULL;
    int rc = bb_task_create(cfg->task_id, cfg->task_params, &t, ctx);
    if (!rc) rc = load_samples(cfg, t, &s, xsha, wsha, ctx);
    if (!rc) rc = load_reference(cfg, t, s.dof, &ref, &have_ref, note, sizeof note, ctx);
    if (!rc && (rc = bb_scorer_init(&sc, t, have_ref ? &ref.samples : NULL, cfg->seed, NULL, 0, ctx)))
        bb_ctx_prefix(ctx, "reference %s", ref.dataset_id);
    if (rc) goto out;
    sc.with_ci = cfg->with_ci;
    sc.reference_frame_interval_ps = have_ref ? ref.frame_interval_ps : 0.0;
    sc.reference_segments = have_ref ? ref.segments : NULL;
    sc.reference_n_segments = have_ref ? ref.n_segments : 0;
    metrics = cJSON_CreateObject();
    if (!metrics) {
        rc = BB_ERR(ctx, BB_ENOMEM, "eval: out of memory");
        goto out;
    }
    if ((rc = bb_scorer_score(&sc, &s, 0, metrics, ctx))) {
        bb_ctx_prefix(ctx, "%s", cfg->samples_path);
        goto out;
    }
    const size_t rejected = (size_t)sc.rejected; /* +inf energies among the samples */

    report = bb_report_new();
    if (!report) {
        rc = BB_ERR(ctx, BB_ENOMEM, "eval: out of memory");
        goto out;
    }
    char why[600];
    const int unscored = bb_score_status(metrics, why, sizeof why);
    cJSON_AddStringToObject(report, "status", unscored ? "failed" : "ok");
    if (unscored)
        cJSON_AddStringToObject(report, "error", why);
    else
        cJSON_AddNullToObject(report, "error");
    bb_score_note_errors(report, metrics);
    add_method_and_config(report, cfg, t, xsha, wsha);
    cJSON_AddNumberToObject(report, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(report, "n_samples", (double)s.n);
    cJSON *b = cJSON_AddObjectToObject(report, "budget");
    cJSON_AddNumberToObject(b, "limit", 0);
    cJSON_AddNumberToObject(b, "used", 0);
    cJSON_AddNumberToObject(b, "with_grad", 0);
    cJSON_AddNumberToObject(b, "energy_only", 0);
    cJSON_AddNumberToObject(b, "rejected", (double)rejected);
    cJSON_AddStringToObject(b, "note", "external samples: the evaluations spent producing them are unknown");
    cJSON *ds = cJSON_AddArrayToObject(report, "datasets");
    bb_report_add_dataset(ds, "samples", cfg->samples_path, xsha, cfg->samples_path, s.n);
    if (have_ref) bb_report_add_dataset(ds, "reference", ref.dataset_id, ref.sha256, ref.source, ref.samples.n);
    if (note[0]) cJSON_AddStringToObject(report, "note", note);
    cJSON_AddItemToObject(report, "metrics", metrics);
    metrics = NULL;
    cJSON_AddItemToObject(report, "anytime", cJSON_CreateArray());
    cJSON_AddItemToObject(report, "method_info", cJSON_CreateObject());
    cJSON *ev = cJSON_AddObjectToObject(report, "evaluator");
    cJSON_AddNumberToObject(ev, "energy_evals", (double)(sc.reference_evals + sc.scoring_evals));
    cJSON *tmo = cJSON_AddObjectToObject(report, "timing");
    cJSON_AddNumberToObject(tmo, "wall_s", bb_wall_s() - t0);
    cJSON_AddNumberToObject(tmo, "metrics_wall_s", sc.wall_s);
    bb_report_add_host(report);
    if ((rc = bb_report_validate(report, "eval report", ctx))) goto out;
    *report_out = report;
    report = NULL;
out:
    cJSON_Delete(report);
    cJSON_Delete(metrics);
    bb_scorer_free(&sc);
    bb_samples_free(&s);
    bb_reference_free(&ref);
    bb_task_free(t);
    return rc;
}
