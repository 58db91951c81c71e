/* gradcheck.h — finite-difference checks of first and second derivatives for the nn
 * tests (float64): a test function builds a scalar from recorded inputs; the checker
 * compares bb_nn_grad against a 4-point central stencil, and the gradient of
 * s = sum_k <grad_k f, v_k> (computed with create_graph) against the same stencil
 * applied to s, and prints the largest difference (ggml test-backend-ops style).
 */
#ifndef BB_TEST_NN_GRADCHECK_H
#define BB_TEST_NN_GRADCHECK_H

#include "methods/nn/nn.h"

#define GC_MAX_IN 4

/* Builds a one-element result from the inputs (and possibly parameters). */
typedef bb_nn_tensor *(*gc_fn)(bb_nn_graph *g, bb_nn_tensor **in, void *ud);

typedef struct gc_case {
    const char *name;
    gc_fn fn;
    void *ud;
    int n_in;
    int ndim[GC_MAX_IN];
    int64_t shape[GC_MAX_IN][4];
    double lo, hi;            /* inputs drawn uniformly in [lo, hi] (0,0: [-1.7, 1.9]) */
    double eps;               /* finite-difference step */
    double eps_in[GC_MAX_IN]; /* per-input step overriding eps when > 0 (fast inputs) */
    double tol1, tol2;        /* max |analytic - fd| / (1 + |fd|) for first / second order */
    int skip_second;          /* 1: check first order only */
    bb_nn_params *ps;         /* optional float64 parameter group used by fn: d/dtheta of f and
                             of s = sum <grad_x f, v> (the PITA case) are checked too */
    int n_param_checks;       /* how many parameters (spread over the group) to check */
} gc_case;

/* Returns 0 on pass; prints one line per order with the largest difference. */
int gc_run(const gc_case *c, uint64_t seed);

/* A case in one line of a table: the inputs' shapes as text, one shape per input
 * separated by spaces, dims joined by 'x' ("7x1x5x3 5x1": a rank-4 and a rank-2 input). */
typedef struct gc_row {
    const char *name;
    gc_fn fn;
    const char *shapes;
    double eps, tol1, tol2;
} gc_row;

/* The gc_case of a row: n_in, ndim and shape from r.shapes (aborts on a malformed one);
 * inputs in the default range, no user data, no parameters, same step for every input,
 * both orders checked. */
gc_case gc_case_of(gc_row r);

/* gc_run on rows[0..n) with seeds seed0, seed0 + 1, ... (every row runs); 0 if all pass. */
int gc_run_rows(const gc_row *rows, size_t n, uint64_t seed0);

/* Deterministic pseudo-random weights in [-1, 1] for a tensor of n elements. */
bb_nn_tensor *gc_weights(bb_nn_graph *g, int ndim, const int64_t *shape, uint64_t salt);
/* sum(x * W) with W from gc_weights: turns any tensor into a scalar that depends on
 * every element differently. */
bb_nn_tensor *gc_project(bb_nn_graph *g, bb_nn_tensor *x, uint64_t salt);

#endif
