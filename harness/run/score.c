/* score.c — scoring sample sets (see score.h). */
#include "harness/run/score.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/clock.h"
#include "harness/metrics/metrics.h"

/* Uncounted energies of a sample set; +INFINITY stays, errors are returned. */
static int energies(const bb_task *t, const bb_samples *x, double **u_out, bb_ctx *ctx) {
    *u_out = NULL;
    double *u = malloc((x->n ? x->n : 1) * sizeof *u);
    if (!u) return BB_ERR(ctx, BB_ENOMEM, "evaluator: out of memory for %zu energies", x->n);
    int rc = bb_task_energy_parallel(t, x->n, x->x, u, NULL, ctx);
    if (rc) {
        free(u);
        return rc;
    }
    *u_out = u;
    return BB_OK;
}

int bb_scorer_init(bb_scorer *s, const bb_task *task, const bb_samples *reference, uint64_t seed,
                   const char *const *metrics, size_t n_metrics, bb_ctx *ctx) {
    memset(s, 0, sizeof *s);
    s->task = task;
    s->seed = seed;
    s->metrics = metrics;
    s->n_metrics = n_metrics;
    s->with_ci = 1;
    if (metrics) {
        int rc = bb_metrics_select(metrics, n_metrics, ctx);
        if (rc) return rc;
    }
    if (!reference) return BB_OK;
    double t0 = bb_wall_s();
    int rc = energies(task, reference, &s->u_reference, ctx);
    if (rc) return rc;
    s->reference = reference;
    s->reference_evals = (int64_t)reference->n;
    s->wall_s += bb_wall_s() - t0;
    return BB_OK;
}

int bb_scorer_score(bb_scorer *s, const bb_samples *x, int cheap_only, cJSON *out, bb_ctx *ctx) {
    double t0 = bb_wall_s();
    double *u = NULL;
    int rc = energies(s->task, x, &u, ctx);
    if (rc) return rc;
    s->scoring_evals += (int64_t)x->n;
    s->rejected = 0;
    for (size_t i = 0; i < x->n; i++) s->rejected += u[i] == INFINITY;
    bb_eval_input in = {
        .task = s->task,
        .samples = x,
        .u_samples = u,
        .reference = s->reference,
        .u_reference = s->u_reference,
        .seed = s->seed,
        .with_ci = !cheap_only && s->with_ci,
        .reference_frame_interval_ps = s->reference_frame_interval_ps,
        .reference_segments = s->reference_segments,
        .reference_n_segments = s->reference_n_segments,
    };
    rc = bb_metrics_compute_only(&in, cheap_only, s->metrics, s->n_metrics, out, ctx);
    if (rc == BB_OK && !cheap_only && !s->reference && !s->metrics) rc = bb_metrics_reference_free(u, x->n, out, ctx);
    free(u);
    s->wall_s += bb_wall_s() - t0;
    return rc;
}

void bb_scorer_free(bb_scorer *s) {
    if (!s) return;
    free(s->u_reference);
    s->u_reference = NULL;
}

int bb_score_status(const cJSON *metrics, char *why, size_t len) {
    const cJSON *first;
    const size_t n = (size_t)cJSON_GetArraySize(metrics), n_err = bb_metrics_errors(metrics, &first);
    if (n == 0) {
        snprintf(why, len, "no metric could be computed (the selected metrics need a reference set this task lacks?)");
        return BB_ENOTFOUND;
    }
    if (n_err < n) return BB_OK;
    snprintf(why, len, "no metric could be computed (first: metric %s: %s)", first->string,
             cJSON_GetObjectItemCaseSensitive(first, "error")->valuestring);
    return BB_EINVAL;
}

int bb_score_note_errors(cJSON *report, const cJSON *metrics) {
    if (bb_metrics_errors(metrics, NULL) == 0) return 1;
    cJSON *names = cJSON_AddArrayToObject(report, "metric_errors");
    if (!names) return 0;
    for (const cJSON *e = metrics->child; e; e = e->next) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "error"))) continue;
        cJSON *n = cJSON_CreateString(e->string);
        if (!n || !cJSON_AddItemToArray(names, n)) {
            cJSON_Delete(n);
            return 0;
        }
    }
    return 1;
}
