/* test_scorenet.c — the network block Adjoint Sampling and iDEM share
 * (methods/common/scorenet.h): its parameter rows resolve with their defaults, the parser
 * reads every field and refuses each bad value naming the method and the parameter, the
 * particle space follows the task (COM-free for particle tasks, not for GMM-40), the EGNN
 * configuration mirrors the parsed one, and the built networks have the promised outputs —
 * an MLP whose output layer starts at zero outputs exactly 0, a scalar head one value per
 * configuration, an EGNN score P·D values — with scratch for the rows asked for; the
 * network runs on nn_threads (0: the run's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "methods/common/scorenet.h"
#include "methods/nn/nn_internal.h"
#include "tasks/task.h"
#include "tests/testmain.h"

static const bb_param_spec spec[] = {
    BB_SCORENET_PARAMS("4", "layers", "sigma min", "2.5", "sigma max"),
    BB_SCORENET_PARAMS_EGNN,
    BB_SCORENET_PARAM_THREADS,
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Parse `user` (JSON) for task `task_id`; returns the parser's status, c OUT, c_err OUT. */
static int parse(const char *task_id, const char *user, bb_scorenet_config *c, bb_ctx *err) {
    bb_task *t = NULL;
    bb_ctx ctx = {0};
    assert_int_equal(bb_task_create(task_id, NULL, &t, &ctx), BB_OK);
    cJSON *u = cJSON_Parse(user);
    assert_non_null(u);
    bb_params p;
    assert_int_equal(bb_params_resolve(spec, "method test", NULL, u, &p, &ctx), BB_OK);
    memset(err, 0, sizeof *err);
    int rc = bb_scorenet_config_parse(&p, t, "m1", c, err);
    bb_params_free(&p);
    cJSON_Delete(u);
    bb_task_free(t);
    return rc;
}

BB_TEST(defaults_resolve_and_every_field_is_read) {
    bb_scorenet_config c;
    bb_ctx e;
    assert_int_equal(parse("dw4", "{}", &c, &e), BB_OK);
    assert_int_equal(c.use_egnn, 1); /* auto: particles */
    assert_int_equal(c.f64, 0);
    assert_int_equal(c.hidden, 128);
    assert_int_equal(c.layers, 4);
    assert_int_equal(c.t_dim, 32);
    assert_true(c.sigma_min == 0.001 && c.sigma_max == 2.5);
    assert_true(c.egnn_attention && c.egnn_coord_sum && c.egnn_edge_attr && c.egnn_coord_range == 15.0);
    assert_true(c.sp.P == 4 && c.sp.D == 2 && c.sp.com_free == 1);
    assert_int_equal(parse("gmm40",
                           "{\"precision\": \"float64\", \"hidden\": 7, \"layers\": 2, \"t_dim\": 6, "
                           "\"sigma_min\": 0.25, \"sigma_max\": 3.5, \"egnn_attention\": false, "
                           "\"egnn_coord_range\": 2.5, \"egnn_coord_sum\": false, \"egnn_edge_attr\": false}",
                           &c, &e),
                     BB_OK);
    assert_int_equal(c.use_egnn, 0); /* auto: no particles */
    assert_true(c.f64 == 1 && c.hidden == 7 && c.layers == 2 && c.t_dim == 6);
    assert_true(c.sigma_min == 0.25 && c.sigma_max == 3.5);
    assert_true(!c.egnn_attention && !c.egnn_coord_sum && !c.egnn_edge_attr && c.egnn_coord_range == 2.5);
    assert_true(c.sp.P * c.sp.D == 2 && c.sp.com_free == 0);
    assert_int_equal(parse("dw4", "{\"network\": \"mlp\"}", &c, &e), BB_OK);
    assert_int_equal(c.use_egnn, 0);
}

BB_TEST(bad_values_are_refused_naming_method_and_parameter) {
    static const struct {
        const char *task, *user, *msg;
    } cases[] = {
        {"dw4", "{\"network\": \"gnn\"}", "method m1: parameter 'network': 'gnn' is not egnn, mlp or auto"},
        {"gmm40", "{\"network\": \"egnn\"}", "method m1: parameter 'network': egnn needs at least 2 particles"},
        {"dw4", "{\"precision\": \"half\"}", "method m1: parameter 'precision': 'half' is not float32 or float64"},
        {"dw4", "{\"t_dim\": 7}", "method m1: parameter 't_dim': must be even"},
        {"dw4", "{\"sigma_min\": 3, \"sigma_max\": 3}", "method m1: parameter 'sigma_max': must exceed sigma_min"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        bb_scorenet_config c;
        bb_ctx e;
        assert_int_equal(parse(cases[k].task, cases[k].user, &c, &e), BB_EINVAL);
        assert_string_equal(e.msg, cases[k].msg);
    }
}

BB_TEST(egnn_config_mirrors_the_parsed_one) {
    bb_scorenet_config c = {.hidden = 24,
                            .layers = 3,
                            .t_dim = 10,
                            .egnn_attention = 1,
                            .egnn_coord_range = 7.5,
                            .egnn_coord_sum = 0,
                            .egnn_edge_attr = 1,
                            .sp = {.P = 5, .D = 3, .com_free = 1}};
    bb_nn_egnn_config ec = bb_scorenet_egnn_config(&c, BB_NN_EGNN_SCALAR);
    assert_true(ec.n_particles == 5 && ec.dim == 3 && ec.hidden == 24 && ec.n_layers == 3 && ec.t_dim == 10);
    assert_true(ec.normalize == 1 && ec.act == BB_NN_ACT_SILU && ec.out == BB_NN_EGNN_SCALAR);
    assert_true(ec.attention == 1 && ec.coord_range == 7.5 && ec.coord_sum == 0 && ec.edge_attr == 1);
}

/* Output of n's MLP on B rows x[B][dof] at t (time embedding as both methods feed it). */
static void mlp_out(bb_scorenet *n, const bb_scorenet_config *c, int64_t B, const double *x, double *out) {
    const int64_t dof = c->sp.P * c->sp.D;
    double t[4] = {0.3, 0.3, 0.3, 0.3};
    bb_nn_graph_reset(n->g);
    bb_nn_graph_set_grad(n->g, 0);
    bb_nn_tensor *xt = bb_nn_from(n->g, BB_NN_F64, 2, (const int64_t[]){B, dof}, x);
    bb_nn_tensor *tt = bb_nn_from(n->g, BB_NN_F64, 2, (const int64_t[]){B, 1}, t);
    bb_nn_tensor *te = bb_nn_time_embed_sin(n->g, tt, c->t_dim, 10000.0);
    bb_nn_tensor *y = bb_nn_mlp_fwd(n->g, &n->ps, &n->mlp, bb_nn_concat_cols(n->g, xt, te));
    assert_int_equal(bb_nn_graph_status(n->g, NULL), BB_OK);
    bb_nn_to_double(y, out);
}

BB_TEST(networks_have_the_promised_outputs_and_scratch) {
    bb_scorenet_config c = {.f64 = 1, .hidden = 8, .layers = 2, .t_dim = 4, .sp = {.P = 1, .D = 3}};
    const double x[12] = {0.3, -1.7, 2.385, 0.1, 0.2, 0.3, -4.0, 5.5, 0.0, 1.0, 1.0, -1.0};
    double out[12];
    bb_scorenet n;
    bb_ctx e = {0};
    /* zero output layer: exactly 0 for any input */
    assert_int_equal(bb_scorenet_init(&n, &c, BB_SCORENET_VECTOR_ZERO, 6, 11, "m1", &e), BB_OK);
    assert_non_null(n.xbuf);
    n.xbuf[6 * 3 - 1] = n.sbuf[6 * 3 - 1] = n.tbuf[5] = 1.0; /* 6 rows of scratch (ASan checks the ends) */
    mlp_out(&n, &c, 4, x, out);
    for (int k = 0; k < 12; k++) assert_true(out[k] == 0.0);
    bb_scorenet_free(&n);
    bb_scorenet_free(&n); /* idempotent */
    /* the same seed without zeroing: the same hidden layers, a non-zero output */
    assert_int_equal(bb_scorenet_init(&n, &c, BB_SCORENET_VECTOR, 4, 11, "m1", &e), BB_OK);
    mlp_out(&n, &c, 4, x, out);
    int nonzero = 0;
    for (int k = 0; k < 12; k++) nonzero += out[k] != 0.0;
    assert_int_equal(nonzero, 12);
    bb_scorenet_free(&n);
    /* scalar head: one value per configuration */
    assert_int_equal(bb_scorenet_init(&n, &c, BB_SCORENET_SCALAR, 4, 11, "m1", &e), BB_OK);
    assert_int_equal(n.mlp.lin[n.mlp.n_layers - 1].out, 1);
    bb_scorenet_free(&n);
    /* EGNN: registered parameters, a vector field of P·D values per configuration */
    bb_scorenet_config g = {.use_egnn = 1, .hidden = 8, .layers = 2, .t_dim = 4, .sp = {.P = 3, .D = 2, .com_free = 1}};
    assert_int_equal(bb_scorenet_init(&n, &g, BB_SCORENET_VECTOR, 2, 5, "m1", &e), BB_OK);
    assert_true(n.ps.total > 0 && n.egnn.cfg.out == BB_NN_EGNN_VECTOR && n.egnn.cfg.n_particles == 3);
    bb_scorenet_free(&n);
    /* too many MLP layers: refused, nothing left allocated */
    c.layers = BB_NN_MLP_MAX_LAYERS;
    assert_int_equal(bb_scorenet_init(&n, &c, BB_SCORENET_VECTOR, 4, 11, "m1", &e), BB_EINVAL);
    assert_non_null(strstr(e.msg, "method m1: parameter 'layers': at most"));
    assert_null(n.xbuf);
    assert_null(n.g);
}

/* nn_threads: the network's tape and Adam run on it; 0 means the run's threads. */
BB_TEST(the_network_runs_on_nn_threads_or_the_runs) {
    bb_scorenet_config c = {.hidden = 4, .layers = 1, .t_dim = 2, .sp = {.P = 1, .D = 2}};
    bb_scorenet n;
    bb_ctx e = {0};
    assert_int_equal(bb_scorenet_init(&n, &c, BB_SCORENET_VECTOR, 1, 3, "m1", &e), BB_OK);
    const char *users[] = {"{}", "{\"nn_threads\": 3}", "{\"nn_threads\": 0}"};
    const int want[] = {1, 3, 5}; /* default 1; 3; the run's 5 */
    for (int k = 0; k < 3; k++) {
        cJSON *u = cJSON_Parse(users[k]);
        bb_params p;
        assert_int_equal(bb_params_resolve(spec, "method test", NULL, u, &p, &e), BB_OK);
        bb_scorenet_set_threads(&n, &p, 5);
        assert_int_equal(n.opt.threads, want[k]);
        assert_int_equal(nn_threads(n.g), want[k]);
        bb_params_free(&p);
        cJSON_Delete(u);
    }
    bb_scorenet_free(&n);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(defaults_resolve_and_every_field_is_read),
                cmocka_unit_test(bad_values_are_refused_naming_method_and_parameter),
                cmocka_unit_test(egnn_config_mirrors_the_parsed_one),
                cmocka_unit_test(networks_have_the_promised_outputs_and_scratch),
                cmocka_unit_test(the_network_runs_on_nn_threads_or_the_runs))
