/* state.c — the resumable training state of iDEM, written into the stream the run driver
 * provides (methods/method.h): the network with its Adam moments in the nn core's
 * checkpoint format (crc-checked), the progress counters, then the replay buffer.
 * Every random stream is derived from (seed, epoch or gradient step), so restoring this
 * and continuing gives the uninterrupted run bit for bit. */
#include "methods/common/stateio.h"
#include "methods/idem/idem.h"

#define IDEM_NPROG 5

int idem_state_write(FILE *fp, const idem_model *m, const bb_replay *rb, const idem_progress *pr, bb_ctx *ctx) {
    int rc = bb_nn_checkpoint_put(fp, &m->net.ps, &m->net.opt, NULL, "idem state", ctx);
    if (rc) return rc;
    const int64_t pv[IDEM_NPROG] = {pr->grad_steps, pr->refills, pr->evals_score, pr->rows_rejected, pr->rows_trained};
    if (!bb_state_put(fp, pv, sizeof pv, 1)) return BB_ERR(ctx, BB_EIO, "idem: cannot write the training state");
    return bb_replay_write(rb, fp, "idem state", ctx);
}

int idem_state_read(FILE *fp, idem_model *m, bb_replay *rb, idem_progress *pr, bb_ctx *ctx) {
    int rc = bb_nn_checkpoint_get(fp, &m->net.ps, &m->net.opt, NULL, "idem state", ctx);
    if (rc) return rc;
    int64_t pv[IDEM_NPROG];
    if (!bb_state_get(fp, pv, sizeof pv, 1)) return BB_ERR(ctx, BB_EFORMAT, "idem state: truncated progress record");
    for (int k = 0; k < IDEM_NPROG; k++)
        if (pv[k] < 0) return BB_ERR(ctx, BB_EFORMAT, "idem state: negative progress counter");
    *pr = (idem_progress){pv[0], pv[1], pv[2], pv[3], pv[4]};
    return bb_replay_read(rb, fp, "idem state", ctx);
}
