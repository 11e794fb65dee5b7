// Why: every product here is a sum over one axis into a strip of
// running values held in registers (acc += a * x[strip]), two vectors wide, over copies of q,
// k, v padded with zeros to whole strips, so the compiler turns each into a chain of vector
// multiply-adds. On x86-64 the file is built for AVX2 with FMA (CMakeLists.txt), and again
// for AVX-512 by cpu_attention_kernel_avx512.cpp, which sets the macros below first (and
// MAE_VEC_FLOATS, which cpu_vector_math.h otherwise sets to 8).
#ifndef MAE_ATTENTION_KERNELS
#define MAE_ATTENTION_KERNELS attention_kernels_avx2
#define MAE_KERNELS_NAME "avx2"
#endif

#include "model/cpu_attention_kernel.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "model/cpu_vector_math.h"

namespace mae {

namespace {
constexpr int64_t kLanes = 2 * cpu_vec::kVec;  // the width of a strip: two vectors
constexpr int64_t kRows = 4;  // rows per block: 4 strips of sums hide the multiply-add latency

using cpu_vec::exp_nonpositive;
using cpu_vec::kVec;
using cpu_vec::load;
using cpu_vec::Vec;

int64_t padded(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// The one product of this file. For rows r < R of a block:
//   acc[r] = sum over t < steps of a[r * a_row + t * a_step] * b[t * b_step + 0..16),
// i.e. R rows of a matrix A (read through any strides) times a 16-wide strip of B, with
// 2R vectors of running sums held in registers.
template <int64_t R>
void block_product(const float* __restrict a, int64_t a_row, int64_t a_step,
                   const float* __restrict b, int64_t b_step, int64_t steps, float* __restrict out,
                   int64_t out_row, int64_t width) {
  Vec lo[R], hi[R];
  for (int64_t r = 0; r < R; ++r) lo[r] = hi[r] = Vec{};
  for (int64_t t = 0; t < steps; ++t) {
    const Vec strip_lo = load(b + t * b_step), strip_hi = load(b + t * b_step + kVec);
    for (int64_t r = 0; r < R; ++r) {
      const float x = a[r * a_row + t * a_step];
      lo[r] += x * strip_lo;
      hi[r] += x * strip_hi;
    }
  }
  for (int64_t r = 0; r < R; ++r) {
    float* o = out + r * out_row;
    if (width == kLanes) {
      std::memcpy(o, &lo[r], sizeof(Vec));
      std::memcpy(o + kVec, &hi[r], sizeof(Vec));
    } else {  // the last strip of a row whose length is not a multiple of 16
      float strip[kLanes];
      std::memcpy(strip, &lo[r], sizeof(Vec));
      std::memcpy(strip + kVec, &hi[r], sizeof(Vec));
      const auto kept = static_cast<size_t>(std::clamp<int64_t>(width, 0, kLanes));
      std::memcpy(o, strip, kept * sizeof(float));
    }
  }
}

// out (rows x width, row r at out + r * out_row) = A B as above, the strip loop outside, blocks
// of kRows rows inside, the rows left over one by one; only the first `width` lanes are kept.
void product(const float* a, int64_t a_row, int64_t a_step, const float* b, int64_t b_step,
             int64_t steps, int64_t rows, int64_t width, float* out, int64_t out_row) {
  for (int64_t l0 = 0; l0 < width; l0 += kLanes) {
    const int64_t kept = std::min(kLanes, width - l0);
    int64_t r0 = 0;
    for (; r0 + kRows <= rows; r0 += kRows)
      block_product<kRows>(a + r0 * a_row, a_row, a_step, b + l0, b_step, steps,
                           out + r0 * out_row + l0, out_row, kept);
    for (; r0 < rows; ++r0)
      block_product<1>(a + r0 * a_row, a_row, a_step, b + l0, b_step, steps,
                       out + r0 * out_row + l0, out_row, kept);
  }
}

// R rows of np = padded(n) values each, row r at rows + r * np: entries n.. are made -inf, so
// that whole vectors can be read. Each row = softmax(row * scale) over its first n entries,
// zeros after them. The R rows go in step, so that their chains of dependent steps (the
// maximum's, e^x's, the sum's) overlap instead of one row waiting on each.
template <int64_t R>
void softmax_rows(float* __restrict rows, int64_t n, int64_t np, float scale) {
  for (int64_t r = 0; r < R; ++r)
    for (int64_t j = n; j < np; ++j) rows[r * np + j] = -std::numeric_limits<float>::infinity();
  Vec top[R];
  for (int64_t r = 0; r < R; ++r) top[r] = load(rows + r * np);
  for (int64_t j = kVec; j < np; j += kVec)
    for (int64_t r = 0; r < R; ++r) {
      const Vec x = load(rows + r * np + j);
      top[r] = x > top[r] ? x : top[r];
    }
  float largest[R];  // scale > 0: the largest scaled entry
  for (int64_t r = 0; r < R; ++r) largest[r] = cpu_vec::largest_lane(top[r]) * scale;
  Vec sum[R];
  for (int64_t r = 0; r < R; ++r) sum[r] = Vec{};
  for (int64_t j = 0; j < np; j += kVec)
    for (int64_t r = 0; r < R; ++r) {
      const Vec e = exp_nonpositive(load(rows + r * np + j) * scale - largest[r]);
      sum[r] += e;
      cpu_vec::store(rows + r * np + j, e);
    }
  // The padding's e^-87.3 (1e-38) apiece vanishes beside the largest entry's 1. It is zeroed
  // before the rows are scaled: times the inverse it would be a denormal, which costs a
  // microcode assist per lane.
  for (int64_t r = 0; r < R; ++r) {
    float* row = rows + r * np;
    const float inverse = 1.f / cpu_vec::lane_sum(sum[r]);
    for (int64_t j = n; j < np; ++j) row[j] = 0.f;
    for (int64_t j = 0; j < np; j += kVec) cpu_vec::store(row + j, load(row + j) * inverse);
  }
}

// g = p * (g - <p, g>) * scale over rows of np floats (softmax's backward, scaled).
void softmax_backward_row(const float* __restrict p, float* __restrict g, int64_t np, float scale) {
  Vec dot{};
  for (int64_t j = 0; j < np; j += kVec) dot += load(p + j) * load(g + j);
  const float weighted = cpu_vec::lane_sum(dot);
  for (int64_t j = 0; j < np; ++j) g[j] = p[j] * (g[j] - weighted) * scale;
}

float widen(float x) { return x; }
float widen(Bf16 x) { return std::bit_cast<float>(static_cast<uint32_t>(x.bits) << 16); }

// Rounded to nearest, ties to even, as torch's float-to-bfloat16 conversion.
void narrow_into(float x, Bf16* to) {
  if (std::isnan(x)) {
    to->bits = 0x7fc0;
    return;
  }
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  to->bits = static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

template <class T>
const T* q_row(const AttentionHead<T>& h, int64_t i) {
  return h.qkv + i * 3 * h.dim + h.head * h.head_dim;
}

// rows (n x dp): row i holds d values from src + i * stride, then zeros.
template <class T>
void copy_rows(const T* __restrict src, int64_t stride, int64_t n, int64_t d, int64_t dp,
               float* __restrict rows) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) rows[i * dp + c] = widen(src[i * stride + c]);
}

// columns (d x np): column j holds the d values at src + j * stride.
template <class T>
void copy_columns(const T* __restrict src, int64_t stride, int64_t n, int64_t d, int64_t np,
                  float* __restrict columns) {
  for (int64_t c = 0; c < d; ++c)
    for (int64_t j = 0; j < n; ++j) columns[c * np + j] = widen(src[j * stride + c]);
}

// dst (n rows of d values, row i at dst + i * stride) = rows (n x d), rounded to bf16.
void store_rows(const float* __restrict rows, int64_t n, int64_t d, Bf16* __restrict dst,
                int64_t stride) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c) narrow_into(rows[i * d + c], dst + i * stride + c);
}

// out (rows x width, row r at out + r * out_row) = A B, as product(); a float result is
// written in place, a bf16 one through `staging` (rows x width floats), rounded once.
template <class T>
void product_into(const float* a, int64_t a_row, int64_t a_step, const float* b, int64_t b_step,
                  int64_t steps, int64_t rows, int64_t width, T* out, int64_t out_row,
                  float* staging) {
  if constexpr (std::is_same_v<T, float>) {
    (void)staging;
    product(a, a_row, a_step, b, b_step, steps, rows, width, out, out_row);
  } else {
    product(a, a_row, a_step, b, b_step, steps, rows, width, staging, width);
    store_rows(staging, rows, width, out, out_row);
  }
}
int64_t attention_probs_floats(int64_t tokens) { return tokens * padded(tokens); }

// Both leave room for bf16's copies: q's rows (forward) and the results before rounding.
int64_t attention_forward_scratch(int64_t tokens, int64_t head_dim) {
  return head_dim * padded(tokens) + 2 * tokens * padded(head_dim) + tokens * head_dim;
}

int64_t attention_backward_scratch(int64_t tokens, int64_t head_dim) {
  const int64_t np = padded(tokens), dp = padded(head_dim);
  return 3 * tokens * dp + head_dim * np + tokens * np + tokens * head_dim;
}

template <class T>
void attention_head_forward(const AttentionHead<T>& h, float scale, float* probs, T* out,
                            float* scratch) {
  const int64_t n = h.tokens, d = h.head_dim, np = padded(n), dp = padded(d);
  const int64_t stride = 3 * h.dim;
  float* k_columns = scratch;          // d x np
  float* v_rows = k_columns + d * np;  // n x dp
  float* q_rows = v_rows + n * dp;     // n x dp, for bf16
  float* staging = q_rows + n * dp;    // n x d, for bf16
  // k's columns and v's rows are read in whole vectors, so their padding must be zero; q's
  // rows are read value by value, up to d, and need no filling.
  std::fill(scratch, q_rows, 0.f);
  copy_columns(q_row(h, 0) + h.dim, stride, n, d, np, k_columns);
  copy_rows(q_row(h, 0) + 2 * h.dim, stride, n, d, dp, v_rows);
  if constexpr (std::is_same_v<T, float>) {                               // q read in place
    product(q_row(h, 0), stride, 1, k_columns, np, d, n, np, probs, np);  // q k^T
  } else {
    copy_rows(q_row(h, 0), stride, n, d, dp, q_rows);
    product(q_rows, dp, 1, k_columns, np, d, n, np, probs, np);
  }
  int64_t i = 0;
  for (; i + kRows <= n; i += kRows) softmax_rows<kRows>(probs + i * np, n, np, scale);
  for (; i < n; ++i) softmax_rows<1>(probs + i * np, n, np, scale);
  product_into(probs, np, 1, v_rows, dp, n, n, d, out + h.head * d, h.dim, staging);
}

template <class T>
void attention_head_backward(const AttentionHead<T>& h, float scale, const float* probs,
                             const T* grad_out, T* grad_qkv, float* scratch) {
  const int64_t n = h.tokens, d = h.head_dim, np = padded(n), dp = padded(d);
  const int64_t stride = 3 * h.dim;
  float* q_rows = scratch;                    // n x dp
  float* k_rows = q_rows + n * dp;            // n x dp
  float* grad_out_rows = k_rows + n * dp;     // n x dp
  float* v_columns = grad_out_rows + n * dp;  // d x np
  float* grad_scores = v_columns + d * np;    // n x np: d(q k^T) = scale * softmax'(dO v^T)
  float* staging = grad_scores + n * np;      // n x d, for bf16
  std::fill(scratch, grad_scores, 0.f);       // the copies' padding; grad_scores is written whole
  copy_rows(q_row(h, 0), stride, n, d, dp, q_rows);
  copy_rows(q_row(h, 0) + h.dim, stride, n, d, dp, k_rows);
  copy_rows(grad_out + h.head * d, h.dim, n, d, dp, grad_out_rows);
  copy_columns(q_row(h, 0) + 2 * h.dim, stride, n, d, np, v_columns);
  product(grad_out_rows, dp, 1, v_columns, np, d, n, np, grad_scores, np);  // d probs
  for (int64_t i = 0; i < n; ++i)
    softmax_backward_row(probs + i * np, grad_scores + i * np, np, scale);
  T* grad_q = grad_qkv + h.head * d;
  product_into(grad_scores, np, 1, k_rows, dp, n, n, d, grad_q, stride, staging);  // dS K
  product_into(grad_scores, 1, np, q_rows, dp, n, n, d, grad_q + h.dim, stride,
               staging);  // dS^T Q
  product_into(probs, 1, np, grad_out_rows, dp, n, n, d, grad_q + 2 * h.dim, stride,
               staging);  // P^T dO
}

}  // namespace

const AttentionKernels& MAE_ATTENTION_KERNELS() {
  static const AttentionKernels kernels{MAE_KERNELS_NAME,
                                        attention_probs_floats,
                                        attention_forward_scratch,
                                        attention_backward_scratch,
                                        attention_head_forward<float>,
                                        attention_head_forward<Bf16>,
                                        attention_head_backward<float>,
                                        attention_head_backward<Bf16>};
  return kernels;
}

}  // namespace mae
