/* pepmin.c — catalogues of peptide minima: the set itself (matching by backbone dihedrals and
 * energy, insertion in energy order), and its JSON file (see peptide.h for the format).
 *
 * Why dihedrals and not an RMSD: the minima of a peptide differ in their backbone torsions;
 * every pair of ALDP minima is within 0.19 nm RMSD, and φ/ψ within 10° is the rule by which
 * the committed catalogues were clustered (../shared/reference/molecules/README.md).
 * Not here: the metric (pepmin_metric.c) or the search (harness/run/pepmin_search.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/peptide.h"

#define PEPMIN_MAX_BYTES (64u << 20)

void bb_pepmin_init(bb_pepmin_cat *c, const bb_molecule *m) {
    memset(c, 0, sizeof *c);
    c->dof = 3 * m->natom;
    for (int k = 0; k < m->ndihedral && c->na < 32; k++)
        if (m->dihedral[k].kind != BB_DIHEDRAL_OMEGA) c->idx[c->na++] = k;
}

void bb_pepmin_free(bb_pepmin_cat *c) {
    if (!c) return;
    BB_FREE_ALL(c->E, c->ang, c->x, c->gmax, c->count);
    memset(c, 0, sizeof *c);
}

double bb_pepmin_angle_gap(int na, const double *a, const double *b) {
    double gap = 0.0;
    for (int k = 0; k < na; k++) {
        double d = fabs(remainder(a[k] - b[k], 2.0 * M_PI));
        gap = d > gap ? d : gap;
    }
    return gap;
}

long bb_pepmin_match(const bb_pepmin_cat *c, const double *ang, double E, double atol, double etol) {
    long best = -1;
    double bg = INFINITY;
    for (size_t i = 0; i < c->n; i++) {
        if (!(fabs(c->E[i] - E) <= etol)) continue;
        double g = bb_pepmin_angle_gap(c->na, c->ang + i * (size_t)c->na, ang);
        if (g <= atol && g < bg) bg = g, best = (long)i;
    }
    return best;
}

static int grow(bb_pepmin_cat *c, bb_ctx *ctx) {
    size_t cap = c->cap ? 2 * c->cap : 16, na = (size_t)c->na, dof = (size_t)c->dof;
    double *E = realloc(c->E, cap * sizeof *E);
    if (E) c->E = E;
    double *ang = realloc(c->ang, cap * (na ? na : 1) * sizeof *ang);
    if (ang) c->ang = ang;
    double *x = realloc(c->x, cap * dof * sizeof *x);
    if (x) c->x = x;
    double *gm = realloc(c->gmax, cap * sizeof *gm);
    if (gm) c->gmax = gm;
    int64_t *cn = realloc(c->count, cap * sizeof *cn);
    if (cn) c->count = cn;
    if (!E || !ang || !x || !gm || !cn) return BB_ERR(ctx, BB_ENOMEM, "minima catalogue: out of memory");
    c->cap = cap;
    return BB_OK;
}

int bb_pepmin_add(bb_pepmin_cat *c, const double *x, const double *ang, double E, double gmax, int64_t count,
                  double atol, double etol, int *is_new, size_t *index, bb_ctx *ctx) {
    size_t na = (size_t)c->na, dof = (size_t)c->dof;
    long j = bb_pepmin_match(c, ang, E, atol, etol);
    if (j >= 0) {
        size_t i = (size_t)j;
        c->count[i] += count;
        if (E < c->E[i]) { /* keep the lower structure; the order may change by less than etol */
            int64_t cnt = c->count[i];
            size_t last = c->n - 1;
            for (size_t k = i; k < last; k++) { /* remove i, then re-insert below */
                c->E[k] = c->E[k + 1], c->gmax[k] = c->gmax[k + 1], c->count[k] = c->count[k + 1];
                memcpy(c->ang + k * na, c->ang + (k + 1) * na, na * sizeof *c->ang);
                memcpy(c->x + k * dof, c->x + (k + 1) * dof, dof * sizeof *c->x);
            }
            c->n--;
            int rc = bb_pepmin_add(c, x, ang, E, gmax, cnt, atol, etol, NULL, index, ctx);
            if (is_new) *is_new = 0;
            return rc;
        }
        if (is_new) *is_new = 0;
        if (index) *index = i;
        return BB_OK;
    }
    if (c->n == c->cap) {
        int rc = grow(c, ctx);
        if (rc) return rc;
    }
    size_t i = c->n;
    while (i > 0 && c->E[i - 1] > E) {
        c->E[i] = c->E[i - 1], c->gmax[i] = c->gmax[i - 1], c->count[i] = c->count[i - 1];
        memcpy(c->ang + i * na, c->ang + (i - 1) * na, na * sizeof *c->ang);
        memcpy(c->x + i * dof, c->x + (i - 1) * dof, dof * sizeof *c->x);
        i--;
    }
    c->E[i] = E, c->gmax[i] = gmax, c->count[i] = count;
    memcpy(c->ang + i * na, ang, na * sizeof *c->ang);
    if (x)
        memcpy(c->x + i * dof, x, dof * sizeof *c->x);
    else
        for (size_t k = 0; k < dof; k++) c->x[i * dof + k] = NAN;
    c->n++;
    if (is_new) *is_new = 1;
    if (index) *index = i;
    return BB_OK;
}

static double num_or(const cJSON *o, const char *key, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int bb_pepmin_read(const char *path, const bb_molecule *m, bb_pepmin_cat *c, bb_ctx *ctx) {
    bb_pepmin_init(c, m);
    cJSON *root = NULL;
    int rc = bb_json_read_file(path, PEPMIN_MAX_BYTES, &root, ctx);
    if (rc) return rc;
    const cJSON *arr = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "minima");
    double *x = malloc((size_t)c->dof * sizeof *x), ang[32], all[3 * 64];
    if (!cJSON_IsArray(arr))
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: expected a list of minima (or {\"minima\": [...]})", path);
    if (!rc && !x) rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    if (!rc && m->ndihedral > 3 * 64) rc = BB_ERR(ctx, BB_EINVAL, "%s: molecule has too many dihedrals", path);
    size_t k = 0;
    for (const cJSON *e = arr ? arr->child : NULL; !rc && e; e = e->next, k++) {
        const cJSON *E = cJSON_GetObjectItemCaseSensitive(e, "E_kJmol"),
                    *xn = cJSON_GetObjectItemCaseSensitive(e, "x_nm");
        if (!cJSON_IsNumber(E) || !isfinite(E->valuedouble)) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: minima[%zu].E_kJmol: expected a finite number", path, k);
            break;
        }
        if (!cJSON_IsArray(xn) || cJSON_GetArraySize(xn) != m->natom) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: minima[%zu].x_nm: expected %d atoms", path, k, m->natom);
            break;
        }
        int a = 0;
        for (const cJSON *r = xn->child; !rc && r; r = r->next, a++) {
            int d = 0;
            for (const cJSON *v = cJSON_IsArray(r) && cJSON_GetArraySize(r) == 3 ? r->child : NULL; v; v = v->next, d++)
                if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
                    x[3 * a + d] = v->valuedouble;
                else
                    break;
            if (d != 3) rc = BB_ERR(ctx, BB_EFORMAT, "%s: minima[%zu].x_nm[%d]: expected 3 finite numbers", path, k, a);
        }
        if (rc) break;
        bb_pep_dihedrals(m, 1, x, all);
        for (int q = 0; q < c->na; q++) ang[q] = all[c->idx[q]];
        /* entries are kept as listed: a catalogue is already distinct (atol 0 merges nothing) */
        rc = bb_pepmin_add(c, x, ang, E->valuedouble, num_or(e, "max_abs_grad_kJmol_nm", NAN),
                           (int64_t)num_or(e, "n_starts", 0.0), -1.0, -1.0, NULL, NULL, ctx);
    }
    free(x);
    cJSON_Delete(root);
    if (rc) bb_pepmin_free(c);
    return rc;
}

int bb_pepmin_write(const char *path, const bb_pepmin_cat *c, const bb_molecule *m, const cJSON *provenance,
                    bb_ctx *ctx) {
    cJSON *root = cJSON_CreateObject(), *arr = root ? cJSON_AddArrayToObject(root, "minima") : NULL;
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < c->n; i++) {
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(arr, e);
        for (int q = 0; ok && q < c->na; q++) {
            char key[40];
            snprintf(key, sizeof key, "%s_deg", m->dihedral[c->idx[q]].name);
            ok = cJSON_AddItemToObject(e, key, bb_json_exact_number(c->ang[i * (size_t)c->na + q] * 180.0 / M_PI));
        }
        ok = ok && cJSON_AddItemToObject(e, "E_kJmol", bb_json_exact_number(c->E[i])) &&
             cJSON_AddItemToObject(e, "dE_kJmol", bb_json_exact_number(c->E[i] - c->E[0])) &&
             cJSON_AddNumberToObject(e, "n_starts", (double)c->count[i]) &&
             cJSON_AddItemToObject(e, "max_abs_grad_kJmol_nm", bb_json_exact_number(c->gmax[i]));
        cJSON *xs = ok ? cJSON_AddArrayToObject(e, "x_nm") : NULL;
        ok = xs != NULL;
        for (int a = 0; ok && a < m->natom; a++)
            ok = cJSON_AddItemToArray(xs, bb_json_exact_doubles(c->x + i * (size_t)c->dof + 3 * a, 3));
    }
    if (ok && provenance) ok = cJSON_AddItemToObject(root, "provenance", cJSON_Duplicate(provenance, 1));
    int rc = ok ? bb_json_write_file(path, root, ctx) : BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    cJSON_Delete(root);
    return rc;
}

int bb_pepmin_catalogue_path(const bb_task *t, char *out, size_t len) {
    const char *id = t && t->type ? t->type->minima_catalogue : NULL;
    if (!id) return BB_ENOTFOUND;
    int w = snprintf(out, len, "%s/datasets/minima/%s.json", bb_source_dir(), id);
    return (w > 0 && (size_t)w < len) ? BB_OK : BB_EINVAL;
}
