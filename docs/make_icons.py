"""Draws the app icons of the web app manifest (static/img/icon-192.png, icon-512.png) once,
with Pillow, from the glass of static/img/glass.svg: its three shapes scaled into the middle of
a square of app.css's dark --bg, well inside the central circle (80 % of the side) that every
maskable icon's mask keeps. Drawn 4 times larger and scaled down, for smooth edges.

    .venv/bin/python docs/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

IMG = Path(__file__).resolve().parents[1] / "static" / "img"
BACKGROUND = "#15121c"  # app.css, dark --bg: the bar at night
# glass.svg's shapes, in its 64-unit box.
GLASS = [(10, 10), (54, 10), (34, 34), (34, 52), (44, 52), (44, 56), (20, 56), (20, 52), (30, 52),
         (30, 34)]  # fmt: skip
DRINK = [(16, 14), (48, 14), (32, 30)]
OLIVE = (44, 12, 5)
SUPERSAMPLE = 4


def draw(size: int) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), BACKGROUND)
    pen = ImageDraw.Draw(image)
    # The glass and its olive span x 10..54 and y 7..56: 52 % of the side high, centred.
    scale = big * 0.52 / 49
    left, top = big / 2 - 32 * scale, big / 2 - 31.5 * scale

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * scale, top + y * scale

    pen.polygon([at(x, y) for x, y in GLASS], fill="#e0a23b")
    pen.polygon([at(x, y) for x, y in DRINK], fill="#f6d58b")
    cx, cy, r = OLIVE
    pen.ellipse([at(cx - r, cy - r), at(cx + r, cy + r)], fill="#7cb342")
    return image.resize((size, size), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    for side in (192, 512):
        draw(side).save(IMG / f"icon-{side}.png", optimize=True)
