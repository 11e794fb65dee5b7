#!/usr/bin/env bash
# Why: the linker catches calls that reach up a layer, but not an #include of a header that
# only declares types or inline code. This lists every core include and fails on any that
# points to a folder the including folder may not use (the order in core/CMakeLists.txt).
set -euo pipefail
core="$(cd "$(dirname "${BASH_SOURCE[0]}")/../core" && pwd)"
declare -A allowed=(
  [util]="util"
  [model]="model util"
  [recipe]="recipe model util"
  [data]="data util"
  [infer]="infer data model util"
  [io]="io recipe model util"
  [dist]="dist util"
  [train]="train dist io infer data recipe model util"
  [analysis]="analysis train dist io infer data recipe model util"
)
bad=0
for folder in "${!allowed[@]}"; do
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ " ${allowed[$folder]} " != *" $target "* ]]; then
      echo "layering: $file includes $target/ (core/$folder may use: ${allowed[$folder]})"
      bad=1
    fi
  done < <(grep -H '#include "[a-z_]*/' "$core/$folder"/*.h "$core/$folder"/*.cpp || true)
done
folders=$(find "$core" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')
for f in $folders; do
  [[ -n "${allowed[$f]:-}" ]] || { echo "layering: core/$f/ has no place in the layer order"; bad=1; }
done
[ $bad -eq 0 ] && echo "core layers: every include points down ($folders)"
exit $bad
