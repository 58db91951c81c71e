/* svg.c — the SVG writer behind the leaderboard plots (see svg.h): scales, ticks,
 * line/step/marker series with a legend, and 2-D density heat maps.
 *
 * Not here: which data is plotted (plot.c). Output bytes depend only on the input
 * numbers (fixed formats, no locale-dependent or time-dependent content).
 */
#include "harness/report/svg.h"

#include <math.h>
#include <stdlib.h>

/* Layout of a line plot (pixels). */
#define W         640
#define H         380
#define ML        78  /* left margin: y tick labels + y label */
#define MR        170 /* right margin: legend */
#define MT        34  /* top: title */
#define MB        52  /* bottom: x tick labels + x label */
#define MAX_TICKS 32

static const char *const palette[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                      "#e69f00", "#56b4e9", "#8c6d1f", "#7f7f7f"};

const char *bb_svg_color(int i) {
    if (i < 0) return "#000000";
    return palette[i % (int)(sizeof palette / sizeof *palette)];
}

void bb_svg_escape(FILE *fp, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
            case '&': fputs("&amp;", fp); break;
            case '<': fputs("&lt;", fp); break;
            case '>': fputs("&gt;", fp); break;
            case '"': fputs("&quot;", fp); break;
            case '\'': fputs("&#39;", fp); break;
            default: fputc(*s, fp);
        }
    }
}

double bb_svg_map(const bb_svg_scale *s, double v) {
    if (!isfinite(v) || (s->log && v <= 0)) return NAN;
    double a = s->log ? log10(s->lo) : s->lo, b = s->log ? log10(s->hi) : s->hi;
    double t = ((s->log ? log10(v) : v) - a) / (b - a);
    return s->px0 + t * (s->px1 - s->px0);
}

int bb_svg_axis(double dmin, double dmax, int log, double *lo, double *hi, double *ticks, size_t max, size_t *n,
                bb_ctx *ctx) {
    *n = 0;
    if (!isfinite(dmin) || !isfinite(dmax) || dmin > dmax || (log && dmin <= 0))
        return BB_ERR(ctx, BB_EINVAL, "plot axis: invalid data range [%g, %g]%s", dmin, dmax,
                      log ? " on a log axis" : "");
    if (log) {
        double a = floor(log10(dmin)), b = ceil(log10(dmax));
        if (b <= a) b = a + 1;
        *lo = pow(10.0, a);
        *hi = pow(10.0, b);
        /* one tick per decade, thinned so at most `max` remain */
        int step = 1;
        while ((b - a) / step + 1 > (double)max) step++;
        for (double e = a; e <= b + 1e-9 && *n < max; e += step) ticks[(*n)++] = pow(10.0, e);
        return BB_OK;
    }
    double span = dmax - dmin;
    if (span <= 0) span = dmin != 0 ? fabs(dmin) * 0.2 : 1.0;
    double a = dmin - 0.05 * span, b = dmax + 0.05 * span;
    if (dmax == dmin) a = dmin - 0.5 * span, b = dmax + 0.5 * span;
    double raw = (b - a) / 5.0, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    double step = (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
    *lo = a;
    *hi = b;
    for (double t = ceil(a / step) * step; t <= b + 1e-9 * step && *n < max; t += step)
        ticks[(*n)++] = fabs(t) < 1e-12 * step ? 0.0 : t;
    return BB_OK;
}

static void text(FILE *fp, double x, double y, const char *anchor, int size, const char *extra, const char *s) {
    fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"%d\"%s>", x, y, anchor, size,
            extra ? extra : "");
    bb_svg_escape(fp, s);
    fputs("</text>\n", fp);
}

static void tick_label(double v, int log, char *buf, size_t len) {
    if (log)
        snprintf(buf, len, "1e%d", (int)lround(log10(v)));
    else
        snprintf(buf, len, "%g", v);
}

/* Frame, ticks, grid, labels and title of a plot area [x0,x1] × [y1,y0]. */
static void axes(FILE *fp, const bb_svg_plot *p, const bb_svg_scale *sx, const bb_svg_scale *sy, const double *xt,
                 size_t nxt, const double *yt, size_t nyt) {
    char buf[64];
    double x0 = sx->px0, x1 = sx->px1, y0 = sy->px0, y1 = sy->px1;
    fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#ffffff\" stroke=\"#444444\"/>\n",
            x0, y1, x1 - x0, y0 - y1);
    for (size_t i = 0; i < nxt; i++) {
        double x = bb_svg_map(sx, xt[i]);
        fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n", x, y0, x, y1);
        tick_label(xt[i], sx->log, buf, sizeof buf);
        text(fp, x, y0 + 16, "middle", 11, NULL, buf);
    }
    for (size_t i = 0; i < nyt; i++) {
        double y = bb_svg_map(sy, yt[i]);
        fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n", x0, y, x1, y);
        tick_label(yt[i], sy->log, buf, sizeof buf);
        text(fp, x0 - 6, y + 4, "end", 11, NULL, buf);
    }
    text(fp, (x0 + x1) / 2, y0 + 40, "middle", 12, NULL, p->xlabel);
    fprintf(fp, "<text x=\"16\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 %.2f)\">",
            (y0 + y1) / 2, (y0 + y1) / 2);
    bb_svg_escape(fp, p->ylabel);
    fputs("</text>\n", fp);
    text(fp, (x0 + x1) / 2, 20, "middle", 14, " font-weight=\"bold\"", p->title);
}

static int plottable(const bb_svg_plot *p, double x, double y) {
    return isfinite(x) && isfinite(y) && (!p->logx || x > 0) && (!p->logy || y > 0);
}

int bb_svg_lines(FILE *fp, const bb_svg_plot *p, const bb_svg_series *s, size_t ns, bb_ctx *ctx) {
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++)
            if (plottable(p, s[k].x[i], s[k].y[i])) {
                xmin = fmin(xmin, s[k].x[i]), xmax = fmax(xmax, s[k].x[i]);
                ymin = fmin(ymin, s[k].y[i]), ymax = fmax(ymax, s[k].y[i]);
            }
    if (!(xmin <= xmax)) return BB_ERR(ctx, BB_EINVAL, "plot '%s': no plottable point", p->title ? p->title : "");
    double xt[MAX_TICKS], yt[MAX_TICKS];
    size_t nxt, nyt;
    bb_svg_scale sx = {0, 0, p->logx, ML, W - MR}, sy = {0, 0, p->logy, H - MB, MT};
    int rc = bb_svg_axis(xmin, xmax, p->logx, &sx.lo, &sx.hi, xt, 10, &nxt, ctx);
    if (!rc) rc = bb_svg_axis(ymin, ymax, p->logy, &sy.lo, &sy.hi, yt, 10, &nyt, ctx);
    if (rc) return rc;
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\" class=\"bb-plot\">\n<title>",
            W, H, W, H);
    bb_svg_escape(fp, p->title);
    fputs("</title>\n", fp);
    axes(fp, p, &sx, &sy, xt, nxt, yt, nyt);
    size_t nleg = 0;
    for (size_t k = 0; k < ns; k++) {
        const char *col = bb_svg_color(s[k].color);
        if (s[k].markers) {
            for (size_t i = 0; i < s[k].n; i++)
                if (plottable(p, s[k].x[i], s[k].y[i]))
                    fprintf(fp,
                            "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"none\" stroke=\"%s\" "
                            "stroke-width=\"1.5\"/>\n",
                            bb_svg_map(&sx, s[k].x[i]), bb_svg_map(&sy, s[k].y[i]), col);
        } else {
            fprintf(fp, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s d=\"", col,
                    s[k].dashed ? " stroke-dasharray=\"5 3\"" : "");
            int pen = 0;
            for (size_t i = 0; i < s[k].n; i++) {
                if (!plottable(p, s[k].x[i], s[k].y[i])) {
                    pen = 0;
                    continue;
                }
                fprintf(fp, "%s%.2f %.2f", pen ? " L" : (i ? " M" : "M"), bb_svg_map(&sx, s[k].x[i]),
                        bb_svg_map(&sy, s[k].y[i]));
                pen = 1;
            }
            fputs("\"/>\n", fp);
        }
        if (!s[k].label) continue; /* no legend entry */
        double ly = MT + 14 + 18.0 * (double)(nleg++), lx = W - MR + 12;
        if (s[k].markers)
            fprintf(fp,
                    "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                    lx + 11, ly - 4, col);
        else
            fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                    lx, ly - 4, lx + 22, ly - 4, col, s[k].dashed ? " stroke-dasharray=\"5 3\"" : "");
        text(fp, lx + 28, ly, "start", 11, NULL, s[k].label);
    }
    fputs("</svg>\n", fp);
    return ferror(fp) ? BB_ERR(ctx, BB_EIO, "plot: write error") : BB_OK;
}

/* Colour level in [0, 1] of value v (0: white, not drawn): the density over the largest one,
 * or, for free energies, 1 − F / BB_SVG_FE_MAX with F = −ln(v / vmax) (empty cells white). */
static double level(double v, double vmax, int free_energy) {
    if (!isfinite(v) || !(vmax > 0) || !(v > 0)) return 0.0;
    if (!free_energy) return fmin(1.0, v / vmax);
    double f = -log(v / vmax);
    return f >= BB_SVG_FE_MAX ? 0.0 : fmax(0.0, 1.0 - f / BB_SVG_FE_MAX) * 0.9 + 0.1;
}

static int heatmaps(FILE *fp, const char *title, const char *xlabel, const char *ylabel, size_t nx, size_t ny,
                    const double *xe, const double *ye, const double *const *dens, const char *const *labels, size_t np,
                    int free_energy, bb_ctx *ctx) {
    if (nx == 0 || ny == 0 || np == 0 || nx > 512 || ny > 512 || np > 16)
        return BB_ERR(ctx, BB_EINVAL, "heat map '%s': grid %zu x %zu with %zu panels not supported", title, nx, ny, np);
    for (size_t i = 0; i < nx; i++)
        if (!(xe[i] < xe[i + 1])) return BB_ERR(ctx, BB_EINVAL, "heat map '%s': x edges not increasing", title);
    for (size_t j = 0; j < ny; j++)
        if (!(ye[j] < ye[j + 1])) return BB_ERR(ctx, BB_EINVAL, "heat map '%s': y edges not increasing", title);
    double vmax = 0.0;
    for (size_t p = 0; p < np; p++)
        for (size_t c = 0; c < nx * ny; c++)
            if (isfinite(dens[p][c])) vmax = fmax(vmax, dens[p][c]);
    const double side = 220.0, gap = 40.0, ml = 60.0, mt = free_energy ? 60.0 : 46.0; /* room for the F note */
    double width = ml + (double)np * (side + gap), height = mt + side + 50.0;
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"sans-serif\" class=\"bb-plot\">\n<title>",
            width, height, width, height);
    bb_svg_escape(fp, title);
    fputs("</title>\n", fp);
    text(fp, width / 2, 20, "middle", 14, " font-weight=\"bold\"", title);
    if (free_energy) {
        char note[96];
        snprintf(note, sizeof note, "free energy F = -ln(p / p_max) in kT: dark 0, light %g, white >= %g or empty",
                 BB_SVG_FE_MAX - 0.1, BB_SVG_FE_MAX);
        text(fp, width / 2, 34, "middle", 10, NULL, note);
    }
    bb_svg_scale sx = {xe[0], xe[nx], 0, 0, side}, sy = {ye[0], ye[ny], 0, mt + side, mt};
    char buf[64];
    for (size_t p = 0; p < np; p++) {
        double ox = ml + (double)p * (side + gap);
        sx.px0 = ox;
        sx.px1 = ox + side;
        text(fp, ox + side / 2, mt - 6, "middle", 12, NULL, labels[p]);
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                double v = dens[p][j * nx + i];
                double t = level(v, vmax, free_energy);
                /* white (255,255,255) to dark blue (8,48,107) */
                int r = (int)lround(255 - t * 247), g = (int)lround(255 - t * 207), b = (int)lround(255 - t * 148);
                double x0 = bb_svg_map(&sx, xe[i]), x1 = bb_svg_map(&sx, xe[i + 1]);
                double y0 = bb_svg_map(&sy, ye[j + 1]), y1 = bb_svg_map(&sy, ye[j]);
                if (t > 0)
                    fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"rgb(%d,%d,%d)\"/>\n",
                            x0, y0, x1 - x0, y1 - y0, r, g, b);
            }
        fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#444444\"/>\n",
                ox, mt, side, side);
        snprintf(buf, sizeof buf, "%g", xe[0]);
        text(fp, ox, mt + side + 14, "start", 10, NULL, buf);
        snprintf(buf, sizeof buf, "%g", xe[nx]);
        text(fp, ox + side, mt + side + 14, "end", 10, NULL, buf);
        text(fp, ox + side / 2, mt + side + 32, "middle", 11, NULL, xlabel);
        if (p == 0) {
            snprintf(buf, sizeof buf, "%g", ye[0]);
            text(fp, ox - 4, mt + side, "end", 10, NULL, buf);
            snprintf(buf, sizeof buf, "%g", ye[ny]);
            text(fp, ox - 4, mt + 10, "end", 10, NULL, buf);
            fprintf(
                fp,
                "<text x=\"14\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 14 %.2f)\">",
                mt + side / 2, mt + side / 2);
            bb_svg_escape(fp, ylabel);
            fputs("</text>\n", fp);
        }
    }
    fputs("</svg>\n", fp);
    return ferror(fp) ? BB_ERR(ctx, BB_EIO, "heat map: write error") : BB_OK;
}

int bb_svg_heatmaps(FILE *fp, const char *title, const char *xlabel, const char *ylabel, size_t nx, size_t ny,
                    const double *xe, const double *ye, const double *const *dens, const char *const *labels, size_t np,
                    bb_ctx *ctx) {
    return heatmaps(fp, title, xlabel, ylabel, nx, ny, xe, ye, dens, labels, np, 0, ctx);
}

int bb_svg_heatmaps_free_energy(FILE *fp, const char *title, const char *xlabel, const char *ylabel, size_t nx,
                                size_t ny, const double *xe, const double *ye, const double *const *dens,
                                const char *const *labels, size_t np, bb_ctx *ctx) {
    return heatmaps(fp, title, xlabel, ylabel, nx, ny, xe, ye, dens, labels, np, 1, ctx);
}
