/* cmd_version.c — `boltzbench version`. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"

int bb_cmd_version(int argc, char **argv) {
    const bb_opt opts[] = {BB_OPT_ROW_HELP, BB_OPT_ROW_END};
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "version", "Print the harness version, report schema and build facts.");
    int rc = bb_cli_no_args(&cl);
    if (rc >= 0) return rc;
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("boltzbench %s\nreport schema %s\ngit commit %s\nOpenMP threads %d\nOpenMP wait policy %s\n",
           BB_VERSION_STRING, BB_REPORT_SCHEMA, bb_build_commit(), omp_get_max_threads(), wait ? wait : "(default)");
    return 0;
}
