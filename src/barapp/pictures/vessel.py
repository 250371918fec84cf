"""What is drawn of a vessel besides its outline, and what floats in its drink: ice, bubbles,
streaks of light, stem and foot, handle, a tiki mug's face."""

from __future__ import annotations

import random

from barapp.pictures.glasses import Shape, half_width
from barapp.pictures.svg import CX, TABLE, at, ellipse, num, path, tag

# The strokes of a glass's bright edges, and of the shade along them.
GLASS: dict[str, float | str] = {"stroke": "#ffffff", "stroke_opacity": 0.9, "stroke_width": 3.5}
SHADE: dict[str, float | str] = {"stroke": "#1d2530", "stroke_opacity": 0.28, "stroke_width": 1.5}


def ice_cubes(rng: random.Random, shape: Shape, level: float) -> str:
    """Ice floats: the top row breaks the surface, the rest fills down; a mug shows only tops."""
    (rim_y, rim), opaque = shape.profile[0], bool(shape.material)
    size = max(40.0, min(64.0, rim * 0.68))
    y = rim_y - size * 0.2 if opaque else level + size * 0.22
    bottom = y if opaque else shape.floor - size * 0.5
    cubes, h = [], size / 2
    for row in range(12):
        if y > bottom + 1 or half_width(shape.profile, y) < size * 0.55:
            break
        width = half_width(shape.profile, y) - size * 0.6
        count = max(1, min(3, int(2 * width // size) + 1))
        for k in range(count):
            x = CX + (0 if count == 1 else -width + 2 * width * k / (count - 1))
            x += rng.uniform(-5, 5) + (size * 0.2 if row % 2 else -size * 0.1)
            shine = tag("path", d=path("M", -h * 0.6, h * 0.3, "V", -h * 0.6, "H", h * 0.3))
            cube = tag("rect", x=-h, y=-h, width=size, height=size, rx=size * 0.18)
            cubes.append(tag("g", cube + shine, transform=at(x, y, rng.uniform(-16, 16))))
        y += size * 0.95
    return tag(
        "g", "".join(cubes), fill="#ffffff", fill_opacity=0.6 if opaque else 0.12,
        stroke="#ffffff", stroke_opacity=0.7, stroke_width=2.5, stroke_linecap="round",
    )  # fmt: skip


def bubbles(rng: random.Random, shape: Shape, level: float) -> str:
    out = []
    for _ in range(18):
        y = rng.uniform(level + 12, shape.floor - 8)
        w = half_width(shape.profile, y) - 12
        if w > 4:
            out.append(tag("circle", cx=CX + rng.uniform(-w, w), cy=y, r=rng.uniform(2, 4.5)))
    return tag(
        "g", "".join(out), fill="#ffffff", fill_opacity=0.35, stroke="#ffffff",
        stroke_opacity=0.85, stroke_width=1.2,
    )  # fmt: skip


def highlights(shape: Shape, opacity: float) -> str:
    """Two streaks of light down the vessel, following its curve where the sides are steep
    (down a coupe's narrowing bowl a streak would hook like a tick)."""
    (top, rim), bottom = shape.profile[0], shape.floor - 14
    steps = [top + 18 + (bottom - top - 18) * i / 12 for i in range(13)]
    steps = [y for y in steps if half_width(shape.profile, y) > rim * 0.6]

    def streak(side: float, ys: list[float], width: float, alpha: float) -> str:
        points = " ".join(f"{num(CX + side * half_width(shape.profile, y))},{num(y)}" for y in ys)
        return tag(
            "polyline", points=points, fill="none", stroke="#ffffff", stroke_width=width,
            stroke_opacity=alpha * opacity, stroke_linecap="round", stroke_linejoin="round",
        )  # fmt: skip

    return streak(-0.78, steps, 9, 0.5) + streak(0.8, steps[2:7], 4, 0.35)


def stem_and_foot(shape: Shape) -> str:
    if not shape.foot:
        return ""
    top, low = shape.profile[-1][0], TABLE - 8
    stem = path(
        "M", CX - 5, top, "L", CX - 6, low, "Q", CX, TABLE - 2, CX + 6, low, "L", CX + 5, top
    )
    return tag("path", d=stem + "Z", fill="#ffffff", fill_opacity=0.45, **SHADE) + ellipse(
        CX, TABLE - 4, shape.foot, fill="#ffffff", fill_opacity=0.3, **SHADE
    )


def handle(shape: Shape, colour: str) -> str:
    if not shape.handle:
        return ""
    y0, w0 = shape.profile[0]
    top, low = y0 + 45, y0 + (shape.profile[-1][0] - y0) * 0.7
    x, reach = CX + half_width(shape.profile, top) - 6, w0 * 0.55
    return tag(
        "path", d=path("M", x, top, "C", x + reach, top - 8, x + reach, low + 8, x, low),
        fill="none", stroke=colour, stroke_width=18, stroke_linecap="round",
    )  # fmt: skip


def tiki_face(shape: Shape, shade: str) -> str:
    y = (shape.profile[0][0] + TABLE) / 2
    carving = (
        path("M", CX - 62, y - 62, "H", CX + 62, "V", y - 50, "H", CX - 62, "Z"),  # brow
        path("M", CX - 52, y - 36, "h 34 l -6 16 h -22 Z"),  # eyes
        path("M", CX + 52, y - 36, "h -34 l 6 16 h 22 Z"),
        path("M", CX - 9, y - 30, "h 18 l 8 44 h -34 Z"),  # nose
        path("M", CX - 48, y + 32, "h 96 v 30 h -96 Z"),  # mouth
    )
    teeth = "".join(path("M", CX + dx, y + 32, "v 30") for dx in (-36, -12, 12, 36))
    return tag("path", d=" ".join(carving), fill=shade, fill_opacity=0.85) + tag(
        "path", d=teeth, stroke="#e9c9a0", stroke_opacity=0.7, stroke_width=3
    )
