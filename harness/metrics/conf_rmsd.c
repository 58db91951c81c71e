/* conf_rmsd.c — heavy-atom graph automorphisms and the symmetry-aware RMSD (conf_rmsd.h).
 *
 * Automorphisms: colour refinement (1-dimensional Weisfeiler–Lehman: a vertex's colour is its
 * element and heavy degree, then repeatedly its colour and the sorted colours of its neighbours,
 * until the number of colours stops growing) partitions the heavy atoms into classes that any
 * automorphism preserves; a backtracking search then maps the atoms in breadth-first order (from
 * the smallest class), each onto an unused atom of its class whose already-mapped neighbours are the
 * images of its own already-mapped neighbours (same count, so non-edges are kept too). Every leaf is
 * an automorphism. The search is capped in leaves (max_auto) and in nodes (BB_SYM_MAX_NODES).
 *
 * RMSD: for centred heavy-atom coordinates x, y and an automorphism σ, the best proper rotation gives
 * Σ‖x_i − R y_σ(i)‖² = Gx + Gy − 2λ, λ the largest eigenvalue of Horn's quaternion matrix K(S) of
 * S = Σ_i x_i y_σ(i)ᵀ (λ = s1 + s2 + sign(det S) s3 over S's singular values). λ is found by Newton's
 * method on det(λI − K) = λ⁴ + C2 λ² + C1 λ + C0 from the upper bound (Gx + Gy)/2, where the iteration
 * decreases monotonically (Theobald, Acta Cryst. A61 (2005) 478: C2 = −2‖S‖², C1 = −8 det S,
 * C0 = det K). The σ of smallest value is then re-evaluated by bb_kabsch (SVD, det fix) and the
 * residual summed directly, so equal conformers give 0 up to rounding of the coordinates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/conf_rmsd.h"
#include "harness/metrics/metric_lib.h"

#define BB_SYM_MAX_NODES 100000000L

struct bb_conf_sym {
    int natom, nh;
    int *heavy_idx; /* [nh] atom index of heavy atom h */
    size_t nauto;
    int *perm; /* [nauto][nh] */
};

int bb_conf_sym_natom(const bb_conf_sym *s) { return s->natom; }
int bb_conf_sym_nheavy(const bb_conf_sym *s) { return s->nh; }
int bb_conf_sym_heavy_index(const bb_conf_sym *s, int h) { return s->heavy_idx[h]; }
size_t bb_conf_sym_count(const bb_conf_sym *s) { return s->nauto; }
const int *bb_conf_sym_perm(const bb_conf_sym *s, size_t k) {
    return k < s->nauto ? s->perm + k * (size_t)s->nh : NULL;
}

void bb_conf_sym_free(bb_conf_sym *s) {
    if (!s) return;
    BB_FREE_ALL(s->heavy_idx, s->perm, s);
}

/* ---- colour refinement ------------------------------------------------------ */

/* Working graph: nh vertices, adjacency matrix, neighbour lists, colours. */
typedef struct sym_graph {
    int n, maxdeg;
    unsigned char *adj; /* [n][n] */
    int *deg, *nbr;     /* [n], [n][maxdeg] */
    int *col;           /* [n] colour classes 0..ncol-1 */
    int ncol;
    int *sig; /* [n][1 + maxdeg] scratch: colour, then sorted neighbour colours, −1 padded */
    int *idx; /* [n] scratch */
} sym_graph;

/* Lexicographic comparison of two signatures. */
static int sig_less(const sym_graph *g, int a, int b) {
    int w = 1 + g->maxdeg;
    const int *sa = g->sig + (size_t)a * w, *sb = g->sig + (size_t)b * w;
    for (int k = 0; k < w; k++)
        if (sa[k] != sb[k]) return sa[k] < sb[k] ? -1 : 1;
    return 0;
}

/* New colours = ranks of the signatures; returns the number of colours. */
static int recolour(sym_graph *g) {
    int n = g->n;
    for (int i = 0; i < n; i++) g->idx[i] = i;
    for (int i = 1; i < n; i++) { /* insertion sort by signature, stable */
        int v = g->idx[i], j = i - 1;
        while (j >= 0 && sig_less(g, g->idx[j], v) > 0) {
            g->idx[j + 1] = g->idx[j];
            j--;
        }
        g->idx[j + 1] = v;
    }
    int ncol = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && sig_less(g, g->idx[i - 1], g->idx[i]) != 0) ncol++;
        g->col[g->idx[i]] = ncol;
    }
    return n > 0 ? ncol + 1 : 0;
}

static void refine(sym_graph *g, const int *label) {
    int n = g->n, w = 1 + g->maxdeg;
    for (int v = 0; v < n; v++) {
        int *s = g->sig + (size_t)v * w;
        s[0] = label[v];
        s[1] = g->deg[v];
        for (int k = 2; k < w; k++) s[k] = -1;
    }
    g->ncol = recolour(g);
    for (;;) {
        for (int v = 0; v < n; v++) {
            int *s = g->sig + (size_t)v * w;
            s[0] = g->col[v];
            int d = g->deg[v];
            for (int k = 0; k < d; k++) s[1 + k] = g->col[g->nbr[v * g->maxdeg + k]];
            for (int k = 1 + d; k < w; k++) s[k] = -1;
            for (int a = 2; a <= d; a++) /* insertion sort of the neighbour colours */
                for (int b = a; b > 1 && s[b - 1] > s[b]; b--) {
                    int t = s[b];
                    s[b] = s[b - 1];
                    s[b - 1] = t;
                }
        }
        int nc = recolour(g);
        if (nc == g->ncol) break;
        g->ncol = nc;
    }
}

/* ---- automorphism search ----------------------------------------------------- */

/* Append f (n ints) to s->perm; BB_EUNSUPPORTED past the cap. */
static int keep_perm(bb_conf_sym *s, size_t *cap, size_t max_auto, const int *f, bb_ctx *ctx) {
    if (s->nauto >= max_auto)
        return BB_ERR(ctx, BB_EUNSUPPORTED,
                      "conformer RMSD: the heavy-atom graph has more than %zu automorphisms (the cap); "
                      "raise max_auto or use fewer symmetric groups",
                      max_auto);
    if (s->nauto == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        int *p = realloc(s->perm, nc * (size_t)s->nh * sizeof(int));
        if (!p) return BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory for %zu automorphisms", nc);
        s->perm = p;
        *cap = nc;
    }
    memcpy(s->perm + s->nauto * (size_t)s->nh, f, (size_t)s->nh * sizeof(int));
    s->nauto++;
    return BB_OK;
}

/* Breadth-first order of the vertices, each component started at a vertex of the smallest colour
 * class (lowest index among ties). OUT order[n]; pos[v] = position of v. */
static void search_order(const sym_graph *g, int *order, int *pos) {
    int n = g->n, *csize = g->idx, placed = 0, head = 0;
    for (int c = 0; c < n; c++) csize[c] = 0;
    for (int v = 0; v < n; v++) csize[g->col[v]]++;
    for (int v = 0; v < n; v++) pos[v] = -1;
    while (placed < n) {
        int start = -1;
        for (int v = 0; v < n; v++)
            if (pos[v] < 0 && (start < 0 || csize[g->col[v]] < csize[g->col[start]])) start = v;
        pos[start] = placed;
        order[placed++] = start;
        while (head < placed) {
            int v = order[head++];
            for (int k = 0; k < g->deg[v]; k++) {
                int u = g->nbr[v * g->maxdeg + k];
                if (pos[u] < 0) pos[u] = placed, order[placed++] = u;
            }
        }
    }
}

/* Can v (at position t of the order) map onto w, given the images f of the vertices before it? */
static int extends(const sym_graph *g, const int *pos, const int *f, const unsigned char *used, int t, int v, int w) {
    int nv = 0, nw = 0;
    for (int k = 0; k < g->deg[v]; k++) {
        int u = g->nbr[v * g->maxdeg + k];
        if (pos[u] < t) {
            if (!g->adj[(size_t)w * g->n + f[u]]) return 0;
            nv++;
        }
    }
    for (int k = 0; k < g->deg[w]; k++) nw += used[g->nbr[w * g->maxdeg + k]];
    return nv == nw;
}

static int find_automorphisms(const sym_graph *g, bb_conf_sym *s, size_t max_auto, bb_ctx *ctx) {
    int n = g->n, rc = BB_OK;
    size_t cap = 0;
    int *order = malloc((size_t)n * sizeof(int)), *pos = malloc((size_t)n * sizeof(int));
    int *f = malloc((size_t)n * sizeof(int)), *next = malloc((size_t)n * sizeof(int));
    unsigned char *used = calloc((size_t)n, 1);
    if (!order || !pos || !f || !next || !used) {
        rc = BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory for %d heavy atoms", n);
        goto out;
    }
    search_order(g, order, pos);
    long nodes = 0;
    int t = 0;
    next[0] = 0;
    while (t >= 0) {
        if (t == n) { /* a complete map: an automorphism */
            if ((rc = keep_perm(s, &cap, max_auto, f, ctx))) goto out;
            t--;
            used[f[order[t]]] = 0;
            continue;
        }
        if (++nodes > BB_SYM_MAX_NODES) {
            rc = BB_ERR(ctx, BB_EUNSUPPORTED, "conformer RMSD: automorphism search of %d heavy atoms passed %ld steps",
                        n, BB_SYM_MAX_NODES);
            goto out;
        }
        int v = order[t], found = -1;
        for (int w = next[t]; w < n; w++)
            if (!used[w] && g->col[w] == g->col[v] && extends(g, pos, f, used, t, v, w)) {
                found = w;
                break;
            }
        if (found < 0) {
            t--;
            if (t >= 0) used[f[order[t]]] = 0;
            continue;
        }
        f[v] = found;
        used[found] = 1;
        next[t] = found + 1;
        if (++t < n) next[t] = 0;
    }
    /* the identity first */
    for (size_t k = 0; k < s->nauto; k++) {
        int *p = s->perm + k * (size_t)n, id = 1;
        for (int h = 0; h < n && id; h++) id = p[h] == h;
        if (id && k > 0) {
            memcpy(f, p, (size_t)n * sizeof(int));
            memcpy(p, s->perm, (size_t)n * sizeof(int));
            memcpy(s->perm, f, (size_t)n * sizeof(int));
        }
        if (id) break;
    }
out:
    BB_FREE_ALL(order, pos, f, next, used);
    return rc;
}

int bb_conf_sym_build(int natom, const char (*element)[3], const unsigned char *heavy, int nbond, const int *bond_ij,
                      size_t max_auto, bb_conf_sym **out, bb_ctx *ctx) {
    *out = NULL;
    int rc = BB_OK;
    sym_graph g;
    memset(&g, 0, sizeof g);
    int *hof = NULL, *label = NULL;
    if (max_auto == 0) max_auto = BB_CONF_SYM_MAX_DEFAULT;
    if (natom < 1 || nbond < 0) return BB_ERR(ctx, BB_EINVAL, "conformer RMSD: need atoms (got %d)", natom);
    bb_conf_sym *s = calloc(1, sizeof *s);
    hof = malloc((size_t)natom * sizeof(int));
    if (!s || !hof) {
        rc = BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory");
        goto out;
    }
    s->natom = natom;
    for (int i = 0; i < natom; i++) hof[i] = heavy[i] ? s->nh++ : -1;
    if (s->nh == 0) {
        rc = BB_ERR(ctx, BB_EINVAL, "conformer RMSD: the molecule has no heavy atom");
        goto out;
    }
    int n = g.n = s->nh;
    s->heavy_idx = malloc((size_t)n * sizeof(int));
    g.adj = calloc((size_t)n * n, 1);
    g.deg = calloc((size_t)n, sizeof(int));
    label = malloc((size_t)n * sizeof(int));
    if (!s->heavy_idx || !g.adj || !g.deg || !label) {
        rc = BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory for %d heavy atoms", n);
        goto out;
    }
    for (int i = 0; i < natom; i++)
        if (hof[i] >= 0) s->heavy_idx[hof[i]] = i;
    for (int b = 0; b < nbond; b++) {
        int i = bond_ij[2 * b], j = bond_ij[2 * b + 1];
        if (i < 0 || j < 0 || i >= natom || j >= natom || i == j) {
            rc = BB_ERR(ctx, BB_EINVAL, "conformer RMSD: bond %d joins atoms %d and %d of %d", b, i, j, natom);
            goto out;
        }
        if (hof[i] < 0 || hof[j] < 0) continue;
        unsigned char *e = &g.adj[(size_t)hof[i] * n + hof[j]];
        if (!*e) g.deg[hof[i]]++, g.deg[hof[j]]++;
        *e = g.adj[(size_t)hof[j] * n + hof[i]] = 1;
    }
    g.maxdeg = 1;
    for (int v = 0; v < n; v++)
        if (g.deg[v] > g.maxdeg) g.maxdeg = g.deg[v];
    g.nbr = malloc((size_t)n * g.maxdeg * sizeof(int));
    g.col = malloc((size_t)n * sizeof(int));
    g.sig = malloc((size_t)n * (1 + g.maxdeg) * sizeof(int));
    g.idx = malloc((size_t)n * sizeof(int));
    if (!g.nbr || !g.col || !g.sig || !g.idx) {
        rc = BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory for %d heavy atoms", n);
        goto out;
    }
    for (int v = 0; v < n; v++) {
        int k = 0;
        for (int u = 0; u < n; u++)
            if (g.adj[(size_t)v * n + u]) g.nbr[v * g.maxdeg + k++] = u;
    }
    /* element labels: the index of the first heavy atom with the same symbol */
    for (int v = 0; v < n; v++) {
        label[v] = v;
        for (int u = 0; u < v; u++)
            if (strncmp(element[s->heavy_idx[u]], element[s->heavy_idx[v]], 3) == 0) {
                label[v] = label[u];
                break;
            }
    }
    refine(&g, label);
    if ((rc = find_automorphisms(&g, s, max_auto, ctx))) goto out;
out:
    BB_FREE_ALL(hof, label, g.adj, g.deg, g.nbr, g.col, g.sig, g.idx);
    if (rc)
        bb_conf_sym_free(s);
    else
        *out = s;
    return rc;
}

int bb_conf_sym_from_mmff(const bb_mmff *ff, size_t max_auto, bb_conf_sym **out, bb_ctx *ctx) {
    return bb_conf_sym_build(ff->natom, (const char(*)[3])ff->element, ff->heavy, ff->nbond, ff->bond_ij, max_auto, out,
                             ctx);
}

/* ---- RMSD ------------------------------------------------------------------------ */

/* Centred heavy-atom coordinates z [nh][3] of the full configuration x; returns Σ‖z‖², or NaN when
 * a coordinate is not finite. */
static double heavy_centred(const bb_conf_sym *s, const double *x, double *z) {
    for (int h = 0; h < s->nh; h++)
        for (int a = 0; a < 3; a++) z[3 * h + a] = x[3 * (size_t)s->heavy_idx[h] + a];
    bb_center(s->nh, 3, z, z);
    double g = 0.0;
    for (int k = 0; k < 3 * s->nh; k++) g += z[k] * z[k];
    return isfinite(g) ? g : NAN;
}

static double det3(const double *m) {
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/* Largest eigenvalue of Horn's matrix of S (row-major, S[a][b] = Σ x_a y_b), Newton from `upper`. */
static double qcp_lambda(const double *S, double upper) {
    double xx = S[0], xy = S[1], xz = S[2], yx = S[3], yy = S[4], yz = S[5], zx = S[6], zy = S[7], zz = S[8];
    double K[16] = {xx + yy + zz, yz - zy, zx - xz,       xy - yx, yz - zy, xx - yy - zz, xy + yx, zx + xz,
                    zx - xz,      xy + yx, -xx + yy - zz, yz + zy, xy - yx, zx + xz,      yz + zy, -xx - yy + zz};
    double s2 = 0.0;
    for (int k = 0; k < 9; k++) s2 += S[k] * S[k];
    double c2 = -2.0 * s2, c1 = -8.0 * det3(S);
    /* det K by Laplace expansion on the first two rows (2 × 2 minors) */
    double a01 = K[0] * K[5] - K[1] * K[4], a02 = K[0] * K[6] - K[2] * K[4], a03 = K[0] * K[7] - K[3] * K[4];
    double a12 = K[1] * K[6] - K[2] * K[5], a13 = K[1] * K[7] - K[3] * K[5], a23 = K[2] * K[7] - K[3] * K[6];
    double b01 = K[8] * K[13] - K[9] * K[12], b02 = K[8] * K[14] - K[10] * K[12], b03 = K[8] * K[15] - K[11] * K[12];
    double b12 = K[9] * K[14] - K[10] * K[13], b13 = K[9] * K[15] - K[11] * K[13];
    double b23 = K[10] * K[15] - K[11] * K[14];
    double c0 = a01 * b23 - a02 * b13 + a03 * b12 + a12 * b03 - a13 * b02 + a23 * b01;
    double l = upper;
    for (int it = 0; it < 60; it++) {
        double l2 = l * l;
        double p = (l2 + c2) * l2 + c1 * l + c0, dp = 4.0 * l2 * l + 2.0 * c2 * l + c1;
        if (!(dp > 0.0)) break;
        double ln = l - p / dp;
        if (!(ln < l)) break; /* monotone from above: stop once it no longer decreases */
        int done = l - ln <= 1e-14 * fabs(ln);
        l = ln;
        if (done) break;
    }
    return l;
}

/* RMSD of centred heavy-atom sets x, y (Gx, Gy their Σ‖·‖²). */
static double rmsd_centred(const bb_conf_sym *s, const double *x, double gx, const double *y, double gy) {
    if (isnan(gx) || isnan(gy)) return NAN;
    int nh = s->nh;
    size_t best = 0;
    double best_e = INFINITY;
    for (size_t k = 0; k < s->nauto; k++) {
        const int *p = s->perm + k * (size_t)nh;
        double S[9] = {0};
        for (int i = 0; i < nh; i++) {
            const double *xi = x + 3 * i, *yi = y + 3 * p[i];
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) S[3 * a + b] += xi[a] * yi[b];
        }
        double e = gx + gy - 2.0 * qcp_lambda(S, 0.5 * (gx + gy));
        if (e < best_e) best_e = e, best = k;
    }
    double R[9], sq;
    if (bb_kabsch(nh, 3, x, y, s->perm + best * (size_t)nh, 0, R, &sq)) return NAN;
    return sqrt(sq / nh);
}

int bb_conf_rmsd(const bb_conf_sym *s, const double *x, const double *y, double *rmsd, bb_ctx *ctx) {
    *rmsd = NAN;
    double *z = malloc(6 * (size_t)s->nh * sizeof(double));
    if (!z) return BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory");
    double gx = heavy_centred(s, x, z), gy = heavy_centred(s, y, z + 3 * s->nh);
    if (isnan(gx) || isnan(gy)) {
        free(z);
        return BB_ERR(ctx, BB_ENAN, "conformer RMSD: a configuration has a non-finite coordinate");
    }
    *rmsd = rmsd_centred(s, z, gx, z + 3 * s->nh, gy);
    free(z);
    return isnan(*rmsd) ? BB_ERR(ctx, BB_EINTERNAL, "conformer RMSD: the SVD of the Kabsch step failed") : BB_OK;
}

int bb_conf_rmsd_matrix(const bb_conf_sym *s, size_t na, const double *A, size_t nb, const double *B, double *D,
                        bb_ctx *ctx) {
    size_t w = 3 * (size_t)s->nh, P3 = 3 * (size_t)s->natom;
    double *za = malloc((na * w + nb * w + na + nb) * sizeof(double) + 1);
    if (!za) return BB_ERR(ctx, BB_ENOMEM, "conformer RMSD: out of memory for %zu x %zu configurations", na, nb);
    double *zb = za + na * w, *ga = zb + nb * w, *gb = ga + na;
    for (size_t i = 0; i < na; i++) ga[i] = heavy_centred(s, A + i * P3, za + i * w);
    for (size_t j = 0; j < nb; j++) gb[j] = heavy_centred(s, B + j * P3, zb + j * w);
#pragma omp parallel for schedule(dynamic, 1) if (na * nb * s->nauto >= 256)
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) D[i * nb + j] = rmsd_centred(s, za + i * w, ga[i], zb + j * w, gb[j]);
    free(za);
    return BB_OK;
}
