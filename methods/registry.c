/* registry.c — every sampler boltzbench knows, and the one parameter path.
 * Adding a method = one folder + one line here. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "methods/method.h"

extern const bb_method bb_method_mala;
extern const bb_method bb_method_pt;
extern const bb_method bb_method_adjoint_sampling;
extern const bb_method bb_method_idem;
extern const bb_method bb_method_idem_energy;
extern const bb_method bb_method_pis;  /* methods/pis/pis.c */
extern const bb_method bb_method_pita; /* methods/pita/pita.c */

/* one line per method */
/* clang-format off */
const bb_method *const bb_methods[] = {
    &bb_method_mala,
    &bb_method_pt,
    &bb_method_adjoint_sampling,
    &bb_method_idem,
    &bb_method_idem_energy,
    &bb_method_pis,
    &bb_method_pita,
    NULL,
};
/* clang-format on */

const char *bb_stop_reason_name(bb_stop_reason r) {
    static const char *const names[BB_STOP_COUNT] = {"none",  "budget",      "max_steps",      "converged",
                                                     "error", "interrupted", "cannot_continue"};
    return (unsigned)r < BB_STOP_COUNT ? names[r] : "unknown";
}

const bb_method *bb_method_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; bb_methods[i]; i++)
        if (strcmp(bb_methods[i]->name, name) == 0) return bb_methods[i];
    return NULL;
}

const char *bb_method_task_defaults(const bb_method *m, const char *task_name) {
    for (const bb_task_defaults *d = m->task_defaults; d && d->task && task_name; d++)
        if (strcmp(d->task, task_name) == 0) return d->json;
    return NULL;
}

int bb_method_resolve_params(const bb_method *m, const char *task_name, const cJSON *config, const cJSON *overrides,
                             bb_params *out, bb_ctx *ctx) {
    out->values = NULL;
    char owner[128];
    snprintf(owner, sizeof owner, "method %s", m->name);
    if ((config && !cJSON_IsObject(config)) || (overrides && !cJSON_IsObject(overrides)))
        return BB_ERR(ctx, BB_EINVAL, "%s: parameters must be a JSON object", owner);
    /* every entry for this task, in table order (shared rows first, the method's own after) */
    cJSON *td = NULL;
    for (const bb_task_defaults *d = m->task_defaults; d && d->task && task_name; d++) {
        if (strcmp(d->task, task_name) != 0) continue;
        cJSON *one = NULL;
        if (bb_json_parse(d->json, "task defaults", &one, ctx)) {
            cJSON_Delete(td);
            return ctx && ctx->code ? ctx->code : BB_EINTERNAL;
        }
        if (!td) {
            td = one;
            continue;
        }
        while (one->child) {
            cJSON *c = cJSON_DetachItemViaPointer(one, one->child);
            cJSON_DeleteItemFromObjectCaseSensitive(td, c->string);
            cJSON_AddItemToObject(td, c->string, c);
        }
        cJSON_Delete(one);
    }
    /* config < overrides: one user object with the overrides replacing config keys */
    cJSON *user = config ? cJSON_Duplicate(config, 1) : cJSON_CreateObject();
    int rc = user ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", owner);
    for (const cJSON *c = overrides ? overrides->child : NULL; c && rc == BB_OK; c = c->next) {
        cJSON *dup = cJSON_Duplicate(c, 1);
        if (!dup)
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", owner);
        else if (cJSON_GetObjectItemCaseSensitive(user, c->string))
            cJSON_ReplaceItemInObjectCaseSensitive(user, c->string, dup);
        else
            cJSON_AddItemToObject(user, c->string, dup);
    }
    if (rc == BB_OK) rc = bb_params_resolve(m->params, owner, td, user, out, ctx);
    cJSON_Delete(user);
    cJSON_Delete(td);
    return rc;
}
