/* test_conf_cov.c — the crest_cov_r family (harness/metrics/conf_cov*.c) against RDKit and numpy.
 *
 * Reference: tests/metrics/data/conf_cov_ref.txt (tests/metrics/conf_cov_ref.py, RDKit 2022.09.3):
 * two molecules with 2 × n_ref samples each (ETKDG, a mirror image, a heavy atom and a hydrogen pulled
 * away), RDKit GetBestRMS matrices and Adjoint Sampling's calc_performance_stats both ways. COV
 * curves must agree exactly and AMRs within 1e-6 Å (the RMSD tolerance). Also: the statistics on a
 * hand matrix with NaN columns, the committed reference files (every one reads, sha256 checked, a
 * tampered copy is refused), and the relaxed variants being present with their evaluator cost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/conf_cov.h"
#include "harness/metrics/metrics.h"
#include "tasks/molecules/conformers.h"
#include "tests/testmain.h"
#include "tests/tmpdir.h"

BB_TEST(statistics_follow_calc_performance_stats_with_nan_for_failed_samples) {
    /* 2 references x 3 samples; sample 2 failed (NaN column) */
    double D[6] = {0.30, 1.10, NAN, 0.90, 0.20, NAN}, d[3] = {0.0, 0.25, 1.0}, cr[3], cp[3], ar, ap;
    assert_int_equal(bb_conf_cov_stats(2, 3, D, 3, d, cr, &ar, cp, &ap), 1);
    /* recall: r = (0.30, 0.20); precision: m = (0.30, 0.20, NaN) -> COV-P over all 3 samples */
    assert_true(cr[0] == 0.0 && cr[1] == 0.5 && cr[2] == 1.0);
    assert_true(fabs(ar - 0.25) < 1e-15);
    assert_true(cp[0] == 0.0 && fabs(cp[1] - 1.0 / 3.0) < 1e-15 && fabs(cp[2] - 2.0 / 3.0) < 1e-15);
    assert_true(fabs(ap - 0.25) < 1e-15);
    /* strict <: an RMSD equal to delta is not covered */
    double E[1] = {0.25};
    assert_int_equal(bb_conf_cov_stats(1, 1, E, 3, d, cr, &ar, cp, &ap), 1);
    assert_true(cr[1] == 0.0 && cr[2] == 1.0);
    double N[2] = {NAN, NAN};
    assert_int_equal(bb_conf_cov_stats(1, 2, N, 3, d, cr, &ar, cp, &ap), 0);
    assert_true(isnan(ar) && isnan(ap) && isnan(cr[0]) && isnan(cp[2]));
    assert_int_equal(bb_conf_cov_stats(0, 0, N, 3, d, cr, &ar, cp, &ap), 0);
}

static void check_curve(const cJSON *metrics, const char *name, const double *want) {
    const cJSON *e = cJSON_GetObjectItem(metrics, name), *c = cJSON_GetObjectItem(e, "curve");
    assert_non_null(c);
    assert_int_equal(cJSON_GetArraySize(c), BB_CONF_COV_ND);
    for (int k = 0; k < BB_CONF_COV_ND; k++) {
        double v = cJSON_GetArrayItem(c, k)->valuedouble;
        if (fabs(v - want[k]) > 1e-12) printf("  %s[%d] %.17g want %.17g\n", name, k, v, want[k]);
        assert_true(fabs(v - want[k]) <= 1e-12);
    }
    assert_true(cJSON_GetObjectItem(e, "value")->valuedouble == want[8]); /* δ = 1.0 Å */
}

static void check_value(const cJSON *metrics, const char *name, double want) {
    double v = cJSON_GetObjectItem(cJSON_GetObjectItem(metrics, name), "value")->valuedouble;
    printf("  %-28s %.12f  RDKit/numpy %.12f\n", name, v, want);
    assert_true(fabs(v - want) <= 1e-6);
}

BB_TEST(cov_and_amr_equal_rdkit_and_adjoint_samplings_statistics_both_ways) {
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/tests/metrics/data/conf_cov_ref.txt", bb_source_dir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int nmol = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "molecule ", 9) != 0) continue;
        char hash[64], id[80];
        int natom, ng, nheavy_ok, nvalid;
        assert_int_equal(sscanf(line + 9, "%63s %d %d %d %d", hash, &natom, &ng, &nheavy_ok, &nvalid), 5);
        bb_samples s = {0};
        assert_int_equal(bb_samples_alloc(&s, (size_t)ng, 3 * (size_t)natom, 0), BB_OK);
        for (int i = 0; i < ng * natom; i++) {
            assert_non_null(fgets(line, sizeof line, f));
            assert_int_equal(sscanf(line, "%lf %lf %lf", s.x + 3 * i, s.x + 3 * i + 1, s.x + 3 * i + 2), 3);
        }
        double want[2][4][BB_CONF_COV_ND];
        for (int w = 0; w < 2; w++)
            for (int q = 0; q < 4; q++) {
                assert_non_null(fgets(line, sizeof line, f));
                char *p = strchr(strchr(line, ' ') + 1, ' ') + 1;
                for (int k = 0; k < ((q & 1) ? 1 : BB_CONF_COV_ND); k++) want[w][q][k] = strtod(p, &p);
            }
        snprintf(id, sizeof id, "conf-%s@1", hash);
        bb_ctx c = {0};
        bb_task *t = NULL;
        assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
        char grp[48];
        snprintf(grp, sizeof grp, "conformers-rot%d", bb_conformer_of_type(t->type)->rotatable_bonds);
        assert_string_equal(t->group, grp); /* what `table --by-group` aggregates by */
        double *u = calloc((size_t)ng, sizeof(double));
        assert_int_equal(bb_task_energy(t, (size_t)ng, s.x, u, NULL, &c), BB_OK);
        bb_eval_input in = {.task = t, .samples = &s, .u_samples = u, .seed = 11};
        const char *names[] = {"crest_cov_r"};
        cJSON *m = cJSON_CreateObject();
        int rc = bb_metrics_compute_only(&in, 0, names, 1, m, &c);
        if (rc) printf("%s\n", c.msg);
        assert_int_equal(rc, BB_OK);
        printf(" %s: %d samples, %d with the heavy-atom graph, %d valid\n", hash, ng, nheavy_ok, nvalid);
        const cJSON *head = cJSON_GetObjectItem(m, "crest_cov_r");
        assert_int_equal(cJSON_GetObjectItem(head, "n_heavy_graph_ok")->valueint, nheavy_ok);
        assert_int_equal(cJSON_GetObjectItem(head, "n_valid")->valueint, nvalid);
        static const char *const way[2] = {"", "_valid"};
        for (int w = 0; w < 2; w++) {
            char n1[64];
            snprintf(n1, sizeof n1, "crest_cov_r%s", way[w]);
            check_curve(m, n1, want[w][0]);
            snprintf(n1, sizeof n1, "crest_amr_r%s", way[w]);
            check_value(m, n1, want[w][1][0]);
            snprintf(n1, sizeof n1, "crest_cov_p%s", way[w]);
            check_curve(m, n1, want[w][2]);
            snprintf(n1, sizeof n1, "crest_amr_p%s", way[w]);
            check_value(m, n1, want[w][3][0]);
        }
        /* relaxed: present, costed, and relaxing toward MMFF94s minima does not break bonds */
        const cJSON *rl = cJSON_GetObjectItem(m, "crest_cov_r_relaxed");
        assert_non_null(rl);
        assert_true(cJSON_GetObjectItem(rl, "evaluator_energy_evals")->valuedouble > ng);
        assert_non_null(cJSON_GetObjectItem(m, "crest_amr_p_valid_relaxed"));
        assert_false(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "crest_amr_r"), "higher_is_better")->valueint);
        cJSON_Delete(m);
        free(u);
        bb_task_free(t);
        bb_samples_free(&s);
        nmol++;
    }
    fclose(f);
    assert_int_equal(nmol, 2);
}

BB_TEST(every_reference_file_reads_with_its_sha256_and_a_tampered_copy_is_refused) {
    size_t total = 0;
    for (int k = 0; k < BB_CONFORMER_COUNT; k++) {
        const bb_conformer_molecule *m = &bb_conformer_molecules[k];
        if (!m->n_crest) continue;
        char path[4096];
        bb_crest cr;
        bb_ctx c = {0};
        assert_int_equal(bb_crest_path(m->hash, path, sizeof path), BB_OK);
        int rc = bb_crest_read(path, m->hash, m->natom, &cr, &c);
        if (rc) printf("%s\n", c.msg);
        assert_int_equal(rc, BB_OK);
        assert_int_equal(cr.nheavy, m->nheavy);
        assert_int_equal(cr.n_total, (size_t)m->n_crest);
        assert_int_equal(cr.n, (size_t)(m->n_crest < 512 ? m->n_crest : 512));
        total += cr.n;
        bb_crest_free(&cr);
    }
    printf("  %zu reference conformers in 80 files\n", total);
    /* a copy with one byte changed next to a SHA256SUMS that lists the original */
    char dir[512], src[4096], dst[4096], sums[4096];
    assert_int_equal(bb_test_mkdtemp(dir, sizeof dir, "bb_conf_cov"), 0);
    bb_crest_path("rot3_558669a5be", src, sizeof src);
    char *data = NULL, *st = NULL;
    size_t len = 0, slen = 0;
    bb_ctx c = {0};
    assert_int_equal(bb_read_file(src, 1 << 20, &data, &len, &c), BB_OK);
    snprintf(sums, sizeof sums, "%s/datasets/conformers/crest/SHA256SUMS", bb_source_dir());
    assert_int_equal(bb_read_file(sums, 1 << 20, &st, &slen, &c), BB_OK);
    snprintf(dst, sizeof dst, "%s/SHA256SUMS", dir);
    assert_int_equal(bb_write_file_atomic(dst, st, slen, &c), BB_OK);
    data[len / 2] ^= 1;
    snprintf(dst, sizeof dst, "%s/rot3_558669a5be.heavy.gz", dir);
    assert_int_equal(bb_write_file_atomic(dst, data, len, &c), BB_OK);
    bb_crest cr;
    assert_int_equal(bb_crest_read(dst, "rot3_558669a5be", 19, &cr, &c), BB_EHASH);
    printf("  %s\n", c.msg);
    /* the right file for the wrong molecule (atom count) */
    assert_int_equal(bb_crest_read(src, "rot3_558669a5be", 20, &cr, &c), BB_EFORMAT);
    printf("  %s\n", c.msg);
    free(data);
    free(st);
    unlink(dst);
    snprintf(dst, sizeof dst, "%s/SHA256SUMS", dir);
    unlink(dst);
    rmdir(dir);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(statistics_follow_calc_performance_stats_with_nan_for_failed_samples),
             cmocka_unit_test(cov_and_amr_equal_rdkit_and_adjoint_samplings_statistics_both_ways),
             cmocka_unit_test(every_reference_file_reads_with_its_sha256_and_a_tampered_copy_is_refused))
