"""Colours as '#rrggbb': mixing, lightness, and the drink's colour from its ingredients."""

from __future__ import annotations

from typing import Any

from barapp.pictures.ingredient_colours import UNKNOWN_COLOUR, ingredient
from barapp.pictures.volumes import volume_ml


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(min(255.0, max(0.0, v))):02x}" for v in rgb)


def mix(a: str, b: str, t: float) -> str:
    """Colour `a` moved the share t of the way towards `b`."""
    return _hex(tuple(x + (y - x) * t for x, y in zip(_rgb(a), _rgb(b), strict=True)))


def lightness(colour: str) -> float:
    return (max(_rgb(colour)) + min(_rgb(colour))) / 510


def liquid_color(ingredients: list[dict[str, Any]]) -> str:
    """The drink's colour '#rrggbb': ingredient colours weighted by volume times strength."""
    total, rgb = 0.0, [0.0, 0.0, 0.0]
    for item in ingredients or []:
        if isinstance(item, dict):
            colour, strength, _ = ingredient(item.get("name"))
            weight = volume_ml(item) * strength
            total += weight
            rgb = [v + c * weight for v, c in zip(rgb, _rgb(colour), strict=True)]
    return _hex(tuple(v / total for v in rgb)) if total > 0 else UNKNOWN_COLOUR
