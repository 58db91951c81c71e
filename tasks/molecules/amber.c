/* amber.c — turn a bb_prmtop into OpenMM-equivalent force-field parameters (see amber.h).
 *
 * What it is: the unit conversions and bookkeeping of OpenMM 7.7's amber_file_parser.py,
 * restated: charges /18.2223; bond and angle force constants ×2 (AMBER writes k(r−r₀)²,
 * OpenMM ½k(r−r₀)²) and kcal→kJ (×4.184), Å→nm (×0.1); per-type σ, ε from the diagonal of
 * the LJ A/B tables (r_min = (2A/B)^{1/6}, ε = B²/4A; A = B = 0 gives r_min = 1 Å, ε = 0),
 * combined by Lorentz–Berthelot; a 1-4 pair for every dihedral whose 3rd and 4th pointers are
 * positive, scaled by that dihedral type's SCEE/SCNB; every other pair in EXCLUDED_ATOMS_LIST
 * excluded; GB radii ρ = RADII/10 nm and screening from SCREEN (HCT/OBC keep the prmtop's
 * screening). What it is not: the energy kernel (amber_energy.c).
 */
#include "tasks/molecules/amber.h"

#include "tasks/molecules/amber_pairs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const bb_amber_term_names[BB_AMBER_TERM_COUNT] = {"bond",    "angle",  "torsion",  "lj",
                                                              "coulomb", "gb_pol", "gb_sa_ace"};

#define KCAL               4.184
#define AMBER_CHARGE       18.2223
#define OBC_OFFSET         0.009
#define SOLVENT_DIELECTRIC 78.5
#define ACE_COEF           28.3919551
#define ACE_PROBE          0.14

void bb_amber_free(bb_amber *ff) {
    if (!ff) return;
    BB_FREE_ALL(ff->bond_ij, ff->bond_k, ff->bond_r0, ff->angle_ijk, ff->angle_k, ff->angle_t0, ff->tors_ijkl,
                ff->tors_k, ff->tors_phase, ff->tors_cos0, ff->tors_sin0, ff->tors_n, ff->tgroup_first, ff->tors_onehot,
                ff->pair_ij, ff->pair_a12, ff->pair_b6, ff->pair_qq, ff->pair_gbqq, ff->p14_ij, ff->p14_a12, ff->p14_b6,
                ff->p14_qq, ff->charge, ff->sigma, ff->epsilon, ff->gb_or, ff->gb_sr, ff->gb_rad, ff->gb_self,
                ff->gb_sa, ff);
}

size_t bb_amber_work_size(const bb_amber *ff) {
    /* reference kernel, per pair: dx dy dz r dI_i/dr dI_j/dr f_scalar; per atom: I B dB/dI dE/dB 1/B */
    size_t ref = 7 * (size_t)ff->npair + 5 * (size_t)ff->natom;
    size_t fast = bb_amber_pairs_work_size(ff) + 22 * (size_t)ff->ntors;
    return ref > fast ? ref : fast;
}

static int alloc_all(bb_amber *ff) {
    size_t N = (size_t)ff->natom, P = (size_t)ff->npair;
    size_t nb = (size_t)ff->nbond + 1, na = (size_t)ff->nangle + 1, nt = (size_t)ff->ntors + 1;
    size_t n4 = (size_t)ff->n14 + 1;
    ff->bond_ij = malloc(2 * nb * sizeof(int));
    ff->bond_k = malloc(nb * sizeof(double));
    ff->bond_r0 = malloc(nb * sizeof(double));
    ff->angle_ijk = malloc(3 * na * sizeof(int));
    ff->angle_k = malloc(na * sizeof(double));
    ff->angle_t0 = malloc(na * sizeof(double));
    ff->tors_ijkl = malloc(4 * nt * sizeof(int));
    ff->tors_k = malloc(nt * sizeof(double));
    ff->tors_phase = malloc(nt * sizeof(double));
    ff->tors_cos0 = malloc(nt * sizeof(double));
    ff->tors_sin0 = malloc(nt * sizeof(double));
    ff->tors_n = malloc(nt * sizeof(int));
    ff->tgroup_first = malloc((nt + 1) * sizeof(int));
    ff->tors_onehot = calloc(6 * nt, sizeof(double));
    ff->pair_ij = malloc(2 * (P + 1) * sizeof(int));
    ff->pair_a12 = calloc(P + 1, sizeof(double));
    ff->pair_b6 = calloc(P + 1, sizeof(double));
    ff->pair_qq = calloc(P + 1, sizeof(double));
    ff->pair_gbqq = calloc(P + 1, sizeof(double));
    ff->p14_ij = malloc(2 * n4 * sizeof(int));
    ff->p14_a12 = malloc(n4 * sizeof(double));
    ff->p14_b6 = malloc(n4 * sizeof(double));
    ff->p14_qq = malloc(n4 * sizeof(double));
    ff->charge = calloc(N, sizeof(double));
    ff->sigma = calloc(N, sizeof(double));
    ff->epsilon = calloc(N, sizeof(double));
    ff->gb_or = calloc(N, sizeof(double));
    ff->gb_sr = calloc(N, sizeof(double));
    ff->gb_rad = calloc(N, sizeof(double));
    ff->gb_self = calloc(N, sizeof(double));
    ff->gb_sa = calloc(N, sizeof(double));
    return ff->bond_ij && ff->bond_k && ff->bond_r0 && ff->angle_ijk && ff->angle_k && ff->angle_t0 && ff->tors_ijkl &&
           ff->tors_k && ff->tors_phase && ff->tors_cos0 && ff->tors_sin0 && ff->tgroup_first && ff->tors_onehot &&
           ff->tors_n && ff->pair_ij && ff->pair_a12 && ff->pair_b6 && ff->pair_qq && ff->pair_gbqq && ff->p14_ij &&
           ff->p14_a12 && ff->p14_b6 && ff->p14_qq && ff->charge && ff->sigma && ff->epsilon && ff->gb_or &&
           ff->gb_sr && ff->gb_rad && ff->gb_self && ff->gb_sa;
}

/* Per-type half r_min (nm) and ε (kJ/mol) from the diagonal of the A/B tables. */
static void type_params(const bb_prmtop *top, int type, double *rhalf, double *eps) {
    int idx = top->nb_parm_index[(size_t)type * (size_t)top->ntypes + (size_t)type] - 1;
    double a = top->lj_acoef[idx], b = top->lj_bcoef[idx];
    double rmin = 1.0, e = 0.0;
    if (a != 0.0 && b != 0.0) {
        rmin = pow(2.0 * a / b, 1.0 / 6.0);
        e = 0.25 * b * b / a;
    }
    *rhalf = 0.5 * rmin * 0.1;
    *eps = e * KCAL;
}

int bb_amber_create(const bb_prmtop *top, const char *name, const bb_amber_options *opt, bb_amber **out, bb_ctx *ctx) {
    *out = NULL;
    if (!name) name = "(prmtop)";
    if (!top || !opt) return BB_ERR(ctx, BB_EINVAL, "%s: no topology or options", name);
    int N = top->natom;
    if (N > BB_AMBER_MAX_ATOMS)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %d atoms; the dense pair kernel takes at most %d", name, N,
                      BB_AMBER_MAX_ATOMS);
    if (top->has_hbond_terms)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %%FLAG HBOND_ACOEF: 10-12 terms are not supported", name);
    if (top->ifpert) return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %%FLAG POINTERS: IFPERT set (perturbation)", name);
    if (opt->obc1 && (!top->radii || !top->screen))
        return BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG %s: missing (needed for GB-OBC1)", name,
                      top->radii ? "SCREEN" : "RADII");
    if (!(opt->cutoff_nm >= 0.0) || !isfinite(opt->cutoff_nm))
        return BB_ERR(ctx, BB_EINVAL, "%s: cutoff %g nm: must be 0 (none) or positive", name, opt->cutoff_nm);
    for (int t = 0; t < top->ntypes * top->ntypes; t++)
        if (top->nb_parm_index[t] <= 0)
            return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %%FLAG NONBONDED_PARM_INDEX: entry %d: 10-12 pair not supported",
                          name, t + 1);

    int rc = BB_OK;
    unsigned char *excl = NULL;
    double *rhalf = NULL;
    bb_amber *ff = calloc(1, sizeof *ff);
    if (!ff) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    ff->natom = N;
    ff->obc1 = opt->obc1 != 0;
    ff->cutoff = opt->cutoff_nm;
    ff->nbond = top->nbonh + top->mbona;
    ff->nangle = top->ntheth + top->mtheta;
    ff->ntors = top->nphih + top->mphia;
    ff->npair = N * (N - 1) / 2;
    ff->n14 = 0;
    for (int d = 0; d < ff->ntors; d++) {
        const int *q = d < top->nphih ? top->dih_h + 5 * d : top->dih_a + 5 * (d - top->nphih);
        if (q[2] > 0 && q[3] > 0) ff->n14++;
    }
    excl = calloc((size_t)N * (size_t)N, 1);
    rhalf = calloc((size_t)N, sizeof *rhalf);
    if (!excl || !rhalf || !alloc_all(ff)) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
        goto out;
    }

    /* LJ per-type parameters; refuse off-diagonal terms that are not Lorentz–Berthelot (NBFIX). */
    for (int i = 0; i < N; i++) {
        type_params(top, top->atom_type_index[i] - 1, &rhalf[i], &ff->epsilon[i]);
        ff->sigma[i] = 2.0 * rhalf[i] * pow(2.0, -1.0 / 6.0);
        ff->charge[i] = top->charge[i] / AMBER_CHARGE;
    }
    for (int ti = 0; ti < top->ntypes; ti++)
        for (int tj = 0; tj < top->ntypes; tj++) {
            double ri, ei, rj, ej;
            type_params(top, ti, &ri, &ei);
            type_params(top, tj, &rj, &ej);
            int idx = top->nb_parm_index[(size_t)ti * (size_t)top->ntypes + (size_t)tj] - 1;
            double a = top->lj_acoef[idx], b = top->lj_bcoef[idx];
            double rij = (ri + rj) * 10.0, wij = sqrt(ei * ej) / KCAL;
            int nbfix = (a == 0.0 || b == 0.0) ? (a != 0.0 || b != 0.0 || (wij != 0.0 && rij != 0.0))
                                               : (fabs((a - wij * pow(rij, 12)) / a) > 1e-6 ||
                                                  fabs((b - 2.0 * wij * pow(rij, 6)) / b) > 1e-6);
            if (nbfix) {
                rc = BB_ERR(ctx, BB_EUNSUPPORTED,
                            "%s: %%FLAG LENNARD_JONES_ACOEF: types %d/%d: off-diagonal (NBFIX) terms not supported",
                            name, ti + 1, tj + 1);
                goto out;
            }
        }

    /* Bonds, angles, torsions. */
    for (int b = 0; b < ff->nbond; b++) {
        const int *q = b < top->nbonh ? top->bonds_h + 3 * b : top->bonds_a + 3 * (b - top->nbonh);
        ff->bond_ij[2 * b] = q[0] / 3;
        ff->bond_ij[2 * b + 1] = q[1] / 3;
        ff->bond_k[b] = 2.0 * top->bond_k[q[2] - 1] * KCAL * 100.0;
        ff->bond_r0[b] = top->bond_r0[q[2] - 1] * 0.1;
    }
    for (int a = 0; a < ff->nangle; a++) {
        const int *q = a < top->ntheth ? top->angles_h + 4 * a : top->angles_a + 4 * (a - top->ntheth);
        for (int k = 0; k < 3; k++) ff->angle_ijk[3 * a + k] = q[k] / 3;
        ff->angle_k[a] = 2.0 * top->angle_k[q[3] - 1] * KCAL;
        ff->angle_t0[a] = top->angle_t0[q[3] - 1];
    }
    int n14 = 0;
    for (int d = 0; d < ff->ntors; d++) {
        const int *q = d < top->nphih ? top->dih_h + 5 * d : top->dih_a + 5 * (d - top->nphih);
        int t = q[4] - 1;
        for (int k = 0; k < 4; k++) ff->tors_ijkl[4 * d + k] = abs(q[k]) / 3;
        ff->tors_k[d] = top->dih_k[t] * KCAL;
        ff->tors_phase[d] = top->dih_phase[t];
        ff->tors_cos0[d] = cos(top->dih_phase[t]);
        ff->tors_sin0[d] = sin(top->dih_phase[t]);
        double per = top->dih_period[t];
        if (!(per > -1.0 && per < 100.5)) { /* checked before the conversion, which would overflow */
            rc = BB_ERR(ctx, BB_EUNSUPPORTED,
                        "%s: %%FLAG DIHEDRAL_PERIODICITY: entry %d: periodicity %g outside [0, 100]", name, t + 1, per);
            goto out;
        }
        ff->tors_n[d] = (int)(0.5 + per); /* OpenMM: int(0.5 + periodicity) */
        if (ff->tors_n[d] < 1 && ff->tors_k[d] != 0.0) {
            rc = BB_ERR(ctx, BB_EUNSUPPORTED, "%s: %%FLAG DIHEDRAL_PERIODICITY: entry %d: periodicity %g", name, t + 1,
                        per);
            goto out;
        }
        if (q[2] > 0 && q[3] > 0) {
            int i = q[0] / 3, l = q[3] / 3;
            double scee = top->scee ? top->scee[t] : 1.2, scnb = top->scnb ? top->scnb[t] : 2.0;
            if (!(scee > 0.0) || !(scnb > 0.0)) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG SCEE_SCALE_FACTOR: entry %d: scale factors must be positive",
                            name, t + 1);
                goto out;
            }
            int lo = i < l ? i : l, hi = i < l ? l : i;
            if (lo == hi || excl[(size_t)lo * (size_t)N + (size_t)hi] == 2) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG DIHEDRALS_*: 1-4 pair %d-%d listed twice", name, lo + 1,
                            hi + 1);
                goto out;
            }
            excl[(size_t)lo * (size_t)N + (size_t)hi] = 2;
            double sig = (rhalf[i] + rhalf[l]) * pow(2.0, -1.0 / 6.0);
            double eps = sqrt(ff->epsilon[i] * ff->epsilon[l]) / scnb;
            double s6 = pow(sig, 6.0);
            ff->p14_ij[2 * n14] = i;
            ff->p14_ij[2 * n14 + 1] = l;
            ff->p14_a12[n14] = 4.0 * eps * s6 * s6;
            ff->p14_b6[n14] = 4.0 * eps * s6;
            ff->p14_qq[n14] = BB_AMBER_KE_COULOMB * ff->charge[i] * ff->charge[l] / scee;
            n14++;
        }
    }

    /* Group consecutive torsion terms acting on the same four atoms (order kept). */
    ff->ntgroup = 0;
    for (int d = 0; d < ff->ntors; d++)
        if (d == 0 || memcmp(ff->tors_ijkl + 4 * d, ff->tors_ijkl + 4 * (d - 1), 4 * sizeof(int)) != 0)
            ff->tgroup_first[ff->ntgroup++] = d;
    ff->tgroup_first[ff->ntgroup] = ff->ntors;

    ff->torsions_simd = bb_amber_torsions_ok(ff);
    for (int d = 0; ff->torsions_simd && d < ff->ntors; d++)
        ff->tors_onehot[(size_t)(ff->tors_n[d] - 1) * (size_t)ff->ntors + (size_t)d] = 1.0;

    /* Exclusions (1-4 pairs are excluded from the plain pair sum too). */
    size_t e = 0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < top->num_excluded[i]; k++, e++) {
            int j = top->excluded[e] - 1;
            if (j < 0 || j == i) continue;
            int lo = i < j ? i : j, hi = i < j ? j : i;
            if (!excl[(size_t)lo * (size_t)N + (size_t)hi]) excl[(size_t)lo * (size_t)N + (size_t)hi] = 1;
        }

    /* GB parameters. */
    double pref = -BB_AMBER_KE_GB * (1.0 - 1.0 / SOLVENT_DIELECTRIC);
    if (ff->obc1)
        for (int i = 0; i < N; i++) {
            double rho = top->radii[i] / 10.0;
            ff->gb_rad[i] = rho;
            ff->gb_or[i] = rho - OBC_OFFSET;
            ff->gb_sr[i] = top->screen[i] * ff->gb_or[i];
            if (!(ff->gb_or[i] > 0.0)) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG RADII: atom %d: radius %g Å not above the 0.09 Å offset", name,
                            i + 1, top->radii[i]);
                goto out;
            }
            ff->gb_self[i] = 0.5 * pref * ff->charge[i] * ff->charge[i];
            double r6 = pow(rho, 6.0);
            ff->gb_sa[i] = ACE_COEF * (rho + ACE_PROBE) * (rho + ACE_PROBE) * r6;
        }

    /* All pairs i < j: LJ/Coulomb parameters unless excluded, GB charge product always. */
    int p = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++, p++) {
            ff->pair_ij[2 * p] = i;
            ff->pair_ij[2 * p + 1] = j;
            if (ff->obc1) ff->pair_gbqq[p] = pref * ff->charge[i] * ff->charge[j];
            if (excl[(size_t)i * (size_t)N + (size_t)j]) continue;
            double sig = (rhalf[i] + rhalf[j]) * pow(2.0, -1.0 / 6.0);
            double eps = sqrt(ff->epsilon[i] * ff->epsilon[j]);
            double s6 = pow(sig, 6.0);
            ff->pair_a12[p] = 4.0 * eps * s6 * s6;
            ff->pair_b6[p] = 4.0 * eps * s6;
            ff->pair_qq[p] = BB_AMBER_KE_COULOMB * ff->charge[i] * ff->charge[j];
        }
    *out = ff;
    ff = NULL;
out:
    bb_amber_free(ff);
    free(excl);
    free(rhalf);
    return rc;
}
