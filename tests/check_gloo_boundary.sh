#!/usr/bin/env bash
# Why: Gloo's headers come from Debian's libgloo-dev (2022) while the Gloo code that runs is
# the copy inside libtorch_cpu (newer). That is sound only while our object file defines and
# calls nothing of Gloo's own: every Gloo type must stay behind a pointer made by torch.
# This fails the moment a Gloo function, vtable or type_info is compiled into or called from
# our code (for instance by constructing ProcessGroupGloo::GlooStore ourselves).
set -euo pipefail
object=${1:?usage: check_gloo_boundary.sh <gloo_backend.cpp.o>}
[ -f "$object" ] || { echo "no object file '$object'"; exit 1; }
# One exception: the growth of a std::vector of shared_ptrs to Gloo objects (the devices list of
# torch's ProcessGroupGloo::Options), which unoptimised builds (sanitizers) emit out of line.
# It moves shared_ptrs whose control blocks torch made, and never touches a Gloo object.
vector_of_pointers='^[0-9a-f]* [WwTt] (void )?std::vector<std::shared_ptr<gloo::[a-zA-Z_:]*>, std::allocator<std::shared_ptr<gloo::[a-zA-Z_:]*> > >::'
if crossing=$(nm -C "$object" | grep -Ev "$vector_of_pointers" |
  grep -E 'gloo::|GlooStore|ProcessGroupGloo::AsyncWork'); then
  echo "Gloo code crosses into our object ($object):"
  echo "$crossing"
  exit 1
fi
echo "gloo boundary: $(basename "$object") uses c10d's functions only, no gloo:: symbol"
