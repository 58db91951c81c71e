/* confmin.c — conformer tasks' minima catalogues: path, reader (on top of minima_io.c's), Boltzmann
 * weights, and the geometric stereo check (see confmin.h for the definitions).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/core/source_dir.h"
#include "harness/metrics/confmin.h"
#include "tasks/molecules/conformers.h"

double bb_conf_signed_volume(const double *x, const int *q) {
    const double *c = x + 3 * q[0], *a = x + 3 * q[1], *b = x + 3 * q[2], *d = x + 3 * q[3];
    double u[3], v[3], w[3];
    for (int k = 0; k < 3; k++) u[k] = a[k] - c[k], v[k] = b[k] - c[k], w[k] = d[k] - c[k];
    return u[0] * (v[1] * w[2] - v[2] * w[1]) + u[1] * (v[2] * w[0] - v[0] * w[2]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
}

double bb_conf_dihedral_cos(const double *x, const int *q) {
    const double *p0 = x + 3 * q[0], *p1 = x + 3 * q[1], *p2 = x + 3 * q[2], *p3 = x + 3 * q[3];
    double b0[3], b1[3], b2[3], v[3], w[3], bb = 0.0, d0 = 0.0, d2 = 0.0;
    for (int k = 0; k < 3; k++) b0[k] = p0[k] - p1[k], b1[k] = p2[k] - p1[k], b2[k] = p3[k] - p2[k];
    for (int k = 0; k < 3; k++) bb += b1[k] * b1[k], d0 += b0[k] * b1[k], d2 += b2[k] * b1[k];
    for (int k = 0; k < 3; k++) v[k] = b0[k] - d0 / bb * b1[k], w[k] = b2[k] - d2 / bb * b1[k];
    double vw = 0.0, vv = 0.0, ww = 0.0;
    for (int k = 0; k < 3; k++) vw += v[k] * w[k], vv += v[k] * v[k], ww += w[k] * w[k];
    return vw / sqrt(vv * ww);
}

int bb_conf_stereo_violations(const bb_conf_stereo *s, const double *x) {
    int bad = 0;
    for (int i = 0; i < s->ncentre; i++) {
        double v = bb_conf_signed_volume(x, s->centre + 4 * i);
        bad += !(s->sign[i] > 0 ? v > 0.0 : v < 0.0);
    }
    for (int i = 0; i < s->nbond; i++) {
        double c = bb_conf_dihedral_cos(x, s->dbond + 4 * i); /* |φ| > 90° ⟺ cos φ < 0 */
        bad += !(s->trans[i] ? c < 0.0 : c > 0.0);
    }
    return bad;
}

void bb_conf_stereo_free(bb_conf_stereo *s) {
    if (!s) return;
    BB_FREE_ALL(s->centre, s->sign, s->dbond, s->trans);
    memset(s, 0, sizeof *s);
}

/* n atom indices of array a (each < natom) into out; 0 when malformed. */
static int read_atoms(const cJSON *a, int n, int natom, int *out) {
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return 0;
    int k = 0;
    for (const cJSON *v = a->child; v; v = v->next, k++) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= natom ||
            v->valuedouble != floor(v->valuedouble))
            return 0;
        out[k] = (int)v->valuedouble;
    }
    return 1;
}

int bb_conf_stereo_parse(const cJSON *j, int natom, const char *what, bb_conf_stereo *s, bb_ctx *ctx) {
    memset(s, 0, sizeof *s);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "centres"),
                *b = cJSON_GetObjectItemCaseSensitive(j, "double_bonds");
    if (!cJSON_IsArray(c) || !cJSON_IsArray(b))
        return BB_ERR(ctx, BB_EFORMAT, "%s: stereo: need arrays 'centres' and 'double_bonds'", what);
    s->ncentre = cJSON_GetArraySize(c);
    s->nbond = cJSON_GetArraySize(b);
    s->centre = malloc((size_t)(4 * s->ncentre + 1) * sizeof *s->centre);
    s->sign = malloc((size_t)s->ncentre + 1);
    s->dbond = malloc((size_t)(4 * s->nbond + 1) * sizeof *s->dbond);
    s->trans = malloc((size_t)s->nbond + 1);
    if (!s->centre || !s->sign || !s->dbond || !s->trans) {
        bb_conf_stereo_free(s);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
    }
    int k = 0;
    for (const cJSON *e = c->child; e; e = e->next, k++) {
        const cJSON *sg = cJSON_GetObjectItemCaseSensitive(e, "sign");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "atom");
        int ok = cJSON_IsNumber(at) && at->valuedouble >= 0 && at->valuedouble < natom &&
                 at->valuedouble == floor(at->valuedouble) &&
                 read_atoms(cJSON_GetObjectItemCaseSensitive(e, "neighbours"), 3, natom, s->centre + 4 * k + 1) &&
                 cJSON_IsNumber(sg) && (sg->valuedouble == 1.0 || sg->valuedouble == -1.0);
        if (!ok) {
            bb_conf_stereo_free(s);
            return BB_ERR(
                ctx, BB_EFORMAT,
                "%s: stereo.centres[%d]: need 'atom', 'neighbours' (3 atom indices < %d) and 'sign' (+1 or -1)", what,
                k, natom);
        }
        s->centre[4 * k] = (int)at->valuedouble;
        s->sign[k] = sg->valuedouble > 0 ? 1 : -1;
    }
    k = 0;
    for (const cJSON *e = b->child; e; e = e->next, k++) {
        const cJSON *tr = cJSON_GetObjectItemCaseSensitive(e, "trans");
        if (!read_atoms(cJSON_GetObjectItemCaseSensitive(e, "atoms"), 4, natom, s->dbond + 4 * k) ||
            !cJSON_IsNumber(tr) || (tr->valuedouble != 0.0 && tr->valuedouble != 1.0)) {
            bb_conf_stereo_free(s);
            return BB_ERR(ctx, BB_EFORMAT,
                          "%s: stereo.double_bonds[%d]: need 'atoms' (4 atom indices < %d) and 'trans' (0 or 1)", what,
                          k, natom);
        }
        s->trans[k] = (unsigned char)tr->valuedouble;
    }
    return BB_OK;
}

int bb_conf_catalogue_path(const bb_task *t, char *out, size_t len) {
    const bb_conformer_molecule *m = t ? bb_conformer_of_type(t->type) : NULL;
    if (!m) return BB_ENOTFOUND;
    int w = snprintf(out, len, "%s/datasets/conformers/mmff94s/%s.minima.json.gz", bb_source_dir(), m->hash);
    return (w > 0 && (size_t)w < len) ? BB_OK : BB_EINVAL;
}

void bb_conf_catalogue_free(bb_conf_catalogue *c) {
    if (!c) return;
    bb_minima_free(&c->m);
    bb_conf_stereo_free(&c->stereo);
    free(c->weight);
    cJSON_Delete(c->meta);
    memset(c, 0, sizeof *c);
}

int bb_conf_catalogue_read(const char *path, const bb_task *t, bb_conf_catalogue *c, bb_ctx *ctx) {
    memset(c, 0, sizeof *c);
    int rc = bb_minima_read(path, t, &c->m, &c->meta, ctx);
    if (rc) return rc;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(c->meta, "energy_window_kcal_mol"),
                *r = cJSON_GetObjectItemCaseSensitive(c->meta, "rtol");
    if (!cJSON_IsNumber(w) || !(w->valuedouble >= 0.0) || !cJSON_IsNumber(r) || !(r->valuedouble > 0.0)) {
        bb_conf_catalogue_free(c);
        return BB_ERR(ctx, BB_EFORMAT, "%s: need 'energy_window_kcal_mol' >= 0 and 'rtol' > 0", path);
    }
    if (c->m.n == 0) {
        bb_conf_catalogue_free(c);
        return BB_ERR(ctx, BB_EFORMAT, "%s: 'minima' is empty", path);
    }
    c->window = w->valuedouble;
    c->rtol = r->valuedouble;
    rc = bb_conf_stereo_parse(cJSON_GetObjectItemCaseSensitive(c->meta, "stereo"), t->n_particles, path, &c->stereo,
                              ctx);
    if (rc) {
        bb_conf_catalogue_free(c);
        return rc;
    }
    c->weight = malloc(c->m.n * sizeof *c->weight);
    if (!c->weight) {
        bb_conf_catalogue_free(c);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    }
    double z = 0.0;
    for (size_t i = 0; i < c->m.n; i++) z += c->weight[i] = exp(-(c->m.u[i] - c->m.u[0]));
    for (size_t i = 0; i < c->m.n; i++) c->weight[i] /= z;
    return BB_OK;
}
