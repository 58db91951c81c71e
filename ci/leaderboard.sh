#!/usr/bin/env bash
# ci/leaderboard.sh — regenerate the committed leaderboard from scratch: run the quick
# suite into results/quick (fresh: old reports are removed first, so the baseline is
# exactly what this build produces), then the tables and plots next to it:
#   results/quick.md, results/quick.csv, results/quick.html, results/plots/quick/*.svg
# and, when Chromium is installed, results/quick.png (a screenshot of the HTML page).
#   ci/leaderboard.sh [BUILD_DIR] [SUITE]     (defaults: build-test, quick)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
suite=${2:-quick}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBB_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target boltzbench
export BOLTZBENCH_SOURCE_DIR=$PWD
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} # the baseline's BLAS kernels (ci/regression.sh)
bb="$build/boltzbench"
rm -rf "results/$suite" "results/plots/$suite"
"$bb" suite "$suite" --out "results/$suite"
"$bb" table "results/$suite" --format md --out "results/$suite.md"
"$bb" table "results/$suite" --format csv --out "results/$suite.csv"
"$bb" table "results/$suite" --format html --out "results/$suite.html" --svg-dir "results/plots/$suite"
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium_bin" ]; then
  profile=$(mktemp -d)
  "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1400,2400 \
    --screenshot="$PWD/results/$suite.png" "file://$PWD/results/$suite.html" 2>/dev/null || true
  rm -rf "$profile"
fi
echo "leaderboard: results/$suite (reports), results/$suite.{md,csv,html,png}, results/plots/$suite/"
