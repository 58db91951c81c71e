/* method_run.h — one run of a registered method through the step-wise driver, for the
 * method tests (test_adjoint.c, test_pis.c): the task (a test type or a registered id), an
 * oracle with the budget, the driver's samples, method_info and result, freed by
 * bb_test_run_done. Include after cmocka.h. */
#ifndef BB_TESTS_METHOD_RUN_H
#define BB_TESTS_METHOD_RUN_H

#include <cjson/cJSON.h>
#include <string.h>

#include "harness/run/driver.h"
#include "methods/method.h"

typedef struct bb_test_run {
    bb_task *t;
    bb_oracle *o;
    bb_samples s;
    cJSON *info;
    bb_driver_result res;
    bb_ctx c;
} bb_test_run;

/* Run `method` on the task type tt (or, when tt is NULL, the registered task_id) with the
 * params JSON over the method's per-task defaults. state/resume: the driver's state file
 * and resume mode; kill_after > 0 saves the state every step and SIGKILLs after that step.
 * Returns the driver's code, or the method's own error (message in r->c). */
static inline int bb_test_run_method(bb_test_run *r, const char *method, const bb_task_type *tt, const char *task_id,
                                     const char *params_json, int64_t budget, size_t n, uint64_t seed, int threads,
                                     const char *state, int resume, int64_t kill_after) {
    memset(r, 0, sizeof *r);
    if (tt)
        assert_int_equal(bb_task_create_from_type(tt, NULL, &r->t, &r->c), BB_OK);
    else
        assert_int_equal(bb_task_create(task_id, NULL, &r->t, &r->c), BB_OK);
    assert_int_equal(bb_oracle_create(r->t, budget, &r->o, &r->c), BB_OK);
    const bb_method *m = bb_method_find(method);
    assert_non_null(m);
    cJSON *user = cJSON_Parse(params_json);
    assert_non_null(user);
    bb_params p;
    int rc = bb_method_resolve_params(m, r->t->type->name, NULL, user, &p, &r->c);
    cJSON_Delete(user);
    if (rc) return rc;
    r->info = cJSON_CreateObject();
    bb_driver_config cfg = {
        .method = m,
        .params = &p,
        .env = {.oracle = r->o, .seed = seed, .n_samples = n, .threads = threads},
        .config_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        .state_path = state,
        .resume = (bb_resume_mode)resume,
        .checkpoint_steps = kill_after > 0 ? 1 : 0,
        .checkpoint_seconds = 1e9,
        .kill_after_steps = kill_after,
    };
    rc = bb_driver_run(&cfg, &r->s, r->info, &r->res, &r->c);
    if (rc == BB_OK && r->res.method_rc) rc = BB_ERR(&r->c, r->res.method_rc, "%s", r->res.method_err);
    bb_params_free(&p);
    return rc;
}

static inline void bb_test_run_done(bb_test_run *r) {
    bb_samples_free(&r->s);
    cJSON_Delete(r->info);
    bb_driver_result_free(&r->res);
    bb_oracle_free(r->o);
    bb_task_free(r->t);
}

/* method_info.<k>, which must be a number. */
static inline double bb_test_run_info_num(const bb_test_run *r, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(r->info, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

#endif
