/* peptide.h — the numerical pieces of the peptide metrics (peptide_metric.c): backbone
 * dihedral tables, periodic histograms on the torus, KL and Jensen-Shannon divergences of
 * histograms, and the chirality of the Cα centres.
 *
 * Angles are radians in (−π, π] (bb_dihedral_angle, IUPAC sign as OpenMM / MDTraj). A
 * periodic histogram has nbins equal bins per angle on [−π, π); bin b holds
 * [−π + b·w, −π + (b+1)·w), w = 2π / nbins, and π itself falls in bin 0 (it is −π).
 * Masses are normalised to sum 1 (weights NULL: equal weights).
 *
 * Not here: the basin classifier (tasks/molecules), TICA (tica.c), minima (pepmin.c).
 */
#ifndef BB_PEPTIDE_METRICS_H
#define BB_PEPTIDE_METRICS_H

#include <stddef.h>

#include <stdint.h>

#include "harness/core/bb.h"
#include "harness/metrics/metrics.h"
#include "tasks/molecules/molecule.h"
#include "tasks/task.h"

typedef struct cJSON cJSON;

/* ang[i][k] = angle of m->dihedral[k] in configuration i of x [n][natom·3]. */
void bb_pep_dihedrals(const bb_molecule *m, size_t n, const double *x, double *ang);

/* The dihedral angle of atoms a[0..3] (bb_dihedral_angle) and OUT g[12] = its gradient with
 * respect to the positions of the four atoms (Blondel & Karplus 1996; undefined for collinear
 * atoms). */
double bb_dihedral_grad(const double *x, const int a[4], double g[12]);

/* Bin of angle a (radians) on a periodic grid of nbins (see above); a must be finite. */
int bb_periodic_bin(double a, int nbins);

/* Periodic 2-D histogram of the angle pairs (a[i·stride], b[i·stride]), i < n, with weights
 * w (may be NULL). OUT mass[nbins·nbins], row = bin of b (mass[jb·nbins + ia]), summing to 1
 * (all zero when the total weight is 0). BB_EINVAL for a non-finite angle or weight. */
int bb_periodic_hist2d(size_t n, const double *a, const double *b, size_t stride, const double *w, int nbins,
                       double *mass, bb_ctx *ctx);
/* Same in one angle: OUT mass[nbins]. */
int bb_periodic_hist1d(size_t n, const double *a, size_t stride, const double *w, int nbins, double *mass, bb_ctx *ctx);

/* KL(p ‖ q) = Σ_c p̃_c ln(p̃_c / q̃_c) with p̃ = (p + ε) / (1 + C ε), likewise q̃ (C cells;
 * ε > 0 keeps it finite where q is empty; ε = 0: cells with p = 0 add nothing and a cell with
 * p > 0 = q gives +inf). p and q each sum to 1. */
double bb_kl_divergence(size_t C, const double *p, const double *q, double eps);
/* JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2, natural log: in [0, ln 2]. */
double bb_js_divergence(size_t C, const double *p, const double *q);

/* The chiral Cα centres of a molecule: residues with atoms named N, CA, C and CB. OUT quads
 * [*n][4] = (N, CA, C, CB) atom indices (at most m->nres entries; the caller's buffer). */
int bb_pep_chiral_centres(const bb_molecule *m, int *quads);
/* 1 when every centre is L, i.e. the signed volume (N − CA)·((C − CA) × (CB − CA)) > 0 (L-Ala
 * in AMBER/OpenMM geometry), else 0; x [natom·3]. */
int bb_pep_all_l(int n_centres, const int *quads, const double *x);

/* ---- catalogues of peptide minima (pepmin.c) ------------------------------------------
 * A catalogue lists distinct local minima of a peptide task: energy E (kJ/mol, independent of
 * the task's temperature), coordinates (nm), max |∇E| (kJ/mol/nm), a hit count, and their φ/ψ
 * angles (every φ and ψ of the molecule, in molecule order; computed from the coordinates).
 * Two minima are the same when every φ/ψ differs by at most atol (periodic) and the energies by
 * at most etol: the rule of the committed catalogues (10 deg, 0.5 kJ/mol).
 * File: a JSON array of entries {"<dihedral>_deg": ..., "E_kJmol", "dE_kJmol", "n_starts",
 * "max_abs_grad_kJmol_nm", "x_nm": [[x, y, z] per atom]} sorted by energy (the format of
 * ../shared/reference/molecules/derived/minima-*.json), or an object {"minima": that array,
 * "provenance": {...}}. Reading uses x_nm, E_kJmol and, when present, max_abs_grad_kJmol_nm
 * and n_starts; the angles are recomputed. */
#define BB_PEPMIN_ATOL_DEG 10.0
#define BB_PEPMIN_ETOL_KJ  0.5

typedef struct bb_pepmin_cat {
    int na;         /* angles per minimum (φ and ψ) */
    int idx[32];    /* their indices in the molecule's dihedral list */
    int dof;        /* 3 × atoms */
    size_t n, cap;  /* minima, sorted by E ascending */
    double *E;      /* [n] kJ/mol */
    double *ang;    /* [n][na] radians */
    double *x;      /* [n][dof] nm */
    double *gmax;   /* [n] kJ/mol/nm */
    int64_t *count; /* [n] hits (n_starts of a committed catalogue) */
} bb_pepmin_cat;

/* Empty catalogue for molecule m (its φ/ψ, at most 32). */
void bb_pepmin_init(bb_pepmin_cat *c, const bb_molecule *m);
void bb_pepmin_free(bb_pepmin_cat *c); /* NULL-safe; zeroes */
/* Largest periodic difference |a − b| over the na angles (radians). */
double bb_pepmin_angle_gap(int na, const double *a, const double *b);
/* Index of the entry matching (ang, E) — every angle within atol (rad), |ΔE| <= etol — with
 * the smallest angle gap, or −1. */
long bb_pepmin_match(const bb_pepmin_cat *c, const double *ang, double E, double atol, double etol);
/* Add a minimum (x may be NULL: no coordinates kept): merged into its match (count added; the
 * lower-energy structure kept), else inserted in energy order. OUT is_new, index (may be NULL). */
int bb_pepmin_add(bb_pepmin_cat *c, const double *x, const double *ang, double E, double gmax, int64_t count,
                  double atol, double etol, int *is_new, size_t *index, bb_ctx *ctx);
/* Read a catalogue file for molecule m (coordinates must have m->natom atoms). Errors name the
 * file and the entry. */
int bb_pepmin_read(const char *path, const bb_molecule *m, bb_pepmin_cat *c, bb_ctx *ctx);
/* Write c as {"minima": [...], "provenance": provenance (copied; may be NULL)}, atomically. */
int bb_pepmin_write(const char *path, const bb_pepmin_cat *c, const bb_molecule *m, const cJSON *provenance,
                    bb_ctx *ctx);
/* Where the task's peptide catalogue lives: <source dir>/datasets/minima/<catalogue id>.json;
 * BB_ENOTFOUND when the task declares none. */
int bb_pepmin_catalogue_path(const bb_task *t, char *out, size_t len);

/* The minima metric of a molecular task (minima_metric.c hands over): recall, precision,
 * per-minimum hits and new minima of n relaxed sample configurations against the task's
 * catalogue (see pepmin_metric.c). n = 0: the default. */
int bb_pepmin_metric_run(const bb_eval_input *in, size_t n, cJSON *out, bb_ctx *ctx);

#endif
