/* test_fetch.c — the fetcher end to end against a real HTTP server on 127.0.0.1 (httpd.c,
 * started by this test on an ephemeral port) and against file:// URLs and a mirror
 * directory. Covers: verified download, resume after a truncated transfer (Range), a
 * server that ignores Range, wrong bytes rejected and removed, 404 naming the URL, 500
 * retried with backoff, a stalled transfer timing out, the second mirror used when the
 * first fails, offline mode never touching the network, unverified datasets refused,
 * two processes fetching the same file at once, cache states, and the real iDEM bytes
 * mirrored in ../shared (skipped when ../shared is absent). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/fetch.h"
#include "datasets/npy.h"
#include "harness/core/clock.h"
#include "harness/core/fileio.h"
#include "httpd.h"
#include "tests/testmain.h"

#define SHARED_DEM BB_SOURCE_DIR "/../shared/datasets/jarridrb-DEM/data"

typedef struct fx {
    httpd *h;
    char cache[64];
    unsigned char *body;
    size_t len;
    char sha[65];
    bb_dataset d;
    bb_fetch_opts o;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    f->h = httpd_start();
    assert_non_null(f->h);
    snprintf(f->cache, sizeof f->cache, "/tmp/bb_fetch_XXXXXX");
    assert_non_null(mkdtemp(f->cache));
    /* a 40,000-byte npy of high-entropy doubles */
    size_t shape[2] = {625, 8};
    double *x = malloc(5000 * sizeof *x);
    for (size_t k = 0; k < 5000; k++) x[k] = sin(2.385 * (double)k) * 1e3 + 1.0 / (double)(k + 7);
    bb_ctx c = {0};
    assert_int_equal(bb_npy_encode(x, 2, shape, &f->body, &f->len, &c), BB_OK);
    free(x);
    bb_sha256_hex(f->body, f->len, f->sha);
    snprintf(f->d.id, sizeof f->d.id, "toy-set");
    f->d.version = 1;
    snprintf(f->d.file, sizeof f->d.file, "toy.npy");
    snprintf(f->d.format, sizeof f->d.format, "npy");
    f->d.has_sha256 = 1;
    memcpy(f->d.sha256, f->sha, 65);
    f->d.bytes = (long long)f->len;
    bb_fetch_opts_init(&f->o);
    f->o.offline = 0;
    f->o.mirror_dir = NULL;
    f->o.cache_dir = f->cache;
    f->o.backoff_ms = 20;
    f->o.max_attempts = 3;
    f->o.stall_timeout_ms = 400;
    f->o.connect_timeout_ms = 2000;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    httpd_stop(f->h);
    bb_ctx c = {0};
    bb_cache_clean(f->cache, &c);
    rmdir(f->cache);
    free(f->body);
    free(f);
    return 0;
}

static void set_url(fx *f, int i, const char *path) {
    snprintf(f->d.urls[i], sizeof f->d.urls[i], "http://127.0.0.1:%d%s", httpd_port(f->h), path);
    if (f->d.n_urls < i + 1) f->d.n_urls = i + 1;
}

static void assert_cached_ok(fx *f, const char *path) {
    char sha[65];
    bb_ctx c = {0};
    assert_int_equal(bb_sha256_file(path, sha, &c), BB_OK);
    assert_string_equal(sha, f->sha);
    char part[4200];
    snprintf(part, sizeof part, "%s.part", path);
    assert_int_equal(access(part, F_OK), -1);
}

/* Serve the test body at path (in the given httpd mode, the first `times` requests) and make
 * it the dataset's first URL. */
static void serve(fx *f, const char *path, httpd_mode mode, int times) {
    httpd_route(f->h, path, f->body, f->len, mode, times);
    set_url(f, 0, path);
}

/* Fetch the dataset into path (a char[4096]) expecting status want; an unexpected status
 * prints the message first. */
static void fetch_expect(fx *f, char *path, int want, bb_ctx *c) {
    int rc = bb_fetch_dataset(&f->d, &f->o, path, 4096, c);
    if (rc != want) fprintf(stderr, "%s\n", c->msg);
    assert_int_equal(rc, want);
}

/* Fetch the dataset expecting success and the verified file, with no .part, in the cache. */
static void fetch_ok(fx *f) {
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_OK, &c);
    assert_cached_ok(f, path);
}

/* Leave the first n bytes of the body as <cache>/toy-set@<version>/toy.npy.part, as an
 * interrupted earlier fetch would. */
static void leave_part(fx *f, int version, size_t n) {
    char dir[4096], part[4200];
    snprintf(dir, sizeof dir, "%s/toy-set@%d", f->cache, version);
    snprintf(part, sizeof part, "%s/toy.npy.part", dir);
    bb_ctx c = {0};
    assert_int_equal(bb_mkdir_p(dir, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(part, f->body, n, &c), BB_OK);
}

/* Assert the dataset's cache state is want; returns the bytes the cache reports. */
static long long assert_cache_state(fx *f, bb_cache_state want) {
    bb_cache_state st;
    long long by;
    bb_ctx c = {0};
    assert_int_equal(bb_dataset_cache_state(&f->d, f->cache, &st, &by, &c), BB_OK);
    assert_int_equal(st, want);
    return by;
}

static void a_plain_download_is_verified_and_renamed_into_the_cache(void **state) {
    fx *f = *state;
    serve(f, "/toy.npy", HTTPD_NORMAL, -1);
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_OK, &c);
    char want[4096];
    snprintf(want, sizeof want, "%s/toy-set@1/toy.npy", f->cache);
    assert_string_equal(path, want);
    assert_cached_ok(f, path);
    assert_int_equal(assert_cache_state(f, BB_CACHE_VERIFIED), (long long)f->len);
    /* a second fetch finds it without any request */
    int hits = httpd_hits(f->h, "/toy.npy");
    fetch_expect(f, path, BB_OK, &c);
    assert_int_equal(httpd_hits(f->h, "/toy.npy"), hits);
    /* a corrupted cache entry is detected, moved aside (kept for inspection) and fetched again */
    FILE *fp = fopen(path, "r+b");
    fputc('Z', fp);
    fclose(fp);
    assert_cache_state(f, BB_CACHE_CORRUPT);
    char *notes = NULL;
    size_t nlen = 0;
    f->o.notes = open_memstream(&notes, &nlen);
    fetch_expect(f, path, BB_OK, &c);
    fclose(f->o.notes);
    f->o.notes = NULL;
    assert_int_equal(httpd_hits(f->h, "/toy.npy"), hits + 1);
    assert_cached_ok(f, path);
    char aside[4200], note[9000];
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    snprintf(note, sizeof note, "boltzbench: %s: sha256 mismatch, moved aside to %s; fetching again\n", path, aside);
    assert_string_equal(notes, note);
    free(notes);
    char *old;
    size_t olen;
    assert_int_equal(bb_read_file(aside, 1 << 20, &old, &olen, &c), BB_OK);
    assert_int_equal(olen, f->len);
    assert_int_equal(old[0], 'Z');
    free(old);
}

static void a_truncated_transfer_resumes_with_range_and_hashes_right(void **state) {
    fx *f = *state;
    serve(f, "/t.npy", HTTPD_TRUNCATE, 1);
    fetch_ok(f);
    assert_int_equal(httpd_hits(f->h, "/t.npy"), 2);
    assert_int_equal(httpd_last_range(f->h, "/t.npy"), (long long)(f->len / 2));
}

static void a_partial_file_left_by_an_earlier_run_is_resumed(void **state) {
    fx *f = *state;
    leave_part(f, 1, 12345);
    assert_int_equal(assert_cache_state(f, BB_CACHE_PARTIAL), 12345);
    serve(f, "/p.npy", HTTPD_NORMAL, -1);
    fetch_ok(f);
    assert_int_equal(httpd_last_range(f->h, "/p.npy"), 12345);
}

static void a_server_ignoring_range_restarts_the_file(void **state) {
    fx *f = *state;
    leave_part(f, 1, 999);
    serve(f, "/n.npy", HTTPD_NORANGE, -1);
    fetch_ok(f);
    assert_int_equal(httpd_hits(f->h, "/n.npy"), 1);
}

static void wrong_bytes_are_rejected_and_never_left_in_the_cache(void **state) {
    fx *f = *state;
    serve(f, "/w.npy", HTTPD_WRONG, -1);
    char path[4096], want[4096], part[4200];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_EHASH, &c);
    assert_non_null(strstr(c.msg, "toy-set"));
    assert_non_null(strstr(c.msg, "/w.npy"));
    assert_non_null(strstr(c.msg, "sha256"));
    assert_string_equal(path, "");
    snprintf(want, sizeof want, "%s/toy-set@1/toy.npy", f->cache);
    snprintf(part, sizeof part, "%s.part", want);
    assert_int_equal(access(want, F_OK), -1);
    assert_int_equal(access(part, F_OK), -1);
    /* a longer body than the manifest's size is cut off and removed as well */
    f->d.bytes = (long long)f->len - 100;
    fetch_expect(f, path, BB_EHASH, &c);
    assert_int_equal(access(part, F_OK), -1);
}

static void not_found_names_the_url_and_is_not_retried(void **state) {
    fx *f = *state;
    set_url(f, 0, "/missing.npy");
    char path[4096], url[256];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_ENET, &c);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing.npy: HTTP 404", httpd_port(f->h));
    assert_non_null(strstr(c.msg, url));
    assert_int_equal(httpd_total_hits(f->h), 1);
}

static void server_errors_are_retried_with_backoff(void **state) {
    fx *f = *state;
    serve(f, "/e.npy", HTTPD_500, 2);
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_OK, &c);
    assert_int_equal(httpd_hits(f->h, "/e.npy"), 3);
    assert_cached_ok(f, path);
    /* always failing: gives up after max_attempts, naming the status */
    serve(f, "/e2.npy", HTTPD_500, -1);
    f->d.version = 2; /* another cache entry */
    fetch_expect(f, path, BB_ENET, &c);
    assert_non_null(strstr(c.msg, "HTTP 500"));
    assert_int_equal(httpd_hits(f->h, "/e2.npy"), 3);
}

static void a_stalled_transfer_times_out_quickly(void **state) {
    fx *f = *state;
    serve(f, "/s.npy", HTTPD_STALL, -1);
    f->o.max_attempts = 1;
    char path[4096];
    bb_ctx c = {0};
    double t0 = bb_wall_s();
    fetch_expect(f, path, BB_ETIMEOUT, &c);
    double dt = bb_wall_s() - t0;
    printf("stalled transfer aborted after %.2f s (stall timeout 0.4 s)\n", dt);
    assert_true(dt < 4.0);
    assert_non_null(strstr(c.msg, "stalled"));
    assert_non_null(strstr(c.msg, "/s.npy"));
    /* the quarter that arrived is kept for a resume */
    char part[4200];
    snprintf(part, sizeof part, "%s/toy-set@1/toy.npy.part", f->cache);
    struct stat st;
    assert_int_equal(stat(part, &st), 0);
    assert_int_equal((size_t)st.st_size, f->len / 4);
    httpd_route(f->h, "/s.npy", f->body, f->len, HTTPD_NORMAL, -1);
    fetch_expect(f, path, BB_OK, &c);
    assert_int_equal(httpd_last_range(f->h, "/s.npy"), (long long)(f->len / 4));
    assert_cached_ok(f, path);
}

static void the_total_timeout_and_the_progress_bar_work(void **state) {
    fx *f = *state;
    serve(f, "/s.npy", HTTPD_STALL, -1);
    f->o.max_attempts = 1;
    f->o.stall_timeout_ms = 0; /* only the total timeout can end it */
    f->o.total_timeout_ms = 300;
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_ETIMEOUT, &c);
    assert_non_null(strstr(c.msg, "timed out"));
    /* progress goes to the given stream, one bar line ending in a newline */
    f->o.total_timeout_ms = 0;
    f->o.stall_timeout_ms = 400;
    httpd_route(f->h, "/s.npy", f->body, f->len, HTTPD_NORMAL, -1);
    FILE *bar = tmpfile();
    assert_non_null(bar);
    f->o.progress = bar;
    fetch_expect(f, path, BB_OK, &c);
    char text[8192];
    rewind(bar);
    size_t n = fread(text, 1, sizeof text - 1, bar);
    text[n] = '\0';
    fclose(bar);
    assert_non_null(strstr(text, "toy-set"));
    assert_non_null(strstr(text, "100%"));
    assert_true(n > 0 && text[n - 1] == '\n');
    /* never a bar in CI or on a non-terminal */
    setenv("CI", "true", 1);
    assert_int_equal(bb_fetch_progress_wanted(stderr), 0);
    unsetenv("CI");
    FILE *t = tmpfile();
    assert_int_equal(bb_fetch_progress_wanted(t), 0);
    fclose(t);
    assert_int_equal(bb_fetch_progress_wanted(NULL), 0);
}

static void the_second_mirror_is_used_when_the_first_fails(void **state) {
    fx *f = *state;
    httpd_route(f->h, "/good.npy", f->body, f->len, HTTPD_NORMAL, -1);
    set_url(f, 0, "/gone.npy");
    set_url(f, 1, "/good.npy");
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_OK, &c);
    assert_cached_ok(f, path);
    /* first mirror refuses connections (a closed port) */
    httpd *dead = httpd_start();
    int dead_port = httpd_port(dead);
    httpd_stop(dead);
    f->d.version = 3;
    snprintf(f->d.urls[0], sizeof f->d.urls[0], "http://127.0.0.1:%d/toy.npy", dead_port);
    f->o.max_attempts = 2;
    fetch_expect(f, path, BB_OK, &c);
    assert_cached_ok(f, path);
}

static void offline_mode_never_touches_the_network(void **state) {
    fx *f = *state;
    serve(f, "/toy.npy", HTTPD_NORMAL, -1);
    f->o.offline = 1;
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_EOFFLINE, &c);
    assert_non_null(strstr(c.msg, "toy-set"));
    assert_non_null(strstr(c.msg, "offline"));
    assert_int_equal(httpd_total_hits(f->h), 0);
    /* the environment switch does the same */
    setenv("BOLTZBENCH_OFFLINE", "1", 1);
    bb_fetch_opts o2;
    bb_fetch_opts_init(&o2);
    unsetenv("BOLTZBENCH_OFFLINE");
    assert_int_equal(o2.offline, 1);
    o2.cache_dir = f->cache;
    assert_int_equal(bb_fetch_dataset(&f->d, &o2, path, sizeof path, &c), BB_EOFFLINE);
    assert_int_equal(httpd_total_hits(f->h), 0);
    /* but a local mirror and file:// URLs work offline */
    char mdir[128], mfile[256];
    snprintf(mdir, sizeof mdir, "%s/mirror", f->cache);
    assert_int_equal(bb_mkdir_p(mdir, &c), BB_OK);
    snprintf(mfile, sizeof mfile, "%s/toy.npy", mdir);
    assert_int_equal(bb_write_file_atomic(mfile, f->body, f->len, &c), BB_OK);
    f->o.mirror_dir = mdir;
    fetch_expect(f, path, BB_OK, &c);
    assert_cached_ok(f, path);
    f->o.mirror_dir = NULL;
    f->d.version = 4;
    snprintf(f->d.urls[0], sizeof f->d.urls[0], "file://%s", mfile);
    /* with a partial download to resume: file:// honours the range too */
    leave_part(f, 4, 777);
    fetch_expect(f, path, BB_OK, &c);
    assert_cached_ok(f, path);
    assert_int_equal(httpd_total_hits(f->h), 0);
}

static void datasets_without_sha256_need_trust_unverified(void **state) {
    fx *f = *state;
    serve(f, "/u.npy", HTTPD_NORMAL, -1);
    f->d.has_sha256 = 0;
    f->d.bytes = -1;
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_EHASH, &c);
    assert_non_null(strstr(c.msg, "--trust-unverified"));
    assert_int_equal(httpd_total_hits(f->h), 0);
    f->o.trust_unverified = 1;
    fetch_expect(f, path, BB_OK, &c);
    assert_cached_ok(f, path);
    assert_cache_state(f, BB_CACHE_UNVERIFIED);
}

static void two_processes_fetching_the_same_file_do_not_corrupt_it(void **state) {
    fx *f = *state;
    /* truncate once so the first fetch takes a retry while the second waits on the lock */
    serve(f, "/c.npy", HTTPD_TRUNCATE, 1);
    f->o.backoff_ms = 200;
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            char path[4096];
            bb_ctx c = {0};
            int rc = bb_fetch_dataset(&f->d, &f->o, path, sizeof path, &c);
            if (rc) fprintf(stderr, "child %d: %s\n", k, c.msg);
            _exit(rc == BB_OK ? 0 : 1);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/toy-set@1/toy.npy", f->cache);
    assert_cached_ok(f, path);
    /* the second process found the finished file: one truncated + one resumed request */
    assert_int_equal(httpd_hits(f->h, "/c.npy"), 2);
}

/* --- the real iDEM DW-4 test split, mirrored in ../shared ------------------------ */

static int load_real(fx *f, unsigned char **bytes, size_t *len) {
    char p[512];
    snprintf(p, sizeof p, "%s/test_split_DW4.npy", SHARED_DEM);
    if (access(p, R_OK) != 0) return 0;
    bb_manifest m;
    bb_ctx c = {0};
    assert_int_equal(bb_manifest_load(BB_SOURCE_DIR "/datasets/manifest.json", &m, &c), BB_OK);
    const bb_dataset *d = bb_manifest_find(&m, "dw4-idem-test");
    assert_non_null(d);
    f->d = *d;
    bb_manifest_free(&m);
    assert_int_equal(bb_read_file(p, (size_t)1 << 24, (char **)bytes, len, &c), BB_OK);
    return 1;
}

static void the_real_idem_bytes_verify_through_loopback_file_url_and_mirror(void **state) {
    fx *f = *state;
    unsigned char *real;
    size_t len;
    if (!load_real(f, &real, &len)) {
        printf("skipped: %s is absent\n", SHARED_DEM);
        skip();
    }
    assert_true(f->d.has_sha256);
    assert_int_equal(f->d.bytes, (long long)len);
    httpd_route(f->h, "/jarridrb/DEM/data/test_split_DW4.npy", real, len, HTTPD_TRUNCATE, 1);
    f->d.n_urls = 0;
    set_url(f, 0, "/jarridrb/DEM/data/test_split_DW4.npy");
    char path[4096];
    bb_ctx c = {0};
    fetch_expect(f, path, BB_OK, &c);
    char sha[65];
    assert_int_equal(bb_sha256_file(path, sha, &c), BB_OK);
    assert_string_equal(sha, "ef4466793b3502b2fe405aad22d3ae43b34827971594c5bab28684771d828244");
    bb_array a;
    assert_int_equal(bb_npy_read(path, (size_t)1 << 24, &a, &c), BB_OK);
    assert_int_equal(a.shape[0], 10000);
    assert_int_equal(a.shape[1], 8);
    bb_array_free(&a);
    /* file:// of the shared copy */
    assert_int_equal(bb_cache_clean(f->cache, &c), BB_OK);
    snprintf(f->d.urls[0], sizeof f->d.urls[0], "file://%s/test_split_DW4.npy", SHARED_DEM);
    f->d.n_urls = 1;
    fetch_expect(f, path, BB_OK, &c);
    assert_int_equal(bb_sha256_file(path, sha, &c), BB_OK);
    assert_string_equal(sha, f->d.sha256);
    /* the mirror directory, offline, with the manifest's real https URLs */
    assert_int_equal(bb_cache_clean(f->cache, &c), BB_OK);
    bb_manifest m;
    assert_int_equal(bb_manifest_load(BB_SOURCE_DIR "/datasets/manifest.json", &m, &c), BB_OK);
    f->d = *bb_manifest_find(&m, "dw4-idem-test");
    bb_manifest_free(&m);
    f->o.offline = 1;
    f->o.mirror_dir = SHARED_DEM;
    fetch_expect(f, path, BB_OK, &c);
    assert_int_equal(bb_sha256_file(path, sha, &c), BB_OK);
    assert_string_equal(sha, f->d.sha256);
    assert_int_equal(httpd_total_hits(f->h), 2);
    free(real);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
BB_TEST_MAIN(NULL, NULL, T(a_plain_download_is_verified_and_renamed_into_the_cache),
             T(a_truncated_transfer_resumes_with_range_and_hashes_right),
             T(a_partial_file_left_by_an_earlier_run_is_resumed), T(a_server_ignoring_range_restarts_the_file),
             T(wrong_bytes_are_rejected_and_never_left_in_the_cache), T(not_found_names_the_url_and_is_not_retried),
             T(server_errors_are_retried_with_backoff), T(a_stalled_transfer_times_out_quickly),
             T(the_total_timeout_and_the_progress_bar_work), T(the_second_mirror_is_used_when_the_first_fails),
             T(offline_mode_never_touches_the_network), T(datasets_without_sha256_need_trust_unverified),
             T(two_processes_fetching_the_same_file_do_not_corrupt_it),
             T(the_real_idem_bytes_verify_through_loopback_file_url_and_mirror))
