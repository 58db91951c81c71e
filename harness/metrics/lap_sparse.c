/* lap_sparse.c — exact dense linear assignment, faster: shortest augmenting paths on a
 * sparse candidate graph, certified optimal on the full matrix.
 *
 * 1. Column reduction + reduction transfer on the full matrix (lap.c, bb_lap_init):
 *    potentials v with every assigned row tight and dual feasible for ALL columns.
 * 2. Candidate graph: for each row the LAP_SPARSE_K columns of smallest reduced cost
 *    C[i][j] − v[j], plus its assigned column.
 * 3. For every free row, Dijkstra (binary heap) on reduced costs over the candidate
 *    edges only, potential update v_j += d_j − δ on the scanned columns, augmentation
 *    (JV's implicit row potentials u_i = C[i][x_i] − v[x_i]). A row whose search
 *    exhausts its component stays free.
 * 4. Certificate on the full matrix: u_i = C[i][x_i] − v[x_i]; every row with some
 *    C[i][j] − v[j] < u_i (dual infeasible outside the graph) is unassigned. The rows
 *    still assigned are tight and feasible for all columns, which is exactly the state
 *    the dense augmentation needs, so lap.c's bb_lap_augment finishes the free rows on
 *    the full matrix. The result is therefore an optimum of the full problem whatever
 *    the candidate graph missed; the graph only decides how much dense work is left.
 *
 * Not for small n (the dense solver is used below LAP_SPARSE_MIN_N) and not a sparse
 * solver for sparse inputs: C is always the full dense matrix.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

#define LAP_SPARSE_K     24
#define LAP_SPARSE_MIN_N 128

typedef struct {
    double d;
    int j;
} hnode;

static void heap_push(hnode *h, int *hn, double d, int j) {
    int i = (*hn)++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (h[p].d < d || (h[p].d == d && h[p].j < j)) break;
        h[i] = h[p];
        i = p;
    }
    h[i].d = d;
    h[i].j = j;
}

static hnode heap_pop(hnode *h, int *hn) {
    hnode top = h[0], last = h[--(*hn)];
    int i = 0, n = *hn;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && (h[c + 1].d < h[c].d || (h[c + 1].d == h[c].d && h[c + 1].j < h[c].j))) c++;
        if (last.d < h[c].d || (last.d == h[c].d && last.j < h[c].j)) break;
        h[i] = h[c];
        i = c;
    }
    if (n > 0) h[i] = last;
    return top;
}

/* Partial selection: indices of the k smallest r[0..n) (unordered) into out. */
static void k_smallest(int n, const double *r, int k, int *idx, double *val, int *out) {
    /* max-heap of size k over (val, idx) */
    int m = 0;
    for (int j = 0; j < n; j++) {
        double x = r[j];
        if (m < k) {
            int i = m++;
            while (i > 0) {
                int p = (i - 1) / 2;
                if (val[p] >= x) break;
                val[i] = val[p];
                idx[i] = idx[p];
                i = p;
            }
            val[i] = x;
            idx[i] = j;
        } else if (x < val[0]) {
            int i = 0;
            for (;;) {
                int c = 2 * i + 1;
                if (c >= m) break;
                if (c + 1 < m && val[c + 1] > val[c]) c++;
                if (val[c] <= x) break;
                val[i] = val[c];
                idx[i] = idx[c];
                i = c;
            }
            val[i] = x;
            idx[i] = j;
        }
    }
    for (int i = 0; i < m; i++) out[i] = idx[i];
}

int bb_lap_solve_fast(int n, const double *C, int *x, double *cost, bb_ctx *ctx) {
    if (n < LAP_SPARSE_MIN_N) return bb_lap_solve(n, C, x, cost, ctx);
    for (size_t q = 0; q < (size_t)n * (size_t)n; q++)
        if (!isfinite(C[q])) return BB_ERR(ctx, BB_ENAN, "assignment: cost %zu is not finite", q);
    const int K = LAP_SPARSE_K + 1;
    size_t nn = (size_t)n;
    int *y = malloc(nn * sizeof *y), *free_rows = malloc(nn * sizeof *free_rows), *pred = malloc(nn * sizeof *pred);
    int *cols = malloc(nn * sizeof *cols), *adj = malloc(nn * (size_t)K * sizeof *adj), *deg = malloc(nn * sizeof *deg);
    int *scanned = malloc(nn * sizeof *scanned);
    double *v = malloc(nn * sizeof *v), *d = malloc(2 * nn * sizeof *d);
    char *unique = malloc(nn), *done = calloc(nn, 1);
    hnode *heap = malloc((nn * (size_t)K + 1) * sizeof *heap);
    int rc = BB_OK;
    if (!y || !free_rows || !pred || !cols || !adj || !deg || !scanned || !v || !d || !unique || !done || !heap) {
        rc = BB_ERR(ctx, BB_ENOMEM, "assignment: out of memory for n = %d", n);
        goto out;
    }
    int nfree = bb_lap_init(n, C, free_rows, x, y, v, unique);
    /* candidate graph (rows independent: parallel, same result on any thread count) */
#pragma omp parallel
    {
        double *r = malloc(nn * sizeof *r), *val = malloc((size_t)K * sizeof *val);
        int *idx = malloc((size_t)K * sizeof *idx);
#pragma omp for schedule(static)
        for (int i = 0; i < n; i++) {
            const double *ci = C + (size_t)i * nn;
            int *ai = adj + (size_t)i * K;
            if (!r || !val || !idx) {
                deg[i] = 0;
                continue;
            }
            for (int j = 0; j < n; j++) r[j] = ci[j] - v[j];
            k_smallest(n, r, K - 1, idx, val, ai);
            int m = K - 1 < n ? K - 1 : n, has = x[i] < 0;
            for (int t = 0; t < m && !has; t++) has = ai[t] == x[i];
            if (!has) ai[m++] = x[i];
            deg[i] = m;
        }
        free(r);
        free(val);
        free(idx);
    }
    for (int i = 0; i < n; i++) d[i] = INFINITY;
    /* sparse shortest augmenting paths */
    int still = 0;
    for (int f = 0; f < nfree; f++) {
        int s = free_rows[f], hn = 0, ns = 0, sink = -1;
        const double *cs = C + (size_t)s * nn;
        for (int t = 0; t < deg[s]; t++) {
            int j = adj[(size_t)s * K + t];
            double r = cs[j] - v[j];
            if (r < d[j]) {
                d[j] = r;
                pred[j] = s;
                heap_push(heap, &hn, r, j);
            }
        }
        while (hn > 0) {
            hnode top = heap_pop(heap, &hn);
            int j = top.j;
            if (done[j] || top.d > d[j]) continue;
            done[j] = 1;
            scanned[ns++] = j;
            if (y[j] < 0) {
                sink = j;
                break;
            }
            int i = y[j];
            const double *ci = C + (size_t)i * nn;
            double h = ci[j] - v[j] - d[j];
            for (int t = 0; t < deg[i]; t++) {
                int k = adj[(size_t)i * K + t];
                if (done[k]) continue;
                double nd = ci[k] - v[k] - h;
                if (nd < d[k]) {
                    d[k] = nd;
                    pred[k] = i;
                    heap_push(heap, &hn, nd, k);
                }
            }
        }
        if (sink >= 0) {
            double delta = d[sink];
            for (int t = 0; t < ns; t++) v[scanned[t]] += d[scanned[t]] - delta;
            int j = sink, i = -1;
            while (i != s) {
                i = pred[j];
                y[j] = i;
                int tmp = x[i];
                x[i] = j;
                j = tmp;
            }
        } else {
            free_rows[still++] = s; /* its component had no free column: dense phase */
        }
        /* reset every column touched (scanned or only labelled) */
        for (int t = 0; t < ns; t++) done[scanned[t]] = 0;
        for (int t = 0; t < ns; t++) d[scanned[t]] = INFINITY;
        for (int t = 0; t < hn; t++) d[heap[t].j] = INFINITY;
        /* labelled-but-popped-stale entries were in the heap and are reset above;
         * entries popped and skipped as stale had d reset via their scanned twin */
        for (int t = 0; t < deg[s]; t++) d[adj[(size_t)s * K + t]] = INFINITY;
    }
    /* certificate on the full matrix: unassign rows that are not dual feasible */
    int nviol = 0;
#pragma omp parallel for schedule(static) reduction(+ : nviol)
    for (int i = 0; i < n; i++) {
        if (x[i] < 0) continue;
        const double *ci = C + (size_t)i * nn;
        double ui = ci[x[i]] - v[x[i]], mn = INFINITY;
        for (int j = 0; j < n; j++) {
            double r = ci[j] - v[j];
            mn = r < mn ? r : mn;
        }
        if (mn < ui) {
            pred[i] = -2; /* mark; collected serially below for a fixed order */
            nviol++;
        } else {
            pred[i] = 0;
        }
    }
    for (int i = 0; i < n && nviol; i++)
        if (x[i] >= 0 && pred[i] == -2) {
            y[x[i]] = -1;
            x[i] = -1;
            free_rows[still++] = i;
        }
    if (still > 0) bb_lap_augment(n, C, still, free_rows, x, y, v, pred, cols, d);
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += C[(size_t)i * nn + (size_t)x[i]];
    *cost = sum;
out:
    free(y);
    free(free_rows);
    free(pred);
    free(cols);
    free(adj);
    free(deg);
    free(scanned);
    free(v);
    free(d);
    free(unique);
    free(done);
    free(heap);
    return rc;
}
