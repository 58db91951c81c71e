/* main.c — the boltzbench program: dispatch to one subcommand (harness/cli/cmd_*.c).
 * Exit codes: 0 success, 1 failure, 2 usage error. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/core/omp_policy.h"

typedef struct bb_cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} bb_cli_cmd;

static const bb_cli_cmd commands[] = {
    {"tasks", bb_cmd_tasks, "list the tasks (energy functions) with ids, sizes and conventions"},
    {"methods", bb_cmd_methods, "list the samplers and their parameters"},
    {"run", bb_cmd_run, "run one method on one task under an energy budget and write a report"},
    {"suite", bb_cmd_suite, "run a named suite of runs (resumable) and print a summary table"},
    {"sweep", bb_cmd_suite, "the same as suite (also over MPI ranks or as a Slurm array job)"},
    {"reproduce", bb_cmd_reproduce, "run a paper's protocol (results/protocols) and compare with its published row"},
    {"table", bb_cmd_table, "aggregate reports into task x method tables (md, csv, latex, html with plots)"},
    {"compare", bb_cmd_compare, "compare new reports with a baseline under tolerances (CI regression gate)"},
    {"report", bb_cmd_report, "pretty-print one run report"},
    {"eval", bb_cmd_eval, "score externally produced samples (.npy) with the same metrics and report schema"},
    {"energy", bb_cmd_energy, "write per-configuration reduced energies (and forces) of samples as .npy"},
    {"minima", bb_cmd_minima, "build a task's catalogue of local minima by basin hopping (resumable)"},
    {"fetch", bb_cmd_fetch, "download and verify datasets into the cache (resumable, mirrors, offline mode)"},
    {"datasets", bb_cmd_datasets, "list the datasets of the manifest with cache and hash status"},
    {"cache", bb_cmd_cache, "print the cache directory or clean it"},
    {"reference", bb_cmd_reference, "generate a reference set by a long parallel-tempering run"},
    {"version", bb_cmd_version, "print the version and build information"},
    {NULL, NULL, NULL},
};

static void usage(FILE *fp) {
    fprintf(fp, "Usage: boltzbench <command> [options]   (boltzbench <command> --help for details)\n\n"
                "A reproducible benchmark harness for samplers of Boltzmann densities.\n\nCommands:\n");
    for (const bb_cli_cmd *c = commands; c->name; c++) fprintf(fp, "  %-10s %s\n", c->name, c->summary);
}

/* Thread policy, decided here once for the whole process (docs/architecture.md):
 *  - OpenMP waits passively unless the user chose a policy: spinning idle threads made a
 *    2-thread run collapse on a shared 2-core machine. libgomp reads OMP_WAIT_POLICY when it
 *    is loaded, so the program re-executes itself once with the variable set
 *    (bb_omp_wait_policy_init; if that exec fails, `version` shows libgomp's default).
 *  - OpenBLAS runs single-threaded: the nn core splits its products into row blocks under
 *    OpenMP itself (methods/nn/ops_matmul.c), and two thread pools would oversubscribe (and
 *    bb_nn_graph_init refuses a multi-threaded BLAS). No library changes it.
 *  - The number of OpenMP threads is --threads / OMP_NUM_THREADS, passed down explicitly
 *    (bb_run_config.threads, the oracle, the nn graphs). */
static void thread_policy(char **argv) {
    bb_omp_wait_policy_init(argv);
    openblas_set_num_threads(1);
}

int main(int argc, char **argv) {
    thread_policy(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) return bb_cmd_version(argc - 1, argv + 1);
    for (const bb_cli_cmd *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name)) return c->fn(argc - 1, argv + 1);
    bb_cli_error("%s: unknown command (see 'boltzbench --help')", argv[1]);
    return 2;
}
