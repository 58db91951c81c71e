/* state.c — the resumable training state of Adjoint Sampling, written into the stream the
 * run driver provides (methods/method.h): the network with its Adam moments in the nn core's
 * checkpoint format (methods/nn/checkpoint.c, crc-checked), then the replay buffer and the
 * progress counters. Restoring it and continuing gives the same result bit for bit as an
 * uninterrupted run, because every random stream is derived from (seed, outer iteration)
 * and nothing else carries over. */
#include <stdlib.h>
#include <string.h>

#include "methods/adjoint_sampling/as.h"
#include "methods/common/stateio.h"

#define AS_CKPT_MAX ((uint64_t)1 << 36)

int as_state_write(FILE *fp, const as_model *m, const bb_replay *rb, int64_t outer, int64_t evals, bb_ctx *ctx) {
    unsigned char *buf;
    size_t len;
    int rc = bb_nn_checkpoint_encode(&m->net.ps, &m->net.opt, NULL, "adjoint_sampling state", &buf, &len, ctx);
    if (rc) return rc;
    uint64_t n = len;
    int64_t pv[2] = {outer, evals};
    int ok = bb_state_put(fp, &n, sizeof n, 1) && bb_state_put(fp, buf, 1, len) && bb_state_put(fp, pv, sizeof pv, 1);
    free(buf);
    if (!ok) return BB_ERR(ctx, BB_EIO, "adjoint_sampling: cannot write the training state");
    return bb_replay_write(rb, fp, "adjoint_sampling state", ctx);
}

int as_state_read(FILE *fp, as_model *m, bb_replay *rb, int64_t *outer, int64_t *evals, bb_ctx *ctx) {
    uint64_t n;
    if (!bb_state_get(fp, &n, sizeof n, 1) || n == 0 || n > AS_CKPT_MAX)
        return BB_ERR(ctx, BB_EFORMAT, "adjoint_sampling state: corrupt network record");
    unsigned char *buf = malloc((size_t)n);
    if (!buf)
        return BB_ERR(ctx, BB_ENOMEM, "adjoint_sampling state: cannot allocate %llu bytes", (unsigned long long)n);
    int64_t pv[2];
    int rc = BB_OK;
    if (!bb_state_get(fp, buf, 1, (size_t)n) || !bb_state_get(fp, pv, sizeof pv, 1) || pv[0] < 0 || pv[1] < 0)
        rc = BB_ERR(ctx, BB_EFORMAT, "adjoint_sampling state: truncated network or progress record");
    if (!rc) rc = bb_nn_checkpoint_decode(buf, (size_t)n, "adjoint_sampling state", &m->net.ps, &m->net.opt, NULL, ctx);
    free(buf);
    if (rc) return rc;
    *outer = pv[0];
    *evals = pv[1];
    return bb_replay_read(rb, fp, "adjoint_sampling state", ctx);
}
