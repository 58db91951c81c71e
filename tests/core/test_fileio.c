/* test_fileio.c — atomic writes leave no temp files, limits on reads, mkdir -p, SHA-256 vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tmpdir.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "tests/testmain.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_test_fileio", (void)0)

static int count_entries(const char *d) {
    DIR *dp = opendir(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(dp));) n += e->d_name[0] != '.';
    closedir(dp);
    return n;
}

BB_TEST(atomic_write_replaces_whole_file_and_leaves_no_temp) {
    bb_ctx c = {0};
    char p[512];
    snprintf(p, sizeof p, "%s/a/b/out.json", dir);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    assert_int_equal(bb_mkdir_p(sub, &c), BB_OK);
    assert_int_equal(bb_mkdir_p(sub, &c), BB_OK); /* idempotent */
    assert_int_equal(bb_write_file_atomic(p, "first", 5, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(p, "second!", 7, &c), BB_OK);
    char *buf;
    size_t n;
    assert_int_equal(bb_read_file(p, 100, &buf, &n, &c), BB_OK);
    assert_int_equal(n, 7);
    assert_string_equal(buf, "second!");
    free(buf);
    assert_int_equal(count_entries(sub), 1);
    /* abort removes the temp file and keeps the old content */
    bb_atomic_file af;
    assert_int_equal(bb_atomic_open(&af, p, &c), BB_OK);
    fputs("partial", af.fp);
    bb_atomic_abort(&af);
    assert_int_equal(count_entries(sub), 1);
    assert_int_equal(bb_read_file(p, 100, &buf, &n, &c), BB_OK);
    assert_string_equal(buf, "second!");
    free(buf);
}

BB_TEST(unwritable_directory_and_limits_give_named_errors) {
    bb_ctx c = {0};
    assert_int_equal(bb_write_file_atomic("/nonexistent-dir/x.json", "x", 1, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "/nonexistent-dir/x.json"));
    char p[512];
    snprintf(p, sizeof p, "%s/big", dir);
    assert_int_equal(bb_write_file_atomic(p, "0123456789", 10, &c), BB_OK);
    char *buf;
    assert_int_equal(bb_read_file(p, 9, &buf, NULL, &c), BB_ENOMEM);
    assert_non_null(strstr(c.msg, "limit"));
    assert_int_equal(bb_read_file("/nonexistent-file", 9, &buf, NULL, &c), BB_ENOTFOUND);
    cJSON *j;
    snprintf(p, sizeof p, "%s/bad.json", dir);
    assert_int_equal(bb_write_file_atomic(p, "{\n \"a\": 1,\n ]", 13, &c), BB_OK);
    assert_int_equal(bb_json_read_file(p, 1000, &j, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "line 3"));
}

BB_TEST(sha256_matches_fips_vectors) {
    char h[65];
    bb_sha256_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    bb_sha256_hex("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char p[512];
    bb_ctx c = {0};
    snprintf(p, sizeof p, "%s/abc", dir);
    assert_int_equal(bb_write_file_atomic(p, "abc", 3, &c), BB_OK);
    assert_int_equal(bb_sha256_file(p, h, &c), BB_OK);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The CRC-32 check value of "123456789" is cbf43926 (ISO-HDLC, zlib's crc32); empty = 0. */
BB_TEST(crc32_matches_the_check_value) {
    assert_int_equal(bb_crc32("123456789", 9), 0xcbf43926u);
    assert_int_equal(bb_crc32("", 0), 0u);
}

BB_TEST(bytes_reader_never_reads_past_the_end) {
    const unsigned char data[5] = {1, 2, 3, 4, 5};
    bb_bytes r = {data, sizeof data, 0};
    unsigned char out[4] = {0};
    assert_int_equal(bb_bytes_get(&r, out, 3), 1);
    assert_int_equal(out[2], 3);
    assert_int_equal(bb_bytes_get(&r, out, 3), 0); /* only 2 left: nothing copied, nothing consumed */
    assert_int_equal(r.off, 3);
    assert_int_equal(bb_bytes_get(&r, out, 2), 1);
    assert_int_equal(out[1], 5);
    assert_int_equal(bb_bytes_get(&r, out, 0), 1);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(atomic_write_replaces_whole_file_and_leaves_no_temp),
             cmocka_unit_test(unwritable_directory_and_limits_give_named_errors),
             cmocka_unit_test(sha256_matches_fips_vectors), cmocka_unit_test(crc32_matches_the_check_value),
             cmocka_unit_test(bytes_reader_never_reads_past_the_end))
