/* suite_slurm.h — a suite as a Slurm array job: one array task per run, then a collect job.
 *
 * bb_suite_slurm_write writes, atomically, into <out_dir>/slurm/:
 *   runs.idx        one line per array task: "<suite run index>\t<report path>", the runs
 *                   still to do (all with rerun), longest expected first (bb_suite_order)
 *   array.sbatch    #SBATCH --array=0-(N-1); array task K reads line K+1 of runs.idx and
 *                   execs `boltzbench suite SUITE --out DIR --index I --threads C`; the run
 *                   writes its own report (atomically) into DIR on the shared file system
 *   collect.sbatch  `boltzbench suite SUITE --out DIR --collect`: a failed report for each
 *                   run that left none, the summary table, exit 1 if a run did not finish
 *   submit.sh       sbatch --parsable array.sbatch, then collect.sbatch with
 *                   --dependency=afterany:<array job id>
 * Slurm's logs go to <out_dir>/slurm/logs/. Paths in the scripts are absolute; the program
 * is `$BOLTZBENCH` when set at run time, else the one given here.
 */
#ifndef BB_SUITE_SLURM_H
#define BB_SUITE_SLURM_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/run/suite.h"

typedef struct bb_slurm_opts {
    const char *program;    /* absolute path of the boltzbench binary */
    const char *suite_path; /* the suite file (made absolute here) */
    const char *partition;  /* #SBATCH --partition, or NULL */
    const char *time;       /* #SBATCH --time per array task (Slurm's format, e.g. 2:00:00), or NULL */
    int cpus_per_task;      /* #SBATCH --cpus-per-task and each run's threads (>= 1) */
    const char *cost_dir;   /* earlier reports for the order (bb_suite_order), or NULL */
} bb_slurm_opts;

/* Write the four files for the runs of s not finished yet (every run with s->rerun).
 * *n_tasks receives the number of array tasks; 0 writes nothing (all runs finished).
 * Errors name the file or the option (a path or a value that a script cannot quote). */
int bb_suite_slurm_write(const bb_suite *s, const bb_slurm_opts *o, size_t *n_tasks, bb_ctx *ctx);

/* The collect step: write bb_suite_write_failed for every run with no readable report
 * ("no report: its Slurm array task did not finish; see <out_dir>/slurm/logs/"), then
 * *n_unfinished = the runs not finished (bb_run_finished false: failed, missing, stale). */
int bb_suite_collect(const bb_suite *s, size_t *n_unfinished, bb_ctx *ctx);

#endif
