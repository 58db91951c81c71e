/* xtb.c — the GFN2-xTB backend (see xtb.h): setup, unit conversion and deterministic, serialised
 * single points through libxtb's C API. Without BB_HAVE_XTB (cmake -DBB_XTB=OFF, the default) only
 * the element table is compiled and bb_xtb_new says how to enable the backend.
 */
#include "tasks/molecules/xtb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef BB_HAVE_XTB
#include <omp.h>
#include <xtb.h>
#endif

/* H..Rn, GFN2-xTB's range. */
static const char *const symbols[] = {
    "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",  "Cl", "Ar",
    "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr",
    "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe",
    "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf",
    "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn"};

int bb_xtb_atomic_number(const char *symbol) {
    for (size_t z = 0; z < sizeof symbols / sizeof *symbols; z++)
        if (strcmp(symbol, symbols[z]) == 0) return (int)z + 1;
    return 0;
}

#ifndef BB_HAVE_XTB

int bb_xtb_available(void) { return 0; }

int bb_xtb_new(int natom, const char (*element)[3], int charge, const double *x0, bb_xtb **out, bb_ctx *ctx) {
    (void)natom, (void)element, (void)charge, (void)x0;
    *out = NULL;
    return BB_ERR(ctx, BB_EUNSUPPORTED,
                  "gfn2-xtb: this build has no libxtb (install Debian libxtb-dev, configure with cmake -DBB_XTB=ON)");
}

void bb_xtb_free(bb_xtb *xt) { (void)xt; }

double bb_xtb_energy(const bb_xtb *xt, const double *x, double *grad) {
    (void)xt, (void)x, (void)grad;
    return INFINITY; /* unreachable: no bb_xtb can be made in this build */
}

#else

struct bb_xtb {
    int natom;
    xtb_TEnvironment env;
    xtb_TMolecule mol;
    xtb_TCalculator calc;
    double *xb, *gb; /* [natom·3] scratch in Bohr, used inside the critical section only */
};

int bb_xtb_available(void) { return 1; }

/* libxtb's pending error as one line (and its stack emptied). */
static int xtb_fail(bb_xtb *xt, const char *what, bb_ctx *ctx) {
    char msg[512] = "";
    int len = (int)sizeof msg;
    xtb_getError(xt->env, msg, &len);
    msg[sizeof msg - 1] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return BB_ERR(ctx, BB_EINVAL, "gfn2-xtb: %s: libxtb: %s", what, msg[0] ? msg : "failed");
}

int bb_xtb_new(int natom, const char (*element)[3], int charge, const double *x0, bb_xtb **out, bb_ctx *ctx) {
    *out = NULL;
    if (natom < 1) return BB_ERR(ctx, BB_EINVAL, "gfn2-xtb: %d atoms", natom);
    bb_xtb *xt = calloc(1, sizeof *xt);
    int *z = malloc((size_t)natom * sizeof *z);
    if (xt) {
        xt->xb = malloc(3 * (size_t)natom * sizeof *xt->xb);
        xt->gb = malloc(3 * (size_t)natom * sizeof *xt->gb);
    }
    if (!xt || !z || !xt->xb || !xt->gb) {
        free(z);
        bb_xtb_free(xt);
        return BB_ERR(ctx, BB_ENOMEM, "gfn2-xtb: out of memory (%d atoms)", natom);
    }
    xt->natom = natom;
    long electrons = -(long)charge;
    int rc = BB_OK;
    for (int i = 0; i < natom && !rc; i++) {
        z[i] = bb_xtb_atomic_number(element[i]);
        if (!z[i]) rc = BB_ERR(ctx, BB_EINVAL, "gfn2-xtb: atom %d: element '%s': not one of H..Rn", i, element[i]);
        electrons += z[i];
    }
    if (!rc && electrons % 2 != 0)
        rc = BB_ERR(ctx, BB_EINVAL, "gfn2-xtb: %ld electrons at charge %d: open shell, not supported", electrons,
                    charge);
    for (int k = 0; k < 3 * natom && !rc; k++) {
        if (!isfinite(x0[k])) rc = BB_ERR(ctx, BB_EINVAL, "gfn2-xtb: start geometry: non-finite coordinate %d", k);
        xt->xb[k] = x0[k] / BB_XTB_BOHR_A;
    }
    if (!rc) {
        double q = charge;
        int uhf = 0;
#pragma omp critical(bb_xtb)
        {
            xt->env = xtb_newEnvironment();
            xtb_setVerbosity(xt->env, XTB_VERBOSITY_MUTED);
            xt->mol = xtb_newMolecule(xt->env, &natom, z, xt->xb, &q, &uhf, NULL, NULL);
            if (xtb_checkEnvironment(xt->env)) {
                rc = xtb_fail(xt, "molecule", ctx);
            } else {
                xt->calc = xtb_newCalculator();
                xtb_loadGFN2xTB(xt->env, xt->mol, xt->calc, NULL);
                if (xtb_checkEnvironment(xt->env)) rc = xtb_fail(xt, "loading GFN2-xTB", ctx);
            }
        }
    }
    free(z);
    if (rc) {
        bb_xtb_free(xt);
        return rc;
    }
    *out = xt;
    return BB_OK;
}

void bb_xtb_free(bb_xtb *xt) {
    if (!xt) return;
#pragma omp critical(bb_xtb)
    {
        if (xt->calc) xtb_delCalculator(&xt->calc);
        if (xt->mol) xtb_delMolecule(&xt->mol);
        if (xt->env) xtb_delEnvironment(&xt->env);
    }
    free(xt->xb);
    free(xt->gb);
    free(xt);
}

double bb_xtb_energy(const bb_xtb *xt, const double *x, double *grad) {
    size_t D = 3 * (size_t)xt->natom;
    double e = INFINITY;
    int ok = 1;
    for (size_t k = 0; k < D; k++) ok &= isfinite(x[k]);
    if (ok) {
#pragma omp critical(bb_xtb)
        {
            /* libxtb has no thread argument and runs its own OpenMP regions: this thread's
             * nthreads ICV (not the process's) is 1 for the call and restored after, so the
             * result does not depend on the caller's threads; the caller's choice stands. */
            int threads = omp_get_max_threads();
            omp_set_num_threads(1);
            for (size_t k = 0; k < D; k++) xt->xb[k] = x[k] / BB_XTB_BOHR_A;
            xtb_updateMolecule(xt->env, xt->mol, xt->xb, NULL);
            xtb_TResults res = xtb_newResults();
            if (!xtb_checkEnvironment(xt->env)) xtb_singlepoint(xt->env, xt->mol, xt->calc, res);
            double eh = NAN;
            if (!xtb_checkEnvironment(xt->env)) {
                xtb_getEnergy(xt->env, res, &eh);
                xtb_getGradient(xt->env, res, xt->gb);
            }
            if (xtb_checkEnvironment(xt->env)) { /* SCF failure: +∞, and the error stack emptied */
                char msg[512];
                int len = (int)sizeof msg;
                xtb_getError(xt->env, msg, &len);
            } else {
                e = eh * BB_XTB_HARTREE_KCAL;
                if (grad)
                    for (size_t k = 0; k < D; k++) grad[k] = xt->gb[k] * (BB_XTB_HARTREE_KCAL / BB_XTB_BOHR_A);
            }
            xtb_delResults(&res);
            omp_set_num_threads(threads);
        }
    }
    int bad = !isfinite(e);
    if (grad && !bad)
        for (size_t k = 0; k < D; k++) bad |= !isfinite(grad[k]);
    if (bad) {
        e = INFINITY;
        if (grad) memset(grad, 0, D * sizeof *grad);
    }
    return e;
}

#endif
