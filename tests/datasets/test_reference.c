/* test_reference.c — reference sets: the committed copies load and hash to the upstream
 * sha256 (iDEM DW-4 / LJ-13 test splits) or to a fresh exact draw (GMM-40, proving the
 * recipe in the manifest), the centre of mass is removed for COM_FREE tasks, max_n
 * truncates; the cache path (fetched file, generated set with sidecar) is used when no
 * committed copy exists; every file is verified at load: a corrupt or truncated cached file
 * is moved aside and fetched again (file:// URL, loopback HTTP server httpd.c) or, when that
 * fails, loading fails naming the file; BB_ENOTFOUND only for a task that declares no
 * reference set; missing sets give a hint; bb_gunzip_file limits. Environment:
 * BOLTZBENCH_CACHE, BOLTZBENCH_SOURCE_DIR and BOLTZBENCH_MANIFEST are pointed at temporary
 * directories where a test needs it; BOLTZBENCH_OFFLINE=1 unless a test serves the file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/fetch.h"
#include "datasets/generated.h"
#include "harness/core/gz.h"
#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "datasets/reference.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "httpd.h"
#include "tests/tmpdir.h"
#include "tests/capture.h"
#include "tests/testmain.h"

#define REF BB_SOURCE_DIR "/datasets/reference/"

BB_TEST_DATASET_GROUP(tmp_cache, tmp_src, "bb_ref")

static bb_task *task(const char *id) {
    bb_task *t = NULL;
    bb_ctx c = {0};
    int rc = bb_task_create(id, NULL, &t, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return t;
}

static double max_com(const bb_samples *s, int P, int D) {
    double worst = 0;
    for (size_t i = 0; i < s->n; i++)
        for (int d = 0; d < D; d++) {
            double m = 0;
            for (int p = 0; p < P; p++) m += s->x[i * s->dof + (size_t)(p * D + d)];
            if (fabs(m / P) > worst) worst = fabs(m / P);
        }
    return worst;
}

BB_TEST(committed_idem_splits_load_with_upstream_hashes_and_no_com) {
    bb_task *t = task("dw4");
    bb_reference r;
    bb_ctx c = {0};
    int rc = bb_reference_load(t, 0, &r, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(r.sha256, "ef4466793b3502b2fe405aad22d3ae43b34827971594c5bab28684771d828244");
    assert_string_equal(r.dataset_id, "dw4-idem-test@1");
    assert_non_null(strstr(r.source, "committed"));
    assert_int_equal(r.samples.n, 10000);
    assert_int_equal(r.samples.dof, 8);
    assert_null(r.samples.logw);
    double com = max_com(&r.samples, 4, 2);
    printf("dw4: largest |COM| after load %.3g (the raw split has COM sd ~4)\n", com);
    assert_true(com < 1e-12);
    /* mean DW-4 energy of the split: -22.46 in ../shared/datasets/README.md, given to two
     * decimals, so agree within 0.02 */
    double *u = malloc(r.samples.n * sizeof *u), mean = 0;
    assert_int_equal(bb_task_energy(t, r.samples.n, r.samples.x, u, NULL, &c), BB_OK);
    for (size_t i = 0; i < r.samples.n; i++) mean += u[i];
    mean /= (double)r.samples.n;
    printf("dw4 test split mean energy %.4f (documented -22.46)\n", mean);
    assert_true(fabs(mean + 22.46) < 0.02);
    free(u);
    bb_reference_free(&r);
    bb_task_free(t);

    t = task("lj13");
    assert_int_equal(bb_reference_load(t, 500, &r, &c), BB_OK);
    assert_string_equal(r.sha256, "c5064a56282e96441f1ff2f1babb13c241a99cd1077aee3667951d06055a785b");
    assert_int_equal(r.samples.n, 500);
    assert_int_equal(r.samples.dof, 39);
    assert_true(max_com(&r.samples, 13, 3) < 1e-12);
    bb_reference_free(&r);
    bb_reference_free(NULL);
    bb_task_free(t);
}

BB_TEST(committed_gmm40_set_equals_a_fresh_exact_draw) {
    bb_task *t = task("gmm40");
    bb_reference r;
    bb_ctx c = {0};
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    assert_string_equal(r.dataset_id, "gmm40-exact@1");
    assert_non_null(strstr(r.source, "committed"));
    assert_int_equal(r.samples.n, 10000);
    bb_manifest m;
    assert_int_equal(bb_manifest_load(NULL, &m, &c), BB_OK);
    const bb_dataset *d = bb_manifest_find(&m, "gmm40-exact");
    assert_string_equal(r.sha256, d->sha256);
    bb_samples s;
    assert_int_equal(bb_reference_exact(t, d->gen_n, d->gen_seed, d->gen_stream, &s, &c), BB_OK);
    assert_memory_equal(s.x, r.samples.x, s.n * s.dof * sizeof(double));
    bb_samples_free(&s);
    bb_manifest_free(&m);
    bb_reference_free(&r);
    /* without the committed copy: drawn on the fly, identical */
    setenv("BOLTZBENCH_SOURCE_DIR", tmp_src, 1);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    assert_non_null(strstr(r.source, "exact samples"));
    assert_string_equal(r.sha256, "95095c0cc912abf4c61d754997f45316b42539ed23c05c9d5d5c9de063e8348f");
    bb_reference_free(&r);
    bb_task_free(t);
    /* a task without exact samples */
    t = task("dw4");
    assert_int_equal(bb_reference_exact(t, 5, 1, 2, &s, &c), BB_EUNSUPPORTED);
    bb_task_free(t);
}

BB_TEST(a_fetched_file_in_the_cache_is_used_and_rehashed) {
    setenv("BOLTZBENCH_SOURCE_DIR", tmp_src, 1); /* hide the committed copies */
    bb_task *t = task("dw4");
    bb_reference r;
    bb_ctx c = {0};
    /* declared but never fetched: a failure of its own, not "no reference set" */
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "boltzbench fetch dw4-idem-test"));
    /* put the real bytes where a fetch would */
    unsigned char *buf;
    size_t len;
    assert_int_equal(bb_gunzip_file(REF "dw4-idem-test.npy.gz", (size_t)1 << 22, &buf, &len, &c), BB_OK);
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/dw4-idem-test@1", tmp_cache);
    snprintf(path, sizeof path, "%s/test_split_DW4.npy", dir);
    assert_int_equal(bb_mkdir_p(dir, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(path, buf, len, &c), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    assert_non_null(strstr(r.source, "cache"));
    assert_int_equal(r.samples.n, 10000);
    bb_reference_free(&r);
    /* corrupt, and offline with no mirror: moved aside, cannot be fetched again, fails naming it */
    buf[len - 1] ^= 1;
    assert_int_equal(bb_write_file_atomic(path, buf, len, &c), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EOFFLINE);
    printf("offline refetch: %s\n", c.msg);
    assert_non_null(strstr(c.msg, path));
    assert_non_null(strstr(c.msg, "fetching it again failed"));
    char aside[320];
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    assert_int_equal(access(aside, F_OK), 0);
    assert_int_equal(access(path, F_OK), -1);
    free(buf);
    bb_task_free(t);
}

BB_TEST(generated_sets_round_trip_through_the_cache) {
    bb_task *t = task("lj55");
    bb_reference r;
    bb_ctx c = {0};
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EIO); /* declared (lj55-idem-test), not fetched */
    assert_non_null(strstr(c.msg, "boltzbench reference --task lj55"));
    assert_non_null(strstr(c.msg, "lj55-idem-test --trust-unverified")); /* no sha256 upstream */
    bb_samples s;
    assert_int_equal(bb_samples_alloc(&s, 3, 165, 0), BB_OK);
    for (size_t k = 0; k < 3 * 165; k++) s.x[k] = 0.5 * (double)(k % 13) + 1.0 / (double)(k + 2);
    cJSON *prov = cJSON_CreateObject();
    cJSON_AddStringToObject(prov, "sampler", "parallel tempering");
    cJSON_AddNumberToObject(prov, "seed", 7);
    cJSON_AddNumberToObject(prov, "energy_iat", 12.5);
    int rc = bb_dataset_store_generated("lj55" BB_REFERENCE_GENERATED_SUFFIX, &s, prov, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    cJSON_Delete(prov);
    char js[256];
    snprintf(js, sizeof js, "%s/lj55-reference.json", tmp_cache);
    cJSON *j;
    assert_int_equal(bb_json_read_file(js, 1 << 20, &j, &c), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "provenance"), "sampler")->valuestring,
                        "parallel tempering");
    assert_int_equal((int)cJSON_GetObjectItem(j, "n")->valuedouble, 3);
    cJSON_Delete(j);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    assert_non_null(strstr(r.source, "generated"));
    assert_string_equal(r.dataset_id, "lj55-reference");
    assert_int_equal(r.samples.n, 3);
    assert_true(max_com(&r.samples, 55, 3) < 1e-12);
    /* the stored bytes are the samples, COM removal happens at load */
    bb_samples g;
    char sha[65];
    assert_int_equal(bb_generated_load(tmp_cache, "lj55-reference", 1 << 20, &g, sha, &c), BB_OK);
    assert_memory_equal(g.x, s.x, 3 * 165 * sizeof(double));
    assert_string_equal(sha, r.sha256);
    bb_samples_free(&g);
    bb_reference_free(&r);
    /* tampering is detected */
    char npy[256];
    snprintf(npy, sizeof npy, "%s/lj55-reference.npy", tmp_cache);
    s.x[7] += 1.0;
    size_t shape[2] = {3, 165};
    assert_int_equal(bb_npy_write(npy, s.x, 2, shape, &c), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EHASH);
    assert_non_null(strstr(c.msg, npy));
    /* the sidecar says "complete" but the data is gone: an error, not "no reference set" */
    assert_int_equal(unlink(npy), 0);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EIO);
    assert_non_null(strstr(c.msg, npy));
    /* data whose shape disagrees with the sidecar (an edited sidecar, hash updated) */
    s.x[7] -= 1.0;
    assert_int_equal(bb_dataset_store_generated("lj55" BB_REFERENCE_GENERATED_SUFFIX, &s, NULL, &c), BB_OK);
    assert_int_equal(bb_json_read_file(js, 1 << 20, &j, &c), BB_OK);
    cJSON_ReplaceItemInObject(j, "n", cJSON_CreateNumber(4));
    assert_int_equal(bb_json_write_file(js, j, &c), BB_OK);
    cJSON_Delete(j);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "records n 4"));
    /* wrong dof for the task */
    bb_samples w;
    assert_int_equal(bb_samples_alloc(&w, 2, 7, 0), BB_OK);
    w.x[0] = 1;
    assert_int_equal(bb_dataset_store_generated("lj55-reference", &w, NULL, &c), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "degrees of freedom"));
    bb_samples_free(&w);
    /* refusals */
    assert_int_equal(bb_dataset_store_generated("../evil", &s, NULL, &c), BB_EINVAL);
    assert_int_equal(bb_samples_alloc(&w, 2, 7, 1), BB_OK);
    assert_int_equal(bb_dataset_store_generated("weighted", &w, NULL, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "unweighted"));
    bb_samples_free(&w);
    assert_int_equal(bb_generated_load(tmp_cache, "absent", 1 << 20, &g, NULL, &c), BB_ENOTFOUND);
    bb_samples_free(&s);
    bb_task_free(t);
}

BB_TEST(gunzip_limits_and_corruption) {
    unsigned char *buf;
    size_t len;
    bb_ctx c = {0};
    assert_int_equal(bb_gunzip_file(REF "gmm40-exact.npy.gz", 160128, &buf, &len, &c), BB_OK);
    assert_int_equal(len, 160128);
    free(buf);
    assert_int_equal(bb_gunzip_file(REF "gmm40-exact.npy.gz", 160127, &buf, &len, &c), BB_ENOMEM);
    assert_non_null(strstr(c.msg, "limit"));
    assert_null(buf);
    char *gz;
    size_t gl;
    assert_int_equal(bb_read_file(REF "gmm40-exact.npy.gz", 1 << 20, &gz, &gl, &c), BB_OK);
    char p[128];
    snprintf(p, sizeof p, "%s/cut.gz", tmp_cache);
    assert_int_equal(bb_write_file_atomic(p, gz, gl / 2, &c), BB_OK);
    assert_int_equal(bb_gunzip_file(p, 1 << 20, &buf, &len, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "cut.gz"));
    gz[gl / 2] ^= 0x55;
    gz[gl / 2 + 1] ^= 0x55;
    assert_int_equal(bb_write_file_atomic(p, gz, gl, &c), BB_OK);
    assert_true(bb_gunzip_file(p, 1 << 20, &buf, &len, &c) == BB_EFORMAT);
    free(gz);
    assert_int_equal(bb_gunzip_file("/nonexistent.gz", 10, &buf, &len, &c), BB_ENOTFOUND);
}

/* Without any cache directory (no BOLTZBENCH_CACHE, XDG_CACHE_HOME or HOME, as in some CI
 * environments) committed and exact reference sets still load. */
BB_TEST(committed_sets_load_without_a_cache_directory) {
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *xdg = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    unsetenv("BOLTZBENCH_CACHE");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    const char *ids[] = {"dw4", "gmm40"};
    for (int k = 0; k < 2; k++) {
        bb_task *t = task(ids[k]);
        bb_reference r;
        bb_ctx c = {0};
        int rc = bb_reference_load(t, 0, &r, &c);
        if (rc) fprintf(stderr, "%s\n", c.msg);
        assert_int_equal(rc, BB_OK);
        assert_int_equal(r.samples.n, 10000);
        bb_reference_free(&r);
        bb_task_free(t);
    }
    /* a task whose set would come from the cache says so, naming the missing directory */
    bb_task *t = task("lj55");
    bb_reference r;
    bb_ctx c = {0};
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "no cache directory"));
    bb_task_free(t);
    if (home) setenv("HOME", home, 1);
    if (xdg) setenv("XDG_CACHE_HOME", xdg, 1);
    free(home);
    free(xdg);
}

/* ---- verification at load: corrupt / truncated cached files are fetched again ------ */

#define DW4_SHA   "ef4466793b3502b2fe405aad22d3ae43b34827971594c5bab28684771d828244"
#define DW4_BYTES 320128

/* The real DW-4 split bytes (from the committed copy); *len = 320128. */
static unsigned char *dw4_bytes(size_t *len) {
    unsigned char *buf;
    bb_ctx c = {0};
    assert_int_equal(bb_gunzip_file(REF "dw4-idem-test.npy.gz", (size_t)1 << 22, &buf, len, &c), BB_OK);
    assert_int_equal(*len, DW4_BYTES);
    return buf;
}

/* A copy of the real manifest whose dw4-idem-test entry has `url` as its only URL, made the
 * manifest in use; the committed copies are hidden so the cache is what is loaded. */
static void use_manifest_with_dw4_url(const char *url) {
    bb_ctx c = {0};
    cJSON *j;
    assert_int_equal(bb_json_read_file(BB_SOURCE_DIR "/datasets/manifest.json", 1 << 22, &j, &c), BB_OK);
    cJSON *e;
    int found = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "datasets")) {
        if (strcmp(cJSON_GetObjectItem(e, "id")->valuestring, "dw4-idem-test") != 0) continue;
        cJSON *urls = cJSON_CreateArray();
        cJSON_AddItemToArray(urls, cJSON_CreateString(url));
        cJSON_ReplaceItemInObject(e, "urls", urls);
        found = 1;
    }
    assert_true(found);
    char p[256];
    snprintf(p, sizeof p, "%s/manifest.json", tmp_src);
    assert_int_equal(bb_json_write_file(p, j, &c), BB_OK);
    cJSON_Delete(j);
    setenv("BOLTZBENCH_MANIFEST", p, 1);
    setenv("BOLTZBENCH_SOURCE_DIR", tmp_src, 1); /* no datasets/reference/ there */
}

static char cached_path[300], aside_path[320];

/* Put `len` bytes where a fetch of dw4-idem-test@1 would (the cache file). */
static void put_cached(const unsigned char *buf, size_t len) {
    char dir[256];
    bb_ctx c = {0};
    snprintf(dir, sizeof dir, "%s/dw4-idem-test@1", tmp_cache);
    snprintf(cached_path, sizeof cached_path, "%s/test_split_DW4.npy", dir);
    snprintf(aside_path, sizeof aside_path, "%s.corrupt", cached_path);
    assert_int_equal(bb_mkdir_p(dir, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(cached_path, buf, len, &c), BB_OK);
}

/* bb_reference_load with stderr captured into `err` (the refetch note goes there). */
static char err[8192];
static int load_capturing_stderr(const bb_task *t, bb_reference *r, bb_ctx *c) {
    bb_test_capture cap;
    bb_test_capture_begin(&cap);
    int rc = bb_reference_load(t, 0, r, c);
    bb_test_capture_end(&cap, err, sizeof err);
    if (err[0]) printf("stderr: %s", err);
    return rc;
}

static void file_equals(const char *path, const unsigned char *buf, size_t len) {
    char *got;
    size_t glen;
    bb_ctx c = {0};
    assert_int_equal(bb_read_file(path, (size_t)1 << 22, &got, &glen, &c), BB_OK);
    assert_int_equal(glen, len);
    assert_memory_equal(got, buf, len);
    free(got);
}

static void assert_loaded_verified(const bb_reference *r) {
    char sha[65];
    bb_ctx c = {0};
    assert_string_equal(r->sha256, DW4_SHA);
    assert_non_null(strstr(r->source, "cache"));
    assert_int_equal(r->samples.n, 10000);
    assert_int_equal(bb_sha256_file(cached_path, sha, &c), BB_OK);
    assert_string_equal(sha, DW4_SHA); /* the cache holds good bytes again */
}

BB_TEST(a_flipped_byte_in_a_cached_file_is_moved_aside_and_fetched_again_from_a_file_url) {
    setenv("BOLTZBENCH_OFFLINE", "0", 1); /* file:// is allowed offline too; prove it is not needed */
    size_t len;
    unsigned char *good = dw4_bytes(&len);
    char src[256], url[300];
    snprintf(src, sizeof src, "%s/upstream.npy", tmp_src);
    bb_ctx c = {0};
    assert_int_equal(bb_write_file_atomic(src, good, len, &c), BB_OK);
    snprintf(url, sizeof url, "file://%s", src);
    use_manifest_with_dw4_url(url);
    bb_task *t = task("dw4");
    bb_reference r;
    /* one flipped byte in the middle of the data: still a valid npy, only the hash knows */
    unsigned char *bad = malloc(len);
    memcpy(bad, good, len);
    bad[len / 2] ^= 0x10;
    put_cached(bad, len);
    int rc = load_capturing_stderr(t, &r, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_loaded_verified(&r);
    bb_reference_free(&r);
    file_equals(aside_path, bad, len); /* the evidence is kept, under <file>.corrupt */
    char note[1024];
    snprintf(note, sizeof note, "boltzbench: %s: sha256 mismatch, moved aside to %s; fetching again\n", cached_path,
             aside_path);
    assert_string_equal(err, note); /* exactly this one line */
    /* a good file loads without a note and without touching the source */
    assert_int_equal(unlink(src), 0);
    assert_int_equal(load_capturing_stderr(t, &r, &c), BB_OK);
    assert_string_equal(err, "");
    bb_reference_free(&r);
    /* the source is gone now: the corrupt file is moved aside and loading fails naming it */
    put_cached(bad, len);
    rc = load_capturing_stderr(t, &r, &c);
    printf("source gone: %s (%s)\n", c.msg, bb_status_name(rc));
    assert_int_not_equal(rc, BB_OK);
    assert_int_not_equal(rc, BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, cached_path));
    assert_non_null(strstr(c.msg, "sha256"));
    assert_non_null(strstr(c.msg, "fetching it again failed"));
    assert_non_null(strstr(err, "moved aside"));
    assert_int_equal(access(cached_path, F_OK), -1);
    file_equals(aside_path, bad, len);
    /* and next time the set is simply absent: still not "no reference set" */
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "not in the cache"));
    free(bad);
    free(good);
    bb_task_free(t);
}

BB_TEST(a_truncated_cached_file_is_fetched_again_from_the_loopback_server) {
    setenv("BOLTZBENCH_OFFLINE", "0", 1);
    size_t len;
    unsigned char *good = dw4_bytes(&len);
    httpd *h = httpd_start();
    assert_non_null(h);
    httpd_route(h, "/dw4.npy", good, len, HTTPD_NORMAL, -1);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/dw4.npy", httpd_port(h));
    use_manifest_with_dw4_url(url);
    bb_task *t = task("dw4");
    bb_reference r;
    bb_ctx c = {0};
    put_cached(good, len / 2);
    int rc = load_capturing_stderr(t, &r, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_int_equal(httpd_hits(h, "/dw4.npy"), 1);
    assert_loaded_verified(&r);
    bb_reference_free(&r);
    file_equals(aside_path, good, len / 2);
    char note[1024];
    snprintf(note, sizeof note, "boltzbench: %s: size %zu bytes, expected %d, moved aside to %s; fetching again\n",
             cached_path, len / 2, DW4_BYTES, aside_path);
    assert_string_equal(err, note);
    /* the server now sends wrong bytes: the refetch is refused and loading fails naming the file */
    httpd_route(h, "/dw4.npy", good, len, HTTPD_WRONG, -1);
    put_cached(good, len - 1);
    rc = load_capturing_stderr(t, &r, &c);
    printf("wrong bytes: %s (%s)\n", c.msg, bb_status_name(rc));
    assert_int_equal(rc, BB_EHASH);
    assert_non_null(strstr(c.msg, cached_path));
    assert_non_null(strstr(c.msg, url));
    /* the server is down for this file: HTTP 404 */
    httpd_route(h, "/dw4.npy", good, len, HTTPD_404, -1);
    put_cached(good, len - 1);
    rc = load_capturing_stderr(t, &r, &c);
    printf("404: %s (%s)\n", c.msg, bb_status_name(rc));
    assert_int_equal(rc, BB_ENET);
    assert_non_null(strstr(c.msg, cached_path));
    assert_non_null(strstr(c.msg, "HTTP 404"));
    assert_int_equal(access(cached_path, F_OK), -1);
    httpd_stop(h);
    free(good);
    bb_task_free(t);
}

/* The committed .npy.gz copies are verified at every load too (sha256 of the uncompressed
 * bytes, gzip CRC): a damaged one is an error naming it, never replaced by the cache. */
BB_TEST(a_damaged_committed_copy_is_an_error_naming_it) {
    char dir[256], gz[320];
    snprintf(dir, sizeof dir, "%s/datasets/reference", tmp_src);
    snprintf(gz, sizeof gz, "%s/dw4-idem-test.npy.gz", dir);
    bb_ctx c = {0};
    assert_int_equal(bb_mkdir_p(dir, &c), BB_OK);
    char *raw;
    size_t rlen;
    assert_int_equal(bb_read_file(REF "dw4-idem-test.npy.gz", (size_t)1 << 22, &raw, &rlen, &c), BB_OK);
    setenv("BOLTZBENCH_SOURCE_DIR", tmp_src, 1);
    size_t len;
    unsigned char *good = dw4_bytes(&len);
    put_cached(good, len); /* a good cached copy must not hide the damage */
    bb_task *t = task("dw4");
    bb_reference r;
    assert_int_equal(bb_write_file_atomic(gz, raw, rlen, &c), BB_OK);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_OK);
    assert_non_null(strstr(r.source, "committed"));
    bb_reference_free(&r);
    for (int k = 0; k < 2; k++) {
        if (k == 0) raw[rlen / 2] ^= 0x01; /* one flipped byte */
        assert_int_equal(bb_write_file_atomic(gz, raw, k == 0 ? rlen : rlen / 3, &c), BB_OK);
        int rc = bb_reference_load(t, 0, &r, &c);
        printf("committed copy %s: %s (%s)\n", k == 0 ? "flipped" : "truncated", c.msg, bb_status_name(rc));
        assert_int_not_equal(rc, BB_OK);
        assert_int_not_equal(rc, BB_ENOTFOUND);
        assert_non_null(strstr(c.msg, gz));
        assert_non_null(strstr(c.msg, "git checkout -- datasets/reference/dw4-idem-test.npy.gz"));
    }
    free(raw);
    free(good);
    bb_task_free(t);
}

/* BB_ENOTFOUND means exactly "this task declares no reference set". */
BB_TEST(only_a_task_without_a_reference_set_gives_enotfound) {
    bb_reference r;
    bb_ctx c = {0};
    bb_task *t = task("lj13-phys"); /* declares none */
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "no reference set"));
    bb_task_free(t);
    /* aldp-pita names a whole-dataset archive, not npy samples: at a temperature without a
     * per-temperature set (400 K) nothing loadable is declared, even with the archive in the cache */
    char dir[256], p[320];
    snprintf(dir, sizeof dir, "%s/pita-mendeley@1", tmp_cache);
    snprintf(p, sizeof p, "%s/pita-jnrdksfsyp.zip", dir);
    assert_int_equal(bb_mkdir_p(dir, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(p, "PK", 2, &c), BB_OK);
    cJSON *tp = cJSON_CreateObject();
    cJSON_AddNumberToObject(tp, "temperature", 400.0);
    assert_int_equal(bb_task_create("aldp-pita", tp, &t, &c), BB_OK);
    cJSON_Delete(tp);
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "'files'"));
    bb_task_free(t);
    /* declared but not fetched: another code, and the hint to fetch it */
    t = task("lj55");
    assert_int_equal(bb_reference_load(t, 0, &r, &c), BB_EIO);
    assert_non_null(strstr(c.msg, "boltzbench fetch lj55-idem-test --trust-unverified"));
    bb_task_free(t);
    /* declared, but the manifest that describes it cannot be read */
    setenv("BOLTZBENCH_MANIFEST", "/nonexistent/manifest.json", 1);
    t = task("lj13");
    int rc = bb_reference_load(t, 0, &r, &c);
    assert_int_not_equal(rc, BB_OK);
    assert_int_not_equal(rc, BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "/nonexistent/manifest.json"));
    bb_task_free(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
BB_TEST_MAIN(NULL, NULL, T(committed_idem_splits_load_with_upstream_hashes_and_no_com),
             T(committed_gmm40_set_equals_a_fresh_exact_draw), T(a_fetched_file_in_the_cache_is_used_and_rehashed),
             T(generated_sets_round_trip_through_the_cache), T(gunzip_limits_and_corruption),
             T(committed_sets_load_without_a_cache_directory),
             T(a_flipped_byte_in_a_cached_file_is_moved_aside_and_fetched_again_from_a_file_url),
             T(a_truncated_cached_file_is_fetched_again_from_the_loopback_server),
             T(a_damaged_committed_copy_is_an_error_naming_it), T(only_a_task_without_a_reference_set_gives_enotfound))
