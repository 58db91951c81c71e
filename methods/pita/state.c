/* state.c — PITA's resumable state in the stream the run driver provides: both networks with
 * Adam and EMA in the nn core's checkpoint format (crc-checked), the phase and counters, every
 * level's data, then stage 0's engine or the annealing under way. Every random stream is
 * derived from (seed, step), so restoring this and continuing is the uninterrupted run bit
 * for bit. */
#include <stdlib.h>
#include <string.h>

#include "methods/common/stateio.h"
#include "methods/mcmc/engine.h"
#include "methods/pita/pita_state.h"

#define PITA_NI 9

int pita_save(const void *state, FILE *fp, bb_ctx *ctx) {
    const pita_state *a = state;
    const int L = a->m.cfg.n_levels;
    int rc = bb_nn_checkpoint_put(fp, &a->m.ps, &a->m.opt, &a->m.ema, "pita state", ctx);
    if (rc) return rc;
    const int64_t iv[PITA_NI] = {a->phase,        a->level,        a->level_steps, a->total_steps,
                                 a->evals_stage0, a->evals_anneal, a->evals_final, L,
                                 a->no_data_level};
    int ok = bb_state_put(fp, iv, sizeof iv, 1) && bb_state_put(fp, a->ess, sizeof(double), (size_t)L) &&
             bb_state_put(fp, a->logz, sizeof(double), (size_t)L) &&
             bb_state_put(fp, &a->ess_final, sizeof(double), 1) &&
             bb_state_put(fp, a->resamplings, sizeof(int64_t), (size_t)L) &&
             bb_state_put(fp, a->dropped, sizeof(int64_t), (size_t)L) &&
             bb_state_put(fp, a->kept_outside, sizeof(int64_t), (size_t)L) &&
             bb_state_put(fp, a->infinite, sizeof(int64_t), (size_t)L) &&
             bb_state_put(fp, a->mcmc_moves, sizeof(int64_t), (size_t)L) &&
             bb_state_put(fp, a->mcmc_acc, sizeof(double), (size_t)L) &&
             bb_state_put(fp, a->mcmc_dt, sizeof(double), (size_t)L);
    for (int k = 0; k <= a->level && ok && a->phase != PITA_STAGE0; k++) {
        const uint64_t bn = a->bn[k];
        ok = bb_state_put(fp, &bn, sizeof bn, 1) && bb_state_put(fp, a->bx[k], sizeof(double), a->bn[k] * a->dof) &&
             bb_state_put(fp, a->bu[k], sizeof(double), a->bn[k]) &&
             (!a->bg[k] || bb_state_put(fp, a->bg[k], sizeof(double), a->bn[k] * a->dof));
    }
    if (!ok) return BB_ERR(ctx, BB_EIO, "pita: cannot write the training state");
    if (a->phase == PITA_STAGE0) return bb_mcmc_save(a->mcmc, fp, ctx);
    if (a->phase == PITA_ANNEAL) return pita_anneal_write(fp, &a->an, a->dof, ctx);
    return BB_OK;
}

int pita_load(void *state, FILE *fp, bb_ctx *ctx) {
    pita_state *a = state;
    const int L = a->m.cfg.n_levels;
    int rc = bb_nn_checkpoint_get(fp, &a->m.ps, &a->m.opt, &a->m.ema, "pita state", ctx);
    if (rc) return rc;
    int64_t iv[PITA_NI];
    if (!bb_state_get(fp, iv, sizeof iv, 1)) return BB_ERR(ctx, BB_EFORMAT, "pita state: truncated progress record");
    if (iv[0] < PITA_STAGE0 || iv[0] > PITA_DONE || iv[1] < 0 || iv[1] >= L || iv[7] != L || iv[2] < 0 || iv[3] < 0 ||
        iv[4] < 0 || iv[5] < 0 || iv[6] < 0 || iv[8] < -1 || iv[8] >= L)
        return BB_ERR(ctx, BB_EFORMAT, "pita state: progress record does not fit this configuration");
    if (!bb_state_get(fp, a->ess, sizeof(double), (size_t)L) || !bb_state_get(fp, a->logz, sizeof(double), (size_t)L) ||
        !bb_state_get(fp, &a->ess_final, sizeof(double), 1) ||
        !bb_state_get(fp, a->resamplings, sizeof(int64_t), (size_t)L) ||
        !bb_state_get(fp, a->dropped, sizeof(int64_t), (size_t)L) ||
        !bb_state_get(fp, a->kept_outside, sizeof(int64_t), (size_t)L) ||
        !bb_state_get(fp, a->infinite, sizeof(int64_t), (size_t)L) ||
        !bb_state_get(fp, a->mcmc_moves, sizeof(int64_t), (size_t)L) ||
        !bb_state_get(fp, a->mcmc_acc, sizeof(double), (size_t)L) ||
        !bb_state_get(fp, a->mcmc_dt, sizeof(double), (size_t)L))
        return BB_ERR(ctx, BB_EFORMAT, "pita state: truncated level record");
    a->phase = (int)iv[0];
    a->level = (int)iv[1];
    a->level_steps = iv[2];
    a->total_steps = iv[3];
    a->evals_stage0 = iv[4];
    a->evals_anneal = iv[5];
    a->evals_final = iv[6];
    a->no_data_level = (int)iv[8];
    for (int k = 0; k <= a->level && a->phase != PITA_STAGE0; k++) {
        uint64_t bn;
        if (!bb_state_get(fp, &bn, sizeof bn, 1) || bn == 0 || bn > ((uint64_t)1 << 32))
            return BB_ERR(ctx, BB_EFORMAT, "pita state: corrupt data record of level %d", k);
        a->bn[k] = (size_t)bn;
        a->bx[k] = malloc(a->bn[k] * a->dof * sizeof(double));
        a->bu[k] = malloc(a->bn[k] * sizeof(double));
        const int grads = a->m.cfg.w_target > 0; /* the level gradients are kept iff target score matching is on */
        if (grads) a->bg[k] = malloc(a->bn[k] * a->dof * sizeof(double));
        if (!a->bx[k] || !a->bu[k] || (grads && !a->bg[k]))
            return BB_ERR(ctx, BB_ENOMEM, "pita state: cannot allocate level %d", k);
        if (!bb_state_get(fp, a->bx[k], sizeof(double), a->bn[k] * a->dof) ||
            !bb_state_get(fp, a->bu[k], sizeof(double), a->bn[k]) ||
            (grads && !bb_state_get(fp, a->bg[k], sizeof(double), a->bn[k] * a->dof)))
            return BB_ERR(ctx, BB_EFORMAT, "pita state: truncated data record of level %d", k);
    }
    if (a->phase == PITA_STAGE0) return bb_mcmc_load(a->mcmc, fp, ctx);
    bb_mcmc_free(a->mcmc); /* init made a fresh engine; stage 0 is over */
    a->mcmc = NULL;
    if (a->phase == PITA_ANNEAL) return pita_anneal_read(fp, &a->an, a->dof, ctx);
    return BB_OK;
}
