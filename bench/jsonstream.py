"""Streaming JSON parser benchmark: characters per second, and time per character by size.

    python bench/jsonstream.py [--repeat 5]

(1) a realistic ~1.5 KB cocktail fed in token-sized fragments (2-6 characters, as Ollama
streams), (2) the same fed one character at a time, (3) a ~1 MB menu of cocktails fed in
4-character fragments, each next to json.loads of the whole text; then µs per character for
menus of 10 KB, 100 KB and 1 MB, which must not grow with the size (the parser is linear).
Each figure is the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from typing import Any

from barapp.wishes.jsonstream import JSONStream


def cocktail(n: int) -> dict[str, Any]:
    return {
        "name": f"L'Été à Paris n°{n} 🍸",
        "description": (
            'Un cocktail "pétillant" et frais, à boire en terrasse quand le soleil se couche '
            "sur les quais.\nBubbly, fresh and fruity: crème de cassis, champagne, a twist. "
            "Servez-le bien frais, dans une flûte rafraîchie, avec un zeste d'orange exprimé "
            "au-dessus du verre : les huiles essentielles parfument les bulles à chaque gorgée."
        ),
        "ingredients": [
            {"name": "Crème de cassis", "amount": 2, "unit": "cl", "note": "de Dijon"},
            {"name": "Champagne brut", "amount": 10.5, "unit": "cl", "note": None},
            {"name": "Sirop de sucre", "amount": 0.5, "unit": "cl", "note": "optionnel"},
            {"name": "Zeste d’orange", "amount": 1, "unit": "pièce", "note": "non traité"},
        ],
        "steps": [
            "Rafraîchir la flûte avec des glaçons, puis les jeter.",
            "Verser la crème de cassis et le sirop dans la flûte.",
            "Compléter délicatement au champagne bien frais, en inclinant le verre.",
            "Exprimer le zeste d’orange au-dessus du verre et le déposer — santé ! 🥂",
        ],
        "glass": "Flûte à champagne",
        "garnish": "Zeste d'orange",
        "music": {"title": "La Vie en rose", "artist": "Édith Piaf", "year": 1947},
        "alcoholic": True,
        "abv": 11.5e-2,
        "rating": -0.25e-2,
        "tags": ["pétillant", "apéritif", "été", "français"],
        "llm_model": "llama3.1:8b",
        "wish": "quelque chose de frais, avec des bulles, pour l'apéro",
    }


def menu(size: int) -> str:
    """A pretty-printed menu of cocktails, about `size` characters long."""

    def dump(count: int) -> str:
        return json.dumps(
            {"menu": [cocktail(n) for n in range(count)]}, ensure_ascii=False, indent=2
        )

    per_cocktail = len(dump(2)) - len(dump(1))
    return dump(max(1, round(size / per_cocktail)))


def fragments(text: str, low: int, high: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(text):
        size = rng.randint(low, high)
        pieces.append(text[i : i + size])
        i += size
    return pieces


def best(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def stream(pieces: list[str]) -> Callable[[], object]:
    def run() -> object:
        parser = JSONStream()
        events = 0
        for piece in pieces:
            events += len(parser.feed(piece))  # the events are built and handed over
        return parser.close()

    return run


def line(label: str, chars: int, seconds: float, pieces: int | None = None) -> None:
    per_fragment = f"  {seconds / pieces * 1e6:6.2f} µs/fragment" if pieces else ""
    print(
        f"{label:<46} {chars / seconds / 1e6:8.2f} M chars/s"
        f"  {seconds / chars * 1e6:7.3f} µs/char{per_fragment}"
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=5)
    repeat = options.parse_args().repeat

    doc = json.dumps(cocktail(1), ensure_ascii=False, indent=2)
    big = menu(1_000_000)
    for text in (doc, big):
        assert stream([text])() == json.loads(text)

    print(f"cocktail: {len(doc)} chars; menu: {len(big)} chars; best of {repeat}\n")
    for label, text, low, high in [
        ("(1) cocktail, token fragments (2-6 chars)", doc, 2, 6),
        ("(2) cocktail, 1 char per fragment", doc, 1, 1),
        ("(3) 1 MB menu, 4-char fragments", big, 4, 4),
    ]:
        pieces = fragments(text, low, high)
        line(label, len(text), best(stream(pieces), repeat), len(pieces))
        line("    json.loads, whole text", len(text), best(lambda t=text: json.loads(t), repeat))

    print("\nTime per character by document size (4-char fragments):")
    for size in (10_000, 100_000, 1_000_000):
        text = menu(size)
        pieces = fragments(text, 4, 4)
        line(f"    {len(text) / 1000:7.0f} KB", len(text), best(stream(pieces), repeat))


if __name__ == "__main__":
    main()
