/* test_npz.c — .npz reader/writer: numpy-made archives (stored and deflated, ZIP64 local
 * headers), round trips through our writer (cross-checked with numpy's np.load when
 * /usr/bin/python3 has numpy, skipped otherwise), and corrupted archives: truncation,
 * CRC errors, unsupported methods, declared-size limits and a zip bomb (a member that
 * inflates past its declared size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/npz.h"
#include "datasets/zip.h"
#include "harness/core/fileio.h"
#include "tests/testmain.h"

#define FIX   BB_SOURCE_DIR "/tests/datasets/fixtures/"
#define LIMIT ((size_t)1 << 20)

static double v(size_t k) { return (double)((37 * k) % 101) * 0.3 - 11.7; }

static void check_ab(const bb_npz *z) {
    assert_int_equal(z->n, 2);
    const bb_array *a = bb_npz_get(z, "a"), *b = bb_npz_get(z, "b");
    assert_non_null(a);
    assert_non_null(b);
    assert_null(bb_npz_get(z, "c"));
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->shape[0], 2);
    assert_int_equal(a->shape[1], 3);
    for (size_t k = 0; k < 6; k++) assert_true(a->data[k] == v(k));
    assert_int_equal(b->ndim, 1);
    assert_int_equal(b->n, 4);
    for (size_t k = 0; k < 4; k++) assert_true(b->data[k] == (double)(float)v(k));
}

BB_TEST(numpy_savez_stored_and_compressed_archives_load) {
    bb_ctx c = {0};
    bb_npz z;
    assert_int_equal(bb_npz_read(FIX "stored_ab.npz", LIMIT, &z, &c), BB_OK);
    check_ab(&z);
    bb_npz_free(&z);
    assert_int_equal(bb_npz_read(FIX "deflated_ab.npz", LIMIT, &z, &c), BB_OK);
    check_ab(&z);
    bb_npz_free(&z);
    assert_int_equal(bb_npz_read(FIX "deflated_large.npz", LIMIT, &z, &c), BB_OK);
    const bb_array *x = bb_npz_get(&z, "x");
    assert_non_null(x);
    assert_int_equal(x->n, 2100);
    for (size_t k = 0; k < 2100; k++) assert_true(x->data[k] == v(k));
    bb_npz_free(&z);
    bb_npz_free(NULL);
}

static int numpy_available(void) { return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0; }

BB_TEST(our_archives_round_trip_and_numpy_reads_them) {
    char dir[] = "/tmp/bb_npz_XXXXXX";
    assert_non_null(mkdtemp(dir));
    bb_array arr[2];
    memset(arr, 0, sizeof arr);
    arr[0].ndim = 3;
    arr[0].shape[0] = 7;
    arr[0].shape[1] = 1;
    arr[0].shape[2] = 5;
    arr[0].n = 35;
    arr[1].ndim = 1;
    arr[1].shape[0] = 3;
    arr[1].n = 3;
    double d0[35], d1[3] = {2.385, -1e300, 5e-324};
    for (size_t k = 0; k < 35; k++) d0[k] = v(k) / 3.0;
    arr[0].data = d0;
    arr[1].data = d1;
    const char *names[2] = {"positions", "w"};
    for (int deflate = 0; deflate <= 1; deflate++) {
        char path[256];
        snprintf(path, sizeof path, "%s/t%d.npz", dir, deflate);
        bb_ctx c = {0};
        assert_int_equal(bb_npz_write(path, 2, names, arr, deflate, &c), BB_OK);
        bb_npz z;
        assert_int_equal(bb_npz_read(path, LIMIT, &z, &c), BB_OK);
        assert_int_equal(z.n, 2);
        const bb_array *p = bb_npz_get(&z, "positions"), *w = bb_npz_get(&z, "w");
        assert_non_null(p);
        assert_non_null(w);
        assert_int_equal(p->ndim, 3);
        assert_int_equal(p->shape[2], 5);
        assert_memory_equal(p->data, d0, sizeof d0);
        assert_memory_equal(w->data, d1, sizeof d1);
        bb_npz_free(&z);
        if (!numpy_available()) {
            printf("numpy cross-check skipped: /usr/bin/python3 has no numpy\n");
            continue;
        }
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import numpy as np; z = np.load('%s'); "
                 "p = z['positions']; w = z['w']; "
                 "assert p.shape == (7, 1, 5) and w.shape == (3,); "
                 "assert np.array_equal(p.ravel(), (((37 * np.arange(35)) %% 101) * 0.3 - 11.7) / 3.0); "
                 "assert w[0] == 2.385 and w[1] == -1e300 and w[2] == 5e-324\"",
                 path);
        assert_int_equal(system(cmd), 0);
        unlink(path);
    }
    rmdir(dir);
}

static char *load(const char *name, size_t *len) {
    char *buf;
    bb_ctx c = {0};
    assert_int_equal(bb_read_file(name, LIMIT, &buf, len, &c), BB_OK);
    return buf;
}

static size_t find_sig(const char *b, size_t len, uint32_t sig, size_t from) {
    for (size_t i = from; i + 4 <= len; i++) {
        const unsigned char *p = (const unsigned char *)b + i;
        if (((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24) == sig) return i;
    }
    fail_msg("signature not found");
    return 0;
}

static void put32(char *p, uint32_t x) {
    for (int k = 0; k < 4; k++) p[k] = (char)(x >> (8 * k));
}

static int parse(const char *b, size_t len, size_t limit, bb_ctx *c) {
    bb_npz z;
    int rc = bb_npz_parse(b, len, "t.npz", limit, &z, c);
    if (rc != BB_OK) {
        assert_int_equal(z.n, 0); /* a failed parse leaves nothing to free */
        return rc;
    }
    bb_npz_free(&z);
    return BB_OK;
}

BB_TEST(truncated_and_corrupt_archives_are_rejected) {
    size_t len;
    char *b = load(FIX "deflated_ab.npz", &len);
    bb_ctx c = {0};
    assert_int_equal(parse(b, len, LIMIT, &c), BB_OK);
    for (size_t cut = 0; cut < len; cut++) assert_true(parse(b, cut, LIMIT, &c) < 0);
    assert_int_equal(parse(b, 10, LIMIT, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "t.npz"));
    /* flip one byte of the first member's compressed data: CRC or inflate error */
    char *m = malloc(len);
    memcpy(m, b, len);
    m[60] ^= 0x10;
    int rc = parse(m, len, LIMIT, &c);
    assert_true(rc == BB_EHASH || rc == BB_EFORMAT);
    assert_non_null(strstr(c.msg, "a.npy"));
    /* wrong CRC in the central directory */
    memcpy(m, b, len);
    size_t cd = find_sig(m, len, 0x02014b50u, 0);
    m[cd + 16] ^= 1;
    assert_int_equal(parse(m, len, LIMIT, &c), BB_EHASH);
    assert_non_null(strstr(c.msg, "CRC"));
    /* unsupported compression method */
    memcpy(m, b, len);
    m[cd + 10] = 12; /* bzip2 */
    assert_int_equal(parse(m, len, LIMIT, &c), BB_EUNSUPPORTED);
    assert_non_null(strstr(c.msg, "method 12"));
    /* encrypted flag */
    memcpy(m, b, len);
    m[cd + 8] = 1;
    assert_int_equal(parse(m, len, LIMIT, &c), BB_EUNSUPPORTED);
    free(m);
    free(b);
}

BB_TEST(zip_bombs_and_size_limits_stop_before_allocating) {
    size_t len;
    char *b = load(FIX "deflated_large.npz", &len);
    bb_ctx c = {0};
    /* 2100 float64 + header = 16928 bytes: a 16 KiB limit refuses the declared size */
    assert_int_equal(parse(b, len, 16384, &c), BB_ENOMEM);
    assert_non_null(strstr(c.msg, "limit"));
    assert_int_equal(parse(b, len, 16927, &c), BB_ENOMEM);
    assert_int_equal(parse(b, len, 16928, &c), BB_OK);
    /* declare 1000 bytes uncompressed: inflation must stop there */
    char *m = malloc(len);
    memcpy(m, b, len);
    size_t cd = find_sig(m, len, 0x02014b50u, 0);
    put32(m + cd + 24, 1000);
    assert_int_equal(parse(m, len, LIMIT, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "beyond its declared size"));
    /* a huge declared size is refused by the limit, not allocated */
    put32(m + cd + 24, 0xfffffff0u);
    assert_int_equal(parse(m, len, LIMIT, &c), BB_ENOMEM);
    free(m);
    free(b);
    /* the archive itself (bb_zip_read_archive, shared by npz and pt): read whole up to the
     * data limit plus 16 MiB of member overhead, refused beyond (a sparse file, nothing written) */
    char big[] = "/tmp/bb_zip_archive_XXXXXX";
    int fd = mkstemp(big);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)((1 << 24) + 100)), 0);
    close(fd);
    char *buf = NULL;
    size_t blen = 0;
    assert_int_equal(bb_zip_read_archive(big, 100, &buf, &blen, &c), BB_OK);
    assert_true(blen == (size_t)(1 << 24) + 100);
    free(buf);
    assert_int_not_equal(bb_zip_read_archive(big, 99, &buf, &blen, &c), BB_OK);
    printf("  %s\n", c.msg);
    unlink(big);
}

BB_TEST(non_npy_members_and_missing_files_give_errors) {
    bb_ctx c = {0};
    bb_npz z;
    assert_int_equal(bb_npz_read("/nonexistent/z.npz", LIMIT, &z, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "/nonexistent/z.npz"));
    assert_int_equal(bb_npz_read(FIX "f8_c_2x3.npy", LIMIT, &z, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "not a zip"));
    bb_array a;
    memset(&a, 0, sizeof a);
    double x = 1;
    a.ndim = 1;
    a.shape[0] = 1;
    a.n = 1;
    a.data = &x;
    const char *bad[1] = {""};
    assert_int_equal(bb_npz_write("/tmp/bb_npz_bad.npz", 1, bad, &a, 0, &c), BB_EINVAL);
    assert_int_equal(access("/tmp/bb_npz_bad.npz", F_OK), -1);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(numpy_savez_stored_and_compressed_archives_load),
             cmocka_unit_test(our_archives_round_trip_and_numpy_reads_them),
             cmocka_unit_test(truncated_and_corrupt_archives_are_rejected),
             cmocka_unit_test(zip_bombs_and_size_limits_stop_before_allocating),
             cmocka_unit_test(non_npy_members_and_missing_files_give_errors))
