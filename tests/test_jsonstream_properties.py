"""Property tests (hypothesis) of the streaming parser with arbitrary Unicode: any JSON value,
written any way and cut into any fragments, reads back as `json.loads` reads it (cleaned by the
one text rule); any other text is refused with `JSONStreamError`, never another exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from barapp.text import clean
from barapp.wishes.jsonstream import JSONStream, JSONStreamError

# Every code point, lone surrogates, NUL, U+0085 and non-characters included.
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=20)
# What a model writes is mostly JSON: arbitrary text built of JSON's own characters finds more.
JSONISH = st.text(st.sampled_from('{}[]:,"\\ \n0123456789.eE+-truefalsnu\x00\x85\ud800é'))
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)


def cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [cleaned(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): cleaned(item) for key, item in value.items()}
    return value


def refuse(constant: str) -> Any:
    raise ValueError(constant)


def fed(text: str, cuts: list[int]) -> Any:
    parser = JSONStream(clean=clean)
    start = 0
    for cut in [*sorted({min(c, len(text)) for c in cuts}), len(text)]:
        parser.feed(text[start:cut])
        start = cut
    return parser.close()


@settings(max_examples=150, deadline=None)
@given(VALUES, st.booleans(), st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_any_value_reads_back_cleaned_whatever_the_fragments(
    value: Any, ascii_only: bool, cuts: list[int]
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert fed(text, cuts) == cleaned(json.loads(text))


@settings(max_examples=150, deadline=None)
@given(TEXT | JSONISH, st.lists(st.integers(min_value=0, max_value=40), max_size=4))
def test_any_text_is_a_value_or_a_clean_refusal(text: str, cuts: list[int]) -> None:
    try:
        expected = json.loads(text, parse_constant=refuse)  # NaN, Infinity are not JSON
    except ValueError:
        expected = JSONStreamError
    try:
        value = fed(text, cuts)
    except JSONStreamError:
        value = JSONStreamError
    if expected is JSONStreamError:
        assert value is JSONStreamError
    else:
        assert value == cleaned(expected)
