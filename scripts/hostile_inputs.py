#!/usr/bin/env python3
# Why: the table of hostile inputs that issue 9 asks for, measured the way an attacker would
# try them: crafted files handed to the `mae` command. Each row shows the command's exit
# status, its one-line message, and the child's peak RSS (so a small file that makes us
# allocate gigabytes shows up). Usage: scripts/hostile_inputs.py build/app/cli/mae
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

MAE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/app/cli/mae")
work = tempfile.mkdtemp(prefix="mae-hostile-")
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rows = []


def path(name):
    return os.path.join(work, name)


def write(name, data):
    os.makedirs(os.path.dirname(path(name)), exist_ok=True)
    with open(path(name), "wb") as f:
        f.write(data)
    return path(name)


def run(label, size, *args):
    # /usr/bin/time forks `mae` from a small process: a child forked from this Python would
    # inherit Python's own peak RSS (it builds the bombs) as its starting high-water mark.
    proc = subprocess.run(["/usr/bin/time", "-f", "peak-rss-kib %M", MAE, *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.decode(errors="replace").strip().splitlines()
    rss_kib = int(err.pop().split()[-1]) if err and err[-1].startswith("peak-rss-kib") else 0
    signalled = bool(err) and "terminated by signal" in err[-1]
    if err and err[-1].startswith("Command "):
        err.pop()
    code = -1 if signalled else proc.returncode
    outcome = "exit %d" % code if code >= 0 else "KILLED by a signal"
    message = err[-1] if err else ""
    if len(message) > 150:
        message = message[:147] + "..."
    rows.append((label, size, args[0], outcome, message.replace("|", "\\|"), rss_kib // 1024))


def safetensors(tensors, meta=None, raw_header=None):
    header = {"__metadata__": meta} if meta else {}
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def torch_zip(pickle, storages=None, deflate=False, declared=None):
    import io
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        z.writestr("archive/data.pkl", pickle)
        for key, raw in (storages or {}).items():
            z.writestr("archive/data/" + key, raw)
        z.writestr("archive/version", b"3\n")
    return buf.getvalue()


def tensor_pickle(numel, sizes, strides):
    return (b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\0\0\0storagectorch\nFloatStorage\n"
            b"X\x01\0\0\0" b"0X\x03\0\0\0cpuK" + bytes([numel]) + b"tQK\0" + sizes + strides + b"\x89tR")


model_config = json.dumps({"preset": "t", "img_h": 8, "img_w": 8, "patch": 4, "in_chans": 1,
                           "embed_dim": 8, "depth": 1, "num_heads": 2, "dec_dim": 8, "dec_depth": 1,
                           "dec_heads": 2, "mlp_ratio": 2.0, "ln_eps": 1e-6, "norm_pix_loss": False,
                           "mean": [0.5], "std": [0.25]})
hf_config = {"model_type": "vit_mae", "image_size": 32, "patch_size": 8, "num_channels": 3,
             "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
             "decoder_hidden_size": 16, "decoder_num_hidden_layers": 1,
             "decoder_num_attention_heads": 2, "intermediate_size": 64,
             "decoder_intermediate_size": 32}

# --- images, through `mae reconstruct --image` -------------------------------------------
ckpt = os.path.join(root, "assets/fmnist-tiny.safetensors")
pic = write("pic-named.png", b"\x53\x80\xf6\x34" + b"PICT" * 30)
pgm = write("truncated.png", b"P5\n64 64\n255\n\x01\x02")
tga = write("truncated.tga.png", bytes([0, 0, 2] + [0] * 9 + [64, 0, 64, 0, 24, 0]))
jpeg_bad_huffman = os.path.join(root, "tests/data/stb-huffman-ub.jpg")  # found by fuzz_image_decode
png_bomb_header = write("huge-header.png", b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" +
                        struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0) + b"\0" * 4)
bmp_cut = write("cut.bmp", b"BM" + struct.pack("<IHHI", 58, 0, 0, 54) +
                struct.pack("<IiiHHIIiiII", 40, 163, 9220, 1, 24, 0, 0, 0, 0, 0, 0) + b"\xdc" * 4)
png_liar_idat = os.path.join(root, "fuzz/corpus/fuzz_image_decode/png_idat_length_beyond_file.png")
png_empty_idat = os.path.join(root, "fuzz/corpus/fuzz_image_decode/png_empty_idat_cut_short.png")
for label, f in [("PIC file named .png (crashed stb before)", pic),
                 ("58-byte BMP claiming 163x9220 (decoded as black before)", bmp_cut),
                 ("PNG declaring a 2 GiB IDAT in 64 bytes (stb allocated it)", png_liar_idat),
                 ("PNG with an empty IDAT, cut short (UB in stb before)", png_empty_idat),
                 ("truncated PGM named .png (uninitialised output before)", pgm),
                 ("truncated TGA named .png", tga),
                 ("JPEG with a broken Huffman table (UB in stb's decoder)", jpeg_bad_huffman),
                 ("PNG header claiming 100000x100000", png_bomb_header)]:
    run(label, os.path.getsize(f), "reconstruct", "--checkpoint", ckpt, "--image", f, "--out", path("o.png"))

# --- checkpoints, through `mae info` ------------------------------------------------------
long_name = write("hf-long/model.safetensors",
                  safetensors({"vit.encoder.layer.0." + "a" * (1 << 20) + ".bias": ("F32", [1], b"\0" * 4)}))
write("hf-long/config.json", json.dumps(hf_config).encode())
run("HF folder with a 1 MiB tensor name (regex stack overflow before)", os.path.getsize(long_name),
    "info", os.path.dirname(long_name))
deep = write("deep.pth", torch_zip(b"\x80\x02" + b"]" * 1000000 + b"a" * 999999 + b"."))
run("pickle nested a million lists deep (destructor overflow before)", os.path.getsize(deep), "info", deep)
wide = write("memo.pth", torch_zip(b"\x80\x02N\x94" + b"h\x00" * 3000000 + b".", deflate=True))
run("pickle pushing one memo entry 3 million times", os.path.getsize(wide), "info", wide)
stride0 = write("stride0.pth", torch_zip(b"\x80\x02}X\x01\0\0\0w" + tensor_pickle(4, b"J\0\0\1\0J\0\0\1\0\x86",
                                                                              b"K\0K\0\x86") + b"s.",
                                         {"0": b"\0" * 16}))
run("stride-0 view of 4 floats claiming 65536x65536", os.path.getsize(stride0), "info", stride0)
huge_numel = write("numel.pth", torch_zip(b"\x80\x02}X\x01\0\0\0w" +
                                          tensor_pickle(255, b"K\x02\x85", b"K\x01\x85") + b"s.",
                                          {"0": b"\0" * 16}))
run("storage claiming more elements than its record", os.path.getsize(huge_numel), "info", huge_numel)
zip_bomb = write("zipbomb.pth", torch_zip(b"\x80\x02N" + b"\x94" * 1 + b"." + b"\0" * (300 << 20), deflate=True))
run("deflated data.pkl of 300 MiB (a zip bomb)", os.path.getsize(zip_bomb), "info", zip_bomb)
negative = write("negative-step.safetensors", safetensors({"cls_token": ("F32", [1, 1, 8], b"\0" * 32)},
                                                          {"format": "mae-studio-checkpoint", "model_config": model_config,
                                                           "step": "-5", "loss": "0.5"}))
os.makedirs(path("resume-run"), exist_ok=True)
os.replace(negative, path("resume-run/last.safetensors"))
run("checkpoint with step -5 (crashed train --resume before)", 300, "train", "--resume", "--out", path("resume-run"))
# A real run's checkpoint whose optimizer step counts say -3 (they feed AdamW's bias correction).
subprocess.run([MAE, "train", "--preset", "fmnist-tiny", "--steps", "1", "--device", "cpu",
                "--out", path("opt-run")], capture_output=True, check=True)
with open(path("opt-run/last.safetensors"), "r+b") as f:
    header_len = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(header_len))
    for name, entry in header.items():
        if name.endswith(".step") and name.startswith("optimizer."):
            f.seek(8 + header_len + entry["data_offsets"][0])
            f.write(struct.pack("<q", -3))
run("checkpoint whose optimizer step counts are -3", os.path.getsize(path("opt-run/last.safetensors")),
    "train", "--resume", "--device", "cpu", "--out", path("opt-run"))
# The shipped model as the authors' .pth, cut in half (a copy that stopped midway).
subprocess.run([MAE, "convert", "--checkpoint", os.path.join(root, "assets/fmnist-tiny.safetensors"),
                "--to", "pth", "--out", path("whole.pth")], capture_output=True, check=True)
with open(path("whole.pth"), "rb") as f:
    whole = f.read()
cut_pth = write("cut.pth", whole[:len(whole) // 2])
run("an authors' .pth cut in half", os.path.getsize(cut_pth), "info", cut_pth)
giant_cfg = json.loads(model_config)
giant_cfg.update(embed_dim=8192, depth=128, num_heads=8)
giant = write("giant.safetensors", safetensors({"x": ("F32", [1], b"\0" * 4)},
                                               {"format": "mae-studio-checkpoint", "model_config": json.dumps(giant_cfg),
                                                "step": "1", "loss": "0.5"}))
run("checkpoint config asking for 100 billion parameters", os.path.getsize(giant), "info", giant)
overflow = write("overflow.safetensors", safetensors({}, raw_header=json.dumps(
    {"w": {"dtype": "F32", "shape": [1 << 32, 1 << 32], "data_offsets": [0, 0]}}).encode()))
run("safetensors shape 2^32 x 2^32 (wraps to 0 bytes)", os.path.getsize(overflow), "info", overflow)
big_header = write("bigheader.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
run("safetensors header length 2^40", os.path.getsize(big_header), "info", big_header)
nested = write("nested.safetensors", safetensors({}, raw_header=b"[" * (8 << 20)))
run("safetensors header of 8 MiB of '['", os.path.getsize(nested), "info", nested)
os.makedirs(path("hf-dir/config.json"), exist_ok=True)
write("hf-dir/model.safetensors", safetensors({"x": ("F32", [1], b"\0" * 4)}))
run("HF folder whose config.json is a folder", 0, "info", path("hf-dir"))
write("hf-fat/config.json", b" " * (2 << 20) + json.dumps(hf_config).encode())
write("hf-fat/model.safetensors", safetensors({"x": ("F32", [1], b"\0" * 4)}))
run("HF config.json of 2 MiB", 2 << 20, "info", path("hf-fat"))
big_hf = dict(hf_config, hidden_size=1 << 19, intermediate_size=1 << 21, num_attention_heads=8)
write("hf-big/config.json", json.dumps(big_hf).encode())
write("hf-big/model.safetensors", safetensors({"x": ("F32", [1], b"\0" * 4)}))
run("HF config with hidden_size 524288", 300, "info", path("hf-big"))
run("checkpoint path that does not exist", 0, "info", path("missing.safetensors"))
run("an empty file", 0, "info", write("empty.safetensors", b""))

# --- data, through `mae train --data` -----------------------------------------------------
comp = zlib.compressobj(9, zlib.DEFLATED, 31)
bomb = comp.compress(struct.pack(">IIII", 0x803, 60000, 28, 28))
for _ in range(1200):
    bomb += comp.compress(b"\0" * (1 << 20))
bomb += comp.flush()
gz = write("bomb-images-idx3-ubyte.gz", bomb)
run("gzip'd IDX inflating to 1.2 GiB", os.path.getsize(gz), "train", "--data", gz, "--steps", "1", "--out", path("t"))
idx = write("liar-images-idx3-ubyte", struct.pack(">IIII", 0x803, 0x7FFFFFFF, 16384, 16384) + b"\0" * 64)
run("IDX header claiming 2^31 images of 16384x16384", os.path.getsize(idx), "train", "--data", idx,
    "--steps", "1", "--out", path("t"))
run("data folder that does not exist", 0, "train", "--data", path("no-such-folder"), "--steps", "1",
    "--out", path("t"))

print("| hostile input | bytes | command | outcome | message | peak RSS (MiB) |")
print("| --- | --- | --- | --- | --- | --- |")
for label, size, command, outcome, message, rss in rows:
    print("| %s | %s | `mae %s` | %s | %s | %d |" % (label, size, command, outcome, message, rss))
killed = [r for r in rows if "KILLED" in r[3]]
sys.exit(1 if killed else 0)
