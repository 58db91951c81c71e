/* test_driver_state.c — the run driver's state file refuses what it must not resume from:
 * a flipped byte or a truncation (crc32), another configuration, another method, and a
 * method that does not consume its bytes exactly; a good file round-trips every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "harness/run/driver_state.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

static char path[300];
BB_TEST_TMPDIR_GROUP(dir, "bb_driver_state", snprintf(path, sizeof path, "%s/run.state", dir))
static const char *SHA_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *SHA_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/* a toy method whose state is one int */
static int toy_save(const void *st, FILE *fp, bb_ctx *ctx) {
    return fwrite(st, sizeof(int), 1, fp) == 1 ? BB_OK : BB_ERR(ctx, BB_EIO, "toy: write");
}
static int toy_load(void *st, FILE *fp, bb_ctx *ctx) {
    return fread(st, sizeof(int), 1, fp) == 1 ? BB_OK : BB_ERR(ctx, BB_EFORMAT, "toy: short");
}
static int toy_load_short(void *st, FILE *fp, bb_ctx *ctx) { /* reads 1 of 4 bytes */
    return fread(st, 1, 1, fp) == 1 ? BB_OK : BB_ERR(ctx, BB_EFORMAT, "toy: short");
}
static const bb_method toy = {.name = "toy", .version = 2, .save = toy_save, .load = toy_load};

static void write_state(int value, int64_t curve_seen) {
    bb_run_state s;
    memset(&s, 0, sizeof s);
    memcpy(s.config_sha256, SHA_A, 65);
    s.steps = 7;
    s.snapshots = 2;
    s.resumed = 1;
    s.max_step_evals = 32;
    s.counts =
        (bb_oracle_counts){.used = 224, .with_grad = 224, .rejected = 3, .reserved = 10, .checkpoints_served = 2};
    s.ledger = cJSON_Parse("{\"anytime\": [{\"fraction\": 0.001}], \"scoring_evals\": 40}");
    double curve[8] = {1, 32, 0.5, 0.01, 2, 64, 0.25, 0.02};
    s.curve = curve;
    s.n_curve = 2;
    s.curve_seen = curve_seen;
    bb_ctx c = {0};
    assert_int_equal(bb_run_state_write(path, &s, &toy, &value, &c), BB_OK);
    cJSON_Delete(s.ledger);
}

static void write_good(int value) { write_state(value, 2); }

BB_TEST(a_good_state_round_trips) {
    write_good(42);
    bb_run_state s;
    bb_ctx c = {0};
    assert_int_equal(bb_run_state_read(path, SHA_A, &toy, &s, &c), BB_OK);
    assert_int_equal(s.steps, 7);
    assert_int_equal(s.snapshots, 2);
    assert_int_equal(s.resumed, 1);
    assert_int_equal(s.max_step_evals, 32);
    assert_int_equal(s.counts.used, 224);
    assert_int_equal(s.counts.rejected, 3);
    assert_int_equal(s.counts.reserved, 10);
    assert_int_equal(s.counts.checkpoints_served, 2);
    assert_int_equal(s.n_curve, 2);
    assert_int_equal(s.curve_seen, 2);
    assert_true(s.curve[6] == 0.25);
    assert_int_equal((int)cJSON_GetObjectItem(s.ledger, "scoring_evals")->valuedouble, 40);
    int v = 0;
    assert_int_equal(bb_run_state_load_method(path, &s, &toy, &v, &c), BB_OK);
    assert_int_equal(v, 42);
    bb_method shorter = toy;
    shorter.load = toy_load_short;
    assert_int_equal(bb_run_state_load_method(path, &s, &shorter, &v, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "read 1 of 4"));
    bb_run_state_free(&s);
}

BB_TEST(corruption_truncation_and_strangers_are_refused_naming_the_file) {
    write_good(1);
    char *data = NULL;
    size_t len = 0;
    bb_ctx c = {0};
    assert_int_equal(bb_read_file(path, 1 << 20, &data, &len, &c), BB_OK);
    bb_run_state s;
    /* another configuration, another method version */
    assert_int_equal(bb_run_state_read(path, SHA_B, &toy, &s, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "another configuration"));
    bb_method v3 = toy;
    v3.version = 3;
    assert_int_equal(bb_run_state_read(path, SHA_A, &v3, &s, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "toy@2"));
    /* one flipped byte anywhere in the body */
    for (size_t at = 8; at < len - 4; at += 13) {
        data[at] ^= 0x10;
        assert_int_equal(bb_write_file_atomic(path, data, len, &c), BB_OK);
        memset(&c, 0, sizeof c);
        assert_int_not_equal(bb_run_state_read(path, SHA_A, &toy, &s, &c), BB_OK);
        assert_non_null(strstr(c.msg, path));
        data[at] ^= 0x10;
    }
    /* truncated */
    assert_int_equal(bb_write_file_atomic(path, data, len / 2, &c), BB_OK);
    assert_int_not_equal(bb_run_state_read(path, SHA_A, &toy, &s, &c), BB_OK);
    assert_non_null(strstr(c.msg, path));
    free(data);
    /* a curve that is not what the driver keeps of the steps it counts (2 points of 5000) */
    write_state(1, 5000);
    memset(&c, 0, sizeof c);
    assert_int_equal(bb_run_state_read(path, SHA_A, &toy, &s, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, path));
    /* 2 points of 3 (stride 1 would keep 3) */
    write_state(1, 3);
    assert_int_equal(bb_run_state_read(path, SHA_A, &toy, &s, &c), BB_EFORMAT);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(a_good_state_round_trips),
             cmocka_unit_test(corruption_truncation_and_strangers_are_refused_naming_the_file))
