/* mmff_params.c — reader of the MMFF94s parameter files (format in mmff.h) and the non-bonded pair
 * list derived from the bonds.
 *
 * What it is: a strict line parser (every record in its fixed order, every number checked: finite,
 * in range, atom indices inside the molecule and distinct within a term, counts under limits) and
 * the construction of the vdW/electrostatic pairs RDKit's MMFF builder makes (atoms 3 or more bonds
 * apart by shortest path within one fragment; 1-4 electrostatics scaled by 0.75; pairs with a zero
 * charge carry no electrostatic term). What it is not: a chemistry check — the parameters are
 * RDKit's and are taken as they are.
 * Errors: "<file>: line <n>: <field>: <what>", BB_EFORMAT; a missing vdW type pair names both types.
 */
#include "tasks/molecules/mmff.h"

#include "harness/core/fileio.h"
#include "harness/core/gz.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMFF_FORMAT_VERSION     1
#define MMFF_ELE_CONST          332.0716 /* RDKit Nonbonded.cpp: kcal·Å/(mol·e²) */
#define MMFF_SCALE_14           0.75     /* MMFF 1-4 electrostatic scaling */
#define MMFF_MAX_TERMS_PER_ATOM 64       /* any term list: at most this many per atom */
#define MMFF_LINE_MAX           1024

const char *const bb_mmff_term_names[BB_MMFF_TERM_COUNT] = {"bond",    "angle", "stretch_bend", "oop",
                                                            "torsion", "vdw",   "ele"};

/* Line cursor over the text. */
typedef struct cur {
    const char *text, *name;
    size_t len, pos;
    int lineno;
    char line[MMFF_LINE_MAX];
    char *tok[16];
    int ntok;
    bb_ctx *ctx;
} cur;

static int fail(cur *c, const char *field, const char *what) {
    return BB_ERR(c->ctx, BB_EFORMAT, "%s: line %d: %s: %s", c->name, c->lineno, field, what);
}

/* Next line split into blank-separated tokens; `field` names what was expected there. */
static int next(cur *c, const char *field) {
    if (c->pos >= c->len) {
        c->lineno++;
        return fail(c, field, "unexpected end of file (truncated?)");
    }
    size_t e = c->pos;
    while (e < c->len && c->text[e] != '\n') e++;
    size_t n = e - c->pos;
    c->lineno++;
    if (n >= MMFF_LINE_MAX) return fail(c, field, "line too long");
    memcpy(c->line, c->text + c->pos, n);
    c->line[n] = '\0';
    if (memchr(c->line, '\0', n)) return fail(c, field, "NUL byte in text");
    c->pos = e < c->len ? e + 1 : e;
    c->ntok = 0;
    char *save = NULL;
    for (char *t = strtok_r(c->line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (c->ntok == 16) return fail(c, field, "too many fields");
        c->tok[c->ntok++] = t;
    }
    return BB_OK;
}

static int to_long(cur *c, const char *s, const char *field, long lo, long hi, long *v) {
    char *end = NULL;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end || errno) return fail(c, field, "not an integer");
    if (x < lo || x > hi) {
        char what[96];
        snprintf(what, sizeof what, "%ld outside [%ld, %ld]", x, lo, hi);
        return fail(c, field, what);
    }
    *v = x;
    return BB_OK;
}

static int to_double(cur *c, const char *s, const char *field, double *v) {
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || (errno && fabs(x) > 1.0) || !isfinite(x)) return fail(c, field, "not a finite number");
    *v = x;
    return BB_OK;
}

/* "key value…": checks the key and the number of tokens (ntok including the key). */
static int keyed(cur *c, const char *key, int ntok) {
    int rc = next(c, key);
    if (rc) return rc;
    if (c->ntok < 1 || strcmp(c->tok[0], key) != 0) return fail(c, key, "missing record");
    if (ntok > 0 && c->ntok != ntok) return fail(c, key, "wrong number of fields");
    return BB_OK;
}

/* "key n" with 0 ≤ n ≤ max. */
static int count(cur *c, const char *key, long max, int *n) {
    int rc = keyed(c, key, 2);
    long v = 0;
    if (!rc) rc = to_long(c, c->tok[1], key, 0, max, &v);
    *n = (int)v;
    return rc;
}

/* A term line: `na` atom indices (distinct, < natom) then `nv` numbers. */
static int term(cur *c, const char *field, int natom, int na, int *idx, int nv, double *v) {
    int rc = next(c, field);
    if (rc) return rc;
    if (c->ntok != na + nv) return fail(c, field, "wrong number of fields");
    for (int k = 0; k < na; k++) {
        long x;
        if ((rc = to_long(c, c->tok[k], field, 0, natom - 1, &x))) return rc;
        idx[k] = (int)x;
        for (int m = 0; m < k; m++)
            if (idx[m] == idx[k]) return fail(c, field, "repeated atom index");
    }
    for (int k = 0; k < nv; k++)
        if ((rc = to_double(c, c->tok[na + k], field, &v[k]))) return rc;
    return BB_OK;
}

void bb_mmff_free(bb_mmff *ff) {
    if (!ff) return;
    BB_FREE_ALL(ff->element, ff->mass, ff->type, ff->charge, ff->heavy, ff->bond_ij, ff->bond_kb, ff->bond_r0,
                ff->angle_ijk, ff->angle_ka, ff->angle_t0, ff->angle_lin, ff->angle_stbn, ff->stbn_ijk, ff->stbn_k,
                ff->stbn_r0, ff->stbn_t0, ff->oop_ijkl, ff->oop_k, ff->tors_ijkl, ff->tors_v, ff->pair_ij,
                ff->pair_rstar, ff->pair_eps, ff->pair_qq, ff->start);
    free(ff);
}

/* Stretch-bend t on atoms idx[3] is computed with its angle (mmff_energy.c): the angle term with the
 * same i, j, k (RDKit makes one per non-linear angle, in the angles' order, so the search starts after
 * the previous match). None, or one that already has a stretch-bend, is an error. */
static int attach_stretch_bend(cur *c, bb_mmff *ff, const int *idx, int t, int *hint) {
    for (int q = 0; q < ff->nangle; q++) {
        int a = (*hint + q) % ff->nangle;
        const int *ijk = ff->angle_ijk + 3 * a;
        if (ijk[0] != idx[0] || ijk[1] != idx[1] || ijk[2] != idx[2]) continue;
        if (ff->angle_stbn[a] >= 0) return fail(c, "stretch_bend", "a second stretch-bend on the same angle");
        ff->angle_stbn[a] = t;
        *hint = a + 1;
        return BB_OK;
    }
    return fail(c, "stretch_bend", "no angle term with the same atoms i j k");
}

/* The header records up to and including the atoms. */
static int read_atoms(cur *c, bb_mmff *ff) {
    int rc;
    long v;
    if ((rc = keyed(c, "boltzbench-mmff94s", 2))) return rc;
    if ((rc = to_long(c, c->tok[1], "boltzbench-mmff94s (format version)", MMFF_FORMAT_VERSION, MMFF_FORMAT_VERSION,
                      &v)))
        return rc;
    if ((rc = keyed(c, "molecule", 2))) return rc;
    if (strlen(c->tok[1]) >= sizeof ff->name) return fail(c, "molecule", "name too long");
    strcpy(ff->name, c->tok[1]);
    if ((rc = keyed(c, "smiles", 2))) return rc;
    if (strlen(c->tok[1]) >= sizeof ff->smiles) return fail(c, "smiles", "too long");
    strcpy(ff->smiles, c->tok[1]);
    if ((rc = keyed(c, "source", 2))) return rc;
    if ((rc = keyed(c, "rotatable_bonds", 2))) return rc;
    if ((rc = to_long(c, c->tok[1], "rotatable_bonds", 0, 1000, &v))) return rc;
    ff->rotatable_bonds = (int)v;
    if ((rc = keyed(c, "dielectric", 3))) return rc;
    if (strcmp(c->tok[1], "constant") != 0 || strcmp(c->tok[2], "1") != 0)
        return fail(c, "dielectric", "only 'constant 1' (RDKit's default) is supported");
    if ((rc = count(c, "atoms", BB_MMFF_MAX_ATOMS, &ff->natom))) return rc;
    if (ff->natom < 1) return fail(c, "atoms", "no atoms");
    size_t N = (size_t)ff->natom;
    ff->element = calloc(N, sizeof *ff->element);
    ff->mass = calloc(N, sizeof *ff->mass);
    ff->type = calloc(N, sizeof *ff->type);
    ff->charge = calloc(N, sizeof *ff->charge);
    ff->heavy = calloc(N, sizeof *ff->heavy);
    if (!ff->element || !ff->mass || !ff->type || !ff->charge || !ff->heavy)
        return BB_ERR(c->ctx, BB_ENOMEM, "%s: out of memory", c->name);
    for (int i = 0; i < ff->natom; i++) {
        if ((rc = next(c, "atom"))) return rc;
        if (c->ntok != 5) return fail(c, "atom", "wrong number of fields (index element mass type charge)");
        if ((rc = to_long(c, c->tok[0], "atom index", i, i, &v))) return rc;
        const char *el = c->tok[1];
        size_t l = strlen(el);
        if (l < 1 || l > 2 || el[0] < 'A' || el[0] > 'Z' || (l == 2 && (el[1] < 'a' || el[1] > 'z')))
            return fail(c, "atom element", "not an element symbol");
        memcpy(ff->element[i], el, l + 1);
        ff->heavy[i] = strcmp(el, "H") != 0;
        if ((rc = to_double(c, c->tok[2], "atom mass", &ff->mass[i]))) return rc;
        if (!(ff->mass[i] > 0.0)) return fail(c, "atom mass", "not positive");
        if ((rc = to_long(c, c->tok[3], "atom mmff_type", 1, 99, &v))) return rc;
        ff->type[i] = (int)v;
        if ((rc = to_double(c, c->tok[4], "atom charge", &ff->charge[i]))) return rc;
    }
    return BB_OK;
}

/* allocate `n` elements of `size` each into *p (n may be 0) */
static int alloc(cur *c, void *p, size_t n, size_t size) {
    void *q = calloc(n ? n : 1, size);
    if (!q) return BB_ERR(c->ctx, BB_ENOMEM, "%s: out of memory", c->name);
    *(void **)p = q;
    return BB_OK;
}

static int read_terms(cur *c, bb_mmff *ff) {
    int rc, N = ff->natom, idx[4];
    long max = (long)MMFF_MAX_TERMS_PER_ATOM * N;
    double v[5];
    if ((rc = count(c, "bonds", max, &ff->nbond))) return rc;
    size_t n = (size_t)ff->nbond;
    if ((rc = alloc(c, &ff->bond_ij, 2 * n, sizeof(int))) || (rc = alloc(c, &ff->bond_kb, n, sizeof(double))) ||
        (rc = alloc(c, &ff->bond_r0, n, sizeof(double))))
        return rc;
    for (size_t t = 0; t < n; t++) {
        if ((rc = term(c, "bond", N, 2, idx, 2, v))) return rc;
        memcpy(ff->bond_ij + 2 * t, idx, 2 * sizeof(int));
        ff->bond_kb[t] = v[0];
        ff->bond_r0[t] = v[1];
    }
    if ((rc = count(c, "angles", max, &ff->nangle))) return rc;
    n = (size_t)ff->nangle;
    if ((rc = alloc(c, &ff->angle_ijk, 3 * n, sizeof(int))) || (rc = alloc(c, &ff->angle_ka, n, sizeof(double))) ||
        (rc = alloc(c, &ff->angle_t0, n, sizeof(double))) || (rc = alloc(c, &ff->angle_lin, n, 1)) ||
        (rc = alloc(c, &ff->angle_stbn, n, sizeof(int))))
        return rc;
    for (size_t t = 0; t < n; t++) {
        if ((rc = term(c, "angle", N, 3, idx, 3, v))) return rc;
        if (v[2] != 0.0 && v[2] != 1.0) return fail(c, "angle linear", "not 0 or 1");
        memcpy(ff->angle_ijk + 3 * t, idx, 3 * sizeof(int));
        ff->angle_ka[t] = v[0];
        ff->angle_t0[t] = v[1];
        ff->angle_lin[t] = (unsigned char)v[2];
        ff->angle_stbn[t] = -1;
    }
    int hint = 0;
    if ((rc = count(c, "stretch_bends", max, &ff->nstbn))) return rc;
    n = (size_t)ff->nstbn;
    if ((rc = alloc(c, &ff->stbn_ijk, 3 * n, sizeof(int))) || (rc = alloc(c, &ff->stbn_k, 2 * n, sizeof(double))) ||
        (rc = alloc(c, &ff->stbn_r0, 2 * n, sizeof(double))) || (rc = alloc(c, &ff->stbn_t0, n, sizeof(double))))
        return rc;
    for (size_t t = 0; t < n; t++) {
        if ((rc = term(c, "stretch_bend", N, 3, idx, 5, v))) return rc;
        if ((rc = attach_stretch_bend(c, ff, idx, (int)t, &hint))) return rc;
        memcpy(ff->stbn_ijk + 3 * t, idx, 3 * sizeof(int));
        memcpy(ff->stbn_k + 2 * t, v, 2 * sizeof(double));
        memcpy(ff->stbn_r0 + 2 * t, v + 2, 2 * sizeof(double));
        ff->stbn_t0[t] = v[4];
    }
    if ((rc = count(c, "oops", max, &ff->noop))) return rc;
    n = (size_t)ff->noop;
    if ((rc = alloc(c, &ff->oop_ijkl, 4 * n, sizeof(int))) || (rc = alloc(c, &ff->oop_k, n, sizeof(double)))) return rc;
    for (size_t t = 0; t < n; t++) {
        if ((rc = term(c, "oop", N, 4, idx, 1, v))) return rc;
        memcpy(ff->oop_ijkl + 4 * t, idx, 4 * sizeof(int));
        ff->oop_k[t] = v[0];
    }
    if ((rc = count(c, "torsions", max, &ff->ntors))) return rc;
    n = (size_t)ff->ntors;
    if ((rc = alloc(c, &ff->tors_ijkl, 4 * n, sizeof(int))) || (rc = alloc(c, &ff->tors_v, 3 * n, sizeof(double))))
        return rc;
    for (size_t t = 0; t < n; t++) {
        if ((rc = term(c, "torsion", N, 4, idx, 3, v))) return rc;
        memcpy(ff->tors_ijkl + 4 * t, idx, 4 * sizeof(int));
        memcpy(ff->tors_v + 3 * t, v, 3 * sizeof(double));
    }
    return BB_OK;
}

/* vdw_types table → R*, ε per (type, type): 100×100 symmetric, NaN where absent; then the start
 * geometry and the end record. */
static int read_vdw_start(cur *c, bb_mmff *ff, double *rstar, double *eps) {
    int rc, n;
    for (int k = 0; k < 100 * 100; k++) rstar[k] = eps[k] = NAN;
    if ((rc = count(c, "vdw_types", 99 * 100 / 2, &n))) return rc;
    for (int t = 0; t < n; t++) {
        if ((rc = next(c, "vdw_type"))) return rc;
        if (c->ntok != 4) return fail(c, "vdw_type", "wrong number of fields (type_a type_b R* eps)");
        long a, b;
        double r, e;
        if ((rc = to_long(c, c->tok[0], "vdw_type type_a", 1, 99, &a)) ||
            (rc = to_long(c, c->tok[1], "vdw_type type_b", 1, 99, &b)) ||
            (rc = to_double(c, c->tok[2], "vdw_type R*", &r)) || (rc = to_double(c, c->tok[3], "vdw_type eps", &e)))
            return rc;
        if (!(r > 0.0) || e < 0.0) return fail(c, "vdw_type", "R* must be positive and eps non-negative");
        rstar[a * 100 + b] = rstar[b * 100 + a] = r;
        eps[a * 100 + b] = eps[b * 100 + a] = e;
    }
    if ((rc = count(c, "start", ff->natom, &n))) return rc;
    if (n != ff->natom) return fail(c, "start", "not one position per atom");
    if ((rc = alloc(c, &ff->start, 3 * (size_t)n, sizeof(double)))) return rc;
    for (int i = 0; i < n; i++) {
        if ((rc = next(c, "start position"))) return rc;
        if (c->ntok != 3) return fail(c, "start position", "wrong number of fields (x y z)");
        for (int k = 0; k < 3; k++)
            if ((rc = to_double(c, c->tok[k], "start position", &ff->start[3 * i + k]))) return rc;
    }
    if ((rc = keyed(c, "end", 1))) return rc;
    while (c->pos < c->len) { /* only blank lines may follow */
        if ((rc = next(c, "end")) == BB_OK && c->ntok) return fail(c, "end", "text after the end record");
        if (rc) return rc;
    }
    return BB_OK;
}

/* Shortest-path bond distances from every atom (BFS); the non-bonded pairs (distance ≥ 3, same
 * fragment) with their vdW and electrostatic parameters. */
static int build_pairs(cur *c, bb_mmff *ff, const double *rstar, const double *eps) {
    int N = ff->natom, rc = BB_OK;
    int *deg = calloc((size_t)N + 1, sizeof *deg), *adj = NULL, *dist = malloc((size_t)N * sizeof *dist),
        *queue = malloc((size_t)N * sizeof *queue);
    if (!deg || !dist || !queue) goto oom;
    for (int b = 0; b < ff->nbond; b++) {
        deg[ff->bond_ij[2 * b] + 1]++;
        deg[ff->bond_ij[2 * b + 1] + 1]++;
    }
    for (int i = 0; i < N; i++) deg[i + 1] += deg[i]; /* deg[i] = first slot of atom i */
    adj = malloc((size_t)(2 * ff->nbond + 1) * sizeof *adj);
    int *fill = calloc((size_t)N, sizeof *fill);
    if (!adj || !fill) {
        free(fill);
        goto oom;
    }
    for (int b = 0; b < ff->nbond; b++) {
        int i = ff->bond_ij[2 * b], j = ff->bond_ij[2 * b + 1];
        adj[deg[i] + fill[i]++] = j;
        adj[deg[j] + fill[j]++] = i;
    }
    free(fill);
    size_t cap = (size_t)N * (size_t)(N - 1) / 2 + 1;
    if ((rc = alloc(c, &ff->pair_ij, 2 * cap, sizeof(int))) || (rc = alloc(c, &ff->pair_rstar, cap, sizeof(double))) ||
        (rc = alloc(c, &ff->pair_eps, cap, sizeof(double))) || (rc = alloc(c, &ff->pair_qq, cap, sizeof(double))))
        goto out;
    ff->npair = 0;
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < N; k++) dist[k] = -1;
        int head = 0, tail = 0;
        dist[i] = 0;
        queue[tail++] = i;
        while (head < tail) {
            int a = queue[head++];
            for (int s = deg[a]; s < deg[a + 1]; s++)
                if (dist[adj[s]] < 0) {
                    dist[adj[s]] = dist[a] + 1;
                    queue[tail++] = adj[s];
                }
        }
        for (int j = i + 1; j < N; j++) {
            if (dist[j] < 3) continue; /* 1-1, 1-2, 1-3 or another fragment (−1) */
            int ta = ff->type[i], tb = ff->type[j];
            double r = rstar[ta * 100 + tb], e = eps[ta * 100 + tb];
            if (isnan(r)) {
                rc = BB_ERR(c->ctx, BB_EFORMAT, "%s: vdw_types: no entry for MMFF types %d and %d (atoms %d, %d)",
                            c->name, ta, tb, i, j);
                goto out;
            }
            size_t p = (size_t)ff->npair++;
            ff->pair_ij[2 * p] = i;
            ff->pair_ij[2 * p + 1] = j;
            ff->pair_rstar[p] = r;
            ff->pair_eps[p] = e;
            double qi = ff->charge[i], qj = ff->charge[j];
            int zero = fabs(qi) < 1e-10 || fabs(qj) < 1e-10; /* RDKit isDoubleZero */
            ff->pair_qq[p] = zero ? 0.0 : MMFF_ELE_CONST * (qi * qj / 1.0) * (dist[j] == 3 ? MMFF_SCALE_14 : 1.0);
        }
    }
    goto out;
oom:
    rc = BB_ERR(c->ctx, BB_ENOMEM, "%s: out of memory", c->name);
out:
    free(deg);
    free(adj);
    free(dist);
    free(queue);
    return rc;
}

int bb_mmff_parse(const char *text, size_t len, const char *name, bb_mmff **out, bb_ctx *ctx) {
    *out = NULL;
    cur c = {.text = text, .name = name, .len = len, .ctx = ctx};
    bb_mmff *ff = calloc(1, sizeof *ff);
    double *rstar = malloc(2 * 100 * 100 * sizeof *rstar);
    if (!ff || !rstar) {
        free(ff);
        free(rstar);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    }
    int rc = read_atoms(&c, ff);
    if (!rc) rc = read_terms(&c, ff);
    if (!rc) rc = read_vdw_start(&c, ff, rstar, rstar + 100 * 100);
    if (!rc) rc = build_pairs(&c, ff, rstar, rstar + 100 * 100);
    free(rstar);
    if (rc) {
        bb_mmff_free(ff);
        return rc;
    }
    *out = ff;
    return BB_OK;
}

int bb_mmff_read(const char *path, const char *sha256, bb_mmff **out, bb_ctx *ctx) {
    *out = NULL;
    char *raw = NULL;
    size_t n = 0;
    int rc = bb_read_file(path, BB_MMFF_MAX_BYTES, &raw, &n, ctx);
    if (rc) return rc;
    if (sha256) {
        char hex[65];
        bb_sha256_hex(raw, n, hex);
        if (strcmp(hex, sha256) != 0) {
            free(raw);
            return BB_ERR(ctx, BB_EHASH, "%s: sha256 %s, expected %s (file changed: rerun prepare_mmff.py)", path, hex,
                          sha256);
        }
    }
    int gz = n >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b;
    if (gz) {
        free(raw);
        unsigned char *text = NULL;
        if ((rc = bb_gunzip_file(path, BB_MMFF_MAX_BYTES, &text, &n, ctx))) return rc;
        rc = bb_mmff_parse((const char *)text, n, path, out, ctx);
        free(text);
        return rc;
    }
    rc = bb_mmff_parse(raw, n, path, out, ctx);
    free(raw);
    return rc;
}
