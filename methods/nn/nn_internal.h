/* nn_internal.h — helpers shared by the files of methods/nn (not a public API).
 *
 * Node creation (arena allocation + tape recording), the graph's first-error
 * record, the dtype dispatch macro and the OpenMP thresholds. Nothing here is
 * meant for methods; they use nn.h.
 */
#ifndef BB_NN_INTERNAL_H
#define BB_NN_INTERNAL_H

#include "methods/nn/nn.h"

/* Elementwise loops run in parallel only above this many elements (fixed static
 * partition: results do not depend on the thread count). */
#define NN_PAR_MIN 32768
/* Reductions to few outputs use this many fixed chunks, combined in order. */
#define NN_RED_CHUNKS 32

/* A loop run by OpenMP (static schedule) on `nt` threads only when `cond` holds (and
 * nt > 1), otherwise a plain loop: entering an OpenMP region costs ~0.7 us even with if(0)
 * (measured), which is most of a small op (PIS: 15k ops of [300,64] per step). Both forms
 * give the same results (each iteration is independent). `header` is the `for (...)`
 * part. The thread count comes from the graph (nn_threads(g)) or the optimizer: the nn
 * core never uses or changes the process-wide OpenMP setting. */
#define NN_PAR_FOR(nt, cond, header, ...)                                                                              \
    do {                                                                                                               \
        const int nn_nt_ = (nt);                                                                                       \
        if (nn_nt_ > 1 && (cond)) {                                                                                    \
            _Pragma("omp parallel for schedule(static) num_threads(nn_nt_)") header { __VA_ARGS__ }                    \
        } else {                                                                                                       \
            header { __VA_ARGS__ }                                                                                     \
        }                                                                                                              \
    } while (0)
/* The thread count of a graph's ops (bb_nn_graph_set_threads). */
int nn_threads(const bb_nn_graph *g);

/* Run BODY once with `real` = float or double according to dt. */
#define NN_DISPATCH(dt, ...)                                                                                           \
    do {                                                                                                               \
        if ((dt) == BB_NN_F32) {                                                                                       \
            typedef float real;                                                                                        \
            __VA_ARGS__                                                                                                \
        } else {                                                                                                       \
            typedef double real;                                                                                       \
            __VA_ARGS__                                                                                                \
        }                                                                                                              \
    } while (0)

/* vec.c: y = [g *] silu^(order)(x), order 0 or 1, float32, vectorised (g may be NULL). */
void nn_vec_silu_f32(const float *g, const float *x, float *y, int64_t n, int order);
/* vec.c: y = [g *] gelu^(order)(x) (exact GELU), order 0 or 1, float32, vectorised. */
void nn_vec_gelu_f32(const float *g, const float *x, float *y, int64_t n, int order);
/* vec.c: forward GELU keeping P = Phi(x); backward g * (P + x phi(x)) from the kept P.
 * Both agree with nn_vec_gelu_f32 orders 0 and 1 to the last bit. */
void nn_vec_gelu_keep_f32(const float *x, float *y, float *P, int64_t n);
void nn_vec_gelu_grad_f32(const float *g, const float *x, const float *P, float *y, int64_t n);
#define NN_VEC_CHUNK 16384 /* elements per parallel chunk of a vectorised kernel */

/* Arena allocation, 64-byte aligned; NULL (and an error recorded) on failure. */
void *nn_alloc(bb_nn_graph *g, size_t bytes);
/* Record an error in g (only the first one is kept); returns NULL for convenience. */
void *nn_fail(bb_nn_graph *g, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define NN_FAIL(g, code, ...) nn_fail((g), (code), __FILE__, __LINE__, __VA_ARGS__)
/* 1 if g already holds an error. */
int nn_failed(const bb_nn_graph *g);
/* New tensor with uninitialised data (NULL on failure). */
bb_nn_tensor *nn_new(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape);
/* New tensor header sharing `data` (views). */
bb_nn_tensor *nn_view(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape);
/* Record t as the result of `op` on srcs (sets requires_grad and pushes it on the tape
 * when grad mode is on and a source requires a gradient). Returns t. */
bb_nn_tensor *nn_record(bb_nn_graph *g, bb_nn_tensor *t, bb_nn_op op, bb_nn_tensor *s0, bb_nn_tensor *s1,
                        bb_nn_tensor *s2, bb_nn_tensor *s3);
/* Buffer recycling inside a backward sweep without create_graph: tensors created while
 * it is on get a reference-counted buffer record; a buffer whose count drops to zero
 * goes to a free list that later tensors of the same byte size reuse. Slots of the
 * gradient map hold the references (see autodiff.c). */
void nn_recycle(bb_nn_graph *g, int on);
void nn_buf_ref(bb_nn_tensor *t);
void nn_buf_unref(bb_nn_graph *g, bb_nn_tensor *t);

/* Push a leaf that requires a gradient. */
bb_nn_tensor *nn_leaf(bb_nn_graph *g, bb_nn_tensor *t);
int nn_grad_mode(const bb_nn_graph *g);
bb_nn_tensor *nn_tape_at(const bb_nn_graph *g, int i);
int nn_same_shape(const bb_nn_tensor *a, const bb_nn_tensor *b);
int nn_check_dtype(bb_nn_graph *g, const char *op, const bb_nn_tensor *a, const bb_nn_tensor *b);
/* Shape as text "[7,1,5,3]" into buf. */
const char *nn_shape_str(const bb_nn_tensor *t, char *buf, size_t len);

/* Right-aligned 4-D shape of t; element strides of t broadcast to the 4-D shape o
 * (0 along broadcast dims). */
void nn_pad4(const bb_nn_tensor *t, int64_t p[4]);
void nn_bstrides(const bb_nn_tensor *t, const int64_t o[4], int64_t s[4]);

/* Backward rule of one node: given the gradient gy of t, add the contributions to its
 * sources via nn_acc(g, grads, src, contribution). All rules live in grad.c. */
typedef struct nn_gradmap nn_gradmap;
/* Gradients of one backward sweep (autodiff.c fills it, grad.c accumulates into it). */
struct nn_gradmap {
    int n;               /* tape length when the sweep started */
    bb_nn_tensor **grad; /* [n] gradient of each node, NULL = zero */
    unsigned char *rel;  /* [n] node depends on a target (bit 0); is a target (bit 1) */
    int recycle;         /* no create_graph: release each gradient once consumed */
};

void nn_acc(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *src, bb_nn_tensor *contrib);
/* 1 if the sweep needs the gradient of s (s depends on a requested tensor). */
int nn_needs(const nn_gradmap *gm, const bb_nn_tensor *s);
void nn_backward_elem(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy);
void nn_backward_shape(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy);
void nn_backward_matmul(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy);
void nn_backward_index(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy);
/* The rule of t's op (grad.c). */
void nn_backward_node(bb_nn_graph *g, nn_gradmap *gm, bb_nn_tensor *t, bb_nn_tensor *gy);

#endif
