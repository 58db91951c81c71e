/* cmd_suite.c — `boltzbench suite NAME`: run a committed suite (resumable) + summary. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/run/suite.h"

int bb_cmd_suite(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *name = NULL, *out = NULL;
    int list = 0, quiet = 0, rerun = 0;
    long long threads = 0;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"out", 'o', "DIR", "report directory (default results/NAME)", BB_OPT_STRING, &out, 0},
        BB_OPT_ROW_THREADS(&threads),
        {"list", 'l', NULL, "only list the runs of the suite", BB_OPT_FLAG, &list, 0},
        BB_OPT_ROW_QUIET(&quiet),
        {"rerun", 0, NULL, "run every run again, replacing finished reports", BB_OPT_FLAG, &rerun, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "suite NAME [--out DIR]",
                "Run the suite harness/suites/NAME.json (or a suite file path): every task x method x\n"
                "budget x seed it lists, one report each under DIR/<task>/<method>-b<budget>-s<seed>.json.\n"
                "Finished runs (same configuration hash, status ok) are skipped, so an interrupted suite\n"
                "resumes; --rerun runs them all again. Prints a summary table. Exit status 1 if any\n"
                "run failed.");
    int rc = bb_cli_one_arg(&cl, &name, "suite: one NAME only", "suite: NAME required (e.g. quick)");
    if (rc >= 0) return rc;
    if (threads) omp_set_num_threads((int)threads); /* the program's top decides the threads */
    char path[4096], dir[4096];
    if (bb_suite_locate(name, path, sizeof path, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    bb_suite s;
    if (!out) {
        /* default directory from the suite's own name */
        bb_suite tmp;
        if (bb_suite_load(path, "results", &tmp, &ctx)) {
            bb_cli_error("%s", ctx.msg);
            return 1;
        }
        snprintf(dir, sizeof dir, "results/%s", tmp.name);
        bb_suite_free(&tmp);
        out = dir;
    }
    if (bb_suite_load(path, out, &s, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    s.rerun = rerun;
    if (list) {
        for (size_t i = 0; i < s.n_runs; i++) printf("%s\n", s.runs[i].out_path);
        bb_suite_free(&s);
        return 0;
    }
    const char *ci = getenv("CI");
    FILE *progress = (!quiet && isatty(fileno(stderr)) && !(ci && *ci)) ? stderr : NULL;
    size_t failed = 0;
    printf("suite %s: %zu runs -> %s\n", s.name, s.n_runs, out);
    fflush(stdout);
    rc = bb_suite_run_all(&s, stdout, stdout, progress, &failed, &ctx);
    bb_suite_free(&s);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    if (failed) {
        bb_cli_error("suite %s: %zu run(s) failed (see above)", name, failed);
        return 1;
    }
    return 0;
}
