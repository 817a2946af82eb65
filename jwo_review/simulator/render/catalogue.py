"""Catalogue images: each product drawn in its shape and catalogue colour.

Drawn the same way the clips draw packs (flat colour, a light band, a dark outline)
but large, with the brand and the product name on the pack and the unit weight under
it, so a reviewer comparing look-alikes sees what tells them apart.
"""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw

from jwo_review.simulator.render.layout import font

SIZE = 256


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _shade(colour: str, f: float) -> tuple[int, int, int]:
    """f < 0 darkens towards black, f > 0 lightens towards white."""
    r, g, b = _rgb(colour)
    if f < 0:
        return (round(r * (1 + f)), round(g * (1 + f)), round(b * (1 + f)))
    return (round(r + (255 - r) * f), round(g + (255 - g) * f), round(b + (255 - b) * f))


def _ink(colour: str) -> tuple[int, int, int]:
    r, g, b = _rgb(colour)
    return (20, 20, 20) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (250, 250, 250)


def _pack_outline(shape: str) -> tuple[list[tuple[int, int]], tuple[int, int, int, int]]:
    """Polygon of the pack and the label box on it, for a 256 px canvas."""
    if shape == "bottle":
        poly = [
            (108, 18),
            (148, 18),
            (148, 46),
            (170, 74),
            (174, 218),
            (166, 232),
            (90, 232),
            (82, 218),
            (86, 74),
            (108, 46),
        ]
        return poly, (88, 110, 168, 190)
    if shape == "can":
        return [(80, 40), (176, 40), (176, 222), (80, 222)], (80, 90, 176, 180)
    if shape == "jar":
        return [(70, 52), (186, 52), (190, 220), (66, 220)], (70, 100, 186, 190)
    if shape == "bag":
        return [(56, 40), (200, 40), (208, 224), (48, 224)], (60, 84, 196, 190)
    if shape == "bar":
        return [(22, 86), (234, 86), (234, 170), (22, 170)], (40, 92, 216, 164)
    return [(64, 40), (192, 40), (192, 222), (64, 222)], (68, 84, 188, 190)


def catalogue_image(*, name: str, family: str, sku: str, colour: str, shape: str, unit_weight_g: float) -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), (246, 244, 239))
    d = ImageDraw.Draw(img)
    poly, label = _pack_outline(shape)
    shadow = [(x + 5, y + 5) for x, y in poly]
    d.polygon(shadow, fill=(210, 206, 198))
    d.polygon(poly, fill=_rgb(colour), outline=(25, 25, 25), width=3)
    xs = [p[0] for p in poly]
    ys = [p[1] for p in poly]
    # The light band the clips draw on every pack.
    band_y = min(ys) + (max(ys) - min(ys)) * 0.28
    d.line([(min(xs) + 6, band_y), (max(xs) - 6, band_y)], fill=_shade(colour, 0.55), width=5)
    if shape == "bottle":
        d.rectangle([110, 10, 146, 22], fill=_shade(colour, -0.5), outline=(25, 25, 25))
    elif shape == "can":
        d.ellipse([80, 30, 176, 50], fill=_shade(colour, 0.35), outline=(25, 25, 25), width=2)
        d.ellipse([80, 212, 176, 232], fill=_shade(colour, -0.3), outline=(25, 25, 25), width=2)
    elif shape == "jar":
        d.rectangle([76, 36, 180, 56], fill=_shade(colour, -0.45), outline=(25, 25, 25), width=2)
    elif shape == "bag":
        for x in range(58, 200, 8):
            d.line([(x, 40), (x + 4, 48)], fill=_shade(colour, -0.35), width=2)
    d.rounded_rectangle(label, radius=8, fill=_shade(colour, 0.15), outline=_shade(colour, -0.35), width=2)
    ink = _ink(f"#{''.join(f'{c:02x}' for c in _shade(colour, 0.15))}")
    lx0, ly0, lx1, ly1 = label
    cx = (lx0 + lx1) / 2
    brand = (family or name.split()[0]).upper()
    d.text((cx, ly0 + 14), brand[:14], fill=ink, font=font(16, True), anchor="mm")
    width_chars = max(8, int((lx1 - lx0) / 7.2))
    lines = textwrap.wrap(name, width=width_chars)[:3]
    for i, line in enumerate(lines):
        d.text((cx, ly0 + 34 + i * 14), line, fill=ink, font=font(11), anchor="mm")
    d.rectangle([0, SIZE - 26, SIZE, SIZE], fill=(32, 36, 42))
    d.text((8, SIZE - 13), sku, fill=(255, 255, 255), font=font(11, True), anchor="lm")
    d.text((SIZE - 8, SIZE - 13), f"{unit_weight_g:.1f} g", fill=(255, 255, 255), font=font(11, True), anchor="rm")
    return img


def catalogue_png(*, name: str, family: str, sku: str, colour: str, shape: str, unit_weight_g: float) -> bytes:
    buffer = io.BytesIO()
    catalogue_image(name=name, family=family, sku=sku, colour=colour, shape=shape, unit_weight_g=unit_weight_g).save(
        buffer, format="PNG", optimize=True
    )
    return buffer.getvalue()
