#!/usr/bin/env bash
# ci/deps.sh — install boltzbench's Debian 12 build and test dependencies, idempotently.
#   ci/deps.sh            build + test dependencies (what `ci/bootstrap` and `ci/test.sh` need)
#   ci/deps.sh --extra    also the optional cross-check tools (numpy, POT, OpenMM, PyTorch, Chromium, RDKit)
#                         and libxtb-dev (the GFN2-xTB backend, cmake -DBB_XTB=ON; the default build needs none)
# Only packages missing from dpkg are installed; nothing is done when all are present.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

BUILD_PKGS="build-essential cmake pkg-config libopenblas-dev liblapacke-dev libcurl4-openssl-dev
zlib1g-dev libcjson-dev libcmocka-dev libssl-dev liblbfgs-dev"
# clang + its runtime: libFuzzer targets (label fuzz); clang-format: the style check
TEST_PKGS="clang libclang-rt-14-dev clang-format"
# Open MPI: `boltzbench suite --mpi` and its test (label mpi); the build works without it
MPI_PKGS="libopenmpi-dev openmpi-bin"
EXTRA_PKGS="python3-numpy python3-pot python3-simtk libopenmm-plugins python3-torch chromium python3-rdkit libxtb-dev"

want="$BUILD_PKGS $TEST_PKGS $MPI_PKGS"
[ "${1:-}" = "--extra" ] && want="$want $EXTRA_PKGS"

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "ci/deps.sh: all dependencies present"
  exit 0
fi
echo "ci/deps.sh: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
