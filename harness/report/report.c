/* report.c — report object helpers, atomic write, read + validate (see report.h). */
#include "harness/report/report.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness/core/jsonutil.h"
#include "tasks/task.h"

cJSON *bb_report_new(void) {
    cJSON *r = cJSON_CreateObject();
    if (!r) return NULL;
    cJSON_AddStringToObject(r, "schema", BB_REPORT_SCHEMA);
    cJSON *h = cJSON_AddObjectToObject(r, "harness");
    cJSON_AddStringToObject(h, "version", BB_VERSION_STRING);
    cJSON_AddStringToObject(h, "git_commit", bb_build_commit());
    return r;
}

void bb_report_add_task(cJSON *r, const bb_task *t, const cJSON *task_params) {
    cJSON *o = cJSON_AddObjectToObject(r, "task");
    cJSON_AddStringToObject(o, "id", t->id);
    cJSON_AddStringToObject(o, "name", t->type->name);
    cJSON_AddNumberToObject(o, "version", t->type->version);
    if (t->group[0]) cJSON_AddStringToObject(o, "group", t->group);
    cJSON_AddItemToObject(o, "params", task_params ? cJSON_Duplicate(task_params, 1) : cJSON_CreateObject());
    cJSON_AddNumberToObject(o, "kT", t->kT);
    cJSON_AddStringToObject(o, "kT_unit", t->type->kT_unit ? t->type->kT_unit : "reduced");
    cJSON_AddNumberToObject(o, "n_particles", t->n_particles);
    cJSON_AddNumberToObject(o, "dim", t->dim);
    cJSON *f = cJSON_AddArrayToObject(o, "flags");
    static const char *const names[] = {"translation_invariant", "rotation_invariant", "permutation_invariant",
                                        "com_free"};
    for (unsigned b = 0; b < 4; b++)
        if (t->flags & (1u << b)) cJSON_AddItemToArray(f, cJSON_CreateString(names[b]));
}

void bb_report_add_dataset(cJSON *ds, const char *role, const char *id, const char *sha, const char *source, size_t n) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "role", role);
    cJSON_AddStringToObject(d, "id", id);
    cJSON_AddStringToObject(d, "sha256", sha);
    cJSON_AddStringToObject(d, "source", source);
    cJSON_AddNumberToObject(d, "n_samples", (double)n);
    cJSON_AddItemToArray(ds, d);
}

void bb_report_add_host(cJSON *report) {
    cJSON *h = cJSON_CreateObject();
    char name[256] = "unknown";
    if (gethostname(name, sizeof name) != 0) snprintf(name, sizeof name, "unknown");
    name[sizeof name - 1] = '\0';
    cJSON_AddStringToObject(h, "hostname", name);
    cJSON_AddNumberToObject(h, "threads", omp_get_max_threads());
    struct utsname u;
    if (uname(&u) == 0) {
        char os[512];
        snprintf(os, sizeof os, "%s %s %s", u.sysname, u.release, u.machine);
        cJSON_AddStringToObject(h, "os", os);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(report, "host");
    cJSON_AddItemToObject(report, "host", h);
}

void bb_report_strip_volatile(cJSON *report) {
    cJSON_DeleteItemFromObjectCaseSensitive(report, "timing");
    cJSON_DeleteItemFromObjectCaseSensitive(report, "host");
}

int bb_report_write(const char *path, const cJSON *report, bb_ctx *ctx) {
    return bb_json_write_file(path, report, ctx);
}

static int need(const cJSON *obj, const char *field, int (*is)(const cJSON *), const char *type, const char *what,
                bb_ctx *ctx) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!v || !is(v)) return BB_ERR(ctx, BB_EFORMAT, "%s: field '%s' missing or not %s", what, field, type);
    return BB_OK;
}

int bb_report_validate(const cJSON *r, const char *what, bb_ctx *ctx) {
    if (!cJSON_IsObject(r)) return BB_ERR(ctx, BB_EFORMAT, "%s: not a JSON object", what);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(r, "schema");
    if (!cJSON_IsString(schema))
        return BB_ERR(ctx, BB_EFORMAT, "%s: field 'schema' missing (not a boltzbench report?)", what);
    if (strcmp(schema->valuestring, BB_REPORT_SCHEMA) != 0)
        return BB_ERR(ctx, BB_EFORMAT, "%s: schema '%s' is not '%s' (written by another boltzbench version?)", what,
                      schema->valuestring, BB_REPORT_SCHEMA);
    int rc;
    if ((rc = need(r, "status", cJSON_IsString, "a string", what, ctx))) return rc;
    if ((rc = need(r, "config_sha256", cJSON_IsString, "a string", what, ctx))) return rc;
    if ((rc = need(r, "harness", cJSON_IsObject, "an object", what, ctx))) return rc;
    if ((rc = need(r, "task", cJSON_IsObject, "an object", what, ctx))) return rc;
    if ((rc = need(r, "method", cJSON_IsObject, "an object", what, ctx))) return rc;
    if ((rc = need(r, "budget", cJSON_IsObject, "an object", what, ctx))) return rc;
    if ((rc = need(r, "metrics", cJSON_IsObject, "an object", what, ctx))) return rc;
    if ((rc = need(r, "seed", cJSON_IsNumber, "a number", what, ctx))) return rc;
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(r, "task");
    if ((rc = need(task, "id", cJSON_IsString, "a string", what, ctx))) {
        bb_ctx_prefix(ctx, "task");
        return rc;
    }
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(r, "method");
    if ((rc = need(method, "name", cJSON_IsString, "a string", what, ctx))) return rc;
    const cJSON *budget = cJSON_GetObjectItemCaseSensitive(r, "budget");
    if ((rc = need(budget, "limit", cJSON_IsNumber, "a number", what, ctx))) return rc;
    if ((rc = need(budget, "used", cJSON_IsNumber, "a number", what, ctx))) return rc;
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(r, "metrics");
    for (const cJSON *m = metrics->child; m; m = m->next) {
        if (!cJSON_IsObject(m)) return BB_ERR(ctx, BB_EFORMAT, "%s: metrics.%s: not an object", what, m->string);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
        if (v && !cJSON_IsNumber(v) && !cJSON_IsNull(v))
            return BB_ERR(ctx, BB_EFORMAT, "%s: metrics.%s.value: not a number", what, m->string);
    }
    return BB_OK;
}

int bb_report_read(const char *path, cJSON **out, bb_ctx *ctx) {
    *out = NULL;
    cJSON *r = NULL;
    int rc = bb_json_read_file(path, BB_REPORT_MAX_BYTES, &r, ctx);
    if (rc) return rc;
    rc = bb_report_validate(r, path, ctx);
    if (rc) {
        cJSON_Delete(r);
        return rc;
    }
    *out = r;
    return BB_OK;
}
