/* task.c — task registry lookup, instance lifetime and shared helpers (see task.h). */
#include "tasks/task.h"

#include <omp.h>

#include "harness/core/jsonutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const bb_task_type *bb_task_type_find(const char *id) {
    if (!id) return NULL;
    const char *at = strchr(id, '@');
    size_t len = at ? (size_t)(at - id) : strlen(id);
    int want = -1;
    if (at) {
        char *end = NULL;
        long v = strtol(at + 1, &end, 10);
        if (!end || *end || v <= 0 || end == at + 1) return NULL;
        want = (int)v;
    }
    const bb_task_type *best = NULL;
    for (size_t i = 0; bb_task_types[i]; i++) {
        const bb_task_type *tt = bb_task_types[i];
        if (strlen(tt->name) != len || strncmp(tt->name, id, len) != 0) continue;
        if (want >= 0 && tt->version != want) continue;
        if (!best || tt->version > best->version) best = tt;
    }
    return best;
}

int bb_task_create(const char *id, const cJSON *params, bb_task **out, bb_ctx *ctx) {
    *out = NULL;
    const bb_task_type *tt = bb_task_type_find(id);
    if (!tt) return BB_ERR(ctx, BB_ENOTFOUND, "task '%s': unknown task (see 'boltzbench tasks')", id ? id : "(null)");
    return bb_task_create_from_type(tt, params, out, ctx);
}

int bb_task_create_from_type(const bb_task_type *tt, const cJSON *params, bb_task **out, bb_ctx *ctx) {
    *out = NULL;
    const char *id = tt->name;
    bb_task *t = calloc(1, sizeof *t);
    if (!t) return BB_ERR(ctx, BB_ENOMEM, "task '%s': out of memory", id);
    t->type = tt;
    snprintf(t->id, sizeof t->id, "%s@%d", tt->name, tt->version);
    t->n_particles = tt->n_particles;
    t->dim = tt->dim;
    t->dof = tt->n_particles * tt->dim;
    t->kT = tt->kT;
    t->flags = tt->flags;
    if (tt->state_size) {
        t->state = calloc(1, tt->state_size);
        if (!t->state) {
            free(t);
            return BB_ERR(ctx, BB_ENOMEM, "task '%s': out of memory", id);
        }
    }
    if (tt->init) {
        int rc = tt->init(t, params, ctx);
        if (rc) {
            free(t->state);
            free(t);
            return rc;
        }
    } else if (params) {
        /* A task without parameters accepts only an empty object. */
        if (!bb_json_is_empty_object(params)) {
            free(t->state);
            free(t);
            return BB_ERR(ctx, BB_EINVAL, "task '%s': takes no parameters", id);
        }
    }
    t->dof = t->n_particles * t->dim;
    *out = t;
    return BB_OK;
}

void bb_task_free(bb_task *t) {
    if (!t) return;
    if (t->type->cleanup) t->type->cleanup(t);
    free(t->state);
    free(t);
}

int bb_task_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    size_t dof = (size_t)t->dof;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < dof; k++)
            if (isnan(x[i * dof + k]))
                return BB_ERR(ctx, BB_ENAN, "task %s: configuration %zu: NaN coordinate", t->id, i);
    return t->type->energy(t, n, x, u, grad, ctx);
}

int bb_task_energy_parallel(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    return bb_task_energy_threads(t, n, x, u, grad, omp_get_max_threads(), ctx);
}

int bb_task_energy_threads(const bb_task *t, size_t n, const double *x, double *u, double *grad, int threads,
                           bb_ctx *ctx) {
    if (threads < 1) threads = 1;
    size_t dof = (size_t)t->dof;
    for (size_t i = 0; i < n * dof; i++)
        if (isnan(x[i]))
            return BB_ERR(ctx, BB_ENAN, "task %s: configuration %zu of the batch has a NaN coordinate", t->id, i / dof);
    size_t n_chunks = (n + BB_TASK_CHUNK - 1) / BB_TASK_CHUNK;
    /* below a measured amount of work a parallel region costs more than it saves (thread
     * wake-up under the passive wait policy, a busy core): stay on one thread */
    const double pc = t->type->pair_cost > 0 ? t->type->pair_cost : 1.0;
    if ((double)n * (double)t->n_particles * (double)t->n_particles * pc < BB_TASK_PARALLEL_MIN_WORK) threads = 1;
    int status = BB_OK;
    long first_chunk = -1;
    bb_ctx first = {0};
#pragma omp parallel for schedule(dynamic, 1) if (n_chunks > 1) num_threads(threads)
    for (size_t c = 0; c < n_chunks; c++) {
        size_t i0 = c * BB_TASK_CHUNK;
        size_t m = n - i0 < BB_TASK_CHUNK ? n - i0 : BB_TASK_CHUNK;
        bb_ctx local = {0};
        int rc = t->type->energy(t, m, x + i0 * dof, u + i0, grad ? grad + i0 * dof : NULL, &local);
        if (rc) {
#pragma omp critical(bb_task_energy_err)
            {
                if (first_chunk < 0 || (long)c < first_chunk) {
                    first_chunk = (long)c;
                    status = rc;
                    first = local;
                }
            }
        }
    }
    if (status && ctx) *ctx = first;
    return status;
}

void bb_remove_com(size_t n, int n_particles, int dim, double *x) {
    size_t dof = (size_t)n_particles * (size_t)dim;
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * dof;
        for (int d = 0; d < dim; d++) {
            double m = 0.0;
            for (int p = 0; p < n_particles; p++) m += xi[p * dim + d];
            m /= n_particles;
            for (int p = 0; p < n_particles; p++) xi[p * dim + d] -= m;
        }
    }
}

int bb_task_log_z(const bb_task *t, double *out, bb_ctx *ctx) {
    *out = NAN;
    if (!t->type->log_z) return BB_ERR(ctx, BB_EUNSUPPORTED, "task %s: no known log Z", t->id);
    return t->type->log_z(t, out, ctx);
}

int bb_task_initial(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    if (t->type->initial) return t->type->initial(t, n, rng, x, ctx);
    size_t dof = (size_t)t->dof;
    for (size_t i = 0; i < n * dof; i++) x[i] = t->type->init_scale * bb_rng_normal(rng);
    if (t->flags & BB_TASK_COM_FREE) bb_remove_com(n, t->n_particles, t->dim, x);
    return BB_OK;
}
