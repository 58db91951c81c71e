/* conf_cov.h — Adjoint-Sampling-compatible COV/AMR of conformer samples against the CREST references.
 *
 * What it is: the pieces of the crest_cov_r metric family (conf_cov.c, conf_cov_metric.c): the committed
 * CREST reference conformers of a GEOM-DRUGS molecule (datasets/conformers/crest/<hash>.heavy.gz,
 * written by datasets/conformers/prepare_crest.py: the first ≤ 512 of the mirrored
 * crest_conformers.xyz, heavy atoms, xyz atom order, with the SMILES's stereo elements), a sample
 * check standing in for the paper's "correct SMILES" test, and the statistics of Adjoint Sampling's
 * eval_utils.calc_performance_stats on an RMSD matrix with NaN for failed samples.
 *
 * What it is not: the RMSD itself (conf_rmsd.h) or minima of the task's own energy.
 */
#ifndef BB_CONF_COV_H
#define BB_CONF_COV_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "tasks/molecules/mmff.h"

#define BB_CONF_COV_ND       20  /* δ = 0, 0.125, …, 2.375 Å (np.arange(0, 2.5, 0.125)) */
#define BB_CONF_COV_MAX_REFS 512 /* eval.py --max_n_refs as the paper ran it */

enum { BB_STEREO_CENTRE = 0, BB_STEREO_DOUBLE = 1 };

/* The references of one molecule. Free with bb_crest_free. */
typedef struct bb_crest {
    int natom, nheavy;
    int *heavy;        /* [nheavy] xyz indices of the heavy atoms */
    size_t n, n_total; /* conformers read (≤ 512), conformers in the mirrored file */
    double *x;         /* [n][natom·3] Å; hydrogens 0 (only heavy atoms are compared) */
    int n_stereo;
    int *stereo; /* [n_stereo][6]: kind (BB_STEREO_*), four atom indices, sign (±1); see prepare_crest.py */
} bb_crest;

/* datasets/conformers/crest/<hash>.heavy.gz under bb_source_dir() into out[len]. */
int bb_crest_path(const char *hash, char *out, size_t len);
/* Read a reference file for a molecule of natom atoms named hash. The file's sha256 must be listed
 * for it in the SHA256SUMS beside it (BB_EHASH otherwise); a malformed file is BB_EFORMAT naming
 * file, line and field. On failure *out is empty. */
int bb_crest_read(const char *path, const char *hash, int natom, bb_crest *out, bb_ctx *ctx);
void bb_crest_free(bb_crest *c); /* NULL-safe; zeroes */

/* Bond graph of configuration x (natom·3 Å) from distances, d < r_i + r_j + 0.45 Å with RDKit's
 * covalent radii (the rule prepare_mmff.py matched the xyz files with), compared with the force
 * field's bonds: OUT *heavy_ok = 1 when the heavy-atom bonds agree exactly, *all_ok = 1 when every
 * bond (hydrogens too) agrees and every stereo element of c has its sign (the paper's "correct
 * SMILES" samples). Non-finite coordinates: both 0. */
void bb_conf_check(const bb_mmff *ff, const bb_crest *c, const double *x, int *heavy_ok, int *all_ok);

/* eval_utils.calc_performance_stats on D [nref][ngen] (NaN = a failed pair): with m_j = nanmin_i D_ij
 * and r_i = nanmin_j D_ij, COV-R(δ) = mean_i [r_i < δ] over references with a finite r_i, AMR-R =
 * mean of finite r_i, COV-P(δ) = mean over ALL ngen samples of [m_j < δ] (a failed sample counts as
 * not covered), AMR-P = mean of finite m_j. Returns 0 (outputs NaN) when every entry is NaN or the
 * matrix is empty (the paper's "None"), else 1. cov_r, cov_p have nd entries. */
int bb_conf_cov_stats(size_t nref, size_t ngen, const double *D, int nd, const double *deltas, double *cov_r,
                      double *amr_r, double *cov_p, double *amr_p);

#endif
