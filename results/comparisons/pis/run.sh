#!/usr/bin/env bash
# The equal-budget comparison of methods/pis/README.md: 2e5 evaluations, seed 0, 2000
# samples, one thread, on manywell32 and gmm25 (the reports here were made at f661793).
#   results/comparisons/pis/run.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../../.."
bb=${1:-build}/boltzbench
out=results/comparisons/pis
for t in manywell32 gmm25; do
  for m in pt mala; do
    "$bb" run -t $t -m $m -b 200000 -n 2000 -s 0 -j 1 -q -o $out/$t/$m-b200000-s0.json
  done
  "$bb" run -t $t -m pis -b 200000 -n 2000 -s 0 -j 1 -q -p n_steps=20 -p batch_size=100 \
    -o $out/$t/pis-grad-b200000-s0.json
  "$bb" run -t $t -m pis -b 200000 -n 2000 -s 0 -j 1 -q -p control=nn -p n_steps=20 -p batch_size=100 \
    -o $out/$t/pis-nn-b200000-s0.json
done
