// Why: our CUDA kernels can only be timed on a GPU, but what they compute can be checked
// anywhere. This stands in for the CUDA runtime so that their .cu files compile as C++ and run
// on the CPU: a launch runs as one OS thread per CUDA thread of a block, the blocks one after
// another; __syncthreads is a barrier of the block, a shuffle a barrier of the warp with a
// slot per lane. Threads that return drop out of both, as on the GPU. Only what our kernels
// use is here; shared memory is a static local (blocks never overlap), and a launch that a
// GPU would refuse (a block over 1,024 threads, an empty grid) is refused the same way.
#pragma once

#include <array>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct float2 {
  float x, y;
};

struct alignas(16) uint4 {
  unsigned x, y, z, w;
};

inline float rsqrtf(float v) { return 1.f / std::sqrt(v); }

enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorInvalidConfiguration = 9 };
using cudaStream_t = struct CUstream_st*;

struct cudaLaunchConfig_t {
  dim3 gridDim;
  dim3 blockDim;
  std::size_t dynamicSmemBytes;
  cudaStream_t stream;
  void* attrs;
  unsigned numAttrs;
};

inline cudaError_t cudaGetLastError() { return cudaSuccess; }  // launches report as they return

inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
  }
  return "unknown error";
}

// A multiprocessor holds 2,048 threads, as on the A100 and H100.
template <class Kernel>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, Kernel, int block_size,
                                                          std::size_t) {
  if (block_size < 1) return cudaErrorInvalidValue;
  *blocks = 2048 / block_size;
  return cudaSuccess;
}

namespace cuda_emulation {

constexpr int kWarpSize = 32;

struct Warp {
  explicit Warp(std::ptrdiff_t lanes) : arrived(lanes) {}
  std::barrier<> arrived;
  std::array<std::uint64_t, kWarpSize> slots{};
};

struct Block {
  explicit Block(std::ptrdiff_t threads) : arrived(threads) {}
  std::barrier<> arrived;
  std::vector<std::unique_ptr<Warp>> warps;
};

inline thread_local Block* current_block = nullptr;
inline thread_local Warp* current_warp = nullptr;
inline thread_local int current_lane = 0;

}  // namespace cuda_emulation

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

inline void __syncthreads() { cuda_emulation::current_block->arrived.arrive_and_wait(); }

// Every lane of the warp takes part (our kernels pass the full mask).
template <class T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int = cuda_emulation::kWarpSize) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t) && std::is_trivially_copyable_v<T>);
  if (mask != 0xffffffffu) std::abort();
  auto& warp = *cuda_emulation::current_warp;
  std::memcpy(&warp.slots[cuda_emulation::current_lane], &value, sizeof(T));
  warp.arrived.arrive_and_wait();
  T other;
  std::memcpy(&other, &warp.slots[cuda_emulation::current_lane ^ lane_mask], sizeof(T));
  warp.arrived.arrive_and_wait();  // no lane writes its slot again before all have read
  return other;
}

template <class... Params, class... Args>
cudaError_t cudaLaunchKernelEx(const cudaLaunchConfig_t* config, void (*kernel)(Params...),
                               Args&&... args) {
  const dim3 grid = config->gridDim, block = config->blockDim;
  const unsigned threads = block.x * block.y * block.z;
  if (threads == 0 || threads > 1024 || grid.x * grid.y * grid.z == 0)
    return cudaErrorInvalidConfiguration;
  // One OS thread per CUDA thread of a block, each taking its place in every block in turn.
  std::vector<uint3> block_indices;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) block_indices.push_back({x, y, z});
  std::vector<std::unique_ptr<cuda_emulation::Block>> blocks;
  for (size_t b = 0; b < block_indices.size(); ++b) {
    blocks.push_back(std::make_unique<cuda_emulation::Block>(threads));
    for (unsigned first = 0; first < threads; first += cuda_emulation::kWarpSize)
      blocks.back()->warps.push_back(std::make_unique<cuda_emulation::Warp>(
          std::min<unsigned>(cuda_emulation::kWarpSize, threads - first)));
  }
  std::barrier<> block_done(threads);  // shared memory is the next block's only after this
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      threadIdx = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
      blockDim = block;
      gridDim = grid;
      cuda_emulation::current_lane = static_cast<int>(t % cuda_emulation::kWarpSize);
      for (size_t b = 0; b < blocks.size(); ++b) {
        blockIdx = block_indices[b];
        cuda_emulation::current_block = blocks[b].get();
        cuda_emulation::current_warp = blocks[b]->warps[t / cuda_emulation::kWarpSize].get();
        kernel(Params(args)...);
        cuda_emulation::current_warp->arrived.arrive_and_drop();
        cuda_emulation::current_block->arrived.arrive_and_drop();
        block_done.arrive_and_wait();
      }
    });
  }
  for (auto& thread : pool) thread.join();
  return cudaSuccess;
}
