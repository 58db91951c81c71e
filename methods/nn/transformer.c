/* transformer.c — LayerNorm, multi-head self-attention and a pre-LN transformer block
 * (Vaswani et al. 2017; pre-LN as in GPT-2), composed from recorded ops so that both
 * derivatives come for free. Sized for peptide inputs (sequences of tens of atoms or
 * residues): attention is the plain O(T^2) batched product, no flash tricks, no masks,
 * no dropout. Not here: positional or atom-type embeddings (the method supplies them).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

/* "<name>.<part>" in nm[128], the name of a parameter of layer `name`. */
static int part_name(char *nm, const char *name, const char *part, bb_ctx *ctx) {
    if (snprintf(nm, 128, "%s.%s", name, part) < 128) return BB_OK;
    return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
}

int bb_nn_layernorm_init(bb_nn_layernorm *ln, bb_nn_params *ps, const char *name, int dim, double eps, bb_ctx *ctx) {
    char nm[128];
    int rc;
    ln->dim = dim;
    ln->eps = eps;
    if (dim < 1 || !(eps > 0)) return BB_ERR(ctx, BB_EINVAL, "nn layernorm %s: dim %d, eps %g", name, dim, eps);
    if ((rc = part_name(nm, name, "weight", ctx))) return rc;
    if ((ln->gamma = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, dim}, BB_NN_INIT_CONST, 1.0, ctx)) < 0)
        return ln->gamma;
    if ((rc = part_name(nm, name, "bias", ctx))) return rc;
    if ((ln->beta = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, dim}, BB_NN_INIT_ZEROS, 0.0, ctx)) < 0)
        return ln->beta;
    return BB_OK;
}

bb_nn_tensor *bb_nn_layernorm_plain(bb_nn_graph *g, bb_nn_tensor *x, double eps) {
    bb_nn_tensor *xc = bb_nn_sub(g, x, bb_nn_mean_cols(g, x));
    bb_nn_tensor *var = bb_nn_mean_cols(g, bb_nn_mul(g, xc, xc));
    bb_nn_tensor *rstd =
        bb_nn_unary(g, bb_nn_unary(g, bb_nn_scale(g, var, 1.0, eps), BB_NN_FN_SQRT, 0), BB_NN_FN_RECIP, 0);
    return bb_nn_mul(g, xc, rstd);
}

bb_nn_tensor *bb_nn_layernorm_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_layernorm *ln, bb_nn_tensor *x) {
    if (!x || nn_failed(g)) return NULL;
    if (bb_nn_cols(x) != ln->dim)
        return NN_FAIL(g, BB_EINVAL, "nn layernorm: input has %lld cols, expected %d", (long long)bb_nn_cols(x),
                       ln->dim);
    bb_nn_tensor *y = bb_nn_layernorm_plain(g, x, ln->eps);
    return bb_nn_add(g, bb_nn_mul(g, y, bb_nn_param(g, ps, ln->gamma)), bb_nn_param(g, ps, ln->beta));
}

bb_nn_tensor *bb_nn_attention(bb_nn_graph *g, bb_nn_tensor *q, bb_nn_tensor *k, bb_nn_tensor *v, int heads) {
    if (!q || !k || !v || nn_failed(g)) return NULL;
    if (q->ndim != 3 || !nn_same_shape(q, k) || !nn_same_shape(q, v) || heads < 1 || q->ne[2] % heads)
        return NN_FAIL(g, BB_EINVAL,
                       "nn attention: q, k, v must be equal [B,T,C] with C "
                       "divisible by %d heads",
                       heads);
    const int64_t B = q->ne[0], T = q->ne[1], C = q->ne[2], dh = C / heads;
    const int to_heads[4] = {0, 2, 1, 3}; /* [B,T,H,dh] -> [B,H,T,dh] (self-inverse) */
    bb_nn_tensor *qkv[3] = {q, k, v};
    for (int i = 0; i < 3; i++) {
        bb_nn_tensor *r = bb_nn_reshape(g, qkv[i], 4, (const int64_t[]){B, T, heads, dh});
        qkv[i] = bb_nn_reshape(g, bb_nn_permute(g, r, to_heads), 3, (const int64_t[]){B * heads, T, dh});
    }
    bb_nn_tensor *s =
        bb_nn_scale(g, bb_nn_matmul(g, qkv[0], qkv[1], 0, 1, NULL), 1.0 / sqrt((double)dh), 0.0); /* [BH, T, T] */
    bb_nn_tensor *o = bb_nn_matmul(g, bb_nn_softmax_cols(g, s), qkv[2], 0, 0, NULL);              /* [BH,T,dh] */
    o = bb_nn_permute(g, bb_nn_reshape(g, o, 4, (const int64_t[]){B, heads, T, dh}), to_heads);
    return bb_nn_reshape(g, o, 3, (const int64_t[]){B, T, C});
}

int bb_nn_transformer_init(bb_nn_transformer *tb, bb_nn_params *ps, const char *name, int dim, int heads, bb_ctx *ctx) {
    memset(tb, 0, sizeof *tb);
    if (dim < 1 || heads < 1 || dim % heads)
        return BB_ERR(ctx, BB_EINVAL, "nn transformer %s: dim %d not divisible by %d heads", name, dim, heads);
    tb->dim = dim;
    tb->heads = heads;
    char nm[128];
    int rc;
    if ((rc = part_name(nm, name, "ln1", ctx))) return rc;
    if ((rc = bb_nn_layernorm_init(&tb->ln1, ps, nm, dim, 1e-5, ctx)) < 0) return rc;
    if ((rc = part_name(nm, name, "qkv", ctx))) return rc;
    if ((rc = bb_nn_linear_init(&tb->qkv, ps, nm, dim, 3 * dim, 1, ctx)) < 0) return rc;
    if ((rc = part_name(nm, name, "proj", ctx))) return rc;
    if ((rc = bb_nn_linear_init(&tb->out, ps, nm, dim, dim, 1, ctx)) < 0) return rc;
    if ((rc = part_name(nm, name, "ln2", ctx))) return rc;
    if ((rc = bb_nn_layernorm_init(&tb->ln2, ps, nm, dim, 1e-5, ctx)) < 0) return rc;
    if ((rc = part_name(nm, name, "fc1", ctx))) return rc;
    if ((rc = bb_nn_linear_init(&tb->fc1, ps, nm, dim, 4 * dim, 1, ctx)) < 0) return rc;
    if ((rc = part_name(nm, name, "fc2", ctx))) return rc;
    return bb_nn_linear_init(&tb->fc2, ps, nm, 4 * dim, dim, 1, ctx);
}

bb_nn_tensor *bb_nn_transformer_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_transformer *tb,
                                    bb_nn_tensor *x) {
    if (!x || nn_failed(g)) return NULL;
    if (x->ndim != 3 || x->ne[2] != tb->dim)
        return NN_FAIL(g, BB_EINVAL, "nn transformer: input must be [B, T, %d]", tb->dim);
    const int64_t C = tb->dim;
    bb_nn_tensor *h = bb_nn_linear_fwd(g, ps, &tb->qkv, bb_nn_layernorm_fwd(g, ps, &tb->ln1, x));
    bb_nn_tensor *a = bb_nn_attention(g, bb_nn_slice_cols(g, h, 0, C), bb_nn_slice_cols(g, h, C, 2 * C),
                                      bb_nn_slice_cols(g, h, 2 * C, 3 * C), tb->heads);
    x = bb_nn_add(g, x, bb_nn_linear_fwd(g, ps, &tb->out, a));
    bb_nn_tensor *m = bb_nn_gelu(g, bb_nn_linear_fwd(g, ps, &tb->fc1, bb_nn_layernorm_fwd(g, ps, &tb->ln2, x)));
    return bb_nn_add(g, x, bb_nn_linear_fwd(g, ps, &tb->fc2, m));
}

bb_nn_tensor *bb_nn_gelu_tanh(bb_nn_graph *g, bb_nn_tensor *a) {
    const double k = 0.79788456080286535588;                                                    /* sqrt(2 / pi) */
    bb_nn_tensor *inner = bb_nn_mul(g, a, bb_nn_scale(g, bb_nn_mul(g, a, a), 0.044715 * k, k)); /* k (a + c a^3) */
    return bb_nn_mul(g, bb_nn_scale(g, a, 0.5, 0.0), bb_nn_scale(g, bb_nn_tanh(g, inner), 1.0, 1.0));
}

bb_nn_tensor *bb_nn_rope(bb_nn_graph *g, bb_nn_tensor *x, int heads, double base) {
    if (!x || nn_failed(g)) return NULL;
    if (x->ndim != 3 || heads < 1 || x->ne[2] % (2 * heads) || !(base > 0))
        return NN_FAIL(g, BB_EINVAL, "nn rope: x must be [B,T,C] with C a multiple of 2 x %d heads", heads);
    const int64_t B = x->ne[0], T = x->ne[1], C = x->ne[2], half = C / 2, hh = C / heads / 2;
    /* angle of pair j (head j / hh, frequency i = j % hh) at position p: p base^(-2i/dh) */
    bb_nn_tensor *cs[2] = {nn_new(g, x->dtype, 4, (const int64_t[]){1, T, half, 1}),
                           nn_new(g, x->dtype, 4, (const int64_t[]){1, T, half, 1})};
    if (!cs[0] || !cs[1]) return NULL;
    for (int64_t p = 0; p < T; p++)
        for (int64_t j = 0; j < half; j++) {
            const double th = (double)p * pow(base, -(double)(2 * (j % hh)) / (double)(2 * hh));
            const double v[2] = {cos(th), sin(th)};
            for (int k = 0; k < 2; k++) {
                if (x->dtype == BB_NN_F32)
                    ((float *)cs[k]->data)[p * half + j] = (float)v[k];
                else
                    ((double *)cs[k]->data)[p * half + j] = v[k];
            }
        }
    bb_nn_tensor *x4 = bb_nn_reshape(g, x, 4, (const int64_t[]){B, T, half, 2});
    bb_nn_tensor *x0 = bb_nn_slice_cols(g, x4, 0, 1), *x1 = bb_nn_slice_cols(g, x4, 1, 2);
    bb_nn_tensor *o0 = bb_nn_sub(g, bb_nn_mul(g, x0, cs[0]), bb_nn_mul(g, x1, cs[1]));
    bb_nn_tensor *o1 = bb_nn_add(g, bb_nn_mul(g, x1, cs[0]), bb_nn_mul(g, x0, cs[1]));
    return bb_nn_reshape(g, bb_nn_concat_cols(g, o0, o1), 3, (const int64_t[]){B, T, C});
}
