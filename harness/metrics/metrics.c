/* metrics.c — the metric registry and the driver bb_metrics_compute (see metrics.h),
 * plus bb_metric_entry, the one writer of a metric's JSON object.
 *
 * Adding a metric = one file defining a `const bb_metric bb_metric_<name>` and one
 * line in the registry below. This file computes nothing itself: it decides which
 * metrics apply (reference present, cheap_only) and names the failing metric in
 * the error message.
 */
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

extern const bb_metric bb_metric_energy_w2;
extern const bb_metric bb_metric_energy_w1;
extern const bb_metric bb_metric_energy_tv;
extern const bb_metric bb_metric_energy_histogram;
extern const bb_metric bb_metric_dist_w2;
extern const bb_metric bb_metric_dist_tv;
extern const bb_metric bb_metric_x_w2;
extern const bb_metric bb_metric_eq_x_w2;
extern const bb_metric bb_metric_log_z;
extern const bb_metric bb_metric_ess_fraction;
extern const bb_metric bb_metric_mmd;
extern const bb_metric bb_metric_sinkhorn;
extern const bb_metric bb_metric_minima;
extern const bb_metric bb_metric_tica;

const bb_metric *const bb_metrics[] = {
    &bb_metric_energy_w2,
    &bb_metric_energy_w1,
    &bb_metric_energy_tv,
    &bb_metric_energy_histogram,
    &bb_metric_dist_w2,
    &bb_metric_dist_tv,
    &bb_metric_x_w2,
    &bb_metric_eq_x_w2,
    &bb_metric_log_z,
    &bb_metric_ess_fraction,
    &bb_metric_mmd,
    &bb_metric_sinkhorn,
    &bb_metric_minima,
    &bb_metric_tica,
    NULL,
};

const bb_metric *bb_metric_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; bb_metrics[i]; i++)
        if (strcmp(bb_metrics[i]->name, name) == 0) return bb_metrics[i];
    return NULL;
}

static int selected(const char *name, const char *const *names, size_t n_names) {
    if (!names) return 1;
    for (size_t k = 0; k < n_names; k++)
        if (strcmp(names[k], name) == 0) return 1;
    return 0;
}

int bb_metrics_select(const char *const *names, size_t n_names, bb_ctx *ctx) {
    for (size_t k = 0; k < n_names; k++)
        if (!bb_metric_find(names[k]))
            return BB_ERR(ctx, BB_ENOTFOUND, "metrics: unknown metric '%s' (see docs/metrics.md)", names[k]);
    return BB_OK;
}

int bb_metrics_compute(const bb_eval_input *in, int cheap_only, cJSON *out, bb_ctx *ctx) {
    return bb_metrics_compute_only(in, cheap_only, NULL, 0, out, ctx);
}

int bb_metrics_compute_only(const bb_eval_input *in, int cheap_only, const char *const *names, size_t n_names,
                            cJSON *out, bb_ctx *ctx) {
    if (!in || !in->samples || !out || !cJSON_IsObject(out))
        return BB_ERR(ctx, BB_EINVAL, "metrics: need an input with samples and an output object");
    if (in->reference && in->reference->dof != in->samples->dof)
        return BB_ERR(ctx, BB_EINVAL, "metrics: samples have %zu coordinates per configuration, reference %zu",
                      in->samples->dof, in->reference->dof);
    if (in->task && (size_t)in->task->dof != in->samples->dof)
        return BB_ERR(ctx, BB_EINVAL, "metrics: samples have %zu coordinates per configuration, task %s has %d",
                      in->samples->dof, in->task->id, in->task->dof);
    for (size_t i = 0; bb_metrics[i]; i++) {
        const bb_metric *m = bb_metrics[i];
        if (cheap_only && !m->cheap) continue;
        if (m->needs_reference && !in->reference) continue;
        if (!selected(m->name, names, n_names)) continue;
        cJSON *last = out->child;
        while (last && last->next) last = last->next;
        int rc = m->compute(in, out, ctx);
        if (rc) {
            bb_ctx_prefix(ctx, "metric %s", m->name);
            return rc;
        }
        /* every scalar entry says which way is better (for compare and tables) */
        for (cJSON *e = last ? last->next : out->child; e; e = e->next) {
            if (cJSON_GetObjectItem(e, "kind") || cJSON_GetObjectItem(e, "higher_is_better")) continue;
            if (!cJSON_AddBoolToObject(e, "higher_is_better", bb_metric_higher_is_better(e->string, m)))
                return BB_ERR(ctx, BB_ENOMEM, "metric %s: out of memory", m->name);
        }
    }
    return BB_OK;
}

int bb_metric_higher_is_better(const char *entry, const bb_metric *family) {
    /* entries of a family whose direction differs from the family's own */
    static const char *const lower[] = {"amr_recall", "amr_precision", "tica_w2_ic1", "tica_w2_ic2", NULL};
    static const char *const higher[] = {
        "minima_recall", "minima_precision", "minima_distinct", "minima_global_found", "log_z", "ess_fraction", NULL};
    for (size_t k = 0; entry && lower[k]; k++)
        if (!strcmp(entry, lower[k])) return 0;
    for (size_t k = 0; entry && higher[k]; k++)
        if (!strcmp(entry, higher[k])) return 1;
    return family ? family->higher_is_better : 0;
}

cJSON *bb_metric_entry(cJSON *out, const char *name, double value, size_t n_samples, const double *ci,
                       const char *definition) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    int ok = bb_json_add_number(o, "value", value) != NULL;
    if (ok) ok = cJSON_AddNumberToObject(o, "n_samples", (double)n_samples) != NULL;
    if (ok && ci && isfinite(ci[0]) && isfinite(ci[1])) {
        cJSON *arr = cJSON_CreateDoubleArray(ci, 2);
        ok = arr && cJSON_AddItemToObject(o, "ci95", arr);
        if (!ok) cJSON_Delete(arr);
    }
    if (ok && definition) ok = cJSON_AddStringToObject(o, "definition", definition) != NULL;
    if (ok) ok = cJSON_AddItemToObject(out, name, o);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
