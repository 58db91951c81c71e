/* plot.c — choose and extract the data of the leaderboard plots from reports and
 * hand it to the SVG writer (see plot.h for the list of plots and the report
 * fields they read).
 *
 * Not here: SVG drawing (svg.c), the HTML page (table_html.c). Plot data in a
 * report is validated here (array lengths, numbers), with errors naming the file.
 */
#include "harness/report/plot.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "harness/report/svg.h"

#define MAX_BINS 100000

void bb_plots_free(bb_plot_set *ps) {
    if (!ps) return;
    for (size_t i = 0; i < ps->n; i++) free(ps->p[i].svg);
    free(ps->p);
    memset(ps, 0, sizeof *ps);
}

static void safe_name(char *dst, size_t len, const char *kind, const char *task, const char *metric) {
    snprintf(dst, len, "%s-%s%s%s.svg", kind, task, metric ? "-" : "", metric ? metric : "");
    for (char *c = dst; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '.' || *c == '-'))
            *c = '-';
}

/* Start a plot: a memory stream the caller writes the <svg> into. */
typedef struct plot_buf {
    FILE *fp;
    char *mem;
    size_t len;
} plot_buf;

static int buf_open(plot_buf *b, bb_ctx *ctx) {
    b->mem = NULL;
    b->len = 0;
    b->fp = open_memstream(&b->mem, &b->len);
    return b->fp ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
}

/* Close the stream; on rc == BB_OK append the plot to the set, else discard. */
static int buf_close(plot_buf *b, int rc, bb_plot_set *ps, const char *name, const char *task, const char *title,
                     bb_ctx *ctx) {
    if (fclose(b->fp) != 0 && !rc) rc = BB_ERR(ctx, BB_EIO, "plot %s: write error", name);
    if (rc) {
        free(b->mem);
        return rc;
    }
    bb_plot *np = realloc(ps->p, (ps->n + 1) * sizeof *np);
    if (!np) {
        free(b->mem);
        return BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
    }
    ps->p = np;
    bb_plot *p = &ps->p[ps->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->task, sizeof p->task, "%s", task);
    snprintf(p->title, sizeof p->title, "%s", title);
    p->svg = b->mem;
    p->len = b->len;
    return BB_OK;
}

/* Numeric array field of length n (n == 0: any length >= 1, returned in *n_out).
 * JSON null entries become NAN. *out is malloc'ed. */
static int get_array(const cJSON *o, const char *field, size_t n, double **out, size_t *n_out, const char *path,
                     const char *what, bb_ctx *ctx) {
    *out = NULL;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, field);
    int len = cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    if (n && (size_t)len != n)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s: expected a list of %zu numbers (one per bin), got %d", path, what,
                      field, n, len);
    if (len < 1 || len > MAX_BINS)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s: expected a list of 1 to %d numbers", path, what, field, MAX_BINS);
    double *v = malloc((size_t)len * sizeof *v);
    if (!v) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    size_t i = 0;
    for (const cJSON *c = a->child; c; c = c->next, i++) {
        if (cJSON_IsNumber(c))
            v[i] = c->valuedouble;
        else if (cJSON_IsNull(c))
            v[i] = NAN;
        else {
            free(v);
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s[%zu]: not a number", path, what, field, i);
        }
    }
    *out = v;
    if (n_out) *n_out = (size_t)len;
    return BB_OK;
}

/* Bin edges must be finite and strictly increasing. */
static int check_edges(const double *e, size_t n, const char *path, const char *what, const char *field, bb_ctx *ctx) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(e[i]) || (i && !(e[i] > e[i - 1])))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s[%zu]: edges must be finite and increasing", path, what, field, i);
    return BB_OK;
}

static const cJSON *metric_entry(const bb_rset_run *r, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->report, "metrics"), name);
}

/* The ok runs of (task, method) at that pair's largest budget; returns count. */
static size_t top_runs(const bb_rset *rs, const char *task, const char *method, const bb_rset_run **out) {
    int64_t top = -1;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->runs[i].ok && !strcmp(rs->runs[i].task, task) && !strcmp(rs->runs[i].method, method) &&
            rs->runs[i].budget > top)
            top = rs->runs[i].budget;
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->runs[i].ok && rs->runs[i].budget == top && !strcmp(rs->runs[i].task, task) &&
            !strcmp(rs->runs[i].method, method))
            out[n++] = &rs->runs[i];
    return n;
}

/* Lowest-seed run among top_runs (NULL if none). */
static const bb_rset_run *rep_run(const bb_rset *rs, const char *task, const char *method, const bb_rset_run **tmp) {
    size_t n = top_runs(rs, task, method, tmp);
    const bb_rset_run *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (!best || tmp[i]->seed < best->seed) best = tmp[i];
    return best;
}

static const cJSON *anytime_value(const cJSON *pt, const char *metric) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pt, "metrics"), metric);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v : NULL;
}

/* Sorted unique names of anytime metrics with a numeric value in the task's runs. */
static int anytime_names(const bb_rset *rs, const char *task, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (strcmp(rs->runs[i].task, task) || !rs->runs[i].ok) continue;
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(rs->runs[i].report, "anytime");
        for (const cJSON *pt = cJSON_IsArray(at) ? at->child : NULL; pt; pt = pt->next) {
            const cJSON *ms = cJSON_GetObjectItemCaseSensitive(pt, "metrics");
            for (const cJSON *m = cJSON_IsObject(ms) ? ms->child : NULL; m; m = m->next) {
                if (!anytime_value(pt, m->string)) continue;
                size_t j = 0;
                while (j < *n && strcmp((*names)[j], m->string)) j++;
                if (j < *n) continue;
                char **nn = realloc(*names, (*n + 1) * sizeof *nn);
                if (!nn) return BB_ENOMEM;
                *names = nn;
                size_t pos = *n;
                while (pos > 0 && strcmp(nn[pos - 1], m->string) > 0) {
                    nn[pos] = nn[pos - 1];
                    pos--;
                }
                if (!(nn[pos] = strdup(m->string))) {
                    memmove(nn + pos, nn + pos + 1, (*n - pos) * sizeof *nn);
                    return BB_ENOMEM;
                }
                (*n)++;
            }
        }
    }
    return BB_OK;
}

static long metric_index(const bb_agg *a, const char *name) {
    for (size_t m = 0; m < a->n_metrics; m++)
        if (!strcmp(a->metrics[m], name)) return (long)m;
    return -1;
}

/* One anytime plot (task t, metric name). Series: per method a mean curve + final
 * values at each budget. */
static int plot_anytime(const bb_rset *rs, const bb_agg *a, size_t t, const char *metric, bb_plot_set *ps,
                        const bb_rset_run **tmp, bb_ctx *ctx) {
    size_t nk = a->n_methods, nb = a->n_budgets;
    bb_svg_series *s = calloc(2 * nk + 1, sizeof *s);
    double **bufs = calloc(4 * nk, sizeof *bufs);
    int rc = (!s || !bufs) ? BB_ERR(ctx, BB_ENOMEM, "plot: out of memory") : BB_OK;
    size_t ns = 0;
    long am = metric_index(a, metric);
    double ymin = INFINITY, ymax = -INFINITY;
    for (size_t k = 0; !rc && k < nk; k++) {
        size_t nr = top_runs(rs, a->tasks[t], a->methods[k], tmp);
        if (nr == 0) continue;
        const cJSON *at0 = cJSON_GetObjectItemCaseSensitive(tmp[0]->report, "anytime");
        int np = cJSON_IsArray(at0) ? cJSON_GetArraySize(at0) : 0;
        double *x = malloc(((size_t)np + 1) * sizeof *x), *y = malloc(((size_t)np + 1) * sizeof *y);
        double *bx = malloc((nb + 1) * sizeof *bx), *by = malloc((nb + 1) * sizeof *by);
        bufs[4 * k] = x, bufs[4 * k + 1] = y, bufs[4 * k + 2] = bx, bufs[4 * k + 3] = by;
        if (!x || !y || !bx || !by) {
            rc = BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
            break;
        }
        int i = 0;
        size_t n_line = 0;
        for (const cJSON *pt = np ? at0->child : NULL; pt; pt = pt->next, i++) {
            const cJSON *ev = cJSON_GetObjectItemCaseSensitive(pt, "evals");
            if (!cJSON_IsNumber(ev)) continue;
            double sum = 0.0;
            size_t cnt = 0;
            for (size_t r = 0; r < nr; r++) {
                const cJSON *p2 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(tmp[r]->report, "anytime"), i);
                const cJSON *e2 = cJSON_GetObjectItemCaseSensitive(p2, "evals");
                const cJSON *v = anytime_value(p2, metric);
                if (v && cJSON_IsNumber(e2) && e2->valuedouble == ev->valuedouble) sum += v->valuedouble, cnt++;
            }
            x[n_line] = ev->valuedouble;
            y[n_line] = cnt ? sum / (double)cnt : NAN;
            if (cnt) ymin = fmin(ymin, y[n_line]), ymax = fmax(ymax, y[n_line]);
            n_line++;
        }
        size_t n_fin = 0;
        for (size_t b = 0; am >= 0 && b < nb; b++) {
            const bb_agg_cell *c = bb_agg_at(a, t, (size_t)am, k, b);
            if (c->st.n == 0) continue;
            bx[n_fin] = (double)a->budgets[b];
            by[n_fin++] = c->st.mean;
            ymin = fmin(ymin, c->st.mean), ymax = fmax(ymax, c->st.mean);
        }
        if (n_line) s[ns++] = (bb_svg_series){a->methods[k], x, y, n_line, (int)k, 0, 0};
        if (n_fin) s[ns++] = (bb_svg_series){n_line ? NULL : a->methods[k], bx, by, n_fin, (int)k, 0, 1};
    }
    if (!rc && ns) {
        char title[256], name[256], ylabel[192];
        int logy = ymin > 0 && ymax / ymin > 30.0;
        snprintf(title, sizeof title, "%s: %s vs energy evaluations", a->tasks[t], metric);
        snprintf(ylabel, sizeof ylabel, "%s%s", metric, logy ? " (log scale)" : "");
        safe_name(name, sizeof name, "anytime", a->tasks[t], metric);
        s[ns++] = (bb_svg_series){"final, per budget", NULL, NULL, 0, -1, 0, 1}; /* legend key only */
        bb_svg_plot p = {title, "energy evaluations (log scale)", ylabel, 1, logy};
        plot_buf pb;
        rc = buf_open(&pb, ctx);
        if (!rc) rc = buf_close(&pb, bb_svg_lines(pb.fp, &p, s, ns, ctx), ps, name, a->tasks[t], title, ctx);
        if (rc == BB_EINVAL) rc = BB_OK, bb_ctx_clear(ctx); /* nothing plottable: no plot */
    }
    for (size_t i = 0; bufs && i < 4 * nk; i++) free(bufs[i]);
    free(bufs);
    free(s);
    return rc;
}

/* Step-curve points of a histogram: (e0,d0) (e1,d0) (e1,d1) (e2,d1) ... */
static void step_points(const double *edges, const double *d, size_t nb, double *x, double *y) {
    for (size_t i = 0; i < nb; i++) {
        x[2 * i] = edges[i], y[2 * i] = d[i];
        x[2 * i + 1] = edges[i + 1], y[2 * i + 1] = d[i];
    }
}

/* Energy histograms are stored finely (the metric's grid); for display, groups of
 * f = ceil(nb / BB_PLOT_MAX_BINS) adjacent bins are merged, in place, into their
 * width-weighted mean density (exact: the merged bin's probability mass is kept).
 * d[i] may be NULL. Returns the number of display bins. */
#define BB_PLOT_MAX_BINS 50

static size_t merge_bins(double *edges, size_t nb, double *d1, double *d2) {
    size_t f = (nb + BB_PLOT_MAX_BINS - 1) / BB_PLOT_MAX_BINS, nd = (nb + f - 1) / f;
    if (f <= 1) return nb;
    double *ds[2] = {d1, d2};
    for (int q = 0; q < 2; q++) {
        if (!ds[q]) continue;
        for (size_t j = 0; j < nd; j++) {
            size_t i0 = j * f, i1 = i0 + f < nb ? i0 + f : nb;
            double mass = 0.0;
            for (size_t i = i0; i < i1; i++) mass += ds[q][i] * (edges[i + 1] - edges[i]);
            ds[q][j] = mass / (edges[i1] - edges[i0]);
        }
    }
    for (size_t j = 1; j < nd; j++) edges[j] = edges[j * f];
    edges[nd] = edges[nb];
    return nd;
}

static int plot_energy(const bb_rset *rs, const bb_agg *a, size_t t, bb_plot_set *ps, const bb_rset_run **tmp,
                       bb_ctx *ctx) {
    size_t nk = a->n_methods;
    bb_svg_series *s = calloc(nk + 1, sizeof *s);
    double **bufs = calloc(2 * (nk + 1), sizeof *bufs);
    int rc = (!s || !bufs) ? BB_ERR(ctx, BB_ENOMEM, "plot: out of memory") : BB_OK;
    size_t ns = 1, nb = 0, nd = 0;
    for (size_t k = 0; !rc && k < nk; k++) {
        const bb_rset_run *r = rep_run(rs, a->tasks[t], a->methods[k], tmp);
        const cJSON *h = r ? metric_entry(r, "energy_histogram") : NULL;
        if (!cJSON_IsObject(h)) continue;
        double *edges = NULL, *ds = NULL, *dr = NULL;
        size_t ne = 0;
        rc = get_array(h, "bin_edges", 0, &edges, &ne, r->path, "metrics.energy_histogram", ctx);
        if (!rc && ne < 2)
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: metrics.energy_histogram.bin_edges: fewer than 2 edges", r->path);
        if (!rc) rc = check_edges(edges, ne, r->path, "metrics.energy_histogram", "bin_edges", ctx);
        if (!rc && nb && ne - 1 != nb)
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: metrics.energy_histogram: %zu bins, other methods of %s have %zu",
                        r->path, ne - 1, a->tasks[t], nb);
        if (!rc && cJSON_GetObjectItemCaseSensitive(h, "density_samples"))
            rc = get_array(h, "density_samples", ne - 1, &ds, NULL, r->path, "metrics.energy_histogram", ctx);
        if (!rc && !s[0].n)
            rc = get_array(h, "density_reference", ne - 1, &dr, NULL, r->path, "metrics.energy_histogram", ctx);
        if (!rc) {
            nb = ne - 1;
            nd = merge_bins(edges, nb, ds, dr);
            if (dr) {
                bufs[0] = malloc(2 * nd * sizeof(double)), bufs[1] = malloc(2 * nd * sizeof(double));
                if (!bufs[0] || !bufs[1])
                    rc = BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
                else {
                    step_points(edges, dr, nd, bufs[0], bufs[1]);
                    s[0] = (bb_svg_series){"reference", bufs[0], bufs[1], 2 * nd, -1, 1, 0};
                }
            }
            if (!rc && ds) {
                double *x = malloc(2 * nd * sizeof *x), *y = malloc(2 * nd * sizeof *y);
                bufs[2 * ns] = x, bufs[2 * ns + 1] = y;
                if (!x || !y)
                    rc = BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
                else {
                    step_points(edges, ds, nd, x, y);
                    s[ns] = (bb_svg_series){a->methods[k], x, y, 2 * nd, (int)k, 0, 0};
                    ns++;
                }
            }
        }
        free(edges), free(ds), free(dr);
    }
    if (!rc && s[0].n) {
        char title[256], name[256], xlabel[160];
        snprintf(title, sizeof title, "%s: energy histogram, samples vs reference", a->tasks[t]);
        safe_name(name, sizeof name, "energy", a->tasks[t], NULL);
        if (nd < nb)
            snprintf(xlabel, sizeof xlabel, "reduced energy u = E/kT (%zu bins shown as %zu)", nb, nd);
        else
            snprintf(xlabel, sizeof xlabel, "reduced energy u = E/kT");
        bb_svg_plot p = {title, xlabel, "density", 0, 0};
        plot_buf pb;
        rc = buf_open(&pb, ctx);
        if (!rc) rc = buf_close(&pb, bb_svg_lines(pb.fp, &p, s, ns, ctx), ps, name, a->tasks[t], title, ctx);
    }
    for (size_t i = 0; bufs && i < 2 * (nk + 1); i++) free(bufs[i]);
    free(bufs);
    free(s);
    return rc;
}

static int is_hist2d(const cJSON *m) {
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
    return cJSON_IsString(kind) && !strcmp(kind->valuestring, "histogram2d");
}

/* Grid of a "histogram2d" entry, in either layout:
 *   edges:  x_edges[nx+1], y_edges[ny+1]; densities flat [ny*nx], row = y bin;
 *   ranges: range_ic1 [lo, hi], range_ic2 [lo, hi], n_bins N (uniform N × N grid);
 *           densities nested [N][N], first index = x bin (harness/metrics/tica_metric.c). */
typedef struct grid2d {
    size_t nx, ny;
    double *xe, *ye; /* owned */
    int nested;
} grid2d;

static int uniform_edges(const cJSON *h, const char *field, size_t n, double **out, const char *path, const char *what,
                         bb_ctx *ctx) {
    double *r = NULL;
    int rc = get_array(h, field, 2, &r, NULL, path, what, ctx);
    if (!rc && !(isfinite(r[0]) && isfinite(r[1]) && r[0] < r[1]))
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s: expected [lo, hi] with lo < hi", path, what, field);
    double *e = rc ? NULL : malloc((n + 1) * sizeof *e);
    if (!rc && !e) rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; !rc && i <= n; i++) e[i] = i == n ? r[1] : r[0] + (r[1] - r[0]) * (double)i / (double)n;
    free(r);
    *out = e;
    return rc;
}

static int grid_of(const cJSON *h, grid2d *g, const char *path, const char *what, bb_ctx *ctx) {
    memset(g, 0, sizeof *g);
    int rc;
    if (cJSON_GetObjectItemCaseSensitive(h, "x_edges")) {
        size_t n1 = 0, n2 = 0;
        rc = get_array(h, "x_edges", 0, &g->xe, &n1, path, what, ctx);
        if (!rc) rc = get_array(h, "y_edges", 0, &g->ye, &n2, path, what, ctx);
        if (!rc && (n1 < 2 || n2 < 2)) rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: fewer than 2 edges", path, what);
        if (!rc) rc = check_edges(g->xe, n1, path, what, "x_edges", ctx);
        if (!rc) rc = check_edges(g->ye, n2, path, what, "y_edges", ctx);
        g->nx = n1 - 1, g->ny = n2 - 1;
    } else {
        const cJSON *nb = cJSON_GetObjectItemCaseSensitive(h, "n_bins");
        if (!cJSON_IsNumber(nb) || nb->valuedouble < 1 || nb->valuedouble > 512 ||
            nb->valuedouble != floor(nb->valuedouble))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: needs x_edges/y_edges or range_ic1/range_ic2/n_bins (1..512)", path,
                          what);
        g->nx = g->ny = (size_t)nb->valuedouble;
        g->nested = 1;
        rc = uniform_edges(h, "range_ic1", g->nx, &g->xe, path, what, ctx);
        if (!rc) rc = uniform_edges(h, "range_ic2", g->ny, &g->ye, path, what, ctx);
    }
    if (rc) free(g->xe), free(g->ye), memset(g, 0, sizeof *g);
    return rc;
}

/* Density field as flat [ny*nx] (row = y bin). */
static int dens_of(const cJSON *h, const char *field, const grid2d *g, double **out, const char *path, const char *what,
                   bb_ctx *ctx) {
    if (!g->nested) return get_array(h, field, g->nx * g->ny, out, NULL, path, what, ctx);
    *out = NULL;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(h, field);
    if (!cJSON_IsArray(rows) || (size_t)cJSON_GetArraySize(rows) != g->nx)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s: expected %zu rows (x bins)", path, what, field, g->nx);
    double *d = malloc(g->nx * g->ny * sizeof *d);
    if (!d) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    size_t i = 0;
    for (const cJSON *row = rows->child; row; row = row->next, i++) {
        char rw[200];
        snprintf(rw, sizeof rw, "%s.%s[%zu]", what, field, i);
        if (!cJSON_IsArray(row) || (size_t)cJSON_GetArraySize(row) != g->ny) {
            free(d);
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: expected a list of %zu numbers (y bins)", path, rw, g->ny);
        }
        size_t j = 0;
        for (const cJSON *c = row->child; c; c = c->next, j++) {
            if (!cJSON_IsNumber(c) && !cJSON_IsNull(c)) {
                free(d);
                return BB_ERR(ctx, BB_EFORMAT, "%s: %s[%zu]: not a number", path, rw, j);
            }
            d[j * g->nx + i] = cJSON_IsNumber(c) ? c->valuedouble : NAN;
        }
    }
    *out = d;
    return BB_OK;
}

static int plot_density2d(const bb_rset *rs, const bb_agg *a, size_t t, const char *metric, bb_plot_set *ps,
                          const bb_rset_run **tmp, bb_ctx *ctx) {
    size_t nk = a->n_methods, np = 0;
    double **dens = calloc(nk + 1, sizeof *dens);
    const char **labels = calloc(nk + 1, sizeof *labels);
    const char *xl = "component 1", *yl = "component 2";
    grid2d g0 = {0};
    int have = 0, fe = 0;
    int rc = (!dens || !labels) ? BB_ERR(ctx, BB_ENOMEM, "plot: out of memory") : BB_OK;
    for (size_t k = 0; !rc && k < nk && np < 16; k++) {
        const bb_rset_run *r = rep_run(rs, a->tasks[t], a->methods[k], tmp);
        const cJSON *h = r ? metric_entry(r, metric) : NULL;
        if (!is_hist2d(h)) continue;
        char what[160];
        snprintf(what, sizeof what, "metrics.%s", metric);
        grid2d g;
        rc = grid_of(h, &g, r->path, what, ctx);
        if (rc) break;
        if (have && (g.nx != g0.nx || g.ny != g0.ny || g.nested != g0.nested))
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: grid differs from the other methods' (%zu x %zu)", r->path, what,
                        g0.nx, g0.ny);
        if (!rc && !have) {
            g0 = g, have = 1;
            g.xe = g.ye = NULL;
            const cJSON *lx = cJSON_GetObjectItemCaseSensitive(h, "x_label");
            const cJSON *ly = cJSON_GetObjectItemCaseSensitive(h, "y_label");
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(h, "scale");
            fe = cJSON_IsString(sc) && !strcmp(sc->valuestring, "free_energy");
            if (g0.nested) xl = "TIC 1", yl = "TIC 2";
            if (cJSON_IsString(lx)) xl = lx->valuestring;
            if (cJSON_IsString(ly)) yl = ly->valuestring;
            rc = dens_of(h, "density_reference", &g0, &dens[np], r->path, what, ctx);
            if (!rc) labels[np++] = "reference";
        }
        free(g.xe), free(g.ye);
        if (!rc && cJSON_GetObjectItemCaseSensitive(h, "density_samples")) {
            rc = dens_of(h, "density_samples", &g0, &dens[np], r->path, what, ctx);
            if (!rc) labels[np++] = a->methods[k];
        }
    }
    if (!rc && np) {
        char title[256], name[256];
        snprintf(title, sizeof title, "%s: %s%s, reference and samples", a->tasks[t], metric,
                 fe ? " (free energy)" : "");
        safe_name(name, sizeof name, "density2d", a->tasks[t], metric);
        plot_buf pb;
        rc = buf_open(&pb, ctx);
        if (!rc)
            rc = buf_close(
                &pb,
                (fe ? bb_svg_heatmaps_free_energy : bb_svg_heatmaps)(pb.fp, title, xl, yl, g0.nx, g0.ny, g0.xe, g0.ye,
                                                                     (const double *const *)dens, labels, np, ctx),
                ps, name, a->tasks[t], title, ctx);
    }
    for (size_t i = 0; dens && i <= nk; i++) free(dens[i]);
    free(dens), free(labels), free(g0.xe), free(g0.ye);
    return rc;
}

/* Names of histogram2d entries in the task's representative runs (sorted unique). */
static int hist2d_names(const bb_rset *rs, const bb_agg *a, size_t t, const bb_rset_run **tmp, char ***names,
                        size_t *n) {
    *names = NULL;
    *n = 0;
    for (size_t k = 0; k < a->n_methods; k++) {
        const bb_rset_run *r = rep_run(rs, a->tasks[t], a->methods[k], tmp);
        const cJSON *ms = r ? cJSON_GetObjectItemCaseSensitive(r->report, "metrics") : NULL;
        for (const cJSON *m = ms ? ms->child : NULL; m; m = m->next) {
            if (!is_hist2d(m)) continue;
            size_t j = 0;
            while (j < *n && strcmp((*names)[j], m->string)) j++;
            if (j < *n) continue;
            char **nn = realloc(*names, (*n + 1) * sizeof *nn);
            if (!nn) return BB_ENOMEM;
            *names = nn;
            if (!(nn[*n] = strdup(m->string))) return BB_ENOMEM;
            (*n)++;
        }
    }
    for (size_t i = 1; i < *n; i++) /* insertion sort: few names */
        for (size_t j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
            char *tmpn = (*names)[j];
            (*names)[j] = (*names)[j - 1];
            (*names)[j - 1] = tmpn;
        }
    return BB_OK;
}

static void free_names(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

int bb_plots_build(const bb_rset *rs, const bb_agg *a, bb_plot_set *ps, bb_ctx *ctx) {
    memset(ps, 0, sizeof *ps);
    const bb_rset_run **tmp = malloc((rs->n ? rs->n : 1) * sizeof *tmp);
    int rc = tmp ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
    for (size_t t = 0; !rc && t < a->n_tasks; t++) {
        char **names = NULL;
        size_t nn = 0;
        if (anytime_names(rs, a->tasks[t], &names, &nn)) rc = BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
        for (size_t i = 0; !rc && i < nn; i++) rc = plot_anytime(rs, a, t, names[i], ps, tmp, ctx);
        free_names(names, nn);
        if (!rc) rc = plot_energy(rs, a, t, ps, tmp, ctx);
        names = NULL, nn = 0;
        if (!rc && hist2d_names(rs, a, t, tmp, &names, &nn)) rc = BB_ERR(ctx, BB_ENOMEM, "plot: out of memory");
        for (size_t i = 0; !rc && i < nn; i++) rc = plot_density2d(rs, a, t, names[i], ps, tmp, ctx);
        free_names(names, nn);
    }
    free(tmp);
    if (rc) bb_plots_free(ps);
    return rc;
}

int bb_plots_write_dir(const bb_plot_set *ps, const char *dir, bb_ctx *ctx) {
    int rc = bb_mkdir_p(dir, ctx);
    static const char prolog[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    for (size_t i = 0; !rc && i < ps->n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, ps->p[i].name);
        size_t len = sizeof prolog - 1 + ps->p[i].len;
        char *b = malloc(len);
        if (!b) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
        memcpy(b, prolog, sizeof prolog - 1);
        memcpy(b + sizeof prolog - 1, ps->p[i].svg, ps->p[i].len);
        rc = bb_write_file_atomic(path, b, len, ctx);
        free(b);
    }
    return rc;
}
