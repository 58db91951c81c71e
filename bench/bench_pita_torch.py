#!/usr/bin/env python3
"""bench_pita_torch.py - PITA's training step in PyTorch, side by side with bench_pita.

The same two EGNNs (bench_nn_torch.EGNN with the conditioning inputs c_noise and beta as
node features, as methods/nn's n_cond and the authors' egnn_temp_conditioned.py), the same
EDM preconditioning and the same three losses as methods/pita/train.c, loaded from what
`bench_pita --export PREFIX` wrote. First the loss of the exported step (same weights,
batch, sigma and noise) is computed and compared with ours (float32: relative 1e-3); then
Adam steps (grad-norm clip 0.5, as the method) are timed at the given torch thread count.

    /usr/bin/python3 bench/bench_pita_torch.py --init PREFIX --out FILE.json [--steps N] [--threads T]
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_nn_torch import EGNN, load_linears  # noqa: E402


class CondEGNN(EGNN):
    """EGNN without a time embedding whose first node embedding reads C raw inputs."""

    def __init__(self, P, D, H, L, C):
        super().__init__(P, D, H, L, 0, True, False, attention=True, coord_range=15.0, coord_sum=True,
                         edge_attr=True)
        self.embed = nn.Linear(C, H)

    def forward(self, x, cond):
        B, P, D = x.shape[0], self.P, self.D
        I, J, eb, nb = self.index(B)
        x3 = x.reshape(B, P, D)
        x0 = (x3 - x3.mean(1, keepdim=True)).reshape(B * P, D)
        h = self.embed(cond)[nb]
        xl, d2_0 = x0, None
        for L in self.layers:
            diff = xl[I] - xl[J]
            d2 = (diff * diff).sum(-1, keepdim=True)
            if d2_0 is None:
                d2_0 = d2
            m = F.silu(L.e1(torch.cat([h[I], h[J], d2, d2_0], -1)))
            m = F.silu(L.e2(m))
            m = m * torch.sigmoid(L.att(m))
            phi = torch.tanh(L.x2(F.silu(L.x1(m)))) * (self.coord_range / len(self.layers))
            dirn = diff / (torch.sqrt(d2 + 1e-8) + 1.0)
            xl = xl + torch.zeros_like(xl).index_add_(0, I, dirn * phi)
            agg = torch.zeros_like(h).index_add_(0, I, m)
            h = h + L.n2(F.silu(L.n1(torch.cat([h, agg], -1))))
        v = (xl - x0).reshape(B, P, D)
        return (v - v.mean(1, keepdim=True)).reshape(B, P * D)


def raw(prefix, ext, dtype=torch.float64):
    with open(f"{prefix}.{ext}", "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=dtype)


def load(spec, prefix):
    P, D, H, L = spec["P"], spec["D"], spec["H"], spec["L"]
    nets = {"score": CondEGNN(P, D, H, L, 2), "energy": CondEGNN(P, D, H, L, 2)}
    names = {"edge1": "e1", "edge2": "e2", "coord1": "x1", "coord2": "x2", "node1": "n1", "node2": "n2", "att": "att"}
    lin = {}
    for key, net in nets.items():
        lin[f"{key}.embed"] = net.embed
        for l, layer in enumerate(net.layers):
            for a, b in names.items():
                lin[f"{key}.{l}.{a}"] = getattr(layer, b)
    load_linears(lin, spec["params"], raw(prefix, "w.f32", torch.float32),
                 sum(len(list(m.parameters())) for m in nets.values()))
    return nets


def precond(sigma):
    onep = 1.0 + sigma * sigma
    c_in = 1.0 / torch.sqrt(onep)
    return onep, c_in, torch.log(sigma) / 4.0


def denoiser(net, x, sigma, beta):
    onep, c_in, cn = precond(sigma)
    F_ = net(x * c_in, torch.cat([cn, torch.full_like(cn, beta)], -1))
    return x / onep + F_ * (sigma * c_in)


def energy(net, x, sigma, beta):
    onep, c_in, cn = precond(sigma)
    y = x * c_in
    F_ = net(y, torch.cat([cn, torch.full_like(cn, beta)], -1))
    return (x * x).sum(-1, keepdim=True) / (2.0 * onep) - (F_ * y).sum(-1, keepdim=True) / sigma


def loss_of(nets, x0, e0, sig, z, beta, sigma_min, mask_at):
    """methods/pita/train.c: the three losses, mean over rows, weights 1."""
    sig = sig[:, None]
    lam = (sig * sig + 1.0) / (sig * sig)
    xt = (x0 + sig * z).requires_grad_(True)
    DS = denoiser(nets["score"], xt, sig, beta)
    l_score = lam * ((DS - x0) ** 2).sum(-1, keepdim=True)
    U = energy(nets["energy"], xt, sig, beta)
    gx = torch.autograd.grad(U.sum(), xt, create_graph=True)[0]
    DE = xt - sig * sig * gx
    l_esc = lam * ((DE - DS.detach()) ** 2).sum(-1, keepdim=True)
    U0 = energy(nets["energy"], x0, torch.full_like(sig, sigma_min), beta)
    mask = (e0 <= mask_at).to(x0.dtype)[:, None]
    l_match = mask * (e0[:, None] - U0) ** 2
    parts = [l_esc.mean(), l_score.mean(), l_match.mean()]
    return parts[0] + parts[1] + parts[2], parts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.init + ".json") as f:
        spec = json.load(f)
    B, dof = spec["B"], spec["P"] * spec["D"]
    nets = load(spec, a.init)
    x0 = raw(a.init, "x0.f64").float().reshape(B, dof)
    e0 = raw(a.init, "e0.f64").float()
    sig = raw(a.init, "sigma.f64").float()
    z = raw(a.init, "z.f64").float().reshape(B, dof)
    beta, smin = spec["beta"], spec["sigma_min"]
    loss, parts = loss_of(nets, x0, e0, sig, z, beta, smin, spec["energy_mask"])
    ours = spec["loss"]
    rel = abs(loss.item() - ours) / abs(ours)
    print(f"loss of the exported step: torch {loss.item():.6g}, boltzbench {ours:.6g} (relative {rel:.2e}); "
          f"parts torch {[round(p.item(), 5) for p in parts]} ours {[round(p, 5) for p in spec['loss_parts']]}")
    params = [p for m in nets.values() for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=spec["lr"])

    def step():
        opt.zero_grad()
        s = torch.exp(-1.2 + 1.2 * torch.randn(B))
        zz = torch.randn(B, spec["P"], spec["D"])
        zz = (zz - zz.mean(1, keepdim=True)).reshape(B, dof)
        ls, _ = loss_of(nets, x0, e0, s, zz, beta, smin, spec["energy_mask"])
        ls.backward()
        torch.nn.utils.clip_grad_norm_(params, spec["max_grad_norm"])
        opt.step()

    step()  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    sec, cpu = (time.perf_counter() - t0) / a.steps, (time.process_time() - c0) / a.steps
    res = {"bench": "bench_pita_torch", "torch": torch.__version__, "threads": a.threads, "steps": a.steps,
           "train_s_per_step": sec, "train_cpu_s_per_step": cpu, "loss_check_relative": rel,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    print(f"torch {a.threads} threads: {sec:.3f} s per step ({cpu:.3f} CPU s)")
    with open(a.out, "w") as f:
        json.dump(res, f)
    if rel > 1e-3:
        sys.exit("bench_pita_torch: the loss differs from boltzbench's by more than 1e-3 relative")


if __name__ == "__main__":
    main()
