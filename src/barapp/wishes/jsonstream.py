"""An incremental (push) JSON parser that turns streamed text fragments into field-level events.

The model writes a cocktail as one JSON document, a few characters at a time; a fragment can end
anywhere (inside a string, an escape, a surrogate pair, a number or ``true``). The page should
fill field by field as the document is written, so this parser reports what it learns as soon as
it learns it::

    parser = JSONStream()
    for fragment in fragments:
        for event in parser.feed(fragment):
            ...  # ValueStart / StringDelta / ValueDone
    cocktail = parser.close()  # the whole value, like json.loads; raises if incomplete

Each value is addressed by its path from the root: ``("name",)``, ``("ingredients", 2,
"amount")``, ``("steps", 0)``; the root itself is ``()``. The events and the error are defined
in `barapp.wishes.jsonevents`, and importable from here.

Design: a small state machine with a stack of open containers. The current state is a bound
method that consumes characters from the fragment and returns where it stopped; string contents
and whitespace are consumed in runs by regular expressions, everything else one character at a
time. Nothing is ever re-read: the work of a feed is proportional to the fragment (plus the events
it produces), and strings are kept as lists of pieces joined once, so the total work is linear in
the size of the document. The grammar is strict JSON, as accepted by ``json.loads`` without the
``NaN``/``Infinity`` extensions, and an error is raised at the first character that no valid
document could contain. The structural states (between values) are here; the states inside a
string, a number or a literal are in `barapp.wishes.jsonscalars`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from barapp.wishes.jsonevents import (
    Event,
    JSONStreamError,
    Kind,
    Path,
    StringDelta,
    ValueDone,
    ValueStart,
)
from barapp.wishes.jsonscalars import LITERALS, ScalarStates

__all__ = [
    "Event",
    "JSONStream",
    "JSONStreamError",
    "Kind",
    "Path",
    "StringDelta",
    "ValueDone",
    "ValueStart",
]

_NOT_WHITESPACE = re.compile(r"[^ \t\n\r]")


class _Frame:
    """An open object or array: its container, its path, and where the next child goes."""

    __slots__ = ("container", "key", "path")

    def __init__(self, path: Path, container: dict[str, Any] | list[Any]) -> None:
        self.path = path
        self.container = container
        self.key = ""  # the current member's key, in an object


_Token = Callable[["JSONStream", str, int], int]


def _after_whitespace(token: _Token) -> _Token:
    """A structural state: it skips whitespace, then `token` reads one token from the first
    other character (a fragment of whitespace only is read whole)."""

    @functools.wraps(token)
    def state(self: JSONStream, text: str, i: int) -> int:
        found = _NOT_WHITESPACE.search(text, i)
        return len(text) if found is None else token(self, text, found.start())

    return state


class JSONStream(ScalarStates):
    """Parse one JSON document pushed in fragments; see the module documentation."""

    def __init__(self, clean: Callable[[str], str] | None = None) -> None:
        """`clean`, if given, rewrites every decoded string, character by character (what a
        delta sends is what the final value holds): barapp's text rule for a model's answer."""
        super().__init__(clean)
        self._state = self._expect_value
        self._stack: list[_Frame] = []
        self._offset = 0  # characters fed before the current fragment
        self._events = []
        self._result: Any = None
        self._done = False
        self._closed = False
        self._error: JSONStreamError | None = None

    @property
    def done(self) -> bool:
        """Whether the top-level value is complete (a bare top-level number completes only when
        whitespace follows it, or at `close`)."""
        return self._done

    def feed(self, fragment: str) -> list[Event]:
        """Parse the next fragment; return the events it completes, in document order.

        Raises `JSONStreamError` at the first invalid character (the events of that fragment are
        lost); once raised, every further call raises it again.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise JSONStreamError("feed() after close()", self._offset)
        events: list[Event] = []
        self._events = events
        i, end = 0, len(fragment)
        try:
            while i < end:
                i = self._state(fragment, i)
        except JSONStreamError as error:
            self._error = error
            raise
        self._end_fragment()
        self._offset += end
        return events

    def close(self) -> Any:
        """End the input; return the document's value, or raise `JSONStreamError` if the
        document is empty, incomplete or was invalid."""
        if self._error is not None:
            raise self._error
        if self._closed:
            return self._result
        self._events = []  # the last feed's list belongs to its caller now
        try:
            # A number's ValueDone has nowhere to go: only a bare top-level number can end
            # here, and close() returns it.
            self._end_input()
            if not self._done:
                raise JSONStreamError(f"incomplete document: {self._expecting()}", self._offset)
        except JSONStreamError as error:
            self._error = error
            raise
        self._closed = True
        return self._result

    def partial(self) -> Any:
        """The document as far as it is written: its complete values, inside the containers
        still open (a string, number or literal being read is left out). None before the
        first container or value. For keeping what a cut-off answer holds."""
        if self._done:
            return self._result
        value: Any = None
        for frame in reversed(self._stack):
            container = frame.container.copy()  # the parser goes on filling its own
            if value is not None:
                if isinstance(container, dict):
                    container[frame.key] = value
                else:
                    container.append(value)
            value = container
        return value

    def _expecting(self) -> str:
        """What the parser waits for, to say why a document is incomplete."""
        scalar = self._scalar_expecting()
        if scalar is not None:
            return scalar
        if not self._stack:
            return "expecting a value"
        if isinstance(self._stack[-1].container, dict):
            return "unclosed object"
        return "unclosed array"

    # -- Values -----------------------------------------------------------------------------

    def _start(self, kind: Kind) -> Path:
        """A value begins where the next child goes: report it, return its path."""
        path: Path = ()
        if self._stack:
            frame = self._stack[-1]
            if isinstance(frame.container, dict):
                path = (*frame.path, frame.key)
            else:
                path = (*frame.path, len(frame.container))
        self._events.append(ValueStart(path, kind))
        return path

    def _finish(self, path: Path, value: Any) -> None:
        """A value is complete: report it and store it in its parent (or as the result)."""
        self._events.append(ValueDone(path, value))
        if self._stack:
            frame = self._stack[-1]
            if isinstance(frame.container, dict):
                frame.container[frame.key] = value
            else:
                frame.container.append(value)
        else:
            self._result = value
            self._done = True
        self._state = self._after_value

    def _end_key(self, key: str) -> None:
        self._stack[-1].key = key
        self._state = self._colon

    def _open(self, container: dict[str, Any] | list[Any], kind: Kind) -> None:
        self._stack.append(_Frame(self._start(kind), container))
        self._state = self._first_child

    def _close_container(self) -> None:
        frame = self._stack.pop()
        self._finish(frame.path, frame.container)

    # -- Structural states: each skips whitespace, then reads one token ---------------------

    @_after_whitespace
    def _expect_value(self, text: str, i: int) -> int:
        """Before a value: at the top level, after ':' or after ',' in an array."""
        c = text[i]
        if c == '"':
            self._begin_string(self._start("string"))
        elif c == "{":
            self._open({}, "object")
        elif c == "[":
            self._open([], "array")
        elif c == "-" or "0" <= c <= "9":
            self._begin_number(self._start("number"), self._offset + i)
            return i  # the number state reads its first character itself
        elif c in LITERALS:
            self._begin_literal(self._start("literal"), c)
        else:
            raise self._fail("expecting a value", text, i)
        return i + 1

    @_after_whitespace
    def _first_child(self, text: str, i: int) -> int:
        """Just after '{' or '[': a key or a value, or '}' or ']' if the container is empty."""
        in_object = isinstance(self._stack[-1].container, dict)
        if text[i] == ("}" if in_object else "]"):
            self._close_container()
            return i + 1
        return self._object_key(text, i) if in_object else self._expect_value(text, i)

    @_after_whitespace
    def _object_key(self, text: str, i: int) -> int:
        """After ',' in an object: a key (no trailing comma)."""
        if text[i] != '"':
            raise self._fail("expecting a key in double quotes", text, i)
        self._begin_string(None)
        return i + 1

    @_after_whitespace
    def _colon(self, text: str, i: int) -> int:
        if text[i] != ":":
            raise self._fail("expecting ':' after a key", text, i)
        self._state = self._expect_value
        return i + 1

    @_after_whitespace
    def _after_value(self, text: str, i: int) -> int:
        """After a value: ',' or the end of its container; only whitespace after the root."""
        if not self._stack:
            raise self._fail("extra data after the document", text, i)
        in_object = isinstance(self._stack[-1].container, dict)
        c, closer = text[i], "}" if in_object else "]"
        if c == closer:
            self._close_container()
        elif c == ",":
            self._state = self._object_key if in_object else self._expect_value
        else:
            raise self._fail(f"expecting ',' or {closer!r}", text, i)
        return i + 1
