/* ops_elem.c — elementwise ops: broadcasting add/sub/mul/div, s*a+c, and unary
 * functions with their derivatives of order 0..3, forward and backward side by side.
 *
 * A unary node carries (fn, order) and computes the order-th derivative of fn; its
 * backward is gy * unary(x, fn, order + 1), so gradients of gradients need no extra
 * rules (order 4 is refused with BB_EUNSUPPORTED). Binary backward reduces broadcast
 * dims with sum_to. This file does not do matrix products or reductions of its own.
 */
#include <math.h>
#include <string.h>

#include "methods/nn/nn_internal.h"

const char *const BB_NN_FN_NAME[BB_NN_FN_COUNT] = {"silu", "tanh", "gelu", "sigmoid", "exp",  "log",
                                                   "sqrt", "sin",  "cos",  "square",  "recip"};
_Static_assert(sizeof(BB_NN_FN_NAME) / sizeof(BB_NN_FN_NAME[0]) == BB_NN_FN_COUNT,
               "BB_NN_FN_NAME must name every function");

/* ------------------------------------------------------------ broadcasting */

/* Right-align a's shape to 4 dims. */
void nn_pad4(const bb_nn_tensor *t, int64_t p[4]) {
    int off = 4 - t->ndim;
    for (int i = 0; i < 4; i++) p[i] = i < off ? 1 : t->ne[i - off];
}

/* Broadcast output shape; 0 if incompatible. */
static int bcast(const bb_nn_tensor *a, const bb_nn_tensor *b, int *ndim, int64_t out[4]) {
    int64_t pa[4], pb[4];
    nn_pad4(a, pa);
    nn_pad4(b, pb);
    *ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t full[4];
    for (int i = 0; i < 4; i++) {
        if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1) return 0;
        full[i] = pa[i] > pb[i] ? pa[i] : pb[i];
    }
    for (int i = 0; i < *ndim; i++) out[i] = full[4 - *ndim + i];
    return 1;
}

/* Element strides of t inside a 4-D broadcast of shape o (0 along broadcast dims). */
void nn_bstrides(const bb_nn_tensor *t, const int64_t o[4], int64_t s[4]) {
    int64_t p[4];
    nn_pad4(t, p);
    int64_t st = 1;
    for (int i = 3; i >= 0; i--) {
        s[i] = (p[i] == 1 && o[i] != 1) ? 0 : st;
        st *= p[i];
    }
}

enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };

/* Same-shape loop. */
#define NN_FLAT(EXPR) NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++), py[i] = (EXPR);)

/* One output row of a broadcast binary op: the inner strides are 0 or 1, and the three
 * common cases get loops the compiler vectorises (a row of b broadcast over a row of a,
 * a per-row scalar: the EGNN's attention gate and biases); same arithmetic per element. */
#define BIN_ROW(OP)                                                                                                    \
    do {                                                                                                               \
        if (sa3 == 1 && sb3 == 1) {                                                                                    \
            for (int64_t c = 0; c < C; c++) ry[c] = ra[c] OP rb[c];                                                    \
        } else if (sa3 == 1 && sb3 == 0) {                                                                             \
            const real vb = rb[0];                                                                                     \
            for (int64_t c = 0; c < C; c++) ry[c] = ra[c] OP vb;                                                       \
        } else if (sa3 == 0 && sb3 == 1) {                                                                             \
            const real va = ra[0];                                                                                     \
            for (int64_t c = 0; c < C; c++) ry[c] = va OP rb[c];                                                       \
        } else {                                                                                                       \
            for (int64_t c = 0; c < C; c++) ry[c] = ra[c * sa3] OP rb[c * sb3];                                        \
        }                                                                                                              \
    } while (0)

static bb_nn_tensor *binary(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b, int kind, bb_nn_op op) {
    if (!a || !b || nn_failed(g)) return NULL;
    if (!nn_check_dtype(g, BB_NN_OP_NAME[op], a, b)) return NULL;
    int nd;
    int64_t shp[4];
    if (!bcast(a, b, &nd, shp)) {
        char sa[64], sb[64];
        return NN_FAIL(g, BB_EINVAL, "nn %s: shapes %s and %s do not broadcast", BB_NN_OP_NAME[op],
                       nn_shape_str(a, sa, 64), nn_shape_str(b, sb, 64));
    }
    bb_nn_tensor *t = nn_new(g, a->dtype, nd, shp);
    if (!t) return NULL;
    int64_t o4[4];
    nn_pad4(t, o4);
    int64_t sa[4], sb[4];
    nn_bstrides(a, o4, sa);
    nn_bstrides(b, o4, sb);
    const int64_t C = o4[3], R = t->n / C;
    const int same = nn_same_shape(a, b);
    NN_DISPATCH(t->dtype, {
        const real *pa = a->data, *pb = b->data;
        real *py = t->data;
        if (same) {
            const int64_t n = t->n;
            switch (kind) {
                case BIN_ADD: NN_FLAT(pa[i] + pb[i]); break;
                case BIN_SUB: NN_FLAT(pa[i] - pb[i]); break;
                case BIN_MUL: NN_FLAT(pa[i] * pb[i]); break;
                default: NN_FLAT(pa[i] / pb[i]); break;
            }
        } else {
            const int64_t sa3 = sa[3], sb3 = sb[3];
            const int64_t ntot = t->n;
            NN_PAR_FOR(
                nn_threads(g), ntot > NN_PAR_MIN, for (int64_t r = 0; r < R; r++), int64_t i2 = r % o4[2],
                i1 = (r / o4[2]) % o4[1], i0 = r / (o4[2] * o4[1]);
                const real *ra = pa + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                const real *rb = pb + i0 * sb[0] + i1 * sb[1] + i2 * sb[2]; real *ry = py + r * C; switch (kind) {
                    case BIN_ADD: BIN_ROW(+); break;
                    case BIN_SUB: BIN_ROW(-); break;
                    case BIN_MUL: BIN_ROW(*); break;
                    default: BIN_ROW(/); break;
                });
        }
    });
    return nn_record(g, t, op, a, b, NULL, NULL);
}

bb_nn_tensor *bb_nn_add(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b) {
    return binary(g, a, b, BIN_ADD, BB_NN_OP_ADD);
}
bb_nn_tensor *bb_nn_sub(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b) {
    return binary(g, a, b, BIN_SUB, BB_NN_OP_SUB);
}
bb_nn_tensor *bb_nn_mul(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b) {
    return binary(g, a, b, BIN_MUL, BB_NN_OP_MUL);
}
bb_nn_tensor *bb_nn_div(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_tensor *b) {
    return binary(g, a, b, BIN_DIV, BB_NN_OP_DIV);
}

bb_nn_tensor *bb_nn_scale(bb_nn_graph *g, bb_nn_tensor *a, double s, double c) {
    if (!a || nn_failed(g)) return NULL;
    bb_nn_tensor *t = nn_new(g, a->dtype, a->ndim, a->ne);
    if (!t) return NULL;
    const int64_t n = t->n;
    NN_DISPATCH(t->dtype, {
        const real *pa = a->data;
        real *py = t->data;
        const real rs = (real)s, rc = (real)c;
        NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++), py[i] = rs * pa[i] + rc;);
    });
    t->fp[0] = s;
    t->fp[1] = c;
    return nn_record(g, t, BB_NN_OP_SCALE, a, NULL, NULL, NULL);
}

/* ------------------------------------------------------------ unary functions */

/* The order-th derivative of fn at x, in the precision of `real` (float math for
 * float: expf etc. through the type-generic macros below). */
#define NN_UNARY_BODY(real, EXP, TANH, ERF, LOG, SQRT, SIN, COS)                                                       \
    static inline real unary_##real(int fn, int order, real x) {                                                       \
        switch (fn) {                                                                                                  \
            case BB_NN_FN_SILU: {                                                                                      \
                real s = (real)1 / ((real)1 + EXP(-x)), d = s * ((real)1 - s);                                         \
                switch (order) {                                                                                       \
                    case 0: return x * s;                                                                              \
                    case 1: return s * ((real)1 + x * ((real)1 - s));                                                  \
                    case 2: return d * ((real)2 + x * ((real)1 - 2 * s));                                              \
                    default: return d * (((real)1 - 2 * s) * ((real)3 + x * ((real)1 - 2 * s)) - 2 * x * d);           \
                }                                                                                                      \
            }                                                                                                          \
            case BB_NN_FN_TANH: {                                                                                      \
                real t = TANH(x), u = (real)1 - t * t;                                                                 \
                switch (order) {                                                                                       \
                    case 0: return t;                                                                                  \
                    case 1: return u;                                                                                  \
                    case 2: return -2 * t * u;                                                                         \
                    default: return -2 * u * ((real)1 - 3 * t * t);                                                    \
                }                                                                                                      \
            }                                                                                                          \
            case BB_NN_FN_GELU: {                                                                                      \
                real P = (real)0.5 * ((real)1 + ERF(x * (real)0.70710678118654752440));                                \
                real p = (real)0.39894228040143267794 * EXP((real)-0.5 * x * x);                                       \
                switch (order) {                                                                                       \
                    case 0: return x * P;                                                                              \
                    case 1: return P + x * p;                                                                          \
                    case 2: return p * ((real)2 - x * x);                                                              \
                    default: return x * p * (x * x - (real)4);                                                         \
                }                                                                                                      \
            }                                                                                                          \
            case BB_NN_FN_SIGMOID: {                                                                                   \
                real s = (real)1 / ((real)1 + EXP(-x)), d = s * ((real)1 - s);                                         \
                switch (order) {                                                                                       \
                    case 0: return s;                                                                                  \
                    case 1: return d;                                                                                  \
                    case 2: return d * ((real)1 - 2 * s);                                                              \
                    default: return d * ((real)1 - 6 * s + 6 * s * s);                                                 \
                }                                                                                                      \
            }                                                                                                          \
            case BB_NN_FN_EXP: return EXP(x);                                                                          \
            case BB_NN_FN_LOG:                                                                                         \
                switch (order) {                                                                                       \
                    case 0: return LOG(x);                                                                             \
                    case 1: return (real)1 / x;                                                                        \
                    case 2: return (real)-1 / (x * x);                                                                 \
                    default: return (real)2 / (x * x * x);                                                             \
                }                                                                                                      \
            case BB_NN_FN_SQRT: {                                                                                      \
                real r = SQRT(x);                                                                                      \
                switch (order) {                                                                                       \
                    case 0: return r;                                                                                  \
                    case 1: return (real)0.5 / r;                                                                      \
                    case 2: return (real)-0.25 / (x * r);                                                              \
                    default: return (real)0.375 / (x * x * r);                                                         \
                }                                                                                                      \
            }                                                                                                          \
            case BB_NN_FN_SIN:                                                                                         \
                switch (order) {                                                                                       \
                    case 0: return SIN(x);                                                                             \
                    case 1: return COS(x);                                                                             \
                    case 2: return -SIN(x);                                                                            \
                    default: return -COS(x);                                                                           \
                }                                                                                                      \
            case BB_NN_FN_COS:                                                                                         \
                switch (order) {                                                                                       \
                    case 0: return COS(x);                                                                             \
                    case 1: return -SIN(x);                                                                            \
                    case 2: return -COS(x);                                                                            \
                    default: return SIN(x);                                                                            \
                }                                                                                                      \
            case BB_NN_FN_SQUARE:                                                                                      \
                switch (order) {                                                                                       \
                    case 0: return x * x;                                                                              \
                    case 1: return 2 * x;                                                                              \
                    case 2: return (real)2;                                                                            \
                    default: return (real)0;                                                                           \
                }                                                                                                      \
            default: /* BB_NN_FN_RECIP */                                                                              \
                switch (order) {                                                                                       \
                    case 0: return (real)1 / x;                                                                        \
                    case 1: return (real)-1 / (x * x);                                                                 \
                    case 2: return (real)2 / (x * x * x);                                                              \
                    default: return (real)-6 / (x * x * x * x);                                                        \
                }                                                                                                      \
        }                                                                                                              \
    }
NN_UNARY_BODY(float, expf, tanhf, erff, logf, sqrtf, sinf, cosf)
NN_UNARY_BODY(double, exp, tanh, erf, log, sqrt, sin, cos)

/* Float SiLU / GELU and first derivatives (optionally times g) through the vectorised
 * kernels, in fixed
 * chunks of NN_VEC_CHUNK elements. */
static void vec_f32(int nt, int gelu, const float *g, const float *x, float *y, int64_t n, int order) {
    const int64_t nch = (n + NN_VEC_CHUNK - 1) / NN_VEC_CHUNK;
    NN_PAR_FOR(nt, n > NN_PAR_MIN, for (int64_t ch = 0; ch < nch; ch++), const int64_t i0 = ch * NN_VEC_CHUNK,
               m = n - i0 < NN_VEC_CHUNK ? n - i0 : NN_VEC_CHUNK;
               if (gelu) nn_vec_gelu_f32(g ? g + i0 : NULL, x + i0, y + i0, m, order);
               else nn_vec_silu_f32(g ? g + i0 : NULL, x + i0, y + i0, m, order););
}

/* y = [gy *] f^(order)(a) */
static bb_nn_tensor *unary_impl(bb_nn_graph *g, bb_nn_tensor *gy, bb_nn_tensor *a, bb_nn_fn fn, int order) {
    if (!a || nn_failed(g)) return NULL;
    if ((int)fn < 0 || fn >= BB_NN_FN_COUNT) return NN_FAIL(g, BB_EINVAL, "nn unary: unknown function %d", (int)fn);
    if (order < 0 || order > BB_NN_FN_MAX_ORDER)
        return NN_FAIL(g, BB_EUNSUPPORTED, "nn unary: derivative of order %d of %s (at most %d is implemented)", order,
                       BB_NN_FN_NAME[fn], BB_NN_FN_MAX_ORDER);
    if (gy && (!nn_check_dtype(g, "unary_mul", gy, a) || !nn_same_shape(gy, a)))
        return NN_FAIL(g, BB_EINVAL, "nn unary_mul: gradient and input shapes differ");
    bb_nn_tensor *t = nn_new(g, a->dtype, a->ndim, a->ne);
    if (!t) return NULL;
    const int64_t n = t->n;
    const int f = (int)fn;
    if (a->dtype == BB_NN_F32) {
        const float *x = a->data, *gv = gy ? gy->data : NULL;
        float *y = t->data;
        if (fn == BB_NN_FN_GELU && order == 0 && !gv && nn_grad_mode(g) && a->requires_grad) {
            /* keep Phi(x) for the backward (one exp instead of exp + division + poly) */
            float *P = nn_alloc(g, sizeof(float) * (size_t)n);
            if (!P) return NULL;
            const int64_t nch = (n + NN_VEC_CHUNK - 1) / NN_VEC_CHUNK;
            NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t ch = 0; ch < nch; ch++),
                       const int64_t i0 = ch * NN_VEC_CHUNK, m = n - i0 < NN_VEC_CHUNK ? n - i0 : NN_VEC_CHUNK;
                       nn_vec_gelu_keep_f32(x + i0, y + i0, P + i0, m););
            t->aux = P;
        } else if ((fn == BB_NN_FN_SILU || fn == BB_NN_FN_GELU) && order <= 1) {
            vec_f32(nn_threads(g), fn == BB_NN_FN_GELU, gv, x, y, n, order);
        } else if (gv) {
            NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++),
                       y[i] = gv[i] * unary_float(f, order, x[i]););
        } else {
            NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++),
                       y[i] = unary_float(f, order, x[i]););
        }
    } else {
        const double *x = a->data, *gv = gy ? gy->data : NULL;
        double *y = t->data;
        if (gv) {
            NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++),
                       y[i] = gv[i] * unary_double(f, order, x[i]););
        } else {
            NN_PAR_FOR(nn_threads(g), n > NN_PAR_MIN, for (int64_t i = 0; i < n; i++),
                       y[i] = unary_double(f, order, x[i]););
        }
    }
    t->ip[0] = f;
    t->ip[1] = order;
    if (gy) return nn_record(g, t, BB_NN_OP_UNARY_MUL, gy, a, NULL, NULL);
    return nn_record(g, t, BB_NN_OP_UNARY, a, NULL, NULL, NULL);
}

bb_nn_tensor *bb_nn_unary(bb_nn_graph *g, bb_nn_tensor *a, bb_nn_fn fn, int order) {
    return unary_impl(g, NULL, a, fn, order);
}

bb_nn_tensor *bb_nn_unary_mul(bb_nn_graph *g, bb_nn_tensor *gy, bb_nn_tensor *x, bb_nn_fn fn, int order) {
    if (!gy) return NULL;
    return unary_impl(g, gy, x, fn, order);
}

bb_nn_tensor *bb_nn_silu(bb_nn_graph *g, bb_nn_tensor *a) { return bb_nn_unary(g, a, BB_NN_FN_SILU, 0); }
bb_nn_tensor *bb_nn_gelu(bb_nn_graph *g, bb_nn_tensor *a) { return bb_nn_unary(g, a, BB_NN_FN_GELU, 0); }
bb_nn_tensor *bb_nn_tanh(bb_nn_graph *g, bb_nn_tensor *a) { return bb_nn_unary(g, a, BB_NN_FN_TANH, 0); }
