#!/usr/bin/env bash
# ci/test.sh — README command B: install dependencies (idempotent), build everything with
# -Werror and run the test suite with ctest (all tests except those labelled `slow`).
#   ci/test.sh              Release build in build-test/
#   ci/test.sh --sanitize   ASan + UBSan build in build-asan/ (same tests)
#   ci/test.sh --slow       also the slow tests (statistical checks with large budgets)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-test
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DBB_WERROR=ON)
ctest_args=(-LE slow)
for a in "$@"; do
  case "$a" in
    --sanitize) dir=build-asan; cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBB_WERROR=ON -DBB_SANITIZE=ON) ;;
    --slow) ctest_args=() ;;
    *) echo "ci/test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
ci/deps.sh
cmake -S . -B "$dir" "${cmake_args[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$dir"
ctest "${ctest_args[@]}" -j"$(nproc)" --output-on-failure
