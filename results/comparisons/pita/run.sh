#!/usr/bin/env bash
# results/comparisons/pita/run.sh — the runs methods/pita/README.md quotes ("Results so far"):
# PITA beside pt at the same budget on GMM-40 (a near-trivial ladder 1.01 -> 1, i.e. a diffusion
# model on the stage-0 samples, with and without the Feynman-Kac weights) and on DW-4 (ladder
# 4 -> 1, small training), and on alanine dipeptide (aldp-pita: the authors' 4-temperature ladder
# and reduced DiT, 200 and 1000 Adam steps of batch 64 per level, 256 particles annealed in 100 SDE
# steps; about 12 and 45 CPU minutes on one thread; their final samples are saved as .npy), and on
# alanine tripeptide (al3-pita: the authors' 5-temperature ladder, 200 Adam steps per level). Deterministic: rerunning gives the same reports except timing.
#   results/comparisons/pita/run.sh [BOLTZBENCH]
set -euo pipefail
cd "$(dirname "$0")"
bb=${1:-../../../build/boltzbench}
run() { local task=$1 name=$2 budget=$3; shift 3
  mkdir -p "$task"
  "$bb" run -t "$task" -m "${name%%-*}" -b "$budget" -n "${N:-1000}" -s 0 -j "${J:-2}" -q \
    -o "$task/$name-b$budget-s0.json" "$@"; }
g="-p stage0_samples=2000 -p stage0_chains=50 -p batch_size=256 -p hidden=128 -p anneal_samples=500 -p sde_steps=200
   -p temperatures=[1.01,1] -p level_steps=[6000]"
# shellcheck disable=SC2086
run gmm40 pita-weights 30000 $g -p end_resampling=180
# shellcheck disable=SC2086
run gmm40 pita-noweights 30000 $g -p end_resampling=0 -p clip_quantile=1
run gmm40 pt 30000
run dw4 pita 100000 -p anneal_samples=500 -p sde_steps=100 -p end_resampling=90 -p stage0_samples=2000 \
  -p stage0_chains=50 -p batch_size=128 -p 'level_steps=[500,500,500,500,1000]' -p divergence_probes=1
run dw4 pt 100000
a="-p batch_size=64 -p anneal_samples=256 -p sde_steps=100 -p end_resampling=80 -p divergence_probes=1
   -p stage0_samples=2000 -p stage0_chains=50 -p inference_batch=256"
# shellcheck disable=SC2086
N=500 J=1 run aldp-pita pita 50000 -p 'level_steps=[200,200,200]' $a --save-samples aldp-pita/pita-b50000-s0.npy
# five times the training (1000 Adam steps per level), everything else the same: about 45 CPU minutes
# shellcheck disable=SC2086
N=500 J=1 run aldp-pita pita-l1000 50000 -p 'level_steps=[1000,1000,1000]' $a \
  --save-samples aldp-pita/pita-l1000-b50000-s0.npy
N=500 J=1 run aldp-pita pt 50000 --save-samples aldp-pita/pt-b50000-s0.npy
# alanine tripeptide: the authors' 5-temperature ladder, the same small sizes (200 Adam steps per level)
# shellcheck disable=SC2086
N=500 J=1 run al3-pita pita 50000 -p 'level_steps=[200,200,200,200]' $a --save-samples al3-pita/pita-b50000-s0.npy
N=500 J=1 run al3-pita pt 50000 --save-samples al3-pita/pt-b50000-s0.npy
