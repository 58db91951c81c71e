"""Independent numpy/scipy/POT computation of the paper-comparable metrics, for
tests/metrics/test_paper_metrics.c. Usage: paper_metrics_ref.py DIR P D; DIR holds
xs.npy, xr.npy (configurations, N x P*D), ys.npy, yr.npy (second pair, for the DEM
alignment) and us.npy, ur.npy (energies). Prints one "name value" line per metric.

eq_x_w2: all P! permutations, each with the optimal orthogonal map (reflections allowed:
the residual is |x|^2 + |y|^2 - 2 * sum of the singular values of y^T x).
eq_x_w2_demalign / eq_x_w1_demalign: the DEM evaluator's procedure (scipy
linear_sum_assignment on cdist of the centred clouds, Kabsch R = V U^T without det fix,
superimposed = y[perm] @ R), then ot.emd2 on the squared / unsquared cost.
"""
import itertools
import sys

import numpy as np
import ot
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist


def centred(x, P, D):
    x = x.reshape(len(x), P, D)
    return x - x.mean(axis=1, keepdims=True)


def eq_cost(a, b):
    best = np.inf
    for perm in itertools.permutations(range(len(a))):
        bp = b[list(perm)]
        s = np.linalg.svd(bp.T @ a, compute_uv=False).sum()
        best = min(best, (a * a).sum() + (bp * bp).sum() - 2.0 * s)
    return max(best, 0.0)


def dem_cost(a, b):
    _, col = linear_sum_assignment(cdist(a, b))
    bp = b[col]
    H = (a - a.mean(0)).T @ (bp - bp.mean(0))
    U, S, Vt = np.linalg.svd(H)
    R = Vt.T @ U.T
    sup = bp @ R
    return ((a - sup) ** 2).sum()


def main():
    d, P, D = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    xs, xr = centred(np.load(d + "/xs.npy"), P, D), centred(np.load(d + "/xr.npy"), P, D)
    ys, yr = np.load(d + "/ys.npy"), np.load(d + "/yr.npy")
    us, ur = np.load(d + "/us.npy"), np.load(d + "/ur.npy")
    n = len(xs)
    u = np.full(n, 1.0 / n)
    M = np.array([[eq_cost(a, b) for b in xr] for a in xs])
    print("eq_x_w2", repr(float(np.sqrt(ot.emd2(u, u, M, numItermax=10**7)))))
    Xs, Xr = xs.reshape(n, -1), xr.reshape(n, -1)
    print("x_w1", repr(float(ot.emd2(u, u, ot.dist(Xs, Xr, metric="euclidean"), numItermax=10**7))))
    Mab = ot.dist(Xs, Xr)
    eps = 0.05 * Mab.max()

    def sk(A, B):
        return float(ot.sinkhorn2(u, u, ot.dist(A, B), eps, numItermax=1000, stopThr=1e-9))

    print("sinkhorn_divergence", repr(sk(Xs, Xr) - 0.5 * sk(Xs, Xs) - 0.5 * sk(Xr, Xr)))
    print("energy_w2_squared", repr(float(ot.emd2_1d(us, ur, metric="sqeuclidean"))))
    ds = np.concatenate([[np.linalg.norm(c[i] - c[j]) for i in range(P) for j in range(i + 1, P)] for c in xs])
    dr = np.concatenate([[np.linalg.norm(c[i] - c[j]) for i in range(P) for j in range(i + 1, P)] for c in xr])
    print("dist_w2_squared", repr(float(ot.emd2_1d(ds, dr, metric="sqeuclidean"))))
    # the DEM alignment on the second pair (13 particles in 3-D)
    m = len(ys)
    ys, yr = centred(ys, 13, 3), centred(yr, 13, 3)
    v = np.full(m, 1.0 / m)
    Mq = np.array([[dem_cost(a, b) for b in yr] for a in ys])
    print("eq_x_w2_demalign", repr(float(np.sqrt(ot.emd2(v, v, Mq, numItermax=10**7)))))
    print("eq_x_w1_demalign", repr(float(ot.emd2(v, v, np.sqrt(Mq), numItermax=10**7))))


if __name__ == "__main__":
    main()
