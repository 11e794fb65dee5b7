// Why: the qkv gradient stack's kernel, run on the CPU (tests/cuda_emulation): every value
// of q's, k's and v's gradients must land in its place of the qkv product's rows, for both
// layouts the gradients may come in. cuda_tests checks it again with cuDNN's gradients.
#include <cuda_bf16.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "emulated_values.h"
#include "model/cuda_qkv_grads.h"

using namespace mae;
using namespace emulated;

TEST_CASE("emulated: the qkv gradient stack puts each head's gradient in its place of the row") {
  struct Shape {
    int64_t batch, tokens;
    int heads, head_dim;
    bool
        token_major;  // (B, N, heads, d) in memory, as cuDNN's gradients are; else (B, heads, N, d)
  };
  // ViT-B/16's encoder and decoder heads, ViT-H/14's width (the most words a row takes), one head.
  const Shape shapes[] = {{3, 50, 12, 64, true},
                          {2, 197, 16, 32, true},
                          {2, 7, 16, 32, false},
                          {1, 3, 16, 80, true},
                          {4, 5, 1, 8, false}};
  for (const auto& s : shapes) {
    CAPTURE(s.tokens);
    CAPTURE(s.heads);
    CAPTURE(s.head_dim);
    CAPTURE(s.token_major);
    const int64_t per_part = s.heads * static_cast<int64_t>(s.head_dim);
    const size_t n = static_cast<size_t>(s.batch * s.tokens * per_part);
    std::vector<std::vector<__nv_bfloat16>> grads;
    for (uint32_t part = 0; part < 3; ++part) grads.push_back(to_bf16(normal(n, 20 + part)));
    QkvGradStack args{{grads[0].data(), grads[1].data(), grads[2].data()},
                      nullptr,
                      s.batch,
                      s.tokens,
                      s.heads,
                      s.head_dim,
                      s.tokens * per_part,
                      s.token_major ? s.head_dim : s.tokens * s.head_dim,
                      s.token_major ? per_part : s.head_dim};
    std::vector<__nv_bfloat16> out(3 * n, __float2bfloat16_rn(NAN));
    args.out = out.data();
    REQUIRE(qkv_grad_stack_fits(args));
    REQUIRE(std::string(launch_qkv_grad_stack(args, nullptr)).empty());
    size_t misplaced = 0;
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t t = 0; t < s.tokens; ++t)
        for (int part = 0; part < 3; ++part)
          for (int64_t h = 0; h < s.heads; ++h)
            for (int64_t k = 0; k < s.head_dim; ++k) {
              const int64_t from = b * args.stride_b + h * args.stride_h + t * args.stride_n + k;
              const int64_t to = (((b * s.tokens + t) * 3 + part) * s.heads + h) * s.head_dim + k;
              misplaced += out[static_cast<size_t>(to)].bits !=
                           grads[static_cast<size_t>(part)][static_cast<size_t>(from)].bits;
            }
    CHECK(misplaced == 0);
  }
}

TEST_CASE("emulated: the qkv gradient stack takes only whole 16-byte words, aligned") {
  alignas(16) __nv_bfloat16 data[64] = {};
  QkvGradStack args{{data, data, data}, data, 1, 2, 2, 16, 64, 16, 32};
  CHECK(qkv_grad_stack_fits(args));
  args.head_dim = 12;
  CHECK_FALSE(qkv_grad_stack_fits(args));
  args.head_dim = 16;
  args.stride_n = 36;
  CHECK_FALSE(qkv_grad_stack_fits(args));
  args.stride_n = 32;
  args.grads[1] = data + 4;
  CHECK_FALSE(qkv_grad_stack_fits(args));
  args.grads[1] = data;
  args.heads = 200;  // 3 * 200 * 2 words: past a block's 1,024 threads
  CHECK_FALSE(qkv_grad_stack_fits(args));
}
