/* driver.h — the one loop that runs every method (methods/method.h).
 *
 *   init → [load state] → { interrupted? → step → curve, progress → stop? → anytime
 *   checkpoint → save state? } → draw → describe → [remove state]
 *
 * The driver owns what every method would otherwise repeat: stop reasons (bb_stop_reason,
 * named in the report), budget exhaustion (BB_EBUDGET from a step ends the run normally),
 * anytime snapshots (served through the oracle's checkpoint callback), the training curve,
 * the progress line, interruption (a flag the CLI's signal handler sets; the run then ends
 * as `interrupted` with its samples drawn and its state saved) and resume.
 *
 * State file (one per run, written atomically, crc32-checked): the run's identity (config
 * SHA-256 and method), steps done, the oracle's counts and served checkpoints, the run's
 * ledger (a JSON object the caller keeps its resumable record in: anytime points, evaluator
 * counts), the training curve, then the method's own bytes (method->save). Resuming restores
 * all of it, so a run killed at any point and resumed writes the same report as an
 * uninterrupted one (timing aside). The file is removed after a run that ends normally
 * unless keep_state is set; it stays after an error or an interruption.
 */
#ifndef BB_DRIVER_H
#define BB_DRIVER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "methods/method.h"

typedef struct cJSON cJSON;

typedef enum bb_resume_mode {
    BB_RESUME_NO = 0,     /* start afresh (an existing state file is overwritten) */
    BB_RESUME_REQUIRED,   /* continue from the state file; an error if there is none */
    BB_RESUME_IF_PRESENT, /* continue when a state file exists, else start afresh */
} bb_resume_mode;

typedef struct bb_driver_config {
    const bb_method *method;
    const bb_params *params;   /* resolved */
    bb_method_env env;         /* oracle, seed, n_samples, threads */
    const char *config_sha256; /* the run's identity: a state file of another run is refused */
    const char *state_path;    /* NULL: keep no state (resume impossible) */
    bb_resume_mode resume;
    int keep_state;                         /* 1: leave the state file after a normal end */
    double checkpoint_seconds;              /* save the state when this much wall time has passed since the last save */
    int64_t checkpoint_steps;               /* > 0: save every this many steps instead (deterministic, for tests) */
    int64_t kill_after_steps;               /* test hook: > 0 → SIGKILL the process after that step (and its save) */
    FILE *progress;                         /* progress line, or NULL */
    const volatile sig_atomic_t *interrupt; /* != 0 → stop at the next step boundary (may be NULL) */
    cJSON *ledger;                          /* the caller's resumable record (object), saved and restored whole */
} bb_driver_config;

typedef struct bb_driver_result {
    int started; /* the method was initialised: a report should be written */
    bb_stop_reason stopped_by;
    int64_t steps;          /* steps that did work, including those before a resume */
    int resumed;            /* how often this run was resumed */
    int64_t max_step_evals; /* most evaluations one step spent (a stop for "budget" leaves fewer unspent) */
    cJSON *curve;           /* {"step": [], "evaluations": [], "loss": []}, or NULL (no step reported a loss); at most
                   * BB_DRIVER_CURVE_MAX points: of n loss-reporting steps, every bb_driver_curve_stride(n)-th */
    cJSON *curve_wall;      /* wall seconds of each curve entry (volatile: report timing), or NULL */
    double steps_wall_s;    /* wall seconds in the method's steps (this process; timing only) */
    double steps_energy_s;  /* of which inside the oracle's energy calls */
    double sampling_wall_s; /* wall seconds in anytime snapshots and the final draw */
    int method_rc;          /* status of the step/draw that failed (0 if none) */
    char method_err[1024];  /* its message */
} bb_driver_result;

/* The training curve keeps at most this many points: a run with more loss-reporting steps
 * keeps every s-th of them (the 0th, s-th, 2s-th, …), s = bb_driver_curve_stride(n), the
 * smallest power of two with ⌈n/s⌉ ≤ BB_DRIVER_CURVE_MAX. A paper-length run (10⁵ Adam steps)
 * thus writes a report of ~100 kB rather than megabytes of per-step losses. */
#define BB_DRIVER_CURVE_MAX 2048
int64_t bb_driver_curve_stride(int64_t n);

/* Run the method to a stop. Returns BB_OK when the method ran (whatever its stop reason,
 * including an error: see res->method_rc), with its final samples in *out and its
 * diagnostics in `info`; returns an error (res->started may be 0) when the run could not be
 * set up or its state could not be read or written. Free res with bb_driver_result_free. */
int bb_driver_run(const bb_driver_config *cfg, bb_samples *out, cJSON *info, bb_driver_result *res, bb_ctx *ctx);
void bb_driver_result_free(bb_driver_result *res);

/* The driver without state or interruption, for library callers (reference
 * generation, tests, benchmarks): returns the method's status (BB_OK when it stopped
 * normally) with its message in ctx; *out holds the final samples either way; info (may be
 * NULL) receives the method's diagnostics plus "stopped_by" and "steps". */
int bb_driver_run_plain(const bb_method *m, const bb_params *p, bb_oracle *o, uint64_t seed, size_t n_samples,
                        bb_samples *out, cJSON *info, FILE *progress, bb_ctx *ctx);

#endif
