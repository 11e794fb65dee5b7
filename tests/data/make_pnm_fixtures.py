"""Why: the PNM test files and the pixels the authors' loader gets from them (PIL's
Image.open(f).convert("RGB"), as torchvision's ImageFolder reads a file), so that the suite
checks our reader against PIL without needing PIL. Plain files and odd maxvals are written
by hand, as other programs write them; PIL decodes them all. Run with a Python that has
pillow and numpy, from this folder: python make_pnm_fixtures.py
"""
import io

import numpy as np
from PIL import Image

W, H = 13, 7  # odd sizes: PBM rows are padded to whole bytes (the plain header spells 13)


def picture(maxval, channels, seed):
    y, x = np.mgrid[0:H, 0:W]
    planes = [(x * 37 + y * 53 + seed * 11 + k * 97) % (maxval + 1) for k in range(channels)]
    return np.stack(planes, axis=-1).astype(np.int64)


def plain(magic, samples, maxval):
    # Comments in the header (one inside the width, which PIL joins up: "1#x\n3" is 13),
    # a comment in the data, uneven spacing.
    head = f"{magic}\n# made for MAE Studio's tests\n1#split\n3 {H}\n".encode()
    if maxval is not None:
        head += f"{maxval}\n".encode()
    rows = [" ".join(str(v) for v in row.reshape(-1)) for row in samples]
    return head + (rows[0] + "\n# a comment among the samples\n" + "\n  ".join(rows[1:]) + "\n").encode()


def raw(magic, samples, maxval):
    two = maxval > 255
    data = samples.astype(">u2" if two else "u1").tobytes()
    return f"{magic}\n{W} {H}\n{maxval}\n".encode() + data


def bits(samples):
    rows = [np.packbits(row.astype(np.uint8)).tobytes() for row in samples]  # pads each row
    return f"P4\n{W} {H}\n".encode() + b"".join(rows)


files = {
    "plain-maxval-10.pgm": plain("P2", picture(10, 1, 0)[..., 0], 10),  # halves round to even
    "plain-maxval-1000.ppm": plain("P3", picture(1000, 3, 1), 1000),
    "plain.pbm": f"P1\n{W} {H}\n".encode()
    + b"\n".join(b"".join(b"%d" % v for v in row) for row in picture(1, 1, 2)[..., 0]) + b"\n",
    "raw.pbm": bits(picture(1, 1, 3)[..., 0]),
    "raw-maxval-100.pgm": raw("P5", np.minimum(picture(120, 1, 4)[..., 0], 255), 100),  # some above maxval
    "raw-maxval-255.ppm": raw("P6", picture(255, 3, 5), 255),
    "raw-maxval-4095.ppm": raw("P6", picture(4095, 3, 6), 4095),
}
for name, data in files.items():
    with open("pnm-" + name, "wb") as f:
        f.write(data)
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert rgb.shape == (H, W, 3), (name, rgb.shape)
    stem = name.rsplit(".", 1)[0]
    with open(f"pnm-{stem}.pil-rgb", "wb") as f:
        f.write(rgb.tobytes())
    print(name, len(data), "bytes")
