/* reproduce.c — load a paper protocol, run its seeds, compare with the published row
 * (reproduce.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metrics.h"
#include "harness/report/report.h"
#include "harness/report/table.h"
#include "harness/run/reproduce.h"
#include "harness/run/run.h"
#include "methods/method.h"
#include "tasks/task.h"

#define PROTOCOL_MAX_BYTES ((size_t)1 << 20)
#define MAX_SEEDS          1000

int bb_protocol_locate(const char *paper, const char *task, char *path, size_t len, bb_ctx *ctx) {
    for (const char *s = paper; *s; s++)
        if (*s == '/' || *s == '.') return BB_ERR(ctx, BB_EINVAL, "paper '%s': not a protocol name", paper);
    for (const char *s = task; *s; s++)
        if (*s == '/') return BB_ERR(ctx, BB_EINVAL, "task '%s': not a task id", task);
    struct stat sb;
    if ((size_t)snprintf(path, len, "%s/results/protocols/%s/%s.json", bb_source_dir(), paper, task) >= len)
        return BB_ERR(ctx, BB_EINVAL, "protocol path too long");
    if (stat(path, &sb) != 0)
        return BB_ERR(ctx, BB_ENOTFOUND, "%s: no protocol for paper '%s' on task '%s'", path, paper, task);
    return BB_OK;
}

void bb_protocol_free(bb_protocol *p) {
    if (!p) return;
    cJSON_Delete(p->json);
    memset(p, 0, sizeof *p);
}

static const char *req_str(const cJSON *o, const char *k, const char *path, const char *where, bb_ctx *ctx) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsString(v) || !*v->valuestring) {
        BB_ERR(ctx, BB_EFORMAT, "%s: %s%s: expected a non-empty string", path, where, k);
        return NULL;
    }
    return v->valuestring;
}

/* A whole number in [lo, hi] (0 when absent and optional). */
static int req_int(const cJSON *o, const char *k, double lo, double hi, int optional, const char *path, double *out,
                   bb_ctx *ctx) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *out = 0;
    if (!v && optional) return BB_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: expected a whole number in %.0f … %.0f", path, k, lo, hi);
    *out = v->valuedouble;
    return BB_OK;
}

static int load_published(const cJSON *arr, const char *path, bb_protocol *p, bb_ctx *ctx) {
    if (!cJSON_IsArray(arr)) return BB_ERR(ctx, BB_EFORMAT, "%s: published: expected an array", path);
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "published[%zu].", i);
        if (i >= sizeof p->published / sizeof *p->published)
            return BB_ERR(ctx, BB_EFORMAT, "%s: published: more than 32 entries", path);
        bb_protocol_value *v = &p->published[i];
        if (!(v->metric = req_str(e, "metric", path, where, ctx))) return ctx->code;
        if (!(v->name_in_paper = req_str(e, "name_in_paper", path, where, ctx))) return ctx->code;
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(e, "value");
        const cJSON *sd = cJSON_GetObjectItemCaseSensitive(e, "std");
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(e, "n_seeds");
        if (!cJSON_IsNumber(val) || !isfinite(val->valuedouble))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %svalue: expected a number", path, where);
        if (sd && !cJSON_IsNull(sd) && (!cJSON_IsNumber(sd) || !(sd->valuedouble >= 0)))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %sstd: expected a number >= 0 or null", path, where);
        if (ns && (!cJSON_IsNumber(ns) || ns->valuedouble < 0 || ns->valuedouble > MAX_SEEDS))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %sn_seeds: expected a whole number in 0 … %d", path, where, MAX_SEEDS);
        v->value = val->valuedouble;
        v->std = cJSON_IsNumber(sd) ? sd->valuedouble : NAN;
        v->n_seeds = ns ? (int)ns->valuedouble : 0;
    }
    p->n_published = i;
    return BB_OK;
}

int bb_protocol_load(const char *path, bb_protocol *p, bb_ctx *ctx) {
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    int rc = bb_json_read_file(path, PROTOCOL_MAX_BYTES, &p->json, ctx);
    if (rc) return rc;
    const cJSON *j = p->json;
    double d;
    const char *schema = req_str(j, "schema", path, "", ctx);
    if (!schema) goto fail;
    if (strcmp(schema, BB_PROTOCOL_SCHEMA)) {
        BB_ERR(ctx, BB_EFORMAT, "%s: schema: '%s' is not %s", path, schema, BB_PROTOCOL_SCHEMA);
        goto fail;
    }
    if (!(p->paper = req_str(j, "paper", path, "", ctx)) || !(p->task = req_str(j, "task", path, "", ctx)) ||
        !(p->method = req_str(j, "method", path, "", ctx)))
        goto fail;
    p->params = cJSON_GetObjectItemCaseSensitive(j, "params");
    if (!cJSON_IsObject(p->params)) {
        BB_ERR(ctx, BB_EFORMAT, "%s: params: expected an object of method parameters", path);
        goto fail;
    }
    if (req_int(j, "budget", 1, 9007199254740992.0, 0, path, &d, ctx)) goto fail;
    p->budget = (int64_t)d;
    if (req_int(j, "seeds", 1, MAX_SEEDS, 0, path, &d, ctx)) goto fail;
    p->seeds = (int)d;
    if (req_int(j, "n_samples", 1, 1e8, 0, path, &d, ctx)) goto fail;
    p->n_samples = (size_t)d;
    const cJSON *any = cJSON_GetObjectItemCaseSensitive(j, "anytime");
    if (any && (!cJSON_IsArray(any) || cJSON_GetArraySize(any) < 1 || cJSON_GetArraySize(any) > 64)) {
        BB_ERR(ctx, BB_EFORMAT, "%s: anytime: expected an array of 1 … 64 budget fractions", path);
        goto fail;
    }
    for (const cJSON *a = any ? any->child : NULL; a; a = a->next) {
        double prev = p->n_anytime ? p->anytime[p->n_anytime - 1] : 0.0;
        if (!cJSON_IsNumber(a) || !(a->valuedouble > prev) || a->valuedouble > 1.0) {
            BB_ERR(ctx, BB_EFORMAT, "%s: anytime[%zu]: expected increasing fractions in (0, 1]", path, p->n_anytime);
            goto fail;
        }
        p->anytime[p->n_anytime++] = a->valuedouble;
    }
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, "metrics");
    if (!cJSON_IsArray(ms) || cJSON_GetArraySize(ms) == 0 || cJSON_GetArraySize(ms) > 32) {
        BB_ERR(ctx, BB_EFORMAT, "%s: metrics: expected an array of 1 … 32 metric names", path);
        goto fail;
    }
    for (const cJSON *m = ms->child; m; m = m->next) {
        if (!cJSON_IsString(m)) {
            BB_ERR(ctx, BB_EFORMAT, "%s: metrics: expected strings", path);
            goto fail;
        }
        p->metrics[p->n_metrics++] = m->valuestring;
    }
    if (load_published(cJSON_GetObjectItemCaseSensitive(j, "published"), path, p, ctx)) goto fail;
    for (size_t i = 0; i < p->n_published; i++) {
        int listed = 0;
        for (size_t k = 0; k < p->n_metrics; k++) listed |= !strcmp(p->metrics[k], p->published[i].metric);
        if (!listed) {
            BB_ERR(ctx, BB_EFORMAT, "%s: published[%zu].metric: '%s' is not in metrics", path, i,
                   p->published[i].metric);
            goto fail;
        }
    }
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "source"))) {
        BB_ERR(ctx, BB_EFORMAT, "%s: source: expected an object (paper table, code, commit)", path);
        goto fail;
    }
    return BB_OK;
fail:
    bb_protocol_free(p);
    return ctx->code ? ctx->code : BB_EFORMAT;
}

int bb_protocol_check(const bb_protocol *p, bb_ctx *ctx) {
    const bb_method *m = bb_method_find(p->method);
    if (!m) return BB_ERR(ctx, BB_ENOTFOUND, "%s: method: '%s' is not a registered method", p->path, p->method);
    bb_task *t = NULL;
    int rc = bb_task_create(p->task, NULL, &t, ctx);
    if (rc) {
        bb_ctx_prefix(ctx, "%s: task", p->path);
        return rc;
    }
    bb_params params = {0};
    rc = bb_method_resolve_params(m, t->type->name, p->params, NULL, &params, ctx);
    bb_params_free(&params);
    bb_task_free(t);
    if (rc) {
        bb_ctx_prefix(ctx, "%s: params", p->path);
        return rc;
    }
    if ((rc = bb_metrics_select(p->metrics, p->n_metrics, ctx))) {
        bb_ctx_prefix(ctx, "%s", p->path); /* "<path>: metrics: unknown metric ..." */
        return rc;
    }
    for (size_t i = 0; i < p->n_published; i++) {
        const bb_metric *pm;
        bb_metric_opts o;
        if ((rc = bb_metric_parse(p->published[i].metric, &pm, &o, ctx))) {
            bb_ctx_prefix(ctx, "%s: published[%zu].metric", p->path, i);
            return rc;
        }
    }
    return BB_OK;
}

static const cJSON *get_path(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static double num_or_nan(const cJSON *v) { return cJSON_IsNumber(v) ? v->valuedouble : NAN; }

static const char *str_or_empty(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* mean and sample std (bb_stat_compute; std NAN below 2) of the finite values among x[n];
 * compacts them to the front of x. */
static void mean_std(double *x, size_t n, double *mean, double *sd, size_t *used) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) x[k++] = x[i];
    bb_stat st;
    bb_ctx local = {0};
    bb_stat_compute(x, k, &st, &local); /* cannot fail: every value is finite */
    *mean = st.mean;
    *sd = st.sd;
    *used = k;
}

/* Was out (a finished report of seed c->seed) made under the protocol by another version
 * of boltzbench? Its configuration differs from this version's (bb_run_finished failed),
 * but only outside what the protocol fixes: status ok, the same task, method, budget, seed
 * and sample count, every parameter the protocol sets at the protocol's value, every
 * protocol metric scored. (A parameter added since, or a thread count, changes the
 * configuration's hash but not the experiment the protocol describes.) */
static int protocol_report(const bb_protocol *p, const bb_run_config *c) {
    bb_ctx local = {0};
    cJSON *r = NULL;
    if (bb_report_read(c->out_path, &r, &local)) return 0;
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(r, "task");
    const cJSON *tn = cJSON_GetObjectItemCaseSensitive(task, strchr(p->task, '@') ? "id" : "name");
    const cJSON *params = get_path(r, "method", "params");
    int ok = !strcmp(str_or_empty(r, "status"), "ok") && cJSON_IsString(tn) && !strcmp(tn->valuestring, p->task) &&
             !strcmp(str_or_empty(cJSON_GetObjectItemCaseSensitive(r, "method"), "name"), p->method) &&
             num_or_nan(get_path(r, "budget", "limit")) == (double)c->budget &&
             num_or_nan(cJSON_GetObjectItemCaseSensitive(r, "seed")) == (double)c->seed &&
             num_or_nan(cJSON_GetObjectItemCaseSensitive(r, "n_samples")) == (double)c->n_samples;
    for (const cJSON *q = p->params ? p->params->child : NULL; ok && q; q = q->next)
        ok = cJSON_Compare(q, cJSON_GetObjectItemCaseSensitive(params, q->string), 1);
    for (size_t m = 0; ok && m < p->n_metrics; m++) ok = cJSON_IsObject(get_path(r, "metrics", p->metrics[m]));
    cJSON_Delete(r);
    return ok;
}

cJSON *bb_reproduce_compare(const bb_protocol *p, cJSON *const *reports, size_t n, int64_t budget, int threads) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "schema", "boltzbench.reproduction/1");
    cJSON_AddStringToObject(c, "paper", p->paper);
    cJSON_AddStringToObject(c, "task", p->task);
    cJSON_AddStringToObject(c, "method", p->method);
    char sha[65];
    bb_json_sha256(p->json, sha);
    cJSON_AddStringToObject(c, "protocol_sha256", sha);
    cJSON_AddNumberToObject(c, "budget", (double)budget);
    cJSON_AddNumberToObject(c, "protocol_budget", (double)p->budget);
    cJSON_AddNumberToObject(c, "threads", threads);
    cJSON_AddNumberToObject(c, "seeds_finished", (double)n);
    /* which seeds, made by which version under which configuration (reports of another
     * version are reused when they ran the protocol, bb_reproduce) */
    cJSON *per = cJSON_AddArrayToObject(c, "seeds");
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(per, e);
        bb_json_add_number(e, "seed", num_or_nan(cJSON_GetObjectItemCaseSensitive(reports[i], "seed")));
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(reports[i], "harness");
        cJSON_AddStringToObject(e, "version", str_or_empty(h, "version"));
        cJSON_AddStringToObject(e, "git_commit", str_or_empty(h, "git_commit"));
        cJSON_AddStringToObject(e, "config_sha256", str_or_empty(reports[i], "config_sha256"));
    }
    double *v = malloc((n ? n : 1) * sizeof(double));
    double mean, sd;
    size_t used;
    /* cost per seed: evaluations, gradient steps (methods that report them), wall time */
    static const char *const cost[][3] = {{"evaluations", "budget", "used"},
                                          {"gradient_steps", "method_info", "gradient_steps"},
                                          {"wall_s", "timing", "wall_s"}};
    cJSON *costs = cJSON_AddObjectToObject(c, "cost_per_seed");
    for (size_t k = 0; k < sizeof cost / sizeof *cost; k++) {
        for (size_t i = 0; i < n; i++) v[i] = num_or_nan(get_path(reports[i], cost[k][1], cost[k][2]));
        mean_std(v, n, &mean, &sd, &used);
        if (used) bb_json_add_number(costs, cost[k][0], mean);
    }
    cJSON *rows = cJSON_AddArrayToObject(c, "rows");
    for (size_t r = 0; r < p->n_published; r++) {
        const bb_protocol_value *pv = &p->published[r];
        for (size_t i = 0; i < n; i++)
            v[i] = num_or_nan(get_path(get_path(reports[i], "metrics", pv->metric), "value", NULL));
        mean_std(v, n, &mean, &sd, &used);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddItemToArray(rows, row);
        cJSON_AddStringToObject(row, "metric", pv->metric);
        cJSON_AddStringToObject(row, "name_in_paper", pv->name_in_paper);
        bb_json_add_number(row, "published", pv->value);
        bb_json_add_number(row, "published_std", pv->std);
        bb_json_add_number(row, "ours_mean", mean);
        bb_json_add_number(row, "ours_std", sd);
        cJSON_AddNumberToObject(row, "ours_n_seeds", (double)used);
        /* z in units of the published seed-to-seed spread; |z| <= 2 is "within 2σ" */
        double z = pv->std > 0 ? (mean - pv->value) / pv->std : NAN;
        bb_json_add_number(row, "z", z);
        if (isfinite(z)) cJSON_AddBoolToObject(row, "within_2sigma", fabs(z) <= 2.0);
    }
    free(v);
    return c;
}

int bb_reproduce(const bb_protocol *p, const bb_reproduce_opts *o, cJSON **comparison, bb_ctx *ctx) {
    if (comparison) *comparison = NULL;
    const int seeds = o->seeds > 0 ? o->seeds : p->seeds;
    const int64_t budget = o->budget > 0 ? o->budget : p->budget;
    const int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    if (strlen(o->out_dir) > 4000) return BB_ERR(ctx, BB_EINVAL, "reproduce: output directory path too long");
    int rc = bb_protocol_check(p, ctx);
    if (rc) return rc;
    if (o->only_seed >= seeds)
        return BB_ERR(ctx, BB_EINVAL, "reproduce: --seed %d: the protocol runs seeds 0 … %d", o->only_seed, seeds - 1);
    if ((rc = bb_mkdir_p(o->out_dir, ctx))) return rc;
    cJSON **reports = calloc((size_t)seeds, sizeof *reports);
    if (!reports) return BB_ERR(ctx, BB_ENOMEM, "reproduce: out of memory");
    size_t n_done = 0;
    int first_rc = BB_OK;
    char first_msg[sizeof ctx->msg] = "";
    /* seeds left to other processes (--seed) are collected after this one ran: they may
     * have finished meanwhile */
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < seeds; s++) {
            const int others = o->only_seed >= 0 && s != o->only_seed;
            if (pass != others) continue;
            char out[4096], npy[4096], state[4096 + 8];
            snprintf(out, sizeof out, "%s/s%d.json", o->out_dir, s);
            snprintf(npy, sizeof npy, "%s/s%d.npy", o->out_dir, s);
            snprintf(state, sizeof state, "%s.state", out);
            bb_run_config c = {.task_id = p->task,
                               .method = p->method,
                               .method_config = p->params,
                               .budget = budget,
                               .seed = (uint64_t)s,
                               .n_samples = p->n_samples,
                               .checkpoints = p->n_anytime ? p->anytime : NULL,
                               .n_checkpoints = p->n_anytime,
                               .out_path = out,
                               .samples_path = npy,
                               .progress = o->progress,
                               .metrics = p->metrics,
                               .n_metrics = p->n_metrics,
                               .threads = threads,
                               .state_path = state,
                               .resume = 2,
                               .checkpoint_minutes = o->checkpoint_minutes,
                               .interrupt = o->interrupt};
            int done = bb_run_finished(&c), earlier = 0;
            if (!done && !o->rerun_earlier) done = earlier = protocol_report(p, &c);
            if (o->log) {
                fprintf(o->log, "[%d/%d] %s on %s, seed %d, budget %lld%s\n", s + 1, seeds, p->method, p->task, s,
                        (long long)budget,
                        earlier  ? ": done before under the protocol by another version, kept (--rerun-earlier "
                                   "runs it again)"
                        : done   ? ": done before, kept"
                        : others ? ": not finished, left out"
                                 : "");
                fflush(o->log);
            }
            if (others && !done) continue;
            bb_ctx rctx = {0};
            int r = done ? BB_OK : bb_run(&c, NULL, &rctx);
            if (r && first_rc == BB_OK) {
                first_rc = r;
                snprintf(first_msg, sizeof first_msg, "%s", rctx.msg);
            }
            if (r == BB_OK && bb_report_read(out, &reports[n_done], &rctx) == BB_OK) n_done++;
            if (r == BB_EINTERRUPTED) {
                pass = 2;
                break;
            }
        }
    cJSON *cmp = bb_reproduce_compare(p, reports, n_done, budget, threads);
    for (size_t i = 0; i < n_done; i++) cJSON_Delete(reports[i]);
    free(reports);
    char path[4096];
    snprintf(path, sizeof path, "%s/comparison.json", o->out_dir);
    rc = cmp ? bb_json_write_file(path, cmp, ctx) : BB_ERR(ctx, BB_ENOMEM, "reproduce: out of memory");
    if (rc == BB_OK && first_rc) rc = BB_ERR(ctx, first_rc, "%s", first_msg);
    if (comparison && rc == BB_OK)
        *comparison = cmp;
    else
        cJSON_Delete(cmp);
    return rc;
}
