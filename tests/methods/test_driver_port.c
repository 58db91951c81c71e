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
 *   - what the driver added: the driver block;
 *   - what the metrics changed since (issue "Reproduction": eq_x_w2 at 1000 v 1000, other
 *     bootstrap intervals, floors on every metric, definitions): the runs select the
 *     fixture's metrics with eq_x_w2 at its old 200 per side, and metric entries are
 *     compared by value only, to 12 significant digits (the exact OT solver sums in
 *     another order since) — a value is a function of the samples, so equal values still
 *     prove the method's samples unchanged: one moved sample changes them far more.
 * Anything else differing — a metric, an anytime point, a count, a sample-dependent value —
 * fails the test with the path of the first difference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/report.h"
#include "harness/run/run.h"
#include "tests/testjson.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_driver_port", bb_test_isolated_cache(dir))

typedef struct port_case {
    const char *fixture, *task, *method, *params;
    int64_t budget;
    uint64_t seed;
    size_t n_samples;
} port_case;

static const port_case cases[] = {
    {"mala-dw4.json", "dw4", "mala", "{}", 20000, 3, 500},
    {"pt-gmm40.json", "gmm40", "pt", "{}", 30000, 5, 500},
    /* the fixtures' parameters with the per-task defaults of that time written out (the
     * defaults are the paper's setting since, and the quick sizes live in the suite) */
    {"as-dw4.json", "dw4", "adjoint_sampling",
     "{\"sigma_max\": 1.5, \"hidden\": 32, \"layers\": 3, \"n_steps\": 50, \"lr\": 0.001, \"out_scale\": 10, "
     "\"train_batch\": 128, \"max_grad_norm\": 100, \"max_score_norm\": 50, \"target_clip\": \"total\", "
     "\"egnn_attention\": false, \"egnn_coord_range\": 0, \"egnn_coord_sum\": false, \"egnn_edge_attr\": false, "
     "\"max_outer\": 0, \"batch_size\": 128, \"inner_steps\": 5, \"anytime_samples\": 200, \"nn_threads\": 1}",
     6000, 7, 500},
    {"as-gmm40-iw.json", "gmm40", "adjoint_sampling",
     "{\"max_grad_norm\": 100, \"inner_steps\": 5, \"max_outer\": 0, \"hidden\": 32, \"batch_size\": 200, "
     "\"importance_weights\": true, \"anytime_samples\": 100}",
     3000, 2, 400},
};

/* Keep only the value of every metric entry, top level and at every anytime point. */
static void metric_values_only(cJSON *r) {
    cJSON *blocks[64];
    size_t nb = 0;
    blocks[nb++] = cJSON_GetObjectItem(r, "metrics");
    cJSON *any = cJSON_GetObjectItem(r, "anytime");
    for (cJSON *pt = any ? any->child : NULL; pt && nb < 64; pt = pt->next)
        blocks[nb++] = cJSON_GetObjectItem(pt, "metrics");
    for (size_t b = 0; b < nb; b++) {
        cJSON_DeleteItemFromObjectCaseSensitive(blocks[b], "energy_histogram"); /* part of energy_w2's output */
        for (cJSON *m = blocks[b] ? blocks[b]->child : NULL; m; m = m->next) {
            cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(m, "value");
            while (m->child) cJSON_Delete(cJSON_DetachItemViaPointer(m, m->child));
            if (cJSON_IsNumber(v)) { /* 12 digits: the exact OT solver's summation order changed since */
                char buf[32];
                snprintf(buf, sizeof buf, "%.12g", v->valuedouble);
                cJSON_SetNumberValue(v, strtod(buf, NULL));
            }
            if (v) cJSON_AddItemToObject(m, "value", v);
        }
    }
}

/* The fixture's metric names, eq_x_w2 at its old sample size (200 per side). */
static size_t fixture_metrics(const cJSON *old, char names[][64], const char **sel, size_t max) {
    size_t n = 0;
    for (const cJSON *m = cJSON_GetObjectItem(old, "metrics")->child; m && n < max; m = m->next) {
        if (!strcmp(m->string, "energy_histogram")) continue; /* a part of energy_w2's output */
        snprintf(names[n], 64, "%s%s", m->string, strcmp(m->string, "eq_x_w2") ? "" : ":n=200");
        sel[n] = names[n];
        n++;
    }
    return n;
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
    bb_test_json_drop(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "method"), "params"), gone);
}

BB_TEST(reports_match_the_pre_driver_fixtures) {
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const port_case *pc = &cases[k];
        char fix[600], out[600];
        snprintf(fix, sizeof fix, "%s/tests/methods/fixtures/pre_driver/%s", BB_SOURCE_DIR, pc->fixture);
        snprintf(out, sizeof out, "%s/%s", dir, pc->fixture);
        cJSON *params = cJSON_Parse(pc->params), *old = NULL, *now = NULL;
        bb_ctx c = {0};
        assert_int_equal(bb_report_read(fix, &old, &c), BB_OK);
        char names[32][64];
        const char *sel[32];
        const size_t n_sel = fixture_metrics(old, names, sel, 32);
        bb_run_config cfg = {.task_id = pc->task,
                             .metrics = sel,
                             .n_metrics = n_sel,
                             .method = pc->method,
                             .method_overrides = params,
                             .budget = pc->budget,
                             .seed = pc->seed,
                             .n_samples = pc->n_samples,
                             .out_path = out};
        int rc = bb_run(&cfg, NULL, &c);
        if (rc) print_message("%s: %s\n", pc->fixture, c.msg);
        assert_int_equal(rc, BB_OK);
        cJSON_Delete(params);
        assert_int_equal(bb_report_read(out, &now, &c), BB_OK);
        normalise_old(old);
        metric_values_only(old);
        metric_values_only(now);
        const char *const volatile_or_added[] = {"timing", "host", "harness", "config_sha256", "driver", NULL};
        bb_test_json_drop(old, volatile_or_added);
        bb_test_json_drop(now, volatile_or_added);
        const char *const psha[] = {"params_sha256", NULL};
        bb_test_json_drop(cJSON_GetObjectItem(old, "method"), psha);
        bb_test_json_drop(cJSON_GetObjectItem(now, "method"), psha);
        /* added since, each set to the old behaviour in the cases above */
        const char *const added_params[] = {
            "target_clip", "precision", "egnn_attention", "egnn_coord_range", "egnn_coord_sum", "egnn_edge_attr", NULL};
        bb_test_json_drop(cJSON_GetObjectItem(cJSON_GetObjectItem(now, "method"), "params"), added_params);
        char where[512] = "";
        int differ = bb_test_json_diff(old, now, where, sizeof where);
        if (differ) print_message("%s: differs at %s\n", pc->fixture, where);
        assert_false(differ);
        print_message("%s: identical to the pre-driver report\n", pc->fixture);
        cJSON_Delete(old);
        cJSON_Delete(now);
    }
}

BB_TEST_MAIN_NN(setup, teardown, cmocka_unit_test(reports_match_the_pre_driver_fixtures))
