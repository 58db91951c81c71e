/* leaderboard_testutil.h — cmocka helpers shared by the leaderboard tests (test_table*.c,
 * test_compare.c): capturing a writer's output in memory, and loading a directory of
 * synthetic reports into a result set, its aggregation and its plots with every step
 * asserted. Header-only; include it after <cmocka.h>. */
#ifndef BB_LEADERBOARD_TESTUTIL_H
#define BB_LEADERBOARD_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/plot.h"
#include "harness/report/table.h"
#include "test_table_fixtures.h"

/* Fails the test unless text contains every one of the strings given, naming the first
 * one missing: FX_CONTAINS(md, "## dw4@1", "| method |"). */
static inline void fx_contains_all(const char *text, const char *const *needles) {
    assert_non_null(text);
    for (; *needles; needles++) {
        if (!strstr(text, *needles)) print_error("not in the output: \"%s\"\n", *needles);
        assert_non_null(strstr(text, *needles));
    }
}
#define FX_CONTAINS(text, ...) fx_contains_all(text, (const char *const[]){__VA_ARGS__, NULL})

/* A FILE * that writes into memory: fx_mem_open, write to the stream, fx_mem_close returns
 * the text written (malloc'ed, NUL-terminated; the caller frees it). */
typedef struct fx_mem {
    char *text;
    size_t len;
    FILE *fp;
} fx_mem;

static inline FILE *fx_mem_open(fx_mem *m) {
    m->text = NULL;
    m->len = 0;
    m->fp = open_memstream(&m->text, &m->len);
    assert_non_null(m->fp);
    return m->fp;
}

static inline char *fx_mem_close(fx_mem *m) {
    fclose(m->fp);
    m->fp = NULL;
    return m->text;
}

/* One directory of reports as a test sees it: the result set, its aggregation and (once
 * built) its plots. fx_board_load takes the directory (a malloc'ed path, e.g. from
 * fx_tempdir) and asserts that loading and aggregating succeed; fx_board_free releases
 * everything, removes the directory and frees its path. */
typedef struct fx_board {
    char *dir;
    bb_ctx ctx;
    bb_rset rs;
    bb_agg a;
    bb_plot_set ps;
} fx_board;

static inline void fx_board_load(fx_board *b, char *dir) {
    memset(b, 0, sizeof *b);
    b->dir = dir;
    assert_int_equal(bb_rset_load_dir(dir, &b->rs, &b->ctx), BB_OK);
    assert_int_equal(bb_agg_build(&b->rs, &b->a, &b->ctx), BB_OK);
}

/* Build the plots of the loaded set into b->ps; returns bb_plots_build's status. */
static inline int fx_board_plots(fx_board *b) { return bb_plots_build(&b->rs, &b->a, &b->ps, &b->ctx); }

/* Free the set, aggregation and plots (not the directory) and load the directory again. */
static inline void fx_board_reload(fx_board *b) {
    bb_plots_free(&b->ps);
    bb_agg_free(&b->a);
    bb_rset_free(&b->rs);
    assert_int_equal(bb_rset_load_dir(b->dir, &b->rs, &b->ctx), BB_OK);
    assert_int_equal(bb_agg_build(&b->rs, &b->a, &b->ctx), BB_OK);
}

static inline void fx_board_free(fx_board *b) {
    bb_plots_free(&b->ps);
    bb_agg_free(&b->a);
    bb_rset_free(&b->rs);
    fx_rmtree(b->dir);
    free(b->dir);
    b->dir = NULL;
}

/* fx_board_load of a fresh directory holding the n runs given. */
static inline void fx_board_load_runs(fx_board *b, const fx_run *runs, size_t n) {
    char *dir = fx_tempdir();
    assert_non_null(dir);
    for (size_t i = 0; i < n; i++) assert_int_equal(fx_write(dir, &runs[i]), 0);
    fx_board_load(b, dir);
}

/* Write into dir the dw4@1 runs of methods mala and pt at the two budgets and seeds
 * 0..n_seeds-1, with plot data: energy_w2 of (method k, budget b, seed s) is
 * w2[(k * 2 + b) * n_seeds + s]; with_custom adds zz_custom = 2 (an unknown metric). */
static inline void fx_write_grid(const char *dir, const int64_t budgets[2], int n_seeds, const double *w2,
                                 int with_custom) {
    const char *methods[2] = {"mala", "pt"};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < n_seeds; s++) {
                fx_metric m[2] = {{"energy_w2", w2[(k * 2 + b) * n_seeds + s]}, {"zz_custom", 2.0}};
                fx_run r = {"dw4", 1, methods[k], budgets[b], (uint64_t)s, 0, NULL, m, with_custom ? 2 : 1, 1};
                assert_int_equal(fx_write(dir, &r), 0);
            }
}

#endif
