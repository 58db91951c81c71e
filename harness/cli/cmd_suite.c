/* cmd_suite.c — `boltzbench suite NAME` (alias `sweep`): run a committed suite (resumable) +
 * summary; or over MPI ranks (--mpi), or as a Slurm array job (--slurm, then --index per
 * array task and --collect). The runners are harness/run/ functions (suite.h,
 * suite_slurm.h, mpi/suite_mpi.h); this file parses, decides the threads and prints. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/run/suite.h"
#include "harness/run/suite_slurm.h"
#ifdef BB_HAVE_MPI
#include "harness/run/mpi/suite_mpi.h"
#endif

typedef struct suite_args {
    const char *name, *out, *partition, *time, *costs;
    int list, quiet, rerun, mpi, slurm, collect;
    long long threads, cpus_per_task, index, time_limit;
} suite_args;

/* The suite file and its runs; out defaults to results/<the suite's own name>. */
static int load(const suite_args *a, char *path, size_t path_len, bb_suite *s, bb_ctx *ctx) {
    int rc = bb_suite_locate(a->name, path, path_len, ctx);
    if (rc) return rc;
    if (a->out) return bb_suite_load(path, a->out, s, ctx);
    bb_suite tmp;
    if ((rc = bb_suite_load(path, "results", &tmp, ctx))) return rc;
    char dir[4096];
    snprintf(dir, sizeof dir, "results/%s", tmp.name);
    bb_suite_free(&tmp);
    return bb_suite_load(path, dir, s, ctx);
}

static int finish(const char *name, int rc, size_t failed, const bb_ctx *ctx) {
    if (rc) {
        bb_cli_error("%s", ctx->msg);
        return 1;
    }
    if (failed) {
        bb_cli_error("suite %s: %zu run(s) failed (see above)", name, failed);
        return 1;
    }
    return 0;
}

/* --mpi: every rank loads the suite; rank 0 dispatches, the others run (suite_mpi.h). */
static int run_mpi(const suite_args *a) {
#ifdef BB_HAVE_MPI
    bb_ctx ctx = {0};
    bb_suite_mpi m;
    if (bb_suite_mpi_init(&m, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    char path[4096];
    bb_suite s = {0};
    int load_rc = load(a, path, sizeof path, &s, &ctx);
    if (load_rc) bb_cli_error("%s", ctx.msg); /* each rank says why it failed */
    bb_ctx actx = {0};
    int rc = bb_suite_mpi_agree(&m, load_rc, s.n_runs, &actx);
    size_t failed = 0;
    if (rc) {
        if (!load_rc && m.rank == 0) bb_cli_error("%s", actx.msg);
    } else {
        /* the program's top decides the threads: the rank's share unless --threads */
        int threads = a->threads ? (int)a->threads : m.threads;
        omp_set_num_threads(threads);
        s.threads = threads;
        s.rerun = a->rerun;
        FILE *out = m.rank == 0 ? stdout : NULL;
        if (out) {
            printf("suite %s: %zu runs -> %s (MPI: rank 0 dispatches to %d worker rank(s), %d thread(s) per run)\n",
                   s.name, s.n_runs, s.out_dir, m.size - 1, threads);
            fflush(stdout);
        }
        rc = bb_suite_mpi_run(&s, &m, a->costs, (int)a->time_limit, out, out, &failed, &ctx);
        rc = finish(a->name, rc, failed, &ctx);
    }
    bb_suite_free(&s);
    bb_suite_mpi_finalize();
    return load_rc ? 1 : rc ? 1 : 0;
#else
    (void)a;
    bb_cli_error("suite: --mpi: this boltzbench was built without MPI (install libopenmpi-dev and rebuild)");
    return 1;
#endif
}

/* --slurm: write the array job, the collect job and submit.sh (suite_slurm.h). */
static int write_slurm(const suite_args *a, const char *path, const bb_suite *s) {
    char prog[4096];
    ssize_t n = readlink("/proc/self/exe", prog, sizeof prog - 1);
    if (n <= 0) {
        bb_cli_error("suite: --slurm: cannot find this program's path (/proc/self/exe)");
        return 1;
    }
    prog[n] = '\0';
    bb_slurm_opts o = {.program = prog,
                       .suite_path = path,
                       .partition = a->partition,
                       .time = a->time,
                       .cpus_per_task = a->cpus_per_task ? (int)a->cpus_per_task : 1,
                       .cost_dir = a->costs};
    size_t n_tasks = 0;
    bb_ctx ctx = {0};
    if (bb_suite_slurm_write(s, &o, &n_tasks, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    if (!n_tasks)
        printf("suite %s: every run is finished in %s; nothing to submit (--rerun runs them again)\n", s->name,
               s->out_dir);
    else
        printf("suite %s: %zu array task(s) written to %s/slurm/ (runs.idx, array.sbatch, collect.sbatch);\n"
               "submit with: bash %s/slurm/submit.sh\n",
               s->name, n_tasks, s->out_dir, s->out_dir);
    return 0;
}

int bb_cmd_suite(int argc, char **argv) {
    suite_args a = {.index = -1};
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"out", 'o', "DIR", "report directory (default results/NAME)", BB_OPT_STRING, &a.out, 0},
        BB_OPT_ROW_THREADS(&a.threads),
        {"list", 'l', NULL, "only list the runs of the suite", BB_OPT_FLAG, &a.list, 0},
        BB_OPT_ROW_QUIET(&a.quiet),
        {"rerun", 0, NULL, "run every run again, replacing finished reports", BB_OPT_FLAG, &a.rerun, 0},
        {"mpi", 0, NULL, "run over MPI ranks (under mpirun): rank 0 dispatches, the others run", BB_OPT_FLAG, &a.mpi,
         0},
        {"run-time-limit", 0, "S", "--mpi: end a run after S seconds (recorded as failed)", BB_OPT_INT, &a.time_limit,
         1},
        {"slurm", 0, NULL, "write a Slurm array job (DIR/slurm/) instead of running", BB_OPT_FLAG, &a.slurm, 0},
        {"partition", 0, "P", "--slurm: the partition", BB_OPT_STRING, &a.partition, 0},
        {"time", 0, "T", "--slurm: time limit of each array task (e.g. 2:00:00)", BB_OPT_STRING, &a.time, 0},
        {"cpus-per-task", 0, "C", "--slurm: cores of each array task, the threads of its run (default 1)", BB_OPT_INT,
         &a.cpus_per_task, 1},
        {"costs", 0, "DIR", "--mpi/--slurm: earlier reports whose wall times order the runs (longest first)",
         BB_OPT_STRING, &a.costs, 0},
        {"index", 0, "K", "run only the K-th run (0-based, the order of --list; a Slurm array task)", BB_OPT_INT,
         &a.index, 0},
        {"collect", 0, NULL, "after a Slurm array job: failed reports for runs that left none, the table", BB_OPT_FLAG,
         &a.collect, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "suite NAME [--out DIR] [--mpi | --slurm [options] | --index K | --collect]",
                "Run the suite harness/suites/NAME.json (or a suite file path): every task x method x\n"
                "budget x seed it lists, one report each under DIR/<task>/<method>-b<budget>-s<seed>.json.\n"
                "Finished runs (same configuration hash, status ok) are skipped, so an interrupted suite\n"
                "resumes; --rerun runs them all again. Prints a summary table. Exit status 1 if any\n"
                "run failed. `sweep` is the same command.\n"
                "Scale-out (docs/scaling.md): `mpirun -np N boltzbench suite NAME --mpi` hands the runs,\n"
                "longest expected first, to N-1 worker ranks, each run on the rank's share of the cores;\n"
                "--slurm writes DIR/slurm/{runs.idx,array.sbatch,collect.sbatch,submit.sh}, one array\n"
                "task per run (`--index K`), then `--collect`.");
    int rc = bb_cli_one_arg(&cl, &a.name, "suite: one NAME only", "suite: NAME required (e.g. quick)");
    if (rc >= 0) return rc;
    if (a.mpi + a.slurm + a.collect + (a.index >= 0) + a.list > 1) {
        bb_cli_error("suite: --mpi, --slurm, --index, --collect and --list exclude each other");
        return 2;
    }
    if (!a.slurm && (a.partition || a.time || a.cpus_per_task)) {
        bb_cli_error("suite: --partition, --time and --cpus-per-task go with --slurm");
        return 2;
    }
    if (!a.mpi && a.time_limit) {
        bb_cli_error("suite: --run-time-limit goes with --mpi");
        return 2;
    }
    if (a.mpi) return run_mpi(&a);
    if (a.threads) omp_set_num_threads((int)a.threads); /* the program's top decides the threads */
    bb_ctx ctx = {0};
    char path[4096];
    bb_suite s;
    if (load(&a, path, sizeof path, &s, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    s.rerun = a.rerun;
    s.threads = (int)a.threads;
    size_t failed = 0;
    if (a.list) {
        for (size_t i = 0; i < s.n_runs; i++) printf("%s\n", s.runs[i].out_path);
    } else if (a.slurm) {
        rc = write_slurm(&a, path, &s);
    } else if (a.collect) {
        rc = bb_suite_collect(&s, &failed, &ctx);
        if (!rc) {
            bb_suite_table_header(stdout);
            for (size_t i = 0; i < s.n_runs; i++) bb_suite_table_row(&s, i, stdout);
        }
        rc = finish(a.name, rc, failed, &ctx);
    } else {
        bb_suite view = s; /* --index K: a suite of that one run */
        if (a.index >= 0) {
            if ((size_t)a.index >= s.n_runs) {
                bb_cli_error("suite %s: --index %lld: the suite has runs 0 … %zu", s.name, a.index, s.n_runs - 1);
                bb_suite_free(&s);
                return 2;
            }
            view.runs = &s.runs[a.index];
            view.n_runs = 1;
        }
        const char *ci = getenv("CI");
        FILE *progress = (!a.quiet && isatty(fileno(stderr)) && !(ci && *ci)) ? stderr : NULL;
        printf("suite %s: %zu runs -> %s\n", s.name, view.n_runs, s.out_dir);
        fflush(stdout);
        rc = bb_suite_run_all(&view, stdout, stdout, progress, &failed, &ctx);
        rc = finish(a.name, rc, failed, &ctx);
    }
    bb_suite_free(&s);
    return rc;
}
