/* test_adjoint_buffer.c — the shared FIFO replay buffer (methods/common/replay.h):
 * order and overwrite, uniform draws, refusal of an empty buffer, and a bit-exact
 * dump/restore with checks of shape, magic and truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/common/replay.h"
#include "tests/testmain.h"

static void fill(double *rows, size_t n, size_t w, double base) {
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < w; k++) rows[i * w + k] = base + i + 0.125 * k;
}

BB_TEST(buffer_keeps_the_newest_rows_in_age_order) {
    bb_replay rb;
    bb_ctx c = {0};
    assert_int_equal(bb_replay_init(&rb, 5, 3, &c), BB_OK);
    double rows[8 * 3];
    fill(rows, 3, 3, 10.0);
    bb_replay_push(&rb, 3, rows);
    assert_int_equal(rb.count, 3);
    assert_true(bb_replay_row(&rb, 0)[0] == 10.0 && bb_replay_row(&rb, 2)[2] == 12.25);
    assert_null(bb_replay_row(&rb, 3));
    fill(rows, 4, 3, 20.0); /* 7 pushed in all: the two oldest (10, 11) are gone */
    bb_replay_push(&rb, 4, rows);
    assert_int_equal(rb.count, 5);
    const double want[5] = {12, 20, 21, 22, 23};
    for (size_t i = 0; i < 5; i++)
        assert_true(bb_replay_row(&rb, i)[0] == want[i] && bb_replay_row(&rb, i)[1] == want[i] + 0.125);
    fill(rows, 8, 3, 30.0); /* more than the capacity at once: only the last 5 survive */
    bb_replay_push(&rb, 8, rows);
    for (size_t i = 0; i < 5; i++) assert_true(bb_replay_row(&rb, i)[0] == 33.0 + i);
    bb_replay_free(&rb);
    bb_replay_free(&rb); /* idempotent */
    bb_replay_free(NULL);
    assert_int_equal(bb_replay_init(&rb, 0, 3, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "replay buffer"));
}

/* 40000 draws from 8 rows: each count within 5 sigma of the binomial mean 5000. */
BB_TEST(draws_are_uniform_and_report_their_rows) {
    bb_replay rb;
    bb_ctx c = {0};
    assert_int_equal(bb_replay_init(&rb, 8, 2, &c), BB_OK);
    double out[2], rows[16];
    bb_rng r;
    bb_rng_init(&r, 3, 4);
    assert_int_equal(bb_replay_sample(&rb, 1, &r, out, NULL, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "empty"));
    fill(rows, 8, 2, 0.0);
    bb_replay_push(&rb, 8, rows);
    size_t count[8] = {0};
    for (int i = 0; i < 40000; i++) {
        size_t idx;
        assert_int_equal(bb_replay_sample(&rb, 1, &r, out, &idx, &c), BB_OK);
        assert_true(out[0] == (double)idx && out[1] == idx + 0.125);
        count[idx]++;
    }
    double sd = sqrt(40000 * (1.0 / 8) * (7.0 / 8));
    for (int k = 0; k < 8; k++) {
        print_message("row %d drawn %zu times (mean 5000, sd %.1f)\n", k, count[k], sd);
        assert_true(fabs((double)count[k] - 5000.0) < 5 * sd);
    }
    bb_replay_free(&rb);
}

BB_TEST(dump_and_restore_are_bit_exact_and_checked) {
    bb_replay a, b, wrong;
    bb_ctx c = {0};
    assert_int_equal(bb_replay_init(&a, 6, 4, &c), BB_OK);
    assert_int_equal(bb_replay_init(&b, 6, 4, &c), BB_OK);
    assert_int_equal(bb_replay_init(&wrong, 7, 4, &c), BB_OK);
    double rows[9 * 4];
    fill(rows, 9, 4, 1.0 / 3.0); /* wraps around */
    bb_replay_push(&a, 9, rows);
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(bb_replay_write(&a, fp, "dump", &c), BB_OK);
    long len = ftell(fp);
    rewind(fp);
    assert_int_equal(bb_replay_read(&b, fp, "dump", &c), BB_OK);
    assert_int_equal(b.count, a.count);
    for (size_t i = 0; i < a.count; i++)
        assert_memory_equal(bb_replay_row(&a, i), bb_replay_row(&b, i), 4 * sizeof(double));
    /* same future: pushing one row drops the same oldest row in both */
    bb_replay_push(&a, 1, rows);
    bb_replay_push(&b, 1, rows);
    for (size_t i = 0; i < a.count; i++)
        assert_memory_equal(bb_replay_row(&a, i), bb_replay_row(&b, i), 4 * sizeof(double));
    rewind(fp);
    assert_int_equal(bb_replay_read(&wrong, fp, "dump", &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "dump: replay buffer of 6 x 4"));
    /* truncated: drop the last row's bytes */
    FILE *tr = tmpfile();
    char *bytes = malloc((size_t)len);
    rewind(fp);
    assert_int_equal(fread(bytes, 1, (size_t)len, fp), (size_t)len);
    fwrite(bytes, 1, (size_t)len - 8, tr);
    rewind(tr);
    assert_int_equal(bb_replay_read(&b, tr, "cut", &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "cut: truncated"));
    /* bad magic */
    rewind(tr);
    fputc('X', tr);
    rewind(tr);
    assert_int_equal(bb_replay_read(&b, tr, "bad", &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "bad magic"));
    fclose(tr);
    fclose(fp);
    free(bytes);
    bb_replay_free(&a);
    bb_replay_free(&b);
    bb_replay_free(&wrong);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(buffer_keeps_the_newest_rows_in_age_order),
             cmocka_unit_test(draws_are_uniform_and_report_their_rows),
             cmocka_unit_test(dump_and_restore_are_bit_exact_and_checked))
