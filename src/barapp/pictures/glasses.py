"""The glasses: each drawn shape's profile, the free-text glass names that map to it, and the
outline of the vessel."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from barapp.pictures.keywords import first_match, fold, keyword_table
from barapp.pictures.svg import CX, TILT, Point, path


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
    material: str = ""  # "" for glass, else an opaque vessel (see MATERIALS)


SHAPES = {
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
MATERIALS = {  # opaque vessels: left shade, light, right shade, rim
    "copper": ("#7a3b1c", "#f0a672", "#8c4522", "#f6c29a"),
    "ceramic": ("#5b3a24", "#a87548", "#4a2e1c", "#c99a6c"),
}

# Free-text glass names, folded. Specific names come before the words they contain
# ("coupe à champagne" is a coupe, "verre à cocktail" a martini glass).
_GLASSES = keyword_table("""
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


def glass_shape(glass: str) -> str:
    """Which drawn shape a free-text glass name maps to (a key of SHAPES); rocks if unknown."""
    found = first_match(_GLASSES, fold(glass))
    return found[0] if found else DEFAULT_SHAPE


def half_width(profile: tuple[Point, ...], y: float) -> float:
    """The glass's half-width at height y (straight between profile points: close enough)."""
    for (y0, w0), (y1, w1) in itertools.pairwise(profile):
        if y0 <= y <= y1:
            return w0 + (w1 - w0) * (y - y0) / ((y1 - y0) or 1)
    return profile[0][1] if y < profile[0][0] else profile[-1][1]


def _side(points: list[Point], smooth: bool) -> str:
    """Path segments through points from the first; a Catmull-Rom curve when smooth."""
    if not smooth:
        return "".join(path("L", x, y) for x, y in points[1:])
    ends = [points[0], *points, points[-1]]
    out = []
    for (x0, y0), (x1, y1), (x2, y2), (x3, y3) in zip(
        ends, ends[1:], ends[2:], ends[3:], strict=False
    ):
        c1, c2 = (x1 + (x2 - x0) / 6, y1 + (y2 - y0) / 6), (x2 - (x3 - x1) / 6, y2 - (y3 - y1) / 6)
        out.append(path("C", *c1, *c2, x2, y2))
    return " ".join(out)


def body_path(shape: Shape) -> str:
    """The vessel's outline: the rim's front half, down the right side, the bottom, up the left.
    The rim's back half is drawn on its own, so what stands in the drink shows above it."""
    (top, rim), (bottom, base) = shape.profile[0], shape.profile[-1]
    right = [(CX + w, y) for y, w in shape.profile]
    left = [(CX - w, y) for y, w in reversed(shape.profile)]
    return " ".join((
        path("M", CX - rim, top, "A", rim, rim * TILT, 0, 0, 0, CX + rim, top),
        _side(right, shape.smooth),
        path("A", base, base * TILT, 0, 0, 1, CX - base, bottom),
        _side(left, shape.smooth),
        "Z",
    ))  # fmt: skip
