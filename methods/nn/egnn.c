/* egnn.c — the E(n)-equivariant graph network (Satorras et al. 2021, eqs. 3-6) on fully
 * connected graphs, with the first edge layer split per node and a fused gather
 * (bb_nn_pair_add), so the large GEMMs run over all edges of the batch at once.
 *
 * Equivariance holds by construction: edges see only |x_i - x_j|^2, coordinates move
 * along x_i - x_j, sums over j are permutation invariant, and centre-of-mass removal
 * makes the output translation invariant. Not here: the training loss (methods decide).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

int bb_nn_egnn_init(bb_nn_egnn *net, bb_nn_params *ps, const char *name, const bb_nn_egnn_config *cfg, bb_ctx *ctx) {
    memset(net, 0, sizeof *net);
    net->cfg = *cfg;
    const int H = cfg->hidden, T = cfg->t_dim, C = cfg->n_cond;
    if (cfg->n_particles < 2 || cfg->dim < 1 || H < 1 || cfg->n_layers < 1 || cfg->n_layers > BB_NN_EGNN_MAX_LAYERS ||
        T < 0 || T % 2 || C < 0 || cfg->out < 0 || cfg->out >= BB_NN_EGNN_OUT_COUNT || !(cfg->coord_range >= 0.0))
        return BB_ERR(ctx, BB_EINVAL, "nn egnn %s: bad config (P=%d D=%d H=%d layers=%d t_dim=%d)", name,
                      cfg->n_particles, cfg->dim, H, cfg->n_layers, T);
    char nm[128];
    int rc;
    net->h0 = -1;
    if (T + C > 0) {
        if (snprintf(nm, sizeof nm, "%s.embed", name) >= (int)sizeof nm)
            return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
        if ((rc = bb_nn_linear_init(&net->embed, ps, nm, T + C, H, 1, ctx)) < 0) return rc;
    } else {
        if (snprintf(nm, sizeof nm, "%s.h0", name) >= (int)sizeof nm)
            return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
        if ((net->h0 = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, H}, BB_NN_INIT_NORMAL, 1.0, ctx)) < 0)
            return net->h0;
    }
    for (int l = 0; l < cfg->n_layers; l++) {
        bb_nn_egnn_layer *L = &net->layer[l];
        struct {
            bb_nn_linear *lin;
            const char *sfx;
            int in, out, bias;
        } spec[7] = {{&L->e1, "edge1", 2 * H + 1 + T + (cfg->edge_attr ? 1 : 0), H, 1},
                     {&L->e2, "edge2", H, H, 1},
                     {&L->x1, "coord1", H, H, 1},
                     {&L->x2, "coord2", H, 1, 0},
                     {&L->n1, "node1", 2 * H, H, 1},
                     {&L->n2, "node2", H, H, 1},
                     {&L->att, "att", H, 1, 1}};
        for (int k = 0; k < (cfg->attention ? 7 : 6); k++) {
            if (snprintf(nm, sizeof nm, "%s.%d.%s", name, l, spec[k].sfx) >= (int)sizeof nm)
                return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
            if ((rc = bb_nn_linear_init(spec[k].lin, ps, nm, spec[k].in, spec[k].out, spec[k].bias, ctx)) < 0)
                return rc;
        }
        /* Satorras et al.: xavier_uniform(gain = 0.001) on the last coordinate layer. */
        ps->info[L->x2.w].a = 0.001 * sqrt(6.0 / (double)(H + 1));
    }
    if (cfg->out == BB_NN_EGNN_SCALAR) {
        if (snprintf(nm, sizeof nm, "%s.out1", name) >= (int)sizeof nm)
            return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
        if ((rc = bb_nn_linear_init(&net->o1, ps, nm, H, H, 1, ctx)) < 0) return rc;
        if (snprintf(nm, sizeof nm, "%s.out2", name) >= (int)sizeof nm)
            return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
        if ((rc = bb_nn_linear_init(&net->o2, ps, nm, H, 1, 1, ctx)) < 0) return rc;
    }
    return BB_OK;
}

int bb_nn_egnn_graph_init(bb_nn_egnn_graph *eg, int64_t B, int64_t P, bb_ctx *ctx) {
    memset(eg, 0, sizeof *eg);
    if (B < 1 || P < 2 || B * P * (P - 1) > INT32_MAX)
        return BB_ERR(ctx, BB_EINVAL, "nn egnn graph: B=%lld P=%lld out of range", (long long)B, (long long)P);
    const int64_t E = B * P * (P - 1), N = B * P;
    int32_t *ii = malloc(sizeof(int32_t) * (size_t)E), *jj = malloc(sizeof(int32_t) * (size_t)E);
    int32_t *bb = malloc(sizeof(int32_t) * (size_t)N);
    int rc = BB_OK;
    if (!ii || !jj || !bb) {
        rc = BB_ERR(ctx, BB_ENOMEM, "nn egnn graph: out of memory for %lld edges", (long long)E);
        goto out;
    }
    int64_t e = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < P; i++) {
            bb[b * P + i] = (int32_t)b;
            for (int64_t j = 0; j < P; j++)
                if (j != i) {
                    ii[e] = (int32_t)(b * P + i);
                    jj[e] = (int32_t)(b * P + j);
                    e++;
                }
        }
    if ((rc = bb_nn_index_init(&eg->src, E, N, ii, ctx)) < 0 || (rc = bb_nn_index_init(&eg->dst, E, N, jj, ctx)) < 0 ||
        (rc = bb_nn_index_init(&eg->batch, N, B, bb, ctx)) < 0) {
        bb_nn_egnn_graph_free(eg);
        goto out;
    }
    eg->B = B;
    eg->P = P;
    eg->E = E;
out:
    BB_FREE_ALL(ii, jj, bb);
    return rc;
}

void bb_nn_egnn_graph_free(bb_nn_egnn_graph *eg) {
    if (!eg) return;
    bb_nn_index_free(&eg->src);
    bb_nn_index_free(&eg->dst);
    bb_nn_index_free(&eg->batch);
    memset(eg, 0, sizeof *eg);
}

bb_nn_tensor *bb_nn_remove_com(bb_nn_graph *g, bb_nn_tensor *x, int P, int D) {
    if (!x || nn_failed(g)) return NULL;
    const int64_t B = x->n / ((int64_t)P * D);
    bb_nn_tensor *x3 = bb_nn_reshape(g, x, 3, (const int64_t[]){B, P, D});
    bb_nn_tensor *m = bb_nn_scale(g, bb_nn_sum_to(g, x3, 3, (const int64_t[]){B, 1, D}), 1.0 / P, 0.0);
    return bb_nn_reshape(g, bb_nn_sub(g, x3, m), x->ndim, x->ne);
}

/* Rows [r0, r1) of a Linear's weight as a leaf (a contiguous block of [in, out]). */
static bb_nn_tensor *wrows(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_linear *l, int64_t r0, int64_t r1) {
    return bb_nn_param_rows(g, ps, l->w, r0, r1);
}

bb_nn_tensor *bb_nn_egnn_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_egnn *net, const bb_nn_egnn_graph *eg,
                             bb_nn_tensor *x, bb_nn_tensor *t) {
    return bb_nn_egnn_fwd_cond(g, ps, net, eg, x, t, NULL);
}

bb_nn_tensor *bb_nn_egnn_fwd_cond(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_egnn *net,
                                  const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *t, bb_nn_tensor *cond) {
    if (!x || nn_failed(g)) return NULL;
    const bb_nn_egnn_config *cf = &net->cfg;
    const int P = cf->n_particles, D = cf->dim, H = cf->hidden, T = cf->t_dim, C = cf->n_cond;
    const int64_t B = eg->B, N = B * P;
    if (eg->P != P || x->n != B * P * D || bb_nn_rows(x) != B)
        return NN_FAIL(g, BB_EINVAL, "nn egnn: x must be [%lld, %d] for this graph", (long long)B, P * D);
    if ((T > 0) != (t != NULL) || (t && t->n != B))
        return NN_FAIL(g, BB_EINVAL, "nn egnn: t must be [%lld,1] iff t_dim > 0", (long long)B);
    if ((C > 0) != (cond != NULL) || (cond && (cond->n != B * C || bb_nn_cols(cond) != C)))
        return NN_FAIL(g, BB_EINVAL, "nn egnn: cond must be [%lld,%d] iff n_cond > 0", (long long)B, C);
    bb_nn_tensor *x0 = bb_nn_reshape(g, bb_nn_remove_com(g, x, P, D), 2, (const int64_t[]){N, D});
    bb_nn_tensor *temb = NULL, *h;
    if (T + C > 0) {
        if (T > 0) temb = bb_nn_time_embed_sin(g, bb_nn_scale(g, t, 1000.0, 0.0), T, 10000.0); /* [B,T] */
        bb_nn_tensor *in = !cond ? temb : !temb ? cond : bb_nn_concat_cols(g, temb, cond);
        h = bb_nn_gather(g, bb_nn_linear_fwd(g, ps, &net->embed, in), &eg->batch);
    } else {
        h = bb_nn_broadcast_to(g, bb_nn_param(g, ps, net->h0), 2, (const int64_t[]){N, H});
    }
    bb_nn_tensor *xl = x0, *d2_0 = NULL;
    const double inv = cf->coord_sum ? 1.0 : 1.0 / (double)(P - 1);
    for (int l = 0; l < cf->n_layers; l++) {
        const bb_nn_egnn_layer *L = &net->layer[l];
        /* radial features: diff [E,D] = x_i - x_j, d2 [E,1] */
        bb_nn_tensor *diff = bb_nn_pair_add(g, xl, bb_nn_scale(g, xl, -1.0, 0.0), &eg->src, &eg->dst, NULL, NULL);
        bb_nn_tensor *d2 = bb_nn_sum_cols(g, bb_nn_mul(g, diff, diff));
        if (l == 0) d2_0 = d2;
        /* first edge layer per node: A = h W_i + (t W_t + b) per config, Bn = h W_j */
        bb_nn_tensor *A = bb_nn_matmul(g, h, wrows(g, ps, &L->e1, 0, H), 0, 0, NULL);
        bb_nn_tensor *bias = bb_nn_param(g, ps, L->e1.b);
        if (T > 0) {
            bb_nn_tensor *tb = bb_nn_matmul(g, temb, wrows(g, ps, &L->e1, 2 * H + 1, 2 * H + 1 + T), 0, 0, bias);
            A = bb_nn_add(g, A, bb_nn_gather(g, tb, &eg->batch));
        } else {
            A = bb_nn_add(g, A, bias);
        }
        bb_nn_tensor *Bn = bb_nn_matmul(g, h, wrows(g, ps, &L->e1, H, 2 * H), 0, 0, NULL);
        bb_nn_tensor *m = bb_nn_pair_add(g, A, Bn, &eg->src, &eg->dst, d2, wrows(g, ps, &L->e1, 2 * H, 2 * H + 1));
        if (cf->edge_attr) /* + |x_i - x_j|^2 of the input times its row of W1: [E,1] x [1,H] */
            m = bb_nn_add(g, m, bb_nn_matmul(g, d2_0, wrows(g, ps, &L->e1, 2 * H + 1 + T, 2 * H + 2 + T), 0, 0, NULL));
        m = bb_nn_act_apply(g, m, cf->act);
        m = bb_nn_act_apply(g, bb_nn_linear_fwd(g, ps, &L->e2, m), cf->act); /* [E,H] */
        if (cf->attention)
            m = bb_nn_mul(g, m, bb_nn_unary(g, bb_nn_linear_fwd(g, ps, &L->att, m), BB_NN_FN_SIGMOID, 0));
        /* coordinate update */
        bb_nn_tensor *phi =
            bb_nn_linear_fwd(g, ps, &L->x2, bb_nn_act_apply(g, bb_nn_linear_fwd(g, ps, &L->x1, m), cf->act));
        if (cf->coord_range > 0) phi = bb_nn_scale(g, bb_nn_tanh(g, phi), cf->coord_range / cf->n_layers, 0.0);
        bb_nn_tensor *dir = diff;
        if (cf->normalize)
            dir = bb_nn_div(g, diff,
                            bb_nn_scale(g, bb_nn_unary(g, bb_nn_scale(g, d2, 1.0, 1e-8), BB_NN_FN_SQRT, 0), 1.0, 1.0));
        bb_nn_tensor *upd = bb_nn_scatter(g, bb_nn_mul(g, dir, phi), &eg->src); /* [N,D] */
        xl = bb_nn_add(g, xl, bb_nn_scale(g, upd, inv, 0.0));
        /* node update with residual */
        bb_nn_tensor *agg = bb_nn_scatter(g, m, &eg->src); /* [N,H] */
        bb_nn_tensor *u = bb_nn_matmul(g, h, wrows(g, ps, &L->n1, 0, H), 0, 0, bb_nn_param(g, ps, L->n1.b));
        u = bb_nn_add(g, u, bb_nn_matmul(g, agg, wrows(g, ps, &L->n1, H, 2 * H), 0, 0, NULL));
        h = bb_nn_add(g, h, bb_nn_linear_fwd(g, ps, &L->n2, bb_nn_act_apply(g, u, cf->act)));
    }
    if (cf->out == BB_NN_EGNN_VECTOR) {
        bb_nn_tensor *v = bb_nn_reshape(g, bb_nn_sub(g, xl, x0), 2, (const int64_t[]){B, (int64_t)P * D});
        return bb_nn_remove_com(g, v, P, D);
    }
    bb_nn_tensor *e =
        bb_nn_linear_fwd(g, ps, &net->o2, bb_nn_act_apply(g, bb_nn_linear_fwd(g, ps, &net->o1, h), cf->act));
    return bb_nn_sum_cols(g, bb_nn_reshape(g, e, 2, (const int64_t[]){B, P}));
}
