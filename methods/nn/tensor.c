/* tensor.c — the graph: a bump arena reset every step, the tape of recorded nodes,
 * the graph's first-error record, and tensor creation/accessors.
 *
 * The arena is a list of blocks; allocation bumps a pointer in the newest block and
 * adds a block when it is full. Reset keeps one block: if the last step needed more
 * than one, the blocks are replaced by a single block of the high-water size, so from
 * the second identical step on no malloc happens (ggml_init/ggml_reset/ggml_free).
 * This file does not compute anything; ops live in ops_*.c, backward in autodiff.c.
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

const char *const BB_NN_DTYPE_NAME[BB_NN_DTYPE_COUNT] = {"float32", "float64"};
const char *const BB_NN_OP_NAME[BB_NN_OP_COUNT] = {
    "none",         "add",     "sub",     "mul",    "div",   "scale", "unary",  "unary_mul", "matmul",  "sum_to",
    "broadcast_to", "reshape", "permute", "concat", "slice", "pad",   "gather", "scatter",   "pair_add"};
_Static_assert(sizeof(BB_NN_OP_NAME) / sizeof(BB_NN_OP_NAME[0]) == BB_NN_OP_COUNT, "BB_NN_OP_NAME must name every op");

#define NN_ALIGN 64

typedef struct nn_block {
    struct nn_block *prev;
    size_t size, used;
    unsigned char *base; /* aligned start */
} nn_block;

typedef struct nn_buf {
    void *data;
    size_t bytes;
    int refs;
    int free;
    struct nn_buf *next; /* free list */
} nn_buf;

struct bb_nn_graph {
    nn_block *blk; /* newest block */
    int recycle;   /* backward sweep without create_graph: buffers are recycled */
    nn_buf *free_list;
    size_t used_total; /* bytes handed out since reset */
    size_t peak;       /* high-water of used_total */
    int64_t mallocs;
    bb_nn_tensor **tape;
    int n_tape, cap_tape;
    int grad_on;
    int threads; /* OpenMP threads of the ops (NN_PAR_FOR) */
    bb_ctx err;
};

size_t bb_nn_dtype_size(bb_nn_dtype dt) { return dt == BB_NN_F32 ? sizeof(float) : sizeof(double); }

static nn_block *block_new(size_t size) {
    nn_block *b = malloc(sizeof *b + size + NN_ALIGN);
    if (!b) return NULL;
    b->prev = NULL;
    b->size = size;
    b->used = 0;
    uintptr_t p = (uintptr_t)(b + 1);
    p = (p + NN_ALIGN - 1) & ~(uintptr_t)(NN_ALIGN - 1);
    b->base = (unsigned char *)p;
    return b;
}

int bb_nn_graph_init(bb_nn_graph **out, size_t bytes, bb_ctx *ctx) {
    *out = NULL;
    bb_nn_graph *g = calloc(1, sizeof *g);
    if (!g) return BB_ERR(ctx, BB_ENOMEM, "nn graph: out of memory");
    if (bytes == 0) bytes = (size_t)1 << 20;
    g->blk = block_new(bytes);
    g->cap_tape = 1024;
    g->tape = malloc((size_t)g->cap_tape * sizeof *g->tape);
    if (!g->blk || !g->tape) {
        free(g->blk);
        free(g->tape);
        free(g);
        return BB_ERR(ctx, BB_ENOMEM, "nn graph: cannot allocate an arena of %zu bytes", bytes);
    }
    g->mallocs = 1;
    g->grad_on = 1;
    g->threads = omp_get_max_threads();
    /* The products are split into row blocks under OpenMP (ops_matmul.c); a multi-threaded
     * BLAS underneath would oversubscribe and change the bits with its thread count. The
     * program decides it at its start (harness/cli/main.c); the library only checks. */
    if (openblas_get_num_threads() != 1) {
        bb_nn_graph_free(g);
        return BB_ERR(ctx, BB_EINVAL,
                      "nn graph: OpenBLAS runs %d threads; the program must call openblas_set_num_threads(1) at its "
                      "start (the nn core parallelises its products itself, and results must not depend on BLAS "
                      "threads)",
                      openblas_get_num_threads());
    }
    *out = g;
    return BB_OK;
}

void bb_nn_graph_set_threads(bb_nn_graph *g, int threads) { g->threads = threads > 0 ? threads : 1; }

int nn_threads(const bb_nn_graph *g) { return g->threads; }

void bb_nn_graph_reset(bb_nn_graph *g) {
    if (!g) return;
    if (g->blk->prev) { /* several blocks: replace by one of the high-water size */
        size_t want = g->peak + g->peak / 8 + NN_ALIGN * 64;
        nn_block *b = g->blk;
        while (b) {
            nn_block *p = b->prev;
            free(b);
            b = p;
        }
        g->blk = block_new(want);
        g->mallocs++;
        if (!g->blk) { /* keep the graph usable: fall back to a small block */
            g->blk = block_new((size_t)1 << 20);
            if (!g->blk) {
                g->err.code = BB_ENOMEM;
                snprintf(g->err.msg, sizeof g->err.msg, "nn graph: out of memory");
                return;
            }
        }
    }
    g->blk->used = 0;
    g->used_total = 0;
    g->recycle = 0;
    g->free_list = NULL;
    g->n_tape = 0;
    g->grad_on = 1;
    bb_ctx_clear(&g->err);
}

void bb_nn_graph_free(bb_nn_graph *g) {
    if (!g) return;
    nn_block *b = g->blk;
    while (b) {
        nn_block *p = b->prev;
        free(b);
        b = p;
    }
    free(g->tape);
    free(g);
}

int bb_nn_graph_status(const bb_nn_graph *g, bb_ctx *ctx) {
    if (!g) return BB_ERR(ctx, BB_EINVAL, "nn graph: NULL graph");
    if (g->err.code == BB_OK) return BB_OK;
    if (ctx) *ctx = g->err;
    return g->err.code;
}

int bb_nn_graph_set_grad(bb_nn_graph *g, int on) {
    int prev = g->grad_on;
    g->grad_on = on != 0;
    return prev;
}

size_t bb_nn_graph_bytes_used(const bb_nn_graph *g) { return g->used_total; }
size_t bb_nn_graph_bytes_peak(const bb_nn_graph *g) { return g->peak; }
int64_t bb_nn_graph_mallocs(const bb_nn_graph *g) { return g->mallocs; }
int bb_nn_graph_tape_len(const bb_nn_graph *g) { return g->n_tape; }
int nn_grad_mode(const bb_nn_graph *g) { return g->grad_on; }
bb_nn_tensor *nn_tape_at(const bb_nn_graph *g, int i) { return g->tape[i]; }
int nn_failed(const bb_nn_graph *g) { return g->err.code != BB_OK; }

void *nn_fail(bb_nn_graph *g, int code, const char *file, int line, const char *fmt, ...) {
    if (g->err.code != BB_OK) return NULL;
    g->err.code = code;
    g->err.file = file;
    g->err.line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err.msg, sizeof g->err.msg, fmt, ap);
    va_end(ap);
    return NULL;
}

void *nn_alloc(bb_nn_graph *g, size_t bytes) {
    bytes = (bytes + NN_ALIGN - 1) & ~(size_t)(NN_ALIGN - 1);
    if (bytes == 0) bytes = NN_ALIGN;
    nn_block *b = g->blk;
    if (b->size - b->used < bytes) {
        size_t want = b->size * 2 > bytes ? b->size * 2 : bytes;
        nn_block *nb = block_new(want);
        if (!nb) return NN_FAIL(g, BB_ENOMEM, "nn graph: arena cannot grow by %zu bytes", want);
        g->mallocs++;
        nb->prev = b;
        g->blk = nb;
        b = nb;
    }
    void *p = b->base + b->used;
    b->used += bytes;
    g->used_total += bytes;
    if (g->used_total > g->peak) g->peak = g->used_total;
    return p;
}

static int shape_ok(bb_nn_graph *g, int ndim, const int64_t *shape, int64_t *n) {
    if (ndim < 1 || ndim > BB_NN_MAX_DIMS) {
        NN_FAIL(g, BB_EINVAL, "nn tensor: rank %d outside 1..%d", ndim, BB_NN_MAX_DIMS);
        return 0;
    }
    int64_t m = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || shape[i] > ((int64_t)1 << 40) / m) {
            NN_FAIL(g, BB_EINVAL, "nn tensor: bad extent %lld in dim %d", (long long)shape[i], i);
            return 0;
        }
        m *= shape[i];
    }
    *n = m;
    return 1;
}

static bb_nn_tensor *header(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape) {
    int64_t n;
    if (nn_failed(g) || !shape_ok(g, ndim, shape, &n)) return NULL;
    bb_nn_tensor *t = nn_alloc(g, sizeof *t);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->ne[i] = shape[i];
    for (int i = ndim; i < BB_NN_MAX_DIMS; i++) t->ne[i] = 1;
    t->n = n;
    t->id = -1;
    return t;
}

bb_nn_tensor *nn_new(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape) {
    bb_nn_tensor *t = header(g, dt, ndim, shape);
    if (!t) return NULL;
    const size_t bytes = (size_t)t->n * bb_nn_dtype_size(dt);
    if (!g->recycle) {
        t->data = nn_alloc(g, bytes);
        return t->data ? t : NULL;
    }
    for (nn_buf **pp = &g->free_list; *pp; pp = &(*pp)->next) /* exact size, first fit */
        if ((*pp)->bytes == bytes) {
            nn_buf *b = *pp;
            *pp = b->next;
            b->next = NULL;
            b->free = 0;
            b->refs = 0;
            t->data = b->data;
            t->buf = b;
            return t;
        }
    nn_buf *b = nn_alloc(g, sizeof *b);
    t->data = b ? nn_alloc(g, bytes) : NULL;
    if (!t->data) return NULL;
    memset(b, 0, sizeof *b);
    b->data = t->data;
    b->bytes = bytes;
    t->buf = b;
    return t;
}

void nn_recycle(bb_nn_graph *g, int on) { g->recycle = on != 0; }

void nn_buf_ref(bb_nn_tensor *t) {
    if (t && t->buf) ((nn_buf *)t->buf)->refs++;
}

void nn_buf_unref(bb_nn_graph *g, bb_nn_tensor *t) {
    if (!t || !t->buf) return;
    nn_buf *b = t->buf;
    if (b->refs > 0) b->refs--;
    if (b->refs == 0 && !b->free && g->recycle) {
        b->free = 1;
        b->next = g->free_list;
        g->free_list = b;
    }
}

bb_nn_tensor *nn_view(bb_nn_graph *g, bb_nn_tensor *a, int ndim, const int64_t *shape) {
    bb_nn_tensor *t = header(g, a->dtype, ndim, shape);
    if (!t) return NULL;
    t->data = a->data;
    t->buf = a->buf; /* a view shares its source's buffer record */
    return t;
}

static int push(bb_nn_graph *g, bb_nn_tensor *t) {
    if (g->n_tape == g->cap_tape) {
        int cap = g->cap_tape * 2;
        bb_nn_tensor **nt = realloc(g->tape, (size_t)cap * sizeof *nt);
        if (!nt) {
            NN_FAIL(g, BB_ENOMEM, "nn graph: tape cannot grow to %d nodes", cap);
            return 0;
        }
        g->tape = nt;
        g->cap_tape = cap;
        g->mallocs++;
    }
    t->id = g->n_tape;
    g->tape[g->n_tape++] = t;
    return 1;
}

bb_nn_tensor *nn_record(bb_nn_graph *g, bb_nn_tensor *t, bb_nn_op op, bb_nn_tensor *s0, bb_nn_tensor *s1,
                        bb_nn_tensor *s2, bb_nn_tensor *s3) {
    if (!t) return NULL;
    t->op = op;
    t->src[0] = s0;
    t->src[1] = s1;
    t->src[2] = s2;
    t->src[3] = s3;
    int need = 0;
    for (int i = 0; i < 4; i++)
        if (t->src[i] && t->src[i]->requires_grad) need = 1;
    if (!g->grad_on || !need) {
        t->op = BB_NN_OP_NONE; /* a constant: nothing to differentiate */
        return t;
    }
    t->requires_grad = 1;
    return push(g, t) ? t : NULL;
}

bb_nn_tensor *nn_leaf(bb_nn_graph *g, bb_nn_tensor *t) {
    if (!t) return NULL;
    t->requires_grad = 1;
    return push(g, t) ? t : NULL;
}

int nn_same_shape(const bb_nn_tensor *a, const bb_nn_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->ne[i] != b->ne[i]) return 0;
    return 1;
}

const char *nn_shape_str(const bb_nn_tensor *t, char *buf, size_t len) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, len - k, "[");
    for (int i = 0; i < t->ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%lld" : "%lld", (long long)t->ne[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
    return buf;
}

int nn_check_dtype(bb_nn_graph *g, const char *op, const bb_nn_tensor *a, const bb_nn_tensor *b) {
    if (a->dtype != b->dtype) {
        NN_FAIL(g, BB_EINVAL, "nn %s: dtype mismatch (%s vs %s)", op, BB_NN_DTYPE_NAME[a->dtype],
                BB_NN_DTYPE_NAME[b->dtype]);
        return 0;
    }
    return 1;
}

bb_nn_tensor *bb_nn_full(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape, double v) {
    bb_nn_tensor *t = nn_new(g, dt, ndim, shape);
    if (!t) return NULL;
    NN_DISPATCH(dt, {
        real *p = t->data;
        for (int64_t i = 0; i < t->n; i++) p[i] = (real)v;
    });
    return t;
}

bb_nn_tensor *bb_nn_zeros(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape) {
    bb_nn_tensor *t = nn_new(g, dt, ndim, shape);
    if (t) memset(t->data, 0, (size_t)t->n * bb_nn_dtype_size(dt));
    return t;
}

bb_nn_tensor *bb_nn_from(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape, const double *src) {
    bb_nn_tensor *t = nn_new(g, dt, ndim, shape);
    if (!t) return NULL;
    NN_DISPATCH(dt, {
        real *p = t->data;
        for (int64_t i = 0; i < t->n; i++) p[i] = (real)src[i];
    });
    return t;
}

bb_nn_tensor *bb_nn_input(bb_nn_graph *g, bb_nn_dtype dt, int ndim, const int64_t *shape, const double *src) {
    return nn_leaf(g, bb_nn_from(g, dt, ndim, shape, src));
}

bb_nn_tensor *bb_nn_detach(bb_nn_graph *g, bb_nn_tensor *a) {
    if (!a || nn_failed(g)) return NULL;
    bb_nn_tensor *t = nn_view(g, a, a->ndim, a->ne);
    return t;
}

double bb_nn_get(const bb_nn_tensor *t, int64_t i) {
    return t->dtype == BB_NN_F32 ? (double)((const float *)t->data)[i] : ((const double *)t->data)[i];
}

void bb_nn_to_double(const bb_nn_tensor *t, double *out) {
    for (int64_t i = 0; i < t->n; i++) out[i] = bb_nn_get(t, i);
}

int64_t bb_nn_cols(const bb_nn_tensor *t) { return t->ne[t->ndim - 1]; }
int64_t bb_nn_rows(const bb_nn_tensor *t) { return t->n / t->ne[t->ndim - 1]; }
