/* suite_sched.c — dispatch order (longest expected first) and the failed report of a run that
 * left none (suite_sched.h). The child-process runner is suite_child.c. */
#include "harness/run/suite_sched.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "harness/report/report.h"
#include "harness/run/run.h"

/* timing.wall_s of the report at path, or -1 when there is none. */
static double earlier_wall_s(const char *path) {
    cJSON *rep = NULL;
    bb_ctx local = {0};
    if (bb_report_read(path, &rep, &local)) return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep, "timing"), "wall_s");
    double v = cJSON_IsNumber(w) && w->valuedouble >= 0 ? w->valuedouble : -1;
    cJSON_Delete(rep);
    return v;
}

typedef struct order_item {
    double cost;
    size_t index;
} order_item;

static int by_cost_desc(const void *a, const void *b) {
    const order_item *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int bb_suite_order(const bb_suite *s, const char *cost_dir, size_t *order, double *cost, bb_ctx *ctx) {
    const size_t n = s->n_runs;
    double *known = malloc((n ? n : 1) * sizeof *known);
    order_item *items = malloc((n ? n : 1) * sizeof *items);
    if (!known || !items) {
        free(known);
        free(items);
        return BB_ERR(ctx, BB_ENOMEM, "suite %s: out of memory ordering %zu runs", s->name, n);
    }
    const size_t prefix = strlen(s->out_dir);
    for (size_t i = 0; i < n; i++) {
        const char *out = s->runs[i].out_path;
        char path[8192];
        if (cost_dir && !strncmp(out, s->out_dir, prefix) && out[prefix] == '/')
            snprintf(path, sizeof path, "%s/%s", cost_dir, out + prefix + 1);
        else
            snprintf(path, sizeof path, "%s", out);
        known[i] = earlier_wall_s(path);
    }
    /* seconds per budgeted evaluation: of the run's method, else of all known runs */
    double all_sum = 0, all_budget = 0;
    for (size_t i = 0; i < n; i++)
        if (known[i] >= 0) {
            all_sum += known[i];
            all_budget += (double)s->runs[i].budget;
        }
    for (size_t i = 0; i < n; i++) {
        double c = known[i];
        if (c < 0) {
            double sum = 0, budget = 0;
            for (size_t k = 0; k < n; k++)
                if (known[k] >= 0 && !strcmp(s->runs[k].method, s->runs[i].method)) {
                    sum += known[k];
                    budget += (double)s->runs[k].budget;
                }
            double rate = budget > 0 ? sum / budget : all_budget > 0 ? all_sum / all_budget : 1.0;
            c = rate * (double)s->runs[i].budget;
        }
        items[i] = (order_item){c, i};
        if (cost) cost[i] = c;
    }
    qsort(items, n, sizeof *items, by_cost_desc);
    for (size_t i = 0; i < n; i++) order[i] = items[i].index;
    free(known);
    free(items);
    return BB_OK;
}

int bb_suite_write_failed(const bb_suite *s, size_t i, const char *error, bb_ctx *ctx) {
    const bb_suite_run *r = &s->runs[i];
    bb_run_config c;
    bb_suite_run_config(s, i, &c);
    char sha[65] = "";
    bb_ctx local = {0};
    cJSON *conf = bb_run_config_object(&c, &local);
    if (conf) bb_json_sha256(conf, sha);
    cJSON_Delete(conf);
    cJSON *rep = bb_report_new();
    if (!rep) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", r->out_path);
    cJSON_AddStringToObject(rep, "status", "failed");
    cJSON_AddStringToObject(rep, "error", error);
    cJSON_AddStringToObject(rep, "config_sha256", sha);
    cJSON *task = cJSON_AddObjectToObject(rep, "task");
    cJSON_AddStringToObject(task, "id", r->task);
    cJSON *method = cJSON_AddObjectToObject(rep, "method");
    cJSON_AddStringToObject(method, "name", r->method);
    bb_json_add_number(rep, "seed", (double)r->seed);
    bb_json_add_number(rep, "n_samples", 0);
    cJSON *budget = cJSON_AddObjectToObject(rep, "budget");
    bb_json_add_number(budget, "limit", (double)r->budget);
    bb_json_add_number(budget, "used", 0);
    cJSON_AddObjectToObject(rep, "metrics");
    int rc = bb_suite_mkdir(s, i, ctx);
    if (!rc) rc = bb_report_write(r->out_path, rep, ctx);
    cJSON_Delete(rep);
    return rc;
}
