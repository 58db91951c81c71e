/* test_oracle.c — the oracle counts every configuration, never exceeds its budget by even one
 * evaluation (also under concurrent callers), flags NaN/+inf, and fires checkpoints once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "harness/oracle/oracle.h"
#include "tests/testutil.h"
#include "tests/testmain.h"

/* A fresh task of type tt with an oracle of `budget` evaluations on it. */
typedef struct {
    bb_task *t;
    bb_oracle *o;
} fx;

static fx fx_make(const bb_task_type *tt, int64_t budget) {
    fx f = {bb_test_task_of(tt), NULL};
    bb_ctx c = {0};
    assert_int_equal(bb_oracle_create(f.t, budget, &f.o, &c), BB_OK);
    return f;
}

static void fx_free(fx *f) {
    bb_oracle_free(f->o);
    bb_task_free(f->t);
}

BB_TEST(budget_is_never_exceeded_by_one_evaluation) {
    fx f = fx_make(&bb_test_gauss, 1000);
    bb_ctx c = {0};
    double x[7 * 3], u[7], g[7 * 3];
    for (int i = 0; i < 21; i++) x[i] = 0.1 * i;
    int calls = 0, rc;
    while ((rc = bb_oracle_eval(f.o, 7, x, u, (calls % 2) ? g : NULL, &c)) == BB_OK) calls++;
    assert_int_equal(rc, BB_EBUDGET);
    assert_int_equal(calls, 142); /* 142 × 7 = 994 ≤ 1000 < 1001 */
    assert_int_equal(bb_oracle_used(f.o), 994);
    assert_int_equal(bb_oracle_used_with_grad(f.o), 71 * 7);
    assert_int_equal(bb_oracle_used_energy_only(f.o), 71 * 7);
    assert_int_equal(bb_oracle_remaining(f.o), 6);
    /* the refused call counted nothing; the remainder can still be spent exactly */
    assert_int_equal(bb_oracle_eval(f.o, 6, x, u, NULL, &c), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 1000);
    assert_int_equal(bb_oracle_eval(f.o, 1, x, u, NULL, &c), BB_EBUDGET);
    assert_non_null(strstr(c.msg, "budget"));
    assert_int_equal(bb_oracle_used(f.o), 1000);
    fx_free(&f);
}

BB_TEST(concurrent_callers_cannot_overspend) {
    fx f = fx_make(&bb_test_gauss, 100003);
    long ok_evals = 0;
#pragma omp parallel num_threads(2) reduction(+ : ok_evals)
    {
        double x[3 * 3] = {0}, u[3];
        bb_ctx lc = {0};
        while (bb_oracle_eval(f.o, 3, x, u, NULL, &lc) == BB_OK) ok_evals += 3;
    }
    assert_int_equal(bb_oracle_used(f.o), ok_evals);
    assert_true(bb_oracle_used(f.o) <= 100003);
    assert_true(bb_oracle_used(f.o) >= 100001);
    fx_free(&f);
}

BB_TEST(values_match_direct_evaluation_on_any_thread_count) {
    fx f = fx_make(&bb_test_gauss, 1000);
    bb_ctx c = {0};
    enum { N = 101 };
    double x[N * 3], u1[N], u2[N], g1[N * 3], g2[N * 3], ud[N];
    bb_rng r;
    bb_rng_init(&r, 5, 0);
    bb_rng_normal_fill(&r, N * 3, x);
    bb_oracle_set_threads(f.o, 1);
    assert_int_equal(bb_oracle_eval(f.o, N, x, u1, g1, &c), BB_OK);
    bb_oracle_set_threads(f.o, 2);
    assert_int_equal(bb_oracle_eval(f.o, N, x, u2, g2, &c), BB_OK);
    assert_int_equal(bb_task_energy(f.t, N, x, ud, NULL, &c), BB_OK);
    assert_memory_equal(u1, u2, sizeof u1);
    assert_memory_equal(g1, g2, sizeof g1);
    assert_memory_equal(u1, ud, sizeof u1);
    fx_free(&f);
}

BB_TEST(nan_energy_is_an_error_and_nan_input_names_the_configuration) {
    fx f = fx_make(&bb_test_nan, 100);
    bb_ctx c = {0};
    double x[4] = {0.5, 1.0, 4.0, 0.0}, u[4];
    assert_int_equal(bb_oracle_eval(f.o, 4, x, u, NULL, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "configuration 2"));
    assert_int_equal(bb_oracle_used(f.o), 4); /* evaluated, so counted */
    x[2] = NAN;
    assert_int_equal(bb_oracle_eval(f.o, 4, x, u, NULL, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "configuration 2"));
    fx_free(&f);
}

static int inf_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        u[i] = x[i] < 0 ? INFINITY : x[i];
        if (g) g[i] = 1.0;
    }
    return BB_OK;
}

BB_TEST(infinite_energy_counts_as_rejected_with_zero_gradient) {
    bb_task_type tt = bb_test_nan;
    tt.energy = inf_energy;
    fx f = fx_make(&tt, 100);
    bb_ctx c = {0};
    double x[3] = {-1, 2, -3}, u[3], g[3];
    assert_int_equal(bb_oracle_eval(f.o, 3, x, u, g, &c), BB_OK);
    assert_int_equal(bb_oracle_rejected(f.o), 2);
    assert_true(isinf(u[0]) && g[0] == 0.0 && g[1] == 1.0);
    fx_free(&f);
}

typedef struct {
    int calls;
    double fr[8];
    int64_t ev[8];
    size_t n[8];
} ck_log;
static int on_ck(void *user, double f, int64_t evals, const bb_samples *s, bb_ctx *ctx) {
    (void)ctx;
    ck_log *l = user;
    l->fr[l->calls] = f;
    l->ev[l->calls] = evals;
    l->n[l->calls] = s->n;
    l->calls++;
    return BB_OK;
}

BB_TEST(checkpoints_fire_once_when_their_fraction_is_crossed) {
    fx f = fx_make(&bb_test_gauss, 1000);
    bb_ctx c = {0};
    const double fr[4] = {1e-3, 1e-2, 1e-1, 1};
    ck_log l = {0};
    assert_int_equal(bb_oracle_set_checkpoints(f.o, fr, 4, on_ck, &l, &c), BB_OK);
    double bad[2] = {0.5, 0.5};
    assert_int_equal(bb_oracle_set_checkpoints(f.o, bad, 2, on_ck, &l, &c), BB_EINVAL);
    assert_int_equal(bb_oracle_set_checkpoints(f.o, fr, 4, on_ck, &l, &c), BB_OK);
    double x[50 * 3] = {0}, u[50];
    bb_samples s = {.n = 5, .dof = 3, .x = x};
    assert_false(bb_oracle_checkpoint_due(f.o));
    assert_int_equal(bb_oracle_eval(f.o, 50, x, u, NULL, &c), BB_OK); /* crosses 1 and 10 */
    assert_true(bb_oracle_checkpoint_due(f.o));
    assert_int_equal(bb_oracle_checkpoint(f.o, &s, &c), BB_OK);
    assert_int_equal(l.calls, 2);
    assert_false(bb_oracle_checkpoint_due(f.o));
    assert_int_equal(bb_oracle_checkpoint(f.o, &s, &c), BB_OK);
    assert_int_equal(l.calls, 2);
    assert_int_equal(bb_oracle_checkpoint_final(f.o, &s, &c), BB_OK);
    assert_int_equal(l.calls, 4);
    assert_true(l.fr[3] == 1.0 && l.ev[3] == 50 && l.n[3] == 5);
    fx_free(&f);
}

BB_TEST(set_counts_restores_the_counts_and_served_checkpoints) {
    fx f = fx_make(&bb_test_gauss, 1000);
    bb_ctx c = {0};
    const double fr[3] = {1e-2, 0.5, 1};
    ck_log l = {0};
    assert_int_equal(bb_oracle_set_checkpoints(f.o, fr, 3, on_ck, &l, &c), BB_OK);
    bb_oracle_counts bad1 = {.used = 1001}, bad2 = {.used = 10, .with_grad = 11}, bad3 = {.used = 900, .reserved = 101};
    bb_oracle_counts bad4 = {.used = 10, .checkpoints_served = 4};
    assert_int_equal(bb_oracle_set_counts(f.o, &bad1, &c), BB_EINVAL);
    assert_int_equal(bb_oracle_set_counts(f.o, &bad2, &c), BB_EINVAL);
    assert_int_equal(bb_oracle_set_counts(f.o, &bad3, &c), BB_EINVAL);
    assert_int_equal(bb_oracle_set_counts(f.o, &bad4, &c), BB_EINVAL);
    bb_oracle_counts ok = {.used = 600, .with_grad = 400, .rejected = 3, .reserved = 100, .checkpoints_served = 2};
    assert_int_equal(bb_oracle_set_counts(f.o, &ok, &c), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 600);
    assert_int_equal(bb_oracle_used_with_grad(f.o), 400);
    assert_int_equal(bb_oracle_rejected(f.o), 3);
    assert_int_equal(bb_oracle_remaining(f.o), 300);
    bb_oracle_counts back;
    bb_oracle_get_counts(f.o, &back);
    assert_memory_equal(&back, &ok, sizeof ok);
    assert_false(bb_oracle_checkpoint_due(f.o)); /* 1e-2 and 0.5 were served before the restart */
    double x[3] = {0}, u[1];
    bb_samples s = {.n = 1, .dof = 3, .x = x};
    assert_int_equal(bb_oracle_checkpoint_final(f.o, &s, &c), BB_OK);
    assert_int_equal(l.calls, 1);
    assert_true(l.fr[0] == 1.0);
    assert_int_equal(bb_oracle_eval(f.o, 1, x, u, NULL, &c), BB_OK);
    assert_int_equal(bb_oracle_set_counts(f.o, &ok, &c), BB_EINVAL); /* only before any evaluation */
    fx_free(&f);
}

BB_TEST(reserved_evaluations_are_refused_until_released) {
    fx f = fx_make(&bb_test_gauss, 10);
    bb_ctx c = {0};
    assert_int_equal(bb_oracle_reserve(f.o, 11, &c), BB_EINVAL);
    assert_int_equal(bb_oracle_reserve(f.o, 4, &c), BB_OK);
    assert_int_equal(bb_oracle_remaining(f.o), 6);
    double x[3 * 10] = {0}, u[10];
    assert_int_equal(bb_oracle_eval(f.o, 7, x, u, NULL, &c), BB_EBUDGET);
    assert_int_equal(bb_oracle_used(f.o), 0);
    assert_int_equal(bb_oracle_eval(f.o, 6, x, u, NULL, &c), BB_OK);
    assert_int_equal(bb_oracle_eval(f.o, 1, x, u, NULL, &c), BB_EBUDGET);
    bb_oracle_release(f.o);
    assert_int_equal(bb_oracle_remaining(f.o), 4);
    assert_int_equal(bb_oracle_eval(f.o, 4, x, u, NULL, &c), BB_OK);
    assert_int_equal(bb_oracle_used(f.o), 10);
    fx_free(&f);
}

BB_TEST(non_positive_budget_is_refused) {
    bb_ctx c = {0};
    bb_oracle *o = (bb_oracle *)1;
    assert_int_equal(bb_oracle_create(NULL, 0, &o, &c), BB_EINVAL);
    assert_null(o);
    assert_non_null(strstr(c.msg, "budget"));
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(budget_is_never_exceeded_by_one_evaluation),
             cmocka_unit_test(concurrent_callers_cannot_overspend),
             cmocka_unit_test(values_match_direct_evaluation_on_any_thread_count),
             cmocka_unit_test(nan_energy_is_an_error_and_nan_input_names_the_configuration),
             cmocka_unit_test(infinite_energy_counts_as_rejected_with_zero_gradient),
             cmocka_unit_test(checkpoints_fire_once_when_their_fraction_is_crossed),
             cmocka_unit_test(set_counts_restores_the_counts_and_served_checkpoints),
             cmocka_unit_test(reserved_evaluations_are_refused_until_released),
             cmocka_unit_test(non_positive_budget_is_refused))
