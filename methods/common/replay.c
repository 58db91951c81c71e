/* replay.c — FIFO ring buffer of float64 rows with uniform draws and a bit-exact
 * binary dump for checkpoints (interface and semantics in replay.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "methods/common/replay.h"

static const char REPLAY_MAGIC[8] = "BBRPLY1";

int bb_replay_init(bb_replay *rb, size_t capacity, size_t width, bb_ctx *ctx) {
    memset(rb, 0, sizeof *rb);
    if (capacity == 0 || width == 0 || capacity > ((size_t)1 << 31) / width)
        return BB_ERR(ctx, BB_EINVAL, "replay buffer: capacity %zu x width %zu out of range", capacity, width);
    rb->data = malloc(capacity * width * sizeof(double));
    if (!rb->data) return BB_ERR(ctx, BB_ENOMEM, "replay buffer: cannot allocate %zu rows", capacity);
    rb->capacity = capacity;
    rb->width = width;
    return BB_OK;
}

void bb_replay_free(bb_replay *rb) {
    if (!rb) return;
    free(rb->data);
    memset(rb, 0, sizeof *rb);
}

void bb_replay_push(bb_replay *rb, size_t n, const double *rows) {
    /* only the last `capacity` rows can survive */
    if (n > rb->capacity) {
        rows += (n - rb->capacity) * rb->width;
        n = rb->capacity;
    }
    for (size_t r = 0; r < n; r++) {
        memcpy(rb->data + rb->head * rb->width, rows + r * rb->width, rb->width * sizeof(double));
        rb->head = (rb->head + 1) % rb->capacity;
        if (rb->count < rb->capacity) rb->count++;
    }
}

const double *bb_replay_row(const bb_replay *rb, size_t i) {
    if (i >= rb->count) return NULL;
    size_t oldest = (rb->head + rb->capacity - rb->count) % rb->capacity;
    return rb->data + ((oldest + i) % rb->capacity) * rb->width;
}

int bb_replay_sample(const bb_replay *rb, size_t n, bb_rng *rng, double *out, size_t *idx, bb_ctx *ctx) {
    if (rb->count == 0) return BB_ERR(ctx, BB_EINVAL, "replay buffer: cannot draw from an empty buffer");
    for (size_t r = 0; r < n; r++) {
        size_t i = (size_t)bb_rng_below(rng, rb->count);
        memcpy(out + r * rb->width, bb_replay_row(rb, i), rb->width * sizeof(double));
        if (idx) idx[r] = i;
    }
    return BB_OK;
}

int bb_replay_write(const bb_replay *rb, FILE *fp, const char *what, bb_ctx *ctx) {
    uint64_t hdr[3] = {rb->capacity, rb->width, rb->count};
    if (fwrite(REPLAY_MAGIC, 1, 8, fp) != 8 || fwrite(hdr, sizeof hdr, 1, fp) != 1)
        return BB_ERR(ctx, BB_EIO, "%s: cannot write replay buffer", what);
    for (size_t i = 0; i < rb->count; i++)
        if (fwrite(bb_replay_row(rb, i), sizeof(double), rb->width, fp) != rb->width)
            return BB_ERR(ctx, BB_EIO, "%s: cannot write replay buffer", what);
    return BB_OK;
}

int bb_replay_read(bb_replay *rb, FILE *fp, const char *what, bb_ctx *ctx) {
    char magic[8];
    uint64_t hdr[3];
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, REPLAY_MAGIC, 8) != 0)
        return BB_ERR(ctx, BB_EFORMAT, "%s: not a replay buffer dump (bad magic)", what);
    if (fread(hdr, sizeof hdr, 1, fp) != 1) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated replay buffer header", what);
    if (hdr[0] != rb->capacity || hdr[1] != rb->width || hdr[2] > hdr[0])
        return BB_ERR(ctx, BB_EFORMAT, "%s: replay buffer of %llu x %llu (%llu rows) does not fit %zu x %zu", what,
                      (unsigned long long)hdr[0], (unsigned long long)hdr[1], (unsigned long long)hdr[2], rb->capacity,
                      rb->width);
    size_t n = (size_t)hdr[2];
    if (n && fread(rb->data, sizeof(double), n * rb->width, fp) != n * rb->width)
        return BB_ERR(ctx, BB_EFORMAT, "%s: truncated replay buffer rows", what);
    rb->count = n;
    rb->head = n % rb->capacity;
    return BB_OK;
}
