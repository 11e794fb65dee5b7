// Why: the two standard measures of a frozen representation, as in the MAE paper and DINO:
// a linear classifier on standardised features (the paper's BatchNorm without affine, then
// one linear layer) and a weighted k-nearest-neighbour vote on cosine similarity.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "analysis/features.h"

namespace mae {

struct ProbeOptions {
  int64_t epochs = 30;  // linear classifier: passes over the training features
  int64_t batch = 256;
  double lr = 0.1;  // SGD with momentum 0.9, cosine to 0, no weight decay (the paper's probe)
  int64_t knn_k = 20;
  double knn_temperature = 0.07;  // votes weighted by exp(similarity / T)
  uint64_t seed = 0;
};

struct ProbeScores {
  double linear_accuracy = 0.0;  // fraction of test items classified right
  double knn_accuracy = 0.0;
  at::Tensor confusion;  // (K, K) int64, rows = true class, columns = linear prediction
};

// Trains on `train`, scores on `test`; labels must lie in [0, classes).
ProbeScores probe_features(const LabelledFeatures& train, const LabelledFeatures& test,
                           int64_t classes, const ProbeOptions& options = {});

// Test accuracy of the weighted k-NN vote (cosine similarity of L2-normalised features).
at::Tensor knn_predict(const LabelledFeatures& train, const at::Tensor& test_features,
                       int64_t classes, int64_t k, double temperature);

}  // namespace mae
