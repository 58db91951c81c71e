/* test_driver_port.c — the step-wise driver reproduces, field for field, the reports the
 * per-method loops wrote before it existed (tests/methods/fixtures/pre_driver/, written by
 * commit 87b5b25; see the README there for the exact commands).
 *
 * Compared: every field, except
 *   - volatile blocks: timing, host, harness (version and commit);
 *   - what the port moved, mapped back before comparing: Adjoint Sampling's
 *     method_info.training_curve {outer, evaluations, loss, wall_s} is now the report's
 *     training_curve {step, evaluations, loss} (wall-clock under timing), and its
 *     method_info.stopped_by is now driver.stopped_by;
 *   - what the port removed: the method parameters checkpoint_minutes and stop_after_outer
 *     (run options now, not method parameters), hence also params_sha256 and config_sha256;
 *   - what the driver added: the driver block.
 * Anything else differing — a metric, an anytime point, a count, a sample-dependent value —
 * fails the test with the path of the first difference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/report.h"
#include "harness/run/run.h"
#include "tests/tmpdir.h"

static char dir[256];

typedef struct port_case {
    const char *fixture, *task, *method, *params;
    int64_t budget;
    uint64_t seed;
    size_t n_samples;
} port_case;

static const port_case cases[] = {
    {"mala-dw4.json", "dw4", "mala", "{}", 20000, 3, 500},
    {"pt-gmm40.json", "gmm40", "pt", "{}", 30000, 5, 500},
    {"as-dw4.json", "dw4", "adjoint_sampling",
     "{\"max_outer\": 0, \"batch_size\": 128, \"inner_steps\": 5, \"anytime_samples\": 200}", 6000, 7, 500},
    {"as-gmm40-iw.json", "gmm40", "adjoint_sampling",
     "{\"max_outer\": 0, \"hidden\": 32, \"inner_steps\": 5, \"batch_size\": 200, \"importance_weights\": true, "
     "\"anytime_samples\": 100}",
     3000, 2, 400},
};

static int json_diff(const cJSON *a, const cJSON *b, char *buf, size_t n) {
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "/%s", x->string);
            if (!y || json_diff(x, y, buf, n)) return 1;
            buf[len] = '\0';
        }
        for (const cJSON *y = b->child; y; y = y->next)
            if (!cJSON_GetObjectItemCaseSensitive(a, y->string)) {
                size_t len = strlen(buf);
                snprintf(buf + len, n - len, "/%s (only in the new report)", y->string);
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
            if (json_diff(x, y, buf, n)) return 1;
            buf[len] = '\0';
        }
        return 0;
    }
    return !cJSON_Compare(a, b, 1);
}

static void drop(cJSON *o, const char *const *keys) {
    for (; *keys; keys++) cJSON_DeleteItemFromObjectCaseSensitive(o, *keys);
}

/* The old report in the new layout (see the header comment). */
static void normalise_old(cJSON *r) {
    cJSON *mi = cJSON_GetObjectItem(r, "method_info");
    cJSON *tc = cJSON_DetachItemFromObjectCaseSensitive(mi, "training_curve");
    if (tc) {
        cJSON *nc = cJSON_AddObjectToObject(r, "training_curve");
        cJSON_AddItemToObject(nc, "step", cJSON_DetachItemFromObjectCaseSensitive(tc, "outer"));
        cJSON_AddItemToObject(nc, "evaluations", cJSON_DetachItemFromObjectCaseSensitive(tc, "evaluations"));
        cJSON_AddItemToObject(nc, "loss", cJSON_DetachItemFromObjectCaseSensitive(tc, "loss"));
        cJSON_Delete(tc);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(mi, "stopped_by");
    const char *const gone[] = {"checkpoint_minutes", "stop_after_outer", NULL};
    drop(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "method"), "params"), gone);
}

static void reports_match_the_pre_driver_fixtures(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const port_case *pc = &cases[k];
        char fix[600], out[600];
        snprintf(fix, sizeof fix, "%s/tests/methods/fixtures/pre_driver/%s", BB_SOURCE_DIR, pc->fixture);
        snprintf(out, sizeof out, "%s/%s", dir, pc->fixture);
        cJSON *params = cJSON_Parse(pc->params);
        bb_run_config cfg = {.task_id = pc->task,
                             .method = pc->method,
                             .method_overrides = params,
                             .budget = pc->budget,
                             .seed = pc->seed,
                             .n_samples = pc->n_samples,
                             .out_path = out};
        bb_ctx c = {0};
        int rc = bb_run(&cfg, NULL, &c);
        if (rc) print_message("%s: %s\n", pc->fixture, c.msg);
        assert_int_equal(rc, BB_OK);
        cJSON_Delete(params);
        cJSON *old = NULL, *now = NULL;
        assert_int_equal(bb_report_read(fix, &old, &c), BB_OK);
        assert_int_equal(bb_report_read(out, &now, &c), BB_OK);
        normalise_old(old);
        const char *const volatile_or_added[] = {"timing", "host", "harness", "config_sha256", "driver", NULL};
        drop(old, volatile_or_added);
        drop(now, volatile_or_added);
        const char *const psha[] = {"params_sha256", NULL};
        drop(cJSON_GetObjectItem(old, "method"), psha);
        drop(cJSON_GetObjectItem(now, "method"), psha);
        char where[512] = "";
        int differ = json_diff(old, now, where, sizeof where);
        if (differ) print_message("%s: differs at %s\n", pc->fixture, where);
        assert_false(differ);
        print_message("%s: identical to the pre-driver report\n", pc->fixture);
        cJSON_Delete(old);
        cJSON_Delete(now);
    }
}

static int setup(void **state) {
    (void)state;
    if (bb_test_mkdtemp(dir, sizeof dir, "bb_driver_port")) return -1;
    char cache[300];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("BOLTZBENCH_CACHE", cache, 1);
    setenv("BOLTZBENCH_OFFLINE", "1", 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return bb_test_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reports_match_the_pre_driver_fixtures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
