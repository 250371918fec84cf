"""The built-in drawing of a cocktail: an SVG of its glass, drink and garnish.

Used whenever no image service is configured or one fails, so it must be instant, deterministic
and safe to serve as it is: a pure function of the recipe, with no script, no event attribute
and no external reference. The only text from the model is the name, escaped, in <title>.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from barapp.cocktails.units import ML_PER, volume_unit

CX, TABLE = 400.0, 500.0  # each glass is drawn standing on y=500, centred on the 800x600 canvas
COUNTER = 522.0  # ...then zoomed about its foot, which lands on the counter's edge here
TILT = 0.14  # height / width of a rim seen slightly from above
TOP_UP_ML = 80.0  # "top up with soda" has no amount: about this much
Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    profile: tuple[Point, ...]  # (y, half-width) of the outside, from the rim down the bowl
    floor: float  # y of the inside bottom: a tumbler's thick base lies below it
    fill: float = 0.8  # share of the inside depth the drink fills
    smooth: bool = True  # curved sides through the profile points, else straight
    foot: float = 0.0  # half-width of the foot of a stemmed glass; 0 without a stem
    zoom: float = 1.0  # small glasses are drawn bigger, so every picture is filled alike
    ice: bool = False
    handle: bool = False
    material: str = ""  # "" for glass, else an opaque vessel (see _MATERIALS)


_SHAPES = {
    "rocks": Shape(((268, 118), (500, 106)), 462, 0.66, False, zoom=1.3, ice=True),
    "highball": Shape(((130, 78), (500, 71)), 468, 0.86, False, ice=True),
    "shot": Shape(((336, 56), (500, 45)), 458, 0.82, False, zoom=1.55),
    "coupe": Shape(
        ((208, 132), (238, 122), (272, 88), (293, 40), (302, 8)), 302, 0.86, foot=72, zoom=1.15
    ),
    "martini": Shape(((186, 132), (334, 7)), 334, 0.86, False, foot=74, zoom=1.1),
    "nick_and_nora": Shape(
        ((176, 88), (226, 94), (276, 80), (308, 44), (322, 8)), 322, foot=64, zoom=1.15
    ),
    "wine": Shape(
        ((150, 80), (210, 100), (276, 96), (330, 62), (356, 8)), 356, 0.62, foot=76, zoom=1.1
    ),
    "flute": Shape(
        ((112, 46), (200, 52), (300, 45), (358, 22), (382, 6)), 382, 0.86, foot=60, zoom=1.05
    ),
    "margarita": Shape(
        ((196, 146), (220, 134), (244, 92), (258, 60), (278, 62), (304, 54), (326, 30), (338, 8)),
        338, 0.86, foot=76, zoom=1.1,
    ),
    "hurricane": Shape(
        ((120, 76), (190, 64), (270, 74), (348, 90), (404, 66), (436, 26), (448, 12)),
        448, 0.88, foot=70, ice=True,
    ),
    "irish": Shape(
        ((196, 86), (340, 84), (384, 58), (398, 12)), 398, 0.86, foot=70, zoom=1.1, handle=True
    ),
    "mug": Shape(((244, 110), (500, 102)), 480, 1, False, zoom=1.25, ice=True, handle=True,
                 material="copper"),
    "tiki": Shape(((146, 84), (230, 95), (390, 93), (500, 82)), 480, ice=True, material="ceramic"),
}  # fmt: skip
DEFAULT_SHAPE = "rocks"


def _fold(text: Any) -> str:
    """Lower case without accents or extra spaces, so "Flûte" and " FLUTE" read alike."""
    text = str(text or "").replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    plain = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())


def _table(text: str) -> list[tuple[re.Pattern[str], list[str]]]:
    """Rows "field field : keyword|keyword" as (pattern, fields). Keywords match at the start of
    a word, so plurals ("fraises") match but "juice" never finds "ice"; the first row wins."""
    rows = []
    for line in text.strip().splitlines():
        fields, _, words = line.partition(":")
        alternatives = "|".join(re.escape(w.strip()) for w in words.split("|"))
        rows.append((re.compile(rf"\b(?:{alternatives})"), fields.split()))
    return rows


def _first(table: list[tuple[re.Pattern[str], list[str]]], text: str) -> list[str] | None:
    return next((fields for rule, fields in table if rule.search(text)), None)


# Free-text glass names, folded. Specific names come before the words they contain
# ("coupe à champagne" is a coupe, "verre à cocktail" a martini glass).
_GLASSES = _table("""
tiki          : tiki
hurricane     : hurricane|poco grande|tulip
margarita     : margarita
nick_and_nora : nick|nora
coupe         : coupe|coupette|saucer
flute         : flute|champagne
mug           : cuivre|copper|mule|mug|chope
irish         : irish|toddy|tasse|cup|punch
shot          : shot|shooter|liqueur|digestif
martini       : martini|cocktail|v-shaped
wine          : vin|wine|ballon|balloon|copa|pied|stemmed|goblet|snifter|cognac|spritz
highball      : highball|collins|tall|long|haut|zombie|mason|bocal|pint|biere|beer|fizz
rocks         : rocks|old fashioned|tumbler|lowball|bas|whisk|julep
""")

# Ingredient colour, tinting strength (per ml) and flags: s sparkling, i ice, c crema, e egg foam.
# Clear spirits tint weakly towards white, so they thin a drink's colour as they do in the glass;
# a dash of bitters is small but strong. Specific names first: "ginger" before "gin".
_INGREDIENTS = _table("""
#eef3f0 0.3 s : bitter lemon|tonic
#b3202a 6     : peychaud
#6e2414 6     : angostura|bitter
#c4152c 3     : campari
#f05a1e 2.5   : aperol
#1c86d8 3     : curacao bleu|blue curacao|bleu|blue
#1fa855 2.5   : creme de menthe|get 27|peppermint
#e3c83a 1.6   : chartreuse jaune|yellow chartreuse|suze|gentiane|galliano|strega
#8cbf26 2     : chartreuse
#5cc43c 2     : midori|melon
#a9c95a 1.5   : absinthe
#8b6ac0 2.5   : violette|violet
#86a83a 2     : matcha|the vert|green tea
#b5651d 1     : the noir|black tea|tea|earl grey|infusion
#5a0f2e 3     : cassis|blackcurrant
#c8102e 3     : grenadine
#5a1640 2.5   : mure|blackberr|myrtille|blueberr|fruits rouges|red berries|berries|baies
#d4244f 2     : framboise|raspberr
#e4394b 2     : fraise|strawberr
#f2f1ea 0.35  : liqueur de marasquin|maraschino liqueur|luxardo
#b0162f 2     : cerise|cherr|griotte|amarena
#c83a20 1.5   : tomate|tomato|bloody
#b81d3c 1.5   : cranberr|canneberge|airelle
#f4a091 1     : pamplemousse|grapefruit
#d9462b 1.5   : sanguine|blood orange
#f2b32a 1.5   : passion|maracuja
#f6a93b 1.5   : mangue|mango
#f5ad6e 1.4   : peche|peach|abricot|apricot
#f3d65a 1     : ananas|pineapple
#f2e27a 1     : banane|banana
#f4ecd0 0.4   : triple sec|cointreau|curacao
#f7a72a 1.2   : orange
#eef3e8 0.3 s : limonade|lemonade|sprite|7up|7 up
#d4e49a 0.7   : citron vert|lime
#f3eaa0 0.7   : citron|lemon|yuzu
#c5e3a0 0.8   : concombre|cucumber
#6aa83c 0.8   : basilic|basil
#7cc06a 0.7   : menthe|mint
#f1ecc6 0.5   : sureau|elderflower|st germain|st-germain|saint germain
#e1a936 1.2   : miel|honey
#3c1c0f 1.5 s : cola|coca|pepsi
#ead8a0 0.6 s : ginger beer|ginger ale|biere de gingembre|biere au gingembre
#e8d49a 0.5   : ginger|gingembre
#eef3f1 0.3 s : soda|eau gazeuse|eau petillante|perrier|seltz|club|sparkling water
#efdc94 0.8 s : prosecco|champagne|cremant|cava|mousseux|sparkling|petillant|franciacorta
#6b1024 2     : vin rouge|red wine|porto|port
#eee3a6 0.6   : vin blanc|white wine|lillet|sauvignon|chardonnay
#e2a233 1   s : biere|beer|lager
#2e1a10 3     : liqueur de cafe|coffee liqueur|kahlua|tia maria|creme de cafe
#3a2416 3   c : espresso|cafe|coffee|cold brew
#5b3421 2     : chocolat|chocolate|cacao|cocoa
#f4ecd4 0.5 e : oeuf|egg|aquafaba
#f6f0e4 1.5   : creme|cream|lait|milk|coco|baileys|yaourt|yogurt|glacee|gelato
#ffffff 0   i : glace|ice|glacon|crushed|pilee|frappe
#efe6d2 0.8   : orgeat|amande|almond
#f1e4c0 0.4   : agave|sirop|syrup|sucre|sugar|simple|gomme|demerara
#f2ecd2 0.4   : vermouth blanc|vermouth dry|dry vermouth|extra dry|bianco|noilly
#7a2418 1.6   : vermouth|rosso|punt e mes|dubonnet|quinquina|byrrh
#4a2414 1.8   : amaro|fernet|jager|averna|montenegro|cynar|ramazzotti
#b86a22 1.2   : amaretto|disaronno|frangelico|noisette|hazelnut
#efe8bc 0.5   : pastis|ricard|pernod|anis|ouzo
#c27a2a 1     : whisk|bourbon|scotch|rye|cognac|brandy|armagnac|calvados|grand marnier
#c27a2a 1     : rhum ambre|rhum vieux|rhum brun|dark rum|aged rum|spiced rum|gold rum|rhum epice
#c27a2a 1     : anejo|reposado|sherry|xeres|madere|madeira|drambuie|benedictine
#f2f1ea 0.35  : rhum blanc|white rum|light rum|cachaca|pisco|tequila|mezcal|gin|genievre|vodka
#f2f1ea 0.35  : sake|eau de vie|kirsch|grappa|aquavit|eau|water
#ecd9a6 0.6   : rhum|rum
#ffffff 0     : sel|salt|poivre|pepper
""")
UNKNOWN_COLOUR, UNKNOWN_STRENGTH = "#e6d3a3", 0.3

# Millilitres one counted unit stands for, by folded substring, first match ("soupe" is 15 ml,
# any other "cuillère" 5). Unknown units count 5 ml apiece.
_COUNT_ML = {
    "soupe": 15, "tbsp": 15, "table": 15, "dash": 1, "trait": 1, "drop": 0.1, "goutte": 0.1,
    "splash": 5, "part": 30, "spoon": 5, "cuill": 5, "tsp": 5, "bar": 5, "lea": 0.5,
    "feuille": 0.5, "slice": 3, "tranche": 3, "rondelle": 3, "wedge": 5, "quartier": 5,
    "piece": 5, "morceau": 5, "sprig": 1, "brin": 1, "pinch": 0.2, "pincee": 0.2, "scoop": 60,
    "boule": 60,
}  # fmt: skip


def glass_shape(glass: str) -> str:
    """Which drawn shape a free-text glass name maps to (a key of _SHAPES); rocks if unknown."""
    found = _first(_GLASSES, _fold(glass))
    return found[0] if found else DEFAULT_SHAPE


def _ingredient(name: Any) -> tuple[str, float, str]:
    """(colour, strength, flags) of an ingredient name, French or English."""
    found = _first(_INGREDIENTS, _fold(name))
    if found is None:
        return UNKNOWN_COLOUR, UNKNOWN_STRENGTH, ""
    return found[0], float(found[1]), "".join(found[2:])


def _volume_ml(item: dict[str, Any]) -> float:
    """About how much of the glass an ingredient takes, whatever unit the model wrote."""
    try:
        value: Any = item.get("amount")
        amount: float | None = float(value)
    except (TypeError, ValueError):
        amount = None
    if amount is not None and not (math.isfinite(amount) and amount >= 0):
        amount = None
    unit = _fold(item.get("unit"))
    volume = volume_unit(unit)
    per = next((ml for name, ml in _COUNT_ML.items() if name in unit), None)
    if amount is None:  # "top up", "a few leaves": a guess by the kind of unit
        return per * 4 if per is not None else TOP_UP_ML
    if volume is not None:
        return min(amount * ML_PER[volume], 1000.0)
    return min(amount, 12.0) * (per if per is not None else 5.0)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(min(255.0, max(0.0, v))):02x}" for v in rgb)


def _mix(a: str, b: str, t: float) -> str:
    """Colour `a` moved the share t of the way towards `b`."""
    return _hex(tuple(x + (y - x) * t for x, y in zip(_rgb(a), _rgb(b), strict=True)))


def _lightness(colour: str) -> float:
    return (max(_rgb(colour)) + min(_rgb(colour))) / 510


def liquid_color(ingredients: list[dict[str, Any]]) -> str:
    """The drink's colour '#rrggbb': ingredient colours weighted by volume times strength."""
    total, rgb = 0.0, [0.0, 0.0, 0.0]
    for item in ingredients or []:
        if isinstance(item, dict):
            colour, strength, _ = _ingredient(item.get("name"))
            weight = _volume_ml(item) * strength
            total += weight
            rgb = [v + c * weight for v, c in zip(rgb, _rgb(colour), strict=True)]
    return _hex(tuple(v / total for v in rgb)) if total > 0 else UNKNOWN_COLOUR


# ---------------------------------------------------------------------------- SVG and geometry


def _n(x: float) -> str:
    return f"{round(x, 1):g}"


def _d(*parts: float | str) -> str:
    """Path data: _d("M", 1, 2.25, "H", 3) -> "M 1 2.2 H 3"."""
    return " ".join(p if isinstance(p, str) else _n(p) for p in parts)


def _tag(name: str, inner: str = "", /, **attrs: float | str) -> str:
    """An SVG element; stroke_width=2 is written stroke-width="2". Values never come from the
    recipe's text, only from the tables and geometry here."""
    text = "".join(
        f' {k.replace("_", "-")}="{v if isinstance(v, str) else _n(v)}"' for k, v in attrs.items()
    )
    return f"<{name}{text}>{inner}</{name}>" if inner else f"<{name}{text}/>"


def _at(x: float, y: float, angle: float = 0) -> str:
    return f"translate({_n(x)} {_n(y)}) rotate({_n(angle)})"


def _ellipse(
    cx: float, cy: float, rx: float, ry: float | None = None, /, **attrs: float | str
) -> str:
    """An ellipse; a rim in perspective unless ry is given."""
    return _tag("ellipse", cx=cx, cy=cy, rx=rx, ry=rx * TILT if ry is None else ry, **attrs)


def _half_width(profile: tuple[Point, ...], y: float) -> float:
    """The glass's half-width at height y (straight between profile points: close enough)."""
    for (y0, w0), (y1, w1) in itertools.pairwise(profile):
        if y0 <= y <= y1:
            return w0 + (w1 - w0) * (y - y0) / ((y1 - y0) or 1)
    return profile[0][1] if y < profile[0][0] else profile[-1][1]


def _side(points: list[Point], smooth: bool) -> str:
    """Path segments through points from the first; a Catmull-Rom curve when smooth."""
    if not smooth:
        return "".join(_d("L", x, y) for x, y in points[1:])
    ends = [points[0], *points, points[-1]]
    out = []
    for (x0, y0), (x1, y1), (x2, y2), (x3, y3) in zip(
        ends, ends[1:], ends[2:], ends[3:], strict=False
    ):
        c1, c2 = (x1 + (x2 - x0) / 6, y1 + (y2 - y0) / 6), (x2 - (x3 - x1) / 6, y2 - (y3 - y1) / 6)
        out.append(_d("C", *c1, *c2, x2, y2))
    return " ".join(out)


def _body_path(shape: Shape) -> str:
    """The vessel's outline: the rim's front half, down the right side, the bottom, up the left.
    The rim's back half is drawn on its own, so what stands in the drink shows above it."""
    (top, rim), (bottom, base) = shape.profile[0], shape.profile[-1]
    right = [(CX + w, y) for y, w in shape.profile]
    left = [(CX - w, y) for y, w in reversed(shape.profile)]
    return " ".join((
        _d("M", CX - rim, top, "A", rim, rim * TILT, 0, 0, 0, CX + rim, top),
        _side(right, shape.smooth),
        _d("A", base, base * TILT, 0, 0, 1, CX - base, bottom),
        _side(left, shape.smooth),
        "Z",
    ))  # fmt: skip


# ---------------------------------------------------------------------------------- the vessel

GLASS: dict[str, float | str] = {"stroke": "#ffffff", "stroke_opacity": 0.9, "stroke_width": 3.5}
SHADE: dict[str, float | str] = {"stroke": "#1d2530", "stroke_opacity": 0.28, "stroke_width": 1.5}
_MATERIALS = {  # opaque vessels: left shade, light, right shade, rim
    "copper": ("#7a3b1c", "#f0a672", "#8c4522", "#f6c29a"),
    "ceramic": ("#5b3a24", "#a87548", "#4a2e1c", "#c99a6c"),
}


def _gradient(kind: str, uid: str, stops: list[tuple[float, str]], **attrs: float | str) -> str:
    inner = "".join(_tag("stop", offset=o, stop_color=c) for o, c in stops)
    return _tag(kind, inner, id=uid, **attrs)


def _ice(rng: random.Random, shape: Shape, level: float) -> str:
    """Ice floats: the top row breaks the surface, the rest fills down; a mug shows only tops."""
    (rim_y, rim), opaque = shape.profile[0], bool(shape.material)
    size = max(40.0, min(64.0, rim * 0.68))
    y = rim_y - size * 0.2 if opaque else level + size * 0.22
    bottom = y if opaque else shape.floor - size * 0.5
    cubes, h = [], size / 2
    for row in range(12):
        if y > bottom + 1 or _half_width(shape.profile, y) < size * 0.55:
            break
        width = _half_width(shape.profile, y) - size * 0.6
        count = max(1, min(3, int(2 * width // size) + 1))
        for k in range(count):
            x = CX + (0 if count == 1 else -width + 2 * width * k / (count - 1))
            x += rng.uniform(-5, 5) + (size * 0.2 if row % 2 else -size * 0.1)
            shine = _tag("path", d=_d("M", -h * 0.6, h * 0.3, "V", -h * 0.6, "H", h * 0.3))
            cube = _tag("rect", x=-h, y=-h, width=size, height=size, rx=size * 0.18)
            cubes.append(_tag("g", cube + shine, transform=_at(x, y, rng.uniform(-16, 16))))
        y += size * 0.95
    return _tag(
        "g", "".join(cubes), fill="#ffffff", fill_opacity=0.6 if opaque else 0.12,
        stroke="#ffffff", stroke_opacity=0.7, stroke_width=2.5, stroke_linecap="round",
    )  # fmt: skip


def _bubbles(rng: random.Random, shape: Shape, level: float) -> str:
    out = []
    for _ in range(18):
        y = rng.uniform(level + 12, shape.floor - 8)
        w = _half_width(shape.profile, y) - 12
        if w > 4:
            out.append(_tag("circle", cx=CX + rng.uniform(-w, w), cy=y, r=rng.uniform(2, 4.5)))
    return _tag(
        "g", "".join(out), fill="#ffffff", fill_opacity=0.35, stroke="#ffffff",
        stroke_opacity=0.85, stroke_width=1.2,
    )  # fmt: skip


def _highlights(shape: Shape, opacity: float) -> str:
    """Two streaks of light down the vessel, following its curve where the sides are steep
    (down a coupe's narrowing bowl a streak would hook like a tick)."""
    (top, rim), bottom = shape.profile[0], shape.floor - 14
    steps = [top + 18 + (bottom - top - 18) * i / 12 for i in range(13)]
    steps = [y for y in steps if _half_width(shape.profile, y) > rim * 0.6]

    def streak(side: float, ys: list[float], width: float, alpha: float) -> str:
        points = " ".join(f"{_n(CX + side * _half_width(shape.profile, y))},{_n(y)}" for y in ys)
        return _tag(
            "polyline", points=points, fill="none", stroke="#ffffff", stroke_width=width,
            stroke_opacity=alpha * opacity, stroke_linecap="round", stroke_linejoin="round",
        )  # fmt: skip

    return streak(-0.78, steps, 9, 0.5) + streak(0.8, steps[2:7], 4, 0.35)


def _stem_and_foot(shape: Shape) -> str:
    if not shape.foot:
        return ""
    top, low = shape.profile[-1][0], TABLE - 8
    stem = _d("M", CX - 5, top, "L", CX - 6, low, "Q", CX, TABLE - 2, CX + 6, low, "L", CX + 5, top)
    return _tag("path", d=stem + "Z", fill="#ffffff", fill_opacity=0.45, **SHADE) + _ellipse(
        CX, TABLE - 4, shape.foot, fill="#ffffff", fill_opacity=0.3, **SHADE
    )


def _handle(shape: Shape, colour: str) -> str:
    if not shape.handle:
        return ""
    y0, w0 = shape.profile[0]
    top, low = y0 + 45, y0 + (shape.profile[-1][0] - y0) * 0.7
    x, reach = CX + _half_width(shape.profile, top) - 6, w0 * 0.55
    return _tag(
        "path", d=_d("M", x, top, "C", x + reach, top - 8, x + reach, low + 8, x, low),
        fill="none", stroke=colour, stroke_width=18, stroke_linecap="round",
    )  # fmt: skip


def _tiki_face(shape: Shape, shade: str) -> str:
    y = (shape.profile[0][0] + TABLE) / 2
    carving = (
        _d("M", CX - 62, y - 62, "H", CX + 62, "V", y - 50, "H", CX - 62, "Z"),  # brow
        _d("M", CX - 52, y - 36, "h 34 l -6 16 h -22 Z"),  # eyes
        _d("M", CX + 52, y - 36, "h -34 l 6 16 h 22 Z"),
        _d("M", CX - 9, y - 30, "h 18 l 8 44 h -34 Z"),  # nose
        _d("M", CX - 48, y + 32, "h 96 v 30 h -96 Z"),  # mouth
    )
    teeth = "".join(_d("M", CX + dx, y + 32, "v 30") for dx in (-36, -12, 12, 36))
    return _tag("path", d=" ".join(carving), fill=shade, fill_opacity=0.85) + _tag(
        "path", d=teeth, stroke="#e9c9a0", stroke_opacity=0.7, stroke_width=3
    )


# ---------------------------------------------------------------------------------- garnish


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
    blade = _d("M 0 0 C", a, -h, b, -h, size, 0, "C", b, h, a, h, "0 0 Z")
    vein = _tag("path", d=_d("M 3 0 H", size * 0.8), stroke="#ffffff", stroke_opacity=0.3)
    return _tag("g", _tag("path", d=blade, fill=colour) + vein, transform=_at(x, y, angle))


def _sprig(s: Spot, colour: str, size: float = 38) -> str:
    """A few leaves bunched above the rim, on a stem that goes down into the drink."""
    x0, y0, x1, y1 = CX - s.rim * 0.15, s.level + 24, CX - s.rim * 0.35, s.rim_y - 58
    dark = _mix(colour, "#000000", 0.25)
    out = [_tag("path", d=_d("M", x0, y0, "L", x1, y1), stroke=dark, stroke_width=3.5)]
    for dy, left, right, k in ((34, -160, -22, 1.0), (14, -135, -48, 0.9)):
        out.append(_leaf(x1 + 2, y1 + dy, size * k, left, dark if k == 1 else colour))
        out.append(_leaf(x1 + 2, y1 + dy, size * k, right, colour if k == 1 else dark))
    out.append(_leaf(x1, y1 + 4, size * 0.85, -96, _mix(colour, "#ffffff", 0.15)))
    return "".join(out)


def _needles(s: Spot, colour: str) -> str:
    """Rosemary or thyme: a long stem with short needles either side."""
    ends = (CX - s.rim * 0.2, s.level + 30, CX - s.rim * 0.5, s.rim_y - 110)
    lines = [_d("M", *ends[:2], "L", *ends[2:])]
    for i in range(14):
        x, y = _along(*ends, 0.35 + 0.65 * i / 13)
        side = 1 if i % 2 else -1
        lines.append(_d("M", x, y, "l", side * 16, side * 3 - 10))
    return _tag("path", d=" ".join(lines), stroke=colour, stroke_width=4, stroke_linecap="round")


def _pick(s: Spot, colour: str, fruits: int = 2) -> str:
    """Cherries, berries or an olive on a cocktail pick, dipped in the drink."""
    ends = (CX - s.rim * 0.55, s.rim_y - 70, CX + s.rim * 0.1, s.level + 36)
    out = [_tag("path", d=_d("M", *ends[:2], "L", *ends[2:]), stroke="#39414c", stroke_width=3.5)]
    for t in (0.84, 0.62)[:fruits]:
        x, y = _along(*ends, t)
        out.append(_ellipse(x, y, 16, 14, fill=colour))
        out.append(_ellipse(x - 5, y - 5, 4, 3, fill="#ffffff", fill_opacity=0.55))
        if fruits == 1:  # an olive's pimento
            out.append(_ellipse(x + 6, y - 1, 5, 5, fill="#c8322a"))
    return "".join(out)


def _slice(x: float, y: float, r: float, rind: str, flesh: str, half: bool = False) -> str:
    """A citrus (or cucumber) wheel; half of one is a wedge."""

    def disc(k: float, fill: str) -> str:
        if not half:
            return _ellipse(0, 0, r * k, r * k, fill=fill)
        return _tag(
            "path", d=_d("M", -r * k, 0, "A", r * k, r * k, 0, 0, 0, r * k, 0, "Z"), fill=fill
        )

    angles = (
        [math.pi * (i + 0.5) / 4 for i in range(4)]
        if half
        else [i * math.pi / 4 + 0.3 for i in range(8)]
    )
    spokes = "".join(_d("M 0 0 L", math.cos(a) * r * 0.76, math.sin(a) * r * 0.76) for a in angles)
    inner = disc(1, rind) + disc(0.88, "#fffaf0") + disc(0.8, flesh)
    inner += _tag("path", d=spokes, stroke="#fffaf0", stroke_width=2.5)
    return _tag("g", inner, transform=_at(x, y, -28 if half else 0))


def _cucumber(s: Spot, colour: str) -> str:
    x, y, r = CX + s.rim - 8, s.rim_y - 6, 40.0
    seeds = "".join(
        _ellipse(x + math.cos(a) * r * 0.42, y + math.sin(a) * r * 0.42, 3, 5, fill="#f4f8e6")
        for a in (i * math.pi / 3 for i in range(6))
    )
    flesh = _ellipse(x, y, r * 0.88, r * 0.88, fill="#dff0bf")
    return _ellipse(x, y, r, r, fill=colour) + flesh + seeds


def _twist(s: Spot, rind: str) -> str:
    """A spiral of peel hooked over the rim: a coil whose back half-turns are darker."""
    x, y, a, pitch = CX + s.rim + 8, s.rim_y, 15.0, 24.0
    back, front = [], [_d("M", x - 40, y + 6, "Q", x - 26, y - 20, x - a, y)]
    for i in range(4):
        top, mid = y + i * pitch, y + (i + 0.5) * pitch
        front.append(_d("M", x - a, top, "A", a, a * 0.45, 0, 0, 0, x + a, mid))
        back.append(_d("M", x + a, mid, "A", a, a * 0.45, 0, 0, 0, x - a, mid + pitch / 2))
    style: dict[str, float | str] = {"fill": "none", "stroke_width": 9, "stroke_linecap": "round"}
    return _tag("path", d=" ".join(back), stroke=_mix(rind, "#000000", 0.3), **style) + _tag(
        "path", d=" ".join(front), stroke=rind, **style
    )


def _pineapple(s: Spot, colour: str) -> str:
    x, y, r = CX + s.rim - 12, s.rim_y - 4, max(40.0, min(50.0, s.rim * 0.45))
    spike = _d("M -6 0 L 0", -r * 1.1, "L 6 0 Z")
    crown = "".join(
        _tag("path", d=spike, fill="#4f8a2e", transform=_at(x + 4, y - 4, a)) for a in (-8, 22, 52)
    )
    return crown + _slice(x, y, r, "#b9812c", colour, half=True)


def _cinnamon(s: Spot, colour: str) -> str:
    x, y, out = CX - s.rim * 0.3, s.level + 20, []
    for dx in (0, 20):
        stick = _d("M", x + dx, y, "L", x + dx - 30, s.rim_y - 90 + dx)
        out.append(_tag("path", d=stick, stroke=colour, stroke_width=14, stroke_linecap="round"))
        out.append(_tag("path", d=stick, stroke=_mix(colour, "#000000", 0.35), stroke_width=3))
    return "".join(out)


def _umbrella(s: Spot, colour: str) -> str:
    x0, y0, x1, y1 = CX + s.rim * 0.1, s.level + 40, CX + s.rim * 0.7, s.rim_y - 120
    scallops = "Q 47 8 31 0 Q 16 8 0 0 Q -16 8 -31 0 Q -47 8 -62 0 Z"
    canopy = _tag("path", d="M -62 0 Q -55 -40 0 -42 Q 55 -40 62 0 " + scallops, fill=colour)
    ribs = "".join(_d("M 0 -40 L", dx, 0) for dx in (-45, -15, 15, 45))
    canopy += _tag("path", d=ribs, stroke="#fbe9d4", stroke_width=2.5)
    stick = _tag("path", d=_d("M", x0, y0, "L", x1, y1), stroke="#d9c8a8", stroke_width=4)
    return stick + _tag("g", canopy, transform=_at(x1, y1, 22))


def _beans(s: Spot, colour: str) -> str:
    bean = _tag("ellipse", rx=10, ry=6.5, fill=colour) + _tag(
        "path", d="M -7 0 Q 0 -3 7 0", stroke="#a0704a", stroke_width=1.5, fill="none"
    )
    spots = ((-22, 1, -15), (0, -3, 10), (22, 1, 25))
    return "".join(_tag("g", bean, transform=_at(CX + dx, s.level + dy, a)) for dx, dy, a in spots)


def _dust(s: Spot, colour: str) -> str:
    spots = ((-30, 0), (-12, -4), (6, 2), (24, -2), (38, 1), (-20, 5))
    return "".join(_ellipse(CX + dx, s.level + dy, 2.2, 2, fill=colour) for dx, dy in spots)


def _flower(s: Spot, colour: str) -> str:
    petals = "".join(
        _tag("ellipse", cy=-12, rx=7, ry=12, fill=colour, transform=f"rotate({a})")
        for a in range(0, 360, 72)
    )
    flower = petals + _tag("circle", r=5, fill="#f3c94a")
    return _tag("g", flower, transform=f"translate({_n(CX)} {_n(s.level - 4)}) scale(1 0.6)")


def _rim_coat(s: Spot, colour: str) -> str:
    grains: dict[str, float | str] = {
        "fill": "none", "stroke": colour, "stroke_width": 6, "stroke_dasharray": "0.1 4.5",
        "stroke_linecap": "round",
    }  # fmt: skip
    return _ellipse(CX, s.rim_y, s.rim, **grains) + _ellipse(CX, s.rim_y + 5, s.rim - 2, **grains)


# What a garnish's words draw, and in which layer: "in" the drink (behind the glass's front),
# "top" floating on it, "on" the rim in front, "coat" the rim's salt or sugar. One per layer.
_PAINTERS: dict[str, Callable[[Spot, str], str]] = {
    "rim": _rim_coat, "sprig": _sprig, "basil": lambda s, c: _sprig(s, c, 46),
    "needles": _needles, "pick": _pick, "olive": lambda s, c: _pick(s, c, 1),
    "cucumber": _cucumber, "pineapple": _pineapple, "cinnamon": _cinnamon, "umbrella": _umbrella,
    "beans": _beans, "dust": _dust, "flower": _flower,
}  # fmt: skip
_GARNISHES = _table("""
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
_CITRUS = _table("""
#5f9a2a #cde78c : citron vert|lime
#e7785c #f9b7a2 : pamplemousse|grapefruit
#ec8616 #ffc35a : orange|sanguine|mandarin|clementine
#e6c21c #fbeb86 : citron|lemon|yuzu
""")
_FORMS = _table("""
twist : twist|zest|zeste|peel|ecorce|spiral
wedge : wedge|quartier
""")


def _garnish(text: str, s: Spot, shape: str) -> dict[str, str]:
    """The garnish's drawing by layer. Unrecognised words still get a small lemon wheel."""
    folded, layers = _fold(text), dict[str, str]()
    for rule, (layer, painter, colour) in _GARNISHES:
        if layer not in layers and rule.search(folded):
            layers[layer] = _PAINTERS[painter](s, colour)
    if shape == "tiki" and "in" not in layers:
        layers["in"] = _umbrella(s, "#e0645a")
    citrus, form = _first(_CITRUS, folded), _first(_FORMS, folded)
    if "on" not in layers and (citrus or form or (folded and not layers)):
        rind, flesh = citrus or _CITRUS[-1][1]
        r = max(28.0, min(46.0, s.rim * 0.4)) * (1 if citrus else 0.8)
        x, y = CX + s.rim - r * 0.25, s.rim_y - r * 0.1
        if form == ["twist"]:
            layers["on"] = _twist(s, rind)
        else:
            layers["on"] = _slice(x, y, r * 1.1 if form else r, rind, flesh, half=bool(form))
    return layers


# ---------------------------------------------------------------------------------- document


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
        width = rim - 10 if self.shape.material else _half_width(self.shape.profile, self.level) - 2
        foam = "#c99a62" if "c" in self.flags else "#f4eedf" if "e" in self.flags else ""
        return _ellipse(CX, self.level, width, fill=_mix(foam or self.colour, "#ffffff", 0.3))

    @property
    def ice(self) -> str:
        return _ice(self.rng, self.shape, self.level) if self.shape.ice or "i" in self.flags else ""

    @property
    def straw(self) -> str:
        if self.kind not in ("highball", "hurricane", "tiki", "mug"):
            return ""
        (rim_y, rim), floor = self.shape.profile[0], self.shape.floor
        straw = _d("M", CX + rim * 0.2, floor - 30, "L", CX + rim * 0.62, rim_y - 95)
        return _tag("path", d=straw, stroke="#39414d", stroke_width=9)


def _glass(d: Drink) -> list[str]:
    """A glass: the drink shows through it, clipped to its outline, under its shine."""
    shape, body = d.shape, _body_path(d.shape)
    (rim_y, rim), floor = shape.profile[0], shape.floor
    fw = _half_width(shape.profile, floor) - 4
    liquid = _d("M", CX - 300, d.level, "H", CX + 300, "V", floor, "H", CX + fw,
                "A", fw, fw * TILT, 0, 0, 1, CX - fw, floor, "H", CX - 300, "Z")  # fmt: skip
    drink = _tag("path", d=liquid, fill=f"url(#{d.uid}l)", fill_opacity=0.94)
    if "c" in d.flags or "e" in d.flags:  # a band of crema or egg-white foam
        foam = "#c99a62" if "c" in d.flags else "#f4eedf"
        drink += _tag("rect", y=d.level, width=800, height=18, fill=foam)
    drink += d.surface + d.ice + (_bubbles(d.rng, shape, d.level) if "s" in d.flags else "")
    out = [
        _stem_and_foot(shape),
        _handle(shape, "#ffffff"),
        _tag("path", d=body, fill="#ffffff", fill_opacity=0.16),
        d.straw,
        _tag("g", drink, clip_path=f"url(#{d.uid}c)"),
        d.garnish.get("in", ""),
        d.garnish.get("top", ""),
        _tag("path", d=body, fill="none", **SHADE),
        _tag("path", d=body, fill="none", **GLASS),
        _ellipse(CX, rim_y, rim, fill="none", **GLASS),
    ]
    if floor < shape.profile[-1][0]:  # a tumbler's thick base
        out.append(_ellipse(CX, floor, fw, fill="none", **{**GLASS, "stroke_opacity": 0.5}))
    return [*out, _highlights(shape, 1)]


def _opaque(d: Drink) -> list[str]:
    """A copper or ceramic vessel: only the drink's surface and what stands in it show."""
    (rim_y, rim), shade, _, dark, edge = d.shape.profile[0], *_MATERIALS[d.shape.material]
    return [
        _handle(d.shape, shade),
        _ellipse(CX, rim_y, rim - 4, fill=_mix(shade, "#000000", 0.4)),
        d.surface,
        d.ice,
        d.straw,
        d.garnish.get("in", ""),
        d.garnish.get("top", ""),
        _tag("path", d=_body_path(d.shape), fill=f"url(#{d.uid}m)", **SHADE),
        _ellipse(CX, rim_y, rim - 2, fill="none", stroke=edge, stroke_width=5),
        _tiki_face(d.shape, dark) if d.shape.material == "ceramic" else "",
        _highlights(d.shape, 0.5),
    ]


def _defs(d: Drink, background: str) -> str:
    defs = [
        _gradient("radialGradient", f"{d.uid}b", [(0, _mix(background, "#ffffff", 0.35)),
                  (1, _mix(background, "#000000", 0.12))], cx=0.5, cy=0.42, r=0.75),
        _gradient("linearGradient", f"{d.uid}l", [(0, _mix(d.colour, "#ffffff", 0.12)),
                  (1, _mix(d.colour, "#000000", 0.22))], x1=0, y1=0, x2=0, y2=1),
        _tag("clipPath", _tag("path", d=_body_path(d.shape)), id=f"{d.uid}c"),
    ]  # fmt: skip
    if d.shape.material:
        shade, light, dark, _ = _MATERIALS[d.shape.material]
        defs.append(
            _gradient("linearGradient", f"{d.uid}m", [(0, shade), (0.35, light), (1, dark)])
        )
    return _tag("defs", "".join(defs))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def draw(glass: str, ingredients: list[dict[str, Any]], garnish: str, name: str = "") -> str:
    """A complete standalone SVG document (800x600) of the drink in its glass."""
    items = [i for i in ingredients or [] if isinstance(i, dict)]
    kind = glass_shape(glass)
    shape, colour = _SHAPES[kind], liquid_color(items)
    flags = "".join(_ingredient(i.get("name"))[2] for i in items)
    # Seeded by the recipe, so a drink is always drawn the same, ids included; two drawings
    # inlined in one page must not share ids.
    key = repr((kind, colour, flags, _fold(garnish), _fold(name))).encode()
    seed = int.from_bytes(hashlib.sha256(key).digest()[:4], "big")
    background = _mix("#c4bdb2", colour, 0.25)
    if _lightness(colour) > 0.86:  # a clear drink must still read as a liquid
        colour = _mix(colour, "#a9d3dc", 0.35)
    rim_y, rim = shape.profile[0]
    level = rim_y + 9 if shape.material else rim_y + (shape.floor - rim_y) * (1 - shape.fill)
    layers = _garnish(garnish, Spot(rim_y, rim, level), kind)
    d = Drink(kind, shape, colour, flags, level, f"d{seed:08x}", random.Random(seed), layers)
    shadow = max(shape.foot, shape.profile[-1][1]) * 1.4
    vessel = [
        _ellipse(CX, TABLE + 2, shadow, 9, fill="#000000", fill_opacity=0.18),
        *(_opaque(d) if shape.material else _glass(d)),
        layers.get("on", ""),
        layers.get("coat", ""),
    ]
    zoom = (
        f"translate({_n(CX)} {_n(COUNTER)}) scale({shape.zoom}) translate({_n(-CX)} {_n(-TABLE)})"
    )
    title = escape(_NOT_XML.sub("", str(name or "")), {'"': "&quot;", "'": "&#39;"})
    return "".join((
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600" ',
        f'role="img"><title>{title}</title>',
        _defs(d, background),
        _tag("rect", width=800, height=600, fill=f"url(#{d.uid}b)"),
        _tag("rect", y=COUNTER, width=800, height=100, fill=_mix(background, "#000000", 0.1)),
        _tag("rect", y=COUNTER, width=800, height=2, fill="#ffffff", fill_opacity=0.35),
        _tag("g", "".join(vessel), transform=zoom),
        "</svg>",
    ))  # fmt: skip
