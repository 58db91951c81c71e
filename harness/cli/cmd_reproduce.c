/* cmd_reproduce.c — `boltzbench reproduce PAPER TASK`: run a paper's protocol
 * (results/protocols/PAPER/TASK.json) and compare with its published row. */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/run/reproduce.h"

static void print_row(const cJSON *cmp) {
    printf("%-18s %-8s %12s %10s %12s %10s %7s\n", "metric", "paper", "published", "±", "ours", "±", "z");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(cmp, "rows");
    for (const cJSON *r = rows ? rows->child : NULL; r; r = r->next) {
        const char *keys[] = {"published", "published_std", "ours_mean", "ours_std", "z"};
        double v[5];
        for (int k = 0; k < 5; k++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(r, keys[k]);
            v[k] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
        }
        printf("%-18s %-8s %12.4g %10.3g %12.4g %10.3g %7.2f\n",
               cJSON_GetObjectItemCaseSensitive(r, "metric")->valuestring,
               cJSON_GetObjectItemCaseSensitive(r, "name_in_paper")->valuestring, v[0], v[1], v[2], v[3], v[4]);
    }
}

int bb_cmd_reproduce(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_reproduce_opts o = {.checkpoint_minutes = -1.0, .log = stdout, .progress = stderr};
    const char *pos[2] = {NULL, NULL};
    int quiet = 0, rerun = 0;
    long long seeds = 0, budget = 0, threads = 0, seed = -1;
    double ckpt = -1.0;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"seeds", 0, "N", "run seeds 0 … N-1 (default: the protocol's)", BB_OPT_INT, &seeds, 1},
        {"seed", 's', "K", "run only seed K (the comparison uses every finished seed)", BB_OPT_INT, &seed, 0},
        {"budget", 'b', "N", "evaluation budget per seed (default: the protocol's, the paper's)", BB_OPT_BUDGET,
         &budget, 0},
        {"out", 'o', "DIR", "reports, samples and comparison.json (default results/reproduction/PAPER/TASK)",
         BB_OPT_STRING, &o.out_dir, 0},
        BB_OPT_ROW_THREADS(&threads),
        BB_OPT_ROW_QUIET(&quiet),
        {"checkpoint-minutes", 0, "M", "save each run's state every M minutes (default 10)", BB_OPT_REAL, &ckpt, 0},
        {"rerun-earlier", 0, NULL,
         "run seeds again whose reports another version made under the protocol (default: keep them)", BB_OPT_FLAG,
         &rerun, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "reproduce PAPER TASK [options]",
                "Run the protocol results/protocols/PAPER/TASK.json: the paper's method\n"
                "parameters, budget and evaluation, one run per seed (resumable: finished\n"
                "seeds are kept, a killed one continues from its state; so are seeds another\n"
                "version ran under the protocol, unless --rerun-earlier), then write\n"
                "comparison.json — ours (mean ± std over seeds) beside the published value,\n"
                "z = (ours - published) / published std — and print it. Exit status: 0 ok,\n"
                "1 a run failed, 2 usage error, 130 interrupted.");
    int rc = bb_cli_args(&cl, pos, 2, "reproduce: PAPER and TASK only (see --help)",
                         "reproduce: PAPER and TASK required, e.g. 'boltzbench reproduce adjoint_sampling dw4'");
    if (rc >= 0) return rc;
    o.seeds = (int)(seeds > 1000 ? 1000 : seeds);
    o.only_seed = (int)(seed > 1000 ? 1000 : seed);
    o.budget = budget;
    o.rerun_earlier = rerun;
    o.checkpoint_minutes = ckpt;
    if (quiet) o.progress = NULL;
    if (threads) {
        omp_set_num_threads((int)threads); /* the program's top decides the threads */
        o.threads = (int)threads;
    }
    char path[4096], out_dir[4096];
    bb_protocol p;
    if (bb_protocol_locate(pos[0], pos[1], path, sizeof path, &ctx) || bb_protocol_load(path, &p, &ctx))
        return bb_cli_status(1, &ctx);
    if (!o.out_dir) {
        snprintf(out_dir, sizeof out_dir, "results/reproduction/%s/%s", pos[0], pos[1]);
        o.out_dir = out_dir;
    }
    o.interrupt = bb_cli_catch_interrupts();
    cJSON *cmp = NULL;
    rc = bb_reproduce(&p, &o, &cmp, &ctx);
    bb_protocol_free(&p);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        return rc == BB_EINTERRUPTED ? BB_EXIT_INTERRUPTED : 1;
    }
    print_row(cmp);
    printf("comparison: %s/comparison.json\n", o.out_dir);
    cJSON_Delete(cmp);
    return 0;
}
