/* replay.h — a FIFO replay buffer of fixed-width float64 rows, shared by the neural
 * samplers (Adjoint Sampling stores (X_1, ∇u(X_1)) rows; iDEM/PITA store samples).
 *
 * The buffer holds at most `capacity` rows; pushing more overwrites the oldest
 * (first in, first out). Rows are drawn uniformly with replacement from a caller's
 * bb_rng, so a draw depends only on the buffer content and the stream. It can be
 * written to / read back from a stream for checkpoints (bit-exact). It is NOT a
 * prioritised buffer and does not store per-row weights unless they are a column.
 */
#ifndef BB_REPLAY_H
#define BB_REPLAY_H

#include <stddef.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/core/rng.h"

typedef struct bb_replay {
    size_t capacity; /* rows */
    size_t width;    /* doubles per row */
    size_t count;    /* rows held (<= capacity) */
    size_t head;     /* slot of the next push */
    double *data;    /* [capacity][width], owned */
} bb_replay;

/* Allocate an empty buffer; capacity, width >= 1 and capacity*width below 2^31 doubles.
 * On failure *rb is zeroed. Free with bb_replay_free. */
int bb_replay_init(bb_replay *rb, size_t capacity, size_t width, bb_ctx *ctx);
void bb_replay_free(bb_replay *rb); /* NULL-safe; zeroes the struct */
/* Append n rows (rows[n][width]); the oldest rows are dropped beyond capacity. */
void bb_replay_push(bb_replay *rb, size_t n, const double *rows);
/* Row i in age order (0 = oldest held); NULL if i >= count. */
const double *bb_replay_row(const bb_replay *rb, size_t i);
/* Draw n rows uniformly with replacement into out[n][width]; idx[n] (may be NULL)
 * receives the age-order index of each. BB_EINVAL if the buffer is empty. */
int bb_replay_sample(const bb_replay *rb, size_t n, bb_rng *rng, double *out, size_t *idx, bb_ctx *ctx);
/* Binary dump / restore (magic "BBRPLY1", capacity, width, count, rows in age order).
 * read: rb must be initialised with the same capacity and width; on error rb is
 * unchanged in shape and the message names `what`. */
int bb_replay_write(const bb_replay *rb, FILE *fp, const char *what, bb_ctx *ctx);
int bb_replay_read(bb_replay *rb, FILE *fp, const char *what, bb_ctx *ctx);

#endif
