/* oracle.c — counting, budgeted energy oracle (see oracle.h). */
#include "harness/oracle/oracle.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/clock.h"

#define BB_ORACLE_MAX_CKPT 32

struct bb_oracle {
    const bb_task *task;
    int64_t limit;
    _Atomic int64_t used;
    _Atomic int64_t with_grad;
    _Atomic int64_t rejected;
    _Atomic int64_t energy_ns; /* wall time inside the task's energy calls (timing only) */
    size_t n_ckpt;
    double ckpt_frac[BB_ORACLE_MAX_CKPT];
    int64_t ckpt_at[BB_ORACLE_MAX_CKPT]; /* evaluation count at which fraction k is due */
    size_t ckpt_next;                    /* first unserved checkpoint */
    int64_t reserved;                    /* set aside by bb_oracle_reserve */
    int threads;                         /* OpenMP threads of each evaluation */
    bb_checkpoint_fn ckpt_fn;
    void *ckpt_user;
};

int bb_oracle_create(const bb_task *task, int64_t budget, bb_oracle **out, bb_ctx *ctx) {
    *out = NULL;
    if (budget <= 0)
        return BB_ERR(ctx, BB_EINVAL, "budget: must be a positive number of energy evaluations (got %lld)",
                      (long long)budget);
    bb_oracle *o = calloc(1, sizeof *o);
    if (!o) return BB_ERR(ctx, BB_ENOMEM, "oracle: out of memory");
    o->task = task;
    o->limit = budget;
    o->threads = omp_get_max_threads();
    atomic_init(&o->used, 0);
    atomic_init(&o->with_grad, 0);
    atomic_init(&o->rejected, 0);
    *out = o;
    return BB_OK;
}

void bb_oracle_free(bb_oracle *o) { free(o); }

void bb_oracle_set_threads(bb_oracle *o, int threads) { o->threads = threads > 0 ? threads : 1; }

int bb_oracle_set_checkpoints(bb_oracle *o, const double *fractions, size_t n, bb_checkpoint_fn fn, void *user,
                              bb_ctx *ctx) {
    if (n > BB_ORACLE_MAX_CKPT) return BB_ERR(ctx, BB_EINVAL, "checkpoints: at most %d fractions", BB_ORACLE_MAX_CKPT);
    for (size_t k = 0; k < n; k++) {
        if (!(fractions[k] > 0.0 && fractions[k] <= 1.0))
            return BB_ERR(ctx, BB_EINVAL, "checkpoints: fraction %g is not in (0, 1]", fractions[k]);
        if (k && !(fractions[k] > fractions[k - 1]))
            return BB_ERR(ctx, BB_EINVAL, "checkpoints: fractions must increase strictly");
    }
    o->n_ckpt = n;
    for (size_t k = 0; k < n; k++) {
        o->ckpt_frac[k] = fractions[k];
        int64_t at = (int64_t)ceil(fractions[k] * (double)o->limit);
        o->ckpt_at[k] = at < 1 ? 1 : at;
    }
    o->ckpt_next = 0;
    o->ckpt_fn = fn;
    o->ckpt_user = user;
    return BB_OK;
}

int bb_oracle_reserve(bb_oracle *o, int64_t n, bb_ctx *ctx) {
    int64_t free_now = o->limit - atomic_load(&o->used) - o->reserved;
    if (n < 0 || n > free_now)
        return BB_ERR(ctx, BB_EINVAL, "budget: cannot reserve %lld evaluations, %lld are left", (long long)n,
                      (long long)free_now);
    o->reserved += n;
    return BB_OK;
}

void bb_oracle_release(bb_oracle *o) { o->reserved = 0; }

void bb_oracle_get_counts(const bb_oracle *o, bb_oracle_counts *c) {
    c->used = atomic_load(&o->used);
    c->with_grad = atomic_load(&o->with_grad);
    c->rejected = atomic_load(&o->rejected);
    c->reserved = o->reserved;
    c->checkpoints_served = (int64_t)o->ckpt_next;
}

int bb_oracle_set_counts(bb_oracle *o, const bb_oracle_counts *c, bb_ctx *ctx) {
    if (atomic_load(&o->used) != 0) return BB_ERR(ctx, BB_EINVAL, "resume: the oracle has already counted evaluations");
    if (c->used < 0 || c->with_grad < 0 || c->with_grad > c->used || c->rejected < 0 || c->rejected > c->used ||
        c->reserved < 0 || c->used + c->reserved > o->limit || c->checkpoints_served < 0 ||
        c->checkpoints_served > (int64_t)o->n_ckpt)
        return BB_ERR(
            ctx, BB_EINVAL,
            "resume: saved counts (%lld used, %lld with gradient, %lld reserved) do not fit the budget of %lld",
            (long long)c->used, (long long)c->with_grad, (long long)c->reserved, (long long)o->limit);
    atomic_store(&o->used, c->used);
    atomic_store(&o->with_grad, c->with_grad);
    atomic_store(&o->rejected, c->rejected);
    o->reserved = c->reserved;
    o->ckpt_next = (size_t)c->checkpoints_served;
    return BB_OK;
}

const bb_task *bb_oracle_task(const bb_oracle *o) { return o->task; }
int64_t bb_oracle_limit(const bb_oracle *o) { return o->limit; }
int64_t bb_oracle_used(const bb_oracle *o) { return atomic_load(&o->used); }
double bb_oracle_energy_wall_s(const bb_oracle *o) { return (double)atomic_load(&o->energy_ns) * 1e-9; }
int64_t bb_oracle_used_with_grad(const bb_oracle *o) { return atomic_load(&o->with_grad); }
int64_t bb_oracle_used_energy_only(const bb_oracle *o) { return atomic_load(&o->used) - atomic_load(&o->with_grad); }
int64_t bb_oracle_rejected(const bb_oracle *o) { return atomic_load(&o->rejected); }
int64_t bb_oracle_remaining(const bb_oracle *o) { return o->limit - atomic_load(&o->used) - o->reserved; }

int bb_oracle_eval(bb_oracle *o, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    if (n == 0) return BB_OK;
    const bb_task *t = o->task;
    size_t dof = (size_t)t->dof;
    /* Reserve n evaluations atomically; refuse the whole call if they do not fit. */
    int64_t cur = atomic_load(&o->used);
    do {
        if ((int64_t)n > o->limit - o->reserved - cur)
            return BB_ERR(ctx, BB_EBUDGET, "budget: %lld of %lld energy evaluations used, %zu more refused",
                          (long long)cur, (long long)o->limit, n);
    } while (!atomic_compare_exchange_weak(&o->used, &cur, cur + (int64_t)n));
    if (grad) atomic_fetch_add(&o->with_grad, (int64_t)n);

    const double t0 = bb_wall_s();
    int status = bb_task_energy_threads(t, n, x, u, grad, o->threads, ctx);
    atomic_fetch_add(&o->energy_ns, (int64_t)((bb_wall_s() - t0) * 1e9));
    if (status) return status;
    int64_t rej = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(u[i]))
            return BB_ERR(ctx, BB_ENAN, "task %s: energy is NaN at configuration %zu of the batch", t->id, i);
        if (grad && !isinf(u[i]))
            for (size_t k = 0; k < dof; k++)
                if (!isfinite(grad[i * dof + k]))
                    return BB_ERR(ctx, BB_ENAN, "task %s: gradient is not finite at configuration %zu of the batch",
                                  t->id, i);
        if (isinf(u[i])) {
            if (u[i] < 0)
                return BB_ERR(ctx, BB_ENAN, "task %s: energy is -inf at configuration %zu of the batch", t->id, i);
            rej++;
            if (grad) memset(grad + i * dof, 0, dof * sizeof *grad);
        }
    }
    if (rej) atomic_fetch_add(&o->rejected, rej);
    return BB_OK;
}

int bb_oracle_checkpoint_due(const bb_oracle *o) {
    return o->ckpt_next < o->n_ckpt && atomic_load(&o->used) >= o->ckpt_at[o->ckpt_next];
}

static int serve(bb_oracle *o, const bb_samples *s, int all, bb_ctx *ctx) {
    int64_t used = atomic_load(&o->used);
    while (o->ckpt_next < o->n_ckpt && (all || used >= o->ckpt_at[o->ckpt_next])) {
        size_t k = o->ckpt_next++;
        if (o->ckpt_fn) {
            int rc = o->ckpt_fn(o->ckpt_user, o->ckpt_frac[k], used, s, ctx);
            if (rc) return rc;
        }
    }
    return BB_OK;
}

int bb_oracle_checkpoint(bb_oracle *o, const bb_samples *s, bb_ctx *ctx) { return serve(o, s, 0, ctx); }

int bb_oracle_checkpoint_final(bb_oracle *o, const bb_samples *s, bb_ctx *ctx) { return serve(o, s, 1, ctx); }
