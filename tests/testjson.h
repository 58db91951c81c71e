/* testjson.h — comparing JSON documents in tests: the path of the first difference, and
 * reading a report. */
#ifndef BB_TEST_JSON_H
#define BB_TEST_JSON_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "harness/report/report.h"

/* 1 if a and b differ (keys in any order), with the path of the first difference appended
 * to buf ("/metrics/energy_w2/value", "[3]"); 0 if equal. */
static int bb_test_json_diff(const cJSON *a, const cJSON *b, char *buf, size_t n) {
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "/%s", x->string);
            if (!y || bb_test_json_diff(x, y, buf, n)) return 1;
            buf[len] = '\0';
        }
        for (const cJSON *y = b->child; y; y = y->next)
            if (!cJSON_GetObjectItemCaseSensitive(a, y->string)) {
                size_t len = strlen(buf);
                snprintf(buf + len, n - len, "/%s (only in the second)", y->string);
                return 1;
            }
        return 0;
    }
    if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 1;
        int i = 0;
        for (const cJSON *x = a->child, *y = b->child; x; x = x->next, y = y->next, i++) {
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "[%d]", i);
            if (bb_test_json_diff(x, y, buf, n)) return 1;
            buf[len] = '\0';
        }
        return 0;
    }
    return !cJSON_Compare(a, b, 1);
}

/* Delete the NULL-terminated keys from object o (NULL-safe). */
static inline void bb_test_json_drop(cJSON *o, const char *const *keys) {
    for (; o && *keys; keys++) cJSON_DeleteItemFromObjectCaseSensitive(o, *keys);
}

#endif
