/* vec3.h — cross and dot products of 3-vectors for the molecular geometry (bond angles,
 * torsions, dihedral angles).
 *
 * What it is: the one spelling of u × v and u · v that amber_energy.c and molecule.c share,
 * written as the same IEEE operations in the same order as before they were shared (the AMBER
 * energies match OpenMM references bit for bit where they did): (u × v)ₖ = u₊v₋ − u₋v₊ and
 * u · v = (u₀v₀ + u₁v₁) + u₂v₂, with -ffp-contract=off keeping each product and sum rounded.
 * What it is not: a vector library (no normalisation or other sizes).
 */
#ifndef BB_VEC3_H
#define BB_VEC3_H

/* c = u × v (c must not alias u or v). */
static inline void bb_cross3(const double u[3], const double v[3], double c[3]) {
    c[0] = u[1] * v[2] - u[2] * v[1];
    c[1] = u[2] * v[0] - u[0] * v[2];
    c[2] = u[0] * v[1] - u[1] * v[0];
}

/* u · v */
static inline double bb_dot3(const double u[3], const double v[3]) { return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]; }

#endif
