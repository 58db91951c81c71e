/* egnn_cfg.h — the EGNN configurations of the nn tests in one line each. */
#ifndef BB_TEST_NN_EGNN_CFG_H
#define BB_TEST_NN_EGNN_CFG_H

#include "methods/nn/nn.h"

/* SiLU EGNN on P particles in D dimensions: H hidden units, L layers, a t_dim-wide time
 * embedding (0: no time input), normalised differences or not, vector or scalar output. */
static inline bb_nn_egnn_config bb_test_egnn_cfg(int P, int D, int H, int L, int t_dim, int normalize,
                                                 bb_nn_egnn_out out) {
    return (bb_nn_egnn_config){.n_particles = P,
                               .dim = D,
                               .hidden = H,
                               .n_layers = L,
                               .t_dim = t_dim,
                               .normalize = normalize,
                               .act = BB_NN_ACT_SILU,
                               .out = out};
}

#endif
