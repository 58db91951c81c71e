/* cmd_suite.c — `boltzbench suite NAME`: run a committed suite (resumable) + summary. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/run/suite.h"

enum { O_HELP, O_OUT, O_THREADS, O_LIST, O_QUIET, O_RERUN };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_OUT] = {"out", 'o', "DIR", "report directory (default results/NAME)"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    [O_LIST] = {"list", 'l', NULL, "only list the runs of the suite"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress display"},
    [O_RERUN] = {"rerun", 0, NULL, "run every run again, replacing finished reports"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_suite(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *name = NULL, *out = NULL;
    int list = 0, quiet = 0, rerun = 0;
    long long v;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (id) {
            case O_HELP:
                bb_opt_help(
                    stdout, "suite NAME [--out DIR]",
                    "Run the suite harness/suites/NAME.json (or a suite file path): every task x method x\n"
                    "budget x seed it lists, one report each under DIR/<task>/<method>-b<budget>-s<seed>.json.\n"
                    "Finished runs (same configuration hash, status ok) are skipped, so an interrupted suite\n"
                    "resumes; --rerun runs them all again. Prints a summary table. Exit status 1 if any\n"
                    "run failed.",
                    opts);
                return 0;
            case O_OUT: out = it.arg; break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) return 2;
                omp_set_num_threads((int)v);
                break;
            case O_LIST: list = 1; break;
            case O_QUIET: quiet = 1; break;
            case O_RERUN: rerun = 1; break;
            case BB_OPT_POSITIONAL:
                if (name) {
                    bb_cli_error("suite: one NAME only");
                    return 2;
                }
                name = it.positional;
                break;
            default: bb_cli_error("%s", ctx.msg); return 2;
        }
    }
    if (!name) {
        bb_cli_error("suite: NAME required (e.g. quick)");
        return 2;
    }
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
    int rc = bb_suite_run_all(&s, stdout, stdout, progress, &failed, &ctx);
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
