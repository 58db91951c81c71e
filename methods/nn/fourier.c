/* fourier.c — the Fourier-feature MLP that PIS uses for its control u(t, x) (Zhang &
 * Chen, "Path Integral Sampler", 2022; FourierMLP in their code), with the same layer
 * order and zero-initialised last layer, so results can be cross-checked with PyTorch.
 * When t is [1,1] the time branch runs once per step and broadcasts over the batch.
 * Also the TimeConder of PIS-Grad (their src/networks/time_conder.py): the coefficient
 * network c(t) of the gradient term, on the same Fourier time features.
 */
#include <stdio.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

/* The linear layer "<name>.<part>", in -> out with bias. */
static int linear_part(bb_nn_linear *l, bb_nn_params *ps, const char *name, const char *part, int in, int out,
                       bb_ctx *ctx) {
    char nm[128];
    if (snprintf(nm, sizeof nm, "%s.%s", name, part) >= (int)sizeof nm)
        return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
    return bb_nn_linear_init(l, ps, nm, in, out, 1, ctx);
}

int bb_nn_fourier_mlp_init(bb_nn_fourier_mlp *f, bb_nn_params *ps, const char *name, int in, int out, int channels,
                           int n_layers, bb_ctx *ctx) {
    memset(f, 0, sizeof *f);
    if (in < 1 || out < 1 || channels < 1 || n_layers < 0 || n_layers > BB_NN_FOURIER_MAX_LAYERS)
        return BB_ERR(ctx, BB_EINVAL, "nn fourier mlp %s: in %d out %d channels %d layers %d", name, in, out, channels,
                      n_layers);
    f->in = in;
    f->out = out;
    f->channels = channels;
    f->n_layers = n_layers;
    char nm[128];
    int rc;
    if (snprintf(nm, sizeof nm, "%s.timestep_phase", name) >= (int)sizeof nm)
        return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
    if ((f->phase = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, channels}, BB_NN_INIT_NORMAL, 1.0, ctx)) < 0)
        return f->phase;
    if ((rc = linear_part(&f->embed_in, ps, name, "input_embed", in, channels, ctx)) < 0) return rc;
    if ((rc = linear_part(&f->t1, ps, name, "timestep_embed.0", 2 * channels, channels, ctx)) < 0) return rc;
    if ((rc = linear_part(&f->t2, ps, name, "timestep_embed.2", channels, channels, ctx)) < 0) return rc;
    for (int l = 0; l < n_layers; l++) {
        char part[32];
        snprintf(part, sizeof part, "layers.%d", l);
        if ((rc = linear_part(&f->hidden[l], ps, name, part, channels, channels, ctx)) < 0) return rc;
    }
    if ((rc = linear_part(&f->last, ps, name, "layers.out", channels, out, ctx)) < 0) return rc;
    ps->info[f->last.w].init = BB_NN_INIT_ZEROS; /* zero_init = True */
    ps->info[f->last.b].init = BB_NN_INIT_ZEROS;
    return BB_OK;
}

/* [sin(c t + phi), cos(c t + phi)] with c = torch.linspace(0.1, 100, C): [B|1, 2C]. */
static bb_nn_tensor *fourier_features(bb_nn_graph *g, const bb_nn_params *ps, int phase, int C, bb_nn_tensor *t) {
    bb_nn_tensor *coeff = nn_new(g, t->dtype, 2, (const int64_t[]){1, C});
    if (!coeff) return NULL;
    for (int k = 0; k < C; k++) { /* torch.linspace(0.1, 100, C) */
        double v = C > 1 ? 0.1 + (100.0 - 0.1) * (double)k / (double)(C - 1) : 0.1;
        if (t->dtype == BB_NN_F32)
            ((float *)coeff->data)[k] = (float)v;
        else
            ((double *)coeff->data)[k] = v;
    }
    bb_nn_tensor *arg = bb_nn_add(g, bb_nn_mul(g, t, coeff), bb_nn_param(g, ps, phase)); /* [B|1, C] */
    return bb_nn_concat_cols(g, bb_nn_unary(g, arg, BB_NN_FN_SIN, 0), bb_nn_unary(g, arg, BB_NN_FN_COS, 0));
}

bb_nn_tensor *bb_nn_fourier_mlp_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_fourier_mlp *f, bb_nn_tensor *t,
                                    bb_nn_tensor *x) {
    if (!t || !x || nn_failed(g)) return NULL;
    if (t->ndim != 2 || bb_nn_cols(t) != 1 || (t->ne[0] != 1 && t->ne[0] != bb_nn_rows(x)))
        return NN_FAIL(g, BB_EINVAL, "nn fourier mlp: t must be [B,1] or [1,1]");
    bb_nn_tensor *emb = fourier_features(g, ps, f->phase, f->channels, t);
    emb = bb_nn_linear_fwd(g, ps, &f->t2, bb_nn_gelu(g, bb_nn_linear_fwd(g, ps, &f->t1, emb)));
    bb_nn_tensor *h = bb_nn_gelu(g, bb_nn_add(g, bb_nn_linear_fwd(g, ps, &f->embed_in, x), emb));
    for (int l = 0; l < f->n_layers; l++) h = bb_nn_gelu(g, bb_nn_linear_fwd(g, ps, &f->hidden[l], h));
    return bb_nn_linear_fwd(g, ps, &f->last, h);
}

int bb_nn_time_conder_init(bb_nn_time_conder *f, bb_nn_params *ps, const char *name, int out, int channels,
                           int n_layers, bb_ctx *ctx) {
    memset(f, 0, sizeof *f);
    if (out < 1 || channels < 1 || n_layers < 1 || n_layers > BB_NN_FOURIER_MAX_LAYERS + 1)
        return BB_ERR(ctx, BB_EINVAL, "nn time conder %s: out %d channels %d layers %d", name, out, channels, n_layers);
    f->out = out;
    f->channels = channels;
    f->n_layers = n_layers;
    char nm[128], part[32];
    int rc;
    if (snprintf(nm, sizeof nm, "%s.timestep_phase", name) >= (int)sizeof nm)
        return BB_ERR(ctx, BB_EINVAL, "nn %s: parameter name too long", name);
    if ((f->phase = bb_nn_params_add(ps, nm, 2, (const int64_t[]){1, channels}, BB_NN_INIT_NORMAL, 1.0, ctx)) < 0)
        return f->phase;
    /* names as torch's nn.Sequential numbers them: layers.0, layers.<l>.1, layers.<n_layers + 1> */
    if ((rc = linear_part(&f->first, ps, name, "layers.0", 2 * channels, channels, ctx)) < 0) return rc;
    for (int l = 0; l + 1 < n_layers; l++) {
        snprintf(part, sizeof part, "layers.%d.1", l + 1);
        if ((rc = linear_part(&f->hidden[l], ps, name, part, channels, channels, ctx)) < 0) return rc;
    }
    snprintf(part, sizeof part, "layers.%d", n_layers + 1);
    if ((rc = linear_part(&f->last, ps, name, part, channels, out, ctx)) < 0) return rc;
    ps->info[f->last.w].init = BB_NN_INIT_ZEROS; /* weight.fill_(0.0) */
    ps->info[f->last.b].init = BB_NN_INIT_CONST; /* bias.fill_(0.01) */
    ps->info[f->last.b].a = 0.01;
    return BB_OK;
}

bb_nn_tensor *bb_nn_time_conder_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_time_conder *f,
                                    bb_nn_tensor *t) {
    if (!t || nn_failed(g)) return NULL;
    if (t->ndim != 2 || bb_nn_cols(t) != 1) return NN_FAIL(g, BB_EINVAL, "nn time conder: t must be [B,1]");
    bb_nn_tensor *h = bb_nn_linear_fwd(g, ps, &f->first, fourier_features(g, ps, f->phase, f->channels, t));
    for (int l = 0; l + 1 < f->n_layers; l++) h = bb_nn_linear_fwd(g, ps, &f->hidden[l], bb_nn_gelu(g, h));
    return bb_nn_linear_fwd(g, ps, &f->last, bb_nn_gelu(g, h));
}
