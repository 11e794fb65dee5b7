#!/usr/bin/env bash
# Why: Gloo's headers come from Debian's libgloo-dev (2022) while the Gloo code that runs is
# the copy inside libtorch_cpu (newer). That is sound only while our object file defines and
# calls nothing of Gloo's own: every Gloo type must stay behind a pointer made by torch.
# This fails the moment a Gloo function, vtable or type_info is compiled into or called from
# our code (for instance by constructing ProcessGroupGloo::GlooStore ourselves).
set -euo pipefail
object=${1:?usage: check_gloo_boundary.sh <gloo_backend.cpp.o>}
[ -f "$object" ] || { echo "no object file '$object'"; exit 1; }
if crossing=$(nm -C "$object" | grep -E 'gloo::|GlooStore|ProcessGroupGloo::AsyncWork'); then
  echo "Gloo code crosses into our object ($object):"
  echo "$crossing"
  exit 1
fi
echo "gloo boundary: $(basename "$object") uses c10d's functions only, no gloo:: symbol"
