# Why: the header-only dependencies come from Debian here and from a carried folder
# (MAE_DEPS_DIR) on machines without Debian dev packages; this file finds either.
find_path(MAE_STB_INCLUDE stb_image.h PATHS ${MAE_DEPS_DIR}/stb /usr/include/stb REQUIRED)
find_path(MAE_JSON_INCLUDE nlohmann/json.hpp PATHS ${MAE_DEPS_DIR} /usr/include REQUIRED)
find_path(MAE_CLI11_INCLUDE CLI/CLI.hpp PATHS ${MAE_DEPS_DIR} /usr/include REQUIRED)
find_path(MAE_DOCTEST_INCLUDE doctest/doctest.h PATHS ${MAE_DEPS_DIR} /usr/include REQUIRED)
