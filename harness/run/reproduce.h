/* reproduce.h — paper protocols as data and the runs that reproduce them.
 *
 * A protocol (results/protocols/<paper>/<task>.json, schema "boltzbench.protocol/1")
 * states what a paper ran and what it published:
 *
 *   {"schema": "boltzbench.protocol/1", "paper": "adjoint_sampling", "task": "dw4",
 *    "method": "adjoint_sampling", "citation": "...",
 *    "params": {<method parameters of the paper>}, "budget": 2560000, "seeds": 3,
 *    "n_samples": 1000, "metrics": ["energy_w2", "eq_x_w2"],
 *    "anytime": [0.05, 0.1, ...]   (optional: budget fractions scored along the way),
 *    "evaluation": {"reference": "...", "n_reference": 1000, "procedure": "..."},
 *    "published": [{"metric": "energy_w2", "name_in_paper": "E-W2", "value": 0.55,
 *                   "std": 0.12, "n_seeds": 3}],
 *    "source": {"paper": "...", "code": "...", "commit": "..."},
 *    "unknown": ["settings the sources do not fix"], "reduced": ["what we run smaller, why"]}
 *
 * bb_reproduce() runs seeds 0 … n−1 of the protocol (each an ordinary run, resumable, its
 * report and final samples under out_dir) and writes out_dir/comparison.json: per
 * published metric our mean ± std over seeds beside the published value, and
 * z = (ours − published) / published std.
 */
#ifndef BB_REPRODUCE_H
#define BB_REPRODUCE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

#define BB_PROTOCOL_SCHEMA "boltzbench.protocol/1"

typedef struct bb_protocol_value {
    const char *metric;        /* our metric name */
    const char *name_in_paper; /* the paper's column name */
    double value, std;         /* published mean and ± (std over seeds; NAN if not given) */
    int n_seeds;               /* 0 if not stated */
} bb_protocol_value;

typedef struct bb_protocol {
    cJSON *json; /* the whole file (owned); the strings below point into it */
    char path[4096];
    const char *paper, *task, *method;
    const cJSON *params; /* method parameters (object) */
    int64_t budget;
    int seeds;
    size_t n_samples;
    double anytime[64]; /* budget fractions of the scored anytime points (learning curve); 0: default */
    size_t n_anytime;
    const char *metrics[32];
    size_t n_metrics;
    bb_protocol_value published[32];
    size_t n_published;
} bb_protocol;

/* results/protocols/<paper>/<task>.json under bb_source_dir(); BB_ENOTFOUND names it. */
int bb_protocol_locate(const char *paper, const char *task, char *path, size_t len, bb_ctx *ctx);
/* Parse and validate (every error names the file and the field). Free with bb_protocol_free. */
int bb_protocol_load(const char *path, bb_protocol *p, bb_ctx *ctx);
void bb_protocol_free(bb_protocol *p);
/* Check a loaded protocol against this build: its method is registered, its task exists,
 * its params resolve against the method's parameter table for that task (unknown names
 * and wrong types refused), and its metric selection and every published metric name are
 * registered metrics. Errors name the file and the field. bb_reproduce calls it first. */
int bb_protocol_check(const bb_protocol *p, bb_ctx *ctx);

typedef struct bb_reproduce_opts {
    int seeds;                              /* 0: the protocol's */
    int only_seed;                          /* >= 0: run only this seed (others: finished reports only) */
    int rerun_earlier;                      /* run seeds whose reports another version made again */
    int64_t budget;                         /* 0: the protocol's */
    const char *out_dir;                    /* required */
    int threads;                            /* 0: omp_get_max_threads() */
    FILE *log;                              /* one line per seed, or NULL */
    FILE *progress;                         /* run progress, or NULL */
    double checkpoint_minutes;              /* as bb_run_config (< 0: default) */
    const volatile sig_atomic_t *interrupt; /* as bb_run_config */
} bb_reproduce_opts;

/* Run (or resume, or reuse finished reports of) every seed, then write
 * out_dir/comparison.json. A finished report is reused when this version would write the
 * same configuration, or (unless rerun_earlier) when another version made it under the
 * protocol: same task, method, budget, seed and sample count, the protocol's parameters
 * at its values, its metrics scored; the comparison lists each seed's version. *comparison (if not NULL) receives it. Returns the first
 * failing run's status (BB_EINTERRUPTED when interrupted); the comparison is written from
 * the seeds that finished either way. */
int bb_reproduce(const bb_protocol *p, const bb_reproduce_opts *o, cJSON **comparison, bb_ctx *ctx);

/* The comparison object from finished reports (exposed for tests): reports[k] of seed k. */
cJSON *bb_reproduce_compare(const bb_protocol *p, cJSON *const *reports, size_t n, int64_t budget, int threads);

#endif
