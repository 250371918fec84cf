"""The built-in drawing of a cocktail: an SVG of its glass, drink and garnish.

Used whenever no image service is configured or one fails, so it must be instant, deterministic
and safe to serve as it is: a pure function of the recipe, with no script, no event attribute
and no external reference. The only text from the model is the name, escaped, in <title>.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from markupsafe import Markup

from barapp.pictures.colour import lightness, liquid_color, mix
from barapp.pictures.garnish import Spot, garnish_layers
from barapp.pictures.glasses import MATERIALS, SHAPES, Shape, body_path, glass_shape, half_width
from barapp.pictures.ingredient_colours import ingredient
from barapp.pictures.keywords import fold
from barapp.pictures.svg import COUNTER, CX, TABLE, TILT, ellipse, gradient, num, path, tag
from barapp.pictures.vessel import (
    GLASS,
    SHADE,
    bubbles,
    handle,
    highlights,
    ice_cubes,
    stem_and_foot,
    tiki_face,
)


@dataclass(frozen=True)
class Drink:
    """One drawing's decisions, shared by the painters below."""

    kind: str  # the shape's name
    shape: Shape
    colour: str
    flags: str
    level: float  # y of the drink's surface
    uid: str  # prefix of the ids of this drawing's gradients and clip path
    rng: random.Random
    garnish: dict[str, str]

    @property
    def surface(self) -> str:
        """The top of the drink, seen in perspective; foam, if any, is paler."""
        rim = self.shape.profile[0][1]
        width = rim - 10 if self.shape.material else half_width(self.shape.profile, self.level) - 2
        foam = "#c99a62" if "c" in self.flags else "#f4eedf" if "e" in self.flags else ""
        return ellipse(CX, self.level, width, fill=mix(foam or self.colour, "#ffffff", 0.3))

    @property
    def ice(self) -> str:
        floating = self.shape.ice or "i" in self.flags
        return ice_cubes(self.rng, self.shape, self.level) if floating else ""

    @property
    def straw(self) -> str:
        if self.kind not in ("highball", "hurricane", "tiki", "mug"):
            return ""
        (rim_y, rim), floor = self.shape.profile[0], self.shape.floor
        straw = path("M", CX + rim * 0.2, floor - 30, "L", CX + rim * 0.62, rim_y - 95)
        return tag("path", d=straw, stroke="#39414d", stroke_width=9)


def _glass(d: Drink) -> list[str]:
    """A glass: the drink shows through it, clipped to its outline, under its shine."""
    shape, body = d.shape, body_path(d.shape)
    (rim_y, rim), floor = shape.profile[0], shape.floor
    fw = half_width(shape.profile, floor) - 4
    liquid = path("M", CX - 300, d.level, "H", CX + 300, "V", floor, "H", CX + fw,
                  "A", fw, fw * TILT, 0, 0, 1, CX - fw, floor, "H", CX - 300, "Z")  # fmt: skip
    drink = tag("path", d=liquid, fill=f"url(#{d.uid}l)", fill_opacity=0.94)
    if "c" in d.flags or "e" in d.flags:  # a band of crema or egg-white foam
        foam = "#c99a62" if "c" in d.flags else "#f4eedf"
        drink += tag("rect", y=d.level, width=800, height=18, fill=foam)
    drink += d.surface + d.ice + (bubbles(d.rng, shape, d.level) if "s" in d.flags else "")
    out = [
        stem_and_foot(shape),
        handle(shape, "#ffffff"),
        tag("path", d=body, fill="#ffffff", fill_opacity=0.16),
        d.straw,
        tag("g", drink, clip_path=f"url(#{d.uid}c)"),
        d.garnish.get("in", ""),
        d.garnish.get("top", ""),
        tag("path", d=body, fill="none", **SHADE),
        tag("path", d=body, fill="none", **GLASS),
        ellipse(CX, rim_y, rim, fill="none", **GLASS),
    ]
    if floor < shape.profile[-1][0]:  # a tumbler's thick base
        out.append(ellipse(CX, floor, fw, fill="none", **{**GLASS, "stroke_opacity": 0.5}))
    return [*out, highlights(shape, 1)]


def _opaque(d: Drink) -> list[str]:
    """A copper or ceramic vessel: only the drink's surface and what stands in it show."""
    (rim_y, rim), shade, _, dark, edge = d.shape.profile[0], *MATERIALS[d.shape.material]
    return [
        handle(d.shape, shade),
        ellipse(CX, rim_y, rim - 4, fill=mix(shade, "#000000", 0.4)),
        d.surface,
        d.ice,
        d.straw,
        d.garnish.get("in", ""),
        d.garnish.get("top", ""),
        tag("path", d=body_path(d.shape), fill=f"url(#{d.uid}m)", **SHADE),
        ellipse(CX, rim_y, rim - 2, fill="none", stroke=edge, stroke_width=5),
        tiki_face(d.shape, dark) if d.shape.material == "ceramic" else "",
        highlights(d.shape, 0.5),
    ]


def _defs(d: Drink, background: str) -> str:
    defs = [
        gradient("radialGradient", f"{d.uid}b", [(0, mix(background, "#ffffff", 0.35)),
                  (1, mix(background, "#000000", 0.12))], cx=0.5, cy=0.42, r=0.75),
        gradient("linearGradient", f"{d.uid}l", [(0, mix(d.colour, "#ffffff", 0.12)),
                  (1, mix(d.colour, "#000000", 0.22))], x1=0, y1=0, x2=0, y2=1),
        tag("clipPath", tag("path", d=body_path(d.shape)), id=f"{d.uid}c"),
    ]  # fmt: skip
    if d.shape.material:
        shade, light, dark, _ = MATERIALS[d.shape.material]
        defs.append(gradient("linearGradient", f"{d.uid}m", [(0, shade), (0.35, light), (1, dark)]))
    return tag("defs", "".join(defs))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def draw(glass: str, ingredients: list[dict[str, Any]], garnish: str, name: str = "") -> str:
    """A complete standalone SVG document (800x600) of the drink in its glass."""
    items = [i for i in ingredients or [] if isinstance(i, dict)]
    kind = glass_shape(glass)
    shape, colour = SHAPES[kind], liquid_color(items)
    flags = "".join(ingredient(i.get("name"))[2] for i in items)
    # Seeded by the recipe, so a drink is always drawn the same, ids included; two drawings
    # inlined in one page must not share ids.
    key = repr((kind, colour, flags, fold(garnish), fold(name))).encode()
    seed = int.from_bytes(hashlib.sha256(key).digest()[:4], "big")
    background = mix("#c4bdb2", colour, 0.25)
    if lightness(colour) > 0.86:  # a clear drink must still read as a liquid
        colour = mix(colour, "#a9d3dc", 0.35)
    rim_y, rim = shape.profile[0]
    level = rim_y + 9 if shape.material else rim_y + (shape.floor - rim_y) * (1 - shape.fill)
    layers = garnish_layers(garnish, Spot(rim_y, rim, level), kind)
    d = Drink(kind, shape, colour, flags, level, f"d{seed:08x}", random.Random(seed), layers)
    shadow = max(shape.foot, shape.profile[-1][1]) * 1.4
    vessel = [
        ellipse(CX, TABLE + 2, shadow, 9, fill="#000000", fill_opacity=0.18),
        *(_opaque(d) if shape.material else _glass(d)),
        layers.get("on", ""),
        layers.get("coat", ""),
    ]
    zoom = f"translate({num(CX)} {num(COUNTER)}) scale({shape.zoom}) "
    zoom += f"translate({num(-CX)} {num(-TABLE)})"
    title = escape(_NOT_XML.sub("", str(name or "")), {'"': "&quot;", "'": "&#39;"})
    return "".join((
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600" ',
        f'role="img"><title>{title}</title>',
        _defs(d, background),
        tag("rect", width=800, height=600, fill=f"url(#{d.uid}b)"),
        tag("rect", y=COUNTER, width=800, height=100, fill=mix(background, "#000000", 0.1)),
        tag("rect", y=COUNTER, width=800, height=2, fill="#ffffff", fill_opacity=0.35),
        tag("g", "".join(vessel), transform=zoom),
        "</svg>",
    ))  # fmt: skip


def inline(cocktail: Any) -> Markup:
    """The drawing as markup to put in a page (the live card: no second request, so nothing
    flickers when the card is swapped), sized by the page's CSS."""
    get = (
        cocktail.get
        if isinstance(cocktail, dict)
        else lambda key, default="": getattr(cocktail, key, default)
    )
    svg = draw(get("glass", ""), get("ingredients", []), get("garnish", ""), get("name", ""))
    # Our own markup, every outside string in it escaped by draw().
    return Markup(svg.replace(' width="800" height="600"', "", 1))  # noqa: S704
