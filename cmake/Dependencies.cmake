# Why: the header-only dependencies come from Debian here and from a carried folder
# (MAE_DEPS_DIR) on machines without Debian dev packages; this file finds either.
find_path(MAE_STB_INCLUDE stb_image.h PATHS ${MAE_DEPS_DIR}/stb /usr/include/stb REQUIRED)
foreach(header stb_image_write.h stb_easy_font.h)
  if(NOT EXISTS ${MAE_STB_INCLUDE}/${header})
    message(FATAL_ERROR "${header} is missing from ${MAE_STB_INCLUDE} (scripts/vendor_deps.sh)")
  endif()
endforeach()
find_path(MAE_JSON_INCLUDE nlohmann/json.hpp PATHS ${MAE_DEPS_DIR} /usr/include REQUIRED)
find_path(MAE_CLI11_INCLUDE CLI/CLI.hpp PATHS ${MAE_DEPS_DIR} /usr/include REQUIRED)
find_path(MAE_DOCTEST_INCLUDE doctest/doctest.h PATHS ${MAE_DEPS_DIR} /usr/include REQUIRED)
# An optional decoder, from the carried folder .deps/<carried> or the system: sets
# <prefix>_INCLUDE and <prefix>_LIBRARY (all of `libraries`, or none when one is missing), or
# says what is lost without it.
function(mae_find_decoder prefix header libraries carried name without)
  find_path(${prefix}_INCLUDE ${header} PATHS ${MAE_DEPS_DIR}/${carried} /usr/include)
  set(found "")
  foreach(library IN LISTS libraries)
    find_library(${prefix}_${library}_LIBRARY NAMES ${library} PATHS ${MAE_DEPS_DIR}/${carried})
    if(NOT ${prefix}_${library}_LIBRARY)
      set(found "")
      break()
    endif()
    list(APPEND found ${${prefix}_${library}_LIBRARY})
  endforeach()
  set(${prefix}_LIBRARY "${found}" PARENT_SCOPE)
  if(${prefix}_INCLUDE AND found)
    message(STATUS "MAE: ${name} ${found}")
  else()
    message(STATUS "MAE: ${name} not found; ${without}")
  endif()
endfunction()
# libjpeg-turbo decodes photos in the DCT domain at reduced scale (Debian: libturbojpeg0-dev;
# vendor_deps.sh carries the header and library to the GPU machines). It is the only JPEG
# decoder: without it, JPEG files are refused with a message (stb's has known bugs).
mae_find_decoder(MAE_TURBOJPEG turbojpeg.h turbojpeg turbojpeg libjpeg-turbo
  "JPEG files will be refused")
# libwebp decodes .webp files, which torchvision's ImageFolder reads too, and libwebpdemux an
# animated one's first frame (Debian: libwebp-dev; vendor_deps.sh carries both).
mae_find_decoder(MAE_WEBP webp/demux.h "webp;webpdemux" webp libwebp "WebP files will be refused")
# libtiff decodes .tif and .tiff files, which torchvision's ImageFolder reads too (Debian:
# libtiff-dev; vendor_deps.sh carries it and the libraries it needs).
mae_find_decoder(MAE_TIFF tiffio.h tiff tiff libtiff "TIFF files will be refused")
# libdeflate inflates the common PNGs two to three times as fast as stb or zlib (Debian:
# libdeflate-dev, which libtiff-dev brings; vendor_deps.sh carries it).
mae_find_decoder(MAE_DEFLATE libdeflate.h deflate deflate libdeflate
  "stb reads every PNG, more slowly")
# zlib inflates deflated .pth entries and gzip'd IDX files, with a cap on the output
# (Debian: zlib1g-dev; vendor_deps.sh carries zlib.h and the library to the GPU machines).
find_path(MAE_ZLIB_INCLUDE zlib.h PATHS ${MAE_DEPS_DIR}/zlib /usr/include REQUIRED)
find_library(MAE_ZLIB_LIBRARY NAMES z PATHS ${MAE_DEPS_DIR}/zlib REQUIRED)
# Gloo's headers, to compile against the Gloo inside libtorch_cpu (the torch wheel ships
# c10d's headers but not Gloo's). Debian's libgloo-dev provides them; its library is never
# linked. docs/distributed.md says why that is sound and what could break it.
find_path(MAE_GLOO_INCLUDE gloo/config.h PATHS ${MAE_DEPS_DIR}/gloo /usr/include REQUIRED)
# NCCL's header comes with the torch wheel's nvidia-nccl package.
find_path(MAE_NCCL_INCLUDE nccl.h
  HINTS ${TORCH_INSTALL_PREFIX}/../nvidia/nccl/include
  ${MAE_DEPS_DIR}/nccl /usr/include)
