// Why: MAE_UNFUSED sets GPU fusions aside to time each or to step around one that misbehaves,
// and every A/B line of gpu_check names the fusions its step took. Both must say the same on
// every machine: a fusion built on one left out is out too (the bias kernel takes the casts'
// bf16 weights; the GELU pass is the bias kernel's), and the line lists what ran.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "model/gpu_fusions.h"

using namespace mae;

TEST_CASE("MAE_UNFUSED: the fusions left out, those built on them too, and the line") {
  unsetenv("MAE_UNFUSED");
  CHECK(gpu_fusion_on(GpuFusion::gelu));
  CHECK(describe_gpu_fusions() == "norm casts bias qkv gelu");

  setenv("MAE_UNFUSED", "qkv,norm", 1);
  CHECK_FALSE(gpu_fusion_on(GpuFusion::norm));
  CHECK_FALSE(gpu_fusion_on(GpuFusion::qkv));
  CHECK(gpu_fusion_on(GpuFusion::bias));
  CHECK(describe_gpu_fusions() == "casts bias gelu, left out: norm qkv");

  setenv("MAE_UNFUSED", "casts", 1);
  CHECK_FALSE(gpu_fusion_on(GpuFusion::bias));
  CHECK_FALSE(gpu_fusion_on(GpuFusion::gelu));
  CHECK(describe_gpu_fusions() == "norm qkv, left out: casts bias gelu");

  setenv("MAE_UNFUSED", "gelu", 1);
  CHECK(gpu_fusion_on(GpuFusion::bias));
  CHECK(describe_gpu_fusions() == "norm casts bias qkv, left out: gelu");

  setenv("MAE_UNFUSED", "all", 1);
  CHECK(describe_gpu_fusions() == "none, left out: norm casts bias qkv gelu");

  // A misspelt value counts as unset: `mae` refuses it where it starts, the app says so.
  setenv("MAE_UNFUSED", "qkv,nrom", 1);
  CHECK(gpu_fusion_on(GpuFusion::qkv));
  CHECK(describe_gpu_fusions() == "norm casts bias qkv gelu");
  unsetenv("MAE_UNFUSED");
  CHECK(unfused_value_problem("qkv,nrom") ==
        "MAE_UNFUSED=qkv,nrom: \"nrom\" is none of norm, casts, bias, qkv, gelu, all");
  CHECK(unfused_value_problem("norm,,qkv").find("\"\" is none of") != std::string::npos);
  CHECK(unfused_value_problem("").empty());
  CHECK(unfused_value_problem("all").empty());
  CHECK(unfused_value_problem("gelu,casts,bias,qkv,norm").empty());
}
