"""The one rule for text that comes from outside — a model's answer, a form field, a query
string, a cursor, an import file: what neither the databases, the SSE stream nor a page can
hold is taken out, character by character, the same way on SQLite and PostgreSQL.

- NUL and the other C0 controls but tab and newline, DEL and the C1 controls: PostgreSQL
  refuses NUL in text, SQLite's FTS5 tokenizer and pages show the others as nothing or as boxes
  (CR is dropped: a browser's "\\r\\n" becomes "\\n").
- U+0085, U+2028, U+2029 become a newline: they are line breaks to `str.splitlines`, which
  httpx uses to cut Ollama's NDJSON, and to JavaScript.
- A lone surrogate becomes U+FFFD: it cannot be encoded in UTF-8 at all (the SSE stream and
  the save would fail).
- Non-characters (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF) are dropped.

The rule is per character, so cleaning the pieces of a text one by one equals cleaning it whole
(as long as no surrogate pair is cut, which the JSON parser guarantees).
"""

from __future__ import annotations

import re

_NONCHARACTERS = [
    *range(0xFDD0, 0xFDF0),
    *(p << 16 | low for p in range(17) for low in (0xFFFE, 0xFFFF)),
]
_TABLE: dict[int, str | None] = {
    **{code: None for code in range(0x20) if code not in (0x09, 0x0A)},
    **{code: None for code in range(0x7F, 0xA0) if code != 0x85},
    **dict.fromkeys((0x85, 0x2028, 0x2029), "\n"),
    **dict.fromkeys(range(0xD800, 0xE000), "\ufffd"),
    **dict.fromkeys(_NONCHARACTERS),
}
_DIRTY = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef"
    + "".join(chr(code) for code in _NONCHARACTERS if code > 0xFDEF)
    + "]"
)


# Most text is ASCII, where only controls can be wrong: a short class is ten times faster than
# the whole one (whose astral non-characters slow every search down).
_DIRTY_ASCII = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """`text` without what the module's rule takes out; the same object when it is clean."""
    dirty = (_DIRTY_ASCII if text.isascii() else _DIRTY).search(text)
    return text.translate(_TABLE) if dirty else text
