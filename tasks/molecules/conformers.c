/* conformers.c — the conformer tasks conf-<hash>@1 (see conformers.h): loading a molecule's MMFF94s
 * parameters, reduced energies u = E/kT and initial configurations.
 *
 * What it is: the task functions shared by every row of the generated table conformer_list.c. What it
 * is not: the table itself (made by datasets/conformers/prepare_mmff.py) or the force field (mmff*.c).
 */
#include "tasks/molecules/conformers.h"

#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "tasks/molecules/molecule.h"
#include "tasks/molecules/xtb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bb_conformer_state_layout conformer_state;

const bb_conformer_molecule *bb_conformer_of_type(const bb_task_type *tt) {
    if (!tt || tt < bb_conformer_task_types || tt >= bb_conformer_task_types + BB_CONFORMER_COUNT) return NULL;
    return &bb_conformer_molecules[tt - bb_conformer_task_types];
}

const bb_mmff *bb_task_conformer_ff(const bb_task *t) {
    if (!t || !bb_conformer_of_type(t->type) || !t->state) return NULL;
    return ((const conformer_state *)t->state)->ff;
}

void bb_conformer_cleanup(bb_task *t) {
    conformer_state *s = t->state;
    if (!s) return;
    bb_mmff_free(s->ff);
    bb_xtb_free(s->xtb);
    memset(s, 0, sizeof *s);
}

static void mmff_grad(void *arg, const double *x, double *g) { bb_mmff_energy(arg, x, g, NULL); }

/* {"energy": "mmff94s" | "gfn2-xtb"} (conformers.h); anything else is refused naming the field. */
static int parse_params(const bb_task *t, const cJSON *params, int *use_xtb, bb_ctx *ctx) {
    *use_xtb = 0;
    if (!params || bb_json_is_empty_object(params)) return BB_OK;
    if (!cJSON_IsObject(params)) return BB_ERR(ctx, BB_EINVAL, "task %s: params: must be a JSON object", t->id);
    const cJSON *it;
    cJSON_ArrayForEach(it, params) {
        if (!it->string || strcmp(it->string, "energy") != 0)
            return BB_ERR(ctx, BB_EINVAL, "task %s: params.%s: unknown parameter (only \"energy\"; T = 300 K is fixed)",
                          t->id, it->string ? it->string : "");
        if (cJSON_IsString(it) && strcmp(it->valuestring, "mmff94s") == 0) {
            *use_xtb = 0;
        } else if (cJSON_IsString(it) && strcmp(it->valuestring, "gfn2-xtb") == 0) {
            *use_xtb = 1;
        } else {
            return BB_ERR(ctx, BB_EINVAL, "task %s: params.energy: must be \"mmff94s\" or \"gfn2-xtb\"", t->id);
        }
    }
    return BB_OK;
}

/* The GFN2-xTB calculator of the molecule: its elements, the total of its MMFF partial charges (which
 * RDKit makes sum to the formal charge) and its start geometry. */
static int xtb_setup(const bb_task *t, const bb_mmff *ff, bb_xtb **out, bb_ctx *ctx) {
    double q = 0.0;
    for (int i = 0; i < ff->natom; i++) q += ff->charge[i];
    if (fabs(q - nearbyint(q)) > 1e-3)
        return BB_ERR(ctx, BB_EFORMAT, "task %s: MMFF charges sum to %.6f, not an integer total charge", t->id, q);
    int rc = bb_xtb_new(ff->natom, (const char(*)[3])ff->element, (int)nearbyint(q), ff->start, out, ctx);
    if (rc) bb_ctx_prefix(ctx, "task %s", t->id);
    return rc;
}

int bb_conformer_init(bb_task *t, const cJSON *params, bb_ctx *ctx) {
    const bb_conformer_molecule *m = bb_conformer_of_type(t->type);
    conformer_state *s = t->state;
    if (!m || !s) return BB_ERR(ctx, BB_EINTERNAL, "task %s: not a conformer task", t->id);
    int use_xtb = 0;
    int rc = parse_params(t, params, &use_xtb, ctx);
    if (rc) return rc;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/datasets/conformers/mmff94s/%s.params.gz", bb_source_dir(), m->hash);
    if (n < 0 || (size_t)n >= sizeof path) return BB_ERR(ctx, BB_EINVAL, "task %s: source path too long", t->id);
    rc = bb_mmff_read(path, m->params_sha256, &s->ff, ctx);
    if (rc) {
        bb_ctx_prefix(ctx, "task %s", t->id);
        return rc;
    }
    if (s->ff->natom != m->natom || strcmp(s->ff->name, m->hash) != 0) {
        bb_conformer_cleanup(t);
        return BB_ERR(ctx, BB_EFORMAT, "task %s: %s: molecule %s with %d atoms, expected %s with %d", t->id, path,
                      s->ff->name, s->ff->natom, m->hash, m->natom);
    }
    t->n_particles = m->natom;
    t->dim = 3;
    t->kT = t->type->kT;
    snprintf(t->group, sizeof t->group, "conformers-rot%d", m->rotatable_bonds);
    if (use_xtb && (rc = xtb_setup(t, s->ff, &s->xtb, ctx))) {
        bb_conformer_cleanup(t);
        return rc;
    }
    rc = bb_equipartition_sigma(3 * (size_t)m->natom, s->ff->start, t->kT, mmff_grad, s->ff, t->id, &s->sigma, ctx);
    if (rc) bb_conformer_cleanup(t);
    return rc;
}

int bb_conformer_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    const conformer_state *s = t->state;
    size_t D = (size_t)t->dof;
    int rc = BB_OK;
    if (s->xtb) {
        for (size_t i = 0; i < n * D && !rc; i++)
            if (isnan(x[i])) rc = BB_ERR(ctx, BB_ENAN, "configuration %zu: NaN coordinate", i / D);
        for (size_t i = 0; i < n && !rc; i++) u[i] = bb_xtb_energy(s->xtb, x + i * D, grad ? grad + i * D : NULL);
    } else {
        rc = bb_mmff_energy_batch(s->ff, n, x, u, grad, ctx);
    }
    if (rc) {
        bb_ctx_prefix(ctx, "task %s", t->id);
        return rc;
    }
    bb_molecule_reduce(n, D, t->kT, u, grad);
    return BB_OK;
}

int bb_conformer_initial(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    (void)ctx;
    const conformer_state *s = t->state;
    size_t D = (size_t)t->dof;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < D; k++) x[i * D + k] = s->ff->start[k] + s->sigma * bb_rng_normal(rng);
    return BB_OK;
}
