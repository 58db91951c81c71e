/* layers.c — activations, Linear (PyTorch default init), MLP and the sinusoidal time
 * embedding, each a thin composition of recorded ops (so every layer has first and
 * second derivatives for free).
 *
 * Linear stores W as [in, out] (PyTorch's weight transposed) so that a block of input
 * rows is a contiguous view (bb_nn_param_rows), which EGNN uses to split its first edge
 * layer. Not here: EGNN (egnn.c), transformer parts (transformer.c).
 */
#include <math.h>
#include <stdio.h>

#include "methods/nn/nn_internal.h"

const char *const BB_NN_ACT_NAME[BB_NN_ACT_COUNT] = {"none", "silu", "gelu", "tanh"};
_Static_assert(sizeof(BB_NN_ACT_NAME) / sizeof(BB_NN_ACT_NAME[0]) == BB_NN_ACT_COUNT,
               "BB_NN_ACT_NAME must name every activation");

bb_nn_tensor *bb_nn_act_apply(bb_nn_graph *g, bb_nn_tensor *x, bb_nn_act act) {
    switch (act) {
        case BB_NN_ACT_SILU: return bb_nn_silu(g, x);
        case BB_NN_ACT_GELU: return bb_nn_gelu(g, x);
        case BB_NN_ACT_TANH: return bb_nn_tanh(g, x);
        default: return x;
    }
}

int bb_nn_linear_init(bb_nn_linear *l, bb_nn_params *ps, const char *name, int in, int out, int bias, bb_ctx *ctx) {
    char nm[128];
    l->in = in;
    l->out = out;
    l->b = -1;
    if (in < 1 || out < 1) return BB_ERR(ctx, BB_EINVAL, "nn linear %s: sizes %d -> %d", name, in, out);
    double bound = 1.0 / sqrt((double)in); /* kaiming_uniform(a=sqrt 5) == U(+-1/sqrt(in)) */
    if (snprintf(nm, sizeof nm, "%s.weight", name) >= (int)sizeof nm)
        return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
    l->w = bb_nn_params_add(ps, nm, 2, (const int64_t[]){in, out}, BB_NN_INIT_UNIFORM, bound, ctx);
    if (l->w < 0) return l->w;
    if (bias) {
        if (snprintf(nm, sizeof nm, "%s.bias", name) >= (int)sizeof nm)
            return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
        l->b = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, out}, BB_NN_INIT_UNIFORM, bound, ctx);
        if (l->b < 0) return l->b;
    }
    return BB_OK;
}

bb_nn_tensor *bb_nn_linear_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_linear *l, bb_nn_tensor *x) {
    if (!x || nn_failed(g)) return NULL;
    if (bb_nn_cols(x) != l->in)
        return NN_FAIL(g, BB_EINVAL, "nn linear %s: input has %lld cols, expected %d", ps->info[l->w].name,
                       (long long)bb_nn_cols(x), l->in);
    bb_nn_tensor *x2 = x->ndim == 2 ? x : bb_nn_reshape(g, x, 2, (const int64_t[]){bb_nn_rows(x), l->in});
    bb_nn_tensor *y = bb_nn_matmul(g, x2, bb_nn_param(g, ps, l->w), 0, 0, l->b >= 0 ? bb_nn_param(g, ps, l->b) : NULL);
    if (!y || x->ndim == 2) return y;
    int64_t s[4];
    for (int i = 0; i < x->ndim; i++) s[i] = x->ne[i];
    s[x->ndim - 1] = l->out;
    return bb_nn_reshape(g, y, x->ndim, s);
}

int bb_nn_mlp_init(bb_nn_mlp *m, bb_nn_params *ps, const char *name, int n_sizes, const int *sizes, bb_nn_act act,
                   bb_ctx *ctx) {
    if (n_sizes < 2 || n_sizes - 1 > BB_NN_MLP_MAX_LAYERS)
        return BB_ERR(ctx, BB_EINVAL, "nn mlp %s: %d sizes (need 2..%d)", name, n_sizes, BB_NN_MLP_MAX_LAYERS + 1);
    m->n_layers = n_sizes - 1;
    m->act = act;
    for (int i = 0; i < m->n_layers; i++) {
        char nm[128];
        if (snprintf(nm, sizeof nm, "%s.%d", name, i) >= (int)sizeof nm)
            return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
        int rc = bb_nn_linear_init(&m->lin[i], ps, nm, sizes[i], sizes[i + 1], 1, ctx);
        if (rc < 0) return rc;
    }
    return BB_OK;
}

bb_nn_tensor *bb_nn_mlp_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_mlp *m, bb_nn_tensor *x) {
    for (int i = 0; i < m->n_layers; i++) {
        x = bb_nn_linear_fwd(g, ps, &m->lin[i], x);
        if (i + 1 < m->n_layers) x = bb_nn_act_apply(g, x, m->act);
    }
    return x;
}

bb_nn_tensor *bb_nn_time_embed_sin(bb_nn_graph *g, bb_nn_tensor *t, int dim, double max_period) {
    if (!t || nn_failed(g)) return NULL;
    if (dim < 2 || dim % 2 || bb_nn_cols(t) != 1 || t->ndim != 2)
        return NN_FAIL(g, BB_EINVAL, "nn time embedding: t must be [B,1] and dim even (got %d)", dim);
    int half = dim / 2;
    bb_nn_tensor *w = nn_new(g, t->dtype, 2, (const int64_t[]){1, half});
    if (!w) return NULL;
    for (int k = 0; k < half; k++) {
        double f = exp(-log(max_period) * (double)k / (double)half);
        if (t->dtype == BB_NN_F32)
            ((float *)w->data)[k] = (float)f;
        else
            ((double *)w->data)[k] = f;
    }
    bb_nn_tensor *a = bb_nn_mul(g, t, w); /* [B, half] */
    return bb_nn_concat_cols(g, bb_nn_unary(g, a, BB_NN_FN_SIN, 0), bb_nn_unary(g, a, BB_NN_FN_COS, 0));
}
