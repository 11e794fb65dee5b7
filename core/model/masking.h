// Why: which patches the encoder sees. Every strategy is expressed as per-patch noise that
// feeds the authors' random-masking algorithm (argsort, keep the smallest), so the kept
// count, ids_restore and the mask layout are identical whatever the strategy.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>

namespace at {
class Generator;
}

namespace mae {

enum class MaskStrategy { Random, Block, Grid };

std::string to_string(MaskStrategy strategy);
// Accepts "random", "block", "grid"; throws std::invalid_argument otherwise.
MaskStrategy parse_mask_strategy(const std::string& name);

// The authors' len_keep = int(L * (1 - ratio)).
int64_t keep_count(int64_t num_patches, double ratio);

struct Masking {
  at::Tensor ids_keep;     // (N, len_keep) int64, in shuffled order
  at::Tensor ids_removed;  // (N, L - len_keep) int64, the rest of the shuffled order
  at::Tensor ids_restore;  // (N, L) int64, argsort of ids_shuffle
  at::Tensor mask;         // (N, L) float, 0 kept / 1 removed, original patch order
  int64_t len_keep = 0;
};

// The reference algorithm driven by given noise (N, L): smallest noise is kept.
Masking masking_from_noise(const at::Tensor& noise, int64_t len_keep);

// Noise (N, grid_h*grid_w) on the CPU whose smallest len_keep entries follow the strategy:
// random = U(0,1); block = random rectangles are removed (BEiT style); grid = a regular
// lattice: above 50 % one patch in n = round(1/(1-ratio)) is kept (a 2x2 lattice at 75 %,
// 3x3 at 89 %), below 50 % one in round(1/ratio) is removed, at 50 % a checkerboard.
// Always exactly keep_count(L, ratio) kept.
at::Tensor strategy_noise(MaskStrategy strategy, int64_t batch, int64_t grid_h, int64_t grid_w,
                          double ratio, at::Generator& generator);

// Noise for a caller-given mask (N, L) with 1 = remove: removed patches get noise >= 1.
// Every row must remove the same number of patches; returns that row's len_keep.
// Where a strategy's pattern and the ratio's kept count disagree on this grid (a 2x2 lattice
// keeps 16 of 49 patches, the ratio 0.75 keeps 12), a sentence saying what was done instead;
// empty when the mask is exactly the pattern.
std::string mask_pattern_note(MaskStrategy strategy, int64_t grid_h, int64_t grid_w, double ratio);

at::Tensor noise_from_mask(const at::Tensor& mask, at::Generator& generator, int64_t* len_keep_out);

}  // namespace mae
