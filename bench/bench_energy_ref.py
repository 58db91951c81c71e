#!/usr/bin/python3
"""bench_energy_ref.py — what a user would run instead of boltzbench for LJ energy + forces.

Optional companion of bench_energy.c (not part of the product, not run by the build):
the numpy, torch-analytic and torch-autograd rows of ../shared/reference/baselines.md,
measured on the same machine so they can be set beside bench_energy's numbers.
E = sum_{i<j} 4 (r^-12 - r^-6), float64, batch 1024, P = 13 and 55, 1 thread each.
Writes JSON to --out FILE.json (default bench_energy_ref.json), like every bench. Needs
Debian's python3-numpy;
python3-torch rows are skipped (with a note) when torch is missing.
"""
import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

MIN_SECONDS = 0.3


def rate(fn, n):
    best = 0.0
    for _ in range(3):
        reps, t0 = 0, time.perf_counter()
        while True:
            fn()
            reps += 1
            el = time.perf_counter() - t0
            if el >= MIN_SECONDS:
                break
        best = max(best, reps * n / el)
    return best


def lj_numpy(x):  # x: (N, P, 3) -> energies (N,), gradient dE/dx (N, P, 3)
    p = x.shape[1]
    eye = np.eye(p)
    d = x[:, :, None, :] - x[:, None, :, :]
    s = (1.0 / ((d * d).sum(-1) + eye)) * (1.0 - eye)  # 1/r², 0 on the diagonal
    s3 = s * s * s
    e = 2.0 * (s3 * s3 - s3).sum((1, 2))  # 4 Σ_{i<j} = 2 Σ_{i≠j}
    g = (((24.0 * s3 - 48.0 * s3 * s3) * s)[..., None] * d).sum(2)
    return e, g


def lj_loop(xi):  # one configuration, the straightforward double loop (self-check)
    e, p = 0.0, len(xi)
    for i in range(p):
        for j in range(i + 1, p):
            r2 = float(((xi[i] - xi[j]) ** 2).sum())
            e += 4.0 * (r2**-6 - r2**-3)
    return e


def main():
    ap = argparse.ArgumentParser(description="numpy/torch LJ energy+forces rows beside bench_energy")
    ap.add_argument("--out", default="bench_energy_ref.json", help="JSON output (FILE.json)")
    out = ap.parse_args().out
    rng = np.random.default_rng(2385)
    res = {"schema": "boltzbench.bench_energy_ref/1", "results": [], "notes": []}
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        res["notes"].append("python3-torch not installed: torch rows skipped")
    for p in (13, 55):
        n = 1024
        x = rng.normal(size=(n, p, 3)) * (0.6 if p == 13 else 1.03)
        x *= max(1.0, 0.8 / min(np.sqrt(((xi[:, None] - xi[None]) ** 2).sum(-1)[np.triu_indices(p, 1)]).min() for xi in x))
        e_np, _ = lj_numpy(x)
        worst = max(abs(e_np[i] - lj_loop(x[i])) / max(1.0, abs(e_np[i])) for i in range(4))
        assert worst < 1e-12, f"numpy LJ energy disagrees with the double loop: {worst:.2e}"
        r = rate(lambda: lj_numpy(x), n)
        res["results"].append({"impl": "numpy", "n_particles": p, "batch": n, "conf_per_s": r})
        print(f"numpy          P={p:<3} batch {n}: {r:12.0f} conf/s")
        if torch is None:
            continue
        xt = torch.tensor(x, dtype=torch.float64)

        def torch_analytic():
            d = xt[:, :, None, :] - xt[:, None, :, :]
            r2 = (d * d).sum(-1) + torch.eye(p, dtype=torch.float64)
            s = (1.0 / r2) * (1.0 - torch.eye(p, dtype=torch.float64))
            s3 = s * s * s
            e = 2.0 * (s3 * s3 - s3).sum((1, 2))
            g = (((24.0 * s3 - 48.0 * s3 * s3) * s)[..., None] * d).sum(2)
            return e, g

        def torch_autograd():
            xa = xt.clone().requires_grad_(True)
            d = xa[:, :, None, :] - xa[:, None, :, :]
            r2 = (d * d).sum(-1) + torch.eye(p, dtype=torch.float64)
            s = (1.0 / r2) * (1.0 - torch.eye(p, dtype=torch.float64))
            s3 = s * s * s
            e = 2.0 * (s3 * s3 - s3).sum((1, 2))
            (g,) = torch.autograd.grad(e.sum(), xa)
            return e, g

        e_a, g_a = torch_analytic()
        e_g, g_g = torch_autograd()
        assert float((g_a - g_g).abs().max() / g_g.abs().max()) < 1e-12, "torch analytic vs autograd gradient"
        assert float((e_a - torch.tensor(e_np)).abs().max()) < 1e-9, "torch vs numpy energy"
        for name, fn in (("torch-analytic", torch_analytic), ("torch-autograd", torch_autograd)):
            r = rate(fn, n)
            res["results"].append({"impl": name, "n_particles": p, "batch": n, "conf_per_s": r})
            print(f"{name:<14} P={p:<3} batch {n}: {r:12.0f} conf/s")
    tmp = out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(res, fh, indent=1)
    os.replace(tmp, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
