/* gradcheck.c — see gradcheck.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"
#include "tests/nn/gradcheck.h"

bb_nn_tensor *gc_weights(bb_nn_graph *g, int ndim, const int64_t *shape, uint64_t salt) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *w = malloc(sizeof(double) * (size_t)n);
    bb_rng r;
    bb_rng_init(&r, 2385, 1000 + salt);
    for (int64_t i = 0; i < n; i++) w[i] = 2.0 * bb_rng_uniform(&r) - 1.0;
    bb_nn_tensor *t = bb_nn_from(g, BB_NN_F64, ndim, shape, w);
    free(w);
    return t;
}

bb_nn_tensor *gc_project(bb_nn_graph *g, bb_nn_tensor *x, uint64_t salt) {
    if (!x) return NULL;
    return bb_nn_sum(g, bb_nn_mul(g, x, gc_weights(g, x->ndim, x->ne, salt)));
}

typedef struct gc_state {
    const gc_case *c;
    int64_t n[GC_MAX_IN];
    double *x[GC_MAX_IN];
    double *v[GC_MAX_IN];
    bb_nn_graph *g;
} gc_state;

static void build_inputs(gc_state *s, bb_nn_tensor **in) {
    for (int k = 0; k < s->c->n_in; k++) in[k] = bb_nn_input(s->g, BB_NN_F64, s->c->ndim[k], s->c->shape[k], s->x[k]);
}

/* f(x) */
static double f0(gc_state *s) {
    bb_nn_tensor *in[GC_MAX_IN];
    bb_nn_graph_reset(s->g);
    build_inputs(s, in);
    bb_nn_tensor *y = s->c->fn(s->g, in, s->c->ud);
    return y && bb_nn_graph_status(s->g, NULL) == BB_OK ? bb_nn_get(y, 0) : NAN;
}

/* grad f (out[k] has n[k] entries); returns the value of s = sum <grad_k, v_k> and, if
 * g2 != NULL, its gradient (second-order path). */
static double f1(gc_state *s, double **out, double **g2) {
    bb_nn_tensor *in[GC_MAX_IN], *gx[GC_MAX_IN], *gg[GC_MAX_IN];
    bb_nn_graph_reset(s->g);
    build_inputs(s, in);
    bb_nn_tensor *y = s->c->fn(s->g, in, s->c->ud);
    int n_in = s->c->n_in;
    if (bb_nn_grad(s->g, y, NULL, n_in, in, gx, g2 != NULL) < 0) return NAN;
    bb_nn_tensor *sv = NULL;
    for (int k = 0; k < n_in; k++) {
        if (out) bb_nn_to_double(gx[k], out[k]);
        bb_nn_tensor *vk = bb_nn_from(s->g, BB_NN_F64, s->c->ndim[k], s->c->shape[k], s->v[k]);
        bb_nn_tensor *d = bb_nn_sum(s->g, bb_nn_mul(s->g, gx[k], vk));
        sv = sv ? bb_nn_add(s->g, sv, d) : d;
    }
    if (!sv || bb_nn_graph_status(s->g, NULL) != BB_OK) return NAN;
    double val = bb_nn_get(sv, 0);
    if (g2) {
        if (bb_nn_grad(s->g, sv, NULL, n_in, in, gg, 0) < 0) return NAN;
        for (int k = 0; k < n_in; k++) bb_nn_to_double(gg[k], g2[k]);
    }
    return val;
}

/* d f / d theta (order 1) or d s / d theta (order 2) at the parameter indices pidx. */
static int fparams(gc_state *s, int order, int np, const size_t *pidx, double *out) {
    bb_nn_tensor *in[GC_MAX_IN], *gx[GC_MAX_IN];
    bb_nn_graph_reset(s->g);
    build_inputs(s, in);
    bb_nn_tensor *y = s->c->fn(s->g, in, s->c->ud);
    if (order == 2) {
        if (bb_nn_grad(s->g, y, NULL, s->c->n_in, in, gx, 1) < 0) return -1;
        bb_nn_tensor *sv = NULL;
        for (int k = 0; k < s->c->n_in; k++) {
            bb_nn_tensor *vk = bb_nn_from(s->g, BB_NN_F64, s->c->ndim[k], s->c->shape[k], s->v[k]);
            bb_nn_tensor *d = bb_nn_sum(s->g, bb_nn_mul(s->g, gx[k], vk));
            sv = sv ? bb_nn_add(s->g, sv, d) : d;
        }
        y = sv;
    }
    bb_nn_params_zero_grad(s->c->ps);
    if (bb_nn_backward(s->g, y) < 0) return -1;
    for (int j = 0; j < np; j++) out[j] = ((const double *)s->c->ps->grad)[pidx[j]];
    return 0;
}

static double pstencil(gc_state *s, size_t i, int order) {
    double *p = s->c->ps->data;
    const double h = s->c->eps, p0 = p[i];
    double f[4];
    const double off[4] = {2 * h, h, -h, -2 * h};
    for (int j = 0; j < 4; j++) {
        p[i] = p0 + off[j];
        f[j] = order == 1 ? f0(s) : f1(s, NULL, NULL);
    }
    p[i] = p0;
    return (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * h);
}

static int check_params(gc_state *s) {
    const gc_case *c = s->c;
    enum { MAXP = 64 };
    size_t pidx[MAXP];
    double ad[MAXP];
    int np = c->n_param_checks < MAXP ? c->n_param_checks : MAXP, fail = 0;
    if ((size_t)np > c->ps->total) np = (int)c->ps->total;
    for (int j = 0; j < np; j++) /* spread over the group, odd stride */
        pidx[j] = (size_t)((uint64_t)j * 2654435761u % c->ps->total);
    for (int order = 1; order <= (c->skip_second ? 1 : 2); order++) {
        double worst = 0.0;
        if (fparams(s, order, np, pidx, ad) < 0) {
            bb_ctx ctx = {0};
            bb_nn_graph_status(s->g, &ctx);
            printf("FAIL %-28s d/dtheta order %d: %s\n", c->name, order, ctx.msg);
            return 1;
        }
        for (int j = 0; j < np; j++) {
            double fd = pstencil(s, pidx[j], order), e = fabs(ad[j] - fd) / (1.0 + fabs(fd));
            if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
        }
        double tol = order == 1 ? c->tol1 : c->tol2;
        fail |= !(worst <= tol);
        printf("%s %-28s d/dtheta %s (%d params): max diff %.3g (tol %.1g)\n", worst <= tol ? "PASS" : "FAIL", c->name,
               order == 1 ? "f" : "<grad_x f, v>", np, worst, tol);
    }
    return fail;
}

static double stencil(gc_state *s, int k, int64_t i, int order) {
    const double h = s->c->eps_in[k] > 0 ? s->c->eps_in[k] : s->c->eps, x0 = s->x[k][i];
    double f[4];
    const double off[4] = {2 * h, h, -h, -2 * h};
    for (int j = 0; j < 4; j++) {
        s->x[k][i] = x0 + off[j];
        f[j] = order == 1 ? f0(s) : f1(s, NULL, NULL);
    }
    s->x[k][i] = x0;
    return (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * h);
}

gc_case gc_case_of(gc_row r) {
    gc_case c = {.name = r.name, .fn = r.fn, .eps = r.eps, .tol1 = r.tol1, .tol2 = r.tol2};
    const char *p = r.shapes;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (c.n_in == GC_MAX_IN) break;
        int k = c.n_in++;
        for (;;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 1 || c.ndim[k] == 4) {
                fprintf(stderr, "gradcheck: bad shapes '%s' in case %s\n", r.shapes, r.name);
                abort();
            }
            c.shape[k][c.ndim[k]++] = v;
            p = end;
            if (*p != 'x') break;
            p++;
        }
    }
    if (c.n_in == 0 || *p) {
        fprintf(stderr, "gradcheck: bad shapes '%s' in case %s\n", r.shapes, r.name);
        abort();
    }
    return c;
}

int gc_run_rows(const gc_row *rows, size_t n, uint64_t seed0) {
    int fail = 0;
    for (size_t k = 0; k < n; k++) {
        gc_case c = gc_case_of(rows[k]);
        fail |= gc_run(&c, seed0 + k);
    }
    return fail;
}

/* ad (analytic gradients of f for order 1, of <grad f, v> for order 2) against the
 * stencil at every input entry; prints the order's line, returns 1 on failure. */
static int check_inputs(gc_state *s, double *const *ad, int order) {
    const gc_case *c = s->c;
    double worst = 0.0, tol = order == 1 ? c->tol1 : c->tol2;
    for (int k = 0; k < c->n_in; k++)
        for (int64_t i = 0; i < s->n[k]; i++) {
            double fd = stencil(s, k, i, order), e = fabs(ad[k][i] - fd) / (1.0 + fabs(fd));
            if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
        }
    printf("%s %-28s %s order: max |ad - fd|/(1+|fd|) = %.3g (tol %.1g)\n", worst <= tol ? "PASS" : "FAIL", c->name,
           order == 1 ? "1st" : "2nd", worst, tol);
    return !(worst <= tol);
}

int gc_run(const gc_case *c, uint64_t seed) {
    gc_state s;
    memset(&s, 0, sizeof s);
    s.c = c;
    bb_ctx ctx = {0};
    if (bb_nn_graph_init(&s.g, 0, &ctx) < 0) return 1;
    bb_rng r;
    bb_rng_init(&r, seed, 77);
    double lo = c->lo, hi = c->hi;
    if (lo == 0 && hi == 0) {
        lo = -1.7;
        hi = 1.9;
    }
    double *ga[GC_MAX_IN], *gb[GC_MAX_IN];
    for (int k = 0; k < c->n_in; k++) {
        s.n[k] = 1;
        for (int d = 0; d < c->ndim[k]; d++) s.n[k] *= c->shape[k][d];
        s.x[k] = malloc(sizeof(double) * (size_t)s.n[k]);
        s.v[k] = malloc(sizeof(double) * (size_t)s.n[k]);
        ga[k] = malloc(sizeof(double) * (size_t)s.n[k]);
        gb[k] = malloc(sizeof(double) * (size_t)s.n[k]);
        for (int64_t i = 0; i < s.n[k]; i++) {
            s.x[k][i] = lo + (hi - lo) * bb_rng_uniform(&r);
            s.v[k][i] = 2.0 * bb_rng_uniform(&r) - 1.0;
        }
    }
    int fail = 0;
    double **ad[2] = {ga, gb};
    for (int order = 1; order <= (c->skip_second ? 1 : 2); order++) {
        if (isnan(order == 1 ? f1(&s, ga, NULL) : f1(&s, NULL, gb))) {
            bb_nn_graph_status(s.g, &ctx);
            printf("FAIL %-28s cannot differentiate%s: %s\n", c->name, order == 1 ? "" : " twice", ctx.msg);
            fail = 1;
            goto out;
        }
        fail |= check_inputs(&s, ad[order - 1], order);
    }
    if (c->ps) fail |= check_params(&s);
out:
    for (int k = 0; k < c->n_in; k++) {
        free(s.x[k]);
        free(s.v[k]);
        free(ga[k]);
        free(gb[k]);
    }
    bb_nn_graph_free(s.g);
    return fail;
}
