/* tmpdir.h — one scratch directory per test program: make it in the cmocka group setup,
 * remove it (recursively) in the teardown. */
#ifndef BB_TEST_TMPDIR_H
#define BB_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* mkdtemp("/tmp/<prefix>_XXXXXX") into dir; 0 on success (cmocka setup convention). */
static inline int bb_test_mkdtemp(char *dir, size_t cap, const char *prefix) {
    snprintf(dir, cap, "/tmp/%s_XXXXXX", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

/* rm -rf dir; 0 on success (cmocka teardown convention). */
static inline int bb_test_rmtree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
