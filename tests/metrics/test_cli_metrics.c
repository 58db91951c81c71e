/* test_cli_metrics.c — the two subcommands of the metric suite end to end:
 * `boltzbench eval` writes a valid boltzbench.report/1 report with method "external"
 * and the metrics of the given samples; `boltzbench minima` builds a catalogue that
 * contains what it relaxed, and a run resumed from its state file ends bit-identical
 * to an uninterrupted one. Usage errors return 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "datasets/npy.h"
#include "harness/cli/cli.h"
#include "harness/core/fileio.h"
#include "harness/metrics/metric_lib.h"
#include "harness/report/report.h"
#include "harness/core/rng.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

static char dir[] = "/tmp/bbclimXXXXXX";

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

BB_TEST(eval_writes_an_external_report) {
    /* DW-4-shaped samples (N × 8) and a reference of the same task */
    size_t n = 300, dof = 8, shape[2] = {n, dof};
    double *x = malloc(n * dof * sizeof *x), *r = malloc(n * dof * sizeof *r), *lw = malloc(n * sizeof *lw);
    bb_rng g;
    bb_rng_init(&g, 51, 1);
    for (size_t i = 0; i < n * dof; i++) {
        x[i] = 2.0 * bb_rng_normal(&g);
        r[i] = 2.1 * bb_rng_normal(&g);
    }
    for (size_t i = 0; i < n; i++) lw[i] = 0.1 * bb_rng_normal(&g);
    char xs[512], rs[512], ws[512], out[512];
    snprintf(xs, sizeof xs, "%s/x.npy", dir);
    snprintf(rs, sizeof rs, "%s/r.npy", dir);
    snprintf(ws, sizeof ws, "%s/w.npy", dir);
    snprintf(out, sizeof out, "%s/report.json", dir);
    bb_ctx c = {0};
    assert_int_equal(bb_npy_write(xs, x, 2, shape, &c), BB_OK);
    assert_int_equal(bb_npy_write(rs, r, 2, shape, &c), BB_OK);
    assert_int_equal(bb_npy_write(ws, lw, 1, shape, &c), BB_OK);
    char *argv[] = {"eval", "--task",      "dw4", "--samples", xs,  "--log-weights",
                    ws,     "--reference", rs,    "--out",     out, NULL};
    assert_int_equal(bb_cmd_eval(11, argv), 0);
    cJSON *rep = NULL;
    assert_int_equal(bb_report_read(out, &rep, &c), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "method"), "name")->valuestring, "external");
    cJSON *m = cJSON_GetObjectItem(rep, "metrics");
    const char *want[] = {"energy_w2", "dist_w2", "x_w2", "eq_x_w2", "log_z", "ess_fraction", "mmd", "sinkhorn"};
    for (int k = 0; k < 8; k++) {
        cJSON *e = cJSON_GetObjectItem(m, want[k]);
        printf("  %-13s %s\n", want[k], e ? "present" : "MISSING");
        assert_non_null(e);
    }
    assert_int_equal(cJSON_GetObjectItem(rep, "n_samples")->valueint, (int)n);
    cJSON_Delete(rep);
    /* usage errors */
    char *bad1[] = {"eval", "--samples", xs, NULL};
    assert_int_equal(bb_cmd_eval(3, bad1), 2);
    char *bad2[] = {"eval", "--task", "lj13", "--samples", xs, "--out", out, NULL};
    assert_int_equal(bb_cmd_eval(7, bad2), 1); /* 8 values per configuration, lj13 needs 39 */
    free(x);
    free(r);
    free(lw);
}

BB_TEST(minima_builder_resumes_bit_exactly) {
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/a.json.gz", dir);
    snprintf(b, sizeof b, "%s/b.json.gz", dir);
    char *run_a[] = {"minima",    "--task", "lj13-phys", "--out",  a,   "--steps", "64",
                     "--walkers", "8",      "-q",        "--seed", "3", NULL};
    assert_int_equal(bb_cmd_minima(12, run_a), 0);
    char *run_b1[] = {"minima",    "--task", "lj13-phys", "--out",  b,   "--steps", "32",
                      "--walkers", "8",      "-q",        "--seed", "3", NULL};
    assert_int_equal(bb_cmd_minima(12, run_b1), 0);
    char *run_b2[] = {"minima",    "--task", "lj13-phys", "--out",  b,   "--steps",  "64",
                      "--walkers", "8",      "-q",        "--seed", "3", "--resume", NULL};
    assert_int_equal(bb_cmd_minima(13, run_b2), 0);
    bb_ctx c = {0};
    bb_task *t = NULL;
    assert_int_equal(bb_task_create("lj13-phys", NULL, &t, &c), BB_OK);
    bb_minima ma, mb;
    assert_int_equal(bb_minima_read(a, t, &ma, NULL, &c), BB_OK);
    assert_int_equal(bb_minima_read(b, t, &mb, NULL, &c), BB_OK);
    printf("  64 steps: %zu minima, lowest %.6f; resumed run: %zu minima\n", ma.n, ma.u[0], mb.n);
    assert_true(ma.n >= 1);
    assert_int_equal(ma.n, mb.n);
    assert_memory_equal(ma.u, mb.u, ma.n * sizeof *ma.u);
    assert_memory_equal(ma.x, mb.x, ma.n * 39 * sizeof *ma.x);
    for (size_t k = 1; k < ma.n; k++) assert_true(ma.u[k] >= ma.u[k - 1]);
    /* every stored minimum is a minimum: relaxing it again does not move it */
    double *x = malloc(ma.n * 39 * sizeof *x), *u = malloc(ma.n * sizeof *u);
    int *st = malloc(ma.n * sizeof *st);
    memcpy(x, ma.x, ma.n * 39 * sizeof *x);
    bb_relax_opts ro = {1e-6, 1000, NULL, NULL, 0};
    int64_t ev = 0;
    assert_int_equal(bb_relax(t, ma.n, x, u, st, &ev, &ro, &c), BB_OK);
    for (size_t k = 0; k < ma.n; k++) assert_true(fabs(u[k] - ma.u[k]) < 1e-8);
    free(x);
    free(u);
    free(st);
    bb_minima_free(&ma);
    bb_minima_free(&mb);
    bb_task_free(t);
    char *bad[] = {"minima", "--steps", "10", NULL};
    assert_int_equal(bb_cmd_minima(3, bad), 2);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(eval_writes_an_external_report),
             cmocka_unit_test(minima_builder_resumes_bit_exactly))
