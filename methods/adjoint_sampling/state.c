/* state.c — the resumable training state of Adjoint Sampling: network weights, Adam
 * moments and step count, the replay buffer and the training curve, in one binary
 * file written atomically (harness/core/fileio.h). Restoring it and continuing gives the
 * same result bit for bit as an uninterrupted run, because every random stream is
 * derived from (seed, outer iteration) and nothing else carries over. It is not a
 * portable model format (native endianness; the nn core owns model checkpoints). */
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "methods/adjoint_sampling/as.h"

static const char STATE_MAGIC[8] = "BBASST1";

int as_progress_add(as_progress *pr, double loss, double wall, bb_ctx *ctx) {
    if (pr->n_curve == pr->cap_curve) {
        size_t cap = pr->cap_curve ? 2 * pr->cap_curve : 64;
        double *c = realloc(pr->curve, cap * 4 * sizeof(double));
        if (!c) return BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling: cannot grow the training curve");
        pr->curve = c;
        pr->cap_curve = cap;
    }
    double *e = pr->curve + pr->n_curve * 4;
    e[0] = (double)pr->outer;
    e[1] = (double)pr->evals;
    e[2] = loss;
    e[3] = wall;
    pr->n_curve++;
    return BB_OK;
}

void as_progress_free(as_progress *pr) {
    if (!pr) return;
    free(pr->curve);
    memset(pr, 0, sizeof *pr);
}

/* header: seed, dof, parameters, replay capacity and width, batch, SDE steps */
static void state_header(const as_model *m, const bb_replay *rb, uint64_t seed, uint64_t h[7]) {
    h[0] = seed;
    h[1] = (uint64_t)m->cfg.sp.P * (uint64_t)m->cfg.sp.D;
    h[2] = m->ps.total;
    h[3] = rb->capacity;
    h[4] = rb->width;
    h[5] = (uint64_t)m->cfg.batch;
    h[6] = (uint64_t)m->cfg.n_steps;
}

int as_state_save(const char *path, const as_model *m, const bb_replay *rb, const as_progress *pr, uint64_t seed,
                  bb_ctx *ctx) {
    bb_atomic_file af;
    int rc = bb_atomic_open(&af, path, ctx);
    if (rc) return rc;
    uint64_t h[7];
    state_header(m, rb, seed, h);
    int64_t pv[3] = {pr->outer, pr->evals, (int64_t)pr->n_curve};
    size_t esz = bb_nn_dtype_size(m->ps.dtype);
    int ok = fwrite(STATE_MAGIC, 1, 8, af.fp) == 8 && fwrite(h, sizeof h, 1, af.fp) == 1 &&
             fwrite(pv, sizeof pv, 1, af.fp) == 1 &&
             (pr->n_curve == 0 || fwrite(pr->curve, 4 * sizeof(double), pr->n_curve, af.fp) == pr->n_curve) &&
             fwrite(m->ps.data, esz, m->ps.total, af.fp) == m->ps.total &&
             fwrite(&m->opt.t, sizeof m->opt.t, 1, af.fp) == 1 &&
             fwrite(m->opt.m, sizeof(double), 2 * m->opt.n, af.fp) == 2 * m->opt.n;
    if (!ok) {
        bb_atomic_abort(&af);
        return BB_ERR(ctx, BB_EIO, "%s: cannot write the training state", path);
    }
    rc = bb_replay_write(rb, af.fp, path, ctx);
    if (rc) {
        bb_atomic_abort(&af);
        return rc;
    }
    return bb_atomic_commit(&af, ctx);
}

int as_state_load(const char *path, as_model *m, bb_replay *rb, as_progress *pr, uint64_t seed, bb_ctx *ctx) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return BB_ERR(ctx, BB_ENOTFOUND, "%s: cannot open the training state", path);
    char magic[8];
    uint64_t h[7], want[7];
    int64_t pv[3];
    int rc = BB_OK;
    state_header(m, rb, seed, want);
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, STATE_MAGIC, 8) != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: not an adjoint_sampling state (bad magic)", path);
        goto out;
    }
    if (fread(h, sizeof h, 1, fp) != 1 || memcmp(h, want, sizeof h) != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: state was written with another seed, task or configuration (seed, dof, "
                    "network size, buffer, batch or n_steps differ)",
                    path);
        goto out;
    }
    if (fread(pv, sizeof pv, 1, fp) != 1 || pv[0] < 0 || pv[1] < 0 || pv[2] < 0 || pv[2] > (1 << 26)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: corrupt progress record", path);
        goto out;
    }
    as_progress_free(pr);
    pr->outer = pv[0];
    pr->evals = pv[1];
    if (pv[2] > 0) {
        pr->curve = malloc((size_t)pv[2] * 4 * sizeof(double));
        if (!pr->curve) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate the training curve", path);
            goto out;
        }
        pr->n_curve = pr->cap_curve = (size_t)pv[2];
        if (fread(pr->curve, 4 * sizeof(double), pr->n_curve, fp) != pr->n_curve) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated training curve", path);
            goto out;
        }
    }
    size_t esz = bb_nn_dtype_size(m->ps.dtype);
    if (fread(m->ps.data, esz, m->ps.total, fp) != m->ps.total || fread(&m->opt.t, sizeof m->opt.t, 1, fp) != 1 ||
        fread(m->opt.m, sizeof(double), 2 * m->opt.n, fp) != 2 * m->opt.n) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated network or optimizer state", path);
        goto out;
    }
    rc = bb_replay_read(rb, fp, path, ctx);
out:
    fclose(fp);
    return rc;
}
