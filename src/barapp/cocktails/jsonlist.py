"""An import file read as hostile: its bytes (or text) become the entries of one JSON list, each
with the line it starts on, every string in it (keys too) cleaned by the one rule
(`barapp/text.py`); or `Unreadable`, a one-line message that says where and what.

The list is decoded entry by entry (`raw_decode` from each entry's start) because `json.loads`
says nothing of where the values it returns came from, and the bar owner needs a line to look
at. Nothing here raises anything else: not a `RecursionError` for deep nesting, not a
`UnicodeDecodeError`, not a `ValueError` for a number of thousands of digits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from barapp.text import clean

# A cocktail document nests four deep (list, entry, ingredients, ingredient): anything much
# deeper is not a cocktail, and the cleaning walk below stays far from Python's recursion limit.
MAX_DEPTH = 16

# strict=False lets raw control characters inside strings through, for the cleaning rule to
# drop (JSON forbids them, but a hand-edited file's raw tab is no reason to refuse it).
_DECODER = json.JSONDecoder(strict=False)
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, as the json module skips it


class Unreadable(ValueError):
    """The file cannot be read as a JSON list; the message says where (line) and what."""


@dataclass(frozen=True)
class Entry:
    number: int  # 1-based, as the messages count
    line: int
    value: Any


def read_list(data: str | bytes) -> list[Entry]:
    text = _decoded(data) if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")  # Windows editors start UTF-8 files with a BOM
    lines = _Lines(text)
    pos = _skip(text, 0)
    if pos == len(text):
        raise Unreadable("the file is empty")
    if text[pos] != "[":
        where = f"line {lines.at(pos)}"
        raise Unreadable(
            f"{where}: the file must hold a JSON list of cocktails: [ {{...}}, {{...}} ]"
        )
    entries: list[Entry] = []
    pos = _skip(text, pos + 1)
    if not text.startswith("]", pos):
        while True:
            number, line = len(entries) + 1, lines.at(pos)
            where = f"entry {number} (line {line})"
            value, pos = _decode_one(text, pos, where)
            entries.append(Entry(number, line, _cleaned(value, where)))
            pos = _skip(text, pos)
            if not text.startswith(",", pos):
                break
            pos = _skip(text, pos + 1)
        if not text.startswith("]", pos):
            raise _syntax(json.JSONDecodeError("Expecting ',' delimiter", text, pos))
    end = _skip(text, pos + 1)
    if end != len(text):
        raise _syntax(json.JSONDecodeError("Extra data", text, end))
    return entries


def cleaned(value: Any) -> Any:
    """A decoded JSON value with every string in it cleaned (an export's documents)."""
    return _cleaned(value, "the value")


class _Lines:
    """Line numbers of increasing positions, counted once: a file of thousands of entries is
    not rescanned from its start for each one."""

    def __init__(self, text: str) -> None:
        self._text, self._pos, self._line = text, 0, 1

    def at(self, pos: int) -> int:
        self._line += self._text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        hint = "; a UTF-16 file? save it as UTF-8" if utf16 else ""
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unreadable(
            f"not UTF-8 text (line {line}: byte 0x{data[exc.start]:02x}{hint})"
        ) from None


def _decode_one(text: str, pos: int, where: str) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise _syntax(exc) from None
    except RecursionError:
        raise Unreadable(f"{where}: nested too deeply") from None
    except ValueError:  # int() refuses more than 4300 digits (a guard against slow parsing)
        raise Unreadable(f"{where}: a number with too many digits") from None


def _cleaned(value: Any, where: str, depth: int = 0) -> Any:
    if isinstance(value, str):
        return clean(value)
    if depth >= MAX_DEPTH:
        raise Unreadable(f"{where}: nested too deeply")
    if isinstance(value, list):
        return [_cleaned(item, where, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean(key): _cleaned(item, where, depth + 1) for key, item in value.items()}
    return value


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _syntax(exc: json.JSONDecodeError) -> Unreadable:
    return Unreadable(
        f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg.removesuffix(' at')})"
    )
