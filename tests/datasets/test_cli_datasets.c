/* test_cli_datasets.c — the `fetch`, `datasets` and `cache` subcommands, run in a child
 * process with stdout/stderr captured: help, usage errors (exit 2), one-line errors naming
 * the dataset or URL (exit 1) with nothing left in the cache, offline fetch from a mirror
 * directory, listing states, cache path/clean. Uses a loopback server for the HTTP error.
 * `eval` with a corrupt cached reference set: repaired from the mirror (a note on stderr),
 * or a one-line error naming the file and exit 1 when it cannot be fetched again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/core/gz.h"
#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "harness/cli/cli.h"
#include "harness/core/fileio.h"
#include "httpd.h"
#include "tests/testmain.h"

static char out_txt[1 << 16], err_txt[1 << 16];
static char tmp[64];

static int run(int (*cmd)(int, char **), ...) {
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, cmd);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;) argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char of[128], ef[128];
    snprintf(of, sizeof of, "%s/out.txt", tmp);
    snprintf(ef, sizeof ef, "%s/err.txt", tmp);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(of, "w", stdout) || !freopen(ef, "w", stderr)) _exit(99);
        int rc = cmd(argc, argv);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    int st;
    waitpid(pid, &st, 0);
    FILE *f = fopen(of, "r");
    size_t n = f ? fread(out_txt, 1, sizeof out_txt - 1, f) : 0;
    out_txt[n] = '\0';
    if (f) fclose(f);
    f = fopen(ef, "r");
    n = f ? fread(err_txt, 1, sizeof err_txt - 1, f) : 0;
    err_txt[n] = '\0';
    if (f) fclose(f);
    unlink(of);
    unlink(ef);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The line of `out_txt` that starts with `id`, in a static buffer ("" if none). */
static const char *row_of(const char *id) {
    static char line[512];
    line[0] = '\0';
    for (const char *p = out_txt; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, id, strlen(id)) == 0 && p[strlen(id)] == ' ') {
            size_t n = strcspn(p, "\n");
            if (n >= sizeof line) n = sizeof line - 1;
            memcpy(line, p, n);
            line[n] = '\0';
            break;
        }
    }
    return line;
}

static int setup(void **state) {
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/bb_cli_ds_XXXXXX");
    if (!mkdtemp(tmp)) return -1;
    setenv("BOLTZBENCH_MANIFEST", BB_SOURCE_DIR "/datasets/manifest.json", 1);
    unsetenv("BOLTZBENCH_OFFLINE");
    unsetenv("BOLTZBENCH_MIRROR");
    setenv("CI", "true", 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    bb_ctx c = {0};
    bb_cache_clean(tmp, &c);
    rmdir(tmp);
    return 0;
}

BB_TEST(help_and_usage_errors) {
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--help", NULL), 0);
    assert_non_null(strstr(out_txt, "--trust-unverified"));
    assert_non_null(strstr(out_txt, "--offline"));
    assert_int_equal(run(bb_cmd_datasets, "datasets", "--help", NULL), 0);
    assert_non_null(strstr(out_txt, "Usage: boltzbench datasets"));
    assert_int_equal(run(bb_cmd_cache, "cache", "--help", NULL), 0);
    assert_non_null(strstr(out_txt, "clean"));
    assert_int_equal(run(bb_cmd_fetch, "fetch", NULL), 2);
    assert_int_equal(lines(err_txt), 1);
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--bogus", NULL), 2);
    assert_non_null(strstr(err_txt, "boltzbench: --bogus"));
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--retries", "x", "a", NULL), 2);
    assert_int_equal(run(bb_cmd_cache, "cache", "shred", NULL), 2);
    assert_non_null(strstr(err_txt, "shred"));
    assert_int_equal(run(bb_cmd_datasets, "datasets", "extra", NULL), 2);
}

/* <tmp>/cache and <tmp>/mirror into cache and mirror (128 bytes each), and the committed
 * DW-4 test split put in the mirror (<mirror>/test_split_DW4.npy); returns its .npy bytes
 * (malloc'ed; *len their size). */
static unsigned char *dw4_test_split_in_a_mirror(char *cache, char *mirror, size_t *len) {
    snprintf(cache, 128, "%s/cache", tmp);
    snprintf(mirror, 128, "%s/mirror", tmp);
    char file[200];
    snprintf(file, sizeof file, "%s/test_split_DW4.npy", mirror);
    bb_ctx c = {0};
    unsigned char *buf = NULL;
    assert_int_equal(bb_gunzip_file(BB_SOURCE_DIR "/datasets/reference/dw4-idem-test.npy.gz", 1 << 22, &buf, len, &c),
                     BB_OK);
    assert_int_equal(bb_mkdir_p(mirror, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(file, buf, *len, &c), BB_OK);
    return buf;
}

BB_TEST(fetch_offline_from_a_mirror_then_list_and_clean) {
    char cache[128], mirror[128];
    size_t len;
    free(dw4_test_split_in_a_mirror(cache, mirror, &len));
    bb_ctx c = {0};
    assert_int_equal(
        run(bb_cmd_fetch, "fetch", "--offline", "--mirror", mirror, "--cache", cache, "dw4-idem-test", NULL), 0);
    assert_non_null(strstr(out_txt, "dw4-idem-test@1:"));
    assert_non_null(strstr(out_txt, "sha256 verified"));
    assert_string_equal(err_txt, "");
    /* offline and not mirrored: one line naming the dataset */
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--offline", "--cache", cache, "lj13-idem-test", NULL), 1);
    assert_int_equal(lines(err_txt), 1);
    assert_non_null(strstr(err_txt, "boltzbench: lj13-idem-test: not in the cache"));
    /* unknown id, unverified data refused */
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--cache", cache, "nope", NULL), 1);
    assert_non_null(strstr(err_txt, "boltzbench: nope: unknown dataset id"));
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--cache", cache, "lj13-idem-train", NULL), 1);
    assert_non_null(strstr(err_txt, "--trust-unverified"));
    /* trusted: fetched from the mirror, and the hash to pin is printed */
    char lj[200];
    snprintf(lj, sizeof lj, "%s/train_split_LJ13-1000.npy", mirror);
    assert_int_equal(bb_write_file_atomic(lj, "not really npy", 14, &c), BB_OK);
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--offline", "--trust-unverified", "--mirror", mirror, "--cache", cache,
                         "lj13-idem-train", NULL),
                     0);
    char sha[65], want_sha[100];
    bb_sha256_hex("not really npy", 14, sha);
    snprintf(want_sha, sizeof want_sha, "this file's is %s", sha);
    assert_non_null(strstr(out_txt, "UNVERIFIED"));
    assert_non_null(strstr(out_txt, want_sha));
    /* listing */
    assert_int_equal(run(bb_cmd_datasets, "datasets", "--cache", cache, NULL), 0);
    assert_non_null(strstr(row_of("dw4-idem-test@1"), "verified    known"));
    assert_non_null(strstr(row_of("dw4-idem-test@1"), "datasets/reference/dw4-idem-test.npy.gz"));
    assert_non_null(strstr(row_of("lj13-idem-train@1"), "unverified  null (unverified)"));
    assert_non_null(strstr(row_of("lj13-idem-val@1"), "absent      known"));
    assert_non_null(strstr(row_of("gmm40-exact@1"), "generated"));
    assert_non_null(strstr(out_txt, "gmm40-exact@1"));
    /* cache path / clean */
    assert_int_equal(run(bb_cmd_cache, "cache", "--cache", cache, "path", NULL), 0);
    char want[256];
    snprintf(want, sizeof want, "%s\n", cache);
    assert_string_equal(out_txt, want);
    setenv("BOLTZBENCH_CACHE", cache, 1);
    assert_int_equal(run(bb_cmd_cache, "cache", "path", NULL), 0);
    assert_string_equal(out_txt, want);
    assert_int_equal(run(bb_cmd_cache, "cache", "clean", NULL), 0);
    unsetenv("BOLTZBENCH_CACHE");
    snprintf(want, sizeof want, "%s/dw4-idem-test@1", cache);
    assert_int_equal(access(want, F_OK), -1);
    assert_int_equal(access(cache, F_OK), 0);
}

BB_TEST(http_errors_are_one_line_naming_the_url_and_leave_nothing) {
    httpd *h = httpd_start();
    assert_non_null(h);
    char manifest[128], json[2048], cache[128];
    snprintf(manifest, sizeof manifest, "%s/m.json", tmp);
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    snprintf(json, sizeof json,
             "{\"schema\":\"boltzbench.manifest/1\",\"datasets\":[{\"id\":\"toy\",\"version\":1,\"file\":\"t.npy\","
             "\"urls\":[\"http://127.0.0.1:%d/t.npy\"],\"sha256\":\"%064d\",\"bytes\":10,\"format\":\"npy\","
             "\"task\":\"dw4\"}]}",
             httpd_port(h), 0);
    bb_ctx c = {0};
    assert_int_equal(bb_write_file_atomic(manifest, json, strlen(json), &c), BB_OK);
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--manifest", manifest, "--cache", cache, "toy", NULL), 1);
    assert_int_equal(lines(err_txt), 1);
    char url[128];
    snprintf(url, sizeof url, "boltzbench: toy: http://127.0.0.1:%d/t.npy: HTTP 404", httpd_port(h));
    assert_non_null(strstr(err_txt, url));
    char p[256];
    snprintf(p, sizeof p, "%s/toy@1/t.npy", cache);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/toy@1/t.npy.part", cache);
    assert_int_equal(access(p, F_OK), -1);
    /* wrong bytes (10 bytes of zeros do not hash to 000…0) */
    static const unsigned char ten[10] = {0};
    httpd_route(h, "/t.npy", ten, sizeof ten, HTTPD_NORMAL, -1);
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--manifest", manifest, "--cache", cache, "toy", NULL), 1);
    assert_int_equal(lines(err_txt), 1);
    assert_non_null(strstr(err_txt, "sha256"));
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/toy@1/t.npy", cache);
    assert_int_equal(access(p, F_OK), -1);
    /* a stalled server with the timeout options */
    httpd_route(h, "/t.npy", ten, sizeof ten, HTTPD_STALL, -1);
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--manifest", manifest, "--cache", cache, "--stall-timeout", "300",
                         "--retries", "0", "toy", NULL),
                     1);
    assert_int_equal(lines(err_txt), 1);
    assert_non_null(strstr(err_txt, "stalled"));
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--timeout", "0", "toy", NULL), 2);
    assert_non_null(strstr(err_txt, "--timeout"));
    assert_int_equal(run(bb_cmd_fetch, "fetch", "--connect-timeout", "99999999999", "toy", NULL), 2);
    assert_non_null(strstr(err_txt, "--connect-timeout"));
    httpd_stop(h);
}

/* eval must not score without a reference set that the task declares but that is broken:
 * the old code threw the loader's error away and wrote an "ok" report with empty metrics. */
BB_TEST(eval_repairs_a_corrupt_cached_reference_or_fails_naming_it) {
    char cache[128], mirror[128], nosrc[128], dir[200], cached[256], x[128], out[128], want[1024];
    size_t len;
    unsigned char *good = dw4_test_split_in_a_mirror(cache, mirror, &len); /* BOLTZBENCH_MIRROR unset yet */
    snprintf(nosrc, sizeof nosrc, "%s/nosrc", tmp);
    snprintf(dir, sizeof dir, "%s/dw4-idem-test@1", cache);
    snprintf(cached, sizeof cached, "%s/test_split_DW4.npy", dir);
    snprintf(x, sizeof x, "%s/x.npy", tmp);
    snprintf(out, sizeof out, "%s/r.json", tmp);
    bb_ctx c = {0};
    unsigned char *bad = malloc(len);
    memcpy(bad, good, len);
    bad[len / 2] ^= 0x40;
    assert_int_equal(bb_mkdir_p(dir, &c), BB_OK);
    assert_int_equal(bb_mkdir_p(nosrc, &c), BB_OK);
    assert_int_equal(bb_write_file_atomic(cached, bad, len, &c), BB_OK);
    double xs[20 * 8];
    for (int k = 0; k < 20 * 8; k++) xs[k] = 0.7 * (double)(k % 9) - 2.0 + 0.01 * (double)k;
    size_t shape[2] = {20, 8};
    assert_int_equal(bb_npy_write(x, xs, 2, shape, &c), BB_OK);
    setenv("BOLTZBENCH_CACHE", cache, 1);
    setenv("BOLTZBENCH_SOURCE_DIR", nosrc, 1); /* hide the committed copy: the cache is used */
    setenv("BOLTZBENCH_OFFLINE", "1", 1);
    /* nowhere to fetch it from: exit 1, the last line names the file, no report */
    assert_int_equal(run(bb_cmd_eval, "eval", "--task", "dw4", "--samples", x, "--out", out, NULL), 1);
    printf("%s", err_txt);

    snprintf(want, sizeof want, "boltzbench: %s: sha256 ", cached);
    assert_true(lines(err_txt) >= 1);
    const char *last = err_txt + strlen(err_txt) - 1; /* the error is the last line (after the note) */
    while (last > err_txt && last[-1] != '\n') last--;
    assert_memory_equal(last, want, strlen(want));
    assert_non_null(strstr(last, "fetching it again failed"));
    assert_int_equal(access(out, F_OK), -1);
    /* declared but absent now (moved aside): still an error, not "no reference set" */
    assert_int_equal(run(bb_cmd_eval, "eval", "--task", "dw4", "--samples", x, "--out", out, NULL), 1);
    assert_int_equal(lines(err_txt), 1);
    assert_non_null(strstr(err_txt, "not in the cache"));
    assert_int_equal(access(out, F_OK), -1);
    /* with a mirror holding the good bytes it is fetched again, noted, and eval scores */
    assert_int_equal(bb_write_file_atomic(cached, bad, len, &c), BB_OK);
    setenv("BOLTZBENCH_MIRROR", mirror, 1);
    int rc = run(bb_cmd_eval, "eval", "--task", "dw4", "--samples", x, "--out", out, NULL);
    printf("%s", err_txt);
    assert_int_equal(rc, 0);
    assert_int_equal(lines(err_txt), 1);
    snprintf(want, sizeof want, "boltzbench: %s: sha256 mismatch, moved aside to %s.corrupt; fetching again\n", cached,
             cached);
    assert_string_equal(err_txt, want);
    char *rep;
    size_t rlen;
    assert_int_equal(bb_read_file(out, 1 << 22, &rep, &rlen, &c), BB_OK);
    assert_non_null(strstr(rep, "\"energy_w2\""));
    free(rep);
    unsetenv("BOLTZBENCH_MIRROR");
    unsetenv("BOLTZBENCH_OFFLINE");
    unsetenv("BOLTZBENCH_CACHE");
    setenv("BOLTZBENCH_SOURCE_DIR", BB_SOURCE_DIR, 1);
    free(good);
    free(bad);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
BB_TEST_MAIN(NULL, NULL, T(help_and_usage_errors), T(fetch_offline_from_a_mirror_then_list_and_clean),
             T(http_errors_are_one_line_naming_the_url_and_leave_nothing),
             T(eval_repairs_a_corrupt_cached_reference_or_fails_naming_it))
