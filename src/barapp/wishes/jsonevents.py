"""What the incremental JSON parser (`barapp.wishes.jsonstream`) reports: paths, events, errors.

Each value is addressed by its path from the root: ``("name",)``, ``("ingredients", 2,
"amount")``, ``("steps", 0)``; the root itself is ``()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

Path: TypeAlias = tuple[str | int, ...]
Kind: TypeAlias = Literal["object", "array", "string", "number", "literal"]


@dataclass(frozen=True, slots=True)
class ValueStart:
    """A value begins at `path`: the UI can create its element before any content arrives."""

    path: Path
    kind: Kind


@dataclass(frozen=True, slots=True)
class StringDelta:
    """New decoded characters of the string value at `path` (never of an object key).

    The deltas of one string, concatenated, are exactly its final value. A feed produces at most
    one delta per string, and never splits an escape or a surrogate pair.
    """

    path: Path
    text: str


@dataclass(frozen=True, slots=True)
class ValueDone:
    """The value at `path` is complete; `value` is what ``json.loads`` would give for it.

    For an object or an array this is the parser's own container, also held by its parent:
    treat it as read-only.
    """

    path: Path
    value: Any


Event: TypeAlias = ValueStart | StringDelta | ValueDone


class JSONStreamError(ValueError):
    """The text is not valid JSON. `offset` counts characters from the start of the document."""

    def __init__(self, msg: str, offset: int) -> None:
        super().__init__(f"{msg} at offset {offset}")
        self.msg = msg
        self.offset = offset
