#!/usr/bin/python3
"""bench_train_torch.py -- the PyTorch side of bench/bench_train.c: one training iteration
of PIS and of iDEM written the usual PyTorch way, on the weights and settings the C side
exported (never part of the product).

  python3 bench_train_torch.py --init PREFIX --steps N [--check] --threads 1,2 --out r.json

PREFIX.json describes the case (method, task, settings, the parameters' names, offsets and
shapes as boltzbench stores them: Linear weights [in, out], y = x W + b); PREFIX.w.f64 holds
the initial weights. --check first recomputes, in float64 with the exported inputs, the
number the C side reported for its first iteration:
  PIS:  the batch-mean path-space KL of the first batch (PREFIX.noise.f64: the Brownian
        increments of the C side's first iteration), i.e. the control, the ∇U terms, the
        Euler-Maruyama path and the terminal terms;
  iDEM: the regression loss of the C side's first step on its noised rows, times and
        Monte-Carlo targets (PREFIX.y.f64, .t.f64, .target.f64): the EGNN and the loss.
(The iDEM targets themselves are checked against PyTorch by bench_nn cases i and j.)
Then it times N iterations (after one warm-up) in float32, as the authors run, for each
torch thread count given; OPENBLAS_NUM_THREADS is set by the caller.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_nn_torch import EGNN  # noqa: E402  (the DEM EGNN of bench_nn's paper cases)


def raw(prefix, sfx, n=None):
    with open(f"{prefix}.{sfx}", "rb") as f:
        v = torch.frombuffer(bytearray(f.read()), dtype=torch.float64).clone()
    assert n is None or v.numel() == n, f"{prefix}.{sfx}: {v.numel()} values, expected {n}"
    return v


def load_params(spec, prefix, dtype):
    """{name: leaf tensor} in boltzbench's layout."""
    w = raw(prefix, "w.f64")
    out = {}
    for p in spec["params"]:
        n = math.prod(p["shape"])
        out[p["name"]] = w[p["off"]:p["off"] + n].reshape(p["shape"]).to(dtype).requires_grad_(True)
    return out


# ---------------------------------------------------------------- energies (tasks/, reduced units)

def energy(spec, x, consts):
    """u(x) for x [n, dof]: gmm40 (tasks/gmm.c), dw4 (dw.c), lj13 (lj.c), by broadcast
    differences over all ordered pairs (as iDEM's interatomic_distance)."""
    task, P, D = spec["task"], spec["P"], spec["D"]
    if task == "gmm40":
        mu, s = consts["means"].to(x.dtype), consts["gmm_std"]
        d2 = ((x[:, None, :] - mu[None]) ** 2).sum(-1)
        return -torch.logsumexp(-0.5 * d2 / (s * s), -1) + math.log(40.0) + math.log(2 * math.pi * s * s)
    x3 = x.reshape(-1, P, D)
    eye = torch.eye(P, dtype=x.dtype)
    diff = x3[:, :, None, :] - x3[:, None, :, :]
    r2 = (diff * diff).sum(-1) + eye  # the diagonal kept away from 0, masked below
    off = 1.0 - eye
    if task == "dw4":  # ∇ of a coincident pair is 0, as tasks/dw.c (PIS starts at x = 0)
        pos = r2 > 0
        s = torch.where(pos, torch.sqrt(torch.where(pos, r2, torch.ones_like(r2))), torch.zeros_like(r2)) - 4.0
        return 0.5 * ((0.9 * s ** 4 - 4.0 * s ** 2) * off).sum((1, 2))
    inv6 = 1.0 / (r2 * r2 * r2)
    xc = x3 - x3.mean(1, keepdim=True)
    return ((inv6 * inv6 - 2.0 * inv6) * off).sum((1, 2)) + 0.5 * (xc * xc).sum((1, 2))


def energy_grad(spec, x, consts):
    """u and ∇u at x (no tape kept: a constant of the training graph)."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        u = energy(spec, xg, consts)
        g = torch.autograd.grad(u.sum(), xg)[0]
    return u.detach(), g


# ---------------------------------------------------------------- PIS (methods/pis, train.c backprop)

def fourier(W, name, t, C):
    coeff = torch.linspace(0.1, 100, C, dtype=t.dtype)[None]
    a = t * coeff + W[name + ".timestep_phase"]
    return torch.cat([torch.sin(a), torch.cos(a)], -1)


def lin(W, name, x):
    return x @ W[name + ".weight"] + W[name + ".bias"].reshape(-1)


def pis_control(W, spec, t, x, grad):
    C, L, gelu = spec["channels"], spec["layers"], torch.nn.functional.gelu
    emb = lin(W, "pis.timestep_embed.2", gelu(lin(W, "pis.timestep_embed.0", fourier(W, "pis", t, C))))
    h = gelu(lin(W, "pis.input_embed", x) + emb)
    for l in range(L):
        h = gelu(lin(W, f"pis.layers.{l}", h))
    u = lin(W, "pis.layers.out", h)
    # NN2(t): TimeConder(channels, 1, coef_layers)
    c = lin(W, "pis.lgv_coef.layers.0", fourier(W, "pis.lgv_coef", t, C))
    for l in range(spec["coef_layers"] - 1):
        c = lin(W, f"pis.lgv_coef.layers.{l + 1}.1", gelu(c))
    c = lin(W, f"pis.lgv_coef.layers.{spec['coef_layers'] + 1}", gelu(c))
    return u - c * grad


def pis_loss(W, spec, consts, noise):
    """Batch-mean path-space KL (not divided by the dimension) and the training loss."""
    B, dof, n = spec["batch"], spec["dof"], spec["n_steps"]
    sigma, T = spec["sigma"], spec["t_end"]
    dt = T / n
    dtype = noise.dtype
    x = torch.zeros(B, dof, dtype=dtype)
    cost = torch.zeros(B, dtype=dtype)
    for k in range(n):
        u_e, g = energy_grad(spec, x, consts)  # ∇U at every step, as the authors' no_grad score
        g = torch.where(torch.isfinite(u_e)[:, None], g.clamp(-spec["lgv_clip"], spec["lgv_clip"]),
                        torch.zeros_like(g))
        u = pis_control(W, spec, torch.full((1, 1), k * dt, dtype=dtype), x, g)
        cost = cost + (u * u).sum(-1)
        x = x + sigma * dt * u + sigma * math.sqrt(dt) * noise[k]
    v = sigma * sigma * T
    log_n = -0.5 * (x * x).sum(-1) / v - 0.5 * dof * math.log(2 * math.pi * v)
    per = 0.5 * dt * cost + energy(spec, x, consts) + log_n
    return per.mean(), per.mean() / dof


def run_pis(spec, prefix, args, res):
    consts = {}
    if spec["task"] == "gmm40":
        consts = {"means": raw(prefix, "means.f64", 80).reshape(40, 2), "gmm_std": spec["gmm_std"]}
    B, dof, n = spec["batch"], spec["dof"], spec["n_steps"]
    if args.check:
        W = load_params(spec, prefix, torch.float64)
        noise = raw(prefix, "noise.f64", n * B * dof).reshape(n, B, dof)
        res["check_loss"] = pis_loss(W, spec, consts, noise)[0].item()
    W = load_params(spec, prefix, torch.float32)
    opt = torch.optim.Adam(list(W.values()), lr=spec["lr"], weight_decay=spec["weight_decay"])

    def step():
        opt.zero_grad()
        _, loss = pis_loss(W, spec, consts, torch.randn(n, B, dof))
        loss.backward()
        opt.step()
    return step


# ---------------------------------------------------------------- iDEM (methods/idem, train.c)

def idem_net(spec, prefix, dtype):
    net = EGNN(spec["P"], spec["D"], spec["H"], spec["L"], spec["T"], True, False, attention=True,
               coord_range=15.0, coord_sum=True, edge_attr=True)
    W = load_params(spec, prefix, torch.float64)
    mods = {"egnn.embed": net.embed}
    names = {"edge1": "e1", "edge2": "e2", "coord1": "x1", "coord2": "x2", "node1": "n1", "node2": "n2", "att": "att"}
    for l, L in enumerate(net.layers):
        for a, b in names.items():
            mods[f"egnn.{l}.{a}"] = getattr(L, b)
    with torch.no_grad():
        for name, v in W.items():
            mod, kind = name.rsplit(".", 1)
            if kind == "weight":
                mods[mod].weight.copy_(v.T)
            else:
                mods[mod].bias.copy_(v.reshape(-1))
    assert len(W) == len(list(net.parameters())), "parameter count differs from the C side"
    return net.to(dtype)


def sigma2(spec, t):
    """σ²(t) of the geometric VE schedule, σmin² (r^(2t) − 1), r = σmax/σmin."""
    smin, smax = spec["sigma_min"], spec["sigma_max"]
    return smin * smin * ((smax / smin) ** (2 * t) - 1.0)


def idem_targets(spec, y, t, consts, chunk):
    """S_K(y, t) = Σ_k softmax(−u_k) (−∇u_k), y_k = y + σ(t) z_k; per-particle norm clip."""
    B, dof, K, P, D = y.shape[0], spec["dof"], spec["K"], spec["P"], spec["D"]
    out = []
    for r0 in range(0, B, chunk):
        yr, tr = y[r0:r0 + chunk], t[r0:r0 + chunk]
        m = yr.shape[0]
        sd = torch.sqrt(sigma2(spec, tr))[:, None, None]
        xs = (yr[:, None, :] + sd * torch.randn(m, K, dof)).reshape(m * K, dof)
        u, g = energy_grad(spec, xs, consts)
        u = u.reshape(m, K)
        ok = torch.isfinite(u)
        w = torch.softmax(torch.where(ok, -u, torch.full_like(u, -math.inf)), 1)
        g = torch.where(ok.reshape(-1, 1), g, torch.zeros_like(g)).reshape(m, K, dof)
        s = -(w[..., None] * g).sum(1)
        s = torch.nan_to_num(s)
        sp = s.reshape(m, P, D)
        nrm = torch.linalg.vector_norm(sp, dim=-1, keepdim=True)
        out.append((sp * torch.clamp(spec["max_score_norm"] / (nrm + 1e-6), max=1.0)).reshape(m, dof))
    return torch.cat(out)


def run_idem(spec, prefix, args, res):
    B, dof, P, D = spec["batch"], spec["dof"], spec["P"], spec["D"]
    if args.check:
        net = idem_net(spec, prefix, torch.float64)
        y = raw(prefix, "y.f64", B * dof).reshape(B, dof)
        t = raw(prefix, "t.f64", B).reshape(B, 1)
        tg = raw(prefix, "target.f64", B * dof).reshape(B, dof)
        res["check_loss"] = ((net(y, t) - tg) ** 2).mean().item()
    net = idem_net(spec, prefix, torch.float32)
    opt = torch.optim.Adam(net.parameters(), lr=spec["lr"])
    # the replay buffer holds prior samples N(0, σ²(1) I), centre of mass removed
    buf = torch.randn(spec["n_init"], P, D, dtype=torch.float32) * math.sqrt(sigma2(spec, 1.0))
    buf = (buf - buf.mean(1, keepdim=True)).reshape(-1, dof)
    # targets in chunks of 8192 draws (8 points at K = 1000): the fastest measured; 32 points
    # at once ran 6x slower on LJ-13 (the [n, P, P, D] temporaries fall out of cache)
    chunk = max(1, 8192 // spec["K"])

    def step():
        y = buf[torch.randint(0, buf.shape[0], (B,))]
        t = torch.rand(B)
        z = torch.randn(B, P, D)
        z = (z - z.mean(1, keepdim=True)).reshape(B, dof)
        yt = y + torch.sqrt(sigma2(spec, t))[:, None] * z
        tg = idem_targets(spec, yt, t, {}, chunk)
        opt.zero_grad()
        loss = ((net(yt, t[:, None]) - tg) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), spec["max_grad_norm"])
        opt.step()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    with open(args.init + ".json") as f:
        spec = json.load(f)
    res = {"torch": torch.__version__, "method": spec["method"], "task": spec["task"], "steps": args.steps,
           "dtype": "float32", "rates": {}, "cpu_s_per_step": {}}
    torch.set_default_dtype(torch.float64)
    step = (run_pis if spec["method"] == "pis" else run_idem)(spec, args.init, args, res)
    torch.set_default_dtype(torch.float32)
    for th in [int(v) for v in args.threads.split(",")]:
        torch.set_num_threads(th)
        step()  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            step()
        sec, cpu = time.perf_counter() - t0, time.process_time() - c0
        res["rates"][str(th)] = args.steps / sec
        res["cpu_s_per_step"][str(th)] = cpu / args.steps
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with open(args.out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    sys.exit(main())
