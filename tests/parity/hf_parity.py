"""Why: numerical parity with Hugging Face's ViTMAEForPreTraining, on CPU in float32.
A randomly initialised model with a small non-default config (32 px, patch 4, 3 channels,
unequal encoder/decoder widths, eps 1e-6) is saved with save_pretrained; `mae forward`
loads that folder and runs the same input with the same masking noise. Loss, predictions,
mask and ids_restore must agree within 1e-5, with norm_pix_loss off and on, and so must
the parameters after one AdamW step. Our export (`mae convert --to hf`) must load with
from_pretrained and give our numbers back. The authors' .pth variants (written here by
torch.save: {'model': ...}, a training checkpoint with optimizer/epoch/scaler/argparse
args, a bare OrderedDict, an encoder-only file) and HF's pytorch_model.bin must load and
match too. Prints every max-abs difference."""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file
from transformers import ViTMAEConfig, ViTMAEForPreTraining

TOLERANCE = 1e-5
LR = 1e-3


def small_config(norm_pix):
    return ViTMAEConfig(image_size=32, patch_size=4, num_channels=3, hidden_size=48,
                        num_hidden_layers=2, num_attention_heads=3, intermediate_size=192,
                        decoder_hidden_size=32, decoder_num_hidden_layers=2,
                        decoder_num_attention_heads=4, decoder_intermediate_size=128,
                        layer_norm_eps=1e-6, mask_ratio=0.75, norm_pix_loss=norm_pix,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def hf_to_ours(hf_params):
    """Maps HF tensors to our names, fusing q/k/v (the mapping under test lives in C++;
    this independent Python copy checks it)."""
    renames = {"layernorm_before": "norm1", "layernorm_after": "norm2",
               "attention.output.dense": "attn.proj", "intermediate.dense": "mlp.fc1",
               "output.dense": "mlp.fc2"}
    top = {"vit.embeddings.cls_token": "cls_token",
           "vit.embeddings.patch_embeddings.projection.weight": "patch_embed.proj.weight",
           "vit.embeddings.patch_embeddings.projection.bias": "patch_embed.proj.bias",
           "vit.embeddings.position_embeddings": "pos_embed",
           "vit.layernorm.weight": "norm.weight", "vit.layernorm.bias": "norm.bias",
           "decoder.mask_token": "mask_token"}
    out, qkv = {}, {}
    for name, t in hf_params.items():
        if name in top:
            out[top[name]] = t
            continue
        if name.startswith("decoder.") and not name.startswith("decoder.decoder_layers."):
            out[name[len("decoder."):]] = t
            continue
        head = "vit.encoder.layer." if name.startswith("vit.") else "decoder.decoder_layers."
        index, rest = name[len(head):].split(".", 1)
        block = ("blocks." if head.startswith("vit") else "decoder_blocks.") + index + "."
        part, kind = rest.rsplit(".", 1)
        if part.startswith("attention.attention."):
            qkv.setdefault(block + "attn.qkv." + kind, {})[part.split(".")[-1]] = t
        else:
            out[block + renames[part] + "." + kind] = t
    for name, d in qkv.items():
        out[name] = torch.cat([d["query"], d["key"], d["value"]], 0)
    return out


def run(mae, *args):
    subprocess.run([mae, *args], check=True, stdout=subprocess.DEVNULL)


def max_diff(a, b):
    return (a.double() - b.double()).abs().max().item()


def check_forward(mae, work, norm_pix, report):
    torch.manual_seed(1 + int(norm_pix))
    model = ViTMAEForPreTraining(small_config(norm_pix))
    with torch.no_grad():  # HF initialises LayerNorms to 1/0 and biases to 0: perturb them
        for name, p in model.named_parameters():
            if p.requires_grad and (name.endswith("bias") or "norm" in name):
                p.add_(0.1 * torch.randn_like(p))
    model.eval()
    folder = os.path.join(work, f"hf-normpix-{int(norm_pix)}")
    model.save_pretrained(folder, safe_serialization=True)
    x, noise = torch.randn(2, 3, 32, 32), torch.rand(2, 64)
    save_file({"pixel_values": x}, os.path.join(work, "input.safetensors"))
    save_file({"noise": noise}, os.path.join(work, "noise.safetensors"))
    with torch.no_grad():
        ref = model(pixel_values=x, noise=noise)
    out = os.path.join(work, "ours.safetensors")
    params_out = os.path.join(work, "params.safetensors")
    run(mae, "forward", "--checkpoint", folder, "--input", os.path.join(work, "input.safetensors"),
        "--noise", os.path.join(work, "noise.safetensors"), "--out", out,
        "--adamw-lr", str(LR), "--params-out", params_out)
    ours = load_file(out)
    key = f"norm_pix_loss={norm_pix}"
    report[key] = {"loss": abs(ref.loss.item() - ours["loss"].item()),
                   "pred": max_diff(ref.logits, ours["pred"]),
                   "mask": max_diff(ref.mask, ours["mask"]),
                   "ids_restore": max_diff(ref.ids_restore, ours["ids_restore"])}

    # One AdamW step, with our parameter groups: no decay on biases and 1-D parameters.
    model.train()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_decay = [p for n, p in named if p.ndim <= 1 or n.endswith(".bias")]
    decay = [p for n, p in named if not (p.ndim <= 1 or n.endswith(".bias"))]
    opt = torch.optim.AdamW([{"params": no_decay, "weight_decay": 0.0},
                             {"params": decay, "weight_decay": 0.05}],
                            lr=LR, betas=(0.9, 0.95), eps=1e-8)
    opt.zero_grad()
    model(pixel_values=x, noise=noise).loss.backward()
    opt.step()
    stepped = hf_to_ours({n: p.detach() for n, p in named})
    ours_params = load_file(params_out)
    assert set(stepped) == set(ours_params), set(stepped) ^ set(ours_params)
    report[key]["params_after_adamw_step"] = max(max_diff(stepped[n], ours_params[n]) for n in stepped)
    return folder, x, noise


def check_export(mae, work, checkpoint, report):
    """Our checkpoint -> HF folder -> from_pretrained gives our forward back; and the
    HF -> ours -> HF round trip keeps every tensor bit for bit."""
    folder = os.path.join(work, "exported")
    run(mae, "convert", "--checkpoint", checkpoint, "--to", "hf", "--out", folder)
    model = ViTMAEForPreTraining.from_pretrained(folder).eval()
    c = model.config
    x = torch.randn(2, c.num_channels, c.image_size, c.image_size)
    noise = torch.rand(2, (c.image_size // c.patch_size) ** 2)
    save_file({"pixel_values": x}, os.path.join(work, "input2.safetensors"))
    save_file({"noise": noise}, os.path.join(work, "noise2.safetensors"))
    with torch.no_grad():
        ref = model(pixel_values=x, noise=noise)
    out = os.path.join(work, "ours2.safetensors")
    run(mae, "forward", "--checkpoint", checkpoint, "--input", os.path.join(work, "input2.safetensors"),
        "--noise", os.path.join(work, "noise2.safetensors"), "--out", out)
    ours = load_file(out)
    report["export_from_pretrained"] = {"loss": abs(ref.loss.item() - ours["loss"].item()),
                                        "pred": max_diff(ref.logits, ours["pred"])}
    back = os.path.join(work, "back.safetensors")
    again = os.path.join(work, "again")
    run(mae, "convert", "--checkpoint", folder, "--to", "mae", "--out", back)
    run(mae, "convert", "--checkpoint", back, "--to", "hf", "--out", again)
    a = load_file(os.path.join(folder, "model.safetensors"))
    b = load_file(os.path.join(again, "model.safetensors"))
    report["round_trip_hf_mae_hf"] = max(max_diff(a[k], b[k]) for k in a)
    assert set(a) == set(b)


def forward_diff(mae, work, checkpoint, ref, x_path, noise_path):
    out = os.path.join(work, "variant.safetensors")
    run(mae, "forward", "--checkpoint", checkpoint, "--input", x_path, "--noise", noise_path,
        "--out", out)
    ours = load_file(out)
    return max(abs(ref.loss.item() - ours["loss"].item()), max_diff(ref.logits, ours["pred"]))


def check_pth_variants(mae, work, report):
    """Weights as users bring them: written by torch.save itself, read by our unpickler."""
    torch.manual_seed(3)
    config = ViTMAEConfig(image_size=32, patch_size=4, num_channels=3, hidden_size=128,
                          num_hidden_layers=2, num_attention_heads=2, intermediate_size=512,
                          decoder_hidden_size=64, decoder_num_hidden_layers=1,
                          decoder_num_attention_heads=16, decoder_intermediate_size=256,
                          layer_norm_eps=1e-6, hidden_dropout_prob=0.0,
                          attention_probs_dropout_prob=0.0)
    model = ViTMAEForPreTraining(config).eval()
    x, noise = torch.randn(2, 3, 32, 32), torch.rand(2, 64)
    x_path, noise_path = os.path.join(work, "x3.safetensors"), os.path.join(work, "n3.safetensors")
    save_file({"pixel_values": x}, x_path)
    save_file({"noise": noise}, noise_path)
    with torch.no_grad():
        ref = model(pixel_values=x, noise=noise)
    sd = collections.OrderedDict(sorted(hf_to_ours(model.state_dict()).items()))
    opt = torch.optim.AdamW(model.parameters())
    variants = {
        "mae_visualize_vit_test.pth": {"model": dict(sd)},
        "checkpoint-3.pth": {"model": sd, "optimizer": opt.state_dict(), "epoch": 3,
                             "scaler": {"scale": 65536.0, "growth_factor": 2.0},
                             "args": argparse.Namespace(norm_pix_loss=False, model="mae_vit_test",
                                                        input_size=32, mask_ratio=0.75)},
        "bare_ordered_dict.pth": sd,
    }
    results = {}
    for name, obj in variants.items():
        path = os.path.join(work, name)
        torch.save(obj, path)
        results[name] = forward_diff(mae, work, path, ref, x_path, noise_path)
    encoder_only = os.path.join(work, "mae_pretrain_vit_test.pth")
    torch.save({"model": {k: v for k, v in sd.items() if not k.startswith("decoder") and k != "mask_token"}},
               encoder_only)
    info = subprocess.run([mae, "info", encoder_only], capture_output=True, text=True, check=True).stdout
    assert "encoder only" in info, info
    refused = subprocess.run([mae, "forward", "--checkpoint", encoder_only, "--input", x_path,
                              "--noise", noise_path, "--out", os.path.join(work, "no.safetensors")],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "encoder-only" in refused.stderr, refused.stderr
    folder = os.path.join(work, "hf-bin")
    model.save_pretrained(folder, safe_serialization=False)
    assert os.path.exists(os.path.join(folder, "pytorch_model.bin"))
    results["hf pytorch_model.bin"] = forward_diff(mae, work, folder, ref, x_path, noise_path)
    # Our export in the authors' layout opens with torch.load (weights_only) and holds the
    # authors' key set with the same values.
    exported = os.path.join(work, "exported.pth")
    run(mae, "convert", "--checkpoint", os.path.join(work, "mae_visualize_vit_test.pth"),
        "--to", "pth", "--out", exported)
    loaded = torch.load(exported, weights_only=True)["model"]
    assert set(loaded) == set(sd), set(loaded) ^ set(sd)
    results["export to .pth, torch.load round trip"] = max(max_diff(loaded[k], sd[k]) for k in sd)
    report["pth_variants"] = results


def main():
    mae, checkpoint = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    report = {}
    with tempfile.TemporaryDirectory() as work:
        check_forward(mae, work, False, report)
        check_forward(mae, work, True, report)
        check_export(mae, work, checkpoint, report)
        check_pth_variants(mae, work, report)
    print(json.dumps(report, indent=2))
    worst = max(v if isinstance(v, float) else max(v.values()) for v in report.values())
    print(f"max abs difference over all outputs: {worst:.3g} (tolerance {TOLERANCE})")
    assert report["round_trip_hf_mae_hf"] == 0.0, "round trip changed a tensor"
    assert worst <= TOLERANCE, "parity outside tolerance"


if __name__ == "__main__":
    main()
