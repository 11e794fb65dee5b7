#!/usr/bin/env bash
# Why: the GPU machine gets a copy of the working tree without git, so whether carried
# binaries were built from these very sources is told by a hash of the files that go into
# them, computed the same way on both machines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
find CMakeLists.txt cmake core app tests shaders -type f ! -name '*.md' -print0 | LC_ALL=C sort -z |
  xargs -0 sha256sum | sha256sum | cut -c1-16
