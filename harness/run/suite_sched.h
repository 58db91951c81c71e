/* suite_sched.h — what the scale-out runners of a suite need beyond bb_suite_run_all: the
 * dispatch order (longest expected first), one run in a child process so that its crash
 * cannot take the runner down, and the report recorded for a run that left none.
 *
 * Used by the MPI runner (harness/run/mpi/suite_mpi.h) and the Slurm array writer
 * (suite_slurm.h); nothing here knows MPI or Slurm. Reports written here are the
 * bytes bb_run wrote, moved atomically (fileio.h), so a suite run this way gives the
 * same reports as a plain `boltzbench suite` (apart from `timing` and `host`).
 */
#ifndef BB_SUITE_SCHED_H
#define BB_SUITE_SCHED_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/run/suite.h"

/* The dispatch order of the suite's runs, longest expected first (so the last runs to
 * finish are short ones and the workers end together).
 * A run's expected cost is timing.wall_s of an earlier report of the same run: in cost_dir
 * under the same relative path <task>/<method>-b<budget>-s<seed>.json (e.g. the committed
 * results/standard) when cost_dir is not NULL, else at the run's own out_path (a finished
 * or failed earlier run). A run without one costs its budget times the mean seconds per
 * budgeted evaluation of the known runs of its method, else of all known runs, else its
 * budget in "seconds" (then the order is by budget). Ties keep the suite's order.
 * order[0..n_runs) receives a permutation of the run indices; cost (may be NULL) the
 * estimates in seconds, by run index. Returns BB_OK or BB_ENOMEM. */
int bb_suite_order(const bb_suite *s, const char *cost_dir, size_t *order, double *cost, bb_ctx *ctx);

/* Run run i of s in a child process (fork), exactly as bb_suite_run_all runs it
 * (bb_suite_run_config, s->threads, no progress display) except that the report goes to
 * report_path: the caller decides where it ends up. time_limit_s > 0 ends the child with
 * SIGALRM after that many seconds. The caller must not have run OpenMP parallel regions
 * before (libgomp's thread pool does not survive fork).
 * BB_OK: the child wrote a report (status ok, or failed when the method failed): *report
 * (NUL-terminated, caller frees) and *len hold its bytes, report_path is removed.
 * Otherwise *report is NULL and ctx says how the run ended, in one line: "killed by signal
 * 11 (Segmentation fault)", "exceeded the run time limit of 30 s", "exited with status 1
 * without a report: <its error>". */
int bb_suite_run_child(const bb_suite *s, size_t i, const char *report_path, int time_limit_s, char **report,
                       size_t *len, bb_ctx *ctx);

/* Write run i's report with status "failed" and `error` (one line) for a run that left no
 * report of its own (its process crashed, was killed, or never ran): the run's identity
 * (config_sha256 when its configuration resolves, task.id, method.name, seed, n_samples,
 * budget.limit, budget.used 0) and no metrics, so `table` lists it as failed and a rerun
 * runs it again. Atomic; creates the report's directory. */
int bb_suite_write_failed(const bb_suite *s, size_t i, const char *error, bb_ctx *ctx);

#endif
