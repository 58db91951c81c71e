/* fuzz_readers.c — libFuzzer entry points for the JSON readers, one binary per reader
 * (compiled with -DFUZZ_READER=n): 0 the dataset manifest (bb_manifest_load), 1 a suite
 * file (bb_suite_load), 2 a run report as `table` and `compare` load it (bb_rset_add_file:
 * bb_report_read with its schema check, then the fields the tables need), followed by what
 * they do with it (bb_report_print, bb_agg_build, every table format, bb_compare_sets in
 * both directions against the committed corpus report), 3 a minima catalogue of LJ-13 (bb_minima_read; the input is the JSON, gzipped here), 4 a method config resolved through the
 * one parameter path (bb_json_read_file + bb_method_resolve_params of every registered
 * method on DW-4), 5 an MMFF94s parameter file of the conformer tasks (bb_mmff_read, plain text;
 * when it loads, its energy and gradient at its start geometry).
 * The readers take paths, so each input goes through a per-process temporary file (the
 * same code path a user's file takes). Parse errors are expected; any crash, leak or
 * sanitizer report is a failure. fuzz_replay_main.c replays the committed corpora in the
 * default suite. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/manifest.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/report/compare.h"
#include "harness/report/report.h"
#include "harness/report/table.h"
#include "harness/run/suite.h"
#include "methods/method.h"
#include "tasks/molecules/mmff.h"
#include "tasks/task.h"

#ifndef FUZZ_READER
#define FUZZ_READER 0
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *input_path(void) {
    static char path[256];
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/bb_fuzz_%d_%d.json", tmp && *tmp ? tmp : "/tmp", FUZZ_READER, (int)getpid());
    }
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = input_path();
#if FUZZ_READER == 3 /* catalogues are gzip files: fuzz the JSON inside */
    gzFile gz = gzopen(path, "wb");
    if (!gz) return 0;
    if (size) gzwrite(gz, data, (unsigned)size);
    gzclose(gz);
#else
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
#endif
    bb_ctx c = {0};
#if FUZZ_READER == 0
    bb_manifest m;
    if (bb_manifest_load(path, &m, &c) == BB_OK) bb_manifest_free(&m);
#elif FUZZ_READER == 1
    bb_suite s;
    if (bb_suite_load(path, "/nonexistent-out", &s, &c) == BB_OK) bb_suite_free(&s);
#elif FUZZ_READER == 2
    static FILE *sink;
    static bb_rset base;
    static int have_base;
    if (!sink && !(sink = fopen("/dev/null", "w"))) return 0;
    if (!have_base) { /* the committed corpus report: the baseline of the comparisons */
        bb_ctx bc = {0};
        have_base =
            bb_rset_add_file(&base, BB_SOURCE_DIR "/tests/fuzz/corpus/report/dw4-pt-small.json", &bc) == BB_OK ? 1 : -1;
    }
    bb_rset rs = {0};
    if (bb_rset_add_file(&rs, path, &c) == BB_OK) {
        bb_report_print(sink, rs.runs[0].report, &c);
        bb_agg agg = {0};
        if (bb_agg_build(&rs, &agg, &c) == BB_OK)
            for (int f = 0; f < BB_TABLE_FORMAT_COUNT; f++) bb_table_write(sink, &rs, &agg, (bb_table_format)f, &c);
        bb_agg_free(&agg);
        bb_tolerances tol = {.deflt = {1e-9, 1e-6}};
        bb_cmp_summary sum;
        if (have_base > 0) {
            memset(&sum, 0, sizeof sum);
            bb_compare_sets(&base, &rs, &tol, sink, 1, &sum, &c);
            memset(&sum, 0, sizeof sum);
            bb_compare_sets(&rs, &base, &tol, sink, 1, &sum, &c);
        }
        memset(&sum, 0, sizeof sum);
        bb_compare_sets(&rs, &rs, &tol, sink, 0, &sum, &c);
    }
    bb_rset_free(&rs);
#elif FUZZ_READER == 3
    static bb_task *t;
    if (!t && bb_task_create("lj13", NULL, &t, &c)) return 0;
    bb_minima cat;
    cJSON *meta = NULL;
    if (bb_minima_read(path, t, &cat, &meta, &c) == BB_OK) {
        bb_minima_free(&cat);
        cJSON_Delete(meta);
    }
#elif FUZZ_READER == 5
    bb_mmff *ff = NULL;
    if (bb_mmff_read(path, NULL, &ff, &c) == BB_OK) {
        double *g = malloc(3 * (size_t)ff->natom * sizeof *g);
        if (g) bb_mmff_energy(ff, ff->start, g, NULL);
        free(g);
        bb_mmff_free(ff);
    }
#else
    cJSON *cfg = NULL;
    if (bb_json_read_file(path, (size_t)1 << 20, &cfg, &c) == BB_OK) {
        for (size_t i = 0; bb_methods[i]; i++) {
            bb_params p;
            if (bb_method_resolve_params(bb_methods[i], "dw4", cfg, NULL, &p, &c) == BB_OK) bb_params_free(&p);
        }
        cJSON_Delete(cfg);
    }
#endif
    unlink(path);
    return 0;
}
