/* test_table_robust.c — hostile reports: every node of a full synthetic report (with
 * anytime points, energy histogram and 2-D density) is in turn replaced by a string,
 * null, an empty list, an empty object, a huge or a negative number, or removed.
 * Each variant goes through load, aggregation, plots, every table format, compare
 * and the report printer. Nothing may crash or leak (run it under ASan); every
 * failure must be a status with a one-line message naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/compare.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/report/plot.h"
#include "harness/report/table.h"
#include "test_table_fixtures.h"
#include "tests/testmain.h"

enum { MUT_STRING, MUT_NULL, MUT_ARRAY, MUT_OBJECT, MUT_HUGE, MUT_NEG, MUT_REMOVE, MUT_COUNT };

/* k-th node in depth-first order (root = 0); *parent gets its parent. */
static cJSON *nth(cJSON *node, int *k, cJSON *par, cJSON **parent) {
    if ((*k)-- == 0) {
        *parent = par;
        return node;
    }
    for (cJSON *c = node->child; c; c = c->next) {
        cJSON *hit = nth(c, k, node, parent);
        if (hit) return hit;
    }
    return NULL;
}

static int count_nodes(const cJSON *n) {
    int c = 1;
    for (const cJSON *x = n->child; x; x = x->next) c += count_nodes(x);
    return c;
}

/* Run everything that reads reports on dir; returns the first failing status. */
static int exercise(const char *dir, const bb_rset *good, size_t *n_ok) {
    bb_ctx ctx = {0};
    bb_rset rs;
    bb_agg a = {0};
    bb_plot_set ps = {0};
    int rc = bb_rset_load_dir(dir, &rs, &ctx);
    if (!rc) rc = bb_agg_build(&rs, &a, &ctx);
    if (!rc) rc = bb_plots_build(&rs, &a, &ps, &ctx);
    for (int f = 0; !rc && f < BB_TABLE_FORMAT_COUNT; f++) {
        char *mem = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&mem, &len);
        rc = bb_table_write(fp, &rs, &a, (bb_table_format)f, &ctx);
        fclose(fp);
        free(mem);
    }
    if (!rc) {
        bb_tolerances tol = {{0, 0.1}, NULL, NULL, 0, NULL, 0};
        bb_cmp_summary s;
        rc = bb_compare_sets(good, &rs, &tol, NULL, 1, &s, &ctx);
        if (!rc) rc = bb_compare_sets(&rs, good, &tol, NULL, 1, &s, &ctx);
        for (size_t i = 0; !rc && i < rs.n; i++) {
            char *mem = NULL;
            size_t len = 0;
            FILE *fp = open_memstream(&mem, &len);
            rc = bb_report_print(fp, rs.runs[i].report, &ctx);
            fclose(fp);
            free(mem);
        }
    }
    if (rc) {
        assert_true(rc < 0);
        assert_true(ctx.msg[0] != '\0');
        assert_null(strchr(ctx.msg, '\n'));
        if (!strstr(ctx.msg, "r.json")) printf("no file name in: %s\n", ctx.msg);
        assert_non_null(strstr(ctx.msg, "r.json"));
    } else {
        (*n_ok)++;
    }
    bb_plots_free(&ps);
    bb_agg_free(&a);
    bb_rset_free(&rs);
    return rc;
}

BB_TEST(every_mutated_report_is_handled_or_refused_with_its_name) {
    char *gd = fx_tempdir(), *dir = fx_tempdir();
    fx_metric m[2] = {{"energy_w2", 0.625}, {"energy_tv", 0.125}};
    fx_run r = {"dw4", 1, "mala", 1000, 0, 0, NULL, m, 2, 1};
    fx_run r2 = {"dw4", 1, "pt", 1000, 0, 0, NULL, m, 2, 1};
    assert_int_equal(fx_write(gd, &r), 0);
    assert_int_equal(fx_write(gd, &r2), 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/dw4/mala-b1000-s0.json", gd);
    cJSON *orig = NULL;
    bb_ctx ctx = {0};
    assert_int_equal(bb_json_read_file(path, (size_t)1 << 20, &orig, &ctx), BB_OK);
    bb_rset good;
    assert_int_equal(bb_rset_load_dir(gd, &good, &ctx), BB_OK);
    int nodes = count_nodes(orig);
    char rpath[4300];
    snprintf(rpath, sizeof rpath, "%s/r.json", dir);
    size_t n_ok = 0, n_fail = 0;
    for (int k = 1; k < nodes; k++)
        for (int mut = 0; mut < MUT_COUNT; mut++) {
            cJSON *dup = cJSON_Duplicate(orig, 1), *parent = NULL;
            int kk = k;
            cJSON *node = nth(dup, &kk, NULL, &parent);
            assert_non_null(node);
            if (mut == MUT_REMOVE) {
                cJSON_Delete(cJSON_DetachItemViaPointer(parent, node));
            } else {
                cJSON *rep = mut == MUT_STRING   ? cJSON_CreateString("x")
                             : mut == MUT_NULL   ? cJSON_CreateNull()
                             : mut == MUT_ARRAY  ? cJSON_CreateArray()
                             : mut == MUT_OBJECT ? cJSON_CreateObject()
                             : mut == MUT_HUGE   ? cJSON_CreateNumber(1e308)
                                                 : cJSON_CreateNumber(-3.5);
                assert_true(cJSON_ReplaceItemViaPointer(parent, node, rep));
            }
            char *text = cJSON_Print(dup);
            cJSON_Delete(dup);
            /* plain write, no fsync: 700 variants */
            FILE *fp = fopen(rpath, "w");
            assert_non_null(fp);
            assert_int_equal(fputs(text, fp) >= 0, 1);
            assert_int_equal(fclose(fp), 0);
            cJSON_free(text);
            if (exercise(dir, &good, &n_ok)) n_fail++;
        }
    printf("%d nodes x %d mutations: %zu handled, %zu refused with a message\n", nodes - 1, MUT_COUNT, n_ok, n_fail);
    assert_true(n_ok > 0 && n_fail > 0);
    bb_rset_free(&good);
    cJSON_Delete(orig);
    fx_rmtree(gd), fx_rmtree(dir);
    free(gd), free(dir);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(every_mutated_report_is_handled_or_refused_with_its_name))
