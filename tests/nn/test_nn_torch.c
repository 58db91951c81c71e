/* test_nn_torch.c — cross-check with PyTorch (optional, label `torch`): identical float64
 * weights exported to bench/bench_nn_torch.py give the same forward outputs and the same
 * gradients w.r.t. inputs, time and every weight, to 1e-5 relative, for an MLP and for
 * EGNN (vector and scalar heads). Skips cleanly, with the reason printed, when
 * /usr/bin/python3 or torch is missing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <cblas.h>

#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "methods/nn/nn.h"
#include "tests/nn/nntest.h"
#include "tests/testmain.h"

#define PYTHON "/usr/bin/python3"

static int have_torch(void) {
    if (access(PYTHON, X_OK) != 0) {
        printf("skip: %s not found\n", PYTHON);
        return 0;
    }
    if (system(PYTHON " -c 'import torch' > /dev/null 2>&1") != 0) {
        printf("skip: python3-torch is not installed (import torch failed)\n");
        return 0;
    }
    return 1;
}

static cJSON *darray(const double *v, int64_t n) {
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static void fill(bb_rng *r, double *v, int64_t n, double s) {
    for (int64_t i = 0; i < n; i++) v[i] = s * bb_rng_normal(r);
}

/* Largest |a - b| / (|b| + 1e-3 max|b|) over n values (relative with a floor). */
static double rel_diff(const double *a, const cJSON *b, int64_t n) {
    double mx = 0, worst = 0;
    const cJSON *it;
    int64_t k = 0;
    cJSON_ArrayForEach(it, b) mx = fmax(mx, fabs(it->valuedouble));
    cJSON_ArrayForEach(it, b) {
        if (k >= n) return INFINITY;
        worst = fmax(worst, fabs(a[k] - it->valuedouble) / (fabs(it->valuedouble) + 1e-3 * mx + 1e-300));
        k++;
    }
    return k == n ? worst : INFINITY;
}

typedef struct xcase {
    const char *model; /* "mlp" or "egnn" */
    bb_nn_egnn_config ecfg;
    int B;
} xcase;

/* phase 0: build the model, compute the C side, write the spec to din;
 * phase 1: (after python ran) compare with dout. State kept in `st`. */
typedef struct xstate {
    bb_nn_params ps;
    bb_nn_mlp mlp;
    bb_nn_egnn egnn;
    bb_nn_egnn_graph eg;
    bb_nn_graph *g;
    int64_t nx, ny;
    double *x, *gx, *yv, *proj, t[64], gt[64];
    char din[128], dout[128];
} xstate;

static void run_export(const xcase *xc, xstate *st, int idx) {
    bb_ctx c = {0};
    memset(st, 0, sizeof *st);
    bb_nn_params_init(&st->ps, BB_NN_F64);
    const int is_egnn = !strcmp(xc->model, "egnn"), B = xc->B;
    int sizes[4] = {3, 16, 16, 2};
    int64_t xs[2], ts[2] = {B, 1};
    if (is_egnn) {
        assert_int_equal(bb_nn_egnn_init(&st->egnn, &st->ps, "egnn", &xc->ecfg, &c), BB_OK);
        assert_int_equal(bb_nn_egnn_graph_init(&st->eg, B, xc->ecfg.n_particles, &c), BB_OK);
        xs[0] = B;
        xs[1] = xc->ecfg.n_particles * xc->ecfg.dim;
    } else {
        assert_int_equal(bb_nn_mlp_init(&st->mlp, &st->ps, "mlp", 4, sizes, BB_NN_ACT_SILU, &c), BB_OK);
        xs[0] = B;
        xs[1] = 3;
    }
    assert_int_equal(bb_nn_params_alloc(&st->ps, 2385, &c), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 99, 3);
    if (is_egnn) /* larger coordinate weights than the 0.001-gain init, so x-paths count */
        for (int k = 0; k < st->ps.n; k++)
            if (strstr(st->ps.info[k].name, "coord2")) {
                double *w = malloc(sizeof(double) * st->ps.info[k].n);
                fill(&r, w, (int64_t)st->ps.info[k].n, 0.3);
                bb_nn_params_set(&st->ps, k, w);
                free(w);
            }
    const int64_t nx = xs[0] * xs[1];
    double *x = st->x = malloc(sizeof(double) * (size_t)nx), *t = st->t;
    st->nx = nx;
    fill(&r, x, nx, 1.1);
    for (int b = 0; b < B; b++) t[b] = bb_rng_uniform(&r);
    /* C side */
    assert_int_equal(bb_nn_graph_init(&st->g, 0, &c), BB_OK);
    bb_nn_graph *g = st->g;
    bb_nn_tensor *xt = bb_nn_input(g, BB_NN_F64, 2, xs, x), *tt = bb_nn_input(g, BB_NN_F64, 2, ts, t);
    bb_nn_tensor *y = is_egnn ? bb_nn_egnn_fwd(g, &st->ps, &st->egnn, &st->eg, xt, xc->ecfg.t_dim ? tt : NULL)
                              : bb_nn_mlp_fwd(g, &st->ps, &st->mlp, xt);
    assert_non_null(y);
    double *proj = st->proj = malloc(sizeof(double) * (size_t)y->n);
    double *yv = st->yv = malloc(sizeof(double) * (size_t)y->n);
    st->ny = y->n;
    fill(&r, proj, y->n, 1.0);
    bb_nn_to_double(y, yv);
    bb_nn_tensor *s = bb_nn_sum(g, bb_nn_mul(g, y, bb_nn_from(g, BB_NN_F64, y->ndim, y->ne, proj)));
    bb_nn_tensor *in[2] = {xt, tt}, *gin[2];
    assert_int_equal(bb_nn_grad(g, s, NULL, 2, in, gin, 0), BB_OK);
    double *gx = st->gx = malloc(sizeof(double) * (size_t)nx);
    bb_nn_to_double(gin[0], gx);
    bb_nn_to_double(gin[1], st->gt);
    bb_nn_params_zero_grad(&st->ps);
    assert_int_equal(bb_nn_backward(g, s), BB_OK);
    /* export */
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "model", xc->model);
    cJSON *cfg = cJSON_AddObjectToObject(spec, "config");
    if (is_egnn) {
        cJSON_AddNumberToObject(cfg, "P", xc->ecfg.n_particles);
        cJSON_AddNumberToObject(cfg, "D", xc->ecfg.dim);
        cJSON_AddNumberToObject(cfg, "H", xc->ecfg.hidden);
        cJSON_AddNumberToObject(cfg, "L", xc->ecfg.n_layers);
        cJSON_AddNumberToObject(cfg, "T", xc->ecfg.t_dim);
        cJSON_AddNumberToObject(cfg, "normalize", xc->ecfg.normalize);
        cJSON_AddNumberToObject(cfg, "scalar", xc->ecfg.out == BB_NN_EGNN_SCALAR);
    } else {
        cJSON *sz = cJSON_AddArrayToObject(cfg, "sizes");
        for (int i = 0; i < 4; i++) cJSON_AddItemToArray(sz, cJSON_CreateNumber(sizes[i]));
    }
    cJSON *pj = cJSON_AddObjectToObject(spec, "params");
    for (int k = 0; k < st->ps.n; k++) {
        cJSON *o = cJSON_AddObjectToObject(pj, st->ps.info[k].name);
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < st->ps.info[k].ndim; d++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)st->ps.info[k].ne[d]));
        cJSON_AddItemToObject(o, "data",
                              darray((const double *)st->ps.data + st->ps.info[k].off, (int64_t)st->ps.info[k].n));
    }
    cJSON_AddItemToObject(spec, "x", darray(x, nx));
    cJSON_AddItemToObject(spec, "x_shape", darray((double[]){(double)xs[0], (double)xs[1]}, 2));
    cJSON_AddItemToObject(spec, "t", darray(t, B));
    cJSON_AddItemToObject(spec, "t_shape", darray((double[]){(double)B, 1}, 2));
    cJSON_AddItemToObject(spec, "proj", darray(proj, y->n));
    snprintf(st->din, sizeof st->din, "/tmp/bb_nn_xcheck_in.%d.%d.json", (int)getpid(), idx);
    snprintf(st->dout, sizeof st->dout, "/tmp/bb_nn_xcheck_out.%d.%d.json", (int)getpid(), idx);
    assert_int_equal(bb_json_write_file(st->din, spec, &c), BB_OK);
    cJSON_Delete(spec);
}

static int run_compare(const xcase *xc, xstate *st) {
    bb_ctx c = {0};
    const int is_egnn = !strcmp(xc->model, "egnn"), B = xc->B;
    bb_nn_params *ps = &st->ps;
    const int64_t nx = st->nx;
    unlink(st->din);
    const char *dout = st->dout;
    cJSON *res = NULL;
    assert_int_equal(bb_json_read_file(dout, 1 << 26, &res, &c), BB_OK);
    unlink(dout);
    double dy = rel_diff(st->yv, cJSON_GetObjectItem(res, "y"), st->ny);
    double dgx = rel_diff(st->gx, cJSON_GetObjectItem(res, "gx"), nx);
    double dgt = is_egnn && xc->ecfg.t_dim ? rel_diff(st->gt, cJSON_GetObjectItem(res, "gt"), B) : 0.0;
    double dgp = 0;
    cJSON *gp = cJSON_GetObjectItem(res, "gparams");
    for (int k = 0; k < ps->n; k++) {
        cJSON *a = cJSON_GetObjectItem(gp, ps->info[k].name);
        double d = a ? rel_diff((const double *)ps->grad + ps->info[k].off, a, (int64_t)ps->info[k].n) : INFINITY;
        dgp = fmax(dgp, d);
    }
    int ok = dy < 1e-5 && dgx < 1e-5 && dgt < 1e-5 && dgp < 1e-5;
    char name[96];
    snprintf(name, sizeof name, "%s%s", xc->model, is_egnn ? (xc->ecfg.out ? " scalar" : " vector") : "");
    printf("%s torch cross-check %-12s max rel diff: y %.2g, d/dx %.2g, d/dt %.2g, d/dW %.2g (tol 1e-5)\n",
           ok ? "PASS" : "FAIL", name, dy, dgx, dgt, dgp);
    cJSON_Delete(res);
    free(st->x);
    free(st->gx);
    free(st->proj);
    free(st->yv);
    bb_nn_graph_free(st->g);
    bb_nn_egnn_graph_free(&st->eg);
    bb_nn_params_free(ps);
    return ok;
}

BB_TEST(test_mlp_and_egnn_match_pytorch_outputs_and_gradients) {
    if (!have_torch()) {
        skip();
        return;
    }
    xcase cases[3] = {
        {.model = "mlp", .B = 7},
        {.model = "egnn", .B = 3, .ecfg = bb_test_egnn_cfg(5, 3, 16, 2, 8, 1, BB_NN_EGNN_VECTOR)},
        {.model = "egnn", .B = 2, .ecfg = bb_test_egnn_cfg(4, 2, 12, 3, 8, 0, BB_NN_EGNN_SCALAR)},
    };
    xstate st[3];
    char cmd[2048];
    int k = snprintf(cmd, sizeof cmd, PYTHON " '%s/bench/bench_nn_torch.py' crosscheck", BB_SOURCE_DIR);
    for (int i = 0; i < 3; i++) {
        run_export(&cases[i], &st[i], i);
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " --in '%s' --out '%s'", st[i].din, st[i].dout);
    }
    assert_true(k < (int)sizeof cmd);
    assert_int_equal(system(cmd), 0); /* one torch import for all cases */
    int ok = 1;
    for (int i = 0; i < 3; i++) ok &= run_compare(&cases[i], &st[i]);
    assert_true(ok);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(test_mlp_and_egnn_match_pytorch_outputs_and_gradients))
