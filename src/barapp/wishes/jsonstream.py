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
"amount")``, ``("steps", 0)``; the root itself is ``()``.

Design: a small state machine with a stack of open containers. The current state is a bound
method that consumes characters from the fragment and returns where it stopped; string contents
and whitespace are consumed in runs by regular expressions, everything else one character at a
time. Nothing is ever re-read: the work of a feed is proportional to the fragment (plus the events
it produces), and strings are kept as lists of pieces joined once, so the total work is linear in
the size of the document. The grammar is strict JSON, as accepted by ``json.loads`` without the
``NaN``/``Infinity`` extensions, and an error is raised at the first character that no valid
document could contain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

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


_State: TypeAlias = Callable[[str, int], int]

_NOT_WHITESPACE = re.compile(r"[^ \t\n\r]")
# Everything a string may hold literally: not its end, not an escape, not a control character.
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]+')
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_LITERALS: dict[str, tuple[str, bool | None]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}

# Numbers: a DFA over the JSON grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
# A character the current state has no transition for ends the number if the state accepts
# (the character is then read as what follows the number), and is an error otherwise.
_START, _MINUS, _ZERO, _INT, _DOT, _FRAC, _EXP_MARK, _EXP_SIGN, _EXP = range(9)
_DIGITS = "0123456789"
_NUMBER_NEXT: list[dict[str, int]] = [
    {"-": _MINUS, "0": _ZERO, **dict.fromkeys("123456789", _INT)},
    {"0": _ZERO, **dict.fromkeys("123456789", _INT)},  # after "-"
    {".": _DOT, "e": _EXP_MARK, "E": _EXP_MARK},  # after a leading 0: no more digits
    {**dict.fromkeys(_DIGITS, _INT), ".": _DOT, "e": _EXP_MARK, "E": _EXP_MARK},
    dict.fromkeys(_DIGITS, _FRAC),  # after "."
    {**dict.fromkeys(_DIGITS, _FRAC), "e": _EXP_MARK, "E": _EXP_MARK},
    {**dict.fromkeys(_DIGITS, _EXP), "+": _EXP_SIGN, "-": _EXP_SIGN},  # after "e"
    dict.fromkeys(_DIGITS, _EXP),  # after the exponent's sign
    dict.fromkeys(_DIGITS, _EXP),
]
_NUMBER_ACCEPTS = frozenset({_ZERO, _INT, _FRAC, _EXP})
_NUMBER_NEEDS = {
    _MINUS: "a digit after '-'",
    _DOT: "a digit after '.'",
    _EXP_MARK: "a digit in the exponent",
    _EXP_SIGN: "a digit in the exponent",
}


class _Frame:
    """An open object or array: its container, its path, and where the next child goes."""

    __slots__ = ("container", "key", "path")

    def __init__(self, path: Path, container: dict[str, Any] | list[Any]) -> None:
        self.path = path
        self.container = container
        self.key = ""  # the current member's key, in an object


class JSONStream:
    """Parse one JSON document pushed in fragments; see the module documentation."""

    def __init__(self) -> None:
        self._state: _State = self._expect_value
        self._stack: list[_Frame] = []
        self._offset = 0  # characters fed before the current fragment
        self._events: list[Event] = []
        self._result: Any = None
        self._done = False
        self._closed = False
        self._error: JSONStreamError | None = None
        # The string being read (a key or a value): decoded pieces, joined once at its end.
        self._parts: list[str] = []
        self._parts_sent = 0  # pieces of a string value already sent as deltas
        self._string_path: Path | None = None  # None while reading a key
        self._high_surrogate = ""  # a decoded \uD800-\uDBFF waiting for its low half
        self._hex = ""  # the digits of a \uXXXX escape read so far
        # The scalar being read: its path, the number's pieces and DFA state, the literal.
        self._scalar_path: Path = ()
        self._scalar_offset = 0
        self._number_parts: list[str] = []
        self._number_state = _START
        self._literal = ""
        self._literal_value: bool | None = None
        self._literal_pos = 0

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
        if self._string_path is not None:
            # A string value is still open: send what this fragment decoded of it, as one delta.
            self._send_delta(self._string_path)
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
            if self._state == self._number and self._number_state in _NUMBER_ACCEPTS:
                # Only a number can end at the end of input. Its ValueDone has nowhere to go:
                # only a bare top-level number is affected, and close() returns it.
                self._end_number()
            if not self._done:
                raise JSONStreamError(f"incomplete document: {self._expecting()}", self._offset)
        except JSONStreamError as error:
            self._error = error
            raise
        self._closed = True
        return self._result

    # -- Errors -----------------------------------------------------------------------------

    def _fail(self, msg: str, text: str, i: int) -> JSONStreamError:
        return JSONStreamError(f"{msg}, found {text[i]!r}", self._offset + i)

    def _expecting(self) -> str:
        """What the parser waits for, to say why a document is incomplete."""
        state = self._state
        if state in (self._string, self._escape, self._unicode_escape):
            return "unterminated string"
        if state == self._number:
            return f"expecting {_NUMBER_NEEDS[self._number_state]}"
        if state == self._literal_rest:
            return f"expecting {self._literal!r}"
        if not self._stack:
            return "expecting a value"
        if isinstance(self._stack[-1].container, dict):
            return "unclosed object"
        return "unclosed array"

    # -- Values -----------------------------------------------------------------------------

    def _child_path(self) -> Path:
        if not self._stack:
            return ()
        frame = self._stack[-1]
        if isinstance(frame.container, dict):
            return (*frame.path, frame.key)
        return (*frame.path, len(frame.container))

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

    def _open(self, container: dict[str, Any] | list[Any], kind: Kind) -> None:
        path = self._child_path()
        self._events.append(ValueStart(path, kind))
        self._stack.append(_Frame(path, container))

    def _close_container(self) -> None:
        frame = self._stack.pop()
        self._finish(frame.path, frame.container)

    # -- Structural states: each skips whitespace, then reads one token ---------------------

    def _expect_value(self, text: str, i: int) -> int:
        """Before a value: at the top level, after ':' or after ',' in an array."""
        found = _NOT_WHITESPACE.search(text, i)
        if found is None:
            return len(text)
        i = found.start()
        c = text[i]
        if c == '"':
            path = self._child_path()
            self._events.append(ValueStart(path, "string"))
            self._begin_string(path)
        elif c == "{":
            self._open({}, "object")
            self._state = self._object_first
        elif c == "[":
            self._open([], "array")
            self._state = self._array_first
        elif c == "-" or "0" <= c <= "9":
            self._scalar_path = self._child_path()
            self._scalar_offset = self._offset + i
            self._events.append(ValueStart(self._scalar_path, "number"))
            self._number_parts = []
            self._number_state = _START
            self._state = self._number
            return i  # the number state reads its first character itself
        elif c in _LITERALS:
            self._scalar_path = self._child_path()
            self._events.append(ValueStart(self._scalar_path, "literal"))
            self._literal, self._literal_value = _LITERALS[c]
            self._literal_pos = 1
            self._state = self._literal_rest
        else:
            raise self._fail("expecting a value", text, i)
        return i + 1

    def _array_first(self, text: str, i: int) -> int:
        """Just after '[': a value, or ']' for an empty array."""
        found = _NOT_WHITESPACE.search(text, i)
        if found is None:
            return len(text)
        i = found.start()
        if text[i] == "]":
            self._close_container()
            return i + 1
        return self._expect_value(text, i)

    def _object_first(self, text: str, i: int) -> int:
        """Just after '{': a key, or '}' for an empty object."""
        found = _NOT_WHITESPACE.search(text, i)
        if found is None:
            return len(text)
        i = found.start()
        if text[i] == "}":
            self._close_container()
            return i + 1
        return self._object_key(text, i)

    def _object_key(self, text: str, i: int) -> int:
        """After ',' in an object: a key (no trailing comma)."""
        found = _NOT_WHITESPACE.search(text, i)
        if found is None:
            return len(text)
        i = found.start()
        if text[i] != '"':
            raise self._fail("expecting a key in double quotes", text, i)
        self._begin_string(None)
        return i + 1

    def _colon(self, text: str, i: int) -> int:
        found = _NOT_WHITESPACE.search(text, i)
        if found is None:
            return len(text)
        i = found.start()
        if text[i] != ":":
            raise self._fail("expecting ':' after a key", text, i)
        self._state = self._expect_value
        return i + 1

    def _after_value(self, text: str, i: int) -> int:
        """After a value: ',' or the end of its container; only whitespace after the root."""
        found = _NOT_WHITESPACE.search(text, i)
        if found is None:
            return len(text)
        i = found.start()
        c = text[i]
        if not self._stack:
            raise self._fail("extra data after the document", text, i)
        if isinstance(self._stack[-1].container, dict):
            if c == ",":
                self._state = self._object_key
            elif c == "}":
                self._close_container()
            else:
                raise self._fail("expecting ',' or '}'", text, i)
        elif c == ",":
            self._state = self._expect_value
        elif c == "]":
            self._close_container()
        else:
            raise self._fail("expecting ',' or ']'", text, i)
        return i + 1

    # -- Strings ----------------------------------------------------------------------------

    def _begin_string(self, path: Path | None) -> None:
        """After the opening quote of a value (`path`) or of a key (None)."""
        self._parts = []
        self._parts_sent = 0
        self._string_path = path
        self._state = self._string

    def _append(self, piece: str) -> None:
        if self._high_surrogate:
            self._flush_high_surrogate()
        self._parts.append(piece)

    def _flush_high_surrogate(self) -> None:
        """A high surrogate not followed by its low half is kept alone, as json.loads does."""
        if self._high_surrogate:
            self._parts.append(self._high_surrogate)
            self._high_surrogate = ""

    def _send_delta(self, path: Path) -> None:
        """Send the pieces decoded since the last delta as one, and keep them as one piece, so
        the final join stays linear however many fragments the string spanned."""
        if len(self._parts) > self._parts_sent:
            delta = "".join(self._parts[self._parts_sent :])
            self._parts[self._parts_sent :] = [delta]
            self._parts_sent = len(self._parts)
            self._events.append(StringDelta(path, delta))

    def _string(self, text: str, i: int) -> int:
        """Inside a string: a run of plain characters, then its end, an escape or an error."""
        run = _STRING_RUN.match(text, i)
        if run is not None:
            self._append(run.group())
            i = run.end()
            if i == len(text):
                return i
        c = text[i]
        if c == "\\":
            self._state = self._escape
        elif c == '"':
            self._end_string()
        else:
            raise self._fail("unescaped control character in a string", text, i)
        return i + 1

    def _end_string(self) -> None:
        self._flush_high_surrogate()
        path = self._string_path
        if path is None:
            self._stack[-1].key = "".join(self._parts)
            self._state = self._colon
        else:
            self._send_delta(path)
            self._string_path = None
            self._finish(path, "".join(self._parts))
        self._parts = []

    def _escape(self, text: str, i: int) -> int:
        """Just after a backslash."""
        c = text[i]
        if c == "u":
            self._hex = ""
            self._state = self._unicode_escape
        elif c in _SIMPLE_ESCAPES:
            self._append(_SIMPLE_ESCAPES[c])
            self._state = self._string
        else:
            raise self._fail("invalid escape", text, i)
        return i + 1

    def _unicode_escape(self, text: str, i: int) -> int:
        """Inside \\uXXXX; the digits may arrive in several fragments."""
        end = len(text)
        while i < end and len(self._hex) < 4:
            if text[i] not in _HEX_DIGITS:
                raise self._fail("expecting 4 hexadecimal digits after \\u", text, i)
            self._hex += text[i]  # at most 4 characters: no quadratic growth
            i += 1
        if len(self._hex) == 4:
            self._state = self._string
            self._decode_code_point(int(self._hex, 16))
        return i

    def _decode_code_point(self, code: int) -> None:
        if self._high_surrogate and 0xDC00 <= code <= 0xDFFF:
            # The low half of a pair: one character, sent only now that it is whole.
            high = ord(self._high_surrogate)
            self._high_surrogate = ""
            self._parts.append(chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)))
        elif 0xD800 <= code <= 0xDBFF:
            self._flush_high_surrogate()  # an earlier high surrogate stays alone
            self._high_surrogate = chr(code)  # held back until we know what follows
        else:
            self._append(chr(code))

    # -- Numbers and literals ---------------------------------------------------------------

    def _number(self, text: str, i: int) -> int:
        state = self._number_state
        start, end = i, len(text)
        while i < end:
            following = _NUMBER_NEXT[state].get(text[i])
            if following is None:
                break
            state = following
            i += 1
        self._number_state = state
        self._number_parts.append(text[start:i])
        if i < end:
            # A character that cannot continue the number: it ends it, or it is an error.
            if state not in _NUMBER_ACCEPTS:
                raise self._fail(f"expecting {_NUMBER_NEEDS[state]}", text, i)
            self._end_number()
        return i

    def _end_number(self) -> None:
        literal = "".join(self._number_parts)
        self._number_parts = []
        value: int | float
        if self._number_state in (_ZERO, _INT):
            try:
                value = int(literal)
            except ValueError as error:  # beyond Python's int-string conversion limit
                raise JSONStreamError(str(error), self._scalar_offset) from None
        else:
            value = float(literal)
        self._finish(self._scalar_path, value)

    def _literal_rest(self, text: str, i: int) -> int:
        """Inside true, false or null, after its first letter."""
        word, end = self._literal, len(text)
        while i < end and self._literal_pos < len(word):
            if text[i] != word[self._literal_pos]:
                raise self._fail(f"expecting {word!r}", text, i)
            self._literal_pos += 1
            i += 1
        if self._literal_pos == len(word):
            self._finish(self._scalar_path, self._literal_value)
        return i
