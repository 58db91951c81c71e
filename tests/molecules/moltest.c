/* moltest.c — see moltest.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/molecules/moltest.h"

#include "harness/core/jsonutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mt_task_data(const char *file) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/tasks/molecules/data/%s", BB_SOURCE_DIR, file);
    return buf;
}

const char *mt_test_data(const char *file) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/tests/molecules/data/%s", BB_SOURCE_DIR, file);
    return buf;
}

bb_amber *mt_load_ff(const char *prmtop, int obc1, double cutoff_nm) {
    bb_ctx c = {0};
    bb_prmtop *top = NULL;
    const char *path = mt_task_data(prmtop);
    int rc = bb_prmtop_read(path, &top, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    bb_amber_options opt = {.obc1 = obc1, .cutoff_nm = cutoff_nm};
    bb_amber *ff = NULL;
    rc = bb_amber_create(top, prmtop, &opt, &ff, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    bb_prmtop_free(top);
    return ff;
}

cJSON *mt_read_json(const char *file) {
    bb_ctx c = {0};
    cJSON *j = NULL;
    int rc = bb_json_read_file(mt_test_data(file), (size_t)16 << 20, &j, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return j;
}

void mt_rows(const cJSON *arr, size_t n, double *out) {
    assert_true(cJSON_IsArray(arr));
    assert_int_equal((size_t)cJSON_GetArraySize(arr), n);
    size_t i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, arr) {
        assert_int_equal(cJSON_GetArraySize(row), 3);
        for (int k = 0; k < 3; k++) out[3 * i + (size_t)k] = cJSON_GetArrayItem(row, k)->valuedouble;
        i++;
    }
}

void mt_case_setup(const char *name, const char **prmtop, int *obc1, double *cutoff) {
    *obc1 = 1;
    *cutoff = 0.0;
    if (strncmp(name, "aldp_ff96", 9) == 0 || strncmp(name, "openmm_test", 11) == 0) {
        *prmtop = "aldp-ff96-mbondi2.prmtop";
        if (strstr(name, "vacuum")) *obc1 = 0;
        if (strncmp(name, "openmm_test", 11) == 0) *cutoff = 1.0; /* OpenMM's default cutoff */
    } else if (strncmp(name, "aldp_ff14sb", 11) == 0) {
        *prmtop = "aldp-ff14sb-mbondi2.prmtop";
        if (strstr(name, "cutoffnp2nm")) *cutoff = 2.0;
    } else {
        assert_true(strncmp(name, "al3_ff14sb", 10) == 0);
        *prmtop = "al3-ff14sb-mbondi2.prmtop";
        *cutoff = 2.0;
    }
}

void mt_pdb_positions(const char *file, size_t n, double *x) {
    FILE *fp = fopen(mt_test_data(file), "r");
    assert_non_null(fp);
    char line[256];
    size_t i = 0;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "ATOM  ", 6) && strncmp(line, "HETATM", 6)) continue;
        assert_true(i < n && strlen(line) >= 54);
        for (int k = 0; k < 3; k++) {
            char f[9];
            memcpy(f, line + 30 + 8 * k, 8);
            f[8] = '\0';
            x[3 * i + (size_t)k] = 0.1 * strtod(f, NULL);
        }
        i++;
    }
    fclose(fp);
    assert_int_equal(i, n);
}

void mt_pt_positions(const char *file, size_t n, double *x) {
    FILE *fp = fopen(mt_test_data(file), "rb");
    assert_non_null(fp);
    unsigned char buf[8192];
    size_t len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    int found = 0;
    for (size_t p = 0; p + 30 < len && !found; p++) {
        if (buf[p] != 'P' || buf[p + 1] != 'K' || buf[p + 2] != 3 || buf[p + 3] != 4) continue;
        unsigned method = buf[p + 8] | (unsigned)buf[p + 9] << 8;
        size_t csize = buf[p + 18] | (size_t)buf[p + 19] << 8 | (size_t)buf[p + 20] << 16 | (size_t)buf[p + 21] << 24;
        size_t nlen = buf[p + 26] | (size_t)buf[p + 27] << 8, xlen = buf[p + 28] | (size_t)buf[p + 29] << 8;
        if (p + 30 + nlen > len) break;
        const char *name = (const char *)buf + p + 30;
        if (nlen < 7 || memcmp(name + nlen - 7, "/data/0", 7) != 0) continue;
        assert_int_equal(method, 0);                /* stored */
        assert_true(csize == 24 * n || csize == 0); /* 0: sizes in a data descriptor */
        size_t off = p + 30 + nlen + xlen;
        assert_true(off + csize <= len);
        for (size_t i = 0; i < 3 * n; i++) {
            uint64_t u = 0;
            for (int b = 7; b >= 0; b--) u = u << 8 | buf[off + 8 * i + (size_t)b];
            memcpy(&x[i], &u, sizeof u);
        }
        found = 1;
    }
    assert_true(found);
}
