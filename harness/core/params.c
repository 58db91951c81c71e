/* params.c — typed parameter resolution (see params.h). */
#include "harness/core/params.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"

const char *const BB_PARAM_TYPE_NAME[BB_PARAM_TYPE_COUNT] = {"int", "number", "bool", "string", "number list"};

static const bb_param_spec *find_spec(const bb_param_spec *spec, const char *name) {
    for (const bb_param_spec *s = spec; s && s->name; s++)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

static int check_number(const bb_param_spec *s, const char *owner, double v, bb_ctx *ctx) {
    if (!isfinite(v)) return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': not a finite number", owner, s->name);
    if (s->min <= s->max && (v < s->min || v > s->max))
        return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': %g is outside [%g, %g]", owner, s->name, v, s->min, s->max);
    return BB_OK;
}

/* Validate one JSON value against its spec. */
static int check_value(const bb_param_spec *s, const char *owner, const cJSON *v, bb_ctx *ctx) {
    switch (s->type) {
        case BB_PARAM_INT:
            if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 9.0e15)
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': expected an integer", owner, s->name);
            return check_number(s, owner, v->valuedouble, ctx);
        case BB_PARAM_DOUBLE:
            if (!cJSON_IsNumber(v))
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': expected a number", owner, s->name);
            return check_number(s, owner, v->valuedouble, ctx);
        case BB_PARAM_BOOL:
            if (!cJSON_IsBool(v))
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': expected true or false", owner, s->name);
            return BB_OK;
        case BB_PARAM_STRING:
            if (!cJSON_IsString(v))
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': expected a string", owner, s->name);
            return BB_OK;
        case BB_PARAM_DOUBLE_LIST:
            if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': expected a non-empty list of numbers", owner,
                              s->name);
            for (const cJSON *c = v->child; c; c = c->next) {
                if (!cJSON_IsNumber(c))
                    return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': expected a list of numbers", owner, s->name);
                int rc = check_number(s, owner, c->valuedouble, ctx);
                if (rc) return rc;
            }
            return BB_OK;
        default: return BB_ERR(ctx, BB_EINTERNAL, "%s: parameter '%s': bad spec type", owner, s->name);
    }
}

/* Overlay obj's members onto values, validating each against the spec. */
static int overlay(const bb_param_spec *spec, const char *owner, const char *what, const cJSON *obj, cJSON *values,
                   bb_ctx *ctx) {
    if (!obj) return BB_OK;
    if (!cJSON_IsObject(obj)) return BB_ERR(ctx, BB_EINVAL, "%s: %s must be a JSON object", owner, what);
    for (const cJSON *c = obj->child; c; c = c->next) {
        const bb_param_spec *s = find_spec(spec, c->string);
        if (!s) return BB_ERR(ctx, BB_EINVAL, "%s: unknown parameter '%s' (in %s)", owner, c->string, what);
        int rc = check_value(s, owner, c, ctx);
        if (rc) return rc;
        cJSON *dup = cJSON_Duplicate(c, 1);
        if (!dup) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", owner);
        cJSON_ReplaceItemInObjectCaseSensitive(values, c->string, dup);
    }
    return BB_OK;
}

int bb_params_resolve(const bb_param_spec *spec, const char *owner, const cJSON *task_defaults, const cJSON *user,
                      bb_params *out, bb_ctx *ctx) {
    out->values = NULL;
    cJSON *values = cJSON_CreateObject();
    if (!values) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", owner);
    int rc = BB_OK;
    for (const bb_param_spec *s = spec; s && s->name; s++) {
        cJSON *def = cJSON_Parse(s->def);
        if (!def) {
            rc = BB_ERR(ctx, BB_EINTERNAL, "%s: parameter '%s': default '%s' is not JSON", owner, s->name, s->def);
            goto out;
        }
        rc = check_value(s, owner, def, ctx);
        if (rc) {
            cJSON_Delete(def);
            goto out;
        }
        cJSON_AddItemToObject(values, s->name, def);
    }
    rc = overlay(spec, owner, "task defaults", task_defaults, values, ctx);
    if (rc) goto out;
    rc = overlay(spec, owner, "configuration", user, values, ctx);
out:
    if (rc) {
        cJSON_Delete(values);
        return rc;
    }
    out->values = values;
    return BB_OK;
}

void bb_params_free(bb_params *p) {
    if (!p) return;
    cJSON_Delete(p->values);
    p->values = NULL;
}

static int parse_number(const char *s, double *v) {
    char *end = NULL;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0;
}

int bb_params_parse_kv(const bb_param_spec *spec, const char *owner, const char *kv, cJSON *obj, bb_ctx *ctx) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return BB_ERR(ctx, BB_EINVAL, "--param '%s': expected key=value", kv);
    char key[128];
    size_t klen = (size_t)(eq - kv);
    if (klen >= sizeof key) return BB_ERR(ctx, BB_EINVAL, "--param '%s': key too long", kv);
    memcpy(key, kv, klen);
    key[klen] = '\0';
    const char *val = eq + 1;
    const bb_param_spec *s = find_spec(spec, key);
    if (!s) return BB_ERR(ctx, BB_EINVAL, "%s: unknown parameter '%s'", owner, key);
    cJSON *item = NULL;
    double v;
    switch (s->type) {
        case BB_PARAM_INT:
        case BB_PARAM_DOUBLE:
            if (!parse_number(val, &v))
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': '%s' is not a number", owner, key, val);
            item = cJSON_CreateNumber(v);
            break;
        case BB_PARAM_BOOL:
            if (!strcmp(val, "true") || !strcmp(val, "1"))
                item = cJSON_CreateTrue();
            else if (!strcmp(val, "false") || !strcmp(val, "0"))
                item = cJSON_CreateFalse();
            else
                return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': '%s' is not true/false", owner, key, val);
            break;
        case BB_PARAM_STRING: item = cJSON_CreateString(val); break;
        case BB_PARAM_DOUBLE_LIST: {
            if (val[0] == '[') {
                item = cJSON_Parse(val);
                if (!item)
                    return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': '%s' is not a JSON list", owner, key, val);
                break;
            }
            item = cJSON_CreateArray();
            char buf[1024];
            snprintf(buf, sizeof buf, "%s", val);
            char *save = NULL;
            for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (!parse_number(tok, &v)) {
                    cJSON_Delete(item);
                    return BB_ERR(ctx, BB_EINVAL, "%s: parameter '%s': '%s' is not a number", owner, key, tok);
                }
                cJSON_AddItemToArray(item, cJSON_CreateNumber(v));
            }
            break;
        }
        default: return BB_ERR(ctx, BB_EINTERNAL, "%s: parameter '%s': bad spec type", owner, key);
    }
    if (!item) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", owner);
    int rc = check_value(s, owner, item, ctx);
    if (rc) {
        cJSON_Delete(item);
        return rc;
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    else
        cJSON_AddItemToObject(obj, key, item);
    return BB_OK;
}

static const cJSON *get(const bb_params *p, const char *name) {
    const cJSON *v = p && p->values ? cJSON_GetObjectItemCaseSensitive(p->values, name) : NULL;
    (void)BB_ALWAYS(v != NULL);
    return v;
}

int64_t bb_params_int(const bb_params *p, const char *name) {
    const cJSON *v = get(p, name);
    return v && cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

double bb_params_double(const bb_params *p, const char *name) {
    const cJSON *v = get(p, name);
    return v && cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

int bb_params_bool(const bb_params *p, const char *name) {
    const cJSON *v = get(p, name);
    return v && cJSON_IsTrue(v);
}

const char *bb_params_str(const bb_params *p, const char *name) {
    const cJSON *v = get(p, name);
    return v && cJSON_IsString(v) ? v->valuestring : "";
}

size_t bb_params_doubles(const bb_params *p, const char *name, double *out, size_t max) {
    const cJSON *v = get(p, name);
    if (!v || !cJSON_IsArray(v)) return 0;
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next, n++)
        if (n < max) out[n] = c->valuedouble;
    return n;
}

void bb_params_print_help(const bb_param_spec *spec, void *fpv) {
    FILE *fp = fpv;
    for (const bb_param_spec *s = spec; s && s->name; s++) {
        char range[64] = "";
        if (s->min <= s->max) snprintf(range, sizeof range, " [%g, %g]", s->min, s->max);
        fprintf(fp, "  %-22s %-12s default %-12s %s%s\n", s->name, BB_PARAM_TYPE_NAME[s->type], s->def, s->doc, range);
    }
}
