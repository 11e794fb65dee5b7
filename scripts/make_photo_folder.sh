#!/usr/bin/env bash
# Why: the photo pipeline is measured on real full-size photos, and Debian's wallpaper
# packages are the photos this machine can install. This installs a few, then links every
# distinct 5-20 MP JPEG and PNG they hold (the same picture in several sizes counts once)
# into one folder. Usage: scripts/make_photo_folder.sh [folder]   (default: out/photos)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$root/out/photos}"
packages=(plasma-workspace-wallpapers gnome-backgrounds mate-backgrounds ukui-wallpapers
  lomiri-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 lxqt-themes imagemagick)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
mkdir -p "$dest"
declare -A seen
count=0
while IFS= read -r f; do
  [ -f "$f" ] || continue
  real="$(readlink -f "$f")"
  [ -n "${seen[$real]:-}" ] && continue
  seen[$real]=1
  size="$(identify -format '%w %h' "$f[0]" 2>/dev/null || true)"
  [ -n "$size" ] || continue
  read -r w h <<<"$size"
  px=$((w * h))
  if [ "$px" -ge 5000000 ] && [ "$px" -le 20500000 ]; then
    name="$(echo "${f#/usr/share/}" | tr '/ ' '__')"
    ln -sf "$real" "$dest/$name"
    count=$((count + 1))
  fi
done < <(for p in "${packages[@]}"; do dpkg -L "$p"; done | grep -iE '\.(jpe?g|png)$' | sort -u)
echo "$count photos (5-20 MP) linked in $dest"
