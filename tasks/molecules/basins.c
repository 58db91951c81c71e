/* basins.c — φ/ψ basin classifier and basin populations (see basins.h). */
#include "tasks/molecules/basins.h"

#include <math.h>

const char *const bb_basin_names[] = {"alpha_R", "beta_C5", "C7eq_PII", "alpha_L_C7ax"};
_Static_assert(sizeof bb_basin_names / sizeof *bb_basin_names == BB_BASIN_COUNT, "every bb_basin needs a name");

/* a wrapped into (−180, 180] degrees. */
static double wrap_deg(double a_rad) {
    double d = fmod(a_rad * (180.0 / 3.14159265358979323846), 360.0); /* (−360, 360) */
    if (d > 180.0) d -= 360.0;
    if (d <= -180.0) d += 360.0;
    return d;
}

bb_basin bb_basin_classify(double phi, double psi) {
    double f = wrap_deg(phi), s = wrap_deg(psi);
    if (f > 0.0) return BB_BASIN_ALPHA_L;
    if (s > -120.0 && s <= 50.0) return BB_BASIN_ALPHA_R;
    return f <= -90.0 ? BB_BASIN_BETA : BB_BASIN_PII;
}

int bb_basin_pair(const bb_molecule *m, int k, const bb_dihedral_def **phi, const bb_dihedral_def **psi) {
    *phi = *psi = NULL;
    if (!m || k < 0) return 0;
    int seen = 0;
    for (int i = 0; i < m->ndihedral; i++) {
        const bb_dihedral_def *a = &m->dihedral[i];
        if (a->kind != BB_DIHEDRAL_PHI) continue;
        for (int j = 0; j < m->ndihedral; j++) {
            const bb_dihedral_def *b = &m->dihedral[j];
            if (b->kind != BB_DIHEDRAL_PSI || b->residue != a->residue) continue;
            if (seen++ == k) {
                *phi = a;
                *psi = b;
                return 1;
            }
        }
    }
    return 0;
}

int bb_basin_populations(const bb_molecule *m, int k, size_t n, const double *x, double pop[BB_BASIN_COUNT]) {
    const bb_dihedral_def *phi, *psi;
    for (int b = 0; b < BB_BASIN_COUNT; b++) pop[b] = NAN;
    if (n == 0 || !bb_basin_pair(m, k, &phi, &psi)) return -1;
    size_t count[BB_BASIN_COUNT] = {0}, D = 3 * (size_t)m->natom;
    for (size_t i = 0; i < n; i++)
        count[bb_basin_classify(bb_dihedral_angle(x + i * D, phi->atoms), bb_dihedral_angle(x + i * D, psi->atoms))]++;
    for (int b = 0; b < BB_BASIN_COUNT; b++) pop[b] = (double)count[b] / (double)n;
    return 0;
}
