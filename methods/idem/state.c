/* state.c — the resumable training state of iDEM, written into the stream the run driver
 * provides (methods/method.h): the network with its Adam moments in the nn core's
 * checkpoint format (crc-checked), the progress counters, then the replay buffer.
 * Every random stream is derived from (seed, epoch or gradient step), so restoring this
 * and continuing gives the uninterrupted run bit for bit. */
#include <stdlib.h>

#include "methods/common/stateio.h"
#include "methods/idem/idem.h"

#define IDEM_CKPT_MAX ((uint64_t)1 << 36)
#define IDEM_NPROG    5

int idem_state_write(FILE *fp, const idem_model *m, const bb_replay *rb, const idem_progress *pr, bb_ctx *ctx) {
    unsigned char *buf;
    size_t len;
    int rc = bb_nn_checkpoint_encode(&m->net.ps, &m->net.opt, NULL, "idem state", &buf, &len, ctx);
    if (rc) return rc;
    uint64_t n = len;
    const int64_t pv[IDEM_NPROG] = {pr->grad_steps, pr->refills, pr->evals_score, pr->rows_rejected, pr->rows_trained};
    int ok = bb_state_put(fp, &n, sizeof n, 1) && bb_state_put(fp, buf, 1, len) && bb_state_put(fp, pv, sizeof pv, 1);
    free(buf);
    if (!ok) return BB_ERR(ctx, BB_EIO, "idem: cannot write the training state");
    return bb_replay_write(rb, fp, "idem state", ctx);
}

int idem_state_read(FILE *fp, idem_model *m, bb_replay *rb, idem_progress *pr, bb_ctx *ctx) {
    uint64_t n;
    if (!bb_state_get(fp, &n, sizeof n, 1) || n == 0 || n > IDEM_CKPT_MAX)
        return BB_ERR(ctx, BB_EFORMAT, "idem state: corrupt network record");
    unsigned char *buf = malloc((size_t)n);
    if (!buf) return BB_ERR(ctx, BB_ENOMEM, "idem state: cannot allocate %llu bytes", (unsigned long long)n);
    int64_t pv[IDEM_NPROG];
    int rc = BB_OK;
    if (!bb_state_get(fp, buf, 1, (size_t)n) || !bb_state_get(fp, pv, sizeof pv, 1))
        rc = BB_ERR(ctx, BB_EFORMAT, "idem state: truncated network or progress record");
    for (int k = 0; k < IDEM_NPROG && !rc; k++)
        if (pv[k] < 0) rc = BB_ERR(ctx, BB_EFORMAT, "idem state: negative progress counter");
    if (!rc) rc = bb_nn_checkpoint_decode(buf, (size_t)n, "idem state", &m->net.ps, &m->net.opt, NULL, ctx);
    free(buf);
    if (rc) return rc;
    *pr = (idem_progress){pv[0], pv[1], pv[2], pv[3], pv[4]};
    return bb_replay_read(rb, fp, "idem state", ctx);
}
