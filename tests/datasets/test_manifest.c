/* test_manifest.c — the committed datasets/manifest.json parses and says what the issue
 * requires (real sha256 of the mirrored iDEM files, null sha256 for the unverified ones),
 * lookups by id, id@version and alias, validation errors name the field, the cache
 * directory follows BOLTZBENCH_CACHE > XDG_CACHE_HOME > HOME, and cache clean empties it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/manifest.h"
#include "harness/core/fileio.h"
#include "tests/testmain.h"

#define MANIFEST BB_SOURCE_DIR "/datasets/manifest.json"

BB_TEST(the_committed_manifest_lists_the_real_sources) {
    bb_manifest m;
    bb_ctx c = {0};
    int rc = bb_manifest_load(MANIFEST, &m, &c);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    const bb_dataset *d = bb_manifest_find(&m, "dw4-idem-test");
    assert_non_null(d);
    assert_string_equal(d->sha256, "ef4466793b3502b2fe405aad22d3ae43b34827971594c5bab28684771d828244");
    assert_int_equal(d->bytes, 320128);
    assert_int_equal(d->ndim, 2);
    assert_int_equal(d->shape[1], 8);
    assert_string_equal(d->task, "dw4");
    assert_string_equal(d->license, "MIT");
    assert_true(d->com_removed_on_load);
    assert_non_null(strstr(d->urls[0], "https://raw.githubusercontent.com/jarridrb/DEM/"
                                       "8e9531987b0bfe4e770d5009c10a56b8434c0f0a/data/test_split_DW4.npy"));
    assert_ptr_equal(bb_manifest_find(&m, "dw4-idem-test@1"), d);
    assert_ptr_equal(bb_manifest_find(&m, "idem-dw4-test"), d); /* alias used by tasks/dw.c */
    assert_null(bb_manifest_find(&m, "dw4-idem-test@2"));
    assert_null(bb_manifest_find(&m, "dw4-idem-test@x"));
    assert_null(bb_manifest_find(&m, "nope"));
    d = bb_manifest_find(&m, "lj13-idem-test");
    assert_non_null(d);
    assert_string_equal(d->sha256, "c5064a56282e96441f1ff2f1babb13c241a99cd1077aee3667951d06055a785b");
    d = bb_manifest_find(&m, "lj13-idem-train");
    assert_non_null(d);
    assert_false(d->has_sha256);
    assert_int_equal(d->bytes, -1);
    d = bb_manifest_find(&m, "pita-mendeley");
    assert_non_null(d);
    assert_false(d->has_sha256);
    assert_non_null(strstr(d->urls[0], "jnrdksfsyp"));
    d = bb_manifest_find(&m, "fab-aldp-zenodo");
    assert_non_null(d);
    assert_non_null(strstr(d->urls[0], "6993124"));
    d = bb_manifest_find(&m, "gmm40-exact");
    assert_non_null(d);
    assert_true(d->generated);
    assert_int_equal(d->gen_n, 10000);
    for (size_t i = 0; i < m.n; i++) {
        assert_true(m.d[i].generated || m.d[i].n_urls >= 1 || m.d[i].committed_path[0]);
        assert_true(m.d[i].citation[0] != '\0');
    }
    bb_manifest_free(&m);
    bb_manifest_free(NULL);
    /* default path: $BOLTZBENCH_MANIFEST, else the copy under bb_source_dir() */
    char def[4096], tiny[8];
    setenv("BOLTZBENCH_MANIFEST", "/x/m.json", 1);
    assert_int_equal(bb_manifest_default_path(def, sizeof def), BB_OK);
    assert_string_equal(def, "/x/m.json");
    assert_int_equal(bb_manifest_default_path(tiny, sizeof tiny), BB_EINVAL); /* does not fit */
    unsetenv("BOLTZBENCH_MANIFEST");
    const char *src = getenv("BOLTZBENCH_SOURCE_DIR");
    char *saved = src ? strdup(src) : NULL;
    setenv("BOLTZBENCH_SOURCE_DIR", "/some/checkout", 1);
    assert_int_equal(bb_manifest_default_path(def, sizeof def), BB_OK);
    assert_string_equal(def, "/some/checkout/datasets/manifest.json");
    unsetenv("BOLTZBENCH_SOURCE_DIR");
    assert_int_equal(bb_manifest_default_path(def, sizeof def), BB_OK);
    assert_string_equal(def, MANIFEST);
    if (saved) setenv("BOLTZBENCH_SOURCE_DIR", saved, 1);
    free(saved);
    assert_int_equal(bb_manifest_load(NULL, &m, &c), BB_OK);
    assert_non_null(bb_manifest_find(&m, "gmm40-exact@1"));
    bb_manifest_free(&m);
}

static int load_text(const char *json, bb_ctx *c) {
    char path[] = "/tmp/bb_manifest_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    bb_manifest m;
    int rc = bb_manifest_load(path, &m, c);
    if (rc == BB_OK)
        bb_manifest_free(&m);
    else
        assert_null(m.d);
    unlink(path);
    return rc;
}

#define ENTRY(extra)                                                                                                   \
    "{\"schema\":\"boltzbench.manifest/1\",\"datasets\":[{\"id\":\"a\",\"version\":1,\"file\":\"a.npy\","              \
    "\"urls\":[\"https://x/a.npy\"],\"format\":\"npy\",\"task\":\"dw4\"" extra "}]}"

BB_TEST(malformed_manifests_name_the_field) {
    bb_ctx c = {0};
    assert_int_equal(load_text(ENTRY(",\"sha256\":null"), &c), BB_OK);
    assert_int_equal(load_text(ENTRY(""), &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "sha256: missing"));
    assert_int_equal(load_text(ENTRY(",\"sha256\":\"ABC\""), &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "a: sha256"));
    assert_int_equal(load_text(ENTRY(",\"sha256\":null,\"bytes\":-3"), &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "bytes"));
    assert_int_equal(load_text(ENTRY(",\"sha256\":null,\"committed\":{\"path\":\"x\",\"format\":\"zip\"}"), &c),
                     BB_EFORMAT);
    assert_int_equal(load_text("{\"schema\":\"other/1\",\"datasets\":[]}", &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "schema"));
    assert_int_equal(load_text("{\"schema\":\"boltzbench.manifest/1\",\"datasets\":[{\"id\":\"a\",\"version\":1,"
                               "\"file\":\"../a.npy\",\"urls\":[],\"format\":\"npy\",\"task\":\"t\",\"sha256\":null}]}",
                               &c),
                     BB_EFORMAT);
    assert_non_null(strstr(c.msg, "file"));
    assert_int_equal(load_text("{\"schema\":\"boltzbench.manifest/1\",\"datasets\":[{\"id\":\"a\",\"version\":1,"
                               "\"file\":\"a.npy\",\"urls\":[\"ftp://h/a\"],\"format\":\"npy\",\"task\":\"t\","
                               "\"sha256\":null}]}",
                               &c),
                     BB_EFORMAT);
    assert_non_null(strstr(c.msg, "urls[0]"));
    assert_int_equal(load_text("{not json", &c), BB_EFORMAT);
    bb_manifest m;
    assert_int_equal(bb_manifest_load("/nonexistent/manifest.json", &m, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "/nonexistent/manifest.json"));
}

BB_TEST(the_cache_directory_follows_the_environment) {
    char out[4096];
    bb_ctx c = {0};
    setenv("BOLTZBENCH_CACHE", "/tmp/bbc/", 1);
    setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
    setenv("HOME", "/tmp/home", 1);
    assert_int_equal(bb_cache_dir(out, sizeof out, &c), BB_OK);
    assert_string_equal(out, "/tmp/bbc");
    unsetenv("BOLTZBENCH_CACHE");
    assert_int_equal(bb_cache_dir(out, sizeof out, &c), BB_OK);
    assert_string_equal(out, "/tmp/xdg/boltzbench");
    unsetenv("XDG_CACHE_HOME");
    assert_int_equal(bb_cache_dir(out, sizeof out, &c), BB_OK);
    assert_string_equal(out, "/tmp/home/.cache/boltzbench");
    unsetenv("HOME");
    assert_int_equal(bb_cache_dir(out, sizeof out, &c), BB_EINVAL);
    char small[8];
    setenv("BOLTZBENCH_CACHE", "/a/very/long/path", 1);
    assert_int_equal(bb_cache_dir(small, sizeof small, &c), BB_EINVAL);
    unsetenv("BOLTZBENCH_CACHE");
    bb_dataset d;
    memset(&d, 0, sizeof d);
    snprintf(d.id, sizeof d.id, "x");
    d.version = 2;
    snprintf(d.file, sizeof d.file, "f.npy");
    assert_int_equal(bb_dataset_path("/c", &d, out, sizeof out, &c), BB_OK);
    assert_string_equal(out, "/c/x@2/f.npy");
    assert_int_equal(bb_dataset_dir("/c", &d, out, sizeof out, &c), BB_OK);
    assert_string_equal(out, "/c/x@2");
}

BB_TEST(cache_clean_empties_the_directory_but_keeps_it) {
    char dir[] = "/tmp/bb_clean_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[256];
    bb_ctx c = {0};
    snprintf(p, sizeof p, "%s/a@1/sub", dir);
    assert_int_equal(bb_mkdir_p(p, &c), BB_OK);
    snprintf(p, sizeof p, "%s/a@1/sub/f.npy", dir);
    assert_int_equal(bb_write_file_atomic(p, "xyz", 3, &c), BB_OK);
    snprintf(p, sizeof p, "%s/g.npy", dir);
    assert_int_equal(bb_write_file_atomic(p, "xyz", 3, &c), BB_OK);
    assert_int_equal(bb_cache_clean(dir, &c), BB_OK);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/a@1", dir);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(access(dir, F_OK), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(bb_cache_clean("/tmp/bb_clean_does_not_exist", &c), BB_OK);
    assert_int_equal(bb_cache_clean("/", &c), BB_EINVAL);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(the_committed_manifest_lists_the_real_sources),
             cmocka_unit_test(malformed_manifests_name_the_field),
             cmocka_unit_test(the_cache_directory_follows_the_environment),
             cmocka_unit_test(cache_clean_empties_the_directory_but_keeps_it))
