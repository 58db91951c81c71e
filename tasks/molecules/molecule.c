/* molecule.c — topology descriptors and backbone dihedrals of a peptide (see molecule.h).
 *
 * What it is: copies of names, residues, masses and charges out of a bb_prmtop, and the
 * φ/ψ/ω search by atom name. What it is not: a validator; a residue without N, CA/CH3 or C
 * simply contributes no dihedral.
 */
#include "tasks/molecules/molecule.h"

#include "tasks/molecules/prmtop.h"
#include "tasks/molecules/vec3.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double bb_dihedral_angle(const double *x, const int a[4]) {
    double b1[3], b2[3], b3[3];
    for (int k = 0; k < 3; k++) {
        b1[k] = x[3 * a[1] + k] - x[3 * a[0] + k];
        b2[k] = x[3 * a[2] + k] - x[3 * a[1] + k];
        b3[k] = x[3 * a[3] + k] - x[3 * a[2] + k];
    }
    double n1[3], n2[3], m[3];
    bb_cross3(b1, b2, n1);
    bb_cross3(b2, b3, n2);
    bb_cross3(n1, n2, m);
    double b2n = sqrt(bb_dot3(b2, b2));
    double y = bb_dot3(m, b2) / (b2n > 0.0 ? b2n : 1.0);
    return atan2(y, bb_dot3(n1, n2));
}

const bb_dihedral_def *bb_molecule_find_dihedral(const bb_molecule *m, const char *name) {
    if (!m || !name) return NULL;
    for (int i = 0; i < m->ndihedral; i++)
        if (strcmp(m->dihedral[i].name, name) == 0) return &m->dihedral[i];
    return NULL;
}

void bb_molecule_store_free(bb_molecule_store *s) {
    if (!s) return;
    BB_FREE_ALL(s->atom_name, s->atom_residue, s->res_name, s->mass, s->charge, s->dihedral, s->backbone);
    memset(s, 0, sizeof *s);
}

/* First atom named `want` in residue r, or −1. */
static int atom_in(const bb_prmtop *top, int r, const char *want) {
    int lo = top->res_pointer[r] - 1, hi = r + 1 < top->nres ? top->res_pointer[r + 1] - 1 : top->natom;
    for (int i = lo; i < hi; i++)
        if (strcmp(top->atom_name[i], want) == 0) return i;
    return -1;
}

/* The α carbon: CA; in caps the methyl carbon, named CH3 (AMBER) or, for NME in OpenMM's
 * ff14SB export, C (NME has no carbonyl, so its C is the methyl). */
static int alpha_in(const bb_prmtop *top, int r) {
    int a = atom_in(top, r, "CA");
    if (a < 0) a = atom_in(top, r, "CH3");
    if (a < 0 && strcmp(top->res_label[r], "NME") == 0) a = atom_in(top, r, "C");
    return a;
}

static void add_dih(bb_molecule_store *s, bb_dihedral_kind kind, int res, int a, int b, int c, int d) {
    static const char *const KIND[BB_DIHEDRAL_KIND_COUNT] = {"phi", "psi", "omega"};
    bb_dihedral_def *def = &s->dihedral[s->mol.ndihedral++];
    snprintf(def->name, sizeof def->name, "%s%d", KIND[kind], res + 1);
    def->kind = kind;
    def->residue = res + 1;
    def->atoms[0] = a;
    def->atoms[1] = b;
    def->atoms[2] = c;
    def->atoms[3] = d;
}

int bb_molecule_store_init(bb_molecule_store *s, const bb_prmtop *top, const char *name, bb_ctx *ctx) {
    memset(s, 0, sizeof *s);
    size_t N = (size_t)top->natom, R = (size_t)top->nres;
    s->atom_name = calloc(N, sizeof *s->atom_name);
    s->atom_residue = calloc(N, sizeof *s->atom_residue);
    s->res_name = calloc(R, sizeof *s->res_name);
    s->mass = calloc(N, sizeof *s->mass);
    s->charge = calloc(N, sizeof *s->charge);
    s->dihedral = calloc(3 * R + 1, sizeof *s->dihedral);
    s->backbone = calloc(3 * R + 1, sizeof *s->backbone);
    if (!s->atom_name || !s->atom_residue || !s->res_name || !s->mass || !s->charge || !s->dihedral || !s->backbone) {
        bb_molecule_store_free(s);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    }
    memcpy(s->atom_name, top->atom_name, N * sizeof *s->atom_name);
    memcpy(s->res_name, top->res_label, R * sizeof *s->res_name);
    for (size_t i = 0; i < N; i++) {
        s->mass[i] = top->mass[i];
        s->charge[i] = top->charge[i] / 18.2223;
    }
    for (int r = 0; r < top->nres; r++) {
        int hi = r + 1 < top->nres ? top->res_pointer[r + 1] - 1 : top->natom;
        for (int i = top->res_pointer[r] - 1; i < hi; i++) s->atom_residue[i] = r;
    }
    s->mol.natom = top->natom;
    s->mol.nres = top->nres;
    for (int r = 0; r < top->nres; r++) {
        int n = atom_in(top, r, "N"), ca = alpha_in(top, r), c = atom_in(top, r, "C");
        if (c == ca) c = -1; /* NME's methyl C is no carbonyl */
        int cp = r > 0 ? atom_in(top, r - 1, "C") : -1;
        int nn = r + 1 < top->nres ? atom_in(top, r + 1, "N") : -1;
        int can = r + 1 < top->nres ? alpha_in(top, r + 1) : -1;
        if (n >= 0) s->backbone[s->mol.nbackbone++] = n;
        if (ca >= 0) s->backbone[s->mol.nbackbone++] = ca;
        if (c >= 0) s->backbone[s->mol.nbackbone++] = c;
        if (cp >= 0 && n >= 0 && ca >= 0 && c >= 0) add_dih(s, BB_DIHEDRAL_PHI, r, cp, n, ca, c);
        if (n >= 0 && ca >= 0 && c >= 0 && nn >= 0) add_dih(s, BB_DIHEDRAL_PSI, r, n, ca, c, nn);
        if (ca >= 0 && c >= 0 && nn >= 0 && can >= 0) add_dih(s, BB_DIHEDRAL_OMEGA, r, ca, c, nn, can);
    }
    s->mol.atom_name = (const char(*)[5])s->atom_name;
    s->mol.atom_residue = s->atom_residue;
    s->mol.res_name = (const char(*)[5])s->res_name;
    s->mol.mass = s->mass;
    s->mol.charge = s->charge;
    s->mol.dihedral = s->dihedral;
    s->mol.backbone = s->backbone;
    return BB_OK;
}

void bb_molecule_reduce(size_t n, size_t D, double kT, double *u, double *grad) {
    const double ikT = 1.0 / kT;
    for (size_t i = 0; i < n; i++) {
        u[i] *= ikT;
        if (grad)
            for (size_t k = 0; k < D; k++) grad[i * D + k] *= ikT;
    }
}

int bb_equipartition_sigma(size_t D, const double *xmin, double kT, void (*grad)(void *arg, const double *x, double *g),
                           void *arg, const char *name, double *sigma, bb_ctx *ctx) {
    *sigma = 0.0;
    double *x = malloc(2 * D * sizeof *x);
    if (!x) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    double *g = x + D, tr = 0.0;
    memcpy(x, xmin, D * sizeof *x);
    const double h = 1e-5;
    for (size_t k = 0; k < D; k++) {
        x[k] = xmin[k] + h;
        grad(arg, x, g);
        double gp = g[k];
        x[k] = xmin[k] - h;
        grad(arg, x, g);
        tr += (gp - g[k]) / (2 * h);
        x[k] = xmin[k];
    }
    free(x);
    if (!(tr > 0.0) || !isfinite(tr)) return BB_ERR(ctx, BB_EINTERNAL, "%s: Hessian trace %g at the minimum", name, tr);
    *sigma = sqrt(((double)D - 6.0) * kT / tr);
    return BB_OK;
}
