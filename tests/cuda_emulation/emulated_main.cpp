// Why: the emulated kernel tests are one doctest program of their own: they link no torch,
// only the kernels compiled against this folder's stand-in CUDA runtime.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
