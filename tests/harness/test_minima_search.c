/* test_minima_search.c — basin hopping as a library call (harness/run/minima_search.h):
 * on a 2-D toy with exactly four minima it finds all four and nothing else; on LJ-13 a run
 * stopped (by steps or by its time limit) and resumed writes the catalogue and counts of an
 * uninterrupted run; a configuration out of range or a state of another seed is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/metrics/metric_lib.h"
#include "harness/run/minima_search.h"
#include "tasks/task.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_minima_search", (void)0)

/* u(x, y) = (x² − 1)² + (y² − 1)²: minima at (±1, ±1), all at u = 0; saddles at u = 1. */
static int quartic(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    (void)t;
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double a = x[2 * i], b = x[2 * i + 1];
        u[i] = (a * a - 1) * (a * a - 1) + (b * b - 1) * (b * b - 1);
        if (g) {
            g[2 * i] = 4 * a * (a * a - 1);
            g[2 * i + 1] = 4 * b * (b * b - 1);
        }
    }
    return BB_OK;
}

static const bb_task_type quartic_type = {
    .name = "quartic2d", .version = 1, .n_particles = 1, .dim = 2, .kT = 1.0, .init_scale = 1.0, .energy = quartic};

static void path_in(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

BB_TEST(finds_the_four_minima_of_the_toy) {
    bb_task *t = bb_test_task_of(&quartic_type);
    bb_ctx c = {0};
    char path[400];
    path_in(path, sizeof path, "quartic.json.gz");
    bb_minima_search_config cfg;
    bb_minima_search_defaults(&cfg);
    cfg.path = path;
    cfg.steps = 200;
    cfg.walkers = 4;
    cfg.step = 1.5;
    cfg.seed = 7;
    bb_minima_search_result res;
    assert_int_equal(bb_minima_search(t, &cfg, &res, &c), BB_OK);
    assert_int_equal(res.n_minima, 4);
    assert_int_equal(res.steps_done, 200);
    assert_int_equal(res.steps_target, 200);
    assert_int_equal(res.rounds, 50);
    assert_int_equal(res.stopped_by_time, 0);
    assert_true(res.energy_evals > 200);
    assert_true(fabs(res.lowest_u) < 1e-10);
    bb_minima m;
    assert_int_equal(bb_minima_read(path, t, &m, NULL, &c), BB_OK);
    assert_int_equal(m.n, 4);
    int seen[4] = {0};
    int64_t count = 0;
    for (size_t k = 0; k < m.n; k++) {
        assert_true(fabs(fabs(m.x[2 * k]) - 1) < 1e-5 && fabs(fabs(m.x[2 * k + 1]) - 1) < 1e-5);
        seen[(m.x[2 * k] > 0) * 2 + (m.x[2 * k + 1] > 0)]++;
        count += m.count[k];
    }
    for (int q = 0; q < 4; q++) assert_int_equal(seen[q], 1);
    /* every converged relaxation (the walkers' starts included) is counted once */
    assert_int_equal(count, 200 + 4 - res.failed);
    bb_minima_free(&m);
    /* the state file is there for a resume */
    char spath[420];
    snprintf(spath, sizeof spath, "%s.state", path);
    assert_int_equal(access(spath, F_OK), 0);
    bb_task_free(t);
}

static void read_catalogue(const bb_task *t, const char *path, bb_minima *m, cJSON **meta) {
    bb_ctx c = {0};
    assert_int_equal(bb_minima_read(path, t, m, meta, &c), BB_OK);
}

static void same_catalogue(const bb_task *t, const char *a, const char *b) {
    bb_minima ma, mb;
    cJSON *ja, *jb;
    read_catalogue(t, a, &ma, &ja);
    read_catalogue(t, b, &mb, &jb);
    assert_true(ma.n >= 1);
    assert_int_equal(ma.n, mb.n);
    assert_memory_equal(ma.u, mb.u, ma.n * sizeof *ma.u);
    assert_memory_equal(ma.x, mb.x, ma.n * (size_t)t->dof * sizeof *ma.x);
    assert_memory_equal(ma.count, mb.count, ma.n * sizeof *ma.count);
    const char *keys[] = {"steps", "energy_evals", "accepted", "restarts", "failed_relaxations"};
    cJSON *pa = cJSON_GetObjectItem(ja, "provenance"), *pb = cJSON_GetObjectItem(jb, "provenance");
    for (int k = 0; k < 5; k++)
        assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(pa, keys[k])) ==
                    cJSON_GetNumberValue(cJSON_GetObjectItem(pb, keys[k])));
    bb_minima_free(&ma);
    bb_minima_free(&mb);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

BB_TEST(a_stopped_and_resumed_search_equals_an_uninterrupted_one) {
    bb_task *t = bb_test_task("lj13-phys");
    bb_ctx c = {0};
    char a[400], b[400], d[400];
    path_in(a, sizeof a, "a.json.gz");
    path_in(b, sizeof b, "b.json.gz");
    path_in(d, sizeof d, "d.json.gz");
    bb_minima_search_config cfg;
    bb_minima_search_defaults(&cfg);
    cfg.seed = 3;
    cfg.walkers = 8;
    cfg.steps = 60; /* rounded up to 64: whole rounds */
    cfg.checkpoint_every = 3;
    cfg.path = a;
    bb_minima_search_result ra, rb, rd;
    assert_int_equal(bb_minima_search(t, &cfg, &ra, &c), BB_OK);
    assert_int_equal(ra.steps_target, 64);
    assert_int_equal(ra.steps_done, 64);
    /* stopped by steps at 32, resumed to 64 */
    cfg.path = b;
    cfg.steps = 32;
    assert_int_equal(bb_minima_search(t, &cfg, &rb, &c), BB_OK);
    assert_int_equal(rb.steps_done, 32);
    cfg.steps = 64;
    cfg.resume = 1;
    assert_int_equal(bb_minima_search(t, &cfg, &rb, &c), BB_OK);
    assert_int_equal(rb.steps_done, 64);
    assert_int_equal(rb.merged_on_resume, 0);
    same_catalogue(t, a, b);
    assert_int_equal(rb.n_minima, ra.n_minima);
    assert_int_equal(rb.energy_evals, ra.energy_evals);
    assert_int_equal(rb.accepted, ra.accepted);
    assert_int_equal(rb.failed, ra.failed);
    assert_true(rb.lowest_u == ra.lowest_u);
    /* stopped by the time limit after its first round (state saved), resumed to the end */
    cfg.path = d;
    cfg.resume = 0;
    cfg.time_limit = 1e-9;
    assert_int_equal(bb_minima_search(t, &cfg, &rd, &c), BB_OK);
    assert_int_equal(rd.stopped_by_time, 1);
    assert_int_equal(rd.steps_done, 8);
    assert_int_equal(rd.rounds, 1);
    cfg.time_limit = 0.0;
    cfg.resume = 1;
    assert_int_equal(bb_minima_search(t, &cfg, &rd, &c), BB_OK);
    assert_int_equal(rd.stopped_by_time, 0);
    same_catalogue(t, a, d);
    /* the result describes the catalogue written */
    bb_minima m;
    read_catalogue(t, a, &m, NULL);
    assert_int_equal(ra.n_minima, m.n);
    assert_true(ra.lowest_u == m.u[0]);
    bb_minima_free(&m);
    /* a state of another seed is refused, naming the file */
    cfg.seed = 4;
    assert_int_equal(bb_minima_search(t, &cfg, &rd, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "d.json.gz.state"));
    bb_task_free(t);
}

BB_TEST(out_of_range_configurations_name_the_field) {
    bb_minima_search_config base;
    bb_minima_search_defaults(&base);
    bb_ctx c = {0};
    assert_int_equal(bb_minima_search_check(&base, &c), BB_EINVAL); /* no path */
    assert_non_null(strstr(c.msg, "path"));
    base.path = "x.json.gz";
    assert_int_equal(bb_minima_search_check(&base, &c), BB_OK);
    const char *fields[] = {"steps",   "walkers", "walkers", "temperature", "step",
                            "restart", "utol",    "rtol",    "time_limit",  "checkpoint_every"};
    for (int k = 0; k < 10; k++) {
        bb_minima_search_config cfg = base;
        switch (k) {
            case 0: cfg.steps = 0; break;
            case 1: cfg.walkers = 0; break;
            case 2: cfg.walkers = BB_MINIMA_SEARCH_MAX_WALKERS + 1; break;
            case 3: cfg.temperature = 0.0; break;
            case 4: cfg.step = NAN; break;
            case 5: cfg.restart = 1.5; break;
            case 6: cfg.utol = -1.0; break;
            case 7: cfg.rtol = INFINITY; break;
            case 8: cfg.time_limit = -1.0; break;
            default: cfg.checkpoint_every = 0; break;
        }
        memset(&c, 0, sizeof c);
        assert_int_equal(bb_minima_search_check(&cfg, &c), BB_EINVAL);
        assert_true(strncmp(c.msg, fields[k], strlen(fields[k])) == 0);
        assert_true(c.msg[strlen(fields[k])] == ':');
        /* the search itself refuses it before touching a file */
        bb_task *t = bb_test_task_of(&quartic_type);
        assert_int_equal(bb_minima_search(t, &cfg, NULL, &c), BB_EINVAL);
        assert_int_equal(access("x.json.gz", F_OK), -1);
        bb_task_free(t);
    }
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(finds_the_four_minima_of_the_toy),
             cmocka_unit_test(a_stopped_and_resumed_search_equals_an_uninterrupted_one),
             cmocka_unit_test(out_of_range_configurations_name_the_field))
