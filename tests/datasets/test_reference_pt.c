/* test_reference_pt.c — FAB's torch.save data in the dataset loader (format "pt"):
 *   - a stand-in Cartesian set in torch.save form (the first 40 frames of the committed
 *     aldp-fab-md-300K, float32, nm; tests/datasets/fixtures/pt) is fetched through file://,
 *     sha256-verified, loaded as aldp-fab's reference with the same values as the npy, and passes
 *     the energy check; the same frames in Å or with the atoms permuted are rejected by it;
 *   - without a sha256: fetch refuses unless trusted; a trusted file with a damaged byte fails
 *     its zip CRC-32 at load, and a file of another shape fails the manifest's shape — never a
 *     silent pass; FAB's internal-coordinate layout ((N, 60), coordinates "fab-internal") is
 *     never taken as a task's reference;
 *   - the real manifest: fab-aldp-{train,val,test}-pt say what is known (pt, (null, 60),
 *     fab-internal, CC-BY-4.0, no sha256); fab-aldp-min-energy, FAB's own minimum-energy file,
 *     is fetched from a mirror, verified and passes its energy check, and fails it in Å or
 *     permuted. */
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
#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "datasets/pt.h"
#include "datasets/reference.h"
#include "harness/core/fileio.h"
#include "harness/core/gz.h"
#include "tests/testmain.h"
#include "tests/tmpdir.h"

BB_TEST_DATASET_GROUP(tmp_cache, tmp_src, "bb_refpt")

#define FIX   BB_SOURCE_DIR "/tests/datasets/fixtures/pt/"
#define N     40
#define LIMIT ((size_t)1 << 24)

static bb_task *fab_task(void) {
    bb_task *t = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_task_create("aldp-fab", NULL, &t, &c), BB_OK);
    return t;
}

static double mean_u(const bb_task *t, const bb_array *a) {
    double u[N], sum = 0.0;
    bb_ctx c = {0};
    assert_int_equal(bb_task_energy(t, a->shape[0], a->data, u, NULL, &c), BB_OK);
    for (size_t i = 0; i < a->shape[0]; i++) sum += u[i];
    return sum / (double)a->shape[0];
}

/* A manifest with one aldp-fab entry at 300 K (and the task's declared archive entry): file://<file>, format pt, `shape` and
 * `coordinates` as given, its sha256 and size (or null for both when !hashed), an energy check
 * stating `mean` (tolerance 0.1); made the manifest in use. With fetch != 0 the file is fetched
 * into a fresh cache directory, trusted when unhashed; returns the fetch's code. */
static int use_manifest(const char *file, const char *shape, const char *coords, int hashed, double mean, int fetch) {
    char sha[65] = "", text[4096], mpath[256], hash[128], size[32];
    bb_ctx c = {0};
    assert_int_equal(bb_sha256_file(file, sha, &c), BB_OK);
    FILE *f = fopen(file, "rb");
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fclose(f);
    snprintf(hash, sizeof hash, hashed ? "\"%s\"" : "null", sha);
    snprintf(size, sizeof size, hashed ? "%ld" : "null", bytes);
    snprintf(text, sizeof text,
             "{\"schema\": \"boltzbench.manifest/1\", \"datasets\": [{\"id\": \"standin-fab\", \"version\": 1, "
             "\"file\": \"x.pt\", \"urls\": [\"file://%s\"], \"sha256\": %s, \"bytes\": %s, \"format\": \"pt\", "
             "\"shape\": %s, \"dtype\": \"<f4\", \"units\": \"nm\", \"coordinates\": \"%s\", \"task\": \"aldp-fab\", "
             "\"temperature_K\": 300, \"energy_convention\": \"u = E/kT\", \"license\": \"MIT\", \"citation\": "
             "\"test\", \"energy_check\": {\"mean_reduced\": %.17g, \"tolerance\": 0.1}}, {\"id\": "
             "\"fab-aldp-zenodo\", \"version\": 1, \"file\": \"a.zip\", \"urls\": [\"file:///nonexistent\"], "
             "\"sha256\": null, \"bytes\": null, \"format\": \"files\", \"shape\": null, \"dtype\": null, "
             "\"units\": \"nm\", \"task\": \"aldp-fab\", \"energy_convention\": \"-\", \"license\": null, "
             "\"citation\": \"the task's declared archive\"}]}",
             file, hash, size, shape, coords, mean);
    snprintf(mpath, sizeof mpath, "%s/manifest.json", tmp_src);
    assert_int_equal(bb_write_file_atomic(mpath, text, strlen(text), &c), BB_OK);
    setenv("BOLTZBENCH_MANIFEST", mpath, 1);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/standin-fab@1", tmp_cache);
    bb_test_rmtree(dir);
    if (!fetch) return BB_OK;
    bb_manifest m;
    assert_int_equal(bb_manifest_load(NULL, &m, &c), BB_OK);
    bb_fetch_opts o;
    bb_fetch_opts_init(&o);
    o.cache_dir = tmp_cache;
    o.trust_unverified = !hashed;
    char got[4096];
    int rc = bb_fetch_dataset(&m.d[0], &o, got, sizeof got, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    bb_manifest_free(&m);
    return rc;
}

BB_TEST(a_torch_save_set_loads_like_npy_and_the_energy_check_rejects_angstrom_and_permuted_atoms) {
    bb_task *t = fab_task();
    bb_array good;
    bb_ctx c = {0};
    assert_int_equal(bb_pt_read(FIX "aldp_fab_standin_40x66.pt", LIMIT, &good, &c), BB_OK);
    double mean = mean_u(t, &good);
    /* the same frames as the committed npy reference they were cut from */
    unsigned char *gz;
    size_t gl;
    bb_array ref;
    assert_int_equal(bb_gunzip_file(BB_SOURCE_DIR "/datasets/reference/aldp-fab-md-300K.npy.gz", LIMIT, &gz, &gl, &c),
                     BB_OK);
    assert_int_equal(bb_npy_parse(gz, gl, "ref", LIMIT, &ref, &c), BB_OK);
    free(gz);
    assert_memory_equal(ref.data, good.data, (size_t)N * 66 * sizeof(double));
    bb_array_free(&ref);

    assert_int_equal(use_manifest(FIX "aldp_fab_standin_40x66.pt", "[40, 66]", "cartesian", 1, mean, 1), BB_OK);
    bb_reference r;
    int rc = bb_reference_load(t, 0, &r, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(r.dataset_id, "standin-fab@1");
    assert_int_equal(r.samples.n, N);
    assert_int_equal(r.samples.dof, 66);
    assert_memory_equal(r.samples.x, good.data, (size_t)N * 66 * sizeof(double));
    assert_non_null(strstr(r.source, "sha256 verified"));
    bb_reference_free(&r);

    const char *bad[] = {FIX "aldp_fab_standin_40x66_angstrom.pt", FIX "aldp_fab_standin_40x66_shuffled.pt"};
    for (int k = 0; k < 2; k++) {
        bb_array a;
        assert_int_equal(bb_pt_read(bad[k], LIMIT, &a, &c), BB_OK);
        double mk = mean_u(t, &a);
        printf("# %s: mean u %.6g vs %.6g\n", bad[k], mk, mean);
        assert_true(fabs(mk - mean) > 100.0);
        bb_array_free(&a);
        assert_int_equal(use_manifest(bad[k], "[40, 66]", "cartesian", 1, mean, 1), BB_OK);
        assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
        assert_non_null(strstr(c.msg, "standin-fab"));
        assert_non_null(strstr(c.msg, "wrong units, atom order"));
    }
    bb_array_free(&good);
    bb_task_free(t);
}

BB_TEST(without_a_sha256_damage_and_a_wrong_shape_are_caught_at_load_never_passed) {
    bb_task *t = fab_task();
    bb_array good;
    bb_ctx c = {0};
    assert_int_equal(bb_pt_read(FIX "aldp_fab_standin_40x66.pt", LIMIT, &good, &c), BB_OK);
    double mean = mean_u(t, &good);
    bb_array_free(&good);
    /* fetch refuses an unhashed file unless trusted */
    use_manifest(FIX "aldp_fab_standin_40x66.pt", "[null, 66]", "cartesian", 0, mean, 0);
    bb_manifest m;
    assert_int_equal(bb_manifest_load(NULL, &m, &c), BB_OK);
    bb_fetch_opts o;
    bb_fetch_opts_init(&o);
    o.cache_dir = tmp_cache;
    char got[4096];
    assert_int_equal(bb_fetch_dataset(&m.d[0], &o, got, sizeof got, &c), BB_EHASH);
    assert_non_null(strstr(c.msg, "--trust-unverified"));
    bb_manifest_free(&m);
    /* trusted: loads, marked UNVERIFIED; the shape's null entry matches any N */
    assert_int_equal(use_manifest(FIX "aldp_fab_standin_40x66.pt", "[null, 66]", "cartesian", 0, mean, 1), BB_OK);
    bb_reference r;
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    assert_non_null(strstr(r.source, "UNVERIFIED"));
    bb_reference_free(&r);
    /* one flipped byte in the middle of the storage: CRC-32 mismatch, not other values */
    char path[512], *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/standin-fab@1/x.pt", tmp_cache);
    assert_int_equal(bb_read_file(path, LIMIT, &buf, &len, &c), BB_OK);
    buf[len / 2] ^= 0x10;
    assert_int_equal(bb_write_file_atomic(path, buf, len, &c), BB_OK);
    free(buf);
    assert_int_not_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    printf("# %s\n", c.msg);
    assert_non_null(strstr(c.msg, "CRC-32"));
    assert_non_null(strstr(c.msg, "unverified"));
    /* the manifest's shape is checked: (40, 66) is not (null, 60) */
    assert_int_equal(use_manifest(FIX "aldp_fab_standin_40x66.pt", "[null, 60]", "cartesian", 0, mean, 1), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
    printf("# %s\n", c.msg);
    assert_non_null(strstr(c.msg, "(40, 66), the manifest's standin-fab@1 says <f4 (null, 60)"));
    /* FAB's internal-coordinate layout is never a reference: the task has no set here */
    assert_int_equal(use_manifest(FIX "fab_internal_standin_40x60.pt", "[null, 60]", "fab-internal", 0, 0.0, 1), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_ENOTFOUND);
    bb_task_free(t);
}

BB_TEST(the_real_manifest_entries_and_fabs_own_minimum_energy_file) {
    setenv("BOLTZBENCH_MANIFEST", BB_SOURCE_DIR "/datasets/manifest.json", 1);
    bb_manifest m;
    bb_ctx c = {0};
    assert_int_equal(bb_manifest_load(NULL, &m, &c), BB_OK);
    const char *splits[] = {"fab-aldp-train-pt", "fab-aldp-val-pt", "fab-aldp-test-pt"};
    for (int k = 0; k < 3; k++) {
        const bb_dataset *d = bb_manifest_find(&m, splits[k]);
        assert_non_null(d);
        assert_string_equal(d->format, "pt");
        assert_string_equal(d->coordinates, "fab-internal");
        assert_int_equal(d->ndim, 2);
        assert_true(d->shape[0] == BB_SHAPE_ANY && d->shape[1] == 60);
        assert_false(d->has_sha256);
        assert_string_equal(d->license, "CC-BY-4.0");
        assert_non_null(strstr(d->urls[0], "zenodo.org/api/records/6993124/files/"));
    }
    const bb_dataset *d = bb_manifest_find(&m, "fab-aldp-min-energy");
    assert_non_null(d);
    assert_true(d->has_sha256 && d->has_energy_check && d->temperature_K == 0.0);
    /* fetched from a local mirror (DIR/<file>), verified by sha256 */
    char mirror[256], dst[512];
    snprintf(mirror, sizeof mirror, "%s/mirror", tmp_src);
    assert_int_equal(bb_mkdir_p(mirror, &c), BB_OK);
    snprintf(dst, sizeof dst, "%s/position_min_energy.pt", mirror);
    char *buf;
    size_t len;
    assert_int_equal(bb_read_file(FIX "fab_position_min_energy.pt", LIMIT, &buf, &len, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(dst, buf, len, &c), BB_OK);
    free(buf);
    bb_fetch_opts o;
    bb_fetch_opts_init(&o);
    o.cache_dir = tmp_cache;
    o.mirror_dir = mirror;
    char got[4096];
    int rc = bb_fetch_dataset(d, &o, got, sizeof got, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    bb_array a;
    assert_int_equal(bb_pt_read(got, LIMIT, &a, &c), BB_OK);
    bb_task *t = fab_task();
    bb_samples s = {1, 66, a.data, NULL};
    rc = bb_dataset_check_energy(d, t, &s, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    double keep[66];
    memcpy(keep, a.data, sizeof keep);
    for (int i = 0; i < 66; i++) a.data[i] = 10.0 * keep[i]; /* Å */
    assert_int_equal(bb_dataset_check_energy(d, t, &s, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "fab-aldp-min-energy"));
    for (int i = 0; i < 66; i++) a.data[i] = keep[(i + 3) % 66]; /* every atom takes its neighbour's place */
    assert_int_equal(bb_dataset_check_energy(d, t, &s, &c), BB_EFORMAT);
    bb_array_free(&a);
    bb_task_free(t);
    bb_manifest_free(&m);
}

BB_TEST_MAIN(setup, teardown,
             cmocka_unit_test(a_torch_save_set_loads_like_npy_and_the_energy_check_rejects_angstrom_and_permuted_atoms),
             cmocka_unit_test(without_a_sha256_damage_and_a_wrong_shape_are_caught_at_load_never_passed),
             cmocka_unit_test(the_real_manifest_entries_and_fabs_own_minimum_energy_file))
