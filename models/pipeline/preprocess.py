"""Python twin of functions/adapters/image-preprocess.ts (sharp/libvips), for golden vectors.

Decoding uses PIL (libjpeg-turbo, which gives the same pixels as sharp's decoder on our JPEGs).
The resize is a NumPy re-implementation of libvips' cubic `reduce` as sharp 0.35 / libvips 8.18 runs it
for a 8-bit image, measured here to be bit-exact against sharp on the clothing photos:
  * Catmull-Rom (B=0, C=0.5) stretched by the shrink factor s, n = 2*rint(2s)+1 taps,
    output pixel o centred on input coordinate (o + 0.5)*s - 0.5 (half-pixel centres);
  * taps past the edge reuse the edge pixel (libvips embeds with extend=copy);
  * weights normalised to sum 1, then truncated (C cast) to 12-bit fixed point (x4096);
  * each pass rounds ((sum + 2048) >> 12) and clips to 0..255;
  * vertical pass first, then horizontal (libvips `resize` order).
Pillow's own BICUBIC differs (intermediate order, rounded 22-bit weights): up to 6 levels per pixel,
~2e-2 max abs difference in the 1280-d features, which is why this exists.
"""
import numpy as np
from PIL import Image, ImageOps

IMAGE_SIZE = 224
CROP_FRACTION = 0.875
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def _cubic(x, b=0.0, c=0.5):
    """Mitchell-Netravali family; B=0, C=0.5 is Catmull-Rom."""
    x = abs(x)
    if x < 1:
        return ((12 - 9 * b - 6 * c) * x ** 3 + (-18 + 12 * b + 6 * c) * x ** 2 + (6 - 2 * b)) / 6
    if x < 2:
        return ((-b - 6 * c) * x ** 3 + (6 * b + 30 * c) * x ** 2 + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6
    return 0.0


def vips_reduce_matrix(in_size, out_size):
    """Integer (x4096) weight matrix [out_size, in_size] of libvips' cubic reduce along one axis."""
    shrink = in_size / out_size
    n_point = int(2 * np.rint(2 * shrink) + 1)
    half_n = n_point // 2
    extra = out_size * shrink - in_size
    offset = (1 + extra) / 2.0 - 1
    x_pos = 0.5 * shrink - 0.5 - offset
    m = np.zeros((out_size, in_size), dtype=np.int64)
    for o in range(out_size):
        ix = int(x_pos)
        half = (x_pos - ix) + n_point / 2.0 - 1
        w = np.array([_cubic((i - half) / shrink) for i in range(n_point)])
        w = w / w.sum()
        wi = (w * 4096).astype(np.int64)  # truncation, as the C cast
        for j, v in zip(np.clip(np.arange(ix - half_n, ix + half_n + 1), 0, in_size - 1), wi):
            m[o, j] += v
        x_pos += shrink
    return m


def _pass(m, a, axis):
    s = np.einsum('oi,iwc->owc', m, a) if axis == 0 else np.einsum('oi,hic->hoc', m, a)
    return np.clip((s + 2048) >> 12, 0, 255)


def vips_cubic_resize(rgb, size=IMAGE_SIZE):
    """uint8 HxWx3 -> uint8 size x size x 3, as sharp .resize(size, size, {kernel: 'cubic'})."""
    a = rgb.astype(np.int64)
    h, w = a.shape[:2]
    if h != size:
        if h < size:
            raise ValueError('upsampling is not emulated')
        a = _pass(vips_reduce_matrix(h, size), a, 0)
    if w != size:
        if w < size:
            raise ValueError('upsampling is not emulated')
        a = _pass(vips_reduce_matrix(w, size), a, 1)
    return a.astype(np.uint8)


def load_rgb(path):
    """Decode, EXIF-orient, flatten alpha on white, centre-crop round(0.875*min), resize to 224: uint8 HWC."""
    im = ImageOps.exif_transpose(Image.open(path))
    if im.mode in ('RGBA', 'LA', 'P'):
        im = im.convert('RGBA')
        bg = Image.new('RGBA', im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    im = im.convert('RGB')
    w, h = im.size
    side = max(1, round(CROP_FRACTION * min(w, h)))
    left, top = (w - side) // 2, (h - side) // 2
    crop = np.asarray(im.crop((left, top, left + side, top + side)))
    return vips_cubic_resize(crop)


def to_tensor(rgb):
    """uint8 HWC -> float32 CHW, (x/255 - mean)/std computed in float64 then rounded to float32."""
    return ((rgb.astype(np.float64) / 255.0 - MEAN) / STD).astype(np.float32).transpose(2, 0, 1).copy()
