/* svg.h — a minimal SVG writer for the leaderboard plots: line/step plots with
 * linear or log axes and a legend, and side-by-side 2-D density heat maps.
 *
 * Why SVG written directly in C (docs/leaderboard.md): no dependency (no gnuplot,
 * no Python in the product), and deterministic bytes — every coordinate is printed
 * with "%.2f" and every label with "%g", so the same reports always give the same
 * files, which keeps the committed results/ diffable.
 *
 * Not a general plotting library: one fixed layout (plot area, ticks, legend on the
 * right), a fixed colour-blind-safe palette (Okabe–Ito) and no text measurement.
 */
#ifndef BB_SVG_H
#define BB_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "harness/core/bb.h"

/* Affine (or log10-affine) map from data [lo, hi] to pixels [px0, px1]. */
typedef struct bb_svg_scale {
    double lo, hi;   /* data range (lo < hi; both > 0 when log) */
    int log;         /* 1: log10 axis */
    double px0, px1; /* pixel positions of lo and hi */
} bb_svg_scale;

/* Pixel of v (NAN when v is not finite, or <= 0 on a log axis). */
double bb_svg_map(const bb_svg_scale *s, double v);

/* Axis range and ticks for data in [dmin, dmax]. Log axes snap to whole decades
 * and tick every decade; linear axes pad by 5% and tick at 1/2/5 × 10^k steps.
 * Writes at most max ticks to ticks[] and their count to *n; sets *lo, *hi.
 * BB_EINVAL when the data are not finite (or not > 0 for log). */
int bb_svg_axis(double dmin, double dmax, int log, double *lo, double *hi, double *ticks, size_t max, size_t *n,
                bb_ctx *ctx);

typedef struct bb_svg_series {
    const char *label; /* legend text (escaped on output); NULL: no legend entry */
    const double *x;   /* [n] */
    const double *y;   /* [n]; non-finite values break the line */
    size_t n;
    int color;   /* palette index (mod palette size); -1 = black */
    int dashed;  /* 1: dashed line */
    int markers; /* 1: circles at the points, no line */
} bb_svg_series;

typedef struct bb_svg_plot {
    const char *title;
    const char *xlabel;
    const char *ylabel;
    int logx; /* 1: log10 x axis */
    int logy; /* 1: log10 y axis */
} bb_svg_plot;

/* Write one <svg> element (no XML prolog, so it can be inlined in HTML) with every
 * series. BB_EINVAL when no series has a plottable point. */
int bb_svg_lines(FILE *fp, const bb_svg_plot *p, const bb_svg_series *s, size_t ns, bb_ctx *ctx);

/* Heat maps of npanels 2-D densities on one grid: dens[p][j * nx + i] is the
 * density in cell [x_edges[i], x_edges[i+1]) × [y_edges[j], y_edges[j+1]); one
 * shared colour scale (white = 0 to dark blue = the largest value of all panels). */
int bb_svg_heatmaps(FILE *fp, const char *title, const char *xlabel, const char *ylabel, size_t nx, size_t ny,
                    const double *x_edges, const double *y_edges, const double *const *dens, const char *const *labels,
                    size_t npanels, bb_ctx *ctx);

/* The same panels as free energies F = −ln(p / p_max) in kT (p_max: the largest density of
 * all panels): F = 0 darkest, F >= BB_SVG_FE_MAX and empty cells white — the Ramachandran
 * free-energy plots (a "histogram2d" entry with "scale": "free_energy"). */
#define BB_SVG_FE_MAX 8.0
int bb_svg_heatmaps_free_energy(FILE *fp, const char *title, const char *xlabel, const char *ylabel, size_t nx,
                                size_t ny, const double *x_edges, const double *y_edges, const double *const *dens,
                                const char *const *labels, size_t npanels, bb_ctx *ctx);

/* XML-escape text (&, <, >, ", '). */
void bb_svg_escape(FILE *fp, const char *s);

/* Colour of palette index i ("#0072b2"...); -1 gives black. */
const char *bb_svg_color(int i);

#endif
