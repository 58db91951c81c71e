/* test_pt.c — torch.save reader (datasets/pt.h) against files written by PyTorch 1.13
 * (tests/datasets/fixtures/pt/, made by make_pt_fixtures.py) and one real FAB file:
 *   - float32 and float64, 1-D and 2-D, a contiguous view with a storage offset, FAB's
 *     position_min_energy.pt (fab-torch, (1, 66) float64, nm) value by value;
 *   - refused with one-line errors naming the file: a transposed view, an int64 tensor, a dict
 *     of tensors, the legacy non-zip format, a pickle naming posix.system, a missing file;
 *   - every truncation and every single-byte corruption of two files gives an error or the
 *     unchanged values (never other values, never a crash), and the byte limit holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datasets/pt.h"
#include "harness/core/fileio.h"
#include "tests/testmain.h"

#define FIX   BB_SOURCE_DIR "/tests/datasets/fixtures/pt/"
#define LIMIT ((size_t)1 << 20)

static double v(size_t k) { return (double)((37 * k) % 101) * 0.3 - 11.7; }

static void load(const char *name, bb_array *a) {
    bb_ctx c = {0};
    int rc = bb_pt_read(name, LIMIT, a, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
}

BB_TEST(float32_and_float64_tensors_written_by_torch_load) {
    bb_array a;
    load(FIX "f4_3x4.pt", &a);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[1], 4);
    assert_int_equal(a.n, 12);
    assert_string_equal(a.dtype, "<f4");
    for (size_t k = 0; k < 12; k++) assert_true(a.data[k] == (double)(float)v(k));
    bb_array_free(&a);
    load(FIX "f8_2x3.pt", &a);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_string_equal(a.dtype, "<f8");
    for (size_t k = 0; k < 6; k++) assert_true(a.data[k] == v(k));
    bb_array_free(&a);
    load(FIX "f4_7.pt", &a);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 7);
    for (size_t k = 0; k < 7; k++) assert_true(a.data[k] == (double)(float)v(k));
    bb_array_free(&a);
    /* x[1:] of a 3x3 tensor: storage of 9 elements, offset 3 */
    load(FIX "f4_offset_2x3.pt", &a);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    for (size_t k = 0; k < 6; k++) assert_true(a.data[k] == (double)(float)v(k + 3));
    bb_array_free(&a);
    /* the layout of FAB's val.pt/test.pt: (N, 60) float32 */
    load(FIX "fab_internal_standin_40x60.pt", &a);
    assert_int_equal(a.shape[0], 40);
    assert_int_equal(a.shape[1], 60);
    bb_array_free(&a);
    bb_array_free(NULL);
}

BB_TEST(fabs_real_position_min_energy_file_loads_value_by_value) {
    /* lollcat/fab-torch experiments/aldp/data/position_min_energy.pt at f54c1c4: (1, 66) float64,
     * nm; the first six values as Python's struct module reads them from data/0 */
    static const double first[6] = {0.19622239887096143, 0.12094182158193481, 0.0682971587035301,
                                    0.2003430414004748,  0.22021888598464112, 0.023764293337381448};
    bb_array a;
    load(FIX "fab_position_min_energy.pt", &a);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 1);
    assert_int_equal(a.shape[1], 66);
    assert_string_equal(a.dtype, "<f8");
    for (int k = 0; k < 6; k++) assert_true(a.data[k] == first[k]);
    for (int k = 0; k < 66; k++) assert_true(a.data[k] > -1.0 && a.data[k] < 1.0); /* nm, not Å */
    bb_array_free(&a);
}

static void refused(const char *file, int code, const char *needle) {
    bb_array a;
    bb_ctx c = {0};
    int rc = bb_pt_read(file, LIMIT, &a, &c);
    if (rc != code || !strstr(c.msg, needle) || !strstr(c.msg, file) || strchr(c.msg, '\n'))
        fprintf(stderr, "%s: rc %d, message: %s\n", file, rc, c.msg);
    assert_int_equal(rc, code);
    assert_non_null(strstr(c.msg, needle));
    assert_non_null(strstr(c.msg, file)); /* names the file */
    assert_null(strchr(c.msg, '\n'));     /* one line */
    assert_null(a.data);
}

BB_TEST(what_torch_writes_for_other_objects_is_refused_with_one_line) {
    refused(FIX "f4_transposed_3x2.pt", BB_EUNSUPPORTED, "not contiguous");
    refused(FIX "i8_2x2.pt", BB_EUNSUPPORTED, "torch.LongStorage: only float32/float64");
    refused(FIX "dict_f4.pt", BB_EUNSUPPORTED, "holds a dict, not one tensor");
    refused(FIX "legacy_f4.pt", BB_EUNSUPPORTED, "legacy torch.save format");
    refused(FIX "evil_global.pt", BB_EUNSUPPORTED, "global 'posix.system' is not allowed");
    refused(FIX "make_pt_fixtures.py", BB_EFORMAT, "not a zip archive");
    refused(FIX "absent.pt", BB_ENOTFOUND, "absent.pt");
    bb_array a;
    bb_ctx c = {0};
    /* 12 float64 values need 96 bytes */
    assert_int_equal(bb_pt_read(FIX "f4_3x4.pt", 95, &a, &c), BB_ENOMEM);
    assert_non_null(strstr(c.msg, "limit"));
    load(FIX "f4_3x4.pt", &a);
    bb_array_free(&a);
}

/* Every prefix and every byte flipped (two ways) of one file: an error, or exactly the values
 * of the intact file. */
static void damage(const char *file) {
    char *buf;
    size_t len;
    bb_ctx c = {0};
    assert_int_equal(bb_read_file(file, LIMIT, &buf, &len, &c), BB_OK);
    bb_array good, a;
    assert_int_equal(bb_pt_parse(buf, len, file, LIMIT, &good, &c), BB_OK);
    for (size_t n = 0; n < len; n++) {
        bb_ctx e = {0};
        assert_int_not_equal(bb_pt_parse(buf, n, "cut.pt", LIMIT, &a, &e), BB_OK);
        assert_non_null(strstr(e.msg, "cut.pt"));
        assert_null(a.data);
    }
    for (size_t i = 0; i < len; i++)
        for (int m = 0; m < 2; m++) {
            unsigned char keep = (unsigned char)buf[i];
            buf[i] = (char)(keep ^ (m ? 0x01 : 0xff));
            bb_ctx e = {0};
            if (bb_pt_parse(buf, len, "flip.pt", LIMIT, &a, &e) == BB_OK) {
                assert_int_equal(a.n, good.n);
                assert_memory_equal(a.data, good.data, good.n * sizeof(double));
                bb_array_free(&a);
            } else {
                assert_non_null(strstr(e.msg, "flip.pt"));
            }
            buf[i] = (char)keep;
        }
    /* (flips in bytes torch.save leaves unchecked, such as the alignment padding in the local
     * headers' extra fields, load the intact values; damage to the data is caught by CRC-32) */
    bb_array_free(&good);
    free(buf);
}

BB_TEST(truncated_and_corrupted_files_give_errors_never_other_values) {
    damage(FIX "f4_3x4.pt");
    damage(FIX "fab_position_min_energy.pt");
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(float32_and_float64_tensors_written_by_torch_load),
             cmocka_unit_test(fabs_real_position_min_energy_file_loads_value_by_value),
             cmocka_unit_test(what_torch_writes_for_other_objects_is_refused_with_one_line),
             cmocka_unit_test(truncated_and_corrupted_files_give_errors_never_other_values))
