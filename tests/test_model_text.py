"""A model's answer with text no database, stream or page can hold: the drink is still saved
and shown, cleaned by one rule (`text.py`), on both engines."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from barapp.store.tables import Cocktail, Generation
from barapp.text import clean
from barapp.wishes.jsonstream import JSONStream, StringDelta
from tests.fake_ollama import FakeOllama, Scenario, cocktail_document, dump_document
from tests.test_generation import events_of, finished, http, wish, wish_app

__all__ = ["http", "wish_app"]  # the fixtures, with this module's fake

# What a small model may write inside its JSON: escapes of a lone surrogate, NUL and other
# controls, and raw characters that are line breaks to Python (U+0085) or non-characters.
HOSTILE_NAME = "Bad\\ud800 \\u0000Moon\\u001b"
HOSTILE_STEP = "Shake\u0085 hard\ufffe, then\\r\\n strain."


def hostile_answer() -> str:
    document = cocktail_document("gin and basil")
    text = dump_document(document)
    text = text.replace(json.dumps(document["name"]), f'"{HOSTILE_NAME}"', 1)
    return text.replace(json.dumps(document["steps"][0]), f'"{HOSTILE_STEP}"', 1)


def test_the_rule_character_by_character() -> None:
    assert clean("a\x00b\x1bc\td\ne\rf") == "abc\td\nef"
    assert clean("x\u0085y\u2028z\u2029") == "x\ny\nz\n"
    assert clean("del\x7f c1\x80\x9f é") == "del c1 é"  # DEL and C1 controls, not Latin-1
    assert clean("lone \ud800 and \udfff") == "lone \ufffd and \ufffd"
    assert clean("\ufdd0no\ufffe\U0001ffffn-chars\U0010fffe") == "non-chars"
    text = "Crème 🍸 de cassis"
    assert clean(text) is text  # clean text is not copied
    rng = random.Random(7)
    alphabet = "ab é\x00\x85\u2028\ud800\ufdd0\U0001ffff\r\n\t🍸"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        cut = rng.randint(0, len(text))
        assert clean(text[:cut]) + clean(text[cut:]) == clean(text)
        assert clean(text).encode("utf-8").decode("utf-8") == clean(text)  # always encodable


def test_the_parser_cleans_deltas_and_values_alike() -> None:
    document = hostile_answer()
    for size in (1, 3, 7, len(document)):
        parser = JSONStream(clean=clean)
        deltas: dict[Any, str] = {}
        for start in range(0, len(document), size):
            for event in parser.feed(document[start : start + size]):
                if isinstance(event, StringDelta):
                    assert event.text and event.text == clean(event.text)
                    deltas[event.path] = deltas.get(event.path, "") + event.text
        value = parser.close()
        assert value["name"] == deltas[("name",)] == "Bad\ufffd Moon"
        assert value["steps"][0] == deltas[("steps", 0)] == "Shake\n hard, then\n strain."


@pytest.fixture
def fake() -> Any:
    with FakeOllama(Scenario(content=hostile_answer()), models=["llama3.1:8b"]) as server:
        yield server


async def test_a_drink_with_a_lone_surrogate_nul_and_nel_is_saved_and_shown(
    http: httpx.AsyncClient, wish_app: Any, fake: FakeOllama
) -> None:
    gen_id = await wish(http)
    await finished(wish_app)
    assert "\u0085" in fake.last_chat.content  # sent raw, as Ollama sends it
    row = await Generation.select().first()
    assert row is not None and row["status"] == "done", row
    cocktail = await Cocktail.select().first().output(load_json=True)
    assert cocktail["name"] == "Bad\ufffd Moon"
    assert cocktail["steps"][0] == "Shake\n hard, then\n strain."
    # The stream carried the same text, and every event of it.
    events = await events_of(http, gen_id)
    assert "".join(e["data"] for e in events if e["event"] == "name") == "Bad\ufffd Moon"
    assert [e["event"] for e in events][-2:] == ["result", "end"]
    page = await http.get(f"/cocktails/{cocktail['slug']}")
    assert page.status_code == 200 and "Bad\ufffd Moon" in page.text
