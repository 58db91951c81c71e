/* scorenet.h — the network block the diffusion samplers share: Adjoint Sampling's
 * controller and iDEM's score (or energy) network are the same thing to build — an EGNN for
 * particle systems (the DEM / adjoint_samplers variant when the egnn_* parameters say so) or
 * an MLP over [x | sinusoidal embedding of 1000 t], in float32 or float64, with Adam and a
 * tape — and they read the same parameters for it (network, precision, hidden, layers,
 * t_dim, sigma_min, sigma_max, egnn_*), with the same checks and messages.
 *
 * It is not a forward pass: each method wires inputs, scaling and outputs itself (a
 * controller scaled by out_scale, a score, or −∇ of an energy). It holds no edge graph
 * either (their row counts are each method's).
 *
 * Use: rows from BB_SCORENET_PARAMS / BB_SCORENET_PARAMS_EGNN in the method's parameter
 * table, bb_scorenet_config_parse in its config parser, bb_scorenet_init / _free in its
 * model. */
#ifndef BB_SCORENET_H
#define BB_SCORENET_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/bb.h"
#include "harness/core/params.h"
#include "methods/nn/nn.h"
#include "methods/sde/sde.h"

typedef struct bb_task bb_task;

/* The network part of a method's resolved configuration. */
typedef struct bb_scorenet_config {
    int use_egnn; /* 1: EGNN, 0: MLP with a sinusoidal time embedding */
    int f64;      /* 1: parameters, activations and Adam state in float64; 0: float32 */
    int hidden, layers, t_dim;
    double sigma_min, sigma_max;                        /* the geometric noise schedule the network is trained along */
    int egnn_attention, egnn_coord_sum, egnn_edge_attr; /* EGNN variant (nn.h bb_nn_egnn_config) */
    double egnn_coord_range;
    bb_sde_space sp; /* particles P, dimensions D, centre of mass removed */
} bb_scorenet_config;

/* Parameter rows (harness/core/params.h), in this order in both methods' tables so their
 * resolved parameters — and the configuration hashes of committed reports — stay as they
 * were. The arguments are what differs between the methods: the default number of layers,
 * the σ defaults and the documentation that cites each method's source. */
/* clang-format off */
#define BB_SCORENET_PARAMS(layers_def, layers_doc, sigma_min_doc, sigma_max_def, sigma_max_doc)                        \
    {"network", BB_PARAM_STRING, "\"auto\"", 1, 0, "egnn, mlp or auto (egnn for particle systems)"},                   \
    {"precision", BB_PARAM_STRING, "\"float32\"", 1, 0,                                                                \
     "network parameters, activations and Adam state: float32 or float64 (energies and metrics are float64)"},         \
    {"hidden", BB_PARAM_INT, "128", 2, 4096, "hidden width (authors: 128)"},                                           \
    {"layers", BB_PARAM_INT, layers_def, 1, 15, layers_doc},                                                           \
    {"t_dim", BB_PARAM_INT, "32", 2, 1024, "width of the sinusoidal time embedding of 1000 t (even)"},                \
    {"sigma_min", BB_PARAM_DOUBLE, "0.001", 1e-12, 1e6, sigma_min_doc},                                                \
    {"sigma_max", BB_PARAM_DOUBLE, sigma_max_def, 1e-9, 1e6, sigma_max_doc}
#define BB_SCORENET_PARAMS_EGNN                                                                                        \
    {"egnn_attention", BB_PARAM_BOOL, "true", 0, 0, "EGNN edge attention m *= sigmoid(Linear(m)) (authors' EGNN)"},    \
    {"egnn_coord_range", BB_PARAM_DOUBLE, "15", 0, 1e6,                                                                \
     "EGNN coordinate head range / layers * tanh(...) (authors: 15; 0: no tanh, unbounded)"},                          \
    {"egnn_coord_sum", BB_PARAM_BOOL, "true", 0, 0, "EGNN coordinate update sums over neighbours (false: mean)"},     \
    {"egnn_edge_attr", BB_PARAM_BOOL, "true", 0, 0, "EGNN edges also see the input's squared distances (authors)"}
#define BB_SCORENET_PARAM_THREADS                                                                                      \
    {"nn_threads", BB_PARAM_INT, "1", 0, 1024,                                                                         \
     "OpenMP threads for the network (0: the run's); energies use the run's threads. Results do not depend on it"}
/* clang-format on */

/* Those parameters of p -> c for `task` (network auto: EGNN when the task has particles;
 * the particle space with the centre of mass removed for COM-free or translation-invariant
 * particle tasks). BB_EINVAL names the method and the parameter. */
int bb_scorenet_config_parse(const bb_params *p, const bb_task *task, const char *method, bb_scorenet_config *c,
                             bb_ctx *ctx);

/* The same with the network kind `net` (egnn, mlp or auto) given instead of read from p: a
 * method that builds further networks itself (PITA's transformer) parses the rest here. */
int bb_scorenet_config_parse_net(const bb_params *p, const bb_task *task, const char *method, const char *net,
                                 bb_scorenet_config *c, bb_ctx *ctx);

/* The nn core's EGNN configuration for c with output `out` (SiLU, normalised differences). */
bb_nn_egnn_config bb_scorenet_egnn_config(const bb_scorenet_config *c, bb_nn_egnn_out out);

/* The network with its optimizer, tape and scratch. */
typedef struct bb_scorenet {
    bb_nn_params ps;
    bb_nn_egnn egnn; /* when cfg.use_egnn */
    bb_nn_mlp mlp;   /* otherwise: [dof + t_dim] -> hidden x layers -> out */
    bb_nn_graph *g;
    bb_nn_adam opt;             /* betas 0.9, 0.999, eps 1e-8, no weight decay */
    double *xbuf, *tbuf, *sbuf; /* scratch [rows][dof] / [rows] / [rows][dof] */
} bb_scorenet;

/* How the network ends. */
typedef enum bb_scorenet_out {
    BB_SCORENET_VECTOR,      /* one value per coordinate (a score or a control) */
    BB_SCORENET_VECTOR_ZERO, /* the same, an MLP's output layer set to zero (the untrained net outputs 0) */
    BB_SCORENET_SCALAR,      /* one value per configuration (an energy) */
    BB_SCORENET_OUT_COUNT
} bb_scorenet_out;

/* Build the network for c (parameters drawn from `seed`), Adam, the tape (default threads)
 * and scratch for `rows` rows. `method` names the method in messages. On failure
 * everything is released and n is zeroed. Free with bb_scorenet_free (NULL-safe, idempotent). */
int bb_scorenet_init(bb_scorenet *n, const bb_scorenet_config *c, bb_scorenet_out out, size_t rows, uint64_t seed,
                     const char *method, bb_ctx *ctx);
void bb_scorenet_free(bb_scorenet *n);
/* Run n's tape and Adam on the nn_threads parameter of p (BB_SCORENET_PARAM_THREADS; 0:
 * run_threads, the run's). Results do not depend on it. */
void bb_scorenet_set_threads(bb_scorenet *n, const bb_params *p, int run_threads);

#endif
