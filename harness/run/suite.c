/* suite.c — suite files, expansion, resumable execution, summary table (see suite.h). */
#include "harness/run/suite.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metrics.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "methods/method.h"
#include "tasks/task.h"

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int bb_suite_locate(const char *name, char *path, size_t len, bb_ctx *ctx) {
    if (file_exists(name)) {
        snprintf(path, len, "%s", name);
        return BB_OK;
    }
    snprintf(path, len, "%s/harness/suites/%s.json", bb_source_dir(), name);
    if (file_exists(path)) return BB_OK;
    return BB_ERR(ctx, BB_ENOTFOUND, "suite '%s': no such suite file (looked for harness/suites/%s.json)", name, name);
}

static int str_list(const cJSON *a, const char *field, const char *path, size_t gi, bb_ctx *ctx) {
    if (!cJSON_IsArray(a) || !a->child)
        return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s: expected a non-empty list", path, gi, field);
    for (const cJSON *c = a->child; c; c = c->next)
        if (!cJSON_IsString(c)) return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s: expected strings", path, gi, field);
    return BB_OK;
}

/* Integers in [min, max]; max keeps the later conversion to an integer type defined. */
static int num_list(const cJSON *a, const char *field, const char *path, size_t gi, double min, double max,
                    const char *max_text, bb_ctx *ctx) {
    if (!cJSON_IsArray(a) || !a->child)
        return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s: expected a non-empty list", path, gi, field);
    size_t k = 0;
    for (const cJSON *c = a->child; c; c = c->next, k++) {
        double v = c->valuedouble;
        /* which rule fails, as --budget says it (bb_cli_parse_budget) */
        if (!cJSON_IsNumber(c) || !isfinite(v))
            return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s[%zu]: not a number", path, gi, field, k);
        if (v > max)
            return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s[%zu]: %.17g exceeds the largest %s", path, gi, field, k, v,
                          max_text);
        if (v != floor(v))
            return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s[%zu]: %.17g is not a whole number", path, gi, field, k, v);
        if (v < min)
            return BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].%s[%zu]: %.17g is below %.0f", path, gi, field, k, v, min);
    }
    return BB_OK;
}

/* Every key of object o must be one of `known` (NULL-terminated); a misspelt key would
 * otherwise be dropped silently, as method configs refuse too. where: "" or "runs[3]". */
static int known_keys(const cJSON *o, const char *const *known, const char *path, const char *where, bb_ctx *ctx) {
    for (const cJSON *c = o->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++) ok = strcmp(c->string, *k) == 0;
        if (ok) continue;
        char list[256] = "";
        for (const char *const *k = known; *k; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k == known ? "" : ", ", *k);
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s%sunknown key '%.100s' (known: %s)", path, where, *where ? ": " : "",
                      c->string, list);
    }
    return BB_OK;
}

static const char *const suite_keys[] = {"name", "description", "n_samples", "runs", NULL};
static const char *const group_keys[] = {"tasks",  "methods",     "budgets", "seeds",
                                         "params", "task_params", "metrics", NULL};

int bb_suite_load(const char *path, const char *out_dir, bb_suite *s, bb_ctx *ctx) {
    memset(s, 0, sizeof *s);
    cJSON *j = NULL;
    int rc = bb_json_read_object(path, (size_t)4 << 20, &j, ctx);
    if (rc) return rc;
    if ((rc = known_keys(j, suite_keys, path, "", ctx))) goto out;
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(j, "description");
    if (desc && !cJSON_IsString(desc)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: field 'description' must be a string", path);
        goto out;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(j, "runs");
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(j, "n_samples");
    if (!cJSON_IsString(name)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: field 'name' missing or not a string", path);
        goto out;
    }
    if (!cJSON_IsArray(groups)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: field 'runs' missing or not a list", path);
        goto out;
    }
    if (ns && (!cJSON_IsNumber(ns) || ns->valuedouble < 1 || !(ns->valuedouble <= 9007199254740992.0) ||
               ns->valuedouble != floor(ns->valuedouble))) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: field 'n_samples' must be a positive integer", path);
        goto out;
    }
    snprintf(s->name, sizeof s->name, "%s", name->valuestring);
    snprintf(s->out_dir, sizeof s->out_dir, "%s", out_dir);
    size_t gi = 0, cap = 0;
    for (const cJSON *g = groups->child; g; g = g->next, gi++) {
        char where[32];
        snprintf(where, sizeof where, "runs[%zu]", gi);
        if (!cJSON_IsObject(g)) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: expected an object", path, where);
            goto out;
        }
        if ((rc = known_keys(g, group_keys, path, where, ctx))) goto out;
        const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(g, "tasks");
        const cJSON *methods = cJSON_GetObjectItemCaseSensitive(g, "methods");
        const cJSON *budgets = cJSON_GetObjectItemCaseSensitive(g, "budgets");
        const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(g, "seeds");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(g, "params");
        const cJSON *tparams = cJSON_GetObjectItemCaseSensitive(g, "task_params");
        const cJSON *msel = cJSON_GetObjectItemCaseSensitive(g, "metrics");
        if (msel && (!cJSON_IsArray(msel) || cJSON_GetArraySize(msel) < 1 || cJSON_GetArraySize(msel) > 64)) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].metrics: expected an array of 1 … 64 metric names", path, gi);
            goto out;
        }
        for (const cJSON *m = msel ? msel->child : NULL; m; m = m->next) {
            const bb_metric *mm;
            bb_metric_opts mo;
            bb_ctx mctx = {0};
            if (!cJSON_IsString(m) || bb_metric_parse(m->valuestring, &mm, &mo, &mctx)) {
                const char *why = cJSON_IsString(m) ? mctx.msg : "expected strings";
                if (!strncmp(why, "metrics: ", 9)) why += 9; /* the field is named here already */
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].metrics: %s", path, gi, why);
                goto out;
            }
        }
        int all = cJSON_IsString(methods) && strcmp(methods->valuestring, "all") == 0;
        if ((rc = str_list(tasks, "tasks", path, gi, ctx))) goto out;
        if (!all && (rc = str_list(methods, "methods", path, gi, ctx))) goto out;
        /* budgets: 1 … 2^53 like --budget; seeds: below 2^64 (uint64) */
        if ((rc = num_list(budgets, "budgets", path, gi, 1, (double)BB_RUN_MAX_BUDGET, "budget 2^53 = 9007199254740992",
                           ctx)))
            goto out;
        if ((rc = num_list(seeds, "seeds", path, gi, 0, 18446744073709549568.0, "seed (below 2^64)", ctx))) goto out;
        if (params && !cJSON_IsObject(params)) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].params: expected an object", path, gi);
            goto out;
        }
        /* params is keyed by method: one that is not run by this group would be ignored */
        for (const cJSON *pm = params ? params->child : NULL; pm; pm = pm->next) {
            int used = all ? bb_method_find(pm->string) != NULL : 0;
            for (const cJSON *m = all ? NULL : methods->child; m && !used; m = m->next)
                used = strcmp(m->valuestring, pm->string) == 0;
            if (!used) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].params: unknown key '%.100s' (not a method of this group)",
                            path, gi, pm->string);
                goto out;
            }
            if (!cJSON_IsObject(pm)) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].params.%.100s: expected an object", path, gi, pm->string);
                goto out;
            }
        }
        if (tparams && !cJSON_IsObject(tparams)) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: runs[%zu].task_params: expected an object", path, gi);
            goto out;
        }
        for (const cJSON *t = tasks->child; t; t = t->next) {
            if (!bb_task_type_find(t->valuestring)) {
                rc = BB_ERR(ctx, BB_ENOTFOUND, "%s: runs[%zu].tasks: unknown task '%s'", path, gi, t->valuestring);
                goto out;
            }
            size_t n_methods = 0;
            if (all)
                while (bb_methods[n_methods]) n_methods++;
            else
                n_methods = (size_t)cJSON_GetArraySize(methods);
            for (size_t mi = 0; mi < n_methods; mi++) {
                const char *mname = all ? bb_methods[mi]->name : cJSON_GetArrayItem(methods, (int)mi)->valuestring;
                if (!bb_method_find(mname)) {
                    rc = BB_ERR(ctx, BB_ENOTFOUND, "%s: runs[%zu].methods: unknown method '%s'", path, gi, mname);
                    goto out;
                }
                for (const cJSON *b = budgets->child; b; b = b->next)
                    for (const cJSON *sd = seeds->child; sd; sd = sd->next) {
                        if (s->n_runs == cap) {
                            cap = cap ? 2 * cap : 16;
                            bb_suite_run *r = realloc(s->runs, cap * sizeof *r);
                            if (!r) {
                                rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
                                goto out;
                            }
                            s->runs = r;
                        }
                        bb_suite_run *r = &s->runs[s->n_runs++];
                        memset(r, 0, sizeof *r);
                        snprintf(r->task, sizeof r->task, "%s", t->valuestring);
                        snprintf(r->method, sizeof r->method, "%s", mname);
                        r->budget = (int64_t)b->valuedouble;
                        r->seed = (uint64_t)sd->valuedouble;
                        r->n_samples = ns ? (size_t)ns->valuedouble : 0;
                        const cJSON *mp = params ? cJSON_GetObjectItemCaseSensitive(params, mname) : NULL;
                        r->params = mp ? cJSON_Duplicate(mp, 1) : NULL;
                        r->task_params = tparams ? cJSON_Duplicate(tparams, 1) : NULL;
                        r->metrics = msel ? cJSON_Duplicate(msel, 1) : NULL;
                        for (const cJSON *m = r->metrics ? r->metrics->child : NULL; m; m = m->next)
                            r->metric_names[r->n_metrics++] = m->valuestring;
                        snprintf(r->out_path, sizeof r->out_path, "%s/%s/%s-b%lld-s%llu.json", out_dir, t->valuestring,
                                 mname, (long long)r->budget, (unsigned long long)r->seed);
                    }
            }
        }
    }
out:
    cJSON_Delete(j);
    if (rc) bb_suite_free(s);
    return rc;
}

void bb_suite_free(bb_suite *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_runs; i++) {
        cJSON_Delete(s->runs[i].params);
        cJSON_Delete(s->runs[i].task_params);
        cJSON_Delete(s->runs[i].metrics);
    }
    free(s->runs);
    s->runs = NULL;
    s->n_runs = 0;
}

void bb_suite_run_config(const bb_suite *s, size_t i, bb_run_config *c) {
    const bb_suite_run *r = &s->runs[i];
    memset(c, 0, sizeof *c);
    c->task_id = r->task;
    c->task_params = r->task_params;
    c->method = r->method;
    c->method_config = r->params;
    c->budget = r->budget;
    c->seed = r->seed;
    c->n_samples = r->n_samples;
    c->out_path = r->out_path;
    c->metrics = r->n_metrics ? r->metric_names : NULL;
    c->n_metrics = r->n_metrics;
    c->threads = s->threads;
}

int bb_suite_skip(const bb_suite *s, size_t i) {
    if (s->rerun) return 0;
    bb_run_config c;
    bb_suite_run_config(s, i, &c);
    return bb_run_finished(&c);
}

int bb_suite_mkdir(const bb_suite *s, size_t i, bb_ctx *ctx) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", s->runs[i].out_path);
    char *slash = strrchr(dir, '/');
    if (!slash) return BB_OK;
    *slash = '\0';
    return bb_mkdir_p(dir, ctx);
}

static double metric_value(const cJSON *rep, const char *name) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep, "metrics"), name);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double number_or_nan(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void bb_suite_table_header(FILE *table) {
    fprintf(table, "\n%-12s %-16s %10s %5s %10s %7s %12s %10s  %s\n", "task", "method", "budget", "seed", "evals",
            "samples", "energy_w2", "wall_s", "status");
}

void bb_suite_table_row(const bb_suite *s, size_t i, FILE *table) {
    const bb_suite_run *r = &s->runs[i];
    cJSON *rep = NULL;
    bb_ctx local = {0};
    if (bb_report_read(r->out_path, &rep, &local) == BB_OK) {
        double w2 = metric_value(rep, "energy_w2");
        char w2s[32] = "-"; /* no reference set for the task */
        if (!isnan(w2)) snprintf(w2s, sizeof w2s, "%.4g", w2);
        fprintf(table, "%-12s %-16s %10lld %5llu %10.0f %7.0f %12s %10.2f  %s\n", r->task, r->method,
                (long long)r->budget, (unsigned long long)r->seed,
                number_or_nan(cJSON_GetObjectItemCaseSensitive(rep, "budget"), "used"), number_or_nan(rep, "n_samples"),
                w2s, number_or_nan(cJSON_GetObjectItemCaseSensitive(rep, "timing"), "wall_s"),
                cJSON_GetObjectItemCaseSensitive(rep, "status")->valuestring);
    } else {
        fprintf(table, "%-12s %-16s %10lld %5llu %10s %7s %12s %10s  %s\n", r->task, r->method, (long long)r->budget,
                (unsigned long long)r->seed, "-", "-", "-", "-", "no report");
    }
    cJSON_Delete(rep);
    fflush(table);
}

int bb_suite_run_all(const bb_suite *s, FILE *log, FILE *table, FILE *progress, size_t *n_failed, bb_ctx *ctx) {
    *n_failed = 0;
    if (table) bb_suite_table_header(table);
    for (size_t i = 0; i < s->n_runs; i++) {
        const bb_suite_run *r = &s->runs[i];
        int rc = bb_suite_mkdir(s, i, ctx);
        if (rc) return rc;
        int skipped = bb_suite_skip(s, i);
        bb_ctx_clear(ctx);
        if (log)
            fprintf(log, "[%zu/%zu] %s %s budget %lld seed %llu%s\n", i + 1, s->n_runs, r->task, r->method,
                    (long long)r->budget, (unsigned long long)r->seed, skipped ? ": done before, skipped" : "");
        if (log) fflush(log);
        if (!skipped) {
            bb_run_config c;
            bb_suite_run_config(s, i, &c);
            c.progress = progress;
            bb_ctx rctx = {0};
            if (bb_run(&c, NULL, &rctx)) {
                (*n_failed)++;
                if (log) fprintf(log, "  failed: %s\n", rctx.msg);
            }
        }
        if (table) bb_suite_table_row(s, i, table);
    }
    return BB_OK;
}
