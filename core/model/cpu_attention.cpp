// Why: the arithmetic is in cpu_attention_kernel.cpp; this spreads it over
// the intra-op threads, one (image, head) pair at a time, and ties it into autograd.
#include "model/cpu_attention.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <type_traits>
#include <vector>

#include "model/cpu_attention_kernel.h"
#include "model/cpu_features.h"
#include "model/records_grad.h"

namespace mae {

namespace {
// Measured against torch's flash kernel on 2 cores, 4 to 16 heads of 32 or 64 values: a
// third faster to level up to 197 tokens (ViT-B/16's and ViT-L/16's decoders), slower for
// inference at 257 (ViT-H/14). Training keeps tokens^2 probabilities per head for backward.
constexpr int64_t kMaxTokens = 256;

struct Shape {
  int64_t batch, tokens, heads, head_dim, dim;
  float scale;  // head_dim^-0.5, as the authors' Attention's float multiplier
};

Shape shape_of(const at::Tensor& qkv, int64_t heads) {
  const int64_t dim = qkv.size(2) / 3;
  const int64_t head_dim = dim / heads;
  return {qkv.size(0), qkv.size(1),
          heads,       head_dim,
          dim,         static_cast<float>(std::pow(static_cast<double>(head_dim), -0.5))};
}

// The kernels this CPU runs fastest, the same for every call: forward and backward must
// agree on how the probabilities are padded.
const AttentionKernels& kernels() {
  static const AttentionKernels& chosen =
      avx512_kernels_run_here() ? attention_kernels_avx512() : attention_kernels_avx2();
  return chosen;
}

// The forward and backward of the chosen set for element type T.
template <class T>
void head_forward(const AttentionHead<T>& h, float scale, float* probs, T* out, float* scratch) {
  if constexpr (std::is_same_v<T, float>)
    kernels().forward(h, scale, probs, out, scratch);
  else
    kernels().forward_bf16(h, scale, probs, out, scratch);
}
template <class T>
void head_backward(const AttentionHead<T>& h, float scale, const float* probs, const T* grad_out,
                   T* grad_qkv, float* scratch) {
  if constexpr (std::is_same_v<T, float>)
    kernels().backward(h, scale, probs, grad_out, grad_qkv, scratch);
  else
    kernels().backward_bf16(h, scale, probs, grad_out, grad_qkv, scratch);
}

// f(image, head, scratch) for every head of every image, spread over the intra-op threads.
template <class F>
void for_each_head(const Shape& s, int64_t scratch_floats, const F& f) {
  at::parallel_for(0, s.batch * s.heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(scratch_floats));
    for (int64_t i = begin; i < end; ++i) f(i / s.heads, i % s.heads, scratch.data());
  });
}

template <class T>
AttentionHead<T> head_of(const Shape& s, const T* qkv, int64_t image, int64_t head) {
  return {qkv + image * s.tokens * 3 * s.dim, s.tokens, s.head_dim, s.dim, head};
}

// The kernels' element type for a tensor's: float, or bfloat16 as its bits.
template <class T>
const T* elements(const at::Tensor& t) {
  if constexpr (std::is_same_v<T, float>) {
    return t.const_data_ptr<float>();
  } else {
    static_assert(sizeof(at::BFloat16) == sizeof(Bf16));
    return reinterpret_cast<const Bf16*>(t.const_data_ptr<at::BFloat16>());
  }
}
template <class T>
T* mutable_elements(at::Tensor& t) {
  if constexpr (std::is_same_v<T, float>) {
    return t.mutable_data_ptr<float>();
  } else {
    return reinterpret_cast<Bf16*>(t.mutable_data_ptr<at::BFloat16>());
  }
}

// f.template operator()<T>() with T the kernels' type for `type` (float or bfloat16).
template <class F>
auto for_element_type(at::ScalarType type, const F& f) {
  if (type == at::kBFloat16) return f.template operator()<Bf16>();
  return f.template operator()<float>();
}

// With `probs` defined ((B, heads, kernels().probs_floats(N)) float), the probabilities are
// written there for backward; otherwise each thread keeps one head's in its scratch.
at::Tensor attention_forward(const at::Tensor& qkv, int64_t heads, const at::Tensor& probs) {
  RECORD_FUNCTION("mae::cpu_attention", std::vector<c10::IValue>());  // named in step profiles
  const Shape s = shape_of(qkv, heads);
  auto out = at::empty({s.batch, s.tokens, s.dim}, qkv.options());
  float* probs_data = probs.defined() ? probs.mutable_data_ptr<float>() : nullptr;
  const int64_t square = kernels().probs_floats(s.tokens);
  const int64_t kernel_scratch = kernels().forward_scratch(s.tokens, s.head_dim);
  for_element_type(qkv.scalar_type(), [&]<class T>() {
    const T* in = elements<T>(qkv);
    T* out_data = mutable_elements<T>(out);
    for_each_head(s, kernel_scratch + (probs_data ? 0 : square),
                  [&](int64_t image, int64_t head, float* scratch) {
                    float* p = probs_data ? probs_data + (image * s.heads + head) * square
                                          : scratch + kernel_scratch;
                    head_forward(head_of(s, in, image, head), s.scale, p,
                                 out_data + image * s.tokens * s.dim, scratch);
                  });
  });
  return out;
}

at::Tensor attention_backward(const at::Tensor& qkv, int64_t heads, const at::Tensor& probs,
                              const at::Tensor& grad_out) {
  RECORD_FUNCTION("mae::cpu_attention_backward", std::vector<c10::IValue>());
  const Shape s = shape_of(qkv, heads);
  auto grad_qkv = at::empty_like(qkv);
  const float* probs_data = probs.const_data_ptr<float>();
  const int64_t square = kernels().probs_floats(s.tokens);
  // The gradient comes in the output's type, which is qkv's.
  const auto grad = grad_out.to(qkv.scalar_type()).contiguous();
  for_element_type(qkv.scalar_type(), [&]<class T>() {
    const T* in = elements<T>(qkv);
    const T* grad_out_data = elements<T>(grad);
    T* grad_data = mutable_elements<T>(grad_qkv);
    for_each_head(s, kernels().backward_scratch(s.tokens, s.head_dim),
                  [&](int64_t image, int64_t head, float* scratch) {
                    head_backward(head_of(s, in, image, head), s.scale,
                                  probs_data + (image * s.heads + head) * square,
                                  grad_out_data + image * s.tokens * s.dim,
                                  grad_data + image * s.tokens * 3 * s.dim, scratch);
                  });
  });
  return grad_qkv;
}

class CpuAttentionFunction : public torch::autograd::Function<CpuAttentionFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& qkv,
                            int64_t heads) {
    auto probs = at::empty({qkv.size(0), heads, kernels().probs_floats(qkv.size(1))},
                           qkv.options().dtype(at::kFloat));
    auto out = attention_forward(qkv, heads, probs);
    ctx->save_for_backward({qkv, probs});
    ctx->saved_data["heads"] = heads;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               const torch::autograd::tensor_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const auto grad_qkv =
        attention_backward(saved[0], ctx->saved_data["heads"].toInt(), saved[1], grads[0]);
    return {grad_qkv, at::Tensor()};
  }
};
}  // namespace

bool cpu_attention_applies(const at::Tensor& qkv) {
  // bfloat16 (CPU autocast) in training only: torch's bf16 flash backward is slow on the CPU
  // (57 % of an rgb-small step), its forward is not.
  const auto type = qkv.scalar_type();
  return avx2_fma_kernels_run_here() && qkv.device().is_cpu() &&
         (type == at::kFloat || (type == at::kBFloat16 && records_grad(qkv))) && qkv.dim() == 3 &&
         qkv.size(1) <= kMaxTokens && qkv.is_contiguous();
}

const char* cpu_attention_kernel_set() { return avx2_fma_kernels_run_here() ? kernels().name : ""; }

at::Tensor cpu_attention(const at::Tensor& qkv, int64_t heads) {
  TORCH_CHECK(
      cpu_attention_applies(qkv) && qkv.size(2) % (3 * heads) == 0,
      "cpu_attention: expected a contiguous float (or, in training, bf16) CPU qkv of (B, N <= ",
      kMaxTokens, ", 3 * heads * head_dim), got ", qkv.sizes(), " ", qkv.scalar_type());
  if (records_grad(qkv)) return CpuAttentionFunction::apply(qkv, heads);
  return attention_forward(qkv, heads, at::Tensor());
}

}  // namespace mae
