"""Why: the explorer and `mae reconstruct` fit a photo to the model as the authors' torchvision
transforms would through PIL (resize the shorter side with PIL's bicubic filter, then crop the
centre); this writes a photo-like 8-bit picture and what PIL makes of it, so that the suite
checks the fit against PIL without needing PIL. Run with a Python that has pillow and numpy,
from this folder: python make_fit_fixtures.py
"""
import numpy as np
from PIL import Image

W, H = 203, 157  # odd, and neither side a multiple of the outputs'


def picture():
    """Smooth gradients, hard edges and noise: bicubic overshoot and 8-bit rounding both show."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:H, 0:W]
    base = np.stack([x * 255 / W, y * 255 / H, (x + y) * 255 / (W + H)], axis=-1)
    base[(x // 17 + y // 13) % 2 == 0] = 255 - base[(x // 17 + y // 13) % 2 == 0]
    noisy = base + rng.normal(0, 24, base.shape)
    return Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), "RGB")


def fitted(image, out):
    """The shorter side resized to `out` (the longer rounded), then the centre out x out."""
    w, h = image.size
    scale = out / min(w, h)
    rw, rh = max(out, round(w * scale)), max(out, round(h * scale))
    resized = image.resize((rw, rh), Image.BICUBIC)
    left, top = (rw - out) // 2, (rh - out) // 2
    return resized.crop((left, top, left + out, top + out))


photo = picture()
photo.save("fit-photo.png")
open("fit-photo-64.pil-rgb", "wb").write(fitted(photo, 64).tobytes())
open("fit-photo-28.pil-l", "wb").write(fitted(photo.convert("L"), 28).tobytes())
