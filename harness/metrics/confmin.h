/* confmin.h — reference minima of the conformer tasks (conf-<hash>@1) and their recall-of-minima metric.
 *
 * What it is: the committed catalogue of a conformer task, datasets/conformers/mmff94s/<hash>.minima.json.gz
 * (written by datasets/conformers/prepare_minima.py; schema boltzbench.minima/1 as minima_io.c reads
 * it, plus the molecule's stereo descriptors, the energy window and completeness figures), the
 * geometric stereo check of a configuration against those descriptors, and the metric
 * (confmin_metric.c) that the minima_recall family hands a conformer task to.
 *
 * Stereo descriptors (a configuration x, natom·3 Å, in the task's atom order):
 *   centre c with neighbours a, b, d: sign of (x_a − x_c)·((x_b − x_c) × (x_d − x_c)) must equal the
 *     stored sign (the molecule's: RDKit's AssignStereochemistryFrom3D at the task's start geometry);
 *   double bond with stereo atoms i−j=k−l: the dihedral i-j-k-l must be trans (|φ| > 90°) exactly
 *     when stored trans, else cis.
 * A configuration whose signed volume is exactly 0 at a centre (planar) counts as wrong.
 *
 * What it is not: the RMSD (conf_rmsd.h), the COV/AMR against CREST conformers, or any RDKit typing.
 *
 * Example:
 *   bb_conf_catalogue c;
 *   if (bb_conf_catalogue_read(path, task, &c, &ctx)) { puts(ctx.msg); ... }
 *   int bad = bb_conf_stereo_violations(&c.stereo, x);   // 0: same stereo as the molecule
 *   bb_conf_catalogue_free(&c);
 */
#ifndef BB_CONFMIN_H
#define BB_CONFMIN_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "tasks/task.h"

typedef struct bb_conf_stereo {
    int ncentre, nbond;
    int *centre;          /* [ncentre][4]: centre atom, then its three reference neighbours */
    signed char *sign;    /* [ncentre] +1 / −1: sign of the signed volume */
    int *dbond;           /* [nbond][4]: i, j, k, l with j=k the double bond */
    unsigned char *trans; /* [nbond] 1: |dihedral i-j-k-l| > 90° */
} bb_conf_stereo;

/* The two geometric stereo quantities, shared by the minima and the CREST (conf_cov.c) checks, on
 * x (natom·3) and four atom indices q: the signed volume det(a − c, b − c, d − c) of centre c = q[0]
 * with neighbours a, b, d = q[1..3], and cos φ of the dihedral q[0]-q[1]-q[2]-q[3] (> 0 cis, < 0
 * trans; NaN when degenerate). */
double bb_conf_signed_volume(const double *x, const int *q);
double bb_conf_dihedral_cos(const double *x, const int *q);

/* Number of stereo elements of x (natom·3) that differ from s (0: all agree; a non-finite volume or
 * dihedral differs). */
int bb_conf_stereo_violations(const bb_conf_stereo *s, const double *x);
/* Parse {"centres": [{"atom", "neighbours": [3], "sign"}...], "double_bonds": [{"atoms": [4], "trans"}...]}
 * (other keys ignored); atom indices must be < natom. BB_EFORMAT naming `what` on anything else. */
int bb_conf_stereo_parse(const cJSON *j, int natom, const char *what, bb_conf_stereo *s, bb_ctx *ctx);
void bb_conf_stereo_free(bb_conf_stereo *s); /* NULL-safe */

/* A task's catalogue in memory. */
typedef struct bb_conf_catalogue {
    bb_minima m;    /* u (reduced, ascending), x (Å), count: minima_io.c's reader */
    double *weight; /* [m.n] Boltzmann weights exp(−(u_i − u_0)) / Σ_j exp(−(u_j − u_0)) */
    double window;  /* energy window above the lowest minimum, kcal/mol */
    double rtol;    /* Å: distinct minima are at least this far apart (heavy-atom RMSD) */
    bb_conf_stereo stereo;
    cJSON *meta; /* the file's top-level object without "minima" (completeness, provenance) */
} bb_conf_catalogue;

/* <source dir>/datasets/conformers/mmff94s/<hash>.minima.json.gz of a conformer task; BB_ENOTFOUND for
 * any other task. */
int bb_conf_catalogue_path(const bb_task *t, char *out, size_t len);
/* Read a catalogue for task t (a conformer task): BB_EFORMAT naming the file and field when the
 * window, rtol or stereo block is missing or malformed. */
int bb_conf_catalogue_read(const char *path, const bb_task *t, bb_conf_catalogue *c, bb_ctx *ctx);
void bb_conf_catalogue_free(bb_conf_catalogue *c); /* NULL-safe */

/* The minima_recall family on a conformer task (confmin_metric.c; definitions in docs/metrics.md):
 * n configurations (0: max(256, 2 × catalogue size)) drawn from the samples, stereo-checked,
 * relaxed by L-BFGS under the task's energy, matched to the catalogue at heavy-atom RMSD < rtol. */
int bb_confmin_metric_run(const bb_eval_input *in, size_t n, cJSON *out, bb_ctx *ctx);

#endif
