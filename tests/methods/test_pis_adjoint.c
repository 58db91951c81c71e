/* test_pis_adjoint.c — PIS's stochastic-adjoint gradient (methods/pis/train.c) against
 * backpropagation through the Euler–Maruyama path, on the 3-D Gaussian test-gauss3 (U in
 * closed form, tests/testutil.h), with a network whose parameters are perturbed away from
 * the zero-initialised output layer so that u(t, x) and ∂u/∂x are not trivial:
 *   - agreement to O(dt): both routes see the same Brownian path (the same stream; the
 *     adjoint regenerates it backward), and the relative difference of the two parameter
 *     gradients, ‖g_adj − g_bp‖ / ‖g_bp‖, falls like dt as n_steps doubles from 10 to 160
 *     (PIS-Grad: 40 to 640; its −NN₂(t)∇U term with ∇U = 4x in the stiff direction is
 *     pre-asymptotic below ~40 steps: 0.85, 0.88, 0.54 at 10, 20, 40 steps):
 *     the least-squares slope of log difference on log n_steps must be below −0.75
 *     (O(dt) gives −1, an O(√dt) error −0.5), for the gradient-free and the PIS-Grad
 *     control; the losses agree to rounding (the same forward path, the running cost summed
 *     in another order);
 *   - cost: the adjoint spends exactly B · 2 n_steps evaluations per PIS-Grad iteration
 *     (B · (n_steps + 1) forward and terminal, B · (n_steps − 1) at the reconstructed
 *     states) and B for the gradient-free control, as pis_iteration_cost says;
 *   - memory: the adjoint's peak arena bytes do not grow with n_steps (one step's tape),
 *     backprop's grow in proportion; printed for the README.
 * With the argument "paper" it also prints the peak bytes at the authors' batch 300 and
 * width 64 on a 2-D task (README's long-horizon numbers; about 1.3 GB for backprop at
 * 1000 steps, so not part of the default run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"
#include "methods/method.h"
#include "methods/pis/pis.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

static int g_paper = 0;

/* 2-D standard Gaussian (the memory measurement needs only the dimension). */
static double gauss2_u(const double *x, double *g) {
    if (g) g[0] = x[0], g[1] = x[1];
    return 0.5 * (x[0] * x[0] + x[1] * x[1]);
}
BB_TEST_TASK_TYPE(gauss2, gauss2_u, "test-gauss2", "2-D standard Gaussian (test)", 2, 1.0)

typedef struct pis_run {
    bb_task *t;
    bb_oracle *o;
    pis_state *a;
    bb_ctx c;
} pis_run;

/* A PIS state on task tt with the given JSON overrides; parameters perturbed by perturb
 * N(0, 1) (the same draw for every state of the same seed and shapes). */
static void make(pis_run *r, const bb_task_type *tt, const char *json, double perturb) {
    memset(r, 0, sizeof *r);
    assert_int_equal(bb_task_create_from_type(tt, NULL, &r->t, &r->c), BB_OK);
    assert_int_equal(bb_oracle_create(r->t, (int64_t)1 << 40, &r->o, &r->c), BB_OK);
    const bb_method *m = bb_method_find("pis");
    cJSON *user = cJSON_Parse(json);
    assert_non_null(user);
    bb_params p;
    assert_int_equal(bb_method_resolve_params(m, tt->name, NULL, user, &p, &r->c), BB_OK);
    cJSON_Delete(user);
    bb_method_env env = {.oracle = r->o, .seed = 5, .n_samples = 10, .threads = 1};
    void *st = NULL;
    int rc = m->init(&env, &p, &st, &r->c);
    if (rc) print_message("init: %s\n", r->c.msg);
    assert_int_equal(rc, BB_OK);
    bb_params_free(&p);
    r->a = st;
    bb_rng rng;
    bb_rng_init(&rng, 99, 1);
    double *v = malloc(r->a->ps.total * sizeof *v);
    for (int k = 0; k < r->a->ps.n; k++) {
        bb_nn_params_get(&r->a->ps, k, v);
        for (size_t i = 0; i < r->a->ps.info[k].n; i++) v[i] += perturb * bb_rng_normal(&rng);
        bb_nn_params_set(&r->a->ps, k, v);
    }
    free(v);
}

static void drop(pis_run *r) {
    bb_method_find("pis")->free(r->a);
    bb_oracle_free(r->o);
    bb_task_free(r->t);
}

/* The parameter gradient of iteration 0 by one route into g[ps.total]; returns the loss. */
static double gradient(const char *control, const char *route, int n_steps, double *g, size_t *n) {
    char json[256];
    snprintf(json, sizeof json,
             "{\"control\": \"%s\", \"gradient\": \"%s\", \"n_steps\": %d, \"batch_size\": 64, \"channels\": 16}",
             control, route, n_steps);
    pis_run r;
    make(&r, &bb_test_gauss, json, 0.15);
    bb_nn_params_zero_grad(&r.a->ps);
    double loss;
    int rc = pis_train_grad(r.a, 0, &loss, &r.c);
    if (rc) print_message("train_grad: %s\n", r.c.msg);
    assert_int_equal(rc, BB_OK);
    *n = r.a->ps.total;
    memcpy(g, r.a->ps.grad, *n * sizeof *g);
    drop(&r);
    return loss;
}

static void agrees_to_order_dt(const char *control, int n0) {
    enum { K = 5 };
    const int steps[K] = {n0, 2 * n0, 4 * n0, 8 * n0, 16 * n0};
    double lx[K], ly[K];
    for (int j = 0; j < K; j++) {
        static double gb[1 << 16], ga[1 << 16];
        size_t n;
        double lb = gradient(control, "backprop", steps[j], gb, &n),
               la = gradient(control, "adjoint", steps[j], ga, &n);
        assert_true(n < (1 << 16));
        double d = 0.0, b = 0.0;
        for (size_t i = 0; i < n; i++) d += (ga[i] - gb[i]) * (ga[i] - gb[i]), b += gb[i] * gb[i];
        lx[j] = log((double)steps[j]), ly[j] = log(sqrt(d / b));
        print_message("%s n_steps %3d: |g_adj - g_bp| / |g_bp| = %.4g (|g_bp| %.4g), loss %.10g / %.10g\n", control,
                      steps[j], sqrt(d / b), sqrt(b), lb, la);
        assert_true(fabs(lb - la) <= 1e-12 * fabs(lb)); /* the same path; sums in another order */
    }
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int j = 0; j < K; j++) mx += lx[j] / K, my += ly[j] / K;
    for (int j = 0; j < K; j++) sxy += (lx[j] - mx) * (ly[j] - my), sxx += (lx[j] - mx) * (lx[j] - mx);
    print_message("%s: slope of log difference on log n_steps %.3f (O(dt): -1; pass: < -0.75)\n", control, sxy / sxx);
    assert_true(sxy / sxx < -0.75);
}

BB_TEST(adjoint_gradient_agrees_with_backprop_to_order_dt_nn) { agrees_to_order_dt("nn", 10); }
BB_TEST(adjoint_gradient_agrees_with_backprop_to_order_dt_grad) { agrees_to_order_dt("grad", 40); }

BB_TEST(adjoint_pays_two_n_steps_gradients_per_grad_path) {
    const char *ctl[2] = {"grad", "nn"};
    for (int k = 0; k < 2; k++) {
        char json[192];
        snprintf(json, sizeof json,
                 "{\"control\": \"%s\", \"gradient\": \"adjoint\", \"n_steps\": 7, \"batch_size\": 5, \"channels\": 8}",
                 ctl[k]);
        pis_run r;
        make(&r, &bb_test_gauss, json, 0.0);
        const int64_t before = bb_oracle_used(r.o);
        double loss;
        assert_int_equal(pis_train_grad(r.a, 0, &loss, &r.c), BB_OK);
        const int64_t want = k == 0 ? 5 * 2 * 7 : 5;
        assert_int_equal(bb_oracle_used(r.o) - before, want);
        assert_int_equal(pis_iteration_cost(r.a), want);
        assert_int_equal(r.a->evals_training, want);
        drop(&r);
    }
}

/* Peak arena bytes of one training gradient. */
static size_t peak(const bb_task_type *tt, const char *route, int n_steps, int batch, int channels) {
    char json[256];
    snprintf(json, sizeof json,
             "{\"control\": \"nn\", \"gradient\": \"%s\", \"n_steps\": %d, \"batch_size\": %d, \"channels\": %d}",
             route, n_steps, batch, channels);
    pis_run r;
    make(&r, tt, json, 0.0);
    double loss;
    assert_int_equal(pis_train_grad(r.a, 0, &loss, &r.c), BB_OK);
    size_t b = bb_nn_graph_bytes_peak(r.a->g);
    drop(&r);
    return b;
}

BB_TEST(adjoint_memory_does_not_grow_with_n_steps) {
    size_t bp[3], ad[3];
    const int steps[3] = {25, 100, 400};
    for (int j = 0; j < 3; j++) {
        bp[j] = peak(&gauss2, "backprop", steps[j], 20, 64), ad[j] = peak(&gauss2, "adjoint", steps[j], 20, 64);
        print_message("batch 20, width 64, %3d steps: peak arena backprop %zu B, adjoint %zu B\n", steps[j], bp[j],
                      ad[j]);
    }
    assert_true(ad[2] == ad[0]);     /* one step's tape, whatever the horizon */
    assert_true(bp[2] > 10 * bp[0]); /* the whole path: 16 x the steps */
    assert_true(bp[1] > 20 * ad[1]); /* at 100 steps already far above one step */
    if (!g_paper) return;
    const int big[3] = {100, 1000, 1000};
    const char *route[3] = {"backprop", "backprop", "adjoint"};
    for (int j = 0; j < 3; j++)
        print_message("batch 300, width 64, %4d steps, %s: peak arena %.1f MB\n", big[j], route[j],
                      peak(&gauss2, route[j], big[j], 300, 64) / 1e6);
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "paper")) g_paper = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adjoint_gradient_agrees_with_backprop_to_order_dt_nn),
        cmocka_unit_test(adjoint_gradient_agrees_with_backprop_to_order_dt_grad),
        cmocka_unit_test(adjoint_pays_two_n_steps_gradients_per_grad_path),
        cmocka_unit_test(adjoint_memory_does_not_grow_with_n_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
