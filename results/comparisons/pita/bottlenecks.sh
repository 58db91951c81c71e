#!/usr/bin/env bash
# results/comparisons/pita/bottlenecks.sh — what limits PITA once it is trained (methods/pita/README.md,
# "Training length"): two follow-ups of training_length.sh at 1e5 evaluations, seeds 0-2, one thread.
#  1. GMM-40, where x_w2 worsens beyond 3000 Adam steps: one level only (temperatures 1.01 -> 1, i.e. a
#     diffusion model of the stage-0 samples annealed by 1 %), 300 / 3000 / 30 000 steps, with the SMC
#     weights and without them (end_resampling 0, clip_quantile 1), otherwise the settings of
#     training_length.sh: does the diffusion model itself drop modes with long training, or the annealing?
#     Reports in gmm40-modes/. About 4 CPU minutes.
#  2. DW-4, where energy_w2 stops at ~3 from 3000 steps on while the correction's ESS reaches 1: the same
#     run with 10 000 steps and stage 0 from 50 MALA chains instead of 1000 (each chain 20x longer), so
#     the level-0 data are closer to equilibrium (dw4-training/pita-l10000-c50-s*.json); and with 100 SDE
#     and 1000 SDE steps per annealing instead of 20 (resampling up to step 90 / 900 instead of 18; the
#     authors use 1000 and 900), dw4-training/pita-l10000-sde{100,1000}-s*.json; and with 100 SDE steps and
#     the authors' network size (EGNN 3 x 32 instead of 2 x 16), dw4-training/pita-l10000-sde100-h32-s*.json;
#     and with 100 SDE steps and the exact divergence in the weights (as the authors) instead of one Hutchinson
#     probe, dw4-training/pita-l10000-sde100-exact-s*.json; and with 100 SDE steps on one level only
#     (1.01 -> 1), dw4-training/pita-l10000-sde100-onelevel-s*.json, beside MALA's samples
#     (dw4-training/mala-s0.*). About 25 CPU minutes.
#  3. LJ-13 with the standard suite's PITA settings (EGNN 2 x 16, 1 Hutchinson probe) but 3000 Adam steps
#     per level (the suite: 100) and 100 SDE steps (the suite: 20), lj13-training/pita-l3000-sde100-s*.json.
# Deterministic: rerunning gives the same reports except timing.
#   results/comparisons/pita/bottlenecks.sh [BOLTZBENCH]
set -euo pipefail
cd "$(dirname "$0")"
bb=${1:-../../../build/boltzbench}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} # the committed reports' BLAS kernels (results/README.md)
mkdir -p gmm40-modes dw4-training
g=(-p batch_size=64 -p hidden=64 -p stage0_samples=1000 -p stage0_chains=1000 -p anneal_samples=500 -p sde_steps=50
  -p inference_batch=500 -p anytime_samples=100 -p 'temperatures=[1.01,1]')
for steps in 300 3000 30000; do
  for seed in 0 1 2; do
    "$bb" run -t gmm40 -m pita -b 100000 -n 1000 -s "$seed" -j 1 -q -o "gmm40-modes/weights-l$steps-s$seed.json" \
      "${g[@]}" -p "level_steps=[$steps]" -p end_resampling=45
    "$bb" run -t gmm40 -m pita -b 100000 -n 1000 -s "$seed" -j 1 -q -o "gmm40-modes/noweights-l$steps-s$seed.json" \
      "${g[@]}" -p "level_steps=[$steps]" -p end_resampling=0 -p clip_quantile=1
  done
done
# TASK (dw4 or lj13) at the standard suite's PITA settings for it (the same on both), STEPS Adam steps per
# level, seeds 0-2, reports TASK-training/pita-lSTEPS-NAME-sK.{json,npy}; then the changed parameters
particle() {
  local task=$1 steps=$2 name=$3 seed
  shift 3
  mkdir -p "$task-training"
  for seed in 0 1 2; do
    "$bb" run -t "$task" -m pita -b 100000 -n 1000 -s "$seed" -j 1 -q -o "$task-training/pita-l$steps-$name-s$seed.json" \
      --save-samples "$task-training/pita-l$steps-$name-s$seed.npy" -p 'temperatures=[2,1.4,1]' \
      -p "level_steps=[$steps,$steps]" -p batch_size=32 -p hidden=16 -p layers=2 -p stage0_samples=1000 \
      -p stage0_chains=1000 -p anneal_samples=200 -p sde_steps=20 -p end_resampling=18 -p divergence_probes=1 \
      -p inference_batch=200 -p anytime_samples=50 -p nn_threads=1 "$@"
  done
}
particle dw4 10000 c50 -p stage0_chains=50
particle dw4 10000 sde100 -p sde_steps=100 -p end_resampling=90
particle dw4 10000 sde1000 -p sde_steps=1000 -p end_resampling=900
particle dw4 10000 sde100-h32 -p sde_steps=100 -p end_resampling=90 -p hidden=32 -p layers=3
particle dw4 10000 sde100-exact -p sde_steps=100 -p end_resampling=90 -p divergence_probes=0
# one level (1.01 -> 1): a diffusion model of stage-0 samples at the target, annealed by 1 %
particle dw4 10000 sde100-onelevel -p sde_steps=100 -p end_resampling=90 -p 'temperatures=[1.01,1]' \
  -p 'level_steps=[10000]'
# MALA at the same budget, its samples saved (the configuration classes of a plain MCMC run)
"$bb" run -t dw4 -m mala -b 100000 -n 1000 -s 0 -j 1 -q -o dw4-training/mala-s0.json --save-samples dw4-training/mala-s0.npy
particle lj13 3000 sde100 -p sde_steps=100 -p end_resampling=90
