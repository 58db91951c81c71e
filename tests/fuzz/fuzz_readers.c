/* fuzz_readers.c — libFuzzer entry points for the JSON readers, one binary per reader
 * (compiled with -DFUZZ_READER=n): 0 the dataset manifest (bb_manifest_load), 1 a suite
 * file (bb_suite_load), 2 a run report (bb_report_read, which validates the schema),
 * 3 a minima catalogue of LJ-13 (bb_minima_read; the input is the JSON, gzipped here), 4 a method config resolved through the
 * one parameter path (bb_json_read_file + bb_method_resolve_params for pt on DW-4).
 * The readers take paths, so each input goes through a per-process temporary file (the
 * same code path a user's file takes). Parse errors are expected; any crash, leak or
 * sanitizer report is a failure. fuzz_replay_main.c replays the committed corpora in the
 * default suite. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/manifest.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/report/report.h"
#include "harness/run/suite.h"
#include "methods/method.h"
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
    cJSON *r = NULL;
    if (bb_report_read(path, &r, &c) == BB_OK) cJSON_Delete(r);
#elif FUZZ_READER == 3
    static bb_task *t;
    if (!t && bb_task_create("lj13", NULL, &t, &c)) return 0;
    bb_minima cat;
    cJSON *meta = NULL;
    if (bb_minima_read(path, t, &cat, &meta, &c) == BB_OK) {
        bb_minima_free(&cat);
        cJSON_Delete(meta);
    }
#else
    cJSON *cfg = NULL;
    if (bb_json_read_file(path, (size_t)1 << 20, &cfg, &c) == BB_OK) {
        bb_params p;
        if (bb_method_resolve_params(bb_method_find("pt"), "dw4", cfg, NULL, &p, &c) == BB_OK) bb_params_free(&p);
        cJSON_Delete(cfg);
    }
#endif
    unlink(path);
    return 0;
}
