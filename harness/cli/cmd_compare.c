/* cmd_compare.c — `boltzbench compare BASELINE NEW`: the CI regression gate. Exit 0
 * when every baseline run is reproduced within tolerance, 1 otherwise (regression,
 * missing run or metric, failed run, version mismatch, unreadable report, a report with
 * status other than "ok" or empty metrics). The reports are read before the tolerance
 * file, so an error names the report; the default tolerance file is found in the source
 * tree (bb_tolerances_default_path), not the current directory. */
#include <stdio.h>

#include "harness/cli/cli.h"
#include "harness/report/compare.h"

int bb_cmd_compare(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *dirs[2] = {NULL, NULL}, *tol_path = NULL;
    char tol_default[4096];
    int verbose = 0;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"tolerances", 't', "FILE",
         "per-metric tolerances (default ci/tolerances.json of the source tree or $BOLTZBENCH_SOURCE_DIR)",
         BB_OPT_STRING, &tol_path, 0},
        {"verbose", 'v', NULL, "print every compared metric, not only the changed ones", BB_OPT_FLAG, &verbose, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "compare BASELINE_DIR NEW_DIR [--tolerances FILE] [--verbose]",
                "Match the runs of NEW_DIR to those of BASELINE_DIR by configuration hash and compare\n"
                "every scalar metric: a change in the worse direction (from the metric registry) beyond\n"
                "max(abs, rel*|baseline|) is a regression. Prints a diff table; exit status 1 on any\n"
                "regression, missing run or metric, failed run, version mismatch, or a report (in\n"
                "either directory) whose status is not \"ok\" or whose metrics are empty.");
    int rc = bb_cli_args(&cl, dirs, 2, "compare: exactly two directories (BASELINE_DIR NEW_DIR)",
                         "compare: BASELINE_DIR and NEW_DIR required");
    if (rc >= 0) return rc;
    if (!tol_path) tol_path = bb_tolerances_default_path(tol_default, sizeof tol_default);
    bb_tolerances tol = {0};
    bb_rset base, fresh = {0};
    bb_cmp_summary sum;
    /* reports first: a missing or truncated report is the error to show */
    rc = bb_rset_load_dir(dirs[0], &base, &ctx);
    if (!rc) rc = bb_rset_load_dir(dirs[1], &fresh, &ctx);
    if (!rc) rc = bb_tolerances_load(tol_path, &tol, &ctx);
    if (!rc) rc = bb_compare_sets(&base, &fresh, &tol, stdout, verbose, &sum, &ctx);
    fflush(stdout);
    bb_rset_free(&base);
    bb_rset_free(&fresh);
    bb_tolerances_free(&tol);
    if (rc) return bb_cli_status(rc, &ctx);
    if (sum.unusable_reports) {
        bb_cli_error("%s", sum.first_unusable);
        return 1;
    }
    if (bb_compare_failed(&sum)) {
        bb_cli_error("compare: %s differs from %s beyond tolerance (see table above)", dirs[1], dirs[0]);
        return 1;
    }
    return 0;
}
