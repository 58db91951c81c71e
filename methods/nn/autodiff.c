/* autodiff.c — reverse-mode sweep over the tape: bb_nn_grad (gradients of a scalar or a
 * vector-Jacobian product with respect to chosen tensors, optionally differentiable)
 * and bb_nn_backward (accumulate d loss / d parameters into parameter storage; with
 * bb_nn_backward_grad also the gradients of chosen tensors, in the same sweep).
 *
 * The backward rules and gradient accumulation live in grad.c, written with forward ops
 * (ops_*.c). With create_graph the sweep runs in grad mode, so the gradient tensors are
 * recorded on the tape like any other result and a later sweep differentiates them
 * (ggml_compute_backward; PyTorch create_graph=True). Only nodes that depend on a
 * requested tensor are visited. This file owns no kernels.
 */
#include <string.h>

#include "methods/nn/nn_internal.h"

/* Mark targets, propagate relevance forward, seed y, sweep backward. */
static int sweep(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *y, bb_nn_tensor *seed, int n, bb_nn_tensor *const *xs,
                 int params, int create_graph) {
    if (!y || nn_failed(g)) return nn_failed(g) ? bb_nn_graph_status(g, NULL) : BB_EINVAL;
    gm->n = bb_nn_graph_tape_len(g);
    gm->grad = nn_alloc(g, sizeof(bb_nn_tensor *) * (size_t)(gm->n + 1));
    gm->rel = nn_alloc(g, (size_t)gm->n + 1);
    if (!gm->grad || !gm->rel) return bb_nn_graph_status(g, NULL);
    memset(gm->grad, 0, sizeof(bb_nn_tensor *) * (size_t)(gm->n + 1));
    memset(gm->rel, 0, (size_t)gm->n + 1);
    for (int k = 0; k < n; k++) {
        if (!xs[k] || xs[k]->id < 0 || xs[k]->id >= gm->n) {
            NN_FAIL(g, BB_EINVAL,
                    "nn grad: tensor %d is not recorded (use bb_nn_input or a "
                    "parameter)",
                    k);
            return bb_nn_graph_status(g, NULL);
        }
        gm->rel[xs[k]->id] = 3; /* depends on itself, and is a target: never released */
    }
    for (int i = 0; i < gm->n; i++) {
        bb_nn_tensor *t = nn_tape_at(g, i);
        if (params && t->op == BB_NN_OP_NONE && t->grad_dst) gm->rel[i] = 1;
        for (int s = 0; s < 4 && !gm->rel[i]; s++)
            if (t->src[s] && t->src[s]->requires_grad && t->src[s]->id >= 0 && gm->rel[t->src[s]->id]) gm->rel[i] = 1;
    }
    if (!y->requires_grad || y->id < 0 || !gm->rel[y->id])
        return BB_OK; /* y does not depend on the targets: all gradients are zero */
    bb_nn_tensor *gy;
    if (seed) {
        if (seed->n != y->n || seed->dtype != y->dtype) {
            NN_FAIL(g, BB_EINVAL, "nn grad: seed must have the shape and dtype of y");
            return bb_nn_graph_status(g, NULL);
        }
        gy = seed;
    } else {
        if (y->n != 1) {
            NN_FAIL(g, BB_EINVAL,
                    "nn grad: y has %lld elements; pass a seed for a "
                    "vector-Jacobian product",
                    (long long)y->n);
            return bb_nn_graph_status(g, NULL);
        }
        gy = bb_nn_full(g, y->dtype, y->ndim, y->ne, 1.0);
    }
    int prev = bb_nn_graph_set_grad(g, create_graph);
    /* Without create_graph nothing of the sweep is recorded, so a gradient is dead once
     * its node has been processed: its buffer is recycled (memory ~ live gradients,
     * not all of them). With create_graph every gradient may be differentiated later. */
    gm->recycle = !create_graph;
    nn_recycle(g, gm->recycle);
    gm->grad[y->id] = gy;
    if (gm->recycle) nn_buf_ref(gy);
    for (int i = y->id; i >= 0 && !nn_failed(g); i--) {
        bb_nn_tensor *t = nn_tape_at(g, i);
        if (gm->grad[i] && gm->rel[i]) {
            nn_backward_node(g, gm, t, gm->grad[i]);
            if (gm->recycle && t->op != BB_NN_OP_NONE && !(gm->rel[i] & 2)) {
                nn_buf_unref(g, gm->grad[i]);
                gm->grad[i] = NULL;
            }
        }
    }
    nn_recycle(g, 0);
    bb_nn_graph_set_grad(g, prev);
    return bb_nn_graph_status(g, NULL);
}

/* gx[k] = the sweep's gradient of xs[k], or a zero tensor when y does not depend on it. */
static void take_grads(bb_nn_graph *g, const nn_gradmap *gm, int n, bb_nn_tensor *const *xs, bb_nn_tensor **gx) {
    for (int k = 0; k < n; k++) {
        bb_nn_tensor *gk = gm->grad[xs[k]->id];
        gx[k] = gk ? gk : bb_nn_zeros(g, xs[k]->dtype, xs[k]->ndim, xs[k]->ne);
    }
}

int bb_nn_grad(bb_nn_graph *g, bb_nn_tensor *y, bb_nn_tensor *seed, int n, bb_nn_tensor *const *xs, bb_nn_tensor **gx,
               int create_graph) {
    for (int k = 0; k < n; k++) gx[k] = NULL;
    nn_gradmap gm;
    int rc = sweep(g, &gm, y, seed, n, xs, 0, create_graph);
    if (rc < 0) return rc;
    take_grads(g, &gm, n, xs, gx);
    return bb_nn_graph_status(g, NULL);
}

/* Backward to parameters; gradients of group ps (if given) go to `redirect`; those of
 * xs[0..n) to gx. */
static int backward_params(bb_nn_graph *g, bb_nn_tensor *loss, const bb_nn_params *ps, void *redirect, int n_xs,
                           bb_nn_tensor *const *xs, bb_nn_tensor **gx) {
    for (int k = 0; k < n_xs; k++) gx[k] = NULL;
    nn_gradmap gm;
    int rc = sweep(g, &gm, loss, NULL, n_xs, xs, 1, 0);
    if (rc < 0) return rc;
    const size_t es = ps ? bb_nn_dtype_size(ps->dtype) : 0;
    for (int i = 0; i < gm.n; i++) {
        bb_nn_tensor *t = nn_tape_at(g, i), *gt = gm.grad[i];
        if (t->op != BB_NN_OP_NONE || !t->grad_dst || !gt) continue;
        const int64_t n = t->n;
        if (gt->dtype != t->dtype) {
            NN_FAIL(g, BB_EINTERNAL, "nn backward: gradient dtype differs from parameter");
            break;
        }
        void *dst = t->grad_dst;
        if (ps && ps->grad && (char *)dst >= (char *)ps->grad && (char *)dst < (char *)ps->grad + ps->total * es)
            dst = (char *)redirect + ((char *)dst - (char *)ps->grad);
        NN_DISPATCH(t->dtype, {
            real *d = dst;
            const real *s = gt->data;
            NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t k = 0; k < n; k++), d[k] += s[k];);
        });
    }
    take_grads(g, &gm, n_xs, xs, gx);
    return bb_nn_graph_status(g, NULL);
}

int bb_nn_backward(bb_nn_graph *g, bb_nn_tensor *loss) { return backward_params(g, loss, NULL, NULL, 0, NULL, NULL); }

int bb_nn_backward_grad(bb_nn_graph *g, bb_nn_tensor *loss, int n, bb_nn_tensor *const *xs, bb_nn_tensor **gx) {
    return backward_params(g, loss, NULL, NULL, n, xs, gx);
}

int bb_nn_backward_to(bb_nn_graph *g, bb_nn_tensor *loss, const bb_nn_params *ps, void *grad) {
    if (!ps || !grad) {
        NN_FAIL(g, BB_EINVAL, "nn backward_to: NULL parameter group or buffer");
        return bb_nn_graph_status(g, NULL);
    }
    return backward_params(g, loss, ps, grad, 0, NULL, NULL);
}
