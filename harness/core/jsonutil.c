/* jsonutil.c — see jsonutil.h. */
#include "harness/core/jsonutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/fileio.h"

int bb_json_is_empty_object(const cJSON *j) { return !j || (cJSON_IsObject(j) && j->child == NULL); }

int bb_json_parse(const char *text, const char *what, cJSON **out, bb_ctx *ctx) {
    const char *end = NULL;
    *out = cJSON_ParseWithOpts(text, &end, 1);
    if (!*out) {
        long off = end ? (long)(end - text) : -1;
        /* line number of the error position, for humans */
        long line = 1;
        for (const char *p = text; end && p < end && *p; p++) line += (*p == '\n');
        return BB_ERR(ctx, BB_EFORMAT, "%s: malformed JSON near line %ld (byte %ld)", what, line, off);
    }
    return BB_OK;
}

int bb_json_read_file(const char *path, size_t max_bytes, cJSON **out, bb_ctx *ctx) {
    *out = NULL;
    char *text = NULL;
    int rc = bb_read_file(path, max_bytes, &text, NULL, ctx);
    if (rc) return rc;
    rc = bb_json_parse(text, path, out, ctx);
    free(text);
    return rc;
}

int bb_json_read_object(const char *path, size_t max_bytes, cJSON **out, bb_ctx *ctx) {
    int rc = bb_json_read_file(path, max_bytes, out, ctx);
    if (rc || cJSON_IsObject(*out)) return rc;
    cJSON_Delete(*out);
    *out = NULL;
    return BB_ERR(ctx, BB_EFORMAT, "%s: not a JSON object", path);
}

int bb_json_array_calloc(const cJSON *a, size_t size, const char *path, const char *not_array, void **items, size_t *n,
                         bb_ctx *ctx) {
    *items = NULL;
    if (!cJSON_IsArray(a)) return BB_ERR(ctx, BB_EFORMAT, "%s: %s", path, not_array);
    size_t k = (size_t)cJSON_GetArraySize(a);
    if (!(*items = calloc(k ? k : 1, size))) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    if (n) *n = k;
    return BB_OK;
}

/* --- canonical form --------------------------------------------------------- */

static void put_string(bb_buf *b, const char *s) {
    bb_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            bb_buf_put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            bb_buf_puts(b, esc);
        } else
            bb_buf_put(b, (const char *)p, 1);
    }
    bb_buf_puts(b, "\"");
}

static int cmp_items(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static void put_canon(bb_buf *b, const cJSON *j) {
    char num[64];
    if (cJSON_IsObject(j)) {
        size_t n = 0;
        for (const cJSON *c = j->child; c; c = c->next) n++;
        const cJSON **items = n ? malloc(n * sizeof *items) : NULL;
        if (n && !items) {
            b->oom = 1;
            return;
        }
        n = 0;
        for (const cJSON *c = j->child; c; c = c->next) items[n++] = c;
        if (n > 1) qsort(items, n, sizeof *items, cmp_items);
        bb_buf_puts(b, "{");
        for (size_t i = 0; i < n; i++) {
            if (i) bb_buf_puts(b, ",");
            put_string(b, items[i]->string);
            bb_buf_puts(b, ":");
            put_canon(b, items[i]);
        }
        bb_buf_puts(b, "}");
        free(items);
    } else if (cJSON_IsArray(j)) {
        bb_buf_puts(b, "[");
        for (const cJSON *c = j->child; c; c = c->next) {
            if (c != j->child) bb_buf_puts(b, ",");
            put_canon(b, c);
        }
        bb_buf_puts(b, "]");
    } else if (cJSON_IsString(j)) {
        put_string(b, j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (!isfinite(v))
            bb_buf_puts(b, "null");
        else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
            snprintf(num, sizeof num, "%.0f", v);
            bb_buf_puts(b, num);
        } else {
            snprintf(num, sizeof num, "%.17g", v);
            bb_buf_puts(b, num);
        }
    } else if (cJSON_IsTrue(j)) {
        bb_buf_puts(b, "true");
    } else if (cJSON_IsFalse(j)) {
        bb_buf_puts(b, "false");
    } else {
        bb_buf_puts(b, "null");
    }
}

char *bb_json_canonical(const cJSON *j) {
    bb_buf b = {0};
    put_canon(&b, j);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (!b.p) {
        b.p = malloc(1);
        if (b.p) b.p[0] = '\0';
    }
    return b.p;
}

void bb_json_sha256(const cJSON *j, char out[65]) {
    char *s = bb_json_canonical(j);
    bb_sha256_hex(s ? s : "", s ? strlen(s) : 0, out);
    free(s);
}

int bb_json_write_file(const char *path, const cJSON *j, bb_ctx *ctx) {
    char *s = cJSON_Print(j);
    if (!s) return BB_ERR(ctx, BB_ENOMEM, "%s: cannot serialise JSON", path);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    int rc = bb_write_file_atomic(path, t, n + 1, ctx);
    free(t);
    return rc;
}

cJSON *bb_json_add_number(cJSON *obj, const char *name, double v) {
    if (!isfinite(v)) return cJSON_AddNullToObject(obj, name);
    return cJSON_AddNumberToObject(obj, name, v);
}
