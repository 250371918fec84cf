"""Keyword tables: the illustration reads free text (glass, ingredient and garnish names) by
folding it and looking its words up in small tables of rows "fields : keyword|keyword"."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

Table = list[tuple[re.Pattern[str], list[str]]]


def fold(text: Any) -> str:
    """Lower case without accents or extra spaces, so "Flûte" and " FLUTE" read alike."""
    text = str(text or "").replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    plain = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())


def keyword_table(text: str) -> Table:
    """Rows "field field : keyword|keyword" as (pattern, fields). Keywords match at the start of
    a word, so plurals ("fraises") match but "juice" never finds "ice"; the first row wins."""
    rows = []
    for line in text.strip().splitlines():
        fields, _, words = line.partition(":")
        alternatives = "|".join(re.escape(w.strip()) for w in words.split("|"))
        rows.append((re.compile(rf"\b(?:{alternatives})"), fields.split()))
    return rows


def first_match(table: Table, text: str) -> list[str] | None:
    return next((fields for rule, fields in table if rule.search(text)), None)
