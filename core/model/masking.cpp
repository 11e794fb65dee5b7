// Why: block and grid masks are built on the CPU with plain loops: they are
// tiny (one value per patch) and must be reproducible from a seed.
#include "model/masking.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mae {

std::string to_string(MaskStrategy strategy) {
  switch (strategy) {
    case MaskStrategy::Random:
      return "random";
    case MaskStrategy::Block:
      return "block";
    case MaskStrategy::Grid:
      return "grid";
  }
  return "random";
}

MaskStrategy parse_mask_strategy(const std::string& name) {
  if (name == "random") return MaskStrategy::Random;
  if (name == "block") return MaskStrategy::Block;
  if (name == "grid") return MaskStrategy::Grid;
  throw std::invalid_argument("unknown mask strategy '" + name + "' (random, block, grid)");
}

int64_t keep_count(int64_t num_patches, double ratio) {
  if (!(ratio >= 0.0 && ratio < 1.0)) throw std::invalid_argument("mask ratio must be in [0, 1)");
  return static_cast<int64_t>(static_cast<double>(num_patches) * (1.0 - ratio));
}

Masking masking_from_noise(const at::Tensor& noise, int64_t len_keep) {
  const int64_t n = noise.size(0), l = noise.size(1);
  if (len_keep < 0 || len_keep > l) throw std::invalid_argument("len_keep out of range");
  Masking m;
  m.len_keep = len_keep;
  auto ids_shuffle = at::argsort(noise, /*dim=*/int64_t{1});
  m.ids_restore = at::argsort(ids_shuffle, /*dim=*/int64_t{1});
  m.ids_keep = ids_shuffle.narrow(1, 0, len_keep);
  m.ids_removed = ids_shuffle.narrow(1, len_keep, l - len_keep);
  auto mask = at::ones({n, l}, noise.options().dtype(at::kFloat));
  mask.narrow(1, 0, len_keep).zero_();
  m.mask = at::gather(mask, 1, m.ids_restore);
  return m;
}

namespace {

double uniform(at::Generator& gen) { return at::rand({1}, gen).item<double>(); }

// Marks random rectangles until `target` patches are covered (or no progress is possible).
void cover_with_blocks(float* row, int64_t gh, int64_t gw, int64_t target, at::Generator& gen) {
  const int64_t total = gh * gw;
  const int64_t min_area = std::max<int64_t>(1, std::min<int64_t>(16, total / 12));
  int64_t covered = 0;
  for (int attempt = 0; covered < target && attempt < 10 * total; ++attempt) {
    const int64_t max_area = std::max(min_area, target - covered);
    const double area = static_cast<double>(min_area) + uniform(gen) * (max_area - min_area);
    const double log_aspect = std::log(0.3) + uniform(gen) * (std::log(1 / 0.3) - std::log(0.3));
    const double aspect = std::exp(log_aspect);
    const int64_t h = std::clamp<int64_t>(std::llround(std::sqrt(area * aspect)), 1, gh);
    const int64_t w = std::clamp<int64_t>(std::llround(std::sqrt(area / aspect)), 1, gw);
    const int64_t top = static_cast<int64_t>(uniform(gen) * static_cast<double>(gh - h + 1));
    const int64_t left = static_cast<int64_t>(uniform(gen) * static_cast<double>(gw - w + 1));
    for (int64_t i = top; i < top + h && covered < target; ++i)
      for (int64_t j = left; j < left + w && covered < target; ++j)
        if (row[i * gw + j] == 0.0f) {
          row[i * gw + j] = 1.0f;
          ++covered;
        }
  }
}

// The lattice the grid strategy prefers: every n-th patch along a sheared lattice, n from
// the ratio. Above 50 % the lattice is what is kept (a square stride-k lattice when n = k*k,
// as in the paper's 2x2 grid at 75 %); below it, what is removed; at 50 %, a checkerboard.
struct Lattice {
  int64_t n = 1;       // one patch in n is on the lattice
  int64_t stride = 0;  // > 0: square lattice of this stride; else sheared (i * shear + j)
  int64_t shear = 1;
  bool lattice_kept = true;  // the lattice marks kept patches (else removed ones)
};

Lattice lattice_for(double ratio) {
  Lattice l;
  l.lattice_kept = ratio >= 0.5;
  const double fraction = l.lattice_kept ? 1.0 - ratio : ratio;
  l.n = std::max<int64_t>(1, std::llround(1.0 / std::max(1e-6, fraction)));
  const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(l.n))));
  if (root * root == l.n) l.stride = root;
  l.shear = std::max<int64_t>(1, root);
  return l;
}

bool on_lattice(const Lattice& l, int64_t i, int64_t j, int64_t oy, int64_t ox) {
  if (l.stride > 0) return (i + oy) % l.stride == 0 && (j + ox) % l.stride == 0;
  return (i * l.shear + j + ox) % l.n == 0;
}

// 1 marks a patch the strategy prefers to remove.
void mark_grid(float* row, int64_t gh, int64_t gw, double ratio, at::Generator& gen) {
  const Lattice l = lattice_for(ratio);
  const int64_t period = l.stride > 0 ? l.stride : l.n;
  const int64_t oy = static_cast<int64_t>(uniform(gen) * static_cast<double>(period));
  const int64_t ox = static_cast<int64_t>(uniform(gen) * static_cast<double>(period));
  for (int64_t i = 0; i < gh; ++i)
    for (int64_t j = 0; j < gw; ++j) {
      const bool lattice = on_lattice(l, i, j, oy, ox);
      row[i * gw + j] = lattice == l.lattice_kept ? 0.0f : 1.0f;
    }
}

}  // namespace

at::Tensor strategy_noise(MaskStrategy strategy, int64_t batch, int64_t grid_h, int64_t grid_w,
                          double ratio, at::Generator& generator) {
  const int64_t total = grid_h * grid_w;
  const int64_t remove = total - keep_count(total, ratio);
  auto jitter = at::rand({batch, total}, generator, at::kFloat);
  if (strategy == MaskStrategy::Random) return jitter;
  auto removal = at::zeros({batch, total}, at::kFloat);
  for (int64_t b = 0; b < batch; ++b) {
    float* row = removal[b].data_ptr<float>();
    if (strategy == MaskStrategy::Block)
      cover_with_blocks(row, grid_h, grid_w, remove, generator);
    else
      mark_grid(row, grid_h, grid_w, ratio, generator);
  }
  // Preferred-removed patches sort after all others; jitter breaks ties at random.
  return removal + 0.5 * jitter;
}

std::string mask_pattern_note(MaskStrategy strategy, int64_t grid_h, int64_t grid_w, double ratio) {
  if (strategy != MaskStrategy::Grid) return {};
  const Lattice l = lattice_for(ratio);
  const int64_t total = grid_h * grid_w;
  const int64_t keep = keep_count(total, ratio);
  if (l.n <= 1) return "at this ratio no lattice fits: the mask is random";
  // Count the lattice for every offset: on small grids it depends on where it starts.
  const int64_t period = l.stride > 0 ? l.stride : l.n;
  int64_t lo = total, hi = 0;
  for (int64_t oy = 0; oy < period; ++oy)
    for (int64_t ox = 0; ox < period; ++ox) {
      int64_t count = 0;
      for (int64_t i = 0; i < grid_h; ++i)
        for (int64_t j = 0; j < grid_w; ++j) count += on_lattice(l, i, j, oy, ox) ? 1 : 0;
      const int64_t kept = l.lattice_kept ? count : total - count;
      lo = std::min(lo, kept);
      hi = std::max(hi, kept);
    }
  if (lo == keep && hi == keep) return {};
  const std::string what = l.lattice_kept ? "keeps" : "removes";
  const std::string shape = l.stride > 0 ? std::to_string(l.stride) + "x" + std::to_string(l.stride)
                                         : "1-in-" + std::to_string(l.n);
  return "the " + shape + " lattice " + what + " " +
         (lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi)) +
         " patches on this grid, the ratio " + std::to_string(keep) +
         "; the difference is chosen at random";
}

at::Tensor noise_from_mask(const at::Tensor& mask, at::Generator& generator,
                           int64_t* len_keep_out) {
  if (mask.dim() != 2) throw std::invalid_argument("mask must be (N, L)");
  auto m = mask.to(at::kFloat).cpu().gt(0.5).to(at::kFloat);
  auto removed = m.sum(1);
  const auto lo = removed.min().item<float>(), hi = removed.max().item<float>();
  if (lo != hi)
    throw std::invalid_argument("every image in a batch must mask the same number of patches");
  *len_keep_out = mask.size(1) - static_cast<int64_t>(lo);
  return m + 0.5 * at::rand(m.sizes(), generator, at::kFloat);
}

}  // namespace mae
