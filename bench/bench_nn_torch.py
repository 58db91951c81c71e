#!/usr/bin/python3
"""bench_nn_torch.py -- the PyTorch side of bench_nn and of the nn cross-check test.

The same models as methods/nn (EGNN of Satorras et al. with the first edge layer on the
concatenation [h_i, h_j, |x_i-x_j|^2, t] as in their code, the PIS Fourier MLP, a plain
MLP), written the usual PyTorch way, in two modes:

  bench:      python3 bench_nn_torch.py bench --case a|b|c --steps N --out r.json
              times training steps (forward + backward + Adam) like bench/bench_nn.c.
              Thread settings are chosen by the caller through the environment
              (OPENBLAS_NUM_THREADS) and --torch-threads.
  crosscheck: python3 bench_nn_torch.py crosscheck --in w.json --out r.json [--in ... --out ...]
              loads weights and inputs exported by tests/nn/test_nn_torch.c, returns the
              outputs and the gradients w.r.t. inputs and weights (float64); several
              pairs in one call share one torch import.

Linear weights are exchanged as boltzbench stores them, [in, out] = PyTorch's weight
transposed. This is an optional cross-check tool, never part of the product.
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sin_embed(t, dim, max_period=10000.0):
    half = dim // 2
    k = torch.arange(half, dtype=t.dtype)
    w = torch.exp(-math.log(max_period) * k / half)[None, :]
    a = t * w
    return torch.cat([torch.sin(a), torch.cos(a)], -1)


class EGNNLayer(nn.Module):
    def __init__(self, H, T):
        super().__init__()
        self.e1 = nn.Linear(2 * H + 1 + T, H)
        self.e2 = nn.Linear(H, H)
        self.x1 = nn.Linear(H, H)
        self.x2 = nn.Linear(H, 1, bias=False)
        nn.init.xavier_uniform_(self.x2.weight, gain=0.001)
        self.n1 = nn.Linear(2 * H, H)
        self.n2 = nn.Linear(H, H)


class EGNN(nn.Module):
    def __init__(self, P, D, H, L, T, normalize=True, scalar=False):
        super().__init__()
        self.P, self.D, self.H, self.T = P, D, H, T
        self.normalize, self.scalar = normalize, scalar
        self.embed = nn.Linear(T, H)
        self.layers = nn.ModuleList([EGNNLayer(H, T) for _ in range(L)])
        if scalar:
            self.o1 = nn.Linear(H, H)
            self.o2 = nn.Linear(H, 1)
        self._idx = {}

    def index(self, B):
        if B not in self._idx:
            P = self.P
            ii, jj = [], []
            for i in range(P):
                for j in range(P):
                    if i != j:
                        ii.append(i)
                        jj.append(j)
            ii = torch.tensor(ii)
            jj = torch.tensor(jj)
            off = (torch.arange(B) * P)[:, None]
            I = (off + ii[None, :]).reshape(-1)
            J = (off + jj[None, :]).reshape(-1)
            eb = torch.arange(B).repeat_interleave(P * (P - 1))
            nb = torch.arange(B).repeat_interleave(P)
            self._idx[B] = (I, J, eb, nb)
        return self._idx[B]

    def forward(self, x, t):
        B, P, D, H = x.shape[0], self.P, self.D, self.H
        I, J, eb, nb = self.index(B)
        x3 = x.reshape(B, P, D)
        x0 = (x3 - x3.mean(1, keepdim=True)).reshape(B * P, D)
        temb = sin_embed(1000.0 * t, self.T)
        h = self.embed(temb)[nb]
        te = temb[eb]
        xl = x0
        for L in self.layers:
            diff = xl[I] - xl[J]
            d2 = (diff * diff).sum(-1, keepdim=True)
            m = F.silu(L.e1(torch.cat([h[I], h[J], d2, te], -1)))
            m = F.silu(L.e2(m))
            phi = L.x2(F.silu(L.x1(m)))
            dirn = diff / (torch.sqrt(d2 + 1e-8) + 1.0) if self.normalize else diff
            upd = torch.zeros_like(xl).index_add_(0, I, dirn * phi)
            xl = xl + upd / (P - 1)
            agg = torch.zeros_like(h).index_add_(0, I, m)
            h = h + L.n2(F.silu(L.n1(torch.cat([h, agg], -1))))
        if self.scalar:
            e = self.o2(F.silu(self.o1(h)))
            return e.reshape(B, P).sum(-1, keepdim=True)
        v = (xl - x0).reshape(B, P, D)
        v = v - v.mean(1, keepdim=True)
        return v.reshape(B, P * D)


class FourierMLP(nn.Module):
    """PIS (Zhang & Chen 2022) FourierMLP, zero_init=True."""

    def __init__(self, inp, out, channels, num_layers):
        super().__init__()
        self.register_buffer("timestep_coeff", torch.linspace(0.1, 100, channels)[None])
        self.timestep_phase = nn.Parameter(torch.randn(channels)[None])
        self.input_embed = nn.Linear(inp, channels)
        self.timestep_embed = nn.Sequential(nn.Linear(2 * channels, channels), nn.GELU(),
                                            nn.Linear(channels, channels))
        self.layers = nn.Sequential(nn.GELU(), *[nn.Sequential(nn.Linear(channels, channels), nn.GELU())
                                                 for _ in range(num_layers)],
                                    nn.Linear(channels, out))
        self.layers[-1].weight.data.fill_(0.0)
        self.layers[-1].bias.data.fill_(0.0)

    def forward(self, t, x):
        s = self.timestep_coeff * t + self.timestep_phase
        emb = self.timestep_embed(torch.cat([torch.sin(s), torch.cos(s)], -1))
        return self.layers(self.input_embed(x) + emb)


def gmm40(dtype):
    """GMM-40 means: the bench draws its own (uniform in [-40,40]^2 from a fixed generator);
    the C side receives the same numbers through --means."""
    g = torch.Generator().manual_seed(0)
    return (torch.rand(40, 2, generator=g, dtype=torch.float64) * 80 - 40).to(dtype)


def gmm_energy(x, mu, s):
    d2 = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(-1)
    logits = -0.5 * d2 / (s * s) - math.log(2 * math.pi * s * s) - math.log(mu.shape[0])
    return -torch.logsumexp(logits, -1, keepdim=True)


def pis_loss(net, mu, noise, B, nsteps=100, T=5.0, sigma=math.sqrt(0.2)):
    dt = T / nsteps
    s = math.log1p(math.exp(1.0))
    x = torch.zeros(B, 2)
    cost = torch.zeros(B, 1)
    for k in range(nsteps):
        t = torch.full((1, 1), k * dt)
        u = net(t, x)
        cost = cost + 0.5 * dt * (u * u).sum(-1, keepdim=True)
        x = x + sigma * dt * u + sigma * math.sqrt(dt) * noise[k]
    logn = -(x * x).sum(-1, keepdim=True) / (2 * sigma * sigma * T) - math.log(2 * math.pi * sigma * sigma * T)
    return (cost + gmm_energy(x, mu, s) + logn).mean()


def bench(args):
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    torch.manual_seed(0)
    dt = torch.float32
    torch.set_default_dtype(dt)
    if args.case in ("a", "b", "d"):
        H, L = (32, 3) if args.case == "b" else (128, 5)
        B, P, D = args.batch or 512, 13, 3
        net = EGNN(P, D, H, L, 32, scalar=args.case == "d")
        x = torch.randn(B, P * D)
        t = torch.rand(B, 1)
        y = torch.randn(B, P * D)
        y = (y.reshape(B, P, D) - y.reshape(B, P, D).mean(1, keepdim=True)).reshape(B, P * D)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)

        def step():
            opt.zero_grad()
            if args.case == "d":  # PITA: the score -grad_x U enters the loss
                xg = x.detach().requires_grad_(True)
                score = -torch.autograd.grad(net(xg, t).sum(), xg, create_graph=True)[0]
                loss = ((score - y) ** 2).mean()
            else:
                loss = ((net(x, t) - y) ** 2).mean()
            loss.backward()
            opt.step()
    else:
        B = args.batch or 300
        net = FourierMLP(2, 2, 64, 2)
        mu = gmm40(dt)
        noise = torch.randn(100, B, 2)
        opt = torch.optim.Adam(net.parameters(), lr=5e-3)

        def step():
            opt.zero_grad()
            loss = pis_loss(net, mu, noise, B)
            loss.backward()
            opt.step()
    step()  # warm-up (two, as on the C side)
    step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    res = {"case": args.case, "steps": args.steps, "seconds": sec, "steps_per_s": args.steps / sec,
           "cpu_s_per_step": cpu / args.steps,
           "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "batch": B,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    with open(args.out[0], "w") as f:
        json.dump(res, f)


def crosscheck(args):
    if len(args.inp or []) != len(args.out):
        raise SystemExit("crosscheck: give one --out per --in")
    for inp, out in zip(args.inp, args.out):
        crosscheck_one(inp, out)


def crosscheck_one(inp, outp):
    torch.set_default_dtype(torch.float64)
    with open(inp) as f:
        spec = json.load(f)
    kind = spec["model"]
    W = {k: torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"]) for k, v in spec["params"].items()}
    xs = torch.tensor(spec["x"], dtype=torch.float64).reshape(spec["x_shape"]).requires_grad_(True)
    ts = torch.tensor(spec["t"], dtype=torch.float64).reshape(spec["t_shape"]).requires_grad_(True)
    if kind == "egnn":
        c = spec["config"]
        net = EGNN(c["P"], c["D"], c["H"], c["L"], c["T"], bool(c["normalize"]), bool(c["scalar"]))
        lin = {"embed": net.embed}
        for l, L in enumerate(net.layers):
            for a, b in (("edge1", L.e1), ("edge2", L.e2), ("coord1", L.x1), ("coord2", L.x2),
                         ("node1", L.n1), ("node2", L.n2)):
                lin[f"{l}.{a}"] = b
        if c["scalar"]:
            lin["out1"], lin["out2"] = net.o1, net.o2
        prefix = "egnn."
        fwd = lambda: net(xs, ts)
    elif kind == "mlp":
        sizes = spec["config"]["sizes"]
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                mods.append(nn.SiLU())
        net = nn.Sequential(*mods)
        lin = {str(i): mods[2 * i] for i in range(len(sizes) - 1)}
        prefix = "mlp."
        fwd = lambda: net(xs)
    else:
        raise SystemExit("unknown model " + kind)
    used = set()
    with torch.no_grad():
        for k, m in lin.items():
            m.weight.copy_(W[prefix + k + ".weight"].T)
            used.add(prefix + k + ".weight")
            if m.bias is not None:
                m.bias.copy_(W[prefix + k + ".bias"].reshape(-1))
                used.add(prefix + k + ".bias")
    missing = set(W) - used
    if missing:
        raise SystemExit("unused parameters: " + ", ".join(sorted(missing)))
    y = fwd()
    proj = torch.tensor(spec["proj"], dtype=torch.float64).reshape(y.shape)
    s = (y * proj).sum()
    params = list(net.parameters())
    grads = torch.autograd.grad(s, [xs, ts] + params, allow_unused=True)
    out = {"y": y.detach().reshape(-1).tolist(), "gx": grads[0].reshape(-1).tolist(),
           "gt": (grads[1].reshape(-1).tolist() if grads[1] is not None else [0.0] * ts.numel()),
           "gparams": {}}
    name_of = {}
    for k, m in lin.items():
        name_of[id(m.weight)] = (prefix + k + ".weight", True)
        if m.bias is not None:
            name_of[id(m.bias)] = (prefix + k + ".bias", False)
    for p, gp in zip(params, grads[2:]):
        nm, is_w = name_of[id(p)]
        gp = torch.zeros_like(p) if gp is None else gp
        out["gparams"][nm] = (gp.T if is_w else gp).reshape(-1).tolist()
    with open(outp, "w") as f:
        json.dump(out, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bench", "crosscheck"])
    ap.add_argument("--case", default="b")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--torch-threads", type=int, default=0)
    ap.add_argument("--in", dest="inp", action="append")
    ap.add_argument("--out", action="append", required=True)
    args = ap.parse_args()
    (bench if args.mode == "bench" else crosscheck)(args)


if __name__ == "__main__":
    sys.exit(main())
