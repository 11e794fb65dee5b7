"""Why: a like-for-like speed check against a reference implementation that runs here:
Hugging Face's ViTMAEForPreTraining (PyTorch eager, same torch version) configured as one
of our presets, timed on the same machine and batch as `mae bench` (forward, backward and
AdamW on synthetic images; median step). Usage:
  ~/.cache/mae-studio/torch-2.11.0/bin/python scripts/bench_vs_hf.py build/app/cli/mae fmnist-tiny 128 [cpu|cuda]
"""
import json
import subprocess
import sys
import time

import torch
from transformers import ViTMAEConfig, ViTMAEForPreTraining

PRESETS = {  # image, patch, channels, dim, depth, heads, dec dim, dec depth, dec heads
    "fmnist-tiny": (28, 4, 1, 128, 4, 4, 128, 2, 4),
    "rgb-small": (64, 8, 3, 192, 6, 6, 128, 2, 4),
    "vit-b16": (224, 16, 3, 768, 12, 12, 512, 8, 16),
}


def bench_hf(preset, batch, device, steps=5, warmup=2):
    img, patch, ch, dim, depth, heads, ddim, ddepth, dheads = PRESETS[preset]
    config = ViTMAEConfig(image_size=img, patch_size=patch, num_channels=ch, hidden_size=dim,
                          num_hidden_layers=depth, num_attention_heads=heads,
                          intermediate_size=4 * dim, decoder_hidden_size=ddim,
                          decoder_num_hidden_layers=ddepth, decoder_num_attention_heads=dheads,
                          decoder_intermediate_size=4 * ddim, layer_norm_eps=1e-6,
                          hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = ViTMAEForPreTraining(config).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05)
    x = torch.randn(batch, ch, img, img, device=device)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(pixel_values=x).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    times.sort()
    return batch / times[len(times) // 2]


def main():
    mae, preset, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    device = sys.argv[4] if len(sys.argv) > 4 else "cpu"
    torch.set_num_threads(torch.get_num_threads())
    hf = bench_hf(preset, batch, device)
    ours = json.loads(subprocess.run([mae, "bench", "--preset", preset, "--batch", str(batch),
                                      "--device", device, "--json"], capture_output=True,
                                     text=True, check=True).stdout)
    print(json.dumps({"preset": preset, "batch": batch, "device": device,
                      "hf_train_images_per_sec": hf,
                      "ours_train_images_per_sec": ours["train_images_per_sec"],
                      "speedup": ours["train_images_per_sec"] / hf}, indent=2))


if __name__ == "__main__":
    main()
