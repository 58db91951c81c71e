/* cmd_version.c — `boltzbench version`. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"

static const bb_opt opts[] = {
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_version(int argc, char **argv) {
    bb_opt_iter it;
    bb_ctx ctx = {0};
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        if (id == 0) {
            bb_opt_help(stdout, "version", "Print the harness version, report schema and build facts.", opts);
            return 0;
        }
        bb_cli_error("%s", id == BB_OPT_POSITIONAL ? "version: takes no arguments" : ctx.msg);
        return 2;
    }
#ifndef BB_GIT_COMMIT
#define BB_GIT_COMMIT "unknown"
#endif
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("boltzbench %s\nreport schema %s\ngit commit %s\nOpenMP threads %d\nOpenMP wait policy %s\n",
           BB_VERSION_STRING, BB_REPORT_SCHEMA, BB_GIT_COMMIT, omp_get_max_threads(), wait ? wait : "(default)");
    return 0;
}
