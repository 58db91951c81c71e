/* nntest.h — one-line set-ups shared by the nn tests: an EGNN configuration and a graph.
 * Include after cmocka.h. */
#ifndef BB_TEST_NN_NNTEST_H
#define BB_TEST_NN_NNTEST_H

#include "methods/nn/nn.h"

/* SiLU EGNN on P particles in D dimensions: H hidden units, L layers, a t_dim-wide time
 * embedding (0: no time input), normalised differences or not, vector or scalar output. */
static inline bb_nn_egnn_config bb_test_egnn_cfg(int P, int D, int H, int L, int t_dim, int normalize,
                                                 bb_nn_egnn_out out) {
    bb_nn_egnn_config c = {.act = BB_NN_ACT_SILU, .out = out, .normalize = normalize, .t_dim = t_dim};
    c.n_particles = P;
    c.dim = D;
    c.hidden = H;
    c.n_layers = L;
    return c;
}

/* A fresh graph with an arena of `bytes` (0: the default); fails the test if it cannot be
 * made. */
static inline bb_nn_graph *bb_test_graph(size_t bytes) {
    bb_ctx c = {0};
    bb_nn_graph *g = NULL;
    assert_int_equal(bb_nn_graph_init(&g, bytes, &c), BB_OK);
    return g;
}

/* The DEM / adjoint_samplers EGNN variant on top of cfg. */
static inline void bb_test_egnn_dem(bb_nn_egnn_config *cfg) {
    cfg->attention = 1;
    cfg->coord_range = 15.0;
    cfg->coord_sum = 1;
    cfg->edge_attr = 1;
}

#endif
