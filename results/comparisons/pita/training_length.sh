#!/usr/bin/env bash
# results/comparisons/pita/training_length.sh — does PITA get better with training?
# TASK (gmm40, default, or dw4) at 1e5 evaluations with the standard suite's PITA settings for that
# task (harness/suites/standard.json; ladder 2 -> 1.4 -> 1), only the Adam steps per level varied,
# seeds 0-2. GMM-40: MLP 64, batch 64, 500 annealed samples, 50 SDE steps, 100 ... 30 000 steps
# (the suite uses 300): 18 runs, about 3 CPU minutes. DW-4: EGNN 2 x 16, batch 32, 200 annealed
# samples, 20 SDE steps, one Hutchinson probe, 100 ... 100 000 steps (the suite uses 100): 21 runs,
# about 25 CPU minutes. Reports in TASK-training/ (DW-4 also saves the final samples, .npy).
# methods/pita/README.md ("Training length") quotes them. Deterministic: rerunning gives the
# same reports except timing.
#   results/comparisons/pita/training_length.sh [TASK [BOLTZBENCH]]
set -euo pipefail
cd "$(dirname "$0")"
task=${1:-gmm40}
bb=${2:-../../../build/boltzbench}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} # the committed reports' BLAS kernels (results/README.md)
case "$task" in
gmm40)
  steps_list="100 300 1000 3000 10000 30000"
  params=(-p batch_size=64 -p hidden=64 -p stage0_samples=1000 -p stage0_chains=1000 -p anneal_samples=500
    -p sde_steps=50 -p end_resampling=45 -p inference_batch=500 -p anytime_samples=100)
  extra=()
  ;;
dw4)
  steps_list="100 300 1000 3000 10000 30000 100000"
  params=(-p batch_size=32 -p hidden=16 -p layers=2 -p stage0_samples=1000 -p stage0_chains=1000
    -p anneal_samples=200 -p sde_steps=20 -p end_resampling=18 -p divergence_probes=1 -p inference_batch=200
    -p anytime_samples=50 -p nn_threads=1)
  extra=(--save-samples)
  ;;
*)
  echo "training_length.sh: unknown task '$task' (gmm40 or dw4)" >&2
  exit 2
  ;;
esac
mkdir -p "$task-training"
for steps in $steps_list; do
  for seed in 0 1 2; do
    out="$task-training/pita-l$steps-s$seed"
    "$bb" run -t "$task" -m pita -b 100000 -n 1000 -s "$seed" -j 1 -q -o "$out.json" \
      ${extra[@]+"${extra[@]}" "$out.npy"} \
      -p 'temperatures=[2,1.4,1]' -p "level_steps=[$steps,$steps]" "${params[@]}"
  done
done
