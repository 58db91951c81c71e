/* omp_policy.c — see omp_policy.h. */
#include "harness/core/omp_policy.h"

#include <stdlib.h>
#include <unistd.h>

int bb_omp_wait_policy_init(char **argv) {
    int rc = 0;
    const char *policy = getenv("OMP_WAIT_POLICY");
    if ((!policy || !*policy) && !getenv(BB_OMP_REEXEC_MARKER)) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        setenv(BB_OMP_REEXEC_MARKER, "1", 1);
        execv("/proc/self/exe", argv); /* returns only on failure: go on as we are, */
        unsetenv("OMP_WAIT_POLICY");   /* with libgomp's default */
        rc = -1;
    }
    unsetenv(BB_OMP_REEXEC_MARKER);
    return rc;
}
