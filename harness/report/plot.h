/* plot.h — the leaderboard plots, built from a report set and its aggregation:
 *
 *   anytime-<task>-<metric>.svg   metric vs energy evaluations (log x): per method the
 *                                 report's `anytime` curve (mean over seeds, runs of
 *                                 the largest budget) as a line, plus the final value
 *                                 at every budget (mean over seeds) as circles.
 *   energy-<task>.svg             energy histograms (densities of the reduced energy)
 *                                 of each method's samples vs the reference, from the
 *                                 `energy_histogram` metric entry (kind "histogram":
 *                                 bin_edges[nb+1], density_samples[nb],
 *                                 density_reference[nb]) of the lowest-seed ok run at
 *                                 the largest budget.
 *   density2d-<task>-<metric>.svg 2-D densities (e.g. TICA) from any metric entry of
 *                                 kind "histogram2d", in one of two layouts:
 *                                 x_edges[nx+1], y_edges[ny+1], flat
 *                                 density_samples[ny*nx] / density_reference[ny*nx]
 *                                 (row j = y bin), optional x_label / y_label; or
 *                                 range_ic1 [lo,hi], range_ic2 [lo,hi], n_bins N and
 *                                 nested [N][N] densities with the x bin first (the
 *                                 tica_histogram entry). Reference panel, then one per
 *                                 method. Only drawn when such an entry is present.
 *                                 "scale": "free_energy" (rama_histogram_* entries)
 *                                 draws F = -ln(p / p_max) in kT instead of p.
 *
 * File names have every character outside [A-Za-z0-9_.-] replaced by '-'. Plots are
 * ordered by task, then kind, then metric: deterministic. Not here: the SVG primitives
 * (svg.h) and the tables (table.h).
 */
#ifndef BB_PLOT_H
#define BB_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "harness/core/bb.h"
#include "harness/report/table.h"

typedef struct bb_plot {
    char name[256]; /* file name, e.g. "anytime-dw4-1-energy_w2.svg" */
    char task[96];  /* task key the plot belongs to */
    char title[256];
    char *svg; /* <svg> element text (owned), NUL-terminated */
    size_t len;
} bb_plot;

typedef struct bb_plot_set {
    bb_plot *p;
    size_t n;
} bb_plot_set;

/* Build every plot the data supports (a task without anytime data gets no anytime
 * plot, and so on). Malformed plot data in a report (wrong array lengths, non-numbers)
 * is an error naming the file and the field. */
int bb_plots_build(const bb_rset *rs, const bb_agg *a, bb_plot_set *out, bb_ctx *ctx);
void bb_plots_free(bb_plot_set *ps); /* NULL-safe */

/* Write each plot as a standalone file <dir>/<name> (XML prolog added), atomically;
 * creates dir. */
int bb_plots_write_dir(const bb_plot_set *ps, const char *dir, bb_ctx *ctx);

/* The HTML leaderboard page: one self-contained file (inline CSS and SVG, no script,
 * no external resource) with a header, the tables of every task (as in Markdown)
 * and that task's plots. */
int bb_table_html(FILE *fp, const bb_rset *rs, const bb_agg *a, bb_ctx *ctx);

#endif
