"""The incremental JSON parser's states inside a scalar: a string (with its escapes and surrogate
pairs), a number, or true/false/null. A fragment may end anywhere in one; what was read of it
waits here for the next fragment. See `barapp.wishes.jsonstream` for the parser around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeAlias

from barapp.wishes.jsonevents import Event, JSONStreamError, Path, StringDelta

# A state consumes characters of the fragment from an index and returns where it stopped.
State: TypeAlias = Callable[[str, int], int]

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
LITERALS: dict[str, tuple[str, bool | None]] = {
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


class ScalarStates:
    """The scalar states of the parser, and what they keep between fragments.

    `JSONStream` builds on it and supplies the structure around the scalars: the current state
    (`_state`), the current feed's events (`_events`), the characters fed before the current
    fragment (`_offset`), `_finish` (a value is complete) and `_end_key` (a key is complete).
    """

    _state: State
    _events: list[Event]
    _offset: int

    def __init__(self, clean: Callable[[str], str] | None = None) -> None:
        # Applied to every decoded string (keys, values and their deltas): see `JSONStream`.
        self._clean = clean
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

    def _finish(self, path: Path, value: Any) -> None:
        raise NotImplementedError

    def _end_key(self, key: str) -> None:
        raise NotImplementedError

    def _fail(self, msg: str, text: str, i: int) -> JSONStreamError:
        return JSONStreamError(f"{msg}, found {text[i]!r}", self._offset + i)

    def _scalar_expecting(self) -> str | None:
        """What an unfinished scalar waits for, to say why a document is incomplete."""
        state = self._state
        if state in (self._string, self._escape, self._unicode_escape):
            return "unterminated string"
        if state == self._number:
            return f"expecting {_NUMBER_NEEDS[self._number_state]}"
        if state == self._literal_rest:
            return f"expecting {self._literal!r}"
        return None

    def _end_fragment(self) -> None:
        """A string value is still open: send what this fragment decoded of it, as one delta."""
        if self._string_path is not None:
            self._send_delta(self._string_path)

    def _end_input(self) -> None:
        """Only a number can end at the end of input, if what was read of it is whole."""
        if self._state == self._number and self._number_state in _NUMBER_ACCEPTS:
            self._end_number()

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
            if self._clean is not None:
                delta = self._clean(delta)
            self._parts[self._parts_sent :] = [delta]
            self._parts_sent = len(self._parts)
            if delta:
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
            key = "".join(self._parts)
            self._end_key(key if self._clean is None else self._clean(key))
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

    def _begin_number(self, path: Path, offset: int) -> None:
        """At a number's first character (`offset` in the document), which it reads itself."""
        self._scalar_path = path
        self._scalar_offset = offset
        self._number_parts = []
        self._number_state = _START
        self._state = self._number

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

    def _begin_literal(self, path: Path, first: str) -> None:
        """After the first letter of true, false or null (a key of LITERALS)."""
        self._scalar_path = path
        self._literal, self._literal_value = LITERALS[first]
        self._literal_pos = 1
        self._state = self._literal_rest

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
