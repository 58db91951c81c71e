/* params.h — typed, documented parameters of methods (and tasks) resolved from JSON.
 *
 * Each method declares a table of bb_param_spec (name, type, default as JSON text,
 * range, doc); --help is generated from it. Resolution merges, in order:
 *   spec defaults  <  per-task defaults of the method  <  --config file  <  --param k=v
 * Unknown keys and wrong types are errors naming the key. The resolved object holds
 * EVERY parameter (defaults included), so a run can be replayed from its report,
 * and its canonical SHA-256 identifies the configuration.
 */
#ifndef BB_PARAMS_H
#define BB_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

typedef enum bb_param_type {
    BB_PARAM_INT,
    BB_PARAM_DOUBLE,
    BB_PARAM_BOOL,
    BB_PARAM_STRING,
    BB_PARAM_DOUBLE_LIST,
    BB_PARAM_TYPE_COUNT
} bb_param_type;

extern const char *const BB_PARAM_TYPE_NAME[BB_PARAM_TYPE_COUNT];

typedef struct bb_param_spec {
    const char *name; /* NULL terminates a table */
    bb_param_type type;
    const char *def; /* default as JSON text: "0.01", "true", "\"rw\"", "[4,3,2]" */
    double min, max; /* inclusive bounds for numbers / list items (min > max: unbounded) */
    const char *doc; /* one line */
} bb_param_spec;

typedef struct bb_params {
    cJSON *values; /* object name -> value, owned */
} bb_params;

/* Resolve. `owner` names the method in errors ("method mala"). task_defaults and
 * user may be NULL. On failure out->values is NULL. */
int bb_params_resolve(const bb_param_spec *spec, const char *owner, const cJSON *task_defaults, const cJSON *user,
                      bb_params *out, bb_ctx *ctx);
void bb_params_free(bb_params *p);

/* Parse "key=value" into obj[key] typed per spec (lists: "1,2,3" or "[1,2,3]").
 * Unknown key or unparsable value → error naming the key. */
int bb_params_parse_kv(const bb_param_spec *spec, const char *owner, const char *kv, cJSON *obj, bb_ctx *ctx);

/* Accessors on resolved params (the name must be in the spec; programming errors abort
 * in debug builds and return 0 in release). */
int64_t bb_params_int(const bb_params *p, const char *name);
double bb_params_double(const bb_params *p, const char *name);
int bb_params_bool(const bb_params *p, const char *name);
const char *bb_params_str(const bb_params *p, const char *name);
/* Copies up to max items into out; returns the list length. */
size_t bb_params_doubles(const bb_params *p, const char *name, double *out, size_t max);

/* Print "  name  type  default  doc" lines for --help. */
void bb_params_print_help(const bb_param_spec *spec, void *fp /* FILE* */);

#endif
