/* metrics.c — the metric registry and the driver bb_metrics_compute (see metrics.h),
 * plus bb_metric_entry, the one writer of a metric's JSON object.
 *
 * Adding a metric = one file defining a `const bb_metric bb_metric_<name>` and one
 * line in the registry below. This file computes nothing itself: it decides which
 * metrics apply (reference present, cheap_only) and names the failing metric in
 * the error message.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
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
extern const bb_metric bb_metric_eq_x_w2_demalign;
extern const bb_metric bb_metric_x_w1;
extern const bb_metric bb_metric_energy_w2_squared;
extern const bb_metric bb_metric_dist_w2_squared;
extern const bb_metric bb_metric_sinkhorn_divergence;
extern const bb_metric bb_metric_log_z;
extern const bb_metric bb_metric_log_z_error;
extern const bb_metric bb_metric_ess_fraction;
extern const bb_metric bb_metric_mmd;
extern const bb_metric bb_metric_sinkhorn;
extern const bb_metric bb_metric_modes;
extern const bb_metric bb_metric_minima;
extern const bb_metric bb_metric_tica;
extern const bb_metric bb_metric_tica_w1;
extern const bb_metric bb_metric_rama;
extern const bb_metric bb_metric_dihedral_js;
extern const bb_metric bb_metric_basin_df;
extern const bb_metric bb_metric_chirality;
extern const bb_metric bb_metric_crest_cov;

const bb_metric *const bb_metrics[] = {
    &bb_metric_energy_w2,
    &bb_metric_energy_w2_squared,
    &bb_metric_energy_w1,
    &bb_metric_energy_tv,
    &bb_metric_energy_histogram,
    &bb_metric_dist_w2,
    &bb_metric_dist_w2_squared,
    &bb_metric_dist_tv,
    &bb_metric_x_w2,
    &bb_metric_x_w1,
    &bb_metric_eq_x_w2,
    &bb_metric_eq_x_w2_demalign,
    &bb_metric_log_z,
    &bb_metric_log_z_error,
    &bb_metric_ess_fraction,
    &bb_metric_mmd,
    &bb_metric_sinkhorn,
    &bb_metric_sinkhorn_divergence,
    &bb_metric_modes,
    &bb_metric_minima,
    &bb_metric_tica,
    &bb_metric_tica_w1,
    &bb_metric_rama,
    &bb_metric_dihedral_js,
    &bb_metric_basin_df,
    &bb_metric_chirality,
    &bb_metric_crest_cov,
    NULL,
};

const bb_metric *bb_metric_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; bb_metrics[i]; i++)
        if (strcmp(bb_metrics[i]->name, name) == 0) return bb_metrics[i];
    return NULL;
}

int bb_metric_parse(const char *spec, const bb_metric **m, bb_metric_opts *o, bb_ctx *ctx) {
    memset(o, 0, sizeof *o);
    *m = NULL;
    if (!spec) return BB_ERR(ctx, BB_EINVAL, "metrics: no metric name");
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    for (size_t i = 0; bb_metrics[i] && !*m; i++)
        if (strlen(bb_metrics[i]->name) == len && !strncmp(bb_metrics[i]->name, spec, len)) *m = bb_metrics[i];
    if (!*m) return BB_ERR(ctx, BB_ENOTFOUND, "metrics: unknown metric '%.*s' (see docs/metrics.md)", (int)len, spec);
    while (colon) {
        const char *opt = colon + 1;
        colon = strchr(opt, ':');
        size_t olen = colon ? (size_t)(colon - opt) : strlen(opt);
        if (olen > 2 && !strncmp(opt, "n=", 2) && opt[2] >= '0' && opt[2] <= '9') {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(opt + 2, &end, 10);
            if (!errno && end == opt + olen && v >= 2 && v <= 1000000) {
                o->n = (size_t)v;
                continue;
            }
        }
        return BB_ERR(ctx, BB_EINVAL, "metrics: option '%.*s' of %s: expected n=N with 2 <= N <= 1000000", (int)olen,
                      opt, (*m)->name);
    }
    return BB_OK;
}

/* Whether metric m is selected; OUT *o: the options its selection carries. */
static int selected(const bb_metric *m, const char *const *names, size_t n_names, bb_metric_opts *o) {
    memset(o, 0, sizeof *o);
    if (!names) return 1;
    for (size_t k = 0; k < n_names; k++) {
        const bb_metric *f;
        if (bb_metric_parse(names[k], &f, o, NULL) == BB_OK && f == m) return 1;
    }
    return 0;
}

int bb_metrics_select(const char *const *names, size_t n_names, bb_ctx *ctx) {
    for (size_t k = 0; k < n_names; k++) {
        const bb_metric *m;
        bb_metric_opts o;
        int rc = bb_metric_parse(names[k], &m, &o, ctx);
        if (rc) return rc;
    }
    return BB_OK;
}

int bb_metrics_compute(const bb_eval_input *in, int cheap_only, cJSON *out, bb_ctx *ctx) {
    return bb_metrics_compute_only(in, cheap_only, NULL, 0, out, ctx);
}

/* Whether a metric's failure is about the samples it was given (invalid or NaN input,
 * too few usable configurations, a case the statistic does not handle): recorded in its
 * entry. Anything else — out of memory, an unreadable or malformed file such as a minima
 * catalogue, a bug — fails the scoring. */
static int about_the_samples(int rc) { return rc == BB_EINVAL || rc == BB_ENAN || rc == BB_EUNSUPPORTED; }

/* Replace what metric m wrote after `last` (NULL: from the start) by its error entry
 * {"value": null, "error": "<one line>", "higher_is_better": ...}. */
static int error_entry(cJSON *out, cJSON *last, const bb_metric *m, const bb_ctx *why) {
    cJSON *e = last ? last->next : out->child;
    while (e) {
        cJSON *next = e->next;
        cJSON_Delete(cJSON_DetachItemViaPointer(out, e));
        e = next;
    }
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddNullToObject(o, "value") &&
             cJSON_AddStringToObject(o, "error", why->msg[0] ? why->msg : bb_status_name(why->code)) &&
             cJSON_AddBoolToObject(o, "higher_is_better", m->higher_is_better);
    if (ok) ok = cJSON_AddItemToObject(out, m->name, o);
    if (!ok) cJSON_Delete(o);
    return ok ? BB_OK : BB_ENOMEM;
}

size_t bb_metrics_errors(const cJSON *metrics, const cJSON **first) {
    size_t n = 0;
    if (first) *first = NULL;
    for (const cJSON *e = cJSON_IsObject(metrics) ? metrics->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "error"))) continue;
        if (n++ == 0 && first) *first = e;
    }
    return n;
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
        bb_metric_opts opts;
        if (!selected(m, names, n_names, &opts)) continue;
        cJSON *last = out->child;
        while (last && last->next) last = last->next;
        bb_ctx mctx = {0};
        int rc = m->compute(in, &opts, out, &mctx);
        if (rc && !about_the_samples(rc)) {
            if (ctx) *ctx = mctx;
            bb_ctx_prefix(ctx, "metric %s", m->name);
            return rc;
        }
        if (rc) { /* this metric cannot be computed on these samples: say why, go on */
            rc = error_entry(out, last, m, &mctx);
            if (rc) return BB_ERR(ctx, rc, "metric %s: out of memory", m->name);
            continue;
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
    static const char *const lower[] = {"mode_tv",
                                        "amr_recall",
                                        "amr_precision",
                                        "tica_w2_ic1",
                                        "tica_w2_ic2",
                                        "crest_amr_r",
                                        "crest_amr_p",
                                        "crest_amr_r_valid",
                                        "crest_amr_p_valid",
                                        "crest_amr_r_relaxed",
                                        "crest_amr_p_relaxed",
                                        "crest_amr_r_valid_relaxed",
                                        "crest_amr_p_valid_relaxed",
                                        NULL};
    static const char *const higher[] = {"minima_recall",       "minima_recall_weighted",
                                         "minima_precision",    "minima_distinct",
                                         "minima_global_found", "minima_new_low",
                                         "stereo_ok_fraction",  "log_z",
                                         "ess_fraction",        NULL};
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

cJSON *bb_metric_entry_twoset(cJSON *out, const char *name, const bb_twoset *r, int squared, size_t n_samples,
                              int with_ci, const char *definition) {
    double f = squared ? r->value * r->value : r->value, ci[2], fl = squared ? r->floor * r->floor : r->floor;
    ci[0] = squared ? r->ci[0] * r->ci[0] : r->ci[0];
    ci[1] = squared ? r->ci[1] * r->ci[1] : r->ci[1];
    cJSON *o = bb_metric_entry(out, name, f, n_samples, with_ci ? ci : NULL, definition);
    if (o && (!bb_json_add_number(o, "floor_ref_vs_ref", r->floor_n ? fl : NAN) ||
              !cJSON_AddNumberToObject(o, "floor_n", (double)r->floor_n))) {
        cJSON_DeleteItemFromObject(out, name);
        return NULL;
    }
    return o;
}

/* Square a number field of o in place (non-finite stays null). */
static int square_field(cJSON *o, const char *field) {
    cJSON *v = cJSON_GetObjectItem(o, field);
    if (!cJSON_IsNumber(v)) return 1;
    return cJSON_ReplaceItemInObject(o, field, cJSON_CreateNumber(v->valuedouble * v->valuedouble));
}

int bb_metric_square_of(cJSON *out, const char *name, const char *src_name, const char *definition, bb_ctx *ctx) {
    const cJSON *src = cJSON_GetObjectItem(out, src_name);
    if (!src || cJSON_GetObjectItemCaseSensitive(src, "error")) return 0; /* compute it (and its own error) */
    cJSON *o = cJSON_Duplicate(src, 1);
    int ok = o && square_field(o, "value") && square_field(o, "floor_ref_vs_ref");
    cJSON *ci = ok ? cJSON_GetObjectItem(o, "ci95") : NULL;
    for (cJSON *e = ci ? ci->child : NULL; ok && e; e = e->next)
        cJSON_SetNumberValue(e, e->valuedouble * e->valuedouble);
    cJSON_DeleteItemFromObject(o, "higher_is_better");
    if (ok) ok = cJSON_ReplaceItemInObject(o, "definition", cJSON_CreateString(definition));
    if (ok) ok = cJSON_AddItemToObject(out, name, o);
    if (!ok) {
        cJSON_Delete(o);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    }
    return 1;
}
