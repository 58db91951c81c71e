/* prmtop.h — native reader of AMBER topology (prmtop) and coordinate (inpcrd) files.
 *
 * What it is: a parser of the fixed-width Fortran layout AMBER writes. New-style files
 * (AMBER 7 and later) are a sequence of "%FLAG NAME" + "%FORMAT(nXw[.d])" sections; old-style
 * files (AMBER 6 and earlier, no %FLAG lines) are the same sections in a fixed order with
 * fixed formats (12I6, 5E16.8, 20a4). The reader keeps the raw file values (AMBER units:
 * Å, kcal/mol, charges × 18.2223, 1-based type indices, atom pointers ×3) and checks every
 * count against POINTERS and every index against its table. What it is not: a force field —
 * tasks/molecules/amber.h turns a bb_prmtop into OpenMM-equivalent parameters in nm and kJ/mol.
 * Unsupported features (10-12 H-bond terms, CMAP, periodic boxes) are read or ignored here and
 * refused by amber.c.
 *
 * Errors: one message "<file>: %FLAG <NAME>: line <n>: <what>" (or "<file>: line <n>: ..."),
 * never a crash on hostile input (tests/molecules/fuzz_prmtop.c replays a corpus).
 */
#ifndef BB_PRMTOP_H
#define BB_PRMTOP_H

#include <stddef.h>

#include "harness/core/bb.h"

/* Size limits applied while parsing (hostile files cannot exhaust memory). */
#define BB_PRMTOP_MAX_BYTES ((size_t)64 << 20) /* whole file */
#define BB_PRMTOP_MAX_ATOMS 100000
#define BB_PRMTOP_MAX_TYPES 2000
#define BB_PRMTOP_MAX_COUNT 10000000 /* any other list */

typedef struct bb_prmtop {
    int natom, ntypes, nres;
    int nbonh, mbona, ntheth, mtheta, nphih, mphia; /* list lengths (entries, not ints) */
    int numbnd, numang, nptra, next;                /* parameter-table sizes, exclusions */
    int ifbox, ifpert, ifcap;
    char title[81];
    char (*atom_name)[5];                   /* [natom], NUL-terminated, trailing blanks removed */
    char (*res_label)[5];                   /* [nres] */
    int *res_pointer;                       /* [nres], 1-based first atom of each residue */
    double *charge;                         /* [natom], AMBER units (e × 18.2223) */
    double *mass;                           /* [natom], amu */
    int *atom_type_index;                   /* [natom], 1..ntypes */
    int *nb_parm_index;                     /* [ntypes²], 1-based into lj_acoef (negative: 10-12 pair) */
    double *lj_acoef, *lj_bcoef;            /* [ntypes(ntypes+1)/2], kcal/mol·Å¹², kcal/mol·Å⁶ */
    double *bond_k, *bond_r0;               /* [numbnd], kcal/mol/Å², Å */
    double *angle_k, *angle_t0;             /* [numang], kcal/mol/rad², rad */
    double *dih_k, *dih_period, *dih_phase; /* [nptra], kcal/mol, -, rad */
    double *scee, *scnb;                    /* [nptra] or NULL when the file has no such flags (use 1.2/2.0) */
    int *bonds_h, *bonds_a;                 /* [3·nbonh], [3·mbona]: i·3, j·3, type (1-based) */
    int *angles_h, *angles_a;               /* [4·ntheth], [4·mtheta] */
    int *dih_h, *dih_a;                     /* [5·nphih], [5·mphia]: k<0 no 1-4, l<0 improper */
    int *num_excluded;                      /* [natom] */
    int *excluded;                          /* [next], 1-based atom numbers, 0 = none */
    double *radii, *screen;                 /* [natom] GB intrinsic radii (Å) and screening, or NULL */
    int has_hbond_terms;                    /* nonzero HBOND_ACOEF/BCOEF entries (10-12 potential) */
    int old_style;                          /* 1 if read from the old (no %FLAG) layout */
} bb_prmtop;

/* Parse prmtop text of `len` bytes (need not be NUL-terminated); `name` labels errors.
 * On success *out owns everything (free with bb_prmtop_free); on failure *out is NULL. */
int bb_prmtop_parse(const char *text, size_t len, const char *name, bb_prmtop **out, bb_ctx *ctx);
/* Read and parse a file (at most BB_PRMTOP_MAX_BYTES). */
int bb_prmtop_read(const char *path, bb_prmtop **out, bb_ctx *ctx);
void bb_prmtop_free(bb_prmtop *p); /* NULL-safe */

/* Parse inpcrd/restart text: title line, "natom [time]", then 6F12.7 coordinates in Å (box and
 * velocities that may follow are ignored). Writes natom×3 positions in **nm** to x_nm.
 * An atom count other than `natom` is an error naming both counts. */
int bb_inpcrd_parse(const char *text, size_t len, const char *name, int natom, double *x_nm, bb_ctx *ctx);
int bb_inpcrd_read(const char *path, int natom, double *x_nm, bb_ctx *ctx);

#endif
