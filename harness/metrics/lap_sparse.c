/* lap_sparse.c — exact dense linear assignment for large n: Jonker–Volgenant shortest
 * augmenting paths in which every row offers its columns lazily, cheapest first.
 *
 * 1. Column reduction with reduction transfer on the full matrix (lap.c, bb_lap_init):
 *    column potentials v, every assigned row tight.
 * 2. Each row keeps a short sorted list (LAP_LIST_MIN..LAP_LIST_MAX) of its columns with
 *    the smallest reduced cost r = C[i][j] − v[j] as it was when the list was made, and a
 *    cover: every column NOT in the list had r >= cover then. JV only ever lowers
 *    potentials (v_j += d_j − δ with d_j <= δ, and IEEE rounding is monotone), so a listed
 *    r and the cover stay lower bounds of the current reduced costs, exactly, in floating
 *    point.
 * 3. The shortest-path search from a free row is Dijkstra on one indexed 4-ary heap holding
 *    columns (key: tentative distance) and rows (key: a lower bound of the distance of
 *    anything the row has not offered yet, i.e. its next listed r, or its cover, minus
 *    h_i = u_i − dist_i). A row offers columns only while that bound is not above the
 *    heap minimum. When it has offered its whole list and the search needs more, the
 *    list is rebuilt from the row of C with the current potentials, reaching past what
 *    the search needed; with more than LAP_LIST_MAX columns tied below that, the row is
 *    relaxed densely for this search.
 * 4. If rows keep needing full passes (rebuilds, dense rows: more than one per 8 scanned
 *    rows — many ties, low dimension), the remaining free rows go to lap.c's dense search
 *    (bb_lap_augment), which expects exactly this state.
 *
 * Every column a dense Dijkstra would settle before the free column it stops at is
 * therefore settled here with the same distance: the result is JV's optimum on the full
 * matrix, with no certificate needed. On LJ-13 coordinates (39-D, n = 2000) a scanned row
 * needs about two columns: 118k row scans relax 1.4M entries (the dense search: 236M);
 * lists and rebuilds read the matrix about four times over.
 *
 * Not for small n (the dense solver of lap.c is used below LAP_SPARSE_MIN_N). The initial
 * lists are built in parallel, one row per iteration, each from its row alone, so the
 * result does not depend on the thread count; the searches are sequential.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

#define LAP_SPARSE_MIN_N 512
#ifndef LAP_LIST_MIN
#define LAP_LIST_MIN 8 /* columns a new list holds at least */
#endif
#ifndef LAP_LIST_MAX
#define LAP_LIST_MAX 32 /* and at most */
#endif

/* one listed column: reduced cost when listed, cost, column */
typedef struct {
    double r0, c;
    int k;
} lent;

/* per row: list length, next list position to offer, search stamp, cover, rebuild width,
 * cost of the assigned column, h_i of the current search */
typedef struct {
    int len, nxt, stamp;
    double cover, gap, cx, h;
} lrow;

typedef struct {
    double key;
    int item; /* column j, or n + row i */
} hslot;

typedef struct {
    int n;
    const double *C;
    double *v, *d, *sd, *rbuf;
    int *x, *y, *pred, *scanned, *touched, *ibuf, *pos;
    lent *ent; /* [n][LAP_LIST_MAX] */
    lrow *row;
    hslot *heap;
    int hn;
    long scans, row_passes; /* rows scanned; full-row passes (list rebuilds, dense rows) */
} lzs;

/* ---- indexed binary heap over 2n items (columns, then rows) ---- */

static inline void h_place(lzs *s, int i, hslot e) {
    hslot *h = s->heap;
    while (i > 0) {
        int p = (i - 1) >> 2;
        if (h[p].key <= e.key) break;
        h[i] = h[p];
        s->pos[h[i].item] = i;
        i = p;
    }
    h[i] = e;
    s->pos[e.item] = i;
}

/* insert item or lower its key */
static inline void h_set(lzs *s, int item, double key) {
    int i = s->pos[item];
    hslot e = {key, item};
    h_place(s, i < 0 ? s->hn++ : i, e);
}

static hslot h_pop(lzs *s) {
    hslot *h = s->heap, top = h[0], last = h[--s->hn];
    s->pos[top.item] = -1;
    int n = s->hn, i = 0;
    if (n == 0) return top;
    for (;;) {
        int c = 4 * i + 1;
        if (c >= n) break;
        int b = c;
        double bk = h[c].key;
        int ce = c + 4 < n ? c + 4 : n;
        for (int q = c + 1; q < ce; q++)
            if (h[q].key < bk) {
                bk = h[q].key;
                b = q;
            }
        if (last.key <= bk) break;
        h[i] = h[b];
        s->pos[h[i].item] = i;
        i = b;
    }
    h[i] = last;
    s->pos[last.item] = i;
    return top;
}

/* ---- row lists ---- */

static inline int ent_less(double r, int k, const lent *e) { return r < e->r0 || (r == e->r0 && k < e->k); }

static void sort_list(int m, lent *e) {
    for (int a = 1; a < m; a++) {
        lent t = e[a];
        int b = a - 1;
        while (b >= 0 && ent_less(t.r0, t.k, e + b)) {
            e[b + 1] = e[b];
            b--;
        }
        e[b + 1] = t;
    }
}

/* The cap smallest (r[q], idx[q]) pairs, q < m, into e, sorted: a max-heap
 * selection. Ties are broken by column, so the result depends on the candidates only
 * through which pairs are smallest. */
static int select_smallest(int m, const int *idx, const double *r, int cap, lent *e) {
    int c = 0;
    for (int q = 0; q < m; q++) {
        int j = idx[q];
        double x = r[q];
        if (c < cap) {
            int i = c++;
            while (i > 0 && ent_less(e[(i - 1) / 2].r0, e[(i - 1) / 2].k, &(lent){x, 0.0, j})) {
                e[i] = e[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            e[i].r0 = x;
            e[i].k = j;
        } else if (ent_less(x, j, e)) {
            int i = 0;
            for (;;) {
                int ch = 2 * i + 1;
                if (ch >= c) break;
                if (ch + 1 < c && ent_less(e[ch].r0, e[ch].k, e + ch + 1)) ch++;
                if (!ent_less(x, j, e + ch)) break;
                e[i] = e[ch];
                i = ch;
            }
            e[i].r0 = x;
            e[i].k = j;
        }
    }
    sort_list(c, e);
    return c;
}

/* Row list from the row ci of C and the current v: every column with r <= min_k r + g,
 * g widened until at least LAP_LIST_MIN columns qualify and the threshold exceeds reach;
 * if more than LAP_LIST_MAX columns qualify, the LAP_LIST_MAX smallest (r, column) pairs.
 * Sorted; the cover bounds the reduced cost of every column left out. The list depends
 * only on ci, v, g and reach. Returns a width for the next list of this row. */
static double list_make(int n, const double *ci, const double *v, double u, double g, double reach, lent *e, lrow *rw,
                        double *rc, int *ic) {
    if (!(u < INFINITY)) { /* a free row: its minimum */
        u = INFINITY;
        for (int k = 0; k < n; k++) {
            double r = ci[k] - v[k];
            u = r < u ? r : u;
        }
    }
    int lo = LAP_LIST_MIN < n ? LAP_LIST_MIN : n, m;
    double thr, tiny = 1e-12 * (1.0 + fabs(u));
    if (g < 2.0 * (reach - u)) g = 2.0 * (reach - u);
    if (!(g > tiny)) g = tiny;
    for (;;) {
        thr = u + g;
        m = 0;
        for (int k = 0; k < n; k++) {
            double r = ci[k] - v[k];
            rc[m] = r;
            ic[m] = k;
            m += r <= thr;
        }
        if (m >= lo && thr > reach) break;
        g *= 4.0;
    }
    if (m <= LAP_LIST_MAX) {
        for (int q = 0; q < m; q++) {
            e[q].k = ic[q];
            e[q].r0 = rc[q];
        }
        sort_list(m, e);
        rw->len = m;
        rw->cover = m == n ? INFINITY : thr; /* the others have r > thr */
    } else {
        rw->len = select_smallest(m, ic, rc, LAP_LIST_MAX, e);
        rw->cover = e[LAP_LIST_MAX - 1].r0;
        g = e[LAP_LIST_MAX / 2].r0 - u;
    }
    for (int q = 0; q < rw->len; q++) e[q].c = ci[e[q].k];
    return g;
}

/* Median over 15 evenly spaced rows of the width above the row minimum that holds 16
 * reduced costs: the first guess for every row's list. */
static double initial_width(int n, const double *C, const double *v, double *rbuf, int *ibuf) {
    double w[15];
    lent e[16];
    for (int q = 0; q < 15; q++) {
        const double *ci = C + (size_t)(q * (n / 15)) * n;
        for (int k = 0; k < n; k++) {
            rbuf[k] = ci[k] - v[k];
            ibuf[k] = k;
        }
        int c = select_smallest(n, ibuf, rbuf, 16, e);
        w[q] = e[c - 1].r0 - e[0].r0;
    }
    for (int a = 1; a < 15; a++)
        for (int b = a; b > 0 && w[b] < w[b - 1]; b--) {
            double t = w[b];
            w[b] = w[b - 1];
            w[b - 1] = t;
        }
    return w[7];
}

/* ---- the search ---- */

static inline void relax(lzs *s, int i, int k, double cred, int *nt) {
    if (cred < s->d[k]) {
        if (s->d[k] == INFINITY) s->touched[(*nt)++] = k;
        s->d[k] = cred;
        s->pred[k] = i;
        h_set(s, k, cred);
    }
}

/* Offer row i's columns while its bound is not above the heap minimum. Settled columns
 * hold d = −inf, so relax() never touches them. */
static void offer(lzs *s, int i, int stamp, int *nt) {
    int n = s->n;
    lrow *rw = s->row + i;
    lent *e = s->ent + (size_t)i * LAP_LIST_MAX;
    double hi = rw->h, top = s->hn ? s->heap[0].key : INFINITY;
    int t = rw->nxt;
    for (;;) {
        if (t < rw->len) {
            double key = e[t].r0 - hi;
            if (key > top) {
                h_set(s, n + i, key);
                break;
            }
            int k = e[t].k;
            double cred = (e[t].c - s->v[k]) - hi;
            t++;
            relax(s, i, k, cred, nt);
            top = s->hn ? s->heap[0].key : INFINITY;
            continue;
        }
        double key = rw->cover - hi;
        if (!(key < INFINITY)) break;
        if (key > top) {
            h_set(s, n + i, key);
            break;
        }
        /* list exhausted below the heap minimum: a new one from the current v, reaching
         * past the reach this search needed (wider again if it had one) */
        const double *ci = s->C + (size_t)i * n;
        double g = rw->stamp == stamp ? 4.0 * rw->gap : rw->gap;
        rw->stamp = stamp;
        rw->gap = list_make(n, ci, s->v, s->x[i] >= 0 ? rw->cx - s->v[s->x[i]] : INFINITY, g, key + hi, e, rw, s->rbuf,
                            s->ibuf);
        s->row_passes++;
        t = 0;
        /* no progress: a longer list next round; at capacity (ties), the whole row, once */
        if (!(rw->cover - hi > key) && rw->len >= LAP_LIST_MAX) {
            for (int k = 0; k < n; k++) relax(s, i, k, (ci[k] - s->v[k]) - hi, nt);
            s->row_passes += 4; /* up to n heap insertions */
            t = rw->len;
            break;
        }
    }
    rw->nxt = t;
}

/* Shortest augmenting path from free row `start`, potential update, augmentation. */
static void search(lzs *s, int start, int stamp) {
    int n = s->n, ns = 0, nt = 0, sink = -1, cur = start;
    s->row[start].h = 0.0;
    s->row[start].nxt = 0;
    for (;;) {
        if (cur >= 0) offer(s, cur, stamp, &nt);
        if (s->hn == 0) break; /* cannot happen for finite costs */
        hslot top = h_pop(s);
        if (top.item >= n) {
            cur = top.item - n;
            continue;
        }
        int j = top.item;
        s->sd[ns] = s->d[j];
        s->scanned[ns++] = j;
        s->d[j] = -INFINITY;
        if (s->y[j] < 0) {
            sink = j;
            break;
        }
        cur = s->y[j];
        s->scans++;
        s->row[cur].h = (s->row[cur].cx - s->v[j]) - top.key;
        s->row[cur].nxt = 0;
    }
    if (sink >= 0) {
        double delta = s->sd[ns - 1];
        for (int t = 0; t < ns; t++) s->v[s->scanned[t]] += s->sd[t] - delta;
        int j = sink, i = -1;
        while (i != start) {
            i = s->pred[j];
            s->y[j] = i;
            int tmp = s->x[i];
            s->x[i] = j;
            s->row[i].cx = s->C[(size_t)i * n + j];
            j = tmp;
        }
    }
    for (int t = 0; t < nt; t++) s->d[s->touched[t]] = INFINITY;
    for (int t = 0; t < s->hn; t++) s->pos[s->heap[t].item] = -1;
    s->hn = 0;
}

int bb_lap_solve_fast(int n, const double *C, int *x, double *cost, bb_ctx *ctx) {
    if (n < LAP_SPARSE_MIN_N) return bb_lap_solve(n, C, x, cost, ctx);
    size_t nn = (size_t)n;
    lzs s = {.n = n, .C = C, .x = x};
    int *free_rows = malloc(nn * sizeof *free_rows);
    char *unique = malloc(nn);
    s.v = malloc(nn * sizeof *s.v);
    s.d = malloc(2 * nn * sizeof *s.d); /* 2n: bb_lap_augment's scratch after a switch */
    s.sd = malloc(nn * sizeof *s.sd);
    s.rbuf = malloc(nn * sizeof *s.rbuf);
    s.y = malloc(nn * sizeof *s.y);
    s.pred = malloc(nn * sizeof *s.pred);
    s.scanned = malloc(nn * sizeof *s.scanned);
    s.touched = malloc(nn * sizeof *s.touched);
    s.ibuf = malloc(nn * sizeof *s.ibuf);
    s.pos = malloc(2 * nn * sizeof *s.pos);
    s.ent = malloc(nn * LAP_LIST_MAX * sizeof *s.ent);
    s.row = malloc(nn * sizeof *s.row);
    s.heap = malloc(2 * nn * sizeof *s.heap);
    int rc = BB_OK, bad = 0;
    if (!free_rows || !unique || !s.v || !s.d || !s.sd || !s.rbuf || !s.y || !s.pred || !s.scanned || !s.touched ||
        !s.ibuf || !s.pos || !s.ent || !s.row || !s.heap) {
        rc = BB_ERR(ctx, BB_ENOMEM, "assignment: out of memory for n = %d", n);
        goto out;
    }
    int nfree = bb_lap_init(n, C, free_rows, x, s.y, s.v, unique);
    /* initial lists: a width g0 that holds about 16 columns in sampled rows (median),
     * then each row on its own (same lists on any thread count); non-finite costs are
     * refused */
    double g0 = initial_width(n, C, s.v, s.rbuf, s.ibuf);
#pragma omp parallel reduction(| : bad)
    {
        double *r = malloc(nn * sizeof *r);
        int *ib = malloc(nn * sizeof *ib);
#pragma omp for schedule(static)
        for (int i = 0; i < n; i++) {
            const double *ci = C + (size_t)i * nn;
            lrow *rw = s.row + i;
            if (!r || !ib) {
                bad |= 2;
                continue;
            }
            int fin = 1;
            for (int j = 0; j < n; j++) fin &= isfinite(ci[j]);
            bad |= !fin;
            rw->gap = list_make(n, ci, s.v, x[i] >= 0 ? ci[x[i]] - s.v[x[i]] : INFINITY, g0, -INFINITY,
                                s.ent + (size_t)i * LAP_LIST_MAX, rw, r, ib);
            rw->stamp = 0;
            rw->nxt = 0;
            rw->cx = x[i] >= 0 ? ci[x[i]] : 0.0;
        }
        free(r);
        free(ib);
    }
    if (bad & 1) {
        rc = BB_ERR(ctx, BB_ENAN, "assignment: a cost is not finite");
        goto out;
    }
    if (bad) {
        rc = BB_ERR(ctx, BB_ENOMEM, "assignment: out of memory for n = %d", n);
        goto out;
    }
    for (int j = 0; j < n; j++) s.d[j] = INFINITY;
    for (int q = 0; q < 2 * n; q++) s.pos[q] = -1;
    /* When rows keep needing full passes (many ties, low dimension), JV's dense search
     * is cheaper: the state (x, y, v, every assigned row tight) is the one it expects. */
    int f = 0;
    for (; f < nfree && !(2 * s.scans > n && 8 * s.row_passes > s.scans); f++) search(&s, free_rows[f], f + 1);
    if (f < nfree) bb_lap_augment(n, C, nfree - f, free_rows + f, x, s.y, s.v, s.pred, s.scanned, s.d);
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += C[(size_t)i * nn + (size_t)x[i]];
    *cost = sum;
out:
    free(free_rows);
    free(unique);
    free(s.v);
    free(s.d);
    free(s.sd);
    free(s.rbuf);
    free(s.y);
    free(s.pred);
    free(s.scanned);
    free(s.touched);
    free(s.ibuf);
    free(s.pos);
    free(s.ent);
    free(s.row);
    free(s.heap);
    return rc;
}
