#!/usr/bin/env bash
# Why: the GPU machines have no Debian dev packages and no network. This copies the
# header-only dependencies, Gloo's headers, libjpeg-turbo, libwebp, libtiff, libdeflate, zlib,
# ImGui (for the studio's headless tests) and Fashion-MNIST (which the suite and the training
# checks read) from this machine's Debian packages into .deps/ (git-ignored), which the device
# tool carries along (carry: [".deps"]) and CMake finds via MAE_DEPS_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="$root/.deps"
mkdir -p "$deps/stb" "$deps/doctest-cmake"
cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h /usr/include/stb/stb_easy_font.h "$deps/stb/"
cp -r /usr/include/nlohmann /usr/include/CLI /usr/include/doctest "$deps/"
cp /usr/lib/cmake/doctest/doctest.cmake /usr/lib/cmake/doctest/doctestAddTests.cmake "$deps/doctest-cmake/"
mkdir -p "$deps/turbojpeg"
cp /usr/include/turbojpeg.h "$deps/turbojpeg/"
cp -L /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0 "$deps/turbojpeg/libturbojpeg.so.0"
ln -sf libturbojpeg.so.0 "$deps/turbojpeg/libturbojpeg.so"
mkdir -p "$deps/webp/webp"
cp /usr/include/webp/decode.h /usr/include/webp/demux.h /usr/include/webp/encode.h \
  /usr/include/webp/mux_types.h /usr/include/webp/types.h "$deps/webp/webp/"
cp -L /usr/lib/x86_64-linux-gnu/libwebp.so.7 "$deps/webp/libwebp.so.7"
ln -sf libwebp.so.7 "$deps/webp/libwebp.so"
cp -L /usr/lib/x86_64-linux-gnu/libwebpdemux.so.2 "$deps/webp/libwebpdemux.so.2"
ln -sf libwebpdemux.so.2 "$deps/webp/libwebpdemux.so"
mkdir -p "$deps/tiff"
cp /usr/include/x86_64-linux-gnu/tiff.h /usr/include/x86_64-linux-gnu/tiffconf.h \
  /usr/include/x86_64-linux-gnu/tiffio.h /usr/include/x86_64-linux-gnu/tiffvers.h "$deps/tiff/"
for library in libtiff.so.6 libjbig.so.0 libLerc.so.4 libjpeg.so.62; do
  cp -L "/usr/lib/x86_64-linux-gnu/$library" "$deps/tiff/$library"
done
ln -sf libtiff.so.6 "$deps/tiff/libtiff.so"
# Two that nearly every system has: gpu_check.sh puts these copies on the library path only
# where the system lacks them, so that they never replace the system's own.
mkdir -p "$deps/tiff/common"
for library in liblzma.so.5 libzstd.so.1; do
  cp -L "/usr/lib/x86_64-linux-gnu/$library" "$deps/tiff/common/$library"
done
mkdir -p "$deps/deflate"  # the common PNGs' inflate, and libtiff's Deflate
cp /usr/include/libdeflate.h "$deps/deflate/"
cp -L /usr/lib/x86_64-linux-gnu/libdeflate.so.0 "$deps/deflate/libdeflate.so.0"
ln -sf libdeflate.so.0 "$deps/deflate/libdeflate.so"
mkdir -p "$deps/zlib"
cp /usr/include/zlib.h /usr/include/zconf.h "$deps/zlib/"
cp -L /usr/lib/x86_64-linux-gnu/libz.so.1 "$deps/zlib/libz.so.1"
ln -sf libz.so.1 "$deps/zlib/libz.so"
mkdir -p "$deps/gloo"
cp -r /usr/include/gloo "$deps/gloo/"
mkdir -p "$deps/imgui/include"
cp /usr/include/imgui/*.h "$deps/imgui/include/"
cp /usr/lib/x86_64-linux-gnu/libimgui.a /usr/lib/x86_64-linux-gnu/libstb.a "$deps/imgui/"
mkdir -p "$deps/fashion-mnist"
cp /usr/share/datasets/fashion-mnist/*.gz "$deps/fashion-mnist/"
echo "header-only dependencies, Gloo headers, libjpeg-turbo, libwebp, libtiff, libdeflate, zlib, ImGui and Fashion-MNIST copied to $deps"
