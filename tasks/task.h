/* task.h — a target density p(x) ∝ exp(−u(x)) and the task registry.
 *
 * A task type (one static const bb_task_type per energy family/variant, GSL
 * gsl_rng_type style) describes an energy family; bb_task_create() makes an
 * instance (a task may carry state: a topology, GMM means, a temperature).
 *
 * Units and conventions:
 *   - x is float64, row-major [N][dof], dof = P particles × D dimensions.
 *   - energy() returns the REDUCED energy u(x) = E(x)/kT, i.e. the target density is
 *     exp(−u). kT (and its physical unit, if any) is documented in `kT`/`kT_unit`.
 *   - grad (may be NULL) receives ∇ₓu, same shape as x.
 *   - energy() must be pure and thread-safe: the oracle calls it concurrently on
 *     disjoint chunks of a batch (OpenMP), so results do not depend on thread count.
 *   - A configuration the energy cannot represent (overlapping atoms) gets +INFINITY
 *     and a zero gradient; energy() never writes NaN for finite input. A NaN in the
 *     input is an error (BB_ENAN naming the configuration index).
 *
 * Ids are "name@version" (e.g. "lj13@1"); bb_task_create accepts "name" (latest
 * version) or "name@version". A change to an energy function bumps its version.
 *
 * Worked example:
 *   bb_ctx c = {0}; bb_task *t;
 *   if (bb_task_create("dw4", NULL, &t, &c)) { fprintf(stderr, "%s\n", c.msg); ... }
 *   double x[8] = {...}, u, g[8];
 *   bb_task_energy(t, 1, x, &u, g, &c);
 *   bb_task_free(t);
 */
#ifndef BB_TASK_H
#define BB_TASK_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/core/rng.h"

typedef struct cJSON cJSON;
typedef struct bb_task bb_task;

enum bb_task_flags {
    BB_TASK_TRANSLATION_INV = 1u << 0, /* u(x + c) = u(x) for a rigid shift of all particles */
    BB_TASK_ROTATION_INV = 1u << 1,    /* u(Rx) = u(x) */
    BB_TASK_PERMUTATION_INV = 1u << 2, /* u invariant under relabelling identical particles */
    BB_TASK_COM_FREE = 1u << 3,        /* samples live in the centre-of-mass-free subspace */
};

/* What a task declares for TICA (harness/metrics/tica_metric.c): features computed from a
 * configuration — distances between atom pairs and sin/cos of dihedral angles — the lag (in
 * frames of a time-ordered reference trajectory) and how many leading components are
 * compared. */
typedef struct bb_task_tica {
    int n_pairs;
    const int *pairs; /* [n_pairs][2] atom indices */
    int n_dihedrals;
    const int *quads; /* [n_dihedrals][4] atom indices */
    int lag;
    int n_components; /* leading TICs compared (tica_w2 on all of them, tica_w2_ic<k> each); 0: 2 */
} bb_task_tica;

/* A task that is a mixture of K equal-weight isotropic Gaussians N(μ_k, s² I) in D = dof
 * dimensions (the GMM tasks) declares its components, so that the mode-coverage metrics
 * (harness/metrics/mode_metric.c) can say which mode a configuration belongs to. */
typedef struct bb_task_mixture {
    int n_components;    /* K */
    const double *means; /* [K][dof] */
    double std;          /* s, the same for every component and coordinate */
} bb_task_mixture;

typedef struct bb_task_type {
    const char *name;              /* "lj13" */
    int version;                   /* 1 */
    const char *description;       /* one paragraph: formula, convention, units, source paper */
    int n_particles;               /* P (0 if set by init from a topology) */
    int dim;                       /* D */
    double kT;                     /* temperature in the task's energy unit (1 for reduced tasks) */
    const char *kT_unit;           /* "reduced", "kJ/mol", ... */
    const char *length_unit;       /* "reduced (r_m = 1)", "nm", ... */
    unsigned flags;                /* bb_task_flags */
    double init_scale;             /* std of the default initial distribution N(0, s² I) (COM removed if COM_FREE) */
    const char *reference_dataset; /* dataset id of the reference samples, or NULL */
    const char *minima_catalogue;  /* dataset id of the known-minima catalogue, or NULL */
    size_t state_size;             /* bytes of per-instance state (0 = none) */

    /* Optional: fill instance state / override sizes; `params` (may be NULL) holds
     * task parameters such as {"temperature": 300}. Unknown keys are errors. */
    int (*init)(bb_task *t, const cJSON *params, bb_ctx *ctx);
    /* Optional: release what init allocated inside the state. */
    void (*cleanup)(bb_task *t);
    /* Required: reduced energies (and gradients if grad != NULL) of n configurations. */
    int (*energy)(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx);
    /* Optional: exact i.i.d. samples of the target (GMM). */
    int (*sample_exact)(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx);
    /* Optional: initial configurations for samplers (default: N(0, init_scale² I), COM removed
     * for COM_FREE tasks). A molecule starts from its minimised structure plus noise. */
    int (*initial)(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx);
    /* Optional: the TICA features and lag of the task (PITA's TICA statistics), or NULL. */
    const struct bb_task_tica *tica;
    /* Optional: cost of one configuration relative to P² Lennard-Jones pair terms (0 = 1).
     * bb_task_energy_threads runs a batch on one thread below BB_TASK_PARALLEL_MIN_WORK. */
    double pair_cost;
    /* Optional: the exact log normalising constant log Z = log ∫ exp(−u(x)) dx of the reduced
     * density over R^dof, written to *out (closed form or an accurate quadrature done here;
     * it may depend on the instance's parameters, nothing else). NULL: not known, and the
     * metric log_z_error does not apply. Read it through bb_task_log_z. */
    int (*log_z)(const bb_task *t, double *out, bb_ctx *ctx);
    /* Optional: the mixture's components (the GMM tasks), or NULL. */
    const bb_task_mixture *mixture;
} bb_task_type;

/* A task instance. Fields are read-only for everyone but the task's own file. */
struct bb_task {
    const bb_task_type *type;
    char id[64];     /* "lj13@1" */
    int n_particles; /* P */
    int dim;         /* D */
    int dof;         /* P × D */
    double kT;
    unsigned flags;
    void *state;    /* type->state_size bytes, zeroed, owned by the instance */
    char group[48]; /* tasks scored as one family (`boltzbench table --by-group`), e.g. "conformers-rot5"
                       for the conformer tasks with 5 rotatable bonds; "" none (set by init) */
};

/* Registry (tasks/registry.c): NULL-terminated array of all task types. */
extern const bb_task_type *const bb_task_types[];
/* Look up "name" or "name@version"; NULL if unknown. */
const bb_task_type *bb_task_type_find(const char *id);

/* Create an instance. On failure *out is NULL and ctx names the id or parameter. */
int bb_task_create(const char *id, const cJSON *params, bb_task **out, bb_ctx *ctx);
/* Same from a type that need not be in the registry (tests, out-of-tree tasks). */
int bb_task_create_from_type(const bb_task_type *tt, const cJSON *params, bb_task **out, bb_ctx *ctx);
void bb_task_free(bb_task *t); /* NULL-safe */

/* Direct, uncounted evaluation: for tests, benchmarks and the evaluator (metrics,
 * minimisation). Methods must use the oracle instead. Checks x for NaN. */
int bb_task_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx);
/* Same, split over OpenMP threads in fixed chunks of BB_TASK_CHUNK configurations, so the
 * result is bit-identical on any thread count. On error the message of the lowest failing
 * chunk is kept. Used by the oracle and by the evaluator. */
#define BB_TASK_CHUNK 16
/* Work (configurations × P² × pair_cost) below which a batch runs on one thread: measured
 * with bench_energy (1 vs 2 threads, idle and beside a busy process) on 2 cores. */
#define BB_TASK_PARALLEL_MIN_WORK 3.0e5
int bb_task_energy_parallel(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx);
/* The same on exactly `threads` OpenMP threads (the caller's decision; results do not depend
 * on it). bb_task_energy_parallel uses omp_get_max_threads(). */
int bb_task_energy_threads(const bb_task *t, size_t n, const double *x, double *u, double *grad, int threads,
                           bb_ctx *ctx);
/* The task's exact log Z (type->log_z) into *out. BB_EUNSUPPORTED (and *out = NaN) when the
 * task declares none; that is "not applicable", not a fault. */
int bb_task_log_z(const bb_task *t, double *out, bb_ctx *ctx);
/* Initial configurations (type->initial or the default Gaussian). */
int bb_task_initial(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx);

/* Helpers shared by the particle tasks. */
void bb_remove_com(size_t n, int n_particles, int dim, double *x); /* per configuration */

#endif
