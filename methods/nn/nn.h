/* nn.h — the neural-network core of boltzbench: tensors, a per-step arena, a
 * reverse-mode tape with gradients of gradients, layers (Linear, MLP, EGNN,
 * time embeddings, LayerNorm, transformer block, DiT), optimizers and checkpoints.
 *
 * It is what all neural samplers (Adjoint Sampling, PITA, PIS, iDEM) build on;
 * no method carries its own layers or optimizers. It is NOT a general tensor
 * library: tensors are dense, row-major, at most 4-D, float32 or float64, on the
 * CPU; ops are the ones those samplers need. Design notes: docs/nn.md.
 *
 * Worked example (one training step of an MLP regression, float64):
 *
 *   bb_ctx c = {0};
 *   bb_nn_params ps;  bb_nn_mlp net;  bb_nn_graph *g = NULL;  bb_nn_adam opt;
 *   bb_nn_params_init(&ps, BB_NN_F64);
 *   int sizes[] = {2, 64, 64, 1};
 *   bb_nn_mlp_init(&net, &ps, "net", 4, sizes, BB_NN_ACT_SILU, &c);   // declare
 *   bb_nn_params_alloc(&ps, seed, &c);         // one allocation, seeded PyTorch init
 *   bb_nn_adam_init(&opt, &ps, 0.9, 0.999, 1e-8, 0.0, 0, &c);   // Adam (1: AdamW)
 *   bb_nn_graph_init(&g, 0, &c);
 *   for (step...) {
 *       bb_nn_graph_reset(g);                   // frees the previous step in O(1)
 *       bb_nn_tensor *x = bb_nn_from(g, BB_NN_F64, 2, (int64_t[]){B, 2}, xdata);
 *       bb_nn_tensor *y = bb_nn_from(g, BB_NN_F64, 2, (int64_t[]){B, 1}, ydata);
 *       bb_nn_tensor *loss = bb_nn_mse(g, bb_nn_mlp_fwd(g, &ps, &net, x), y);
 *       bb_nn_params_zero_grad(&ps);
 *       if (bb_nn_backward(g, loss) < 0) return bb_nn_graph_status(g, &c);
 *       bb_nn_clip_grad_norm(&ps, 1.0);           // optional
 *       bb_nn_adam_step(&opt, &ps, lr, &c);
 *   }
 *   bb_nn_graph_free(g); bb_nn_adam_free(&opt); bb_nn_params_free(&ps);
 *
 * EGNN vector field u(x, t) for B configurations of P particles in D dims (float32):
 *
 *   bb_nn_egnn_config cfg = {.n_particles = 13, .dim = 3, .hidden = 128, .n_layers = 5,
 *                            .t_dim = 32, .normalize = 1, .act = BB_NN_ACT_SILU,
 *                            .out = BB_NN_EGNN_VECTOR};
 *   bb_nn_egnn net; bb_nn_egnn_graph eg;            // eg: edge indices, one per batch size
 *   bb_nn_egnn_init(&net, &ps, "egnn", &cfg, &c);    // before bb_nn_params_alloc
 *   bb_nn_egnn_graph_init(&eg, B, 13, &c);
 *   ... per step: x [B, P*D] and t [B, 1] from doubles (bb_nn_from), then
 *   bb_nn_tensor *u = bb_nn_egnn_fwd(g, &ps, &net, &eg, x, t);   // [B, P*D], CoM-free
 *   bb_nn_to_double(u, out);                          // back to float64 for the SDE
 *   For sampling without gradients: bb_nn_graph_set_grad(g, 0) after each reset.
 *
 * Gradients of gradients (PITA: the score -grad_x U_theta enters the loss):
 *
 *   bb_nn_tensor *x = bb_nn_input(g, ...);          // leaf that can be differentiated
 *   bb_nn_tensor *U = bb_nn_sum(g, energy_net(x));   // scalar
 *   bb_nn_tensor *gx;
 *   bb_nn_grad(g, U, NULL, 1, &x, &gx, 1);           // create_graph = 1
 *   bb_nn_tensor *loss = bb_nn_mse(g, gx, target);    // depends on theta through gx
 *   bb_nn_backward(g, loss);                          // d loss / d theta, accumulated
 *
 * Conventions
 *  - Shapes are row-major, ne[0] outermost (numpy order). "rows" of a tensor are all
 *    dims but the last; "cols" is the last dim. Letters in shape comments: B configs,
 *    P particles, D spatial dims, N = B*P nodes, E edges, H hidden, C channels.
 *  - Ops are eager (define-by-run): an op computes its output immediately and, if
 *    any input requires a gradient and the graph's grad mode is on, records itself on
 *    the tape. Every backward rule is written with forward ops, so the gradient graph
 *    can be differentiated again (unary functions carry an explicit derivative order,
 *    supported up to the 3rd derivative).
 *  - Errors: an op returns NULL on failure and records the first error in the graph
 *    (ggml-style); ops given a NULL input return NULL. Check once with
 *    bb_nn_graph_status(), which copies the message into the caller's bb_ctx.
 *  - Memory: every tensor of a step lives in the graph's arena, freed by reset. After
 *    the first step the arena is one block of the high-water size, so a steady-state
 *    training step does no malloc. A backward sweep without create_graph recycles each
 *    gradient buffer once consumed (reference counted), so a step needs the forward
 *    activations plus the live gradients only. Parameters and optimizer state live
 *    outside the arena in one allocation per parameter group (bb_nn_params).
 *  - Threads and determinism: one thread pool, sized by the caller. The program runs
 *    OpenBLAS on one thread (openblas_set_num_threads(1) at its start; bb_nn_graph_init
 *    refuses otherwise, it never changes it) and the library splits large products into
 *    fixed blocks of output rows under OpenMP on the graph's threads
 *    (bb_nn_graph_set_threads; Adam: bb_nn_adam.threads); elementwise ops and reductions
 *    use OpenMP with fixed partitions that do not depend on the thread count; reductions
 *    accumulate in double. Same seed => bit-identical parameters on 1 or 2 threads. Do not call nn
 *    ops from inside your own OpenMP parallel region (one parallel layer at a time).
 *    A graph, a parameter group and an optimizer belong to one thread at a time;
 *    separate graphs may share a read-only parameter group.
 *  - Default dtype: float32 for networks (speed); float64 is fully supported (gradient
 *    checks, equivariance tests). Energies stay float64 on the task side.
 */
#ifndef BB_NN_H
#define BB_NN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "harness/core/bb.h"

/* ------------------------------------------------------------------ tensors */

typedef enum bb_nn_dtype { BB_NN_F32, BB_NN_F64, BB_NN_DTYPE_COUNT } bb_nn_dtype;
extern const char *const BB_NN_DTYPE_NAME[BB_NN_DTYPE_COUNT];
size_t bb_nn_dtype_size(bb_nn_dtype dt);

#define BB_NN_MAX_DIMS 4

typedef enum bb_nn_op {
    BB_NN_OP_NONE,         /* leaf: input, constant or parameter */
    BB_NN_OP_ADD,          /* a + b, broadcasting */
    BB_NN_OP_SUB,          /* a - b, broadcasting */
    BB_NN_OP_MUL,          /* a * b, broadcasting */
    BB_NN_OP_DIV,          /* a / b, broadcasting */
    BB_NN_OP_SCALE,        /* s * a + c */
    BB_NN_OP_UNARY,        /* k-th derivative of an elementwise function */
    BB_NN_OP_UNARY_MUL,    /* g * f^(k)(x): the fused backward of UNARY */
    BB_NN_OP_MATMUL,       /* op(a) op(b) (+ bias row), 2-D or batched 3-D */
    BB_NN_OP_SUM_TO,       /* sum over broadcast dims down to a shape */
    BB_NN_OP_BROADCAST_TO, /* repeat along size-1 dims up to a shape */
    BB_NN_OP_RESHAPE,      /* same data, new shape */
    BB_NN_OP_PERMUTE,      /* 4-D axis permutation (copy) */
    BB_NN_OP_CONCAT,       /* [a | b] along cols */
    BB_NN_OP_SLICE,        /* cols [c0, c1) */
    BB_NN_OP_PAD,          /* cols placed at c0 of a zero tensor of `total` cols */
    BB_NN_OP_GATHER,       /* out[e] = x[idx[e]] (rows) */
    BB_NN_OP_SCATTER,      /* out[n] = sum_{e: idx[e]=n} y[e] (rows) */
    BB_NN_OP_PAIR_ADD,     /* out[e] = A[I[e]] + B[J[e]] (+ d[e] * w) */
    BB_NN_OP_COUNT
} bb_nn_op;
extern const char *const BB_NN_OP_NAME[BB_NN_OP_COUNT];

/* Elementwise functions for bb_nn_unary. */
typedef enum bb_nn_fn {
    BB_NN_FN_SILU, /* x * sigmoid(x) */
    BB_NN_FN_TANH,
    BB_NN_FN_GELU, /* exact: x * Phi(x) (PyTorch nn.GELU() default) */
    BB_NN_FN_SIGMOID,
    BB_NN_FN_EXP,
    BB_NN_FN_LOG,
    BB_NN_FN_SQRT,
    BB_NN_FN_SIN,
    BB_NN_FN_COS,
    BB_NN_FN_SQUARE, /* x^2 */
    BB_NN_FN_RECIP,  /* 1/x */
    BB_NN_FN_COUNT
} bb_nn_fn;
extern const char *const BB_NN_FN_NAME[BB_NN_FN_COUNT];
#define BB_NN_FN_MAX_ORDER 3 /* derivatives available up to this order */

/* Index of a gather/scatter: E entries idx[e] in [0, N). The CSR inverse (entries of
 * each target n, in increasing e) makes scatter parallel and deterministic. */
typedef struct bb_nn_index {
    int64_t n_src; /* E */
    int64_t n_dst; /* N */
    int32_t *idx;  /* [E] */
    int64_t *offs; /* [N+1] CSR offsets into perm */
    int32_t *perm; /* [E] entries grouped by target */
} bb_nn_index;
/* Build from idx[E] (copied). On failure *ix is zeroed. Free with bb_nn_index_free. */
int bb_nn_index_init(bb_nn_index *ix, int64_t n_src, int64_t n_dst, const int32_t *idx, bb_ctx *ctx);
void bb_nn_index_free(bb_nn_index *ix);

typedef struct bb_nn_tensor bb_nn_tensor;
struct bb_nn_tensor { /* fields are private by convention; use accessors */
    bb_nn_dtype dtype;
    int ndim;
    int64_t ne[BB_NN_MAX_DIMS];
    int64_t n;  /* number of elements */
    void *data; /* arena memory, or parameter storage for params */
    bb_nn_op op;
    bb_nn_tensor *src[4];
    int32_t ip[4];            /* integer op parameters */
    double fp[2];             /* real op parameters */
    const bb_nn_index *ix[2]; /* gather/scatter/pair indices (not owned) */
    int id;                   /* position on the tape, -1 if not recorded */
    int requires_grad;
    void *grad_dst; /* parameter leaves: gradient storage (+=) */
    void *aux;      /* op cache for backward (float GELU: Phi(x)), or NULL */
    void *buf;      /* recyclable-buffer record (backward sweeps), or NULL */
};

typedef struct bb_nn_graph bb_nn_graph;
typedef struct bb_nn_params bb_nn_params; /* a parameter group, defined below */

/* Create a graph with an arena of `bytes` (0: 1 MiB; grows as needed). */
int bb_nn_graph_init(bb_nn_graph **out, size_t bytes, bb_ctx *ctx);
/* Forget every tensor of the graph (O(1)); the arena keeps its high-water size.
 * Clears a recorded error and re-enables grad mode. */
void bb_nn_graph_reset(bb_nn_graph *g);
void bb_nn_graph_free(bb_nn_graph *g);
/* First error since the last reset (BB_OK if none); copies it into ctx. */
int bb_nn_graph_status(const bb_nn_graph *g, bb_ctx *ctx);
/* Grad mode: when off, ops record nothing (inference). Returns the previous mode. */
int bb_nn_graph_set_grad(bb_nn_graph *g, int on);
/* OpenMP threads of the graph's ops (default: omp_get_max_threads() at creation). Decided
 * by the caller (a method: its network threads); the nn core never changes the process's
 * OpenMP or BLAS thread settings, and results do not depend on the count. */
void bb_nn_graph_set_threads(bb_nn_graph *g, int threads);
/* Arena statistics: bytes in use now, high-water mark, and block mallocs so far. */
size_t bb_nn_graph_bytes_used(const bb_nn_graph *g);
size_t bb_nn_graph_bytes_peak(const bb_nn_graph *g);
int64_t bb_nn_graph_mallocs(const bb_nn_graph *g);
/* Number of recorded nodes on the tape. */
int bb_nn_graph_tape_len(const bb_nn_graph *g);

/* Zero-filled tensor. */
bb_nn_tensor *bb_nn_zeros(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape);
/* Tensor filled from `src` (n doubles, converted to dt). A constant. */
bb_nn_tensor *bb_nn_from(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape, const double *src);
/* Same as bb_nn_from, but a leaf that can be differentiated against (bb_nn_grad). */
bb_nn_tensor *bb_nn_input(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape, const double *src);
/* Tensor of shape `shape` filled with v. */
bb_nn_tensor *bb_nn_full(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape, double v);
/* A constant copy (no gradient flows through it). */
bb_nn_tensor *bb_nn_detach(bb_nn_graph *g, bb_nn_tensor *a);
/* Element i as double; copy all elements as doubles into out[n]. */
double bb_nn_get(const bb_nn_tensor *t, int64_t i);
void bb_nn_to_double(const bb_nn_tensor *t, double *out);
int64_t bb_nn_rows(const bb_nn_tensor *t); /* n / cols */
int64_t bb_nn_cols(const bb_nn_tensor *t); /* ne[ndim-1] */

/* ------------------------------------------------------------------ ops */
/* Broadcasting follows numpy: shapes are right-aligned, each dim equal or 1. */
bb_nn_tensor *bb_nn_add(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b);
bb_nn_tensor *bb_nn_sub(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b);
bb_nn_tensor *bb_nn_mul(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b);
bb_nn_tensor *bb_nn_div(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b);
/* s * a + c */
bb_nn_tensor *bb_nn_scale(bb_nn_graph *g, bb_nn_tensor *a, double s, double c);
/* order-th derivative of fn applied elementwise (order 0: the function). */
bb_nn_tensor *bb_nn_unary(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_fn fn, int order);
/* gy * f^(order)(x), one pass (what the backward of bb_nn_unary records); same shapes. */
bb_nn_tensor *bb_nn_unary_mul(bb_nn_graph *g, bb_nn_tensor *gy, bb_nn_tensor *x, bb_nn_fn fn, int order);
bb_nn_tensor *bb_nn_silu(bb_nn_graph *g, bb_nn_tensor *a);
bb_nn_tensor *bb_nn_gelu(bb_nn_graph *g, bb_nn_tensor *a);
bb_nn_tensor *bb_nn_tanh(bb_nn_graph *g, bb_nn_tensor *a);
/* C = op(A) op(B) (+ bias), op = transpose if the flag is set.
 * A [M,K] (or [K,M] if ta), B [K,N] (or [N,K] if tb), bias [N] / [1,N] or NULL -> C [M,N].
 * 3-D: A [Bt,M,K], B [Bt,K,N] -> [Bt,M,N] (bias not allowed). */
bb_nn_tensor *bb_nn_matmul(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b, int ta, int tb, bb_nn_tensor *bias);
/* Sum over the dims where `shape` is 1 (numpy-broadcast inverse). */
bb_nn_tensor *bb_nn_sum_to(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape);
bb_nn_tensor *bb_nn_broadcast_to(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape);
bb_nn_tensor *bb_nn_sum(bb_nn_graph *g, bb_nn_tensor *a);  /* -> [1] */
bb_nn_tensor *bb_nn_mean(bb_nn_graph *g, bb_nn_tensor *a); /* -> [1] */
/* Sum / mean over the last dim, keeping it as size 1: [.., C] -> [.., 1]. */
bb_nn_tensor *bb_nn_sum_cols(bb_nn_graph *g, bb_nn_tensor *a);
bb_nn_tensor *bb_nn_mean_cols(bb_nn_graph *g, bb_nn_tensor *a);
/* Same elements, new shape (a view: shares data). */
bb_nn_tensor *bb_nn_reshape(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape);
/* Permute axes of a tensor viewed as 4-D (lower-rank tensors are padded with leading
 * 1s); out.ne[k] = a.ne[perm[k]]. The result has a's rank. */
bb_nn_tensor *bb_nn_permute(bb_nn_graph *g, bb_nn_tensor *a, const int perm[4]);
bb_nn_tensor *bb_nn_concat_cols(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b);
bb_nn_tensor *bb_nn_slice_cols(bb_nn_graph *g, bb_nn_tensor *a, int64_t c0, int64_t c1);
/* Zero-padded copy: cols of a placed at [c0, c0+cols) of `total` cols. */
bb_nn_tensor *bb_nn_pad_cols(bb_nn_graph *g, bb_nn_tensor *a, int64_t c0, int64_t total);
/* Rows: x [N,C] -> [E,C] with out[e] = x[ix->idx[e]]. */
bb_nn_tensor *bb_nn_gather(bb_nn_graph *g, bb_nn_tensor *x, const bb_nn_index *ix);
/* Rows: y [E,C] -> [N,C] with out[n] = sum of y[e] over ix->idx[e] = n. */
bb_nn_tensor *bb_nn_scatter(bb_nn_graph *g, bb_nn_tensor *y, const bb_nn_index *ix);
/* Fused edge term: out[e] = A[I[e]] + B[J[e]] + d[e] * w. A, B [N,H]; d [E,1] and
 * w [1,H] may both be NULL. ixi and ixj (I and J) must have the same E and N. */
bb_nn_tensor *bb_nn_pair_add(bb_nn_graph *g, bb_nn_tensor *A, bb_nn_tensor *B, const bb_nn_index *ixi,
                             const bb_nn_index *ixj, bb_nn_tensor *d, bb_nn_tensor *w);
/* Composite ops (built from the above, so twice differentiable). */
bb_nn_tensor *bb_nn_softmax_cols(bb_nn_graph *g, bb_nn_tensor *a);
bb_nn_tensor *bb_nn_logsumexp_cols(bb_nn_graph *g, bb_nn_tensor *a);       /* [..,C]->[..,1] */
bb_nn_tensor *bb_nn_mse(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b); /* mean sq. */

/* ------------------------------------------------------------------ autodiff */
/* Gradients of sum(y * seed) (seed NULL: y must have one element) with respect to
 * xs[0..n-1], written to gx[k] (a zero tensor when y does not depend on xs[k]).
 * xs must be recorded tensors (bb_nn_input, parameters, or results of recorded ops).
 * create_graph = 1 records the backward pass itself, so gx can be differentiated
 * again (PyTorch create_graph=True); 0 gives constants (cheaper). Vector-Jacobian
 * products (Hutchinson divergence) pass a seed. */
int bb_nn_grad(bb_nn_graph *g, bb_nn_tensor *y, bb_nn_tensor *seed, int n, bb_nn_tensor *const *xs, bb_nn_tensor **gx,
               int create_graph);
/* Backpropagate a one-element loss to every parameter leaf recorded on the tape and
 * add (+=) the gradients into their parameter groups' gradient storage. */
int bb_nn_backward(bb_nn_graph *g, bb_nn_tensor *loss);
/* As bb_nn_backward, and in the same sweep the gradients of loss with respect to the
 * recorded tensors xs[0..n-1] into gx[k] (constants in the graph's arena until reset; a zero
 * tensor when loss does not depend on xs[k]), as bb_nn_grad would give them: an adjoint
 * step needs d/dθ and d/dx of one scalar at the cost of one sweep. */
int bb_nn_backward_grad(bb_nn_graph *g, bb_nn_tensor *loss, int n, bb_nn_tensor *const *xs, bb_nn_tensor **gx);

/* As bb_nn_backward, but the gradients of the parameters of group ps are added into
 * grad[0 .. ps->total) (ps's dtype) instead of ps->grad; leaves of other groups still
 * go to their own storage. Data-parallel training: split a batch into fixed shards,
 * one graph and one buffer per shard (e.g. one OpenMP thread each; nn ops inside a
 * parallel region run serially), then add the buffers into ps->grad in shard order
 * (bb_nn_params_add_grad) — the same result on any thread count. */
int bb_nn_backward_to(bb_nn_graph *g, bb_nn_tensor *loss, const bb_nn_params *ps, void *grad);

/* ------------------------------------------------------------------ parameters */
typedef enum bb_nn_init {
    BB_NN_INIT_ZEROS,
    BB_NN_INIT_UNIFORM, /* U(-a, a) */
    BB_NN_INIT_NORMAL,  /* N(0, a^2) */
    BB_NN_INIT_CONST,   /* all a */
    BB_NN_INIT_COUNT
} bb_nn_init;

typedef struct bb_nn_param_info {
    char name[96];
    int ndim;
    int64_t ne[BB_NN_MAX_DIMS];
    size_t off; /* element offset into data / grad */
    size_t n;
    bb_nn_init init;
    double a;
} bb_nn_param_info;

/* A parameter group: named tensors declared by layers, then one allocation for
 * values, one for gradients. Declaring after bb_nn_params_alloc is an error. */
struct bb_nn_params {
    bb_nn_dtype dtype;
    int n, cap;
    bb_nn_param_info *info;
    size_t total; /* elements */
    void *data;   /* [total] values */
    void *grad;   /* [total] gradients */
    int allocated;
};

void bb_nn_params_init(bb_nn_params *ps, bb_nn_dtype dt);
/* Declare a parameter; returns its index (>= 0) or a negative status. */
int bb_nn_params_add(bb_nn_params *ps, const char *name, int ndim, const int64_t *shape, bb_nn_init init, double a,
                     bb_ctx *ctx);
/* Allocate storage and initialise every parameter from its rule with the Philox
 * stream 0x6000_0000 + index of `seed`. Gradients start at zero. */
int bb_nn_params_alloc(bb_nn_params *ps, uint64_t seed, bb_ctx *ctx);
void bb_nn_params_free(bb_nn_params *ps);
void bb_nn_params_zero_grad(bb_nn_params *ps);
/* Leaf tensor of parameter k in graph g (shares storage; gradient goes to ps->grad).
 * rows [r0, r1) of a 2-D parameter: bb_nn_param_rows (a contiguous block). */
bb_nn_tensor *bb_nn_param(bb_nn_graph *g, const bb_nn_params *ps, int k);
bb_nn_tensor *bb_nn_param_rows(bb_nn_graph *g, const bb_nn_params *ps, int k, int64_t r0, int64_t r1);
/* Find by name; -1 if absent. */
int bb_nn_params_find(const bb_nn_params *ps, const char *name);
/* Copy values of parameter k to / from doubles (n elements). */
void bb_nn_params_get(const bb_nn_params *ps, int k, double *out);
void bb_nn_params_set(bb_nn_params *ps, int k, const double *in);
/* ps->grad += grad (a buffer of ps->total values filled by bb_nn_backward_to). */
void bb_nn_params_add_grad(bb_nn_params *ps, const void *grad);
/* Euclidean norm of all gradients (accumulated in double). */
double bb_nn_params_grad_norm(const bb_nn_params *ps);

/* ------------------------------------------------------------------ layers */
typedef enum bb_nn_act { BB_NN_ACT_NONE, BB_NN_ACT_SILU, BB_NN_ACT_GELU, BB_NN_ACT_TANH, BB_NN_ACT_COUNT } bb_nn_act;
extern const char *const BB_NN_ACT_NAME[BB_NN_ACT_COUNT];
bb_nn_tensor *bb_nn_act_apply(bb_nn_graph *g, bb_nn_tensor *x, bb_nn_act act);

/* Linear: y = x W + b with W stored [in, out] (PyTorch's weight transposed), PyTorch
 * default init: W, b ~ U(-1/sqrt(in), 1/sqrt(in)). */
typedef struct bb_nn_linear {
    int in, out;
    int w, b; /* parameter indices (b = -1 without bias) */
} bb_nn_linear;
int bb_nn_linear_init(bb_nn_linear *l, bb_nn_params *ps, const char *name, int in, int out, int bias, bb_ctx *ctx);
/* x [R, in] -> [R, out] */
bb_nn_tensor *bb_nn_linear_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_linear *l, bb_nn_tensor *x);

#define BB_NN_MLP_MAX_LAYERS 16
/* MLP: sizes[0] -> ... -> sizes[n_sizes-1], activation between layers, none after. */
typedef struct bb_nn_mlp {
    int n_layers;
    bb_nn_act act;
    bb_nn_linear lin[BB_NN_MLP_MAX_LAYERS];
} bb_nn_mlp;
int bb_nn_mlp_init(bb_nn_mlp *m, bb_nn_params *ps, const char *name, int n_sizes, const int *sizes, bb_nn_act act,
                   bb_ctx *ctx);
bb_nn_tensor *bb_nn_mlp_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_mlp *m, bb_nn_tensor *x);

/* Sinusoidal time embedding (transformer style, no parameters): t [B,1] ->
 * [B, dim] = [sin(t w_k) | cos(t w_k)], w_k = max_period^(-k/(dim/2)), k < dim/2. */
bb_nn_tensor *bb_nn_time_embed_sin(bb_nn_graph *g, bb_nn_tensor *t, int dim, double max_period);

/* LayerNorm over the last dim (PyTorch nn.LayerNorm): y = (x - mean) / sqrt(var + eps)
 * * gamma + beta, biased variance; gamma = 1, beta = 0 at init. */
typedef struct bb_nn_layernorm {
    int dim;
    double eps;
    int gamma, beta;
} bb_nn_layernorm;
int bb_nn_layernorm_init(bb_nn_layernorm *ln, bb_nn_params *ps, const char *name, int dim, double eps, bb_ctx *ctx);
bb_nn_tensor *bb_nn_layernorm_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_layernorm *ln, bb_nn_tensor *x);

/* Pre-LayerNorm transformer block for short sequences (peptide-size, T ~ 10..100):
 *   x = x + Wo MHA(LN1(x)),  x = x + W2 gelu(W1 LN2(x))  (MLP width 4C).
 * MHA: q, k, v = LN1(x) Wqkv split in three, H heads of C/H, softmax(q k^T / sqrt(C/H)) v.
 * Wqkv is [C, 3C] = PyTorch's in_proj_weight transposed. No mask, no dropout. */
typedef struct bb_nn_transformer {
    int dim, heads;
    bb_nn_layernorm ln1, ln2;
    bb_nn_linear qkv, out, fc1, fc2;
} bb_nn_transformer;
int bb_nn_transformer_init(bb_nn_transformer *tb, bb_nn_params *ps, const char *name, int dim, int heads, bb_ctx *ctx);
/* x [B, T, C] -> [B, T, C] */
bb_nn_tensor *bb_nn_transformer_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_transformer *tb,
                                    bb_nn_tensor *x);
/* Multi-head self-attention core alone: q, k, v [B, T, C] -> [B, T, C]. */
bb_nn_tensor *bb_nn_attention(bb_nn_graph *g, bb_nn_tensor *q, bb_nn_tensor *k, bb_nn_tensor *v, int heads);

/* LayerNorm without affine parameters: (x - mean) / sqrt(var + eps) over the last dim. */
bb_nn_tensor *bb_nn_layernorm_plain(bb_nn_graph *g, bb_nn_tensor *x, double eps);
/* GELU, tanh approximation (PyTorch nn.GELU(approximate="tanh")):
 * 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))). Composite. */
bb_nn_tensor *bb_nn_gelu_tanh(bb_nn_graph *g, bb_nn_tensor *a);
/* Rotary position embedding (torchtune RotaryPositionalEmbeddings): x [B,T,C] viewed as
 * [B,T,H,dh] (dh = C/H even); in each head the pair (2i, 2i+1) at position p (0..T-1) is
 * rotated by the angle p base^(-2i/dh). Composite (constants cos, sin). */
bb_nn_tensor *bb_nn_rope(bb_nn_graph *g, bb_nn_tensor *x, int heads, double base);

/* DiT over point sets (Peebles & Xie 2023, as PITA's DIT3D for peptides,
 * taraak/pita src/models/components/dit.py): each of T tokens (atoms) is a point of
 * token_dim coordinates, embedded by Linear(token_dim, H); the conditioning
 *   c = silu(E_t(t) [+ E_b(b)]),  E(s) = W2 silu(W1 sin_embed(s, freq_dim) + b1) + b2  [B, cond_dim]
 * modulates every block (adaLN-Zero):
 *   (s1, m1, g1, s2, m2, g2) = A c;  x += g1 * Wo MHA(rope(q), rope(k), v) of LN(x) (1 + m1) + s1
 *   x += g2 * W2 gelu_tanh(W1 (LN(x) (1 + m2) + s2))      (MLP width 4H)
 * with LN a LayerNorm with a weight and no bias, qkv and Wo without bias, and ends with
 * out = W_f (LN(x) (1 + m) + s) (shift, scale from c). The adaLN maps and W_f start at zero
 * (the untrained network outputs 0). No dropout. b: the inverse temperature (cond_temp). */
#define BB_NN_DIT_MAX_BLOCKS 16
typedef struct bb_nn_dit_config {
    int n_tokens, token_dim; /* T points of token_dim coordinates */
    int hidden, heads, blocks;
    int cond_dim, freq_dim; /* width of c, of the sinusoidal embeddings (authors: 64, 256) */
    int cond_temp;          /* 1: a second embedder of the inverse temperature */
    double rope_base;       /* authors: 10000 */
} bb_nn_dit_config;
typedef struct bb_nn_dit_block {
    int norm1, norm2; /* LayerNorm weights [1, H] */
    bb_nn_linear qkv, out, fc1, fc2, ada;
} bb_nn_dit_block;
typedef struct bb_nn_dit {
    bb_nn_dit_config cfg;
    bb_nn_linear embed;
    bb_nn_mlp cond[2]; /* [0] noise level, [1] temperature */
    bb_nn_dit_block block[BB_NN_DIT_MAX_BLOCKS];
    int norm_final;
    bb_nn_linear final_ada, final_out;
} bb_nn_dit;
int bb_nn_dit_init(bb_nn_dit *net, bb_nn_params *ps, const char *name, const bb_nn_dit_config *cfg, bb_ctx *ctx);
/* x [B, T*token_dim], t [B,1], temp [B,1] (NULL iff !cfg.cond_temp) -> [B, T*token_dim] */
bb_nn_tensor *bb_nn_dit_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_dit *net, bb_nn_tensor *x,
                            bb_nn_tensor *t, bb_nn_tensor *temp);

/* Fourier MLP of PIS (Zhang & Chen 2022, FourierMLP in their code):
 *   e(t) = W_t2 gelu(W_t1 [sin(c t + phi), cos(c t + phi)] + b) + b,  c = linspace(0.1,100,C)
 *   u(t, x) = W_L gelu(... gelu(W_1 gelu(W_in x + b + e(t)) + b) ...) + b_L
 * phi ~ N(0,1) is learned; the last layer starts at zero (zero_init = True). t may be
 * [B,1] or [1,1] (one time for the whole batch, broadcast). */
#define BB_NN_FOURIER_MAX_LAYERS 8
typedef struct bb_nn_fourier_mlp {
    int in, out, channels, n_layers;
    int phase; /* [1, C] parameter */
    bb_nn_linear embed_in, t1, t2;
    bb_nn_linear hidden[BB_NN_FOURIER_MAX_LAYERS];
    bb_nn_linear last;
} bb_nn_fourier_mlp;
int bb_nn_fourier_mlp_init(bb_nn_fourier_mlp *f, bb_nn_params *ps, const char *name, int in, int out, int channels,
                           int n_layers, bb_ctx *ctx);
/* t [B,1] or [1,1], x [B, in] -> [B, out] */
bb_nn_tensor *bb_nn_fourier_mlp_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_fourier_mlp *f, bb_nn_tensor *t,
                                    bb_nn_tensor *x);

/* TimeConder of PIS-Grad (Zhang & Chen 2022, src/networks/time_conder.py): the same
 * Fourier time features, then Linear(2C, C), (n_layers - 1) x [gelu, Linear(C, C)], gelu,
 * Linear(C, out) with weight 0 and bias 0.01 at init. PIS uses (C, out, n_layers) = (64, 1, 3). */
typedef struct bb_nn_time_conder {
    int out, channels, n_layers;
    int phase; /* [1, C] parameter */
    bb_nn_linear first;
    bb_nn_linear hidden[BB_NN_FOURIER_MAX_LAYERS];
    bb_nn_linear last;
} bb_nn_time_conder;
int bb_nn_time_conder_init(bb_nn_time_conder *f, bb_nn_params *ps, const char *name, int out, int channels,
                           int n_layers, bb_ctx *ctx);
/* t [B,1] or [1,1] -> [B|1, out] */
bb_nn_tensor *bb_nn_time_conder_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_time_conder *f,
                                    bb_nn_tensor *t);

/* ------------------------------------------------------------------ EGNN */
/* E(n)-equivariant GNN (Satorras, Hoogeboom, Welling 2021) on fully connected graphs of
 * P particles in D dims, layer l:
 *   m_ij = act(W2 act(W1 [h_i, h_j, |x_i - x_j|^2, t] + b1) + b2)     (edge MLP)
 *   x_i += 1/(P-1) sum_j (x_i - x_j)/(|x_i - x_j| + 1) phi_x(m_ij)   (normalize = 1)
 *   h_i += W4 act(W3 [h_i, sum_j m_ij] + b3) + b4                      (node MLP)
 * phi_x = Linear(H,H) act Linear(H,1, no bias, xavier gain 0.001). The first edge layer
 * is applied per node (h W1_i, h W1_j, t W1_t) and gathered (bb_nn_pair_add). Inputs
 * and the vector output have their centre of mass removed. h starts as a linear map of
 * the sinusoidal embedding of 1000 t (or a learned vector without time). */
typedef enum bb_nn_egnn_out {
    BB_NN_EGNN_VECTOR, /* [B, P*D]: x_L - x_0, centre of mass removed (equivariant) */
    BB_NN_EGNN_SCALAR, /* [B, 1]: sum_i MLP(h_i) (invariant; an energy) */
    BB_NN_EGNN_OUT_COUNT
} bb_nn_egnn_out;

typedef struct bb_nn_egnn_config {
    int n_particles; /* P */
    int dim;         /* D */
    int hidden;      /* H */
    int n_layers;
    int t_dim;     /* width of the time embedding; 0: no time input */
    int normalize; /* 1: divide x_i - x_j by (|x_i - x_j| + 1) */
    bb_nn_act act; /* SiLU in the paper */
    bb_nn_egnn_out out;
    /* The DEM / adjoint_samplers variant (E_GCL with attention=True, tanh=True, agg "sum",
     * edge_attr = initial distances); all 0 = Satorras et al. as above. */
    int attention;      /* 1: m_ij *= sigmoid(Linear(H,1)(m_ij)) after the edge MLP */
    double coord_range; /* > 0: phi_x = coord_range / n_layers * tanh(phi_x) (DEM: 15) */
    int coord_sum;      /* 1: x_i += sum_j (...) instead of 1/(P-1) sum_j */
    int edge_attr;      /* 1: |x_i - x_j|^2 of the input is one more edge input of every layer */
    /* Extra per-configuration conditioning inputs (PITA: c_noise and the inverse temperature β,
     * as the node features of the authors' EGNN_dynamics): cond [B, n_cond] joins the node
     * embedding, h = Linear([temb | cond]) (without time: h = Linear(cond)). 0: none. */
    int n_cond;
} bb_nn_egnn_config;

#define BB_NN_EGNN_MAX_LAYERS 16
typedef struct bb_nn_egnn_layer {
    bb_nn_linear e1, e2, x1, x2, n1, n2;
    bb_nn_linear att; /* H -> 1 (cfg.attention) */
} bb_nn_egnn_layer;

typedef struct bb_nn_egnn {
    bb_nn_egnn_config cfg;
    bb_nn_linear embed; /* t_dim -> H (t_dim > 0) */
    int h0;             /* learned [1,H] start (t_dim == 0) */
    bb_nn_egnn_layer layer[BB_NN_EGNN_MAX_LAYERS];
    bb_nn_linear o1, o2; /* scalar head */
} bb_nn_egnn;

/* Edge and batch indices of B fully connected configurations of P particles:
 * edge e = (b, i, j != i) in that order, E = B P (P-1). Keep one per batch size. */
typedef struct bb_nn_egnn_graph {
    int64_t B, P, E;
    bb_nn_index src, dst; /* edge -> node i, edge -> node j */
    bb_nn_index batch;    /* node -> configuration */
} bb_nn_egnn_graph;

int bb_nn_egnn_init(bb_nn_egnn *net, bb_nn_params *ps, const char *name, const bb_nn_egnn_config *cfg, bb_ctx *ctx);
int bb_nn_egnn_graph_init(bb_nn_egnn_graph *eg, int64_t B, int64_t P, bb_ctx *ctx);
void bb_nn_egnn_graph_free(bb_nn_egnn_graph *eg);
/* x [B, P*D], t [B,1] (NULL iff t_dim == 0) -> [B, P*D] or [B, 1] (cfg.out). */
bb_nn_tensor *bb_nn_egnn_fwd(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_egnn *net, const bb_nn_egnn_graph *eg,
                             bb_nn_tensor *x, bb_nn_tensor *t);
/* The same with the conditioning inputs cond [B, n_cond] (NULL iff cfg.n_cond == 0). */
bb_nn_tensor *bb_nn_egnn_fwd_cond(bb_nn_graph *g, const bb_nn_params *ps, const bb_nn_egnn *net,
                                  const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *t, bb_nn_tensor *cond);
/* Remove the centre of mass: x [B, P*D] -> x - mean over particles. */
bb_nn_tensor *bb_nn_remove_com(bb_nn_graph *g, bb_nn_tensor *x, int P, int D);

/* ------------------------------------------------------------------ optimizers */
/* Adam (Kingma & Ba) and AdamW (decoupled weight decay, Loshchilov & Hutter), as in
 * torch.optim: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps); weight decay wd is added to g
 * (Adam) or applied as p -= lr wd p before the step (AdamW). State in double. */
typedef struct bb_nn_adam {
    double beta1, beta2, eps, weight_decay;
    int decoupled; /* 1: AdamW */
    int64_t t;     /* steps taken */
    size_t n;
    double *m, *v; /* one allocation: [2n] */
    int threads;   /* OpenMP threads of a step (bb_nn_adam_init: omp_get_max_threads()) */
} bb_nn_adam;
int bb_nn_adam_init(bb_nn_adam *o, const bb_nn_params *ps, double beta1, double beta2, double eps, double weight_decay,
                    int decoupled, bb_ctx *ctx);
/* One step with learning rate lr on ps->grad (gradients are not cleared). */
int bb_nn_adam_step(bb_nn_adam *o, bb_nn_params *ps, double lr, bb_ctx *ctx);
void bb_nn_adam_free(bb_nn_adam *o);
/* Scale all gradients so their global norm is at most max_norm (torch
 * clip_grad_norm_, factor max_norm / (norm + 1e-6)); returns the norm before clipping. */
double bb_nn_clip_grad_norm(bb_nn_params *ps, double max_norm);
/* Linear warmup over `warmup` steps from 0 to base, then cosine decay to min_lr at
 * `total` steps (constant min_lr after). step counts from 0. */
double bb_nn_lr_schedule(int64_t step, double base, int64_t warmup, int64_t total, double min_lr);

/* Exponential moving average of the weights: shadow = decay shadow + (1-decay) p. */
typedef struct bb_nn_ema {
    double decay;
    size_t n;
    double *shadow;
} bb_nn_ema;
int bb_nn_ema_init(bb_nn_ema *e, const bb_nn_params *ps, double decay, bb_ctx *ctx);
void bb_nn_ema_update(bb_nn_ema *e, const bb_nn_params *ps);
/* Exchange parameter values and the shadow (evaluate with EMA weights, swap back). */
void bb_nn_ema_swap(bb_nn_ema *e, bb_nn_params *ps);
void bb_nn_ema_free(bb_nn_ema *e);

/* ------------------------------------------------------------------ checkpoints */
/* Versioned binary checkpoint (little-endian), written atomically (harness/core/fileio.h):
 *   "BBNNCKPT" | u32 version (1) | u32 byte-order mark 0x01020304 | u32 dtype |
 *   u32 n_params | u32 flags (1 Adam, 2 EMA) | u64 total | per parameter: u32 name
 *   length, name, u32 ndim, i64 ne[4] | values | [Adam: i64 t, f64 b1 b2 eps wd,
 *   i32 decoupled, f64 m[total], f64 v[total]] | [EMA: f64 decay, f64 shadow[total]] |
 *   u32 zlib crc32 of everything before it.
 * opt and ema may be NULL (not saved / not loaded). Loading needs a group declared
 * and allocated with the same architecture (names, shapes, dtype) and refuses any
 * mismatch with a message naming the first difference; on failure ps, opt and ema are
 * unchanged. */
#define BB_NN_CKPT_VERSION 1
int bb_nn_checkpoint_save(const char *path, const bb_nn_params *ps, const bb_nn_adam *opt, const bb_nn_ema *ema,
                          bb_ctx *ctx);
int bb_nn_checkpoint_load(const char *path, bb_nn_params *ps, bb_nn_adam *opt, bb_nn_ema *ema, bb_ctx *ctx);
/* The same format in memory, for checkpoints embedded in another file (a run's state):
 * encode allocates *buf (caller frees); decode checks exactly as load does. `path` names
 * the container in messages. */
int bb_nn_checkpoint_encode(const bb_nn_params *ps, const bb_nn_adam *opt, const bb_nn_ema *ema, const char *path,
                            unsigned char **buf, size_t *len, bb_ctx *ctx);
int bb_nn_checkpoint_decode(const void *buf, size_t len, const char *path, bb_nn_params *ps, bb_nn_adam *opt,
                            bb_nn_ema *ema, bb_ctx *ctx);
/* The record a method's resumable state embeds (methods/method.h save/load): u64 length,
 * then the encoded checkpoint. get refuses a zero or absurd length, a short stream and
 * everything decode refuses; `what` names the state in messages. */
int bb_nn_checkpoint_put(FILE *fp, const bb_nn_params *ps, const bb_nn_adam *opt, const bb_nn_ema *ema,
                         const char *what, bb_ctx *ctx);
int bb_nn_checkpoint_get(FILE *fp, bb_nn_params *ps, bb_nn_adam *opt, bb_nn_ema *ema, const char *what, bb_ctx *ctx);

#endif /* BB_NN_H */
