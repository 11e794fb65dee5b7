// Why: row n's indices are offset by n * T so that one index_select over
// the (N * T, D) view picks every image's rows at once.
#include "model/gather_rows.h"

#include <ATen/ATen.h>

namespace mae {

at::Tensor gather_rows(const at::Tensor& x, const at::Tensor& ids) {
  const int64_t n = x.size(0), t = x.size(1), d = x.size(2);
  const auto offsets = at::arange(n, ids.options()).mul_(t).unsqueeze(1);
  return x.reshape({n * t, d})
      .index_select(0, (ids + offsets).reshape(-1))
      .view({n, ids.size(1), d});
}

at::Tensor gather_table_rows(const at::Tensor& table, const at::Tensor& ids) {
  return table.index_select(0, ids.reshape(-1)).view({ids.size(0), ids.size(1), table.size(1)});
}

}  // namespace mae
