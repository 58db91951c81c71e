/* test_peptide.c — the peptide metrics against exact values and independent computations:
 * periodic binning, KL/JS of known histograms, the dihedral gradient against finite
 * differences, chirality of a structure and its mirror image, rama_js / rama_kl / dihedral_js
 * against numpy + scipy (through /usr/bin/python3; skipped cleanly without them), the
 * catalogue reader/matcher on the committed ALDP catalogue, and minima_recall on aldp-fab with
 * samples near catalogued minima plus a mirror image (a new minimum, never flipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "datasets/npy.h"
#include "harness/core/rng.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/metrics/peptide.h"
#include "tasks/task.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

BB_TEST(periodic_bins_wrap_at_pi) {
    assert_int_equal(bb_periodic_bin(-M_PI, 60), 0);
    assert_int_equal(bb_periodic_bin(M_PI, 60), 0);         /* π ≡ −π */
    assert_int_equal(bb_periodic_bin(M_PI - 1e-9, 60), 59); /* (within rounding of π it is −π: bin 0) */
    assert_int_equal(bb_periodic_bin(0.0, 60), 30);
    assert_int_equal(bb_periodic_bin(-M_PI + 2.0 * M_PI / 60 * 7.5, 60), 7);
    assert_int_equal(bb_periodic_bin(3.0 * M_PI / 2.0, 4), 1); /* = −π/2 */
    double a[3] = {-M_PI, 0.1, M_PI}, b[3] = {0.0, 0.0, -M_PI}, m[16];
    bb_ctx c = {0};
    assert_int_equal(bb_periodic_hist2d(3, a, b, 1, NULL, 4, m, &c), BB_OK);
    CHECK_CLOSE(m[2 * 4 + 0], 1.0 / 3, 1e-15); /* (−π, 0): a bin 0, b bin 2 */
    CHECK_CLOSE(m[2 * 4 + 2], 1.0 / 3, 1e-15);
    CHECK_CLOSE(m[0 * 4 + 0], 1.0 / 3, 1e-15); /* (π, −π) */
    a[1] = NAN;
    assert_int_equal(bb_periodic_hist2d(3, a, b, 1, NULL, 4, m, &c), BB_EINVAL);
}

/* p = (½, ½, 0), q = (¼, ¼, ½): KL(p‖q) = ln 2, KL(q‖p) = +inf without ε, JS by hand. */
BB_TEST(kl_and_js_of_known_histograms) {
    double p[3] = {0.5, 0.5, 0.0}, q[3] = {0.25, 0.25, 0.5};
    CHECK_CLOSE(bb_kl_divergence(3, p, q, 0.0), log(2.0), 1e-15);
    assert_true(isinf(bb_kl_divergence(3, q, p, 0.0)));
    double e = 1e-10, z = 1 + 3 * e; /* ε-regularised: (m + ε)/(1 + 3ε) */
    double want = (0.25 + e) / z * log((0.25 + e) / (0.5 + e)) * 2 + (0.5 + e) / z * log((0.5 + e) / e);
    CHECK_CLOSE(bb_kl_divergence(3, q, p, e), want, 1e-12);
    /* m = (3/8, 3/8, 1/4): JS = ½[2·½ ln(4/3)] + ½[2·¼ ln(2/3) + ½ ln 2] */
    double js = 0.5 * log(4.0 / 3.0) + 0.5 * (0.5 * log(2.0 / 3.0) + 0.5 * log(2.0));
    CHECK_CLOSE(bb_js_divergence(3, p, q), js, 1e-15);
    CHECK_CLOSE(bb_js_divergence(3, p, p), 0.0, 0.0);
    double r[2] = {1, 0}, s[2] = {0, 1};
    CHECK_CLOSE(bb_js_divergence(2, r, s), log(2.0), 1e-15); /* disjoint: the bound ln 2 */
}

BB_TEST(dihedral_gradient_matches_finite_differences) {
    bb_rng r;
    bb_rng_init(&r, 7, 3);
    for (int trial = 0; trial < 20; trial++) {
        double x[12], g[12];
        for (int k = 0; k < 12; k++) x[k] = 2.385 * bb_rng_normal(&r);
        int a[4] = {0, 1, 2, 3};
        double phi = bb_dihedral_grad(x, a, g), worst = 0.0;
        assert_true(fabs(phi - bb_dihedral_angle(x, a)) == 0.0);
        for (int k = 0; k < 12; k++) {
            double h = 1e-5, v[4], x0 = x[k];
            for (int s = 0; s < 4; s++) {
                x[k] = x0 + (s < 2 ? (s == 0 ? -2 : -1) : (s == 2 ? 1 : 2)) * h;
                v[s] = bb_dihedral_angle(x, a);
            }
            x[k] = x0;
            for (int s = 1; s < 4; s++) v[s] = v[0] + remainder(v[s] - v[0], 2 * M_PI); /* no wrap inside */
            double fd = (v[0] - 8 * v[1] + 8 * v[2] - v[3]) / (12 * h);
            worst = fmax(worst, fabs(fd - g[k]) / fmax(1.0, fabs(fd)));
        }
        assert_true(worst < 1e-7);
    }
}

/* The task's starting structure is L-ALDP; its mirror image (x → −x) is D. */
BB_TEST(chirality_of_a_structure_and_its_mirror_image) {
    bb_task *t = bb_test_task("aldp-pita");
    const bb_molecule *m = bb_task_molecule(t);
    assert_non_null(m);
    int quads[4 * 8];
    int nc = bb_pep_chiral_centres(m, quads);
    assert_int_equal(nc, 1);
    assert_int_equal(quads[0], 6), assert_int_equal(quads[1], 8), assert_int_equal(quads[2], 14);
    assert_int_equal(quads[3], 10);
    bb_rng r;
    bb_rng_init(&r, 3, 0);
    bb_samples s = {0};
    assert_int_equal(bb_samples_alloc(&s, 4, (size_t)t->dof, 0), BB_OK);
    bb_ctx c = {0};
    assert_int_equal(bb_task_initial(t, 4, &r, s.x, &c), BB_OK);
    assert_int_equal(bb_pep_all_l(nc, quads, s.x), 1);
    for (size_t k = 0; k < (size_t)t->dof; k++) s.x[3 * (size_t)t->dof + k] *= -1.0; /* one mirror image */
    assert_int_equal(bb_pep_all_l(nc, quads, s.x + 3 * (size_t)t->dof), 0);
    bb_eval_input in = {.task = t, .samples = &s, .seed = 1};
    cJSON *out = cJSON_CreateObject();
    const char *names[] = {"chirality_all_l"};
    assert_int_equal(bb_metrics_compute_only(&in, 0, names, 1, out, &c), BB_OK);
    const cJSON *e = cJSON_GetObjectItem(out, "chirality_all_l");
    CHECK_CLOSE(cJSON_GetObjectItem(e, "value")->valuedouble, 0.75, 0.0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "higher_is_better")));
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_task_free(t);
}

static int have_scipy(void) {
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import numpy, scipy' > /dev/null 2>&1") != 0) {
        printf("skip: /usr/bin/python3 with numpy and scipy not found\n");
        return 0;
    }
    return 1;
}

/* numpy: IUPAC dihedrals (atan2 form), np.histogram2d on 60 x 60 edges over [-180, 180] with
 * 180 mapped to -180, scipy.spatial.distance.jensenshannon(p, q)**2 (natural log), KL with ε. */
static const char *PY =
    "import sys, numpy as np\n"
    "from scipy.spatial.distance import jensenshannon\n"
    "d = sys.argv[1]\n"
    "def dih(x, a):\n"
    "    p = x.reshape(len(x), -1, 3); b1 = p[:, a[1]] - p[:, a[0]]; b2 = p[:, a[2]] - p[:, a[1]]; b3 = p[:, a[3]] - "
    "p[:, a[2]]\n"
    "    n1 = np.cross(b1, b2); n2 = np.cross(b2, b3)\n"
    "    y = np.linalg.norm(b2, axis=1) * np.einsum('ij,ij->i', b1, n2)\n"
    "    v = np.degrees(np.arctan2(y, np.einsum('ij,ij->i', n1, n2))); v[v >= 180] -= 360; return v\n"
    "e = np.linspace(-180, 180, 61)\n"
    "def h2(x):\n"
    "    h, _, _ = np.histogram2d(dih(x, (4, 6, 8, 14)), dih(x, (6, 8, 14, 16)), bins=[e, e]); return (h / "
    "h.sum()).T.ravel()\n"
    "def h1(x, a):\n"
    "    h, _ = np.histogram(dih(x, a), bins=e); return h / h.sum()\n"
    "S = np.load(d + '/s.npy'); R = np.load(d + '/r.npy')\n"
    "p, q = h2(S), h2(R); eps = 1e-10; C = len(p)\n"
    "pt, qt = (p + eps) / (1 + C * eps), (q + eps) / (1 + C * eps)\n"
    "kl = float(np.sum(qt * np.log(qt / pt)))\n"
    "quads = [(4, 6, 8, 14), (6, 8, 14, 16), (1, 4, 6, 8), (8, 14, 16, 18)]\n"
    "djs = np.mean([jensenshannon(h1(S, a), h1(R, a)) ** 2 for a in quads])\n"
    "def pops(x):\n"
    "    f, s = dih(x, (4, 6, 8, 14)), dih(x, (6, 8, 14, 16))\n"
    "    b = np.where(f > 0, 3, np.where((s > -120) & (s <= 50), 0, np.where(f <= -90, 1, 2)))\n"
    "    return np.bincount(b, minlength=4) / len(x)\n"
    "ps, pr = pops(S), pops(R); dF = -np.log(np.maximum(ps, 0.5 / len(S)) / pr)\n"
    "bdf = float(np.max(np.abs(dF[pr >= 0.01])))\n"
    "print(repr(float(jensenshannon(p, q) ** 2)), repr(kl), repr(float(djs)), repr(bdf))\n";

BB_TEST(rama_and_dihedral_divergences_agree_with_numpy_and_scipy) {
    if (!have_scipy()) skip();
    bb_task *t = bb_test_task("aldp-fab");
    size_t n = 600, nr = 900, dof = (size_t)t->dof;
    bb_samples s = {0}, ref = {0};
    assert_int_equal(bb_samples_alloc(&s, n, dof, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&ref, nr, dof, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 11, 0);
    bb_ctx c = {0};
    /* broad noise around the minimum so that the dihedrals spread over many bins */
    assert_int_equal(bb_task_initial(t, n, &r, s.x, &c), BB_OK);
    assert_int_equal(bb_task_initial(t, nr, &r, ref.x, &c), BB_OK);
    for (size_t i = 0; i < n * dof; i++) s.x[i] += 0.03 * bb_rng_normal(&r);
    for (size_t i = 0; i < nr * dof; i++) ref.x[i] += 0.025 * bb_rng_normal(&r);
    char dir[] = "/tmp/bbramaXXXXXX", p[600], cmd[1400];
    assert_non_null(mkdtemp(dir));
    size_t sh[2] = {n, dof};
    snprintf(p, sizeof p, "%s/s.npy", dir);
    assert_int_equal(bb_npy_write(p, s.x, 2, sh, &c), BB_OK);
    sh[0] = nr;
    snprintf(p, sizeof p, "%s/r.npy", dir);
    assert_int_equal(bb_npy_write(p, ref.x, 2, sh, &c), BB_OK);
    snprintf(p, sizeof p, "%s/x.py", dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(PY, fp);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s > %s/out.txt", p, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/out.txt", dir);
    fp = fopen(p, "r");
    double py[4];
    assert_int_equal(fscanf(fp, "%lf %lf %lf %lf", &py[0], &py[1], &py[2], &py[3]), 4);
    fclose(fp);
    bb_eval_input in = {.task = t, .samples = &s, .reference = &ref, .seed = 5};
    cJSON *out = cJSON_CreateObject();
    const char *names[] = {"rama_js", "dihedral_js", "basin_dF"};
    assert_int_equal(bb_metrics_compute_only(&in, 0, names, 3, out, &c), BB_OK);
    double bdf = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "basin_dF"), "value")->valuedouble;
    CHECK_CLOSE(bdf, py[3], 1e-12);
    assert_true(bdf > 0.0);
    double js = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "rama_js"), "value")->valuedouble;
    double kl = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "rama_kl"), "value")->valuedouble;
    double dj = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "dihedral_js"), "value")->valuedouble;
    CHECK_CLOSE(js, py[0], 1e-12);
    CHECK_CLOSE(kl, py[1], 1e-9 * py[1]);
    CHECK_CLOSE(dj, py[2], 1e-12);
    assert_true(js > 0.01);
    const cJSON *h = cJSON_GetObjectItem(out, "rama_histogram_phi2_psi2");
    assert_string_equal(cJSON_GetObjectItem(h, "kind")->valuestring, "histogram2d");
    assert_string_equal(cJSON_GetObjectItem(h, "scale")->valuestring, "free_energy");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(h, "density_samples")), 3600);
    double fl = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "rama_js"), "floor_ref_vs_ref")->valuedouble;
    assert_true(fl > 0.0 && isfinite(fl));
    /* identical sets: every divergence 0 */
    in.samples = &ref;
    cJSON_Delete(out);
    out = cJSON_CreateObject();
    assert_int_equal(bb_metrics_compute_only(&in, 0, names, 3, out, &c), BB_OK);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "rama_js"), "value")->valuedouble, 0.0, 0.0);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "basin_dF"), "value")->valuedouble, 0.0, 0.0);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "rama_kl"), "value")->valuedouble, 0.0, 1e-15);
    cJSON_Delete(out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    bb_samples_free(&s);
    bb_samples_free(&ref);
    bb_task_free(t);
}

/* Samples: 4 x the β/C5 minimum; reference: 2 x β/C5 + 2 x αR. dF(β) = −ln(1 / ½) = −ln 2,
 * dF(αR) = −ln((1/8) / ½) = ln 4 (the empty basin floored at half a sample): basin_dF = ln 4. */
BB_TEST(basin_free_energy_differences_of_known_populations) {
    bb_task *t = bb_test_task("aldp-fab");
    char path[4096];
    assert_int_equal(bb_pepmin_catalogue_path(t, path, sizeof path), BB_OK);
    bb_pepmin_cat cat;
    bb_ctx c = {0};
    assert_int_equal(bb_pepmin_read(path, bb_task_molecule(t), &cat, &c), BB_OK);
    bb_samples s = {0}, ref = {0};
    assert_int_equal(bb_samples_alloc(&s, 4, 66, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&ref, 4, 66, 0), BB_OK);
    for (size_t i = 0; i < 4; i++) {
        memcpy(s.x + i * 66, cat.x, 66 * sizeof(double));
        memcpy(ref.x + i * 66, cat.x + (i < 2 ? 0 : 2) * 66, 66 * sizeof(double)); /* entry 2: αR */
    }
    bb_eval_input in = {.task = t, .samples = &s, .reference = &ref, .seed = 1};
    cJSON *out = cJSON_CreateObject();
    const char *names[] = {"basin_dF"};
    assert_int_equal(bb_metrics_compute_only(&in, 0, names, 1, out, &c), BB_OK);
    const cJSON *e = cJSON_GetObjectItem(out, "basin_dF");
    CHECK_CLOSE(cJSON_GetObjectItem(e, "value")->valuedouble, log(4.0), 1e-15);
    const cJSON *r2 = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "per_residue"), "2");
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(r2, "beta_C5"), "dF_kT")->valuedouble, -log(2.0), 1e-15);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(r2, "alpha_R"), "p_reference")->valuedouble, 0.5, 0.0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(r2, "alpha_L_C7ax"), "dF_kT")));
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_samples_free(&ref);
    bb_pepmin_free(&cat);
    bb_task_free(t);
}

/* The committed FAB catalogue: 7 minima, ascending, angles recomputed from the coordinates
 * agree with the listed ones to 0.01°; matching and a write/read round trip. */
BB_TEST(catalogue_reads_matches_and_round_trips) {
    bb_task *t = bb_test_task("aldp-fab");
    const bb_molecule *m = bb_task_molecule(t);
    char path[4096], out[600];
    assert_int_equal(bb_pepmin_catalogue_path(t, path, sizeof path), BB_OK);
    bb_pepmin_cat cat, back;
    bb_ctx c = {0};
    assert_int_equal(bb_pepmin_read(path, m, &cat, &c), BB_OK);
    assert_int_equal((int)cat.n, 7);
    assert_int_equal(cat.na, 2);
    CHECK_CLOSE(cat.E[0], -173.1705, 1e-9);
    CHECK_CLOSE(cat.ang[0] * 180 / M_PI, -145.64, 0.01);
    CHECK_CLOSE(cat.ang[1] * 180 / M_PI, 160.90, 0.01);
    for (size_t i = 1; i < cat.n; i++) assert_true(cat.E[i] >= cat.E[i - 1]);
    double atol = 10 * M_PI / 180;
    double a[2] = {cat.ang[2] + 9.0 * M_PI / 180, cat.ang[3] - 9.0 * M_PI / 180};
    assert_int_equal(bb_pepmin_match(&cat, a, cat.E[1] + 0.4, atol, 0.5), 1);
    assert_int_equal(bb_pepmin_match(&cat, a, cat.E[1] + 0.6, atol, 0.5), -1); /* energy disagrees */
    a[0] += 2.0 * M_PI / 180;
    assert_int_equal(bb_pepmin_match(&cat, a, cat.E[1], atol, 0.5), -1); /* 11° away */
    char dir[] = "/tmp/bbpepminXXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/cat.json", dir);
    assert_int_equal(bb_pepmin_write(out, &cat, m, NULL, &c), BB_OK);
    assert_int_equal(bb_pepmin_read(out, m, &back, &c), BB_OK);
    assert_int_equal((int)back.n, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_true(back.E[i] == cat.E[i]);
        for (int k = 0; k < 66; k++) assert_true(back.x[i * 66 + k] == cat.x[i * 66 + k]);
    }
    bb_pepmin_free(&back);
    unlink(out);
    rmdir(dir);
    bb_pepmin_free(&cat);
    bb_task_free(t);
}

/* The AL3 catalogue built by `boltzbench minima`: its lowest minimum is the independent
 * OpenMM + scipy global minimum of all-L AL3 (../shared/reference/molecules/README.md:
 * −520.2544 kJ/mol at ψ1 158.6, φ2 −68.5, ψ2 156.2, φ3 −66.1), every entry is all-L with trans
 * peptide bonds, and the energies stored are the task's at the stored coordinates. */
BB_TEST(al3_catalogue_is_all_l_and_starts_at_the_independent_global_minimum) {
    bb_task *t = bb_test_task("al3-pita");
    const bb_molecule *m = bb_task_molecule(t);
    char path[4096];
    assert_int_equal(bb_pepmin_catalogue_path(t, path, sizeof path), BB_OK);
    bb_pepmin_cat cat;
    bb_ctx c = {0};
    assert_int_equal(bb_pepmin_read(path, m, &cat, &c), BB_OK);
    assert_int_equal(cat.na, 4);
    assert_true(cat.n >= 32);
    CHECK_CLOSE(cat.E[0], -520.2544, 1e-4);
    const double want[4] = {158.6, -68.5, 156.2, -66.1};
    for (int q = 0; q < 4; q++) CHECK_CLOSE(cat.ang[q] * 180 / M_PI, want[q], 0.06);
    int quads[4 * 8], nc = bb_pep_chiral_centres(m, quads);
    assert_int_equal(nc, 3);
    for (size_t i = 0; i < cat.n; i++) {
        const double *x = cat.x + i * (size_t)cat.dof;
        assert_int_equal(bb_pep_all_l(nc, quads, x), 1);
        for (int k = 0; k < m->ndihedral; k++)
            if (m->dihedral[k].kind == BB_DIHEDRAL_OMEGA)
                assert_true(fabs(bb_dihedral_angle(x, m->dihedral[k].atoms)) > M_PI / 2);
        double u;
        assert_int_equal(bb_task_energy(t, 1, x, &u, NULL, &c), BB_OK);
        assert_true(fabs(u * t->kT - cat.E[i]) < 1e-9);
    }
    bb_pepmin_free(&cat);
    bb_task_free(t);
}

/* Samples: catalogued minima 0, 1, 2 each twice with small noise, and one mirror image of
 * minimum 0 (D-alanine): recall 3/7, precision 6/7, one new minimum whose E equals minimum
 * 0's (mirror images have equal energy) and whose φ/ψ are negated. */
BB_TEST(minima_recall_on_aldp_counts_hits_and_a_mirror_image_as_new) {
    bb_task *t = bb_test_task("aldp-fab");
    const bb_molecule *m = bb_task_molecule(t);
    char path[4096];
    assert_int_equal(bb_pepmin_catalogue_path(t, path, sizeof path), BB_OK);
    bb_pepmin_cat cat;
    bb_ctx c = {0};
    assert_int_equal(bb_pepmin_read(path, m, &cat, &c), BB_OK);
    bb_samples s = {0};
    assert_int_equal(bb_samples_alloc(&s, 7, 66, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 9, 0);
    for (size_t i = 0; i < 7; i++)
        for (int k = 0; k < 66; k++)
            s.x[i * 66 + k] = (i < 6 ? cat.x[(i / 2) * 66 + k] : -cat.x[k]) + 0.002 * bb_rng_normal(&r);
    bb_eval_input in = {.task = t, .samples = &s, .seed = 2};
    cJSON *out = cJSON_CreateObject();
    const char *names[] = {"minima_recall"};
    assert_int_equal(bb_metrics_compute_only(&in, 0, names, 1, out, &c), BB_OK);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "minima_recall"), "value")->valuedouble, 3.0 / 7, 1e-15);
    const cJSON *d = cJSON_GetObjectItem(out, "minima_distinct");
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "minima_precision"), "value")->valuedouble, 6.0 / 7,
                1e-15);
    CHECK_CLOSE(cJSON_GetObjectItem(d, "value")->valuedouble, 4.0, 0.0);
    assert_true(cJSON_GetObjectItem(d, "evaluator_energy_evals")->valuedouble > 7);
    const cJSON *hits = cJSON_GetObjectItem(d, "hits");
    assert_int_equal(cJSON_GetArraySize(hits), 7);
    for (int i = 0; i < 7; i++)
        CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetArrayItem(hits, i), "hits")->valuedouble, i < 3 ? 2.0 : 0.0, 0.0);
    const cJSON *nw = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "new_minima"), 0);
    assert_non_null(nw);
    CHECK_CLOSE(cJSON_GetObjectItem(nw, "E_kJmol")->valuedouble, cat.E[0], 0.01);
    CHECK_CLOSE(cJSON_GetObjectItem(nw, "phi2_deg")->valuedouble, 145.64, 0.5);
    CHECK_CLOSE(cJSON_GetObjectItem(nw, "psi2_deg")->valuedouble, -160.90, 0.5);
    assert_true(cJSON_GetObjectItem(nw, "max_abs_grad_kJmol_nm")->valuedouble < 0.05);
    cJSON_Delete(out);
    bb_samples_free(&s);
    bb_pepmin_free(&cat);
    bb_task_free(t);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(periodic_bins_wrap_at_pi), cmocka_unit_test(kl_and_js_of_known_histograms),
             cmocka_unit_test(dihedral_gradient_matches_finite_differences),
             cmocka_unit_test(chirality_of_a_structure_and_its_mirror_image),
             cmocka_unit_test(rama_and_dihedral_divergences_agree_with_numpy_and_scipy),
             cmocka_unit_test(basin_free_energy_differences_of_known_populations),
             cmocka_unit_test(catalogue_reads_matches_and_round_trips),
             cmocka_unit_test(al3_catalogue_is_all_l_and_starts_at_the_independent_global_minimum),
             cmocka_unit_test(minima_recall_on_aldp_counts_hits_and_a_mirror_image_as_new))
