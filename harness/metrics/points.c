/* points.c — turn a sample set into the point cloud a distribution metric compares
 * (mmd, sinkhorn): configurations with u = +INFINITY dropped and counted, seeded
 * subsample without replacement down to nmax, each configuration centred when the
 * task is translation invariant, importance weights carried along.
 *
 * It does not resample by weight (ot_exact.c does that for the assignment metrics,
 * which need equal weights); mmd and sinkhorn use the weights directly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"
#include "tasks/task.h"

int bb_points_load(const bb_samples *s, const double *u, const bb_task *task, size_t nmax, uint64_t seed,
                   uint64_t stream, const char *what, bb_wset *out, size_t *n_rejected, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    *n_rejected = 0;
    double *w = NULL;
    size_t *keep = NULL, *sub = NULL;
    int rc = bb_weights_from_log(s->n, s->logw, &w, what, ctx);
    if (rc) return rc;
    keep = malloc((s->n ? s->n : 1) * sizeof *keep);
    if (!keep) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (u && isnan(u[i])) {
            rc = BB_ERR(ctx, BB_ENAN, "%s: energy %zu is NaN", what, i);
            goto out;
        }
        if (u && u[i] == INFINITY) {
            (*n_rejected)++;
            continue;
        }
        for (size_t k = 0; k < s->dof; k++)
            if (!isfinite(s->x[i * s->dof + k])) {
                rc = BB_ERR(ctx, BB_ENAN, "%s: configuration %zu has a non-finite coordinate", what, i);
                goto out;
            }
        keep[m++] = i;
    }
    size_t n = m < nmax ? m : nmax;
    sub = malloc((n ? n : 1) * sizeof *sub);
    out->v = malloc((n * s->dof > 0 ? n * s->dof : 1) * sizeof(double));
    if (w) out->w = malloc((n ? n : 1) * sizeof(double));
    if (!sub || !out->v || (w && !out->w)) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu configurations", what, n);
        goto out;
    }
    if (n < m) {
        rc = bb_subsample_indices(m, n, NULL, seed, stream, sub, ctx);
        if (rc) goto out;
    } else {
        for (size_t i = 0; i < n; i++) sub[i] = i;
    }
    int P = task ? task->n_particles : 1, D = task ? task->dim : 1;
    int centre = task && (task->flags & BB_TASK_TRANSLATION_INV) && P >= 2 && (size_t)(P * D) == s->dof;
    for (size_t i = 0; i < n; i++) {
        size_t src = keep[sub[i]];
        if (centre)
            bb_center(P, D, s->x + src * s->dof, out->v + i * s->dof);
        else
            memcpy(out->v + i * s->dof, s->x + src * s->dof, s->dof * sizeof(double));
        if (w) out->w[i] = w[src];
    }
    out->n = n;
    out->k = s->dof;
out:
    if (rc) bb_wset_free(out);
    free(w);
    free(keep);
    free(sub);
    return rc;
}

int bb_points_pair(const bb_eval_input *in, size_t nmax, uint64_t base, bb_points2 *p, bb_ctx *ctx) {
    memset(p, 0, sizeof *p);
    bb_wset all = {0};
    size_t *sub = NULL;
    int rc = bb_points_load(in->samples, in->u_samples, in->task, nmax, in->seed, base + 0xFFFFu, "samples", &p->a,
                            &p->rej_a, ctx);
    if (!rc)
        rc = bb_points_load(in->reference, in->u_reference, in->task, (size_t)-1, in->seed, 0, "reference", &all,
                            &p->rej_b, ctx);
    if (rc) goto out;
    /* the compared reference: the same rows bb_points_load(nmax, base + 0xFFFE) would give */
    size_t n = all.n < nmax ? all.n : nmax;
    sub = malloc((n ? n : 1) * sizeof *sub);
    p->b.v = malloc((n * all.k > 0 ? n * all.k : 1) * sizeof(double));
    if (all.w) p->b.w = malloc((n ? n : 1) * sizeof(double));
    if (!sub || !p->b.v || (all.w && !p->b.w)) {
        rc = BB_ERR(ctx, BB_ENOMEM, "reference: out of memory");
        goto out;
    }
    if (n < all.n)
        rc = bb_subsample_indices(all.n, n, NULL, in->seed, base + 0xFFFEu, sub, ctx);
    else
        for (size_t i = 0; i < n; i++) sub[i] = i;
    for (size_t i = 0; !rc && i < n; i++) {
        memcpy(p->b.v + i * all.k, all.v + sub[i] * all.k, all.k * sizeof(double));
        if (all.w) p->b.w[i] = all.w[sub[i]];
    }
    p->b.n = n;
    p->b.k = all.k;
    p->floor_n = p->a.n < all.n / 2 ? p->a.n : all.n / 2;
    if (!rc && p->floor_n > 0) rc = bb_wset_split(&all, p->floor_n, in->seed, base + 0xFFFDu, &p->f1, &p->f2, ctx);
out:
    if (rc) bb_points2_free(p);
    bb_wset_free(&all);
    free(sub);
    return rc;
}

void bb_points2_free(bb_points2 *p) {
    if (!p) return;
    bb_wset_free(&p->a);
    bb_wset_free(&p->b);
    bb_wset_free(&p->f1);
    bb_wset_free(&p->f2);
}

int bb_minima_draw(const bb_samples *s, const double *u, uint64_t seed, uint64_t stream, size_t *ng, double **x,
                   bb_ctx *ctx) {
    *x = NULL;
    double *w = NULL;
    size_t *keep = NULL, *idx = NULL, usable = 0, dof = s->dof;
    int rc = bb_weights_from_log(s->n, s->logw, &w, "samples", ctx);
    keep = malloc((s->n ? s->n : 1) * sizeof *keep);
    if (!rc && !keep) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
    for (size_t i = 0; !rc && i < s->n; i++) {
        if (u && u[i] == INFINITY) continue;
        if (w) w[usable] = w[i];
        keep[usable++] = i;
    }
    if (!rc && !w && *ng > usable) *ng = usable;
    if (!rc && usable == 0) *ng = 0;
    if (!rc && *ng > 0) {
        idx = malloc(*ng * sizeof *idx), *x = malloc(*ng * dof * sizeof **x);
        if (!idx || !*x) rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory for %zu configurations", *ng);
        if (!rc) rc = bb_subsample_indices(usable, *ng, w, seed, stream, idx, ctx);
        for (size_t i = 0; !rc && i < *ng; i++) memcpy(*x + i * dof, s->x + keep[idx[i]] * dof, dof * sizeof **x);
    }
    free(w);
    free(keep);
    free(idx);
    if (rc) {
        free(*x);
        *x = NULL;
    }
    return rc;
}
