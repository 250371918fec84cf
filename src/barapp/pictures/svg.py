"""SVG text: numbers, path data, elements, placements; the canvas everything is drawn on."""

from __future__ import annotations

CX, TABLE = 400.0, 500.0  # each glass is drawn standing on y=500, centred on the 800x600 canvas
COUNTER = 522.0  # ...then zoomed about its foot, which lands on the counter's edge here
TILT = 0.14  # height / width of a rim seen slightly from above
Point = tuple[float, float]


def num(x: float) -> str:
    return f"{round(x, 1):g}"


def path(*parts: float | str) -> str:
    """Path data: path("M", 1, 2.25, "H", 3) -> "M 1 2.2 H 3"."""
    return " ".join(p if isinstance(p, str) else num(p) for p in parts)


def tag(name: str, inner: str = "", /, **attrs: float | str) -> str:
    """An SVG element; stroke_width=2 is written stroke-width="2". Values never come from the
    recipe's text, only from the tables and geometry here."""
    text = "".join(
        f' {k.replace("_", "-")}="{v if isinstance(v, str) else num(v)}"' for k, v in attrs.items()
    )
    return f"<{name}{text}>{inner}</{name}>" if inner else f"<{name}{text}/>"


def at(x: float, y: float, angle: float = 0) -> str:
    return f"translate({num(x)} {num(y)}) rotate({num(angle)})"


def ellipse(
    cx: float, cy: float, rx: float, ry: float | None = None, /, **attrs: float | str
) -> str:
    """An ellipse; a rim in perspective unless ry is given."""
    return tag("ellipse", cx=cx, cy=cy, rx=rx, ry=rx * TILT if ry is None else ry, **attrs)


def gradient(kind: str, uid: str, stops: list[tuple[float, str]], **attrs: float | str) -> str:
    inner = "".join(tag("stop", offset=o, stop_color=c) for o, c in stops)
    return tag(kind, inner, id=uid, **attrs)
