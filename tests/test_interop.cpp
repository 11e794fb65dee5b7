// Why: the formats users bring must never run code or crash us: the .pth reader rebuilds
// tensors from a torch.save zip, turns any other class into an inert placeholder, and
// reports truncated or corrupt archives; the HF name mapping inverts exactly.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "io/authors_pth.h"
#include "io/checkpoint.h"
#include "io/hf_vitmae.h"
#include "io/model_files.h"
#include "io/torch_pickle.h"
#include "io/zip_archive.h"
#include "small_configs.h"
#include "test_support.h"

using namespace mae;

TEST_CASE("torch.save-style archives round trip, with non-contiguous tensors") {
  TempDir dir;
  NamedTensors tensors = {{"a", torch::randn({3, 4})},
                          {"b", torch::randn({4, 3}).t()},
                          {"c", torch::arange(5, torch::kLong)}};
  save_torch_state_dict(dir.path("x.pth"), tensors, "note", "hello");
  auto root = load_torch_archive(dir.path("x.pth"));
  std::string under;
  auto back = state_dict_of(root, &under);
  CHECK(under == "model");
  CHECK(root_string(root, "note") == "hello");
  REQUIRE(back.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(torch::equal(back[i].second, tensors[i].second));
}

TEST_CASE("a pickle naming arbitrary callables gets placeholders, nothing runs") {
  TempDir dir;
  // {'model': os.system('echo pwned')} written by hand: GLOBAL, MARK, string, TUPLE, REDUCE.
  std::vector<uint8_t> pkl = {0x80, 2, '}', 'X', 5, 0, 0, 0};
  for (char c : std::string("modelcos\nsystem\n(X")) pkl.push_back(static_cast<uint8_t>(c));
  for (uint8_t b : {10, 0, 0, 0}) pkl.push_back(b);
  for (char c : std::string("echo pwnedtRs.")) pkl.push_back(static_cast<uint8_t>(c));
  write_zip(dir.path("evil.pth"), {{"archive/data.pkl", pkl}, {"archive/version", {'3', '\n'}}});
  auto root = load_torch_archive(dir.path("evil.pth"));
  REQUIRE(root->kind == PickleValue::Kind::Dict);
  CHECK(root->entries[0].second->kind == PickleValue::Kind::Object);
  CHECK(root->entries[0].second->s == "os.system");
  std::string under;
  CHECK_THROWS_AS(state_dict_of(root, &under), CheckpointError);
}

TEST_CASE("truncated and corrupt .pth files give CheckpointError") {
  TempDir dir;
  auto model = make_model(small_test_model(), 0);
  NamedTensors state = model_state(model);
  write_authors_pth(dir.path("m.pth"), state, model->config());
  CHECK(read_model_file(dir.path("m.pth")).config.to_json() == model->config().to_json());
  auto bytes = read_bytes(dir.path("m.pth"));
  write_bytes(dir.path("half.pth"), {bytes.begin(), bytes.begin() + bytes.size() / 2});
  CHECK_THROWS_AS(read_model_file(dir.path("half.pth")), CheckpointError);
  bytes[bytes.size() / 3] ^= 0xff;  // flips a byte inside tensor data: CRC mismatch
  write_bytes(dir.path("flipped.pth"), bytes);
  CHECK_THROWS_AS(read_model_file(dir.path("flipped.pth")), CheckpointError);
  write_bytes(dir.path("text.pth"), {'h', 'e', 'l', 'l', 'o'});
  CHECK_THROWS_AS(read_model_file(dir.path("text.pth")), CheckpointError);
}

TEST_CASE("architecture inferred from the authors' shapes") {
  auto c = small_test_model();
  c.embed_dim = 128;  // 128 / 64 = 2 heads, as the paper's widths give 64-wide heads
  c.num_heads = 2;
  c.dec_dim = 64;
  c.dec_heads = 16;
  auto model = make_model(c, 0);
  NamedTensors state;
  for (const auto& p : model->named_parameters()) state.emplace_back(p.key(), p.value());
  for (const auto& b : model->named_buffers()) state.emplace_back(b.key(), b.value());
  auto arch = infer_architecture(state, "mae_visualize_vit_small.pth", -1);
  CHECK(arch.has_decoder);
  CHECK_FALSE(arch.config.norm_pix_loss);
  CHECK(arch.config.img_h == 16);
  CHECK(arch.config.depth == c.depth);
  CHECK(arch.config.num_heads == 2);
  CHECK(arch.config.dec_depth == c.dec_depth);
  NamedTensors encoder;
  for (const auto& [n, t] : state)
    if (n.rfind("decoder", 0) != 0 && n != "mask_token") encoder.emplace_back(n, t);
  auto enc = infer_architecture(encoder, "mae_pretrain_vit_small.pth", -1);
  CHECK_FALSE(enc.has_decoder);
  CHECK(enc.config.norm_pix_loss);
  CHECK(enc.note.find("cannot reconstruct") != std::string::npos);
}

TEST_CASE("an encoder-only file gives the probe its encoder, and no model to reconstruct") {
  // The authors' mae_pretrain_vit_*.pth: the weights their linear probing starts from.
  TempDir dir;
  auto c = small_test_model();
  c.embed_dim = 128;  // 64-wide heads, as the authors' widths give
  c.num_heads = 2;
  auto model = make_model(c, 3);
  model->eval();
  NamedTensors encoder;
  for (const auto& [name, t] : model_state(model))
    if (name.rfind("decoder", 0) != 0 && name != "mask_token") encoder.emplace_back(name, t);
  const auto path = dir.path("mae_pretrain_vit_tiny.pth");
  save_torch_state_dict(path, encoder);
  const auto file = read_model_file(path);
  REQUIRE_FALSE(file.has_decoder);
  CHECK_THROWS_AS(build_model(file, "cpu"), CheckpointError);
  auto built = build_encoder(file, "cpu");
  const auto images = torch::randn({2, c.in_chans, c.img_h, c.img_w});
  const auto noise = torch::arange(c.num_patches(), torch::kFloat).expand({2, c.num_patches()});
  torch::NoGradGuard no_grad;
  CHECK(torch::equal(built->forward_encoder(images, noise, c.num_patches()).latent,
                     model->forward_encoder(images, noise, c.num_patches()).latent));
  // A file missing an encoder tensor is still refused, naming it.
  encoder.erase(encoder.begin());
  save_torch_state_dict(dir.path("cut.pth"), encoder);
  CHECK_THROWS_WITH_AS(build_encoder(read_model_file(dir.path("cut.pth")), "cpu"),
                       doctest::Contains("missing"), CheckpointError);
}

TEST_CASE("Hugging Face names split and fuse qkv exactly") {
  auto model = make_model(small_test_model(), 0);
  NamedTensors ours;
  for (const auto& p : model->named_parameters()) ours.emplace_back(p.key(), p.value());
  auto hf = to_hf_names(ours);
  // 3 blocks (2 encoder, 1 decoder): each qkv weight and bias becomes three tensors
  CHECK(hf.size() == ours.size() + 3 * 4);
  auto back = from_hf_names(hf);
  REQUIRE(back.size() == ours.size());
  for (const auto& [name, t] : ours) {
    bool found = false;
    for (const auto& [n, u] : back)
      if (n == name) found = torch::equal(t, u);
    CHECK_MESSAGE(found, name);
  }
  auto from_hf = config_from_hf_json(hf_config_json(model->config()));
  from_hf.preset = model->config().preset;
  CHECK(from_hf.to_json() == model->config().to_json());
}
