/* state.c — the resumable training state of Adjoint Sampling, written into the stream the
 * run driver provides (methods/method.h): the network with its Adam moments in the nn core's
 * checkpoint format (methods/nn/checkpoint.c, crc-checked), then the replay buffer and the
 * progress counters. Restoring it and continuing gives the same result bit for bit as an
 * uninterrupted run, because every random stream is derived from (seed, outer iteration)
 * and nothing else carries over. */
#include "methods/adjoint_sampling/as.h"
#include "methods/common/stateio.h"

int as_state_write(FILE *fp, const as_model *m, const bb_replay *rb, int64_t outer, int64_t evals, bb_ctx *ctx) {
    int rc = bb_nn_checkpoint_put(fp, &m->net.ps, &m->net.opt, NULL, "adjoint_sampling state", ctx);
    if (rc) return rc;
    const int64_t pv[2] = {outer, evals};
    if (!bb_state_put(fp, pv, sizeof pv, 1))
        return BB_ERR(ctx, BB_EIO, "adjoint_sampling: cannot write the training state");
    return bb_replay_write(rb, fp, "adjoint_sampling state", ctx);
}

int as_state_read(FILE *fp, as_model *m, bb_replay *rb, int64_t *outer, int64_t *evals, bb_ctx *ctx) {
    int rc = bb_nn_checkpoint_get(fp, &m->net.ps, &m->net.opt, NULL, "adjoint_sampling state", ctx);
    if (rc) return rc;
    int64_t pv[2];
    if (!bb_state_get(fp, pv, sizeof pv, 1) || pv[0] < 0 || pv[1] < 0)
        return BB_ERR(ctx, BB_EFORMAT, "adjoint_sampling state: truncated or corrupt progress record");
    *outer = pv[0];
    *evals = pv[1];
    return bb_replay_read(rb, fp, "adjoint_sampling state", ctx);
}
