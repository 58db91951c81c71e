/* optim.c — Adam / AdamW steps, global gradient-norm clipping, the warmup + cosine
 * learning-rate schedule and an exponential moving average of the weights.
 *
 * Updates follow torch.optim.Adam / AdamW exactly (bias corrections, eps outside the
 * square root) so that trajectories can be compared with PyTorch. Moments and the EMA
 * shadow are kept in double, one allocation each. The parameter loop is parallel over
 * a fixed static partition: each element's update is independent, so results do not
 * depend on the thread count. Not here: checkpoint files (checkpoint.c).
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

int bb_nn_adam_init(bb_nn_adam *o, const bb_nn_params *ps, double beta1, double beta2, double eps, double weight_decay,
                    int decoupled, bb_ctx *ctx) {
    memset(o, 0, sizeof *o);
    if (!ps->allocated) return BB_ERR(ctx, BB_EINVAL, "nn adam: parameter group not allocated");
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weight_decay >= 0))
        return BB_ERR(ctx, BB_EINVAL, "nn adam: betas must be in [0,1), eps > 0, weight decay >= 0");
    o->m = calloc(2 * (ps->total ? ps->total : 1), sizeof(double));
    if (!o->m) return BB_ERR(ctx, BB_ENOMEM, "nn adam: out of memory for %zu moments", ps->total);
    o->v = o->m + ps->total;
    o->n = ps->total;
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = eps;
    o->weight_decay = weight_decay;
    o->decoupled = decoupled != 0;
    o->threads = omp_get_max_threads();
    return BB_OK;
}

void bb_nn_adam_free(bb_nn_adam *o) {
    if (!o) return;
    free(o->m);
    memset(o, 0, sizeof *o);
}

int bb_nn_adam_step(bb_nn_adam *o, bb_nn_params *ps, double lr, bb_ctx *ctx) {
    if (o->n != ps->total || !o->m)
        return BB_ERR(ctx, BB_EINVAL, "nn adam: state has %zu values, parameters %zu", o->n, ps->total);
    o->t++;
    const double b1 = o->beta1, b2 = o->beta2, eps = o->eps, wd = o->weight_decay;
    const double c1 = 1.0 - pow(b1, (double)o->t), c2 = 1.0 - pow(b2, (double)o->t);
    const double step = lr / c1, sc2 = sqrt(c2);
    const int dec = o->decoupled;
    const int64_t n = (int64_t)o->n;
    double *m = o->m, *v = o->v;
    NN_DISPATCH(ps->dtype, {
        real *p = ps->data;
        const real *gr = ps->grad;
        NN_PAR_FOR(
            o->threads, n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++), double pi = (double)p[i], gi = (double)gr[i];
            if (dec) pi -= lr * wd * pi; else gi += wd * pi; m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi; pi -= step * m[i] / (sqrt(v[i]) / sc2 + eps); p[i] = (real)pi;);
    });
    return BB_OK;
}

double bb_nn_clip_grad_norm(bb_nn_params *ps, double max_norm) {
    double norm = bb_nn_params_grad_norm(ps);
    if (norm > max_norm) {
        double f = max_norm / (norm + 1e-6);
        NN_DISPATCH(ps->dtype, {
            real *gr = ps->grad;
            for (size_t i = 0; i < ps->total; i++) gr[i] = (real)((double)gr[i] * f);
        });
    }
    return norm;
}

double bb_nn_lr_schedule(int64_t step, double base, int64_t warmup, int64_t total, double min_lr) {
    if (step < warmup) return base * (double)(step + 1) / (double)warmup;
    if (step >= total || total <= warmup) return min_lr;
    double p = (double)(step - warmup) / (double)(total - warmup);
    return min_lr + 0.5 * (base - min_lr) * (1.0 + cos(M_PI * p));
}

int bb_nn_ema_init(bb_nn_ema *e, const bb_nn_params *ps, double decay, bb_ctx *ctx) {
    memset(e, 0, sizeof *e);
    if (!ps->allocated || !(decay >= 0 && decay <= 1))
        return BB_ERR(ctx, BB_EINVAL, "nn ema: decay %g outside [0,1] or parameters not allocated", decay);
    e->shadow = malloc(sizeof(double) * (ps->total ? ps->total : 1));
    if (!e->shadow) return BB_ERR(ctx, BB_ENOMEM, "nn ema: out of memory");
    e->n = ps->total;
    e->decay = decay;
    NN_DISPATCH(ps->dtype, {
        const real *p = ps->data;
        for (size_t i = 0; i < e->n; i++) e->shadow[i] = (double)p[i];
    });
    return BB_OK;
}

void bb_nn_ema_update(bb_nn_ema *e, const bb_nn_params *ps) {
    const double d = e->decay;
    NN_DISPATCH(ps->dtype, {
        const real *p = ps->data;
        for (size_t i = 0; i < e->n; i++) e->shadow[i] = d * e->shadow[i] + (1.0 - d) * (double)p[i];
    });
}

void bb_nn_ema_swap(bb_nn_ema *e, bb_nn_params *ps) {
    NN_DISPATCH(ps->dtype, {
        real *p = ps->data;
        for (size_t i = 0; i < e->n; i++) {
            double t = (double)p[i];
            p[i] = (real)e->shadow[i];
            e->shadow[i] = t;
        }
    });
}

void bb_nn_ema_free(bb_nn_ema *e) {
    if (!e) return;
    free(e->shadow);
    memset(e, 0, sizeof *e);
}
