// Why: the GPU step's fusions (the LayerNorm kernels, the weights cast together, the bias
// gradient kernel) change how a step runs, not what it computes. To measure what each one
// gives, and to set one aside should it misbehave on some GPU, MAE_UNFUSED names those to
// leave out: "norm", "casts", "bias", comma-separated, or "all". Read at each call, so one
// process (a test) can compare.
#pragma once

namespace mae {

enum class GpuFusion { norm, casts, bias };

bool gpu_fusion_on(GpuFusion fusion);

}  // namespace mae
