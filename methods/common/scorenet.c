/* scorenet.c — the network block Adjoint Sampling and iDEM share (see scorenet.h): their
 * common parameters parsed once, the EGNN configuration, and the network, optimizer, tape
 * and scratch built and freed once. The order of construction (parameters registered,
 * allocated from the seed, then Adam and the tape) fixes the initial weights; it is the
 * order both methods used before this file existed, so their runs keep their bits. */
#include "methods/common/scorenet.h"

#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

int bb_scorenet_config_parse(const bb_params *p, const bb_task *task, const char *method, bb_scorenet_config *c,
                             bb_ctx *ctx) {
    return bb_scorenet_config_parse_net(p, task, method, bb_params_str(p, "network"), c, ctx);
}

int bb_scorenet_config_parse_net(const bb_params *p, const bb_task *task, const char *method, const char *net,
                                 bb_scorenet_config *c, bb_ctx *ctx) {
    memset(c, 0, sizeof *c);
    if (strcmp(net, "egnn") == 0)
        c->use_egnn = 1;
    else if (strcmp(net, "mlp") == 0)
        c->use_egnn = 0;
    else if (strcmp(net, "auto") == 0)
        c->use_egnn = task->n_particles > 1;
    else
        return BB_ERR(ctx, BB_EINVAL, "method %s: parameter 'network': '%s' is not egnn, mlp or auto", method, net);
    if (c->use_egnn && task->n_particles < 2)
        return BB_ERR(ctx, BB_EINVAL, "method %s: parameter 'network': egnn needs at least 2 particles", method);
    const char *prec = bb_params_str(p, "precision");
    if (strcmp(prec, "float32") && strcmp(prec, "float64"))
        return BB_ERR(ctx, BB_EINVAL, "method %s: parameter 'precision': '%s' is not float32 or float64", method, prec);
    c->f64 = strcmp(prec, "float64") == 0;
    c->hidden = (int)bb_params_int(p, "hidden");
    c->layers = (int)bb_params_int(p, "layers");
    c->t_dim = (int)bb_params_int(p, "t_dim");
    if (c->t_dim % 2) return BB_ERR(ctx, BB_EINVAL, "method %s: parameter 't_dim': must be even", method);
    c->sigma_min = bb_params_double(p, "sigma_min");
    c->sigma_max = bb_params_double(p, "sigma_max");
    if (!(c->sigma_max > c->sigma_min))
        return BB_ERR(ctx, BB_EINVAL, "method %s: parameter 'sigma_max': must exceed sigma_min", method);
    c->egnn_attention = bb_params_bool(p, "egnn_attention");
    c->egnn_coord_range = bb_params_double(p, "egnn_coord_range");
    c->egnn_coord_sum = bb_params_bool(p, "egnn_coord_sum");
    c->egnn_edge_attr = bb_params_bool(p, "egnn_edge_attr");
    c->sp.P = task->n_particles;
    c->sp.D = task->dim;
    c->sp.com_free = (task->flags & BB_TASK_COM_FREE) != 0 ||
                     ((task->flags & BB_TASK_TRANSLATION_INV) != 0 && task->n_particles > 1);
    return BB_OK;
}

bb_nn_egnn_config bb_scorenet_egnn_config(const bb_scorenet_config *c, bb_nn_egnn_out out) {
    return (bb_nn_egnn_config){.n_particles = c->sp.P,
                               .dim = c->sp.D,
                               .hidden = c->hidden,
                               .n_layers = c->layers,
                               .t_dim = c->t_dim,
                               .normalize = 1,
                               .act = BB_NN_ACT_SILU,
                               .out = out,
                               .attention = c->egnn_attention,
                               .coord_range = c->egnn_coord_range,
                               .coord_sum = c->egnn_coord_sum,
                               .edge_attr = c->egnn_edge_attr};
}

/* Zero the MLP's last layer (weights and bias). */
static int zero_mlp_output(bb_scorenet *n, const char *method, bb_ctx *ctx) {
    const bb_nn_linear *lo = &n->mlp.lin[n->mlp.n_layers - 1];
    double *zero = calloc((size_t)lo->in * (size_t)lo->out, sizeof(double));
    if (!zero) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", method);
    bb_nn_params_set(&n->ps, lo->w, zero);
    if (lo->b >= 0) bb_nn_params_set(&n->ps, lo->b, zero);
    free(zero);
    return BB_OK;
}

int bb_scorenet_init(bb_scorenet *n, const bb_scorenet_config *c, bb_scorenet_out out, size_t rows, uint64_t seed,
                     const char *method, bb_ctx *ctx) {
    memset(n, 0, sizeof *n);
    const size_t dof = (size_t)c->sp.P * (size_t)c->sp.D;
    int rc;
    bb_nn_params_init(&n->ps, c->f64 ? BB_NN_F64 : BB_NN_F32);
    if (c->use_egnn) {
        const bb_nn_egnn_config ec =
            bb_scorenet_egnn_config(c, out == BB_SCORENET_SCALAR ? BB_NN_EGNN_SCALAR : BB_NN_EGNN_VECTOR);
        rc = bb_nn_egnn_init(&n->egnn, &n->ps, "egnn", &ec, ctx);
    } else if (c->layers + 2 > BB_NN_MLP_MAX_LAYERS + 1) {
        rc = BB_ERR(ctx, BB_EINVAL, "method %s: parameter 'layers': at most %d for the MLP", method,
                    BB_NN_MLP_MAX_LAYERS - 1);
    } else {
        int sizes[BB_NN_MLP_MAX_LAYERS + 1];
        sizes[0] = (int)dof + c->t_dim;
        for (int l = 1; l <= c->layers; l++) sizes[l] = c->hidden;
        sizes[c->layers + 1] = out == BB_SCORENET_SCALAR ? 1 : (int)dof;
        rc = bb_nn_mlp_init(&n->mlp, &n->ps, "mlp", c->layers + 2, sizes, BB_NN_ACT_SILU, ctx);
    }
    if (!rc) rc = bb_nn_params_alloc(&n->ps, seed, ctx);
    if (!rc && !c->use_egnn && out == BB_SCORENET_VECTOR_ZERO) rc = zero_mlp_output(n, method, ctx);
    if (!rc) rc = bb_nn_adam_init(&n->opt, &n->ps, 0.9, 0.999, 1e-8, 0.0, 0, ctx);
    if (!rc) rc = bb_nn_graph_init(&n->g, 0, ctx);
    if (!rc) {
        n->xbuf = calloc(rows * dof, sizeof(double));
        n->sbuf = calloc(rows * dof, sizeof(double));
        n->tbuf = calloc(rows, sizeof(double));
        if (!n->xbuf || !n->sbuf || !n->tbuf)
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: cannot allocate scratch for %zu rows", method, rows);
    }
    if (rc) bb_scorenet_free(n);
    return rc;
}

void bb_scorenet_free(bb_scorenet *n) {
    if (!n) return;
    bb_nn_graph_free(n->g);
    bb_nn_adam_free(&n->opt);
    bb_nn_params_free(&n->ps);
    free(n->xbuf);
    free(n->sbuf);
    free(n->tbuf);
    memset(n, 0, sizeof *n);
}

void bb_scorenet_set_threads(bb_scorenet *n, const bb_params *p, int run_threads) {
    const int64_t t = bb_params_int(p, "nn_threads");
    const int threads = t > 0 ? (int)t : run_threads;
    bb_nn_graph_set_threads(n->g, threads);
    n->opt.threads = threads;
}
