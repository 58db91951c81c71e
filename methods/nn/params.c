/* params.c — parameter groups: layers declare named tensors with an init rule, then one
 * allocation holds all values and one all gradients (llm.c malloc_and_point_parameters);
 * graph leaves point straight into that storage.
 *
 * Initialisation is seeded: parameter k draws from Philox stream 0x6000_0000 + k of
 * the seed (harness/core/rng.h), so adding a layer at the end does not change the others.
 * Not here: optimizer state (optim.c), files (checkpoint.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"
#include "methods/nn/nn_internal.h"

#define NN_PARAM_STREAM 0x60000000ull

void bb_nn_params_init(bb_nn_params *ps, bb_nn_dtype dt) {
    memset(ps, 0, sizeof *ps);
    ps->dtype = dt;
}

int bb_nn_params_add(bb_nn_params *ps, const char *name, int ndim, const int64_t *shape, bb_nn_init init, double a,
                     bb_ctx *ctx) {
    if (ps->allocated) return BB_ERR(ctx, BB_EINVAL, "nn params %s: declared after allocation", name);
    if (ndim < 1 || ndim > BB_NN_MAX_DIMS || strlen(name) >= sizeof ps->info[0].name)
        return BB_ERR(ctx, BB_EINVAL, "nn params %s: bad rank or name too long", name);
    if (bb_nn_params_find(ps, name) >= 0) return BB_ERR(ctx, BB_EINVAL, "nn params %s: declared twice", name);
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 32;
        bb_nn_param_info *ni = realloc(ps->info, sizeof *ni * (size_t)cap);
        if (!ni) return BB_ERR(ctx, BB_ENOMEM, "nn params %s: out of memory", name);
        ps->info = ni;
        ps->cap = cap;
    }
    bb_nn_param_info *p = &ps->info[ps->n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    size_t n = 1;
    for (int i = 0; i < BB_NN_MAX_DIMS; i++) {
        p->ne[i] = i < ndim ? shape[i] : 1;
        if (p->ne[i] < 1) return BB_ERR(ctx, BB_EINVAL, "nn params %s: extent %lld", name, (long long)p->ne[i]);
        n *= (size_t)p->ne[i];
    }
    p->n = n;
    p->off = ps->total;
    p->init = init;
    p->a = a;
    ps->total += n;
    return ps->n++;
}

int bb_nn_params_alloc(bb_nn_params *ps, uint64_t seed, bb_ctx *ctx) {
    if (ps->allocated) return BB_ERR(ctx, BB_EINVAL, "nn params: allocated twice");
    size_t es = bb_nn_dtype_size(ps->dtype), bytes = (ps->total ? ps->total : 1) * es;
    ps->data = calloc(1, bytes);
    ps->grad = calloc(1, bytes);
    if (!ps->data || !ps->grad) {
        free(ps->data);
        free(ps->grad);
        ps->data = ps->grad = NULL;
        return BB_ERR(ctx, BB_ENOMEM, "nn params: cannot allocate %zu values", ps->total);
    }
    ps->allocated = 1;
    for (int k = 0; k < ps->n; k++) {
        const bb_nn_param_info *p = &ps->info[k];
        bb_rng r;
        bb_rng_init(&r, seed, NN_PARAM_STREAM + (uint64_t)k);
        NN_DISPATCH(ps->dtype, {
            real *v = (real *)ps->data + p->off;
            for (size_t i = 0; i < p->n; i++) {
                double x = 0.0;
                switch (p->init) {
                    case BB_NN_INIT_UNIFORM: x = p->a * (2.0 * bb_rng_uniform(&r) - 1.0); break;
                    case BB_NN_INIT_NORMAL: x = p->a * bb_rng_normal(&r); break;
                    case BB_NN_INIT_CONST: x = p->a; break;
                    default: break;
                }
                v[i] = (real)x;
            }
        });
    }
    return BB_OK;
}

void bb_nn_params_free(bb_nn_params *ps) {
    if (!ps) return;
    BB_FREE_ALL(ps->info, ps->data, ps->grad);
    memset(ps, 0, sizeof *ps);
}

void bb_nn_params_zero_grad(bb_nn_params *ps) {
    if (ps && ps->grad) memset(ps->grad, 0, ps->total * bb_nn_dtype_size(ps->dtype));
}

int bb_nn_params_find(const bb_nn_params *ps, const char *name) {
    for (int k = 0; k < ps->n; k++)
        if (strcmp(ps->info[k].name, name) == 0) return k;
    return -1;
}

static bb_nn_tensor *param_leaf(bb_nn_graph *g, const bb_nn_params *ps, int k, size_t off, int ndim,
                                const int64_t *shape) {
    if (nn_failed(g)) return NULL;
    if (!ps->allocated || k < 0 || k >= ps->n)
        return NN_FAIL(g, BB_EINVAL, "nn param: index %d invalid or group not allocated", k);
    bb_nn_tensor *t = bb_nn_zeros(g, ps->dtype, 1, (const int64_t[]){1});
    if (!t) return NULL;
    t->ndim = ndim;
    t->n = 1;
    for (int i = 0; i < BB_NN_MAX_DIMS; i++) {
        t->ne[i] = i < ndim ? shape[i] : 1;
        t->n *= t->ne[i];
    }
    size_t es = bb_nn_dtype_size(ps->dtype);
    t->data = (char *)ps->data + off * es;
    t->grad_dst = (char *)ps->grad + off * es;
    if (!nn_grad_mode(g)) return t;
    return nn_leaf(g, t);
}

bb_nn_tensor *bb_nn_param(bb_nn_graph *g, const bb_nn_params *ps, int k) {
    if (k < 0 || k >= ps->n) return NN_FAIL(g, BB_EINVAL, "nn param: index %d outside [0, %d)", k, ps->n);
    return param_leaf(g, ps, k, ps->info[k].off, ps->info[k].ndim, ps->info[k].ne);
}

bb_nn_tensor *bb_nn_param_rows(bb_nn_graph *g, const bb_nn_params *ps, int k, int64_t r0, int64_t r1) {
    if (k < 0 || k >= ps->n) return NN_FAIL(g, BB_EINVAL, "nn param: index %d outside [0, %d)", k, ps->n);
    const bb_nn_param_info *p = &ps->info[k];
    if (p->ndim != 2 || r0 < 0 || r1 > p->ne[0] || r0 >= r1)
        return NN_FAIL(g, BB_EINVAL, "nn param %s: rows [%lld, %lld) of a %d-D parameter", p->name, (long long)r0,
                       (long long)r1, p->ndim);
    return param_leaf(g, ps, k, p->off + (size_t)(r0 * p->ne[1]), 2, (const int64_t[]){r1 - r0, p->ne[1]});
}

void bb_nn_params_get(const bb_nn_params *ps, int k, double *out) {
    const bb_nn_param_info *p = &ps->info[k];
    NN_DISPATCH(ps->dtype, {
        const real *v = (const real *)ps->data + p->off;
        for (size_t i = 0; i < p->n; i++) out[i] = (double)v[i];
    });
}

void bb_nn_params_set(bb_nn_params *ps, int k, const double *in) {
    const bb_nn_param_info *p = &ps->info[k];
    NN_DISPATCH(ps->dtype, {
        real *v = (real *)ps->data + p->off;
        for (size_t i = 0; i < p->n; i++) v[i] = (real)in[i];
    });
}

void bb_nn_params_add_grad(bb_nn_params *ps, const void *grad) {
    NN_DISPATCH(ps->dtype, {
        real *d = ps->grad;
        const real *s = grad;
        for (size_t i = 0; i < ps->total; i++) d[i] += s[i];
    });
}

double bb_nn_params_grad_norm(const bb_nn_params *ps) {
    double s = 0.0;
    NN_DISPATCH(ps->dtype, {
        const real *v = ps->grad;
        for (size_t i = 0; i < ps->total; i++) s += (double)v[i] * (double)v[i];
    });
    return sqrt(s);
}
