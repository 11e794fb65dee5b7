"""Why: TIFF test files as PIL writes them, and the pixels the authors' loader gets from each
(PIL's Image.open(f).convert("RGB"), as torchvision's ImageFolder reads a file; "RGBA" too
for the file with alpha), so that the suite checks our libtiff reader against PIL without
needing PIL. PIL writes no tiled TIFF, so libtiff's tiffcp (Debian's libtiff-tools) makes one.
Run with a Python that has pillow and numpy, from this folder:
python make_tiff_fixtures.py
"""
import io
import struct
import subprocess

import numpy as np
from PIL import Image

W, H = 13, 7
y, x = np.mgrid[0:H, 0:W]
rgb = np.stack([(x * 19 + y * 7) % 256, (y * 37) % 256, (x * y * 5 + 40) % 256], -1).astype(np.uint8)
alpha = np.clip(x * 21, 0, 255).astype(np.uint8)
rgba = np.dstack([rgb, alpha])
cmyk = np.dstack([rgb, ((x + y) * 17 % 256).astype(np.uint8)])


files = {
    "rgb-lzw": (Image.fromarray(rgb, "RGB"), {"compression": "tiff_lzw"}),
    "gray-deflate": (Image.fromarray(rgb[..., 0], "L"), {"compression": "tiff_adobe_deflate"}),
    "rgba": (Image.fromarray(rgba, "RGBA"), {}),
    "bilevel-g4": (Image.fromarray(rgb[..., 0] > 120), {"compression": "group4"}),
    "palette-packbits": (Image.fromarray(rgb, "RGB").quantize(7), {"compression": "packbits"}),
    "cmyk": (Image.fromarray(cmyk, "CMYK"), {}),
    "jpeg": (Image.fromarray(rgb, "RGB"), {"compression": "jpeg", "quality": 90}),
    "bottom-up": (Image.fromarray(rgb, "RGB"), {"tiffinfo": {274: 4}}),
    "quarter-turn": (Image.fromarray(rgb, "RGB"), {"tiffinfo": {274: 6}}),
    "bigtiff": (Image.fromarray(rgb, "RGB"), {"big_tiff": True}),
}
for name, (picture, options) in files.items():
    out = io.BytesIO()
    if name == "rgb-lzw":  # two pages: the first is read
        picture.save(out, "TIFF", save_all=True, append_images=[picture.rotate(90, expand=True)],
                     **options)
    else:
        picture.save(out, "TIFF", **options)
    data = out.getvalue()
    with open(f"tiff-{name}.tif", "wb") as f:
        f.write(data)
    read = Image.open(io.BytesIO(data))
    pixels = np.asarray(read.convert("RGBA" if name == "rgba" else "RGB"))
    upright = (W, H) if name == "quarter-turn" else (H, W)
    assert pixels.shape[:2] == upright, (name, pixels.shape)
    with open(f"tiff-{name}.pil-{'rgba' if name == 'rgba' else 'rgb'}", "wb") as f:
        f.write(pixels.tobytes())
    print(name, read.mode, read.info.get("compression"), len(data), "bytes")

# 16-bit gray: PIL reads it as I;16 and its convert("RGB") clips to 255 (white); we scale to
# 8 bits, so its expected pixels are written in the test.
Image.fromarray((np.arange(6, dtype=np.uint16).reshape(2, 3) * 13000)).save("tiff-gray-16bit.tif")

# 48-bit RGB, as scanners write it (PIL writes no such file, so it is laid out here:
# uncompressed, one strip); PIL keeps each sample's high byte.
rgb48 = np.stack([x * 5001 + y * 77, y * 20000 + x * 5, (x * y * 3001) % 65536], -1).astype("<u2")
entries = [(256, 3, 1, W), (257, 3, 1, H), (258, 3, 3, None), (259, 3, 1, 1), (262, 3, 1, 2),
           (273, 4, 1, None), (277, 3, 1, 3), (278, 3, 1, H), (279, 4, 1, rgb48.nbytes)]
after = 8 + 2 + len(entries) * 12 + 4
tiff = b"II*\x00" + struct.pack("<IH", 8, len(entries))
for tag, kind, count, value in entries:
    value = {258: after, 273: after + 6}.get(tag, value)
    tiff += struct.pack("<HHIHH" if kind == 3 and count == 1 else "<HHII", tag, kind, count,
                        *((value, 0) if kind == 3 and count == 1 else (value,)))
tiff += struct.pack("<IHHH", 0, 16, 16, 16) + rgb48.tobytes()
with open("tiff-rgb-48bit.tif", "wb") as f:
    f.write(tiff)
with open("tiff-rgb-48bit.pil-rgb", "wb") as f:
    f.write(np.asarray(Image.open(io.BytesIO(tiff)).convert("RGB")).tobytes())

# Tiled, as large scans are often stored: the LZW file's first page in one 16x16 tile, wider
# and taller than the picture.
subprocess.run(["tiffcp", "-t", "-w", "16", "-l", "16", "-c", "lzw", "tiff-rgb-lzw.tif,0",
                "tiff-tiled.tif"], check=True)
with open("tiff-tiled.pil-rgb", "wb") as f:
    f.write(np.asarray(Image.open("tiff-tiled.tif").convert("RGB")).tobytes())
