/* test_tasks_common.c — properties every registered task must have, checked on every
 * task in bb_task_types (so tasks added later are covered automatically):
 *   - analytic gradient equals a 4-point central finite difference (h = 1e-4·scale)
 *     to 1e-6 relative to max(1, |∂u/∂x|), on a batch of 7 random configurations;
 *   - a configuration's energy and gradient are bitwise the same alone, in a batch
 *     of 7, and at another position of a reordered batch; bb_task_energy_parallel
 *     gives the same bits on 1 and 2 threads;
 *   - declared invariances hold to 1e-10 relative (translation, rotation,
 *     permutation), and the gradient of a translation-invariant task sums to ~0;
 *   - energy without a gradient equals energy with one; NaN input is BB_ENAN;
 *   - the metadata is complete (description states the temperature, id is name@version).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <omp.h>

#include "tasks/molecules/conformers.h"
#include "tasks/task.h"
#include "tests/tasks/tasks_testutil.h"
#include "tests/testmain.h"

#define NB 7

static bb_task *make(const bb_task_type *tt) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    char id[80];
    snprintf(id, sizeof id, "%s@%d", tt->name, tt->version);
    assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
    assert_string_equal(t->id, id);
    return t;
}

/* A check run on a fresh instance of every registered task type; ti is the type's index
 * (each check draws its configurations from an RNG stream of its own plus ti). */
typedef struct task_check {
    void (*fn)(bb_task *t, size_t ti);
} task_check;

/* The cmocka test function of every per-task check: the initial state is the check. Of the conformer
 * tasks (one code path, 84 molecules; tests/molecules/test_mmff.c checks each against RDKit) only the
 * 10-molecule fast set is run here: all 84 made this program take 35 s instead of 0.3 s. */
static void on_every_task(void **state) {
    const task_check *k = *state;
    for (size_t ti = 0; bb_task_types[ti]; ti++) {
        const bb_conformer_molecule *cm = bb_conformer_of_type(bb_task_types[ti]);
        if (cm && !cm->in_fast) continue;
        bb_task *t = make(bb_task_types[ti]);
        k->fn(t, ti);
        bb_task_free(t);
    }
}
#define EVERY_TASK(test, check)                                                                                        \
    {                                                                                                                  \
#test, on_every_task, NULL, NULL, &(task_check) { check }                                                      \
    }

static void gradient_matches_finite_differences(bb_task *t, size_t ti) {
    size_t dof = (size_t)t->dof;
    double *x = malloc(NB * dof * sizeof *x), *g = malloc(NB * dof * sizeof *g), u[NB];
    tu_random_configs(t, NB, 0x100 + ti, 0.9, x);
    bb_ctx c = {0};
    assert_int_equal(t->type->energy(t, NB, x, u, g, &c), BB_OK);
    double worst = 0.0;
    for (size_t i = 0; i < NB; i++) {
        assert_true(isfinite(u[i]));
        double gmax = 1.0;
        for (size_t k = 0; k < dof; k++) gmax = fmax(gmax, fabs(g[i * dof + k]));
        for (size_t k = 0; k < dof; k++) {
            double h = 1e-4 * fmax(1.0, t->type->init_scale);
            double fd = tu_fd(t, x + i * dof, (int)k, h);
            double err = fabs(fd - g[i * dof + k]) / gmax;
            if (err > worst) worst = err;
        }
    }
    printf("%-10s gradient vs 4-point FD: max error %.2e (relative to max(1,|g|)), tol 1e-6\n", t->id, worst);
    assert_true(worst < 1e-6);
    free(x);
    free(g);
}

static void results_are_bitwise_identical_whatever_the_batch(bb_task *t, size_t ti) {
    size_t dof = (size_t)t->dof;
    double *x = malloc(NB * dof * sizeof *x), *xr = malloc(NB * dof * sizeof *xr);
    double *g = malloc(NB * dof * sizeof *g), *gr = malloc(NB * dof * sizeof *gr), *g1 = malloc(dof * sizeof *g1);
    double u[NB], ur[NB], u1, u0;
    tu_random_configs(t, NB, 0x200 + ti, 0.9, x);
    for (size_t i = 0; i < NB; i++) memcpy(xr + i * dof, x + (NB - 1 - i) * dof, dof * sizeof *x);
    bb_ctx c = {0};
    assert_int_equal(t->type->energy(t, NB, x, u, g, &c), BB_OK);
    assert_int_equal(t->type->energy(t, NB, xr, ur, gr, &c), BB_OK);
    for (size_t i = 0; i < NB; i++) {
        assert_int_equal(t->type->energy(t, 1, x + i * dof, &u1, g1, &c), BB_OK);
        assert_int_equal(t->type->energy(t, 1, x + i * dof, &u0, NULL, &c), BB_OK);
        assert_memory_equal(&u1, &u[i], sizeof u1);
        assert_memory_equal(&u0, &u[i], sizeof u1);
        assert_memory_equal(g1, g + i * dof, dof * sizeof *g1);
        assert_memory_equal(&ur[NB - 1 - i], &u[i], sizeof u1);
        assert_memory_equal(gr + (NB - 1 - i) * dof, g + i * dof, dof * sizeof *g1);
    }
    free(x);
    free(xr);
    free(g);
    free(gr);
    free(g1);
}

/* Random rotation: 2-D by an angle; 3-D by a random unit quaternion. */
static void random_rotation(bb_rng *r, int D, double R[3][3]) {
    memset(R, 0, 9 * sizeof(double));
    if (D == 2) {
        double a = 2.0 * M_PI * bb_rng_uniform(r);
        R[0][0] = cos(a), R[0][1] = -sin(a), R[1][0] = sin(a), R[1][1] = cos(a);
        return;
    }
    double q[4], nq = 0.0;
    for (int k = 0; k < 4; k++) q[k] = bb_rng_normal(r), nq += q[k] * q[k];
    nq = sqrt(nq);
    double w = q[0] / nq, a = q[1] / nq, b = q[2] / nq, cq = q[3] / nq;
    R[0][0] = 1 - 2 * (b * b + cq * cq), R[0][1] = 2 * (a * b - cq * w), R[0][2] = 2 * (a * cq + b * w);
    R[1][0] = 2 * (a * b + cq * w), R[1][1] = 1 - 2 * (a * a + cq * cq), R[1][2] = 2 * (b * cq - a * w);
    R[2][0] = 2 * (a * cq - b * w), R[2][1] = 2 * (b * cq + a * w), R[2][2] = 1 - 2 * (a * a + b * b);
}

/* The oracle's parallel path (fixed chunks of 16) gives bitwise the same results on 1
 * and 2 threads as one direct call on the whole batch (37: chunks of 16, 16, 5). */
static void parallel_evaluation_is_bitwise_identical(bb_task *t, size_t ti) {
    enum { N = 37 };
    size_t dof = (size_t)t->dof;
    double *x = malloc(N * dof * sizeof *x), *g[3], u[3][N];
    for (int k = 0; k < 3; k++) g[k] = malloc(N * dof * sizeof *g[k]);
    tu_random_configs(t, N, 0x700 + ti, 0.9, x);
    bb_ctx c = {0};
    assert_int_equal(t->type->energy(t, N, x, u[0], g[0], &c), BB_OK);
    int saved = omp_get_max_threads();
    for (int nt = 1; nt <= 2; nt++) {
        omp_set_num_threads(nt);
        assert_int_equal(bb_task_energy_parallel(t, N, x, u[nt], g[nt], &c), BB_OK);
        assert_memory_equal(u[nt], u[0], sizeof u[0]);
        assert_memory_equal(g[nt], g[0], N * dof * sizeof *g[0]);
    }
    omp_set_num_threads(saved);
    for (int k = 0; k < 3; k++) free(g[k]);
    free(x);
}

static void invariances_hold(bb_task *t, size_t ti) {
    int P = t->n_particles, D = t->dim;
    size_t dof = (size_t)t->dof;
    double *x = malloc(NB * dof * sizeof *x), *y = malloc(dof * sizeof *y), *g = malloc(NB * dof * sizeof *g);
    double u[NB], v;
    tu_random_configs(t, NB, 0x300 + ti, 0.9, x);
    bb_ctx c = {0};
    bb_rng r;
    bb_rng_init(&r, 7, 0x300 + ti);
    assert_int_equal(t->type->energy(t, NB, x, u, g, &c), BB_OK);
    int checked = 0;
    for (size_t i = 0; i < NB; i++) {
        const double *xi = x + i * dof;
        if (t->flags & BB_TASK_TRANSLATION_INV) {
            double shift[3];
            for (int d = 0; d < D; d++) shift[d] = 3.7 * bb_rng_normal(&r);
            for (int p = 0; p < P; p++)
                for (int d = 0; d < D; d++) y[p * D + d] = xi[p * D + d] + shift[d];
            t->type->energy(t, 1, y, &v, NULL, &c);
            assert_true(tu_rel(v, u[i]) < 1e-10);
            for (int d = 0; d < D; d++) { /* ∇u ⟂ rigid shifts */
                double s = 0.0, gm = 1.0;
                for (int p = 0; p < P; p++) s += g[i * dof + p * D + d], gm = fmax(gm, fabs(g[i * dof + p * D + d]));
                assert_true(fabs(s) / gm < 1e-10 * P);
            }
            checked |= 1;
        }
        if (t->flags & BB_TASK_ROTATION_INV) {
            double R[3][3];
            random_rotation(&r, D, R);
            for (int p = 0; p < P; p++)
                for (int a = 0; a < D; a++) {
                    double s = 0.0;
                    for (int b = 0; b < D; b++) s += R[a][b] * xi[p * D + b];
                    y[p * D + a] = s;
                }
            t->type->energy(t, 1, y, &v, NULL, &c);
            assert_true(tu_rel(v, u[i]) < 1e-10);
            checked |= 2;
        }
        if (t->flags & BB_TASK_PERMUTATION_INV) {
            int perm[64];
            for (int p = 0; p < P; p++) perm[p] = p;
            for (int p = P - 1; p > 0; p--) { /* Fisher–Yates */
                int q = (int)bb_rng_below(&r, (uint64_t)p + 1), tmp = perm[p];
                perm[p] = perm[q], perm[q] = tmp;
            }
            for (int p = 0; p < P; p++)
                for (int d = 0; d < D; d++) y[p * D + d] = xi[perm[p] * D + d];
            t->type->energy(t, 1, y, &v, NULL, &c);
            assert_true(tu_rel(v, u[i]) < 1e-10);
            checked |= 4;
        }
    }
    printf("%-10s invariances checked: %s%s%s\n", t->id, checked & 1 ? "translation " : "",
           checked & 2 ? "rotation " : "", checked & 4 ? "permutation" : "");
    free(x);
    free(y);
    free(g);
}

static void nan_input_is_an_error(bb_task *t, size_t ti) {
    size_t dof = (size_t)t->dof;
    double *x = malloc(3 * dof * sizeof *x), u[3];
    tu_random_configs(t, 3, 0x400 + ti, 0.9, x);
    x[2 * dof + dof - 1] = NAN;
    bb_ctx c = {0};
    assert_int_equal(bb_task_energy(t, 3, x, u, NULL, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "configuration 2"));
    free(x);
}

/* The standard tasks also refuse NaN when called directly (not only through
 * bb_task_energy), and say which configuration; far-out coordinates are +inf, not NaN. */
BB_TEST(standard_tasks_refuse_nan_and_overflow_to_infinity_when_called_directly) {
    const char *ids[] = {"gmm40",     "dw4",      "lj13",         "lj55",       "lj13-phys",
                         "lj55-phys", "funnel10", "funnel10-pis", "manywell32", "gmm25"};
    for (int ti = 0; ti < (int)(sizeof ids / sizeof *ids); ti++) {
        bb_ctx c = {0};
        bb_task *t = NULL;
        assert_int_equal(bb_task_create(ids[ti], NULL, &t, &c), BB_OK);
        size_t dof = (size_t)t->dof;
        double *x = malloc(3 * dof * sizeof *x), *g = malloc(3 * dof * sizeof *g), u[3];
        tu_random_configs(t, 3, 0x600 + ti, 0.9, x);
        x[dof + 1] = NAN;
        assert_int_equal(t->type->energy(t, 3, x, u, g, &c), BB_ENAN);
        assert_non_null(strstr(c.msg, "configuration 1"));
        tu_random_configs(t, 3, 0x600 + ti, 0.9, x);
        for (size_t k = 0; k < dof; k++) x[2 * dof + k] = (k % 2 ? -1e300 : 1e300) * (double)(k + 1);
        bb_ctx c2 = {0};
        assert_int_equal(t->type->energy(t, 3, x, u, g, &c2), BB_OK);
        assert_true(isinf(u[2]) && u[2] > 0);
        for (size_t k = 0; k < dof; k++) assert_true(g[2 * dof + k] == 0.0);
        assert_true(isfinite(u[0]) && isfinite(u[1]));
        free(x);
        free(g);
        bb_task_free(t);
    }
}

BB_TEST(every_task_documents_its_temperature_and_metadata) {
    for (size_t ti = 0; bb_task_types[ti]; ti++) {
        const bb_task_type *tt = bb_task_types[ti];
        assert_true(tt->version >= 1);
        /* The description states the temperature (reduced tasks: "kT = ..."; molecules in K). */
        assert_true(strstr(tt->description, "kT") || strstr(tt->description, "temperature") ||
                    strstr(tt->description, "T = "));
        assert_true(tt->kT > 0.0);
        assert_non_null(tt->kT_unit);
        assert_non_null(tt->length_unit);
        assert_true(tt->init_scale > 0.0 || tt->initial != NULL); /* some initial distribution */
        assert_non_null(tt->energy);
        assert_ptr_equal(bb_task_type_find(tt->name), tt);
    }
}

/* Every reference_dataset names a manifest entry (id@version), made for that task
 * when it is a sample file.
 * Skips when datasets/manifest.json is not in this checkout. */
BB_TEST(reference_datasets_exist_in_the_manifest_for_their_task) {
    char path[4096];
    snprintf(path, sizeof path, "%s/datasets/manifest.json", BB_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("skipped: %s not found\n", path);
        skip();
    }
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    cJSON *m = cJSON_Parse(buf);
    assert_non_null(m);
    const cJSON *list = cJSON_IsArray(m) ? m : cJSON_GetObjectItemCaseSensitive(m, "datasets");
    assert_true(cJSON_IsArray(list));
    for (size_t ti = 0; bb_task_types[ti]; ti++) {
        const bb_task_type *tt = bb_task_types[ti];
        if (!tt->reference_dataset) continue;
        char id[128];
        snprintf(id, sizeof id, "%s", tt->reference_dataset);
        char *at = strchr(id, '@');
        int version = at ? atoi(at + 1) : -1;
        if (at) *at = 0;
        int found = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, list) {
            const cJSON *jid = cJSON_GetObjectItemCaseSensitive(d, "id");
            const cJSON *jv = cJSON_GetObjectItemCaseSensitive(d, "version");
            const cJSON *jt = cJSON_GetObjectItemCaseSensitive(d, "task");
            if (!cJSON_IsString(jid) || strcmp(jid->valuestring, id) != 0) continue;
            if (version > 0 && (!cJSON_IsNumber(jv) || jv->valueint != version)) continue;
            found = 1;
            /* A sample file (npy) belongs to one task; an archive may serve several. */
            const cJSON *jf = cJSON_GetObjectItemCaseSensitive(d, "format");
            if (cJSON_IsString(jf) && strcmp(jf->valuestring, "npy") == 0) {
                assert_true(cJSON_IsString(jt));
                assert_string_equal(jt->valuestring, tt->name);
            }
        }
        printf("%-10s reference %s: %s\n", tt->name, tt->reference_dataset, found ? "in manifest" : "MISSING");
        assert_true(found);
    }
    cJSON_Delete(m);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(every_task_documents_its_temperature_and_metadata),
             EVERY_TASK(every_task_has_gradients_matching_finite_differences, gradient_matches_finite_differences),
             EVERY_TASK(every_task_gives_bitwise_identical_results_whatever_the_batch,
                        results_are_bitwise_identical_whatever_the_batch),
             EVERY_TASK(parallel_evaluation_is_bitwise_identical_on_one_and_two_threads,
                        parallel_evaluation_is_bitwise_identical),
             EVERY_TASK(declared_invariances_hold, invariances_hold),
             EVERY_TASK(nan_input_is_an_error_naming_the_configuration, nan_input_is_an_error),
             cmocka_unit_test(standard_tasks_refuse_nan_and_overflow_to_infinity_when_called_directly),
             cmocka_unit_test(reference_datasets_exist_in_the_manifest_for_their_task))
