"""The garnish: what its words draw (leaves, picks, citrus, umbrellas...) and in which layer."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from barapp.pictures.colour import mix
from barapp.pictures.keywords import first_match, fold, keyword_table
from barapp.pictures.svg import CX, Point, at, ellipse, num, path, tag


@dataclass(frozen=True)
class Spot:
    """Where garnish goes: the rim's height and half-width, and the drink's surface."""

    rim_y: float
    rim: float
    level: float


def _along(x0: float, y0: float, x1: float, y1: float, t: float) -> Point:
    return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t


def _leaf(x: float, y: float, size: float, angle: float, colour: str) -> str:
    a, b, h = size * 0.2, size * 0.75, size * 0.4
    blade = path("M 0 0 C", a, -h, b, -h, size, 0, "C", b, h, a, h, "0 0 Z")
    vein = tag("path", d=path("M 3 0 H", size * 0.8), stroke="#ffffff", stroke_opacity=0.3)
    return tag("g", tag("path", d=blade, fill=colour) + vein, transform=at(x, y, angle))


def _sprig(s: Spot, colour: str, size: float = 38) -> str:
    """A few leaves bunched above the rim, on a stem that goes down into the drink."""
    x0, y0, x1, y1 = CX - s.rim * 0.15, s.level + 24, CX - s.rim * 0.35, s.rim_y - 58
    dark = mix(colour, "#000000", 0.25)
    out = [tag("path", d=path("M", x0, y0, "L", x1, y1), stroke=dark, stroke_width=3.5)]
    for dy, left, right, k in ((34, -160, -22, 1.0), (14, -135, -48, 0.9)):
        out.append(_leaf(x1 + 2, y1 + dy, size * k, left, dark if k == 1 else colour))
        out.append(_leaf(x1 + 2, y1 + dy, size * k, right, colour if k == 1 else dark))
    out.append(_leaf(x1, y1 + 4, size * 0.85, -96, mix(colour, "#ffffff", 0.15)))
    return "".join(out)


def _needles(s: Spot, colour: str) -> str:
    """Rosemary or thyme: a long stem with short needles either side."""
    ends = (CX - s.rim * 0.2, s.level + 30, CX - s.rim * 0.5, s.rim_y - 110)
    lines = [path("M", *ends[:2], "L", *ends[2:])]
    for i in range(14):
        x, y = _along(*ends, 0.35 + 0.65 * i / 13)
        side = 1 if i % 2 else -1
        lines.append(path("M", x, y, "l", side * 16, side * 3 - 10))
    return tag("path", d=" ".join(lines), stroke=colour, stroke_width=4, stroke_linecap="round")


def _pick(s: Spot, colour: str, fruits: int = 2) -> str:
    """Cherries, berries or an olive on a cocktail pick, dipped in the drink."""
    ends = (CX - s.rim * 0.55, s.rim_y - 70, CX + s.rim * 0.1, s.level + 36)
    out = [tag("path", d=path("M", *ends[:2], "L", *ends[2:]), stroke="#39414c", stroke_width=3.5)]
    for t in (0.84, 0.62)[:fruits]:
        x, y = _along(*ends, t)
        out.append(ellipse(x, y, 16, 14, fill=colour))
        out.append(ellipse(x - 5, y - 5, 4, 3, fill="#ffffff", fill_opacity=0.55))
        if fruits == 1:  # an olive's pimento
            out.append(ellipse(x + 6, y - 1, 5, 5, fill="#c8322a"))
    return "".join(out)


def _slice(x: float, y: float, r: float, rind: str, flesh: str, half: bool = False) -> str:
    """A citrus (or cucumber) wheel; half of one is a wedge."""

    def disc(k: float, fill: str) -> str:
        if not half:
            return ellipse(0, 0, r * k, r * k, fill=fill)
        return tag(
            "path", d=path("M", -r * k, 0, "A", r * k, r * k, 0, 0, 0, r * k, 0, "Z"), fill=fill
        )

    angles = (
        [math.pi * (i + 0.5) / 4 for i in range(4)]
        if half
        else [i * math.pi / 4 + 0.3 for i in range(8)]
    )
    spokes = "".join(
        path("M 0 0 L", math.cos(a) * r * 0.76, math.sin(a) * r * 0.76) for a in angles
    )
    inner = disc(1, rind) + disc(0.88, "#fffaf0") + disc(0.8, flesh)
    inner += tag("path", d=spokes, stroke="#fffaf0", stroke_width=2.5)
    return tag("g", inner, transform=at(x, y, -28 if half else 0))


def _cucumber(s: Spot, colour: str) -> str:
    x, y, r = CX + s.rim - 8, s.rim_y - 6, 40.0
    seeds = "".join(
        ellipse(x + math.cos(a) * r * 0.42, y + math.sin(a) * r * 0.42, 3, 5, fill="#f4f8e6")
        for a in (i * math.pi / 3 for i in range(6))
    )
    flesh = ellipse(x, y, r * 0.88, r * 0.88, fill="#dff0bf")
    return ellipse(x, y, r, r, fill=colour) + flesh + seeds


def _twist(s: Spot, rind: str) -> str:
    """A spiral of peel hooked over the rim: a coil whose back half-turns are darker."""
    x, y, a, pitch = CX + s.rim + 8, s.rim_y, 15.0, 24.0
    back, front = [], [path("M", x - 40, y + 6, "Q", x - 26, y - 20, x - a, y)]
    for i in range(4):
        top, mid = y + i * pitch, y + (i + 0.5) * pitch
        front.append(path("M", x - a, top, "A", a, a * 0.45, 0, 0, 0, x + a, mid))
        back.append(path("M", x + a, mid, "A", a, a * 0.45, 0, 0, 0, x - a, mid + pitch / 2))
    style: dict[str, float | str] = {"fill": "none", "stroke_width": 9, "stroke_linecap": "round"}
    return tag("path", d=" ".join(back), stroke=mix(rind, "#000000", 0.3), **style) + tag(
        "path", d=" ".join(front), stroke=rind, **style
    )


def _pineapple(s: Spot, colour: str) -> str:
    x, y, r = CX + s.rim - 12, s.rim_y - 4, max(40.0, min(50.0, s.rim * 0.45))
    spike = path("M -6 0 L 0", -r * 1.1, "L 6 0 Z")
    crown = "".join(
        tag("path", d=spike, fill="#4f8a2e", transform=at(x + 4, y - 4, a)) for a in (-8, 22, 52)
    )
    return crown + _slice(x, y, r, "#b9812c", colour, half=True)


def _cinnamon(s: Spot, colour: str) -> str:
    x, y, out = CX - s.rim * 0.3, s.level + 20, []
    for dx in (0, 20):
        stick = path("M", x + dx, y, "L", x + dx - 30, s.rim_y - 90 + dx)
        out.append(tag("path", d=stick, stroke=colour, stroke_width=14, stroke_linecap="round"))
        out.append(tag("path", d=stick, stroke=mix(colour, "#000000", 0.35), stroke_width=3))
    return "".join(out)


def _umbrella(s: Spot, colour: str) -> str:
    x0, y0, x1, y1 = CX + s.rim * 0.1, s.level + 40, CX + s.rim * 0.7, s.rim_y - 120
    scallops = "Q 47 8 31 0 Q 16 8 0 0 Q -16 8 -31 0 Q -47 8 -62 0 Z"
    canopy = tag("path", d="M -62 0 Q -55 -40 0 -42 Q 55 -40 62 0 " + scallops, fill=colour)
    ribs = "".join(path("M 0 -40 L", dx, 0) for dx in (-45, -15, 15, 45))
    canopy += tag("path", d=ribs, stroke="#fbe9d4", stroke_width=2.5)
    stick = tag("path", d=path("M", x0, y0, "L", x1, y1), stroke="#d9c8a8", stroke_width=4)
    return stick + tag("g", canopy, transform=at(x1, y1, 22))


def _beans(s: Spot, colour: str) -> str:
    bean = tag("ellipse", rx=10, ry=6.5, fill=colour) + tag(
        "path", d="M -7 0 Q 0 -3 7 0", stroke="#a0704a", stroke_width=1.5, fill="none"
    )
    spots = ((-22, 1, -15), (0, -3, 10), (22, 1, 25))
    return "".join(tag("g", bean, transform=at(CX + dx, s.level + dy, a)) for dx, dy, a in spots)


def _dust(s: Spot, colour: str) -> str:
    spots = ((-30, 0), (-12, -4), (6, 2), (24, -2), (38, 1), (-20, 5))
    return "".join(ellipse(CX + dx, s.level + dy, 2.2, 2, fill=colour) for dx, dy in spots)


def _flower(s: Spot, colour: str) -> str:
    petals = "".join(
        tag("ellipse", cy=-12, rx=7, ry=12, fill=colour, transform=f"rotate({a})")
        for a in range(0, 360, 72)
    )
    flower = petals + tag("circle", r=5, fill="#f3c94a")
    return tag("g", flower, transform=f"translate({num(CX)} {num(s.level - 4)}) scale(1 0.6)")


def _rim_coat(s: Spot, colour: str) -> str:
    grains: dict[str, float | str] = {
        "fill": "none", "stroke": colour, "stroke_width": 6, "stroke_dasharray": "0.1 4.5",
        "stroke_linecap": "round",
    }  # fmt: skip
    return ellipse(CX, s.rim_y, s.rim, **grains) + ellipse(CX, s.rim_y + 5, s.rim - 2, **grains)


# What a garnish's words draw, and in which layer: "in" the drink (behind the glass's front),
# "top" floating on it, "on" the rim in front, "coat" the rim's salt or sugar. One per layer.
_PAINTERS: dict[str, Callable[[Spot, str], str]] = {
    "rim": _rim_coat, "sprig": _sprig, "basil": lambda s, c: _sprig(s, c, 46),
    "needles": _needles, "pick": _pick, "olive": lambda s, c: _pick(s, c, 1),
    "cucumber": _cucumber, "pineapple": _pineapple, "cinnamon": _cinnamon, "umbrella": _umbrella,
    "beans": _beans, "dust": _dust, "flower": _flower,
}  # fmt: skip
_GARNISHES = keyword_table("""
coat rim       #ffffff : sel|sale|salt|sucre|sugar|givr|crusta|tajin
in   sprig     #3f9b4a : menthe|mint
in   basil     #4e9a2a : basilic|basil
in   needles   #4f6d3a : romarin|rosemary|thym|thyme|lavande|lavender
in   pick      #a3122a : cerise|cherr|griotte|amarena
in   olive     #7f8f2d : olive
in   pick      #d12a48 : fraise|strawberr|framboise|raspberr|groseille
in   pick      #3c1638 : mure|blackberr|myrtille|blueberr|cassis|berr|baie|fruits rouges
on   cucumber  #4c7a34 : concombre|cucumber
on   pineapple #f6d65a : ananas|pineapple
in   cinnamon  #8a4b22 : cannelle|cinnamon
in   umbrella  #e0645a : ombrelle|umbrella|parasol
top  beans     #3b2012 : cafe|coffee|espresso
top  dust      #7a4a2a : muscade|nutmeg|cacao|cocoa
top  flower    #c77dba : fleur|flower|orchid|hibiscus|petal|petale|violette
""")
# Citrus: rind and flesh by fruit; its form (wheel, wedge, twist) from the words around it.
_CITRUS = keyword_table("""
#5f9a2a #cde78c : citron vert|lime
#e7785c #f9b7a2 : pamplemousse|grapefruit
#ec8616 #ffc35a : orange|sanguine|mandarin|clementine
#e6c21c #fbeb86 : citron|lemon|yuzu
""")
_FORMS = keyword_table("""
twist : twist|zest|zeste|peel|ecorce|spiral
wedge : wedge|quartier
""")


def garnish_layers(text: str, s: Spot, shape: str) -> dict[str, str]:
    """The garnish's drawing by layer. Unrecognised words still get a small lemon wheel."""
    folded, layers = fold(text), dict[str, str]()
    for rule, (layer, painter, colour) in _GARNISHES:
        if layer not in layers and rule.search(folded):
            layers[layer] = _PAINTERS[painter](s, colour)
    if shape == "tiki" and "in" not in layers:
        layers["in"] = _umbrella(s, "#e0645a")
    citrus, form = first_match(_CITRUS, folded), first_match(_FORMS, folded)
    if "on" not in layers and (citrus or form or (folded and not layers)):
        rind, flesh = citrus or _CITRUS[-1][1]
        r = max(28.0, min(46.0, s.rim * 0.4)) * (1 if citrus else 0.8)
        x, y = CX + s.rim - r * 0.25, s.rim_y - r * 0.1
        if form == ["twist"]:
            layers["on"] = _twist(s, rind)
        else:
            layers["on"] = _slice(x, y, r * 1.1 if form else r, rind, flesh, half=bool(form))
    return layers
