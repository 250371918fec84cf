"""The streaming JSON parser: same values and errors as json.loads, whatever the fragments."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from barapp.wishes.jsonstream import (
    Event,
    JSONStream,
    JSONStreamError,
    Path,
    StringDelta,
    ValueDone,
    ValueStart,
)

# -- Documents ------------------------------------------------------------------------------

COCKTAIL_FR = r"""{
  "name": "L'Été à Paris \ud83c\udf78",
  "description": "Un cocktail \"pétillant\" et frais, à boire en terrasse.\nSanté !",
  "ingredients": [
    {"name": "Crème de cassis", "amount": 2, "unit": "cl", "note": "de Dijon"},
    {"name": "Champagne brut", "amount": 10.5, "unit": "cl"},
    {"name": "Zeste d\u2019orange", "amount": 1, "unit": "pièce", "note": null}
  ],
  "steps": [
    "Verser la crème de cassis dans une flûte.",
    "Compléter délicatement au champagne.",
    "Décorer du zeste — et servir ! 🥂"
  ],
  "glass": "Flûte",
  "garnish": "Zeste d'orange",
  "music": {"title": "La Vie en rose", "artist": "Édith Piaf"},
  "alcoholic": true,
  "sparkling": true,
  "frozen": false
}"""

COCKTAIL_EN = r"""{"name":"Smoky \"Old\" Fashioned","description":"Tab\there, slash \/ and backslash \\ — a \b\f\r\n test","ingredients":[{"name":"Bourbon","amount":6,"unit":"cl"},{"name":"Sugar syrup","amount":0.5,"unit":"cl"},{"name":"Angostura","amount":2,"unit":"dashes"}],"steps":["Stir with ice for 30 s.","Strain over a large cube."],"glass":"Rocks","garnish":"","music":{"title":"Take Five","artist":"Dave Brubeck Quartet"},"abv":-0.25E-2,"rating":1e3,"zero":0,"neg":-1,"ratio":2.5,"tags":[],"extra":{}}"""

ESCAPES = r'["\" \\ \/ \b \f \n \r \t", "\u00e9\u00E9", "\ud83c\udf78", "a\u0000b", "\u2028\u2029", "caf\u00e9 🍸 naïve", "\ud83c", "\ud83c\ud83c\udf78", "\udf78\ud83c", "\ud83cx", "\ud83c\n"]'

NUMBERS = (
    "[0, -0, -1, 2.5, 1e3, -0.25E-2, 1E+2, 0e0, 12345678901234567890, 0.000001, -9.75e-10, 1e999]"
)

LITERALS = '{"t": true, "f": false, "n": null, "a": [true, false, null], "e": "", "o": {}, "l": []}'


def deep(depth: int) -> str:
    """Nested arrays and objects alternately, a string at the bottom."""
    opening = "".join("[" if level % 2 else '{"k": ' for level in range(depth))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    return f'{opening}"fond 🍸"{closing}'


VALID_DOCS = [
    COCKTAIL_FR,
    COCKTAIL_EN,
    ESCAPES,
    NUMBERS,
    LITERALS,
    deep(60),
    json.dumps(json.loads(COCKTAIL_FR), ensure_ascii=True),
    json.dumps(json.loads(COCKTAIL_EN), ensure_ascii=False, indent=4),
    json.dumps({"menu": [json.loads(COCKTAIL_FR), json.loads(COCKTAIL_EN)]}, indent="\t"),
    '  {"": "", "\\u00e9": {"\\"": []}}  \n',
    '"just a string \\u00e9"',
    "  42  ",
    "-0.25E-2 ",
    "true",
    "null",
    "[]",
    "{}",
    '""',
    '[[[[]]], {}, [{}], {"a": [[{}]]}]',
]

SMALL_DOC = '{"a": ["\\u00e9\\ud83c\\udf78\\"x", -1.5e2, true, null], "b": {}}'


# -- Helpers --------------------------------------------------------------------------------


def parse(pieces: list[str]) -> tuple[list[list[Event]], Any]:
    """Feed the pieces; return the events of each feed and the closed value."""
    parser = JSONStream()
    batches = [parser.feed(piece) for piece in pieces]
    return batches, parser.close()


def cut(doc: str, points: list[int]) -> list[str]:
    bounds = [0, *sorted(points), len(doc)]
    return [doc[a:b] for a, b in itertools.pairwise(bounds)]


def random_pieces(doc: str, rng: random.Random, low: int = 1, high: int = 12) -> list[str]:
    pieces, i = [], 0
    while i < len(doc):
        size = rng.randint(low, high)
        pieces.append(doc[i : i + size])
        i += size
    return pieces


def splittings(doc: str, seed: int) -> Iterator[list[str]]:
    rng = random.Random(seed)
    yield [doc]
    yield list(doc)
    yield random_pieces(doc, rng, 2, 6)  # token-sized, as Ollama streams
    for _ in range(6):
        yield random_pieces(doc, rng)
    yield cut(doc, rng.sample(range(len(doc) + 1), min(len(doc), 5)))
    yield ["", *cut(doc, [len(doc) // 2]), ""]  # empty fragments are harmless


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


def structure(value: Any, path: Path = ()) -> Iterator[ValueStart | ValueDone]:
    """The start and done events of a value, in document order (no duplicate keys)."""
    yield ValueStart(path, kind_of(value))  # type: ignore[arg-type]
    if isinstance(value, dict):
        for key, child in value.items():
            yield from structure(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from structure(child, (*path, index))
    yield ValueDone(path, value)


def strings(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from strings(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from strings(child, (*path, index))
    elif isinstance(value, str):
        yield path, value


def strict_loads(doc: str) -> Any:
    """json.loads without its NaN/Infinity extensions: the grammar this parser implements."""

    def reject(name: str) -> Any:
        raise ValueError(f"non-standard constant {name}")

    return json.loads(doc, parse_constant=reject)


def check_events(doc: str, pieces: list[str]) -> None:
    batches, value = parse(pieces)
    expected = json.loads(doc)
    assert value == expected
    assert repr(value) == repr(expected)  # int vs float, -0.0, key order
    events = [event for batch in batches for event in batch]

    # Starts and dones: exactly the values of the document, in document order, with their
    # final values (a bare top-level number only ends at close(), where no event goes).
    wanted = list(structure(expected))
    if kind_of(expected) == "number" and not doc[-1].isspace():
        wanted.pop()
    assert [e for e in events if not isinstance(e, StringDelta)] == wanted

    # Deltas: inside their string's start and done, at most one per string and per feed,
    # never empty, never half a surrogate pair, and together exactly the final string.
    position = {
        (type(e), e.path): n for n, e in enumerate(events) if not isinstance(e, StringDelta)
    }
    joined: dict[Path, str] = {}
    for n, event in enumerate(events):
        if isinstance(event, StringDelta):
            assert event.text
            assert position[ValueStart, event.path] < n < position[ValueDone, event.path]
            joined[event.path] = joined.get(event.path, "") + event.text
    for batch in batches:
        paths = [e.path for e in batch if isinstance(e, StringDelta)]
        assert len(paths) == len(set(paths))
    for path, text in strings(expected):
        # In Python "🍸" is one character: two deltas "\ud83c" + "\udf78" would not equal it.
        assert joined.get(path, "") == text


# -- Values and events ----------------------------------------------------------------------


@pytest.mark.parametrize("doc", VALID_DOCS, ids=range(len(VALID_DOCS)))
def test_events_and_value_whatever_the_fragments(doc: str) -> None:
    for pieces in splittings(doc, seed=len(doc)):
        check_events(doc, pieces)


def test_split_at_every_position_into_two_and_three() -> None:
    for i in range(len(SMALL_DOC) + 1):
        check_events(SMALL_DOC, cut(SMALL_DOC, [i]))
        for j in range(i, len(SMALL_DOC) + 1, 3):
            check_events(SMALL_DOC, cut(SMALL_DOC, [i, j]))


def test_events_do_not_depend_on_the_fragments_apart_from_delta_sizes() -> None:
    def merged(pieces: list[str]) -> list[Event]:
        out: list[Event] = []
        for event in (e for batch in parse(pieces)[0] for e in batch):
            last = out[-1] if out else None
            if isinstance(event, StringDelta) and isinstance(last, StringDelta):
                out[-1] = StringDelta(event.path, last.text + event.text)
            else:
                out.append(event)
        return out

    for doc in VALID_DOCS:
        reference = merged([doc])
        for seed in range(5):
            assert merged(random_pieces(doc, random.Random(seed))) == reference


def test_surrogate_pair_split_anywhere_is_sent_whole() -> None:
    doc = '"a\\ud83c\\udf78b"'
    for i in range(len(doc) + 1):
        batches, value = parse(cut(doc, [i]))
        assert value == "a🍸b"
        texts = [e.text for batch in batches for e in batch if isinstance(e, StringDelta)]
        assert "".join(texts) == "a🍸b"
        assert all("\ud83c" not in text and "\udf78" not in text for text in texts)


def test_the_page_can_fill_an_ingredient_before_it_is_complete() -> None:
    parser = JSONStream()
    events = parser.feed('{"name": "Négro')
    assert events == [
        ValueStart((), "object"),
        ValueStart(("name",), "string"),
        StringDelta(("name",), "Négro"),
    ]
    events = parser.feed('ni", "ingredients": [{"name": "G')
    assert events == [
        StringDelta(("name",), "ni"),
        ValueDone(("name",), "Négroni"),
        ValueStart(("ingredients",), "array"),
        ValueStart(("ingredients", 0), "object"),
        ValueStart(("ingredients", 0, "name"), "string"),
        StringDelta(("ingredients", 0, "name"), "G"),
    ]
    assert parser.feed("in\\u00e9") == [StringDelta(("ingredients", 0, "name"), "iné")]
    assert parser.feed('", "amount": 3') == [
        ValueDone(("ingredients", 0, "name"), "Giné"),
        ValueStart(("ingredients", 0, "amount"), "number"),
    ]
    assert parser.feed("}, ") == [
        ValueDone(("ingredients", 0, "amount"), 3),
        ValueDone(("ingredients", 0), {"name": "Giné", "amount": 3}),
    ]
    assert parser.feed('"Campari"]}') == [
        ValueStart(("ingredients", 1), "string"),
        StringDelta(("ingredients", 1), "Campari"),
        ValueDone(("ingredients", 1), "Campari"),
        ValueDone(("ingredients",), [{"name": "Giné", "amount": 3}, "Campari"]),
        ValueDone(
            (), {"name": "Négroni", "ingredients": [{"name": "Giné", "amount": 3}, "Campari"]}
        ),
    ]
    assert parser.done
    assert parser.close() == {
        "name": "Négroni",
        "ingredients": [{"name": "Giné", "amount": 3}, "Campari"],
    }


def test_done_and_close() -> None:
    parser = JSONStream()
    parser.feed("[1, 2")
    assert not parser.done
    parser.feed("]")
    assert parser.done
    parser.feed("  \n")
    assert parser.close() == [1, 2]
    assert parser.close() == [1, 2]  # idempotent
    with pytest.raises(JSONStreamError, match="after close"):
        parser.feed("")

    number = JSONStream()
    number.feed("12")
    assert not number.done  # "123" is still possible
    assert number.close() == 12


def test_duplicate_keys_keep_the_last_like_json_loads() -> None:
    doc = '{"a": 1, "a": {"b": 2}}'
    batches, value = parse([doc])
    assert value == json.loads(doc)
    assert [e for e in batches[0] if isinstance(e, ValueDone)][:2] == [
        ValueDone(("a",), 1),
        ValueDone(("a", "b"), 2),
    ]


def test_long_string_fed_one_character_at_a_time() -> None:
    # Not timed (see bench/jsonstream.py): a quadratic parser would take minutes here.
    text = ('Crème de cassis, \\u00e9 \\ud83c\\udf78 \\"x\\" ' * 5000)[:200_000]
    text = text[: text.rfind(" ")]
    doc = '{"steps": ["' + text + '"]}'
    parser = JSONStream()
    deltas = 0
    for char in doc:
        deltas += sum(isinstance(e, StringDelta) for e in parser.feed(char))
    assert parser.close() == json.loads(doc)
    assert deltas == len(json.loads(doc)["steps"][0])  # one character per delta here


# -- Errors ---------------------------------------------------------------------------------

# (document, offset of the first character no valid document could have; len(doc) when the
# document is only incomplete and close() must refuse it)
INVALID = [
    ("", 0),
    ("   \n", 4),
    ("[1,]", 3),
    ('{"a": 1,}', 8),
    ("[1,,2]", 3),
    ("{,}", 1),
    ("[,1]", 1),
    ("{'a': 1}", 1),
    ("'x'", 0),
    ('"a\x01b"', 2),
    ('"tab\there"', 4),
    ('"new\nline"', 4),
    ('"\\x"', 2),
    ('"\\U00e9"', 2),
    ('"\\u12"', 5),
    ('"\\u12', 5),
    ('"\\ud83c\\udf7"', 12),
    ('"\\ud83c\\u"', 9),
    ('"\\', 2),
    ("01", 1),
    ("00", 1),
    ("-01", 2),
    ("[01]", 2),
    ("1.", 2),
    ("[1.]", 3),
    ("1.e5", 2),
    (".5", 0),
    ("+1", 0),
    ("-", 1),
    ("-a", 1),
    ("1e", 2),
    ("1e+", 3),
    ("1E+x", 3),
    ("0x10", 1),
    ("[1.5.2]", 4),
    ("tru", 3),
    ("trux", 3),
    ("True", 0),
    ("nul", 3),
    ("nulll", 4),
    ("NaN", 0),
    ("Infinity", 0),
    ("-Infinity", 1),
    ("1 2", 2),
    ("{} {}", 3),
    ('"a" "b"', 4),
    ('{"a":1}}', 7),
    ("[1 2]", 3),
    ('{"a" 1}', 5),
    ('{"a":}', 5),
    ('{"a":1 "b":2}', 7),
    ("[1}", 2),
    ('{"a":1]', 6),
    ("{1:2}", 1),
    ("]", 0),
    ('"unterminated', 13),
    ("[", 1),
    ('{"a": [1, {"b": "c"', 19),
    ('{"a"', 4),
    ('{"a":', 5),
    ('"\\ud83c\\udf78', 13),
    ("\ufeff{}", 0),
    ("\u0661", 0),  # a non-ASCII digit
    ("1" * 5000, 0),  # beyond Python's int-string conversion limit, as for json.loads
]

VALID_SNIPPETS = [
    " \t\n\r 1 \n",
    '"\\u00E9"',
    "-0",
    "-0.0",
    "0e0",
    "1E-0",
    "[[]]",
    '{"":""}',
    '"\\/"',
    '"\\ud83c"',
    '"\\udf78\\ud83c"',
    '"\x7f"',
    "1e999",
    '{"a":1,"a":2}',
    '[1,{"a":[true,false,null]},"x"]',
]


def error_of(pieces: list[str]) -> JSONStreamError | None:
    """The error raised while feeding and closing, or None; feed-time errors are preferred."""
    parser = JSONStream()
    try:
        for piece in pieces:
            parser.feed(piece)
        parser.close()
    except JSONStreamError as error:
        return error
    return None


@pytest.mark.parametrize(("doc", "offset"), INVALID, ids=[repr(d[:20]) for d, _ in INVALID])
def test_invalid_documents_fail_at_the_first_bad_character(doc: str, offset: int) -> None:
    with pytest.raises(ValueError):
        strict_loads(doc)
    for pieces in ([doc], list(doc), random_pieces(doc, random.Random(offset))):
        error = error_of(pieces)
        assert error is not None
        assert error.offset == offset, error
        assert str(offset) in str(error)


def test_errors_are_raised_while_feeding_not_at_close() -> None:
    for doc, offset in INVALID:
        if offset == len(doc) or doc == "1" * 5000:
            continue  # only incomplete: nothing is wrong until the input ends
        parser = JSONStream()
        parser.feed(doc[:offset])  # everything before the bad character is a fine prefix
        with pytest.raises(JSONStreamError) as raised:
            parser.feed(doc[offset:])
        assert raised.value.offset == offset
        with pytest.raises(JSONStreamError) as again:  # and the parser stays failed
            parser.feed("1")
        assert again.value is raised.value
        with pytest.raises(JSONStreamError):
            parser.close()


@pytest.mark.parametrize("doc", VALID_SNIPPETS)
def test_valid_snippets_agree_with_json_loads(doc: str) -> None:
    for pieces in ([doc], list(doc)):
        assert parse(pieces)[1] == strict_loads(doc)


def test_truncated_documents_are_refused_exactly_when_json_loads_refuses() -> None:
    for doc in [*VALID_DOCS[:6], SMALL_DOC]:
        step = max(1, len(doc) // 300)
        for end in range(0, len(doc), step):
            prefix = doc[:end]
            try:
                expected: Any = strict_loads(prefix)
            except ValueError:
                error = error_of([prefix])
                assert error is not None, prefix
                assert error.offset == end  # a prefix is never wrong, only incomplete
            else:
                assert parse([prefix])[1] == expected


def mutate(doc: str, rng: random.Random) -> str:
    alphabet = "{}[]:,\"\\ \nu0123456789-+.eEtrufalsn\x01x'éd"
    chars = list(doc)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(chars) + 1)
        operation = rng.randrange(3)
        if operation == 0 and i < len(chars):
            del chars[i]
        elif operation == 1 and i < len(chars):
            chars[i] = rng.choice(alphabet)
        else:
            chars.insert(i, rng.choice(alphabet))
    return "".join(chars)


def test_mutated_documents_agree_with_json_loads() -> None:
    rng = random.Random(2024)
    sources = [SMALL_DOC, NUMBERS, ESCAPES, LITERALS, COCKTAIL_EN[:300] + "}"]
    rejected = 0
    for _ in range(3000):
        doc = mutate(rng.choice(sources), rng)
        try:
            expected: Any = strict_loads(doc)
        except ValueError:
            expected = JSONStreamError
        error = error_of(random_pieces(doc, rng, 1, 8))
        if expected is JSONStreamError:
            rejected += 1
            assert error is not None, doc
            # The earliest possible offset: the text before it is a fine prefix, and the same
            # error comes whatever the fragments.
            assert error_of([doc]) is not None
            assert error_of([doc]).offset == error.offset  # type: ignore[union-attr]
            if error.offset < len(doc):
                parser = JSONStream()
                parser.feed(doc[: error.offset])
                with pytest.raises(JSONStreamError):
                    parser.feed(doc[error.offset])
        else:
            assert error is None, (doc, error)
            assert parse(random_pieces(doc, rng))[1] == expected
    assert rejected > 1000  # the mutations do exercise the errors
