/* test_prmtop.c — the AMBER prmtop/inpcrd reader: contents of the shipped files, the old-style
 * (AMBER 6, no %FLAG) layout, and one clear error — naming file, flag and line — for each kind
 * of malformed input (missing flag, wrong count, bad number, truncated file, bad format,
 * out-of-range index, atom-count mismatch with the inpcrd).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/core/fileio.h"
#include "tests/molecules/moltest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testmain.h"

static char *slurp(const char *file, size_t *len) {
    bb_ctx c = {0};
    char *t = NULL;
    assert_int_equal(bb_read_file(mt_task_data(file), 1 << 22, &t, len, &c), BB_OK);
    return t;
}

BB_TEST(shipped_topologies_are_read_completely) {
    bb_ctx c = {0};
    bb_prmtop *p = NULL;
    assert_int_equal(bb_prmtop_read(mt_task_data("aldp-ff96-mbondi2.prmtop"), &p, &c), BB_OK);
    assert_int_equal(p->natom, 22);
    assert_int_equal(p->nres, 3);
    assert_false(p->old_style);
    assert_string_equal(p->atom_name[0], "HH31");
    assert_string_equal(p->atom_name[21], "HH33");
    assert_string_equal(p->res_label[1], "ALA");
    assert_int_equal(p->res_pointer[1], 7);
    assert_int_equal(p->nbonh + p->mbona, 21);
    assert_true(fabs(p->mass[1] - 12.01) < 1e-12);
    assert_null(p->scee); /* ff96 prmtop of 2009: no SCEE/SCNB flags, defaults 1.2/2.0 apply */
    assert_non_null(p->radii);
    assert_non_null(p->screen);
    assert_true(fabs(p->radii[0] - 1.2) < 1e-12 && fabs(p->screen[0] - 0.85) < 1e-12);
    long sum = 0;
    for (int i = 0; i < p->natom; i++) sum += p->num_excluded[i];
    assert_int_equal(sum, p->next);
    bb_prmtop_free(p);

    assert_int_equal(bb_prmtop_read(mt_task_data("al3-ff14sb-mbondi2.prmtop"), &p, &c), BB_OK);
    assert_int_equal(p->natom, 33);
    assert_non_null(p->scee);
    int n1 = 0;
    for (int k = 0; k < p->nptra; k++) {
        assert_true(p->scee[k] == 1.2 || p->scee[k] == 1.0);
        n1 += p->scee[k] == 1.0;
    }
    printf("al3: %d dihedral types, %d with SCEE 1.0\n", p->nptra, n1);
    assert_true(n1 > 0);
    bb_prmtop_free(p);
    bb_prmtop_free(NULL);

    double x[66];
    assert_int_equal(bb_inpcrd_read(mt_task_data("aldp-ff96-mbondi2.crd"), 22, x, &c), BB_OK);
    assert_true(fabs(x[0] - 0.2000001) < 1e-15 && fabs(x[2] - (-0.00000013)) < 1e-15);
}

/* Write a parsed topology back in the old AMBER 6 layout (12I6 / 5E16.8 / 20a4). */
static void put_i(FILE *f, const int *v, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(f, "%6d%s", v[i], (i % 12 == 11 || i + 1 == n) ? "\n" : "");
    if (n == 0) fputc('\n', f);
}
static void put_e(FILE *f, const double *v, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(f, "%16.8E%s", v[i], (i % 5 == 4 || i + 1 == n) ? "\n" : "");
    if (n == 0) fputc('\n', f);
}
static void put_a(FILE *f, char (*v)[5], size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(f, "%-4s%s", v[i], (i % 20 == 19 || i + 1 == n) ? "\n" : "");
    if (n == 0) fputc('\n', f);
}

BB_TEST(old_style_layout_gives_the_same_topology) {
    bb_ctx c = {0};
    bb_prmtop *p = NULL, *q = NULL;
    assert_int_equal(bb_prmtop_read(mt_task_data("aldp-ff96-mbondi2.prmtop"), &p, &c), BB_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int ptr[30] = {0};
    ptr[0] = p->natom, ptr[1] = p->ntypes, ptr[2] = p->nbonh, ptr[3] = p->mbona, ptr[4] = p->ntheth;
    ptr[5] = p->mtheta, ptr[6] = p->nphih, ptr[7] = p->mphia, ptr[10] = p->next, ptr[11] = p->nres;
    ptr[12] = p->mbona, ptr[13] = p->mtheta, ptr[14] = p->mphia, ptr[15] = p->numbnd, ptr[16] = p->numang;
    ptr[17] = p->nptra, ptr[18] = 1, ptr[19] = 0;
    size_t N = (size_t)p->natom, T = (size_t)p->ntypes;
    double solty = 0.0;
    fprintf(f, "%s\n", p->title);
    put_i(f, ptr, 30);
    put_a(f, p->atom_name, N);
    put_e(f, p->charge, N);
    put_e(f, p->mass, N);
    put_i(f, p->atom_type_index, N);
    put_i(f, p->num_excluded, N);
    put_i(f, p->nb_parm_index, T * T);
    put_a(f, p->res_label, (size_t)p->nres);
    put_i(f, p->res_pointer, (size_t)p->nres);
    put_e(f, p->bond_k, (size_t)p->numbnd);
    put_e(f, p->bond_r0, (size_t)p->numbnd);
    put_e(f, p->angle_k, (size_t)p->numang);
    put_e(f, p->angle_t0, (size_t)p->numang);
    put_e(f, p->dih_k, (size_t)p->nptra);
    put_e(f, p->dih_period, (size_t)p->nptra);
    put_e(f, p->dih_phase, (size_t)p->nptra);
    put_e(f, &solty, 1);
    put_e(f, p->lj_acoef, T * (T + 1) / 2);
    put_e(f, p->lj_bcoef, T * (T + 1) / 2);
    put_i(f, p->bonds_h, 3 * (size_t)p->nbonh);
    put_i(f, p->bonds_a, 3 * (size_t)p->mbona);
    put_i(f, p->angles_h, 4 * (size_t)p->ntheth);
    put_i(f, p->angles_a, 4 * (size_t)p->mtheta);
    put_i(f, p->dih_h, 5 * (size_t)p->nphih);
    put_i(f, p->dih_a, 5 * (size_t)p->mphia);
    put_i(f, p->excluded, (size_t)p->next);
    put_e(f, NULL, 0); /* HBOND_ACOEF, NPHB = 0: one blank line each */
    put_e(f, NULL, 0);
    fclose(f);
    int rc = bb_prmtop_parse(buf, len, "old.prmtop", &q, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_true(q->old_style);
    assert_int_equal(q->natom, p->natom);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(q->atom_name[i], p->atom_name[i]);
        assert_true(q->charge[i] == p->charge[i]);
    }
    assert_memory_equal(q->dih_a, p->dih_a, 5 * (size_t)p->mphia * sizeof(int));
    assert_memory_equal(q->excluded, p->excluded, (size_t)p->next * sizeof(int));
    assert_null(q->radii); /* old files carry no GB radii */
    bb_amber_options opt = {.obc1 = 1, .cutoff_nm = 0.0};
    bb_amber *ff = NULL;
    assert_int_equal(bb_amber_create(q, "old.prmtop", &opt, &ff, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "RADII"));
    /* vacuum energies agree between the layouts */
    opt.obc1 = 0;
    bb_amber *fa = NULL, *fb = NULL;
    assert_int_equal(bb_amber_create(p, "new", &opt, &fa, &c), BB_OK);
    assert_int_equal(bb_amber_create(q, "old", &opt, &fb, &c), BB_OK);
    double x[66], *w = malloc(bb_amber_work_size(fa) * sizeof *w);
    assert_non_null(w);
    assert_int_equal(bb_inpcrd_read(mt_task_data("aldp-ff96-mbondi2.crd"), 22, x, &c), BB_OK);
    double ea = bb_amber_energy(fa, x, NULL, NULL, w), eb = bb_amber_energy(fb, x, NULL, NULL, w);
    printf("vacuum energy new/old layout: %.10f %.10f\n", ea, eb);
    assert_true(fabs(ea - eb) < 1e-9);
    /* a truncated old-style file is an error, not a crash */
    bb_prmtop_free(q);
    q = NULL;
    assert_int_equal(bb_prmtop_parse(buf, len / 2, "old.prmtop", &q, &c), BB_EFORMAT);
    printf("  -> %s\n", c.msg);
    assert_null(q);
    bb_amber_free(fa);
    bb_amber_free(fb);
    free(w);
    free(buf);
    bb_prmtop_free(p);
}

/* Replace the first occurrence of `from` with `to` in a copy of text. */
static char *edit(const char *text, size_t len, const char *from, const char *to, size_t *out_len) {
    const char *at = strstr(text, from);
    assert_non_null(at);
    size_t a = (size_t)(at - text), lf = strlen(from), lt = strlen(to);
    char *o = malloc(len - lf + lt + 1);
    memcpy(o, text, a);
    memcpy(o + a, to, lt);
    memcpy(o + a + lt, at + lf, len - a - lf);
    *out_len = len - lf + lt;
    o[*out_len] = '\0';
    return o;
}

static void expect_error(const char *text, size_t len, int code, const char *const *needles) {
    bb_ctx c = {0};
    bb_prmtop *p = (bb_prmtop *)(uintptr_t)1;
    int rc = bb_prmtop_parse(text, len, "bad.prmtop", &p, &c);
    printf("  -> %s\n", c.msg);
    assert_int_equal(rc, code);
    assert_null(p);
    assert_non_null(strstr(c.msg, "bad.prmtop"));
    for (; *needles; needles++) assert_non_null(strstr(c.msg, *needles));
}

BB_TEST(malformed_topologies_give_one_clear_error) {
    size_t len, l2;
    char *t = slurp("aldp-ff96-mbondi2.prmtop", &len);
    char *b;
    /* missing flag */
    b = edit(t, len, "%FLAG MASS", "%FLAG MASX", &l2);
    expect_error(b, l2, BB_EFORMAT, (const char *const[]){"%FLAG MASS", "missing", NULL});
    free(b);
    /* wrong count: the last CHARGE line (2 values) removed */
    const char *cl = strstr(t, "%FLAG MASS");
    const char *prev = cl - 1;
    while (prev > t && prev[-1] != '\n') prev--;
    size_t cut = (size_t)(prev - t), cl_len = (size_t)(cl - prev);
    b = malloc(len);
    memcpy(b, t, cut);
    memcpy(b + cut, cl, len - cut - cl_len);
    expect_error(b, len - cl_len, BB_EFORMAT,
                 (const char *const[]){"%FLAG CHARGE", "line", "22 values expected", NULL});
    free(b);
    /* bad number */
    b = edit(t, len, "1.20000000E+00", "1.2000000XE+00", &l2);
    expect_error(b, l2, BB_EFORMAT, (const char *const[]){"bad number", "line ", NULL});
    free(b);
    /* bad integer in POINTERS */
    b = edit(t, len, "      22       7", "      2Z       7", &l2);
    expect_error(b, l2, BB_EFORMAT, (const char *const[]){"%FLAG POINTERS", "bad integer", "line 7", NULL});
    free(b);
    /* unreadable format */
    b = edit(t, len, "%FORMAT(5E16.8)", "%FORMAT(5Q16.8)", &l2);
    expect_error(b, l2, BB_EFORMAT, (const char *const[]){"%FORMAT", "line 16", NULL});
    free(b);
    /* out-of-range index: first bond pointer beyond the atoms */
    const char *bh = strstr(t, "%FLAG BONDS_INC_HYDROGEN");
    const char *data = strchr(strchr(bh, '\n') + 1, '\n') + 1;
    b = malloc(len + 1);
    memcpy(b, t, len + 1);
    memcpy(b + (data - t), "     300", 8);
    expect_error(b, len, BB_EFORMAT, (const char *const[]){"BONDS_INC_HYDROGEN", "bad atom pointer 300", NULL});
    free(b);
    /* duplicated flag */
    b = edit(t, len, "%FLAG SCREEN", "%FLAG RADII ", &l2);
    expect_error(b, l2, BB_EFORMAT, (const char *const[]){"%FLAG RADII", "twice", NULL});
    free(b);
    /* NUL byte */
    b = malloc(len + 1);
    memcpy(b, t, len + 1);
    b[100] = '\0';
    expect_error(b, len, BB_EFORMAT, (const char *const[]){"NUL", "line 2", NULL});
    free(b);
    /* truncated at every 97th byte: always an error, never a crash (ASan/UBSan builds check) */
    int errors = 0;
    for (size_t n = 0; n < len - 1; n += 97) {
        bb_ctx c = {0};
        bb_prmtop *p = NULL;
        int rc = bb_prmtop_parse(t, n, "cut.prmtop", &p, &c);
        errors += rc != BB_OK;
        if (rc == BB_OK) printf("  accepted a cut at byte %zu of %zu\n", n, len);
        assert_true(rc == BB_OK || (p == NULL && strstr(c.msg, "cut.prmtop")));
        bb_prmtop_free(p);
    }
    printf("truncations rejected: %d of %zu\n", errors, (len - 2) / 97 + 1);
    assert_int_equal(errors, (int)((len - 2) / 97 + 1));
    free(t);
    bb_prmtop *p = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_prmtop_read("/nonexistent/x.prmtop", &p, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "/nonexistent/x.prmtop"));
}

BB_TEST(inpcrd_errors_name_file_line_and_counts) {
    size_t len, l2;
    char *t = slurp("aldp-ff96-mbondi2.crd", &len);
    double x[99];
    bb_ctx c = {0};
    assert_int_equal(bb_inpcrd_parse(t, len, "a.crd", 33, x, &c), BB_EFORMAT);
    printf("  -> %s\n", c.msg);
    assert_non_null(strstr(c.msg, "a.crd: line 2: 22 atoms, the topology has 33"));
    assert_int_equal(bb_inpcrd_parse(t, len / 2, "a.crd", 22, x, &c), BB_EFORMAT);
    printf("  -> %s\n", c.msg);
    assert_non_null(strstr(c.msg, "truncated"));
    char *b = edit(t, len, "2.0900000", "2.09OOOOO", &l2);
    assert_int_equal(bb_inpcrd_parse(b, l2, "a.crd", 22, x, &c), BB_EFORMAT);
    printf("  -> %s\n", c.msg);
    assert_non_null(strstr(c.msg, "line 3: bad number"));
    free(b);
    b = edit(t, len, "    22", "   abc", &l2);
    assert_int_equal(bb_inpcrd_parse(b, l2, "a.crd", 22, x, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "bad atom count"));
    free(b);
    assert_int_equal(bb_inpcrd_parse("title\n", 6, "a.crd", 22, x, &c), BB_EFORMAT);
    assert_int_equal(bb_inpcrd_read("/nonexistent.crd", 22, x, &c), BB_ENOTFOUND);
    free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(shipped_topologies_are_read_completely),
             cmocka_unit_test(old_style_layout_gives_the_same_topology),
             cmocka_unit_test(malformed_topologies_give_one_clear_error),
             cmocka_unit_test(inpcrd_errors_name_file_line_and_counts))
