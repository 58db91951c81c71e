/* quick_params.h — the small per-run method settings of the quick suite
 * (harness/suites/quick.json) for tests that run a method on a task.
 *
 * Method defaults are the paper's settings and spend the whole budget (hours for the
 * neural samplers); what keeps runs short lives in the quick suite as per-run "params".
 * Tests take them from there instead of restating them, so a new method's quick
 * settings are written once. Header-only for the test binaries.
 */
#ifndef BB_TEST_QUICK_PARAMS_H
#define BB_TEST_QUICK_PARAMS_H

#include <cjson/cJSON.h>
#include <string.h>

#include "harness/run/suite.h"

/* A copy of the quick suite's params for (task, method) — the first run that matches —
 * or an empty object when the suite sets none. NULL (with ctx set) when the suite cannot
 * be read. Free with cJSON_Delete. */
static inline cJSON *bb_test_quick_params(const char *task, const char *method, bb_ctx *ctx) {
    char path[4096];
    bb_suite s;
    if (bb_suite_locate("quick", path, sizeof path, ctx) || bb_suite_load(path, ".", &s, ctx)) return NULL;
    cJSON *out = NULL;
    for (size_t i = 0; i < s.n_runs && !out; i++)
        if (!strcmp(s.runs[i].task, task) && !strcmp(s.runs[i].method, method))
            out = s.runs[i].params ? cJSON_Duplicate(s.runs[i].params, 1) : cJSON_CreateObject();
    bb_suite_free(&s);
    return out ? out : cJSON_CreateObject();
}

#endif
