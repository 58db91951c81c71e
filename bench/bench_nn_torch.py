#!/usr/bin/python3
"""bench_nn_torch.py -- the PyTorch side of bench_nn and of the nn cross-check test.

The same models as methods/nn (EGNN of Satorras et al. with the first edge layer on the
concatenation [h_i, h_j, |x_i-x_j|^2, t] as in their code, the PIS Fourier MLP, a plain
MLP), written the usual PyTorch way, in two modes:

  bench:      python3 bench_nn_torch.py bench --case a|b|c --steps N --out r.json
              times training steps (forward + backward + Adam) like bench/bench_nn.c.
              Thread settings are chosen by the caller through the environment
              (OPENBLAS_NUM_THREADS) and --torch-threads.
  paper:      python3 bench_nn_torch.py paper --case e..k --steps N --init PREFIX --out r.json
              the paper-reproduction cases of bench/nn_paper.c: loads the network, weights
              and inputs it wrote under PREFIX, writes the check values (first loss, or
              outputs to PREFIX.torch.f64) and the rate (steps/s, EM steps/s, points/s).
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
    def __init__(self, H, T, attention=False, edge_attr=False):
        super().__init__()
        self.e1 = nn.Linear(2 * H + 1 + T + (1 if edge_attr else 0), H)
        self.e2 = nn.Linear(H, H)
        self.x1 = nn.Linear(H, H)
        self.x2 = nn.Linear(H, 1, bias=False)
        nn.init.xavier_uniform_(self.x2.weight, gain=0.001)
        self.n1 = nn.Linear(2 * H, H)
        self.n2 = nn.Linear(H, H)
        if attention:
            self.att = nn.Linear(H, 1)


class EGNN(nn.Module):
    def __init__(self, P, D, H, L, T, normalize=True, scalar=False, attention=False, coord_range=0.0,
                 coord_sum=False, edge_attr=False):
        """attention, coord_range, coord_sum, edge_attr: the DEM / adjoint_samplers variant
        (methods/nn/nn.h bb_nn_egnn_config)."""
        super().__init__()
        self.P, self.D, self.H, self.T = P, D, H, T
        self.normalize, self.scalar = normalize, scalar
        self.attention, self.coord_range, self.coord_sum, self.edge_attr = attention, coord_range, coord_sum, edge_attr
        self.embed = nn.Linear(T, H)
        self.layers = nn.ModuleList([EGNNLayer(H, T, attention, edge_attr) for _ in range(L)])
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
        d2_0 = None
        for L in self.layers:
            diff = xl[I] - xl[J]
            d2 = (diff * diff).sum(-1, keepdim=True)
            if d2_0 is None:
                d2_0 = d2
            feats = [h[I], h[J], d2, te] + ([d2_0] if self.edge_attr else [])
            m = F.silu(L.e1(torch.cat(feats, -1)))
            m = F.silu(L.e2(m))
            if self.attention:
                m = m * torch.sigmoid(L.att(m))
            phi = L.x2(F.silu(L.x1(m)))
            if self.coord_range > 0:
                phi = torch.tanh(phi) * (self.coord_range / len(self.layers))
            dirn = diff / (torch.sqrt(d2 + 1e-8) + 1.0) if self.normalize else diff
            upd = torch.zeros_like(xl).index_add_(0, I, dirn * phi)
            xl = xl + (upd if self.coord_sum else upd / (P - 1))
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


# ---------------------------------------------------------------- paper mode (bench/nn_paper.c)

def _raw(prefix, sfx, n, dtype=torch.float64):
    with open(f"{prefix}.{sfx}", "rb") as f:
        buf = bytearray(f.read())
    v = torch.frombuffer(buf, dtype=dtype)
    assert v.numel() == n, f"{prefix}.{sfx}: {v.numel()} values, expected {n}"
    return v.clone()


def _load_egnn(spec, prefix):
    """The network bench/nn_paper.c exported: its configuration and float32 weights
    (boltzbench stores Linear weights [in, out], PyTorch's transposed)."""
    dem = bool(spec["dem"])
    net = EGNN(spec["P"], spec["D"], spec["H"], spec["L"], spec["T"], True, bool(spec["scalar"]),
               attention=dem, coord_range=15.0 if dem else 0.0, coord_sum=dem, edge_attr=dem)
    lin = {"egnn.embed": net.embed}
    names = {"edge1": "e1", "edge2": "e2", "coord1": "x1", "coord2": "x2", "node1": "n1", "node2": "n2", "att": "att"}
    for l, L in enumerate(net.layers):
        for a, b in names.items():
            if hasattr(L, b):
                lin[f"egnn.{l}.{a}"] = getattr(L, b)
    if spec["scalar"]:
        lin["egnn.out1"], lin["egnn.out2"] = net.o1, net.o2
    total = max(p["off"] + p["rows"] * p["cols"] for p in spec["params"])
    load_linears(lin, spec["params"], _raw(prefix, "w.f32", total, torch.float32), len(list(net.parameters())))
    return net


def load_linears(lin, params, w, n_expected):
    """Copy boltzbench's float32 weights w into the nn.Linear modules lin[name] (its table
    params: name 'module.weight|bias', off, rows, cols; Linear weights stored [in, out])."""
    seen = 0
    with torch.no_grad():
        for p in params:
            mod, kind = p["name"].rsplit(".", 1)
            v = w[p["off"]:p["off"] + p["rows"] * p["cols"]].reshape(p["rows"], p["cols"])
            if kind == "weight":
                lin[mod].weight.copy_(v.T)
            else:
                lin[mod].bias.copy_(v.reshape(-1))
            seen += 1
    assert seen == n_expected, "parameter count differs from the C side"


def _energy(task, x):
    """Reduced energies of tasks/ (dw.c; lj.c, iDEM convention), x [n, P, D] -> [n]."""
    P = x.shape[1]
    iu = torch.triu_indices(P, P, 1)
    diff = x[:, iu[0]] - x[:, iu[1]]
    r2 = (diff * diff).sum(-1)
    if task == "dw4":
        s = torch.sqrt(r2) - 4.0
        return (0.9 * s ** 4 - 4.0 * s ** 2).sum(-1)
    inv6 = 1.0 / (r2 * r2 * r2)
    xc = x - x.mean(1, keepdim=True)
    return 2.0 * (inv6 * inv6 - 2.0 * inv6).sum(-1) + 0.5 * (xc * xc).sum((1, 2))


def idem_target(task, x, eps, sigma, P, D):
    """-sum_k softmax(-u)_k grad u(x + sigma eps_k): x [B, dof], eps [B, K, dof]."""
    B, K, dof = eps.shape
    xs = (x[:, None, :] + sigma * eps).reshape(B * K, P, D).requires_grad_(True)
    u = _energy(task, xs)
    g = torch.autograd.grad(u.sum(), xs)[0].reshape(B, K, dof)
    w = torch.softmax(-u.detach().reshape(B, K), dim=1)
    return -(w[..., None] * g).sum(1)


def paper(args):
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    torch.manual_seed(0)
    prefix = args.init
    with open(prefix + ".json") as f:
        spec = json.load(f)
    kind, P, D, B = spec["kind"], spec["P"], spec["D"], spec["B"]
    dof = P * D
    res = {"case": args.case, "kind": kind, "steps": args.steps, "torch": torch.__version__}
    torch.set_default_dtype(torch.float32)
    if kind == "idem":
        # check in float64 on the C side's 4 points and noise, then time float32 (as iDEM runs)
        x = _raw(prefix, "x.f64", spec["nx"]).reshape(-1, dof)
        eps = _raw(prefix, "y.f64", spec["ny"]).reshape(x.shape[0], spec["K"], dof)
        tg = idem_target(spec["task"], x, eps, spec["sigma"], P, D)
        with open(prefix + ".torch.f64", "wb") as f:
            f.write(tg.double().contiguous().numpy().tobytes())
        xb = torch.randn(B, dof) * (2.0 if P == 4 else 0.5)

        def step():
            e = torch.randn(B, spec["K"], dof)
            idem_target(spec["task"], xb, e, spec["sigma"], P, D)
        per_step = B
    else:
        net = _load_egnn(spec, prefix)
        x = _raw(prefix, "x.f64", spec["nx"]).float().reshape(-1, dof)
        t = _raw(prefix, "t.f64", spec["nt"]).float().reshape(-1, 1)
        per_step = 1
        if kind == "sde":
            with torch.no_grad():
                out = net(x, t)
            with open(prefix + ".torch.f64", "wb") as f:
                f.write(out.double().contiguous().numpy().tobytes())
            smin, smax = spec["sigma_min"], spec["sigma_max"]
            n_sde = spec["n_sde"]
            dt = 1.0 / n_sde
            state = {"k": 0, "x": torch.zeros(B, dof)}

            def step():  # one Euler-Maruyama step of B trajectories, no tape
                k = state["k"] % n_sde
                tk = k * dt
                g = smin * (smax / smin) ** (1.0 - tk) * math.sqrt(2.0 * math.log(smax / smin))
                with torch.no_grad():
                    s = net(state["x"], torch.full((B, 1), tk))
                    state["x"] = state["x"] + (g * g * dt) * s + (g * math.sqrt(dt)) * torch.randn(B, dof)
                state["k"] += 1
        else:
            y = _raw(prefix, "y.f64", spec["ny"]).float().reshape(-1, P, D)
            y = (y - y.mean(1, keepdim=True)).reshape(-1, dof)
            opt = torch.optim.Adam(net.parameters(), lr=1e-4)
            losses = []

            def step():
                opt.zero_grad()
                if kind == "pita":  # the score -grad_x U enters the loss: double backward
                    xg = x.detach().requires_grad_(True)
                    score = -torch.autograd.grad(net(xg, t).sum(), xg, create_graph=True)[0]
                    loss = ((score - y) ** 2).mean()
                else:
                    loss = ((net(x, t) - y) ** 2).mean()
                loss.backward()
                opt.step()
                losses.append(loss.item())
    warm = 1 if (kind != "sde" and P > 20) or kind == "idem" else 2
    for _ in range(warm):
        step()
    if kind in ("train", "pita"):
        res["first_loss"] = losses[0]
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    res.update({"seconds": sec, "rate": args.steps * per_step / sec, "cpu_s_per_step": cpu / args.steps,
                "torch_threads": torch.get_num_threads(), "batch": B,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0})
    with open(args.out[0], "w") as f:
        json.dump(res, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bench", "crosscheck", "paper"])
    ap.add_argument("--case", default="b")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--torch-threads", type=int, default=0)
    ap.add_argument("--in", dest="inp", action="append")
    ap.add_argument("--init", default="", help="paper mode: prefix of the files bench/nn_paper.c wrote")
    ap.add_argument("--out", action="append", required=True)
    args = ap.parse_args()
    {"bench": bench, "crosscheck": crosscheck, "paper": paper}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
