/* cmd_report.c — `boltzbench report FILE`: pretty-print one run report. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"
#include "harness/report/table.h"

int bb_cmd_report(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *path = NULL;
    const bb_opt opts[] = {BB_OPT_ROW_HELP, BB_OPT_ROW_END};
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "report FILE",
                "Validate a run report and print it for humans: configuration, budget use, metrics\n"
                "with confidence intervals and direction, the anytime curve, timing and host.");
    int rc = bb_cli_one_arg(&cl, &path, "report: one FILE only", "report: FILE required");
    if (rc >= 0) return rc;
    cJSON *r = NULL;
    rc = bb_report_read(path, &r, &ctx);
    if (!rc) rc = bb_report_print(stdout, r, &ctx);
    cJSON_Delete(r);
    return bb_cli_status(rc, &ctx);
}
