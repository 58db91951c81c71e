/* test_npy.c — .npy reader/writer against files written by numpy (tests/datasets/fixtures,
 * made once by make_fixtures.py) and against hand-corrupted images. Values are recomputed
 * here from the formula in make_fixtures.py and compared exactly (the conversions are
 * exact: float32 → float64 and small integers are representable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/npy.h"
#include "harness/core/fileio.h"
#include "tests/testmain.h"

#define FIX   BB_SOURCE_DIR "/tests/datasets/fixtures/"
#define LIMIT ((size_t)1 << 20)

static double v(size_t k) { return (double)((37 * k) % 101) * 0.3 - 11.7; }

static void load_fixture(const char *name, char **buf, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s", name);
    bb_ctx c = {0};
    assert_int_equal(bb_read_file(path, LIMIT, buf, len, &c), BB_OK);
}

static void read_ok(const char *name, bb_array *a) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s", name);
    bb_ctx c = {0};
    int rc = bb_npy_read(path, LIMIT, a, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
}

static void assert_shape(const bb_array *a, int ndim, const size_t *shape) {
    assert_int_equal(a->ndim, ndim);
    for (int k = 0; k < ndim; k++) assert_int_equal(a->shape[k], shape[k]);
}

BB_TEST(float64_c_order_file_matches_numpy_values) {
    bb_array a;
    read_ok("f8_c_2x3.npy", &a);
    assert_shape(&a, 2, (const size_t[]){2, 3});
    assert_int_equal(a.n, 6);
    assert_string_equal(a.dtype, "<f8");
    for (size_t k = 0; k < 6; k++) assert_true(a.data[k] == v(k));
    bb_array_free(&a);
    assert_null(a.data);
}

BB_TEST(big_endian_fortran_float32_becomes_row_major_float64) {
    bb_array a;
    read_ok("f4_be_fortran_3x4x2.npy", &a);
    assert_shape(&a, 3, (const size_t[]){3, 4, 2});
    for (size_t k = 0; k < 24; k++) assert_true(a.data[k] == (double)(float)v(k));
    bb_array_free(&a);
    read_ok("f4_le_fortran_5x3.npy", &a);
    assert_int_equal(a.ndim, 2);
    for (size_t k = 0; k < 15; k++) assert_true(a.data[k] == (double)(float)v(k));
    bb_array_free(&a);
}

static double rint10(size_t k) {
    double x = v(k) * 10.0;
    double r = (double)(long long)(x + (x < 0 ? -0.5 : 0.5));
    return r;
}

static double times50(size_t k) { return 50.0 * (double)k; }

/* Read a fixture and check its n elements are exactly want(0), want(1), ... */
static void read_expect(const char *name, size_t n, double (*want)(size_t k)) {
    bb_array a;
    read_ok(name, &a);
    assert_int_equal(a.n, n);
    for (size_t k = 0; k < n; k++) assert_true(a.data[k] == want(k));
    bb_array_free(&a);
}

BB_TEST(integer_and_bool_dtypes_convert_exactly) {
    read_expect("i2_le_7.npy", 7, rint10);
    read_expect("i8_be_2x2.npy", 4, rint10);
    read_expect("i4_le_4.npy", 4, rint10);
    read_expect("u1_6.npy", 6, times50);
    bb_array a;
    read_ok("u8_be_3.npy", &a);
    assert_true(a.data[0] == 0.0 && a.data[1] == 1.0 && a.data[2] == 9007199254740992.0);
    bb_array_free(&a);
    read_ok("bool_4.npy", &a);
    assert_true(a.data[0] == 1.0 && a.data[1] == 0.0 && a.data[2] == 0.0 && a.data[3] == 1.0);
    bb_array_free(&a);
}

BB_TEST(format_versions_2_and_3_scalars_and_empty_arrays_load) {
    read_expect("f8_v2_3x2.npy", 6, v);
    read_expect("f8_v3_2x2.npy", 4, v);
    bb_array a;
    read_ok("f8_scalar.npy", &a);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.n, 1);
    assert_true(a.data[0] == 2.385);
    bb_array_free(&a);
    read_ok("f8_empty_0x5.npy", &a);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.n, 0);
    assert_int_equal(a.shape[1], 5);
    assert_non_null(a.data);
    bb_array_free(&a);
}

BB_TEST(unsupported_dtypes_are_refused_naming_the_dtype) {
    bb_array a;
    bb_ctx c = {0};
    assert_int_equal(bb_npy_read(FIX "f2_unsupported.npy", LIMIT, &a, &c), BB_EUNSUPPORTED);
    assert_non_null(strstr(c.msg, "<f2"));
    assert_non_null(strstr(c.msg, "f2_unsupported.npy"));
    assert_null(a.data);
    assert_int_equal(bb_npy_read(FIX "c16_unsupported.npy", LIMIT, &a, &c), BB_EUNSUPPORTED);
    assert_non_null(strstr(c.msg, "<c16"));
}

BB_TEST(writer_output_is_byte_identical_to_numpy_save) {
    char *ref;
    size_t ref_len;
    load_fixture("f8_c_2x3.npy", &ref, &ref_len);
    double d[6];
    for (size_t k = 0; k < 6; k++) d[k] = v(k);
    size_t shape[2] = {2, 3};
    unsigned char *buf;
    size_t len;
    bb_ctx c = {0};
    assert_int_equal(bb_npy_encode(d, 2, shape, &buf, &len, &c), BB_OK);
    assert_int_equal(len, ref_len);
    assert_memory_equal(buf, ref, len);
    free(buf);
    free(ref);
    /* 1-D and scalar headers too */
    load_fixture("f8_scalar.npy", &ref, &ref_len);
    double s = 2.385;
    assert_int_equal(bb_npy_encode(&s, 0, NULL, &buf, &len, &c), BB_OK);
    assert_int_equal(len, ref_len);
    assert_memory_equal(buf, ref, len);
    free(buf);
    free(ref);
}

BB_TEST(write_then_read_round_trips_odd_shapes) {
    char dir[] = "/tmp/bb_npy_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/x.npy", dir);
    size_t shapes[3][3] = {{7, 1, 5}, {1, 13, 3}, {4, 2, 9}};
    for (int s = 0; s < 3; s++) {
        size_t n = shapes[s][0] * shapes[s][1] * shapes[s][2];
        double *d = malloc(n * sizeof *d);
        for (size_t k = 0; k < n; k++) d[k] = v(k) * 1e-3 + 1.0 / (double)(k + 3);
        bb_ctx c = {0};
        assert_int_equal(bb_npy_write(path, d, 3, shapes[s], &c), BB_OK);
        bb_array a;
        assert_int_equal(bb_npy_read(path, LIMIT, &a, &c), BB_OK);
        assert_shape(&a, 3, shapes[s]);
        assert_memory_equal(a.data, d, n * sizeof *d);
        bb_array_free(&a);
        bb_samples smp;
        assert_int_equal(bb_npy_read_samples(path, LIMIT, &smp, &c), BB_OK);
        assert_int_equal(smp.n, shapes[s][0]);
        assert_int_equal(smp.dof, shapes[s][1] * shapes[s][2]);
        assert_null(smp.logw);
        assert_memory_equal(smp.x, d, n * sizeof *d);
        bb_samples_free(&smp);
        free(d);
    }
    unlink(path);
    rmdir(dir);
}

static int parse_mem(const void *b, size_t len, size_t limit, bb_ctx *c) {
    bb_array a;
    int rc = bb_npy_parse(b, len, "mem.npy", limit, &a, c);
    if (rc == BB_OK)
        bb_array_free(&a);
    else
        assert_null(a.data);
    return rc;
}

/* Build an image with a custom header dict (v1.0) followed by `data_len` zero bytes. */
static size_t make_image(unsigned char *out, const char *dict, size_t data_len) {
    size_t hl = strlen(dict);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)(hl & 0xff);
    out[9] = (unsigned char)(hl >> 8);
    memcpy(out + 10, dict, hl);
    memset(out + 10 + hl, 0, data_len);
    return 10 + hl + data_len;
}

BB_TEST(malformed_headers_and_truncated_data_give_clear_errors) {
    char *ref;
    size_t len;
    load_fixture("f8_c_2x3.npy", &ref, &len);
    bb_ctx c = {0};
    assert_int_equal(parse_mem(ref, len, LIMIT, &c), BB_OK);
    /* truncated data, at every length */
    for (size_t cut = 0; cut < len; cut++) {
        int rc = parse_mem(ref, cut, LIMIT, &c);
        assert_int_equal(rc, BB_EFORMAT);
        assert_non_null(strstr(c.msg, "mem.npy"));
    }
    assert_int_equal(parse_mem(ref, len - 1, LIMIT, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "truncated data"));
    /* trailing bytes */
    char *longer = malloc(len + 3);
    memcpy(longer, ref, len);
    memset(longer + len, 0, 3);
    assert_int_equal(parse_mem(longer, len + 3, LIMIT, &c), BB_EFORMAT);
    /* bad magic and unknown version */
    longer[0] = 'X';
    assert_int_equal(parse_mem(longer, len, LIMIT, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "magic"));
    memcpy(longer, ref, len);
    longer[6] = 4;
    assert_int_equal(parse_mem(longer, len, LIMIT, &c), BB_EUNSUPPORTED);
    free(longer);
    /* the limit */
    assert_int_equal(parse_mem(ref, len, 47, &c), BB_ENOMEM);
    assert_non_null(strstr(c.msg, "limit"));
    free(ref);

    /* header dictionaries (with a payload of `data` bytes), the status each must give and a
     * word its error names; the last three: a shape whose product overflows size_t, one too
     * large to parse, and one just above the limit */
    static const struct {
        const char *header;
        size_t data;
        int want;
        const char *names;
    } cases[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16, BB_OK, NULL},
        {"{'descr': '<f8', 'shape': (2,), }", 16, BB_EFORMAT, "fortran_order"},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }", 16, BB_EFORMAT, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,x), }", 16, BB_EFORMAT, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'z': 1}", 16, BB_EFORMAT, NULL},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }", 16, BB_EUNSUPPORTED, "structured"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk", 16, BB_EFORMAT, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", 0, BB_ENOMEM, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0, BB_EFORMAT, NULL},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (131073,), }", 0, BB_ENOMEM, NULL},
    };
    unsigned char img[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = make_image(img, cases[i].header, cases[i].data);
        assert_int_equal(parse_mem(img, n, LIMIT, &c), cases[i].want);
        if (cases[i].names) assert_non_null(strstr(c.msg, cases[i].names));
    }
}

BB_TEST(missing_files_and_bad_writes_name_the_path) {
    bb_ctx c = {0};
    bb_array a;
    assert_int_equal(bb_npy_read("/nonexistent/dir/q.npy", LIMIT, &a, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "/nonexistent/dir/q.npy"));
    double d = 1.0;
    size_t sh = 1;
    assert_int_equal(bb_npy_write("/nonexistent/dir/q.npy", &d, 1, &sh, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "/nonexistent/dir/q.npy"));
    unsigned char *buf;
    size_t len;
    assert_int_equal(bb_npy_encode(&d, BB_NPY_MAX_DIM + 1, &sh, &buf, &len, &c), BB_EINVAL);
    assert_null(buf);
    bb_array_free(NULL);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(float64_c_order_file_matches_numpy_values),
             cmocka_unit_test(big_endian_fortran_float32_becomes_row_major_float64),
             cmocka_unit_test(integer_and_bool_dtypes_convert_exactly),
             cmocka_unit_test(format_versions_2_and_3_scalars_and_empty_arrays_load),
             cmocka_unit_test(unsupported_dtypes_are_refused_naming_the_dtype),
             cmocka_unit_test(writer_output_is_byte_identical_to_numpy_save),
             cmocka_unit_test(write_then_read_round_trips_odd_shapes),
             cmocka_unit_test(malformed_headers_and_truncated_data_give_clear_errors),
             cmocka_unit_test(missing_files_and_bad_writes_name_the_path))
