/* test_driver_curve.c — the training curve of a long run (harness/run/driver.c): at most
 * BB_DRIVER_CURVE_MAX points, every stride-th of the loss-reporting steps with the stride the
 * smallest power of two that fits, the same points whether the run went through at once or
 * was interrupted and resumed; and the stride function at its edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/driver.h"
#include "tests/testutil.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

static char path[300];
BB_TEST_TMPDIR_GROUP(dir, "bb_driver_curve", snprintf(path, sizeof path, "%s/run.state", dir))

/* A toy method of N steps: step i reports loss i, except every third step (i % 3 == 2),
 * which reports only a status, so the curve's steps are not contiguous. At step STOP_AT it
 * raises the interrupt flag (when armed). */
#define N_STEPS 9000
static volatile sig_atomic_t interrupted;
static int64_t stop_at = -1;
typedef struct {
    int64_t i;
} toy;
static int toy_init(const bb_method_env *env, const bb_params *p, void **state, bb_ctx *ctx) {
    (void)env, (void)p;
    *state = calloc(1, sizeof(toy));
    return *state ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "toy");
}
static int toy_step(void *state, bb_step_info *info, bb_ctx *ctx) {
    (void)ctx;
    toy *t = state;
    if (t->i >= N_STEPS) {
        info->stop = BB_STOP_BUDGET;
        return BB_OK;
    }
    if (t->i % 3 != 2) {
        info->has_loss = 1;
        info->loss = (double)t->i;
    } else
        snprintf(info->status, sizeof info->status, "no loss");
    if (t->i == stop_at) interrupted = 1;
    t->i++;
    return BB_OK;
}
static int toy_draw(void *state, bb_samples *out, bb_ctx *ctx) {
    (void)state;
    return bb_samples_alloc(out, 1, 3, 0) ? BB_ERR(ctx, BB_ENOMEM, "toy") : BB_OK;
}
static int toy_save(const void *state, FILE *fp, bb_ctx *ctx) {
    return fwrite(state, sizeof(toy), 1, fp) == 1 ? BB_OK : BB_ERR(ctx, BB_EIO, "toy: write");
}
static int toy_load(void *state, FILE *fp, bb_ctx *ctx) {
    return fread(state, sizeof(toy), 1, fp) == 1 ? BB_OK : BB_ERR(ctx, BB_EFORMAT, "toy: short");
}
static const bb_param_spec no_params[] = {{NULL, 0, NULL, 0, 0, NULL}};
static const bb_method toy_method = {.name = "curvetoy",
                                     .version = 1,
                                     .params = no_params,
                                     .init = toy_init,
                                     .step = toy_step,
                                     .draw = toy_draw,
                                     .save = toy_save,
                                     .load = toy_load,
                                     .free = free};

/* One run of the toy (resume: continue from the state file); its curve's losses into loss[]. */
static size_t run_toy(bb_resume_mode resume, int64_t interrupt_at, double *loss, bb_driver_result *res) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    bb_oracle *o = NULL;
    assert_int_equal(bb_task_create_from_type(&bb_test_gauss, NULL, &t, &c), BB_OK);
    assert_int_equal(bb_oracle_create(t, 10, &o, &c), BB_OK);
    bb_params p;
    assert_int_equal(bb_method_resolve_params(&toy_method, NULL, NULL, NULL, &p, &c), BB_OK);
    interrupted = 0;
    stop_at = interrupt_at;
    bb_driver_config cfg = {.method = &toy_method,
                            .params = &p,
                            .env = {.oracle = o, .seed = 1, .n_samples = 1, .threads = 1},
                            .config_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                            .state_path = path,
                            .resume = resume,
                            .checkpoint_seconds = 1e9,
                            .interrupt = &interrupted};
    bb_samples s = {0};
    cJSON *info = cJSON_CreateObject();
    memset(res, 0, sizeof *res);
    assert_int_equal(bb_driver_run(&cfg, &s, info, res, &c), BB_OK);
    const cJSON *l = cJSON_GetObjectItem(res->curve, "loss"), *st = cJSON_GetObjectItem(res->curve, "step");
    const size_t n = (size_t)cJSON_GetArraySize(l);
    assert_int_equal(cJSON_GetArraySize(st), (int)n);
    assert_int_equal(cJSON_GetArraySize(res->curve_wall), (int)n);
    for (size_t i = 0; i < n; i++) loss[i] = cJSON_GetArrayItem(l, (int)i)->valuedouble;
    cJSON_Delete(info);
    bb_samples_free(&s);
    bb_params_free(&p);
    bb_oracle_free(o);
    bb_task_free(t);
    return n;
}

BB_TEST(stride_is_the_smallest_power_of_two_that_fits) {
    assert_int_equal(bb_driver_curve_stride(0), 1);
    assert_int_equal(bb_driver_curve_stride(BB_DRIVER_CURVE_MAX), 1);
    assert_int_equal(bb_driver_curve_stride(BB_DRIVER_CURVE_MAX + 1), 2);
    assert_int_equal(bb_driver_curve_stride(2 * BB_DRIVER_CURVE_MAX), 2);
    assert_int_equal(bb_driver_curve_stride(2 * BB_DRIVER_CURVE_MAX + 1), 4);
    assert_int_equal(bb_driver_curve_stride((int64_t)1 << 40), ((int64_t)1 << 40) / BB_DRIVER_CURVE_MAX);
}

/* 9000 steps, 6000 of them with a loss: stride 4, 1500 points, the j-th the loss of the
 * (4j)-th loss-reporting step (step index 4j + ⌊4j/2⌋, as every third step has none). */
BB_TEST(a_long_curve_keeps_every_stride_th_point_also_across_a_resume) {
    const int64_t n_loss = 2 * N_STEPS / 3, s = bb_driver_curve_stride(n_loss);
    assert_int_equal(s, 4);
    static double a[BB_DRIVER_CURVE_MAX + 1], b[BB_DRIVER_CURVE_MAX + 1];
    bb_driver_result ra, rb;
    const size_t na = run_toy(BB_RESUME_NO, -1, a, &ra);
    assert_int_equal(ra.stopped_by, BB_STOP_BUDGET);
    assert_int_equal(na, (size_t)((n_loss + s - 1) / s));
    for (size_t j = 0; j < na; j++) {
        const int64_t k = (int64_t)j * s; /* the k-th loss-reporting step is step k + k/2 */
        assert_true(a[j] == (double)(k + k / 2));
    }
    bb_driver_result_free(&ra);
    /* interrupted after 7001 steps (4668 losses, already thinned to stride 4: 1167 points in
     * the state, with the count of losses seen), then resumed to the end: the same points */
    size_t nb = run_toy(BB_RESUME_NO, 7000, b, &rb);
    assert_int_equal(rb.stopped_by, BB_STOP_INTERRUPTED);
    assert_int_equal(nb, 1167);
    bb_driver_result_free(&rb);
    nb = run_toy(BB_RESUME_REQUIRED, -1, b, &rb);
    assert_int_equal(rb.stopped_by, BB_STOP_BUDGET);
    assert_int_equal(rb.resumed, 1);
    assert_int_equal(nb, na);
    assert_memory_equal(a, b, na * sizeof(double));
    bb_driver_result_free(&rb);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(stride_is_the_smallest_power_of_two_that_fits),
             cmocka_unit_test(a_long_curve_keeps_every_stride_th_point_also_across_a_resume))
