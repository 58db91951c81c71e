/* langevin.c — BAOAB Langevin dynamics with replica exchange (see langevin.h). */
#include "harness/run/langevin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/rng.h"

#define STREAM_NOISE    (UINT64_C(0x4200) << 48)
#define STREAM_VELOCITY (UINT64_C(0x4201) << 48)
#define STREAM_EXCHANGE (UINT64_C(0x4202) << 48)

void bb_langevin_free(bb_langevin *L) {
    if (!L) return;
    BB_FREE_ALL(L->kT, L->inv_m, L->x, L->v, L->f, L->e, L->g, L->u, L->xi, L->tried, L->accepted);
    memset(L, 0, sizeof *L);
}

/* Energies and forces of all replicas at L->x; BB_ENAN when one is not finite. */
static int forces(bb_langevin *L, bb_ctx *ctx) {
    int rc = bb_task_energy_threads(L->t, L->R, L->x, L->u, L->g, L->cfg.threads > 0 ? L->cfg.threads : 1, ctx);
    if (rc) return rc;
    L->evals += (int64_t)L->R;
    double kt = L->t->kT;
    for (size_t r = 0; r < L->R; r++) {
        L->e[r] = kt * L->u[r];
        if (!isfinite(L->e[r]))
            return BB_ERR(ctx, BB_ENAN, "langevin: energy of replica %zu is not finite at step %lld (reduce dt)", r,
                          (long long)L->step);
        for (size_t k = 0; k < L->D; k++) L->f[r * L->D + k] = -kt * L->g[r * L->D + k];
    }
    return BB_OK;
}

int bb_langevin_init(bb_langevin *L, const bb_task *t, size_t R, const double *kT, const double *mass, const double *x0,
                     const bb_langevin_config *cfg, bb_ctx *ctx) {
    memset(L, 0, sizeof *L);
    if (R < 1) return BB_ERR(ctx, BB_EINVAL, "langevin: replicas: at least 1");
    if (!(cfg->dt > 0.0) || !isfinite(cfg->dt)) return BB_ERR(ctx, BB_EINVAL, "langevin: dt: %g is not > 0", cfg->dt);
    if (!(cfg->friction >= 0.0) || !isfinite(cfg->friction))
        return BB_ERR(ctx, BB_EINVAL, "langevin: friction: %g is not >= 0", cfg->friction);
    if (cfg->ladder && R % cfg->ladder != 0)
        return BB_ERR(ctx, BB_EINVAL, "langevin: ladder: %zu replicas are not whole ladders of %zu", R, cfg->ladder);
    if (cfg->exchange_every < 0)
        return BB_ERR(ctx, BB_EINVAL, "langevin: exchange_every: %lld is negative", (long long)cfg->exchange_every);
    for (size_t r = 0; r < R; r++)
        if (!(kT[r] > 0.0) || !isfinite(kT[r]))
            return BB_ERR(ctx, BB_EINVAL, "langevin: temperature of replica %zu: kT %g is not > 0", r, kT[r]);
    size_t D = (size_t)t->dof, RD = R * D;
    L->t = t;
    L->cfg = *cfg;
    L->R = R;
    L->D = D;
    L->kT = malloc(R * sizeof *L->kT);
    L->inv_m = malloc(D * sizeof *L->inv_m);
    L->x = malloc(RD * sizeof *L->x);
    L->v = malloc(RD * sizeof *L->v);
    L->f = malloc(RD * sizeof *L->f);
    L->g = malloc(RD * sizeof *L->g);
    L->xi = malloc(RD * sizeof *L->xi);
    L->e = malloc(R * sizeof *L->e);
    L->u = malloc(R * sizeof *L->u);
    L->tried = calloc(R, sizeof *L->tried);
    L->accepted = calloc(R, sizeof *L->accepted);
    if (!L->kT || !L->inv_m || !L->x || !L->v || !L->f || !L->g || !L->xi || !L->e || !L->u || !L->tried ||
        !L->accepted) {
        bb_langevin_free(L);
        return BB_ERR(ctx, BB_ENOMEM, "langevin: out of memory");
    }
    memcpy(L->kT, kT, R * sizeof *kT);
    memcpy(L->x, x0, RD * sizeof *x0);
    for (size_t k = 0; k < D; k++) {
        double m = mass ? mass[k / (size_t)t->dim] : 1.0;
        if (!(m > 0.0) || !isfinite(m)) {
            bb_langevin_free(L);
            return BB_ERR(ctx, BB_EINVAL, "langevin: mass of particle %zu: %g is not > 0", k / (size_t)t->dim, m);
        }
        L->inv_m[k] = 1.0 / m;
    }
    bb_rng rng;
    bb_rng_init(&rng, cfg->seed, STREAM_VELOCITY);
    bb_rng_normal_fill_fast(&rng, RD, L->v);
    for (size_t r = 0; r < R; r++)
        for (size_t k = 0; k < D; k++) L->v[r * D + k] *= sqrt(kT[r] * L->inv_m[k]);
    int rc = forces(L, ctx);
    if (rc) bb_langevin_free(L);
    return rc;
}

/* Swap replicas r and r+1 (positions, forces, energies; velocities rescaled to the new kT). */
static void swap_replicas(bb_langevin *L, size_t r) {
    size_t D = L->D, s = r + 1;
    double up = sqrt(L->kT[s] / L->kT[r]), down = 1.0 / up;
    for (size_t k = 0; k < D; k++) {
        double *a = &L->x[r * D + k], *b = &L->x[s * D + k], tmp = *a;
        *a = *b;
        *b = tmp;
        a = &L->f[r * D + k], b = &L->f[s * D + k], tmp = *a;
        *a = *b;
        *b = tmp;
        double vr = L->v[r * D + k], vs = L->v[s * D + k];
        L->v[r * D + k] = vs * down; /* from kT_s to kT_r */
        L->v[s * D + k] = vr * up;
    }
    double tmp = L->e[r];
    L->e[r] = L->e[s];
    L->e[s] = tmp;
}

static void exchange(bb_langevin *L) {
    bb_rng rng;
    bb_rng_init(&rng, L->cfg.seed, STREAM_EXCHANGE + (uint64_t)L->step);
    size_t lad = L->cfg.ladder ? L->cfg.ladder : L->R;
    for (size_t b = 0; b + lad <= L->R; b += lad)
        for (size_t r = b + (size_t)((L->step / L->cfg.exchange_every) % 2); r + 1 < b + lad; r += 2) {
            double a = (1.0 / L->kT[r] - 1.0 / L->kT[r + 1]) * (L->e[r] - L->e[r + 1]);
            L->tried[r]++;
            if (a >= 0.0 || log(bb_rng_uniform(&rng)) < a) {
                L->accepted[r]++;
                swap_replicas(L, r);
            }
        }
}

int bb_langevin_step(bb_langevin *L, bb_ctx *ctx) {
    size_t R = L->R, D = L->D, RD = R * D;
    double h = 0.5 * L->cfg.dt, c = exp(-L->cfg.friction * L->cfg.dt), s = sqrt(1.0 - c * c);
    bb_rng rng;
    bb_rng_init(&rng, L->cfg.seed, STREAM_NOISE + (uint64_t)L->step);
    bb_rng_normal_fill_fast(&rng, RD, L->xi);
    for (size_t r = 0; r < R; r++) {
        double *x = L->x + r * D, *v = L->v + r * D;
        const double *f = L->f + r * D, *xi = L->xi + r * D;
        for (size_t k = 0; k < D; k++) {
            v[k] += h * f[k] * L->inv_m[k];                             /* B */
            x[k] += h * v[k];                                           /* A */
            v[k] = c * v[k] + s * sqrt(L->kT[r] * L->inv_m[k]) * xi[k]; /* O */
            x[k] += h * v[k];                                           /* A */
        }
    }
    L->step++;
    int rc = forces(L, ctx);
    if (rc) return rc;
    for (size_t i = 0; i < RD; i++) L->v[i] += h * L->f[i] * L->inv_m[i % D]; /* B */
    if (L->cfg.exchange_every > 0 && R > 1 && L->step % L->cfg.exchange_every == 0) exchange(L);
    return BB_OK;
}

void bb_langevin_save(const bb_langevin *L, bb_buf *b) {
    size_t RD = L->R * L->D;
    bb_buf_put(b, &L->step, sizeof L->step);
    bb_buf_put(b, &L->evals, sizeof L->evals);
    bb_buf_put(b, L->tried, L->R * sizeof *L->tried);
    bb_buf_put(b, L->accepted, L->R * sizeof *L->accepted);
    bb_buf_put(b, L->x, RD * sizeof *L->x);
    bb_buf_put(b, L->v, RD * sizeof *L->v);
    bb_buf_put(b, L->f, RD * sizeof *L->f);
    bb_buf_put(b, L->e, L->R * sizeof *L->e);
}

int bb_langevin_load(bb_langevin *L, bb_bytes *r, const char *what, bb_ctx *ctx) {
    size_t RD = L->R * L->D;
    int ok = bb_bytes_get(r, &L->step, sizeof L->step) && bb_bytes_get(r, &L->evals, sizeof L->evals) &&
             bb_bytes_get(r, L->tried, L->R * sizeof *L->tried) &&
             bb_bytes_get(r, L->accepted, L->R * sizeof *L->accepted) && bb_bytes_get(r, L->x, RD * sizeof *L->x) &&
             bb_bytes_get(r, L->v, RD * sizeof *L->v) && bb_bytes_get(r, L->f, RD * sizeof *L->f) &&
             bb_bytes_get(r, L->e, L->R * sizeof *L->e);
    return ok ? BB_OK : BB_ERR(ctx, BB_EFORMAT, "%s: truncated dynamics state", what);
}
