/* suite_mpi.h — a suite over MPI ranks (`boltzbench suite NAME --mpi`), built only when CMake
 * finds MPI (library bb_run_mpi; the program then defines BB_HAVE_MPI).
 *
 * Rank 0 dispatches: it orders the runs not finished yet longest expected first
 * (bb_suite_order), hands one run at a time to whichever worker rank asks next, receives the
 * finished report's bytes and writes them atomically to the run's report path, so the
 * reports are those of a plain `boltzbench suite` (apart from timing and host). Each worker
 * runs its run in a child process (bb_suite_run_child): a run that crashes or exceeds the
 * run time limit becomes a report with status "failed" and the way it ended, and the other
 * runs continue. A rank that itself dies ends the MPI job (MPI's rule); rerunning the
 * same command then skips the finished runs. With one rank, rank 0 runs the suite itself.
 *
 * Threads: a worker's runs get its share of the cores (bb_suite_mpi.threads), which the
 * program passes down the one way threads go (bb_suite.threads -> bb_run_config.threads;
 * docs/architecture.md). Nothing here sets a process-wide thread count.
 *
 * While waiting, rank 0 polls with a short sleep rather than a blocking receive, and a worker
 * done early waits at a sleeping barrier before MPI_Finalize: Open MPI's blocking calls spin,
 * and a waiting rank would take a core from the runs.
 */
#ifndef BB_SUITE_MPI_H
#define BB_SUITE_MPI_H

#include <stddef.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/run/suite.h"

typedef struct bb_suite_mpi {
    int rank, size;    /* in MPI_COMM_WORLD */
    int local_workers; /* worker ranks (rank > 0) on this rank's node */
    int cpus;          /* CPUs this rank may run on (its affinity mask) */
    int threads;       /* the rank's share: cpus / local_workers when the ranks share the node's
                          CPUs (no binding), cpus when the launcher bound the rank to its own;
                          at least 1 */
} bb_suite_mpi;

/* MPI_Init (once per process) and the rank's share of the cores. */
int bb_suite_mpi_init(bb_suite_mpi *m, bb_ctx *ctx);

/* Collective: every rank calls it after loading the suite, with its own load status and
 * n_runs. BB_OK when every rank loaded the same number of runs; otherwise an error naming
 * the first rank that failed or disagreed (the caller's own failure is its own message). */
int bb_suite_mpi_agree(const bb_suite_mpi *m, int load_rc, size_t n_runs, bb_ctx *ctx);

/* Collective: run the suite. cost_dir: earlier reports for the order (bb_suite_order) or
 * NULL; time_limit_s > 0: a run is ended after that many seconds. Rank 0 prints a line per
 * dispatched and per finished run to `log` and the summary table to `table` (either may be
 * NULL) and counts the failed runs in *n_failed (0 on the other ranks). BB_OK when the
 * suite was processed, failed runs included. */
int bb_suite_mpi_run(const bb_suite *s, const bb_suite_mpi *m, const char *cost_dir, int time_limit_s, FILE *log,
                     FILE *table, size_t *n_failed, bb_ctx *ctx);

/* MPI_Finalize (collective), after a barrier that sleeps while it waits. */
void bb_suite_mpi_finalize(void);

#endif
