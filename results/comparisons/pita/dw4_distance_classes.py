#!/usr/bin/python3
"""dw4_distance_classes.py — how DW-4 configurations split by the number of their 6 pair distances
in the short well (d < 4, the barrier of the double well d0 = 4), for the reference set and for
PITA's saved final samples (methods/pita/README.md, "DW-4"). Analysis only (numpy), not part of
boltzbench.   /usr/bin/python3 results/comparisons/pita/dw4_distance_classes.py"""
import glob
import gzip
import io
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def pair_distances(x):
    x = x.reshape(-1, 4, 2)
    i, j = np.triu_indices(4, 1)
    return np.linalg.norm(x[:, i] - x[:, j], axis=-1)


def row(name, x):
    d = pair_distances(x)
    short = d < 4.0
    classes = np.bincount(short.sum(1), minlength=7) / len(d)
    print(f"{name:40s} short-pair classes 0..6: {' '.join(f'{c:.3f}' for c in classes)}  "
          f"mean short {d[short].mean():.3f}  mean long {d[~short].mean():.3f}")


with gzip.open(os.path.join(here, "../../../datasets/reference/dw4-idem-test.npy.gz")) as f:
    row("reference (dw4-idem-test)", np.load(io.BytesIO(f.read())))
for path in sorted(glob.glob(os.path.join(here, "dw4-training/*.npy"))):
    row(os.path.basename(path)[:-4], np.load(path))
