// Why: a training step under autocast casts its Linear weights to 16 bits together and takes
// their gradients back to float32 together, instead of one cast per weight each way. Nothing
// else may change: the loss and every gradient must be autocast's own, bit for bit, here under
// the CPU's bf16 autocast (on a GPU, cuda_tests and gpu_check time the same code).
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "model/mae_model.h"
#include "model/weight_casts.h"
#include "small_configs.h"
#include "train/device.h"

using namespace mae;

namespace {
struct Step {
  at::Tensor loss;
  std::vector<at::Tensor> grads;
};

Step bf16_step(MaeModel& model, bool together) {
  model->cast_weights_together = together;
  model->zero_grad();
  const auto config = model->config();
  torch::manual_seed(5);
  const auto images = at::randn({4, config.in_chans, config.img_h, config.img_w});
  const auto noise = at::rand({4, config.num_patches()});
  Step s;
  {
    AutocastScope autocast("cpu", true);
    CHECK(weight_casts_apply(at::kCPU));
    s.loss = model->training_loss(images, noise, keep_count(config.num_patches(), 0.75));
  }
  s.loss.backward();
  for (const auto& p : model->parameters()) s.grads.push_back(p.grad().clone());
  return s;
}
}  // namespace

TEST_CASE("Linear weights cast together give autocast's loss and gradients exactly") {
  auto model = make_model(small_test_model(), 3);
  const auto together = bf16_step(model, true);
  const auto one_by_one = bf16_step(model, false);
  CHECK(at::equal(together.loss, one_by_one.loss));
  REQUIRE(together.grads.size() == one_by_one.grads.size());
  for (size_t i = 0; i < together.grads.size(); ++i) {
    CAPTURE(i);
    CHECK((together.grads[i].scalar_type() == at::kFloat));
    CHECK(at::equal(together.grads[i], one_by_one.grads[i]));
  }
  CHECK(model->linear_parameters().size() == 2 * (4 * (2 + 1) + 2));  // 3 blocks, 2 more layers
}

TEST_CASE("cast_weight finds a parameter's cast only while its WeightCasts lives") {
  auto weight = at::randn({3, 4}).requires_grad_(true);
  auto other = at::randn({4}).requires_grad_(true);
  {
    WeightCasts casts({weight}, at::kBFloat16);
    CHECK((cast_weight(weight).scalar_type() == at::kBFloat16));
    CHECK(at::equal(cast_weight(weight), weight.to(at::kBFloat16)));
    CHECK(cast_weight(other).is_same(other));
    cast_weight(weight).sum().backward();
  }
  CHECK(cast_weight(weight).is_same(weight));
  CHECK(at::equal(weight.grad(), at::ones({3, 4})));
  CHECK_FALSE(other.grad().defined());
  CHECK_FALSE(weight_casts_apply(at::kCPU));  // no autocast here
}
