/* lap.c — exact dense linear assignment (Jonker–Volgenant, 1987).
 *
 * Solves min_σ Σ_i C[i][σ(i)] over permutations σ of {0..n−1} for a dense n × n
 * cost matrix of doubles. The algorithm is LAPJV: column reduction with reduction
 * transfer, then shortest augmenting paths
 * (a Dijkstra variant on reduced costs with column potentials v) for the rows still
 * free (JV's augmenting row reduction is kept in the file but disabled, see
 * LAP_ARR_PASSES). Worst case O(n³); on the random dense problems of the metrics (n = 2000) it
 * is a fraction of a second. The structure follows the public-domain-style C
 * implementation in the `lap` Python package (Tomas Kazmar, BSD-2), rewritten here.
 *
 * It is exact (no ε-scaling, no entropic smoothing) for finite costs; it is not a
 * solver for rectangular or sparse problems: callers subsample to equal sizes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

#define LAP_ARR_PASSES 0

/* Column reduction and reduction transfer. Returns the number of free rows. */
static int ccrrt(int n, const double *C, int *free_rows, int *x, int *y, double *v, char *unique) {
    if (n <= 0) return 0;
    for (int j = 0; j < n; j++) {
        v[j] = INFINITY;
        y[j] = 0;
    }
    for (int i = 0; i < n; i++) {
        x[i] = -1;
        const double *ci = C + (size_t)i * n;
        for (int j = 0; j < n; j++)
            if (ci[j] < v[j]) {
                v[j] = ci[j];
                y[j] = i;
            }
    }
    memset(unique, 1, (size_t)n);
    for (int j = n - 1; j >= 0; j--) {
        int i = y[j];
        if (x[i] < 0) {
            x[i] = j;
        } else {
            unique[i] = 0;
            y[j] = -1;
        }
    }
    int nfree = 0;
    for (int i = 0; i < n; i++) {
        if (x[i] < 0) {
            free_rows[nfree++] = i;
        } else if (unique[i]) {
            int j = x[i];
            double mn = INFINITY;
            const double *ci = C + (size_t)i * n;
            for (int j2 = 0; j2 < n; j2++) {
                if (j2 == j) continue;
                double c = ci[j2] - v[j2];
                if (c < mn) mn = c;
            }
            if (n > 1) v[j] -= mn;
        }
    }
    return nfree;
}

/* Augmenting row reduction. Returns the new number of free rows. */
static int carr(int n, const double *C, int nfree, int *free_rows, int *x, int *y, double *v) {
    int current = 0, new_free = 0;
    size_t rr_cnt = 0;
    while (current < nfree) {
        rr_cnt++;
        int fi = free_rows[current++];
        const double *ci = C + (size_t)fi * n;
        int j1 = 0, j2 = -1;
        double v1 = ci[0] - v[0], v2 = INFINITY;
        for (int j = 1; j < n; j++) {
            double c = ci[j] - v[j];
            if (c < v2) {
                if (c >= v1) {
                    v2 = c;
                    j2 = j;
                } else {
                    v2 = v1;
                    v1 = c;
                    j2 = j1;
                    j1 = j;
                }
            }
        }
        int i0 = y[j1];
        double v1_new = v[j1] - (v2 - v1);
        int lowers = v1_new < v[j1];
        if (rr_cnt < (size_t)current * (size_t)n) {
            if (lowers) {
                v[j1] = v1_new;
            } else if (i0 >= 0 && j2 >= 0) {
                j1 = j2;
                i0 = y[j2];
            }
            if (i0 >= 0) {
                if (lowers)
                    free_rows[--current] = i0;
                else
                    free_rows[new_free++] = i0;
            }
        } else if (i0 >= 0) {
            free_rows[new_free++] = i0;
        }
        x[fi] = j1;
        y[j1] = fi;
    }
    return new_free;
}

/* The shortest-path search keeps the columns in an order array cols[] (READY |
 * SCAN | TODO, JV's partition) and stores each column's distance dp[k] and potential
 * vp[k] by POSITION k, swapped together with cols[], so the hot loop reads them
 * contiguously and gathers only the cost row (1 gather instead of 3). */

static inline void swap_pos(int a, int b, int *cols, double *dp, double *vp) {
    int c = cols[a];
    cols[a] = cols[b];
    cols[b] = c;
    double t = dp[a];
    dp[a] = dp[b];
    dp[b] = t;
    t = vp[a];
    vp[a] = vp[b];
    vp[b] = t;
}

/* Move the positions with minimal dp (from lo on) to [lo, hi); returns hi. */
static int find_min(int n, int lo, int *cols, double *dp, double *vp) {
    int hi = lo + 1;
    double mind = dp[lo];
    for (int k = hi; k < n; k++) {
        if (dp[k] <= mind) {
            if (dp[k] < mind) {
                hi = lo;
                mind = dp[k];
            }
            swap_pos(k, hi, cols, dp, vp);
            hi++;
        }
    }
    return hi;
}

/* Scan the SCAN positions [lo, hi) and relax the TODO positions [hi, n). Returns a
 * free column reached at the current minimal distance, or −1. */
static int scan(int n, const double *C, int *plo, int *phi, int *cols, double *dp, double *vp, int *pred,
                const int *y) {
    int lo = *plo, hi = *phi;
    while (lo != hi) {
        int pj = lo++;
        int j = cols[pj], i = y[j];
        double mind = dp[pj];
        const double *ci = C + (size_t)i * n;
        double h = ci[j] - vp[pj] - mind;
        for (int k = hi; k < n; k++) {
            double cred = ci[cols[k]] - vp[k] - h;
            if (cred < dp[k]) {
                dp[k] = cred;
                pred[cols[k]] = i;
                if (cred == mind) {
                    if (y[cols[k]] < 0) return cols[k];
                    swap_pos(k, hi, cols, dp, vp);
                    hi++;
                }
            }
        }
    }
    *plo = lo;
    *phi = hi;
    return -1;
}

/* Shortest augmenting path from free row start_i; updates v; returns the free
 * column reached (pred[] holds the path). cols, dp, vp: n-element scratch. */
static int find_path(int n, const double *C, int start_i, const int *y, double *v, int *pred, int *cols, double *dp,
                     double *vp) {
    int lo = 0, hi = 0, final_j = -1, n_ready = 0;
    const double *ci = C + (size_t)start_i * n;
    for (int j = 0; j < n; j++) {
        cols[j] = j;
        pred[j] = start_i;
        dp[j] = ci[j] - v[j];
        vp[j] = v[j];
    }
    while (final_j == -1) {
        if (lo == hi) {
            n_ready = lo;
            hi = find_min(n, lo, cols, dp, vp);
            for (int k = lo; k < hi; k++)
                if (y[cols[k]] < 0) final_j = cols[k];
        }
        if (final_j == -1) final_j = scan(n, C, &lo, &hi, cols, dp, vp, pred, y);
    }
    double mind = dp[lo];
    for (int k = 0; k < n_ready; k++) v[cols[k]] += dp[k] - mind;
    return final_j;
}

int bb_lap_init(int n, const double *C, int *free_rows, int *x, int *y, double *v, char *unique) {
    if (n <= 0) return 0;
    int nfree = ccrrt(n, C, free_rows, x, y, v, unique);
    /* Augmenting row reduction is skipped (LAP_ARR_PASSES = 0): on the dense metric
     * problems it cost more than it saved (2-D, n = 1500: 3.1 s with two passes,
     * 0.5 s without; 39-D: no gain). The optimum does not depend on it. */
    for (int pass = 0; pass < LAP_ARR_PASSES && nfree > 0; pass++) nfree = carr(n, C, nfree, free_rows, x, y, v);
    return nfree;
}

void bb_lap_augment(int n, const double *C, int nfree, const int *free_rows, int *x, int *y, double *v, int *pred,
                    int *cols, double *d) {
    /* d holds 2n doubles: distances and potentials by position */
    for (int f = 0; f < nfree; f++) {
        int start = free_rows[f];
        int j = find_path(n, C, start, y, v, pred, cols, d, d + n), i = -1;
        while (i != start) {
            i = pred[j];
            y[j] = i;
            int t = x[i];
            x[i] = j;
            j = t;
        }
    }
}

int bb_lap_solve_ws(int n, const double *C, int *x, double *cost, void *ws) {
    if (n <= 0) {
        *cost = 0.0;
        return BB_OK;
    }
    int *free_rows = ws, *y = free_rows + n, *pred = y + n, *cols = pred + n;
    double *v = (double *)(void *)(cols + n), *d = v + n; /* 16n bytes in: aligned; d has 2n */
    char *unique = (char *)(d + 2 * n);
    int nfree = bb_lap_init(n, C, free_rows, x, y, v, unique);
    bb_lap_augment(n, C, nfree, free_rows, x, y, v, pred, cols, d);
    double s = 0.0;
    for (int i = 0; i < n; i++) s += C[(size_t)i * n + x[i]];
    *cost = s;
    return BB_OK;
}

size_t bb_lap_ws_size(int n) {
    size_t m = n > 0 ? (size_t)n : 1;
    return 4 * m * sizeof(int) + 3 * m * sizeof(double) + m;
}

int bb_lap_solve(int n, const double *C, int *x, double *cost, bb_ctx *ctx) {
    if (n < 0) return BB_ERR(ctx, BB_EINVAL, "assignment: negative size %d", n);
    for (size_t k = 0; k < (size_t)n * (size_t)n; k++)
        if (!isfinite(C[k])) return BB_ERR(ctx, BB_ENAN, "assignment: cost %zu is not finite", k);
    void *ws = malloc(bb_lap_ws_size(n));
    if (!ws) return BB_ERR(ctx, BB_ENOMEM, "assignment: out of memory for n = %d", n);
    int rc = bb_lap_solve_ws(n, C, x, cost, ws);
    free(ws);
    return rc;
}
