/* dit.c — a DiT over point sets (Peebles & Xie 2023; the DIT3D that PITA uses for peptides,
 * taraak/pita @ e987a7f src/models/components/dit.py: DDiTBlock, DDitFinalLayer,
 * TimestepEmbedder), composed from recorded ops so that both derivatives come for free.
 * Tokens are the atoms, each embedded from its coordinates; positions enter through rotary
 * embeddings of q and k; the noise level (and optionally the inverse temperature) modulate
 * every block through zero-initialised adaLN maps. nn.h has the equations. Not here:
 * dropout (the authors' 0.1; boltzbench trains without it, methods/pita/README.md).
 */
#include <stdio.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

/* "<a>.<b>" in nm[128]. */
static int join(char *nm, const char *a, const char *b, bb_ctx *ctx) {
    if (snprintf(nm, 128, "%s.%s", a, b) < 128) return BB_OK;
    return BB_ERR(ctx, BB_EINVAL, "nn dit %s: parameter name too long", a);
}

/* A linear layer whose weight and bias start at zero (adaLN-Zero, the output layer). */
static int zero_linear(bb_nn_linear *l, bb_nn_params *ps, const char *name, int in, int out, bb_ctx *ctx) {
    char nm[128];
    int rc;
    l->in = in;
    l->out = out;
    if ((rc = join(nm, name, "weight", ctx))) return rc;
    if ((l->w = bb_nn_params_add(ps, nm, 2, (const int64_t[]){in, out}, BB_NN_INIT_ZEROS, 0.0, ctx)) < 0) return l->w;
    if ((rc = join(nm, name, "bias", ctx))) return rc;
    if ((l->b = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, out}, BB_NN_INIT_ZEROS, 0.0, ctx)) < 0) return l->b;
    return BB_OK;
}

/* A LayerNorm weight [1, dim] starting at 1 (the authors' LayerNorm has no bias). */
static int norm_weight(bb_nn_params *ps, const char *name, const char *part, int dim, bb_ctx *ctx) {
    char nm[128];
    int rc = join(nm, name, part, ctx);
    return rc ? rc : bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, dim}, BB_NN_INIT_CONST, 1.0, ctx);
}

static int block_init(bb_nn_dit_block *b, bb_nn_params *ps, const char *name, const bb_nn_dit_config *c, bb_ctx *ctx) {
    char nm[128];
    const int H = c->hidden;
    int rc;
    if ((b->norm1 = norm_weight(ps, name, "norm1", H, ctx)) < 0) return b->norm1;
    if ((rc = join(nm, name, "qkv", ctx)) || (rc = bb_nn_linear_init(&b->qkv, ps, nm, H, 3 * H, 0, ctx))) return rc;
    if ((rc = join(nm, name, "proj", ctx)) || (rc = bb_nn_linear_init(&b->out, ps, nm, H, H, 0, ctx))) return rc;
    if ((b->norm2 = norm_weight(ps, name, "norm2", H, ctx)) < 0) return b->norm2;
    if ((rc = join(nm, name, "fc1", ctx)) || (rc = bb_nn_linear_init(&b->fc1, ps, nm, H, 4 * H, 1, ctx))) return rc;
    if ((rc = join(nm, name, "fc2", ctx)) || (rc = bb_nn_linear_init(&b->fc2, ps, nm, 4 * H, H, 1, ctx))) return rc;
    if ((rc = join(nm, name, "ada", ctx))) return rc;
    return zero_linear(&b->ada, ps, nm, c->cond_dim, 6 * H, ctx);
}

int bb_nn_dit_init(bb_nn_dit *net, bb_nn_params *ps, const char *name, const bb_nn_dit_config *cfg, bb_ctx *ctx) {
    memset(net, 0, sizeof *net);
    const bb_nn_dit_config *c = cfg;
    if (c->n_tokens < 1 || c->token_dim < 1 || c->hidden < 2 || c->heads < 1 || c->hidden % (2 * c->heads) ||
        c->blocks < 1 || c->blocks > BB_NN_DIT_MAX_BLOCKS || c->cond_dim < 1 || c->freq_dim < 2 || c->freq_dim % 2 ||
        !(c->rope_base > 0))
        return BB_ERR(ctx, BB_EINVAL,
                      "nn dit %s: need tokens, hidden a multiple of 2 x heads (%d, %d), 1..%d blocks (%d), cond_dim "
                      ">= 1, freq_dim even, rope_base > 0",
                      name, c->hidden, c->heads, BB_NN_DIT_MAX_BLOCKS, c->blocks);
    net->cfg = *c;
    char nm[128], part[32];
    int rc;
    if ((rc = join(nm, name, "embed", ctx)) ||
        (rc = bb_nn_linear_init(&net->embed, ps, nm, c->token_dim, c->hidden, 1, ctx)))
        return rc;
    const int sizes[3] = {c->freq_dim, c->cond_dim, c->cond_dim};
    for (int k = 0; k < 1 + (c->cond_temp != 0); k++) {
        if ((rc = join(nm, name, k ? "temp_map" : "sigma_map", ctx)) ||
            (rc = bb_nn_mlp_init(&net->cond[k], ps, nm, 3, sizes, BB_NN_ACT_SILU, ctx)))
            return rc;
    }
    for (int l = 0; l < c->blocks; l++) {
        snprintf(part, sizeof part, "block%d", l);
        if ((rc = join(nm, name, part, ctx)) || (rc = block_init(&net->block[l], ps, nm, c, ctx))) return rc;
    }
    if ((net->norm_final = norm_weight(ps, name, "norm_final", c->hidden, ctx)) < 0) return net->norm_final;
    if ((rc = join(nm, name, "final_ada", ctx)) ||
        (rc = zero_linear(&net->final_ada, ps, nm, c->cond_dim, 2 * c->hidden, ctx)))
        return rc;
    if ((rc = join(nm, name, "final_out", ctx))) return rc;
    return zero_linear(&net->final_out, ps, nm, c->hidden, c->token_dim, ctx);
}

/* LN(x) w (1 + scale) + shift: x [B,T,H], w [1,H], shift and scale [B,1,H]. */
static bb_nn_tensor *modulate(bb_nn_graph *g, const bb_nn_params *ps, int w, bb_nn_tensor *x, bb_nn_tensor *shift,
                              bb_nn_tensor *scale) {
    bb_nn_tensor *n = bb_nn_mul(g, bb_nn_layernorm_plain(g, x, 1e-5), bb_nn_param(g, ps, w));
    return bb_nn_add(g, bb_nn_mul(g, n, bb_nn_scale(g, scale, 1.0, 1.0)), shift);
}

/* Chunk k of `parts` equal column blocks of m [B,1,parts*H]. */
static bb_nn_tensor *chunk(bb_nn_graph *g, bb_nn_tensor *m, int k, int64_t H) {
    return bb_nn_slice_cols(g, m, k * H, (k + 1) * H);
}

static bb_nn_tensor *block_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_dit *net, const bb_nn_dit_block *b,
                               bb_nn_tensor *x, bb_nn_tensor *c) {
    const int64_t B = x->ne[0], H = net->cfg.hidden;
    const int heads = net->cfg.heads;
    bb_nn_tensor *m = bb_nn_reshape(g, bb_nn_linear_fwd(g, ps, &b->ada, c), 3, (const int64_t[]){B, 1, 6 * H});
    bb_nn_tensor *h = modulate(g, ps, b->norm1, x, chunk(g, m, 0, H), chunk(g, m, 1, H));
    h = bb_nn_linear_fwd(g, ps, &b->qkv, h);
    bb_nn_tensor *q = bb_nn_rope(g, bb_nn_slice_cols(g, h, 0, H), heads, net->cfg.rope_base);
    bb_nn_tensor *k = bb_nn_rope(g, bb_nn_slice_cols(g, h, H, 2 * H), heads, net->cfg.rope_base);
    bb_nn_tensor *a = bb_nn_attention(g, q, k, bb_nn_slice_cols(g, h, 2 * H, 3 * H), heads);
    x = bb_nn_add(g, x, bb_nn_mul(g, chunk(g, m, 2, H), bb_nn_linear_fwd(g, ps, &b->out, a)));
    h = modulate(g, ps, b->norm2, x, chunk(g, m, 3, H), chunk(g, m, 4, H));
    h = bb_nn_linear_fwd(g, ps, &b->fc2, bb_nn_gelu_tanh(g, bb_nn_linear_fwd(g, ps, &b->fc1, h)));
    return bb_nn_add(g, x, bb_nn_mul(g, chunk(g, m, 5, H), h));
}

bb_nn_tensor *bb_nn_dit_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_dit *net, bb_nn_tensor *x,
                            bb_nn_tensor *t, bb_nn_tensor *temp) {
    if (!x || !t || nn_failed(g)) return NULL;
    const bb_nn_dit_config *c = &net->cfg;
    const int64_t T = c->n_tokens, Dt = c->token_dim, H = c->hidden;
    if (x->ndim != 2 || x->ne[1] != T * Dt || t->ndim != 2 || t->ne[0] != x->ne[0] || t->ne[1] != 1 ||
        (!temp) != (!c->cond_temp))
        return NN_FAIL(g, BB_EINVAL, "nn dit: x must be [B, %lld], t [B,1] and temp [B,1] iff cond_temp",
                       (long long)(T * Dt));
    const int64_t B = x->ne[0];
    bb_nn_tensor *cond = bb_nn_mlp_fwd(g, ps, &net->cond[0], bb_nn_time_embed_sin(g, t, c->freq_dim, 1e4));
    if (temp)
        cond = bb_nn_add(g, cond, bb_nn_mlp_fwd(g, ps, &net->cond[1], bb_nn_time_embed_sin(g, temp, c->freq_dim, 1e4)));
    cond = bb_nn_silu(g, cond);
    bb_nn_tensor *h = bb_nn_linear_fwd(g, ps, &net->embed, bb_nn_reshape(g, x, 3, (const int64_t[]){B, T, Dt}));
    for (int l = 0; l < c->blocks; l++) h = block_fwd(g, ps, net, &net->block[l], h, cond);
    bb_nn_tensor *m =
        bb_nn_reshape(g, bb_nn_linear_fwd(g, ps, &net->final_ada, cond), 3, (const int64_t[]){B, 1, 2 * H});
    h = bb_nn_linear_fwd(g, ps, &net->final_out,
                         modulate(g, ps, net->norm_final, h, chunk(g, m, 0, H), chunk(g, m, 1, H)));
    return bb_nn_reshape(g, h, 2, (const int64_t[]){B, T * Dt});
}
