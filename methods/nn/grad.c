/* grad.c — the backward rules of every op and the accumulation of gradient contributions.
 *
 * Each rule is written with forward ops (ops_*.c), so with create_graph the gradients are
 * recorded on the tape and differentiate again (double backward). The sweep that visits
 * the nodes in reverse order is autodiff.c; the forward ops know nothing of this file, so
 * the dependencies run one way: autodiff.c -> grad.c -> ops_*.c -> tensor.c.
 */
#include "methods/nn/nn_internal.h"

static int needs(const nn_gradmap *gm, const bb_nn_tensor *s) {
    return s && s->requires_grad && s->id >= 0 && s->id < gm->n && gm->rel[s->id];
}

int nn_needs(const nn_gradmap *gm, const bb_nn_tensor *s) { return needs(gm, s); }

void nn_acc(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *src, bb_nn_tensor *contrib) {
    if (!needs(gm, src)) return;
    if (!contrib) {
        NN_FAIL(g, BB_EINTERNAL, "nn backward: missing gradient contribution");
        return;
    }
    if (!nn_same_shape(src, contrib)) {
        if (src->n != contrib->n) {
            char a[64], b[64];
            NN_FAIL(g, BB_EINTERNAL, "nn backward: gradient %s for tensor %s", nn_shape_str(contrib, a, 64),
                    nn_shape_str(src, b, 64));
            return;
        }
        contrib = bb_nn_reshape(g, contrib, src->ndim, src->ne);
    }
    bb_nn_tensor **slot = &gm->grad[src->id];
    if (!*slot) {
        *slot = contrib;
        if (gm->recycle) nn_buf_ref(contrib);
        return;
    }
    bb_nn_tensor *old = *slot;
    *slot = bb_nn_add(g, old, contrib);
    if (gm->recycle) { /* the slot now holds the sum: old and contrib may be dead */
        nn_buf_ref(*slot);
        nn_buf_unref(g, old);
        nn_buf_ref(contrib);
        nn_buf_unref(g, contrib);
    }
}

/* ------------------------------------------------------------ elementwise */

/* gy * gelu'(x) from the Phi(x) kept by the forward node t (float32): recorded as the
 * UNARY_MUL node it equals, so it differentiates like one. */
static bb_nn_tensor *gelu_grad_kept(bb_nn_graph *g, bb_nn_tensor *gy, bb_nn_tensor *t) {
    bb_nn_tensor *a = t->src[0];
    if (!gy || nn_failed(g)) return NULL;
    if (gy->dtype != BB_NN_F32 || !nn_same_shape(gy, a)) return bb_nn_unary_mul(g, gy, a, BB_NN_FN_GELU, 1);
    bb_nn_tensor *o = nn_new(g, a->dtype, a->ndim, a->ne);
    if (!o) return NULL;
    const int64_t n = o->n, nch = (n + NN_VEC_CHUNK - 1) / NN_VEC_CHUNK;
    const float *gv = gy->data, *x = a->data, *P = t->aux;
    float *y = o->data;
    NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t ch = 0; ch < nch; ch++),
               const int64_t i0 = ch * NN_VEC_CHUNK, m = n - i0 < NN_VEC_CHUNK ? n - i0 : NN_VEC_CHUNK;
               nn_vec_gelu_grad_f32(gv + i0, x + i0, P + i0, y + i0, m););
    o->ip[0] = BB_NN_FN_GELU;
    o->ip[1] = 1;
    return nn_record(g, o, BB_NN_OP_UNARY_MUL, gy, a, NULL, NULL);
}

/* sum_to a's shape, or gy itself when the shapes agree. */
static bb_nn_tensor *reduce_like(bb_nn_graph *g, bb_nn_tensor *gy, const bb_nn_tensor *a) {
    if (!gy || nn_same_shape(gy, a)) return gy;
    return bb_nn_sum_to(g, gy, a->ndim, a->ne);
}

void nn_backward_elem(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy) {
    bb_nn_tensor *a = t->src[0], *b = t->src[1];
    switch (t->op) {
        case BB_NN_OP_ADD: /* y = a + b */
            if (nn_needs(gm, a)) nn_acc(g, gm, a, reduce_like(g, gy, a));
            if (nn_needs(gm, b)) nn_acc(g, gm, b, reduce_like(g, gy, b));
            break;
        case BB_NN_OP_SUB: /* y = a - b */
            if (nn_needs(gm, a)) nn_acc(g, gm, a, reduce_like(g, gy, a));
            if (nn_needs(gm, b)) nn_acc(g, gm, b, reduce_like(g, bb_nn_scale(g, gy, -1.0, 0.0), b));
            break;
        case BB_NN_OP_MUL: /* y = a * b */
            if (nn_needs(gm, a)) nn_acc(g, gm, a, reduce_like(g, bb_nn_mul(g, gy, b), a));
            if (nn_needs(gm, b)) nn_acc(g, gm, b, reduce_like(g, bb_nn_mul(g, gy, a), b));
            break;
        case BB_NN_OP_DIV: /* y = a / b: ga = gy / b, gb = -gy * y / b */
            if (nn_needs(gm, a)) nn_acc(g, gm, a, reduce_like(g, bb_nn_div(g, gy, b), a));
            if (nn_needs(gm, b)) {
                bb_nn_tensor *q = bb_nn_div(g, bb_nn_mul(g, gy, t), b);
                nn_acc(g, gm, b, reduce_like(g, bb_nn_scale(g, q, -1.0, 0.0), b));
            }
            break;
        case BB_NN_OP_SCALE: /* y = s a + c */ nn_acc(g, gm, a, bb_nn_scale(g, gy, t->fp[0], 0.0)); break;
        case BB_NN_OP_UNARY: /* y = f^(k)(a): ga = gy * f^(k+1)(a) */
            if (t->aux)      /* float GELU kept Phi(a) */
                nn_acc(g, gm, a, gelu_grad_kept(g, gy, t));
            else
                nn_acc(g, gm, a, bb_nn_unary_mul(g, gy, a, (bb_nn_fn)t->ip[0], t->ip[1] + 1));
            break;
        case BB_NN_OP_UNARY_MUL: /* y = a * f^(k)(b): ga = gy * f^(k)(b), gb = (gy * a) * f^(k+1)(b) */
            if (nn_needs(gm, a)) nn_acc(g, gm, a, bb_nn_unary_mul(g, gy, b, (bb_nn_fn)t->ip[0], t->ip[1]));
            if (nn_needs(gm, b))
                nn_acc(g, gm, b, bb_nn_unary_mul(g, bb_nn_mul(g, gy, a), b, (bb_nn_fn)t->ip[0], t->ip[1] + 1));
            break;
        default: NN_FAIL(g, BB_EINTERNAL, "nn backward: op %s is not elementwise", BB_NN_OP_NAME[t->op]);
    }
}

/* ------------------------------------------------------------ matmul */

/* C = op(A) op(B) + bias. Each case: gA and gB as products of gC with the other factor. */
void nn_backward_matmul(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy) {
    bb_nn_tensor *a = t->src[0], *b = t->src[1], *bias = t->src[2];
    const int ta = t->ip[0], tb = t->ip[1];
    if (nn_needs(gm, a)) {
        bb_nn_tensor *ga;
        if (!ta)
            ga = tb ? bb_nn_matmul(g, gy, b, 0, 0, NULL)  /* C = A B^T: gA = gC B */
                    : bb_nn_matmul(g, gy, b, 0, 1, NULL); /* C = A B:   gA = gC B^T */
        else
            ga = tb ? bb_nn_matmul(g, b, gy, 1, 1, NULL)  /* C = A^T B^T: gA = B^T gC^T */
                    : bb_nn_matmul(g, b, gy, 0, 1, NULL); /* C = A^T B:   gA = B gC^T */
        nn_acc(g, gm, a, ga);
    }
    if (nn_needs(gm, b)) {
        bb_nn_tensor *gb;
        if (!tb)
            gb = ta ? bb_nn_matmul(g, a, gy, 0, 0, NULL)  /* C = A^T B: gB = A gC */
                    : bb_nn_matmul(g, a, gy, 1, 0, NULL); /* C = A B:   gB = A^T gC */
        else
            gb = ta ? bb_nn_matmul(g, gy, a, 1, 1, NULL)  /* C = A^T B^T: gB = gC^T A^T */
                    : bb_nn_matmul(g, gy, a, 1, 0, NULL); /* C = A B^T:   gB = gC^T A */
        nn_acc(g, gm, b, gb);
    }
    if (nn_needs(gm, bias)) nn_acc(g, gm, bias, bb_nn_sum_to(g, gy, bias->ndim, bias->ne));
}

/* ------------------------------------------------------------ shape */

void nn_backward_shape(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy) {
    bb_nn_tensor *a = t->src[0];
    switch (t->op) {
        case BB_NN_OP_SUM_TO: nn_acc(g, gm, a, bb_nn_broadcast_to(g, gy, a->ndim, a->ne)); break;
        case BB_NN_OP_BROADCAST_TO: nn_acc(g, gm, a, bb_nn_sum_to(g, gy, a->ndim, a->ne)); break;
        case BB_NN_OP_RESHAPE: nn_acc(g, gm, a, bb_nn_reshape(g, gy, a->ndim, a->ne)); break;
        case BB_NN_OP_PERMUTE: {
            int inv[4];
            for (int k = 0; k < 4; k++) inv[t->ip[k]] = k;
            nn_acc(g, gm, a, bb_nn_permute(g, gy, inv));
            break;
        }
        case BB_NN_OP_CONCAT: {
            int64_t ka = bb_nn_cols(a), kb = bb_nn_cols(t->src[1]);
            if (nn_needs(gm, a)) nn_acc(g, gm, a, bb_nn_slice_cols(g, gy, 0, ka));
            if (nn_needs(gm, t->src[1])) nn_acc(g, gm, t->src[1], bb_nn_slice_cols(g, gy, ka, ka + kb));
            break;
        }
        case BB_NN_OP_SLICE: nn_acc(g, gm, a, bb_nn_pad_cols(g, gy, t->ip[0], bb_nn_cols(a))); break;
        case BB_NN_OP_PAD: nn_acc(g, gm, a, bb_nn_slice_cols(g, gy, t->ip[0], t->ip[0] + bb_nn_cols(a))); break;
        default: NN_FAIL(g, BB_EINTERNAL, "nn backward: op %s is not a shape op", BB_NN_OP_NAME[t->op]);
    }
}

/* ------------------------------------------------------------ index */

void nn_backward_index(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy) {
    bb_nn_tensor *a = t->src[0];
    switch (t->op) {
        case BB_NN_OP_GATHER: /* y[e] = x[I[e]]: gx = scatter(gy) */
            nn_acc(g, gm, a, bb_nn_scatter(g, gy, t->ix[0]));
            break;
        case BB_NN_OP_SCATTER: /* y[n] = sum_{I[e]=n} x[e]: gx = gather(gy) */
            nn_acc(g, gm, a, bb_nn_gather(g, gy, t->ix[0]));
            break;
        case BB_NN_OP_PAIR_ADD: { /* y = A[I] + B[J] + d w */
            bb_nn_tensor *B = t->src[1], *d = t->src[2], *w = t->src[3];
            if (nn_needs(gm, a)) nn_acc(g, gm, a, bb_nn_scatter(g, gy, t->ix[0]));
            if (nn_needs(gm, B)) nn_acc(g, gm, B, bb_nn_scatter(g, gy, t->ix[1]));
            if (nn_needs(gm, d)) /* gd [E,1] = gy [E,H] w^T */
                nn_acc(g, gm, d,
                       bb_nn_reshape(
                           g, bb_nn_matmul(g, gy, bb_nn_reshape(g, w, 2, (const int64_t[]){1, w->n}), 0, 1, NULL),
                           d->ndim, d->ne));
            if (nn_needs(gm, w)) /* gw [1,H] = d^T gy */
                nn_acc(g, gm, w,
                       bb_nn_reshape(
                           g, bb_nn_matmul(g, bb_nn_reshape(g, d, 2, (const int64_t[]){d->n, 1}), gy, 1, 0, NULL),
                           w->ndim, w->ne));
            break;
        }
        default: NN_FAIL(g, BB_EINTERNAL, "nn backward: op %s is not an index op", BB_NN_OP_NAME[t->op]);
    }
}

/* ------------------------------------------------------------ dispatch */

void nn_backward_node(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy) {
    switch (t->op) {
        case BB_NN_OP_ADD:
        case BB_NN_OP_SUB:
        case BB_NN_OP_MUL:
        case BB_NN_OP_DIV:
        case BB_NN_OP_SCALE:
        case BB_NN_OP_UNARY:
        case BB_NN_OP_UNARY_MUL: nn_backward_elem(g, gm, t, gy); break;
        case BB_NN_OP_MATMUL: nn_backward_matmul(g, gm, t, gy); break;
        case BB_NN_OP_SUM_TO:
        case BB_NN_OP_BROADCAST_TO:
        case BB_NN_OP_RESHAPE:
        case BB_NN_OP_PERMUTE:
        case BB_NN_OP_CONCAT:
        case BB_NN_OP_SLICE:
        case BB_NN_OP_PAD: nn_backward_shape(g, gm, t, gy); break;
        case BB_NN_OP_GATHER:
        case BB_NN_OP_SCATTER:
        case BB_NN_OP_PAIR_ADD: nn_backward_index(g, gm, t, gy); break;
        case BB_NN_OP_NONE:
        case BB_NN_OP_COUNT: break;
    }
}
