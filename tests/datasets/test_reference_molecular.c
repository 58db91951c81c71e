/* test_reference_molecular.c — per-temperature reference sets of the molecular tasks and the
 * manifest's energy check (datasets/reference.c), with stand-in files of the papers' layout
 * ((N, 3·atoms) '<f4', nm, prmtop atom order) fetched through file:// URLs:
 *   - a set whose temperature_K is the task's is picked over the task's archive entry, fetched,
 *     verified and loaded; the same task at another temperature does not take it;
 *   - the energy check accepts the stand-in and rejects the same configurations in Å (wrong
 *     units), with two atoms swapped (wrong order) or stated at another mean, naming the set;
 *   - the committed per-temperature sets of the real manifest load for every ladder temperature
 *     (and aldp-fab at 300 K) and pass their energy checks, with the frame interval of their
 *     provenance sidecar; a generated set takes it from its provenance (ps only). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/fetch.h"
#include "datasets/generated.h"
#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "datasets/reference.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "tasks/molecules/molecule.h"
#include "tests/testmain.h"
#include "tests/tmpdir.h"

BB_TEST_DATASET_GROUP(tmp_cache, tmp_src, "bb_refmol")

static bb_task *task_at(const char *id, double T) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "temperature", T);
    bb_task *t = NULL;
    bb_ctx c = {0};
    int rc = bb_task_create(id, p, &t, &c);
    cJSON_Delete(p);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return t;
}

#define N 40

/* Stand-in configurations: the task's initial() (minimum + thermal-size noise), as the
 * '<f4' file the papers ship; x receives the float-rounded values. Returns the mean u. */
static double stand_in(const bb_task *t, double *x, const char *path) {
    bb_rng r;
    bb_rng_init(&r, 17, 0);
    bb_ctx c = {0};
    assert_int_equal(bb_task_initial(t, N, &r, x, &c), BB_OK);
    for (size_t i = 0; i < (size_t)N * 66; i++) x[i] = (double)(float)x[i];
    unsigned char *buf;
    size_t len, shape[2] = {N, 66};
    assert_int_equal(bb_npy_encode_as(x, 2, shape, 1, &buf, &len, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(path, buf, len, &c), BB_OK);
    free(buf);
    double u[N], sum = 0.0;
    assert_int_equal(bb_task_energy(t, N, x, u, NULL, &c), BB_OK);
    for (int i = 0; i < N; i++) sum += u[i];
    return sum / N;
}

/* A manifest with one aldp-pita set at 300 K served from file://path, its sha256 and size,
 * the energy check stating `mean` (tolerance 0.1), made the manifest in use. */
static void use_manifest(const char *path, double mean) {
    char sha[65], text[4096], mpath[256];
    bb_ctx c = {0};
    assert_int_equal(bb_sha256_file(path, sha, &c), BB_OK);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fclose(f);
    snprintf(text, sizeof text,
             "{\"schema\": \"boltzbench.manifest/1\", \"datasets\": [{\"id\": \"standin-aldp-300K\", \"version\": 1, "
             "\"file\": \"x.npy\", \"urls\": [\"file://%s\"], \"sha256\": \"%s\", \"bytes\": %ld, \"format\": "
             "\"npy\", \"shape\": [%d, 66], \"dtype\": \"<f4\", \"units\": \"nm\", \"task\": \"aldp-pita\", "
             "\"temperature_K\": 300, \"energy_convention\": \"u = E/kT\", \"license\": \"MIT\", \"citation\": "
             "\"test\", \"energy_check\": {\"mean_reduced\": %.17g, \"tolerance\": 0.1}}, {\"id\": "
             "\"pita-mendeley\", \"version\": 1, \"file\": \"a.zip\", \"urls\": [\"file:///nonexistent\"], "
             "\"sha256\": null, \"bytes\": null, \"format\": \"files\", \"shape\": null, \"dtype\": null, "
             "\"units\": \"nm\", \"task\": \"aldp-pita\", \"energy_convention\": \"-\", \"license\": null, "
             "\"citation\": \"the task's declared archive\"}]}",
             path, sha, bytes, N, mean);
    snprintf(mpath, sizeof mpath, "%s/manifest.json", tmp_src);
    assert_int_equal(bb_write_file_atomic(mpath, text, strlen(text), &c), BB_OK);
    setenv("BOLTZBENCH_MANIFEST", mpath, 1);
    /* fetch it into the cache as `boltzbench fetch` would */
    bb_manifest m;
    assert_int_equal(bb_manifest_load(NULL, &m, &c), BB_OK);
    bb_fetch_opts o;
    bb_fetch_opts_init(&o);
    o.cache_dir = tmp_cache;
    char got[4096];
    char dir[256];
    snprintf(dir, sizeof dir, "%s/standin-aldp-300K@1", tmp_cache);
    bb_test_rmtree(dir);
    int rc = bb_fetch_dataset(&m.d[0], &o, got, sizeof got, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    bb_manifest_free(&m);
}

BB_TEST(a_per_temperature_set_is_fetched_checked_and_taken_only_at_its_temperature) {
    bb_task *t = task_at("aldp-pita", 300.0), *hot = task_at("aldp-pita", 555.52);
    double x[N * 66];
    char path[256];
    snprintf(path, sizeof path, "%s/standin.npy", tmp_src);
    double mean = stand_in(t, x, path);
    use_manifest(path, mean);
    bb_reference r;
    bb_ctx c = {0};
    int rc = bb_reference_load(t, 0, &r, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(r.dataset_id, "standin-aldp-300K@1");
    assert_int_equal(r.samples.n, N);
    assert_memory_equal(r.samples.x, x, sizeof x);
    assert_true(r.frame_interval_ps == 0.0); /* the papers' files record no frame interval */
    bb_reference_free(&r);
    /* the task at 555.52 K has no set in this manifest */
    assert_int_equal(bb_reference_load(hot, 0, &r, &c), BB_ENOTFOUND);
    bb_task_free(t);
    bb_task_free(hot);
}

BB_TEST(the_energy_check_rejects_wrong_units_atom_order_and_mean) {
    bb_task *t = task_at("aldp-pita", 300.0);
    double x[N * 66], y[N * 66];
    char path[256];
    snprintf(path, sizeof path, "%s/standin.npy", tmp_src);
    double mean = stand_in(t, x, path);
    bb_reference r;
    bb_ctx c = {0};
    unsigned char *buf;
    size_t len, shape[2] = {N, 66};
    /* Å instead of nm */
    for (size_t i = 0; i < (size_t)N * 66; i++) y[i] = 10.0 * x[i];
    assert_int_equal(bb_npy_encode_as(y, 2, shape, 1, &buf, &len, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(path, buf, len, &c), BB_OK);
    free(buf);
    use_manifest(path, mean);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
    printf("# %s\n", c.msg);
    assert_non_null(strstr(c.msg, "standin-aldp-300K"));
    assert_non_null(strstr(c.msg, "wrong units, atom order"));
    /* atoms 8 (CA) and 14 (C) swapped */
    memcpy(y, x, sizeof y);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 3; k++) {
            y[i * 66 + 24 + k] = x[i * 66 + 42 + k];
            y[i * 66 + 42 + k] = x[i * 66 + 24 + k];
        }
    assert_int_equal(bb_npy_encode_as(y, 2, shape, 1, &buf, &len, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(path, buf, len, &c), BB_OK);
    free(buf);
    use_manifest(path, mean);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
    /* the right file, a stated mean off by 0.2 (> tolerance 0.1) */
    stand_in(t, x, path);
    use_manifest(path, mean + 0.2);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
    use_manifest(path, mean + 0.05);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    bb_reference_free(&r);
    bb_task_free(t);
}

/* A committed set's sidecar: the frame interval it hands the TICA metric is the exported
 * subsample's stride in ps, and issue 23's convergence bar holds — the two halves of the
 * generating run (independent walkers where it had two) agree on every basin population
 * within 2 pp. */
static void check_committed(const char *task, double T, bb_task *t) {
    bb_reference r;
    bb_ctx c = {0};
    int rc = bb_reference_load(t, 0, &r, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    printf("# %s at %g K: %s, %zu frames\n", task, T, r.dataset_id, r.samples.n);
    assert_non_null(strstr(r.source, "committed"));
    char js[512], *at = strchr(r.dataset_id, '@');
    snprintf(js, sizeof js, "%s/datasets/reference/%.*s.json", BB_SOURCE_DIR, (int)(at - r.dataset_id), r.dataset_id);
    cJSON *side = NULL;
    assert_int_equal(bb_json_read_object(js, (size_t)1 << 24, &side, &c), BB_OK);
    double fi = cJSON_GetObjectItem(cJSON_GetObjectItem(side, "subsample"), "frame_interval")->valuedouble;
    assert_true(fi >= 1.0 && r.frame_interval_ps == fi);
    const cJSON *dg = cJSON_GetObjectItem(cJSON_GetObjectItem(side, "provenance"), "diagnostics");
    double pp = cJSON_GetNumberValue(cJSON_GetObjectItem(dg, "max_half_difference_pp"));
    printf("#   halves differ by at most %.2f pp\n", pp);
    assert_true(pp >= 0.0 && pp <= 2.0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(dg, "halves_agree_2pp")));
    cJSON_Delete(side);
    bb_reference_free(&r);
}

BB_TEST(committed_md_sets_load_at_every_ladder_temperature) {
    setenv("BOLTZBENCH_MANIFEST", BB_SOURCE_DIR "/datasets/manifest.json", 1);
    const char *ids[] = {"aldp-pita", "al3-pita"};
    for (int k = 0; k < 2; k++) {
        bb_task *t0 = task_at(ids[k], 300.0);
        size_t n;
        const double *ladder = bb_task_temperature_ladder(t0, &n);
        bb_task_free(t0);
        for (size_t i = 0; i < n; i++) {
            bb_task *t = task_at(ids[k], ladder[i]);
            check_committed(ids[k], ladder[i], t);
            bb_task_free(t);
        }
    }
    bb_task *fab = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_task_create("aldp-fab", NULL, &fab, &c), BB_OK);
    check_committed("aldp-fab", 300.0, fab);
    bb_task_free(fab);
}

/* A generated set's frame interval comes from its provenance ("frame_interval" in
 * "time_unit" ps, what `boltzbench reference` writes); another unit or none: 0 (unknown). */
BB_TEST(a_generated_set_carries_the_frame_interval_of_its_provenance) {
    bb_task *t = task_at("aldp-pita", 555.52); /* no set at 555.52 K in the stand-in manifest */
    double x[N * 66];
    char path[256];
    snprintf(path, sizeof path, "%s/standin.npy", tmp_src);
    use_manifest(path, stand_in(t, x, path));
    bb_samples s = {N, 66, x, NULL};
    const char *unit[] = {"ps", "fs", NULL};
    const double want[] = {2.5, 0.0, 0.0};
    for (int k = 0; k < 3; k++) {
        cJSON *p = cJSON_CreateObject();
        if (unit[k]) cJSON_AddNumberToObject(p, "frame_interval", 2.5);
        if (unit[k]) cJSON_AddStringToObject(p, "time_unit", unit[k]);
        bb_ctx c = {0};
        assert_int_equal(bb_dataset_store_generated("aldp-pita" BB_REFERENCE_GENERATED_SUFFIX, &s, p, &c), BB_OK);
        cJSON_Delete(p);
        bb_reference r;
        int rc = bb_reference_load(t, 0, &r, &c);
        if (rc) fprintf(stderr, "%s\n", c.msg);
        assert_int_equal(rc, BB_OK);
        assert_non_null(strstr(r.source, "generated"));
        assert_true(r.frame_interval_ps == want[k]);
        bb_reference_free(&r);
    }
    bb_task_free(t);
}

/* A set of W independent walkers stored one after another: the loader hands their row
 * counts to the metrics (TICA must not pair frames of different walkers), cut where max_n
 * cuts the rows; a sidecar whose walkers do not describe the rows is an error. */
BB_TEST(a_generated_set_of_walkers_carries_their_segments) {
    bb_task *t = task_at("aldp-pita", 555.52);
    double x[N * 66];
    char path[256];
    snprintf(path, sizeof path, "%s/standin.npy", tmp_src);
    use_manifest(path, stand_in(t, x, path));
    bb_samples s = {N, 66, x, NULL};
    const double walkers[] = {2, 1, 3};
    for (int k = 0; k < 3; k++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "walkers", walkers[k]);
        cJSON_AddNumberToObject(p, "frames_per_walker", N / 2);
        bb_ctx c = {0};
        assert_int_equal(bb_dataset_store_generated("aldp-pita" BB_REFERENCE_GENERATED_SUFFIX, &s, p, &c), BB_OK);
        cJSON_Delete(p);
        bb_reference r;
        int rc = bb_reference_load(t, 0, &r, &c);
        if (k == 2) { /* 3 x 20 rows claimed for 40 */
            assert_int_equal(rc, BB_EFORMAT);
            printf("  %s\n", c.msg);
            assert_non_null(strstr(c.msg, "segments"));
            continue;
        }
        assert_int_equal(rc, BB_OK);
        if (k == 0) {
            assert_int_equal(r.n_segments, 2);
            assert_true(r.segments[0] == N / 2 && r.segments[1] == N / 2);
        } else {
            assert_int_equal(r.n_segments, 0); /* one walker: one trajectory */
        }
        bb_reference_free(&r);
        if (k == 0) { /* the first rows only: the segments they span */
            assert_int_equal(bb_reference_load(t, N / 2 + 3, &r, &c), BB_OK);
            assert_int_equal(r.n_segments, 2);
            assert_true(r.segments[0] == N / 2 && r.segments[1] == 3);
            bb_reference_free(&r);
            assert_int_equal(bb_reference_load(t, N / 4, &r, &c), BB_OK);
            assert_int_equal(r.n_segments, 0);
            assert_int_equal(r.samples.n, N / 4);
            bb_reference_free(&r);
        }
    }
    bb_task_free(t);
}

BB_TEST_MAIN(setup, teardown,
             cmocka_unit_test(a_per_temperature_set_is_fetched_checked_and_taken_only_at_its_temperature),
             cmocka_unit_test(the_energy_check_rejects_wrong_units_atom_order_and_mean),
             cmocka_unit_test(committed_md_sets_load_at_every_ladder_temperature),
             cmocka_unit_test(a_generated_set_carries_the_frame_interval_of_its_provenance),
             cmocka_unit_test(a_generated_set_of_walkers_carries_their_segments))
