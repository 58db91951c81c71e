#!/usr/bin/env bash
# ci/format.sh — apply .clang-format to every C source and header of the project.
#   ci/format.sh           reformat in place
#   ci/format.sh --check   list files that differ from the style, exit 1 if any
# Generated sources (embedded topologies) are formatted too; they are plain C.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format || command -v clang-format-14 || true)
[ -n "$cf" ] || { echo "ci/format.sh: clang-format not installed (ci/deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find harness tasks datasets methods tests bench -name '*.[ch]')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$cf" --style=file "$f" | cmp -s - "$f"; then echo "not formatted: $f"; bad=1; fi
  done
  [ $bad -eq 0 ] && echo "ci/format.sh: ${#files[@]} files formatted"
  exit $bad
fi
"$cf" --style=file -i "${files[@]}"
