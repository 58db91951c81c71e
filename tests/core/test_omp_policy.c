/* test_omp_policy.c — bb_omp_wait_policy_init: the program re-executes itself once with
 * OMP_WAIT_POLICY=PASSIVE unless the user chose a policy, never loops, and the policy really
 * reaches libgomp (which reads it before main).
 *
 * The test runs its own binary as the program under test ("child" mode) with controlled
 * environments; OMP_DISPLAY_ENV=verbose makes libgomp print, as it starts, the settings it
 * read — one block per image, so two blocks mean exactly one exec, and GOMP_SPINCOUNT = '0'
 * in the last block means idle threads do not spin (the passive policy took effect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/omp_policy.h"
#include "tests/testmain.h"

static char self[4096];
static char out[1 << 16];

/* Run `env <envs> self child 2>&1`, capture the output; returns the exit status. */
static int run_child(const char *envs) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "env -u OMP_WAIT_POLICY -u " BB_OMP_REEXEC_MARKER " OMP_DISPLAY_ENV=verbose %s '%s' child 2>&1", envs,
             self);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static int count(const char *hay, const char *needle) {
    int k = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle)) k++;
    return k;
}

/* The value libgomp printed for GOMP_SPINCOUNT in the last block, or NULL if it prints none. */
static const char *last_spincount(char *buf, size_t len) {
    const char *s = NULL;
    for (const char *q = out; (q = strstr(q, "GOMP_SPINCOUNT = '")); q++) s = q + strlen("GOMP_SPINCOUNT = '");
    if (!s) return NULL;
    size_t k = 0;
    while (s[k] && s[k] != '\'' && k + 1 < len) buf[k] = s[k], k++;
    buf[k] = '\0';
    return buf;
}

BB_TEST(passive_unless_told_otherwise_with_one_exec) {
    char spin[64];
    assert_int_equal(run_child(""), 0);
    assert_non_null(strstr(out, "policy=PASSIVE marker=(unset) rc=0"));
    if (last_spincount(spin, sizeof spin)) {                                 /* libgomp shows what it read */
        assert_int_equal(count(out, "OPENMP DISPLAY ENVIRONMENT BEGIN"), 2); /* one exec, no loop */
        assert_string_equal(spin, "0");                                      /* no spinning */
    }
    /* an empty value is no choice: libgomp would ignore it */
    assert_int_equal(run_child("OMP_WAIT_POLICY="), 0);
    assert_non_null(strstr(out, "policy=PASSIVE marker=(unset) rc=0"));
}

BB_TEST(the_users_policy_wins) {
    char spin[64];
    assert_int_equal(run_child("OMP_WAIT_POLICY=active"), 0);
    assert_non_null(strstr(out, "policy=active marker=(unset) rc=0"));
    if (last_spincount(spin, sizeof spin)) {
        assert_int_equal(count(out, "OPENMP DISPLAY ENVIRONMENT BEGIN"), 1); /* no exec */
        assert_string_not_equal(spin, "0");
    }
}

BB_TEST(the_marker_stops_a_second_exec) {
    assert_int_equal(run_child(BB_OMP_REEXEC_MARKER "=1"), 0);
    assert_non_null(strstr(out, "policy=(unset) marker=(unset) rc=0"));
    if (strstr(out, "OPENMP DISPLAY ENVIRONMENT BEGIN"))
        assert_int_equal(count(out, "OPENMP DISPLAY ENVIRONMENT BEGIN"), 1);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "child")) { /* the program under test */
        int rc = bb_omp_wait_policy_init(argv);
        const char *p = getenv("OMP_WAIT_POLICY"), *m = getenv(BB_OMP_REEXEC_MARKER);
        printf("policy=%s marker=%s rc=%d threads=%d\n", p ? p : "(unset)", m ? m : "(unset)", rc,
               omp_get_max_threads());
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passive_unless_told_otherwise_with_one_exec),
        cmocka_unit_test(the_users_policy_wins),
        cmocka_unit_test(the_marker_stops_a_second_exec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
