#!/usr/bin/env bash
# results/comparisons/pita/training_length.sh — does PITA's correction get better with training?
# GMM-40 at 1e5 evaluations with the standard suite's PITA settings (harness/suites/standard.json:
# ladder 2 -> 1.4 -> 1, MLP 64, batch 64, 500 annealed samples, 50 SDE steps), only the Adam steps
# per level varied (100 ... 30 000; the suites use 300), seeds 0-2: 18 runs, about 3 CPU minutes on
# one thread. methods/pita/README.md ("Training length") quotes the reports. Deterministic:
# rerunning gives the same reports except timing.
#   results/comparisons/pita/training_length.sh [BOLTZBENCH]
set -euo pipefail
cd "$(dirname "$0")"
bb=${1:-../../../build/boltzbench}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} # the committed reports' BLAS kernels (results/README.md)
mkdir -p gmm40-training
for steps in 100 300 1000 3000 10000 30000; do
  for seed in 0 1 2; do
    "$bb" run -t gmm40 -m pita -b 100000 -n 1000 -s "$seed" -j 1 -q -o "gmm40-training/pita-l$steps-s$seed.json" \
      -p 'temperatures=[2,1.4,1]' -p "level_steps=[$steps,$steps]" -p batch_size=64 -p hidden=64 \
      -p stage0_samples=1000 -p stage0_chains=1000 -p anneal_samples=500 -p sde_steps=50 -p end_resampling=45 \
      -p inference_batch=500 -p anytime_samples=100
  done
done
