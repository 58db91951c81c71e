/* cmd_report.c — `boltzbench report FILE`: pretty-print one run report. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "harness/cli/cli.h"
#include "harness/report/report.h"
#include "harness/report/table.h"

enum { O_HELP };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_report(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *path = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (id) {
            case O_HELP:
                bb_opt_help(stdout, "report FILE",
                            "Validate a run report and print it for humans: configuration, budget use, metrics\n"
                            "with confidence intervals and direction, the anytime curve, timing and host.",
                            opts);
                return 0;
            case BB_OPT_POSITIONAL:
                if (path) {
                    bb_cli_error("report: one FILE only");
                    return 2;
                }
                path = it.positional;
                break;
            default: bb_cli_error("%s", ctx.msg); return 2;
        }
    }
    if (!path) {
        bb_cli_error("report: FILE required");
        return 2;
    }
    cJSON *r = NULL;
    int rc = bb_report_read(path, &r, &ctx);
    if (!rc) rc = bb_report_print(stdout, r, &ctx);
    cJSON_Delete(r);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    return 0;
}
