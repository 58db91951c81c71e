/* jsonutil.h — small cJSON helpers shared by config, params, reports and manifests.
 *
 * cJSON is used with a nesting limit (CJSON_NESTING_LIMIT, 1000 in Debian's build)
 * and every file read through bb_json_read_file has a byte limit.
 */
#ifndef BB_JSONUTIL_H
#define BB_JSONUTIL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "harness/core/bb.h"

/* 1 if j is NULL or an object with no members. */
int bb_json_is_empty_object(const cJSON *j);
/* Parse a JSON file (at most max_bytes). Errors name the file and the byte offset. */
int bb_json_read_file(const char *path, size_t max_bytes, cJSON **out, bb_ctx *ctx);
/* bb_json_read_file of a file whose top level must be an object: else "<path>: not a JSON
 * object" (BB_EFORMAT) and *out NULL. */
int bb_json_read_object(const char *path, size_t max_bytes, cJSON **out, bb_ctx *ctx);
/* Parse a string; `what` names the source in errors. */
int bb_json_parse(const char *text, const char *what, cJSON **out, bb_ctx *ctx);
/* Canonical serialisation: objects with keys sorted recursively, no whitespace,
 * numbers printed with 17 significant digits ("%.17g"; integers exactly). Used for
 * config hashes: equal configs give equal bytes. Caller frees with free(). */
char *bb_json_canonical(const cJSON *j);
/* SHA-256 (hex) of the canonical serialisation. */
void bb_json_sha256(const cJSON *j, char out[65]);
/* Serialise with indentation and write atomically (temp + fsync + rename). */
int bb_json_write_file(const char *path, const cJSON *j, bb_ctx *ctx);
/* Zeroed room for one `size`-byte element per item of the JSON array a (at least one element,
 * so that an empty array gives a pointer too): *items, free() it; *n the number of items (n may
 * be NULL). Errors: "<path>: <not_array>" (BB_EFORMAT) when a is not an array, "<path>: out of
 * memory". */
int bb_json_array_calloc(const cJSON *a, size_t size, const char *path, const char *not_array, void **items, size_t *n,
                         bb_ctx *ctx);
/* Add a double that may be non-finite: NaN/Inf become JSON null. Returns the item. */
cJSON *bb_json_add_number(cJSON *obj, const char *name, double v);

#endif
