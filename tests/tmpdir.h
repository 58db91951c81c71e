/* tmpdir.h — one scratch directory per test program: make it in the cmocka group setup,
 * remove it (recursively) in the teardown. */
#ifndef BB_TEST_TMPDIR_H
#define BB_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* mkdtemp("/tmp/<prefix>_XXXXXX") into dir; 0 on success (cmocka setup convention). */
static inline int bb_test_mkdtemp(char *dir, size_t cap, const char *prefix) {
    snprintf(dir, cap, "/tmp/%s_XXXXXX", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

/* 1 if <dir>/<name> exists. */
static inline int bb_test_exists_in(const char *dir, const char *name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* Writes text to path (created or truncated); 0 on success. */
static inline int bb_test_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* rm -rf dir; 0 on success (cmocka teardown convention). */
static inline int bb_test_rmtree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Point the dataset cache into dir (<dir>/cache) and forbid the network: tests that score
 * against the committed reference sets never depend on the user's cache. */
static inline void bb_test_isolated_cache(const char *dir) {
    char cache[600];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("BOLTZBENCH_CACHE", cache, 1);
    setenv("BOLTZBENCH_OFFLINE", "1", 1);
}

/* The cmocka group setup/teardown of a test program with one scratch directory:
 * `static char dir[256]`, setup() makes /tmp/<prefix>_XXXXXX then runs the statement(s)
 * given (e.g. bb_test_isolated_cache(dir), or (void)0), teardown() removes it. */
#define BB_TEST_TMPDIR_GROUP(dir, prefix, ...)                                                                         \
    static char dir[256];                                                                                              \
    static int setup(void **state) {                                                                                   \
        (void)state;                                                                                                   \
        if (bb_test_mkdtemp(dir, sizeof dir, prefix)) return -1;                                                       \
        __VA_ARGS__;                                                                                                   \
        return 0;                                                                                                      \
    }                                                                                                                  \
    static int teardown(void **state) {                                                                                \
        (void)state;                                                                                                   \
        return bb_test_rmtree(dir);                                                                                    \
    }

/* The cmocka group setup/teardown of a dataset test: two scratch directories `cache` (the
 * dataset cache) and `src` (stand-in upstream files) under /tmp/<prefix>_{cache,src}_XXXXXX,
 * the committed source tree and manifest, offline (file:// works, nothing reaches a server)
 * and no mirror; teardown removes both and unsets the variables. */
#define BB_TEST_DATASET_GROUP(cache, src, prefix)                                                                      \
    static char cache[64], src[64];                                                                                    \
    static int setup(void **state) {                                                                                   \
        (void)state;                                                                                                   \
        if (bb_test_mkdtemp(cache, sizeof cache, prefix "_cache") || bb_test_mkdtemp(src, sizeof src, prefix "_src"))  \
            return -1;                                                                                                 \
        setenv("BOLTZBENCH_CACHE", cache, 1);                                                                          \
        setenv("BOLTZBENCH_SOURCE_DIR", BB_SOURCE_DIR, 1);                                                             \
        setenv("BOLTZBENCH_MANIFEST", BB_SOURCE_DIR "/datasets/manifest.json", 1);                                     \
        setenv("BOLTZBENCH_OFFLINE", "1", 1);                                                                          \
        unsetenv("BOLTZBENCH_MIRROR");                                                                                 \
        return 0;                                                                                                      \
    }                                                                                                                  \
    static int teardown(void **state) {                                                                                \
        (void)state;                                                                                                   \
        bb_test_rmtree(cache);                                                                                         \
        bb_test_rmtree(src);                                                                                           \
        unsetenv("BOLTZBENCH_CACHE");                                                                                  \
        unsetenv("BOLTZBENCH_SOURCE_DIR");                                                                             \
        unsetenv("BOLTZBENCH_MANIFEST");                                                                               \
        unsetenv("BOLTZBENCH_OFFLINE");                                                                                \
        return 0;                                                                                                      \
    }

#endif
