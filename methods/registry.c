/* registry.c — every sampler boltzbench knows. Adding a method = one folder + one line here. */
#include <string.h>

#include <cjson/cJSON.h>

#include "methods/method.h"

extern const bb_method bb_method_mala;
extern const bb_method bb_method_pt;
extern const bb_method bb_method_adjoint_sampling;

const bb_method *const bb_methods[] = {
    &bb_method_mala,
    &bb_method_pt,
    &bb_method_adjoint_sampling,
    NULL,
};

const bb_method *bb_method_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; bb_methods[i]; i++)
        if (strcmp(bb_methods[i]->name, name) == 0) return bb_methods[i];
    return NULL;
}

const char *bb_method_task_defaults(const bb_method *m, const char *task_name) {
    for (const bb_task_defaults *d = m->task_defaults; d && d->task; d++)
        if (strcmp(d->task, task_name) == 0) return d->json;
    return NULL;
}
