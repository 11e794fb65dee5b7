"""Why: a folder's first pass (decode each picture once, shrink its shorter side to the crop-
faithful size) is where photo formats cost time. This times it side by side with what the
authors' loader does per picture (PIL's Image.open(f).convert("RGB")), followed by the same
shrink in PIL (antialiased bicubic), alternating round by round on one thread each.
Needs a Python with Pillow (pip install pillow). Usage:
  python scripts/bench_decode_vs_pil.py build/app/cli/mae FOLDER [--preset rgb-small] [--rounds 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import time

from PIL import Image

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm", ".pgm", ".pbm", ".pnm", ".tif",
              ".tiff")


def ours(mae, folder, preset):
    out = subprocess.run([mae, "bench-data", "--data", folder, "--preset", preset, "--batches", "1",
                          "--workers", "1", "--json"], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    return report["first_pass_seconds"], report["short_side_cap"]


def pil(files, short_side):
    start = time.perf_counter()
    for path in files:
        with Image.open(path) as picture:
            rgb = picture.convert("RGB")
        w, h = rgb.size
        if min(w, h) > short_side:
            scale = short_side / min(w, h)
            rgb.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BICUBIC)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mae")
    ap.add_argument("folder")
    ap.add_argument("--preset", default="rgb-small")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    files = sorted(os.path.join(root, name) for root, _, names in os.walk(a.folder)
                   for name in names if name.lower().endswith(EXTENSIONS))
    ratios = []
    for round_number in range(1, a.rounds + 1):
        ours_s, cap = ours(a.mae, a.folder, a.preset)
        pil_s = pil(files, cap)
        ratios.append(pil_s / ours_s)
        print(f"round {round_number}: {len(files)} files, ours {ours_s:.2f} s, PIL {pil_s:.2f} s "
              f"(shorter side to {cap} px), ours {ratios[-1]:.2f}x faster")
    print(f"median: ours {statistics.median(ratios):.2f}x PIL's speed")


if __name__ == "__main__":
    main()
